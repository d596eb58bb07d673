//! Connecting a tenant's Airtable: checked, encrypted, never shown.

use serde_json::json;
use tests::{Api, sandbox};

#[tokio::test]
async fn an_owner_connects_a_token_that_is_checked_and_never_shown_again() {
    let api = Api::new();
    let s = api.register("conn").await;
    let before = api
        .get("/api/v1/connections/airtable", &s.access)
        .await
        .expect(200);
    assert_eq!(before.body["status"], "not_connected");
    api.get("/api/v1/bases", &s.access)
        .await
        .expect_problem(409, "airtable_not_connected");

    let bad = api
        .call(
            "PUT",
            "/api/v1/connections/airtable",
            Some(&s.access),
            Some(json!({"token": "patNotARealToken.123"})),
        )
        .await;
    let bad = bad.expect_problem(422, "airtable_token_rejected");
    assert_eq!(bad.body["airtableType"], "AUTHENTICATION_REQUIRED");

    let r = api
        .call(
            "PUT",
            "/api/v1/connections/airtable",
            Some(&s.access),
            Some(json!({"token": sandbox::DEFAULT_TOKEN})),
        )
        .await
        .expect(200);
    assert_eq!(r.body["status"], "connected");
    assert!(r.body["basesCount"].as_u64().unwrap() >= 1);
    assert!(
        r.body["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "data.records:read")
    );
    let status = api
        .get("/api/v1/connections/airtable", &s.access)
        .await
        .expect(200);
    assert_eq!(status.body["status"], "connected");
    assert!(status.body["lastCheckedAt"].is_string());
    for body in [&r.body, &status.body] {
        assert!(
            !body.to_string().contains(sandbox::DEFAULT_TOKEN),
            "the token is never returned"
        );
    }
    api.get("/api/v1/bases", &s.access).await.expect(200);

    api.delete("/api/v1/connections/airtable", &s.access)
        .await
        .expect(204);
    assert_eq!(
        api.get("/api/v1/connections/airtable", &s.access)
            .await
            .expect(200)
            .body["status"],
        "not_connected"
    );
    api.get("/api/v1/bases", &s.access)
        .await
        .expect_problem(409, "airtable_not_connected");
}

#[tokio::test]
async fn only_owners_and_admins_manage_the_connection() {
    let api = Api::new();
    let owner = api.register("connrole").await;
    let member = &api.invite(&owner, "member").await.access;
    api.call(
        "PUT",
        "/api/v1/connections/airtable",
        Some(member),
        Some(json!({"token": sandbox::DEFAULT_TOKEN})),
    )
    .await
    .expect_problem(403, "forbidden");
    api.delete("/api/v1/connections/airtable", member)
        .await
        .expect_problem(403, "forbidden");
    api.get("/api/v1/connections/airtable", member)
        .await
        .expect(200);
    api.call(
        "PUT",
        "/api/v1/connections/airtable",
        Some(&owner.access),
        Some(json!({"token": ""})),
    )
    .await
    .expect_problem(422, "validation_failed");
}
