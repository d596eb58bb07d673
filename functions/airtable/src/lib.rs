//! Lambda `airtable`: the tenant's Airtable connection, its bases, tables and records through
//! the paced, cached `airtable_client` client — and `/v0/…`, an Airtable-compatible proxy that
//! Airtable's own clients (pyairtable, airtable.js) use unchanged with one of our API keys.

mod api;
mod connections;
mod proxy;
pub mod schemas;

use std::sync::Arc;

use airtable_client::{Airtable, CacheStatus};
use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::{get, patch, post, put};
use platform::auth::Authenticator;
use platform::aws::AwsClients;
use platform::config::{Config, ConfigError};
use platform::store::Store;

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    /// Scopes every request: metrics and usage counters.
    pub telemetry: platform::telemetry::Telemetry,
    pub config: Arc<Config>,
    pub store: Store,
    pub auth: Authenticator,
    pub airtable: Airtable,
}

impl AppState {
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let auth = Authenticator::load(&config, &aws).await?;
        let store = auth.store().clone();
        let airtable = Airtable::new(
            &config.airtable_api_url,
            store.clone(),
            aws.kms().clone(),
            config.kms_key_id.clone(),
        );
        Ok(Self {
            telemetry: platform::telemetry::Telemetry::new(
                "airtable",
                &config,
                auth.store().clone(),
            ),
            auth,
            store,
            airtable,
            config: Arc::new(config),
        })
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// `Cache-Control: no-cache` on a request skips the cache.
pub(crate) fn bypass_cache(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-cache") || v.contains("no-store"))
}

/// The `x-cache` response header.
pub(crate) fn cache_header(status: CacheStatus) -> [(header::HeaderName, HeaderValue); 1] {
    [(
        header::HeaderName::from_static("x-cache"),
        HeaderValue::from_static(status.as_str()),
    )]
}

/// The function's part of the OpenAPI document (the `/v0` proxy is Airtable's own API and is
/// documented by Airtable).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    connections::connect,
    connections::status,
    connections::disconnect,
    api::bases,
    api::tables,
    api::create_table,
    api::create_field,
    api::update_field,
    api::list_records,
    api::get_record,
    api::create_records,
    api::update_records,
    api::replace_records,
    api::update_record,
    api::delete_record,
    api::delete_records,
))]
pub struct ApiDoc;

/// Every route of the function.
pub fn router(state: AppState) -> Router {
    let telemetry = state.telemetry.clone();
    Router::new()
        .route(
            "/api/v1/connections/airtable",
            put(connections::connect)
                .get(connections::status)
                .delete(connections::disconnect),
        )
        .route("/api/v1/bases", get(api::bases))
        .route("/api/v1/tables", get(api::tables).post(api::create_table))
        .route("/api/v1/tables/{tableId}/fields", post(api::create_field))
        .route(
            "/api/v1/tables/{tableId}/fields/{fieldId}",
            patch(api::update_field),
        )
        .route(
            "/api/v1/records",
            get(api::list_records)
                .post(api::create_records)
                .patch(api::update_records)
                .put(api::replace_records)
                .delete(api::delete_records),
        )
        .route(
            "/api/v1/records/{recordId}",
            get(api::get_record)
                .patch(api::update_record)
                .delete(api::delete_record),
        )
        .merge(proxy::routes())
        .with_state(state)
        .route_layer(telemetry.http_layer())
}

#[cfg(test)]
mod tests {
    //! The Router as Lambda runs it, fed the sample API Gateway events in `events/airtable/`. AWS
    //! is an address where nothing listens, so only paths that need no AWS call are exercised.

    use super::*;
    use platform::testing::{event, invoke, unreachable_aws};

    async fn app() -> Router {
        let (config, aws) = unreachable_aws();
        router(AppState::new(config, aws).await.unwrap())
    }

    #[tokio::test]
    async fn the_records_event_without_credentials_is_a_401_problem() {
        let (status, body, headers) =
            invoke(app().await, &event("airtable", "list-records.json")).await;
        assert_eq!(status, 401);
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["code"], "unauthorized");
    }

    #[tokio::test]
    async fn the_proxy_event_answers_in_airtables_error_shape() {
        let (status, body, _) = invoke(app().await, &event("airtable", "proxy-list.json")).await;
        assert_eq!(status, 401);
        assert_eq!(
            body,
            serde_json::json!({"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}})
        );
    }
}
