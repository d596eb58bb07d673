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

/// How the process logs: JSON lines (with EMF metric lines) for CloudWatch, or one short line per
/// request for a person at a terminal (`LOG_FORMAT=text`; `make dev`'s default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

static TEXT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process logs for a person (see [`LogFormat`]).
pub fn text_logs() -> bool {
    TEXT.load(std::sync::atomic::Ordering::Relaxed)
}

/// Installs the global subscriber: JSON lines (the Lambda default), unless `LOG_FORMAT` says
/// `text`. Each JSON line carries the current span and the spans around it — in Lambda the
/// runtime's invocation span, with `requestId` and `xrayTraceId`. `RUST_LOG` sets the filter
/// (default `info`). Safe to call more than once; later calls do nothing.
pub fn init() {
    init_with(LogFormat::Json);
}

/// [`init`] with another default than JSON when `LOG_FORMAT` is unset.
pub fn init_with(default: LogFormat) {
    let format = match std::env::var("LOG_FORMAT").ok().as_deref() {
        Some("json") => LogFormat::Json,
        Some("text") => LogFormat::Text,
        _ => default,
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match format {
        LogFormat::Json => {
            let _ = tracing_subscriber::fmt()
                .json()
                .with_env_filter(filter)
                .with_current_span(true)
                .with_span_list(true)
                .with_target(true)
                .try_init();
        }
        LogFormat::Text => {
            TEXT.store(true, std::sync::atomic::Ordering::Relaxed);
            use std::io::IsTerminal;
            let _ = tracing_subscriber::fmt()
                .compact()
                .with_env_filter(filter)
                .with_target(false)
                .with_ansi(std::io::stdout().is_terminal())
                .try_init();
        }
    }
}

/// In a Lambda function, before `run`: asks Lambda for a SIGTERM before it shuts the instance
/// down (by registering a no-op internal extension), and then writes the usage counters of
/// finished requests still pending ([`scope::settle`]; Lambda allows 500 ms).
pub async fn settle_on_shutdown() {
    lambda_runtime::spawn_graceful_shutdown_handler(|| async {
        if !scope::settle(std::time::Duration::from_millis(400)).await {
            tracing::warn!("usage counters still unwritten at shutdown");
        }
    })
    .await;
}
