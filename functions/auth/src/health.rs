//! `GET /api/v1/health` (liveness: the function runs) and `GET /api/v1/health/ready` (every AWS
//! dependency answers: DynamoDB, S3, SQS, Step Functions, KMS; 503 naming the ones that do not).

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;

/// How long one dependency may take to answer before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Liveness.
#[utoipa::path(get, path = "/api/v1/health", tag = "health", summary = "Liveness", responses((status = 200, body = serde_json::Value)))]
pub async fn live(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"status": "ok", "stage": state.config.stage, "version": env!("CARGO_PKG_VERSION")}))
}

async fn check<T, E, R>(fut: impl Future<Output = Result<T, SdkError<E, R>>>) -> Value
where
    E: ProvideErrorMetadata,
{
    let started = Instant::now();
    match tokio::time::timeout(CHECK_TIMEOUT, fut).await {
        Ok(Ok(_)) => json!({"ok": true, "latencyMs": started.elapsed().as_millis() as u64}),
        Ok(Err(e)) => {
            // The error code (e.g. ResourceNotFoundException) helps an operator; messages may
            // carry account details, so they stay in the logs.
            let code = e.code().unwrap_or("unreachable").to_owned();
            tracing::warn!(error = %code, "readiness check failed");
            json!({"ok": false, "error": code})
        }
        Err(_) => json!({"ok": false, "error": "timeout"}),
    }
}

/// Readiness: all dependencies are checked at once.
#[utoipa::path(get, path = "/api/v1/health/ready", tag = "health", summary = "Readiness of every AWS dependency", responses((status = 200, body = serde_json::Value), (status = 503, body = serde_json::Value)))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let (aws, cfg) = (&state.aws, &state.config);
    let (dynamodb, s3, sqs, sfn, kms) = tokio::join!(
        check(
            aws.dynamodb
                .describe_table()
                .table_name(&cfg.table_name)
                .send()
        ),
        check(aws.s3.head_bucket().bucket(&cfg.uploads_bucket).send()),
        check(
            aws.sqs
                .get_queue_attributes()
                .queue_url(&cfg.files_queue_url)
                .attribute_names(
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages
                )
                .send()
        ),
        check(aws.sfn.list_state_machines().max_results(1).send()),
        check(aws.kms.describe_key().key_id(&cfg.kms_key_id).send()),
    );
    let checks =
        json!({"dynamodb": dynamodb, "s3": s3, "sqs": sqs, "stepFunctions": sfn, "kms": kms});
    let all_ok = checks
        .as_object()
        .is_some_and(|m| m.values().all(|c| c["ok"] == true));
    let (status, word) = if all_ok {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    (status, Json(json!({"status": word, "checks": checks}))).into_response()
}
