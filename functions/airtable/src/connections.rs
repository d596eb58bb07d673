//! `PUT/GET/DELETE /api/v1/connections/airtable`: a tenant's personal access token, checked
//! against Airtable, stored KMS-encrypted, never shown again.

use airtable_client::{AirtableError, Connection};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform::ApiError;
use platform::auth::{Identity, Role};
use platform::http::ApiJson;
use platform::ids::UserId;
use platform::store::keys;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectRequest {
    /// An Airtable personal access token: up to 512 visible ASCII characters (white space
    /// around it is ignored).
    #[schema(pattern = "^[\\t\\n\\u000B\\f\\r ]*[!-~]{1,512}[\\t\\n\\u000B\\f\\r ]*$")]
    token: String,
}

/// Whether the workspace has connected Airtable.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Connected,
    NotConnected,
}

/// The connection as the API shows it: what the check found, never the token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    pub status: ConnectionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bases_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub airtable_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected_by: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_checked_at: Option<String>,
}

fn view(c: &Connection) -> ConnectionView {
    ConnectionView {
        status: ConnectionStatus::Connected,
        scopes: Some(c.scopes.clone()),
        bases_count: Some(c.bases_count),
        airtable_user_id: c.airtable_user_id.clone(),
        connected_by: Some(c.connected_by.clone()),
        connected_at: Some(c.connected_at.clone()),
        last_checked_at: Some(c.last_checked_at.clone()),
    }
}

/// Checks the token (it must list bases), then stores it encrypted. Owner/admin only.
#[utoipa::path(put, path = "/api/v1/connections/airtable", tag = "connections", summary = "Connect Airtable with a personal access token (owner/admin)", request_body = ConnectRequest, responses((status = 200, body = ConnectionView), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn connect(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<ConnectRequest>,
) -> Result<Json<ConnectionView>, ApiError> {
    identity.require(Role::Admin)?;
    let token = req.token.trim();
    if token.is_empty() || token.len() > 512 || !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            "token",
            "must be an Airtable personal access token",
        ));
    }
    let token = SecretString::from(token.to_owned());
    let session = state
        .airtable
        .for_tenant_with(&identity.tenant, token.clone());
    let bases = match session.list_bases().await {
        Ok(b) => b,
        Err(AirtableError::Upstream {
            status: 401 | 403,
            kind,
            ..
        }) => {
            return Err(ApiError::Upstream {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "airtable_token_rejected",
                airtable_type: kind,
                detail: "Airtable refused this token; check that it is valid and has the schema.bases:read scope".into(),
                retry_after: None,
            });
        }
        Err(e) => return Err(e.into()),
    };
    // Scopes are informative: an older token may not be allowed to ask.
    let who = session.whoami().await.unwrap_or(Value::Null);
    let scopes: Vec<String> = who["scopes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let now = platform::time::now_rfc3339();
    let conn = Connection {
        tenant_id: identity.tenant.clone(),
        ciphertext: state
            .airtable
            .credentials
            .encrypt(&identity.tenant, &token)
            .await?,
        scopes,
        bases_count: bases.len(),
        airtable_user_id: who["id"].as_str().map(str::to_owned),
        connected_by: identity.user_id().clone(),
        connected_at: now.clone(),
        last_checked_at: now,
        versions: Default::default(),
    };
    state.store.put(&conn).await?;
    state.airtable.credentials.forget(&identity.tenant);
    tracing::info!(bases = conn.bases_count, "Airtable connected");
    Ok(Json(view(&conn)))
}

/// The connection's status, never the token.
#[utoipa::path(get, path = "/api/v1/connections/airtable", tag = "connections", summary = "Connection status (never the token)", responses((status = 200, body = ConnectionView), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn status(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<ConnectionView>, ApiError> {
    Ok(Json(
        match state
            .airtable
            .credentials
            .connection(&identity.tenant)
            .await?
        {
            Some(c) => view(&c),
            None => ConnectionView {
                status: ConnectionStatus::NotConnected,
                scopes: None,
                bases_count: None,
                airtable_user_id: None,
                connected_by: None,
                connected_at: None,
                last_checked_at: None,
            },
        },
    ))
}

/// Removes the connection. Owner/admin only.
#[utoipa::path(delete, path = "/api/v1/connections/airtable", tag = "connections", summary = "Disconnect Airtable (owner/admin)", responses((status = 204), platform::openapi::Unauthorized, platform::openapi::Forbidden), security(("bearer" = [])))]
pub async fn disconnect(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<StatusCode, ApiError> {
    identity.require(Role::Admin)?;
    state
        .store
        .delete(&keys::airtable_connection(&identity.tenant))
        .await?;
    state.airtable.credentials.forget(&identity.tenant);
    Ok(StatusCode::NO_CONTENT)
}
