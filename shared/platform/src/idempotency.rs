//! `Idempotency-Key` for writes: the first request with a key runs and its answer is stored (24 h);
//! a retry with the same key and the same request gets that answer again and writes nothing; the
//! same key with a different request is refused. A request that failed without writing anything
//! releases its key, so it can be retried; one that may have written (a partial batch, an
//! ambiguous upstream failure) stores its error as the answer, so a retry cannot write twice.
//! A claim is a lease: if the request running it dies (a Lambda timeout), the key is free again
//! after [`LEASE_SECS`].
//!
//! Keys belong to their caller (a user, an API key, a workflow): the same key sent by someone
//! else is another key, so nobody can replay — or block — another caller's answer. Callers check
//! roles before a key is looked at, and their fingerprint holds every input that changes what
//! the request does.

use std::future::Future;

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Identity;
use crate::error::ApiError;
use crate::ids::TenantId;
use crate::store::{Child, Entity, Key, Store, StoreError, Under, keys, n, s};

/// The header.
pub const HEADER: &str = "idempotency-key";
/// How long answers are kept.
pub const TTL_SECS: i64 = 24 * 3600;
/// How long a running request holds its key (longer than any function's timeout).
pub const LEASE_SECS: i64 = 90;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    fingerprint: String,
    done: bool,
    status: Option<u16>,
    body: Option<String>,
    #[serde(default)]
    lease_until: i64,
    expires_at: i64,
}

/// A key's record under its tenant and the caller-scoped key.
impl Child<(TenantId, String)> for Record {
    const TAG: &'static str = "idempotency";
    fn key(&self, (tenant, scoped): &(TenantId, String)) -> Key {
        keys::idempotency(tenant, scoped)
    }
    fn expires_at(&self) -> Option<i64> {
        Some(self.expires_at)
    }
}

/// What to do with a request.
pub enum Begin {
    /// No key: just run it.
    NoKey,
    /// First time: run it, then [`finish`] (or [`abandon`] on failure). The key, scoped to
    /// its caller.
    Run(String),
    /// Seen before: answer this.
    Replay { status: u16, body: Value },
}

/// A request's fingerprint from its parts (method and route first, then every input), joined
/// with a separator no input can contain unescaped.
pub fn fingerprint(parts: &[&str]) -> String {
    serde_json::to_string(parts).unwrap_or_default()
}

/// Reads the key and claims it for this request (`fingerprint` identifies the request's content).
pub async fn begin(
    store: &Store,
    identity: &Identity,
    headers: &HeaderMap,
    fingerprint: &str,
) -> Result<Begin, ApiError> {
    let tenant = &identity.tenant;
    let Some(raw) = headers.get(HEADER) else {
        return Ok(Begin::NoKey);
    };
    let key = raw
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.chars().all(|c| c.is_ascii_graphic()));
    let Some(key) = key else {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1–255 visible ASCII characters",
        ));
    };
    let fingerprint = crate::auth::hash_secret(fingerprint);
    let scoped = format!("{}#{key}", identity.caller_id());
    let item_key = keys::idempotency(tenant, &scoped);
    for _ in 0..3 {
        let now = crate::time::now_epoch();
        let claim = Record {
            fingerprint: fingerprint.clone(),
            done: false,
            status: None,
            body: None,
            lease_until: now + LEASE_SECS,
            expires_at: now + TTL_SECS,
        };
        let scope = (tenant.clone(), scoped.clone());
        match store.put_new(&Under(&scope, &claim)).await {
            Ok(()) => return Ok(Begin::Run(scoped)),
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
        let Some(existing) = store.get::<Record>(&item_key).await? else {
            // Released between our attempt and our read: try to claim it again.
            continue;
        };
        let stale = existing.expires_at <= now || (!existing.done && existing.lease_until <= now);
        if stale {
            // Take over an expired answer or a dead request's lease — only if nobody else did.
            let taken = store
                .client()
                .put_item()
                .table_name(store.table())
                .set_item(Some(Under(&scope, &claim).to_item()?))
                .condition_expression("expiresAt = :exp AND (attribute_not_exists(leaseUntil) OR leaseUntil = :lease) AND done = :done")
                .expression_attribute_values(":exp", n(existing.expires_at))
                .expression_attribute_values(":lease", n(existing.lease_until))
                .expression_attribute_values(":done", aws_sdk_dynamodb::types::AttributeValue::Bool(existing.done))
                .send()
                .await
                .map_err(StoreError::from_sdk);
            match taken {
                Ok(_) => return Ok(Begin::Run(scoped)),
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if existing.fingerprint != fingerprint {
            return Err(ApiError::conflict(
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
            ));
        }
        return match existing {
            Record {
                done: true,
                status: Some(status),
                body: Some(body),
                ..
            } => Ok(Begin::Replay {
                status,
                body: serde_json::from_str(&body).unwrap_or(Value::Null),
            }),
            _ => Err(ApiError::conflict(
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still running; retry shortly",
            )),
        };
    }
    Err(ApiError::conflict(
        "idempotency_in_progress",
        "this Idempotency-Key is contended; retry shortly",
    ))
}

/// Stores the answer of a request that ran (only over this request's own claim).
pub async fn finish(
    store: &Store,
    tenant: &TenantId,
    key: &str,
    fingerprint: &str,
    status: u16,
    body: &Value,
) -> Result<(), ApiError> {
    let res = store
        .update::<Value>(
            &keys::idempotency(tenant, key),
            "SET done = :t, #status = :s, body = :b",
            Some("fingerprint = :fp"),
            &[
                (":t", aws_sdk_dynamodb::types::AttributeValue::Bool(true)),
                (":s", n(status)),
                (":b", s(body.to_string())),
                (":fp", s(crate::auth::hash_secret(fingerprint))),
            ],
        )
        .await;
    match res {
        Ok(_) => Ok(()),
        // The claim is gone (released or taken over): the answer is simply not kept.
        Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Releases the key of a request that failed without writing anything.
pub async fn abandon(store: &Store, tenant: &TenantId, key: &str) {
    if let Err(e) = store.delete(&keys::idempotency(tenant, key)).await {
        tracing::warn!(error = %e, "could not release an idempotency key");
    }
}
/// Runs a write under the request's `Idempotency-Key` (if any): a replay returns the first
/// answer (with `idempotent-replayed: true`) and writes nothing. A failure that wrote nothing (a
/// 4xx, or a base on hold) releases the key; one that may have written (a partial batch, an
/// ambiguous upstream error) is stored as the answer, so a retry cannot write twice.
pub async fn run<F, Fut>(
    store: &Store,
    identity: &Identity,
    headers: &HeaderMap,
    fingerprint: String,
    run: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, Value), ApiError>>,
{
    let replayed = HeaderName::from_static("idempotent-replayed");
    let tenant = &identity.tenant;
    match begin(store, identity, headers, &fingerprint).await? {
        Begin::NoKey => run().await.map(|(s, v)| (s, Json(v)).into_response()),
        Begin::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut res = (
                status,
                [(replayed, HeaderValue::from_static("true"))],
                Json(body),
            )
                .into_response();
            if status.is_client_error() || status.is_server_error() {
                res.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(crate::error::PROBLEM_JSON),
                );
            }
            Ok(res)
        }
        Begin::Run(key) => match run().await {
            Ok((status, body)) => {
                finish(store, tenant, &key, &fingerprint, status.as_u16(), &body).await?;
                Ok((
                    status,
                    [(replayed, HeaderValue::from_static("false"))],
                    Json(body),
                )
                    .into_response())
            }
            // Only a failure that may have written keeps the key (so a retry cannot write twice);
            // anything else wrote nothing and releases it for a retry.
            Err(e)
                if !matches!(
                    e.code(),
                    "airtable_partial_write" | "airtable_outcome_unknown"
                ) =>
            {
                abandon(store, tenant, &key).await;
                Err(e)
            }
            Err(e) => {
                let res = e.into_response();
                let status = res.status();
                let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
                    .await
                    .unwrap_or_default();
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                finish(store, tenant, &key, &fingerprint, status.as_u16(), &body).await?;
                let mut res = (
                    status,
                    [(replayed, HeaderValue::from_static("false"))],
                    Json(body),
                )
                    .into_response();
                res.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(crate::error::PROBLEM_JSON),
                );
                Ok(res)
            }
        },
    }
}
