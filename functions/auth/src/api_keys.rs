//! API keys: created with a name and a role no higher than the creator's, shown once, stored
//! only as a hash (a global lookup item made unique by a condition, plus a tenant-owned record
//! for listing). A key authenticates as `Authorization: Bearer pyat_…`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use platform::auth::{API_KEY_PREFIX, Identity, Role, hash_secret, random_secret};
use platform::http::ApiJson;
use platform::ids::{ApiKeyId, TenantId, UserId};
use platform::store::members::ApiKeyLookup;
use platform::store::{StoreError, keys};
use platform::{ApiError, FieldError};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::items::{ApiKeyItem, ApiKeyView};

/// Longest lifetime a key can be given, in days (keys may also never expire).
pub const MAX_EXPIRY_DAYS: i64 = 3650;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRequest {
    name: String,
    /// Defaults to the creator's role.
    role: Option<Role>,
    expires_in_days: Option<i64>,
}

/// `POST /api/v1/api-keys`'s answer: the key's view and, this once, the key itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    #[serde(flatten)]
    pub view: ApiKeyView,
    /// `pyat_…`: shown once, never again.
    pub key: String,
}

/// `GET /api/v1/api-keys`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeysResponse {
    pub api_keys: Vec<ApiKeyView>,
}

/// `POST /api/v1/api-keys` → 201 with the key (the only time it is shown).
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", summary = "Create an API key (shown once)", request_body = CreateRequest, responses((status = 201, body = CreatedKey), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<CreateRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    identity.require_writer()?;
    // Only a signed-in user mints keys: a leaked key must not be able to mint its successors.
    identity.user_session()?;
    let mut errors = Vec::new();
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", "must be 1 to 100 characters"));
    }
    if let Some(days) = req.expires_in_days
        && !(1..=MAX_EXPIRY_DAYS).contains(&days)
    {
        errors.push(FieldError::new(
            "expiresInDays",
            format!("must be between 1 and {MAX_EXPIRY_DAYS}"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let role = req.role.unwrap_or(identity.role);
    if role > identity.role {
        return Err(ApiError::forbidden(format!(
            "a key cannot have a higher role than yours ({})",
            identity.role.as_str()
        )));
    }
    let secret = format!("{API_KEY_PREFIX}{}", random_secret(32));
    let secret_hash = hash_secret(&secret);
    let expires_at = req
        .expires_in_days
        .map(|d| platform::time::now_epoch() + d * 86_400);
    let item = ApiKeyItem {
        key_id: ApiKeyId::generate(),
        tenant_id: identity.tenant.clone(),
        name: name.to_owned(),
        prefix: secret[..API_KEY_PREFIX.len() + 6].to_owned(),
        role,
        created_by: identity.user_id().clone(),
        created_at: platform::time::now_rfc3339(),
        expires_at,
        secret_hash: secret_hash.clone(),
    };
    let lookup = ApiKeyLookup {
        tenant_id: item.tenant_id.clone(),
        key_id: item.key_id.clone(),
        role,
        created_by: item.created_by.clone(),
        expires_at,
        secret_hash: secret_hash.clone(),
    };
    state
        .store
        .tx()
        .put_new(&lookup)
        .put_new(&item)
        .commit()
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            view: ApiKeyView::from(&item),
            key: secret,
        }),
    ))
}

/// `GET /api/v1/api-keys`: owners/admins see every key of the tenant; others see their own.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", summary = "API keys (never their secrets)", responses((status = 200, body = ApiKeysResponse), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<ApiKeysResponse>, ApiError> {
    let all: Vec<ApiKeyItem> = state
        .store
        .query_prefix(&keys::api_keys_of(&identity.tenant))
        .await?;
    let admin = identity.role.at_least(Role::Admin);
    let keys: Vec<ApiKeyView> = all
        .iter()
        .filter(|k| admin || &k.created_by == identity.user_id())
        .map(ApiKeyView::from)
        .collect();
    Ok(Json(ApiKeysResponse { api_keys: keys }))
}

/// `DELETE /api/v1/api-keys/{id}`: owners/admins revoke any key; others their own.
#[utoipa::path(delete, path = "/api/v1/api-keys/{keyId}", tag = "api-keys", summary = "Revoke an API key", params(("keyId" = inline(platform::ids::ApiKeyId), Path)), responses((status = 204), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let not_found = || ApiError::not_found("no such API key");
    let id = ApiKeyId::parse(&id).map_err(|_| not_found())?;
    let item: ApiKeyItem = state
        .store
        .get(&keys::api_key(&identity.tenant, &id))
        .await?
        .ok_or_else(not_found)?;
    if !identity.role.at_least(Role::Admin) && &item.created_by != identity.user_id() {
        return Err(ApiError::forbidden(
            "only owners and admins can revoke other members' keys",
        ));
    }
    identity.require_writer()?;
    delete_key(&state, &item).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_key(state: &AppState, item: &ApiKeyItem) -> Result<(), ApiError> {
    match state
        .store
        .tx()
        .delete(&keys::api_key_lookup(&item.secret_hash))
        .delete_existing(&keys::api_key(&item.tenant_id, &item.key_id))
        .commit()
        .await
    {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Revokes the keys a user created in a tenant: all of them, or those above `keep_up_to`.
pub async fn revoke_keys_of(
    state: &AppState,
    tenant: &TenantId,
    user: &UserId,
    keep_up_to: Option<Role>,
) -> Result<usize, ApiError> {
    let all: Vec<ApiKeyItem> = state.store.query_prefix(&keys::api_keys_of(tenant)).await?;
    let doomed: Vec<&ApiKeyItem> = all
        .iter()
        .filter(|k| &k.created_by == user && keep_up_to.is_none_or(|max| k.role > max))
        .collect();
    for k in &doomed {
        delete_key(state, k).await?;
    }
    Ok(doomed.len())
}
