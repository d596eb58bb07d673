//! `docs/openapi.json` is generated from the code: this test fails when they disagree.
//! `make openapi` (UPDATE_OPENAPI=1) writes the file anew.

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let generated = serde_json::to_string_pretty(&crate::openapi()).expect("serialisable") + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).expect("write docs/openapi.json");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(committed == generated, "docs/openapi.json is out of date: run `make openapi`");
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in ["/api/v1/auth/register", "/api/v1/records", "/api/v1/connections/airtable", "/api/v1/tenant/members/{userId}"] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
}
