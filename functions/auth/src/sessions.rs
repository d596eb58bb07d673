//! Sessions: refresh-token families with rotation and reuse detection.
//!
//! A refresh token is `rt_<userId>.<sessionId>.<secret>`; the session item keeps only the hash of
//! the newest secret. Refreshing swaps it under a condition on the old hash, so a token works
//! once. Presenting a spent token means it was copied: the whole family is revoked.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::ApiError;
use shared::auth::{ACCESS_TOKEN_TTL_SECS, Identity, Role, hash_secret, random_secret};
use shared::http::ApiJson;
use shared::ids::{Email, SessionId, TenantId, UserId};
use shared::store::members::Member;
use shared::store::{Store, StoreError, keys, s};

use crate::AppState;
use crate::items::SessionItem;

/// Lifetime of a refresh token (each rotation starts a new one).
pub const REFRESH_TOKEN_TTL_SECS: i64 = 30 * 24 * 3600;
const REFRESH_PREFIX: &str = "rt_";

/// The token pair returned by register, login, refresh and invitation acceptance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_expires_at: String,
}

struct RefreshParts {
    user: UserId,
    session: SessionId,
    secret: String,
}

fn encode_refresh(user: &UserId, session: &SessionId, secret: &str) -> String {
    format!("{REFRESH_PREFIX}{user}.{session}.{secret}")
}

fn decode_refresh(token: &str) -> Option<RefreshParts> {
    let mut parts = token.strip_prefix(REFRESH_PREFIX)?.splitn(3, '.');
    let user = UserId::parse(parts.next()?).ok()?;
    let session = SessionId::parse(parts.next()?).ok()?;
    let secret = parts.next().filter(|s| s.len() >= 32)?.to_owned();
    Some(RefreshParts { user, session, secret })
}

/// Starts a new session for a member and returns its first token pair.
pub async fn start(state: &AppState, user: &UserId, email: &Email, tenant: &TenantId, role: Role) -> Result<Tokens, ApiError> {
    let session = SessionId::generate();
    let secret = random_secret(32);
    let expires_at = shared::time::now_epoch() + REFRESH_TOKEN_TTL_SECS;
    let item = SessionItem {
        session_id: session.clone(),
        user_id: user.clone(),
        tenant_id: tenant.clone(),
        token_hash: hash_secret(&secret),
        revoked: false,
        created_at: shared::time::now_rfc3339(),
        expires_at,
    };
    state.store.put(Store::with_ttl(Store::item(&keys::session(user, &session), "session", &item)?, expires_at)).await?;
    pair(state, user, email, tenant, role, &session, &secret, expires_at)
}

#[allow(clippy::too_many_arguments)]
fn pair(
    state: &AppState,
    user: &UserId,
    email: &Email,
    tenant: &TenantId,
    role: Role,
    session: &SessionId,
    secret: &str,
    refresh_exp: i64,
) -> Result<Tokens, ApiError> {
    let (access_token, _) = state.auth.jwt().issue(user, tenant, role, email, session)?;
    Ok(Tokens {
        access_token,
        refresh_token: encode_refresh(user, session, secret),
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL_SECS,
        refresh_expires_at: shared::time::epoch_to_rfc3339(refresh_exp),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

fn invalid_refresh() -> ApiError {
    ApiError::unauthorized("the refresh token is invalid, expired or revoked")
}

/// `POST /api/v1/auth/refresh {refreshToken}` → a new pair; the presented token is spent.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", summary = "Rotate the token pair", request_body = RefreshRequest, responses((status = 200, body = Tokens), (status = 401, body = shared::error::Problem, content_type = "application/problem+json"), (status = 422, body = shared::error::Problem, content_type = "application/problem+json")))]
pub async fn refresh(State(state): State<AppState>, ApiJson(req): ApiJson<RefreshRequest>) -> Result<Json<Tokens>, ApiError> {
    let parts = decode_refresh(&req.refresh_token).ok_or_else(invalid_refresh)?;
    let key = keys::session(&parts.user, &parts.session);
    let session: SessionItem = state.store.get(&key).await?.ok_or_else(invalid_refresh)?;
    let now = shared::time::now_epoch();
    if session.revoked || session.expires_at <= now {
        return Err(invalid_refresh());
    }
    let presented = hash_secret(&parts.secret);
    if presented != session.token_hash {
        revoke(&state.store, &key).await?;
        tracing::warn!(session = %parts.session, "refresh token reuse detected; session revoked");
        return Err(ApiError::unauthorized("this refresh token was already used; the session has been revoked"));
    }
    let secret = random_secret(32);
    let expires_at = now + REFRESH_TOKEN_TTL_SECS;
    let rotated = state
        .store
        .update::<SessionItem>(
            &key,
            "SET tokenHash = :new, expiresAt = :exp, #ttl = :exp",
            Some("tokenHash = :old AND #revoked = :false"),
            &[
                (":new", s(hash_secret(&secret))),
                (":old", s(presented)),
                (":exp", shared::store::n(expires_at)),
                (":false", aws_sdk_dynamodb::types::AttributeValue::Bool(false)),
            ],
        )
        .await;
    match rotated {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => {
            // Another refresh with the same token won the race: the token was used twice.
            revoke(&state.store, &key).await?;
            return Err(ApiError::unauthorized("this refresh token was already used; the session has been revoked"));
        }
        Err(e) => return Err(e.into()),
    }
    let member: Member = state
        .store
        .get(&keys::member(&session.tenant_id, &session.user_id))
        .await?
        .ok_or_else(|| ApiError::unauthorized("you are no longer a member of this tenant"))?;
    Ok(Json(pair(&state, &session.user_id, &member.email, &session.tenant_id, member.role, &parts.session, &secret, expires_at)?))
}

async fn revoke(store: &Store, key: &keys::Key) -> Result<(), ApiError> {
    match store
        .update::<SessionItem>(
            key,
            "SET #revoked = :t",
            Some("attribute_exists(PK)"),
            &[(":t", aws_sdk_dynamodb::types::AttributeValue::Bool(true))],
        )
        .await
    {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/auth/logout`: revokes the caller's session (its refresh tokens stop working;
/// the access token expires on its own within 15 minutes).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", summary = "Revoke this session", responses((status = 204), (status = 401, body = shared::error::Problem, content_type = "application/problem+json"), (status = 403, body = shared::error::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, identity: Identity) -> Result<StatusCode, ApiError> {
    let (user, _, session) = identity.user_session()?;
    revoke(&state.store, &keys::session(user, session)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchRequest {
    tenant_id: String,
}

/// `POST /api/v1/auth/switch {tenantId}`: a signed-in user moves to another of their tenants
/// without typing their password again — a new session there, and this one is revoked (the app
/// holds one session at a time).
#[utoipa::path(post, path = "/api/v1/auth/switch", tag = "auth", summary = "Switch to another of your tenants", request_body = SwitchRequest, responses((status = 200, body = crate::users::SessionResponse), (status = 401, body = shared::error::Problem, content_type = "application/problem+json"), (status = 403, body = shared::error::Problem, content_type = "application/problem+json"), (status = 422, body = shared::error::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn switch(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<SwitchRequest>,
) -> Result<Json<crate::users::SessionResponse>, ApiError> {
    let (user_id, _, session) = identity.user_session()?;
    let tenant = TenantId::parse(&req.tenant_id).map_err(|e| ApiError::invalid("tenantId", e.to_string()))?;
    let member: Member = state
        .store
        .get(&keys::member(&tenant, user_id))
        .await?
        .ok_or_else(|| ApiError::forbidden("you are not a member of that tenant"))?;
    let user: crate::items::UserItem =
        state.store.get(&keys::user(user_id)).await?.ok_or_else(|| ApiError::unauthorized("the user no longer exists"))?;
    let tenant_item: crate::items::TenantItem =
        state.store.get(&keys::tenant(&tenant)).await?.ok_or_else(|| ApiError::not_found("tenant not found"))?;
    let tokens = start(&state, user_id, &user.email, &tenant, member.role).await?;
    revoke(&state.store, &keys::session(user_id, session)).await?;
    // The next sign-in lands where the user last was.
    let _: crate::items::UserItem =
        state.store.update(&keys::user(user_id), "SET defaultTenantId = :t", None, &[(":t", shared::store::s(tenant.as_str()))]).await?;
    Ok(Json(crate::users::SessionResponse { user: (&user).into(), tenant: (&tenant_item).into(), role: member.role, tokens }))
}

/// Revokes every session of a user except `keep`.
pub async fn revoke_all_except(state: &AppState, user: &UserId, keep: Option<&SessionId>) -> Result<usize, ApiError> {
    let sessions: Vec<SessionItem> = state.store.query_prefix(&keys::sessions_of(user)).await?;
    let mut revoked = 0;
    for s in sessions.iter().filter(|s| !s.revoked && Some(&s.session_id) != keep) {
        revoke(&state.store, &keys::session(user, &s.session_id)).await?;
        revoked += 1;
    }
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_round_trip_and_reject_garbage() {
        let (u, s) = (UserId::generate(), SessionId::generate());
        let secret = random_secret(32);
        let token = encode_refresh(&u, &s, &secret);
        let parts = decode_refresh(&token).unwrap();
        assert_eq!((parts.user, parts.session, parts.secret), (u.clone(), s.clone(), secret));
        assert!(decode_refresh("rt_nope").is_none());
        assert!(decode_refresh(&format!("rt_{u}.{s}.short")).is_none());
        assert!(decode_refresh(&format!("xx_{u}.{s}.{}", random_secret(32))).is_none());
    }
}
