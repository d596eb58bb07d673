//! The sandbox Airtable, driven over HTTP like any Airtable client would: it must behave like the
//! Web API in every point the platform relies on.

use std::time::Duration;

use serde_json::{Value, json};
use tests::stack;

struct Airtable {
    base: String,
    http: reqwest::Client,
    token: String,
    /// Calls are spaced ≥ 220 ms apart so that tests stay under 5 requests/s per base (except
    /// where a test means to exceed it, with `burst`).
    last: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Airtable {
    fn new() -> Self {
        Self {
            base: format!("http://{}", stack().sandbox),
            http: reqwest::Client::new(),
            token: local::sandbox::DEFAULT_TOKEN.into(),
            last: Default::default(),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let wait = self
            .last
            .lock()
            .unwrap()
            .map(|t| Duration::from_millis(220).saturating_sub(t.elapsed()))
            .unwrap_or_default();
        tokio::time::sleep(wait).await;
        *self.last.lock().unwrap() = Some(std::time::Instant::now());
        self.burst(method, path, body).await
    }

    async fn burst(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{}", self.base, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A fresh base with one table `People` (Name, Age, Tags, Status, Done).
    async fn fresh_base(&self) -> (String, String) {
        let body = json!({"name": "test", "tables": [{"name": "People", "fields": [
            {"name": "Name", "type": "singleLineText"},
            {"name": "Age", "type": "number", "options": {"precision": 0}},
            {"name": "Status", "type": "singleSelect", "options": {"choices": [{"name": "New"}, {"name": "Done"}]}},
            {"name": "Done", "type": "checkbox"},
            {"name": "Email", "type": "email"}
        ]}]});
        let res: Value = self
            .http
            .post(format!("{}/_sandbox/bases", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            res["id"].as_str().unwrap().to_owned(),
            res["tables"][0]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// Creates `n` records named `P000…`, 10 per request, pacing to stay under 5 requests/s.
    async fn seed(&self, base: &str, n: usize) {
        let rows: Vec<Value> = (0..n)
            .map(|i| json!({"fields": {"Name": format!("P{i:03}"), "Age": i % 50}}))
            .collect();
        for chunk in rows.chunks(10) {
            let (s, b) = self
                .call(
                    "POST",
                    &format!("/v0/{base}/People"),
                    Some(json!({"records": chunk})),
                )
                .await;
            assert_eq!(s, 200, "{b}");
        }
    }
}

#[tokio::test]
async fn tokens_bases_and_routes_fail_the_way_airtable_fails() {
    let at = Airtable::new();
    let (base, _) = at.fresh_base().await;
    let anon = at
        .http
        .get(format!("{}/v0/{base}/People", at.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
    assert_eq!(
        anon.json::<Value>().await.unwrap()["error"]["type"],
        "AUTHENTICATION_REQUIRED"
    );
    let (s, b) = at.call("GET", "/v0/appNope0000000000/People", None).await;
    assert_eq!(
        (s, b["error"]["type"].as_str()),
        (403, Some("INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"))
    );
    let (s, b) = at
        .call("GET", &format!("/v0/{base}/NoSuchTable"), None)
        .await;
    assert_eq!(
        (s, b["error"]["type"].as_str()),
        (403, Some("INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"))
    );
    let (s, b) = at.call("GET", "/v1/whatever", None).await;
    assert_eq!((s, b), (404, json!({"error": "NOT_FOUND"})));
}

#[tokio::test]
async fn the_meta_api_lists_bases_and_schemas_and_creates_tables_and_fields() {
    let at = Airtable::new();
    let (s, who) = at.call("GET", "/v0/meta/whoami", None).await;
    assert_eq!(s, 200);
    assert!(
        who["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "data.records:write")
    );
    let (_, bases) = at.call("GET", "/v0/meta/bases", None).await;
    let demo = bases["bases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Demo CRM")
        .expect("the demo base is seeded")
        .clone();
    let (_, schema) = at
        .call(
            "GET",
            &format!("/v0/meta/bases/{}/tables", demo["id"].as_str().unwrap()),
            None,
        )
        .await;
    let contacts = schema["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Contacts")
        .unwrap();
    assert_eq!(contacts["primaryFieldId"], contacts["fields"][0]["id"]);
    assert_eq!(contacts["views"][0]["type"], "grid");

    let (base, _) = at.fresh_base().await;
    let (s, t) = at
        .call(
            "POST",
            &format!("/v0/meta/bases/{base}/tables"),
            Some(json!({"name": "Tasks", "fields": [{"name": "Title", "type": "singleLineText"}]})),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    assert!(t["id"].as_str().unwrap().starts_with("tbl"));
    let (s, dup) = at
        .call(
            "POST",
            &format!("/v0/meta/bases/{base}/tables"),
            Some(json!({"name": "tasks", "fields": [{"name": "X", "type": "singleLineText"}]})),
        )
        .await;
    assert_eq!(
        (s, dup["error"]["type"].as_str()),
        (422, Some("DUPLICATE_TABLE_NAME"))
    );
    let tid = t["id"].as_str().unwrap();
    let (s, f) = at
        .call(
            "POST",
            &format!("/v0/meta/bases/{base}/tables/{tid}/fields"),
            Some(json!({"name": "Due", "type": "date"})),
        )
        .await;
    assert_eq!(s, 200, "{f}");
    let fid = f["id"].as_str().unwrap();
    let (s, f) = at
        .call(
            "PATCH",
            &format!("/v0/meta/bases/{base}/tables/{tid}/fields/{fid}"),
            Some(json!({"name": "Due date", "description": "when"})),
        )
        .await;
    assert_eq!(
        (s, f["name"].as_str(), f["description"].as_str()),
        (200, Some("Due date"), Some("when"))
    );
}

#[tokio::test]
async fn writes_are_batches_of_at_most_ten_and_all_or_nothing() {
    let at = Airtable::new();
    let (base, _) = at.fresh_base().await;
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"fields": {"Name": format!("x{i}")}}))
        .collect();
    let (s, b) = at
        .call(
            "POST",
            &format!("/v0/{base}/People"),
            Some(json!({"records": eleven})),
        )
        .await;
    assert_eq!(
        (s, b["error"]["type"].as_str()),
        (422, Some("INVALID_RECORDS"))
    );
    let (s, b) = at
        .call(
            "POST",
            &format!("/v0/{base}/People"),
            Some(json!({"records": [{"fields": {"Name": "ok"}}, {"fields": {"Nope": 1}}]})),
        )
        .await;
    assert_eq!(
        (s, b["error"]["type"].as_str()),
        (422, Some("UNKNOWN_FIELD_NAME"))
    );
    let (s, b) = at
        .call(
            "POST",
            &format!("/v0/{base}/People"),
            Some(json!({"records": [{"fields": {"Age": "ten"}}]})),
        )
        .await;
    assert_eq!(
        (s, b["error"]["type"].as_str()),
        (422, Some("INVALID_VALUE_FOR_COLUMN"))
    );
    let (_, list) = at.call("GET", &format!("/v0/{base}/People"), None).await;
    assert_eq!(
        list["records"].as_array().unwrap().len(),
        0,
        "nothing of a failed batch was written"
    );
}

#[tokio::test]
async fn listing_pages_by_100_with_offsets_and_filters_sorts_and_projects() {
    let at = Airtable::new();
    let (base, table) = at.fresh_base().await;
    at.seed(&base, 250).await;
    let mut seen = Vec::new();
    let mut offset: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = offset
            .as_ref()
            .map(|o| format!("?offset={}", urlencode(o)))
            .unwrap_or_default();
        let (s, page) = at
            .call("GET", &format!("/v0/{base}/{table}{q}"), None)
            .await;
        assert_eq!(s, 200, "{page}");
        pages += 1;
        seen.extend(
            page["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["fields"]["Name"].as_str().unwrap().to_owned()),
        );
        match page["offset"].as_str() {
            Some(o) => offset = Some(o.to_owned()),
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 250));
    let (s, b) = at
        .call(
            "GET",
            &format!("/v0/{base}/People?offset=itrBogus/recBogus"),
            None,
        )
        .await;
    assert_eq!(
        (s, b["error"]["type"].as_str()),
        (422, Some("LIST_RECORDS_ITERATOR_NOT_AVAILABLE"))
    );

    let q = format!(
        "?filterByFormula={}&sort%5B0%5D%5Bfield%5D=Name&sort%5B0%5D%5Bdirection%5D=desc&fields%5B%5D=Name&maxRecords=3",
        urlencode("AND({Age} = 7, FIND('P', Name))")
    );
    let (s, page) = at.call("GET", &format!("/v0/{base}/People{q}"), None).await;
    assert_eq!(s, 200, "{page}");
    let names: Vec<&str> = page["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["fields"]["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["P207", "P157", "P107"]);
    assert!(
        page["records"][0]["fields"].get("Age").is_none(),
        "only projected fields"
    );

    let (s, page) = at
        .call(
            "POST",
            &format!("/v0/{base}/People/listRecords"),
            Some(json!({"filterByFormula": "{Age} >= 48", "pageSize": 2, "returnFieldsByFieldId": true})),
        )
        .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["records"].as_array().unwrap().len(), 2);
    assert!(page["offset"].is_string());
    assert!(
        page["records"][0]["fields"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| k.starts_with("fld"))
    );
    let (s, b) = at
        .call(
            "GET",
            &format!(
                "/v0/{base}/People?filterByFormula={}",
                urlencode("{Nope} = 1")
            ),
            None,
        )
        .await;
    assert_eq!(
        (s, b["error"]["type"].as_str()),
        (422, Some("INVALID_FILTER_BY_FORMULA"))
    );
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn patch_merges_put_replaces_typecast_converts_and_upsert_reports_both() {
    let at = Airtable::new();
    let (base, _) = at.fresh_base().await;
    let p = format!("/v0/{base}/People");
    let (_, r) = at
        .call(
            "POST",
            &p,
            Some(json!({"fields": {"Name": "Ada", "Age": 36, "Done": true}})),
        )
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("rec") && r["createdTime"].is_string());
    let (_, r) = at
        .call(
            "PATCH",
            &format!("{p}/{id}"),
            Some(json!({"fields": {"Age": 37}})),
        )
        .await;
    assert_eq!(r["fields"], json!({"Name": "Ada", "Age": 37, "Done": true}));
    let (_, r) = at
        .call(
            "PUT",
            &format!("{p}/{id}"),
            Some(json!({"fields": {"Name": "Ada L"}})),
        )
        .await;
    assert_eq!(r["fields"], json!({"Name": "Ada L"}));

    let (s, b) = at
        .call(
            "PATCH",
            &format!("{p}/{id}"),
            Some(json!({"fields": {"Status": "Blocked"}})),
        )
        .await;
    assert_eq!(
        (s, b["error"]["type"].as_str()),
        (422, Some("INVALID_MULTIPLE_CHOICE_OPTIONS"))
    );
    let (s, r) = at
        .call(
            "PATCH",
            &format!("{p}/{id}"),
            Some(json!({"fields": {"Status": "Blocked", "Age": "41"}, "typecast": true})),
        )
        .await;
    assert_eq!(
        (s, &r["fields"]["Status"], &r["fields"]["Age"]),
        (200, &json!("Blocked"), &json!(41))
    );

    let body = json!({"performUpsert": {"fieldsToMergeOn": ["Name"]}, "records": [{"fields": {"Name": "Ada L", "Age": 50}}, {"fields": {"Name": "Grace", "Age": 85}}]});
    let (s, r) = at.call("PATCH", &p, Some(body)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["updatedRecords"], json!([id]));
    assert_eq!(r["createdRecords"].as_array().unwrap().len(), 1);

    at.call("POST", &p, Some(json!({"fields": {"Name": "Grace"}})))
        .await;
    let (s, r) = at
        .call("PATCH", &p, Some(json!({"performUpsert": {"fieldsToMergeOn": ["Name"]}, "records": [{"fields": {"Name": "Grace"}}]})))
        .await;
    assert_eq!(
        (s, r["error"]["type"].as_str()),
        (422, Some("INVALID_RECORDS")),
        "two records match"
    );
    let (_, list) = at.call("GET", &p, None).await;
    let ids: Vec<String> = list["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let q: String = ids
        .iter()
        .map(|i| format!("records%5B%5D={i}"))
        .collect::<Vec<_>>()
        .join("&");
    let (s, r) = at.call("DELETE", &format!("{p}?{q}"), None).await;
    assert_eq!((s, r["records"].as_array().unwrap().len()), (200, 3));
    let (s, r) = at.call("GET", &format!("{p}/{id}"), None).await;
    assert_eq!(
        (s, r["error"]["type"].as_str()),
        (404, Some("MODEL_ID_NOT_FOUND"))
    );
}

#[tokio::test]
async fn a_sixth_request_in_a_second_is_429_and_the_base_stays_locked_for_the_penalty() {
    let at = Airtable::new();
    let (base, _) = at.fresh_base().await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(at.burst("GET", &format!("/v0/{base}/People"), None).await);
    }
    assert_eq!(
        statuses.iter().map(|s| s.0).collect::<Vec<_>>(),
        [200, 200, 200, 200, 200, 429]
    );
    assert_eq!(statuses[5].1["errors"][0]["error"], "RATE_LIMIT_REACHED");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        at.burst("GET", &format!("/v0/{base}/People"), None).await.0,
        429,
        "still in the penalty"
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        at.burst("GET", &format!("/v0/{base}/People"), None).await.0,
        200,
        "the (test-shortened) penalty is over"
    );
    let stats: Value = at
        .http
        .get(format!("{}/_sandbox/stats", at.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["bases"][&base]["maxRequestsInAnySecond"], 6);
    assert_eq!(stats["bases"][&base]["rateLimited"], 2);
}

#[tokio::test]
async fn injected_faults_answer_503_and_change_nothing() {
    let at = Airtable::new();
    let (base, _) = at.fresh_base().await;
    at.http
        .post(format!("{}/_sandbox/config", at.base))
        .json(&json!({"base": base, "faultRate": 1.0}))
        .send()
        .await
        .unwrap();
    let (s, _) = at
        .call(
            "POST",
            &format!("/v0/{base}/People"),
            Some(json!({"fields": {"Name": "lost?"}})),
        )
        .await;
    assert_eq!(s, 503);
    at.http
        .post(format!("{}/_sandbox/config", at.base))
        .json(&json!({"base": base, "faultRate": 0.0}))
        .send()
        .await
        .unwrap();
    let (_, list) = at.call("GET", &format!("/v0/{base}/People"), None).await;
    assert_eq!(list["records"].as_array().unwrap().len(), 0);
}
