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
