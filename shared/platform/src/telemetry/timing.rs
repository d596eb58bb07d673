//! Where a request's time went, for its `Server-Timing` header (the W3C header browsers show in
//! their devtools): `total`, `app` — our own time, the total less every moment some call to a
//! dependency was outstanding — and per dependency the time, the count of its calls and how
//! many of them waited for one another (`ddb;dur=4.1;desc="3 calls in 2 rounds"`: the desc has no comma, so
//! a client that splits the header on commas reads it whole), plus `cache;desc=hit` when the response cache answered.
//!
//! Calls are recorded in the request's telemetry scope by the AWS SDK interceptor
//! ([`crate::aws`]), the Airtable client and the model providers. The header names dependencies
//! and counts only: never an id, a key or a value.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub use crate::config::ServerTiming as Detail;

/// The response header.
pub const HEADER: &str = "server-timing";

/// This process's [`Detail`], from `SERVER_TIMING` (read once; the configuration refuses a bad
/// value at cold start).
pub fn detail() -> Detail {
    static DETAIL: std::sync::OnceLock<Detail> = std::sync::OnceLock::new();
    *DETAIL.get_or_init(|| {
        Detail::parse(std::env::var("SERVER_TIMING").ok().as_deref()).unwrap_or_default()
    })
}

/// One call to a dependency.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call {
    pub dependency: &'static str,
    pub start: Instant,
    pub end: Instant,
}

/// The timing recorded so far in a scope.
#[derive(Debug, Default)]
pub(crate) struct Timings {
    pub calls: Vec<Call>,
    pub cache_hits: u32,
    pub cache_misses: u32,
}

/// Calls kept per request: a long request (a thousand-record import) keeps counting, but stops
/// keeping intervals past this many.
const MAX_CALLS: usize = 4096;

impl Timings {
    pub fn push(&mut self, call: Call) {
        if self.calls.len() < MAX_CALLS {
            self.calls.push(call);
        }
    }

    /// The header's value for a request that started at `started` and ends now.
    pub fn header(&self, started: Instant, detail: Detail) -> Option<String> {
        let now = Instant::now();
        let total = now.saturating_duration_since(started);
        let mut parts = vec![format!("total;dur={}", millis(total))];
        match detail {
            Detail::Off => return None,
            Detail::Total => return Some(parts.join(", ")),
            Detail::Full => {}
        }
        let waiting = covered(&self.calls, started, now);
        parts.push(format!("app;dur={}", millis(total.saturating_sub(waiting))));
        let mut by_dependency: BTreeMap<&str, Vec<Call>> = BTreeMap::new();
        for c in &self.calls {
            by_dependency.entry(c.dependency).or_default().push(*c);
        }
        for (name, calls) in by_dependency {
            let time: Duration = calls
                .iter()
                .map(|c| c.end.saturating_duration_since(c.start))
                .sum();
            let (count, rounds) = (calls.len(), sequential(calls));
            let noun = if count == 1 { "call" } else { "calls" };
            let round = if rounds == 1 { "round" } else { "rounds" };
            parts.push(format!(
                "{name};dur={};desc=\"{count} {noun} in {rounds} {round}\"",
                millis(time)
            ));
        }
        match (self.cache_hits, self.cache_misses) {
            (0, 0) => {}
            (_, 0) => parts.push("cache;desc=hit".into()),
            (0, _) => parts.push("cache;desc=miss".into()),
            (h, m) => parts.push(format!("cache;desc=\"{h} hit {m} miss\"")),
        }
        Some(parts.join(", "))
    }
}

/// How many of `calls` had to wait for one another: the longest chain of calls each started
/// after the one before it ended (concurrent calls are one round trip).
fn sequential(mut calls: Vec<Call>) -> usize {
    calls.sort_by_key(|c| c.end);
    let mut chain = 0;
    let mut free_from: Option<Instant> = None;
    for c in calls {
        if free_from.is_none_or(|at| c.start >= at) {
            chain += 1;
            free_from = Some(c.end);
        }
    }
    chain
}

/// Milliseconds with one decimal.
fn millis(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// How long, between `from` and `to`, at least one call was outstanding (concurrent calls
/// count once).
fn covered(calls: &[Call], from: Instant, to: Instant) -> Duration {
    let mut spans: Vec<(Instant, Instant)> = calls
        .iter()
        .map(|c| (c.start.max(from), c.end.min(to)))
        .filter(|(a, b)| a < b)
        .collect();
    spans.sort_by_key(|s| s.0);
    let mut total = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (a, b) in spans {
        current = match current {
            Some((s, e)) if a <= e => Some((s, e.max(b))),
            Some((s, e)) => {
                total += e - s;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(dependency: &'static str, base: Instant, from_ms: u64, to_ms: u64) -> Call {
        Call {
            dependency,
            start: base + Duration::from_millis(from_ms),
            end: base + Duration::from_millis(to_ms),
        }
    }

    #[test]
    fn concurrent_calls_count_once_towards_the_time_spent_waiting() {
        let t0 = Instant::now();
        let calls = [
            call("ddb", t0, 0, 10),
            call("ddb", t0, 5, 15),
            call("s3", t0, 20, 30),
        ];
        let end = t0 + Duration::from_millis(40);
        assert_eq!(covered(&calls, t0, end), Duration::from_millis(25));
        assert_eq!(covered(&[], t0, end), Duration::ZERO);
        // Calls outside the request's window count only inside it.
        let early = [call("ddb", t0, 0, 50)];
        let late = t0 + Duration::from_millis(10);
        assert_eq!(covered(&early, late, end), Duration::from_millis(30));
    }

    #[test]
    fn calls_that_wait_for_one_another_are_counted_as_sequential() {
        let t0 = Instant::now();
        // Two side by side, then one after both, then two more side by side: three rounds.
        let calls = vec![
            call("ddb", t0, 0, 10),
            call("ddb", t0, 1, 8),
            call("ddb", t0, 10, 20),
            call("ddb", t0, 21, 30),
            call("ddb", t0, 22, 25),
        ];
        assert_eq!(sequential(calls), 3);
        assert_eq!(sequential(vec![]), 0);
        assert_eq!(sequential(vec![call("ddb", t0, 0, 5)]), 1);
    }

    #[test]
    fn the_header_names_dependencies_with_counts_and_app_time() {
        let t0 = Instant::now() - Duration::from_millis(50);
        let mut t = Timings::default();
        t.push(call("ddb", t0, 0, 10));
        t.push(call("ddb", t0, 5, 15));
        t.push(call("airtable", t0, 20, 40));
        t.cache_misses = 1;
        let header = t.header(t0, Detail::Full).unwrap();
        assert!(header.starts_with("total;dur="), "{header}");
        assert!(
            header.contains("ddb;dur=20.0;desc=\"2 calls in 1 round\""),
            "{header}"
        );
        assert!(
            header.contains("airtable;dur=20.0;desc=\"1 call in 1 round\""),
            "{header}"
        );
        assert!(header.contains("cache;desc=miss"), "{header}");
        let app: f64 = header
            .split(", ")
            .find_map(|p| p.strip_prefix("app;dur="))
            .unwrap()
            .parse()
            .unwrap();
        // 50 ms or a little more in all, 35 of them waiting.
        assert!((15.0..40.0).contains(&app), "{header}");
        assert_eq!(t.header(t0, Detail::Total).unwrap().split(", ").count(), 1);
        assert_eq!(t.header(t0, Detail::Off), None);
        assert!(Detail::parse(Some("loud")).is_err());
        assert_eq!(Detail::parse(None), Ok(Detail::Full));
    }
}
