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
use shared::auth::{Authenticator, JwtKeys};
use shared::aws::AwsClients;
use shared::config::{Config, ConfigError};
use shared::store::Store;

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub aws: AwsClients,
    pub store: Store,
    pub auth: Authenticator,
    passwords: passwords::Passwords,
}

impl AppState {
    /// Builds the state: resolves the JWT secret and wires the store.
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let jwt = JwtKeys::load(&config, &aws.secrets).await?;
        let store = Store::new(aws.dynamodb.clone(), config.table_name.clone());
        Ok(Self { auth: Authenticator::new(jwt, store.clone()), store, aws, config: Arc::new(config), passwords: Default::default() })
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// Every route of the function.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/health", get(health::live))
        .route("/api/v1/health/ready", get(health::ready))
        .route("/api/v1/auth/register", post(users::register))
        .route("/api/v1/auth/login", post(users::login))
        .route("/api/v1/auth/refresh", post(sessions::refresh))
        .route("/api/v1/auth/logout", post(sessions::logout))
        .route("/api/v1/auth/me", get(users::me).patch(users::update_me))
        .route("/api/v1/auth/change-password", post(users::change_password))
        .route("/api/v1/tenant", get(tenants::get_tenant).patch(tenants::update_tenant))
        .route("/api/v1/tenant/members", get(tenants::list_members).post(tenants::invite))
        .route("/api/v1/tenant/members/{userId}", patch(tenants::update_member).delete(tenants::remove_member))
        .route("/api/v1/tenant/invitations/accept", post(invitations::accept))
        .route("/api/v1/tenant/invitations/{invitationId}", delete(invitations::revoke))
        .route("/api/v1/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/api/v1/api-keys/{keyId}", delete(api_keys::revoke))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    //! The Router as Lambda runs it: sample API Gateway v2 events from `events/auth/` go through
    //! `lambda_http`'s own parsing into the Router. AWS is an address where nothing listens, so
    //! these tests need no emulator and show how the function behaves when AWS is unreachable.

    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn state() -> AppState {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "unit",
            )))
            .build();
        let env = std::collections::HashMap::from([
            ("TABLE_NAME", "t"),
            ("UPLOADS_BUCKET", "b"),
            ("FILES_QUEUE_URL", "http://127.0.0.1:9/q/files"),
            ("AUTOMATION_QUEUE_URL", "http://127.0.0.1:9/q/auto"),
            ("SAGA_STEPS_QUEUE_URL", "http://127.0.0.1:9/q/saga"),
            ("KMS_KEY_ID", "alias/k"),
            ("JWT_SECRET", "unit-test-secret-0123456789abcdefghij"),
        ]);
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        AppState::new(config, AwsClients::new(&sdk)).await.unwrap()
    }

    async fn invoke(event: &str) -> (u16, serde_json::Value, http::HeaderMap) {
        let path = format!("{}/../../events/auth/{event}", env!("CARGO_MANIFEST_DIR"));
        let req = lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let req = req.map(|b| Body::from(b.to_vec()));
        let res = shared::http::edge(router(state().await)).oneshot(req).await.unwrap();
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap(), headers)
    }

    #[tokio::test]
    async fn the_health_event_answers_ok() {
        let (status, body, headers) = invoke("health.json").await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], "ok");
        assert!(headers.contains_key("x-request-id"));
    }

    #[tokio::test]
    async fn the_register_event_is_validated_before_any_aws_call() {
        let (status, body, headers) = invoke("register.json").await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["errors"][0]["field"], "password");
    }

    #[tokio::test]
    async fn readiness_is_503_naming_every_dependency_that_is_down() {
        let req = http::Request::get("/api/v1/health/ready").body(Body::empty()).unwrap();
        let res = shared::http::edge(router(state().await)).oneshot(req).await.unwrap();
        assert_eq!(res.status(), 503);
        let body: serde_json::Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(body["status"], "unavailable");
        for dep in ["dynamodb", "s3", "sqs", "stepFunctions", "kms"] {
            assert_eq!(body["checks"][dep]["ok"], false, "{dep}: {body}");
        }
    }

    #[tokio::test]
    async fn an_unreachable_table_is_a_500_problem_that_says_nothing_internal() {
        let req = http::Request::post("/api/v1/auth/login")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"email":"a@b.co","password":"whatever12"}"#))
            .unwrap();
        let res = shared::http::edge(router(state().await)).oneshot(req).await.unwrap();
        assert_eq!(res.status(), 500);
        let text = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        assert!(text.contains("internal_error"), "{text}");
        assert!(!text.contains("127.0.0.1") && !text.contains("dispatch"), "{text}");
    }
}
