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

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

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
/// (default `info`): a level, and levels per target (`info,airtable_client=debug`). Safe to call
/// more than once; later calls do nothing.
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
    let filter = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    match format {
        LogFormat::Json => {
            let _ = tracing_subscriber::fmt()
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .with_target(true)
                .finish()
                .with(filter)
                .try_init();
        }
        LogFormat::Text => {
            TEXT.store(true, std::sync::atomic::Ordering::Relaxed);
            use std::io::IsTerminal;
            let _ = tracing_subscriber::fmt()
                .compact()
                .with_target(false)
                .with_ansi(std::io::stdout().is_terminal())
                .finish()
                .with(filter)
                .try_init();
        }
    }
}

/// The filter `RUST_LOG` asks for: `info` when unset or unreadable. Levels per target, not
/// `EnvFilter`'s span and field directives: those need a regex engine, which would be most of
/// a megabyte of every function's binary for a knob nobody turns in Lambda.
fn log_filter(directives: Option<&str>) -> Targets {
    directives
        .and_then(|d| d.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO))
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

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;
    use tracing::level_filters::LevelFilter;

    #[test]
    fn rust_log_sets_levels_per_target_and_defaults_to_info() {
        let f = log_filter(Some("warn,airtable_client=debug"));
        assert!(f.would_enable("airtable_client::cache", &Level::DEBUG));
        assert!(!f.would_enable("platform::http", &Level::INFO));
        assert!(f.would_enable("platform::http", &Level::WARN));
        for unset in [None, Some("not a level=at all=")] {
            let f = log_filter(unset);
            assert!(f.would_enable("platform", &Level::INFO));
            assert!(!f.would_enable("platform", &Level::DEBUG));
        }
        assert_eq!(
            log_filter(Some("off")).default_level(),
            Some(LevelFilter::OFF)
        );
    }
}
