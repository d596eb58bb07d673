//! The sandbox Airtable: a local stand-in for the Airtable Web API, used when
//! `AIRTABLE_API_URL` does not point at the real one.
//!
//! For now it serves only its health route and answers everything else the way Airtable answers
//! an unknown route; the Airtable gateway issue grows it into the full API (records, meta,
//! pagination, batches, rate limits, formulas).

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, response::IntoResponse};
use serde_json::json;

/// The sandbox's Router.
pub fn router() -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok", "service": "sandbox-airtable"})) }))
        .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"error": "NOT_FOUND"}))).into_response() })
}
