//! Lambda `chat`: chat with your Airtable. A tool-calling loop over the shared tool registry
//! (`tools`, filtered by the caller's role) with the model chosen by `LLM_PROVIDER`
//! (`llm`), whole-session history, a buffered endpoint and a streaming one (server-sent
//! events), sessions in DynamoDB, cost per call and monthly budgets checked before every call.

mod budgets;
mod sessions;
mod turn;

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use llm::{Prices, Provider};
use platform::auth::{Authenticator, Identity};
use platform::aws::AwsClients;
use platform::config::{Config, ConfigError};
use platform::error::ApiError;
use platform::http::ApiJson;
use platform::store::Store;
use tools::Toolbox;

pub use turn::{ChatRequest, ChatResponse};

/// The loop's limits and prices, from the configuration.
#[derive(Clone)]
pub struct Settings {
    pub max_iterations: u32,
    pub max_tokens: u32,
    pub history_tokens: u64,
    pub prices: Prices,
    /// How long one turn may run.
    pub turn_budget: std::time::Duration,
}

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    /// Scopes every request: metrics and usage counters.
    pub telemetry: platform::telemetry::Telemetry,
    pub auth: Authenticator,
    pub store: Store,
    pub toolbox: Toolbox,
    /// `None` when no model is configured (chat answers 503 saying so).
    pub provider: Option<Arc<dyn Provider>>,
    pub settings: Settings,
}

impl AppState {
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let auth = Authenticator::load(&config, &aws).await?;
        let store = auth.store().clone();
        let toolbox = Toolbox::new(&config, &aws, auth.store().clone());
        let provider = llm::provider(&config.llm, aws.bedrock());
        let settings = Settings {
            max_iterations: config.llm_max_iterations,
            max_tokens: config.llm_max_tokens,
            history_tokens: config.llm_history_tokens,
            prices: config.llm_prices.clone(),
            turn_budget: std::time::Duration::from_secs(config.llm_turn_seconds),
        };
        Ok(Self {
            telemetry: platform::telemetry::Telemetry::new("chat", &config, auth.store().clone()),
            auth,
            store,
            toolbox,
            provider,
            settings,
        })
    }

    /// The same state with another model (tests, or a second model per function).
    pub fn with_provider(mut self, provider: Arc<dyn Provider>) -> Self {
        self.provider = Some(provider);
        self
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// `POST /api/v1/chat` — one turn, answered whole.
#[utoipa::path(post, path = "/api/v1/chat", tag = "chat", summary = "Send a message; the model may call tools", request_body = ChatRequest, responses((status = 200, body = ChatResponse), platform::openapi::Unauthorized, platform::openapi::NotFound, platform::openapi::Conflict, platform::openapi::Invalid, (status = 429, description = "budget-exceeded", body = platform::error::Problem, content_type = "application/problem+json"), platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn chat(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    // With an `Idempotency-Key`, a retried message answers the first answer: no second model
    // call, no tool writing twice.
    let fingerprint = platform::idempotency::fingerprint(&[
        "POST /chat",
        req.session_id.as_deref().unwrap_or(""),
        req.base_id.as_deref().unwrap_or(""),
        &req.message,
    ]);
    platform::idempotency::run(&state.store, &identity, &headers, fingerprint, || async {
        let prepared = turn::prepare(&state, &identity, req).await?;
        let response = turn::run(&state, prepared, None).await?;
        Ok((
            StatusCode::OK,
            serde_json::to_value(response).map_err(ApiError::internal)?,
        ))
    })
    .await
}

/// One server-sent event of `POST /api/v1/chat/stream`: its name and its data (JSON).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct StreamEvent {
    #[schema(pattern = "^(session|delta|tool_call_started|tool_call_finished|usage|done|error)$")]
    event: String,
    /// The event's JSON document.
    data: String,
}

/// `POST /api/v1/chat/stream` — the same turn as server-sent events: `session`, `delta`,
/// `tool_call_started`, `tool_call_finished`, `usage`, then `done` (the whole answer) or `error`
/// (a problem). Anything refused before the model is called is a plain problem response.
#[utoipa::path(post, path = "/api/v1/chat/stream", tag = "chat", summary = "Send a message; progress streams as server-sent events", request_body = ChatRequest, responses((status = 200, body = StreamEvent, content_type = "text/event-stream", description = "events: session, delta, tool_call_started, tool_call_finished, usage, done, error"), platform::openapi::Unauthorized, platform::openapi::NotFound, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::TooManyRequests, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn chat_stream(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let prepared = turn::prepare(&state, &identity, req).await?;
    tracing::info!(session = %prepared.chat_id(), "streaming a chat turn");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let problem = |e: ApiError| {
        turn::Event::Error(serde_json::to_value(e.to_problem().0).unwrap_or_default())
    };
    let watcher = tx.clone();
    // The turn outlives the response (its events stream): it is counted in a scope of its own.
    let telemetry = state.telemetry.clone();
    let (tenant, user) = (identity.tenant.clone(), identity.user_id().clone());
    let worker = tokio::spawn(async move {
        telemetry
            .run(async move {
                platform::telemetry::record::attribute(&tenant, &user);
                let last = match turn::run(&state, prepared, Some(&tx)).await {
                    Ok(response) => turn::Event::Done(Box::new(response)),
                    Err(e) => problem(e),
                };
                let _ = tx.send(last);
            })
            .await
    });
    // A turn that panics still ends its stream with an `error` event.
    tokio::spawn(async move {
        if let Err(e) = worker.await {
            let _ = watcher.send(problem(ApiError::internal(e)));
        }
    });
    let events = futures::stream::unfold(rx, |mut rx| async move {
        let event = rx.recv().await?;
        let sse = SseEvent::default()
            .event(event.name())
            .json_data(event.data())
            .unwrap_or_default();
        Some((Ok::<_, Infallible>(sse), rx))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The function's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    chat,
    chat_stream,
    sessions::list,
    sessions::get,
    sessions::delete,
    budgets::get,
    budgets::put
))]
pub struct ApiDoc;

/// Every route of the function.
pub fn router(state: AppState) -> Router {
    let telemetry = state.telemetry.clone();
    Router::new()
        .route("/api/v1/chat", post(chat))
        .route("/api/v1/chat/stream", post(chat_stream))
        .route("/api/v1/chat/sessions", get(sessions::list))
        .route(
            "/api/v1/chat/sessions/{id}",
            get(sessions::get).delete(sessions::delete),
        )
        .route("/api/v1/budgets", put(budgets::put).get(budgets::get))
        .with_state(state)
        .route_layer(telemetry.http_layer())
}

#[cfg(test)]
mod tests {
    //! The Router as Lambda runs it, fed the sample API Gateway events in `events/chat/`.

    use super::*;
    use platform::testing::{event, invoke, unreachable_aws};

    #[tokio::test]
    async fn a_chat_event_without_credentials_is_a_401_problem() {
        let (config, aws) = unreachable_aws();
        let app = platform::http::edge(router(AppState::new(config, aws).await.unwrap()));
        let (status, body, headers) = invoke(app, &event("chat", "chat.json")).await;
        assert_eq!(status, 401);
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["code"], "unauthorized");
    }
}
