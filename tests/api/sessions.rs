use serde_json::json;
use tests::{Api, PASSWORD};

async fn refresh(api: &Api, token: &str) -> tests::Resp {
    api.post("/api/v1/auth/refresh", None, json!({"refreshToken": token})).await
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_spends_the_old_refresh_token() {
    let api = Api::new();
    let s = api.register("rot").await;
    let r = refresh(&api, &s.refresh).await.expect(200);
    let next = r.body["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(next, s.refresh);
    let access = r.body["accessToken"].as_str().unwrap();
    api.get("/api/v1/auth/me", access).await.expect(200);
    // The new one works in turn.
    refresh(&api, &next).await.expect(200);
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_family() {
    let api = Api::new();
    let s = api.register("reuse").await;
    let first = refresh(&api, &s.refresh).await.expect(200);
    let current = first.body["refreshToken"].as_str().unwrap().to_owned();
    // An attacker replays the spent token…
    let r = refresh(&api, &s.refresh).await.expect_problem(401, "unauthorized");
    assert!(r.body["detail"].as_str().unwrap().contains("already used"), "{}", r.body);
    // …and the legitimate holder's newer token is dead too.
    refresh(&api, &current).await.expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn garbage_refresh_tokens_are_401() {
    let api = Api::new();
    refresh(&api, "rt_nonsense").await.expect_problem(401, "unauthorized");
    refresh(&api, "").await.expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn logout_revokes_the_session_refresh_family() {
    let api = Api::new();
    let s = api.register("logout").await;
    api.call("POST", "/api/v1/auth/logout", Some(&s.access), None).await.expect(204);
    refresh(&api, &s.refresh).await.expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn changing_the_password_revokes_other_sessions_but_not_this_one() {
    let api = Api::new();
    let s = api.register("chpw").await;
    let other = api.login(&s.email, PASSWORD).await.expect(200);
    let other_refresh = other.body["tokens"]["refreshToken"].as_str().unwrap().to_owned();
    api.post(
        "/api/v1/auth/change-password",
        Some(&s.access),
        json!({"currentPassword": "wrong one 12", "newPassword": "a new passphrase 7"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let r = api
        .post("/api/v1/auth/change-password", Some(&s.access), json!({"currentPassword": PASSWORD, "newPassword": "a new passphrase 7"}))
        .await
        .expect(200);
    assert_eq!(r.body["otherSessionsRevoked"], 1);
    refresh(&api, &other_refresh).await.expect_problem(401, "unauthorized");
    refresh(&api, &s.refresh).await.expect(200);
    api.login(&s.email, PASSWORD).await.expect(401);
    api.login(&s.email, "a new passphrase 7").await.expect(200);
}
