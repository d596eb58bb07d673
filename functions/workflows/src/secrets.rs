//! `/api/v1/secrets`: the workspace's secrets for workflows. Admins (signed in: a key cannot
//! plant credentials that outlive it) write and delete them; every member sees their names, so
//! they can refer to them as `{{secrets.NAME}}`; nobody reads a value back.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use platform::auth::{Identity, Role};
use platform::error::ApiError;
use platform::http::ApiJson;
use platform::store::{StoreError, Under, keys};
use serde::{Deserialize, Serialize};
use workflows_core::definition::is_secret_name;
use workflows_core::secrets::{self, MAX_SECRETS, MAX_VALUE_BYTES, SecretItem, SecretView};

use crate::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutSecret {
    /// The value; write-only (never shown again).
    value: String,
}

fn name_of(raw: &str) -> Result<String, ApiError> {
    if is_secret_name(raw) {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::invalid(
            "name",
            "a letter, then letters, digits and _ (64 at most)",
        ))
    }
}

fn manager(identity: &Identity) -> Result<(), ApiError> {
    identity.require(Role::Admin)?;
    identity.user_session().map(|_| ())
}

/// `GET /api/v1/secrets`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecretsResponse {
    secrets: Vec<SecretView>,
}

/// `GET /api/v1/secrets` → `{secrets: [{name, createdAt, updatedAt, updatedBy}]}`.
#[utoipa::path(get, path = "/api/v1/secrets", tag = "secrets", summary = "The workspace's secrets (names only)", responses((status = 200, body = SecretsResponse), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<SecretsResponse>, ApiError> {
    let all = secrets::list(&state.store, &identity.tenant).await?;
    Ok(Json(SecretsResponse {
        secrets: all.iter().map(SecretView::from).collect(),
    }))
}

/// `PUT /api/v1/secrets/{name} {value}` → 201 (new) or 200 (replaced) with the secret's view.
#[utoipa::path(put, path = "/api/v1/secrets/{name}", tag = "secrets", summary = "Set a workspace secret (write-only)", params(("name" = String, Path, pattern = "^[A-Za-z][A-Za-z0-9_]{0,63}$")), request_body = PutSecret, responses((status = 200, body = SecretView), (status = 201, body = SecretView), platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn put(
    State(state): State<AppState>,
    identity: Identity,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<PutSecret>,
) -> Result<(StatusCode, Json<SecretView>), ApiError> {
    manager(&identity)?;
    let name = name_of(&name)?;
    if req.value.is_empty() || req.value.len() > MAX_VALUE_BYTES {
        return Err(ApiError::invalid(
            "value",
            format!("1 to {MAX_VALUE_BYTES} bytes"),
        ));
    }
    let existing: Option<SecretItem> = state
        .store
        .get(&keys::secret(&identity.tenant, &name))
        .await?;
    if existing.is_none()
        && secrets::list(&state.store, &identity.tenant).await?.len() >= MAX_SECRETS
    {
        return Err(ApiError::conflict(
            "too_many_secrets",
            format!("a workspace keeps at most {MAX_SECRETS} secrets"),
        ));
    }
    let ciphertext = platform::sealed::seal(
        &state.kms,
        &state.kms_key_id,
        &secrets::context(&identity.tenant, &name),
        &req.value.into(),
    )
    .await
    .map_err(ApiError::internal)?;
    let now = platform::time::now_rfc3339();
    let item = SecretItem {
        name: name.clone(),
        ciphertext,
        created_at: existing
            .as_ref()
            .map(|e| e.created_at.clone())
            .unwrap_or_else(|| now.clone()),
        updated_at: now,
        updated_by: identity.user_id().clone(),
    };
    state.store.put(&Under(&identity.tenant, &item)).await?;
    tracing::info!(secret = %name, "workspace secret set");
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(SecretView::from(&item))))
}

/// `DELETE /api/v1/secrets/{name}` → 204. Workflows that use it fail that step until it is set
/// again.
#[utoipa::path(delete, path = "/api/v1/secrets/{name}", tag = "secrets", summary = "Delete a workspace secret", params(("name" = String, Path, pattern = "^[A-Za-z][A-Za-z0-9_]{0,63}$")), responses((status = 204), platform::openapi::Forbidden, platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    identity: Identity,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    manager(&identity)?;
    let name = name_of(&name)?;
    match state
        .store
        .tx()
        .delete_existing(&keys::secret(&identity.tenant, &name))
        .commit()
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::ConditionFailed) => Err(ApiError::not_found("no such secret")),
        Err(e) => Err(e.into()),
    }
}

/// 422 naming each `{{secrets.NAME}}` of a definition that the workspace does not have.
pub async fn check_references(
    state: &AppState,
    identity: &Identity,
    def: &workflows_core::definition::Definition,
) -> Result<(), ApiError> {
    let refs = workflows_core::definition::secret_references(def);
    if refs.is_empty() {
        return Ok(());
    }
    let have: std::collections::HashSet<String> = secrets::list(&state.store, &identity.tenant)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let errors: Vec<platform::FieldError> = refs
        .into_iter()
        .filter(|(_, name)| !have.contains(name))
        .map(|(path, name)| {
            platform::FieldError::new(
                path,
                format!("the workspace has no secret `{name}`; an admin can add it"),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}
