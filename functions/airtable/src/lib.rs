//! Lambda `airtable`: the tenant's Airtable connection, its bases, tables and records through
//! the paced, cached `shared::airtable` client — and `/v0/…`, an Airtable-compatible proxy that
//! Airtable's own clients (pyairtable, airtable.js) use unchanged with one of our API keys.

mod api;
mod connections;
mod proxy;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::{get, patch, post, put};
use shared::airtable::{Airtable, CacheStatus};
use shared::auth::{Authenticator, JwtKeys};
use shared::aws::AwsClients;
use shared::config::{Config, ConfigError};
use shared::store::Store;

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub auth: Authenticator,
    pub airtable: Airtable,
}

impl AppState {
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let jwt = JwtKeys::load(&config, &aws.secrets).await?;
        let store = Store::new(aws.dynamodb.clone(), config.table_name.clone());
        let airtable = Airtable::new(&config.airtable_api_url, store.clone(), aws.kms.clone(), config.kms_key_id.clone());
        Ok(Self { auth: Authenticator::new(jwt, store.clone()), store, airtable, config: Arc::new(config) })
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// `Cache-Control: no-cache` on a request skips the cache.
pub(crate) fn bypass_cache(headers: &HeaderMap) -> bool {
    headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("no-cache") || v.contains("no-store"))
}

/// The `x-cache` response header.
pub(crate) fn cache_header(status: CacheStatus) -> [(header::HeaderName, HeaderValue); 1] {
    [(header::HeaderName::from_static("x-cache"), HeaderValue::from_static(status.as_str()))]
}

/// Every route of the function.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/connections/airtable", put(connections::connect).get(connections::status).delete(connections::disconnect))
        .route("/api/v1/bases", get(api::bases))
        .route("/api/v1/tables", get(api::tables).post(api::create_table))
        .route("/api/v1/tables/{tableId}/fields", post(api::create_field))
        .route("/api/v1/tables/{tableId}/fields/{fieldId}", patch(api::update_field))
        .route(
            "/api/v1/records",
            get(api::list_records)
                .post(api::create_records)
                .patch(api::update_records)
                .put(api::replace_records)
                .delete(api::delete_records),
        )
        .route("/api/v1/records/{recordId}", get(api::get_record).patch(api::update_record).delete(api::delete_record))
        .merge(proxy::routes())
        .with_state(state)
}

#[cfg(test)]
mod tests {
    //! The Router as Lambda runs it, fed the sample API Gateway events in `events/airtable/`. AWS
    //! is an address where nothing listens, so only paths that need no AWS call are exercised.

    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn state() -> AppState {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        let env = std::collections::HashMap::from([
            ("TABLE_NAME", "t"),
            ("UPLOADS_BUCKET", "b"),
            ("FILES_QUEUE_URL", "http://127.0.0.1:9/q/files"),
            ("AUTOMATION_QUEUE_URL", "http://127.0.0.1:9/q/auto"),
            ("SAGA_STEPS_QUEUE_URL", "http://127.0.0.1:9/q/saga"),
            ("KMS_KEY_ID", "alias/k"),
            ("JWT_SECRET", "unit-test-secret-0123456789abcdefghij"),
        ]);
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        AppState::new(config, AwsClients::new(&sdk)).await.unwrap()
    }

    async fn invoke(event: &str) -> (u16, serde_json::Value, axum::http::HeaderMap) {
        let path = format!("{}/../../events/airtable/{event}", env!("CARGO_MANIFEST_DIR"));
        let req = lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let res = shared::http::edge(router(state().await)).oneshot(req.map(|b| Body::from(b.to_vec()))).await.unwrap();
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap(), headers)
    }

    #[tokio::test]
    async fn the_records_event_without_credentials_is_a_401_problem() {
        let (status, body, headers) = invoke("list-records.json").await;
        assert_eq!(status, 401);
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["code"], "unauthorized");
    }

    #[tokio::test]
    async fn the_proxy_event_answers_in_airtables_error_shape() {
        let (status, body, _) = invoke("proxy-list.json").await;
        assert_eq!(status, 401);
        assert_eq!(body, serde_json::json!({"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}}));
    }
}
