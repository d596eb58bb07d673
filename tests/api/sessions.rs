use serde_json::json;
use tests::{Api, PASSWORD};

async fn refresh(api: &Api, token: &str) -> tests::Resp {
    api.post("/api/v1/auth/refresh", None, json!({"refreshToken": token}))
        .await
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
    let r = refresh(&api, &s.refresh)
        .await
        .expect_problem(401, "unauthorized");
    assert!(
        r.body["detail"].as_str().unwrap().contains("already used"),
        "{}",
        r.body
    );
    // …and the legitimate holder's newer token is dead too.
    refresh(&api, &current)
        .await
        .expect_problem(401, "unauthorized");
}

async fn refresh_with(api: &Api, token: &str, rotation: &str) -> tests::Resp {
    api.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refreshToken": token, "rotationId": rotation}),
    )
    .await
}

fn refresh_token(r: &tests::Resp) -> String {
    r.body["refreshToken"].as_str().unwrap().to_owned()
}

/// A page reloaded while its refresh was in flight never saw the new pair: it sends the spent
/// token again with the same rotation id, and gets a pair — the session survives.
#[tokio::test]
async fn a_lost_refresh_answer_is_retried_with_its_rotation_id_and_the_session_survives() {
    let api = Api::new();
    let s = api.register("retry").await;
    let rotation = "rot-0123456789abcdef";
    let lost = refresh_token(&refresh_with(&api, &s.refresh, rotation).await.expect(200));
    let again = refresh_with(&api, &s.refresh, rotation).await.expect(200);
    let kept = refresh_token(&again);
    assert_ne!(kept, lost);
    api.get(
        "/api/v1/auth/me",
        again.body["accessToken"].as_str().unwrap(),
    )
    .await
    .expect(200);
    // The retry replaced the pair that was never delivered…
    let next = refresh_with(&api, &kept, "rot-second-rotation-1")
        .await
        .expect(200);
    // …and once the new token has been used, the old one with its id is a theft again.
    let r = refresh_with(&api, &s.refresh, rotation)
        .await
        .expect_problem(401, "unauthorized");
    assert!(
        r.body["detail"].as_str().unwrap().contains("already used"),
        "{}",
        r.body
    );
    refresh(&api, &refresh_token(&next))
        .await
        .expect_problem(401, "unauthorized");
}

/// A retry is not a way to mint pairs: three per rotation, and none once the session is revoked.
#[tokio::test]
async fn retries_of_one_rotation_are_few_and_end_with_the_session() {
    let api = Api::new();
    let s = api.register("retry-few").await;
    let rotation = "rot-few-0123456789ab";
    refresh_with(&api, &s.refresh, rotation).await.expect(200);
    for _ in 0..3 {
        refresh_with(&api, &s.refresh, rotation).await.expect(200);
    }
    let r = refresh_with(&api, &s.refresh, rotation)
        .await
        .expect_problem(401, "unauthorized");
    assert!(
        r.body["detail"].as_str().unwrap().contains("already used"),
        "{}",
        r.body
    );

    // Each rotation has its own retries: many rotations, each retried three times, stay signed in.
    let s = api.register("retry-again").await;
    let mut token = s.refresh.clone();
    for n in 0..3 {
        let id = format!("rot-again-{n}-0123456789");
        refresh_with(&api, &token, &id).await.expect(200);
        let mut last = None;
        for _ in 0..3 {
            last = Some(refresh_token(
                &refresh_with(&api, &token, &id).await.expect(200),
            ));
        }
        token = last.unwrap();
    }
    refresh(&api, &token).await.expect(200);

    let s = api.register("retry-out").await;
    let rotated = refresh_with(&api, &s.refresh, rotation).await.expect(200);
    api.call(
        "POST",
        "/api/v1/auth/logout",
        rotated.body["accessToken"].as_str(),
        None,
    )
    .await
    .expect(204);
    refresh_with(&api, &s.refresh, rotation)
        .await
        .expect_problem(401, "unauthorized");
}

/// The retry needs the very id of the rotation: another id, or none, is a copied token.
#[tokio::test]
async fn a_spent_token_with_another_rotation_id_still_revokes_the_family() {
    let api = Api::new();
    for (n, second) in [Some("rot-somebody-else-0001"), None]
        .into_iter()
        .enumerate()
    {
        let s = api.register(&format!("retry-other-{n}")).await;
        let current = refresh_token(
            &refresh_with(&api, &s.refresh, "rot-the-real-client-01")
                .await
                .expect(200),
        );
        match second {
            Some(id) => refresh_with(&api, &s.refresh, id).await,
            None => refresh(&api, &s.refresh).await,
        }
        .expect_problem(401, "unauthorized");
        refresh(&api, &current)
            .await
            .expect_problem(401, "unauthorized");
    }
    // A rotation id that is not one is a 422 naming the field.
    let s = api.register("retry-bad").await;
    let r = refresh_with(&api, &s.refresh, "short")
        .await
        .expect_problem(422, "validation_failed");
    assert!(r.body.to_string().contains("rotationId"), "{}", r.body);
}

#[tokio::test]
async fn garbage_refresh_tokens_are_401() {
    let api = Api::new();
    refresh(&api, "rt_nonsense")
        .await
        .expect_problem(401, "unauthorized");
    refresh(&api, "").await.expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn logout_revokes_the_session_refresh_family() {
    let api = Api::new();
    let s = api.register("logout").await;
    api.call("POST", "/api/v1/auth/logout", Some(&s.access), None)
        .await
        .expect(204);
    refresh(&api, &s.refresh)
        .await
        .expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn changing_the_password_revokes_other_sessions_but_not_this_one() {
    let api = Api::new();
    let s = api.register("chpw").await;
    let other = api.login(&s.email, PASSWORD).await.expect(200);
    let other_refresh = other.body["tokens"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(
        "/api/v1/auth/change-password",
        Some(&s.access),
        json!({"currentPassword": "wrong one 12", "newPassword": "a new passphrase 7"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let r = api
        .post(
            "/api/v1/auth/change-password",
            Some(&s.access),
            json!({"currentPassword": PASSWORD, "newPassword": "a new passphrase 7"}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["otherSessionsRevoked"], 1);
    refresh(&api, &other_refresh)
        .await
        .expect_problem(401, "unauthorized");
    refresh(&api, &s.refresh).await.expect(200);
    api.login(&s.email, PASSWORD).await.expect(401);
    api.login(&s.email, "a new passphrase 7").await.expect(200);
}
