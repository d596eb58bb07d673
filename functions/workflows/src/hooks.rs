//! Incoming webhooks: `POST /api/v1/hooks/{workflowId}` with
//! `X-Timestamp: <epoch seconds>` and `X-Signature-256: sha256=<hex HMAC-SHA256(secret,
//! "<timestamp>.<body>")>`. The timestamp must be within five minutes, and a signature is
//! accepted once (its run is the replay marker), so a captured request cannot be replayed.
//! The body (JSON, or `{"text": …}` for anything else) becomes `{{trigger.…}}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use platform::error::ApiError;
use platform::ids::WorkflowId;
use platform::store::{StoreError, keys};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::Sha256;
use workflows_core::{self as wf, Trigger, TriggerEvent, Workflow};

use crate::AppState;

/// How far a delivery's timestamp may be from now.
const WINDOW_SECS: i64 = 300;

/// The KMS encryption context of a workflow's secret.
pub(crate) fn context(workflow: &Workflow) -> [(&'static str, &str); 2] {
    [
        ("tenantId", workflow.tenant_id.as_str()),
        ("workflowId", workflow.id.as_str()),
    ]
}

fn unauthorized(why: &str) -> ApiError {
    ApiError::unauthorized(format!("webhook signature refused: {why}"))
}

/// The timestamp and signature bytes from the headers, checked for shape and freshness.
fn signature(headers: &HeaderMap, now: i64) -> Result<(i64, Vec<u8>), ApiError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let ts = header("x-timestamp").ok_or_else(|| unauthorized("X-Timestamp is missing"))?;
    let ts: i64 = ts
        .parse()
        .map_err(|_| unauthorized("X-Timestamp must be epoch seconds"))?;
    if (now - ts).abs() > WINDOW_SECS {
        return Err(unauthorized(
            "X-Timestamp is more than 5 minutes away from now",
        ));
    }
    let sig =
        header("x-signature-256").ok_or_else(|| unauthorized("X-Signature-256 is missing"))?;
    let hex_sig = sig
        .strip_prefix("sha256=")
        .ok_or_else(|| unauthorized("X-Signature-256 must be sha256=<hex>"))?;
    let bytes = hex::decode(hex_sig)
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| unauthorized("X-Signature-256 must be sha256=<64 hex digits>"))?;
    Ok((ts, bytes))
}

/// HMAC-SHA256 of `<timestamp>.<body>`, compared in constant time.
pub fn verify(secret: &[u8], ts: i64, body: &[u8], signature: &[u8]) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(ts.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(signature).is_ok()
}

/// `POST /api/v1/hooks/{workflowId}` → 202 `{executionId}`; 401 for a missing, stale or wrong
/// signature, 409 for a replayed delivery or a disabled workflow, 413 past 64 KB.
#[utoipa::path(post, path = "/api/v1/hooks/{workflowId}", tag = "workflows", summary = "Receive a signed webhook (no bearer token)", request_body(content = Object, content_type = "application/json"), params(("workflowId" = inline(platform::ids::WorkflowId), Path), ("X-Timestamp" = String, Header), ("X-Signature-256" = String, Header)), responses((status = 202, body = crate::schemas::RunAnswer), platform::openapi::Unauthorized, platform::openapi::NotFound, platform::openapi::Conflict, platform::openapi::TooLarge))]
pub async fn receive(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Result<Response, ApiError> {
    if body.len() > wf::MAX_TRIGGER_BYTES {
        return Err(ApiError::PayloadTooLarge(wf::MAX_TRIGGER_BYTES));
    }
    let (ts, sig) = signature(&headers, platform::time::now_epoch())?;
    let not_found = || ApiError::not_found("no such webhook");
    let id = WorkflowId::parse(&raw).map_err(|_| not_found())?;
    let tenant = match state
        .store
        .get::<wf::WebhookOwner>(&keys::webhook(&id))
        .await
    {
        Ok(Some(owner)) => owner.tenant_id,
        // A lookup that is missing, or not of the shape it is written in, finds nothing.
        Ok(None) | Err(StoreError::Shape(_)) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let workflow = wf::load(&state.store, &tenant, &id)
        .await?
        .ok_or_else(not_found)?;
    let (Trigger::Webhook, Some(sealed)) = (&workflow.definition.trigger, &workflow.webhook_secret)
    else {
        return Err(not_found());
    };
    let secret = platform::sealed::open(&state.kms, &context(&workflow), sealed)
        .await
        .map_err(ApiError::internal)?;
    if !verify(secret.expose_secret().as_bytes(), ts, &body, &sig) {
        tracing::info!(workflow = %id, "webhook with a wrong signature");
        return Err(unauthorized(
            "the signature does not match the body and timestamp",
        ));
    }
    tracing::Span::current().record("tenant", tenant.as_str());
    if !workflow.enabled {
        return Err(ApiError::conflict(
            "workflow_disabled",
            "the workflow is disabled",
        ));
    }
    let data = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => v,
        Err(_) if body.is_empty() => json!({}),
        Err(_) => json!({"text": String::from_utf8_lossy(&body)}),
    };
    // The signature is the delivery's id: the same signed request starts one run at most.
    let event = TriggerEvent {
        kind: "webhook",
        data,
        event_id: Some(format!("hook#{}", hex::encode(&sig))),
    };
    let (execution, new) =
        wf::start_execution(&state.store, &state.sqs, &state.queue_url, &workflow, event).await?;
    if !new {
        return Err(ApiError::conflict(
            "webhook_replayed",
            format!("this delivery was already received (run {})", execution.id),
        ));
    }
    Ok((StatusCode::ACCEPTED, Json(json!({"executionId": execution.id, "workflowId": workflow.id, "status": execution.status})))
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ts: &str, sig: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-timestamp", ts.parse().unwrap());
        h.insert("x-signature-256", sig.parse().unwrap());
        h
    }

    #[test]
    fn signatures_cover_the_timestamp_and_the_body() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_x").unwrap();
        mac.update(b"1700000000.{\"a\":1}");
        let sig = mac.finalize().into_bytes();
        assert!(verify(b"whsec_x", 1_700_000_000, br#"{"a":1}"#, &sig));
        assert!(!verify(b"whsec_x", 1_700_000_001, br#"{"a":1}"#, &sig));
        assert!(!verify(b"whsec_x", 1_700_000_000, br#"{"a":2}"#, &sig));
        assert!(!verify(b"whsec_y", 1_700_000_000, br#"{"a":1}"#, &sig));
    }

    #[test]
    fn stale_or_malformed_headers_are_refused() {
        let good = format!("sha256={}", "ab".repeat(32));
        assert!(signature(&headers("1000", &good), 1000).is_ok());
        assert!(signature(&headers("1000", &good), 1000 + WINDOW_SECS + 1).is_err());
        assert!(signature(&headers("soon", &good), 1000).is_err());
        assert!(signature(&headers("1000", "md5=00"), 1000).is_err());
        assert!(signature(&headers("1000", "sha256=zz"), 1000).is_err());
        assert!(signature(&HeaderMap::new(), 1000).is_err());
    }
}
