//! RFC 9457 problem details: the one error type handlers return and its single mapping to HTTP.
//!
//! 4xx problems say what is wrong; 5xx problems say nothing internal — the cause chain is logged
//! once, here, with the request id that the response also carries.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid input field, reported in a 422 problem's `errors`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON path of the field, e.g. `password` or `records[3].fields`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a handler can fail with. Each variant maps to exactly one status and a stable code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("{detail}")]
    Locked { detail: String, retry_after: u64 },
    #[error("the request body is larger than the {0} bytes this endpoint accepts")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    TooManyRequests {
        code: &'static str,
        detail: String,
        retry_after: u64,
    },
    #[error("{detail}")]
    Unavailable {
        detail: String,
        retry_after: Option<u64>,
    },
    /// A dependency other than Airtable (a model provider) failed.
    #[error("{detail}")]
    BadGateway { code: &'static str, detail: String },
    /// Airtable refused or failed a request; `airtable_type` is its error type, kept for callers.
    #[error("{detail}")]
    Upstream {
        status: StatusCode,
        code: &'static str,
        airtable_type: String,
        detail: String,
        retry_after: Option<u64>,
    },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(err))
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden(detail.into())
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound(detail.into())
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::Unauthorized(detail.into())
    }

    /// HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Locked { .. } => StatusCode::LOCKED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::BadGateway { .. } => StatusCode::BAD_GATEWAY,
            Self::Upstream { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code; also the last segment of the problem `type`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Conflict { code, .. }
            | Self::BadGateway { code, .. } => code,
            Self::Validation(_) => "validation_failed",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Locked { .. } => "account_locked",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::TooManyRequests { code, .. } => code,
            Self::Unavailable { .. } => "service_unavailable",
            Self::Upstream { code, .. } => code,
            Self::Internal(_) => "internal_error",
        }
    }
}

/// The RFC 9457 body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Airtable's own error type, when Airtable is the one that refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub airtable_type: Option<String>,
}

impl Problem {
    /// A problem with the given status and code and no detail.
    pub fn new(status: StatusCode, code: &str) -> Self {
        Self {
            kind: format!("urn:pyairtable:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: None,
            request_id: crate::request::current_request_id(),
            errors: Vec::new(),
            airtable_type: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Logs an error with its whole cause chain, once.
pub fn log_cause_chain(err: &(dyn std::error::Error + 'static)) {
    let mut chain = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        chain.push(cause.to_string());
        source = cause.source();
    }
    tracing::error!(error.chain = ?chain, "request failed with an internal error");
}

impl ApiError {
    /// The problem body and the one header that goes with it (Retry-After, WWW-Authenticate).
    /// An internal error's cause chain is logged here, once, and never put in the body.
    pub fn to_problem(&self) -> (Problem, Option<(header::HeaderName, HeaderValue)>) {
        let status = self.status();
        let mut problem = Problem::new(status, self.code());
        let mut extra = None;
        match self {
            Self::Internal(source) => {
                log_cause_chain(source.as_ref());
                problem.detail = Some("An unexpected error occurred; it has been logged.".into());
            }
            Self::Unavailable {
                detail,
                retry_after,
            } => {
                problem.detail = Some(detail.clone());
                if let Some(secs) = retry_after {
                    extra = Some((header::RETRY_AFTER, HeaderValue::from(*secs)));
                }
            }
            Self::Locked {
                detail,
                retry_after,
                ..
            }
            | Self::TooManyRequests {
                detail,
                retry_after,
                ..
            } => {
                problem.detail = Some(detail.clone());
                extra = Some((header::RETRY_AFTER, HeaderValue::from(*retry_after)));
            }
            Self::Validation(errors) => {
                problem.detail = Some(self.to_string());
                problem.errors = errors.clone();
            }
            Self::Upstream {
                airtable_type,
                detail,
                retry_after,
                ..
            } => {
                problem.detail = Some(detail.clone());
                problem.airtable_type = Some(airtable_type.clone());
                if let Some(secs) = retry_after {
                    extra = Some((header::RETRY_AFTER, HeaderValue::from(*secs)));
                }
            }
            Self::Unauthorized(detail) => {
                problem.detail = Some(detail.clone());
                extra = Some((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"pyairtable\""),
                ));
            }
            other => problem.detail = Some(other.to_string()),
        }
        (problem, extra)
    }

    /// Seconds after which a retry may succeed, when the error says so.
    /// Whether the same request may succeed later (rate limits, outages) — not when a write
    /// may already have been applied, where repeating it could apply it twice.
    pub fn is_transient(&self) -> bool {
        matches!(self.status().as_u16(), 429 | 500 | 502 | 503 | 504)
            && self.code() != "airtable_outcome_unknown"
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Locked { retry_after, .. } | Self::TooManyRequests { retry_after, .. } => {
                Some(*retry_after)
            }
            Self::Unavailable { retry_after, .. } | Self::Upstream { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (problem, extra) = self.to_problem();
        let mut res = problem.into_response_with(self.status());
        if let Some((name, value)) = extra {
            res.headers_mut().insert(name, value);
        }
        res
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        Self::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_of(res: Response) -> serde_json::Value {
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn validation_errors_are_422_problems_with_field_errors() {
        let res = ApiError::invalid("password", "too short").into_response();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = body_of(res).await;
        assert_eq!(body["type"], "urn:pyairtable:problem:validation_failed");
        assert_eq!(body["errors"][0]["field"], "password");
        assert_eq!(body["status"], 422);
    }

    #[tokio::test]
    async fn internal_errors_never_leak_their_cause() {
        let cause = std::io::Error::other("dynamodb said secret-table-name is gone");
        let res = ApiError::internal(cause).into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let text = body_of(res).await.to_string();
        assert!(!text.contains("secret-table-name"), "{text}");
    }

    #[tokio::test]
    async fn locked_carries_retry_after() {
        let res = ApiError::Locked {
            detail: "locked".into(),
            retry_after: 900,
        }
        .into_response();
        assert_eq!(res.status(), StatusCode::LOCKED);
        assert_eq!(res.headers()[header::RETRY_AFTER], "900");
    }
}
