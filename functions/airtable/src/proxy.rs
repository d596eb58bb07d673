//! `/v0/…`: an Airtable-compatible proxy. Airtable's clients point their endpoint URL here and
//! use one of our API keys as their token; requests go on with the tenant's own token through
//! the same pacing and cache, and every answer — errors included — has Airtable's exact shape.

use airtable_client::{Ahead, AirtableError, CacheKey, Connection};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use platform::auth::{Identity, Role};
use serde_json::{Value, json};

use crate::{AppState, bypass_cache, cache_header};

/// Airtable's error body.
fn airtable_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"type": kind, "message": message}})),
    )
        .into_response()
}

fn from_error(e: AirtableError) -> Response {
    match e {
        AirtableError::Upstream {
            status,
            kind,
            message,
        } => {
            if kind == "NOT_FOUND" && message.is_empty() {
                return (
                    StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND),
                    axum::Json(json!({"error": "NOT_FOUND"})),
                )
                    .into_response();
            }
            airtable_error(
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                &kind,
                &message,
            )
        }
        AirtableError::RateLimited { retry_after } => {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({"errors": [{"error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"}]})),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, retry_after.into());
            r
        }
        AirtableError::OutcomeUnknown(_) => airtable_error(
            StatusCode::BAD_GATEWAY,
            "UNCONFIRMED",
            "Airtable did not confirm the write; it may have been applied",
        ),
        // The proxy reads one page per request and sets no deadline; kept for completeness.
        AirtableError::TooMuchToRead { .. } => airtable_error(
            StatusCode::REQUEST_TIMEOUT,
            "TIMEOUT",
            "The read took too long",
        ),
        // Only MCP calls are cancelled; the proxy never is.
        AirtableError::Cancelled { .. } => airtable_error(
            StatusCode::CONFLICT,
            "CANCELLED",
            "The request was cancelled",
        ),
        AirtableError::Partial { .. } => airtable_error(
            StatusCode::BAD_GATEWAY,
            "PARTIAL_WRITE",
            "Some records were written before Airtable failed",
        ),
        AirtableError::Unavailable(_) => airtable_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "Airtable did not answer; retry shortly",
        ),
        AirtableError::NotConnected => airtable_error(
            StatusCode::FAILED_DEPENDENCY,
            "AIRTABLE_NOT_CONNECTED",
            "This workspace has not connected Airtable yet",
        ),
        e @ (AirtableError::Kms(_) | AirtableError::Store(_)) => {
            platform::error::log_cause_chain(&e);
            airtable_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SERVER_ERROR",
                "An unexpected error occurred",
            )
        }
    }
}

/// Authenticates like Airtable would answer: 401 `AUTHENTICATION_REQUIRED` on any failure. The
/// workspace's connection is read in the same round trip.
async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    read: Option<CacheKey<'_>>,
) -> Result<(Identity, Option<Connection>, Ahead), Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(s, _)| s.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let unauthenticated = || {
        airtable_error(
            StatusCode::UNAUTHORIZED,
            "AUTHENTICATION_REQUIRED",
            "Authentication required",
        )
    };
    let Some(bearer) = bearer else {
        return Err(unauthenticated());
    };
    let confirmed = match state.auth.credential(&bearer) {
        Ok(credential) => state.airtable.confirm_reading(credential, read).await,
        Err(e) => Err(e),
    };
    confirmed.map_err(|e| {
        if e.status() == StatusCode::UNAUTHORIZED {
            unauthenticated()
        } else {
            if let platform::ApiError::Internal(cause) = &e {
                platform::error::log_cause_chain(cause.as_ref());
            }
            airtable_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SERVER_ERROR",
                "An unexpected error occurred",
            )
        }
    })
}

/// One proxied request: `segments` after `/v0`.
async fn forward(
    state: AppState,
    headers: HeaderMap,
    method: Method,
    segments: Vec<String>,
    query: Option<String>,
    body: Bytes,
) -> Response {
    let query: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    // A read's cache entry is read beside the caller's session check.
    let path = segs.join("/");
    let bypass = bypass_cache(&headers);
    let read = (method == Method::GET && !bypass).then(|| CacheKey::Raw {
        path: &path,
        query: &query,
    });
    let (identity, connection, ahead) = match identify(&state, &headers, read).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let is_read = method == Method::GET || segments.last().is_some_and(|s| s == "listRecords");
    if !is_read && !identity.role.at_least(Role::Member) {
        return airtable_error(
            StatusCode::FORBIDDEN,
            "INVALID_PERMISSIONS",
            "Your role in this workspace can only read",
        );
    }
    let session = match state
        .airtable
        .for_connection(&identity.tenant, connection)
        .await
    {
        Ok(s) => s.with_ahead(ahead),
        Err(e) => return from_error(e),
    };
    if method == Method::GET {
        return match session.cached_raw_get(&segs, &query, bypass).await {
            // Airtable's answer as the cache holds it (a hit is never parsed).
            Ok((text, cache)) => (
                cache_header(cache),
                [(header::CONTENT_TYPE, "application/json")],
                Box::<str>::from(text).into_string(),
            )
                .into_response(),
            Err(e) => from_error(e),
        };
    }
    let json_body: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => Some(v),
            Err(_) => {
                return airtable_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "INVALID_REQUEST_BODY",
                    "Could not parse request body",
                );
            }
        }
    };
    match session.raw(method, &segs, &query, json_body.as_ref()).await {
        Ok(v) => {
            if !is_read {
                // Writes invalidate the cache of the table (or the base's schema) they touched.
                let invalidated = match segs.as_slice() {
                    ["meta", "bases", base, "tables", table, "fields", ..] => {
                        // A field change also changes how the table's records read.
                        match session.bump(base, "*").await {
                            Ok(()) => session.invalidate(base, table).await,
                            Err(e) => Err(e),
                        }
                    }
                    ["meta", "bases", base, ..] => session.bump(base, "*").await,
                    [base, table, ..] => session.invalidate(base, table).await,
                    _ => Ok(()),
                };
                if let Err(e) = invalidated {
                    return from_error(e);
                }
            }
            axum::Json(v).into_response()
        }
        Err(e) => from_error(e),
    }
}

async fn meta_bases(
    State(s): State<AppState>,
    headers: HeaderMap,
    method: Method,
    RawQuery(q): RawQuery,
) -> Response {
    forward(
        s,
        headers,
        method,
        vec!["meta".into(), "bases".into()],
        q,
        Bytes::new(),
    )
    .await
}

async fn meta_whoami(State(s): State<AppState>, headers: HeaderMap, method: Method) -> Response {
    forward(
        s,
        headers,
        method,
        vec!["meta".into(), "whoami".into()],
        None,
        Bytes::new(),
    )
    .await
}

async fn meta_tables(
    State(s): State<AppState>,
    headers: HeaderMap,
    method: Method,
    Path(base): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    forward(
        s,
        headers,
        method,
        vec!["meta".into(), "bases".into(), base, "tables".into()],
        q,
        body,
    )
    .await
}

async fn meta_fields(
    State(s): State<AppState>,
    headers: HeaderMap,
    method: Method,
    Path((base, table)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    forward(
        s,
        headers,
        method,
        vec![
            "meta".into(),
            "bases".into(),
            base,
            "tables".into(),
            table,
            "fields".into(),
        ],
        None,
        body,
    )
    .await
}

async fn meta_field(
    State(s): State<AppState>,
    headers: HeaderMap,
    method: Method,
    Path((base, table, field)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    forward(
        s,
        headers,
        method,
        vec![
            "meta".into(),
            "bases".into(),
            base,
            "tables".into(),
            table,
            "fields".into(),
            field,
        ],
        None,
        body,
    )
    .await
}

async fn table(
    State(s): State<AppState>,
    headers: HeaderMap,
    method: Method,
    Path((base, table)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    forward(s, headers, method, vec![base, table], q, body).await
}

async fn list_records(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((base, table)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    forward(
        s,
        headers,
        Method::POST,
        vec![base, table, "listRecords".into()],
        None,
        body,
    )
    .await
}

async fn record(
    State(s): State<AppState>,
    headers: HeaderMap,
    method: Method,
    Path((base, table, record)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    forward(s, headers, method, vec![base, table, record], q, body).await
}

/// The proxy's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v0/meta/bases", get(meta_bases))
        .route("/v0/meta/whoami", get(meta_whoami))
        .route(
            "/v0/meta/bases/{base}/tables",
            get(meta_tables).post(meta_tables),
        )
        .route(
            "/v0/meta/bases/{base}/tables/{table}/fields",
            post(meta_fields),
        )
        .route(
            "/v0/meta/bases/{base}/tables/{table}/fields/{field}",
            patch(meta_field),
        )
        .route(
            "/v0/{base}/{table}",
            get(table).post(table).patch(table).put(table).delete(table),
        )
        // airtable.js writes `/{table}/`; Airtable accepts the trailing slash, so do we.
        .route(
            "/v0/{base}/{table}/",
            get(table).post(table).patch(table).put(table).delete(table),
        )
        .route("/v0/{base}/{table}/listRecords", post(list_records))
        .route(
            "/v0/{base}/{table}/{record}",
            get(record).patch(record).put(record).delete(record),
        )
}
