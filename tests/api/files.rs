//! Files end to end: upload through a presigned S3 URL with plain HTTP (or multipart), the S3
//! notification through the files queue to `file-processor`, and the result over the API.

use serde_json::{Value, json};
use tests::{Account, Api, fixtures, stack};

async fn upload(api: &Api, s: &Account, name: &str, content_type: &str, bytes: Vec<u8>) -> String {
    api.upload(s, name, content_type, bytes).await
}

async fn settled(api: &Api, s: &Account, id: &str) -> Value {
    api.file_settled(s, id).await
}

fn types(f: &Value) -> Vec<(String, String)> {
    f["preview"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn content(api: &Api, s: &Account, id: &str) -> String {
    let res = api
        .http()
        .get(api.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(&s.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

#[tokio::test]
async fn a_csv_uploaded_through_the_presigned_url_is_processed_with_typed_columns() {
    let api = Api::new();
    let s = api.register("filecsv").await;
    let csv = "Name;Age;Email;Member;Joined;Site\nAda;36;ada@example.com;yes;2026-01-02;https://ada.example.com\nGrace;85;grace@example.com;no;2026-02-03;https://grace.example.com\n";
    let id = upload(&api, &s, "people.csv", "text/csv", csv.into()).await;
    let f = settled(&api, &s, &id).await;
    assert_eq!(f["status"], "processed", "{f}");
    assert_eq!(f["kind"], "csv");
    assert_eq!(f["rowCount"], 2);
    let expected = [
        ("Name", "text"),
        ("Age", "number"),
        ("Email", "email"),
        ("Member", "checkbox"),
        ("Joined", "date"),
        ("Site", "url"),
    ];
    assert_eq!(
        types(&f),
        expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(f["preview"]["rows"][1][0], "Grace");
    assert!(content(&api, &s, &id).await.starts_with("Name\tAge\tEmail"));
    let list = api.get("/api/v1/files", &s.access).await.expect(200);
    assert_eq!(list.body["files"][0]["id"], id.as_str());
}

#[tokio::test]
async fn every_supported_format_is_extracted() {
    let api = Api::new();
    let s = api.register("fileformats").await;
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "City\tPopulation\nKöln\t1084000\nZürich\t421000\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let xlsx = fixtures::xlsx(
        &["Name", "Age"],
        &[
            vec![json!("Ada"), json!(36)],
            vec![json!("Grace"), json!(85)],
            vec![json!("Alan"), json!(41)],
        ],
    );
    let docx = fixtures::docx(
        &["Quarterly report", "All numbers in USD."],
        &[
            &["Region", "Revenue"],
            &["North", "1200"],
            &["South", "900"],
        ],
    );
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("cities.tsv", "text/tab-separated-values", utf16),
        (
            "people.json",
            "application/json",
            br#"[{"name": "Ada", "age": 36}, {"name": "Grace", "age": 85, "tags": ["navy"]}]"#
                .to_vec(),
        ),
        (
            "people.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            xlsx,
        ),
        (
            "notes.txt",
            "text/plain",
            "Call Ada on Monday.\nSend the report.".into(),
        ),
        (
            "report.pdf",
            "application/pdf",
            fixtures::pdf("Hello from a PDF"),
        ),
        (
            "report.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            docx,
        ),
    ];
    let mut ids = Vec::new();
    for (name, ct, bytes) in cases {
        ids.push((name, upload(&api, &s, name, ct, bytes).await));
    }
    for (name, id) in &ids {
        let f = settled(&api, &s, id).await;
        assert_eq!(f["status"], "processed", "{name}: {f}");
        let text = content(&api, &s, id).await;
        match *name {
            "cities.tsv" => {
                assert_eq!(
                    types(&f),
                    vec![
                        ("City".into(), "text".into()),
                        ("Population".into(), "number".into())
                    ]
                );
                assert_eq!(f["preview"]["rows"][0][0], "Köln", "UTF-16 decoded");
            }
            "people.json" => {
                assert_eq!(f["rowCount"], 2);
                // Keys become columns in name order.
                assert_eq!(
                    types(&f),
                    vec![
                        ("age".into(), "number".into()),
                        ("name".into(), "text".into()),
                        ("tags".into(), "text".into())
                    ]
                );
                assert_eq!(f["preview"]["rows"][1], json!([85, "Grace", "[\"navy\"]"]));
            }
            "people.xlsx" => {
                assert_eq!(f["rowCount"], 3);
                assert_eq!(f["preview"]["rows"][2], json!(["Alan", 41]));
                assert_eq!(types(&f)[1], ("Age".into(), "number".into()));
            }
            "notes.txt" => assert_eq!(text, "Call Ada on Monday.\nSend the report."),
            "report.pdf" => {
                assert!(text.contains("Hello from a PDF"), "{text:?}");
                assert_eq!(f["pages"], 1);
            }
            "report.docx" => {
                assert!(
                    text.starts_with("Quarterly report\nAll numbers in USD."),
                    "{text:?}"
                );
                assert_eq!(
                    f["preview"]["rows"],
                    json!([["North", "1200"], ["South", "900"]]),
                    "its table becomes rows"
                );
                assert_eq!(types(&f)[1], ("Revenue".into(), "number".into()));
            }
            _ => unreachable!(),
        }
    }
}

#[tokio::test]
async fn a_small_file_can_be_sent_as_multipart_form_data() {
    let api = Api::new();
    let s = api.register("filemultipart").await;
    let part = reqwest::multipart::Part::bytes(b"Name,Age\nAda,36\n".to_vec())
        .file_name("small.csv")
        .mime_str("text/csv")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let res = api
        .http()
        .post(api.url("/api/v1/files/upload"))
        .bearer_auth(&s.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let f = settled(&api, &s, body["id"].as_str().unwrap()).await;
    assert_eq!(
        (f["status"].as_str(), f["rowCount"].as_u64()),
        (Some("processed"), Some(1))
    );
}

#[tokio::test]
async fn corrupt_lying_and_mis_sized_files_fail_with_a_readable_reason() {
    let api = Api::new();
    let s = api.register("filebad").await;
    let xlsx = upload(
        &api,
        &s,
        "broken.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"PK\x03\x04 this is not a workbook".to_vec(),
    )
    .await;
    let lying = upload(
        &api,
        &s,
        "data.csv",
        "text/csv",
        fixtures::pdf("I am really a PDF"),
    )
    .await;
    let json = upload(
        &api,
        &s,
        "bad.json",
        "application/json",
        b"{\"a\": [1, 2".to_vec(),
    )
    .await;
    let f = settled(&api, &s, &xlsx).await;
    assert_eq!(f["status"], "failed");
    assert!(f["error"].as_str().unwrap().contains("XLSX"), "{f}");
    let f = settled(&api, &s, &lying).await;
    assert_eq!(f["error"], "the file says it is CSV but its content is PDF");
    let f = settled(&api, &s, &json).await;
    assert!(
        f["error"]
            .as_str()
            .unwrap()
            .starts_with("the file is not valid JSON"),
        "{f}"
    );
    api.get(&format!("/api/v1/files/{json}/content"), &s.access)
        .await
        .expect_problem(409, "file_not_processed");

    // More bytes than declared: S3 refuses it in AWS (the length is signed); the processor
    // refuses it wherever a PUT got through.
    let r = api
        .post(
            "/api/v1/files/upload",
            Some(&s.access),
            json!({"filename": "x.csv", "contentType": "text/csv", "size": 5}),
        )
        .await
        .expect(201);
    let put = reqwest::Client::new()
        .put(r.body["uploadUrl"].as_str().unwrap())
        .header("content-type", "text/csv")
        .body("a,b\n1,2\n3,4\n")
        .send()
        .await
        .unwrap();
    if put.status().is_success() {
        let f = settled(&api, &s, r.body["fileId"].as_str().unwrap()).await;
        assert_eq!(f["status"], "failed");
        assert!(f["error"].as_str().unwrap().contains("declared"), "{f}");
    } else {
        assert!(
            put.status().is_client_error(),
            "S3 refused the mis-sized PUT: {}",
            put.status()
        );
    }
}

#[tokio::test]
async fn uploads_are_checked_before_any_url_is_issued() {
    let api = Api::new();
    let s = api.register("filechecks").await;
    let up = |body: Value| api.post("/api/v1/files/upload", Some(&s.access), body);
    up(json!({"filename": "huge.csv", "contentType": "text/csv", "size": 50 * 1024 * 1024 + 1}))
        .await
        .expect_problem(413, "payload_too_large");
    up(json!({"filename": "movie.mp4", "contentType": "video/mp4", "size": 10}))
        .await
        .expect_problem(422, "validation_failed");
    up(json!({"filename": "people.csv", "contentType": "application/pdf", "size": 10}))
        .await
        .expect_problem(422, "validation_failed");
    up(json!({"filename": "people.csv", "contentType": "text/csv", "size": 0}))
        .await
        .expect_problem(422, "validation_failed");
    let viewer = api.invite(&s, "viewer").await;
    api.post(
        "/api/v1/files/upload",
        Some(&viewer.access),
        json!({"filename": "a.csv", "contentType": "text/csv", "size": 3}),
    )
    .await
    .expect_problem(403, "forbidden");
    // Another tenant sees nothing.
    let id = upload(&api, &s, "mine.csv", "text/csv", b"a\n1\n".to_vec()).await;
    let other = api.register("fileother").await;
    api.get(&format!("/api/v1/files/{id}"), &other.access)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn a_redelivered_notification_does_not_process_a_file_twice_and_deleting_removes_it() {
    let api = Api::new();
    let s = api.register("fileredeliver").await;
    let id = upload(&api, &s, "once.csv", "text/csv", b"Name\nAda\n".to_vec()).await;
    let first = settled(&api, &s, &id).await;
    // The same S3 event again, as SQS may deliver it.
    let key = format!("uploads/{}/{id}/once.csv", s.tenant_id);
    let event = json!({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "x"}, "object": {"key": key, "size": 9}}}]});
    let sqs = aws_sdk_sqs::Client::new(&local::sdk_config(Some(&stack().aws_endpoint)).await);
    sqs.send_message()
        .queue_url(&stack().env["FILES_QUEUE_URL"])
        .message_body(event.to_string())
        .send()
        .await
        .unwrap();
    assert!(
        tests::logged(&["already processed", &id]).await,
        "the redelivery was handled"
    );
    let again = api
        .get(&format!("/api/v1/files/{id}"), &s.access)
        .await
        .expect(200);
    assert_eq!(
        again.body["updatedAt"], first["updatedAt"],
        "nothing was processed again"
    );

    api.delete(&format!("/api/v1/files/{id}"), &s.access)
        .await
        .expect(204);
    api.get(&format!("/api/v1/files/{id}"), &s.access)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn the_browser_may_put_an_upload_from_the_apps_origin_only() {
    // A browser asks S3 first (CORS preflight, no credentials), then PUTs from the app's origin.
    let api = Api::new();
    let s = api.register("filecors").await;
    let body = json!({"filename": "people.csv", "contentType": "text/csv", "size": 9});
    let r = api
        .post("/api/v1/files/upload", Some(&s.access), body)
        .await
        .expect(201);
    let url = r.body["uploadUrl"].as_str().unwrap();
    let app = format!("http://{}", stack().api);
    let http = reqwest::Client::new();
    let preflight = |origin: &str| {
        http.request(reqwest::Method::OPTIONS, url)
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight(&app).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["access-control-allow-origin"], app.as_str());
    assert!(
        ok.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PUT")
    );
    assert_eq!(
        preflight("https://evil.example").await.unwrap().status(),
        403
    );
    let put = http
        .put(url)
        .header("origin", &app)
        .header("content-type", "text/csv")
        .body("Name\nAda\n")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(put.headers()["access-control-allow-origin"], app.as_str());
    let f = api
        .file_settled(&s, r.body["fileId"].as_str().unwrap())
        .await;
    assert_eq!(f["status"], "processed", "{f}");
}
