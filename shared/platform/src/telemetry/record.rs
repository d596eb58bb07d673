//! The events the platform counts, each recorded once where it happens — as EMF metrics (for
//! operators: low-cardinality dimensions) and as tenant counters (for the analytics API). Outside
//! a scope an event is not recorded.
//!
//! Counter names (attributes of the hourly counter items; the analytics function reads them):
//!
//! | counter | what |
//! |---|---|
//! | `api.<function>.<2xx…5xx>` | requests a tenant's callers made, by function and status class |
//! | `airtable.requests`, `airtable.throttled` | requests sent to Airtable; 429s it answered |
//! | `records.read`, `records.written` | records Airtable returned / wrote |
//! | `cache.hits`, `cache.misses` | reads answered from the response cache / from Airtable |
//! | `llm.calls`, `llm.inputTokens`, `llm.outputTokens`, `llm.costMicros` | model calls |
//! | `llm.model.<model>.<calls…costMicros>` | the same per model |
//! | `llm.user.<userId>.<calls…costMicros>` | the same per user (tenant item only) |
//! | `tools.<function>.<tool>`, `toolErrors.<function>.<tool>` | tool calls by front door (`mcp`, `chat`, `automation-worker`) |
//! | `files.processed`, `files.failed` | uploads the file processor finished |
//! | `workflows.<succeeded\|failed\|cancelled>` | workflow runs by outcome |
//! | `sagas.<completed\|compensated\|compensation_failed\|failed>` | sagas by outcome |

use std::time::{Duration, Instant};

use super::emf::{Family, Unit};
use super::scope::{Recorded, with};
use super::timing::Call;
use crate::ids::{TenantId, UserId};

fn count(state: &mut Recorded, name: String, by: i64) {
    if by != 0 {
        *state.counters.entry(name).or_default() += by;
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The tenant (and user) the current scope's counters belong to. The first attribution wins: a
/// request acts for one caller.
pub fn attribute(tenant: &TenantId, user: &UserId) {
    with(|s| {
        if s.tenant.is_none() {
            s.tenant = Some(tenant.clone());
            s.user = Some(user.clone());
        }
    });
}

/// `2xx`, `4xx`, …
pub fn status_class(status: u16) -> String {
    format!("{}xx", status / 100)
}

/// One API request answered (recorded by the HTTP layer).
pub(crate) fn http_request(function: &str, route: &str, status: u16, latency: Duration) {
    with(|s| {
        let class = status_class(status);
        let dims = [("Route", route), ("StatusClass", class.as_str())];
        s.metrics
            .add(Family::Http, &dims, "Requests", Unit::Count, 1.0);
        s.metrics.add(
            Family::Http,
            &dims,
            "Latency",
            Unit::Milliseconds,
            ms(latency),
        );
        s.metrics.add(
            Family::Http,
            &dims,
            "Errors5xx",
            Unit::Count,
            f64::from(u8::from(status >= 500)),
        );
        s.metrics.add(
            Family::Http,
            &dims,
            "Errors4xx",
            Unit::Count,
            f64::from(u8::from((400..500).contains(&status))),
        );
        count(s, format!("api.{function}.{class}"), 1);
    });
}

/// One request sent to Airtable: its answer's status (`None`: no answer — timeout, network) and
/// how long it took.
pub fn airtable_request(base: Option<&str>, status: Option<u16>, latency: Duration) {
    with(|s| {
        let dims = [("Base", base.unwrap_or("none"))];
        s.metrics.add(
            Family::Airtable,
            &dims,
            "AirtableRequests",
            Unit::Count,
            1.0,
        );
        s.metrics.add(
            Family::Airtable,
            &dims,
            "AirtableLatency",
            Unit::Milliseconds,
            ms(latency),
        );
        let throttled = status == Some(429);
        s.metrics.add(
            Family::Airtable,
            &dims,
            "AirtableThrottled",
            Unit::Count,
            f64::from(u8::from(throttled)),
        );
        count(s, "airtable.requests".into(), 1);
        count(s, "airtable.throttled".into(), i64::from(throttled));
        let end = Instant::now();
        s.timings.push(Call {
            dependency: "airtable",
            start: end.checked_sub(latency).unwrap_or(end),
            end,
        });
    });
}

/// Time spent waiting for the base's (and token's) send slot before a request.
pub fn limiter_wait(base: Option<&str>, waited: Duration) {
    with(|s| {
        s.metrics.add(
            Family::Airtable,
            &[("Base", base.unwrap_or("none"))],
            "LimiterWait",
            Unit::Milliseconds,
            ms(waited),
        )
    });
}

/// Records Airtable returned and wrote in one answer.
pub fn airtable_records(read: u64, written: u64) {
    with(|s| {
        count(s, "records.read".into(), read as i64);
        count(s, "records.written".into(), written as i64);
    });
}

/// One call to a dependency (`ddb`, `s3`, `airtable`, `llm`, …) from `start` to `end`: the
/// request's `Server-Timing`.
pub fn dependency_call(dependency: &'static str, start: Instant, end: Instant) {
    with(|s| {
        s.timings.push(Call {
            dependency,
            start,
            end,
        })
    });
}

/// A read through the response cache.
pub fn cache_lookup(hit: bool) {
    with(|s| {
        if hit {
            s.timings.cache_hits += 1;
        } else {
            s.timings.cache_misses += 1;
        }
        let name = if hit { "CacheHits" } else { "CacheMisses" };
        s.metrics.add(Family::Cache, &[], name, Unit::Count, 1.0);
        count(s, if hit { "cache.hits" } else { "cache.misses" }.into(), 1);
    });
}

/// One model call, settled: tokens and cost (micro-dollars).
pub fn llm_call(model: &str, input_tokens: u64, output_tokens: u64, cost_micros: u64) {
    with(|s| {
        let dims = [("Model", model)];
        s.metrics
            .add(Family::Llm, &dims, "LlmCalls", Unit::Count, 1.0);
        s.metrics.add(
            Family::Llm,
            &dims,
            "LlmInputTokens",
            Unit::Count,
            input_tokens as f64,
        );
        s.metrics.add(
            Family::Llm,
            &dims,
            "LlmOutputTokens",
            Unit::Count,
            output_tokens as f64,
        );
        s.metrics.add(
            Family::Llm,
            &dims,
            "LlmCostUsd",
            Unit::None,
            crate::prices::usd(cost_micros),
        );
        let figures = [
            ("calls", 1),
            ("inputTokens", input_tokens as i64),
            ("outputTokens", output_tokens as i64),
            ("costMicros", cost_micros as i64),
        ];
        for (field, v) in figures {
            count(s, format!("llm.{field}"), v);
            count(s, format!("llm.model.{model}.{field}"), v);
            if let Some(user) = &s.user
                && v != 0
            {
                *s.tenant_counters
                    .entry(format!("llm.user.{user}.{field}"))
                    .or_default() += v;
            }
        }
    });
}

/// One tool call, through whichever front door the scope is (MCP, chat, a workflow step).
pub fn tool_call(tool: &str, ok: bool) {
    with(|s| {
        let dims = [("Tool", tool)];
        s.metrics
            .add(Family::Tool, &dims, "ToolCalls", Unit::Count, 1.0);
        s.metrics.add(
            Family::Tool,
            &dims,
            "ToolErrors",
            Unit::Count,
            f64::from(u8::from(!ok)),
        );
        let function = s.function;
        count(s, format!("tools.{function}.{tool}"), 1);
        count(s, format!("toolErrors.{function}.{tool}"), i64::from(!ok));
    });
}

/// An upload the file processor finished (`ok`: processed, else failed).
pub fn file_processed(ok: bool) {
    with(|s| {
        let outcome = if ok { "processed" } else { "failed" };
        s.metrics.add(
            Family::File,
            &[("Outcome", outcome)],
            "FilesProcessed",
            Unit::Count,
            1.0,
        );
        count(s, format!("files.{outcome}"), 1);
    });
}

/// A workflow run that ended (`succeeded`, `failed`, `cancelled`).
pub fn workflow_run(outcome: &str) {
    with(|s| {
        s.metrics.add(
            Family::Workflow,
            &[("Outcome", outcome)],
            "WorkflowRuns",
            Unit::Count,
            1.0,
        );
        count(s, format!("workflows.{outcome}"), 1);
    });
}

/// A saga that ended (`completed`, `compensated`, `compensation_failed`, `failed`).
pub fn saga_outcome(saga_type: &str, outcome: &str) {
    with(|s| {
        s.metrics.add(
            Family::Saga,
            &[("SagaType", saga_type), ("Outcome", outcome)],
            "SagaOutcomes",
            Unit::Count,
            1.0,
        );
        count(s, format!("sagas.{outcome}"), 1);
    });
}

/// How long a queue message waited between being sent and being handled, from its
/// `SentTimestamp` attribute (epoch milliseconds) when the event carries it.
pub fn queue_message_age(sent_timestamp_ms: Option<&str>) {
    let Some(sent) = sent_timestamp_ms.and_then(|v| v.parse::<i64>().ok()) else {
        return;
    };
    let age = (crate::time::now_ms() - sent).max(0);
    with(|s| {
        s.metrics.add(
            Family::Queue,
            &[],
            "QueueMessageAge",
            Unit::Milliseconds,
            age as f64,
        )
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn status_classes() {
        assert_eq!(super::status_class(204), "2xx");
        assert_eq!(super::status_class(429), "4xx");
        assert_eq!(super::status_class(503), "5xx");
    }
}
