//! Forged and broken access tokens: every one is a 401 problem.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tests::{Account, Api, TEST_JWT_SECRET};

fn claims(s: &Account, overrides: Value) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let payload = URL_SAFE_NO_PAD
        .decode(s.access.split('.').nth(1).unwrap())
        .unwrap();
    let mut c: Value = serde_json::from_slice(&payload).unwrap();
    c["iat"] = json!(now);
    c["exp"] = json!(now + 600);
    for (k, v) in overrides.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn sign(c: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        c,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn raw(header: Value, c: &Value, sig: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(c.to_string()),
        sig
    )
}

async fn rejected(api: &Api, token: &str, why: &str) {
    let r = api.get("/api/v1/auth/me", token).await;
    assert_eq!(r.status, 401, "{why}: {}", r.body);
    assert_eq!(r.content_type(), "application/problem+json", "{why}");
    assert!(r.headers.contains_key("www-authenticate"), "{why}");
}

#[tokio::test]
async fn a_token_signed_with_our_secret_and_valid_claims_is_accepted() {
    // The control for the tests below: the forging helper itself makes good tokens.
    let api = Api::new();
    let s = api.register("ctl").await;
    api.get(
        "/api/v1/auth/me",
        &sign(&claims(&s, json!({})), TEST_JWT_SECRET),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn expired_tampered_unsigned_swapped_and_misaddressed_tokens_are_401() {
    let api = Api::new();
    let s = api.register("forge").await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    rejected(
        &api,
        &sign(
            &claims(&s, json!({"iat": now - 3600, "exp": now - 60})),
            TEST_JWT_SECRET,
        ),
        "expired",
    )
    .await;
    rejected(
        &api,
        &sign(&claims(&s, json!({"aud": "someone-else"})), TEST_JWT_SECRET),
        "wrong audience",
    )
    .await;
    rejected(
        &api,
        &sign(&claims(&s, json!({"iss": "evil"})), TEST_JWT_SECRET),
        "wrong issuer",
    )
    .await;
    rejected(
        &api,
        &sign(
            &claims(&s, json!({})),
            "another-secret-of-sufficient-length-000",
        ),
        "wrong key",
    )
    .await;

    // Tampered: the payload changed (role → owner of someone else's tenant), signature kept.
    let mut parts: Vec<String> = s.access.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD
        .encode(claims(&s, json!({"tid": "ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa"})).to_string());
    rejected(&api, &parts.join("."), "tampered").await;

    // alg=none, with and without an empty signature.
    let c = claims(&s, json!({}));
    rejected(
        &api,
        &raw(json!({"alg": "none", "typ": "JWT"}), &c, ""),
        "alg none",
    )
    .await;
    rejected(
        &api,
        &raw(json!({"alg": "None", "typ": "JWT"}), &c, "x"),
        "alg None",
    )
    .await;

    // HS/RS swap: a token claiming RS256 (as if signed with a public key) is never verified with
    // the HMAC secret, and an HS384/HS512 header is refused too.
    let sig = s.access.split('.').nth(2).unwrap();
    rejected(
        &api,
        &raw(json!({"alg": "RS256", "typ": "JWT"}), &c, sig),
        "RS256 header",
    )
    .await;
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &c,
        &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .unwrap();
    rejected(&api, &hs512, "HS512").await;

    // Missing claims.
    let mut no_exp = claims(&s, json!({}));
    no_exp.as_object_mut().unwrap().remove("exp");
    rejected(&api, &sign(&no_exp, TEST_JWT_SECRET), "no exp").await;
    rejected(&api, "not.a.jwt", "garbage").await;
}

#[tokio::test]
async fn missing_or_malformed_authorization_headers_are_401() {
    let api = Api::new();
    api.call("GET", "/api/v1/tenant", None, None)
        .await
        .expect_problem(401, "unauthorized");
    let basic = api
        .http()
        .get(api.url("/api/v1/tenant"))
        .header("authorization", "Basic dXNlcjpwYXNz");
    api.send(basic).await.expect_problem(401, "unauthorized");
    let empty = api
        .http()
        .get(api.url("/api/v1/tenant"))
        .header("authorization", "Bearer ");
    api.send(empty).await.expect_problem(401, "unauthorized");
    api.get("/api/v1/tenant", "pyat_not-a-real-key")
        .await
        .expect_problem(401, "unauthorized");
}
