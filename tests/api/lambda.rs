//! Every function's real `main`, as Lambda runs it: its `bootstrap` (the debug build `make it`
//! builds beside the suite) started under a Runtime API, with the local stack's environment,
//! invoked with its `events/` fixture. The Routers are tested through the local stack; this is
//! what only a function's own `main` does — read its configuration, build its clients, register
//! for SIGTERM, and answer through the runtime.

use std::time::Duration;

use serde_json::Value;
use tests::lambda::{FUNCTIONS, Function, Runtime, TimedProxy, binaries_dir, fixture};

#[tokio::test]
async fn every_function_answers_its_fixture_through_the_lambda_runtime() {
    let stack = tests::stack();
    let dir = binaries_dir();
    // The functions reach the emulator through a proxy that counts their calls.
    let proxy = TimedProxy::start(&stack.aws_endpoint).await;
    let mut env = stack.env.clone();
    env.insert("AWS_ENDPOINT_URL".into(), proxy.url());
    let mut failures = Vec::new();
    for (bin, event) in FUNCTIONS {
        let bootstrap = dir.join(bin);
        assert!(
            bootstrap.exists(),
            "{} is missing: `make it` builds every function's binary first",
            bootstrap.display()
        );
        let runtime = Runtime::start(bin).await;
        let function = Function::spawn(&bootstrap, bin, &runtime, &env);
        let answer = runtime
            .invoke(&fixture(event), Duration::from_secs(60))
            .await;
        let verdict = match &answer {
            Ok(a) if a.ok => judge(bin, &a.body).map(|what| {
                eprintln!(
                    "{bin}: {what} {:.0} ms after exec",
                    a.at.duration_since(function.started).as_secs_f64() * 1000.0
                )
            }),
            Ok(a) => Err(format!(
                "reported an error: {}",
                String::from_utf8_lossy(&a.body)
            )),
            Err(e) => Err(e.clone()),
        };
        // A second event on the same instance: the runtime loop goes on after the first.
        let again = runtime
            .invoke(&fixture(event), Duration::from_secs(30))
            .await;
        let stderr = function.stop().await;
        match (verdict, again) {
            (Ok(()), Ok(_)) => {}
            (Err(why), _) | (Ok(()), Err(why)) => {
                failures.push(format!("{bin} ({event}): {why}\n{stderr}"))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // A saga step's answer goes to Step Functions: the functions' AWS calls reach the emulator
    // their environment names.
    assert!(proxy.count() > 0, "no function called AWS");
}

/// An HTTP function answers an API Gateway response (a status below 500, a problem body when
/// it refuses); an SQS function answers a batch response.
fn judge(bin: &str, body: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(body);
    if bin.ends_with("-stream") {
        // A streamed response: the prelude (status and headers) comes first.
        let status = text
            .split("\"statusCode\":")
            .nth(1)
            .and_then(|r| r.get(..3))
            .and_then(|s| s.parse::<u16>().ok());
        return match status {
            Some(s) if s < 500 => Ok(format!("streamed {s}")),
            _ => Err(format!("unexpected streamed answer: {text:.300}")),
        };
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("{e}: {text:.300}"))?;
    if let Some(status) = v.get("statusCode").and_then(Value::as_u64) {
        return if status < 500 {
            Ok(format!("answered {status}"))
        } else {
            Err(format!("answered {status}: {text:.300}"))
        };
    }
    if let Some(failures) = v.get("batchItemFailures").and_then(Value::as_array) {
        return Ok(format!("a batch answer ({} failed items)", failures.len()));
    }
    Err(format!("neither an HTTP nor a batch answer: {text:.300}"))
}
