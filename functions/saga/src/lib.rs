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
use platform::auth::{Authenticator, Identity};
use platform::aws::AwsClients;
use platform::config::{Config, ConfigError};
use platform::error::ApiError;
use platform::http::{ApiJson, ApiQuery};
use platform::ids::SagaId;
use platform::store::{Store, StoreError, keys, s};
use saga_core::{Saga, Status};
use serde::Deserialize;
use serde_json::Value;

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    /// Scopes every request: metrics and usage counters.
    pub telemetry: platform::telemetry::Telemetry,
    pub auth: Authenticator,
    pub store: Store,
    pub sfn: aws_sdk_sfn::Client,
    pub machines: Arc<HashMap<String, String>>,
    /// Checks that the bases a saga names are the tenant's.
    pub airtable: airtable_client::Airtable,
}

impl AppState {
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let auth = Authenticator::load(&config, &aws).await?;
        let store = auth.store().clone();
        let airtable_store = store.clone();
        Ok(Self {
            telemetry: platform::telemetry::Telemetry::new("saga", &config, auth.store().clone()),
            auth,
            store,
            sfn: aws.sfn().clone(),
            machines: Arc::new(config.saga_state_machines.clone()),
            airtable: airtable_client::Airtable::new(
                &config.airtable_api_url,
                airtable_store,
                aws.kms().clone(),
                config.kms_key_id.clone(),
            ),
        })
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
    #[schema(schema_with = saga_core::type_schema)]
    pub kind: String,
    #[schema(value_type = Object)]
    pub input: Value,
}

/// Starts a saga after checking its input: 202 `{transactionId, status, type}`.
async fn start(
    state: &AppState,
    identity: &Identity,
    kind: &str,
    input: Value,
) -> Result<(StatusCode, Value), ApiError> {
    identity.require_writer()?;
    let input = saga_core::validate(&state.store, &identity.tenant, kind, &input).await?;
    saga_core::check_airtable(&state.airtable, &identity.tenant, kind, &input).await?;
    let started = saga_core::start(
        &state.store,
        &state.sfn,
        &state.machines,
        &identity.tenant,
        identity.user_id(),
        kind,
        input,
    )
    .await?;
    let body = saga_core::SagaStarted {
        transaction_id: started.id,
        status: started.status,
        kind: Some(started.kind),
        cancel_requested: None,
    };
    Ok((
        StatusCode::ACCEPTED,
        serde_json::to_value(body).map_err(ApiError::internal)?,
    ))
}

/// `POST /api/v1/saga/transaction {type, input}` → 202 `{transactionId, status}`. With an
/// `Idempotency-Key`, a retried request answers the first answer and starts nothing.
#[utoipa::path(post, path = "/api/v1/saga/transaction", tag = "saga", summary = "Start a saga", request_body = StartRequest, responses((status = 202, body = saga_core::SagaStarted), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StartRequest>,
) -> Result<Response, ApiError> {
    // The role first: a replay never answers someone who could not have made the request.
    identity.require_writer()?;
    let fingerprint = platform::idempotency::fingerprint(&[
        "POST /saga/transaction",
        &req.kind,
        &req.input.to_string(),
    ]);
    platform::idempotency::run(&state.store, &identity, &headers, fingerprint, || {
        start(&state, &identity, &req.kind, req.input.clone())
    })
    .await
}

fn saga_id(raw: &str) -> Result<SagaId, ApiError> {
    SagaId::parse(raw).map_err(|e| ApiError::invalid("transactionId", e.to_string()))
}

async fn load(state: &AppState, identity: &Identity, raw: &str) -> Result<Saga, ApiError> {
    saga_core::load(&state.store, &identity.tenant, &saga_id(raw)?)
        .await?
        .ok_or_else(|| ApiError::not_found("no such transaction"))
}

/// A page of sagas, newest first, and the cursor of the next. A failed compensation's
/// `remainingRecordIds` are only in the saga's own view (`GET /saga/transactions/{id}`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SagasResponse {
    pub transactions: Vec<saga_core::SagaView>,
    pub cursor: Option<String>,
}

/// `GET /api/v1/saga/transaction/{id}` — status, steps with timings, results and errors, the
/// compensation log, progress.
#[utoipa::path(get, path = "/api/v1/saga/transaction/{id}", tag = "saga", summary = "A saga", params(("id" = inline(platform::ids::SagaId), Path)), responses((status = 200, body = saga_core::SagaView), platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<Json<saga_core::SagaView>, ApiError> {
    Ok(Json(load(&state, &identity, &id).await?.view()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// The `cursor` of the previous page.
    #[param(value_type = Option<platform::ids::SagaId>, inline)]
    cursor: Option<String>,
    /// 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
}

/// `GET /api/v1/saga/transactions?status=&type=&cursor=&limit=` — newest first.
#[utoipa::path(get, path = "/api/v1/saga/transactions", tag = "saga", summary = "Sagas of the workspace", params(ListParams), responses((status = 200, body = SagasResponse), platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<SagasResponse>, ApiError> {
    let limit = p.limit.unwrap_or(25);
    if limit == 0 || limit > 100 {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    let before = p.cursor.as_deref().map(saga_id).transpose()?;
    let mut all: Vec<Saga> = state
        .store
        .query_prefix(&keys::sagas_of(&identity.tenant))
        .await?;
    all.reverse();
    let matching: Vec<&Saga> = all
        .iter()
        .filter(|s| before.as_ref().is_none_or(|b| s.id < *b))
        .filter(|s| {
            p.status.as_deref().is_none_or(|st| {
                serde_json::to_value(s.status)
                    .ok()
                    .and_then(|v| v.as_str().map(|x| x == st))
                    .unwrap_or(false)
            })
        })
        .filter(|s| p.kind.as_deref().is_none_or(|k| s.kind == k))
        .collect();
    let transactions = matching.iter().take(limit).map(|s| s.list_view()).collect();
    let cursor = (matching.len() > limit).then(|| matching[limit - 1].id.to_string());
    Ok(Json(SagasResponse {
        transactions,
        cursor,
    }))
}

/// `POST /api/v1/saga/transaction/{id}/cancel` — 202; the running step stops at its next chunk
/// and the completed work is compensated. 409 when the saga has already ended.
#[utoipa::path(post, path = "/api/v1/saga/transaction/{id}/cancel", tag = "saga", summary = "Cancel a saga (compensates what was done)", params(("id" = inline(platform::ids::SagaId), Path)), responses((status = 202, body = saga_core::SagaStarted), platform::openapi::NotFound, platform::openapi::Conflict), security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let saga = load(&state, &identity, &id).await?;
    let updated = state
        .store
        .update::<Value>(
            &keys::saga(&identity.tenant, &saga.id),
            "SET #cancelRequested = :yes, #updatedAt = :at",
            Some("#status = :running"),
            &[
                (":yes", aws_sdk_dynamodb_bool(true)),
                (":at", s(platform::time::now_rfc3339())),
                (":running", s("running")),
            ],
        )
        .await;
    match updated {
        Ok(_) => Ok((
            StatusCode::ACCEPTED,
            Json(saga_core::SagaStarted {
                transaction_id: saga.id,
                status: Status::Running,
                kind: None,
                cancel_requested: Some(true),
            }),
        )
            .into_response()),
        Err(StoreError::ConditionFailed) => Err(ApiError::conflict(
            "saga_not_running",
            "the transaction is not running; only a running one can be cancelled",
        )),
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
    let telemetry = state.telemetry.clone();
    Router::new()
        .route("/api/v1/saga/transaction", post(create))
        .route("/api/v1/saga/transaction/{id}", get(show))
        .route("/api/v1/saga/transaction/{id}/cancel", post(cancel))
        .route("/api/v1/saga/transactions", get(list))
        .with_state(state)
        .route_layer(telemetry.http_layer())
}

#[cfg(test)]
mod tests {
    //! The Router as Lambda runs it, fed the sample events in `events/saga/`.

    use super::*;
    use platform::testing::{event, invoke, unreachable_aws};

    #[tokio::test]
    async fn the_start_event_without_credentials_is_a_401_problem() {
        let (config, aws) = unreachable_aws();
        let (status, body, headers) = invoke(
            router(AppState::new(config, aws).await.unwrap()),
            &event("saga", "start.json"),
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["code"], "unauthorized");
    }
}
