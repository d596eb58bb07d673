//! Workflows through the local stack: definitions saved and checked over HTTP, runs queued on
//! the automation queue and worked by `automation-worker` against the sandbox Airtable, the
//! scripted model and a small HTTP service of the test's own; schedules fired by the local
//! scheduler from what the emulator stores; signed webhooks; processed files; polling triggers.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tests::scripted_llm as llm;
use tests::{Account, Api, Connected, stack};

async fn create(api: &Api, s: &Account, def: Value) -> Value {
    api.workflow(s, def).await
}

async fn trigger(api: &Api, s: &Account, id: &str, data: Value) -> String {
    api.run_workflow(s, id, data).await
}

async fn finished(api: &Api, s: &Account, id: &str) -> Value {
    api.run_finished(s, id).await
}

/// Waits for a workflow to have `n` runs (of any status); returns them, newest first.
async fn runs(api: &Api, s: &Account, workflow: &str, n: usize) -> Vec<Value> {
    for _ in 0..300 {
        let r = api
            .get(
                &format!("/api/v1/workflows/{workflow}/executions"),
                &s.access,
            )
            .await
            .expect(200);
        let list = r.body["executions"].as_array().cloned().unwrap_or_default();
        if list.len() >= n {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("workflow {workflow} did not reach {n} runs in 30 s");
}

fn step<'a>(run: &'a Value, id: &str) -> &'a Value {
    tests::run_step(run, id)
}

async fn records(api: &Api, c: &Connected) -> Vec<Value> {
    api.records(c, &c.table).await
}

/// Waits until a run is waiting out a delay on the queue.
async fn waiting(api: &Api, s: &Account, exec: &str) {
    for _ in 0..100 {
        let r = api
            .get(&format!("/api/v1/workflows/executions/{exec}"), &s.access)
            .await
            .expect(200)
            .body;
        if r["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["type"] == "delay" && s["status"] == "waiting")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("run {exec} never waited");
}

fn names(records: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = records
        .iter()
        .filter_map(|r| r["fields"]["Name"].as_str().map(str::to_owned))
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn a_manual_run_finds_branches_and_creates_a_record_from_the_trigger_data() {
    let api = Api::new();
    let c = api.connected("wfmanual").await;
    let wf = create(
        &api,
        &c.account,
        json!({
            "name": "Add a person once",
            "trigger": {"type": "manual"},
            "steps": [
                {"id": "find", "type": "get_records", "input": {"base_id": c.base, "table": "People", "filter_by_formula": "{Name} = '{{trigger.name}}'"}},
                {"id": "new", "type": "condition", "if": {"left": "{{steps.find.output.returned}}", "op": "equals", "right": 0},
                 "then": [{"id": "add", "type": "create_record", "input": {"base_id": c.base, "table": "People", "fields": {"Name": "{{trigger.name}}", "Age": "{{trigger.age}}"}}}],
                 "else": [{"id": "seen", "type": "log", "input": {"message": "{{trigger.name}} is already there"}}]},
                {"id": "out", "type": "transform", "input": {"greeting": "Hello {{trigger.name}} ({{workflow.name}})", "age": "{{trigger.age}}"}}
            ]
        }),
    )
    .await;
    let id = wf["id"].as_str().unwrap();
    assert_eq!(wf["enabled"], true);
    assert_eq!(wf["stats"]["runs"], 0);

    let first = finished(
        &api,
        &c.account,
        &trigger(&api, &c.account, id, json!({"name": "Zoe", "age": 33})).await,
    )
    .await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let order: Vec<&str> = first["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stepId"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["find", "new", "add", "out"]);
    assert_eq!(step(&first, "new")["output"]["branch"], "then");
    assert_eq!(
        step(&first, "add")["input"]["fields"],
        json!({"Name": "Zoe", "Age": 33})
    );
    assert_eq!(
        step(&first, "out")["output"],
        json!({"greeting": "Hello Zoe (Add a person once)", "age": 33})
    );
    assert!(step(&first, "add")["durationMs"].is_u64());
    assert!(first["durationMs"].is_u64(), "the run's duration: {first}");
    assert_eq!(
        first["trigger"],
        json!({"type": "manual", "data": {"name": "Zoe", "age": 33}})
    );

    // The second run finds Zoe and takes the other branch: still one Zoe.
    let second = finished(
        &api,
        &c.account,
        &trigger(&api, &c.account, id, json!({"name": "Zoe", "age": 33})).await,
    )
    .await;
    assert_eq!(second["status"], "succeeded");
    assert_eq!(step(&second, "new")["output"]["branch"], "else");
    assert!(
        second["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["stepId"] != "add")
    );
    assert!(
        second["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["message"] == "Zoe is already there"),
        "{second}"
    );
    let people = records(&api, &c).await;
    assert_eq!(names(&people), ["Zoe"]);
    assert_eq!(people[0]["fields"]["Age"], 33);

    let wf = api
        .get(&format!("/api/v1/workflows/{id}"), &c.account.access)
        .await
        .expect(200)
        .body;
    assert_eq!(wf["stats"]["runs"], 2);
    assert_eq!(wf["stats"]["successes"], 2);
    assert_eq!(wf["stats"]["lastStatus"], "succeeded");
    let list = api
        .get(
            &format!("/api/v1/workflows/{id}/executions?status=succeeded"),
            &c.account.access,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        list["executions"][0]["executionId"], second["executionId"],
        "newest first"
    );
}

#[tokio::test]
async fn for_each_updates_every_found_record_and_upserts_and_deletes_through_the_registry() {
    let api = Api::new();
    let c = api.connected("wfloop").await;
    for name in ["Ann", "Bob", "Cy"] {
        api.post(
            "/api/v1/records",
            Some(&c.account.access),
            json!({"baseId": c.base, "table": "People", "records": [{"fields": {"Name": name, "Status": "New"}}]}),
        )
        .await
        .expect(201);
    }
    let wf = create(
        &api,
        &c.account,
        json!({
            "name": "Close the new ones",
            "trigger": {"type": "manual"},
            "steps": [
                {"id": "find", "type": "get_records", "input": {"base_id": c.base, "table": "People", "filter_by_formula": "{Status} = 'New'"}},
                {"id": "each", "type": "for_each", "items": "{{steps.find.output.records}}", "steps": [
                    {"id": "close", "type": "update_record", "input": {"base_id": c.base, "table": "People", "record_id": "{{item.id}}", "fields": {"Status": "Done", "Age": "{{index}}"}}}
                ]},
                {"id": "dee", "type": "upsert_records", "input": {"base_id": c.base, "table": "People", "merge_on": ["Name"], "records": [{"Name": "Dee", "Status": "New"}, {"Name": "Ann", "Done": true}]}},
                {"id": "gone", "type": "delete_record", "input": {"base_id": c.base, "table": "People", "record_id": "{{steps.find.output.records[0].id}}"}}
            ]
        }),
    )
    .await;
    let run = finished(
        &api,
        &c.account,
        &trigger(&api, &c.account, wf["id"].as_str().unwrap(), json!({})).await,
    )
    .await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(step(&run, "each")["output"]["count"], 3);
    let closes: Vec<&Value> = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["stepId"] == "close")
        .collect();
    assert_eq!(closes.len(), 3);
    assert_eq!(closes[2]["path"], "each[2].close");
    let people = records(&api, &c).await;
    let deleted = step(&run, "gone")["output"]["deleted"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        people.len(),
        3,
        "3 found, 1 upserted new, 1 deleted: {people:?}"
    );
    assert!(people.iter().all(|p| p["id"] != deleted.as_str()));
    for p in &people {
        let name = p["fields"]["Name"].as_str().unwrap();
        let expected = if name == "Dee" { "New" } else { "Done" };
        assert_eq!(p["fields"]["Status"], expected, "{p}");
    }
}

#[tokio::test]
async fn definitions_are_checked_with_paths_and_schedules_show_their_next_runs() {
    let api = Api::new();
    let s = api.register("wfvalid").await;
    let r = api
        .post(
            "/api/v1/workflows/validate",
            Some(&s.access),
            json!({"name": "Weekdays", "trigger": {"type": "schedule", "cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"}, "steps": [{"id": "a", "type": "log", "input": {"message": "hi"}}]}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["schedule"]["expression"], "cron(0 9 ? * MON-FRI *)");
    let next = r.body["schedule"]["nextRuns"].as_array().unwrap();
    assert_eq!(next.len(), 5);
    assert!(
        next.iter()
            .all(|t| t.as_str().unwrap().ends_with(":00:00Z"))
    );

    let bad = json!({
        "name": "Broken",
        "trigger": {"type": "schedule", "cron": "0 25 * * *"},
        "steps": [
            {"id": "a", "type": "make_coffee"},
            {"id": "b", "type": "log", "input": {"message": "{{steps.later.output}}"}},
            {"id": "later", "type": "delay", "input": {"seconds": 5}}
        ]
    });
    for path in ["/api/v1/workflows/validate", "/api/v1/workflows"] {
        let r = api
            .post(path, Some(&s.access), bad.clone())
            .await
            .expect_problem(422, "validation_failed");
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["trigger.cron", "steps[0].type", "steps[1].input.message"],
            "{}",
            r.body
        );
    }
    api.post(
        "/api/v1/workflows",
        Some(&s.access),
        json!({"name": "x", "trigger": {"type": "whenever"}, "steps": []}),
    )
    .await
    .expect_problem(422, "validation_failed");
    assert!(
        api.get("/api/v1/workflows", &s.access)
            .await
            .expect(200)
            .body["workflows"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing saved"
    );
}

#[tokio::test]
async fn a_redelivered_job_resumes_after_the_recorded_steps_and_writes_nothing_twice() {
    let api = Api::new();
    let c = api.connected("wfredeliver").await;
    let wf = create(
        &api,
        &c.account,
        json!({
            "name": "Create then wait",
            "trigger": {"type": "manual"},
            "steps": [
                {"id": "add", "type": "create_record", "input": {"base_id": c.base, "table": "People", "fields": {"Name": "Once"}}},
                {"id": "wait", "type": "delay", "input": {"seconds": 7}},
                {"id": "done", "type": "log", "input": {"message": "made {{steps.add.output.record.id}}"}}
            ]
        }),
    )
    .await;
    let workflow = wf["id"].as_str().unwrap();
    let exec = trigger(&api, &c.account, workflow, json!({})).await;
    // Once the record exists the run waits out its delay on the queue; deliver its job twice more.
    assert!(tests::logged(&[&exec, "running workflow"]).await);
    waiting(&api, &c.account, &exec).await;
    let sqs = aws_sdk_sqs::Client::new(&local::sdk_config(Some(&stack().aws_endpoint)).await);
    let job = json!({"tenantId": c.account.tenant_id, "workflowId": workflow, "source": "run", "executionId": exec}).to_string();
    for _ in 0..2 {
        sqs.send_message()
            .queue_url(&stack().env["AUTOMATION_QUEUE_URL"])
            .message_body(&job)
            .send()
            .await
            .unwrap();
    }
    let run = finished(&api, &c.account, &exec).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(names(&records(&api, &c).await), ["Once"]);
    assert_eq!(step(&run, "add")["attempts"], 1);
    assert!(
        run["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["message"].as_str().unwrap().starts_with("made rec"))
    );
    // A job for a run that has ended does nothing at all.
    sqs.send_message()
        .queue_url(&stack().env["AUTOMATION_QUEUE_URL"])
        .message_body(&job)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(names(&records(&api, &c).await), ["Once"]);
    let wf = api
        .get(&format!("/api/v1/workflows/{workflow}"), &c.account.access)
        .await
        .expect(200)
        .body;
    assert_eq!(wf["stats"]["runs"], 1);
}

/// A service on this machine: `/flaky/<key>` answers 503 twice per key, then 200 with the
/// request's JSON body; `/missing` answers 404.
async fn flaky_service() -> String {
    let hits: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>> = Default::default();
    let app = axum::Router::new()
        .route(
            "/flaky/{key}",
            axum::routing::any(move |axum::extract::Path(key): axum::extract::Path<String>, body: String| {
                let hits = hits.clone();
                async move {
                    let n = {
                        let mut h = hits.lock().unwrap();
                        let e = h.entry(key).or_default();
                        *e += 1;
                        *e
                    };
                    if n <= 2 {
                        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy".to_owned())
                    } else {
                        (axum::http::StatusCode::OK, json!({"attempt": n, "got": serde_json::from_str::<Value>(&body).ok()}).to_string())
                    }
                }
            }),
        )
        .route("/missing", axum::routing::any(|| async { (axum::http::StatusCode::NOT_FOUND, "no such thing") }));
    tests::targets::serve(&format!("flaky-{}", uuid_like()), app)
}

#[tokio::test]
async fn transient_failures_are_retried_and_a_permanent_one_fails_the_run_with_the_steps_error() {
    let api = Api::new();
    let c = api.connected("wfretry").await;
    let svc = flaky_service().await;
    let key = uuid_like();
    let ok = create(
        &api,
        &c.account,
        json!({
            "name": "Flaky but fine",
            "trigger": {"type": "manual"},
            "steps": [{"id": "call", "type": "http_request", "retry": {"attempts": 3, "backoffSeconds": 0.2},
                       "input": {"method": "POST", "url": format!("{svc}/flaky/{key}"), "headers": {"Authorization": "Bearer {{trigger.token}}"}, "body": {"who": "{{trigger.who}}"}}}]
        }),
    )
    .await;
    let run = finished(
        &api,
        &c.account,
        &trigger(
            &api,
            &c.account,
            ok["id"].as_str().unwrap(),
            json!({"who": "me", "token": "tok-do-not-keep"}),
        )
        .await,
    )
    .await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let call = step(&run, "call");
    assert_eq!(call["attempts"], 3);
    assert_eq!(
        call["input"]["headers"]["Authorization"], "***",
        "credentials are masked in run history"
    );
    assert!(!tests::logs().contains("tok-do-not-keep"));
    assert_eq!(call["output"]["status"], 200);
    assert_eq!(
        call["output"]["body"],
        json!({"attempt": 3, "got": {"who": "me"}})
    );
    assert_eq!(
        run["logs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["level"] == "warn")
            .count(),
        2,
        "two retries logged"
    );

    let bad = create(
        &api,
        &c.account,
        json!({
            "name": "Broken links",
            "trigger": {"type": "manual"},
            "steps": [
                {"id": "soft", "type": "http_request", "continueOnError": true, "input": {"url": format!("{svc}/missing")}},
                {"id": "write", "type": "create_record", "input": {"base_id": c.base, "table": "Nope", "fields": {"Name": "x"}}},
                {"id": "never", "type": "log", "input": {"message": "not reached"}}
            ]
        }),
    )
    .await;
    let bad_id = bad["id"].as_str().unwrap();
    let run = finished(
        &api,
        &c.account,
        &trigger(&api, &c.account, bad_id, json!({})).await,
    )
    .await;
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(step(&run, "soft")["status"], "failed");
    assert_eq!(step(&run, "soft")["error"]["detail"]["status"], 404);
    assert_eq!(step(&run, "write")["status"], "failed");
    assert_eq!(
        step(&run, "write")["attempts"],
        1,
        "a missing table is not retried"
    );
    assert!(
        run["error"]
            .as_str()
            .unwrap()
            .starts_with("step `write` failed"),
        "{}",
        run["error"]
    );
    assert!(
        run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["stepId"] != "never")
    );
    let wf = api
        .get(&format!("/api/v1/workflows/{bad_id}"), &c.account.access)
        .await
        .expect(200)
        .body;
    assert_eq!(wf["stats"]["failures"], 1);
    assert_eq!(wf["stats"]["lastStatus"], "failed");
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn a_schedule_fires_from_the_emulator_and_stops_when_disabled_or_deleted() {
    let api = Api::new();
    let s = api.register("wfschedule").await;
    let wf = create(
        &api,
        &s,
        json!({"name": "Every minute", "trigger": {"type": "schedule", "rate": "1 minute"}, "steps": [{"id": "tick", "type": "transform", "input": {"at": "{{trigger.firedAt}}"}}]}),
    )
    .await;
    let id = wf["id"].as_str().unwrap().to_owned();
    let scheduler = aws_sdk_scheduler_client().await;
    let group = &stack().env["SCHEDULE_GROUP"];
    let stored = scheduler
        .get_schedule()
        .group_name(group)
        .name(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.schedule_expression(), Some("rate(1 minute)"));
    assert!(stored.target().unwrap().input().unwrap().contains(&id));
    // Let the local scheduler see it, then move its clock a minute on.
    assert!(tests::logged(&[&id, "tracking schedule"]).await);
    stack().clock.advance(Duration::from_secs(61));
    let list = runs(&api, &s, &id, 1).await;
    let run = finished(&api, &s, list[0]["executionId"].as_str().unwrap()).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["trigger"]["type"], "schedule");
    assert!(
        step(&run, "tick")["output"]["at"]
            .as_str()
            .unwrap()
            .starts_with("20")
    );

    // Disabled: the schedule is paused in the emulator.
    let mut def = wf.clone();
    for k in [
        "id",
        "version",
        "createdBy",
        "updatedBy",
        "createdAt",
        "updatedAt",
        "stats",
        "enabled",
    ] {
        def.as_object_mut().unwrap().remove(k);
    }
    def["enabled"] = json!(false);
    api.call(
        "PUT",
        &format!("/api/v1/workflows/{id}"),
        Some(&s.access),
        Some(def),
    )
    .await
    .expect(200);
    let stored = scheduler
        .get_schedule()
        .group_name(group)
        .name(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.state().map(|s| s.as_str()), Some("DISABLED"));
    api.post(
        &format!("/api/v1/workflows/{id}/trigger"),
        Some(&s.access),
        json!({}),
    )
    .await
    .expect_problem(409, "workflow_disabled");

    api.delete(&format!("/api/v1/workflows/{id}"), &s.access)
        .await
        .expect(204);
    let gone = scheduler
        .get_schedule()
        .group_name(group)
        .name(&id)
        .send()
        .await;
    assert!(gone.is_err(), "the schedule is deleted with the workflow");
    api.get(&format!("/api/v1/workflows/{id}"), &s.access)
        .await
        .expect_problem(404, "not_found");
    // Its history stays readable.
    api.get(
        &format!(
            "/api/v1/workflows/executions/{}",
            list[0]["executionId"].as_str().unwrap()
        ),
        &s.access,
    )
    .await
    .expect(200);
}

async fn aws_sdk_scheduler_client() -> aws_sdk_scheduler::Client {
    aws_sdk_scheduler::Client::new(&local::sdk_config(Some(&stack().aws_endpoint)).await)
}

fn sign(secret: &str, ts: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn a_signed_webhook_runs_the_workflow_and_bad_or_replayed_deliveries_are_refused() {
    let api = Api::new();
    let s = api.register("wfhook").await;
    let wf = create(
        &api,
        &s,
        json!({"name": "Orders in", "trigger": {"type": "webhook"}, "steps": [{"id": "echo", "type": "transform", "input": {"order": "{{trigger.order.id}}"}}]}),
    )
    .await;
    let id = wf["id"].as_str().unwrap();
    let secret = wf["webhook"]["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(wf["webhook"]["url"], format!("/api/v1/hooks/{id}"));
    let shown = api
        .get(&format!("/api/v1/workflows/{id}"), &s.access)
        .await
        .expect(200)
        .body;
    assert!(
        shown["webhook"]["secret"].is_null() && !shown.to_string().contains(&secret),
        "the secret is shown once"
    );

    let body = r#"{"order": {"id": "ord_42"}}"#;
    let post = |ts: i64, sig: String, body: &'static str| {
        api.http()
            .post(api.url(&format!("/api/v1/hooks/{id}")))
            .header("content-type", "application/json")
            .header("x-timestamp", ts.to_string())
            .header("x-signature-256", sig)
            .body(body)
            .send()
    };
    let now = platform::time::now_epoch();
    let ok = post(now, sign(&secret, now, body), body).await.unwrap();
    assert_eq!(ok.status(), 202);
    let exec: Value = ok.json().await.unwrap();
    let run = finished(&api, &s, exec["executionId"].as_str().unwrap()).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(step(&run, "echo")["output"], json!({"order": "ord_42"}));

    let replay = post(now, sign(&secret, now, body), body).await.unwrap();
    assert_eq!(replay.status(), 409);
    let wrong = post(now, sign("whsec_guess", now, body), body)
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.headers()["content-type"], "application/problem+json");
    let tampered = post(
        now,
        sign(&secret, now, body),
        r#"{"order": {"id": "ord_43"}}"#,
    )
    .await
    .unwrap();
    assert_eq!(tampered.status(), 401);
    let stale = post(now - 600, sign(&secret, now - 600, body), body)
        .await
        .unwrap();
    assert_eq!(stale.status(), 401);
    let unsigned = api
        .http()
        .post(api.url(&format!("/api/v1/hooks/{id}")))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(
        runs(&api, &s, id, 1).await.len(),
        1,
        "only the good delivery ran"
    );

    // A rotated secret replaces the old one.
    let rotated = api
        .post(
            &format!("/api/v1/workflows/{id}/webhook/secret"),
            Some(&s.access),
            json!({}),
        )
        .await
        .expect(200)
        .body;
    let new_secret = rotated["secret"].as_str().unwrap();
    let later = platform::time::now_epoch() + 1;
    assert_eq!(
        post(later, sign(&secret, later, body), body)
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        post(later, sign(new_secret, later, body), body)
            .await
            .unwrap()
            .status(),
        202
    );
    assert!(
        !tests::logs().contains(&secret) && !tests::logs().contains(new_secret),
        "secrets never reach the logs"
    );
}

#[tokio::test]
async fn a_processed_file_that_matches_the_filter_starts_its_workflow_once() {
    let api = Api::new();
    let s = api.register("wffile").await;
    let wf = create(
        &api,
        &s,
        json!({"name": "Orders files", "trigger": {"type": "file_processed", "fileType": "csv", "namePattern": "orders-*.csv"},
               "steps": [{"id": "seen", "type": "transform", "input": {"name": "{{trigger.file.name}}", "rows": "{{trigger.file.rows}}"}}]}),
    )
    .await;
    let id = wf["id"].as_str().unwrap();
    let other = api
        .upload(&s, "customers.csv", "text/csv", b"Name\nA\n".to_vec())
        .await;
    assert_eq!(api.file_settled(&s, &other).await["status"], "processed");
    let file = api
        .upload(
            &s,
            "orders-2026.csv",
            "text/csv",
            b"Order,Total\n1,10\n2,20\n3,30\n".to_vec(),
        )
        .await;
    assert_eq!(api.file_settled(&s, &file).await["status"], "processed");
    let list = runs(&api, &s, id, 1).await;
    let run = finished(&api, &s, list[0]["executionId"].as_str().unwrap()).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(
        step(&run, "seen")["output"],
        json!({"name": "orders-2026.csv", "rows": 3})
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let list = api
        .get(&format!("/api/v1/workflows/{id}/executions"), &s.access)
        .await
        .expect(200)
        .body;
    assert_eq!(
        list["executions"].as_array().unwrap().len(),
        1,
        "customers.csv does not match"
    );
}

#[tokio::test]
async fn new_records_start_one_run_each_on_the_polling_schedule() {
    let api = Api::new();
    let c = api.connected("wfpoll").await;
    let wf = create(
        &api,
        &c.account,
        json!({"name": "Welcome people", "trigger": {"type": "record_matches", "baseId": c.base, "table": "People", "every": "1 minute"},
               "steps": [{"id": "hi", "type": "update_record", "input": {"base_id": c.base, "table": "People", "record_id": "{{trigger.id}}", "fields": {"Status": "Done"}}}]}),
    )
    .await;
    let id = wf["id"].as_str().unwrap();
    let broken = create(
        &api,
        &c.account,
        json!({"name": "Watch a missing table", "trigger": {"type": "record_matches", "baseId": c.base, "table": "Nope", "every": "1 minute"},
               "steps": [{"id": "hi", "type": "log", "input": {"message": "{{trigger.id}}"}}]}),
    )
    .await;
    let broken_id = broken["id"].as_str().unwrap();
    assert!(broken["polling"]["since"].is_string());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for name in ["Pia", "Quin"] {
        api.post(
            "/api/v1/records",
            Some(&c.account.access),
            json!({"baseId": c.base, "table": "People", "records": [{"fields": {"Name": name, "Status": "New"}}]}),
        )
        .await
        .expect(201);
    }
    assert!(tests::logged(&[id, "tracking schedule"]).await);
    stack().clock.advance(Duration::from_secs(61));
    let list = runs(&api, &c.account, id, 2).await;
    for r in &list {
        assert_eq!(
            finished(&api, &c.account, r["executionId"].as_str().unwrap()).await["status"],
            "succeeded"
        );
    }
    // Another turn sees nothing new (the overlap re-reads them, their event ids are known).
    stack().clock.advance(Duration::from_secs(61));
    assert!(tests::logged(&[id, "record_matches polled", "\"found\":2"]).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = api
        .get(
            &format!("/api/v1/workflows/{id}/executions"),
            &c.account.access,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(after["executions"].as_array().unwrap().len(), 2);
    assert!(
        records(&api, &c)
            .await
            .iter()
            .all(|r| r["fields"]["Status"] == "Done")
    );
    let wf = api
        .get(&format!("/api/v1/workflows/{id}"), &c.account.access)
        .await
        .expect(200)
        .body;
    assert!(
        wf["polling"]["lastPollAt"].is_string() && wf["polling"]["error"].is_null(),
        "{wf}"
    );
    // A trigger that cannot read its table says why on the workflow.
    let broken = api
        .get(&format!("/api/v1/workflows/{broken_id}"), &c.account.access)
        .await
        .expect(200)
        .body;
    assert!(
        broken["polling"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("Nope") || e.contains("not")),
        "{broken}"
    );
}

#[tokio::test]
async fn an_llm_prompt_step_is_answered_by_the_model_and_charged_to_the_budget() {
    let api = Api::new();
    let s = api.register("wfllm").await;
    let tag = format!("wf-{}", uuid_like());
    let marker = llm::script(
        &tag,
        vec![llm::text(|req| {
            format!("summary of {}", req["messages"].as_array().unwrap().len())
        })],
    );
    let wf = create(
        &api,
        &s,
        json!({"name": "Summarise", "trigger": {"type": "manual"},
               "steps": [{"id": "sum", "type": "llm_prompt", "input": {"prompt": format!("Summarise {{{{trigger.text}}}} {marker}")}}]}),
    )
    .await;
    let run = finished(
        &api,
        &s,
        &trigger(
            &api,
            &s,
            wf["id"].as_str().unwrap(),
            json!({"text": "the quarter"}),
        )
        .await,
    )
    .await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let out = &step(&run, "sum")["output"];
    assert_eq!(out["model"], llm::MODEL);
    assert!(out["text"].as_str().unwrap().starts_with("summary of"));
    let expected = (llm::INPUT_TOKENS as f64 * llm::PRICE_INPUT
        + llm::OUTPUT_TOKENS as f64 * llm::PRICE_OUTPUT)
        / 1e6;
    assert!(
        (out["costUsd"].as_f64().unwrap() - expected).abs() < 1e-9,
        "{out}"
    );
    let sent = llm::requests(&tag);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].to_string().contains("Summarise the quarter"));
    let budget = api.get("/api/v1/budgets", &s.access).await.expect(200).body;
    assert!(
        (budget["tenant"]["spentUsd"].as_f64().unwrap() - expected).abs() < 1e-9,
        "{budget}"
    );
}

#[tokio::test]
async fn a_waiting_run_can_be_cancelled_and_viewers_and_other_tenants_are_kept_out() {
    let api = Api::new();
    let c = api.connected("wfcancel").await;
    let wf = create(
        &api,
        &c.account,
        json!({"name": "Slow", "trigger": {"type": "manual"}, "steps": [{"id": "wait", "type": "delay", "input": {"seconds": 60}}, {"id": "after", "type": "log", "input": {"message": "too late"}}]}),
    )
    .await;
    let id = wf["id"].as_str().unwrap();
    let exec = trigger(&api, &c.account, id, json!({})).await;

    let viewer = api.invite(&c.account, "viewer").await;
    api.get(&format!("/api/v1/workflows/{id}"), &viewer.access)
        .await
        .expect(200);
    api.get(
        &format!("/api/v1/workflows/executions/{exec}"),
        &viewer.access,
    )
    .await
    .expect(200);
    api.post(
        "/api/v1/workflows",
        Some(&viewer.access),
        json!({"name": "v", "trigger": {"type": "manual"}, "steps": [{"id": "a", "type": "log", "input": {"message": "x"}}]}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.post(
        &format!("/api/v1/workflows/{id}/trigger"),
        Some(&viewer.access),
        json!({}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.post(
        &format!("/api/v1/workflows/executions/{exec}/cancel"),
        Some(&viewer.access),
        json!({}),
    )
    .await
    .expect_problem(403, "forbidden");

    let stranger = api.register("wfstranger").await;
    api.get(&format!("/api/v1/workflows/{id}"), &stranger.access)
        .await
        .expect_problem(404, "not_found");
    api.get(
        &format!("/api/v1/workflows/executions/{exec}"),
        &stranger.access,
    )
    .await
    .expect_problem(404, "not_found");
    api.post(
        &format!("/api/v1/workflows/{id}/trigger"),
        Some(&stranger.access),
        json!({}),
    )
    .await
    .expect_problem(404, "not_found");
    api.delete(&format!("/api/v1/workflows/{id}"), &stranger.access)
        .await
        .expect_problem(404, "not_found");
    assert!(
        api.get(
            &format!("/api/v1/workflows/{id}/executions"),
            &stranger.access
        )
        .await
        .status
            == 404
    );

    waiting(&api, &c.account, &exec).await;
    api.post(
        &format!("/api/v1/workflows/executions/{exec}/cancel"),
        Some(&c.account.access),
        json!({}),
    )
    .await
    .expect(202);
    let run = finished(&api, &c.account, &exec).await;
    assert_eq!(run["status"], "cancelled");
    assert!(
        run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["stepId"] != "after")
    );
    api.post(
        &format!("/api/v1/workflows/executions/{exec}/cancel"),
        Some(&c.account.access),
        json!({}),
    )
    .await
    .expect_problem(409, "execution_finished");
}
