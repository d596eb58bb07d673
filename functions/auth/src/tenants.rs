//! The caller's tenant and its members: listing, inviting, changing roles, removing.
//!
//! Only owners and admins manage members; admins cannot touch owners or make new ones; the last
//! owner can be neither demoted nor removed — enforced by a condition on the tenant's
//! `ownerCount` inside the same transaction, so two concurrent demotions cannot both pass.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use platform::auth::{Identity, Role, hash_secret, random_secret};
use platform::http::ApiJson;
use platform::ids::{Email, InvitationId, UserId};
use platform::store::members::Member;
use platform::store::{StoreError, keys, n, s};
use platform::{ApiError, FieldError};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api_keys;
use crate::invitations::{INVITATION_TTL_SECS, InvitationToken};
use crate::items::{EmailItem, InvitationItem, InvitationView, TenantItem, TenantView};
use crate::users::clean_name;

async fn load_tenant(state: &AppState, identity: &Identity) -> Result<TenantItem, ApiError> {
    state
        .store
        .get(&keys::tenant(&identity.tenant))
        .await?
        .ok_or_else(|| ApiError::not_found("tenant not found"))
}

/// `GET /api/v1/tenant`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantResponse {
    pub tenant: TenantView,
    /// The caller's role in it.
    pub role: Role,
    pub member_count: usize,
    pub owner_count: u32,
}

/// A member as the API shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub user_id: UserId,
    pub email: Email,
    pub name: Option<String>,
    pub role: Role,
    pub joined_at: String,
}

/// `GET /api/v1/tenant/members`'s answer: invitations for owners and admins only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembersResponse {
    pub members: Vec<MemberView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitations: Option<Vec<InvitationView>>,
}

/// `POST /api/v1/tenant/members`'s answer: the invitation, and its token (shown once).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteResponse {
    pub invitation: InvitationView,
    pub invitation_token: String,
}

/// `PATCH /api/v1/tenant/members/{userId}`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleChanged {
    pub user_id: UserId,
    pub role: Role,
    /// Keys of the member above their new role, revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_keys_revoked: Option<usize>,
}

/// `GET /api/v1/tenant`.
#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant", summary = "The caller's tenant", responses((status = 200, body = TenantResponse), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn get_tenant(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<TenantResponse>, ApiError> {
    let tenant = load_tenant(&state, &identity).await?;
    let members: Vec<Member> = state
        .store
        .query_prefix(&keys::members_of(&identity.tenant))
        .await?;
    Ok(Json(TenantResponse {
        tenant: TenantView::from(&tenant),
        role: identity.role,
        member_count: members.len(),
        owner_count: tenant.owner_count,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateTenantRequest {
    /// 1–100 printable characters (white space around it is ignored).
    #[schema(
        required = true,
        nullable = false,
        pattern = "^[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u001F\\u007F-\\u009F\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000](?:[^\\u0000-\\u001F\\u007F-\\u009F]{0,98}[^\\u0000-\\u001F\\u007F-\\u009F\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000])?[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    name: Option<String>,
}

/// `PATCH /api/v1/tenant {name}` (owner/admin).
#[utoipa::path(patch, path = "/api/v1/tenant", tag = "tenant", summary = "Rename the tenant (owner/admin)", request_body = UpdateTenantRequest, responses((status = 200, body = TenantView), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn update_tenant(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<UpdateTenantRequest>,
) -> Result<Json<TenantView>, ApiError> {
    identity.require(Role::Admin)?;
    let mut errors = Vec::new();
    let name = clean_name("name", req.name.as_deref(), &mut errors).ok_or_else(|| {
        if errors.is_empty() {
            ApiError::invalid("name", "is required")
        } else {
            ApiError::Validation(errors)
        }
    })?;
    let tenant: TenantItem = state
        .store
        .update(
            &keys::tenant(&identity.tenant),
            "SET #name = :n",
            Some("attribute_exists(PK)"),
            &[(":n", s(name))],
        )
        .await?;
    Ok(Json((&tenant).into()))
}

/// `GET /api/v1/tenant/members`: members, and for owners/admins the pending invitations.
#[utoipa::path(get, path = "/api/v1/tenant/members", tag = "tenant", summary = "Members (and pending invitations for owners/admins)", responses((status = 200, body = MembersResponse), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn list_members(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<MembersResponse>, ApiError> {
    let members: Vec<Member> = state
        .store
        .query_prefix(&keys::members_of(&identity.tenant))
        .await?;
    let members = members
        .into_iter()
        .map(|m| MemberView {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role,
            joined_at: m.joined_at,
        })
        .collect();
    let mut body = MembersResponse {
        members,
        invitations: None,
    };
    if identity.role.at_least(Role::Admin) {
        let now = platform::time::now_epoch();
        let invites: Vec<InvitationItem> = state
            .store
            .query_prefix(&keys::invitations_of(&identity.tenant))
            .await?;
        body.invitations = Some(
            invites
                .iter()
                .filter(|i| i.expires_at > now)
                .map(InvitationView::from)
                .collect(),
        );
    }
    Ok(Json(body))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteRequest {
    /// `local@domain.tld` (at most 254 characters; compared in lower case).
    #[schema(
        max_length = 254,
        pattern = "^[\\t\\n\\u000B\\f\\r ]*[!-?A-~]{1,64}@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+[\\t\\n\\u000B\\f\\r ]*$"
    )]
    email: String,
    role: Role,
}

/// `POST /api/v1/tenant/members {email, role}` (owner/admin) → 201 with the invitation and its
/// token (shown once; deliver it to the invitee).
#[utoipa::path(post, path = "/api/v1/tenant/members", tag = "tenant", summary = "Invite an email with a role (owner/admin)", request_body = InviteRequest, responses((status = 201, body = InviteResponse), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn invite(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<InviteRequest>,
) -> Result<(StatusCode, Json<InviteResponse>), ApiError> {
    identity.require(Role::Admin)?;
    // People are managed by people: a key must not mint accounts or roles that outlive it.
    identity.user_session()?;
    let email = Email::parse(&req.email)
        .map_err(|m| ApiError::Validation(vec![FieldError::new("email", m)]))?;
    if req.role == Role::Owner {
        identity.require(Role::Owner)?;
    }
    if let Some(existing) = state.store.get::<EmailItem>(&keys::email(&email)).await?
        && state
            .store
            .get::<Member>(&keys::member(&identity.tenant, &existing.user_id))
            .await?
            .is_some()
    {
        return Err(ApiError::conflict(
            "already_member",
            "that user is already a member of this tenant",
        ));
    }
    let token = InvitationToken {
        tenant: identity.tenant.clone(),
        invitation: InvitationId::generate(),
        secret: random_secret(32),
    };
    let expires_at = platform::time::now_epoch() + INVITATION_TTL_SECS;
    let item = InvitationItem {
        invitation_id: token.invitation.clone(),
        tenant_id: identity.tenant.clone(),
        email,
        role: req.role,
        token_hash: hash_secret(&token.secret),
        invited_by: identity.user_id().clone(),
        created_at: platform::time::now_rfc3339(),
        expires_at,
    };
    state.store.put_new(&item).await?;
    Ok((
        StatusCode::CREATED,
        Json(InviteResponse {
            invitation: InvitationView::from(&item),
            invitation_token: token.encode(),
        }),
    ))
}

fn parse_user(id: &str) -> Result<UserId, ApiError> {
    UserId::parse(id).map_err(|_| ApiError::not_found("no such member"))
}

async fn load_member(
    state: &AppState,
    identity: &Identity,
    user: &UserId,
) -> Result<Member, ApiError> {
    state
        .store
        .get(&keys::member(&identity.tenant, user))
        .await?
        .ok_or_else(|| ApiError::not_found("no such member"))
}

fn last_owner() -> ApiError {
    ApiError::conflict("last_owner", "a tenant must keep at least one owner")
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateMemberRequest {
    role: Role,
}

/// `PATCH /api/v1/tenant/members/{userId} {role}` (owner/admin).
#[utoipa::path(patch, path = "/api/v1/tenant/members/{userId}", tag = "tenant", summary = "Change a member's role (owner/admin)", request_body = UpdateMemberRequest, params(("userId" = inline(platform::ids::UserId), Path)), responses((status = 200, body = RoleChanged), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::NotFound, platform::openapi::Conflict, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn update_member(
    State(state): State<AppState>,
    identity: Identity,
    Path(user): Path<String>,
    ApiJson(req): ApiJson<UpdateMemberRequest>,
) -> Result<Json<RoleChanged>, ApiError> {
    identity.require(Role::Admin)?;
    identity.user_session()?;
    let user = parse_user(&user)?;
    let target = load_member(&state, &identity, &user).await?;
    if (target.role == Role::Owner || req.role == Role::Owner) && identity.role != Role::Owner {
        return Err(ApiError::forbidden(
            "only an owner can change an owner or make a new owner",
        ));
    }
    if target.role == req.role {
        return Ok(Json(RoleChanged {
            user_id: user,
            role: req.role,
            api_keys_revoked: None,
        }));
    }
    let member_key = keys::member(&identity.tenant, &user);
    let mut tx = state.store.tx().update(
        &member_key,
        "SET #role = :new",
        Some("#role = :old"),
        &[
            (":new", s(req.role.as_str())),
            (":old", s(target.role.as_str())),
        ],
    );
    let tenant_key = keys::tenant(&identity.tenant);
    if target.role == Role::Owner {
        tx = tx.update(
            &tenant_key,
            "ADD ownerCount :minus",
            Some("ownerCount > :one"),
            &[(":minus", n(-1)), (":one", n(1))],
        );
    } else if req.role == Role::Owner {
        tx = tx.update(
            &tenant_key,
            "ADD ownerCount :plus",
            Some("attribute_exists(PK)"),
            &[(":plus", n(1))],
        );
    }
    match tx.commit().await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed) if target.role == Role::Owner => return Err(last_owner()),
        Err(StoreError::ConditionFailed) => {
            return Err(ApiError::conflict(
                "concurrent_change",
                "the member changed at the same time; try again",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    // A key never outranks its creator.
    let revoked = api_keys::revoke_keys_of(&state, &identity.tenant, &user, Some(req.role)).await?;
    Ok(Json(RoleChanged {
        user_id: user,
        role: req.role,
        api_keys_revoked: Some(revoked),
    }))
}

/// `DELETE /api/v1/tenant/members/{userId}` (owner/admin, or a member leaving).
#[utoipa::path(delete, path = "/api/v1/tenant/members/{userId}", tag = "tenant", summary = "Remove a member (owner/admin, or yourself)", params(("userId" = inline(platform::ids::UserId), Path)), responses((status = 204), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::NotFound, platform::openapi::Conflict), security(("bearer" = [])))]
pub async fn remove_member(
    State(state): State<AppState>,
    identity: Identity,
    Path(user): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = parse_user(&user)?;
    let leaving = &user == identity.user_id()
        && matches!(identity.principal, platform::auth::Principal::User { .. });
    if !leaving {
        identity.require(Role::Admin)?;
        identity.user_session()?;
    }
    let target = load_member(&state, &identity, &user).await?;
    if target.role == Role::Owner && identity.role != Role::Owner {
        return Err(ApiError::forbidden("only an owner can remove an owner"));
    }
    let mut tx = state
        .store
        .tx()
        .delete_existing(&keys::member(&identity.tenant, &user));
    if target.role == Role::Owner {
        tx = tx.update(
            &keys::tenant(&identity.tenant),
            "ADD ownerCount :minus",
            Some("ownerCount > :one"),
            &[(":minus", n(-1)), (":one", n(1))],
        );
    }
    match tx.commit().await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed) if target.role == Role::Owner => return Err(last_owner()),
        Err(StoreError::ConditionFailed) => return Err(ApiError::not_found("no such member")),
        Err(e) => return Err(e.into()),
    }
    api_keys::revoke_keys_of(&state, &identity.tenant, &user, None).await?;
    tracing::info!(member = %user, "member removed");
    Ok(StatusCode::NO_CONTENT)
}
