//! Invitations: an owner or admin invites an email with a role; the invitee consumes the token by
//! registering (`invitationToken`) or, with an existing account, by accepting it.
//!
//! The token is `pyinv_<tenantId>.<invitationId>.<secret>`; only the secret's hash is stored.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use platform::ApiError;
use platform::auth::{Identity, Role, hash_secret};
use platform::http::{ApiJson, ApiQuery};
use platform::ids::{Email, InvitationId, TenantId};
use platform::store::members::Member;
use platform::store::{StoreError, keys, n};
use serde::Deserialize;

use crate::AppState;
use crate::items::{InvitationItem, TenantItem, UserItem};
use crate::sessions;
use crate::users::SessionResponse;

/// How long an invitation can be accepted.
pub const INVITATION_TTL_SECS: i64 = 7 * 24 * 3600;
const PREFIX: &str = "pyinv_";

/// A parsed invitation token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationToken {
    pub tenant: TenantId,
    pub invitation: InvitationId,
    pub secret: String,
}

impl InvitationToken {
    pub fn encode(&self) -> String {
        format!(
            "{PREFIX}{}.{}.{}",
            self.tenant, self.invitation, self.secret
        )
    }

    pub fn decode(token: &str) -> Option<Self> {
        let mut parts = token.trim().strip_prefix(PREFIX)?.splitn(3, '.');
        let tenant = TenantId::parse(parts.next()?).ok()?;
        let invitation = InvitationId::parse(parts.next()?).ok()?;
        let secret = parts.next().filter(|s| s.len() >= 32)?.to_owned();
        Some(Self {
            tenant,
            invitation,
            secret,
        })
    }
}

fn invalid() -> ApiError {
    ApiError::not_found("the invitation does not exist, has expired or was already used")
}

/// Loads the invitation a token names, checking its secret and expiry (404 alike otherwise).
async fn load_unexpired(
    state: &AppState,
    token: &InvitationToken,
) -> Result<InvitationItem, ApiError> {
    let inv: InvitationItem = state
        .store
        .get(&keys::invitation(&token.tenant, &token.invitation))
        .await?
        .ok_or_else(invalid)?;
    if inv.token_hash != hash_secret(&token.secret) || inv.expires_at <= platform::time::now_epoch()
    {
        return Err(invalid());
    }
    Ok(inv)
}

/// Loads the invitation a token names, checking secret, expiry and that it is for `email`.
pub async fn load_valid(
    state: &AppState,
    token: &InvitationToken,
    email: &Email,
) -> Result<InvitationItem, ApiError> {
    let inv = load_unexpired(state, token).await?;
    if &inv.email != email {
        return Err(ApiError::forbidden(
            "this invitation was sent to another email address",
        ));
    }
    Ok(inv)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The invitation token from the link.
    token: String,
}

/// What an invitation offers, for its holder to see before signing up or in.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationPreview {
    pub workspace: String,
    /// The address it was sent to (it can only be accepted by that account).
    pub email: Email,
    pub role: Role,
    /// Who sent it, by name (or address).
    pub invited_by: String,
    pub expires_at: String,
}

/// `GET /api/v1/tenant/invitations/preview?token=` — no sign-in: whoever holds the token (and
/// only they) learns the workspace, the address and the role it offers. 404 for an invalid,
/// expired or used one, alike.
#[utoipa::path(get, path = "/api/v1/tenant/invitations/preview", tag = "tenant", summary = "What an invitation offers (for its holder)", params(PreviewQuery), responses((status = 200, body = InvitationPreview), platform::openapi::NotFound))]
pub async fn preview(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> Result<Json<InvitationPreview>, ApiError> {
    let token = InvitationToken::decode(&q.token).ok_or_else(invalid)?;
    let inv = load_unexpired(&state, &token).await?;
    let (tenant_key, inviter_key) = (
        keys::tenant(&inv.tenant_id),
        keys::member(&inv.tenant_id, &inv.invited_by),
    );
    let (tenant, inviter) = tokio::join!(
        state.store.get::<TenantItem>(&tenant_key),
        state.store.get::<Member>(&inviter_key)
    );
    let tenant = tenant?.ok_or_else(invalid)?;
    let invited_by = inviter?
        .map(|m| m.name.unwrap_or_else(|| m.email.to_string()))
        .unwrap_or_else(|| "a former member".into());
    Ok(Json(InvitationPreview {
        workspace: tenant.name,
        email: inv.email,
        role: inv.role,
        invited_by,
        expires_at: platform::time::epoch_to_rfc3339(inv.expires_at),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptRequest {
    token: String,
}

/// `POST /api/v1/tenant/invitations/accept {token}`: a signed-in user joins the inviting tenant
/// and gets a session there.
#[utoipa::path(post, path = "/api/v1/tenant/invitations/accept", tag = "tenant", summary = "Accept an invitation (signed-in user)", request_body = AcceptRequest, responses((status = 200, body = crate::users::SessionResponse), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::NotFound, platform::openapi::Conflict, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn accept(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<AcceptRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    let (user_id, _, _) = identity.user_session()?;
    let token = InvitationToken::decode(&req.token)
        .ok_or_else(|| ApiError::invalid("token", "is not a valid invitation token"))?;
    let user: UserItem = state
        .store
        .get(&keys::user(user_id))
        .await?
        .ok_or_else(|| ApiError::unauthorized("the user no longer exists"))?;
    let inv = load_valid(&state, &token, &user.email).await?;
    let tenant: TenantItem = state
        .store
        .get(&keys::tenant(&inv.tenant_id))
        .await?
        .ok_or_else(invalid)?;
    let member = Member {
        tenant_id: inv.tenant_id.clone(),
        user_id: user_id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        role: inv.role,
        joined_at: platform::time::now_rfc3339(),
    };
    let mut tx = state
        .store
        .tx()
        .put_new(&member)
        .delete_existing(&keys::invitation(&inv.tenant_id, &inv.invitation_id))
        .update(
            &keys::user(user_id),
            "SET defaultTenantId = :t",
            None,
            &[(":t", platform::store::s(inv.tenant_id.as_str()))],
        );
    if inv.role == Role::Owner {
        tx = tx.update(
            &keys::tenant(&inv.tenant_id),
            "ADD ownerCount :one",
            Some("attribute_exists(PK)"),
            &[(":one", n(1))],
        );
    }
    match tx.commit().await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed) => {
            return Err(
                if state
                    .store
                    .get::<Member>(&keys::member(&inv.tenant_id, user_id))
                    .await?
                    .is_some()
                {
                    ApiError::conflict("already_member", "you are already a member of this tenant")
                } else {
                    ApiError::conflict(
                        "invitation_used",
                        "the invitation has already been used or revoked",
                    )
                },
            );
        }
        Err(e) => return Err(e.into()),
    }
    let tokens = sessions::start(&state, user_id, &user.email, &inv.tenant_id, inv.role).await?;
    Ok(Json(SessionResponse {
        user: (&user).into(),
        tenant: (&tenant).into(),
        role: inv.role,
        tokens,
    }))
}

/// `DELETE /api/v1/tenant/invitations/{id}` (owner/admin): withdraws a pending invitation.
#[utoipa::path(delete, path = "/api/v1/tenant/invitations/{invitationId}", tag = "tenant", summary = "Withdraw an invitation (owner/admin)", params(("invitationId" = inline(platform::ids::InvitationId), Path)), responses((status = 204), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identity.require(Role::Admin)?;
    identity.user_session()?;
    let id = InvitationId::parse(&id).map_err(|_| ApiError::not_found("no such invitation"))?;
    match state
        .store
        .tx()
        .delete_existing(&keys::invitation(&identity.tenant, &id))
        .commit()
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::ConditionFailed) => Err(ApiError::not_found("no such invitation")),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let tok = InvitationToken {
            tenant: TenantId::generate(),
            invitation: InvitationId::generate(),
            secret: platform::auth::random_secret(32),
        };
        assert_eq!(InvitationToken::decode(&tok.encode()), Some(tok.clone()));
        assert!(InvitationToken::decode("pyinv_x.y.z").is_none());
        assert!(InvitationToken::decode(&tok.encode().replace("pyinv_", "")).is_none());
    }
}
