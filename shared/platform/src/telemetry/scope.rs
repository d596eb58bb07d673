//! The unit of telemetry: one HTTP request or one queue message. What is recorded while it runs
//! (see [`super::record`]) is kept in the scope; when it ends, [`Telemetry`] flushes it as EMF
//! lines and as atomic `ADD`s on the tenant's (and the user's) counter item of the current hour.
//!
//! The scope is a task-local, so shared code deep in the call tree (the Airtable client, the
//! budget settlement, the tool registry) records without being handed anything; a task spawned
//! away from the request runs its own scope ([`Telemetry::run`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::emf::Batch;
use crate::config::Config;
use crate::ids::{TenantId, UserId};
use crate::store::{Key, Store, keys, n, s};

tokio::task_local! {
    static CURRENT: Scope;
}

/// How long hourly counter items are kept (DynamoDB TTL; the API also ignores older ones).
pub const COUNTER_RETENTION_DAYS: i64 = 400;

/// What one request or message recorded.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    pub function: &'static str,
    pub tenant: Option<TenantId>,
    pub user: Option<UserId>,
    pub metrics: Batch,
    /// Counted on the tenant's item and the user's.
    pub counters: BTreeMap<String, i64>,
    /// Counted on the tenant's item only (per-user breakdowns an admin reads in one query).
    pub tenant_counters: BTreeMap<String, i64>,
    /// Calls to dependencies, for the response's `Server-Timing`.
    pub timings: super::timing::Timings,
}

/// A running scope (shared by the futures of one request).
#[derive(Debug, Clone, Default)]
pub struct Scope(Arc<Mutex<Recorded>>);

impl Scope {
    fn new(function: &'static str) -> Self {
        Self(Arc::new(Mutex::new(Recorded {
            function,
            ..Default::default()
        })))
    }

    /// Runs `fut` in this scope: for work a library moves to another task (the MCP server's
    /// handlers), found in the request's extensions.
    pub async fn enter<F: Future>(self, fut: F) -> F::Output {
        CURRENT.scope(self, fut).await
    }

    fn take(&self) -> Recorded {
        let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let function = state.function;
        std::mem::replace(
            &mut *state,
            Recorded {
                function,
                ..Default::default()
            },
        )
    }
}

/// Runs `f` on the current scope's state; outside any scope nothing is recorded.
pub(crate) fn with<R>(f: impl FnOnce(&mut Recorded) -> R) -> Option<R> {
    CURRENT
        .try_with(|scope| f(&mut scope.0.lock().unwrap_or_else(|p| p.into_inner())))
        .ok()
}

/// Flushes scopes: EMF to stdout, counters to DynamoDB. Built once per cold start.
#[derive(Debug, Clone)]
pub struct Telemetry {
    function: &'static str,
    namespace: Arc<str>,
    store: Store,
}

impl Telemetry {
    /// `function` is the logical function name (the `Function` dimension and the `api.<function>`
    /// counters): `airtable`, `chat`, `file-processor`, …
    pub fn new(function: &'static str, config: &Config, store: Store) -> Self {
        Self {
            function,
            namespace: config.metrics_namespace.as_str().into(),
            store,
        }
    }

    pub fn function(&self) -> &'static str {
        self.function
    }

    /// The CloudWatch namespace of the metrics.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Runs `fut` in a scope of its own and flushes it when it ends (one queue message, one job,
    /// a task spawned away from its request).
    ///
    /// Boxed: event handlers nest deep futures, and a box keeps their types shallow.
    pub fn run<'a, F>(&'a self, fut: F) -> futures::future::BoxFuture<'a, F::Output>
    where
        F: Future + Send + 'a,
        F::Output: Send,
    {
        Box::pin(async move {
            let scope = Scope::new(self.function);
            let out = CURRENT.scope(scope.clone(), fut).await;
            self.flush(&scope).await;
            out
        })
    }

    /// The layer that gives every matched route of a Router its scope (and records the request's
    /// count, latency and status class). Apply with `Router::route_layer`.
    pub fn http_layer(
        &self,
    ) -> axum::middleware::FromFnLayer<fn_http::Fn, Telemetry, (State<Telemetry>, Request)> {
        axum::middleware::from_fn_with_state(self.clone(), fn_http::http as fn_http::Fn)
    }

    /// Writes a finished scope: its metrics as EMF now, its usage counters before returning.
    async fn flush(&self, scope: &Scope) {
        if let Some(writes) = self.emit(scope) {
            futures::future::join_all(writes.iter().map(|w| write_counters(&self.store, w))).await;
        }
    }

    /// Writes a finished request's metrics as EMF and hands its usage counters to the
    /// instance's writer ([`Usage`]): the response does not wait for them.
    fn flush_later(&self, scope: &Scope) {
        if let Some(writes) = self.emit(scope) {
            Usage::global().add(&self.store, writes);
        }
    }

    /// The scope's metrics written as EMF lines; its counter updates, per counter item.
    fn emit(&self, scope: &Scope) -> Option<Vec<Counters>> {
        let mut state = scope.take();
        // The first flush of this process is its cold start.
        static WARM: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if !WARM.swap(true, std::sync::atomic::Ordering::Relaxed) {
            state.metrics.add(
                super::emf::Family::Lambda,
                &[],
                "ColdStarts",
                super::emf::Unit::Count,
                1.0,
            );
        }
        if !state.metrics.is_empty() {
            // Not dimensions: searchable properties that tie the metrics to the request's logs.
            let (trace, request) = (xray_trace_id(), crate::request::current_request_id());
            let extra: Vec<(&str, &str)> = [
                ("traceId", trace.as_deref()),
                ("requestId", request.as_deref()),
            ]
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect();
            for line in state.metrics.lines(
                &self.namespace,
                self.function,
                crate::time::now_ms(),
                &extra,
            ) {
                super::emf::write_line(&line);
            }
            state.metrics.aggregate(self.function);
        }
        let tenant = state.tenant?;
        if state.counters.is_empty() && state.tenant_counters.is_empty() {
            return None;
        }
        let hour = hour_now();
        let mut on_tenant = state.counters.clone();
        for (k, v) in &state.tenant_counters {
            *on_tenant.entry(k.clone()).or_default() += v;
        }
        let mut writes = vec![Counters {
            key: keys::stats_hour(&tenant, &hour),
            hour: hour.clone(),
            counts: on_tenant,
        }];
        if let Some(user) = &state.user {
            writes.push(Counters {
                key: keys::user_stats_hour(&tenant, user, &hour),
                hour,
                counts: state.counters,
            });
        }
        Some(writes)
    }
}

/// Counts to add to one hourly counter item.
struct Counters {
    key: Key,
    hour: String,
    counts: BTreeMap<String, i64>,
}

/// Adds to one hourly counter item (`ADD` is atomic: concurrent writers sum exactly). A failure
/// is logged, never the request's: usage figures are worth less than the request they describe.
async fn write_counters(store: &Store, w: &Counters) {
    let ttl = crate::time::now_epoch() + COUNTER_RETENTION_DAYS * 86_400;
    let sets = [
        ("entity", s("stats")),
        ("period", s(&w.hour)),
        ("ttl", n(ttl)),
    ];
    if let Err(e) = store.add_counters(&w.key, &w.counts, &sets).await {
        tracing::warn!(error = %e, "could not record usage counters");
    }
}

/// The usage counters of this instance's finished requests, not yet written. A request adds its
/// counts and answers; one writer task per instance drains them right away, merging what many
/// requests added to the same hourly item into one `UpdateItem`. Nothing is lost when the
/// instance is frozen (the writer carries on when it is thawed) or shut down: the Lambda
/// entry points settle it on SIGTERM ([`settle`]), and a read of usage settles it first.
struct Usage {
    state: Mutex<Pending>,
    idle: tokio::sync::Notify,
}

#[derive(Default)]
struct Pending {
    /// By table, partition and sort key.
    items: BTreeMap<(String, String, String), (Store, Counters)>,
    writing: bool,
}

impl Usage {
    fn global() -> &'static Usage {
        static USAGE: std::sync::OnceLock<Usage> = std::sync::OnceLock::new();
        USAGE.get_or_init(|| Usage {
            state: Mutex::new(Pending::default()),
            idle: tokio::sync::Notify::new(),
        })
    }

    fn add(&'static self, store: &Store, writes: Vec<Counters>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        for w in writes {
            let (_, slot) = state
                .items
                .entry((store.table().to_owned(), w.key.pk.clone(), w.key.sk.clone()))
                .or_insert_with(|| {
                    let empty = Counters {
                        key: w.key,
                        hour: w.hour,
                        counts: BTreeMap::new(),
                    };
                    (store.clone(), empty)
                });
            for (name, by) in w.counts {
                *slot.counts.entry(name).or_default() += by;
            }
        }
        if !state.writing {
            state.writing = true;
            tokio::spawn(self.write());
        }
    }

    /// Writes what is pending until nothing is.
    async fn write(&'static self) {
        loop {
            let batch = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                if state.items.is_empty() {
                    state.writing = false;
                    self.idle.notify_waiters();
                    return;
                }
                std::mem::take(&mut state.items)
            };
            futures::future::join_all(batch.values().map(|(store, w)| write_counters(store, w)))
                .await;
        }
    }

    fn is_idle(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        !state.writing && state.items.is_empty()
    }
}

/// Waits (at most `limit`) until every usage counter of this instance's finished requests is
/// written: before reading usage back, and when the instance shuts down. True when it is.
pub async fn settle(limit: std::time::Duration) -> bool {
    let usage = Usage::global();
    let wait = async {
        loop {
            let idle = usage.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if usage.is_idle() {
                return;
            }
            idle.await;
        }
    };
    tokio::time::timeout(limit, wait).await.is_ok()
}

/// The X-Ray trace id of the current invocation: the Lambda runtime sets `_X_AMZN_TRACE_ID` for
/// each one (read per flush on purpose — it changes with every invocation).
fn xray_trace_id() -> Option<String> {
    std::env::var("_X_AMZN_TRACE_ID")
        .ok()
        .filter(|v| !v.is_empty())
}

/// The hour `2026-12-01T07` (UTC) of now: the period of the counter items.
pub fn hour_now() -> String {
    hour_of(crate::time::now_epoch())
}

/// The hour `2026-12-01T07` (UTC) of an epoch instant.
pub fn hour_of(epoch: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(epoch)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour()
    )
}

/// The HTTP middleware (a named fn type, so the layer's type can be spelled).
pub mod fn_http {
    use super::*;

    pub type Fn = fn(
        State<Telemetry>,
        Request,
        Next,
    ) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>>;

    pub fn http(
        State(t): State<Telemetry>,
        req: Request,
        next: Next,
    ) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>> {
        Box::pin(async move {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "unmatched".into());
            let started = Instant::now();
            let scope = Scope::new(t.function);
            let mut req = req;
            req.extensions_mut().insert(scope.clone());
            let mut res = CURRENT.scope(scope.clone(), next.run(req)).await;
            let timing = {
                let state = scope.0.lock().unwrap_or_else(|p| p.into_inner());
                state
                    .timings
                    .header(started, super::super::timing::detail())
            };
            if let Some(v) = timing.and_then(|v| axum::http::HeaderValue::from_str(&v).ok()) {
                res.headers_mut().insert(super::super::timing::HEADER, v);
            }
            let status = res.status().as_u16();
            CURRENT.sync_scope(scope.clone(), || {
                super::super::record::http_request(t.function, &route, status, started.elapsed())
            });
            t.flush_later(&scope);
            res
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn hours_are_utc_and_sort_as_text() {
        assert_eq!(hour_of(0), "1970-01-01T00");
        assert_eq!(hour_of(1_764_572_400), "2025-12-01T07");
        assert!(hour_of(1_764_572_400) < hour_of(1_764_572_400 + 3600));
    }

    #[tokio::test]
    async fn events_land_in_the_scope_they_happen_in_and_nowhere_else() {
        let scope = Scope::new("unit");
        CURRENT
            .scope(scope.clone(), async {
                super::super::record::airtable_records(3, 2);
                super::super::record::airtable_records(1, 0);
            })
            .await;
        // Outside a scope nothing is recorded (and nothing fails).
        super::super::record::airtable_records(100, 100);
        let state = scope.take();
        assert_eq!(state.counters.get("records.read"), Some(&4));
        assert_eq!(state.counters.get("records.written"), Some(&2));
        assert!(scope.take().counters.is_empty(), "taking empties the scope");
    }

    #[tokio::test]
    async fn every_event_emits_only_catalogued_metrics_and_every_catalogued_metric_is_emitted() {
        use super::super::record as r;
        let scope = Scope::new("unit");
        let hours = Duration::from_millis(5);
        CURRENT
            .scope(scope.clone(), async {
                r::http_request("unit", "/x", 503, hours);
                r::airtable_request(Some("appA"), Some(429), hours);
                r::limiter_wait(Some("appA"), hours);
                r::cache_lookup(true);
                r::cache_lookup(false);
                r::llm_call("m", 1, 2, 3);
                r::tool_call("get_records", false);
                r::saga_outcome("bulk_update", "compensation_failed");
                r::workflow_run("failed");
                r::file_processed(false);
                r::queue_message_age(Some("1"));
            })
            .await;
        let state = scope.take();
        let lines = state.metrics.lines("ns", "unit", 0, &[]);
        let docs: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut emitted: Vec<String> = docs
            .iter()
            .flat_map(|d| d["_aws"]["CloudWatchMetrics"].as_array().unwrap().clone())
            .flat_map(|d| d["Metrics"].as_array().unwrap().clone())
            .map(|m| m["Name"].as_str().unwrap().to_owned())
            .collect();
        emitted.sort();
        emitted.dedup();
        let mut catalogue: Vec<String> = super::super::emf::METRIC_NAMES
            .iter()
            .filter(|n| **n != "ColdStarts")
            .map(|n| n.to_string())
            .collect();
        catalogue.sort();
        assert_eq!(emitted, catalogue);
        assert_eq!(state.counters["airtable.throttled"], 1);
        assert_eq!(state.counters["api.unit.5xx"], 1);
        assert_eq!(state.counters["sagas.compensation_failed"], 1);
    }
}
