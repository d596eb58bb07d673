//! Analytics and operations over HTTP: known traffic through every front door (REST, MCP, chat,
//! files, workflows, sagas) must add up to exact counts in `/api/v1/analytics/*`; the EMF lines a
//! request writes must be valid EMF; the operator view needs its token.

use std::time::Duration;

use serde_json::{Value, json};
use tests::scripted_llm::{self as llm, INPUT_TOKENS, OUTPUT_TOKENS, PRICE_INPUT, PRICE_OUTPUT};
use tests::{Api, Connected, OPS_TOKEN, logged, logs};

fn tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn n(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// The usage totals of the last 24 hours as `token` sees them.
async fn totals(api: &Api, token: &str) -> Value {
    api.get("/api/v1/analytics/usage?granularity=hour", token)
        .await
        .expect(200)
        .body["totals"]
        .clone()
}

/// Figures that changed between two reads, as `(path, delta)`.
fn delta(before: &Value, after: &Value, path: &[&str]) -> i64 {
    let pick = |v: &Value| {
        path.iter()
            .fold(v.clone(), |v, k| v.get(*k).cloned().unwrap_or(Value::Null))
    };
    n(&pick(after)) - n(&pick(before))
}

/// One `tools/call` through the MCP server (2026-07-28 era: no handshake needed).
async fn mcp_tool(api: &Api, token: &str, name: &str, arguments: Value) -> Value {
    let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments, "_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "tests", "version": "1"}}}});
    let res = api
        .http()
        .post(api.url("/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", name)
        .json(&msg)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn people(n: usize) -> Value {
    json!(
        (0..n)
            .map(|i| json!({"fields": {"Name": format!("Person {i}"), "Age": i}}))
            .collect::<Vec<_>>()
    )
}

async fn get_records(api: &Api, c: &Connected, query: &str, no_cache: bool) -> Value {
    let mut req = api
        .http()
        .get(api.url(&format!(
            "/api/v1/records?baseId={}&table=People{query}",
            c.base
        )))
        .bearer_auth(&c.account.access);
    if no_cache {
        req = req.header("cache-control", "no-cache");
    }
    api.send(req).await.expect(200).body
}

#[tokio::test]
async fn known_traffic_through_rest_mcp_and_chat_adds_up_to_exact_counts() {
    let api = Api::new();
    let c = api.connected("analytics").await;
    let owner = &c.account.access;
    // Warm the schema and base caches (the chat's prompt lists the bases), so that what follows
    // sends a known number of requests to Airtable.
    get_records(&api, &c, "", false).await;
    api.get("/api/v1/bases", owner).await.expect(200);
    let before = totals(&api, owner).await;

    // REST: 25 records written in 3 requests of ≤ 10, read back twice from Airtable, once from
    // the cache; one invalid write (422, nothing sent); one unknown route (no function: not a
    // tenant's request).
    api.post(
        "/api/v1/records",
        Some(owner),
        json!({"baseId": c.base, "table": "People", "records": people(25)}),
    )
    .await
    .expect(201);
    assert_eq!(
        get_records(&api, &c, "&all=true", true).await["records"]
            .as_array()
            .unwrap()
            .len(),
        25
    );
    assert_eq!(
        get_records(&api, &c, "&pageSize=50", false).await["records"]
            .as_array()
            .unwrap()
            .len(),
        25
    );
    let cached = api
        .send(
            api.http()
                .get(api.url(&format!(
                    "/api/v1/records?baseId={}&table=People&pageSize=50",
                    c.base
                )))
                .bearer_auth(owner),
        )
        .await
        .expect(200);
    assert_eq!(cached.headers["x-cache"], "hit");
    api.post(
        "/api/v1/records",
        Some(owner),
        json!({"baseId": c.base, "table": "People", "records": "none"}),
    )
    .await
    .expect(422);
    api.get("/api/v1/no-such-route", owner).await.expect(404);

    // MCP: one record created through the registry.
    let created = mcp_tool(
        &api,
        owner,
        "create_record",
        json!({"base_id": c.base, "table": "People", "fields": {"Name": "From MCP"}}),
    )
    .await;
    assert_eq!(created["result"]["isError"], false, "{created}");

    // Chat: two model calls and one tool call that fails validation (no Airtable request).
    let t = tag();
    let marker = llm::script(
        &t,
        vec![
            llm::call("get_record", json!({"base_id": c.base})),
            llm::text(|_| "Sorry, I could not.".into()),
        ],
    );
    let chat = api
        .post(
            "/api/v1/chat",
            Some(owner),
            json!({"message": format!("Read it {marker}")}),
        )
        .await
        .expect(200);
    assert_eq!(chat.body["toolCalls"][0]["ok"], false, "{}", chat.body);

    let after = totals(&api, owner).await;
    let d = |path: &[&str]| delta(&before, &after, path);
    // The usage read before the traffic is one of the analytics requests counted.
    assert_eq!(d(&["apiRequests", "byFunction", "analytics", "2xx"]), 1);
    assert_eq!(
        d(&["apiRequests", "byFunction", "airtable", "2xx"]),
        4,
        "{after}"
    );
    assert_eq!(d(&["apiRequests", "byFunction", "airtable", "4xx"]), 1);
    assert_eq!(d(&["apiRequests", "byFunction", "mcp", "2xx"]), 1);
    assert_eq!(d(&["apiRequests", "byFunction", "chat", "2xx"]), 1);
    assert_eq!(d(&["apiRequests", "total"]), 8);
    assert_eq!(d(&["airtable", "requests"]), 3 + 1 + 1 + 1, "{after}");
    assert_eq!(d(&["airtable", "throttled"]), 0);
    assert_eq!(d(&["airtable", "recordsWritten"]), 25 + 1);
    assert_eq!(d(&["airtable", "recordsRead"]), 25 + 25);
    assert!(d(&["airtable", "cacheHits"]) >= 1);
    assert_eq!(d(&["mcpToolCalls", "total"]), 1);
    assert_eq!(d(&["mcpToolCalls", "byTool", "create_record"]), 1);
    assert_eq!(d(&["mcpToolCalls", "errors"]), 0);
    assert_eq!(d(&["chatToolCalls", "byTool", "get_record"]), 1);
    assert_eq!(d(&["chatToolCalls", "errors"]), 1);
    assert_eq!(d(&["llm", "calls"]), 2);
    assert_eq!(d(&["llm", "inputTokens"]), 2 * INPUT_TOKENS as i64);
    assert_eq!(d(&["llm", "outputTokens"]), 2 * OUTPUT_TOKENS as i64);

    // Costs: the same two calls, per day, per model and per user, against the budgets.
    let call_usd =
        (INPUT_TOKENS as f64 * PRICE_INPUT + OUTPUT_TOKENS as f64 * PRICE_OUTPUT) / 1_000_000.0;
    let costs = api
        .get("/api/v1/analytics/costs", owner)
        .await
        .expect(200)
        .body;
    assert_eq!(costs["totals"]["calls"], 2, "{costs}");
    assert!(
        (costs["totals"]["costUsd"].as_f64().unwrap() - 2.0 * call_usd).abs() < 1e-9,
        "{costs}"
    );
    assert_eq!(costs["models"][0]["key"], llm::MODEL);
    assert_eq!(costs["users"][0]["key"], c.account.user_id.as_str());
    assert_eq!(costs["users"][0]["calls"], 2);
    let today: f64 = costs["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["costUsd"].as_f64().unwrap())
        .sum();
    assert!((today - 2.0 * call_usd).abs() < 1e-9);
    assert!(
        (costs["budget"]["tenant"]["spentUsd"].as_f64().unwrap() - 2.0 * call_usd).abs() < 1e-9,
        "{costs}"
    );

    // The dashboard's 24 hours hold the same traffic, hour by hour.
    let dash = api
        .get("/api/v1/analytics/dashboard", owner)
        .await
        .expect(200)
        .body;
    assert_eq!(dash["hours"].as_array().unwrap().len(), 24);
    let hourly: i64 = dash["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| n(&h["apiRequests"]))
        .sum();
    assert_eq!(hourly, n(&dash["totals"]["apiRequests"]["total"]));
    assert!(
        dash["topTools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["tool"] == "create_record")
    );
    assert_eq!(dash["errorRate"], 0.0);

    // Days and hours agree.
    let daily = api
        .get(
            "/api/v1/analytics/usage?granularity=day&from=2000-01-01",
            owner,
        )
        .await;
    daily.expect_problem(422, "validation_failed");
    let daily = api
        .get("/api/v1/analytics/usage?granularity=day", owner)
        .await
        .expect(200)
        .body;
    assert_eq!(daily["periods"].as_array().unwrap().len(), 7);
    assert_eq!(
        daily["totals"]["airtable"]["recordsWritten"],
        after["airtable"]["recordsWritten"]
    );
}

#[tokio::test]
async fn members_see_their_own_usage_and_admins_see_everyones() {
    let api = Api::new();
    let c = api.connected("analyticsm").await;
    let member = api.invite(&c.account, "member").await;
    get_records(&api, &c, "", false).await;
    let r = api
        .get(
            &format!("/api/v1/records?baseId={}&table=People", c.base),
            &member.access,
        )
        .await
        .expect(200);
    assert_eq!(r.status, 200);

    let mine = api
        .get("/api/v1/analytics/usage", &member.access)
        .await
        .expect(200)
        .body;
    assert_eq!(mine["scope"], "user");
    assert_eq!(mine["userId"], member.user_id.as_str());
    assert_eq!(
        mine["totals"]["apiRequests"]["byFunction"]["airtable"]["2xx"], 1,
        "{mine}"
    );
    api.get(
        &format!("/api/v1/analytics/usage?userId={}", c.account.user_id),
        &member.access,
    )
    .await
    .expect_problem(403, "forbidden");

    let all = api
        .get("/api/v1/analytics/usage", &c.account.access)
        .await
        .expect(200)
        .body;
    assert_eq!(all["scope"], "tenant");
    assert_eq!(
        all["totals"]["apiRequests"]["byFunction"]["airtable"]["2xx"]
            .as_i64()
            .unwrap(),
        1 + 1 + 1,
        "{all}"
    );
    let theirs = api
        .get(
            &format!("/api/v1/analytics/usage?userId={}", member.user_id),
            &c.account.access,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        theirs["totals"]["apiRequests"]["byFunction"]["airtable"]["2xx"],
        1
    );

    // Another tenant's owner sees none of it.
    let other = api.register("analyticso").await;
    let theirs = api
        .get("/api/v1/analytics/usage", &other.access)
        .await
        .expect(200)
        .body;
    assert_eq!(theirs["totals"]["apiRequests"]["total"], 0, "{theirs}");
    // Naming a user of another tenant: nobody of that name here.
    api.get(
        &format!("/api/v1/analytics/usage?userId={}", member.user_id),
        &other.access,
    )
    .await
    .expect_problem(404, "not_found");

    // Bad queries are problems.
    api.get(
        "/api/v1/analytics/usage?granularity=week",
        &c.account.access,
    )
    .await
    .expect_problem(400, "invalid_query");
    api.get("/api/v1/analytics/usage?from=2026-13-01", &c.account.access)
        .await
        .expect_problem(422, "validation_failed");
    let r = api
        .get(
            "/api/v1/analytics/usage?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
            &c.account.access,
        )
        .await;
    r.expect_problem(422, "validation_failed");
    api.get(
        "/api/v1/analytics/usage?granularity=hour&from=2000-01-01",
        &c.account.access,
    )
    .await
    .expect_problem(422, "validation_failed");
    api.call("GET", "/api/v1/analytics/usage", None, None)
        .await
        .expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn files_workflows_and_sagas_are_counted_for_their_tenant_once() {
    let api = Api::new();
    let c = api.connected("analyticse").await;
    let s = &c.account;
    let file = api
        .upload(
            s,
            "people.csv",
            "text/csv",
            b"Name,Age\nAda,36\nGrace,85\n".to_vec(),
        )
        .await;
    assert_eq!(api.file_settled(s, &file).await["status"], "processed");
    let bad = api
        .upload(s, "broken.json", "application/json", b"{not json".to_vec())
        .await;
    assert_eq!(api.file_settled(s, &bad).await["status"], "failed");

    let wf = api
        .post(
            "/api/v1/workflows",
            Some(&s.access),
            json!({"name": "hello", "trigger": {"type": "manual"}, "steps": [{"id": "say", "type": "log", "input": {"message": "hi"}}]}),
        )
        .await
        .expect(201)
        .body;
    let id = wf["id"].as_str().unwrap();
    for _ in 0..2 {
        let run = api
            .post(
                &format!("/api/v1/workflows/{id}/trigger"),
                Some(&s.access),
                json!({"data": {}}),
            )
            .await
            .expect(202);
        let exec = run.body["executionId"].as_str().unwrap().to_owned();
        let mut status = Value::Null;
        for _ in 0..300 {
            status = api
                .get(&format!("/api/v1/workflows/executions/{exec}"), &s.access)
                .await
                .expect(200)
                .body["status"]
                .clone();
            if status == "succeeded" || status == "failed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, "succeeded");
    }

    api.post(
        "/api/v1/records",
        Some(&s.access),
        json!({"baseId": c.base, "table": "People", "records": people(3)}),
    )
    .await
    .expect(201);
    let saga = api
        .post(
            "/api/v1/saga/transaction",
            Some(&s.access),
            json!({"type": "bulk_update", "input": {"baseId": c.base, "table": "People", "filterByFormula": "{Age} >= 0", "fields": {"Status": "Done"}}}),
        )
        .await
        .expect(202);
    let saga = saga.body["transactionId"].as_str().unwrap().to_owned();
    let mut status = Value::Null;
    for _ in 0..300 {
        status = api
            .get(&format!("/api/v1/saga/transaction/{saga}"), &s.access)
            .await
            .expect(200)
            .body["status"]
            .clone();
        if status != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "completed");

    // Counters are written as each message ends; the saga's last one may still be flushing.
    let mut t = Value::Null;
    for _ in 0..50 {
        t = totals(&api, &s.access).await;
        if t["sagas"]["completed"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(t["files"]["processed"], 1, "{t}");
    assert_eq!(t["files"]["failed"], 1);
    assert_eq!(t["workflowRuns"]["succeeded"], 2);
    assert_eq!(t["workflowRuns"]["failed"], 0);
    assert_eq!(t["sagas"]["completed"], 1);
    assert_eq!(t["sagas"]["compensated"], 0);
}

#[tokio::test]
async fn a_request_writes_valid_emf_without_tenant_or_record_ids() {
    let api = Api::new();
    let c = api.connected("analyticsemf").await;
    let request_id = format!("emf-{}", tag());
    let req = api
        .http()
        .post(api.url("/api/v1/records"))
        .bearer_auth(&c.account.access)
        .header("x-request-id", &request_id)
        .json(&json!({"baseId": c.base, "table": "People", "records": people(2)}));
    let created = api.send(req).await.expect(201);
    let record_id = created.body["records"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        logged(&["\"_aws\"", &request_id]).await,
        "no EMF line for the request"
    );
    let all = logs();
    let lines: Vec<&str> = all
        .lines()
        .filter(|l| l.contains("\"_aws\"") && l.contains(&request_id))
        .collect();
    let mut names = Vec::new();
    let mut docs = Vec::new();
    for line in &lines {
        let doc: Value = serde_json::from_str(line).expect("an EMF line is one JSON object");
        names.extend(check_emf(&doc, line));
        // Low cardinality: never a tenant, user or record id.
        for id in [&c.account.tenant_id, &c.account.user_id, &record_id] {
            assert!(!line.contains(id.as_str()), "{id} in {line}");
        }
        docs.push(doc);
    }
    for expected in [
        "Requests",
        "Latency",
        "Errors5xx",
        "AirtableRequests",
        "AirtableLatency",
        "LimiterWait",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {lines:?}"
        );
    }
    let http = docs
        .iter()
        .find(|d| d.get("Latency").is_some())
        .expect("the request's own metrics");
    assert_eq!(http["Function"], "airtable");
    assert_eq!(http["Route"], "/api/v1/records");
    assert_eq!(http["StatusClass"], "2xx");
    assert!(
        docs.iter()
            .any(|d| d["Base"] == c.base.as_str() && d["AirtableRequests"].as_f64() >= Some(1.0)),
        "{lines:?}"
    );
}

/// Checks one document against the EMF specification — `_aws.Timestamp` (epoch ms),
/// `CloudWatchMetrics` directives with a namespace, dimension sets naming string members of the
/// root, metrics whose numeric values are at the root — and returns its metric names.
fn check_emf(doc: &Value, line: &str) -> Vec<String> {
    let ts = doc["_aws"]["Timestamp"]
        .as_i64()
        .expect("Timestamp is an integer");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((ts - now_ms).abs() < 120_000);
    let directives = doc["_aws"]["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics");
    assert!(!directives.is_empty());
    let mut names = Vec::new();
    for d in directives {
        assert!(
            d["Namespace"]
                .as_str()
                .is_some_and(|ns| !ns.is_empty() && ns.len() <= 255)
        );
        for set in d["Dimensions"].as_array().expect("Dimensions") {
            let keys = set.as_array().expect("a dimension set is an array");
            assert!(keys.len() <= 30);
            for k in keys {
                assert!(
                    doc[k.as_str().expect("dimension key")].is_string(),
                    "dimension {k} must be a string member of the root: {line}"
                );
            }
        }
        for m in d["Metrics"].as_array().expect("Metrics") {
            let name = m["Name"].as_str().expect("metric name");
            assert!(
                ["Milliseconds", "Count", "None"].contains(&m["Unit"].as_str().unwrap_or("None"))
            );
            let v = &doc[name];
            let numeric = v.is_number()
                || v.as_array().is_some_and(|a| {
                    !a.is_empty() && a.len() <= 100 && a.iter().all(Value::is_number)
                });
            assert!(
                numeric,
                "metric {name} must have numeric values at the root: {line}"
            );
            names.push(name.to_owned());
        }
    }
    names
}

#[tokio::test]
async fn the_operator_view_needs_its_token_and_shows_the_figures() {
    let api = Api::new();
    let c = api.connected("analyticsops").await;
    get_records(&api, &c, "", true).await;
    api.call("GET", "/api/v1/ops/metrics", None, None)
        .await
        .expect_problem(401, "unauthorized");
    api.get("/api/v1/ops/metrics", &c.account.access)
        .await
        .expect_problem(401, "unauthorized");
    let ops = api
        .get("/api/v1/ops/metrics?prefix=Airtable", OPS_TOKEN)
        .await
        .expect(200)
        .body;
    let series = ops["series"].as_array().unwrap();
    assert!(
        series
            .iter()
            .all(|s| s["name"].as_str().unwrap().starts_with("Airtable"))
    );
    let latency = series
        .iter()
        .find(|s| s["name"] == "AirtableLatency" && s["dimensions"]["Base"] == c.base.as_str())
        .unwrap_or_else(|| panic!("no Airtable latency for the base: {ops}"));
    assert!(latency["count"].as_u64().unwrap() >= 1);
    assert!(latency["p95"].as_f64().unwrap() >= latency["p50"].as_f64().unwrap());
    let all = api
        .get("/api/v1/ops/metrics", OPS_TOKEN)
        .await
        .expect(200)
        .body;
    assert!(
        all["namespace"]
            .as_str()
            .unwrap()
            .starts_with("PyAirtable/")
    );
    assert!(
        all["series"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "Requests" && s["dimensions"]["Function"] == "airtable")
    );
}
