//! Sessions: refresh-token families with rotation and reuse detection.
//!
//! A refresh token is `rt_<userId>.<sessionId>.<secret>`; the session item keeps only the hash of
//! the newest secret. Refreshing swaps it under a condition on the old hash, so a token works
//! once. Presenting a spent token means it was copied: the whole family is revoked.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform::ApiError;
use platform::auth::{ACCESS_TOKEN_TTL_SECS, Identity, Role, hash_secret, random_secret};
use platform::http::ApiJson;
use platform::ids::{Email, SessionId, TenantId, UserId};
use platform::store::members::Member;
use platform::store::{Store, StoreError, keys, s};
use serde::{Deserialize, Serialize};

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
    Some(RefreshParts {
        user,
        session,
        secret,
    })
}

/// Starts a new session for a member and returns its first token pair.
pub async fn start(
    state: &AppState,
    user: &UserId,
    email: &Email,
    tenant: &TenantId,
    role: Role,
) -> Result<Tokens, ApiError> {
    let session = SessionId::generate();
    let secret = random_secret(32);
    let expires_at = platform::time::now_epoch() + REFRESH_TOKEN_TTL_SECS;
    let item = SessionItem {
        session_id: session.clone(),
        user_id: user.clone(),
        tenant_id: tenant.clone(),
        token_hash: hash_secret(&secret),
        revoked: false,
        created_at: platform::time::now_rfc3339(),
        expires_at,
        prev_hash: None,
        rotation_hash: None,
        rotated_at: None,
        rotation_retries: 0,
    };
    state.store.put(&item).await?;
    pair(
        state, user, email, tenant, role, &session, &secret, expires_at,
    )
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
        refresh_expires_at: platform::time::epoch_to_rfc3339(refresh_exp),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
    /// Optional: a random id (16–128 of `A-Z a-z 0-9 _ -`) the client keeps with the refresh
    /// token until the new pair is stored. If the answer is lost (a reload or a dropped
    /// connection mid-refresh), the same token sent again with the same id within 30 seconds —
    /// while the pair it was swapped for is still unused, at most 3 times — is a retry, not a
    /// theft: it gets a new pair instead of revoking the session.
    #[serde(default)]
    rotation_id: Option<String>,
}

/// How long after a rotation its client may retry it (see [`RefreshRequest`]): long enough for
/// a reload, short enough that a copied token and id are of little use.
pub const ROTATION_RETRY_SECS: i64 = 30;
/// How many times one rotation may be retried.
pub const ROTATION_RETRIES: u32 = 3;

fn invalid_refresh() -> ApiError {
    ApiError::unauthorized("the refresh token is invalid, expired or revoked")
}

fn reused() -> ApiError {
    ApiError::unauthorized("this refresh token was already used; the session has been revoked")
}

fn rotation_hash(id: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(id) = id else { return Ok(None) };
    let fine = (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !fine {
        return Err(ApiError::invalid(
            "rotationId",
            "must be 16 to 128 characters of A-Z, a-z, 0-9, '_' or '-'",
        ));
    }
    Ok(Some(hash_secret(id)))
}

/// What a presented refresh token is to its session.
#[derive(Debug, PartialEq, Eq)]
enum Presented {
    /// The newest token: rotate it.
    Current,
    /// The token the last rotation spent, with that rotation's id, soon after, not too many times,
    /// and the token it was swapped for never used: the client lost the answer and asks again.
    Retry,
    /// Anything else of this family: a copy is in other hands.
    Spent,
}

fn classify(session: &SessionItem, presented: &str, rotation: Option<&str>, now: i64) -> Presented {
    if presented == session.token_hash {
        return Presented::Current;
    }
    let retry = session.prev_hash.as_deref() == Some(presented)
        && rotation.is_some()
        && session.rotation_hash.as_deref() == rotation
        && session
            .rotated_at
            .is_some_and(|at| now - at <= ROTATION_RETRY_SECS)
        && session.rotation_retries < ROTATION_RETRIES;
    if retry {
        Presented::Retry
    } else {
        Presented::Spent
    }
}

/// `POST /api/v1/auth/refresh {refreshToken, rotationId?}` → a new pair; the presented token is
/// spent.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", summary = "Rotate the token pair", request_body = RefreshRequest, responses((status = 200, body = Tokens), platform::openapi::Unauthorized, platform::openapi::Invalid))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<Tokens>, ApiError> {
    let parts = decode_refresh(&req.refresh_token).ok_or_else(invalid_refresh)?;
    let rotation = rotation_hash(req.rotation_id.as_deref())?;
    let key = keys::session(&parts.user, &parts.session);
    let presented = hash_secret(&parts.secret);
    let secret = random_secret(32);
    let new_hash = hash_secret(&secret);
    // Two rounds at most: a rotation that loses a race reads the session again, and is a retry
    // only if the winner was this same client's request. A third request racing the same two
    // (no navigator.locks) loses again and revokes: that fails safe.
    let mut attempt = 0;
    let (session, expires_at) = loop {
        attempt += 1;
        let session: SessionItem = state.store.get(&key).await?.ok_or_else(invalid_refresh)?;
        let now = platform::time::now_epoch();
        if session.revoked || session.expires_at <= now {
            return Err(invalid_refresh());
        }
        let expires_at = now + REFRESH_TOKEN_TTL_SECS;
        let mut values = vec![
            (":new", s(&new_hash)),
            (":exp", platform::store::n(expires_at)),
            (
                ":false",
                aws_sdk_dynamodb::types::AttributeValue::Bool(false),
            ),
            (":presented", s(&presented)),
        ];
        let (update, condition) = match classify(&session, &presented, rotation.as_deref(), now) {
            Presented::Current => {
                // A new rotation: its own id, time and count of retries.
                values.push((":now", platform::store::n(now)));
                values.push((":zero", platform::store::n(0)));
                let update = match &rotation {
                    Some(r) => {
                        values.push((":rot", s(r)));
                        "SET tokenHash = :new, expiresAt = :exp, #ttl = :exp, prevHash = :presented, rotationHash = :rot, \
                         rotatedAt = :now, rotationRetries = :zero"
                    }
                    None => {
                        "SET tokenHash = :new, expiresAt = :exp, #ttl = :exp, prevHash = :presented, rotatedAt = :now, \
                         rotationRetries = :zero REMOVE rotationHash"
                    }
                };
                (update, "tokenHash = :presented AND #revoked = :false")
            }
            Presented::Retry => {
                // The unused successor is replaced; the window still runs from the first rotation,
                // and the retries are counted against the number read.
                values.push((":unused", s(&session.token_hash)));
                values.push((":rot", s(rotation.as_deref().unwrap_or_default())));
                values.push((
                    ":tries",
                    platform::store::n(i64::from(session.rotation_retries)),
                ));
                values.push((
                    ":next",
                    platform::store::n(i64::from(session.rotation_retries) + 1),
                ));
                (
                    "SET tokenHash = :new, expiresAt = :exp, #ttl = :exp, rotationRetries = :next",
                    "tokenHash = :unused AND prevHash = :presented AND rotationHash = :rot AND #revoked = :false \
                     AND (rotationRetries = :tries OR attribute_not_exists(rotationRetries))",
                )
            }
            Presented::Spent => {
                revoke(&state.store, &key).await?;
                tracing::warn!(session = %parts.session, "refresh token reuse detected; session revoked");
                return Err(reused());
            }
        };
        match state
            .store
            .update::<SessionItem>(&key, update, Some(condition), &values)
            .await
        {
            Ok(_) => break (session, expires_at),
            Err(StoreError::ConditionFailed) if attempt < 2 => continue,
            Err(StoreError::ConditionFailed) => {
                revoke(&state.store, &key).await?;
                tracing::warn!(session = %parts.session, "refresh token used twice at once; session revoked");
                return Err(reused());
            }
            Err(e) => return Err(e.into()),
        }
    };
    let member: Member = state
        .store
        .get(&keys::member(&session.tenant_id, &session.user_id))
        .await?
        .ok_or_else(|| ApiError::unauthorized("you are no longer a member of this tenant"))?;
    Ok(Json(pair(
        &state,
        &session.user_id,
        &member.email,
        &session.tenant_id,
        member.role,
        &parts.session,
        &secret,
        expires_at,
    )?))
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
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", summary = "Revoke this session", responses((status = 204), platform::openapi::Unauthorized, platform::openapi::Forbidden), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<StatusCode, ApiError> {
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
#[utoipa::path(post, path = "/api/v1/auth/switch", tag = "auth", summary = "Switch to another of your tenants", request_body = SwitchRequest, responses((status = 200, body = crate::users::SessionResponse), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn switch(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<SwitchRequest>,
) -> Result<Json<crate::users::SessionResponse>, ApiError> {
    let (user_id, _, session) = identity.user_session()?;
    let tenant = TenantId::parse(&req.tenant_id)
        .map_err(|e| ApiError::invalid("tenantId", e.to_string()))?;
    let member: Member = state
        .store
        .get(&keys::member(&tenant, user_id))
        .await?
        .ok_or_else(|| ApiError::forbidden("you are not a member of that tenant"))?;
    let user: crate::items::UserItem = state
        .store
        .get(&keys::user(user_id))
        .await?
        .ok_or_else(|| ApiError::unauthorized("the user no longer exists"))?;
    let tenant_item: crate::items::TenantItem = state
        .store
        .get(&keys::tenant(&tenant))
        .await?
        .ok_or_else(|| ApiError::not_found("tenant not found"))?;
    // The next sign-in lands where the user last was. Written first: if anything after fails the
    // user keeps the session they have (the old one is revoked last, once the new one exists).
    let _: crate::items::UserItem = state
        .store
        .update(
            &keys::user(user_id),
            "SET defaultTenantId = :t",
            Some("attribute_exists(PK)"),
            &[(":t", platform::store::s(tenant.as_str()))],
        )
        .await
        .map_err(|e| match e {
            StoreError::ConditionFailed => ApiError::unauthorized("the user no longer exists"),
            e => e.into(),
        })?;
    let tokens = start(&state, user_id, &user.email, &tenant, member.role).await?;
    revoke(&state.store, &keys::session(user_id, session)).await?;
    Ok(Json(crate::users::SessionResponse {
        user: (&user).into(),
        tenant: (&tenant_item).into(),
        role: member.role,
        tokens,
    }))
}

/// Revokes every session of a user except `keep`.
pub async fn revoke_all_except(
    state: &AppState,
    user: &UserId,
    keep: Option<&SessionId>,
) -> Result<usize, ApiError> {
    let sessions: Vec<SessionItem> = state.store.query_prefix(&keys::sessions_of(user)).await?;
    let mut revoked = 0;
    for s in sessions
        .iter()
        .filter(|s| !s.revoked && Some(&s.session_id) != keep)
    {
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
        assert_eq!(
            (parts.user, parts.session, parts.secret),
            (u.clone(), s.clone(), secret)
        );
        assert!(decode_refresh("rt_nope").is_none());
        assert!(decode_refresh(&format!("rt_{u}.{s}.short")).is_none());
        assert!(decode_refresh(&format!("xx_{u}.{s}.{}", random_secret(32))).is_none());
    }

    fn rotated(prev: &str, rotation: Option<&str>, at: i64) -> SessionItem {
        SessionItem {
            session_id: SessionId::generate(),
            user_id: UserId::generate(),
            tenant_id: TenantId::generate(),
            token_hash: "successor".into(),
            revoked: false,
            created_at: String::new(),
            expires_at: at + REFRESH_TOKEN_TTL_SECS,
            prev_hash: Some(prev.into()),
            rotation_hash: rotation.map(Into::into),
            rotated_at: Some(at),
            rotation_retries: 0,
        }
    }

    #[test]
    fn only_the_same_rotation_soon_after_is_a_retry() {
        let at = 1_000_000;
        let s = rotated("spent", Some("rot"), at);
        assert_eq!(classify(&s, "successor", None, at + 5), Presented::Current);
        assert_eq!(classify(&s, "spent", Some("rot"), at + 5), Presented::Retry);
        assert_eq!(
            classify(&s, "spent", Some("rot"), at + ROTATION_RETRY_SECS),
            Presented::Retry
        );
        assert_eq!(
            classify(&s, "spent", Some("rot"), at + ROTATION_RETRY_SECS + 1),
            Presented::Spent
        );
        assert_eq!(
            classify(&s, "spent", Some("other"), at + 5),
            Presented::Spent
        );
        assert_eq!(classify(&s, "spent", None, at + 5), Presented::Spent);
        assert_eq!(classify(&s, "older", Some("rot"), at + 5), Presented::Spent);
        let tired = SessionItem {
            rotation_retries: ROTATION_RETRIES,
            ..s.clone()
        };
        assert_eq!(
            classify(&tired, "spent", Some("rot"), at + 5),
            Presented::Spent
        );
        // A rotation made without an id can never be retried.
        assert_eq!(
            classify(&rotated("spent", None, at), "spent", None, at + 5),
            Presented::Spent
        );
    }

    #[test]
    fn rotation_ids_are_checked() {
        assert!(rotation_hash(None).unwrap().is_none());
        assert!(
            rotation_hash(Some("abcdefghij-_0123456"))
                .unwrap()
                .is_some()
        );
        for bad in [
            "short",
            "has space in it 123456",
            &"x".repeat(129),
            "ünïcode-0123456789",
        ] {
            assert!(rotation_hash(Some(bad)).is_err(), "{bad}");
        }
    }
}
