//! The HTTP edge every function's Router is wrapped in, in Lambda and in the local stack alike:
//! request ids, one JSON log line per request, body limits, and problem+json for everything that
//! is not a success — unknown routes (404), wrong methods (405), bodies that are too large (413),
//! malformed JSON (400) and invalid fields (422).

use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::error::{ApiError, FieldError, PROBLEM_JSON, Problem};

/// Largest JSON body any endpoint accepts unless its route sets its own limit.
pub const MAX_JSON_BODY: usize = 1024 * 1024;

/// The response header (and inbound header, when a caller supplies a sane one) of the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Wraps a function's routes in the platform edge. Call it once on the outermost Router.
pub fn edge(router: Router) -> Router {
    router
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
                .with_detail("this route does not accept that method")
                .into_response_with(StatusCode::METHOD_NOT_ALLOWED)
        })
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(middleware::from_fn(request_context))
}

/// [`edge`] for a function that answers with Lambda response streaming (a Function URL): each
/// invocation first turns Nagle's algorithm off on the Runtime API sockets, or every streamed
/// answer would end about 40 ms late ([`crate::runtime_api`]).
pub fn streaming_edge(router: Router) -> Router {
    edge(router).layer(middleware::from_fn(|req: Request, next: Next| {
        crate::runtime_api::disable_nagle();
        next.run(req)
    }))
}

fn inbound_request_id(req: &Request) -> Option<String> {
    let v = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let sane = !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    sane.then(|| v.to_owned())
}

async fn request_context(req: Request, next: Next) -> Response {
    let request_id = inbound_request_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, route = %route, tenant = tracing::field::Empty);
    let started = Instant::now();
    let mut res = crate::request::scope(
        request_id.clone(),
        async move { ensure_problem(next.run(req).await) }.instrument(span.clone()),
    )
    .await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    // Routes with a telemetry scope say where their time went; every other answer (an unknown
    // route, a refusal before one) at least how long it took.
    let timing = crate::telemetry::timing::HEADER;
    if !res.headers().contains_key(timing)
        && crate::telemetry::timing::detail() != crate::telemetry::timing::Detail::Off
        && let Ok(v) = HeaderValue::from_str(&format!(
            "total;dur={:.1}",
            started.elapsed().as_secs_f64() * 1000.0
        ))
    {
        res.headers_mut().insert(timing, v);
    }
    if crate::telemetry::text_logs() {
        tracing::info!("{}", request_line(&method, &path, &res, started.elapsed()));
    } else {
        span.in_scope(|| {
            tracing::info!(
                status = res.status().as_u16(),
                latency_ms = started.elapsed().as_millis() as u64,
                "request finished"
            );
        });
    }
    res
}

/// `GET /api/v1/records 200 35 ms cache=hit`: a request as a person at `make dev`'s terminal
/// reads it (the path without its query, which may hold a user's values).
fn request_line(
    method: &axum::http::Method,
    path: &str,
    res: &Response,
    took: std::time::Duration,
) -> String {
    let cache = res
        .headers()
        .get(crate::telemetry::timing::HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.split(", ").find_map(|m| m.strip_prefix("cache;desc=")))
        .map(|d| format!(" cache={}", d.trim_matches('"').replace(' ', "")))
        .unwrap_or_default();
    format!(
        "{method} {path} {} {} ms{cache}",
        res.status().as_u16(),
        took.as_millis()
    )
}

/// Any error response that is not already a problem (a framework rejection, say) becomes one.
fn ensure_problem(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_text = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/plain"));
    if !is_text {
        return res;
    }
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        s if s.is_server_error() => "internal_error",
        _ => "error",
    };
    let mut problem = Problem::new(status, code);
    if status.is_client_error() {
        problem.detail = Some(
            status
                .canonical_reason()
                .unwrap_or("bad request")
                .to_lowercase(),
        );
    }
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let fresh = problem.into_response_with(status);
    let (fresh_parts, body) = fresh.into_parts();
    parts.headers.extend(fresh_parts.headers);
    Response::from_parts(parts, body)
}

impl Problem {
    /// The problem as a response with its media type.
    pub fn into_response_with(self, status: StatusCode) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = Response::new(Body::from(body));
        *res.status_mut() = status;
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        res
    }
}

/// A JSON request body, parsed into `T` with problem+json rejections: 415 for a body that is not
/// JSON, 413 past the limit, 400 for malformed JSON, 422 (with the field path) for JSON of the
/// wrong shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
        if !json_type {
            return Err(ApiError::UnsupportedMediaType(
                "expected Content-Type: application/json".into(),
            ));
        }
        // Refuse a declared oversize body before reading any of it (a client that sent
        // `Expect: 100-continue` then never sends it at all).
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|len| len > MAX_JSON_BODY) {
            return Err(ApiError::PayloadTooLarge(MAX_JSON_BODY));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(MAX_JSON_BODY)
            } else {
                ApiError::bad_request("unreadable_body", "the request body could not be read")
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON with the same error mapping as [`ApiJson`].
///
/// JSON has one kind of number: `3.0` is the integer 3 (as JSON Schema, and so the OpenAPI
/// document, say), so a whole number written with a fraction is read as an integer.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
        ApiError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON: {err}"),
        )
    })?;
    whole_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { String::new() } else { path };
        ApiError::Validation(vec![FieldError::new(
            field,
            strip_position(&err.into_inner().to_string()),
        )])
    })
}

/// Replaces every float with no fractional part that fits an `i64` by that integer.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    // An explicit stack: a deeply nested body cannot overflow ours (serde_json already
    // refused nesting past 128 levels, but the walk should not rely on that).
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
                    *v = Value::from(f as i64);
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Query-string parameters parsed into `T`, rejected as 400 problems.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let de = parse_query(query);
        de.map(ApiQuery).map_err(|e| {
            ApiError::bad_request("invalid_query", format!("invalid query string: {e}"))
        })
    }
}

/// Parses a query string with axum's own `Query` rules.
fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, String> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{query}")
            .parse()
            .map_err(|_| "malformed query".to_string())?,
    )
    .map(|q| q.0)
    .map_err(|e| e.body_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_says_method_path_status_time_and_the_cache() {
        use axum::response::IntoResponse;
        let mut res = StatusCode::OK.into_response();
        res.headers_mut().insert(
            crate::telemetry::timing::HEADER,
            HeaderValue::from_static("total;dur=3.0, app;dur=1.0, cache;desc=hit"),
        );
        let line = request_line(
            &axum::http::Method::GET,
            "/api/v1/records",
            &res,
            std::time::Duration::from_millis(35),
        );
        assert_eq!(line, "GET /api/v1/records 200 35 ms cache=hit");
        let plain = StatusCode::NOT_FOUND.into_response();
        let line = request_line(
            &axum::http::Method::POST,
            "/x",
            &plain,
            std::time::Duration::from_millis(2),
        );
        assert_eq!(line, "POST /x 404 2 ms");
    }
    use axum::routing::post;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Body1 {
        name: String,
        count: u32,
    }

    fn app() -> Router {
        edge(Router::new().route(
            "/things",
            post(|ApiJson(_b): ApiJson<Body1>| async { StatusCode::CREATED }),
        ))
    }

    async fn call(req: Request) -> (StatusCode, Option<String>, serde_json::Value) {
        let res = app().oneshot(req).await.unwrap();
        let status = res.status();
        let ct = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        assert!(res.headers().contains_key(REQUEST_ID_HEADER));
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            ct,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    fn json_post(body: &str) -> Request {
        Request::post("/things")
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    }

    #[tokio::test]
    async fn unknown_routes_are_404_problems() {
        let (status, ct, body) = call(Request::get("/nope").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(ct.as_deref(), Some(PROBLEM_JSON));
        assert_eq!(body["code"], "not_found");
    }

    #[tokio::test]
    async fn wrong_methods_are_405_problems() {
        let (status, ct, body) = call(Request::get("/things").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(ct.as_deref(), Some(PROBLEM_JSON));
        assert_eq!(body["code"], "method_not_allowed");
    }

    #[tokio::test]
    async fn malformed_json_is_400_and_wrong_shape_is_422_with_the_field() {
        let (status, _, body) = call(json_post("{\"name\": ")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "malformed_json");
        let (status, _, body) = call(json_post(r#"{"name":"a","count":"x"}"#)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["field"], "count");
    }

    #[tokio::test]
    async fn oversized_bodies_are_413_and_non_json_is_415() {
        let big = format!(
            r#"{{"name":"{}","count":1}}"#,
            "x".repeat(MAX_JSON_BODY + 1)
        );
        let (status, ct, body) = call(json_post(&big)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(ct.as_deref(), Some(PROBLEM_JSON));
        assert_eq!(body["code"], "payload_too_large");
        let req = Request::post("/things")
            .header("content-type", "text/plain")
            .body(Body::from("hi"))
            .unwrap();
        let (status, _, _) = call(req).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[tokio::test]
    async fn a_sane_inbound_request_id_is_kept() {
        let req = Request::get("/nope")
            .header(REQUEST_ID_HEADER, "abc-123")
            .body(Body::empty())
            .unwrap();
        let res = app().oneshot(req).await.unwrap();
        assert_eq!(res.headers()[REQUEST_ID_HEADER], "abc-123");
    }
}
