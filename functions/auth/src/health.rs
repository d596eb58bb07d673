//! `GET /api/v1/health` (liveness: the function runs) and `GET /api/v1/health/ready` (every AWS
//! dependency answers: DynamoDB, S3, SQS, Step Functions, KMS; 503 naming the ones that do not).

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;

/// How long one dependency may take to answer before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// `GET /api/v1/health`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Liveness {
    /// Always `ok`.
    status: &'static str,
    stage: String,
    version: &'static str,
}

/// Liveness.
#[utoipa::path(get, path = "/api/v1/health", tag = "health", summary = "Liveness", responses((status = 200, body = Liveness)))]
pub async fn live(State(state): State<AppState>) -> Json<Liveness> {
    Json(Liveness {
        status: "ok",
        stage: state.config.stage.clone(),
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// One dependency's answer to the readiness check.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    ok: bool,
    /// When it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<u64>,
    /// When it did not: the AWS error code, or `timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Every dependency's check.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Checks {
    dynamodb: Check,
    s3: Check,
    sqs: Check,
    step_functions: Check,
    kms: Check,
}

/// `GET /api/v1/health/ready`'s answer (200 `ready`, or 503 `unavailable`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    status: &'static str,
    checks: Checks,
}

async fn check<T, E, R>(fut: impl Future<Output = Result<T, SdkError<E, R>>>) -> Check
where
    E: ProvideErrorMetadata,
{
    let started = Instant::now();
    let failed = |error: String| Check {
        ok: false,
        latency_ms: None,
        error: Some(error),
    };
    match tokio::time::timeout(CHECK_TIMEOUT, fut).await {
        Ok(Ok(_)) => Check {
            ok: true,
            latency_ms: Some(started.elapsed().as_millis() as u64),
            error: None,
        },
        Ok(Err(e)) => {
            // The error code (e.g. ResourceNotFoundException) helps an operator; messages may
            // carry account details, so they stay in the logs.
            let code = e.code().unwrap_or("unreachable").to_owned();
            tracing::warn!(error = %code, "readiness check failed");
            failed(code)
        }
        Err(_) => failed("timeout".into()),
    }
}

/// Readiness: all dependencies are checked at once.
#[utoipa::path(get, path = "/api/v1/health/ready", tag = "health", summary = "Readiness of every AWS dependency", responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let (aws, cfg) = (&state.aws, &state.config);
    let (dynamodb, s3, sqs, sfn, kms) = tokio::join!(
        check(
            aws.dynamodb()
                .describe_table()
                .table_name(&cfg.table_name)
                .send()
        ),
        check(aws.s3().head_bucket().bucket(&cfg.uploads_bucket).send()),
        check(
            aws.sqs()
                .get_queue_attributes()
                .queue_url(&cfg.files_queue_url)
                .attribute_names(
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages
                )
                .send()
        ),
        check(aws.sfn().list_state_machines().max_results(1).send()),
        check(aws.kms().describe_key().key_id(&cfg.kms_key_id).send()),
    );
    let all_ok = [&dynamodb, &s3, &sqs, &sfn, &kms].iter().all(|c| c.ok);
    let checks = Checks {
        dynamodb,
        s3,
        sqs,
        step_functions: sfn,
        kms,
    };
    let (status, word) = if all_ok {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    let body = Readiness {
        status: word,
        checks,
    };
    (status, Json(body)).into_response()
}
