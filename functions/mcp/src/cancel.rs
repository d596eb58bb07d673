//! Cancellation across instances. The server is stateless, so a client's
//! `notifications/cancelled` arrives as its own POST, maybe at another instance than the one
//! running the call: it is written to the store (scoped to the tenant and caller, the request id
//! hashed, expiring in minutes), and the running call reads it between pages and chunks. A client
//! that closes the response stream cancels the call on the spot (the SDK's request token).
//!
//! JSON-RPC ids restart with each client session, so a marker only stops a call that started
//! before it was written (a stale marker of an earlier session cannot stop a new call), and the
//! client's `User-Agent` is part of the key (one API key used from two different clients: one
//! cannot cancel the other's call that happens to carry the same id).

use std::future::Future;
use std::pin::Pin;

use airtable_client::progress::CancelCheck;
use platform::auth::Identity;
use platform::ids::TenantId;
use platform::store::{Child, Key, Store, StoreError, Under, keys};
use platform::time::now_ms;
use rmcp::model::RequestId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// How long a cancellation is kept: longer than any call runs.
const KEEP_SECS: i64 = 600;

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    /// When the cancellation arrived (ms since the epoch).
    at: i64,
}

/// A marker under its key's parts: the tenant, the caller and the request.
impl Child<(TenantId, String, String)> for Marker {
    const TAG: &'static str = "mcp_cancel";
    fn key(&self, (tenant, caller, request): &(TenantId, String, String)) -> Key {
        keys::mcp_cancel(tenant, caller, request)
    }
    fn expires_at(&self) -> Option<i64> {
        Some(self.at / 1000 + KEEP_SECS)
    }
}

/// The store key part naming one request of a caller's client.
fn request_key(user_agent: &str, id: &Value) -> String {
    platform::auth::hash_secret(&format!("{user_agent}\n{id}"))[..32].to_owned()
}

/// The request's `User-Agent` (empty when absent or not text).
pub fn user_agent(headers: &http::HeaderMap) -> &str {
    headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Whether a JSON-RPC message is `notifications/cancelled`; its request id (a JSON-RPC id is a
/// string or a number; anything else cancels nothing).
pub fn cancelled_request(message: &Value) -> Option<&Value> {
    (message.get("method")?.as_str()? == "notifications/cancelled")
        .then(|| message.get("params")?.get("requestId"))
        .flatten()
        .filter(|id| id.is_string() || id.is_number())
}

/// Records that the caller's client cancelled request `id`.
pub async fn record(
    store: &Store,
    identity: &Identity,
    user_agent: &str,
    id: &Value,
) -> Result<(), StoreError> {
    let request = (
        identity.tenant.clone(),
        identity.caller_id(),
        request_key(user_agent, id),
    );
    store.put(&Under(&request, &Marker { at: now_ms() })).await
}

/// A running call's view of its cancellation: the request's own token (the client went away),
/// then the store (the client said so, to any instance).
pub struct Watch {
    pub store: Store,
    pub tenant: TenantId,
    pub caller: String,
    pub request: String,
    pub started_ms: i64,
    pub local: CancellationToken,
}

impl Watch {
    pub fn new(
        store: Store,
        identity: &Identity,
        user_agent: &str,
        id: &RequestId,
        local: CancellationToken,
    ) -> Self {
        let id = serde_json::to_value(id).unwrap_or(Value::Null);
        Self {
            store,
            tenant: identity.tenant.clone(),
            caller: identity.caller_id(),
            request: request_key(user_agent, &id),
            started_ms: now_ms(),
            local,
        }
    }
}

impl CancelCheck for Watch {
    fn cancelled_here(&self) -> bool {
        self.local.is_cancelled()
    }

    fn cancelled_anywhere(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(async move {
            let key = keys::mcp_cancel(&self.tenant, &self.caller, &self.request);
            match self.store.get::<Marker>(&key).await {
                // A second of slack for clocks of different instances.
                Ok(Some(m)) => m.at + 1_000 >= self.started_ms,
                Ok(None) => false,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read MCP cancellations; the call goes on");
                    false
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_cancel_notifications_with_an_id_are_picked_out() {
        let m = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "user"}});
        assert_eq!(cancelled_request(&m), Some(&json!(7)));
        assert_eq!(
            cancelled_request(&json!({"method": "notifications/cancelled", "params": {}})),
            None
        );
        assert_eq!(
            cancelled_request(&json!({"method": "tools/call", "params": {"requestId": 7}})),
            None
        );
        assert_eq!(cancelled_request(&json!([1, 2])), None);
        let odd = json!({"method": "notifications/cancelled", "params": {"requestId": {"a": 1}}});
        assert_eq!(cancelled_request(&odd), None, "not a JSON-RPC id");
    }

    #[test]
    fn number_and_string_ids_are_different_requests() {
        assert_ne!(request_key("ua", &json!(7)), request_key("ua", &json!("7")));
        assert_ne!(
            request_key("Claude", &json!(7)),
            request_key("Cursor", &json!(7)),
            "clients apart"
        );
        assert_eq!(request_key("", &json!("a")).len(), 32);
    }
}
