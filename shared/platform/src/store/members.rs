//! The items every function reads to authorise a request: memberships and API-key lookups.
//! They are written by the `auth` function; their keys come from [`super::keys`].

use serde::{Deserialize, Serialize};

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
