//! The shapes of the workflows API's answers as the OpenAPI document describes them. A workflow
//! and a run are their records' fields side by side, built as JSON (a viewer's copy has
//! credentials masked inside the steps); those types describe, and the black-box suite and
//! schemathesis check every answer against them. `Validated` and `NewSecret` are built as they
//! are.
#![allow(dead_code)]

use platform::ids::WorkflowId;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use workflows_core::{LogEntry, StepRecord};

/// Runs and outcomes of a workflow.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowStats {
    runs: u64,
    successes: u64,
    failures: u64,
    last_run_at: Option<String>,
    #[schema(value_type = Option<String>)]
    last_status: Option<String>,
}

/// `record_matches`: where the watching stands.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Polling {
    since: Option<String>,
    last_poll_at: Option<String>,
    error: Option<String>,
}

/// A webhook trigger: where to send, how to sign; `secret` only when it was just made.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    url: String,
    signature_header: String,
    timestamp_header: String,
    secret: Option<String>,
}

/// A workflow: its definition (`name`, `description`, `trigger`, `steps`, `timeoutSeconds`) and
/// its record.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowView {
    id: String,
    name: String,
    description: Option<String>,
    /// `{type: manual | schedule | file_processed | webhook | record_matches, …}`.
    #[schema(value_type = Object)]
    trigger: Value,
    #[schema(value_type = Vec<Object>)]
    steps: Vec<Value>,
    timeout_seconds: Option<u64>,
    enabled: bool,
    version: u64,
    created_by: String,
    updated_by: String,
    created_at: String,
    updated_at: String,
    stats: WorkflowStats,
    polling: Option<Polling>,
    webhook: Option<Webhook>,
}

#[derive(ToSchema)]
pub struct WorkflowsResponse {
    workflows: Vec<WorkflowView>,
    cursor: Option<String>,
}

/// A run as the history lists it.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSummary {
    execution_id: String,
    workflow_id: String,
    #[schema(value_type = String)]
    status: String,
    /// `{type}`.
    #[schema(value_type = Object)]
    trigger: Value,
    created_at: String,
    finished_at: Option<String>,
    error: Option<String>,
}

#[derive(ToSchema)]
pub struct ExecutionsResponse {
    executions: Vec<ExecutionSummary>,
    cursor: Option<String>,
}

/// A run: every step in the order it ran (input, output, error, attempts, duration) and its log.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionView {
    execution_id: String,
    workflow_id: String,
    #[schema(value_type = String)]
    status: String,
    /// `{type, data}`.
    #[schema(value_type = Object)]
    trigger: Value,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    duration_ms: Option<u64>,
    error: Option<String>,
    dead_lettered: bool,
    cancel_requested: bool,
    steps: Vec<StepRecord>,
    logs: Vec<LogEntry>,
}

/// A run started (or asked to stop).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunAnswer {
    execution_id: String,
    workflow_id: Option<String>,
    #[schema(value_type = String)]
    status: String,
    cancel_requested: Option<bool>,
}

/// A schedule's EventBridge expression and its next runs.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleInfo {
    pub expression: String,
    pub timezone: String,
    pub next_runs: Vec<String>,
}

/// `POST /workflows/validate`'s answer (a problem 422 when it is not valid).
#[derive(Serialize, ToSchema)]
pub struct Validated {
    pub valid: bool,
    /// The trigger's type.
    pub trigger: &'static str,
    /// Steps, nested ones included.
    pub steps: usize,
    pub schedule: Option<ScheduleInfo>,
}

/// A new webhook signing secret, shown this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewSecret {
    pub workflow_id: WorkflowId,
    pub secret: String,
}
