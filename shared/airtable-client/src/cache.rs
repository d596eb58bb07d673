//! Airtable responses cached in DynamoDB, keyed by the request and by the version of the table it
//! reads. Every write through the platform bumps that version, so a cached read never outlives a
//! write made through us. Entries carry `ttl` and are also checked on read (emulators never
//! expire items).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use platform::ids::TenantId;
use platform::store::{Child, Key, Store, StoreError, Under, keys, n};

/// How long bases and schemas stay cached.
pub const META_TTL_SECS: i64 = 300;
/// How long record lists and records stay cached.
pub const RECORDS_TTL_SECS: i64 = 60;
/// Items must stay under DynamoDB's 400 KB; larger responses are not cached.
const MAX_CACHED_BYTES: usize = 350_000;

/// Whether a read came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    Miss,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "hit",
            CacheStatus::Miss => "miss",
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    body: String,
    expires_at: i64,
}

/// An entry under its tenant and the hash of what it answers.
impl Child<(TenantId, String)> for Entry {
    const TAG: &'static str = "cache";
    fn key(&self, (tenant, hash): &(TenantId, String)) -> Key {
        keys::cache_entry(tenant, hash)
    }
    fn expires_at(&self) -> Option<i64> {
        Some(self.expires_at)
    }
}

#[derive(Serialize, Deserialize, Default)]
struct Version {
    #[serde(default)]
    version: u64,
}

/// The cache.
#[derive(Clone, Debug)]
pub struct Cache {
    store: Store,
}

impl Cache {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// The current version of a table (`*` = the base's schema).
    pub async fn version(
        &self,
        tenant: &TenantId,
        base: &str,
        table: &str,
    ) -> Result<u64, StoreError> {
        Ok(self
            .store
            .get::<Version>(&keys::table_version(tenant, base, table))
            .await?
            .unwrap_or_default()
            .version)
    }

    /// Invalidates every cached read of a table.
    pub async fn bump(&self, tenant: &TenantId, base: &str, table: &str) -> Result<(), StoreError> {
        self.store
            .update::<Version>(
                &keys::table_version(tenant, base, table),
                "ADD version :one",
                None,
                &[(":one", n(1))],
            )
            .await?;
        Ok(())
    }

    fn hash(material: &str) -> String {
        hex::encode(Sha256::digest(material.as_bytes()))
    }

    /// A live cached value for `material` (the request description, version included).
    pub async fn get(
        &self,
        tenant: &TenantId,
        material: &str,
    ) -> Result<Option<Value>, StoreError> {
        let entry: Option<Entry> = self
            .store
            .get(&keys::cache_entry(tenant, &Self::hash(material)))
            .await?;
        Ok(entry
            .filter(|e| e.expires_at > platform::time::now_epoch())
            .and_then(|e| serde_json::from_str(&e.body).ok()))
    }

    /// Stores a value for `ttl_secs` (skipped when too large for an item).
    pub async fn put(
        &self,
        tenant: &TenantId,
        material: &str,
        value: &Value,
        ttl_secs: i64,
    ) -> Result<(), StoreError> {
        let body = value.to_string();
        if body.len() > MAX_CACHED_BYTES {
            return Ok(());
        }
        let expires_at = platform::time::now_epoch() + ttl_secs;
        let at = (tenant.clone(), Self::hash(material));
        self.store
            .put(&Under(&at, &Entry { body, expires_at }))
            .await
    }
}
