//! The items this function owns (keys from `platform::store::keys`), and their API views.

use platform::auth::Role;
use platform::ids::{ApiKeyId, Email, InvitationId, SessionId, TenantId, UserId};
use platform::store::{Entity, Key, keys};
use serde::{Deserialize, Serialize};

/// `EMAIL#<email>`: makes an address unique and finds its user at login.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailItem {
    pub user_id: UserId,
}

/// Writes the [`EmailItem`] of `email`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailClaim<'a> {
    #[serde(skip)]
    pub email: &'a Email,
    pub user_id: &'a UserId,
}

impl Entity for EmailClaim<'_> {
    const TAG: &'static str = "email";
    fn key(&self) -> Key {
        keys::email(self.email)
    }
}

impl Entity for UserItem {
    const TAG: &'static str = "user";
    fn key(&self) -> Key {
        keys::user(&self.user_id)
    }
}

impl Entity for TenantItem {
    const TAG: &'static str = "tenant";
    fn key(&self) -> Key {
        keys::tenant(&self.tenant_id)
    }
}

impl Entity for SessionItem {
    const TAG: &'static str = "session";
    fn key(&self) -> Key {
        keys::session(&self.user_id, &self.session_id)
    }
    fn expires_at(&self) -> Option<i64> {
        Some(self.expires_at)
    }
}

impl Entity for InvitationItem {
    const TAG: &'static str = "invitation";
    fn key(&self) -> Key {
        keys::invitation(&self.tenant_id, &self.invitation_id)
    }
    fn expires_at(&self) -> Option<i64> {
        Some(self.expires_at)
    }
}

impl Entity for ApiKeyItem {
    const TAG: &'static str = "api_key";
    fn key(&self) -> Key {
        keys::api_key(&self.tenant_id, &self.key_id)
    }
}

/// `USER#<id>` / `PROFILE`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserItem {
    pub user_id: UserId,
    pub email: Email,
    pub name: Option<String>,
    pub password_hash: String,
    pub default_tenant_id: TenantId,
    pub created_at: String,
}

/// `T#<id>` / `TENANT`. `ownerCount` guards "the last owner cannot leave" inside transactions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantItem {
    pub tenant_id: TenantId,
    pub name: String,
    pub owner_count: u32,
    pub created_by: UserId,
    pub created_at: String,
}

/// `USER#<id>` / `SESSION#<id>`: one refresh-token family. Only the hash of the current refresh
/// token is kept; presenting any other token of the family revokes it (reuse detection) — except
/// the retry of an interrupted rotation: the token just spent, presented again with the same
/// `rotationId` within [`crate::sessions::ROTATION_RETRY_SECS`] while its successor is unused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionItem {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub token_hash: String,
    #[serde(default)]
    pub revoked: bool,
    pub created_at: String,
    pub expires_at: i64,
    /// The last rotation: the hash of the token it spent, the hash of the client's rotation id,
    /// and when (epoch seconds). Absent before the first rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_at: Option<i64>,
    /// Retries of the last rotation so far.
    #[serde(default)]
    pub rotation_retries: u32,
}

/// `T#<id>` / `INVITE#<id>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationItem {
    pub invitation_id: InvitationId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub role: Role,
    pub token_hash: String,
    pub invited_by: UserId,
    pub created_at: String,
    pub expires_at: i64,
}

/// `T#<id>` / `APIKEY#<id>`: what is shown about a key; the secret is never stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyItem {
    pub key_id: ApiKeyId,
    pub tenant_id: TenantId,
    pub name: String,
    /// The first characters of the key, so a user can tell keys apart.
    pub prefix: String,
    pub role: Role,
    pub created_by: UserId,
    pub created_at: String,
    pub expires_at: Option<i64>,
    /// Hash of the secret: the key of its lookup item, deleted with it.
    pub secret_hash: String,
}

/// A user as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: UserId,
    pub email: Email,
    pub name: Option<String>,
    pub created_at: String,
}

impl From<&UserItem> for UserView {
    fn from(u: &UserItem) -> Self {
        Self {
            id: u.user_id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            created_at: u.created_at.clone(),
        }
    }
}

/// A tenant as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantView {
    pub id: TenantId,
    pub name: String,
    pub created_at: String,
}

impl From<&TenantItem> for TenantView {
    fn from(t: &TenantItem) -> Self {
        Self {
            id: t.tenant_id.clone(),
            name: t.name.clone(),
            created_at: t.created_at.clone(),
        }
    }
}

/// An invitation as the API shows it (never the token).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    pub id: InvitationId,
    pub email: Email,
    pub role: Role,
    pub invited_by: UserId,
    pub created_at: String,
    pub expires_at: String,
}

impl From<&InvitationItem> for InvitationView {
    fn from(i: &InvitationItem) -> Self {
        Self {
            id: i.invitation_id.clone(),
            email: i.email.clone(),
            role: i.role,
            invited_by: i.invited_by.clone(),
            created_at: i.created_at.clone(),
            expires_at: platform::time::epoch_to_rfc3339(i.expires_at),
        }
    }
}

/// An API key as the API lists it (never the secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub created_by: UserId,
    pub created_at: String,
    pub expires_at: Option<String>,
}

impl From<&ApiKeyItem> for ApiKeyView {
    fn from(k: &ApiKeyItem) -> Self {
        Self {
            id: k.key_id.clone(),
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            role: k.role,
            created_by: k.created_by.clone(),
            created_at: k.created_at.clone(),
            expires_at: k.expires_at.map(platform::time::epoch_to_rfc3339),
        }
    }
}
