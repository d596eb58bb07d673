//! `docs/openapi.json` is generated from the code: this test fails when they disagree.
//! `make openapi` (UPDATE_OPENAPI=1) writes the file anew.

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let generated =
        serde_json::to_string_pretty(&crate::openapi_json()).expect("serialisable") + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).expect("write docs/openapi.json");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date: run `make openapi`"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/auth/register",
        "/api/v1/records",
        "/api/v1/connections/airtable",
        "/api/v1/tenant/members/{userId}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
}

#[test]
fn every_operation_has_a_unique_id_and_every_success_a_schema_or_a_reason() {
    let doc = crate::openapi_json();
    let mut ids = std::collections::HashSet::new();
    let mut untyped = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(
                ids.insert(id.clone()),
                "{method} {path}: operationId {id} is used twice"
            );
            for (status, response) in op["responses"].as_object().unwrap() {
                let schema = &response["content"]["application/json"]["schema"];
                if status.starts_with('2')
                    && schema.is_object()
                    && schema.get("$ref").is_none()
                    && schema.get("type") == Some(&"object".into())
                    && schema.get("properties").is_none()
                {
                    untyped.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert_eq!(
        crate::operation_id("get", "/api/v1/chat/sessions/{id}"),
        "getChatSessionsById"
    );
    assert_eq!(
        crate::operation_id("delete", "/api/v1/api-keys/{keyId}"),
        "deleteApiKeysByKeyId"
    );
    // The web app's pages read these; each has a schema of its own (the black-box suite checks
    // every answer against it).
    for typed in [
        "get /api/v1/auth/me 200",
        "post /api/v1/auth/login 200",
        "get /api/v1/tenant/members 200",
        "get /api/v1/api-keys 200",
        "get /api/v1/connections/airtable 200",
        "get /api/v1/bases 200",
        "get /api/v1/tables 200",
        "get /api/v1/records 200",
        "get /api/v1/budgets 200",
        "get /api/v1/chat/sessions 200",
        "get /api/v1/chat/sessions/{id} 200",
        "get /api/v1/tools 200",
    ] {
        assert!(
            !untyped.contains(&typed.to_owned()),
            "{typed} has no schema"
        );
    }
}
