//! The items every function reads to authorise a request: memberships and API-key lookups.
//! They are written by the `auth` function; their keys come from [`super::keys`].

use serde::{Deserialize, Serialize};

use super::{Entity, Key, keys};
use crate::ids::{ApiKeyId, Email, TenantId, UserId};
use crate::role::Role;

/// A user's membership of a tenant. PK `T#<tenant>`, SK `MEMBER#<user>`, GSI1 `USER#<user>` /
/// `T#<tenant>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub email: Email,
    pub name: Option<String>,
    pub role: Role,
    pub joined_at: String,
}

/// The global lookup of an API key by the SHA-256 of its secret. PK `APIKEY#<hash>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyLookup {
    pub tenant_id: TenantId,
    pub key_id: ApiKeyId,
    pub role: Role,
    pub created_by: UserId,
    /// Epoch seconds after which the key no longer authenticates, if it expires.
    pub expires_at: Option<i64>,
    /// The SHA-256 of the secret: this item's key (never the secret itself).
    #[serde(default)]
    pub secret_hash: String,
}

impl Entity for Member {
    const TAG: &'static str = "member";
    fn key(&self) -> Key {
        keys::member(&self.tenant_id, &self.user_id)
    }
    fn gsi1(&self) -> Option<Key> {
        Some(keys::member_gsi1(&self.tenant_id, &self.user_id))
    }
}

impl Entity for ApiKeyLookup {
    const TAG: &'static str = "api_key_lookup";
    fn key(&self) -> Key {
        keys::api_key_lookup(&self.secret_hash)
    }
    fn expires_at(&self) -> Option<i64> {
        self.expires_at
    }
}

/// What a key grants, read from its tenant-owned record (`T#<tenant>` / `APIKEY#<id>`, gone once
/// revoked): work a key started acts within this and stops with the key.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyGrant {
    pub role: Role,
    pub created_by: UserId,
    pub expires_at: Option<i64>,
}
