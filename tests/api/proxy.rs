//! The Airtable-compatible `/v0` proxy, driven by Airtable's own clients, unchanged.

use std::process::Command;

use serde_json::json;
use tests::{Api, Connected, sandbox, stack};

async fn api_key(api: &Api, c: &Connected, role: &str) -> String {
    let r = api
        .post(
            "/api/v1/api-keys",
            Some(&c.account.access),
            json!({"name": "client", "role": role}),
        )
        .await
        .expect(201);
    r.body["key"].as_str().unwrap().to_owned()
}

/// Runs a compat script with the proxy's URL, a key and the base; returns (ok, output).
async fn run(program: &str, script: &str, key: &str, base: &str) -> (bool, String) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/compat");
    let mut cmd = Command::new(program);
    cmd.arg(format!("{dir}/{script}"))
        .current_dir(dir)
        .env("PROXY_URL", format!("http://{}", stack().api))
        .env("API_KEY", key)
        .env("BASE_ID", base);
    tests::run_program(cmd, key).await
}

#[tokio::test]
async fn pyairtable_runs_unchanged_against_the_proxy() {
    let api = Api::new();
    let c = api.connected("pyairtable").await;
    let key = api_key(&api, &c, "member").await;
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
    let (ok, output) = run(python, "pyairtable_compat.py", &key, &c.base).await;
    assert!(ok, "{output}");
    assert!(output.contains("OK pyairtable"), "{output}");
}

#[tokio::test]
async fn airtable_js_runs_unchanged_against_the_proxy() {
    let api = Api::new();
    let c = api.connected("airtablejs").await;
    let key = api_key(&api, &c, "member").await;
    let (ok, output) = run("node", "airtable_compat.js", &key, &c.base).await;
    assert!(ok, "{output}");
    assert!(output.contains("OK airtable.js"), "{output}");
    let stats = sandbox::stats(&c.base).await;
    assert!(
        stats["maxRequestsInAnySecond"].as_u64().unwrap() <= 5,
        "the proxy paces clients too: {stats}"
    );
    assert_eq!(stats["rateLimited"], 0, "{stats}");
}

#[tokio::test]
async fn the_proxy_answers_in_airtables_shapes_and_enforces_roles() {
    let api = Api::new();
    let c = api.connected("proxyerr").await;
    let viewer_key = api_key(&api, &c, "viewer").await;
    let url = |path: &str| api.url(&format!("/v0/{path}"));

    let r = api
        .send(
            api.http()
                .get(url(&format!("{}/People", c.base)))
                .bearer_auth("pyat_wrong"),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}})
    );

    let r = api
        .send(
            api.http()
                .get(url(&format!("{}/People", c.base)))
                .bearer_auth(&viewer_key),
        )
        .await
        .expect(200);
    assert!(r.body["records"].is_array());
    let r = api
        .send(
            api.http()
                .post(url(&format!("{}/People", c.base)))
                .bearer_auth(&viewer_key)
                .json(&json!({"fields": {"Name": "x"}})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["type"].as_str()),
        (403, Some("INVALID_PERMISSIONS"))
    );

    let r = api
        .send(
            api.http()
                .get(url("appAAAAAAAAAAAAAA/People"))
                .bearer_auth(&viewer_key),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["type"].as_str()),
        (403, Some("INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"))
    );
    let r = api
        .send(
            api.http()
                .post(url(&format!("{}/People", c.base)))
                .bearer_auth(&api_key(&api, &c, "member").await)
                .json(&json!({"fields": {"Nope": 1}})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["type"].as_str()),
        (422, Some("UNKNOWN_FIELD_NAME"))
    );
    // JWTs work too, for scripts run by a signed-in user.
    api.send(
        api.http()
            .get(url("meta/bases"))
            .bearer_auth(&c.account.access),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn a_cached_proxy_read_answers_what_airtable_answered_until_a_write() {
    let api = Api::new();
    let c = api.connected("proxycache").await;
    let key = api_key(&api, &c, "member").await;
    let get = || {
        api.http()
            .get(api.url(&format!("/v0/{}/People?pageSize=5", c.base)))
            .bearer_auth(&key)
    };
    let first = api.send(get()).await.expect(200);
    let second = api.send(get()).await.expect(200);
    assert_eq!(first.headers["x-cache"], "miss");
    assert_eq!(second.headers["x-cache"], "hit");
    // The hit is the stored text of the first answer: same JSON, same media type.
    assert_eq!(first.body, second.body);
    assert!(second.body["records"].is_array());
    assert_eq!(second.headers["content-type"], "application/json");
    let created = api
        .send(
            api.http()
                .post(api.url(&format!("/v0/{}/People", c.base)))
                .bearer_auth(&key)
                .json(&json!({"fields": {"Name": "Cached"}})),
        )
        .await
        .expect(200);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let after = api
        .send(
            api.http()
                .get(api.url(&format!("/v0/{}/People", c.base)))
                .bearer_auth(&key),
        )
        .await
        .expect(200);
    assert_eq!(
        after.headers["x-cache"], "miss",
        "the write bumped the table"
    );
    assert!(
        after.body["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id.as_str())
    );
}
