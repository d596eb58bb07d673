//! `Idempotency-Key` for writes: the first request with a key runs and its answer is stored (24 h);
//! a retry with the same key and the same request gets that answer again and writes nothing; the
//! same key with a different request is refused. A request that fails leaves no record, so it can
//! be retried.

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::ids::TenantId;
use crate::store::{Store, StoreError, keys};

/// The header.
pub const HEADER: &str = "idempotency-key";
/// How long answers are kept.
pub const TTL_SECS: i64 = 24 * 3600;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    fingerprint: String,
    done: bool,
    status: Option<u16>,
    body: Option<String>,
    expires_at: i64,
}

/// What to do with a request.
pub enum Begin {
    /// No key: just run it.
    NoKey,
    /// First time: run it, then [`finish`] (or [`abandon`] on failure).
    Run(String),
    /// Seen before: answer this.
    Replay { status: u16, body: Value },
}

/// Reads the key and claims it for this request (`fingerprint` identifies the request's content).
pub async fn begin(store: &Store, tenant: &TenantId, headers: &HeaderMap, fingerprint: &str) -> Result<Begin, ApiError> {
    let Some(raw) = headers.get(HEADER) else { return Ok(Begin::NoKey) };
    let key = raw.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 255 && k.chars().all(|c| c.is_ascii_graphic()));
    let Some(key) = key else {
        return Err(ApiError::bad_request("invalid_idempotency_key", "Idempotency-Key must be 1–255 visible ASCII characters"));
    };
    let now = crate::time::now_epoch();
    let fingerprint = crate::auth::hash_secret(fingerprint);
    let item_key = keys::idempotency(tenant, key);
    let record = Record { fingerprint: fingerprint.clone(), done: false, status: None, body: None, expires_at: now + TTL_SECS };
    let item = Store::with_ttl(Store::item(&item_key, "idempotency", &record)?, record.expires_at);
    match store.put_new(item.clone()).await {
        Ok(()) => return Ok(Begin::Run(key.to_owned())),
        Err(StoreError::ConditionFailed) => {}
        Err(e) => return Err(e.into()),
    }
    let existing: Option<Record> = store.get(&item_key).await?;
    match existing {
        Some(r) if r.expires_at <= now => {
            store.put(item).await?;
            Ok(Begin::Run(key.to_owned()))
        }
        Some(r) if r.fingerprint != fingerprint => {
            Err(ApiError::conflict("idempotency_key_reused", "this Idempotency-Key was used for a different request"))
        }
        Some(Record { done: true, status: Some(status), body: Some(body), .. }) => {
            Ok(Begin::Replay { status, body: serde_json::from_str(&body).unwrap_or(Value::Null) })
        }
        Some(_) => {
            Err(ApiError::conflict("idempotency_in_progress", "a request with this Idempotency-Key is still running; retry shortly"))
        }
        None => Ok(Begin::Run(key.to_owned())),
    }
}

/// Stores the answer of a request that ran.
pub async fn finish(store: &Store, tenant: &TenantId, key: &str, status: u16, body: &Value) -> Result<(), ApiError> {
    store
        .update::<Value>(
            &keys::idempotency(tenant, key),
            "SET done = :t, #status = :s, body = :b",
            None,
            &[
                (":t", aws_sdk_dynamodb::types::AttributeValue::Bool(true)),
                (":s", crate::store::n(status)),
                (":b", crate::store::s(body.to_string())),
            ],
        )
        .await?;
    Ok(())
}

/// Releases the key of a request that failed, so a retry runs again.
pub async fn abandon(store: &Store, tenant: &TenantId, key: &str) {
    if let Err(e) = store.delete(&keys::idempotency(tenant, key)).await {
        tracing::warn!(error = %e, "could not release an idempotency key");
    }
}
