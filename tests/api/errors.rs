use serde_json::json;
use tests::Api;

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let api = Api::new();
    api.call("GET", "/api/v1/no-such-thing", None, None)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn wrong_methods_are_405_problems() {
    let api = Api::new();
    api.call("GET", "/api/v1/auth/login", None, None)
        .await
        .expect_problem(405, "method_not_allowed");
    api.call("DELETE", "/api/v1/auth/register", None, None)
        .await
        .expect_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn malformed_json_is_400_and_wrong_shapes_are_422_naming_the_field() {
    let api = Api::new();
    let raw = api
        .http()
        .post(api.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ");
    api.send(raw).await.expect_problem(400, "malformed_json");
    let r = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": 42, "password": "x"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "email");
    let r = api
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@b.co", "password": "correct horse", "bogus": 1}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("bogus"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn bodies_declared_over_the_limit_are_413_before_being_sent_and_lose_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let api = Api::new();
    let email = tests::unique_email("huge");
    // Like curl with a large body: announce it, wait for `100 Continue`. The server answers 413
    // at once, so the body is never sent.
    let mut conn = tokio::net::TcpStream::connect(tests::stack().api)
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/auth/register HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n",
        2 * 1024 * 1024
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("application/problem+json") && answer.contains("payload_too_large"),
        "{answer}"
    );
    // Nothing was written: the address is still free.
    api.post(
        "/api/v1/auth/register",
        None,
        json!({"email": email, "password": tests::PASSWORD}),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn non_json_bodies_are_415() {
    let api = Api::new();
    let raw = api
        .http()
        .post(api.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body("email=a");
    api.send(raw)
        .await
        .expect_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn a_callers_request_id_is_echoed_and_problems_carry_it() {
    let api = Api::new();
    let raw = api
        .http()
        .get(api.url("/api/v1/nope"))
        .header("x-request-id", "trace-abc-123");
    let r = api.send(raw).await.expect_problem(404, "not_found");
    assert_eq!(r.headers["x-request-id"], "trace-abc-123");
    assert_eq!(r.body["requestId"], "trace-abc-123");
}
