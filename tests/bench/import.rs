//! (a) Importing 2,000 records into one base through `POST /api/v1/records`, against the sandbox
//! Airtable with its real limits (5 requests/s per base, 30 s penalty after a 429), beside the
//! same import with pyairtable's `batch_create` and airtable.js's `create` straight to the sandbox.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::{Api, Stack, sandbox};

use crate::{Row, Section};

const RECORDS: usize = 2_000;
/// Records per API call, and calls in flight at once.
const PER_CALL: usize = 100;
const STREAMS: usize = 2;

fn rows(tag: &str) -> Vec<Value> {
    (0..RECORDS).map(|i| json!({"fields": {"Name": format!("{tag}{i:04}"), "Age": i % 90, "Email": format!("p{i}@example.com")}})).collect()
}

/// A client's import straight to the sandbox, as `{records, seconds}` or `{failed}`.
struct Direct {
    name: &'static str,
    seconds: f64,
    written: f64,
    stats: Value,
    failed: Option<String>,
}

impl Direct {
    fn per_second(&self) -> f64 {
        self.written / self.seconds
    }

    fn describe(&self) -> String {
        let mut s = format!(
            "{}: {:.1} records/s, {} 429s",
            self.name,
            self.per_second(),
            self.stats["rateLimited"].as_u64().unwrap_or(0)
        );
        if let Some(why) = &self.failed {
            s.push_str(&format!(
                " (gave up after {} of {RECORDS}: {why})",
                self.written
            ));
        }
        s
    }
}

async fn direct(stack: &Stack, name: &'static str, program: &str, script: &str) -> Direct {
    let (base, _) = sandbox::people_base().await;
    let token = sandbox::scoped_token(&[&base]).await;
    let out = tokio::process::Command::new(program)
        .arg(script)
        .env("AIRTABLE_URL", format!("http://{}", stack.sandbox))
        .env("TOKEN", &token)
        .env("BASE_ID", &base)
        .env("RECORDS", RECORDS.to_string())
        .output()
        .await;
    let result: Value = match out {
        Ok(o) => serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|_| json!({"failed": String::from_utf8_lossy(&o.stderr).trim().chars().take(200).collect::<String>()})),
        Err(e) => json!({"failed": format!("cannot run {program}: {e}")}),
    };
    let stats = sandbox::stats(&base).await;
    Direct {
        name,
        seconds: result["seconds"].as_f64().unwrap_or(f64::NAN),
        written: stats["records"].as_f64().unwrap_or(0.0),
        stats,
        failed: result["failed"].as_str().map(str::to_owned),
    }
}

pub async fn run(stack: &Stack) -> Section {
    let api = Api::new();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .expect("a client");
    eprintln!("bench (a): importing {RECORDS} records through the API…");
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
                    .await;
                if r.is_ok_and(|r| r.status() == 201) {
                    written += PER_CALL;
                }
            }
            written
        }));
    }
    let mut written = 0;
    for s in streams {
        written += s.await.unwrap_or(0);
    }
    let api_secs = started.elapsed().as_secs_f64();
    let stats = sandbox::stats(&c.base).await;
    let per_second = written as f64 / api_secs;
    let throttled = stats["rateLimited"].as_u64().unwrap_or(0);

    eprintln!("bench (a): the same import with pyairtable and airtable.js…");
    let dir = env!("CARGO_MANIFEST_DIR");
    let py = direct(
        stack,
        "pyairtable `Table.batch_create`",
        &format!("{dir}/../.venv/bin/python"),
        &format!("{dir}/compat/bench_pyairtable.py"),
    )
    .await;
    let js = direct(
        stack,
        "airtable.js `table.create` (10 per call)",
        "node",
        &format!("{dir}/compat/bench_airtable_js.js"),
    )
    .await;

    let rows = vec![
        Row::new(
            format!("import {RECORDS} records, `POST /api/v1/records` ({STREAMS}×{PER_CALL}/call)"),
            format!(
                "{per_second:.1} records/s ({api_secs:.1} s), {throttled} 429s, at most {} requests in a second",
                stats["maxRequestsInAnySecond"].as_u64().unwrap_or(0)
            ),
        )
        .target(
            "≥ 45 records/s, zero 429s",
            Some(per_second >= 45.0 && throttled == 0 && written == RECORDS),
        )
        .beside(format!("{}; {}", py.describe(), js.describe())),
    ];
    Section {
        title: "(a) bulk import against Airtable's limits (5 requests/s per base)",
        rows,
        notes: vec![
            "(a) pyairtable and airtable.js write straight to the same sandbox with a token of their own base: the sandbox answers 429 past 5 requests/s and then refuses the base for 30 s, as Airtable does.".into(),
        ],
    }
}
