//! Automation workflows: what the `workflows` API, the `automation-worker` and the
//! `file-processor` share — the definition and its checks, the stored workflow and run records,
//! and how a trigger becomes a run: an execution item (`pending`) plus a job on the automation
//! queue. Every trigger event has an id, so a redelivered event finds its run instead of
//! starting a second one.

pub mod definition;
pub mod schedule;
pub mod secrets;
pub mod template;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use definition::{Definition, Step, Trigger};

use files_core::FileRecord;
use platform::error::ApiError;
use platform::ids::{ApiKeyId, ExecutionId, TenantId, UserId, WorkflowId};
use platform::store::{Child, Entity, Key, Store, StoreError, keys, n, s};

/// Largest trigger payload kept with a run (a manual trigger's `data`, a webhook's body).
pub const MAX_TRIGGER_BYTES: usize = 64 * 1024;
/// How long trigger-event markers are kept (longer than any queue keeps a message).
const EVENT_TTL_SECS: i64 = 14 * 86_400;

/// A workflow as stored (`T#<tenant>` / `WF#<id>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    pub id: WorkflowId,
    pub tenant_id: TenantId,
    pub definition: Definition,
    pub enabled: bool,
    /// Bumped by every change (optimistic concurrency for PUT).
    pub version: u64,
    pub created_by: UserId,
    /// Who saved the definition last: runs act as this user, with their current role.
    pub updated_by: UserId,
    /// The API key it was saved with, if it was: runs then act within that key's role, and stop
    /// once the key is revoked or expired (a key never leaves behind work that outlives it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by_key: Option<ApiKeyId>,
    pub created_at: String,
    pub updated_at: String,
    /// KMS ciphertext of the webhook signing secret (webhook triggers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// `record_matches`: records created/modified after this instant are new to the workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_cursor: Option<String>,
    /// `record_matches`: when the table was last read, and why the last turn could not read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_poll_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_error: Option<String>,
    #[serde(default)]
    pub runs: u64,
    #[serde(default)]
    pub successes: u64,
    #[serde(default)]
    pub failures: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<Status>,
}

/// Whether an HTTP header's name says it carries a credential.
fn is_credential_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "authorization",
        "cookie",
        "api-key",
        "apikey",
        "token",
        "secret",
        "password",
        "signature",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// An `http_request` input with its credential headers as `***` — what run history and viewers
/// see (a value typed into a header is a credential too; workspace secrets are the better home).
pub fn mask_credentials(kind: &str, mut input: Value) -> Value {
    if kind == "http_request"
        && let Some(headers) = input.get_mut("headers").and_then(Value::as_object_mut)
    {
        for (name, value) in headers.iter_mut() {
            if is_credential_header(name) {
                *value = json!("***");
            }
        }
    }
    input
}

/// Steps (as JSON) with the credential headers of every `http_request`, nested ones too, masked.
fn mask_steps(steps: &mut Value) {
    for step in steps.as_array_mut().into_iter().flatten() {
        if step["type"] == "http_request"
            && let Some(input) = step.get_mut("input")
        {
            *input = mask_credentials("http_request", input.take());
        }
        for inner in ["then", "else", "steps"] {
            if let Some(nested) = step.get_mut(inner) {
                mask_steps(nested);
            }
        }
    }
}

impl Workflow {
    /// The API's view for a reader with `role`: the definition's fields at the top level, never
    /// the webhook secret; viewers see credential headers masked.
    pub fn view_for(&self, role: platform::auth::Role) -> Value {
        let mut v = self.view();
        if !role.at_least(platform::auth::Role::Member) {
            mask_steps(&mut v["steps"]);
        }
        v
    }

    /// The API's view: the definition's fields at the top level, never the secret.
    pub fn view(&self) -> Value {
        let mut v = serde_json::to_value(&self.definition).unwrap_or_else(|_| json!({}));
        v["id"] = json!(self.id);
        v["enabled"] = json!(self.enabled);
        v["version"] = json!(self.version);
        v["createdBy"] = json!(self.created_by);
        v["updatedBy"] = json!(self.updated_by);
        v["createdAt"] = json!(self.created_at);
        v["updatedAt"] = json!(self.updated_at);
        v["stats"] = json!({
            "runs": self.runs, "successes": self.successes, "failures": self.failures,
            "lastRunAt": self.last_run_at, "lastStatus": self.last_status,
        });
        if let Trigger::RecordMatches { .. } = self.definition.trigger {
            v["polling"] = json!({"since": self.poll_cursor, "lastPollAt": self.last_poll_at, "error": self.poll_error});
        }
        if let Trigger::Webhook = self.definition.trigger {
            v["webhook"] = json!({"url": format!("/api/v1/hooks/{}", self.id), "signatureHeader": "X-Signature-256", "timestampHeader": "X-Timestamp"});
        }
        v
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = RunStatus)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl Status {
    pub fn is_final(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Cancelled)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// A log line of a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[schema(as = RunLogEntry)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub at: String,
    pub level: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    pub message: String,
}

/// One run (`T#<tenant>` / `WFX#<id>`), with a copy of the definition it runs, so editing the
/// workflow never changes a run half-way.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    pub id: ExecutionId,
    pub workflow_id: WorkflowId,
    pub tenant_id: TenantId,
    pub status: Status,
    /// `{type, data}`.
    pub trigger: Value,
    pub definition: Definition,
    /// The user the run acts for (who last saved the workflow; their current role applies).
    pub run_as: UserId,
    /// The API key the workflow was saved with, if any (its role caps the run's; revoked, the
    /// run stops).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_key: Option<ApiKeyId>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Epoch seconds after which the run fails with `timeout`.
    pub deadline: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub logs: Vec<LogEntry>,
    /// Deliveries of the run's message that found work to do.
    #[serde(default)]
    pub deliveries: u32,
    /// The message gave up and went to the dead-letter queue.
    #[serde(default)]
    pub dead_lettered: bool,
    #[serde(default)]
    pub cancel_requested: bool,
    /// A worker holds the run until then (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<i64>,
}

/// Where one step of a run stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = RunStepStatus)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Running,
    /// A delay waiting for its end.
    Waiting,
    Succeeded,
    Failed,
    Skipped,
}

/// What one step did (`…#WFX#<id>` / `STEP#<path>`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[schema(as = RunStep)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub path: String,
    pub step_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: StepStatus,
    /// The order steps started in.
    pub seq: u32,
    #[serde(default)]
    pub input: Value,
    #[serde(default)]
    pub output: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    #[serde(default)]
    pub attempts: u32,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// A delay's end (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_at: Option<i64>,
}

impl Execution {
    /// The API's view, with the steps in the order they ran.
    pub fn view(&self, mut steps: Vec<StepRecord>) -> Value {
        steps.sort_by_key(|s| s.seq);
        let duration_ms = match (&self.started_at, &self.finished_at) {
            (Some(a), Some(b)) => platform::time::millis_between(a, b),
            _ => None,
        };
        json!({
            "executionId": self.id, "workflowId": self.workflow_id, "status": self.status,
            "trigger": self.trigger, "createdAt": self.created_at, "startedAt": self.started_at,
            "finishedAt": self.finished_at, "durationMs": duration_ms, "error": self.error,
            "deadLettered": self.dead_lettered, "cancelRequested": self.cancel_requested,
            "steps": steps, "logs": self.logs,
        })
    }

    /// The short form for lists.
    pub fn summary(&self) -> Value {
        json!({
            "executionId": self.id, "workflowId": self.workflow_id, "status": self.status,
            "trigger": {"type": self.trigger.get("type")}, "createdAt": self.created_at,
            "finishedAt": self.finished_at, "error": self.error,
        })
    }
}

/// What a job on the automation queue is for.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum JobSource {
    /// Drive an execution that exists (`executionId`).
    Run,
    /// EventBridge Scheduler fired a `schedule` trigger: start a run.
    Schedule,
    /// A `record_matches` trigger's turn to look for records.
    Poll,
}

/// A message on the automation queue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub tenant_id: TenantId,
    pub workflow_id: WorkflowId,
    pub source: JobSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<ExecutionId>,
}

/// Why a run could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not queue the run: {0}")]
    Queue(String),
}

impl From<StartError> for platform::queue::Transient {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Store(s) => Self::Store(s),
            other => Self::Other(other.to_string()),
        }
    }
}

impl From<StartError> for ApiError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Store(s) => s.into(),
            StartError::Queue(_) => ApiError::Unavailable {
                detail: "the run could not be queued; try again".into(),
                retry_after: Some(5),
            },
        }
    }
}

/// Sends a job; `delay_secs` (≤ 900, SQS's limit) holds it back.
pub async fn enqueue(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    job: &Job,
    delay_secs: u32,
) -> Result<(), StartError> {
    let body = serde_json::to_string(job).map_err(|e| StartError::Queue(e.to_string()))?;
    sqs.send_message()
        .queue_url(queue_url)
        .message_body(body)
        .delay_seconds(delay_secs.min(900) as i32)
        .send()
        .await
        .map_err(|e| StartError::Queue(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    Ok(())
}

/// Where a run's trigger came from.
pub struct TriggerEvent {
    /// `manual`, `schedule`, `file_processed`, `webhook`, `record_matches`.
    pub kind: &'static str,
    pub data: Value,
    /// The event's own id (an SQS message id, a file id, a record version): the same event
    /// never starts two runs. `None` for requests that are new by nature (a manual trigger).
    pub event_id: Option<String>,
}

/// Why a workflow cannot act at all (not worth retrying) or cannot act right now.
#[derive(Debug, thiserror::Error)]
pub enum RunAsError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The identity a workflow acts with: the user who last saved it, with their current role —
/// capped by the API key it was saved with, if it was, and refused once that key is revoked,
/// expired, or its creator has left.
pub async fn run_identity(
    store: &Store,
    tenant: &TenantId,
    workflow: &WorkflowId,
    user: &UserId,
    key: Option<&ApiKeyId>,
) -> Result<platform::auth::Identity, RunAsError> {
    use platform::store::members::{KeyGrant, Member};
    let member_key = keys::member(tenant, user);
    let grant_key = key.map(|k| keys::api_key(tenant, k));
    let (member, grant) = tokio::join!(store.get::<Member>(&member_key), async {
        match &grant_key {
            Some(k) => store.get::<KeyGrant>(k).await.map(Some),
            None => Ok(None),
        }
    });
    let member = member?.ok_or_else(|| {
        RunAsError::Refused(format!(
            "the workflow runs as {user}, who is no longer a member of this workspace; save the workflow again to run it as yourself"
        ))
    })?;
    let mut role = member.role;
    if let Some(key) = key {
        let grant = grant?.flatten().filter(|g| {
            g.expires_at.is_none_or(|e| e > platform::time::now_epoch()) && &g.created_by == user
        });
        let Some(grant) = grant else {
            return Err(RunAsError::Refused(format!(
                "the API key {key} that last saved this workflow was revoked or has expired; save the workflow again to run it"
            )));
        };
        role = role.min(grant.role);
    }
    Ok(platform::auth::Identity {
        principal: platform::auth::Principal::Workflow {
            workflow_id: workflow.clone(),
            run_as: user.clone(),
        },
        tenant: tenant.clone(),
        role,
    })
}

/// Creates a run (`pending`) for a trigger event, or finds the run this event already started.
/// Returns the run and whether it is new.
pub async fn create_execution(
    store: &Store,
    workflow: &Workflow,
    event: TriggerEvent,
) -> Result<(Execution, bool), StoreError> {
    let now = platform::time::now_epoch();
    let execution = Execution {
        id: ExecutionId::generate(),
        workflow_id: workflow.id.clone(),
        tenant_id: workflow.tenant_id.clone(),
        status: Status::Pending,
        trigger: json!({"type": event.kind, "data": event.data}),
        definition: workflow.definition.clone(),
        run_as: workflow.updated_by.clone(),
        run_as_key: workflow.updated_by_key.clone(),
        created_at: platform::time::now_rfc3339(),
        started_at: None,
        finished_at: None,
        deadline: now
            + workflow
                .definition
                .timeout_seconds
                .unwrap_or(definition::DEFAULT_TIMEOUT_SECS) as i64,
        error: None,
        logs: vec![],
        deliveries: 0,
        dead_lettered: false,
        cancel_requested: false,
        lease_until: None,
    };
    let tenant = &workflow.tenant_id;
    let Some(event_id) = event.event_id else {
        store.put_new(&execution).await?;
        return Ok((execution, true));
    };
    let marker = EventMarker {
        tenant_id: tenant.clone(),
        workflow_id: workflow.id.clone(),
        event_id,
        execution_id: execution.id.clone(),
        expires_at: now + EVENT_TTL_SECS,
    };
    match store
        .tx()
        .put_new(&marker)
        .put_new(&execution)
        .commit()
        .await
    {
        Ok(()) => Ok((execution, true)),
        Err(StoreError::ConditionFailed) => {
            let marker: Triggered = store
                .get(&marker.key())
                .await?
                .ok_or(StoreError::ConditionFailed)?;
            let id = marker.execution_id;
            let existing: Execution = store
                .get(&keys::execution(tenant, &id))
                .await?
                .ok_or(StoreError::ConditionFailed)?;
            Ok((existing, false))
        }
        Err(e) => Err(e),
    }
}

impl Entity for Workflow {
    const TAG: &'static str = "workflow";
    fn key(&self) -> Key {
        keys::workflow(&self.tenant_id, &self.id)
    }
}

impl Entity for Execution {
    const TAG: &'static str = "workflow_execution";
    fn key(&self) -> Key {
        keys::execution(&self.tenant_id, &self.id)
    }
    fn gsi1(&self) -> Option<Key> {
        Some(keys::execution_gsi1(
            &self.tenant_id,
            &self.workflow_id,
            &self.id,
        ))
    }
}

/// Finds a webhook's workflow from its id alone (the webhook URL names no tenant).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookLookup<'a> {
    #[serde(skip)]
    pub workflow_id: &'a WorkflowId,
    pub tenant_id: &'a TenantId,
}

impl<'a> WebhookLookup<'a> {
    pub fn of(workflow: &'a Workflow) -> Self {
        Self {
            workflow_id: &workflow.id,
            tenant_id: &workflow.tenant_id,
        }
    }
}

impl Entity for WebhookLookup<'_> {
    const TAG: &'static str = "webhook_lookup";
    fn key(&self) -> Key {
        keys::webhook(self.workflow_id)
    }
}

/// What a stored [`WebhookLookup`] says.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookOwner {
    pub tenant_id: TenantId,
}

/// The run a trigger event started (kept [`EVENT_TTL_SECS`]), so a redelivered event finds its
/// run instead of starting a second one.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EventMarker {
    #[serde(skip)]
    tenant_id: TenantId,
    #[serde(skip)]
    workflow_id: WorkflowId,
    #[serde(skip)]
    event_id: String,
    execution_id: ExecutionId,
    #[serde(skip)]
    expires_at: i64,
}

/// What a stored [`EventMarker`] says.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Triggered {
    execution_id: ExecutionId,
}

impl Entity for EventMarker {
    const TAG: &'static str = "workflow_trigger_event";
    fn key(&self) -> Key {
        keys::trigger_event(&self.tenant_id, &self.workflow_id, &self.event_id)
    }
    fn expires_at(&self) -> Option<i64> {
        Some(self.expires_at)
    }
}

/// A step of a run as stored under its execution.
impl Child<(TenantId, ExecutionId)> for StepRecord {
    const TAG: &'static str = "workflow_step";
    fn key(&self, (tenant, execution): &(TenantId, ExecutionId)) -> Key {
        keys::execution_step(tenant, execution, &self.path)
    }
}

/// Creates the run and queues it; returns it and whether this event is new. A redelivered
/// event queues its run again (the first delivery may have stopped between the two); the worker
/// runs a run once.
pub async fn start_execution(
    store: &Store,
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    workflow: &Workflow,
    event: TriggerEvent,
) -> Result<(Execution, bool), StartError> {
    let (execution, new) = create_execution(store, workflow, event).await?;
    if execution.status.is_final() {
        return Ok((execution, new));
    }
    let job = Job {
        tenant_id: workflow.tenant_id.clone(),
        workflow_id: workflow.id.clone(),
        source: JobSource::Run,
        execution_id: Some(execution.id.clone()),
    };
    if let Err(e) = enqueue(sqs, queue_url, &job, 0).await {
        // Nothing will ever run it: say so on the run rather than leave it pending.
        let _ = finish_execution(
            store,
            &execution,
            Status::Failed,
            Some("the run could not be queued".into()),
        )
        .await;
        return Err(e);
    }
    Ok((execution, new))
}

/// Ends a run once — `status` and the workflow's counters change together, or not at all; a
/// run that already ended is left as it is (returns `false`).
pub async fn finish_execution(
    store: &Store,
    execution: &Execution,
    status: Status,
    error: Option<String>,
) -> Result<bool, StoreError> {
    let tenant = &execution.tenant_id;
    let now = platform::time::now_rfc3339_millis();
    let exec_key = keys::execution(tenant, &execution.id);
    let error_value = error
        .as_deref()
        .map(s)
        .unwrap_or(aws_sdk_dynamodb::types::AttributeValue::Null(true));
    let exec_update =
        "SET #status = :status, #finishedAt = :now, #error = :error REMOVE #leaseUntil";
    let exec_cond = "#status IN (:pending, :running)";
    let values = [
        (":status", s(status.as_str())),
        (":now", s(&now)),
        (":error", error_value),
        (":pending", s("pending")),
        (":running", s("running")),
    ];
    let counter = match status {
        Status::Succeeded => "successes",
        Status::Failed => "failures",
        _ => "cancellations",
    };
    let wf_update =
        format!("ADD #runs :one, #{counter} :one SET #lastRunAt = :now, #lastStatus = :status");
    let wf_values = [
        (":one", n(1)),
        (":now", s(&now)),
        (":status", s(status.as_str())),
    ];
    let committed = store
        .tx()
        .update(&exec_key, exec_update, Some(exec_cond), &values)
        .update(
            &keys::workflow(tenant, &execution.workflow_id),
            &wf_update,
            Some("attribute_exists(PK)"),
            &wf_values,
        )
        .commit()
        .await;
    let ended = match committed {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => {
            // Either the run had already ended, or its workflow was deleted: end the run alone.
            match store
                .update::<Value>(&exec_key, exec_update, Some(exec_cond), &values)
                .await
            {
                Ok(_) => Ok(true),
                Err(StoreError::ConditionFailed) => Ok(false),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    // Counted once: only the writer that ended the run.
    if matches!(ended, Ok(true)) {
        platform::telemetry::record::workflow_run(status.as_str());
    }
    ended
}

/// Loads a workflow of a tenant.
pub async fn load(
    store: &Store,
    tenant: &TenantId,
    id: &WorkflowId,
) -> Result<Option<Workflow>, StoreError> {
    store.get(&keys::workflow(tenant, id)).await
}

/// Starts the enabled `file_processed` workflows of the file's tenant whose filters match it.
/// The file id is the event id: a redelivered file event starts nothing twice.
pub async fn on_file_processed(
    store: &Store,
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    tenant: &TenantId,
    file: &FileRecord,
) -> Result<usize, StartError> {
    let workflows: Vec<Workflow> = store.query_prefix(&keys::workflows_of(tenant)).await?;
    let mut started = 0;
    for wf in workflows.iter().filter(|w| w.enabled) {
        let Trigger::FileProcessed {
            file_type,
            name_pattern,
        } = &wf.definition.trigger
        else {
            continue;
        };
        let kind = file.kind.as_deref().unwrap_or(&file.declared_kind);
        if file_type.as_deref().is_some_and(|t| t != kind)
            || name_pattern
                .as_deref()
                .is_some_and(|p| !definition::glob_matches(p, &file.name))
        {
            continue;
        }
        let preview = file.preview.as_ref();
        let data = json!({
            "file": {
                "id": file.id, "name": file.name, "type": kind, "size": file.size, "uploadedBy": file.uploaded_by,
                "rows": preview.map(|p| p.row_count), "columns": preview.map(|p| &p.columns),
            }
        });
        let event = TriggerEvent {
            kind: "file_processed",
            data,
            event_id: Some(format!("file#{}", file.id)),
        };
        start_execution(store, sqs, queue_url, wf, event).await?;
        started += 1;
    }
    Ok(started)
}
