use serde_json::Value;
use tests::{Api, stack};

#[tokio::test]
async fn liveness_answers_ok_with_the_stage() {
    let api = Api::new();
    let r = api
        .call("GET", "/api/v1/health", None, None)
        .await
        .expect(200);
    assert_eq!(r.body["status"], "ok");
    assert_eq!(r.body["stage"], "local");
    assert!(r.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn readiness_checks_every_aws_dependency_in_the_emulator() {
    let api = Api::new();
    let r = api
        .call("GET", "/api/v1/health/ready", None, None)
        .await
        .expect(200);
    assert_eq!(r.body["status"], "ready");
    for dep in ["dynamodb", "s3", "sqs", "stepFunctions", "kms"] {
        assert_eq!(
            r.body["checks"][dep]["ok"],
            Value::Bool(true),
            "{dep}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn the_functions_environment_is_resolved_from_the_template_to_local_resources() {
    let env = &stack().env;
    assert!(env["TABLE_NAME"].ends_with("-Table"), "{env:?}");
    assert!(env["FILES_QUEUE_URL"].contains("FilesQueue"), "{env:?}");
    assert!(env["KMS_KEY_ID"].starts_with("arn:aws:kms:"), "{env:?}");
    assert!(
        env["JWT_SECRET_ARN"].starts_with("arn:aws:secretsmanager:"),
        "{env:?}"
    );
    assert_eq!(
        env["AIRTABLE_API_URL"],
        format!("http://{}", stack().sandbox)
    );
    assert_eq!(env["STAGE"], "local");
}

#[tokio::test]
async fn the_sandbox_airtable_answers_its_health_route_and_airtable_shaped_404s() {
    let base = format!("http://{}", stack().sandbox);
    let http = reqwest::Client::new();
    let ok = http.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let missing = http.get(format!("{base}/v0/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "NOT_FOUND");
}

#[tokio::test]
async fn the_openapi_document_is_served_and_describes_the_api() {
    let api = Api::new();
    let r = api
        .call("GET", "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(r.body["paths"]["/api/v1/records"]["post"].is_object());
    assert!(r.body["components"]["securitySchemes"]["bearer"].is_object());
}
