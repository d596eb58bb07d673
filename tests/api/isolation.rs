//! Tenant B knows tenant A's ids and tries everything with them: nothing is visible, nothing
//! changes.

use serde_json::json;
use tests::Api;

#[tokio::test]
async fn tenant_b_cannot_see_or_touch_anything_of_tenant_a_by_id() {
    let api = Api::new();
    let a = api.register("tenant-a").await;
    let b = api.register("tenant-b").await;
    let key = api
        .post(
            "/api/v1/api-keys",
            Some(&a.access),
            json!({"name": "a's key"}),
        )
        .await
        .expect(201);
    let key_id = key.body["id"].as_str().unwrap();
    let inv = api
        .post(
            "/api/v1/tenant/members",
            Some(&a.access),
            json!({"email": tests::unique_email("a-inv"), "role": "member"}),
        )
        .await
        .expect(201);
    let inv_id = inv.body["invitation"]["id"].as_str().unwrap();

    // B's view of the world contains only B.
    let members = api
        .get("/api/v1/tenant/members", &b.access)
        .await
        .expect(200);
    assert!(!members.body.to_string().contains(&a.user_id));
    assert_eq!(
        api.get("/api/v1/api-keys", &b.access)
            .await
            .expect(200)
            .body["apiKeys"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        api.get("/api/v1/tenant", &b.access).await.expect(200).body["tenant"]["id"],
        b.tenant_id.as_str()
    );

    // A's ids used with B's credentials find nothing.
    let a_member = format!("/api/v1/tenant/members/{}", a.user_id);
    api.patch(&a_member, &b.access, json!({"role": "viewer"}))
        .await
        .expect_problem(404, "not_found");
    api.delete(&a_member, &b.access)
        .await
        .expect_problem(404, "not_found");
    api.delete(&format!("/api/v1/api-keys/{key_id}"), &b.access)
        .await
        .expect_problem(404, "not_found");
    api.delete(&format!("/api/v1/tenant/invitations/{inv_id}"), &b.access)
        .await
        .expect_problem(404, "not_found");

    // B cannot sign in to A's tenant either.
    api.post(
        "/api/v1/auth/login",
        None,
        json!({"email": b.email, "password": tests::PASSWORD, "tenantId": a.tenant_id}),
    )
    .await
    .expect_problem(403, "forbidden");

    // And A is untouched.
    let a_members = api
        .get("/api/v1/tenant/members", &a.access)
        .await
        .expect(200);
    assert_eq!(a_members.body["members"][0]["role"], "owner");
    assert_eq!(a_members.body["invitations"].as_array().unwrap().len(), 1);
    api.get("/api/v1/tenant", key.body["key"].as_str().unwrap())
        .await
        .expect(200);
}
