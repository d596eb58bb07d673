//! The chat (`/api/v1/chat`, `/chat/stream`, sessions, budgets) driven over HTTP, with the
//! scripted OpenAI-compatible model (`tests::scripted_llm`) and the sandbox Airtable.

use serde_json::{Value, json};
use tests::scripted_llm::{self as llm, INPUT_TOKENS, OUTPUT_TOKENS, PRICE_INPUT, PRICE_OUTPUT};
use tests::{Api, Connected};

/// Dollars of one scripted model call.
fn call_cost() -> f64 {
    (INPUT_TOKENS as f64 * PRICE_INPUT + OUTPUT_TOKENS as f64 * PRICE_OUTPUT) / 1_000_000.0
}

fn tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

async fn seed(api: &Api, c: &Connected) {
    let records = json!([{"fields": {"Name": "Ada Lovelace", "Age": 36}}, {"fields": {"Name": "Grace Hopper", "Age": 85}}]);
    api.post(
        "/api/v1/records",
        Some(&c.account.access),
        json!({"baseId": c.base, "table": "People", "records": records}),
    )
    .await
    .expect(201);
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

#[tokio::test]
async fn a_question_needing_list_tables_then_get_records_is_answered_from_the_tool_results() {
    let api = Api::new();
    let c = api.connected("chatq").await;
    seed(&api, &c).await;
    let t = tag();
    let marker = llm::script(
        &t,
        vec![
            llm::call("list_tables", json!({"base_id": c.base, "detail": "ids"})),
            llm::call(
                "get_records",
                json!({"base_id": c.base, "table": "People", "fields": ["Name"], "sort": [{"field": "Name"}]}),
            ),
            llm::text(|req| {
                let names: Vec<String> = llm::last_tool_result(req)["records"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| r["fields"]["Name"].as_str().unwrap_or("").to_owned())
                    .collect();
                format!("The people are: {}.", names.join(" and "))
            }),
        ],
    );
    let r = api
        .post(
            "/api/v1/chat",
            Some(&c.account.access),
            json!({"message": format!("Who is in People? {marker}"), "baseId": c.base}),
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["reply"], "The people are: Ada Lovelace and Grace Hopper.",
        "{}",
        r.body
    );
    let calls = r.body["toolCalls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0]["name"].as_str(), calls[0]["ok"].as_bool()),
        (Some("list_tables"), Some(true))
    );
    assert_eq!(
        (calls[1]["name"].as_str(), calls[1]["ok"].as_bool()),
        (Some("get_records"), Some(true))
    );
    assert_eq!(calls[1]["summary"], "2 records");
    assert_eq!(r.body["usage"]["modelCalls"], 3);
    assert_eq!(r.body["usage"]["inputTokens"], 3 * INPUT_TOKENS);
    assert_eq!(r.body["usage"]["outputTokens"], 3 * OUTPUT_TOKENS);
    assert!(
        close(&r.body["usage"]["costUsd"], 3.0 * call_cost()),
        "{}",
        r.body["usage"]
    );

    let sent = llm::requests(&t);
    assert_eq!(sent.len(), 3);
    let system = sent[0]["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains(&c.base),
        "the system prompt names the tenant's bases: {system}"
    );
    assert_eq!(
        sent[0]["tools"].as_array().unwrap().len(),
        20,
        "an owner is offered every tool"
    );
    let tables_result = &sent[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()["content"];
    assert!(
        tables_result.as_str().unwrap().contains("People"),
        "the tool result goes back to the model"
    );
}

#[tokio::test]
async fn the_whole_history_goes_to_the_model_and_sessions_can_be_listed_shown_and_deleted() {
    let api = Api::new();
    let c = api.connected("chathist").await;
    let t = tag();
    let marker = llm::script(
        &t,
        vec![
            llm::call("list_bases", json!({})),
            llm::text(|_| "Hello Ada.".into()),
            llm::text(|_| "You said your name is Ada.".into()),
        ],
    );
    let first = api
        .post(
            "/api/v1/chat",
            Some(&c.account.access),
            json!({"message": format!("I am Ada. {marker}")}),
        )
        .await
        .expect(200);
    let sid = first.body["sessionId"].as_str().unwrap().to_owned();
    let second = api
        .post(
            "/api/v1/chat",
            Some(&c.account.access),
            json!({"message": "What is my name?", "sessionId": sid}),
        )
        .await
        .expect(200);
    assert_eq!(second.body["sessionId"], sid.as_str());
    let sent = llm::requests(&t);
    assert_eq!(sent.len(), 3);
    let history = sent[2]["messages"].as_array().unwrap();
    let roles: Vec<&str> = history
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        vec!["system", "user", "assistant", "tool", "assistant", "user"],
        "the second turn carries the first, tool round included"
    );
    assert_eq!(history[1]["content"], format!("I am Ada. {marker}"));
    let call_id = history[2]["tool_calls"][0]["id"].as_str().unwrap();
    assert_eq!(
        history[2]["tool_calls"][0]["function"]["name"],
        "list_bases"
    );
    assert_eq!(
        history[3]["tool_call_id"], call_id,
        "each tool result follows its call"
    );
    assert_eq!(history[4]["content"], "Hello Ada.");
    assert_eq!(history[5]["content"], "What is my name?");

    let list = api
        .get("/api/v1/chat/sessions", &c.account.access)
        .await
        .expect(200);
    assert_eq!(list.body["sessions"][0]["id"], sid.as_str());
    assert_eq!(list.body["sessions"][0]["messageCount"], 6);
    assert!(close(
        &list.body["sessions"][0]["costUsd"],
        3.0 * call_cost()
    ));
    let shown = api
        .get(&format!("/api/v1/chat/sessions/{sid}"), &c.account.access)
        .await
        .expect(200);
    let msgs = shown.body["messages"].as_array().unwrap();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        vec![
            "user",
            "assistant",
            "tool",
            "assistant",
            "user",
            "assistant"
        ]
    );
    assert_eq!(msgs[1]["toolCalls"][0]["name"], "list_bases");
    assert_eq!(msgs[1]["inputTokens"], INPUT_TOKENS);
    assert!(close(&msgs[1]["costUsd"], call_cost()));
    assert!(msgs[1]["latencyMs"].as_u64().is_some() && msgs[1]["model"] == llm::MODEL);

    // Another member of the tenant cannot see or continue it.
    let other = api.invite(&c.account, "member").await;
    api.get(&format!("/api/v1/chat/sessions/{sid}"), &other.access)
        .await
        .expect_problem(404, "not_found");
    api.post(
        "/api/v1/chat",
        Some(&other.access),
        json!({"message": "hi", "sessionId": sid}),
    )
    .await
    .expect_problem(404, "not_found");

    api.delete(&format!("/api/v1/chat/sessions/{sid}"), &c.account.access)
        .await
        .expect(204);
    api.get(&format!("/api/v1/chat/sessions/{sid}"), &c.account.access)
        .await
        .expect_problem(404, "not_found");
    let list = api
        .get("/api/v1/chat/sessions", &c.account.access)
        .await
        .expect(200);
    assert!(list.body["sessions"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_retried_message_with_an_idempotency_key_calls_nothing_twice() {
    let api = Api::new();
    let c = api.connected("chatidem").await;
    let t = tag();
    let marker = llm::script(
        &t,
        vec![
            llm::call(
                "create_record",
                json!({"base_id": c.base, "table": "People", "fields": {"Name": "Once"}}),
            ),
            llm::text(|_| "Added.".into()),
        ],
    );
    let body = json!({"message": format!("Add Once {marker}")});
    let send = || {
        api.send(
            api.http()
                .post(api.url("/api/v1/chat"))
                .bearer_auth(&c.account.access)
                .header("idempotency-key", "msg-1")
                .json(&body),
        )
    };
    let first = send().await.expect(200);
    let again = send().await.expect(200);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(
        llm::requests(&t).len(),
        2,
        "the model was called for the first request only"
    );
    let all = api
        .get(
            &format!("/api/v1/records?baseId={}&table=People&all=true", c.base),
            &c.account.access,
        )
        .await
        .expect(200);
    assert_eq!(all.body["total"], 1, "one record");
}

#[tokio::test]
async fn the_iteration_cap_ends_the_loop_with_a_clear_answer() {
    let api = Api::new();
    let c = api.connected("chatcap").await;
    let t = tag();
    // The stack allows 4 model calls per message; this model never stops calling tools.
    let marker = llm::script(
        &t,
        (0..5).map(|_| llm::call("list_bases", json!({}))).collect(),
    );
    let r = api
        .post(
            "/api/v1/chat",
            Some(&c.account.access),
            json!({"message": format!("Loop forever {marker}")}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["stopped"], "iteration_limit");
    assert_eq!(r.body["usage"]["modelCalls"], 4);
    assert_eq!(r.body["toolCalls"].as_array().unwrap().len(), 4);
    assert!(
        r.body["reply"]
            .as_str()
            .unwrap()
            .contains("stopped after 4 model calls"),
        "{}",
        r.body["reply"]
    );
    assert_eq!(llm::requests(&t).len(), 4);
}

#[tokio::test]
async fn malformed_tool_arguments_become_a_tool_error_the_model_sees() {
    let api = Api::new();
    let c = api.connected("chatbadargs").await;
    let t = tag();
    let marker = llm::script(
        &t,
        vec![
            llm::call_raw("get_records", "{\"base_id\": oops"),
            llm::text(|req| {
                format!(
                    "The tool said: {}",
                    llm::last_tool_result(req)["error"]["code"]
                        .as_str()
                        .unwrap_or("?")
                )
            }),
        ],
    );
    let r = api
        .post(
            "/api/v1/chat",
            Some(&c.account.access),
            json!({"message": format!("Read it {marker}")}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["reply"], "The tool said: invalid_arguments");
    assert_eq!(r.body["toolCalls"][0]["ok"], false);
    assert_eq!(r.body["toolCalls"][0]["name"], "get_records");
}

#[tokio::test]
async fn a_provider_failure_is_a_502_problem() {
    let api = Api::new();
    let c = api.connected("chatfail").await;
    let t = tag();
    let marker = llm::script(
        &t,
        vec![Box::new(|_| {
            llm::Reply::Fail(400, "model not found".into())
        })],
    );
    let r = api
        .post(
            "/api/v1/chat",
            Some(&c.account.access),
            json!({"message": format!("hi {marker}")}),
        )
        .await
        .expect_problem(502, "llm_refused");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("model not found")
    );
}

#[tokio::test]
async fn a_provider_failure_after_a_tool_ran_keeps_the_turn_and_says_so() {
    let api = Api::new();
    let c = api.connected("chatmidfail").await;
    let t = tag();
    let marker = llm::script(
        &t,
        vec![
            llm::call("list_bases", json!({})),
            Box::new(|_| llm::Reply::Fail(400, "context too long".into())),
        ],
    );
    let r = api
        .post(
            "/api/v1/chat",
            Some(&c.account.access),
            json!({"message": format!("hi {marker}")}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["stopped"], "error");
    assert!(
        r.body["reply"]
            .as_str()
            .unwrap()
            .contains("context too long"),
        "{}",
        r.body
    );
    assert_eq!(r.body["toolCalls"][0]["name"], "list_bases");
    let sid = r.body["sessionId"].as_str().unwrap();
    let shown = api
        .get(&format!("/api/v1/chat/sessions/{sid}"), &c.account.access)
        .await
        .expect(200);
    assert_eq!(
        shown.body["messages"].as_array().unwrap().len(),
        4,
        "user, call, result, the note: {}",
        shown.body
    );
}

#[tokio::test]
async fn a_stream_whose_model_fails_ends_with_an_error_event() {
    let api = Api::new();
    let c = api.connected("chatstreamfail").await;
    let t = tag();
    let marker = llm::script(
        &t,
        vec![Box::new(|_| {
            llm::Reply::Fail(400, "model not found".into())
        })],
    );
    let res = api
        .http()
        .post(api.url("/api/v1/chat/stream"))
        .bearer_auth(&c.account.access)
        .json(&json!({"message": format!("hi {marker}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let events = sse(&res.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names, vec!["session", "error"]);
    assert_eq!(events[1].1["code"], "llm_refused");
}

#[tokio::test]
async fn over_budget_is_a_429_before_any_model_call_and_budgets_are_admin_only() {
    let api = Api::new();
    let c = api.connected("chatbudget").await;
    let member = api.invite(&c.account, "member").await;
    api.call(
        "PUT",
        "/api/v1/budgets",
        Some(&member.access),
        Some(json!({"tenantMonthlyUsd": 100})),
    )
    .await
    .expect_problem(403, "forbidden");
    api.call(
        "PUT",
        "/api/v1/budgets",
        Some(&c.account.access),
        Some(json!({"tenantMonthlyUsd": -1, "alertThreshold": 2})),
    )
    .await
    .expect_problem(422, "validation_failed");
    api.call(
        "PUT",
        "/api/v1/budgets",
        Some(&c.account.access),
        Some(json!({"tenantMonthlyUsd": 0.01})),
    )
    .await
    .expect(200);
    let t = tag();
    let marker = llm::script(&t, vec![llm::text(|_| "never".into())]);
    let r = api
        .post(
            "/api/v1/chat",
            Some(&member.access),
            json!({"message": format!("hi {marker}")}),
        )
        .await
        .expect_problem(429, "budget-exceeded");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("monthly LLM budget"),
        "{}",
        r.body
    );
    assert!(llm::requests(&t).is_empty(), "the model was never called");
    let b = api.get("/api/v1/budgets", &member.access).await.expect(200);
    assert_eq!(b.body["tenant"]["spentUsd"], 0.0);
    assert_eq!(b.body["tenantMonthlyUsd"], 0.01);
    // The stream refuses the same way, before any event.
    let res = api
        .http()
        .post(api.url("/api/v1/chat/stream"))
        .bearer_auth(&member.access)
        .json(&json!({"message": format!("hi {marker}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn cost_is_counted_per_message_session_and_month_and_the_alert_threshold_is_reported_once() {
    let api = Api::new();
    let c = api.connected("chatcost").await;
    // Generous enough for any worst case of two calls, with an alert at 0.5% of it.
    api.call(
        "PUT",
        "/api/v1/budgets",
        Some(&c.account.access),
        Some(json!({"tenantMonthlyUsd": 40, "alertThreshold": 0.005})),
    )
    .await
    .expect(200);
    let t = tag();
    let marker = llm::script(
        &t,
        vec![
            llm::call("list_bases", json!({})),
            llm::text(|_| "One base.".into()),
            llm::text(|_| "Still one.".into()),
        ],
    );
    let r = api
        .post(
            "/api/v1/chat",
            Some(&c.account.access),
            json!({"message": format!("How many bases? {marker}")}),
        )
        .await
        .expect(200);
    assert!(close(&r.body["usage"]["costUsd"], 2.0 * call_cost()));
    assert!(
        close(&r.body["budget"]["tenant"]["spentUsd"], 2.0 * call_cost()),
        "{}",
        r.body["budget"]
    );
    assert_eq!(
        r.body["budget"]["alerts"],
        json!(["tenant"]),
        "0.28 of 40 crosses 0.5%: {}",
        r.body["budget"]
    );
    let sid = r.body["sessionId"].as_str().unwrap();
    let again = api
        .post(
            "/api/v1/chat",
            Some(&c.account.access),
            json!({"message": "And now?", "sessionId": sid}),
        )
        .await
        .expect(200);
    assert!(
        again.body["budget"].get("alerts").is_none(),
        "an alert is recorded once a month: {}",
        again.body["budget"]
    );
    let b = api
        .get("/api/v1/budgets", &c.account.access)
        .await
        .expect(200);
    assert!(
        close(&b.body["tenant"]["spentUsd"], 3.0 * call_cost()),
        "{}",
        b.body
    );
    assert!(close(&b.body["user"]["spentUsd"], 3.0 * call_cost()));
    assert!(close(
        &b.body["tenant"]["remainingUsd"],
        40.0 - 3.0 * call_cost()
    ));
    assert_eq!(b.body["alerts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn viewers_chat_with_read_only_tools_and_cannot_trigger_writes() {
    let api = Api::new();
    let c = api.connected("chatviewer").await;
    let viewer = api.invite(&c.account, "viewer").await;
    let t = tag();
    let marker = llm::script(
        &t,
        vec![
            llm::call(
                "create_record",
                json!({"base_id": c.base, "table": "People", "fields": {"Name": "Mallory"}}),
            ),
            llm::text(|req| {
                format!(
                    "Refused: {}",
                    llm::last_tool_result(req)["error"]["code"]
                        .as_str()
                        .unwrap_or("?")
                )
            }),
        ],
    );
    let r = api
        .post(
            "/api/v1/chat",
            Some(&viewer.access),
            json!({"message": format!("Add Mallory {marker}")}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["reply"], "Refused: forbidden");
    assert_eq!(r.body["toolCalls"][0]["ok"], false);
    let offered: Vec<String> = llm::requests(&t)[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        !offered.contains(&"create_record".to_owned())
            && offered.contains(&"get_records".to_owned()),
        "{offered:?}"
    );
    let all = api
        .get(
            &format!("/api/v1/records?baseId={}&table=People&all=true", c.base),
            &c.account.access,
        )
        .await
        .expect(200);
    assert_eq!(all.body["total"], 0, "nothing was written");
}

/// Parses a server-sent event stream into (event, data) pairs.
fn sse(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event:") {
                    event = Some(e.trim().to_owned());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim_start());
                }
            }
            Some((event?, serde_json::from_str(&data).unwrap_or(Value::Null)))
        })
        .collect()
}

#[tokio::test]
async fn the_stream_sends_session_tool_calls_deltas_usage_and_done_in_order() {
    let api = Api::new();
    let c = api.connected("chatstream").await;
    let t = tag();
    let marker = llm::script(
        &t,
        vec![
            llm::call("list_tables", json!({"base_id": c.base, "detail": "ids"})),
            llm::text(|_| "You have one table, People.".into()),
        ],
    );
    let res = api
        .http()
        .post(api.url("/api/v1/chat/stream"))
        .bearer_auth(&c.account.access)
        .json(&json!({"message": format!("Tables? {marker}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = sse(&res.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    let mut squeezed: Vec<&str> = names.clone();
    squeezed.dedup();
    assert_eq!(
        squeezed,
        vec![
            "session",
            "tool_call_started",
            "tool_call_finished",
            "delta",
            "usage",
            "done"
        ],
        "{names:?}"
    );
    assert!(
        names.iter().filter(|n| **n == "delta").count() >= 2,
        "text arrives in pieces: {names:?}"
    );
    let text: String = events
        .iter()
        .filter(|(e, _)| e == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    let done = &events.last().unwrap().1;
    assert_eq!(text, "You have one table, People.");
    assert_eq!(done["reply"], text.as_str());
    assert_eq!(events[0].1["sessionId"], done["sessionId"]);
    assert_eq!(events[1].1["name"], "list_tables");
    assert_eq!(events[2].1["ok"], true);
    assert_eq!(
        events.iter().find(|(e, _)| e == "usage").unwrap().1["modelCalls"],
        2
    );
}

#[tokio::test]
async fn bad_requests_are_problems() {
    let api = Api::new();
    let s = api.register("chatbad").await;
    api.post("/api/v1/chat", Some(&s.access), json!({"message": ""}))
        .await
        .expect_problem(422, "validation_failed");
    api.post(
        "/api/v1/chat",
        Some(&s.access),
        json!({"message": "x", "sessionId": "nope", "baseId": "appbad"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    api.post(
        "/api/v1/chat",
        Some(&s.access),
        json!({"message": "x".repeat(8001)}),
    )
    .await
    .expect_problem(422, "validation_failed");
    api.post("/api/v1/chat", None, json!({"message": "x"}))
        .await
        .expect_problem(401, "unauthorized");
    let unknown = format!("cht_{}", uuid::Uuid::now_v7().simple());
    api.post(
        "/api/v1/chat",
        Some(&s.access),
        json!({"message": "x", "sessionId": unknown}),
    )
    .await
    .expect_problem(404, "not_found");
}
