//! An attacker with a free account: crafted files, bursts of concurrent requests, other
//! callers' keys and ids, private addresses. One test (or more) per finding of the hostile-input
//! review; each failed on the code before its fix.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};
use tests::{Account, Api, Connected, PASSWORD, fixtures, run_step, stack};

async fn healthy(api: &Api) {
    api.call("GET", "/api/v1/health", None, None)
        .await
        .expect(200);
}

/// Uploads and waits; the file must end `failed` with a reason containing `why`.
async fn fails_with(
    api: &Api,
    s: &Account,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
    why: &str,
) -> Value {
    let id = api.upload(s, name, content_type, bytes).await;
    let f = api.file_settled(s, &id).await;
    assert_eq!(f["status"], "failed", "{name}: {f}");
    assert!(
        f["error"].as_str().unwrap_or("").contains(why),
        "{name}: {}",
        f["error"]
    );
    f
}

// ---------- 1, 2, 4: crafted files fail themselves, and nobody else ----------

#[tokio::test]
async fn crafted_files_fail_with_a_reason_while_another_tenants_file_is_processed() {
    let api = Api::new();
    let attacker = api.register("crafter").await;
    let victim = api.register("bystander").await;
    // The three crafted files at once, then an innocent two-line CSV of another tenant.
    let pdf = api.upload(
        &attacker,
        "loop.pdf",
        "application/pdf",
        fixtures::pdf_self_drawing_xobject(),
    );
    let csv = api.upload(
        &attacker,
        "wide.csv",
        "text/csv",
        fixtures::csv_repeated_header(30_000),
    );
    let xlsx = api.upload(
        &attacker,
        "corners.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        fixtures::xlsx_far_corners(),
    );
    let (pdf, csv, xlsx) = futures::join!(pdf, csv, xlsx);
    let innocent = api
        .upload(
            &victim,
            "people.csv",
            "text/csv",
            b"Name,Age\nAda,36\n".to_vec(),
        )
        .await;
    let started = Instant::now();
    let f = api.file_settled(&victim, &innocent).await;
    assert_eq!(f["status"], "processed", "{f}");
    assert_eq!(f["rowCount"], 1);
    eprintln!(
        "the other tenant's file was processed {:?} after the crafted ones",
        started.elapsed()
    );
    healthy(&api).await;

    let pdf = api.file_settled(&attacker, &pdf).await;
    assert_eq!(pdf["status"], "failed", "{pdf}");
    assert!(
        pdf["error"].as_str().unwrap().contains("draws itself"),
        "{}",
        pdf["error"]
    );
    let csv = api.file_settled(&attacker, &csv).await;
    assert!(
        csv["error"].as_str().unwrap().contains("30000 columns"),
        "{csv}"
    );
    let xlsx = api.file_settled(&attacker, &xlsx).await;
    assert!(
        xlsx["error"].as_str().unwrap().contains("16384 columns"),
        "{xlsx}"
    );
    // Found by fuzzing: a 600-byte PDF whose page is its own parent (the parser's stack overflowed).
    fails_with(
        &api,
        &attacker,
        "parent.pdf",
        "application/pdf",
        fixtures::pdf_page_parent_loop(),
        "page tree loops",
    )
    .await;
    // The same file again: the same clean failure, and the platform still answers.
    fails_with(
        &api,
        &attacker,
        "loop-again.pdf",
        "application/pdf",
        fixtures::pdf_self_drawing_xobject(),
        "draws itself",
    )
    .await;
    healthy(&api).await;
}

#[tokio::test]
async fn a_large_legal_csv_of_tiny_cells_is_processed_within_bounds() {
    // 200 columns × 10,000 rows of one-character cells (4 MB): rows stream to the output
    // instead of expanding thirtyfold in memory.
    let api = Api::new();
    let s = api.register("bigcsv").await;
    let mut csv = (0..200)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    let row = vec!["x"; 200].join(",") + "\n";
    for _ in 0..10_000 {
        csv.push_str(&row);
    }
    let id = api
        .upload(&s, "tiny-cells.csv", "text/csv", csv.into_bytes())
        .await;
    let mut f = Value::Null;
    for _ in 0..120 {
        f = api
            .get(&format!("/api/v1/files/{id}"), &s.access)
            .await
            .expect(200)
            .body;
        if matches!(f["status"].as_str(), Some("processed" | "failed")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(f["status"], "processed", "{f}");
    assert_eq!(f["rowCount"], 10_000);
    assert_eq!(f["preview"]["columns"].as_array().unwrap().len(), 200);
    assert_eq!(f["preview"]["rows"].as_array().unwrap().len(), 50);
}

// ---------- 3: the lockout holds against a burst ----------

#[tokio::test]
async fn the_right_password_sent_after_a_burst_of_wrong_ones_is_refused_and_the_lock_stays() {
    let api = Api::new();
    let s = api.register("lockburst").await;
    let wrong = join_all((0..40).map(|_| api.login(&s.email, "wrong password 1")));
    let right = async {
        // Sent while the wrong ones are still being checked.
        tokio::time::sleep(Duration::from_millis(300)).await;
        api.login(&s.email, PASSWORD).await
    };
    let (answers, right) = futures::join!(wrong, right);
    assert!(answers.iter().all(|r| r.status == 401 || r.status == 423));
    assert!(answers.iter().filter(|r| r.status == 401).count() <= 10);
    right.expect_problem(423, "account_locked");
    api.login(&s.email, PASSWORD)
        .await
        .expect_problem(423, "account_locked");
}

// ---------- 5: what a key starts stops with the key, and keys do not manage people ----------

#[tokio::test]
async fn a_workflow_saved_with_a_revoked_key_stops_running() {
    let api = Api::new();
    let c = api.connected("wfkey").await;
    let key = api
        .post(
            "/api/v1/api-keys",
            Some(&c.account.access),
            json!({"name": "automation", "role": "member"}),
        )
        .await
        .expect(201);
    let (secret, key_id) = (
        key.body["key"].as_str().unwrap().to_owned(),
        key.body["id"].as_str().unwrap().to_owned(),
    );
    let as_key = Account {
        access: secret.clone(),
        ..c.account.clone()
    };
    let wf = api
        .workflow(
            &as_key,
            json!({"name": "Key-made", "trigger": {"type": "manual"}, "steps": [
                {"id": "add", "type": "create_record", "input": {"base_id": c.base, "table": "People", "fields": {"Name": "by key"}}}]}),
        )
        .await;
    let id = wf["id"].as_str().unwrap();
    let run = api
        .run_finished(
            &c.account,
            &api.run_workflow(&c.account, id, json!({})).await,
        )
        .await;
    assert_eq!(run["status"], "succeeded", "{run}");

    api.delete(&format!("/api/v1/api-keys/{key_id}"), &c.account.access)
        .await
        .expect(204);
    let run = api
        .run_finished(
            &c.account,
            &api.run_workflow(&c.account, id, json!({})).await,
        )
        .await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        run_step(&run, "add")["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{run}"
    );
    assert_eq!(
        api.records(&c, "People").await.len(),
        1,
        "nothing written after the key was revoked"
    );
    // Saved again by a person, it runs as that person.
    let mut def = api
        .get(&format!("/api/v1/workflows/{id}"), &c.account.access)
        .await
        .expect(200)
        .body;
    def.as_object_mut()
        .unwrap()
        .retain(|k, _| ["name", "trigger", "steps"].contains(&k.as_str()));
    api.call(
        "PUT",
        &format!("/api/v1/workflows/{id}"),
        Some(&c.account.access),
        Some(def),
    )
    .await
    .expect(200);
    let run = api
        .run_finished(
            &c.account,
            &api.run_workflow(&c.account, id, json!({})).await,
        )
        .await;
    assert_eq!(run["status"], "succeeded", "{run}");
}

#[tokio::test]
async fn an_admin_key_cannot_invite_promote_or_remove_people() {
    let api = Api::new();
    let owner = api.register("keyadmin").await;
    let member = api.invite(&owner, "member").await;
    let key = api
        .post(
            "/api/v1/api-keys",
            Some(&owner.access),
            json!({"name": "ops", "role": "admin"}),
        )
        .await
        .expect(201);
    let key = key.body["key"].as_str().unwrap();
    api.post(
        "/api/v1/tenant/members",
        Some(key),
        json!({"email": tests::unique_email("viakey"), "role": "admin"}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.patch(
        &format!("/api/v1/tenant/members/{}", member.user_id),
        key,
        json!({"role": "admin"}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.delete(&format!("/api/v1/tenant/members/{}", member.user_id), key)
        .await
        .expect_problem(403, "forbidden");
    let members = api
        .get("/api/v1/tenant/members", &owner.access)
        .await
        .expect(200)
        .body;
    assert_eq!(members["members"].as_array().unwrap().len(), 2, "{members}");
    assert!(
        members["invitations"]
            .as_array()
            .is_none_or(|i| i.is_empty()),
        "{members}"
    );
}

// ---------- 6: exports cannot carry spreadsheet formulas ----------

#[tokio::test]
async fn exported_csv_cells_never_start_a_formula() {
    let api = Api::new();
    let c = api.connected("csvinject").await;
    let evil = [
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "+1+cmd|' /C calc'!A0",
        "@SUM(1)",
        "-2+3",
    ];
    let records: Vec<Value> = evil
        .iter()
        .map(|e| json!({"fields": {"Name": e}}))
        .collect();
    api.post(
        "/api/v1/records",
        Some(&c.account.access),
        json!({"baseId": c.base, "table": "People", "records": records}),
    )
    .await
    .expect(201);
    let wf = api
        .workflow(
            &c.account,
            json!({"name": "Export", "trigger": {"type": "manual"}, "steps": [
                {"id": "csv", "type": "export_table_csv", "input": {"base_id": c.base, "table": "People", "fields": ["Name"], "delivery": "text"}}]}),
        )
        .await;
    let run = api
        .run_finished(
            &c.account,
            &api.run_workflow(&c.account, wf["id"].as_str().unwrap(), json!({}))
                .await,
        )
        .await;
    let csv = run_step(&run, "csv")["output"]["csv"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut lines = csv
        .lines()
        .skip(1)
        .map(|l| l.trim_matches('"'))
        .collect::<Vec<_>>();
    lines.sort();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines.iter().all(|l| l.starts_with('\'')), "{csv}");
}

// ---------- 7, 8: a workflow reaches public addresses only ----------

async fn http_step_fails(api: &Api, s: &Account, url: &str) -> String {
    let wf = api
        .workflow(
            s,
            json!({"name": format!("Probe {url}"), "trigger": {"type": "manual"}, "steps": [
                {"id": "probe", "type": "http_request", "retry": {"attempts": 1}, "input": {"url": url}}]}),
        )
        .await;
    let run = api
        .run_finished(
            s,
            &api.run_workflow(s, wf["id"].as_str().unwrap(), json!({}))
                .await,
        )
        .await;
    assert_eq!(run["status"], "failed", "{url}: {run}");
    run_step(&run, "probe")["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn workflows_cannot_reach_the_aws_emulator_the_sandbox_or_the_api_itself() {
    let api = Api::new();
    let s = api.register("ssrflocal").await;
    let emulator = &stack().aws_endpoint;
    let targets = [
        format!("{emulator}/moto-api/data.json"),
        format!("{emulator}/?Action=ListSecrets"),
        format!("http://{}/v0/meta/bases", stack().sandbox),
        format!("http://{}/api/v1/health", stack().api),
        format!("http://localhost:{}/api/v1/health", stack().api.port()),
    ];
    for url in &targets {
        let why = http_step_fails(&api, &s, url).await;
        assert!(why.contains("not a public address"), "{url}: {why}");
    }
}

#[tokio::test]
async fn ipv6_forms_that_lead_back_to_private_addresses_are_refused() {
    let api = Api::new();
    let s = api.register("ssrfv6").await;
    let port = stack().api.port();
    for host in [
        "[::127.0.0.1]".to_owned(),
        "[::ffff:127.0.0.1]".to_owned(),
        "[64:ff9b::7f00:1]".to_owned(),
        "[2002:7f00:1::1]".to_owned(),
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]".to_owned(),
        "[fec0::1]".to_owned(),
        "[ff02::1]".to_owned(),
        "[::]".to_owned(),
        "0.0.0.0".to_owned(),
        "224.0.0.1".to_owned(),
    ] {
        let url = format!("http://{host}:{port}/api/v1/health");
        let why = http_step_fails(&api, &s, &url).await;
        assert!(why.contains("not a public address"), "{url}: {why}");
    }
}

// ---------- 9: revocation is immediate ----------

#[tokio::test]
async fn access_tokens_stop_working_at_once_after_logout_password_change_or_refresh_reuse() {
    let api = Api::new();
    let s = api.register("revoke").await;
    api.get("/api/v1/auth/me", &s.access).await.expect(200);
    api.call("POST", "/api/v1/auth/logout", Some(&s.access), None)
        .await
        .expect(204);
    api.get("/api/v1/auth/me", &s.access)
        .await
        .expect_problem(401, "unauthorized");

    let a = api.login(&s.email, PASSWORD).await.expect(200);
    let b = api.login(&s.email, PASSWORD).await.expect(200);
    let (a, b) = (
        Account::from_body(&a.body, &s.email),
        Account::from_body(&b.body, &s.email),
    );
    api.post(
        "/api/v1/auth/change-password",
        Some(&a.access),
        json!({"currentPassword": PASSWORD, "newPassword": "another good passphrase 9"}),
    )
    .await
    .expect(200);
    api.get("/api/v1/auth/me", &a.access).await.expect(200);
    api.get("/api/v1/auth/me", &b.access)
        .await
        .expect_problem(401, "unauthorized");

    let first = api
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refreshToken": a.refresh}),
        )
        .await
        .expect(200);
    let fresh = first.body["accessToken"].as_str().unwrap().to_owned();
    api.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refreshToken": a.refresh}),
    )
    .await
    .expect_problem(401, "unauthorized");
    api.get("/api/v1/auth/me", &fresh)
        .await
        .expect_problem(401, "unauthorized");
}

// ---------- 10: idempotency keys belong to their caller and their request ----------

#[tokio::test]
async fn an_idempotency_key_reused_for_another_table_or_caller_is_not_replayed() {
    let api = Api::new();
    let c = api.connected("idemscope").await;
    let created = api
        .post(
            "/api/v1/records",
            Some(&c.account.access),
            json!({"baseId": c.base, "table": "People", "records": [{"fields": {"Name": "x"}}]}),
        )
        .await
        .expect(201);
    let rec = created.body["records"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let delete = |table: &str| {
        api.http()
            .delete(api.url(&format!(
                "/api/v1/records/{rec}?baseId={}&table={table}",
                c.base
            )))
            .bearer_auth(&c.account.access)
            .header("idempotency-key", "delete-1")
    };
    let first = api.send(delete("People")).await.expect(200);
    assert_eq!(first.body["deleted"], true);
    api.send(delete("Other"))
        .await
        .expect_problem(409, "idempotency_key_reused");

    // A viewer presenting a member's key for a saga start is refused, not answered.
    let member = api.invite(&c.account, "member").await;
    let viewer = api.invite(&c.account, "viewer").await;
    let start = |who: &Account| {
        api.http()
            .post(api.url("/api/v1/saga/transaction"))
            .bearer_auth(&who.access)
            .header("idempotency-key", "saga-1")
            .json(&json!({"type": "bulk_update", "input": {"baseId": c.base, "table": "People", "filterByFormula": "FALSE()", "fields": {"Name": "y"}}}))
    };
    let mine = api.send(start(&member)).await;
    assert_eq!(mine.status, 202, "{}", mine.body);
    api.send(start(&viewer))
        .await
        .expect_problem(403, "forbidden");

    // Two users of one workspace sending the same key: two turns, not one user's answer twice.
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let marker = tests::scripted_llm::script(
        &tag,
        vec![
            tests::scripted_llm::text(|_| "first".into()),
            tests::scripted_llm::text(|_| "second".into()),
        ],
    );
    let ask = |who: &Account| {
        api.http()
            .post(api.url("/api/v1/chat"))
            .bearer_auth(&who.access)
            .header("idempotency-key", "chat-1")
            .json(&json!({"message": format!("{marker} what is new?")}))
    };
    let a = api.send(ask(&member)).await.expect(200);
    let b = api.send(ask(&viewer)).await.expect(200);
    assert_eq!(
        (a.body["reply"].as_str(), b.body["reply"].as_str()),
        (Some("first"), Some("second"))
    );
    assert_ne!(a.body["sessionId"], b.body["sessionId"]);
    assert_eq!(b.headers["idempotent-replayed"], "false");
}

// ---------- 11: workspace secrets ----------

#[tokio::test]
async fn workspace_secrets_are_write_only_sent_by_the_worker_and_masked_everywhere() {
    let api = Api::new();
    let owner = api.register("secrets").await;
    let member = api.invite(&owner, "member").await;
    let viewer = api.invite(&owner, "viewer").await;
    let value = format!("crm-token-{}", uuid::Uuid::new_v4().simple());
    let put = |who: &Account, v: &str| {
        let token = who.access.clone();
        let body = json!({"value": v});
        let api = &api;
        async move {
            api.call("PUT", "/api/v1/secrets/CRM_TOKEN", Some(&token), Some(body))
                .await
        }
    };
    put(&member, "nope-123456")
        .await
        .expect_problem(403, "forbidden");
    let key = api
        .post(
            "/api/v1/api-keys",
            Some(&owner.access),
            json!({"name": "k"}),
        )
        .await
        .expect(201);
    let as_key = Account {
        access: key.body["key"].as_str().unwrap().to_owned(),
        ..owner.clone()
    };
    put(&as_key, "nope-123456")
        .await
        .expect_problem(403, "forbidden");
    let created = put(&owner, &value).await.expect(201);
    assert!(!created.body.to_string().contains(&value));
    put(&owner, &value).await.expect(200);
    let listed = api
        .get("/api/v1/secrets", &viewer.access)
        .await
        .expect(200)
        .body;
    assert_eq!(listed["secrets"][0]["name"], "CRM_TOKEN");
    assert!(!listed.to_string().contains(&value));

    // An echo service on this machine (the stack allows it, and nothing else private).
    let echo = tests::targets::serve(
        &format!("echo-{}", uuid::Uuid::new_v4().simple()),
        axum::Router::new().route(
            "/",
            axum::routing::any(|headers: axum::http::HeaderMap| async move {
                axum::Json(json!({"authorization": headers.get("authorization").and_then(|v| v.to_str().ok())}))
            }),
        ),
    );
    let def = json!({"name": "Call the CRM", "trigger": {"type": "manual"}, "steps": [
        {"id": "call", "type": "http_request", "input": {"url": format!("{echo}/"), "headers": {"Authorization": "Bearer {{secrets.CRM_TOKEN}}"}}}]});
    let wf = api.workflow(&member, def).await;
    let run = api
        .run_finished(
            &member,
            &api.run_workflow(&member, wf["id"].as_str().unwrap(), json!({}))
                .await,
        )
        .await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let call = run_step(&run, "call");
    assert_eq!(
        call["output"]["body"]["authorization"], "Bearer ***",
        "the echoed value is scrubbed: {call}"
    );
    assert_eq!(call["input"]["headers"]["Authorization"], "***");
    assert!(!run.to_string().contains(&value));
    assert!(
        !tests::logs().contains(&value),
        "the secret never reaches the logs"
    );
    let shown = api
        .get(
            &format!("/api/v1/workflows/{}", wf["id"].as_str().unwrap()),
            &viewer.access,
        )
        .await
        .expect(200)
        .body;
    assert!(!shown.to_string().contains(&value));

    // Unknown names and secrets outside http_request are refused on save, with the path.
    let bad = json!({"name": "Leak", "trigger": {"type": "manual"}, "steps": [
        {"id": "call", "type": "http_request", "input": {"url": format!("{echo}/"), "headers": {"X-Key": "{{secrets.NOPE}}"}}},
        {"id": "log", "type": "log", "input": {"message": "{{secrets.CRM_TOKEN}}"}}]});
    let r = api
        .post("/api/v1/workflows", Some(&member.access), bad)
        .await
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(fields.contains(&"steps[1].input.message"), "{}", r.body);

    // Deleted, the step fails saying which secret is missing.
    api.delete("/api/v1/secrets/CRM_TOKEN", &owner.access)
        .await
        .expect(204);
    let run = api
        .run_finished(
            &member,
            &api.run_workflow(&member, wf["id"].as_str().unwrap(), json!({}))
                .await,
        )
        .await;
    assert_eq!(run["status"], "failed");
    assert!(
        run_step(&run, "call")["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CRM_TOKEN"),
        "{run}"
    );
}

// ---------- races ----------

#[tokio::test]
async fn two_refreshes_of_one_token_at_once_let_one_win_and_revoke_the_family() {
    let api = Api::new();
    let s = api.register("refreshrace").await;
    let refresh = || {
        api.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refreshToken": s.refresh}),
        )
    };
    let (a, b) = futures::join!(refresh(), refresh());
    let winners: Vec<&tests::Resp> = [&a, &b].into_iter().filter(|r| r.status == 200).collect();
    assert!(
        winners.len() <= 1,
        "a refresh token works once: {} / {}",
        a.body,
        b.body
    );
    assert!([&a, &b].iter().any(|r| r.status == 401));
    if let Some(w) = winners.first() {
        // The family is revoked: the winner's new pair is dead too.
        api.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refreshToken": w.body["refreshToken"]}),
        )
        .await
        .expect_problem(401, "unauthorized");
        api.get("/api/v1/auth/me", w.body["accessToken"].as_str().unwrap())
            .await
            .expect_problem(401, "unauthorized");
    }
}

#[tokio::test]
async fn two_writes_with_one_idempotency_key_at_once_write_once() {
    let api = Api::new();
    let c: Connected = api.connected("idemrace").await;
    let write = || {
        api.send(
            api.http()
                .post(api.url("/api/v1/records"))
                .bearer_auth(&c.account.access)
                .header("idempotency-key", "race-1")
                .json(&json!({"baseId": c.base, "table": "People", "records": [{"fields": {"Name": "once"}}]})),
        )
    };
    let answers = join_all((0..4).map(|_| write())).await;
    assert!(
        answers.iter().all(|r| r.status == 201 || r.status == 409),
        "{:?}",
        answers.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let records = api.records(&c, "People").await;
    assert_eq!(records.len(), 1, "{records:?}");
}

#[tokio::test]
async fn two_accepts_of_one_invitation_at_once_make_one_membership() {
    let api = Api::new();
    let owner = api.register("invrace").await;
    let guest = api.register("invguest").await;
    let inv = api
        .post(
            "/api/v1/tenant/members",
            Some(&owner.access),
            json!({"email": guest.email, "role": "member"}),
        )
        .await
        .expect(201);
    let token = inv.body["invitationToken"].as_str().unwrap().to_owned();
    let accept = || {
        api.post(
            "/api/v1/tenant/invitations/accept",
            Some(&guest.access),
            json!({"token": token}),
        )
    };
    let answers = join_all((0..3).map(|_| accept())).await;
    assert_eq!(
        answers.iter().filter(|r| r.status == 200).count(),
        1,
        "{:?}",
        answers
            .iter()
            .map(|r| (r.status, &r.body))
            .collect::<Vec<_>>()
    );
    let members = api
        .get("/api/v1/tenant/members", &owner.access)
        .await
        .expect(200)
        .body;
    let theirs = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["userId"] == guest.user_id.as_str())
        .count();
    assert_eq!(theirs, 1, "{members}");
}
