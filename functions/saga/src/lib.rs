//! Lambda `saga`: starts sagas (`import_file`, `bulk_update`, `sync_tables`) as Step Functions
//! executions named by their transaction id, shows their record (status, steps, compensation
//! log, progress), lists them, and cancels them (the running step stops at its next chunk and
//! the state machine compensates what was done).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::auth::{Authenticator, Identity};
use shared::aws::AwsClients;
use shared::config::{Config, ConfigError};
use shared::error::ApiError;
use shared::http::{ApiJson, ApiQuery};
use shared::ids::SagaId;
use shared::saga::{self, Saga, Status};
use shared::store::{Store, StoreError, keys, s};

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    pub auth: Authenticator,
    pub store: Store,
    pub sfn: aws_sdk_sfn::Client,
    pub machines: Arc<HashMap<String, String>>,
}

impl AppState {
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let auth = Authenticator::load(&config, &aws).await?;
        let store = auth.store().clone();
        Ok(Self { auth, store, sfn: aws.sfn.clone(), machines: Arc::new(config.saga_state_machines.clone()) })
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// `POST /api/v1/saga/transaction` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// `import_file`, `bulk_update` or `sync_tables`.
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Object)]
    pub input: Value,
}

/// Starts a saga after checking its input; the answer every front door gives (202).
pub async fn start(state: &AppState, identity: &Identity, kind: &str, input: Value) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let input = saga::validate(&state.store, &identity.tenant, kind, &input).await?;
    let started = saga::start(&state.store, &state.sfn, &state.machines, &identity.tenant, identity.user_id(), kind, input).await?;
    let url = format!("/api/v1/saga/transaction/{}", started.id);
    Ok((
        StatusCode::ACCEPTED,
        [("location", url)],
        Json(json!({"transactionId": started.id, "status": started.status, "type": started.kind})),
    )
        .into_response())
}

/// `POST /api/v1/saga/transaction {type, input}` → 202 `{transactionId, status}`. With an
/// `Idempotency-Key`, a retried request answers the first answer and starts nothing.
#[utoipa::path(post, path = "/api/v1/saga/transaction", tag = "saga", summary = "Start a saga", request_body = StartRequest, responses((status = 202, body = Object), (status = 401, body = shared::error::Problem, content_type = "application/problem+json"), (status = 403, body = shared::error::Problem, content_type = "application/problem+json"), (status = 422, body = shared::error::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StartRequest>,
) -> Result<Response, ApiError> {
    let fingerprint = format!("saga|{}|{}", req.kind, req.input);
    match shared::idempotency::begin(&state.store, &identity.tenant, &headers, &fingerprint).await? {
        shared::idempotency::Begin::NoKey => start(&state, &identity, &req.kind, req.input).await,
        shared::idempotency::Begin::Replay { status, body } => {
            Ok((StatusCode::from_u16(status).unwrap_or(StatusCode::ACCEPTED), [("idempotent-replayed", "true")], Json(body))
                .into_response())
        }
        shared::idempotency::Begin::Run(key) => match start(&state, &identity, &req.kind, req.input).await {
            Ok(res) => {
                let status = res.status();
                let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap_or_default();
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                shared::idempotency::finish(&state.store, &identity.tenant, &key, &fingerprint, status.as_u16(), &body).await?;
                Ok((status, [("idempotent-replayed", "false")], Json(body)).into_response())
            }
            Err(e) => {
                shared::idempotency::abandon(&state.store, &identity.tenant, &key).await;
                Err(e)
            }
        },
    }
}

fn saga_id(raw: &str) -> Result<SagaId, ApiError> {
    SagaId::parse(raw).map_err(|e| ApiError::invalid("transactionId", e.to_string()))
}

async fn load(state: &AppState, identity: &Identity, raw: &str) -> Result<Saga, ApiError> {
    saga::load(&state.store, &identity.tenant, &saga_id(raw)?).await?.ok_or_else(|| ApiError::not_found("no such transaction"))
}

/// `GET /api/v1/saga/transaction/{id}` — status, steps with timings, results and errors, the
/// compensation log, progress.
#[utoipa::path(get, path = "/api/v1/saga/transaction/{id}", tag = "saga", summary = "A saga", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, body = shared::error::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn show(State(state): State<AppState>, identity: Identity, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(load(&state, &identity, &id).await?.view()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// The `cursor` of the previous page.
    cursor: Option<String>,
    /// 1–100 (default 25).
    limit: Option<usize>,
}

/// `GET /api/v1/saga/transactions?status=&type=&cursor=&limit=` — newest first.
#[utoipa::path(get, path = "/api/v1/saga/transactions", tag = "saga", summary = "Sagas of the workspace", params(ListParams), responses((status = 200, body = Object), (status = 422, body = shared::error::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, identity: Identity, ApiQuery(p): ApiQuery<ListParams>) -> Result<Json<Value>, ApiError> {
    let limit = p.limit.unwrap_or(25);
    if limit == 0 || limit > 100 {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    let before = p.cursor.as_deref().map(saga_id).transpose()?;
    let mut all: Vec<Saga> = state.store.query_prefix(&keys::sagas_of(&identity.tenant)).await?;
    all.reverse();
    let matching: Vec<&Saga> = all
        .iter()
        .filter(|s| before.as_ref().is_none_or(|b| s.id < *b))
        .filter(|s| {
            p.status
                .as_deref()
                .is_none_or(|st| serde_json::to_value(s.status).ok().and_then(|v| v.as_str().map(|x| x == st)).unwrap_or(false))
        })
        .filter(|s| p.kind.as_deref().is_none_or(|k| s.kind == k))
        .collect();
    let page: Vec<Value> = matching.iter().take(limit).map(|s| s.view()).collect();
    let cursor = (matching.len() > limit).then(|| matching[limit - 1].id.to_string());
    Ok(Json(json!({"transactions": page, "cursor": cursor})))
}

/// `POST /api/v1/saga/transaction/{id}/cancel` — 202; the running step stops at its next chunk
/// and the completed work is compensated. 409 when the saga has already ended.
#[utoipa::path(post, path = "/api/v1/saga/transaction/{id}/cancel", tag = "saga", summary = "Cancel a saga (compensates what was done)", params(("id" = String, Path)), responses((status = 202, body = Object), (status = 404, body = shared::error::Problem, content_type = "application/problem+json"), (status = 409, body = shared::error::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn cancel(State(state): State<AppState>, identity: Identity, Path(id): Path<String>) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let saga = load(&state, &identity, &id).await?;
    let updated = state
        .store
        .update::<Value>(
            &keys::saga(&identity.tenant, &saga.id),
            "SET #cancelRequested = :yes, #updatedAt = :at",
            Some("#status = :running"),
            &[(":yes", aws_sdk_dynamodb_bool(true)), (":at", s(shared::time::now_rfc3339())), (":running", s("running"))],
        )
        .await;
    match updated {
        Ok(_) => Ok((StatusCode::ACCEPTED, Json(json!({"transactionId": saga.id, "status": Status::Running, "cancelRequested": true})))
            .into_response()),
        Err(StoreError::ConditionFailed) => {
            Err(ApiError::conflict("saga_not_running", "the transaction is not running; only a running one can be cancelled"))
        }
        Err(e) => Err(e.into()),
    }
}

fn aws_sdk_dynamodb_bool(b: bool) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::Bool(b)
}

/// The function's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, show, list, cancel))]
pub struct ApiDoc;

/// Every route of the function.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/saga/transaction", post(create))
        .route("/api/v1/saga/transaction/{id}", get(show))
        .route("/api/v1/saga/transaction/{id}/cancel", post(cancel))
        .route("/api/v1/saga/transactions", get(list))
        .with_state(state)
}
