//! Every operation of the OpenAPI document (`docs/openapi.json`, generated from the code), called
//! by someone who must not reach what it names: another tenant's owner with the first tenant's
//! ids, and — for every write — the first tenant's viewer. The list of operations comes from the
//! document, so a new route is covered (or this test fails asking for its case) the day it
//! appears.

use std::collections::HashMap;

use serde_json::{Value, json};
use tests::{Account, Api, Connected};

/// Operations anyone may call, or that act on the caller alone (no id of anyone else in them).
const SELF_ONLY: &[&str] = &[
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/change-password",
    "PATCH /api/v1/auth/me",
    "GET /api/v1/health",
    "GET /api/v1/health/ready",
    // Another tenant's connection calls would only change the caller's own tenant (and break the
    // caller's later calls, which must be refused for the right reason).
    "PUT /api/v1/connections/airtable",
    "DELETE /api/v1/connections/airtable",
];

/// Writes a viewer may make: chatting (read-only tools), checking a definition, accepting an
/// invitation addressed to them, a signed webhook (no role at all), and their own account.
const VIEWER_WRITES: &[&str] = &[
    "POST /api/v1/chat",
    "POST /api/v1/chat/stream",
    "DELETE /api/v1/chat/sessions/{id}",
    "POST /api/v1/workflows/validate",
    "POST /api/v1/tenant/invitations/accept",
    "POST /api/v1/hooks/{workflowId}",
    "POST /api/v1/auth/switch",
];

/// The first tenant and one object of every kind it owns.
struct Victim {
    c: Connected,
    viewer: Account,
    member_id: String,
    record: String,
    field: String,
    workflow: String,
    execution: String,
    file: String,
    saga: String,
    chat: String,
    key: String,
    invitation: String,
    invitation_token: String,
}

impl Victim {
    async fn new(api: &Api) -> Self {
        let c = api.connected("victim").await;
        let s = &c.account;
        let viewer = api.invite(s, "viewer").await;
        let member = api.invite(s, "member").await;
        let rec = api
            .post(
                "/api/v1/records",
                Some(&s.access),
                json!({"baseId": c.base, "table": "People", "records": [{"fields": {"Name": "Victim record"}}]}),
            )
            .await
            .expect(201);
        let tables = api
            .get(&format!("/api/v1/tables?baseId={}", c.base), &s.access)
            .await
            .expect(200)
            .body;
        let workflow = api
            .workflow(s, json!({"name": "victim-private-workflow", "trigger": {"type": "manual"}, "steps": [{"id": "l", "type": "log", "input": {"message": "hi"}}]}))
            .await;
        let workflow = workflow["id"].as_str().unwrap().to_owned();
        let execution = api.run_workflow(s, &workflow, json!({})).await;
        api.run_finished(s, &execution).await;
        let file = api
            .upload(
                s,
                "victim-private.csv",
                "text/csv",
                b"Name\nVictim\n".to_vec(),
            )
            .await;
        api.file_settled(s, &file).await;
        let saga = api
            .post(
                "/api/v1/saga/transaction",
                Some(&s.access),
                json!({"type": "bulk_update", "input": {"baseId": c.base, "table": "People", "filterByFormula": "FALSE()", "fields": {"Name": "x"}}}),
            )
            .await
            .expect(202);
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let marker = tests::scripted_llm::script(
            &tag,
            vec![tests::scripted_llm::text(|_| "victim answer".into())],
        );
        let chat = api
            .post(
                "/api/v1/chat",
                Some(&s.access),
                json!({"message": format!("{marker} victim question")}),
            )
            .await
            .expect(200);
        let key = api
            .post(
                "/api/v1/api-keys",
                Some(&s.access),
                json!({"name": "victim-key"}),
            )
            .await
            .expect(201);
        let inv = api
            .post(
                "/api/v1/tenant/members",
                Some(&s.access),
                json!({"email": tests::unique_email("pending"), "role": "admin"}),
            )
            .await
            .expect(201);
        api.call(
            "PUT",
            "/api/v1/secrets/VICTIM_SECRET",
            Some(&s.access),
            Some(json!({"value": "victim-secret-value"})),
        )
        .await
        .expect(201);
        Victim {
            record: rec.body["records"][0]["id"].as_str().unwrap().to_owned(),
            field: tables["tables"][0]["fields"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            workflow,
            execution,
            file,
            saga: saga.body["transactionId"].as_str().unwrap().to_owned(),
            chat: chat.body["sessionId"].as_str().unwrap().to_owned(),
            key: key.body["id"].as_str().unwrap().to_owned(),
            invitation: inv.body["invitation"]["id"].as_str().unwrap().to_owned(),
            invitation_token: inv.body["invitationToken"].as_str().unwrap().to_owned(),
            member_id: member.user_id,
            viewer,
            c,
        }
    }

    /// Strings that must never appear in an answer to someone outside the tenant.
    fn markers(&self) -> Vec<String> {
        let s = &self.c.account;
        [
            &self.c.base,
            &self.record,
            &self.workflow,
            &self.execution,
            &self.file,
            &self.saga,
            &self.chat,
            &self.key,
            &self.invitation,
            &self.member_id,
            &s.tenant_id,
            &s.user_id,
            &s.email,
        ]
        .iter()
        .map(|m| m.to_string())
        // Secret names are each tenant's own namespace (another tenant may have one of the same
        // name); the value is what must never cross.
        .chain(
            [
                "victim-private-workflow",
                "victim-private.csv",
                "Victim record",
                "victim answer",
                "victim-secret-value",
            ]
            .map(String::from),
        )
        .collect()
    }

    /// The concrete request of an operation: its path with this tenant's ids, and a valid body.
    fn request(&self, method: &str, template: &str) -> (String, Option<Value>) {
        let (base, table, rec) = (&self.c.base, &self.c.table, &self.record);
        let id = if template.starts_with("/api/v1/chat/") {
            &self.chat
        } else if template.starts_with("/api/v1/files/") {
            &self.file
        } else if template.starts_with("/api/v1/saga/") {
            &self.saga
        } else {
            &self.workflow
        };
        let params: HashMap<&str, &str> = HashMap::from([
            ("{keyId}", self.key.as_str()),
            ("{id}", id.as_str()),
            ("{executionId}", self.execution.as_str()),
            ("{recordId}", rec.as_str()),
            ("{tableId}", table.as_str()),
            ("{fieldId}", self.field.as_str()),
            ("{invitationId}", self.invitation.as_str()),
            ("{userId}", self.member_id.as_str()),
            ("{name}", "VICTIM_SECRET"),
            ("{workflowId}", self.workflow.as_str()),
        ]);
        let mut path = template.to_owned();
        for (k, v) in &params {
            path = path.replace(k, v);
        }
        let query = match (method, template) {
            ("GET", "/api/v1/records" | "/api/v1/records/{recordId}")
            | ("DELETE", "/api/v1/records/{recordId}") => {
                format!("?baseId={base}&table={table}")
            }
            ("DELETE", "/api/v1/records") => format!("?baseId={base}&table={table}&ids={rec}"),
            ("GET", "/api/v1/tables") => format!("?baseId={base}"),
            ("GET", "/api/v1/analytics/usage") => format!("?userId={}", self.c.account.user_id),
            _ => String::new(),
        };
        let definition = json!({"name": "Intruder", "trigger": {"type": "manual"}, "steps": [{"id": "l", "type": "log", "input": {"message": "x"}}]});
        let records = json!({"baseId": base, "table": table, "records": [{"id": rec, "fields": {"Name": "pwned"}}]});
        let body = match (method, template) {
            ("POST", "/api/v1/api-keys") => json!({"name": "intruder", "role": "viewer"}),
            ("POST", "/api/v1/auth/switch") => json!({"tenantId": self.c.account.tenant_id}),
            ("PUT", "/api/v1/budgets") => json!({"tenantMonthlyUsd": 0.01}),
            ("POST", "/api/v1/chat" | "/api/v1/chat/stream") => {
                json!({"message": "what does the victim have?", "baseId": base})
            }
            ("POST", "/api/v1/files/upload") => {
                json!({"filename": "x.csv", "contentType": "text/csv", "size": 10})
            }
            ("POST", "/api/v1/files/{id}/import") => {
                json!({"baseId": base, "table": "People", "mapping": {"Name": "Name"}})
            }
            ("POST", "/api/v1/hooks/{workflowId}") => json!({"hello": "world"}),
            ("PUT" | "PATCH", "/api/v1/records") => records,
            ("POST", "/api/v1/records") => {
                json!({"baseId": base, "table": table, "records": [{"fields": {"Name": "pwned"}}]})
            }
            ("PATCH", "/api/v1/records/{recordId}") => {
                json!({"baseId": base, "table": table, "fields": {"Name": "pwned"}})
            }
            ("POST", "/api/v1/saga/transaction") => {
                json!({"type": "bulk_update", "input": {"baseId": base, "table": "People", "recordIds": [rec], "fields": {"Name": "pwned"}}})
            }
            ("PUT", "/api/v1/secrets/{name}") => json!({"value": "overwritten-by-intruder"}),
            ("PUT", "/api/v1/connections/airtable") => {
                json!({"token": tests::sandbox::DEFAULT_TOKEN})
            }
            ("POST", "/api/v1/tables") => {
                json!({"baseId": base, "name": "Pwned", "fields": [{"name": "Name", "type": "singleLineText"}]})
            }
            ("POST", "/api/v1/tables/{tableId}/fields") => {
                json!({"baseId": base, "name": "Pwned", "type": "singleLineText"})
            }
            ("PATCH", "/api/v1/tables/{tableId}/fields/{fieldId}") => {
                json!({"baseId": base, "name": "Pwned"})
            }
            ("PATCH", "/api/v1/tenant") => json!({"name": "Pwned"}),
            ("POST", "/api/v1/tenant/invitations/accept") => {
                json!({"token": self.invitation_token})
            }
            ("POST", "/api/v1/tenant/members") => {
                json!({"email": "intruder@example.com", "role": "admin"})
            }
            ("PATCH", "/api/v1/tenant/members/{userId}") => json!({"role": "admin"}),
            ("POST", "/api/v1/workflows" | "/api/v1/workflows/validate")
            | ("PUT", "/api/v1/workflows/{id}") => definition,
            ("POST", "/api/v1/workflows/{id}/trigger") => json!({"data": {}}),
            ("POST", _) | ("PUT", _) | ("PATCH", _) => json!({}),
            _ => return (format!("{path}{query}"), None),
        };
        (format!("{path}{query}"), Some(body))
    }

    /// What the tenant holds, read by its owner: must be the same after the intruders.
    async fn snapshot(&self, api: &Api) -> Value {
        let t = &self.c.account.access;
        let get = |p: String| async move { api.get(&p, t).await.expect(200).body };
        let mut workflows = get("/api/v1/workflows".into()).await;
        for w in workflows["workflows"].as_array_mut().into_iter().flatten() {
            // Counters move when a run ends; what an intruder could change is the rest.
            w.as_object_mut().unwrap().remove("stats");
        }
        let records: Vec<Value> = api
            .records(&self.c, "People")
            .await
            .iter()
            .map(|r| json!([r["id"], r["fields"]]))
            .collect();
        let tables: Vec<Value> =
            get(format!("/api/v1/tables?baseId={}", self.c.base)).await["tables"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| json!([t["name"], t["fields"].as_array().map(Vec::len)]))
                .collect();
        let mut secrets = get("/api/v1/secrets".into()).await;
        json!({
            "records": records,
            "tables": tables,
            "workflows": workflows.take(),
            "members": get("/api/v1/tenant/members".into()).await,
            "tenant": get("/api/v1/tenant".into()).await,
            "keys": get("/api/v1/api-keys".into()).await,
            "secrets": secrets.take(),
            "files": get("/api/v1/files".into()).await["files"].as_array().map(|f| f.iter().map(|f| json!([f["id"], f["status"]])).collect::<Vec<_>>()),
            "sagas": get("/api/v1/saga/transactions".into()).await["transactions"].as_array().map(|s| s.iter().map(|s| s["id"].clone()).collect::<Vec<_>>()),
            "chats": get("/api/v1/chat/sessions".into()).await["sessions"].as_array().map(|s| s.iter().map(|s| s["id"].clone()).collect::<Vec<_>>()),
            "budgets": get("/api/v1/budgets".into()).await["limits"],
            "connection": get("/api/v1/connections/airtable".into()).await["status"],
        })
    }
}

fn operations() -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(include_str!("../../docs/openapi.json"))
        .expect("the OpenAPI document");
    let mut ops = Vec::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for method in methods.as_object().unwrap().keys() {
            ops.push((method.to_uppercase(), path.clone()));
        }
    }
    // Deletions last: what they would remove is still there for every other operation.
    ops.sort_by_key(|(m, _)| m == "DELETE");
    ops
}

#[tokio::test]
async fn every_operation_refuses_another_tenant_and_every_write_refuses_a_viewer() {
    let api = Api::new();
    let victim = Victim::new(&api).await;
    let intruder = api.connected("intruder").await;
    let markers = victim.markers();
    let before = victim.snapshot(&api).await;
    let ops = operations();
    assert!(
        ops.len() >= 70,
        "the document lists {} operations",
        ops.len()
    );

    let mut failures = Vec::new();
    for (method, template) in &ops {
        let name = format!("{method} {template}");
        if SELF_ONLY.contains(&name.as_str()) {
            continue;
        }
        let (path, body) = victim.request(method, template);
        let names_victim = markers.iter().any(|m| {
            path.contains(m.as_str())
                || body
                    .as_ref()
                    .is_some_and(|b| b.to_string().contains(m.as_str()))
        });
        let r = api
            .call(method, &path, Some(&intruder.account.access), body)
            .await;
        let text = r.body.to_string();
        if let Some(m) = markers.iter().find(|m| text.contains(m.as_str())) {
            failures.push(format!(
                "{name} as another tenant: the answer holds the victim's {m:?} ({})",
                r.status
            ));
        }
        if names_victim && !(400..500).contains(&r.status) {
            failures.push(format!(
                "{name} as another tenant with the victim's ids: {} {text:.200}",
                r.status
            ));
        }
    }
    for (method, template) in ops.iter().filter(|(m, _)| m != "GET") {
        let name = format!("{method} {template}");
        if SELF_ONLY.contains(&name.as_str()) && !name.contains("connections")
            || VIEWER_WRITES.contains(&name.as_str())
        {
            continue;
        }
        let (path, body) = victim.request(method, template);
        let r = api
            .call(method, &path, Some(&victim.viewer.access), body)
            .await;
        if r.status != 403 {
            failures.push(format!(
                "{name} as a viewer: {} {:.200}",
                r.status,
                r.body.to_string()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} operations reached what they must not:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        victim.snapshot(&api).await,
        before,
        "the victim's workspace changed"
    );
}
