//! Lambda `workflows`: automation workflows. Definitions are checked on save (422 with the path
//! of each problem); a schedule or polling trigger gets its EventBridge Scheduler schedule; a
//! manual trigger or a signed webhook creates a run and queues it for the `automation-worker`;
//! runs are listed and shown step by step, and can be cancelled.

mod hooks;
mod schedules;
pub mod schemas;
mod secrets;
mod tools;

use aws_sdk_dynamodb::types::AttributeValue;
use axum::Json;
use axum::Router;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use platform::auth::{Authenticator, Identity};
use platform::aws::AwsClients;
use platform::config::{Config, ConfigError};
use platform::error::ApiError;
use platform::http::{ApiJson, ApiQuery};
use platform::ids::{ExecutionId, WorkflowId};
use platform::store::{Store, StoreError, keys, n, s};
use serde::Deserialize;
use serde_json::{Value, json};
use workflows_core::definition::{self, Definition};
use workflows_core::{self as wf, Execution, Status, StepRecord, Trigger, TriggerEvent, Workflow};

pub use schedules::Schedules;

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    /// Scopes every request: metrics and usage counters.
    pub telemetry: platform::telemetry::Telemetry,
    pub auth: Authenticator,
    pub store: Store,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub kms: aws_sdk_kms::Client,
    pub kms_key_id: String,
    pub schedules: Schedules,
}

impl AppState {
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let auth = Authenticator::load(&config, &aws).await?;
        let store = auth.store().clone();
        Ok(Self {
            telemetry: platform::telemetry::Telemetry::new(
                "workflows",
                &config,
                auth.store().clone(),
            ),
            auth,
            store,
            sqs: aws.sqs().clone(),
            queue_url: config.automation_queue_url.clone(),
            kms: aws.kms().clone(),
            kms_key_id: config.kms_key_id.clone(),
            schedules: Schedules {
                client: aws.scheduler().clone(),
                target: config.workflow_schedules.clone(),
            },
        })
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// `POST /api/v1/workflows` and `PUT /api/v1/workflows/{id}` body: the definition, whether it
/// runs, and (PUT) the version it was read at.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SaveRequest {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub definition: Definition,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// PUT: the `version` the change is based on (409 when it is stale).
    #[serde(default)]
    pub version: Option<u64>,
}

fn workflow_id(raw: &str) -> Result<WorkflowId, ApiError> {
    WorkflowId::parse(raw).map_err(|e| ApiError::invalid("id", e.to_string()))
}

fn execution_id(raw: &str) -> Result<ExecutionId, ApiError> {
    ExecutionId::parse(raw).map_err(|e| ApiError::invalid("executionId", e.to_string()))
}

async fn load(state: &AppState, identity: &Identity, raw: &str) -> Result<Workflow, ApiError> {
    wf::load(&state.store, &identity.tenant, &workflow_id(raw)?)
        .await?
        .ok_or_else(|| ApiError::not_found("no such workflow"))
}

/// A new webhook secret: returned once, kept only as KMS ciphertext bound to the workflow.
async fn new_secret(state: &AppState, workflow: &Workflow) -> Result<(String, String), ApiError> {
    let secret = format!("whsec_{}", platform::auth::random_secret(32));
    let sealed = platform::sealed::seal(
        &state.kms,
        &state.kms_key_id,
        &hooks::context(workflow),
        &secret.clone().into(),
    )
    .await
    .map_err(ApiError::internal)?;
    Ok((secret, sealed))
}

/// `POST /api/v1/workflows` → 201 with the workflow (and, for a webhook trigger, its signing
/// secret, shown this once).
#[utoipa::path(post, path = "/api/v1/workflows", tag = "workflows", summary = "Create a workflow", request_body = SaveRequest, responses((status = 201, body = schemas::WorkflowView), platform::openapi::Forbidden, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<SaveRequest>,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let schedule = definition::validate(&req.definition)?;
    secrets::check_references(&state, &identity, &req.definition).await?;
    let now = platform::time::now_rfc3339();
    let mut workflow = Workflow {
        id: WorkflowId::generate(),
        tenant_id: identity.tenant.clone(),
        poll_cursor: matches!(req.definition.trigger, Trigger::RecordMatches { .. })
            .then(|| now.clone()),
        definition: req.definition,
        enabled: req.enabled.unwrap_or(true),
        version: 1,
        created_by: identity.user_id().clone(),
        updated_by: identity.user_id().clone(),
        updated_by_key: saving_key(&identity),
        created_at: now.clone(),
        updated_at: now,
        webhook_secret: None,
        last_poll_at: None,
        poll_error: None,
        runs: 0,
        successes: 0,
        failures: 0,
        last_run_at: None,
        last_status: None,
    };
    let mut secret = None;
    if let Trigger::Webhook = workflow.definition.trigger {
        let (plain, sealed) = new_secret(&state, &workflow).await?;
        workflow.webhook_secret = Some(sealed);
        secret = Some(plain);
    }
    state.schedules.sync(&workflow, schedule.as_ref()).await?;
    let mut tx = state.store.tx().put_new(&workflow);
    if secret.is_some() {
        tx = tx.put_new(&wf::WebhookLookup::of(&workflow));
    }
    if let Err(e) = tx.commit().await {
        // The schedule must not outlive a workflow that was never saved.
        let _ = state.schedules.remove(&workflow.id).await;
        return Err(e.into());
    }
    let mut body = workflow.view();
    if let Some(secret) = secret {
        body["webhook"]["secret"] = json!(secret);
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The `cursor` of the previous page.
    #[param(value_type = Option<platform::ids::WorkflowId>, inline)]
    cursor: Option<String>,
    /// 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// Executions only: `pending`, `running`, `succeeded`, `failed`, `cancelled`.
    status: Option<String>,
}

fn limit(p: &ListParams) -> Result<usize, ApiError> {
    match p.limit.unwrap_or(25) {
        l @ 1..=100 => Ok(l),
        _ => Err(ApiError::invalid("limit", "must be between 1 and 100")),
    }
}

/// `GET /api/v1/workflows?cursor=&limit=` — newest first.
#[utoipa::path(get, path = "/api/v1/workflows", tag = "workflows", summary = "Workflows of the workspace", params(ListParams), responses((status = 200, body = schemas::WorkflowsResponse)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let limit = limit(&p)?;
    let before = p.cursor.as_deref().map(workflow_id).transpose()?;
    let mut all: Vec<Workflow> = state
        .store
        .query_prefix(&keys::workflows_of(&identity.tenant))
        .await?;
    all.reverse();
    let matching: Vec<&Workflow> = all
        .iter()
        .filter(|w| before.as_ref().is_none_or(|b| w.id < *b))
        .collect();
    let cursor = (matching.len() > limit).then(|| matching[limit - 1].id.to_string());
    Ok(Json(
        json!({"workflows": matching.iter().take(limit).map(|w| w.view_for(identity.role)).collect::<Vec<_>>(), "cursor": cursor}),
    ))
}

/// `GET /api/v1/workflows/{id}`.
#[utoipa::path(get, path = "/api/v1/workflows/{id}", tag = "workflows", summary = "A workflow", params(("id" = inline(platform::ids::WorkflowId), Path)), responses((status = 200, body = schemas::WorkflowView), platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        load(&state, &identity, &id).await?.view_for(identity.role),
    ))
}

/// `PUT /api/v1/workflows/{id}` — replaces the definition (and `enabled`); the schedule follows.
/// Runs already started keep the definition they started with.
#[utoipa::path(put, path = "/api/v1/workflows/{id}", tag = "workflows", summary = "Change a workflow", params(("id" = inline(platform::ids::WorkflowId), Path)), request_body = SaveRequest, responses((status = 200, body = schemas::WorkflowView), platform::openapi::NotFound, platform::openapi::Conflict, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SaveRequest>,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let current = load(&state, &identity, &id).await?;
    if req.version.is_some_and(|v| v != current.version) {
        return Err(ApiError::conflict(
            "version_conflict",
            format!(
                "the workflow changed since version {}; it is at {}",
                req.version.unwrap_or(0),
                current.version
            ),
        ));
    }
    let schedule = definition::validate(&req.definition)?;
    secrets::check_references(&state, &identity, &req.definition).await?;
    let mut next = current.clone();
    let was_webhook = matches!(current.definition.trigger, Trigger::Webhook);
    let is_webhook = matches!(req.definition.trigger, Trigger::Webhook);
    let trigger_changed = current.definition.trigger != req.definition.trigger;
    let enabling = req.enabled == Some(true) && !current.enabled;
    next.definition = req.definition;
    next.enabled = req.enabled.unwrap_or(current.enabled);
    next.version = current.version + 1;
    next.updated_by = identity.user_id().clone();
    next.updated_by_key = saving_key(&identity);
    next.updated_at = platform::time::now_rfc3339();
    if matches!(next.definition.trigger, Trigger::RecordMatches { .. }) {
        // Watching starts now: records from before the change (or while disabled) are not new.
        if trigger_changed || enabling {
            next.poll_cursor = Some(next.updated_at.clone());
        }
    } else {
        next.poll_cursor = None;
    }
    let mut secret = None;
    if is_webhook && !was_webhook {
        let (plain, sealed) = new_secret(&state, &next).await?;
        next.webhook_secret = Some(sealed);
        secret = Some(plain);
    } else if !is_webhook {
        next.webhook_secret = None;
    }
    // Only what the request changes is written (the worker updates the counters meanwhile),
    // and only over the version the change is based on.
    let mut sets = vec![
        "#definition = :d",
        "#enabled = :e",
        "#version = :next",
        "#updatedBy = :u",
        "#updatedAt = :at",
    ];
    let mut removes = vec![];
    let mut values = vec![
        (
            ":d",
            serde_dynamo::to_attribute_value(&next.definition).map_err(StoreError::from)?,
        ),
        (":e", AttributeValue::Bool(next.enabled)),
        (":next", n(next.version)),
        (":current", n(current.version)),
        (":u", s(next.updated_by.as_str())),
        (":at", s(&next.updated_at)),
    ];
    match &next.updated_by_key {
        Some(k) => {
            sets.push("#updatedByKey = :uk");
            values.push((":uk", s(k.as_str())));
        }
        None => removes.push("#updatedByKey"),
    }
    match &next.poll_cursor {
        Some(c) => {
            sets.push("#pollCursor = :pc");
            values.push((":pc", s(c)));
        }
        None => removes.push("#pollCursor"),
    }
    match &next.webhook_secret {
        Some(w) => {
            sets.push("#webhookSecret = :ws");
            values.push((":ws", s(w)));
        }
        None => removes.push("#webhookSecret"),
    }
    let mut expression = format!("SET {}", sets.join(", "));
    if !removes.is_empty() {
        expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
    }
    let mut tx = state.store.tx().update(
        &keys::workflow(&identity.tenant, &current.id),
        &expression,
        Some("#version = :current"),
        &values,
    );
    if is_webhook && !was_webhook {
        tx = tx.put(&wf::WebhookLookup::of(&next));
    } else if was_webhook && !is_webhook {
        tx = tx.delete(&keys::webhook(&next.id));
    }
    match tx.commit().await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed) => {
            return Err(ApiError::conflict(
                "version_conflict",
                "the workflow changed meanwhile; read it again",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    state.schedules.sync(&next, schedule.as_ref()).await?;
    let mut body = next.view();
    if let Some(secret) = secret {
        body["webhook"]["secret"] = json!(secret);
    }
    Ok(Json(body).into_response())
}

/// `DELETE /api/v1/workflows/{id}` → 204; its schedule and webhook go with it. Its run history
/// stays readable by execution id; pending runs are cancelled when a worker picks them up.
#[utoipa::path(delete, path = "/api/v1/workflows/{id}", tag = "workflows", summary = "Delete a workflow", params(("id" = inline(platform::ids::WorkflowId), Path)), responses((status = 204), platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identity.require_writer()?;
    let workflow = load(&state, &identity, &id).await?;
    state.schedules.remove(&workflow.id).await?;
    state
        .store
        .tx()
        .delete(&keys::workflow(&identity.tenant, &workflow.id))
        .delete(&keys::webhook(&workflow.id))
        .commit()
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/workflows/{id}/trigger` body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerRequest {
    /// What `{{trigger.…}}` refers to in the steps.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Option<Value>,
}

/// Whether a trigger payload fits in a run.
pub(crate) fn check_trigger_data(data: &Value) -> Result<(), ApiError> {
    if serde_json::to_vec(data)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
        > wf::MAX_TRIGGER_BYTES
    {
        return Err(ApiError::PayloadTooLarge(wf::MAX_TRIGGER_BYTES));
    }
    Ok(())
}

/// Starts a run of an enabled workflow: 202 `{executionId, status}`.
pub(crate) async fn start_run(
    state: &AppState,
    workflow: &Workflow,
    event: TriggerEvent,
) -> Result<(StatusCode, Value), ApiError> {
    if !workflow.enabled {
        return Err(ApiError::conflict(
            "workflow_disabled",
            "the workflow is disabled; enable it to run it",
        ));
    }
    let (execution, _) =
        wf::start_execution(&state.store, &state.sqs, &state.queue_url, workflow, event).await?;
    Ok((
        StatusCode::ACCEPTED,
        json!({"executionId": execution.id, "workflowId": workflow.id, "status": execution.status}),
    ))
}

/// The API key a workflow is saved with (its runs stay within it), if it is.
fn saving_key(identity: &Identity) -> Option<platform::ids::ApiKeyId> {
    match &identity.principal {
        platform::auth::Principal::ApiKey { key_id, .. } => Some(key_id.clone()),
        _ => None,
    }
}

/// `POST /api/v1/workflows/{id}/trigger {data}` → 202 `{executionId}` (any trigger type may be
/// run by hand). With an `Idempotency-Key`, a retried request starts nothing new.
#[utoipa::path(post, path = "/api/v1/workflows/{id}/trigger", tag = "workflows", summary = "Run a workflow now", params(("id" = inline(platform::ids::WorkflowId), Path)), request_body = TriggerRequest, responses((status = 202, body = schemas::RunAnswer), platform::openapi::NotFound, platform::openapi::Conflict), security(("bearer" = [])))]
pub async fn trigger(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    // An empty body is a run without data.
    let req: TriggerRequest = if body.is_empty() {
        TriggerRequest::default()
    } else {
        platform::http::parse_json(&body)?
    };
    let data = req.data.unwrap_or_else(|| json!({}));
    check_trigger_data(&data)?;
    let workflow = load(&state, &identity, &id).await?;
    let fingerprint = platform::idempotency::fingerprint(&[
        "POST /workflows/{id}/trigger",
        workflow.id.as_str(),
        &data.to_string(),
    ]);
    platform::idempotency::run(&state.store, &identity, &headers, fingerprint, || {
        start_run(
            &state,
            &workflow,
            TriggerEvent {
                kind: "manual",
                data: data.clone(),
                event_id: None,
            },
        )
    })
    .await
}

/// `POST /api/v1/workflows/validate` — checks a definition without saving it; for a schedule,
/// the EventBridge expression and the next 5 run times.
#[utoipa::path(post, path = "/api/v1/workflows/validate", tag = "workflows", summary = "Check a workflow definition", request_body = SaveRequest, responses((status = 200, body = schemas::Validated), platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn validate(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<SaveRequest>,
) -> Result<Json<schemas::Validated>, ApiError> {
    let schedule = definition::validate(&req.definition)?;
    secrets::check_references(&state, &identity, &req.definition).await?;
    let now = chrono::Utc::now();
    let schedule = schedule.map(|s| schemas::ScheduleInfo {
        expression: s.aws_expression(),
        timezone: s.timezone.name().to_owned(),
        next_runs: s
            .upcoming(now, 5)
            .iter()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .collect(),
    });
    Ok(Json(schemas::Validated {
        valid: true,
        trigger: req.definition.trigger.kind(),
        steps: count_steps(&req.definition.steps),
        schedule,
    }))
}

fn count_steps(steps: &[definition::Step]) -> usize {
    steps
        .iter()
        .map(|s| 1 + count_steps(&s.then) + count_steps(&s.otherwise) + count_steps(&s.steps))
        .sum()
}

/// `GET /api/v1/workflows/{id}/executions?status=&cursor=&limit=` — newest first.
#[utoipa::path(get, path = "/api/v1/workflows/{id}/executions", tag = "workflows", summary = "Runs of a workflow", params(("id" = inline(platform::ids::WorkflowId), Path), ListParams), responses((status = 200, body = schemas::ExecutionsResponse), platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn executions(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let limit = limit(&p)?;
    let workflow = load(&state, &identity, &id).await?;
    let before = p.cursor.as_deref().map(execution_id).transpose()?;
    let status = p
        .status
        .as_deref()
        .map(|s| {
            serde_json::from_value::<Status>(json!(s)).map_err(|_| {
                ApiError::invalid("status", "pending, running, succeeded, failed or cancelled")
            })
        })
        .transpose()?;
    let mut all: Vec<Execution> = state
        .store
        .query_gsi1(&keys::executions_of(&identity.tenant, &workflow.id))
        .await?;
    all.reverse();
    let matching: Vec<&Execution> = all
        .iter()
        .filter(|e| before.as_ref().is_none_or(|b| e.id < *b))
        .filter(|e| status.is_none_or(|s| e.status == s))
        .collect();
    let cursor = (matching.len() > limit).then(|| matching[limit - 1].id.to_string());
    Ok(Json(
        json!({"executions": matching.iter().take(limit).map(|e| e.summary()).collect::<Vec<_>>(), "cursor": cursor}),
    ))
}

async fn load_execution(
    state: &AppState,
    identity: &Identity,
    raw: &str,
) -> Result<Execution, ApiError> {
    state
        .store
        .get(&keys::execution(&identity.tenant, &execution_id(raw)?))
        .await?
        .ok_or_else(|| ApiError::not_found("no such execution"))
}

/// `GET /api/v1/workflows/executions/{executionId}` — status, trigger, each step's input,
/// output, error, attempts and duration in the order they ran, and the run's logs.
#[utoipa::path(get, path = "/api/v1/workflows/executions/{executionId}", tag = "workflows", summary = "A run, step by step", params(("executionId" = inline(platform::ids::ExecutionId), Path)), responses((status = 200, body = schemas::ExecutionView), platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn execution(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let execution = load_execution(&state, &identity, &id).await?;
    let steps: Vec<StepRecord> = state
        .store
        .query_prefix(&keys::execution_steps_of(&identity.tenant, &execution.id))
        .await?;
    Ok(Json(execution.view(steps)))
}

/// `POST /api/v1/workflows/executions/{executionId}/cancel` → 202. A pending run ends at once;
/// a running one stops before its next step. 409 when the run has already ended.
#[utoipa::path(post, path = "/api/v1/workflows/executions/{executionId}/cancel", tag = "workflows", summary = "Cancel a run", params(("executionId" = inline(platform::ids::ExecutionId), Path)), responses((status = 202, body = schemas::RunAnswer), platform::openapi::NotFound, platform::openapi::Conflict), security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let execution = load_execution(&state, &identity, &id).await?;
    let ended = || ApiError::conflict("execution_finished", "the run has already ended");
    let key = keys::execution(&identity.tenant, &execution.id);
    match state
        .store
        .update::<Value>(
            &key,
            "SET #cancelRequested = :yes",
            Some("#status IN (:pending, :running)"),
            &[
                (":yes", aws_sdk_dynamodb_bool()),
                (":pending", s("pending")),
                (":running", s("running")),
            ],
        )
        .await
    {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => return Err(ended()),
        Err(e) => return Err(e.into()),
    }
    let mut status = execution.status;
    // Pending, or waiting out a delay (no worker holds it): it ends now. A run a worker holds
    // stops before its next step.
    let held = execution
        .lease_until
        .is_some_and(|l| l >= platform::time::now_epoch());
    if !held
        && wf::finish_execution(
            &state.store,
            &execution,
            Status::Cancelled,
            Some(format!("cancelled by {}", identity.user_id())),
        )
        .await?
    {
        status = Status::Cancelled;
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"executionId": execution.id, "status": status, "cancelRequested": true})),
    )
        .into_response())
}

fn aws_sdk_dynamodb_bool() -> AttributeValue {
    AttributeValue::Bool(true)
}

/// `POST /api/v1/workflows/{id}/webhook/secret` → a new signing secret (the old one stops working).
#[utoipa::path(post, path = "/api/v1/workflows/{id}/webhook/secret", tag = "workflows", summary = "Rotate a webhook's signing secret", params(("id" = inline(platform::ids::WorkflowId), Path)), responses((status = 200, body = schemas::NewSecret), platform::openapi::NotFound, platform::openapi::Conflict), security(("bearer" = [])))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<Json<schemas::NewSecret>, ApiError> {
    identity.require_writer()?;
    let workflow = load(&state, &identity, &id).await?;
    if !matches!(workflow.definition.trigger, Trigger::Webhook) {
        return Err(ApiError::conflict(
            "not_a_webhook",
            "only a webhook workflow has a signing secret",
        ));
    }
    let (plain, sealed) = new_secret(&state, &workflow).await?;
    state
        .store
        .update::<Value>(
            &keys::workflow(&identity.tenant, &workflow.id),
            "SET #webhookSecret = :s, #updatedAt = :at",
            Some("attribute_exists(PK)"),
            &[(":s", s(sealed)), (":at", s(platform::time::now_rfc3339()))],
        )
        .await?;
    Ok(Json(schemas::NewSecret {
        workflow_id: workflow.id,
        secret: plain,
    }))
}

/// The function's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create,
    list,
    show,
    update,
    delete,
    trigger,
    validate,
    executions,
    execution,
    cancel,
    rotate_secret,
    hooks::receive,
    secrets::list,
    secrets::put,
    secrets::delete,
    tools::list
))]
pub struct ApiDoc;

/// Every route of the function.
pub fn router(state: AppState) -> Router {
    let telemetry = state.telemetry.clone();
    Router::new()
        .route("/api/v1/workflows", post(create).get(list))
        .route("/api/v1/workflows/validate", post(validate))
        .route(
            "/api/v1/workflows/executions/{execution_id}",
            get(execution),
        )
        .route(
            "/api/v1/workflows/executions/{execution_id}/cancel",
            post(cancel),
        )
        .route(
            "/api/v1/workflows/{id}",
            get(show).put(update).delete(delete),
        )
        .route("/api/v1/workflows/{id}/trigger", post(trigger))
        .route("/api/v1/workflows/{id}/executions", get(executions))
        .route("/api/v1/workflows/{id}/webhook/secret", post(rotate_secret))
        .route("/api/v1/hooks/{workflow_id}", post(hooks::receive))
        .route("/api/v1/secrets", get(secrets::list))
        .route("/api/v1/tools", get(tools::list))
        .route(
            "/api/v1/secrets/{name}",
            axum::routing::put(secrets::put).delete(secrets::delete),
        )
        .with_state(state)
        .route_layer(telemetry.http_layer())
}

#[cfg(test)]
mod tests {
    //! The Router as Lambda runs it, fed the sample events in `events/workflows/`.

    use super::*;
    use platform::testing::{event, invoke, unreachable_aws};

    #[tokio::test]
    async fn the_create_event_without_credentials_is_a_401_problem() {
        let (config, aws) = unreachable_aws();
        let (status, body, headers) = invoke(
            router(AppState::new(config, aws).await.unwrap()),
            &event("workflows", "create.json"),
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["code"], "unauthorized");
    }

    #[tokio::test]
    async fn an_unsigned_webhook_event_is_refused_before_anything_is_read() {
        let (config, aws) = unreachable_aws();
        let (status, body, _) = invoke(
            router(AppState::new(config, aws).await.unwrap()),
            &event("workflows", "webhook-unsigned.json"),
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!(body["code"], "unauthorized");
    }
}
