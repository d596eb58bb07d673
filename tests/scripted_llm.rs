//! A scripted OpenAI-compatible Chat Completions server: the stack's model in the black-box
//! suite, reached over HTTP like any real one. A test registers a script under a tag and puts
//! `[script:<tag>]` in its first chat message; every request whose conversation carries the tag
//! is answered by the script's next step (a tool call, or text computed from the request — e.g.
//! quoting the tool result it was sent) and recorded, so tests can read what the model was sent.
//! Streams (`stream: true`) are answered as server-sent chunks the way OpenAI sends them.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Mutex, OnceLock};

use axum::Json;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt;
use serde_json::{Value, json};

/// The model id the stack is configured with, and its price (USD per million tokens).
pub const MODEL: &str = "scripted-model";
pub const PRICE_INPUT: f64 = 1000.0;
pub const PRICE_OUTPUT: f64 = 2000.0;
/// Tokens every scripted answer reports.
pub const INPUT_TOKENS: u64 = 100;
pub const OUTPUT_TOKENS: u64 = 20;

/// One answer of a script, given the request it answers.
pub type Step = Box<dyn Fn(&Value) -> Reply + Send + Sync>;

/// What the model answers.
pub enum Reply {
    Text(String),
    /// Text streamed in `pieces` chunks `delay_ms` apart (a slow model, for a Stop button).
    Slow {
        text: String,
        pieces: usize,
        delay_ms: u64,
    },
    /// (tool name, raw arguments string) — raw so a test can send malformed JSON.
    ToolCalls(Vec<(String, String)>),
    /// An HTTP error status with a message.
    Fail(u16, String),
}

#[derive(Default)]
struct Script {
    steps: VecDeque<Step>,
    requests: Vec<Value>,
}

fn scripts() -> &'static Mutex<HashMap<String, Script>> {
    static S: OnceLock<Mutex<HashMap<String, Script>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// Registers a script; returns the marker to put in the first message.
pub fn script(tag: &str, steps: Vec<Step>) -> String {
    scripts().lock().unwrap().insert(
        tag.to_owned(),
        Script {
            steps: steps.into(),
            requests: Vec::new(),
        },
    );
    format!("[script:{tag}]")
}

/// The requests the script has answered, in order.
pub fn requests(tag: &str) -> Vec<Value> {
    scripts()
        .lock()
        .unwrap()
        .get(tag)
        .map(|s| s.requests.clone())
        .unwrap_or_default()
}

/// A step calling one tool with JSON arguments.
pub fn call(name: &str, args: Value) -> Step {
    let (name, args) = (name.to_owned(), args.to_string());
    Box::new(move |_| Reply::ToolCalls(vec![(name.clone(), args.clone())]))
}

/// A step calling several tools at once.
pub fn calls(list: Vec<(&str, Value)>) -> Step {
    let list: Vec<(String, String)> = list
        .into_iter()
        .map(|(n, a)| (n.to_owned(), a.to_string()))
        .collect();
    Box::new(move |_| Reply::ToolCalls(list.clone()))
}

/// A step calling a tool with arguments exactly as given (e.g. not JSON).
pub fn call_raw(name: &str, raw: &str) -> Step {
    let (name, raw) = (name.to_owned(), raw.to_owned());
    Box::new(move |_| Reply::ToolCalls(vec![(name.clone(), raw.clone())]))
}

/// A step answering text computed from the request.
pub fn text(f: impl Fn(&Value) -> String + Send + Sync + 'static) -> Step {
    Box::new(move |req| Reply::Text(f(req)))
}

/// The content of the last `role: tool` message of a request (the newest tool result).
pub fn last_tool_result(req: &Value) -> Value {
    let content = req["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .find(|m| m["role"] == "tool")
        .map(|m| m["content"].clone());
    content
        .and_then(|c| c.as_str().and_then(|s| serde_json::from_str(s).ok()))
        .unwrap_or(Value::Null)
}

fn tag_of(req: &Value) -> Option<String> {
    req["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|m| {
            let text = m["content"].as_str()?;
            let start = text.find("[script:")? + "[script:".len();
            let end = text[start..].find(']')? + start;
            Some(text[start..end].to_owned())
        })
}

fn completion(reply: &Reply) -> (Value, &'static str) {
    match reply {
        Reply::Text(t) | Reply::Slow { text: t, .. } => {
            (json!({"role": "assistant", "content": t}), "stop")
        }
        Reply::ToolCalls(list) => {
            let calls: Vec<Value> = list
                .iter()
                .enumerate()
                .map(|(i, (name, args))| {
                    json!({"id": format!("call_{}_{i}", uuid::Uuid::new_v4().simple()), "type": "function", "function": {"name": name, "arguments": args}})
                })
                .collect();
            (
                json!({"role": "assistant", "content": null, "tool_calls": calls}),
                "tool_calls",
            )
        }
        Reply::Fail(..) => (Value::Null, "stop"),
    }
}

async fn completions(Json(req): Json<Value>) -> Response {
    // A conversation no test scripted (the API contract run sends arbitrary messages) gets a
    // plain answer, as a real model would give.
    let Some(tag) = tag_of(&req) else {
        return answer(&req, Reply::Text(UNSCRIPTED.to_owned()));
    };
    let step = {
        let mut all = scripts().lock().unwrap();
        let Some(script) = all.get_mut(&tag) else {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": {"message": format!("no script {tag}")}})),
            )
                .into_response();
        };
        script.requests.push(req.clone());
        script.steps.pop_front()
    };
    let Some(step) = step else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": format!("script {tag} has no more steps")}})),
        )
            .into_response();
    };
    answer(&req, step(&req))
}

/// What the model says to a conversation without a `[script:…]` marker.
pub const UNSCRIPTED: &str = "I have no script for this conversation.";

/// The completion (or its stream) for one reply.
fn answer(req: &Value, reply: Reply) -> Response {
    if let Reply::Fail(status, message) = &reply {
        return (
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Json(json!({"error": {"message": message}})),
        )
            .into_response();
    }
    let (message, finish) = completion(&reply);
    let usage = json!({"prompt_tokens": INPUT_TOKENS, "completion_tokens": OUTPUT_TOKENS, "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS});
    if req["stream"] != true {
        return Json(json!({"id": "cmpl", "object": "chat.completion", "model": MODEL,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage}))
        .into_response();
    }
    // Streamed: text in two pieces (so deltas are visible; a slow reply in as many as it asks),
    // tool calls with their arguments in two pieces, then the finish reason, the usage, and
    // [DONE].
    let (pieces, delay_ms) = match &reply {
        Reply::Slow {
            pieces, delay_ms, ..
        } => ((*pieces).max(1), *delay_ms),
        _ => (2, 0),
    };
    let mut chunks = Vec::new();
    if let Some(text) = message["content"].as_str() {
        let chars: Vec<char> = text.chars().collect();
        let size = chars.len().div_ceil(pieces).max(1);
        for part in chars.chunks(size) {
            chunks.push(json!({"choices": [{"index": 0, "delta": {"content": part.iter().collect::<String>()}}]}));
        }
    }
    for (i, call) in message["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let args = call["function"]["arguments"].as_str().unwrap_or("");
        let mid = args
            .char_indices()
            .nth(args.chars().count() / 2)
            .map(|(i, _)| i)
            .unwrap_or(0);
        chunks.push(json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": i, "id": call["id"], "type": "function",
            "function": {"name": call["function"]["name"], "arguments": &args[..mid]}}]}}]}));
        chunks.push(json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": i, "function": {"arguments": &args[mid..]}}]}}]}));
    }
    chunks.push(json!({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}));
    chunks.push(json!({"choices": [], "usage": usage}));
    let mut body: Vec<String> = chunks
        .into_iter()
        .map(|c| format!("data: {c}\n\n"))
        .collect();
    body.push("data: [DONE]\n\n".into());
    let stream = futures::stream::iter(body).then(move |chunk| async move {
        if delay_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        }
        Ok::<_, Infallible>(chunk)
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// One step of a script given as JSON (`POST /_scripts`, for tests outside this process such as
/// the browser suite): `{"call": {"name", "arguments"}}`, `{"calls": [{"name", "arguments"}]}`,
/// `{"text": "…", "pieces"?: n, "delayMs"?: ms}` (`{{toolResult}}` in the text becomes the newest
/// tool result), or `{"fail": {"status", "message"}}`.
fn json_step(step: &Value) -> Option<Step> {
    if let Some(c) = step.get("call") {
        return Some(call(c["name"].as_str()?, c["arguments"].clone()));
    }
    if let Some(list) = step.get("calls").and_then(Value::as_array) {
        let list: Option<Vec<(String, String)>> = list
            .iter()
            .map(|c| Some((c["name"].as_str()?.to_owned(), c["arguments"].to_string())))
            .collect();
        let list = list?;
        return Some(Box::new(move |_| Reply::ToolCalls(list.clone())));
    }
    if let Some(t) = step.get("text").and_then(Value::as_str) {
        let (t, pieces, delay_ms) = (
            t.to_owned(),
            step["pieces"].as_u64().unwrap_or(2) as usize,
            step["delayMs"].as_u64().unwrap_or(0),
        );
        return Some(Box::new(move |req| {
            let text = t.replace("{{toolResult}}", &last_tool_result(req).to_string());
            Reply::Slow {
                text,
                pieces,
                delay_ms,
            }
        }));
    }
    let fail = step.get("fail")?;
    let (status, message) = (
        fail["status"].as_u64().unwrap_or(500) as u16,
        fail["message"].as_str().unwrap_or("failed").to_owned(),
    );
    Some(Box::new(move |_| Reply::Fail(status, message.clone())))
}

/// `POST /_scripts {tag, steps: [...]}`: registers a script given as JSON.
async fn register_json(Json(body): Json<Value>) -> Response {
    let tag = body["tag"].as_str().filter(|t| !t.is_empty());
    let steps: Option<Vec<Step>> = body["steps"]
        .as_array()
        .map(|a| a.iter().map(json_step).collect())
        .unwrap_or(None);
    match (tag, steps) {
        (Some(tag), Some(steps)) => (
            StatusCode::CREATED,
            Json(json!({"marker": script(tag, steps)})),
        )
            .into_response(),
        _ => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": "a tag and steps of a known shape are required"})),
        )
            .into_response(),
    }
}

/// Serves the scripted model on a free port of the current runtime; returns its base URL.
pub async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/_scripts", post(register_json));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}
