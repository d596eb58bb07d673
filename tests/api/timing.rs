//! `Server-Timing` on every response: where a request's time went (W3C Server-Timing, shown by
//! browsers' devtools), with dependencies and counts only — never an id or a secret.

use std::collections::BTreeMap;

use tests::Api;

/// The header's metrics: name → (dur, desc).
fn timing(r: &tests::Resp) -> BTreeMap<String, (Option<f64>, Option<String>)> {
    let raw = r
        .headers
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Server-Timing on a {} answer", r.status));
    assert!(
        !["ten_", "usr_", "key_", "pyat_", "rec", "tbl"]
            .iter()
            .any(|id| raw.contains(id))
            && !raw
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w.len() == 17 && w.starts_with("app")),
        "Server-Timing names no id: {raw}"
    );
    raw.split(", ")
        .map(|metric| {
            let mut parts = metric.split(';');
            let name = parts.next().unwrap().to_owned();
            let (mut dur, mut desc) = (None, None);
            for p in parts {
                if let Some(v) = p.strip_prefix("dur=") {
                    dur = Some(v.parse().unwrap());
                } else if let Some(v) = p.strip_prefix("desc=") {
                    desc = Some(v.trim_matches('"').to_owned());
                }
            }
            (name, (dur, desc))
        })
        .collect()
}

fn calls(t: &BTreeMap<String, (Option<f64>, Option<String>)>, dependency: &str) -> u64 {
    t.get(dependency)
        .and_then(|(_, desc)| desc.as_deref())
        .and_then(|d| d.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn every_answer_says_where_its_time_went() {
    let api = Api::new();
    let c = api.connected("timing").await;

    // A signed-in read: its DynamoDB calls, and our own time beside them.
    let me = api
        .get("/api/v1/auth/me", &c.account.access)
        .await
        .expect(200);
    let t = timing(&me);
    let total = t["total"].0.unwrap();
    let app = t["app"].0.unwrap();
    assert!(total > 0.0 && (0.0..=total).contains(&app), "{t:?}");
    assert!(calls(&t, "ddb") >= 1, "{t:?}");
    assert!(t["ddb"].0.unwrap() > 0.0, "{t:?}");

    // A page from Airtable, then the same page from the cache.
    let page = format!("/api/v1/records?baseId={}&table=People", c.base);
    let first = api.get(&page, &c.account.access).await.expect(200);
    let t = timing(&first);
    assert!(calls(&t, "airtable") >= 1, "{t:?}");
    assert!(
        t["cache"].1.as_deref().is_some_and(|d| d.ends_with("miss")),
        "{t:?}"
    );
    let again = api.get(&page, &c.account.access).await.expect(200);
    let t = timing(&again);
    assert_eq!(t["cache"].1.as_deref(), Some("hit"), "{t:?}");
    assert_eq!(
        calls(&t, "airtable"),
        0,
        "a hit sends nothing to Airtable: {t:?}"
    );

    // Refusals and unknown routes carry at least the total.
    let refused = api
        .call("GET", "/api/v1/auth/me", None, None)
        .await
        .expect(401);
    assert!(timing(&refused).contains_key("total"));
    let nowhere = api
        .call("GET", "/api/v1/no-such-route", None, None)
        .await
        .expect(404);
    assert!(timing(&nowhere).contains_key("total"));
}
