//! `make bench`: imports 2,000 records into one base through `POST /api/v1/records`, against the
//! sandbox Airtable with its real limits (5 requests/s per base, 30 s penalty after a 429), and
//! the same import with pyairtable's `batch_create` straight to the same sandbox. Prints both.
//! A benchmark, not a test: it asserts nothing and prints figures.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::{Api, sandbox, stack_with};

const RECORDS: usize = 2_000;
/// Records per API call, and calls in flight at once.
const PER_CALL: usize = 100;
const STREAMS: usize = 2;

fn rows(tag: &str) -> Vec<Value> {
    (0..RECORDS).map(|i| json!({"fields": {"Name": format!("{tag}{i:04}"), "Age": i % 90, "Email": format!("p{i}@example.com")}})).collect()
}

#[tokio::main]
async fn main() {
    let real = local::sandbox::SandboxConfig {
        penalty: Duration::from_secs(30),
        ..Default::default()
    };
    let stack = stack_with(real);
    let api = Api::new();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();

    // --- through the platform ---
    let c = api.connected("bench").await;
    let all = rows("api");
    let chunks: Vec<Vec<Value>> = all.chunks(PER_CALL).map(<[Value]>::to_vec).collect();
    let started = Instant::now();
    let mut streams = Vec::new();
    for s in 0..STREAMS {
        let mine: Vec<Vec<Value>> = chunks.iter().skip(s).step_by(STREAMS).cloned().collect();
        let (http, url, token, base) = (
            http.clone(),
            api.url("/api/v1/records"),
            c.account.access.clone(),
            c.base.clone(),
        );
        streams.push(tokio::spawn(async move {
            let mut written = 0;
            for chunk in mine {
                let r = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"baseId": base, "table": "People", "records": chunk}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
                written += PER_CALL;
            }
            written
        }));
    }
    let mut written = 0;
    for s in streams {
        written += s.await.unwrap();
    }
    let api_secs = started.elapsed().as_secs_f64();
    let api_stats = sandbox::stats(&c.base).await;

    // --- pyairtable, straight to the sandbox ---
    let (py_base, _) = sandbox::people_base().await;
    let py_token = sandbox::scoped_token(&[&py_base]).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/compat/bench_pyairtable.py");
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .env("AIRTABLE_URL", format!("http://{}", stack.sandbox))
        .env("TOKEN", &py_token)
        .env("BASE_ID", &py_base)
        .env("RECORDS", RECORDS.to_string())
        .output()
        .await
        .expect("run pyairtable");
    let py: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| json!({"failed": String::from_utf8_lossy(&out.stderr)}));
    let py_stats = sandbox::stats(&py_base).await;

    println!();
    println!(
        "Import of {RECORDS} records into one base (sandbox Airtable: 5 req/s per base, 30 s penalty after a 429)"
    );
    println!(
        "{:<44} {:>10} {:>12} {:>8} {:>14}",
        "", "seconds", "records/s", "429s", "max req in 1s"
    );
    println!(
        "{:<44} {:>10.1} {:>12.1} {:>8} {:>14}",
        format!("PyAirtable POST /api/v1/records ({STREAMS}x{PER_CALL}/call)"),
        api_secs,
        written as f64 / api_secs,
        api_stats["rateLimited"].as_u64().unwrap_or(0),
        api_stats["maxRequestsInAnySecond"].as_u64().unwrap_or(0)
    );
    let py_secs = py["seconds"].as_f64().unwrap_or(f64::NAN);
    let py_written = py_stats["records"].as_f64().unwrap_or(0.0);
    println!(
        "{:<44} {:>10.1} {:>12.1} {:>8} {:>14}",
        "pyairtable Table.batch_create (direct)",
        py_secs,
        py_written / py_secs,
        py_stats["rateLimited"].as_u64().unwrap_or(0),
        py_stats["maxRequestsInAnySecond"].as_u64().unwrap_or(0)
    );
    if let Some(why) = py["failed"].as_str() {
        println!("  pyairtable gave up after writing {py_written} of {RECORDS} records: {why}");
    }
    println!("target: >= 45 records/s through the platform and zero 429s");
}
