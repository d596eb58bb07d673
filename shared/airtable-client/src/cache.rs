//! Airtable responses cached in DynamoDB, keyed by the request (in the namespace of the tenant's
//! connection) and stamped with the version of the table they read. Every write through the
//! platform bumps that version, so a cached read never outlives a write made through us. The
//! versions live in the connection item, which every request reads anyway for its token. Entries
//! carry `ttl` and are also checked on read (emulators never expire items).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use aws_sdk_dynamodb::types::ReturnValue;
use platform::ids::TenantId;
use platform::store::{AttributeValue, Child, Item, Key, Store, StoreError, Under, keys, n};

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

/// What an entry answers for: the table (or the base's schema, `*`) whose version it was read
/// at, so a write through us since then (which bumps that version) makes it stale.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stamp {
    pub scope: String,
    pub version: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    body: String,
    expires_at: i64,
    /// The token and connection it was read with: served to that connection only.
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    stamp: Option<Stamp>,
}

/// A live entry as read: the JSON text of what it answers (checked to be JSON, not parsed: a hit
/// served as it was stored builds no value tree), and what decides whether it may still be served.
#[derive(Debug, Clone)]
pub struct Cached {
    pub body: Box<RawValue>,
    pub namespace: String,
    pub stamp: Option<Stamp>,
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

/// The name of a table's version in the connection's `versions` map (`*`: the base's schema).
pub fn version_key(base: &str, table: &str) -> String {
    format!("{base}/{table}")
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

    /// Invalidates every cached read of a table (`*`: the base's schema): one `UpdateItem` on the
    /// tenant's connection, which holds the versions — so the read that loads the connection
    /// (every request needs its token) brings every version with it, and a cached read costs
    /// one more round trip, not three. Returns the new version (`None`: no connection, so
    /// nothing is cached).
    pub async fn bump(
        &self,
        tenant: &TenantId,
        base: &str,
        table: &str,
    ) -> Result<Option<u64>, StoreError> {
        let key = keys::airtable_connection(tenant);
        let name = version_key(base, table);
        let bump = self
            .store
            .client()
            .update_item()
            .table_name(self.store.table())
            .set_key(Some(Store::key_map(&key)))
            .update_expression("SET #versions.#v = if_not_exists(#versions.#v, :zero) + :one")
            .condition_expression("attribute_exists(#versions)")
            .expression_attribute_names("#versions", "versions")
            .expression_attribute_names("#v", &name)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew);
        match bump.clone().send().await.map_err(StoreError::from_sdk) {
            Ok(out) => return Ok(Some(new_version(out.attributes, &name))),
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
        // A connection stored before it kept versions gets an empty map first (or there is no
        // connection: then nothing is cached, nothing to invalidate).
        let init = self
            .store
            .client()
            .update_item()
            .table_name(self.store.table())
            .set_key(Some(Store::key_map(&key)))
            .update_expression("SET #versions = if_not_exists(#versions, :empty)")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#versions", "versions")
            .expression_attribute_values(":empty", AttributeValue::M(Default::default()))
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match init {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => return Ok(None),
            Err(e) => return Err(e),
        }
        match bump.send().await.map_err(StoreError::from_sdk) {
            Ok(out) => Ok(Some(new_version(out.attributes, &name))),
            Err(StoreError::ConditionFailed) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn hash(material: &str) -> String {
        hex::encode(Sha256::digest(material.as_bytes()))
    }

    /// A live entry for `material` (what was asked), with the namespace and stamp it was stored
    /// under: the caller serves it only to the same connection, at the same version. Needing no
    /// connection to be found, it can be read beside the session check ([`Cache::key`] and
    /// [`Cache::decode`]).
    pub async fn get(
        &self,
        tenant: &TenantId,
        material: &str,
    ) -> Result<Option<Cached>, StoreError> {
        Ok(Self::live(
            self.store.get(&Self::key(tenant, material)).await?,
        ))
    }

    /// The key of the entry for `material`.
    pub fn key(tenant: &TenantId, material: &str) -> Key {
        keys::cache_entry(tenant, &Self::hash(material))
    }

    /// The entry an item read at [`Cache::key`] holds, when it is still live.
    pub fn decode(item: Option<Item>) -> Result<Option<Cached>, StoreError> {
        Ok(Self::live(Store::decode(item)?))
    }

    fn live(entry: Option<Entry>) -> Option<Cached> {
        entry
            .filter(|e| e.expires_at > platform::time::now_epoch())
            .and_then(|e| {
                Some(Cached {
                    // Not JSON (no write of ours stores such a body): a miss.
                    body: RawValue::from_string(e.body).ok()?,
                    namespace: e.namespace,
                    stamp: e.stamp,
                })
            })
    }

    /// Stores the JSON text of an answer for `ttl_secs` (skipped when too large for an item).
    pub async fn put(
        &self,
        tenant: &TenantId,
        material: &str,
        body: &str,
        ttl_secs: i64,
        namespace: &str,
        stamp: Option<Stamp>,
    ) -> Result<(), StoreError> {
        if body.len() > MAX_CACHED_BYTES {
            return Ok(());
        }
        let expires_at = platform::time::now_epoch() + ttl_secs;
        let at = (tenant.clone(), Self::hash(material));
        self.store
            .put(&Under(
                &at,
                &Entry {
                    body: body.to_owned(),
                    expires_at,
                    namespace: namespace.to_owned(),
                    stamp,
                },
            ))
            .await
    }
}

/// The version an `UpdateItem` just wrote (`UPDATED_NEW` returns the `versions` map's changed
/// entry).
fn new_version(attributes: Option<platform::store::Item>, name: &str) -> u64 {
    match attributes.as_ref().and_then(|a| a.get("versions")) {
        Some(AttributeValue::M(m)) => match m.get(name) {
            Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
            _ => 0,
        },
        _ => 0,
    }
}
