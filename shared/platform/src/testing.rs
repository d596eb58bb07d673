//! Unit-test support for function crates (feature `testing`): configuration whose AWS endpoint
//! is a closed local port, and a sample API Gateway event fed through a Router exactly as
//! `lambda_http` would hand it over in Lambda.

use std::collections::HashMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use axum::Router;
use axum::body::Body;
use axum::http::HeaderMap;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::aws::AwsClients;
use crate::config::Config;

/// Config and clients pointing at 127.0.0.1:9, where nothing listens.
pub fn unreachable_aws() -> (Config, AwsClients) {
    let creds = aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "unit");
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .http_client(crate::aws::https_client())
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            creds,
        ))
        .build();
    let env = HashMap::from([
        ("TABLE_NAME", "t"),
        ("UPLOADS_BUCKET", "b"),
        ("FILES_QUEUE_URL", "http://127.0.0.1:9/q/files"),
        ("AUTOMATION_QUEUE_URL", "http://127.0.0.1:9/q/auto"),
        ("SAGA_STEPS_QUEUE_URL", "http://127.0.0.1:9/q/saga"),
        ("KMS_KEY_ID", "alias/k"),
        ("JWT_SECRET", "unit-test-secret-0123456789abcdefghij"),
    ]);
    let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string()))
        .expect("complete test configuration");
    (config, AwsClients::new(&sdk))
}

/// Parses an API Gateway v2 event (JSON text) with `lambda_http` and runs it through the edge
/// and `router`; returns status, JSON body and headers.
pub async fn invoke(router: Router, event: &str) -> (u16, serde_json::Value, HeaderMap) {
    let req = lambda_http::request::from_str(event).expect("a valid API Gateway event");
    let res = crate::http::edge(router)
        .oneshot(req.map(|b| Body::from(b.to_vec())))
        .await
        .expect("infallible");
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        headers,
    )
}

/// Reads `events/<function>/<name>` of the workspace.
pub fn event(function: &str, name: &str) -> String {
    let path = format!(
        "{}/../../events/{function}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
