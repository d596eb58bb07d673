//! Sagas through the local stack: the emulator executes the real ASL (`statemachines/`), every
//! step is an SQS task token worked by `saga-steps`, against the sandbox Airtable — including
//! failures injected into it, compensations, a compensation that fails, and cancellation.

use std::time::Duration;

use serde_json::{Value, json};
use tests::{Account, Api, Connected, sandbox, stack};

async fn upload_csv(api: &Api, s: &Account, name: &str, csv: String) -> String {
    let id = api.upload(s, name, "text/csv", csv.into_bytes()).await;
    let f = api.file_settled(s, &id).await;
    assert_eq!(f["status"], "processed", "{f}");
    id
}

fn people_csv(n: usize) -> String {
    let mut csv = String::from("Name,Age,Email\n");
    for i in 0..n {
        csv.push_str(&format!("Person {i},{},p{i}@example.com\n", 20 + i % 50));
    }
    csv
}

/// Polls the saga until it reaches a final status.
async fn records(api: &Api, c: &Connected, table: &str) -> Vec<Value> {
    api.records(c, table).await
}

async fn start(api: &Api, c: &Connected, kind: &str, input: Value) -> String {
    let r = api
        .post(
            "/api/v1/saga/transaction",
            Some(&c.account.access),
            json!({"type": kind, "input": input}),
        )
        .await
        .expect(202);
    assert_eq!(r.body["status"], "running");
    r.body["transactionId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_import_of_a_thousand_rows_writes_exactly_the_file() {
    let api = Api::new();
    let c = api.connected("sagaimport").await;
    let file = upload_csv(&api, &c.account, "people.csv", people_csv(1000)).await;
    let mapping = json!({"Name": "Name", "Age": "Age", "Email": "Email"});
    let id = start(
        &api,
        &c,
        "import_file",
        json!({"fileId": file, "baseId": c.base, "table": "People", "mapping": mapping}),
    )
    .await;
    let saga = api.saga_finished(&c.account, &id).await;
    assert_eq!(saga["status"], "completed", "{saga}");
    assert_eq!(saga["steps"][1]["result"]["created"], 1000);
    assert_eq!(
        saga["progress"],
        json!({"step": "write_rows", "done": 1000, "total": 1000})
    );
    assert!(
        saga["steps"][0]["startedAt"].is_string() && saga["steps"][1]["finishedAt"].is_string()
    );
    let mut got: Vec<(String, f64, String)> = records(&api, &c, "People")
        .await
        .iter()
        .map(|r| {
            (
                r["fields"]["Name"].as_str().unwrap().to_owned(),
                r["fields"]["Age"].as_f64().unwrap(),
                r["fields"]["Email"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort_by_key(|(n, _, _)| n[7..].parse::<usize>().unwrap());
    let want: Vec<(String, f64, String)> = (0..1000)
        .map(|i| {
            (
                format!("Person {i}"),
                (20 + i % 50) as f64,
                format!("p{i}@example.com"),
            )
        })
        .collect();
    assert_eq!(got, want, "the records equal the file");
    let stats = sandbox::stats(&c.base).await;
    assert_eq!(stats["rateLimited"], 0, "{stats}");
    // A redelivered step message writes nothing twice: the step is done and answers again.
    let sqs = aws_sdk_sqs::Client::new(&local::sdk_config(Some(&stack().aws_endpoint)).await);
    let msg = json!({"taskToken": "stale-token", "transactionId": id, "tenantId": c.account.tenant_id, "step": "write_rows", "action": "do"});
    sqs.send_message()
        .queue_url(&stack().env["SAGA_STEPS_QUEUE_URL"])
        .message_body(msg.to_string())
        .send()
        .await
        .unwrap();
    assert!(
        tests::logged(&["redelivered step already done", &id]).await,
        "the redelivery was handled"
    );
    assert_eq!(records(&api, &c, "People").await.len(), 1000);
    let list = api
        .get(
            "/api/v1/saga/transactions?status=completed&type=import_file",
            &c.account.access,
        )
        .await
        .expect(200);
    assert_eq!(list.body["transactions"][0]["transactionId"], id.as_str());
}

#[tokio::test]
async fn a_step_message_delivered_twice_while_it_runs_writes_nothing_twice() {
    let api = Api::new();
    let c = api.connected("sagadup").await;
    let file = upload_csv(&api, &c.account, "people.csv", people_csv(300)).await;
    let id = start(
        &api,
        &c,
        "import_file",
        json!({"fileId": file, "baseId": c.base, "table": "People", "mapping": {"Name": "Name"}}),
    )
    .await;
    // Once the step is writing, the same message arrives again (SQS delivers at least once).
    for _ in 0..300 {
        let r = api
            .get(&format!("/api/v1/saga/transaction/{id}"), &c.account.access)
            .await
            .expect(200);
        if r.body["progress"]["done"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sqs = aws_sdk_sqs::Client::new(&local::sdk_config(Some(&stack().aws_endpoint)).await);
    let msg = json!({"taskToken": "duplicate-token", "transactionId": id, "tenantId": c.account.tenant_id, "step": "write_rows", "action": "do"});
    for _ in 0..3 {
        sqs.send_message()
            .queue_url(&stack().env["SAGA_STEPS_QUEUE_URL"])
            .message_body(msg.to_string())
            .send()
            .await
            .unwrap();
    }
    let saga = api.saga_finished(&c.account, &id).await;
    assert_eq!(saga["status"], "completed", "{saga}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        records(&api, &c, "People").await.len(),
        300,
        "every row once"
    );
}

#[tokio::test]
async fn an_import_failing_at_chunk_37_deletes_every_record_it_created() {
    let api = Api::new();
    let c = api.connected("sagaimportfail").await;
    api.post(
        "/api/v1/records",
        Some(&c.account.access),
        json!({"baseId": c.base, "table": "People", "records": [{"fields": {"Name": "Kept"}}]}),
    )
    .await
    .expect(201);
    let before = records(&api, &c, "People").await;
    let file = upload_csv(&api, &c.account, "people.csv", people_csv(1000)).await;
    sandbox::fail_after(&c.base, json!({"create": 36})).await;
    let id = start(
        &api,
        &c,
        "import_file",
        json!({"fileId": file, "baseId": c.base, "table": "People", "mapping": {"Name": "Name", "Age": "Age"}}),
    )
    .await;
    let saga = api.saga_finished(&c.account, &id).await;
    assert_eq!(saga["status"], "compensated", "{saga}");
    assert_eq!(saga["steps"][1]["status"], "undone");
    assert!(
        saga["steps"][1]["error"]
            .as_str()
            .unwrap()
            .contains("SANDBOX_INJECTED_FAILURE")
            || saga["error"].as_str().unwrap().contains("injected"),
        "{saga}"
    );
    let log = saga["compensationLog"].as_array().unwrap();
    assert!(
        log[0]["detail"]
            .as_str()
            .unwrap()
            .contains("deleted the 360 records"),
        "{log:?}"
    );
    assert_eq!(
        records(&api, &c, "People").await,
        before,
        "the table is as it was"
    );
}

#[tokio::test]
async fn an_import_into_a_new_table_creates_it_and_a_rollback_renames_it() {
    let api = Api::new();
    let c = api.connected("sagacreate").await;
    let file = upload_csv(
        &api,
        &c.account,
        "leads.csv",
        "Lead,Score,Active\nAcme,3.5,yes\nGlobex,7,no\n".into(),
    )
    .await;
    let input = json!({"fileId": file, "baseId": c.base, "createTable": {"name": "Leads"}, "mapping": {"Lead": "Company", "Score": "Score", "Active": "Active"}});
    // The friendly front door starts the same saga.
    let r = api
        .post(
            &format!("/api/v1/files/{file}/import"),
            Some(&c.account.access),
            json!({"baseId": c.base, "createTable": {"name": "Leads"}, "mapping": input["mapping"]}),
        )
        .await
        .expect(202);
    let id = r.body["transactionId"].as_str().unwrap().to_owned();
    assert_eq!(
        api.saga_finished(&c.account, &id).await["status"],
        "completed"
    );
    let rows = records(&api, &c, "Leads").await;
    assert_eq!(rows.len(), 2);
    let acme = rows
        .iter()
        .find(|r| r["fields"]["Company"] == "Acme")
        .unwrap();
    assert_eq!(
        (acme["fields"]["Score"].as_f64(), &acme["fields"]["Active"]),
        (Some(3.5), &json!(true))
    );

    // The same import into another new table, failing at its first chunk.
    sandbox::fail_after(&c.base, json!({"create": 0})).await;
    let mut input = input;
    input["createTable"]["name"] = json!("Leads 2");
    let id = start(&api, &c, "import_file", input).await;
    let saga = api.saga_finished(&c.account, &id).await;
    // The table itself is created through the meta API (not a record create), then rolled back.
    assert_eq!(saga["status"], "compensated", "{saga}");
    let tables = api
        .get(
            &format!("/api/v1/tables?baseId={}", c.base),
            &c.account.access,
        )
        .await
        .expect(200);
    let names: Vec<&str> = tables.body["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("Leads 2 (rolled back")),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_bulk_update_failing_halfway_restores_the_values_exactly() {
    let api = Api::new();
    let c = api.connected("sagabulk").await;
    let seed: Vec<Value> = (0..40)
        .map(|i| json!({"fields": {"Name": format!("N{i}"), "Age": i, "Status": if i % 2 == 0 { "New" } else { "Done" }}}))
        .collect();
    api.post(
        "/api/v1/records",
        Some(&c.account.access),
        json!({"baseId": c.base, "table": "People", "records": seed}),
    )
    .await
    .expect(201);
    let before = records(&api, &c, "People").await;
    sandbox::fail_after(&c.base, json!({"update": {"after": 2, "times": 1}})).await;
    let id = start(
        &api,
        &c,
        "bulk_update",
        json!({"baseId": c.base, "table": "People", "filterByFormula": "{Age} >= 0", "fields": {"Status": "Done", "Age": 99}}),
    )
    .await;
    let saga = api.saga_finished(&c.account, &id).await;
    // Two chunks of ten were updated, the third failed: every value is restored.
    assert_eq!(saga["status"], "compensated", "{saga}");
    assert_eq!(saga["steps"][0]["result"], json!({"records": 40}));
    assert!(
        saga["compensationLog"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("restored the values of 30 records"),
        "{saga}"
    );
    let strip = |rs: Vec<Value>| {
        rs.into_iter()
            .map(|r| (r["id"].clone(), r["fields"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(records(&api, &c, "People").await), strip(before));
}

#[tokio::test]
async fn a_compensation_that_fails_ends_compensation_failed_not_compensated() {
    let api = Api::new();
    let c = api.connected("sagacompfail").await;
    let file = upload_csv(&api, &c.account, "people.csv", people_csv(50)).await;
    sandbox::fail_after(&c.base, json!({"create": 3, "delete": 0})).await;
    let id = start(
        &api,
        &c,
        "import_file",
        json!({"fileId": file, "baseId": c.base, "table": "People", "mapping": {"Name": "Name"}}),
    )
    .await;
    let saga = api.saga_finished(&c.account, &id).await;
    assert_eq!(saga["status"], "compensation_failed", "{saga}");
    let log = saga["compensationLog"].as_array().unwrap();
    assert_eq!(log[0]["outcome"], "failed");
    assert!(
        log[0]["detail"]
            .as_str()
            .unwrap()
            .contains("30 of 30 created records are still to delete"),
        "{log:?}"
    );
    let left: std::collections::BTreeSet<String> = records(&api, &c, "People")
        .await
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        left.len(),
        30,
        "what is left to undo is exactly what the log says"
    );
    let named: std::collections::BTreeSet<String> = log[0]["remainingRecordIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        named, left,
        "the log names the records a person has to delete"
    );
    // The earlier step's compensation still runs (and logs) after the failed one: the saga stays
    // compensation_failed through it and after it.
    let mut saga = saga;
    for _ in 0..200 {
        saga = api
            .get(&format!("/api/v1/saga/transaction/{id}"), &c.account.access)
            .await
            .expect(200)
            .body;
        assert_eq!(saga["status"], "compensation_failed", "{saga}");
        if saga["compensationLog"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["step"] == "prepare")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        saga["compensationLog"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["step"] == "prepare"),
        "{saga}"
    );
    let log = saga["compensationLog"].as_array().unwrap();
    assert_eq!(
        log.iter().filter(|l| l["step"] == "write_rows").count(),
        1,
        "each compensation is logged once: {log:?}"
    );
    // A list stays small: the ids are in the saga's own view only.
    let list = api
        .get("/api/v1/saga/transactions", &c.account.access)
        .await
        .expect(200)
        .body;
    let listed = list["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["transactionId"] == json!(id))
        .expect("listed");
    assert_eq!(listed["status"], "compensation_failed");
    assert!(
        listed["compensationLog"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l.get("remainingRecordIds").is_none()),
        "{listed}"
    );
}

#[tokio::test]
async fn a_cancelled_import_stops_and_compensates() {
    let api = Api::new();
    let c = api.connected("sagacancel").await;
    let file = upload_csv(&api, &c.account, "people.csv", people_csv(600)).await;
    let id = start(
        &api,
        &c,
        "import_file",
        json!({"fileId": file, "baseId": c.base, "table": "People", "mapping": {"Name": "Name"}}),
    )
    .await;
    for _ in 0..300 {
        let r = api
            .get(&format!("/api/v1/saga/transaction/{id}"), &c.account.access)
            .await
            .expect(200);
        if r.body["progress"]["done"].as_u64().unwrap_or(0) >= 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    api.post(
        &format!("/api/v1/saga/transaction/{id}/cancel"),
        Some(&c.account.access),
        json!({}),
    )
    .await
    .expect(202);
    let saga = api.saga_finished(&c.account, &id).await;
    assert_eq!(saga["status"], "compensated", "{saga}");
    assert!(
        saga["steps"][1]["error"]
            .as_str()
            .unwrap()
            .contains("cancelled"),
        "{saga}"
    );
    assert!(records(&api, &c, "People").await.is_empty());
    api.post(
        &format!("/api/v1/saga/transaction/{id}/cancel"),
        Some(&c.account.access),
        json!({}),
    )
    .await
    .expect_problem(409, "saga_not_running");
}

#[tokio::test]
async fn a_sync_saga_applies_and_a_failed_one_reverts_creates_updates_and_deletes() {
    let api = Api::new();
    let c = api.connected("sagasync").await;
    let people = json!([{"fields": {"Name": "Ada", "Age": 36}}, {"fields": {"Name": "Grace", "Age": 85}}, {"fields": {"Name": "Alan", "Age": 41}}]);
    api.post(
        "/api/v1/records",
        Some(&c.account.access),
        json!({"baseId": c.base, "table": "People", "records": people}),
    )
    .await
    .expect(201);
    api.post(
        "/api/v1/tables",
        Some(&c.account.access),
        json!({"baseId": c.base, "name": "Mirror", "fields": [
        {"name": "Name", "type": "singleLineText"}, {"name": "Age", "type": "number", "options": {"precision": 0}}]}),
    )
    .await
    .expect(201);
    let mirror =
        json!([{"fields": {"Name": "Grace", "Age": 80}}, {"fields": {"Name": "Gone", "Age": 1}}]);
    api.post(
        "/api/v1/records",
        Some(&c.account.access),
        json!({"baseId": c.base, "table": "Mirror", "records": mirror}),
    )
    .await
    .expect(201);
    let before = records(&api, &c, "Mirror").await;
    let input = json!({"sourceBaseId": c.base, "sourceTable": "People", "targetTable": "Mirror", "keyField": "Name", "deleteMissing": true});

    // Fails at the delete, after the creates and the update: everything is reverted.
    sandbox::fail_after(&c.base, json!({"delete": {"after": 0, "times": 1}})).await;
    let id = start(&api, &c, "sync_tables", input.clone()).await;
    let saga = api.saga_finished(&c.account, &id).await;
    assert_eq!(saga["status"], "compensated", "{saga}");
    let mut now: Vec<(Value, Value)> = records(&api, &c, "Mirror")
        .await
        .iter()
        .map(|r| (r["fields"]["Name"].clone(), r["fields"]["Age"].clone()))
        .collect();
    let mut was: Vec<(Value, Value)> = before
        .iter()
        .map(|r| (r["fields"]["Name"].clone(), r["fields"]["Age"].clone()))
        .collect();
    now.sort_by_key(|p| p.0.to_string());
    was.sort_by_key(|p| p.0.to_string());
    assert_eq!(now, was, "creates deleted, the update restored");

    let id = start(&api, &c, "sync_tables", input).await;
    let saga = api.saga_finished(&c.account, &id).await;
    assert_eq!(saga["status"], "completed", "{saga}");
    assert_eq!(
        saga["steps"][0]["result"],
        json!({"create": 2, "update": 1, "delete": 1, "unchanged": 0, "skipped": 0})
    );
    let mut names: Vec<String> = records(&api, &c, "Mirror")
        .await
        .iter()
        .map(|r| r["fields"]["Name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["Ada", "Alan", "Grace"]);
}

#[tokio::test]
async fn bad_saga_requests_are_problems() {
    let api = Api::new();
    let c = api.connected("sagabad").await;
    let post = |body: Value| api.post("/api/v1/saga/transaction", Some(&c.account.access), body);
    post(json!({"type": "teleport", "input": {}}))
        .await
        .expect_problem(422, "validation_failed");
    let r = post(json!({"type": "import_file", "input": {"fileId": "fil_nope", "baseId": c.base, "mapping": {}}}))
        .await
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"input.fileId")
            && fields.contains(&"input.mapping")
            && fields.contains(&"input.table"),
        "{fields:?}"
    );
    post(json!({"type": "bulk_update", "input": {"baseId": c.base, "table": "People", "fields": {"A": 1}}}))
        .await
        .expect_problem(422, "validation_failed");
    let viewer = api.invite(&c.account, "viewer").await;
    api.post("/api/v1/saga/transaction", Some(&viewer.access), json!({"type": "bulk_update", "input": {"baseId": c.base, "table": "People", "recordIds": ["recAAAAAAAAAAAAAA"], "fields": {"Age": 1}}}))
        .await
        .expect_problem(403, "forbidden");
    api.get("/api/v1/saga/transaction/sag_nope", &c.account.access)
        .await
        .expect_problem(422, "validation_failed");
    let missing = format!("sag_{}", uuid::Uuid::now_v7().simple());
    api.get(
        &format!("/api/v1/saga/transaction/{missing}"),
        &c.account.access,
    )
    .await
    .expect_problem(404, "not_found");
}

#[tokio::test]
async fn a_retried_start_with_an_idempotency_key_starts_nothing_twice() {
    let api = Api::new();
    let c = api.connected("sagaidem").await;
    let body = json!({"type": "bulk_update", "input": {"baseId": c.base, "table": "People", "recordIds": ["recAAAAAAAAAAAAAA"], "fields": {"Age": 1}}});
    let send = || {
        api.send(
            api.http()
                .post(api.url("/api/v1/saga/transaction"))
                .bearer_auth(&c.account.access)
                .header("idempotency-key", "start-once")
                .json(&body),
        )
    };
    let first = send().await.expect(202);
    let again = send().await.expect(202);
    assert_eq!(again.body["transactionId"], first.body["transactionId"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let list = api
        .get("/api/v1/saga/transactions", &c.account.access)
        .await
        .expect(200);
    assert_eq!(
        list.body["transactions"].as_array().unwrap().len(),
        1,
        "one saga"
    );
    let saga = api
        .saga_finished(&c.account, first.body["transactionId"].as_str().unwrap())
        .await;
    assert_eq!(
        saga["status"], "completed",
        "nothing matched, nothing to change: {saga}"
    );
}

/// The sagas of the caller's workspace (to show a refused start created none).
async fn sagas_of(api: &Api, s: &Account) -> Vec<Value> {
    api.get("/api/v1/saga/transactions", &s.access)
        .await
        .expect(200)
        .body["transactions"]
        .as_array()
        .cloned()
        .expect("a list of sagas")
}

/// The workspace's saga outcomes so far (`sagas` of its usage: the same count as the
/// `SagaOutcomes` metric the compensation-failed alarm watches).
async fn outcomes(api: &Api, s: &Account) -> Value {
    api.get("/api/v1/analytics/usage?granularity=hour", &s.access)
        .await
        .expect(200)
        .body["totals"]["sagas"]
        .clone()
}

/// A new record of People; its id.
async fn one_record(api: &Api, c: &Connected) -> String {
    let r = api
        .post(
            "/api/v1/records",
            Some(&c.account.access),
            json!({"baseId": c.base, "table": "People", "records": [{"fields": {"Name": "Ada", "Age": 36}}]}),
        )
        .await
        .expect(201);
    r.body["records"][0]["id"].as_str().unwrap().to_owned()
}

fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn what_cannot_run_is_refused_at_the_door_and_nothing_starts() {
    let api = Api::new();
    let post = |s: &Account, kind: &str, input: Value, key: Option<&str>| {
        let mut req = api
            .http()
            .post(api.url("/api/v1/saga/transaction"))
            .bearer_auth(&s.access)
            .json(&json!({"type": kind, "input": input}));
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        api.send(req)
    };
    let bulk = |base: &str, table: &str, fields: Value| json!({"baseId": base, "table": table, "recordIds": ["recAAAAAAAAAAAAAA"], "fields": fields});

    // A workspace that never connected Airtable: 409, as the records API says.
    let lone = api.register("saganoconn").await;
    post(
        &lone,
        "bulk_update",
        bulk("appAAAAAAAAAAAAAA", "People", json!({"Age": 1})),
        None,
    )
    .await
    .expect_problem(409, "airtable_not_connected");
    assert!(sagas_of(&api, &lone).await.is_empty());

    let c = api.connected("sagadoor").await;
    // A base the workspace's token does not list: 403 before any request reaches it.
    let (foreign, _) = sandbox::people_base().await;
    let before = sandbox::stats(&foreign).await;
    post(
        &c.account,
        "bulk_update",
        bulk(&foreign, "People", json!({"Age": 1})),
        None,
    )
    .await
    .expect_problem(403, "airtable_forbidden");
    assert_eq!(
        sandbox::stats(&foreign).await,
        before,
        "nothing was sent to the foreign base"
    );

    // Tables and fields the schema does not have: 422 naming them.
    let r = post(
        &c.account,
        "bulk_update",
        bulk(&c.base, "NoSuchTable", json!({"Age": 1})),
        None,
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&r.body), ["input.table"], "{}", r.body);
    let r = post(
        &c.account,
        "bulk_update",
        bulk(&c.base, "People", json!({"Nope": 1, "Age": 2})),
        None,
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&r.body), ["input.fields.Nope"], "{}", r.body);
    // More fields than a table can have are refused before any is looked up.
    let many: serde_json::Map<String, Value> =
        (0..501).map(|i| (format!("F{i}"), json!(i))).collect();
    let r = post(
        &c.account,
        "bulk_update",
        bulk(&c.base, "People", Value::Object(many)),
        None,
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&r.body), ["input.fields"], "{}", r.body);
    let sync = json!({"sourceBaseId": c.base, "sourceTable": "People", "targetTable": "People", "keyField": "Nope"});
    let r = post(&c.account, "sync_tables", sync, None)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&r.body), ["input.keyField"], "{}", r.body);
    let sync = json!({"sourceBaseId": c.base, "sourceTable": "Nowhere", "targetTable": "People", "keyField": "Name"});
    let r = post(&c.account, "sync_tables", sync, None)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&r.body), ["input.sourceTable"], "{}", r.body);

    // An import whose mapping names a column the file does not have, and one into a missing
    // table.
    let file = upload_csv(&api, &c.account, "people.csv", people_csv(3)).await;
    let r = post(
        &c.account,
        "import_file",
        json!({"fileId": file, "baseId": c.base, "table": "People", "mapping": {"Name": "Name", "Shoe size": "Age"}}),
        None,
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(
        error_fields(&r.body),
        ["input.mapping.Shoe size"],
        "{}",
        r.body
    );
    let r = post(
        &c.account,
        "import_file",
        json!({"fileId": file, "baseId": c.base, "table": "Nowhere", "mapping": {"Name": "Name"}}),
        None,
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&r.body), ["input.table"], "{}", r.body);

    // None of these started a saga (no item, so no execution named by one) or consumed its
    // Idempotency-Key: the same key then starts the corrected saga.
    assert!(sagas_of(&api, &c.account).await.is_empty());
    let key = format!("door-{}", uuid::Uuid::new_v4());
    post(
        &c.account,
        "bulk_update",
        bulk(&c.base, "People", json!({"Nope": 1})),
        Some(&key),
    )
    .await
    .expect_problem(422, "validation_failed");
    let rec = one_record(&api, &c).await;
    let fixed =
        json!({"baseId": c.base, "table": "People", "recordIds": [rec], "fields": {"Age": 41}});
    let started = post(&c.account, "bulk_update", fixed, Some(&key))
        .await
        .expect(202);
    let id = started.body["transactionId"].as_str().unwrap();
    assert_eq!(
        api.saga_finished(&c.account, id).await["status"],
        "completed"
    );
    assert_eq!(sagas_of(&api, &c.account).await.len(), 1);
}

#[tokio::test]
async fn a_first_step_that_fails_before_writing_ends_failed_not_compensation_failed() {
    let api = Api::new();
    let c = api.connected("sagafirstfail").await;
    // Only Airtable can tell this formula is invalid: the saga starts, its first step fails.
    let id = start(
        &api,
        &c,
        "bulk_update",
        json!({"baseId": c.base, "table": "People", "filterByFormula": "NOT_A_FUNCTION(", "fields": {"Age": 1}}),
    )
    .await;
    let saga = api.saga_finished(&c.account, &id).await;
    assert_eq!(saga["status"], "failed", "{saga}");
    assert!(
        saga["error"]
            .as_str()
            .unwrap_or_default()
            .contains("snapshot"),
        "the saga says which step failed and why: {saga}"
    );
    assert!(
        saga["compensationLog"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["outcome"] == "nothing_to_undo"),
        "{saga}"
    );

    // Airtable disconnected while a saga runs: a step that had written nothing needs no
    // Airtable to be undone, so the saga never ends compensation_failed for it.
    let rec = one_record(&api, &c).await;
    let id = start(
        &api,
        &c,
        "bulk_update",
        json!({"baseId": c.base, "table": "People", "recordIds": [rec], "fields": {"Age": 7}}),
    )
    .await;
    api.delete("/api/v1/connections/airtable", &c.account.access)
        .await
        .expect(204);
    let saga = api.saga_finished(&c.account, &id).await;
    assert!(
        matches!(saga["status"].as_str(), Some("completed" | "failed")),
        "{saga}"
    );

    // The outcome counted (and the alarm's metric) is `failed`, never `compensation_failed`.
    let mut counted = Value::Null;
    for _ in 0..50 {
        counted = outcomes(&api, &c.account).await;
        if counted["failed"].as_u64().unwrap_or(0) + counted["completed"].as_u64().unwrap_or(0) == 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(counted["failed"].as_u64().unwrap_or(0) >= 1, "{counted}");
    assert_eq!(
        counted["compensation_failed"].as_u64().unwrap_or(0),
        0,
        "{counted}"
    );
}
