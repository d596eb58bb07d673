//! `Server-Timing` on every response: where a request's time went (W3C Server-Timing, shown by
//! browsers' devtools), with dependencies and counts only — never an id or a secret.

use std::collections::BTreeMap;

use tests::Api;

/// The header's metrics: name → (dur, desc).
fn timing(r: &tests::Resp) -> BTreeMap<String, (Option<f64>, Option<String>)> {
    let raw = r
        .headers
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Server-Timing on a {} answer", r.status));
    assert!(
        !["ten_", "usr_", "key_", "pyat_", "rec", "tbl"]
            .iter()
            .any(|id| raw.contains(id))
            && !raw
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w.len() == 17 && w.starts_with("app")),
        "Server-Timing names no id: {raw}"
    );
    raw.split(", ")
        .map(|metric| {
            let mut parts = metric.split(';');
            let name = parts.next().unwrap().to_owned();
            let (mut dur, mut desc) = (None, None);
            for p in parts {
                if let Some(v) = p.strip_prefix("dur=") {
                    dur = Some(v.parse().unwrap());
                } else if let Some(v) = p.strip_prefix("desc=") {
                    desc = Some(v.trim_matches('"').to_owned());
                }
            }
            (name, (dur, desc))
        })
        .collect()
}

fn calls(t: &BTreeMap<String, (Option<f64>, Option<String>)>, dependency: &str) -> u64 {
    t.get(dependency)
        .and_then(|(_, desc)| desc.as_deref())
        .and_then(|d| d.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// How many of a dependency's calls waited for one another (`"3 calls in 2 rounds"`).
fn sequential(t: &BTreeMap<String, (Option<f64>, Option<String>)>, dependency: &str) -> u64 {
    t.get(dependency)
        .and_then(|(_, desc)| desc.as_deref())
        .and_then(|d| d.split(" in ").nth(1))
        .and_then(|d| d.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

#[tokio::test]
async fn hot_reads_wait_on_dynamodb_at_most_twice() {
    let api = Api::new();
    let c = api.connected("rounds").await;
    let token = &c.account.access;
    // The caller and their workspace: read in the session check's own BatchGetItem, their
    // memberships beside it.
    let me = api.get("/api/v1/auth/me", token).await.expect(200);
    let t = timing(&me);
    assert_eq!(sequential(&t, "ddb"), 1, "{t:?}");
    assert!(calls(&t, "ddb") <= 2, "{t:?}");

    // A cached page, through the REST API, the /v0 proxy and an MCP tool.
    let records = format!("/api/v1/records?baseId={}&table=People", c.base);
    let v0 = format!("/v0/{}/People", c.base);
    for path in [&records, &v0] {
        api.get(path, token).await.expect(200);
        let hit = api.get(path, token).await.expect(200);
        let t = timing(&hit);
        assert_eq!(t["cache"].1.as_deref(), Some("hit"), "{path}: {t:?}");
        // The session, the connection and the entry: one BatchGetItem.
        assert_eq!(calls(&t, "ddb"), 1, "{path}: {t:?}");
    }
    // An API key names its workspace only once it is looked up: one round more.
    let key = api
        .api_key(
            token,
            serde_json::json!({"name": "rounds", "role": "viewer"}),
        )
        .await;
    let hit = api.get(&records, &key).await.expect(200);
    let t = timing(&hit);
    assert_eq!(t["cache"].1.as_deref(), Some("hit"), "{t:?}");
    assert_eq!(sequential(&t, "ddb"), 2, "{t:?}");
    assert!(calls(&t, "ddb") <= 2, "{t:?}");
    let call = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_records", "arguments": {"base_id": c.base, "table": "People"}, "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "tests", "version": "1"}}}});
    let mut last = None;
    for _ in 0..2 {
        let res = api
            .http()
            .post(api.url("/mcp"))
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", "get_records")
            .json(&call)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        last = Some(res.headers().clone());
    }
    let t = timing(&tests::Resp {
        status: 200,
        headers: last.unwrap(),
        body: serde_json::Value::Null,
    });
    assert_eq!(t["cache"].1.as_deref(), Some("hit"), "{t:?}");
    assert!(sequential(&t, "ddb") <= 2, "{t:?}");

    // A write through us is seen by the next read: the version moved with it.
    api.post(
        "/api/v1/records",
        Some(token),
        serde_json::json!({"baseId": c.base, "table": "People", "records": [{"fields": {"Name": "Fresh"}}]}),
    )
    .await
    .expect(201);
    let after = api.get(&records, token).await.expect(200);
    let t = timing(&after);
    // The page is read again (the schema that names the table may still come from the cache).
    assert!(
        t["cache"].1.as_deref().is_some_and(|d| d.ends_with("miss")),
        "{t:?}"
    );
    assert!(after.body.to_string().contains("Fresh"));
}

#[tokio::test]
async fn every_answer_says_where_its_time_went() {
    let api = Api::new();
    let c = api.connected("timing").await;

    // A signed-in read: its DynamoDB calls, and our own time beside them.
    let me = api
        .get("/api/v1/auth/me", &c.account.access)
        .await
        .expect(200);
    let t = timing(&me);
    let total = t["total"].0.unwrap();
    let app = t["app"].0.unwrap();
    assert!(total > 0.0 && (0.0..=total).contains(&app), "{t:?}");
    assert!(calls(&t, "ddb") >= 1, "{t:?}");
    assert!(t["ddb"].0.unwrap() > 0.0, "{t:?}");

    // A page from Airtable, then the same page from the cache.
    let page = format!("/api/v1/records?baseId={}&table=People", c.base);
    let first = api.get(&page, &c.account.access).await.expect(200);
    let t = timing(&first);
    assert!(calls(&t, "airtable") >= 1, "{t:?}");
    assert!(
        t["cache"].1.as_deref().is_some_and(|d| d.ends_with("miss")),
        "{t:?}"
    );
    let again = api.get(&page, &c.account.access).await.expect(200);
    let t = timing(&again);
    assert_eq!(t["cache"].1.as_deref(), Some("hit"), "{t:?}");
    assert_eq!(
        calls(&t, "airtable"),
        0,
        "a hit sends nothing to Airtable: {t:?}"
    );

    // Refusals and unknown routes carry at least the total.
    let refused = api
        .call("GET", "/api/v1/auth/me", None, None)
        .await
        .expect(401);
    assert!(timing(&refused).contains_key("total"));
    let nowhere = api
        .call("GET", "/api/v1/no-such-route", None, None)
        .await
        .expect(404);
    assert!(timing(&nowhere).contains_key("total"));
}
