use serde_json::json;
use tests::{Api, PASSWORD, unique_email};

#[tokio::test]
async fn an_owner_invites_a_viewer_who_registers_into_the_same_tenant() {
    let api = Api::new();
    let owner = api.register("own").await;
    let viewer = api.invite(&owner, "viewer").await;
    let me = api.get("/api/v1/tenant", &viewer.access).await.expect(200);
    assert_eq!(me.body["tenant"]["id"], owner.tenant_id.as_str());
    assert_eq!(me.body["role"], "viewer");
    let members = api
        .get("/api/v1/tenant/members", &owner.access)
        .await
        .expect(200);
    assert_eq!(members.body["members"].as_array().unwrap().len(), 2);
    assert_eq!(
        members.body["invitations"].as_array().unwrap().len(),
        0,
        "the invitation was consumed"
    );
}

#[tokio::test]
async fn an_invitation_works_once_and_only_for_its_email() {
    let api = Api::new();
    let owner = api.register("once").await;
    let email = unique_email("inv");
    let inv = api
        .post(
            "/api/v1/tenant/members",
            Some(&owner.access),
            json!({"email": email, "role": "member"}),
        )
        .await
        .expect(201);
    let token = inv.body["invitationToken"].as_str().unwrap();
    assert!(inv.body["invitation"].get("tokenHash").is_none());
    let listed = api
        .get("/api/v1/tenant/members", &owner.access)
        .await
        .expect(200);
    assert_eq!(listed.body["invitations"][0]["email"], email.as_str());
    assert!(!listed.body.to_string().contains(token));
    api.post(
        "/api/v1/auth/register",
        None,
        json!({"email": unique_email("other"), "password": PASSWORD, "invitationToken": token}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.post(
        "/api/v1/auth/register",
        None,
        json!({"email": email, "password": PASSWORD, "invitationToken": token}),
    )
    .await
    .expect(201);
    api.post(
        "/api/v1/auth/register",
        None,
        json!({"email": unique_email("late"), "password": PASSWORD, "invitationToken": token}),
    )
    .await
    .expect_problem(404, "not_found");
}

/// The invitation page's preview: its holder (no sign-in) sees the workspace, address and role;
/// a wrong secret, a garbled token and a used invitation are the same 404.
#[tokio::test]
async fn an_invitation_preview_shows_its_holder_what_it_offers_and_nothing_for_a_wrong_or_used_token()
 {
    let api = Api::new();
    let owner = api.register("preview").await;
    let email = unique_email("prev");
    let inv = api
        .post(
            "/api/v1/tenant/members",
            Some(&owner.access),
            json!({"email": email, "role": "member"}),
        )
        .await
        .expect(201);
    let token = inv.body["invitationToken"].as_str().unwrap().to_owned();
    async fn preview(api: &Api, t: String) -> tests::Resp {
        api.call(
            "GET",
            &format!("/api/v1/tenant/invitations/preview?token={t}"),
            None,
            None,
        )
        .await
    }
    let r = preview(&api, token.clone()).await.expect(200);
    assert_eq!(r.body["email"], email.as_str());
    assert_eq!(r.body["role"], "member");
    assert!(
        r.body["workspace"].as_str().is_some_and(|w| !w.is_empty()),
        "{}",
        r.body
    );
    assert!(
        !r.body.to_string().contains(&token),
        "the token is not echoed"
    );
    let (head, secret) = token.rsplit_once('.').unwrap();
    let wrong = format!("{head}.{}", secret.chars().rev().collect::<String>());
    for t in [wrong, "pyinv_nonsense".to_owned(), String::new()] {
        let r = preview(&api, t).await;
        assert!(
            r.status == 404 || r.status == 422,
            "{} {}",
            r.status,
            r.body
        );
    }
    api.post(
        "/api/v1/auth/register",
        None,
        json!({"email": email, "password": PASSWORD, "invitationToken": token}),
    )
    .await
    .expect(201);
    preview(&api, token).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn an_existing_user_accepts_an_invitation_and_gets_a_session_there() {
    let api = Api::new();
    let owner = api.register("host").await;
    let guest = api.register("guest").await;
    let inv = api
        .post(
            "/api/v1/tenant/members",
            Some(&owner.access),
            json!({"email": guest.email, "role": "admin"}),
        )
        .await
        .expect(201);
    let token = inv.body["invitationToken"].as_str().unwrap();
    let r = api
        .post(
            "/api/v1/tenant/invitations/accept",
            Some(&guest.access),
            json!({"token": token}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["tenant"]["id"], owner.tenant_id.as_str());
    assert_eq!(r.body["role"], "admin");
    let access = r.body["tokens"]["accessToken"].as_str().unwrap();
    let me = api.get("/api/v1/auth/me", access).await.expect(200);
    assert_eq!(me.body["tenants"].as_array().unwrap().len(), 2);
    // Signing in can pick either tenant.
    let r = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": guest.email, "password": PASSWORD, "tenantId": guest.tenant_id}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["role"], "owner");
    api.post(
        "/api/v1/tenant/invitations/accept",
        Some(&guest.access),
        json!({"token": token}),
    )
    .await
    .expect_problem(404, "not_found");
    // Inviting an existing member is a conflict.
    api.post(
        "/api/v1/tenant/members",
        Some(&owner.access),
        json!({"email": guest.email, "role": "viewer"}),
    )
    .await
    .expect_problem(409, "already_member");
}

#[tokio::test]
async fn viewers_cannot_write_and_members_cannot_manage_members() {
    let api = Api::new();
    let owner = api.register("rbac").await;
    let viewer = api.invite(&owner, "viewer").await;
    let member = api.invite(&owner, "member").await;
    api.post(
        "/api/v1/api-keys",
        Some(&viewer.access),
        json!({"name": "v"}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.patch(
        "/api/v1/tenant",
        &viewer.access,
        json!({"name": "mine now"}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.post(
        "/api/v1/tenant/members",
        Some(&member.access),
        json!({"email": unique_email("x"), "role": "viewer"}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.patch(
        &format!("/api/v1/tenant/members/{}", viewer.user_id),
        &member.access,
        json!({"role": "admin"}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.delete(
        &format!("/api/v1/tenant/members/{}", viewer.user_id),
        &member.access,
    )
    .await
    .expect_problem(403, "forbidden");
    // Viewers and members see the member list but not pending invitations.
    let r = api
        .get("/api/v1/tenant/members", &viewer.access)
        .await
        .expect(200);
    assert!(r.body.get("invitations").is_none());
    // The owner can rename the tenant.
    api.patch("/api/v1/tenant", &owner.access, json!({"name": "Renamed"}))
        .await
        .expect(200);
}

#[tokio::test]
async fn admins_cannot_touch_owners_and_the_last_owner_stays() {
    let api = Api::new();
    let owner = api.register("last").await;
    let admin = api.invite(&owner, "admin").await;
    let owner_path = format!("/api/v1/tenant/members/{}", owner.user_id);
    api.patch(&owner_path, &admin.access, json!({"role": "viewer"}))
        .await
        .expect_problem(403, "forbidden");
    api.delete(&owner_path, &admin.access)
        .await
        .expect_problem(403, "forbidden");
    api.post(
        "/api/v1/tenant/members",
        Some(&admin.access),
        json!({"email": unique_email("o"), "role": "owner"}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.patch(&owner_path, &owner.access, json!({"role": "admin"}))
        .await
        .expect_problem(409, "last_owner");
    api.delete(&owner_path, &owner.access)
        .await
        .expect_problem(409, "last_owner");
    // With a second owner, the first may step down.
    let admin_path = format!("/api/v1/tenant/members/{}", admin.user_id);
    api.patch(&admin_path, &owner.access, json!({"role": "owner"}))
        .await
        .expect(200);
    api.patch(&owner_path, &owner.access, json!({"role": "member"}))
        .await
        .expect(200);
    api.patch(&admin_path, &admin.access, json!({"role": "admin"}))
        .await
        .expect_problem(409, "last_owner");
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once() {
    let api = Api::new();
    let owner = api.register("rm").await;
    let member = api.invite(&owner, "member").await;
    api.get("/api/v1/tenant", &member.access).await.expect(200);
    api.delete(
        &format!("/api/v1/tenant/members/{}", member.user_id),
        &owner.access,
    )
    .await
    .expect(204);
    api.get("/api/v1/tenant", &member.access)
        .await
        .expect_problem(401, "unauthorized");
    api.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refreshToken": member.refresh}),
    )
    .await
    .expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_demoted_member_gets_the_new_role_immediately() {
    let api = Api::new();
    let owner = api.register("demote").await;
    let admin = api.invite(&owner, "admin").await;
    api.patch("/api/v1/tenant", &admin.access, json!({"name": "ok"}))
        .await
        .expect(200);
    api.patch(
        &format!("/api/v1/tenant/members/{}", admin.user_id),
        &owner.access,
        json!({"role": "viewer"}),
    )
    .await
    .expect(200);
    api.patch("/api/v1/tenant", &admin.access, json!({"name": "not ok"}))
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn invitations_can_be_revoked() {
    let api = Api::new();
    let owner = api.register("revinv").await;
    let email = unique_email("revoked");
    let inv = api
        .post(
            "/api/v1/tenant/members",
            Some(&owner.access),
            json!({"email": email, "role": "member"}),
        )
        .await
        .expect(201);
    let id = inv.body["invitation"]["id"].as_str().unwrap();
    api.delete(&format!("/api/v1/tenant/invitations/{id}"), &owner.access)
        .await
        .expect(204);
    let token = inv.body["invitationToken"].as_str().unwrap();
    api.post(
        "/api/v1/auth/register",
        None,
        json!({"email": email, "password": PASSWORD, "invitationToken": token}),
    )
    .await
    .expect_problem(404, "not_found");
}
