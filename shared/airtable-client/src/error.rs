//! What can go wrong talking to Airtable, and how it reads as a problem.

use super::*;

/// What went wrong talking to Airtable.
#[derive(Debug, thiserror::Error)]
pub enum AirtableError {
    /// Airtable answered with an error.
    #[error("Airtable answered {status} {kind}: {message}")]
    Upstream {
        status: u16,
        kind: String,
        message: String,
    },
    /// The base is on hold after a 429, or its schedule is too far out.
    #[error("Airtable is rate limiting this base; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// No answer (network, timeout, or 5xx after every retry).
    #[error("Airtable did not answer: {0}")]
    Unavailable(String),
    /// A write was sent but not answered (timeout, 500/502/504): it may or may not have applied.
    #[error("Airtable did not confirm the write: {0}")]
    OutcomeUnknown(String),
    /// Some chunks of a batch were written, then one failed.
    #[error("{} records were written before Airtable failed: {cause}", written.len())]
    Partial {
        written: Vec<String>,
        cause: Box<AirtableError>,
    },
    #[error("this tenant has not connected Airtable")]
    NotConnected,
    /// The caller cancelled the call (MCP `notifications/cancelled`) after `done` records.
    #[error("cancelled by the caller after {done} records")]
    Cancelled { done: usize },
    /// A listing was still going when the call's time ran out.
    #[error("read {read} records before the time of this call ran out")]
    TooMuchToRead { read: usize },
    #[error("KMS failed")]
    Kms(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AirtableError> for ApiError {
    fn from(e: AirtableError) -> Self {
        match e {
            AirtableError::Upstream {
                status,
                kind,
                message,
            } => {
                let (status, code) = match status {
                    // The tenant's token is refused: a failed dependency, not the caller's auth.
                    401 => (StatusCode::FAILED_DEPENDENCY, "airtable_unauthorized"),
                    403 => (StatusCode::FORBIDDEN, "airtable_forbidden"),
                    404 => (StatusCode::NOT_FOUND, "airtable_not_found"),
                    413 => (StatusCode::PAYLOAD_TOO_LARGE, "airtable_too_large"),
                    422 => (StatusCode::UNPROCESSABLE_ENTITY, "airtable_invalid_request"),
                    s if (400..500).contains(&s) => {
                        (StatusCode::BAD_REQUEST, "airtable_bad_request")
                    }
                    _ => (StatusCode::BAD_GATEWAY, "airtable_unavailable"),
                };
                let detail = if message.is_empty() {
                    format!("Airtable answered {kind}")
                } else {
                    message
                };
                ApiError::Upstream {
                    status,
                    code,
                    airtable_type: kind,
                    detail,
                    retry_after: None,
                }
            }
            AirtableError::RateLimited { retry_after } => ApiError::Upstream {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "airtable_rate_limited",
                airtable_type: "RATE_LIMIT_REACHED".into(),
                detail: format!("Airtable is pacing this base; retry in {retry_after} seconds"),
                retry_after: Some(retry_after),
            },
            AirtableError::Unavailable(why) => ApiError::Upstream {
                status: StatusCode::BAD_GATEWAY,
                code: "airtable_unavailable",
                airtable_type: "UNAVAILABLE".into(),
                detail: format!("Airtable did not answer ({why}); retry later"),
                retry_after: Some(5),
            },
            AirtableError::OutcomeUnknown(why) => ApiError::Upstream {
                status: StatusCode::BAD_GATEWAY,
                code: "airtable_outcome_unknown",
                airtable_type: "UNCONFIRMED".into(),
                detail: format!(
                    "Airtable did not confirm the write ({why}); it may have been applied — check before sending it again without an Idempotency-Key"
                ),
                retry_after: None,
            },
            AirtableError::Partial { written, cause }
                if matches!(*cause, AirtableError::Cancelled { .. }) =>
            {
                ApiError::conflict(
                    "cancelled",
                    format!(
                        "cancelled by the caller after {} records were written; written: {}",
                        written.len(),
                        written.join(",")
                    ),
                )
            }
            AirtableError::Cancelled { done } => ApiError::conflict(
                "cancelled",
                format!(
                    "cancelled by the caller after {done} records; it stopped before its next request to Airtable"
                ),
            ),
            AirtableError::Partial { written, cause } => {
                let airtable_type = match cause.as_ref() {
                    AirtableError::Upstream { kind, .. } => kind.clone(),
                    AirtableError::RateLimited { .. } => "RATE_LIMIT_REACHED".into(),
                    _ => "UNAVAILABLE".into(),
                };
                ApiError::Upstream {
                    status: StatusCode::BAD_GATEWAY,
                    code: "airtable_partial_write",
                    airtable_type,
                    detail: format!(
                        "{} records were written before Airtable failed ({cause}); written: {}",
                        written.len(),
                        written.join(",")
                    ),
                    retry_after: None,
                }
            }
            AirtableError::TooMuchToRead { read } => ApiError::bad_request(
                "too_large",
                format!(
                    "the table has more records than one call can read (read {read} before its time ran out); narrow it with a filter, a view or fewer fields"
                ),
            ),
            AirtableError::NotConnected => ApiError::conflict(
                "airtable_not_connected",
                "connect Airtable first: PUT /api/v1/connections/airtable {token}",
            ),
            e @ (AirtableError::Kms(_) | AirtableError::Store(_)) => ApiError::internal(e),
        }
    }
}

/// Parses either of Airtable's error shapes (and its 429 shape) into (type, message).
pub fn parse_error(status: u16, body: &str) -> (String, String) {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if let Some(e) = v.get("error") {
        if let Some(kind) = e.as_str() {
            // The bare shape has no message; keep it empty so the proxy can answer it verbatim.
            return (kind.to_owned(), String::new());
        }
        let kind = e
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("UNKNOWN_ERROR");
        let message = e.get("message").and_then(Value::as_str).unwrap_or("");
        return (kind.to_owned(), message.to_owned());
    }
    if let Some(e) = v.get("errors").and_then(|e| e.get(0)) {
        let kind = e
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("UNKNOWN_ERROR");
        return (
            kind.to_owned(),
            e.get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        );
    }
    (
        format!("HTTP_{status}"),
        "Airtable answered without an error body".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_error_shapes_and_the_429_shape_parse() {
        assert_eq!(
            parse_error(
                422,
                r#"{"error":{"type":"INVALID_VALUE_FOR_COLUMN","message":"Field \"Age\" cannot accept the provided value"}}"#
            ),
            (
                "INVALID_VALUE_FOR_COLUMN".into(),
                "Field \"Age\" cannot accept the provided value".into()
            )
        );
        assert_eq!(parse_error(404, r#"{"error":"NOT_FOUND"}"#).0, "NOT_FOUND");
        assert_eq!(
            parse_error(
                429,
                r#"{"errors":[{"error":"RATE_LIMIT_REACHED","message":"Rate limit exceeded"}]}"#
            )
            .0,
            "RATE_LIMIT_REACHED"
        );
        assert_eq!(parse_error(500, "<html>").0, "HTTP_500");
    }

    #[test]
    fn airtable_errors_map_to_problems_with_the_type_kept() {
        let e: ApiError = AirtableError::Upstream {
            status: 403,
            kind: "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND".into(),
            message: "m".into(),
        }
        .into();
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        let e: ApiError = AirtableError::RateLimited { retry_after: 30 }.into();
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        let e: ApiError = AirtableError::Upstream {
            status: 401,
            kind: "AUTHENTICATION_REQUIRED".into(),
            message: "m".into(),
        }
        .into();
        assert_eq!(
            e.status(),
            StatusCode::FAILED_DEPENDENCY,
            "the tenant's token failing is not the caller's 401"
        );
    }
}
