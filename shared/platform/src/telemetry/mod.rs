//! Telemetry: JSON logs through `tracing` (one line per event, carrying the current span's fields
//! — request id, route, tenant, X-Ray trace id — so CloudWatch Logs Insights can filter on them),
//! CloudWatch Embedded Metric Format lines ([`emf`]) and the per-tenant usage counters
//! ([`scope`]) that the analytics API reads.
//!
//! Every request and every queue message runs in a [`scope::Scope`]: the events recorded while it
//! runs ([`record`]) become, when it ends, EMF lines on stdout (no CloudWatch API call) and one
//! atomic `ADD` per counter item in DynamoDB.

pub mod emf;
pub mod record;
pub mod scope;
pub mod timing;

pub use scope::Telemetry;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Each line carries the current span and the spans around it —
/// in Lambda the runtime's invocation span, with `requestId` and `xrayTraceId`. `RUST_LOG` sets the filter (default `info`). Safe to call
/// more than once; later calls do nothing.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(true)
        .with_target(true)
        .try_init();
}
