//! Lambda `auth`: registration, login (with lockout), refresh-token rotation with reuse
//! detection, logout, the caller's profile, tenants and their members, invitations, API keys —
//! and the platform's health checks.
//!
//! [`router`] is the whole function: `main.rs` runs it on Lambda, the local stack merges it into
//! its one HTTP server, and the tests below call it with `oneshot`.

mod api_keys;
mod health;
mod invitations;
mod items;
mod passwords;
mod sessions;
mod tenants;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{delete, get, patch, post};
use platform::auth::Authenticator;
use platform::aws::AwsClients;
use platform::config::{Config, ConfigError};
use platform::store::Store;

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    /// Scopes every request: metrics and usage counters.
    pub telemetry: platform::telemetry::Telemetry,
    pub config: Arc<Config>,
    pub aws: AwsClients,
    pub store: Store,
    pub auth: Authenticator,
    passwords: passwords::Passwords,
}

impl AppState {
    /// Builds the state: resolves the JWT secret and wires the store.
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let auth = Authenticator::load(&config, &aws).await?;
        Ok(Self {
            telemetry: platform::telemetry::Telemetry::new("auth", &config, auth.store().clone()),
            store: auth.store().clone(),
            auth,
            aws,
            config: Arc::new(config),
            passwords: Default::default(),
        })
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// The function's part of the OpenAPI document (assembled with every function's part into
/// `docs/openapi.json` by the local stack's test, and served below).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    health::live,
    health::ready,
    users::register,
    users::login,
    sessions::refresh,
    sessions::logout,
    sessions::switch,
    users::me,
    users::update_me,
    users::change_password,
    tenants::get_tenant,
    tenants::update_tenant,
    tenants::list_members,
    tenants::invite,
    tenants::update_member,
    tenants::remove_member,
    invitations::accept,
    invitations::preview,
    invitations::revoke,
    api_keys::create,
    api_keys::list,
    api_keys::revoke,
))]
pub struct ApiDoc;

/// The whole platform's OpenAPI 3.1 document, generated from the code of every function (a test
/// in `infra/local` fails when this file and the code disagree).
const OPENAPI_JSON: &str = include_str!("../../../docs/openapi.json");

async fn openapi_json() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON,
    )
}

/// Every route of the function.
pub fn router(state: AppState) -> Router {
    let telemetry = state.telemetry.clone();
    Router::new()
        .route("/api/v1/health", get(health::live))
        .route("/api/v1/health/ready", get(health::ready))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/auth/register", post(users::register))
        .route("/api/v1/auth/login", post(users::login))
        .route("/api/v1/auth/refresh", post(sessions::refresh))
        .route("/api/v1/auth/logout", post(sessions::logout))
        .route("/api/v1/auth/switch", post(sessions::switch))
        .route("/api/v1/auth/me", get(users::me).patch(users::update_me))
        .route("/api/v1/auth/change-password", post(users::change_password))
        .route(
            "/api/v1/tenant",
            get(tenants::get_tenant).patch(tenants::update_tenant),
        )
        .route(
            "/api/v1/tenant/members",
            get(tenants::list_members).post(tenants::invite),
        )
        .route(
            "/api/v1/tenant/members/{userId}",
            patch(tenants::update_member).delete(tenants::remove_member),
        )
        .route(
            "/api/v1/tenant/invitations/accept",
            post(invitations::accept),
        )
        .route(
            "/api/v1/tenant/invitations/preview",
            get(invitations::preview),
        )
        .route(
            "/api/v1/tenant/invitations/{invitationId}",
            delete(invitations::revoke),
        )
        .route(
            "/api/v1/api-keys",
            get(api_keys::list).post(api_keys::create),
        )
        .route("/api/v1/api-keys/{keyId}", delete(api_keys::revoke))
        .with_state(state)
        .route_layer(telemetry.http_layer())
}

#[cfg(test)]
mod tests {
    //! The Router as Lambda runs it: sample API Gateway v2 events from `events/auth/` go through
    //! `lambda_http`'s own parsing into the Router. AWS is an address where nothing listens, so
    //! these tests need no emulator and show how the function behaves when AWS is unreachable.

    use super::*;
    use platform::testing::{event, invoke, unreachable_aws};

    async fn app() -> Router {
        let (config, aws) = unreachable_aws();
        router(AppState::new(config, aws).await.unwrap())
    }

    fn get(path: &str) -> String {
        event("auth", "health.json").replace("/api/v1/health\"", &format!("{path}\""))
    }

    #[tokio::test]
    async fn the_health_event_answers_ok() {
        let (status, body, headers) = invoke(app().await, &event("auth", "health.json")).await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], "ok");
        assert!(headers.contains_key("x-request-id"));
    }

    #[tokio::test]
    async fn the_register_event_is_validated_before_any_aws_call() {
        let (status, body, headers) = invoke(app().await, &event("auth", "register.json")).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["errors"][0]["field"], "password");
    }

    #[tokio::test]
    async fn readiness_is_503_naming_every_dependency_that_is_down() {
        let (status, body, _) = invoke(app().await, &get("/api/v1/health/ready")).await;
        assert_eq!(status, 503);
        assert_eq!(body["status"], "unavailable");
        for dep in ["dynamodb", "s3", "sqs", "stepFunctions", "kms"] {
            assert_eq!(body["checks"][dep]["ok"], false, "{dep}: {body}");
        }
    }

    #[tokio::test]
    async fn an_unreachable_table_is_a_500_problem_that_says_nothing_internal() {
        let login = event("auth", "register.json")
            .replace("/api/v1/auth/register", "/api/v1/auth/login")
            .replace(
                r#"{\"email\":\"ada@example.com\",\"password\":\"short\"}"#,
                r#"{\"email\":\"ada@example.com\",\"password\":\"whatever12\"}"#,
            );
        let (status, body, _) = invoke(app().await, &login).await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["code"], "internal_error");
        let text = body.to_string();
        assert!(
            !text.contains("127.0.0.1") && !text.contains("dispatch"),
            "{text}"
        );
    }
}
