//! A workflow's definition — `{name, trigger, steps}` — and its validation on save: unknown step
//! types and tools, arguments a tool does not take, references to steps that cannot have run,
//! bad schedules and out-of-range limits are all 422s naming the path of the problem
//! (`steps[1].then[0].input.url`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::schedule::Schedule;
use super::template;
use platform::error::{ApiError, FieldError};
use platform::ids::BaseId;

/// Steps in one workflow, nested ones included.
pub const MAX_STEPS: usize = 50;
/// Iterations of one `for_each`.
pub const MAX_ITEMS: usize = 100;
/// The longest `delay`, and the longest a run may take.
pub const MAX_DELAY_SECS: u64 = 3600;
pub const MAX_TIMEOUT_SECS: u64 = 3600;
pub const DEFAULT_TIMEOUT_SECS: u64 = 900;
/// Attempts of a step that fails transiently.
pub const MAX_ATTEMPTS: u32 = 5;
/// Size of a saved definition (it is copied into every execution).
pub const MAX_DEFINITION_BYTES: usize = 64 * 1024;

/// Step types that are not tools of the registry.
pub const BUILT_IN: &[&str] = &[
    "condition",
    "for_each",
    "delay",
    "transform",
    "http_request",
    "llm_prompt",
    "log",
];

/// What a workflow is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Definition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub trigger: Trigger,
    pub steps: Vec<Step>,
    /// How long one run may take, delays included (default 900 s, at most 3600 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
}

/// When a workflow runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// `POST /api/v1/workflows/{id}/trigger {data}`.
    Manual,
    /// A cron (`0 9 * * 1-5`) or a rate (`5 minutes`), in `timezone` (default UTC).
    Schedule {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cron: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rate: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timezone: Option<String>,
    },
    /// A file finished processing; optionally only of a type (`csv`) or a name pattern
    /// (`orders-*.csv`, `*` and `?` wildcards, case-insensitive).
    #[serde(rename_all = "camelCase")]
    FileProcessed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name_pattern: Option<String>,
    },
    /// `POST /api/v1/hooks/{workflowId}` signed with the workflow's secret.
    Webhook,
    /// Records created (or modified, through a Last Modified Time field) since the last poll.
    #[serde(rename_all = "camelCase")]
    RecordMatches {
        base_id: BaseId,
        table: String,
        /// `created` (default) or `modified`.
        #[serde(default)]
        on: RecordEvent,
        /// The Last Modified Time field (`modified` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        /// Only records this formula also matches.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter_by_formula: Option<String>,
        /// How often to look (a rate, default `5 minutes`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        every: Option<String>,
    },
}

/// What a `record_matches` trigger looks for.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum RecordEvent {
    #[default]
    Created,
    Modified,
}

impl Trigger {
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule { .. } => "schedule",
            Trigger::FileProcessed { .. } => "file_processed",
            Trigger::Webhook => "webhook",
            Trigger::RecordMatches { .. } => "record_matches",
        }
    }

    /// The EventBridge schedule this trigger needs: its own for `schedule`, the polling interval
    /// for `record_matches`, none for the others.
    pub fn schedule(&self) -> Result<Option<Schedule>, (String, String)> {
        let bad =
            |field: &str, e: super::schedule::ScheduleError| (format!("trigger.{field}"), e.0);
        match self {
            Trigger::Schedule {
                cron,
                rate,
                timezone,
            } => match (cron, rate) {
                (Some(c), None) => Schedule::cron(c, timezone.as_deref())
                    .map(Some)
                    .map_err(|e| bad("cron", e)),
                (None, Some(r)) => Schedule::rate(r, timezone.as_deref())
                    .map(Some)
                    .map_err(|e| bad("rate", e)),
                _ => Err((
                    "trigger".into(),
                    "a schedule has either `cron` or `rate`".into(),
                )),
            },
            Trigger::RecordMatches { every, .. } => {
                Schedule::rate(every.as_deref().unwrap_or("5 minutes"), None)
                    .map(Some)
                    .map_err(|e| bad("every", e))
            }
            _ => Ok(None),
        }
    }
}

/// One step. `type` is a tool of the registry or a built-in type; built-ins take their own
/// fields (`if`/`then`/`else`, `items`/`steps`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub input: Value,
    /// `condition`: the test.
    #[serde(rename = "if", default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// `condition`: steps when the test holds / does not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub then: Vec<Step>,
    #[serde(rename = "else", default, skip_serializing_if = "Vec::is_empty")]
    pub otherwise: Vec<Step>,
    /// `for_each`: the list (usually a template) and the steps run for each item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// `for_each`: at most this many items (default and maximum 100); more fail the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<usize>,
    /// A failure of this step does not stop the run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub continue_on_error: bool,
    /// Attempts when the step fails transiently (rate limits, 5xx, timeouts); default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retry {
    pub attempts: u32,
    /// The first wait; each next one doubles (default 1 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_seconds: Option<f64>,
}

/// A `condition`'s test: a comparison, or `all` / `any` of tests.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Condition {
    All {
        all: Vec<Condition>,
    },
    Any {
        any: Vec<Condition>,
    },
    Compare {
        left: Value,
        op: Op,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        right: Option<Value>,
    },
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Op {
    Equals,
    NotEquals,
    Contains,
    NotContains,
    GreaterThan,
    GreaterOrEqual,
    LessThan,
    LessOrEqual,
    Exists,
    NotExists,
    /// `right` is a regular expression matched against `left` as text.
    Regex,
}

impl Op {
    fn takes_right(self) -> bool {
        !matches!(self, Op::Exists | Op::NotExists)
    }
}

impl Step {
    /// Whether running this step twice could write twice (tools that add records, HTTP calls
    /// other than GET/HEAD, model calls that cost money).
    pub fn repeatable(&self) -> bool {
        match self.kind.as_str() {
            "condition" | "for_each" | "delay" | "transform" | "log" => true,
            "http_request" => {
                let method = self
                    .input
                    .get("method")
                    .and_then(Value::as_str)
                    .unwrap_or("GET")
                    .to_uppercase();
                matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS")
            }
            "llm_prompt" => false,
            tool => tools::spec(tool).is_some_and(|s| s.hints.idempotent),
        }
    }

    /// The children of a container step.
    pub fn children(&self) -> impl Iterator<Item = &Step> {
        self.then
            .iter()
            .chain(self.otherwise.iter())
            .chain(self.steps.iter())
    }
}

fn invalid(errors: &mut Vec<FieldError>, path: impl Into<String>, message: impl Into<String>) {
    errors.push(FieldError::new(path, message));
}

/// Where a step sits: its path, and the `for_each` steps around it.
struct Scope<'a> {
    /// Ids of steps that have run before this point, with the `for_each` each belongs to.
    seen: HashMap<&'a str, Option<&'a str>>,
    count: usize,
}

/// Checks a definition; `Ok` carries its schedule (if its trigger has one).
pub fn validate(def: &Definition) -> Result<Option<Schedule>, ApiError> {
    let mut errors = Vec::new();
    let name = def.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        invalid(&mut errors, "name", "must be 1 to 100 characters");
    }
    if def
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 1000)
    {
        invalid(
            &mut errors,
            "description",
            "must be at most 1000 characters",
        );
    }
    let timeout = def.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if timeout == 0 || timeout > MAX_TIMEOUT_SECS {
        invalid(
            &mut errors,
            "timeoutSeconds",
            format!("must be between 1 and {MAX_TIMEOUT_SECS}"),
        );
    }
    if serde_json::to_vec(def)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
        > MAX_DEFINITION_BYTES
    {
        invalid(
            &mut errors,
            "steps",
            format!(
                "the definition must be under {} KB",
                MAX_DEFINITION_BYTES / 1024
            ),
        );
    }
    let schedule = match def.trigger.schedule() {
        Ok(s) => s,
        Err((path, message)) => {
            invalid(&mut errors, path, message);
            None
        }
    };
    match &def.trigger {
        Trigger::FileProcessed {
            file_type: Some(t), ..
        } if !files_core::KINDS.iter().any(|k| k.0 == t.as_str()) => invalid(
            &mut errors,
            "trigger.fileType",
            format!(
                "must be one of {}",
                files_core::KINDS
                    .iter()
                    .map(|k| k.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Trigger::RecordMatches {
            table, on, field, ..
        } => {
            if table.trim().is_empty() {
                invalid(
                    &mut errors,
                    "trigger.table",
                    "name or id of the table to watch",
                );
            }
            if *on == RecordEvent::Modified && field.as_deref().is_none_or(|f| f.trim().is_empty())
            {
                invalid(
                    &mut errors,
                    "trigger.field",
                    "watching modified records needs the table's Last Modified Time field",
                );
            }
        }
        _ => {}
    }
    if def.steps.is_empty() {
        invalid(&mut errors, "steps", "a workflow needs at least one step");
    }
    let mut scope = Scope {
        seen: HashMap::new(),
        count: 0,
    };
    check_steps(&def.steps, "steps", &[], timeout, &mut scope, &mut errors);
    if scope.count > MAX_STEPS {
        invalid(
            &mut errors,
            "steps",
            format!("at most {MAX_STEPS} steps, nested ones included"),
        );
    }
    if errors.is_empty() {
        Ok(schedule)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn check_steps<'a>(
    steps: &'a [Step],
    path: &str,
    loops: &[&'a str],
    timeout: u64,
    scope: &mut Scope<'a>,
    errors: &mut Vec<FieldError>,
) {
    for (i, step) in steps.iter().enumerate() {
        let at = format!("{path}[{i}]");
        scope.count += 1;
        check_step(step, &at, loops, timeout, scope, errors);
        // Later steps may refer to this one (unless it runs inside a loop they are not in).
        scope.seen.insert(step.id.as_str(), loops.last().copied());
    }
}

/// A workspace secret's name: a letter, then letters, digits and `_` (64 at most).
pub fn is_secret_name(name: &str) -> bool {
    name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every `{{secrets.NAME}}` a definition uses, with where (only `http_request` inputs may).
pub fn secret_references(def: &Definition) -> Vec<(String, String)> {
    fn walk(steps: &[Step], path: &str, out: &mut Vec<(String, String)>) {
        for (i, step) in steps.iter().enumerate() {
            let at = format!("{path}[{i}]");
            if step.kind == "http_request" {
                let mut refs = Vec::new();
                if template::references(&step.input, &format!("{at}.input"), &mut refs).is_ok() {
                    out.extend(
                        refs.into_iter()
                            .filter(|(_, r)| r[0] == "secrets" && r.len() == 2)
                            .map(|(p, r)| (p, r[1].clone())),
                    );
                }
            }
            walk(&step.then, &format!("{at}.then"), out);
            walk(&step.otherwise, &format!("{at}.else"), out);
            walk(&step.steps, &format!("{at}.steps"), out);
        }
    }
    let mut out = Vec::new();
    walk(&def.steps, "steps", &mut out);
    out
}

fn check_refs(
    value: &Value,
    path: &str,
    loops: &[&str],
    scope: &Scope<'_>,
    errors: &mut Vec<FieldError>,
) {
    check_refs_with(value, path, loops, scope, errors, false)
}

fn check_refs_with(
    value: &Value,
    path: &str,
    loops: &[&str],
    scope: &Scope<'_>,
    errors: &mut Vec<FieldError>,
    secrets: bool,
) {
    let mut refs = Vec::new();
    if let Err((p, e)) = template::references(value, path, &mut refs) {
        invalid(errors, p, e.0);
        return;
    }
    for (p, r) in refs {
        let root = r[0].as_str();
        let problem = match root {
            "trigger" | "now" => None,
            "secrets" if !secrets => Some("workspace secrets can only be used in an http_request step (its url, headers or body)".into()),
            "secrets" => (r.len() != 2 || !is_secret_name(&r[1])).then(|| "use secrets.NAME (letters, digits and _)".to_owned()),
            "workflow" | "execution" => (r.len() != 2
                || !matches!((root, r[1].as_str()), ("workflow", "id" | "name") | ("execution", "id")))
            .then(|| format!("`{}` is not known; use workflow.id, workflow.name or execution.id", r.join("."))),
            "item" | "index" => loops.is_empty().then(|| format!("`{root}` is only known inside a for_each")),
            "steps" => match r.get(1).map(String::as_str) {
                None => Some("name a step: steps.<id>.output".into()),
                Some(id) => match scope.seen.get(id) {
                    None => Some(format!("step `{id}` does not run before this one")),
                    Some(Some(l)) if !loops.contains(l) => {
                        Some(format!("step `{id}` runs once per item of `{l}`; refer to steps.{l}.output instead"))
                    }
                    Some(_) => match r.get(2).map(String::as_str) {
                        None | Some("output" | "status" | "error") => None,
                        Some(other) => Some(format!("a step has output, status and error, not `{other}`")),
                    },
                },
            },
            other => Some(format!(
                "unknown reference `{other}`; use trigger, steps.<id>.output, item, index, workflow, execution, now or secrets.NAME"
            )),
        };
        if let Some(m) = problem {
            invalid(errors, p, m);
        }
    }
}

fn check_condition(
    c: &Condition,
    path: &str,
    loops: &[&str],
    scope: &Scope<'_>,
    errors: &mut Vec<FieldError>,
) {
    match c {
        Condition::All { all: list } | Condition::Any { any: list } => {
            if list.is_empty() {
                invalid(errors, path, "an empty group");
            }
            let key = if matches!(c, Condition::All { .. }) {
                "all"
            } else {
                "any"
            };
            for (i, c) in list.iter().enumerate() {
                check_condition(c, &format!("{path}.{key}[{i}]"), loops, scope, errors);
            }
        }
        Condition::Compare { left, op, right } => {
            check_refs(left, &format!("{path}.left"), loops, scope, errors);
            match (op.takes_right(), right) {
                (true, None) => invalid(
                    errors,
                    format!("{path}.right"),
                    "this operator compares with `right`",
                ),
                (false, Some(_)) => invalid(
                    errors,
                    format!("{path}.right"),
                    "exists/notExists take no `right`",
                ),
                (_, Some(r)) => {
                    check_refs(r, &format!("{path}.right"), loops, scope, errors);
                    if *op == Op::Regex
                        && let Some(p) = r.as_str().filter(|p| !p.contains("{{"))
                        && let Err(e) = regex_lite::Regex::new(p)
                    {
                        invalid(
                            errors,
                            format!("{path}.right"),
                            format!("not a valid regular expression: {e}"),
                        );
                    }
                }
                (false, None) => {}
            }
        }
    }
}

fn check_step<'a>(
    step: &'a Step,
    at: &str,
    loops: &[&'a str],
    timeout: u64,
    scope: &mut Scope<'a>,
    errors: &mut Vec<FieldError>,
) {
    let id_ok = step.id.len() <= 40
        && step
            .id
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && step
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !id_ok {
        invalid(
            errors,
            format!("{at}.id"),
            "1 to 40 letters, digits or _, starting with a letter",
        );
    } else if scope.seen.contains_key(step.id.as_str()) {
        invalid(
            errors,
            format!("{at}.id"),
            format!(
                "`{}` is used by another step; ids are unique in a workflow",
                step.id
            ),
        );
    }
    if let Some(r) = step.retry
        && (r.attempts == 0
            || r.attempts > MAX_ATTEMPTS
            || r.backoff_seconds
                .is_some_and(|b| !(0.0..=30.0).contains(&b)))
    {
        invalid(
            errors,
            format!("{at}.retry"),
            format!("attempts 1 to {MAX_ATTEMPTS}, backoffSeconds 0 to 30"),
        );
    }
    let kind = step.kind.as_str();
    let is_container = matches!(kind, "condition" | "for_each");
    if !is_container
        && (step.condition.is_some() || !step.then.is_empty() || !step.otherwise.is_empty())
    {
        invalid(
            errors,
            format!("{at}.if"),
            "only a condition step has if/then/else",
        );
    }
    if kind != "for_each"
        && (step.items.is_some() || !step.steps.is_empty() || step.max_items.is_some())
    {
        invalid(
            errors,
            format!("{at}.items"),
            "only a for_each step has items/steps/maxItems",
        );
    }
    let input = format!("{at}.input");
    match kind {
        "condition" => {
            match &step.condition {
                Some(c) => check_condition(c, &format!("{at}.if"), loops, scope, errors),
                None => invalid(errors, format!("{at}.if"), "a condition needs `if`"),
            }
            if step.then.is_empty() && step.otherwise.is_empty() {
                invalid(
                    errors,
                    format!("{at}.then"),
                    "a condition needs steps in `then` or `else`",
                );
            }
            check_steps(
                &step.then,
                &format!("{at}.then"),
                loops,
                timeout,
                scope,
                errors,
            );
            check_steps(
                &step.otherwise,
                &format!("{at}.else"),
                loops,
                timeout,
                scope,
                errors,
            );
        }
        "for_each" => {
            match &step.items {
                Some(items) => check_refs(items, &format!("{at}.items"), loops, scope, errors),
                None => invalid(
                    errors,
                    format!("{at}.items"),
                    "a for_each needs `items` (a list or a template giving one)",
                ),
            }
            if step.max_items.is_some_and(|m| m == 0 || m > MAX_ITEMS) {
                invalid(
                    errors,
                    format!("{at}.maxItems"),
                    format!("between 1 and {MAX_ITEMS}"),
                );
            }
            if step.steps.is_empty() {
                invalid(
                    errors,
                    format!("{at}.steps"),
                    "a for_each needs steps to run for each item",
                );
            }
            let mut inner = loops.to_vec();
            inner.push(step.id.as_str());
            check_steps(
                &step.steps,
                &format!("{at}.steps"),
                &inner,
                timeout,
                scope,
                errors,
            );
        }
        "delay" => match step.input.get("seconds").and_then(Value::as_u64) {
            Some(s) if (1..=MAX_DELAY_SECS).contains(&s) && s < timeout => {}
            _ => invalid(
                errors,
                format!("{input}.seconds"),
                format!(
                    "whole seconds, 1 to {MAX_DELAY_SECS} and less than the workflow's timeout"
                ),
            ),
        },
        "transform" => {
            if step.input.is_null() {
                invalid(
                    errors,
                    &input,
                    "the value to produce (any JSON, with templates)",
                );
            }
        }
        "http_request" => {
            let method = step
                .input
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or("GET");
            if !["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
                .contains(&method.to_uppercase().as_str())
            {
                invalid(
                    errors,
                    format!("{input}.method"),
                    "GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS",
                );
            }
            match step.input.get("url").and_then(Value::as_str) {
                Some(u)
                    if u.starts_with("{{")
                        || u.starts_with("https://")
                        || u.starts_with("http://") => {}
                _ => invalid(errors, format!("{input}.url"), "an http(s) URL"),
            }
            if step
                .input
                .get("timeoutSeconds")
                .is_some_and(|t| t.as_u64().is_none_or(|t| t == 0 || t > 30))
            {
                invalid(errors, format!("{input}.timeoutSeconds"), "1 to 30");
            }
            if step.input.get("headers").is_some_and(|h| !h.is_object()) {
                invalid(
                    errors,
                    format!("{input}.headers"),
                    "an object of header names to values",
                );
            }
            check_keys(
                &step.input,
                &input,
                &["method", "url", "headers", "body", "timeoutSeconds"],
                errors,
            );
        }
        "llm_prompt" => {
            if step
                .input
                .get("prompt")
                .and_then(Value::as_str)
                .is_none_or(|p| p.trim().is_empty())
            {
                invalid(
                    errors,
                    format!("{input}.prompt"),
                    "the text to send to the model",
                );
            }
            if step
                .input
                .get("maxTokens")
                .is_some_and(|t| t.as_u64().is_none_or(|t| t == 0 || t > 4096))
            {
                invalid(errors, format!("{input}.maxTokens"), "1 to 4096");
            }
            check_keys(
                &step.input,
                &input,
                &["prompt", "system", "maxTokens"],
                errors,
            );
        }
        "log" => {
            if step.input.get("message").is_none() {
                invalid(errors, format!("{input}.message"), "the text to log");
            }
            if step
                .input
                .get("level")
                .is_some_and(|l| !matches!(l.as_str(), Some("info" | "warn" | "error")))
            {
                invalid(errors, format!("{input}.level"), "info, warn or error");
            }
            check_keys(&step.input, &input, &["message", "level"], errors);
        }
        tool => match tools::spec(tool) {
            None => invalid(
                errors,
                format!("{at}.type"),
                format!(
                    "unknown step type `{tool}`: use a tool ({}) or a built-in step ({})",
                    tools::specs()
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                    BUILT_IN.join(", ")
                ),
            ),
            Some(spec) => {
                if !step.input.is_null() && !step.input.is_object() {
                    invalid(errors, &input, "the tool's arguments, as an object");
                } else {
                    let props: Vec<&str> = spec
                        .input_schema
                        .get("properties")
                        .and_then(Value::as_object)
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    check_keys(&step.input, &input, &props, errors);
                    let required = spec
                        .input_schema
                        .get("required")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for r in required.iter().filter_map(Value::as_str) {
                        if step.input.get(r).is_none() {
                            invalid(
                                errors,
                                format!("{input}.{r}"),
                                format!("{tool} needs `{r}`"),
                            );
                        }
                    }
                }
            }
        },
    }
    if !is_container {
        check_refs_with(
            &step.input,
            &input,
            loops,
            scope,
            errors,
            kind == "http_request",
        );
    }
}

fn check_keys(input: &Value, path: &str, allowed: &[&str], errors: &mut Vec<FieldError>) {
    if let Some(map) = input.as_object() {
        for k in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
            invalid(
                errors,
                format!("{path}.{k}"),
                format!(
                    "not an argument of this step; it takes {}",
                    allowed.join(", ")
                ),
            );
        }
    }
}

/// Matches `*` and `?` wildcards, case-insensitively.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) => a == b && go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(v: Value) -> Result<Definition, serde_json::Error> {
        serde_json::from_value(v)
    }

    fn errors_of(v: Value) -> Vec<(String, String)> {
        match validate(&def(v).unwrap()) {
            Err(ApiError::Validation(e)) => e.into_iter().map(|e| (e.field, e.message)).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_full_workflow_is_valid() {
        let d = def(json!({
            "name": "New orders",
            "trigger": {"type": "schedule", "cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
            "steps": [
                {"id": "find", "type": "get_records", "input": {"base_id": "appAAAAAAAAAAAAAA", "table": "Orders", "filter_by_formula": "{Status}='New'"}},
                {"id": "any", "type": "condition", "if": {"all": [{"left": "{{steps.find.output.count}}", "op": "greaterThan", "right": 0}]},
                 "then": [{"id": "each", "type": "for_each", "items": "{{steps.find.output.records}}", "steps": [
                     {"id": "mark", "type": "update_record", "input": {"base_id": "appAAAAAAAAAAAAAA", "table": "Orders", "record_id": "{{item.id}}", "fields": {"Status": "Seen {{index}}"}}}
                 ]}],
                 "else": [{"id": "quiet", "type": "log", "input": {"message": "nothing new at {{now}}"}}]},
                {"id": "wait", "type": "delay", "input": {"seconds": 30}},
                {"id": "post", "type": "http_request", "input": {"method": "POST", "url": "https://example.com/hook", "body": {"n": "{{steps.find.output.count}}"}}},
                {"id": "sum", "type": "llm_prompt", "input": {"prompt": "Summarise {{steps.post.output.body}}"}},
                {"id": "out", "type": "transform", "input": {"summary": "{{steps.sum.output.text}}", "run": "{{execution.id}}"}}
            ]
        }))
        .unwrap();
        let schedule = validate(&d).unwrap().unwrap();
        assert_eq!(schedule.aws_expression(), "cron(0 9 ? * MON-FRI *)");
        // Saved and read back unchanged.
        assert_eq!(def(serde_json::to_value(&d).unwrap()).unwrap(), d);
    }

    #[test]
    fn problems_are_reported_with_their_paths() {
        let errs = errors_of(json!({
            "name": "x",
            "trigger": {"type": "schedule", "cron": "0 9 * *"},
            "steps": [
                {"id": "a", "type": "no_such_tool"},
                {"id": "b", "type": "create_record", "input": {"base_id": "appAAAAAAAAAAAAAA", "table": "T", "fields": {"N": "{{steps.later.output.x}}"}, "colour": 1}},
                {"id": "c", "type": "condition", "if": {"left": "{{item.x}}", "op": "equals"}, "then": [{"id": "a", "type": "log", "input": {"message": "{{bogus.x}}"}}]},
                {"id": "later", "type": "delay", "input": {"seconds": 99999}}
            ]
        }));
        let paths: Vec<&str> = errs.iter().map(|(p, _)| p.as_str()).collect();
        for expected in [
            "trigger.cron",
            "steps[0].type",
            "steps[1].input.colour",
            "steps[1].input.fields.N",
            "steps[2].if.left",
            "steps[2].if.right",
            "steps[2].then[0].id",
            "steps[2].then[0].input.message",
            "steps[3].input.seconds",
        ] {
            assert!(
                paths.contains(&expected),
                "{expected} missing from {errs:?}"
            );
        }
    }

    #[test]
    fn loop_steps_are_not_visible_outside_their_loop() {
        let errs = errors_of(json!({
            "name": "x", "trigger": {"type": "manual"},
            "steps": [
                {"id": "each", "type": "for_each", "items": [1, 2], "steps": [{"id": "inner", "type": "transform", "input": {"v": "{{item}}"}}]},
                {"id": "after", "type": "log", "input": {"message": "{{steps.inner.output}}"}}
            ]
        }));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].1.contains("steps.each.output"));
    }

    #[test]
    fn unknown_fields_and_trigger_types_do_not_parse() {
        assert!(def(json!({"name": "x", "trigger": {"type": "sometimes"}, "steps": []})).is_err());
        assert!(def(json!({"name": "x", "trigger": {"type": "manual"}, "steps": [{"id": "a", "type": "log", "colour": 1}]})).is_err());
    }

    #[test]
    fn only_repeatable_steps_may_run_again_after_an_interruption() {
        let step = |kind: &str, input: Value| Step {
            id: "s".into(),
            kind: kind.into(),
            name: None,
            input,
            condition: None,
            then: vec![],
            otherwise: vec![],
            items: None,
            steps: vec![],
            max_items: None,
            continue_on_error: false,
            retry: None,
        };
        assert!(step("get_records", json!({})).repeatable());
        assert!(step("update_record", json!({})).repeatable());
        assert!(!step("create_record", json!({})).repeatable());
        assert!(step("http_request", json!({"url": "https://x"})).repeatable());
        assert!(!step("http_request", json!({"method": "post"})).repeatable());
        assert!(!step("llm_prompt", json!({})).repeatable());
    }

    #[test]
    fn globs_match_names() {
        assert!(glob_matches("orders-*.csv", "Orders-2026.CSV"));
        assert!(glob_matches("report-??.pdf", "report-07.pdf"));
        assert!(!glob_matches("*.csv", "data.xlsx"));
    }

    #[test]
    fn secrets_are_referenced_by_name_in_http_requests_only() {
        let ok = json!({"name": "x", "trigger": {"type": "manual"}, "steps": [
            {"id": "call", "type": "http_request", "input": {"url": "https://api.example.com/{{secrets.PATH_PART}}",
             "headers": {"Authorization": "Bearer {{secrets.CRM_TOKEN}}"}}},
            {"id": "c", "type": "condition", "if": {"left": 1, "op": "exists"}, "then": [
                {"id": "inner", "type": "http_request", "input": {"url": "https://x.example.com", "body": {"k": "{{secrets.OTHER}}"}}}]}
        ]});
        assert!(validate(&def(ok.clone()).unwrap()).is_ok());
        let names: Vec<(String, String)> = secret_references(&def(ok).unwrap());
        assert_eq!(
            names,
            vec![
                ("steps[0].input.url".to_owned(), "PATH_PART".to_owned()),
                (
                    "steps[0].input.headers.Authorization".to_owned(),
                    "CRM_TOKEN".to_owned()
                ),
                (
                    "steps[1].then[0].input.body.k".to_owned(),
                    "OTHER".to_owned()
                ),
            ]
        );
        let leak = json!({"name": "x", "trigger": {"type": "manual"}, "steps": [
            {"id": "w", "type": "create_record", "input": {"base_id": "appAAAAAAAAAAAAAA", "table": "T", "fields": {"Name": "{{secrets.CRM_TOKEN}}"}}},
            {"id": "l", "type": "log", "input": {"message": "{{secrets.CRM_TOKEN}}"}},
            {"id": "h", "type": "http_request", "input": {"url": "https://x.example.com", "body": "{{secrets.bad-name}}"}}
        ]});
        let errs = errors_of(leak);
        assert!(
            errs.iter().any(|(p, m)| p == "steps[0].input.fields.Name"
                && m.contains("only be used in an http_request")),
            "{errs:?}"
        );
        assert!(
            errs.iter().any(|(p, _)| p == "steps[1].input.message"),
            "{errs:?}"
        );
        assert!(
            errs.iter().any(|(p, _)| p == "steps[2].input.body"),
            "{errs:?}"
        );
    }
}
