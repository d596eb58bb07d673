//! The Airtable gateway over HTTP: bases, tables, records — paced, cached, chunked — against the
//! sandbox Airtable.

use std::collections::HashSet;

use serde_json::{Value, json};
use tests::{Api, Connected, logs, sandbox};

fn people(n: usize, tag: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"fields": {"Name": format!("{tag}{i:03}"), "Age": i % 50}}))
        .collect()
}

async fn create(api: &Api, c: &Connected, records: Vec<Value>) -> tests::Resp {
    api.post(
        "/api/v1/records",
        Some(&c.account.access),
        json!({"baseId": c.base, "table": "People", "records": records}),
    )
    .await
}

async fn all(api: &Api, c: &Connected) -> Vec<Value> {
    let r = api
        .get(
            &format!("/api/v1/records?baseId={}&table=People&all=true", c.base),
            &c.account.access,
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["total"].as_u64().unwrap() as usize,
        r.body["records"].as_array().unwrap().len()
    );
    r.body["records"].as_array().unwrap().clone()
}

fn names(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["fields"]["Name"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn bases_and_schemas_are_listed_and_tables_and_fields_created() {
    let api = Api::new();
    let c = api.connected("schema").await;
    let bases = api
        .get("/api/v1/bases", &c.account.access)
        .await
        .expect(200);
    assert!(
        bases.body["bases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == c.base.as_str())
    );
    let tables = api
        .get(
            &format!("/api/v1/tables?baseId={}", c.base),
            &c.account.access,
        )
        .await
        .expect(200);
    let people = &tables.body["tables"][0];
    assert_eq!(people["name"], "People");
    assert_eq!(people["fields"][3]["options"]["choices"][0]["name"], "New");
    let t = api
        .post(
            "/api/v1/tables",
            Some(&c.account.access),
            json!({"baseId": c.base, "name": "Tasks", "fields": [{"name": "Title", "type": "singleLineText"}]}),
        )
        .await
        .expect(201);
    let tid = t.body["id"].as_str().unwrap();
    let f = api
        .post(
            &format!("/api/v1/tables/{tid}/fields"),
            Some(&c.account.access),
            json!({"baseId": c.base, "name": "Due", "type": "date"}),
        )
        .await
        .expect(201);
    let fid = f.body["id"].as_str().unwrap();
    let f = api
        .patch(
            &format!("/api/v1/tables/{tid}/fields/{fid}"),
            &c.account.access,
            json!({"baseId": c.base, "name": "Due date"}),
        )
        .await
        .expect(200);
    assert_eq!(f.body["name"], "Due date");
    // The schema cache was invalidated by those writes.
    let tables = api
        .get(
            &format!("/api/v1/tables?baseId={}", c.base),
            &c.account.access,
        )
        .await
        .expect(200);
    let tasks = tables.body["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Tasks")
        .expect("new table visible")
        .clone();
    assert_eq!(tasks["fields"][1]["name"], "Due date");
    api.get("/api/v1/tables?baseId=nope", &c.account.access)
        .await
        .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn writes_of_any_size_are_chunked_by_ten_and_every_id_comes_back() {
    let api = Api::new();
    let c = api.connected("chunk").await;
    let r = create(&api, &c, people(25, "A")).await.expect(201);
    assert_eq!(r.body["records"].as_array().unwrap().len(), 25);
    let r = create(&api, &c, people(101, "B")).await.expect(201);
    let ids: HashSet<&str> = r.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 101);
    let stored = all(&api, &c).await;
    assert_eq!(stored.len(), 126);
    let stats = sandbox::stats(&c.base).await;
    assert!(
        stats["maxRequestsInAnySecond"].as_u64().unwrap() <= 5,
        "{stats}"
    );
    assert_eq!(stats["rateLimited"], 0, "{stats}");
}

#[tokio::test]
async fn listing_pages_with_our_cursor_and_all_follows_every_page() {
    let api = Api::new();
    let c = api.connected("pages").await;
    create(&api, &c, people(260, "P")).await.expect(201);
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let q = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let r = api
            .get(
                &format!(
                    "/api/v1/records?baseId={}&table=People&pageSize=100{q}",
                    c.base
                ),
                &c.account.access,
            )
            .await
            .expect(200);
        seen.extend(names(r.body["records"].as_array().unwrap()));
        match r.body["cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 260);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 260);
    assert_eq!(all(&api, &c).await.len(), 260);
    api.get(
        &format!("/api/v1/records?baseId={}&table=People&cursor=!!!", c.base),
        &c.account.access,
    )
    .await
    .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn formulas_sorts_and_field_projection_pass_through() {
    let api = Api::new();
    let c = api.connected("query").await;
    create(&api, &c, people(30, "Q")).await.expect(201);
    let formula = "AND({Age} >= 25, FIND('Q', {Name}))";
    let url = format!(
        "/api/v1/records?baseId={}&table=People&all=true&sort=-Age&fields=Name&filterByFormula={}",
        c.base,
        urlencode(formula)
    );
    let r = api.get(&url, &c.account.access).await.expect(200);
    let got = names(r.body["records"].as_array().unwrap());
    assert_eq!(got, ["Q029", "Q028", "Q027", "Q026", "Q025"]);
    assert!(r.body["records"][0]["fields"].get("Age").is_none());
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn records_are_read_updated_replaced_and_deleted_one_or_many() {
    let api = Api::new();
    let c = api.connected("crud").await;
    let r = create(
        &api,
        &c,
        vec![json!({"fields": {"Name": "Ada", "Age": 36, "Done": true}})],
    )
    .await
    .expect(201);
    let id = r.body["records"][0]["id"].as_str().unwrap().to_owned();
    let q = format!("baseId={}&table=People", c.base);
    let got = api
        .get(&format!("/api/v1/records/{id}?{q}"), &c.account.access)
        .await
        .expect(200);
    assert_eq!(got.body["fields"]["Name"], "Ada");
    let r = api
        .patch(
            &format!("/api/v1/records/{id}"),
            &c.account.access,
            json!({"baseId": c.base, "table": "People", "fields": {"Age": 37}}),
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["fields"],
        json!({"Name": "Ada", "Age": 37, "Done": true})
    );
    let r = api
        .call(
            "PUT",
            "/api/v1/records",
            Some(&c.account.access),
            Some(json!({"baseId": c.base, "table": "People", "records": [{"id": id, "fields": {"Name": "Ada L"}}]})),
        )
        .await
        .expect(200);
    assert_eq!(r.body["records"][0]["fields"], json!({"Name": "Ada L"}));
    let many = create(&api, &c, people(12, "D")).await.expect(201);
    let ids: Vec<&str> = many.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let r = api
        .delete(
            &format!("/api/v1/records?{q}&ids={}", ids.join(",")),
            &c.account.access,
        )
        .await
        .expect(200);
    assert_eq!(r.body["deleted"].as_array().unwrap().len(), 12);
    api.delete(&format!("/api/v1/records/{id}?{q}"), &c.account.access)
        .await
        .expect(200);
    let gone = api
        .get(&format!("/api/v1/records/{id}?{q}"), &c.account.access)
        .await
        .expect_problem(404, "airtable_not_found");
    assert_eq!(gone.body["airtableType"], "MODEL_ID_NOT_FOUND");
    assert!(all(&api, &c).await.is_empty());
}

#[tokio::test]
async fn upsert_reports_created_and_updated_records() {
    let api = Api::new();
    let c = api.connected("upsert").await;
    create(&api, &c, vec![json!({"fields": {"Name": "Ada", "Age": 1}})])
        .await
        .expect(201);
    let body = json!({"baseId": c.base, "table": "People", "upsert": {"fieldsToMergeOn": ["Name"]}, "records": [
        {"fields": {"Name": "Ada", "Age": 2}}, {"fields": {"Name": "Grace", "Age": 3}}
    ]});
    let r = api
        .post("/api/v1/records", Some(&c.account.access), body)
        .await
        .expect(200);
    assert_eq!(r.body["createdRecords"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["updatedRecords"].as_array().unwrap().len(), 1);
    let stored = all(&api, &c).await;
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .any(|r| r["fields"] == json!({"Name": "Ada", "Age": 2}))
    );
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_and_writes_nothing_twice() {
    let api = Api::new();
    let c = api.connected("idem").await;
    let send = |body: Value| {
        let req = api
            .http()
            .post(api.url("/api/v1/records"))
            .bearer_auth(&c.account.access)
            .header("idempotency-key", "import-42")
            .json(&body);
        api.send(req)
    };
    let body = json!({"baseId": c.base, "table": "People", "records": people(3, "I")});
    let first = send(body.clone()).await.expect(201);
    let again = send(body).await.expect(201);
    assert_eq!(first.body, again.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(all(&api, &c).await.len(), 3);
    let other = json!({"baseId": c.base, "table": "People", "records": people(1, "X")});
    send(other)
        .await
        .expect_problem(409, "idempotency_key_reused");
}

#[tokio::test]
async fn airtable_errors_keep_their_type_and_are_never_a_bare_500() {
    let api = Api::new();
    let c = api.connected("errs").await;
    let r = create(&api, &c, vec![json!({"fields": {"Nope": 1}})])
        .await
        .expect_problem(422, "airtable_invalid_request");
    assert_eq!(r.body["airtableType"], "UNKNOWN_FIELD_NAME");
    let r = api
        .get(
            "/api/v1/records?baseId=appAAAAAAAAAAAAAA&table=People",
            &c.account.access,
        )
        .await
        .expect_problem(403, "airtable_forbidden");
    assert_eq!(
        r.body["airtableType"],
        "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
    );
    let r = api
        .get(
            &format!("/api/v1/records?baseId={}&table=NoSuchTable", c.base),
            &c.account.access,
        )
        .await
        .expect_problem(403, "airtable_forbidden");
    assert_eq!(
        r.body["airtableType"],
        "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
    );
    let r = api
        .post(
            "/api/v1/records",
            Some(&c.account.access),
            json!({"baseId": "bad", "table": "", "records": []}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn viewers_read_but_never_write() {
    let api = Api::new();
    let c = api.connected("viewer").await;
    let viewer = &api.invite(&c.account, "viewer").await.access;
    api.get(
        &format!("/api/v1/records?baseId={}&table=People", c.base),
        viewer,
    )
    .await
    .expect(200);
    api.post(
        "/api/v1/records",
        Some(viewer),
        json!({"baseId": c.base, "table": "People", "records": people(1, "V")}),
    )
    .await
    .expect_problem(403, "forbidden");
    api.delete(
        &format!(
            "/api/v1/records?baseId={}&table=People&ids=recAAAAAAAAAAAAAA",
            c.base
        ),
        viewer,
    )
    .await
    .expect_problem(403, "forbidden");
    api.post(
        "/api/v1/tables",
        Some(viewer),
        json!({"baseId": c.base, "name": "X", "fields": [{"name": "A", "type": "singleLineText"}]}),
    )
    .await
    .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn reads_are_cached_per_table_version_and_a_write_invalidates_them() {
    let api = Api::new();
    let c = api.connected("cache").await;
    create(&api, &c, people(2, "C")).await.expect(201);
    let url = format!("/api/v1/records?baseId={}&table=People", c.base);
    let first = api.get(&url, &c.account.access).await.expect(200);
    assert_eq!(first.headers["x-cache"], "miss");
    let second = api.get(&url, &c.account.access).await.expect(200);
    assert_eq!(second.headers["x-cache"], "hit");
    assert_eq!(first.body, second.body);
    let bypass = api
        .http()
        .get(api.url(&url))
        .bearer_auth(&c.account.access)
        .header("cache-control", "no-cache");
    assert_eq!(
        api.send(bypass).await.expect(200).headers["x-cache"],
        "miss"
    );
    create(&api, &c, people(1, "New")).await.expect(201);
    let after = api.get(&url, &c.account.access).await.expect(200);
    assert_eq!(
        after.headers["x-cache"], "miss",
        "the write bumped the table's version"
    );
    assert_eq!(after.body["records"].as_array().unwrap().len(), 3);
    // Writes by table id invalidate reads by table name too.
    let id = after.body["records"][0]["id"].as_str().unwrap();
    api.patch(
        &format!("/api/v1/records/{id}"),
        &c.account.access,
        json!({"baseId": c.base, "table": c.table, "fields": {"Age": 99}}),
    )
    .await
    .expect(200);
    let again = api.get(&url, &c.account.access).await.expect(200);
    assert_eq!(again.headers["x-cache"], "miss");
}

#[tokio::test]
async fn tenants_never_see_each_others_data_or_cache() {
    let api = Api::new();
    let a = api.connected("iso-a").await;
    create(&api, &a, people(2, "A")).await.expect(201);
    let url = format!("/api/v1/records?baseId={}&table=People", a.base);
    api.get(&url, &a.account.access).await.expect(200);
    assert_eq!(
        api.get(&url, &a.account.access).await.headers["x-cache"],
        "hit"
    );
    // B's token sees only B's base: A's cached page must not leak to B.
    let b = api.register("iso-b").await;
    let (b_base, _) = sandbox::people_base().await;
    let token = sandbox::scoped_token(&[&b_base]).await;
    api.call(
        "PUT",
        "/api/v1/connections/airtable",
        Some(&b.access),
        Some(json!({"token": token})),
    )
    .await
    .expect(200);
    api.get(&url, &b.access)
        .await
        .expect_problem(403, "airtable_forbidden");
    let bases = api.get("/api/v1/bases", &b.access).await.expect(200);
    assert_eq!(bases.body["bases"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn under_injected_503s_every_record_arrives_exactly_once() {
    let api = Api::new();
    let c = api.connected("faults").await;
    sandbox::faults(&c.base, 0.2).await;
    let r = create(&api, &c, people(60, "F")).await.expect(201);
    assert_eq!(r.body["records"].as_array().unwrap().len(), 60);
    sandbox::faults(&c.base, 0.0).await;
    let stored = names(&all(&api, &c).await);
    assert_eq!(stored.len(), 60);
    assert_eq!(
        stored.iter().collect::<HashSet<_>>().len(),
        60,
        "no duplicates"
    );
    let stats = sandbox::stats(&c.base).await;
    assert!(
        stats["faults"].as_u64().unwrap() > 0,
        "faults were injected: {stats}"
    );
    assert!(
        stats["maxRequestsInAnySecond"].as_u64().unwrap() <= 5,
        "{stats}"
    );
}

#[tokio::test]
async fn concurrent_writers_never_push_a_base_past_five_requests_a_second() {
    let api = Api::new();
    let c = api.connected("burst").await;
    let writers = (0..5).map(|w| create(&api, &c, people(20, &format!("W{w}-"))));
    for r in futures::future::join_all(writers).await {
        r.expect(201);
    }
    let stored = names(&all(&api, &c).await);
    assert_eq!(stored.iter().collect::<HashSet<_>>().len(), 100);
    let stats = sandbox::stats(&c.base).await;
    assert!(
        stats["maxRequestsInAnySecond"].as_u64().unwrap() <= 5,
        "{stats}"
    );
    assert_eq!(stats["rateLimited"], 0, "{stats}");
}

#[tokio::test]
async fn the_personal_access_token_never_appears_in_any_log_line() {
    let api = Api::new();
    let c = api.connected("nolog").await;
    create(&api, &c, people(3, "L")).await.expect(201);
    api.get(
        &format!("/api/v1/records?baseId={}&table=People", c.base),
        &c.account.access,
    )
    .await
    .expect(200);
    let logs = logs();
    assert!(logs.contains("request finished"), "logs are captured");
    assert!(
        !logs.contains(sandbox::DEFAULT_TOKEN),
        "the PAT leaked into the logs"
    );
    assert!(
        !logs.contains(&c.account.access),
        "an access token leaked into the logs"
    );
}

#[tokio::test]
async fn search_is_case_insensitive_and_values_cannot_inject_formula_code() {
    let api = Api::new();
    let c = api.connected("search").await;
    let rows = vec![
        json!({"fields": {"Name": "Ada Lovelace", "Email": "ada@example.com"}}),
        json!({"fields": {"Name": "Grace Hopper", "Email": "grace@navy.mil"}}),
    ];
    create(&api, &c, rows).await.expect(201);
    let search = |q: &str, extra: &str| {
        format!(
            "/api/v1/records?baseId={}&table=People&all=true&search={}{extra}",
            c.base,
            urlencode(q)
        )
    };
    let r = api
        .get(&search("LOVELACE", ""), &c.account.access)
        .await
        .expect(200);
    assert_eq!(
        names(r.body["records"].as_array().unwrap()),
        ["Ada Lovelace"]
    );
    let r = api
        .get(&search("navy", ""), &c.account.access)
        .await
        .expect(200);
    assert_eq!(
        names(r.body["records"].as_array().unwrap()),
        ["Grace Hopper"],
        "all text fields are searched by default"
    );
    let r = api
        .get(&search("navy", "&searchFields=Name"), &c.account.access)
        .await
        .expect(200);
    assert!(r.body["records"].as_array().unwrap().is_empty());
    // Attempts to close the string and add an always-true clause find nothing.
    for attack in [
        "x') , TRUE()) & ('",
        "'), 1=1, ('",
        "\\') OR TRUE() OR ('",
        "}) OR TRUE() OR ({",
    ] {
        let r = api
            .get(&search(attack, ""), &c.account.access)
            .await
            .expect(200);
        assert!(
            r.body["records"].as_array().unwrap().is_empty(),
            "{attack} matched {}",
            r.body
        );
    }
}

#[tokio::test]
async fn a_429_that_still_comes_holds_the_base_and_answers_503_with_retry_after() {
    let api = Api::new();
    let c = api.connected("hold").await;
    // Someone else (outside the platform) exhausts the base's limit; Airtable's 30 s penalty.
    sandbox::penalty(&c.base, 30_000).await;
    let token = sandbox::scoped_token(&[&c.base]).await;
    let direct = format!("http://{}/v0/{}/People", tests::stack().sandbox, c.base);
    let http = reqwest::Client::new();
    for _ in 0..6 {
        http.get(&direct).bearer_auth(&token).send().await.unwrap();
    }
    let url = format!("/api/v1/records?baseId={}&table=People", c.base);
    let r = api
        .get(&url, &c.account.access)
        .await
        .expect_problem(503, "airtable_rate_limited");
    assert_eq!(r.body["airtableType"], "RATE_LIMIT_REACHED");
    assert_eq!(r.headers["retry-after"], "30");
    // The base is now on hold for every instance: the next call does not even reach Airtable.
    let before = sandbox::stats(&c.base).await["requests"].as_u64().unwrap();
    let r = api
        .get(&format!("{url}&pageSize=5"), &c.account.access)
        .await
        .expect_problem(503, "airtable_rate_limited");
    assert!(
        r.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 20
    );
    assert_eq!(
        sandbox::stats(&c.base).await["requests"].as_u64().unwrap(),
        before,
        "held: no request was sent"
    );
}

#[tokio::test]
async fn a_query_too_long_for_a_url_goes_through_list_records_by_post() {
    let api = Api::new();
    let c = api.connected("longurl").await;
    create(&api, &c, people(3, "L")).await.expect(201);
    // ~700 clauses: far past Airtable's 16k-character URL limit once encoded.
    let clauses: Vec<String> = (0..700).map(|i| format!("{{Name}} = 'L{i:03}'")).collect();
    let formula = format!("OR({})", clauses.join(", "));
    let direct = reqwest::Client::new()
        .get(format!(
            "http://{}/v0/{}/People?filterByFormula={}",
            tests::stack().sandbox,
            c.base,
            urlencode(&formula)
        ))
        .bearer_auth(sandbox::DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    let status = direct.status();
    assert_eq!(
        status,
        414,
        "the sandbox refuses such a URL, as Airtable does: {}",
        direct.text().await.unwrap_or_default()
    );
    let body = json!({"baseId": c.base, "table": "People"});
    let url = format!(
        "/api/v1/records?baseId={}&table=People&all=true&filterByFormula={}",
        body["baseId"].as_str().unwrap(),
        urlencode(&formula)
    );
    let r = api.get(&url, &c.account.access).await.expect(200);
    let mut got = names(r.body["records"].as_array().unwrap());
    got.sort();
    assert_eq!(got, ["L000", "L001", "L002"]);
}

#[tokio::test]
async fn two_instances_share_one_send_schedule_per_base() {
    let api = Api::new();
    let c = api.connected("instances").await;
    // A second, independent instance of the functions (own clients, own memory), as a second
    // warm Lambda would be, against the same table.
    let sdk = local::sdk_config(Some(&tests::stack().aws_endpoint)).await;
    let second = local::serve_instance(&sdk, &tests::stack().env, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let other = format!("http://{second}/api/v1/records");
    let http = reqwest::Client::new();
    let via_second = |tag: String| {
        let body = json!({"baseId": c.base, "table": "People", "records": people(30, &tag)});
        http.post(&other)
            .bearer_auth(&c.account.access)
            .json(&body)
            .send()
    };
    let (a, b, d, e) = tokio::join!(
        create(&api, &c, people(30, "one-a")),
        via_second("two-a".into()),
        create(&api, &c, people(30, "one-b")),
        via_second("two-b".into())
    );
    a.expect(201);
    d.expect(201);
    assert_eq!(b.unwrap().status(), 201);
    assert_eq!(e.unwrap().status(), 201);
    assert_eq!(all(&api, &c).await.len(), 120);
    let stats = sandbox::stats(&c.base).await;
    assert!(
        stats["maxRequestsInAnySecond"].as_u64().unwrap() <= 5,
        "{stats}"
    );
    assert_eq!(stats["rateLimited"], 0, "{stats}");
}

#[tokio::test]
async fn a_batch_that_fails_halfway_says_what_was_written_and_its_key_never_writes_twice() {
    let api = Api::new();
    let c = api.connected("partial").await;
    let mut records = people(10, "ok");
    records.extend(
        (0..10).map(|i| json!({"fields": {"Name": format!("bad{i}"), "Age": "not a number"}})),
    );
    let body = json!({"baseId": c.base, "table": "People", "records": records});
    let send = || {
        api.send(
            api.http()
                .post(api.url("/api/v1/records"))
                .bearer_auth(&c.account.access)
                .header("idempotency-key", "half")
                .json(&body),
        )
    };
    let first = send().await.expect_problem(502, "airtable_partial_write");
    assert_eq!(first.body["airtableType"], "INVALID_VALUE_FOR_COLUMN");
    assert!(
        first.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("10 records were written"),
        "{}",
        first.body
    );
    // The client retries with the same key: the answer is replayed, nothing is written twice.
    let again = send().await.expect_problem(502, "airtable_partial_write");
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(all(&api, &c).await.len(), 10);
}

#[tokio::test]
async fn a_failure_that_wrote_nothing_releases_the_key_for_a_retry() {
    let api = Api::new();
    let c = api.connected("release").await;
    let send = |age: Value| {
        let body = json!({"baseId": c.base, "table": "People", "records": [{"fields": {"Name": "Ada", "Age": age}}]});
        api.send(
            api.http()
                .post(api.url("/api/v1/records"))
                .bearer_auth(&c.account.access)
                .header("idempotency-key", "retry-me")
                .json(&body),
        )
    };
    send(json!("x"))
        .await
        .expect_problem(422, "airtable_invalid_request");
    // Same key, corrected body: the failed attempt left no claim behind.
    send(json!(36)).await.expect(201);
    assert_eq!(all(&api, &c).await.len(), 1);
}

#[tokio::test]
async fn renaming_a_field_invalidates_cached_records_of_its_table() {
    let api = Api::new();
    let c = api.connected("rename").await;
    create(&api, &c, people(2, "R")).await.expect(201);
    let url = format!("/api/v1/records?baseId={}&table=People", c.base);
    api.get(&url, &c.account.access).await.expect(200);
    assert_eq!(
        api.get(&url, &c.account.access).await.headers["x-cache"],
        "hit"
    );
    let schema = api
        .get(
            &format!("/api/v1/tables?baseId={}", c.base),
            &c.account.access,
        )
        .await
        .expect(200);
    let age = schema.body["tables"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Age")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.patch(
        &format!("/api/v1/tables/{}/fields/{age}", c.table),
        &c.account.access,
        json!({"baseId": c.base, "name": "Years"}),
    )
    .await
    .expect(200);
    let after = api.get(&url, &c.account.access).await.expect(200);
    assert_eq!(after.headers["x-cache"], "miss");
    assert!(
        after.body["records"][0]["fields"].get("Years").is_some(),
        "{}",
        after.body
    );
}
