use serde_json::json;
use tests::Api;

#[tokio::test]
async fn an_api_key_is_shown_once_and_authenticates_with_its_tenant_and_role() {
    let api = Api::new();
    let owner = api.register("keys").await;
    let r = api
        .post(
            "/api/v1/api-keys",
            Some(&owner.access),
            json!({"name": "ci", "role": "viewer"}),
        )
        .await
        .expect(201);
    let key = r.body["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("pyat_") && key.len() > 40);
    assert!(key.starts_with(r.body["prefix"].as_str().unwrap()));
    let listed = api.get("/api/v1/api-keys", &owner.access).await.expect(200);
    assert_eq!(listed.body["apiKeys"].as_array().unwrap().len(), 1);
    assert!(
        !listed.body.to_string().contains(&key),
        "the secret is never listed"
    );
    assert!(listed.body["apiKeys"][0].get("secretHash").is_none());

    let me = api.get("/api/v1/auth/me", &key).await.expect(200);
    assert_eq!(me.body["type"], "apiKey");
    assert_eq!(me.body["tenant"]["id"], owner.tenant_id.as_str());
    assert_eq!(me.body["role"], "viewer");
    // A viewer key cannot write.
    api.post("/api/v1/api-keys", Some(&key), json!({"name": "escalate"}))
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn a_key_cannot_outrank_its_creator() {
    let api = Api::new();
    let owner = api.register("cap").await;
    let member = api.invite(&owner, "member").await.access;
    api.post(
        "/api/v1/api-keys",
        Some(&member),
        json!({"name": "too much", "role": "admin"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let k = api
        .post("/api/v1/api-keys", Some(&member), json!({"name": "mine"}))
        .await
        .expect(201);
    assert_eq!(k.body["role"], "member");
    // Members list only their own keys; the owner lists all.
    api.post(
        "/api/v1/api-keys",
        Some(&owner.access),
        json!({"name": "owner's"}),
    )
    .await
    .expect(201);
    assert_eq!(
        api.get("/api/v1/api-keys", &member).await.expect(200).body["apiKeys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.get("/api/v1/api-keys", &owner.access)
            .await
            .expect(200)
            .body["apiKeys"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn revoked_keys_stop_working_at_once() {
    let api = Api::new();
    let owner = api.register("revoke").await;
    let r = api
        .post(
            "/api/v1/api-keys",
            Some(&owner.access),
            json!({"name": "temp", "expiresInDays": 30}),
        )
        .await
        .expect(201);
    let (key, id) = (
        r.body["key"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    );
    assert!(r.body["expiresAt"].is_string());
    api.get("/api/v1/tenant", &key).await.expect(200);
    api.delete(&format!("/api/v1/api-keys/{id}"), &owner.access)
        .await
        .expect(204);
    api.get("/api/v1/tenant", &key)
        .await
        .expect_problem(401, "unauthorized");
    api.delete(&format!("/api/v1/api-keys/{id}"), &owner.access)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn bad_key_requests_are_422() {
    let api = Api::new();
    let owner = api.register("badkey").await;
    let r = api
        .post(
            "/api/v1/api-keys",
            Some(&owner.access),
            json!({"name": "  ", "expiresInDays": 0}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 2);
    api.post(
        "/api/v1/api-keys",
        Some(&owner.access),
        json!({"name": "x", "role": "superuser"}),
    )
    .await
    .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn removing_a_member_revokes_the_keys_they_created() {
    let api = Api::new();
    let owner = api.register("rmkeys").await;
    let leaver = api.invite(&owner, "member").await;
    let (member, member_id) = (leaver.access, leaver.user_id);
    let key = api.api_key(&member, json!({"name": "leaver's"})).await;
    api.get("/api/v1/tenant", &key).await.expect(200);
    api.delete(
        &format!("/api/v1/tenant/members/{member_id}"),
        &owner.access,
    )
    .await
    .expect(204);
    api.get("/api/v1/tenant", &key)
        .await
        .expect_problem(401, "unauthorized");
}
