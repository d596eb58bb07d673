//! Registration, login with lockout, the caller's profile, password changes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform::auth::{Credential, Identity, Principal, Role};
use platform::http::ApiJson;
use platform::ids::{Email, TenantId, UserId};
use platform::store::members::Member;
use platform::store::{Store, StoreError, keys, n, s};
use platform::{ApiError, FieldError};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::invitations::{self, InvitationToken};
use crate::items::{EmailClaim, EmailItem, TenantItem, TenantView, UserItem, UserView};
use crate::passwords::check_policy;
use crate::sessions::{self, Tokens};

/// Consecutive failed logins that lock an account.
pub const MAX_FAILED_LOGINS: u32 = 10;
/// How long a locked account stays locked.
pub const LOCKOUT_SECS: i64 = 15 * 60;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterRequest {
    /// `local@domain.tld` (at most 254 characters; compared in lower case).
    #[schema(
        max_length = 254,
        pattern = "^[\\t\\n\\u000B\\f\\r ]*[!-?A-~]{1,64}@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+[\\t\\n\\u000B\\f\\r ]*$"
    )]
    email: String,
    #[schema(min_length = 10, max_length = 256)]
    password: String,
    name: Option<String>,
    tenant_name: Option<String>,
    invitation_token: Option<String>,
}

/// The answer to register, login and invitation acceptance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    pub user: UserView,
    pub tenant: TenantView,
    pub role: Role,
    pub tokens: Tokens,
}

/// Trims an optional display name and checks its length.
pub fn clean_name(field: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let name = raw.map(str::trim).filter(|n| !n.is_empty())?;
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "must be at most 100 printable characters",
        ));
        return None;
    }
    Some(name.to_owned())
}

/// `POST /api/v1/auth/register` → 201: a user, their own tenant (or the one an invitation names)
/// and a first session.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", summary = "Register a user (and a tenant, or join an invited one)", request_body = RegisterRequest, responses((status = 201, body = SessionResponse), platform::openapi::BadRequest, platform::openapi::Conflict, platform::openapi::TooLarge, platform::openapi::UnsupportedMediaType, platform::openapi::Invalid))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<SessionResponse>), ApiError> {
    let mut errors = Vec::new();
    let email = Email::parse(&req.email)
        .map_err(|m| errors.push(FieldError::new("email", m)))
        .ok();
    if let Err(m) = check_policy(&req.password) {
        errors.push(FieldError::new("password", m));
    }
    let name = clean_name("name", req.name.as_deref(), &mut errors);
    let tenant_name = clean_name("tenantName", req.tenant_name.as_deref(), &mut errors);
    let invitation = match req.invitation_token.as_deref() {
        Some(t) => match InvitationToken::decode(t) {
            Some(tok) => Some(tok),
            None => {
                errors.push(FieldError::new(
                    "invitationToken",
                    "is not a valid invitation token",
                ));
                None
            }
        },
        None => None,
    };
    let (Some(email), true) = (email, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let invitation = match invitation {
        Some(tok) => Some(invitations::load_valid(&state, &tok, &email).await?),
        None => None,
    };

    let now = platform::time::now_rfc3339();
    let user_id = UserId::generate();
    let password_hash = state.passwords.hash(req.password).await?;
    let (tenant, role) = match &invitation {
        Some(inv) => {
            let tenant: TenantItem = state
                .store
                .get(&keys::tenant(&inv.tenant_id))
                .await?
                .ok_or_else(|| ApiError::not_found("the invitation's tenant no longer exists"))?;
            (tenant, inv.role)
        }
        None => {
            let tenant_id = TenantId::generate();
            let default_name = format!(
                "{}'s workspace",
                name.clone().unwrap_or_else(|| email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap_or("My")
                    .to_owned())
            );
            (
                TenantItem {
                    tenant_id,
                    name: tenant_name.unwrap_or(default_name),
                    owner_count: 1,
                    created_by: user_id.clone(),
                    created_at: now.clone(),
                },
                Role::Owner,
            )
        }
    };
    let user = UserItem {
        user_id: user_id.clone(),
        email: email.clone(),
        name: name.clone(),
        password_hash,
        default_tenant_id: tenant.tenant_id.clone(),
        created_at: now.clone(),
    };
    let member = Member {
        tenant_id: tenant.tenant_id.clone(),
        user_id: user_id.clone(),
        email: email.clone(),
        name,
        role,
        joined_at: now,
    };

    let mut tx = state
        .store
        .tx()
        .put_new(&EmailClaim {
            email: &email,
            user_id: &user_id,
        })
        .put_new(&user)
        .put_new(&member);
    tx = match &invitation {
        None => tx.put_new(&tenant),
        Some(inv) => {
            let tx = tx.delete_existing(&keys::invitation(&inv.tenant_id, &inv.invitation_id));
            if role == Role::Owner {
                tx.update(
                    &keys::tenant(&inv.tenant_id),
                    "ADD ownerCount :one",
                    Some("attribute_exists(PK)"),
                    &[(":one", n(1))],
                )
            } else {
                tx
            }
        }
    };
    match tx.commit().await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed) => {
            return Err(
                if state
                    .store
                    .get::<EmailItem>(&keys::email(&email))
                    .await?
                    .is_some()
                {
                    ApiError::conflict("email_taken", "an account with this email already exists")
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
    tracing::info!(user = %user_id, tenant = %tenant.tenant_id, invited = invitation.is_some(), "user registered");
    let tokens = sessions::start(&state, &user_id, &email, &tenant.tenant_id, role).await?;
    Ok((
        StatusCode::CREATED,
        Json(SessionResponse {
            user: (&user).into(),
            tenant: (&tenant).into(),
            role,
            tokens,
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
    /// Which of the user's tenants to sign in to (default: the last one joined or created).
    tenant_id: Option<String>,
}

fn bad_credentials() -> ApiError {
    ApiError::unauthorized("the email or password is incorrect")
}

fn locked(until: i64) -> ApiError {
    let left = (until - platform::time::now_epoch()).max(1) as u64;
    ApiError::Locked {
        detail: format!(
            "too many failed sign-in attempts; try again in {} minutes",
            left.div_ceil(60)
        ),
        retry_after: left,
    }
}

/// Sign-in attempts of one email address (known or not): `LOGIN#<email>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Attempts {
    #[serde(default)]
    failures: u32,
    locked_until: Option<i64>,
}

/// Counts an attempt before the password is checked, in one conditional update that also refuses
/// while the address is locked — so concurrent guesses cannot outrun the limit: the attempt that
/// comes after the last allowed one locks the address and is refused without a password check,
/// whatever password it carries. Known and unknown addresses are counted alike, so a lock reveals
/// nothing about which accounts exist.
async fn count_attempt(state: &AppState, email: &Email, now: i64) -> Result<u32, ApiError> {
    let key = keys::login_attempts(email);
    let counted = state
        .store
        .update::<Attempts>(
            &key,
            "ADD failures :one SET #ttl = :ttl",
            Some("attribute_not_exists(lockedUntil) OR lockedUntil <= :now"),
            &[
                (":one", n(1)),
                (":now", n(now)),
                (":ttl", n(now + LOCKOUT_SECS + 3600)),
            ],
        )
        .await;
    match counted {
        Ok(a) if a.failures > MAX_FAILED_LOGINS => Err(lock(state, email, now).await?),
        Ok(a) => Ok(a.failures),
        Err(StoreError::ConditionFailed) => {
            let a: Attempts = state.store.get(&key).await?.unwrap_or_default();
            Err(locked(a.locked_until.unwrap_or(now + LOCKOUT_SECS)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Locks an address for [`LOCKOUT_SECS`]; returns the 423 to answer.
async fn lock(state: &AppState, email: &Email, now: i64) -> Result<ApiError, ApiError> {
    let until = now + LOCKOUT_SECS;
    state
        .store
        .update::<Attempts>(
            &keys::login_attempts(email),
            "SET lockedUntil = :until, failures = :zero",
            None,
            &[(":until", n(until)), (":zero", n(0))],
        )
        .await?;
    tracing::warn!("sign-in locked after repeated failures");
    Ok(locked(until))
}

/// Clears the failures of an address after a good password — unless a concurrent burst locked
/// it meanwhile: then the sign-in is refused too, and the lock stays.
async fn clear_attempts(state: &AppState, email: &Email, now: i64) -> Result<(), ApiError> {
    let key = keys::login_attempts(email);
    match state
        .store
        .delete_if(
            &key,
            "attribute_not_exists(lockedUntil) OR lockedUntil <= :now",
            &[(":now", n(now))],
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => {
            let a: Attempts = state.store.get(&key).await?.unwrap_or_default();
            Err(locked(a.locked_until.unwrap_or(now + LOCKOUT_SECS)))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/auth/login`. An unknown email and a wrong password get the same answer after the
/// same work (one argon2 verification), and both count towards the lock.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", summary = "Sign in", request_body = LoginRequest, responses((status = 200, body = SessionResponse), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Invalid, platform::openapi::Locked))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    let Ok(email) = Email::parse(&req.email) else {
        state.passwords.verify_dummy(req.password).await?;
        return Err(bad_credentials());
    };
    let now = platform::time::now_epoch();
    let attempt = count_attempt(&state, &email, now).await?;
    let user = match state.store.get::<EmailItem>(&keys::email(&email)).await? {
        Some(e) => state.store.get::<UserItem>(&keys::user(&e.user_id)).await?,
        None => None,
    };
    let verified = match &user {
        Some(u) => {
            state
                .passwords
                .verify(req.password, u.password_hash.clone())
                .await?
        }
        None => state.passwords.verify_dummy(req.password).await?,
    };
    let Some(user) = user.filter(|_| verified) else {
        if attempt >= MAX_FAILED_LOGINS {
            return Err(lock(&state, &email, now).await?);
        }
        return Err(bad_credentials());
    };
    clear_attempts(&state, &email, platform::time::now_epoch()).await?;
    let wanted = match req.tenant_id.as_deref() {
        Some(t) => {
            Some(TenantId::parse(t).map_err(|e| ApiError::invalid("tenantId", e.to_string()))?)
        }
        None => None,
    };
    let member = pick_membership(&state, &user, wanted.as_ref()).await?;
    let tenant: TenantItem = state
        .store
        .get(&keys::tenant(&member.tenant_id))
        .await?
        .ok_or_else(|| ApiError::internal(std::io::Error::other("membership without tenant")))?;
    let tokens = sessions::start(
        &state,
        &user.user_id,
        &user.email,
        &member.tenant_id,
        member.role,
    )
    .await?;
    Ok(Json(SessionResponse {
        user: (&user).into(),
        tenant: (&tenant).into(),
        role: member.role,
        tokens,
    }))
}

/// The membership to sign in with: the one asked for, else the default, else any.
async fn pick_membership(
    state: &AppState,
    user: &UserItem,
    wanted: Option<&TenantId>,
) -> Result<Member, ApiError> {
    if let Some(t) = wanted {
        return state
            .store
            .get(&keys::member(t, &user.user_id))
            .await?
            .ok_or_else(|| ApiError::forbidden("you are not a member of that tenant"));
    }
    if let Some(m) = state
        .store
        .get::<Member>(&keys::member(&user.default_tenant_id, &user.user_id))
        .await?
    {
        return Ok(m);
    }
    let all: Vec<Member> = state
        .store
        .query_gsi1(&keys::tenants_of(&user.user_id))
        .await?;
    all.into_iter()
        .next()
        .ok_or_else(|| ApiError::forbidden("you are not a member of any tenant"))
}

/// What kind of caller `/auth/me` describes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum CallerKind {
    User,
    ApiKey,
    Workflow,
}

/// One of a user's workspaces.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub tenant_id: TenantId,
    pub name: String,
    pub role: Role,
}

/// The key behind a key's request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyCaller {
    pub id: platform::ids::ApiKeyId,
    pub created_by: UserId,
}

/// The workflow behind a workflow's request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowCaller {
    pub id: platform::ids::WorkflowId,
    pub run_as: UserId,
}

/// `GET /api/v1/auth/me`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeResponse {
    #[serde(rename = "type")]
    pub kind: CallerKind,
    /// Users: the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
    /// Users: every workspace they belong to (for the switcher).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenants: Option<Vec<Membership>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<KeyCaller>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<WorkflowCaller>,
    pub tenant: TenantView,
    pub role: Role,
}

/// `GET /api/v1/auth/me`: the caller — a user with their workspaces, or an API key.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", summary = "The caller", responses((status = 200, body = MeResponse), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn me(
    State(state): State<AppState>,
    credential: Credential,
) -> Result<Json<MeResponse>, ApiError> {
    // The workspace and the account are read in the session check's own BatchGetItem, and the
    // list of memberships beside it; only the names of the caller's other workspaces need a
    // second round trip.
    let store = &state.store;
    let (identity, items, memberships) = credential
        .confirm_along(
            |tenant, user| vec![keys::tenant(tenant), keys::user(user)],
            |_, user| async move { Ok(store.query_gsi1::<Member>(&keys::tenants_of(&user)).await?) },
        )
        .await?;
    let mut items = items.into_iter();
    let tenant: Option<TenantItem> = Store::decode(items.next().flatten())?;
    let user: Option<UserItem> = Store::decode(items.next().flatten())?;
    let tenant = tenant.ok_or_else(|| ApiError::not_found("tenant not found"))?;
    let mut me = MeResponse {
        kind: CallerKind::User,
        user: None,
        tenants: None,
        api_key: None,
        workflow: None,
        tenant: TenantView::from(&tenant),
        role: identity.role,
    };
    match &identity.principal {
        Principal::User { .. } => {
            let user = user.ok_or_else(|| ApiError::unauthorized("the user no longer exists"))?;
            // A user belongs to a handful of workspaces: the others' names in one read (or a
            // few, a hundred at a time).
            let others: Vec<_> = memberships
                .iter()
                .filter(|m| m.tenant_id != identity.tenant)
                .map(|m| keys::tenant(&m.tenant_id))
                .collect();
            let mut names = std::collections::HashMap::new();
            names.insert(identity.tenant.clone(), tenant.name.clone());
            for chunk in others.chunks(100) {
                let keys: Vec<_> = chunk.iter().collect();
                for item in store.batch_get(&keys).await?.into_iter().flatten() {
                    if let Some(t) = Store::decode::<TenantItem>(Some(item))? {
                        names.insert(t.tenant_id.clone(), t.name);
                    }
                }
            }
            me.tenants = Some(
                memberships
                    .iter()
                    .filter_map(|m| {
                        names.get(&m.tenant_id).map(|name| Membership {
                            tenant_id: m.tenant_id.clone(),
                            name: name.clone(),
                            role: m.role,
                        })
                    })
                    .collect(),
            );
            me.user = Some(UserView::from(&user));
        }
        Principal::ApiKey { key_id, created_by } => {
            me.kind = CallerKind::ApiKey;
            me.api_key = Some(KeyCaller {
                id: key_id.clone(),
                created_by: created_by.clone(),
            });
        }
        Principal::Workflow {
            workflow_id,
            run_as,
        } => {
            me.kind = CallerKind::Workflow;
            me.workflow = Some(WorkflowCaller {
                id: workflow_id.clone(),
                run_as: run_as.clone(),
            });
        }
    }
    Ok(Json(me))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateMeRequest {
    name: Option<String>,
}

/// `PATCH /api/v1/auth/me {name}`.
#[utoipa::path(patch, path = "/api/v1/auth/me", tag = "auth", summary = "Rename yourself", request_body = UpdateMeRequest, responses((status = 200, body = UserView), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn update_me(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<UpdateMeRequest>,
) -> Result<Json<UserView>, ApiError> {
    let (user_id, _, _) = identity.user_session()?;
    let mut errors = Vec::new();
    let name = clean_name("name", req.name.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let Some(name) = name else {
        return Err(ApiError::invalid("name", "is required"));
    };
    let user: UserItem = state
        .store
        .update(
            &keys::user(user_id),
            "SET #name = :name",
            Some("attribute_exists(PK)"),
            &[(":name", s(&name))],
        )
        .await?;
    // Member listings show the name too; keep them in step.
    for m in state
        .store
        .query_gsi1::<Member>(&keys::tenants_of(user_id))
        .await?
    {
        let _: Member = state
            .store
            .update(
                &keys::member(&m.tenant_id, user_id),
                "SET #name = :name",
                Some("attribute_exists(PK)"),
                &[(":name", s(&name))],
            )
            .await?;
    }
    Ok(Json((&user).into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePasswordRequest {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/auth/change-password`: sets a new password and revokes every other session.
#[utoipa::path(post, path = "/api/v1/auth/change-password", tag = "auth", summary = "Change password (revokes other sessions)", request_body = ChangePasswordRequest, responses((status = 200, body = PasswordChanged), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<Json<PasswordChanged>, ApiError> {
    let (user_id, email, session) = identity.user_session()?;
    check_policy(&req.new_password).map_err(|m| ApiError::invalid("newPassword", m))?;
    if req.new_password == req.current_password {
        return Err(ApiError::invalid(
            "newPassword",
            "must differ from the current password",
        ));
    }
    let user: UserItem = state
        .store
        .get(&keys::user(user_id))
        .await?
        .ok_or_else(|| ApiError::unauthorized("the user no longer exists"))?;
    // Guesses of the current password (say, with a stolen access token) count like sign-ins.
    let now = platform::time::now_epoch();
    let attempt = count_attempt(&state, email, now).await?;
    if !state
        .passwords
        .verify(req.current_password, user.password_hash.clone())
        .await?
    {
        if attempt >= MAX_FAILED_LOGINS {
            return Err(lock(&state, email, now).await?);
        }
        return Err(ApiError::invalid("currentPassword", "is incorrect"));
    }
    clear_attempts(&state, email, platform::time::now_epoch()).await?;
    let hash = state.passwords.hash(req.new_password).await?;
    let _: UserItem = state
        .store
        .update(
            &keys::user(user_id),
            "SET passwordHash = :h",
            Some("passwordHash = :old"),
            &[(":h", s(hash)), (":old", s(user.password_hash))],
        )
        .await
        .map_err(|e| match e {
            StoreError::ConditionFailed => ApiError::conflict(
                "concurrent_change",
                "the password was changed at the same time; try again",
            ),
            e => e.into(),
        })?;
    let revoked = sessions::revoke_all_except(&state, user_id, Some(session)).await?;
    Ok(Json(PasswordChanged {
        changed: true,
        other_sessions_revoked: revoked,
    }))
}

/// `POST /api/v1/auth/change-password`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordChanged {
    pub changed: bool,
    pub other_sessions_revoked: usize,
}
