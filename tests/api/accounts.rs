use serde_json::json;
use tests::{Api, PASSWORD, unique_email};

#[tokio::test]
async fn registering_returns_the_user_an_owned_tenant_and_working_tokens() {
    let api = Api::new();
    let email = unique_email("Reg");
    let r = api
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": email.to_uppercase(), "password": PASSWORD, "name": "Ada", "tenantName": "Analytical Engines"}),
        )
        .await
        .expect(201);
    assert_eq!(r.body["user"]["email"], email.to_lowercase());
    assert_eq!(r.body["user"]["name"], "Ada");
    assert!(r.body["user"]["id"].as_str().unwrap().starts_with("usr_"));
    assert_eq!(r.body["tenant"]["name"], "Analytical Engines");
    assert_eq!(r.body["role"], "owner");
    assert_eq!(r.body["tokens"]["tokenType"], "Bearer");
    assert_eq!(r.body["tokens"]["expiresIn"], 900);
    assert!(
        r.body.to_string().find("password").is_none(),
        "no password or hash in {}",
        r.body
    );
    let token = r.body["tokens"]["accessToken"].as_str().unwrap();
    let me = api.get("/api/v1/auth/me", token).await.expect(200);
    assert_eq!(me.body["user"]["email"], email.to_lowercase());
    assert_eq!(me.body["role"], "owner");
}

#[tokio::test]
async fn a_duplicate_email_is_409_even_when_registrations_race() {
    let api = Api::new();
    let email = unique_email("race");
    let attempts = (0..6).map(|_| {
        api.post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
    });
    let results = futures::future::join_all(attempts).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    let conflicts = results
        .iter()
        .filter(|r| r.status == 409 && r.code() == "email_taken")
        .count();
    assert_eq!(
        (created, conflicts),
        (1, 5),
        "{:?}",
        results
            .iter()
            .map(|r| (r.status, r.body.clone()))
            .collect::<Vec<_>>()
    );
    // Same address in another case is the same account.
    api.post(
        "/api/v1/auth/register",
        None,
        json!({"email": email.to_uppercase(), "password": PASSWORD}),
    )
    .await
    .expect_problem(409, "email_taken");
}

#[tokio::test]
async fn weak_passwords_and_bad_emails_are_422_with_every_field_named() {
    let api = Api::new();
    let r = api
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "not-an-email", "password": "short"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"]);
    for weak in ["aaaaaaaaaaaaaaa", "123456789012", "ABCDEFGHIJKLMN"] {
        let r = api
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": unique_email("weak"), "password": weak}),
            )
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "password");
    }
}

#[tokio::test]
async fn login_returns_tokens_that_work() {
    let api = Api::new();
    let s = api.register("login").await;
    let r = api
        .login(&s.email.to_uppercase(), PASSWORD)
        .await
        .expect(200);
    assert_eq!(r.body["tenant"]["id"], s.tenant_id.as_str());
    let token = r.body["tokens"]["accessToken"].as_str().unwrap();
    api.get("/api/v1/tenant", token).await.expect(200);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let api = Api::new();
    let s = api.register("same").await;
    let wrong = api
        .login(&s.email, "not the password 1")
        .await
        .expect_problem(401, "unauthorized");
    let unknown = api
        .login(&unique_email("nobody"), "not the password 1")
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    assert_eq!(wrong.body["title"], unknown.body["title"]);
}

#[tokio::test]
async fn ten_failed_logins_lock_the_account_for_fifteen_minutes() {
    let api = Api::new();
    let s = api.register("lock").await;
    for i in 1..10 {
        let r = api.login(&s.email, "wrong password 1").await;
        assert_eq!(r.status, 401, "attempt {i}: {}", r.body);
    }
    let r = api
        .login(&s.email, "wrong password 1")
        .await
        .expect_problem(423, "account_locked");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((800..=900).contains(&retry), "{retry}");
    // Even the right password is refused while locked.
    api.login(&s.email, PASSWORD)
        .await
        .expect_problem(423, "account_locked");
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let api = Api::new();
    let s = api.register("reset").await;
    for _ in 0..9 {
        api.login(&s.email, "wrong password 1").await.expect(401);
    }
    api.login(&s.email, PASSWORD).await.expect(200);
    for _ in 0..9 {
        api.login(&s.email, "wrong password 1").await.expect(401);
    }
    api.login(&s.email, PASSWORD).await.expect(200);
}

#[tokio::test]
async fn me_can_be_read_and_renamed() {
    let api = Api::new();
    let s = api.register("me").await;
    let r = api
        .patch(
            "/api/v1/auth/me",
            &s.access,
            json!({"name": "  Grace Hopper "}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["name"], "Grace Hopper");
    let me = api.get("/api/v1/auth/me", &s.access).await.expect(200);
    assert_eq!(me.body["user"]["name"], "Grace Hopper");
    let members = api
        .get("/api/v1/tenant/members", &s.access)
        .await
        .expect(200);
    assert_eq!(members.body["members"][0]["name"], "Grace Hopper");
    api.patch(
        "/api/v1/auth/me",
        &s.access,
        json!({"name": "x".repeat(101)}),
    )
    .await
    .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn an_unknown_email_is_locked_the_same_way_so_a_lock_reveals_nothing() {
    let api = Api::new();
    let nobody = unique_email("ghost");
    for _ in 1..10 {
        api.login(&nobody, "wrong password 1")
            .await
            .expect_problem(401, "unauthorized");
    }
    api.login(&nobody, "wrong password 1")
        .await
        .expect_problem(423, "account_locked");
}

#[tokio::test]
async fn concurrent_guesses_cannot_outrun_the_lock() {
    let api = Api::new();
    let s = api.register("burst").await;
    let guesses = (0..16).map(|_| api.login(&s.email, "wrong password 1"));
    let answers = futures::future::join_all(guesses).await;
    let unauthorized = answers.iter().filter(|r| r.status == 401).count();
    assert!(
        unauthorized <= 9,
        "at most 9 plain refusals before the lock, got {unauthorized}"
    );
    assert!(answers.iter().all(|r| r.status == 401 || r.status == 423));
    api.login(&s.email, PASSWORD)
        .await
        .expect_problem(423, "account_locked");
}
