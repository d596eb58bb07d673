//! Sagas: multi-step changes to Airtable that undo themselves on failure, run by Step Functions
//! (one state machine per type in `statemachines/`). Each step is an SQS task with a task token
//! that `saga-steps` works and answers; the saga item in DynamoDB is the record the API shows
//! (status, steps with timings, results and errors, the compensation log, progress).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::ids::{SagaId, TenantId, UserId};
use crate::store::{Store, StoreError, keys};

/// The saga types and their steps, in order (compensation runs them backwards).
pub const TYPES: &[(&str, &[&str])] =
    &[("import_file", &["prepare", "write_rows"]), ("bulk_update", &["snapshot", "update"]), ("sync_tables", &["plan", "apply"])];

/// The steps of a type.
pub fn steps_of(kind: &str) -> Option<&'static [&'static str]> {
    TYPES.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s)
}

/// Where a saga is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Running,
    Completed,
    Compensating,
    Compensated,
    /// A compensation step failed: something is left to undo (see the log).
    CompensationFailed,
    /// A step failed before anything was changed.
    Failed,
}

impl Status {
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Running | Self::Compensating)
    }
}

/// One step as the record shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub name: String,
    /// `pending`, `running`, `done`, `failed`, `undoing`, `undone`, `undo_failed`.
    pub status: String,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
}

/// One line of the compensation log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogEntry {
    pub step: String,
    /// `undone`, `nothing_to_undo`, `failed`.
    pub outcome: String,
    pub at: String,
    pub detail: String,
}

/// The saga item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Saga {
    pub id: SagaId,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: Status,
    pub input: Value,
    pub steps: Vec<Step>,
    #[serde(default)]
    pub compensation_log: Vec<LogEntry>,
    /// `{done, total}` of the step that reports progress.
    #[serde(default)]
    pub progress: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub cancel_requested: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Saga {
    /// The public view.
    pub fn view(&self) -> Value {
        json!({
            "transactionId": self.id, "type": self.kind, "status": self.status, "input": self.input, "steps": self.steps,
            "compensationLog": self.compensation_log, "progress": self.progress, "error": self.error,
            "cancelRequested": self.cancel_requested, "createdAt": self.created_at, "updatedAt": self.updated_at,
        })
    }
}

/// What the state machine gets as input, and what every step message carries.
pub fn execution_input(tenant: &TenantId, saga: &SagaId) -> Value {
    json!({"transactionId": saga, "tenantId": tenant})
}

/// Starts a saga of `kind`: writes its record, then starts the execution named by its id (a
/// retried start of the same id starts nothing twice). Inputs are checked by the caller.
pub async fn start(
    store: &Store,
    sfn: &aws_sdk_sfn::Client,
    machines: &HashMap<String, String>,
    tenant: &TenantId,
    user: &UserId,
    kind: &str,
    input: Value,
) -> Result<Saga, ApiError> {
    let steps = steps_of(kind).ok_or_else(|| ApiError::invalid("type", "must be import_file, bulk_update or sync_tables"))?;
    let arn = machines.get(kind).ok_or_else(|| ApiError::Unavailable { detail: format!("the {kind} saga is not deployed"), retry_after: None })?;
    let now = crate::time::now_rfc3339();
    let saga = Saga {
        id: SagaId::generate(),
        kind: kind.to_owned(),
        status: Status::Running,
        input,
        steps: steps
            .iter()
            .map(|s| Step { name: (*s).into(), status: "pending".into(), started_at: None, finished_at: None, result: None, error: None })
            .collect(),
        compensation_log: Vec::new(),
        progress: None,
        error: None,
        cancel_requested: false,
        created_by: user.to_string(),
        created_at: now.clone(),
        updated_at: now,
    };
    store.put_new(Store::item(&keys::saga(tenant, &saga.id), "saga", &saga)?).await?;
    let started = sfn
        .start_execution()
        .state_machine_arn(arn)
        .name(saga.id.as_str())
        .input(execution_input(tenant, &saga.id).to_string())
        .send()
        .await;
    if let Err(e) = started {
        let e = aws_sdk_sfn::error::DisplayErrorContext(e).to_string();
        let _ = store.delete(&keys::saga(tenant, &saga.id)).await;
        return Err(ApiError::internal(std::io::Error::other(format!("StartExecution failed: {e}"))));
    }
    Ok(saga)
}

/// Loads a saga of the tenant.
pub async fn load(store: &Store, tenant: &TenantId, id: &SagaId) -> Result<Option<Saga>, StoreError> {
    store.get(&keys::saga(tenant, id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_steps_and_final_statuses_are_final() {
        assert_eq!(steps_of("import_file"), Some(&["prepare", "write_rows"][..]));
        assert!(steps_of("nope").is_none());
        assert!(Status::CompensationFailed.is_final() && !Status::Compensating.is_final());
        assert_eq!(serde_json::to_value(Status::CompensationFailed).unwrap(), "compensation_failed");
    }
}
