//! The hourly counter items (see `platform::telemetry::record` for the names) read back as the
//! figures the API shows, summed over any set of hours.

use std::collections::BTreeMap;

use platform::store::{AttributeValue, Item};
use serde::Serialize;

/// Counter name → value, for one hour or summed over several.
pub type Counters = BTreeMap<String, i64>;

/// The counters of one item and its hour (`2026-12-01T07`).
pub fn parse_item(item: &Item) -> Option<(String, Counters)> {
    let hour = item.get("period")?.as_s().ok()?.clone();
    let counters = item
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "PK" | "SK" | "entity" | "period" | "ttl"))
        .filter_map(|(k, v)| match v {
            AttributeValue::N(n) => n.parse::<i64>().ok().map(|n| (k.clone(), n)),
            _ => None,
        })
        .collect();
    Some((hour, counters))
}

/// Adds `more` into `into`.
pub fn add(into: &mut Counters, more: &Counters) {
    for (k, v) in more {
        *into.entry(k.clone()).or_default() += v;
    }
}

fn get(c: &Counters, name: &str) -> u64 {
    c.get(name).copied().unwrap_or(0).max(0) as u64
}

/// Counters `<prefix><key>` as `key → value`, zeros left out.
fn under(c: &Counters, prefix: &str) -> BTreeMap<String, u64> {
    c.iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(prefix)
                .map(|rest| (rest.to_owned(), (*v).max(0) as u64))
        })
        .filter(|(_, v)| *v > 0)
        .collect()
}

/// API requests by function and status class.
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequests {
    pub total: u64,
    /// `{function: {"2xx": n, "4xx": n, …}}`
    #[schema(value_type = Object)]
    pub by_function: BTreeMap<String, BTreeMap<String, u64>>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AirtableFigures {
    /// Requests sent to Airtable.
    pub requests: u64,
    /// 429s Airtable answered (the pacing exists so that this stays 0).
    pub throttled: u64,
    /// Records Airtable returned.
    pub records_read: u64,
    /// Records Airtable created, updated or deleted.
    pub records_written: u64,
    /// Reads answered by the response cache / sent to Airtable.
    pub cache_hits: u64,
    pub cache_misses: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LlmFigures {
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}

impl LlmFigures {
    fn from(c: &Counters, prefix: &str) -> Self {
        Self {
            calls: get(c, &format!("{prefix}calls")),
            input_tokens: get(c, &format!("{prefix}inputTokens")),
            output_tokens: get(c, &format!("{prefix}outputTokens")),
            cost_usd: platform::prices::usd(get(c, &format!("{prefix}costMicros"))),
        }
    }
}

/// Tool calls of one front door.
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolFigures {
    pub total: u64,
    pub errors: u64,
    /// `{tool: calls}`
    #[schema(value_type = Object)]
    pub by_tool: BTreeMap<String, u64>,
}

impl ToolFigures {
    fn from(c: &Counters, front_door: &str) -> Self {
        let by_tool = under(c, &format!("tools.{front_door}."));
        let errors = under(c, &format!("toolErrors.{front_door}."))
            .values()
            .sum();
        Self {
            total: by_tool.values().sum(),
            errors,
            by_tool,
        }
    }
}

/// What one period (or a whole range) used.
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub api_requests: ApiRequests,
    pub airtable: AirtableFigures,
    pub llm: LlmFigures,
    /// Tool calls through the MCP server.
    pub mcp_tool_calls: ToolFigures,
    /// Tool calls the chat's model made.
    pub chat_tool_calls: ToolFigures,
    /// Tool calls of workflow steps.
    pub workflow_tool_calls: ToolFigures,
    /// `{processed, failed}`
    #[schema(value_type = Object)]
    pub files: BTreeMap<String, u64>,
    /// Workflow runs by outcome: `{succeeded, failed, cancelled}`.
    #[schema(value_type = Object)]
    pub workflow_runs: BTreeMap<String, u64>,
    /// Sagas by outcome: `{completed, compensated, compensation_failed, failed}`.
    #[schema(value_type = Object)]
    pub sagas: BTreeMap<String, u64>,
}

impl Figures {
    pub fn from(c: &Counters) -> Self {
        let mut by_function: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for (rest, v) in under(c, "api.") {
            if let Some((function, class)) = rest.rsplit_once('.') {
                *by_function
                    .entry(function.to_owned())
                    .or_default()
                    .entry(class.to_owned())
                    .or_default() += v;
            }
        }
        let total = by_function.values().flat_map(BTreeMap::values).sum();
        let outcomes = |prefix: &str, all: &[&str]| {
            let mut m: BTreeMap<String, u64> = all.iter().map(|k| ((*k).to_owned(), 0)).collect();
            m.extend(under(c, prefix));
            m
        };
        Self {
            api_requests: ApiRequests { total, by_function },
            airtable: AirtableFigures {
                requests: get(c, "airtable.requests"),
                throttled: get(c, "airtable.throttled"),
                records_read: get(c, "records.read"),
                records_written: get(c, "records.written"),
                cache_hits: get(c, "cache.hits"),
                cache_misses: get(c, "cache.misses"),
            },
            llm: LlmFigures::from(c, "llm."),
            mcp_tool_calls: ToolFigures::from(c, "mcp"),
            chat_tool_calls: ToolFigures::from(c, "chat"),
            workflow_tool_calls: ToolFigures::from(c, "automation-worker"),
            files: outcomes("files.", &["processed", "failed"]),
            workflow_runs: outcomes("workflows.", &["succeeded", "failed", "cancelled"]),
            sagas: outcomes(
                "sagas.",
                &["completed", "compensated", "compensation_failed", "failed"],
            ),
        }
    }

    /// 5xx answers among the API requests.
    pub fn server_errors(&self) -> u64 {
        self.api_requests
            .by_function
            .values()
            .filter_map(|m| m.get("5xx"))
            .sum()
    }
}

/// LLM figures of one model or one user.
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LlmBreakdown {
    /// The model id or the user id.
    pub key: String,
    #[serde(flatten)]
    pub figures: LlmFigures,
}

/// LLM figures per key of `llm.<kind>.<key>.<field>` (`kind`: `model` or `user`), most
/// expensive first. Model ids may hold dots: the field is the last segment.
pub fn llm_by(c: &Counters, kind: &str) -> Vec<LlmBreakdown> {
    let prefix = format!("llm.{kind}.");
    let mut keys: Vec<String> = c
        .keys()
        .filter_map(|k| {
            k.strip_prefix(&prefix)?
                .rsplit_once('.')
                .map(|(key, _)| key.to_owned())
        })
        .collect();
    keys.sort();
    keys.dedup();
    let mut out: Vec<LlmBreakdown> = keys
        .into_iter()
        .map(|key| LlmBreakdown {
            figures: LlmFigures::from(c, &format!("{prefix}{key}.")),
            key,
        })
        .filter(|b| b.figures.calls > 0 || b.figures.cost_usd > 0.0)
        .collect();
    out.sort_by(|a, b| {
        b.figures
            .cost_usd
            .total_cmp(&a.figures.cost_usd)
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(pairs: &[(&str, i64)]) -> Counters {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn counters_become_figures_by_function_tool_and_outcome() {
        let c = counters(&[
            ("api.airtable.2xx", 5),
            ("api.airtable.4xx", 1),
            ("api.mcp.2xx", 2),
            ("airtable.requests", 7),
            ("airtable.throttled", 0),
            ("records.read", 30),
            ("records.written", 25),
            ("tools.mcp.get_records", 2),
            ("toolErrors.mcp.get_records", 1),
            ("tools.chat.list_bases", 1),
            ("llm.calls", 2),
            ("llm.costMicros", 1500),
            ("workflows.succeeded", 3),
            ("sagas.compensation_failed", 1),
        ]);
        let f = Figures::from(&c);
        assert_eq!(f.api_requests.total, 8);
        assert_eq!(f.api_requests.by_function["airtable"]["4xx"], 1);
        assert_eq!(f.airtable.requests, 7);
        assert_eq!(
            (f.airtable.records_read, f.airtable.records_written),
            (30, 25)
        );
        assert_eq!(f.mcp_tool_calls.by_tool["get_records"], 2);
        assert_eq!((f.mcp_tool_calls.total, f.mcp_tool_calls.errors), (2, 1));
        assert_eq!(f.chat_tool_calls.total, 1);
        assert_eq!(f.llm.cost_usd, 0.0015);
        assert_eq!(f.workflow_runs["succeeded"], 3);
        assert_eq!(f.workflow_runs["failed"], 0, "every outcome is listed");
        assert_eq!(f.sagas["compensation_failed"], 1);
    }

    #[test]
    fn models_with_dots_and_colons_are_split_at_the_last_segment() {
        let c = counters(&[
            (
                "llm.model.anthropic.claude-3-5-haiku-20241022-v1:0.calls",
                2,
            ),
            (
                "llm.model.anthropic.claude-3-5-haiku-20241022-v1:0.costMicros",
                300,
            ),
            ("llm.model.gpt-4o-mini.calls", 1),
            ("llm.model.gpt-4o-mini.costMicros", 900),
        ]);
        let by = llm_by(&c, "model");
        assert_eq!(
            by.iter().map(|b| b.key.as_str()).collect::<Vec<_>>(),
            ["gpt-4o-mini", "anthropic.claude-3-5-haiku-20241022-v1:0"]
        );
        assert_eq!(by[1].figures.calls, 2);
    }

    #[test]
    fn items_parse_to_their_hour_and_numbers_only() {
        let item: Item = [
            ("PK", AttributeValue::S("T#x".into())),
            ("SK", AttributeValue::S("STAT#H#2026-12-01T07".into())),
            ("period", AttributeValue::S("2026-12-01T07".into())),
            ("ttl", AttributeValue::N("1".into())),
            ("api.auth.2xx", AttributeValue::N("4".into())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let (hour, c) = parse_item(&item).unwrap();
        assert_eq!(hour, "2026-12-01T07");
        assert_eq!(c, counters(&[("api.auth.2xx", 4)]));
    }
}
