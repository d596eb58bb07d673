//! The MCP server (`POST /mcp`) over HTTP, as MCP clients of both protocol eras speak it: the
//! 2025-11-25 handshake (`initialize` → `notifications/initialized` → requests with
//! `MCP-Protocol-Version`) and 2026-07-28 (no handshake; `_meta` and `Mcp-Method`/`Mcp-Name`
//! on every request). Every tool runs against the sandbox Airtable: its happy path and its main
//! failure, in both eras.

use serde_json::{Value, json};
use tests::{Api, Connected, sandbox};

const LEGACY: &str = "2025-11-25";
const CURRENT: &str = "2026-07-28";

/// A client of one protocol era with one bearer token.
struct Mcp {
    api: Api,
    token: String,
    version: &'static str,
    next_id: std::sync::atomic::AtomicU64,
}

impl Mcp {
    /// Connects as a client of `version` would: the legacy era starts with the handshake.
    async fn connect(token: &str, version: &'static str) -> Self {
        let mcp = Self {
            api: Api::new(),
            token: token.to_owned(),
            version,
            next_id: 1.into(),
        };
        if version == LEGACY {
            let init = mcp
                .post(
                    json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                    "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "tests", "version": "1"}}}),
                    None,
                )
                .await;
            assert_eq!(init.0, 200, "{init:?}");
            assert_eq!(init.1["result"]["protocolVersion"], LEGACY);
            assert!(
                init.1["result"]["capabilities"]["tools"].is_object(),
                "{init:?}"
            );
            let note = mcp
                .post(
                    json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                    None,
                )
                .await;
            assert_eq!(note.0, 202, "a notification is accepted with no body");
        }
        mcp
    }

    /// Sends one JSON-RPC message; `name` is the tool (for the 2026 `Mcp-Name` header).
    /// The request of one JSON-RPC message as a client of this era sends it: the headers, and in
    /// the 2026 era the `_meta` envelope on requests and `Mcp-Method`/`Mcp-Name`.
    fn request_for(&self, msg: &mut Value, name: Option<&str>) -> reqwest::RequestBuilder {
        let method = msg["method"].as_str().unwrap_or("").to_owned();
        let mut req = self
            .api
            .http()
            .post(self.api.url("/mcp"))
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json");
        if method != "initialize" {
            req = req.header("mcp-protocol-version", self.version);
        }
        if self.version == CURRENT {
            req = req.header("mcp-method", &method);
            if let Some(n) = name {
                req = req.header("mcp-name", n);
            }
            if msg.get("id").is_some() {
                let params = msg
                    .as_object_mut()
                    .unwrap()
                    .entry("params")
                    .or_insert_with(|| json!({}));
                let meta = params
                    .as_object_mut()
                    .unwrap()
                    .entry("_meta")
                    .or_insert_with(|| json!({}));
                meta["io.modelcontextprotocol/protocolVersion"] = json!(CURRENT);
                meta["io.modelcontextprotocol/clientCapabilities"] = json!({});
                meta["io.modelcontextprotocol/clientInfo"] =
                    json!({"name": "tests", "version": "1"});
            }
        }
        req.json(msg)
    }

    async fn post(&self, mut msg: Value, name: Option<&str>) -> (u16, Value) {
        let req = self.request_for(&mut msg, name);
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Sends a request and reads its answer as a stream: the server answers with SSE once it
    /// has a notification to send first. `on_event` sees each message as it arrives (and may
    /// act, e.g. cancel); returns the notifications and the response.
    async fn stream<F, Fut>(
        &self,
        id: u64,
        method: &str,
        params: Value,
        name: Option<&str>,
        mut on_event: F,
    ) -> (Vec<Value>, Value)
    where
        F: FnMut(Value) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let mut res = self.request_for(&mut msg, name).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let sse = res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream");
        if !sse {
            return (Vec::new(), res.json().await.unwrap());
        }
        let (mut buffer, mut notes) = (String::new(), Vec::new());
        while let Some(chunk) = res.chunk().await.unwrap() {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                let Ok(message) = serde_json::from_str::<Value>(&data) else {
                    continue;
                };
                if message.get("id") == Some(&json!(id)) {
                    return (notes, message);
                }
                notes.push(message.clone());
                on_event(message).await;
            }
        }
        panic!("the stream ended without a response; notifications: {notes:?}");
    }

    async fn request(&self, method: &str, params: Value, name: Option<&str>) -> Value {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (status, body) = self
            .post(
                json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
                name,
            )
            .await;
        assert_eq!(status, 200, "{method}: {body}");
        assert_eq!(body["id"], id);
        body
    }

    async fn tools(&self) -> Vec<Value> {
        let body = self.request("tools/list", json!({}), None).await;
        body["result"]["tools"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("{body}"))
    }

    /// Calls a tool; returns (isError, its JSON): on success `structuredContent` (checked to be
    /// mirrored in the text content), on error the text content only (no `structuredContent`,
    /// which clients validate against the output schema).
    async fn call(&self, name: &str, args: Value) -> (bool, Value) {
        let body = self
            .request(
                "tools/call",
                json!({"name": name, "arguments": args}),
                Some(name),
            )
            .await;
        let result = &body["result"];
        assert!(result.is_object(), "{name}: {body}");
        let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap_or(""))
            .unwrap_or(Value::Null);
        let is_error = result["isError"] == true;
        if is_error {
            assert!(result.get("structuredContent").is_none(), "{body}");
        } else {
            assert_eq!(
                text, result["structuredContent"],
                "the text content carries the same JSON"
            );
        }
        (is_error, text)
    }

    async fn ok(&self, name: &str, args: Value) -> Value {
        let (is_error, out) = self.call(name, args).await;
        assert!(!is_error, "{name} failed: {out}");
        out
    }

    async fn fails(&self, name: &str, args: Value, code: &str) -> Value {
        let (is_error, out) = self.call(name, args).await;
        assert!(is_error, "{name} should fail with {code}: {out}");
        assert_eq!(out["error"]["code"], code, "{name}: {out}");
        assert!(
            out["error"]["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{out}"
        );
        out
    }
}

/// A connected tenant with a few people in its base, and its owner's MCP client of `version`.
async fn setup(tag: &str, version: &'static str) -> (Connected, Mcp) {
    let api = Api::new();
    let c = api.connected(tag).await;
    let mcp = Mcp::connect(&c.account.access, version).await;
    (c, mcp)
}

async fn seed(mcp: &Mcp, c: &Connected) -> Vec<String> {
    let out = mcp
        .ok(
            "batch_create_records",
            json!({"base_id": c.base, "table": "People", "records": [
                {"Name": "Ada Lovelace", "Age": 36, "Email": "ada@example.com", "Status": "New"},
                {"Name": "Grace Hopper", "Age": 85, "Email": "grace@example.com", "Status": "Done", "Done": true},
                {"Name": "ada  lovelace.", "Age": 37, "Email": "ADA@example.com", "Status": "New"},
                {"Name": "Alan Turing", "Age": 41, "Status": "New"},
            ]}),
        )
        .await;
    assert_eq!(out["count"], 4);
    out["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect()
}

// ---------- protocol ----------

async fn protocol(version: &'static str) {
    let (c, mcp) = setup("mcpproto", version).await;
    let tools = mcp.tools().await;
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 20, "{names:?}");
    assert_eq!(
        &names[..4],
        ["list_bases", "list_tables", "describe_table", "get_records"],
        "a fixed order"
    );
    for t in &tools {
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
        assert_eq!(t["outputSchema"]["type"], "object", "{t}");
        assert!(t["annotations"]["readOnlyHint"].is_boolean(), "{t}");
        assert!(t["description"].as_str().unwrap().len() > 40);
    }
    assert_eq!(mcp.tools().await, tools, "deterministic");
    // An unknown tool is a protocol error, not a tool result.
    let (status, body) = mcp
        .post(json!({"jsonrpc": "2.0", "id": 99, "method": "tools/call", "params": {"name": "nope", "arguments": {}}}), Some("nope"))
        .await;
    assert!(status == 200 || status == 400, "{status} {body}");
    assert_eq!(body["error"]["code"], -32602, "{body}");
    let _ = c;
}

#[tokio::test]
async fn the_2025_era_handshake_lists_every_tool_with_schemas_and_annotations() {
    protocol(LEGACY).await;
}

#[tokio::test]
async fn the_2026_era_lists_every_tool_without_a_handshake() {
    protocol(CURRENT).await;
    let api = Api::new();
    let s = api.register("mcpdiscover").await;
    let mcp = Mcp::connect(&s.access, CURRENT).await;
    let d = mcp.request("server/discover", json!({}), None).await;
    let versions = d["result"]["supportedVersions"].as_array().unwrap();
    assert!(
        versions.contains(&json!(CURRENT)) && versions.contains(&json!(LEGACY)),
        "{d}"
    );
    assert!(d["result"]["capabilities"]["tools"].is_object(), "{d}");
    // A header that disagrees with the body is refused.
    let res = api
        .http()
        .post(api.url("/mcp"))
        .bearer_auth(&s.access)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", CURRENT)
        .header("mcp-method", "tools/call")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {
            "io.modelcontextprotocol/protocolVersion": CURRENT, "io.modelcontextprotocol/clientCapabilities": {}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32020, "HEADER_MISMATCH: {body}");
}

#[tokio::test]
async fn requests_without_valid_credentials_get_401_with_www_authenticate() {
    let api = Api::new();
    let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    for auth in [None, Some("Bearer nonsense"), Some("Bearer pyat_notakey")] {
        let mut req = api
            .http()
            .post(api.url("/mcp"))
            .header("accept", "application/json, text/event-stream")
            .json(&msg);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{auth:?}");
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
}

#[tokio::test]
async fn get_and_delete_are_405_and_foreign_hosts_and_origins_403() {
    let api = Api::new();
    let s = api.register("mcpmethods").await;
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let res = api
            .http()
            .request(method.clone(), api.url("/mcp"))
            .bearer_auth(&s.access)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method}");
    }
    let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let post = || {
        api.http()
            .post(api.url("/mcp"))
            .bearer_auth(&s.access)
            .header("accept", "application/json, text/event-stream")
            .json(&msg)
    };
    let res = post()
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = post()
        .header("origin", "https://attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "forbidden_origin");
    // A client that cannot take JSON answers is told so.
    let res = api
        .http()
        .post(api.url("/mcp"))
        .bearer_auth(&s.access)
        .header("accept", "text/html")
        .json(&msg)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 406);
}

#[tokio::test]
async fn viewers_see_only_read_only_tools_and_are_refused_the_others() {
    let api = Api::new();
    let c = api.connected("mcpviewer").await;
    let viewer = api.invite(&c.account, "viewer").await;
    let key = api
        .post(
            "/api/v1/api-keys",
            Some(&c.account.access),
            json!({"name": "mcp", "role": "viewer"}),
        )
        .await
        .expect(201);
    // A viewer signed in (JWT), and an owner's key limited to the viewer role.
    for (token, version) in [
        (viewer.access.as_str(), LEGACY),
        (key.body["key"].as_str().unwrap(), CURRENT),
    ] {
        let mcp = Mcp::connect(token, version).await;
        let tools = mcp.tools().await;
        assert!(!tools.is_empty());
        assert!(
            tools
                .iter()
                .all(|t| t["annotations"]["readOnlyHint"] == true),
            "{tools:?}"
        );
        assert!(tools.iter().any(|t| t["name"] == "find_duplicates"));
        mcp.fails(
            "create_record",
            json!({"base_id": c.base, "table": "People", "fields": {"Name": "x"}}),
            "forbidden",
        )
        .await;
        mcp.ok("get_records", json!({"base_id": c.base, "table": "People"}))
            .await;
    }
}

#[tokio::test]
async fn a_tenant_without_airtable_gets_a_tool_error_telling_it_to_connect() {
    let api = Api::new();
    let s = api.register("mcpnoconn").await;
    for version in [LEGACY, CURRENT] {
        let mcp = Mcp::connect(&s.access, version).await;
        mcp.fails("list_bases", json!({}), "airtable_not_connected")
            .await;
    }
}

// ---------- tools: reads ----------

async fn reads(version: &'static str) {
    let (c, mcp) = setup("mcpreads", version).await;
    let ids = seed(&mcp, &c).await;

    let bases = mcp.ok("list_bases", json!({})).await;
    assert_eq!(
        bases["bases"].as_array().unwrap().len(),
        1,
        "the scoped token sees one base: {bases}"
    );
    assert_eq!(bases["bases"][0]["id"], c.base.as_str());

    let t = mcp
        .ok("list_tables", json!({"base_id": c.base, "detail": "ids"}))
        .await;
    assert_eq!(t["tables"][0], json!({"id": c.table, "name": "People"}));
    let t = mcp.ok("list_tables", json!({"base_id": c.base})).await;
    assert_eq!(
        t["tables"][0]["fields"][1],
        json!({"id": t["tables"][0]["fields"][1]["id"], "name": "Age", "type": "number"})
    );
    let t = mcp
        .ok("list_tables", json!({"base_id": c.base, "detail": "full"}))
        .await;
    assert_eq!(
        t["tables"][0]["fields"][3]["options"]["choices"],
        json!(["New", "Done"])
    );
    mcp.fails(
        "list_tables",
        json!({"base_id": "appnotanid", "detail": "ids"}),
        "validation_failed",
    )
    .await;
    mcp.fails(
        "list_tables",
        json!({"base_id": c.base, "detail": "everything"}),
        "validation_failed",
    )
    .await;

    let d = mcp
        .ok(
            "describe_table",
            json!({"base_id": c.base, "table": "people"}),
        )
        .await;
    assert_eq!(d["fieldCount"], 5);
    assert_eq!(d["primaryField"]["name"], "Name");
    mcp.fails(
        "describe_table",
        json!({"base_id": c.base, "table": "Nope"}),
        "airtable_not_found",
    )
    .await;

    let page = mcp.ok("get_records", json!({"base_id": c.base, "table": "People", "page_size": 3, "sort": [{"field": "Age", "direction": "desc"}], "fields": ["Name", "Age"]})).await;
    assert_eq!(page["returned"], 3);
    assert_eq!(
        page["records"][0]["fields"],
        json!({"Name": "Grace Hopper", "Age": 85})
    );
    let next = mcp.ok("get_records", json!({"base_id": c.base, "table": "People", "page_size": 3, "sort": [{"field": "Age", "direction": "desc"}], "cursor": page["cursor"]})).await;
    assert_eq!(next["returned"], 1);
    assert!(next.get("cursor").is_none());
    let all = mcp
        .ok(
            "get_records",
            json!({"base_id": c.base, "table": "People", "all_pages": true, "page_size": 1, "filter_by_formula": "{Status} = 'New'"}),
        )
        .await;
    assert_eq!(all["total"], 3);
    let bad = mcp
        .fails(
            "get_records",
            json!({"base_id": c.base, "table": "People", "filter_by_formula": "{Nope} = 1"}),
            "airtable_invalid_request",
        )
        .await;
    assert_eq!(
        bad["error"]["airtableType"], "INVALID_FILTER_BY_FORMULA",
        "{bad}"
    );
    mcp.fails(
        "get_records",
        json!({"base_id": c.base, "table": "People", "page_size": 500}),
        "validation_failed",
    )
    .await;

    let one = mcp
        .ok(
            "get_record",
            json!({"base_id": c.base, "table": "People", "record_id": ids[1], "fields": ["Name"]}),
        )
        .await;
    assert_eq!(one["record"]["fields"], json!({"Name": "Grace Hopper"}));
    let bad = mcp
        .fails(
            "get_record",
            json!({"base_id": c.base, "table": "People", "record_id": "rec123"}),
            "validation_failed",
        )
        .await;
    assert_eq!(bad["error"]["errors"][0]["field"], "record_id", "{bad}");
    mcp.fails(
        "get_record",
        json!({"base_id": c.base, "table": "People", "record_id": "recAAAAAAAAAAAAAA"}),
        "airtable_not_found",
    )
    .await;

    let found = mcp
        .ok(
            "search_records",
            json!({"base_id": c.base, "table": "People", "query": "LOVELACE"}),
        )
        .await;
    assert_eq!(found["returned"], 2, "{found}");
    let found = mcp
        .ok("search_records", json!({"base_id": c.base, "table": "People", "query": "it's {Name}') & \"", "search_fields": ["Name"]}))
        .await;
    assert_eq!(
        found["returned"], 0,
        "quotes and braces are searched for, not injected"
    );
    mcp.fails(
        "search_records",
        json!({"base_id": c.base, "table": "People", "query": "x", "search_fields": ["Nope"]}),
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn reading_tools_work_in_the_2025_era() {
    reads(LEGACY).await;
}

#[tokio::test]
async fn reading_tools_work_in_the_2026_era() {
    reads(CURRENT).await;
}

// ---------- tools: writes ----------

async fn writes(version: &'static str) {
    let (c, mcp) = setup("mcpwrites", version).await;
    let people = |extra: Value| {
        let mut a = json!({"base_id": c.base, "table": "People"});
        a.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        a
    };

    let rec = mcp
        .ok(
            "create_record",
            people(json!({"fields": {"Name": "Ada", "Age": "36"}, "typecast": true})),
        )
        .await;
    let id = rec["record"]["id"].as_str().unwrap().to_owned();
    assert_eq!(rec["record"]["fields"]["Age"], 36);
    let bad = mcp
        .fails(
            "create_record",
            people(json!({"fields": {"Age": "not a number"}})),
            "airtable_invalid_request",
        )
        .await;
    assert_eq!(bad["error"]["airtableType"], "INVALID_VALUE_FOR_COLUMN");
    mcp.fails(
        "create_record",
        people(json!({"fields": {"Name": "x"}, "extra": 1})),
        "validation_failed",
    )
    .await;

    let many: Vec<Value> = (0..25)
        .map(|i| json!({"Name": format!("P{i}"), "Age": i}))
        .collect();
    let out = mcp
        .ok("batch_create_records", people(json!({"records": many})))
        .await;
    assert_eq!(out["count"], 25, "25 records in 3 chunks");
    let batch_ids: Vec<String> = out["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    mcp.fails(
        "batch_create_records",
        people(json!({"records": []})),
        "validation_failed",
    )
    .await;

    let up = mcp
        .ok(
            "update_record",
            people(json!({"record_id": id, "fields": {"Status": "Done"}})),
        )
        .await;
    assert_eq!(
        up["record"]["fields"]["Name"], "Ada",
        "a merge keeps other fields"
    );
    assert_eq!(up["record"]["fields"]["Status"], "Done");
    let gone = mcp
        .fails(
            "update_record",
            people(json!({"record_id": "recAAAAAAAAAAAAAA", "fields": {"Name": "x"}})),
            "airtable_invalid_request",
        )
        .await;
    assert_eq!(gone["error"]["airtableType"], "ROW_DOES_NOT_EXIST");
    assert!(
        gone["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{gone}"
    );

    let changes: Vec<Value> = batch_ids
        .iter()
        .take(12)
        .map(|i| json!({"id": i, "fields": {"Done": true}}))
        .collect();
    let out = mcp
        .ok("batch_update_records", people(json!({"records": changes})))
        .await;
    assert_eq!(out["count"], 12);
    mcp.fails(
        "batch_update_records",
        people(json!({"records": [{"id": "nope", "fields": {}}]})),
        "validation_failed",
    )
    .await;

    let out = mcp
        .ok(
            "upsert_records",
            people(json!({"merge_on": ["Name"], "records": [{"Name": "Ada", "Age": 37}, {"Name": "Brand New", "Age": 1}]})),
        )
        .await;
    assert_eq!(out["updated"], json!([id]));
    assert_eq!(out["created"].as_array().unwrap().len(), 1);
    let bad = mcp
        .fails(
            "upsert_records",
            people(json!({"merge_on": ["Name"], "records": [{"Age": 1}]})),
            "validation_failed",
        )
        .await;
    assert_eq!(bad["error"]["errors"][0]["field"], "records[0]");

    let del = mcp
        .ok("delete_record", people(json!({"record_id": id})))
        .await;
    assert_eq!(del["deleted"], id.as_str());
    mcp.fails(
        "delete_record",
        people(json!({"record_id": id})),
        "airtable_not_found",
    )
    .await;
    let del = mcp
        .ok("delete_records", people(json!({"record_ids": batch_ids})))
        .await;
    assert_eq!(del["count"], 25);
    mcp.fails(
        "delete_records",
        people(json!({"record_ids": ["recAAAAAAAAAAAAAA"]})),
        "airtable_not_found",
    )
    .await;

    let left = mcp
        .ok("get_records", people(json!({"all_pages": true})))
        .await;
    assert_eq!(
        left["total"], 1,
        "only the upserted new record is left: {left}"
    );
}

#[tokio::test]
async fn writing_tools_work_in_the_2025_era() {
    writes(LEGACY).await;
}

#[tokio::test]
async fn writing_tools_work_in_the_2026_era() {
    writes(CURRENT).await;
}

// ---------- tools: schema ----------

async fn schema(version: &'static str) {
    let (c, mcp) = setup("mcpschema", version).await;
    let t = mcp
        .ok(
            "create_table",
            json!({"base_id": c.base, "name": "Projects", "fields": [
            {"name": "Title", "type": "singleLineText"},
            {"name": "Budget", "type": "currency", "options": {"precision": 2, "symbol": "$"}}]}),
        )
        .await;
    assert_eq!(t["table"]["name"], "Projects");
    assert_eq!(t["table"]["fields"][1]["type"], "currency");
    mcp.fails(
        "create_table",
        json!({"base_id": c.base, "name": "Projects", "fields": [{"name": "T", "type": "singleLineText"}]}),
        "airtable_invalid_request",
    )
    .await;
    mcp.fails(
        "create_table",
        json!({"base_id": c.base, "name": "Empty", "fields": []}),
        "validation_failed",
    )
    .await;

    let f = mcp.ok("create_field", json!({"base_id": c.base, "table": "Projects", "name": "Stage", "type": "singleSelect", "options": {"choices": [{"name": "Idea"}]}})).await;
    assert_eq!(f["field"]["type"], "singleSelect");
    mcp.fails(
        "create_field",
        json!({"base_id": c.base, "table": "Projects", "name": "Stage", "type": "singleLineText"}),
        "airtable_invalid_request",
    )
    .await;
    // The new field is visible to the next read at once (the schema cache was invalidated).
    let d = mcp
        .ok(
            "describe_table",
            json!({"base_id": c.base, "table": "Projects"}),
        )
        .await;
    assert_eq!(d["fieldCount"], 3);

    let m = mcp
        .ok("create_metadata_table", json!({"base_id": c.base}))
        .await;
    assert_eq!(m["createdTable"], true);
    assert_eq!(m["rows"], 2, "People and Projects: {m}");
    let rows = mcp
        .ok(
            "get_records",
            json!({"base_id": c.base, "table": "Table Metadata", "all_pages": true}),
        )
        .await;
    let projects = rows["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["fields"]["Table Name"] == "Projects")
        .unwrap();
    assert_eq!(projects["fields"]["Field Count"], 3);
    assert!(
        projects["fields"]["Fields"]
            .as_str()
            .unwrap()
            .contains("Budget (currency)")
    );
    let again = mcp
        .ok("create_metadata_table", json!({"base_id": c.base}))
        .await;
    assert_eq!(
        (
            again["createdTable"].clone(),
            again["updatedRows"].clone(),
            again["createdRows"].clone()
        ),
        (json!(false), json!(2), json!(0))
    );
    mcp.fails(
        "create_metadata_table",
        json!({"base_id": c.base, "table_name": "People"}),
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn schema_tools_work_in_the_2025_era() {
    schema(LEGACY).await;
}

#[tokio::test]
async fn schema_tools_work_in_the_2026_era() {
    schema(CURRENT).await;
}

// ---------- tools: analysis, export, sync ----------

async fn analysis(version: &'static str) {
    let (c, mcp) = setup("mcpanalysis", version).await;
    let ids = seed(&mcp, &c).await;

    let a = mcp
        .ok(
            "analyze_table_data",
            json!({"base_id": c.base, "table": "People"}),
        )
        .await;
    assert_eq!(a["records"], 4);
    let age = a["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Age")
        .unwrap();
    assert_eq!(age["numbers"]["min"], 36.0);
    assert_eq!(age["numbers"]["max"], 85.0);
    assert_eq!(age["numbers"]["sum"], 199.0);
    let email = a["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Email")
        .unwrap();
    assert_eq!(email["fillRate"], 0.75);
    assert!(
        a["insights"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i.as_str().unwrap().contains("Done is checked in 25%")),
        "{a}"
    );
    mcp.fails(
        "analyze_table_data",
        json!({"base_id": c.base, "table": "People", "fields": ["Nope"]}),
        "validation_failed",
    )
    .await;

    let d = mcp.ok("find_duplicates", json!({"base_id": c.base, "table": "People", "fields": ["Name"], "return_fields": ["Age"]})).await;
    assert_eq!(d["groupCount"], 1);
    assert_eq!(d["groups"][0]["key"], "ada lovelace");
    let in_group: Vec<&str> = d["groups"][0]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(in_group, vec![ids[0].as_str(), ids[2].as_str()]);
    let d = mcp
        .ok(
            "find_duplicates",
            json!({"base_id": c.base, "table": "People", "fields": ["Email"]}),
        )
        .await;
    assert_eq!(d["groupCount"], 1, "emails differ only in case");
    mcp.fails(
        "find_duplicates",
        json!({"base_id": c.base, "table": "People", "fields": []}),
        "validation_failed",
    )
    .await;

    let csv = mcp
        .ok("export_table_csv", json!({"base_id": c.base, "table": "People", "fields": ["Name", "Age"], "sort": [{"field": "Age"}]}))
        .await;
    assert_eq!(
        csv["csv"],
        "Name,Age\r\nAda Lovelace,36\r\nada  lovelace.,37\r\nAlan Turing,41\r\nGrace Hopper,85\r\n"
    );
    let link = mcp
        .ok(
            "export_table_csv",
            json!({"base_id": c.base, "table": "People", "delivery": "link"}),
        )
        .await;
    let url = link["url"].as_str().unwrap();
    let body = reqwest::get(url).await.unwrap();
    assert_eq!(body.status(), 200, "the presigned link downloads the file");
    let text = body.text().await.unwrap();
    assert!(text.starts_with("Name,Age,Email,Status,Done\r\n"), "{text}");
    assert_eq!(text.lines().count(), 5);
    mcp.fails(
        "export_table_csv",
        json!({"base_id": c.base, "table": "Nope"}),
        "airtable_not_found",
    )
    .await;
}

#[tokio::test]
async fn analysis_and_export_tools_work_in_the_2025_era() {
    analysis(LEGACY).await;
}

#[tokio::test]
async fn analysis_and_export_tools_work_in_the_2026_era() {
    analysis(CURRENT).await;
}

async fn sync(version: &'static str) {
    let (c, mcp) = setup("mcpsync", version).await;
    seed(&mcp, &c).await;
    mcp.ok(
        "create_table",
        json!({"base_id": c.base, "name": "Mirror", "fields": [
        {"name": "Name", "type": "singleLineText"}, {"name": "Age", "type": "number", "options": {"precision": 0}},
        {"name": "Status", "type": "singleLineText"}]}),
    )
    .await;
    mcp.ok("batch_create_records", json!({"base_id": c.base, "table": "Mirror", "records": [
        {"Name": "Grace Hopper", "Age": 80, "Status": "Done"}, {"Name": "Alan Turing", "Age": 41, "Status": "New"}, {"Name": "Gone", "Age": 1}]}))
        .await;
    let args = json!({"source_base_id": c.base, "source_table": "People", "target_table": "Mirror", "key_field": "Name", "delete_missing": true});

    let plan = mcp.ok("sync_tables", args.clone()).await;
    assert_eq!(plan["dryRun"], true);
    assert_eq!(plan["mappedFields"], json!(["Name", "Age", "Status"]));
    assert_eq!(
        plan["plan"],
        json!({"create": 2, "update": 1, "delete": 1, "unchanged": 1, "skipped": 0}),
        "{plan}"
    );
    assert_eq!(
        plan["samples"]["update"][0]["changes"],
        json!({"Age": {"from": 80, "to": 85}})
    );
    let unchanged = mcp
        .ok(
            "get_records",
            json!({"base_id": c.base, "table": "Mirror", "all_pages": true}),
        )
        .await;
    assert_eq!(unchanged["total"], 3, "a dry run writes nothing");

    let mut apply = args.clone();
    apply["dry_run"] = json!(false);
    let done = mcp.ok("sync_tables", apply.clone()).await;
    // A real run is a saga: the tool waits for it a while, then answers with the transaction to
    // follow (a slow emulator can outlast the wait).
    let id = done["applied"]["transactionId"]
        .as_str()
        .expect("a transaction id");
    let applied = match done["applied"]["status"].as_str() {
        Some("running" | "pending") => Api::new().saga_finished(&c.account, id).await,
        _ => done["applied"].clone(),
    };
    assert_eq!(applied["status"], "completed", "{done} then {applied}");
    assert_eq!(
        applied["result"],
        json!({"created": 2, "updated": 1, "deleted": 1})
    );
    let again = mcp.ok("sync_tables", args.clone()).await;
    assert_eq!(
        again["plan"],
        json!({"create": 0, "update": 0, "delete": 0, "unchanged": 4, "skipped": 0}),
        "in sync: {again}"
    );

    let mut bad = args.clone();
    bad["key_field"] = json!("Email");
    let err = mcp.fails("sync_tables", bad, "validation_failed").await;
    assert!(
        err["error"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("target_table has no field"),
        "{err}"
    );
}

#[tokio::test]
async fn sync_tables_plans_then_applies_in_the_2025_era() {
    sync(LEGACY).await;
}

#[tokio::test]
async fn sync_tables_plans_then_applies_in_the_2026_era() {
    sync(CURRENT).await;
}

#[tokio::test]
async fn an_unavailable_airtable_is_a_tool_error_with_retry_after_not_a_protocol_error() {
    let (c, mcp) = setup("mcp429", LEGACY).await;
    // Every request fails: the client retries, then the tool reports it.
    sandbox::faults(&c.base, 1.0).await;
    let out = mcp
        .fails(
            "get_records",
            json!({"base_id": c.base, "table": "People"}),
            "airtable_unavailable",
        )
        .await;
    assert!(out["error"]["retryAfter"].as_u64().is_some(), "{out}");
    sandbox::faults(&c.base, 0.0).await;
}

/// Records in the `Big` table the real clients read whole: six pages, so a read reports progress
/// several times and can be cancelled midway, yet ends well inside a tool call's budget while the
/// emulator serves the whole suite (each page waits on the shared rate limiter's DynamoDB calls).
const CLIENT_BIG: usize = 600;

/// Runs a real MCP client (a script in tests/compat) against the local stack with a member's API
/// key; returns what it printed (the key never appears in it) after checking it succeeded.
async fn run_client(program: &str, script: &str, c: &Connected, big: Option<&str>) -> String {
    let api = Api::new();
    let key = api
        .post(
            "/api/v1/api-keys",
            Some(&c.account.access),
            json!({"name": script, "role": "member"}),
        )
        .await
        .expect(201);
    let key = key.body["key"].as_str().unwrap().to_owned();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/compat");
    let mut cmd = std::process::Command::new(program);
    cmd.arg(format!("{dir}/{script}"))
        .env("MCP_URL", api.url("/mcp"))
        .env("API_KEY", &key)
        .env("BASE_ID", &c.base)
        .env("BIG_BASE_ID", big.unwrap_or(""))
        .env("BIG_RECORDS", CLIENT_BIG.to_string());
    let (ok, text) = tests::run_program(cmd, &key).await;
    assert!(ok, "{text}");
    println!("{text}");
    text
}

#[tokio::test]
async fn the_official_typescript_sdk_lists_calls_streams_cancels_and_reads_context() {
    let (c, big) = with_big_table("mcpts", CLIENT_BIG).await;
    let text = run_client("node", "mcp_ts_client.mjs", &c, Some(&big)).await;
    for line in [
        "OK tools 20",
        "OK read",
        "OK write",
        "OK tool error",
        "OK resources",
        "OK prompts 3",
        "OK completions",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert!(
        text.contains("OK progress") && text.contains("OK cancelled after"),
        "{text}"
    );
    assert!(
        text.contains("OK mcp typescript (protocol 2025-11-25)"),
        "{text}"
    );
}

#[tokio::test]
async fn mcp_remote_bridges_a_stdio_client_to_the_server() {
    let c = Api::new().connected("mcpremote").await;
    let text = run_client("node", "mcp_remote_client.mjs", &c, None).await;
    assert!(text.contains("OK mcp-remote 0.15.1"), "{text}");
}

#[tokio::test]
async fn the_mcp_inspector_cli_lists_and_calls_tools() {
    let c = Api::new().connected("mcpinspector").await;
    let text = run_client("node", "mcp_inspector_cli.mjs", &c, None).await;
    assert!(text.contains("OK inspector-cli 1.0.3"), "{text}");
}

#[tokio::test]
async fn the_official_python_mcp_sdk_lists_calls_streams_and_reads_context_in_both_eras() {
    let (c, big) = with_big_table("mcppython", CLIENT_BIG).await;
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
    let text = run_client(python, "mcp_client.py", &c, Some(&big)).await;
    assert!(
        text.contains("OK mcp legacy (protocol 2025-11-25)"),
        "{text}"
    );
    assert!(text.contains("OK mcp auto (protocol 2026-07-28)"), "{text}");
}

// ---------- progress, cancellation, resources, prompts, completions ----------

/// A tenant whose token sees the People base and a `Big` table of `records` records.
async fn with_big_table(tag: &str, records: usize) -> (Connected, String) {
    let api = Api::new();
    let session = api.register(tag).await;
    let (base, table) = sandbox::people_base().await;
    let big = sandbox::big_base(records).await;
    let token = sandbox::scoped_token(&[&base, &big]).await;
    api.call(
        "PUT",
        "/api/v1/connections/airtable",
        Some(&session.access),
        Some(json!({"token": token})),
    )
    .await
    .expect(200);
    (
        Connected {
            account: session,
            base,
            table,
        },
        big,
    )
}

async fn progress_and_cancellation(version: &'static str) {
    let (c, big) = with_big_table(&format!("mcpprogress{}", &version[..4]), 1_500).await;
    let mcp = Mcp::connect(&c.account.access, version).await;
    let args = json!({"base_id": big, "table": "Big", "all_pages": true, "fields": ["Name"]});
    let params =
        json!({"name": "get_records", "arguments": args, "_meta": {"progressToken": "read-all"}});
    let (notes, done) = mcp
        .stream(100, "tools/call", params, Some("get_records"), |_| async {})
        .await;
    assert_eq!(
        done["result"]["structuredContent"]["total"], 1_500,
        "{done}"
    );
    let progress: Vec<f64> = notes
        .iter()
        .inspect(|n| assert_eq!(n["method"], "notifications/progress", "{n}"))
        .inspect(|n| assert_eq!(n["params"]["progressToken"], "read-all", "{n}"))
        .map(|n| n["params"]["progress"].as_f64().unwrap())
        .collect();
    assert!(
        progress.len() >= 10,
        "a notification per page of 100: {progress:?}"
    );
    assert!(
        progress.windows(2).all(|w| w[0] < w[1]),
        "progress only grows: {progress:?}"
    );
    assert_eq!(progress.last(), Some(&1_500.0));
    assert!(
        notes[0]["params"]["message"]
            .as_str()
            .unwrap()
            .contains("records"),
        "{}",
        notes[0]
    );

    // Another read (not cached): cancelled after its first page, by a separate POST, as any
    // instance may receive it.
    let args =
        json!({"base_id": big, "table": "Big", "all_pages": true, "fields": ["Name", "Age"]});
    let params = json!({"name": "get_records", "arguments": args, "_meta": {"progressToken": 7}});
    let cancelled = std::sync::atomic::AtomicBool::new(false);
    let (notes, answer) = mcp
        .stream(101, "tools/call", params, Some("get_records"), |_| async {
            if !cancelled.swap(true, std::sync::atomic::Ordering::SeqCst) {
                let note = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 101, "reason": "test"}});
                let (status, _) = mcp.post(note, None).await;
                assert_eq!(status, 202);
            }
        })
        .await;
    let text: Value = serde_json::from_str(
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or(""),
    )
    .unwrap_or(Value::Null);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(text["error"]["code"], "cancelled", "{text}");
    let read: u64 = notes.last().unwrap()["params"]["progress"]
        .as_f64()
        .unwrap() as u64;
    assert!(read < 1_500, "stopped before the end: {read} records read");
    assert!(
        text["error"]["detail"]
            .as_str()
            .unwrap()
            .contains("cancelled by the caller after"),
        "{text}"
    );

    // A cancellation of another request (or an earlier session's) stops nothing.
    let note = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 102}});
    assert_eq!(mcp.post(note, None).await.0, 202);
    let args = json!({"base_id": big, "table": "Big", "all_pages": true, "fields": ["Age"]});
    let params = json!({"name": "get_records", "arguments": args, "_meta": {"progressToken": "x"}});
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let (_, answer) = mcp
        .stream(102, "tools/call", params, Some("get_records"), |_| async {})
        .await;
    assert_eq!(
        answer["result"]["structuredContent"]["total"], 1_500,
        "a cancellation sent before the call does not stop it: {answer}"
    );

    // Writes report written of total, and a cancelled batch says which records it wrote.
    let records: Vec<Value> = (0..60).map(|i| json!({"Name": format!("W{i}")})).collect();
    let params = json!({"name": "batch_create_records", "arguments": {"base_id": big, "table": "Big", "records": records}, "_meta": {"progressToken": "w"}});
    let (notes, answer) = mcp
        .stream(
            103,
            "tools/call",
            params,
            Some("batch_create_records"),
            |_| async {},
        )
        .await;
    assert_eq!(
        answer["result"]["structuredContent"]["count"], 60,
        "{answer}"
    );
    assert!(
        notes
            .iter()
            .all(|n| n["params"]["total"].as_f64() == Some(60.0)),
        "{notes:?}"
    );
    assert_eq!(notes.last().unwrap()["params"]["progress"], 60.0);

    // A batch cancelled midway says exactly which records it wrote, and wrote no others.
    let records: Vec<Value> = (0..200).map(|i| json!({"Name": format!("C{i}")})).collect();
    let params = json!({"name": "batch_create_records", "arguments": {"base_id": big, "table": "Big", "records": records}, "_meta": {"progressToken": "c"}});
    let sent = std::sync::atomic::AtomicBool::new(false);
    let (_, answer) = mcp
        .stream(104, "tools/call", params, Some("batch_create_records"), |_| async {
            if !sent.swap(true, std::sync::atomic::Ordering::SeqCst) {
                let note = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 104}});
                assert_eq!(mcp.post(note, None).await.0, 202);
            }
        })
        .await;
    let text: Value = serde_json::from_str(
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or(""),
    )
    .unwrap_or(Value::Null);
    assert_eq!(text["error"]["code"], "cancelled", "{answer}");
    let detail = text["error"]["detail"].as_str().unwrap();
    let written: Vec<&str> = detail
        .rsplit_once("written: ")
        .map(|(_, ids)| ids.split(',').filter(|i| !i.is_empty()).collect())
        .unwrap_or_default();
    assert!(
        !written.is_empty() && written.len() < 200 && written.len().is_multiple_of(10),
        "{detail}"
    );
    assert!(written.iter().all(|id| id.starts_with("rec")), "{detail}");
    let all = mcp
        .ok(
            "get_records",
            json!({"base_id": big, "table": "Big", "all_pages": true, "fields": ["Name"]}),
        )
        .await;
    assert_eq!(
        all["total"],
        1_560 + written.len(),
        "only the records named were written"
    );
}

#[tokio::test]
async fn long_tools_stream_progress_and_stop_when_cancelled_in_the_legacy_era() {
    progress_and_cancellation(LEGACY).await;
}

#[tokio::test]
async fn long_tools_stream_progress_and_stop_when_cancelled_in_the_2026_era() {
    progress_and_cancellation(CURRENT).await;
}

async fn resources_prompts_completions(version: &'static str) {
    let (c, mcp) = setup(&format!("mcpcontext{}", &version[..4]), version).await;
    let uri = format!("airtable://bases/{}/schema", c.base);
    let list = mcp.request("resources/list", json!({}), None).await;
    let resources = list["result"]["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "the token sees one base: {list}");
    assert_eq!(resources[0]["uri"], uri.as_str());
    assert_eq!(resources[0]["mimeType"], "application/json");
    let templates = mcp
        .request("resources/templates/list", json!({}), None)
        .await;
    assert_eq!(
        templates["result"]["resourceTemplates"][0]["uriTemplate"],
        "airtable://bases/{baseId}/schema"
    );

    let read = mcp
        .request("resources/read", json!({"uri": uri}), Some(&uri))
        .await;
    let contents = &read["result"]["contents"][0];
    assert_eq!(contents["uri"], uri.as_str());
    let schema: Value = serde_json::from_str(contents["text"].as_str().unwrap()).unwrap();
    assert_eq!(schema["tables"][0]["name"], "People");

    // Another tenant's base, a base this token cannot see, and URIs that are no resource.
    let (other, _) = sandbox::people_base().await;
    for bad in [
        format!("airtable://bases/{other}/schema"),
        "airtable://bases/nope/schema".into(),
        "file:///etc/passwd".into(),
    ] {
        let (status, body) =
            mcp.post(json!({"jsonrpc": "2.0", "id": 9, "method": "resources/read", "params": {"uri": bad}}), Some(&bad)).await;
        assert!(status == 200 || status == 404, "{bad}: {status} {body}");
        // Resource not found: -32002 until 2025-11-25, invalid params (-32602) from 2026-07-28.
        let code = if version == LEGACY { -32002 } else { -32602 };
        assert_eq!(body["error"]["code"], code, "{bad}: {body}");
        assert!(
            !body.to_string().contains("People"),
            "nothing of a foreign base leaks: {body}"
        );
    }

    let prompts = mcp.request("prompts/list", json!({}), None).await;
    let names: Vec<&str> = prompts["result"]["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["analyze_table", "clean_duplicates", "plan_import"]);
    let got = mcp
        .request(
            "prompts/get",
            json!({"name": "analyze_table", "arguments": {"base_id": c.base, "table": "People"}}),
            Some("analyze_table"),
        )
        .await;
    let text = got["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap();
    assert!(
        text.contains("People") && text.contains(&c.base) && text.contains("describe_table"),
        "{text}"
    );
    let (_, missing) = mcp
        .post(json!({"jsonrpc": "2.0", "id": 9, "method": "prompts/get", "params": {"name": "analyze_table", "arguments": {"base_id": c.base}}}), Some("analyze_table"))
        .await;
    assert_eq!(missing["error"]["code"], -32602, "{missing}");

    let m = &mcp;
    let complete = |r: Value, name: &str, value: &str, context: Value| {
        let params = json!({"ref": r, "argument": {"name": name, "value": value}, "context": {"arguments": context}});
        async move {
            let body = m.request("completion/complete", params, None).await;
            body["result"]["completion"]["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let prompt = json!({"type": "ref/prompt", "name": "analyze_table"});
    assert_eq!(
        complete(prompt.clone(), "base_id", "", json!({})).await,
        vec![c.base.clone()]
    );
    assert_eq!(
        complete(prompt.clone(), "base_id", "tes", json!({})).await,
        vec![c.base.clone()],
        "by the base's name"
    );
    assert_eq!(
        complete(prompt.clone(), "table", "pe", json!({"base_id": c.base})).await,
        ["People"]
    );
    assert!(
        complete(prompt.clone(), "table", "pe", json!({}))
            .await
            .is_empty(),
        "no base, no tables"
    );
    assert!(
        complete(prompt.clone(), "table", "", json!({"base_id": other}))
            .await
            .is_empty(),
        "a base the token cannot see"
    );
    assert!(
        complete(prompt.clone(), "focus", "", json!({}))
            .await
            .is_empty()
    );
    let dups = json!({"type": "ref/prompt", "name": "clean_duplicates"});
    assert_eq!(
        complete(
            dups,
            "fields",
            "Name, em",
            json!({"base_id": c.base, "table": "People"})
        )
        .await,
        ["Name, Email"],
        "the names before stay"
    );
    let template = json!({"type": "ref/resource", "uri": "airtable://bases/{baseId}/schema"});
    assert_eq!(
        complete(template, "baseId", "app", json!({})).await,
        vec![c.base.clone()]
    );

    // A viewer's key reads resources too; a workspace without Airtable has none (not an error).
    let api = Api::new();
    let key = api
        .post(
            "/api/v1/api-keys",
            Some(&c.account.access),
            json!({"name": "ctx", "role": "viewer"}),
        )
        .await
        .expect(201);
    let viewer = Mcp::connect(key.body["key"].as_str().unwrap(), version).await;
    assert_eq!(
        viewer.request("resources/list", json!({}), None).await["result"]["resources"][0]["uri"],
        uri.as_str()
    );
    let prompts = viewer.request("prompts/list", json!({}), None).await;
    assert_eq!(
        prompts["result"]["prompts"].as_array().unwrap().len(),
        1,
        "viewers get the prompt that only reads: {prompts}"
    );
    let lonely = api.register(&format!("mcpnores{}", &version[..4])).await;
    let lonely = Mcp::connect(&lonely.access, version).await;
    assert_eq!(
        lonely.request("resources/list", json!({}), None).await["result"]["resources"],
        json!([])
    );
    assert!(complete_none(&lonely).await);
}

async fn complete_none(mcp: &Mcp) -> bool {
    let params = json!({"ref": {"type": "ref/prompt", "name": "analyze_table"}, "argument": {"name": "base_id", "value": ""}});
    mcp.request("completion/complete", params, None).await["result"]["completion"]["values"]
        == json!([])
}

#[tokio::test]
async fn resources_prompts_and_completions_in_the_legacy_era() {
    resources_prompts_completions(LEGACY).await;
}

#[tokio::test]
async fn resources_prompts_and_completions_in_the_2026_era() {
    resources_prompts_completions(CURRENT).await;
}
