//! Identity: access JWTs (HS256 only), API keys, roles, and the [`Identity`] extractor that gives
//! every handler the verified caller — user or API key, tenant, and current role.
//!
//! A JWT's role is not trusted on its own: the membership is read on every request, so a member
//! who is removed or demoted loses access at once, not when the token expires.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Config, ConfigError, JwtSecretSource};
use crate::error::ApiError;
use crate::ids::{ApiKeyId, Email, SessionId, TenantId, UserId};
pub use crate::role::Role;
use crate::store::members::{ApiKeyLookup, Member};
use crate::store::{Item, Key, Store, keys};

/// Lifetime of an access token.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 15 * 60;

/// Every API key starts with this, so the extractor knows a key from a JWT at a glance and
/// secret scanners can recognise a leaked one.
pub const API_KEY_PREFIX: &str = "pyat_";

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Tenant id.
    pub tid: String,
    pub role: Role,
    pub email: String,
    /// Session (refresh-token family) the token was issued in; logout revokes it.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
}

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl JwtKeys {
    /// Keys from a secret (≥ 32 bytes).
    pub fn new(secret: &SecretString, issuer: &str, audience: &str) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// Resolves the secret (inline, or from Secrets Manager once per cold start).
    pub async fn load(
        config: &Config,
        secrets: &aws_sdk_secretsmanager::Client,
    ) -> Result<Self, ConfigError> {
        let secret = match &config.jwt_secret {
            JwtSecretSource::Inline(s) => s.clone(),
            JwtSecretSource::SecretsManager(arn) => {
                let out = secrets
                    .get_secret_value()
                    .secret_id(arn)
                    .send()
                    .await
                    .map_err(|e| ConfigError::Secret(Box::new(e)))?;
                SecretString::from(out.secret_string.ok_or(ConfigError::Invalid(
                    "JWT_SECRET_ARN",
                    "secret has no string value",
                ))?)
            }
        };
        Ok(Self::new(&secret, &config.jwt_issuer, &config.jwt_audience))
    }

    /// Issues an access token; returns it with its expiry (epoch seconds).
    pub fn issue(
        &self,
        user: &UserId,
        tenant: &TenantId,
        role: Role,
        email: &Email,
        session: &SessionId,
    ) -> Result<(String, i64), ApiError> {
        let now = crate::time::now_epoch();
        let claims = Claims {
            sub: user.to_string(),
            tid: tenant.to_string(),
            role,
            email: email.to_string(),
            sid: session.to_string(),
            iat: now,
            exp: now + ACCESS_TOKEN_TTL_SECS,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)?;
        Ok((token, claims.exp))
    }

    /// Verifies signature, algorithm (HS256 only), expiry, issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| {
                tracing::debug!(reason = %e, "rejected access token");
                ApiError::unauthorized("the access token is invalid or expired")
            })
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User {
        user_id: UserId,
        email: Email,
        session_id: SessionId,
    },
    ApiKey {
        key_id: ApiKeyId,
        created_by: UserId,
    },
    /// A workflow run, acting for the user who last saved the workflow (with their current role).
    Workflow {
        workflow_id: crate::ids::WorkflowId,
        run_as: UserId,
    },
}

/// The verified caller of a request: principal, tenant and current role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub principal: Principal,
    pub tenant: TenantId,
    pub role: Role,
}

impl Identity {
    /// 403 unless the caller's role is at least `min`.
    pub fn require(&self, min: Role) -> Result<(), ApiError> {
        if self.role.at_least(min) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this action needs the {} role or higher; you are {}",
                min.as_str(),
                self.role.as_str()
            )))
        }
    }

    /// 403 for viewers: viewers never write.
    pub fn require_writer(&self) -> Result<(), ApiError> {
        self.require(Role::Member)
    }

    /// The user behind the call: the user, or the user who created the API key.
    pub fn user_id(&self) -> &UserId {
        match &self.principal {
            Principal::User { user_id, .. } => user_id,
            Principal::ApiKey { created_by, .. } => created_by,
            Principal::Workflow { run_as, .. } => run_as,
        }
    }

    /// Names the caller within its tenant (`U:<user>`, `K:<api key>`, `W:<workflow>`): what
    /// idempotency keys and MCP cancellations are scoped by.
    pub fn caller_id(&self) -> String {
        match &self.principal {
            Principal::User { user_id, .. } => format!("U:{user_id}"),
            Principal::ApiKey { key_id, .. } => format!("K:{key_id}"),
            Principal::Workflow { workflow_id, .. } => format!("W:{workflow_id}"),
        }
    }

    /// The user and session, or 403 for calls that only a signed-in user can make.
    pub fn user_session(&self) -> Result<(&UserId, &Email, &SessionId), ApiError> {
        match &self.principal {
            Principal::User {
                user_id,
                email,
                session_id,
            } => Ok((user_id, email, session_id)),
            Principal::ApiKey { .. } | Principal::Workflow { .. } => Err(ApiError::forbidden(
                "this action needs a signed-in user, not an API key",
            )),
        }
    }
}

/// What an access token needs of its session (`U#<user>` / `SESSION#<id>`): that it still lives.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionState {
    tenant_id: TenantId,
    #[serde(default)]
    revoked: bool,
    expires_at: i64,
}

/// Verifies bearer credentials. Cheap to clone.
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<(JwtKeys, Store)>,
}

impl Authenticator {
    pub fn new(jwt: JwtKeys, store: Store) -> Self {
        Self {
            inner: Arc::new((jwt, store)),
        }
    }

    /// The authenticator every function builds at cold start: JWT keys from the configured
    /// secret, memberships and API keys from the configured table.
    pub async fn load(config: &Config, aws: &crate::aws::AwsClients) -> Result<Self, ConfigError> {
        let jwt = JwtKeys::load(config, aws.secrets()).await?;
        Ok(Self::new(
            jwt,
            Store::new(aws.dynamodb().clone(), config.table_name.clone()),
        ))
    }

    /// The table it reads (the function's store too).
    pub fn store(&self) -> &Store {
        &self.inner.1
    }

    pub fn jwt(&self) -> &JwtKeys {
        &self.inner.0
    }

    /// Verifies a bearer credential (access JWT or API key) and loads the caller's current role.
    pub async fn authenticate(&self, bearer: &str) -> Result<Identity, ApiError> {
        self.credential(bearer)?.confirm().await
    }

    /// Reads a bearer credential without any I/O: an API key as given, or an access token whose
    /// signature, issuer, audience and expiry hold. [`Credential::confirm`] then checks it is
    /// still live.
    pub fn credential(&self, bearer: &str) -> Result<Credential, ApiError> {
        let kind = if bearer.starts_with(API_KEY_PREFIX) {
            Claimed::ApiKey(bearer.to_owned())
        } else {
            let claims = self.jwt().verify(bearer)?;
            let bad = || ApiError::unauthorized("the access token is invalid or expired");
            Claimed::User {
                user_id: UserId::parse(&claims.sub).map_err(|_| bad())?,
                tenant: TenantId::parse(&claims.tid).map_err(|_| bad())?,
                email: Email::parse(&claims.email).map_err(|_| bad())?,
                session_id: SessionId::parse(&claims.sid).map_err(|_| bad())?,
            }
        };
        Ok(Credential {
            auth: self.clone(),
            claimed: kind,
        })
    }

    /// The API key's lookup item: who created it, for which workspace, with which role.
    async fn api_key_lookup(&self, bearer: &str) -> Result<ApiKeyLookup, ApiError> {
        let lookup: ApiKeyLookup = self
            .store()
            .get(&keys::api_key_lookup(&hash_secret(bearer)))
            .await?
            .ok_or_else(|| ApiError::unauthorized("the API key is invalid or revoked"))?;
        if lookup
            .expires_at
            .is_some_and(|exp| exp <= crate::time::now_epoch())
        {
            return Err(ApiError::unauthorized("the API key has expired"));
        }
        Ok(lookup)
    }

    /// The identity of an API key whose creator's membership is `creator` (the key acts with
    /// the lower of its own role and its creator's current one).
    fn api_key_identity(
        lookup: ApiKeyLookup,
        creator: Option<Member>,
    ) -> Result<Identity, ApiError> {
        let creator = creator.ok_or_else(|| {
            ApiError::unauthorized("the API key's creator is no longer a member of this tenant")
        })?;
        Ok(Identity {
            role: lookup.role.min(creator.role),
            principal: Principal::ApiKey {
                key_id: lookup.key_id,
                created_by: lookup.created_by,
            },
            tenant: lookup.tenant_id,
        })
    }

    /// The identity of an access token's user, given their membership and session as read.
    fn user_identity(
        (user_id, tenant, email, session_id): (UserId, TenantId, Email, SessionId),
        member: Option<Member>,
        session: Option<SessionState>,
    ) -> Result<Identity, ApiError> {
        let member = member
            .ok_or_else(|| ApiError::unauthorized("you are no longer a member of this tenant"))?;
        let live = session.is_some_and(|s| {
            !s.revoked && s.expires_at > crate::time::now_epoch() && s.tenant_id == tenant
        });
        if !live {
            return Err(ApiError::unauthorized(
                "this session has ended (signed out, password changed, or revoked); sign in again",
            ));
        }
        Ok(Identity {
            principal: Principal::User {
                user_id,
                email,
                session_id,
            },
            tenant,
            role: member.role,
        })
    }
}

/// What a bearer credential says before it is confirmed.
#[derive(Clone)]
enum Claimed {
    /// An access token whose signature holds: who it was issued to.
    User {
        user_id: UserId,
        tenant: TenantId,
        email: Email,
        session_id: SessionId,
    },
    /// An API key (looked up on confirmation).
    ApiKey(String),
    /// Already confirmed upstream (a layer put the identity in the request).
    Confirmed(Identity),
}

/// A bearer credential read from a request but not yet confirmed: the extractor of handlers that
/// start their own reads while the session is checked ([`Credential::confirm_along`]).
#[derive(Clone)]
pub struct Credential {
    auth: Authenticator,
    claimed: Claimed,
}

impl Credential {
    /// Checks the credential is live (session not revoked, still a member; API key known and
    /// unexpired) and reads the caller's role: one DynamoDB round trip for an access token.
    pub async fn confirm(self) -> Result<Identity, ApiError> {
        self.confirm_getting(|_, _| Vec::new())
            .await
            .map(|(identity, _)| identity)
    }

    /// [`Credential::confirm`], and the items `get(tenant, user)` names read in the same
    /// `BatchGetItem` as the session check: the caller and what the request needs of their
    /// workspace in one DynamoDB call. The items come back in the order of the keys.
    pub async fn confirm_getting<G>(self, get: G) -> Result<(Identity, Vec<Option<Item>>), ApiError>
    where
        G: FnOnce(&TenantId, &UserId) -> Vec<Key>,
    {
        self.confirm_along(get, |_, _| async { Ok(()) })
            .await
            .map(|(identity, items, ())| (identity, items))
    }

    /// [`Credential::confirm_getting`], and meanwhile `read(tenant, user)` (a query, say), so
    /// the two cost one round trip instead of two. Nothing read is handed out unless the
    /// credential is confirmed (a refused one answers 401 whatever was found), so `read` must
    /// only read. An access token names its workspace and user before it is confirmed; an API
    /// key only once it is looked up, so then the items and `read` come a round trip later.
    pub async fn confirm_along<T, G, F, Fut>(
        self,
        get: G,
        read: F,
    ) -> Result<(Identity, Vec<Option<Item>>, T), ApiError>
    where
        G: FnOnce(&TenantId, &UserId) -> Vec<Key>,
        F: FnOnce(TenantId, UserId) -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        let store = self.auth.store().clone();
        match self.claimed {
            Claimed::User {
                user_id,
                tenant,
                email,
                session_id,
            } => {
                let mut wanted = vec![
                    keys::member(&tenant, &user_id),
                    keys::session(&user_id, &session_id),
                ];
                wanted.extend(get(&tenant, &user_id));
                let claimed = (user_id.clone(), tenant.clone(), email, session_id);
                let (items, read) = tokio::join!(fetch(&store, &wanted), read(tenant, user_id));
                let mut items = items?.into_iter();
                let member = Store::decode(items.next().flatten())?;
                let session = Store::decode(items.next().flatten())?;
                let identity = Authenticator::user_identity(claimed, member, session)?;
                attribute(&identity);
                Ok((identity, items.collect(), read?))
            }
            Claimed::ApiKey(key) => {
                let lookup = self.auth.api_key_lookup(&key).await?;
                let (tenant, creator) = (lookup.tenant_id.clone(), lookup.created_by.clone());
                let mut wanted = vec![keys::member(&tenant, &creator)];
                wanted.extend(get(&tenant, &creator));
                let (items, read) = tokio::join!(fetch(&store, &wanted), read(tenant, creator));
                let mut items = items?.into_iter();
                let identity = Authenticator::api_key_identity(
                    lookup,
                    Store::decode(items.next().flatten())?,
                )?;
                attribute(&identity);
                Ok((identity, items.collect(), read?))
            }
            Claimed::Confirmed(identity) => {
                attribute(&identity);
                let (tenant, user) = (identity.tenant.clone(), identity.user_id().clone());
                let wanted = get(&tenant, &user);
                let (items, read) = tokio::join!(fetch(&store, &wanted), read(tenant, user));
                Ok((identity, items?, read?))
            }
        }
    }
}

/// The items at `keys`, in one `BatchGetItem`.
async fn fetch(store: &Store, keys: &[Key]) -> Result<Vec<Option<Item>>, crate::store::StoreError> {
    store.batch_get(&keys.iter().collect::<Vec<_>>()).await
}

/// Names the request's tenant and user in its telemetry and its log span.
fn attribute(identity: &Identity) {
    crate::telemetry::record::attribute(&identity.tenant, identity.user_id());
    tracing::Span::current().record("tenant", identity.tenant.as_str());
}

impl<S> FromRequestParts<S> for Credential
where
    S: Send + Sync,
    Authenticator: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let auth = Authenticator::from_ref(state);
        if let Some(identity) = parts.extensions.get::<Identity>() {
            return Ok(Credential {
                auth,
                claimed: Claimed::Confirmed(identity.clone()),
            });
        }
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer credentials"))?;
        let bearer = header
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, token)| {
                scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()
            })
            .map(|(_, token)| token.trim().to_owned())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        auth.credential(&bearer)
    }
}

impl<S> FromRequestParts<S> for Identity
where
    S: Send + Sync,
    Authenticator: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if let Some(identity) = parts.extensions.get::<Identity>() {
            return Ok(identity.clone());
        }
        let identity = Credential::from_request_parts(parts, state)
            .await?
            .confirm()
            .await?;
        parts.extensions.insert(identity.clone());
        Ok(identity)
    }
}

/// Hex SHA-256 of a high-entropy secret (API keys, refresh tokens, invitation tokens). A fast
/// hash is right here: the secrets are random 256-bit values, not passwords.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A random URL-safe secret of `bytes` bytes of entropy.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(
            &SecretString::from("k".repeat(40)),
            "pyairtable",
            "pyairtable-api",
        )
    }

    #[test]
    fn roles_are_ordered_owner_admin_member_viewer() {
        assert!(
            Role::Owner > Role::Admin && Role::Admin > Role::Member && Role::Member > Role::Viewer
        );
        assert!(Role::Admin.at_least(Role::Member));
        assert!(!Role::Viewer.at_least(Role::Member));
        assert_eq!(serde_json::to_string(&Role::Admin).unwrap(), "\"admin\"");
    }

    #[test]
    fn issued_tokens_verify_and_carry_every_claim() {
        let k = keys();
        let (u, t, s) = (
            UserId::generate(),
            TenantId::generate(),
            SessionId::generate(),
        );
        let email = Email::parse("a@b.co").unwrap();
        let (token, exp) = k.issue(&u, &t, Role::Admin, &email, &s).unwrap();
        let claims = k.verify(&token).unwrap();
        assert_eq!(claims.sub, u.to_string());
        assert_eq!(claims.tid, t.to_string());
        assert_eq!(claims.role, Role::Admin);
        assert_eq!(claims.exp, exp);
        assert_eq!(claims.exp - claims.iat, ACCESS_TOKEN_TTL_SECS);
        assert_eq!(
            (claims.iss.as_str(), claims.aud.as_str()),
            ("pyairtable", "pyairtable-api")
        );
        assert!(!claims.jti.is_empty());
    }

    #[test]
    fn tokens_from_another_secret_or_audience_are_rejected() {
        let (u, t, s) = (
            UserId::generate(),
            TenantId::generate(),
            SessionId::generate(),
        );
        let email = Email::parse("a@b.co").unwrap();
        let other = JwtKeys::new(
            &SecretString::from("z".repeat(40)),
            "pyairtable",
            "pyairtable-api",
        );
        let (token, _) = other.issue(&u, &t, Role::Owner, &email, &s).unwrap();
        assert!(keys().verify(&token).is_err());
        let wrong_aud = JwtKeys::new(
            &SecretString::from("k".repeat(40)),
            "pyairtable",
            "someone-else",
        );
        let (token, _) = wrong_aud.issue(&u, &t, Role::Owner, &email, &s).unwrap();
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn unsigned_tokens_are_rejected() {
        let k = keys();
        let (token, _) = k
            .issue(
                &UserId::generate(),
                &TenantId::generate(),
                Role::Owner,
                &Email::parse("a@b.co").unwrap(),
                &SessionId::generate(),
            )
            .unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(k.verify(&format!("{none_header}.{payload}.")).is_err());
    }

    #[test]
    fn secrets_are_random_and_hashes_stable() {
        assert_ne!(random_secret(32), random_secret(32));
        assert_eq!(random_secret(32).len(), 43);
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
