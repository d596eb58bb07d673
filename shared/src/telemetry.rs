//! JSON logs through `tracing`, one line per event, carrying the current span's fields
//! (request id, route, tenant) so CloudWatch Logs Insights can filter on them.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `RUST_LOG` sets the filter (default `info`). Safe to call
/// more than once; later calls do nothing.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ =
        tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(true).with_span_list(false).with_target(true).try_init();
}
