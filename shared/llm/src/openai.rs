//! OpenAI-compatible Chat Completions (`POST {LLM_BASE_URL}/chat/completions`), streamed:
//! `tools` out, `tool_calls` (arguments as JSON strings) back, `role: tool` results, usage from
//! the final chunk. Works with OpenAI, Gemini's OpenAI endpoint, vLLM, Ollama and llama.cpp.

use std::time::Duration;

use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{
    Block, BoxFuture, LlmError, OnText, Provider, Request, Response, Speaker, Stop, Usage,
};

/// Attempts per call on 429 and 5xx.
const ATTEMPTS: u32 = 3;

pub struct OpenAi {
    http: reqwest::Client,
    url: String,
    api_key: Option<SecretString>,
    model: String,
}

impl OpenAi {
    pub fn new(base_url: &str, api_key: Option<SecretString>, model: String) -> Self {
        let http = platform::outbound::client_builder()
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            http,
            url: format!("{}/chat/completions", base_url.trim_end_matches('/')),
            api_key,
            model,
        }
    }
}

/// Our conversation in Chat Completions messages.
pub(crate) fn to_messages(request: &Request) -> Vec<Value> {
    let mut out = vec![json!({"role": "system", "content": request.system})];
    for m in &request.messages {
        match m.role {
            Speaker::User => {
                // Tool results travel as `role: tool` messages, one per call, before any text.
                for b in &m.content {
                    if let Block::ToolResult { id, content, .. } = b {
                        out.push(json!({"role": "tool", "tool_call_id": id, "content": content.to_string()}));
                    }
                }
                let text = m.text();
                if !text.is_empty() {
                    out.push(json!({"role": "user", "content": text}));
                }
            }
            Speaker::Assistant => {
                let calls: Vec<Value> = m
                    .content
                    .iter()
                    .filter_map(|b| match b {
                        Block::ToolUse { id, name, input, malformed } => Some(json!({
                            "id": id, "type": "function",
                            "function": {"name": name, "arguments": malformed.clone().unwrap_or_else(|| input.to_string())},
                        })),
                        _ => None,
                    })
                    .collect();
                let text = m.text();
                let mut msg = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { json!(text) }});
                if !calls.is_empty() {
                    msg["tool_calls"] = json!(calls);
                }
                out.push(msg);
            }
        }
    }
    out
}

/// A tool call's arguments: a JSON object, or the raw text when it is not one.
pub(crate) fn parse_arguments(raw: &str) -> (Value, Option<String>) {
    let raw_trim = raw.trim();
    if raw_trim.is_empty() {
        return (json!({}), None);
    }
    match serde_json::from_str::<Value>(raw_trim) {
        Ok(v @ Value::Object(_)) => (v, None),
        _ => (Value::Null, Some(raw.to_owned())),
    }
}

/// Accumulates a streamed answer.
#[derive(Default)]
struct Assembly {
    text: String,
    /// (id, name, arguments) by index.
    calls: Vec<(String, String, String)>,
    finish: Option<String>,
    usage: Usage,
}

impl Assembly {
    fn chunk(&mut self, v: &Value, on_text: OnText<'_>) {
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            self.usage = Usage {
                input_tokens: u["prompt_tokens"].as_u64().unwrap_or(0),
                output_tokens: u["completion_tokens"].as_u64().unwrap_or(0),
            };
        }
        let Some(choice) = v["choices"].get(0) else {
            return;
        };
        if let Some(f) = choice["finish_reason"].as_str() {
            self.finish = Some(f.to_owned());
        }
        // A streamed chunk carries `delta`; a whole answer carries `message`.
        let delta = if choice.get("delta").is_some() {
            &choice["delta"]
        } else {
            &choice["message"]
        };
        if let Some(t) = delta["content"].as_str().filter(|t| !t.is_empty()) {
            on_text(t);
            self.text.push_str(t);
        }
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            // Servers that leave out `index` start each call with its `id`.
            let index = match call["index"].as_u64() {
                Some(i) => i as usize,
                None => match call["id"].as_str() {
                    Some(id) if self.calls.last().is_none_or(|last| last.0 != id) => {
                        self.calls.len()
                    }
                    _ => self.calls.len().saturating_sub(1),
                },
            };
            while self.calls.len() <= index {
                self.calls.push(Default::default());
            }
            let slot = &mut self.calls[index];
            if let Some(id) = call["id"].as_str() {
                slot.0 = id.to_owned();
            }
            if let Some(name) = call["function"]["name"].as_str() {
                slot.1.push_str(name);
            }
            if let Some(args) = call["function"]["arguments"].as_str() {
                slot.2.push_str(args);
            }
        }
    }

    fn finish(self) -> Response {
        let mut content = Vec::new();
        if !self.text.is_empty() {
            content.push(Block::Text { text: self.text });
        }
        for (i, (id, name, args)) in self.calls.into_iter().enumerate() {
            let (input, malformed) = parse_arguments(&args);
            let id = if id.is_empty() {
                format!("call_{i}")
            } else {
                id
            };
            content.push(Block::ToolUse {
                id,
                name,
                input,
                malformed,
            });
        }
        let has_calls = content.iter().any(|b| matches!(b, Block::ToolUse { .. }));
        let stop = match self.finish.as_deref() {
            _ if has_calls => Stop::ToolUse,
            Some("stop") | None => Stop::EndTurn,
            Some("length") => Stop::MaxTokens,
            Some(_) => Stop::Other,
        };
        Response {
            content,
            stop,
            usage: self.usage,
        }
    }
}

impl OpenAi {
    /// One request, timed into the request's `Server-Timing` as `llm`.
    async fn once(&self, body: &Value, on_text: OnText<'_>) -> Result<Response, LlmError> {
        let start = std::time::Instant::now();
        let out = self.send(body, on_text).await;
        platform::telemetry::record::dependency_call("llm", start, std::time::Instant::now());
        out
    }

    async fn send(&self, body: &Value, on_text: OnText<'_>) -> Result<Response, LlmError> {
        let mut req = self.http.post(&self.url).json(body);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key.expose_secret());
        }
        let res = req
            .send()
            .await
            .map_err(|e| LlmError::Unavailable(format!("request failed: {}", e.without_url())))?;
        let status = res.status().as_u16();
        if status == 429 {
            return Err(LlmError::Throttled);
        }
        if status >= 400 {
            let text = res.text().await.unwrap_or_default();
            let message: String = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| text.chars().take(300).collect());
            return Err(if status >= 500 {
                LlmError::Unavailable(format!("{status}: {message}"))
            } else {
                LlmError::Refused { status, message }
            });
        }
        let is_stream = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/event-stream"));
        let mut asm = Assembly::default();
        if !is_stream {
            let v: Value = res.json().await.map_err(|e| {
                LlmError::Unavailable(format!("unreadable answer: {}", e.without_url()))
            })?;
            asm.chunk(&v, on_text);
            return Ok(asm.finish());
        }
        let mut stream = res.bytes_stream();
        // Bytes, not text: a character can be split across network chunks.
        let mut buf: Vec<u8> = Vec::new();
        while let Some(bytes) = stream.next().await {
            let bytes = bytes
                .map_err(|e| LlmError::Unavailable(format!("stream broke: {}", e.without_url())))?;
            buf.extend_from_slice(&bytes);
            while let Some(end) = buf.iter().position(|b| *b == b'\n') {
                let line = String::from_utf8_lossy(&buf[..end]).trim().to_owned();
                buf.drain(..=end);
                let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                    continue;
                };
                if data == "[DONE]" {
                    return Ok(asm.finish());
                }
                if let Ok(v) = serde_json::from_str::<Value>(data) {
                    if let Some(e) = v.get("error") {
                        return Err(LlmError::Unavailable(
                            e["message"]
                                .as_str()
                                .unwrap_or("error in stream")
                                .to_owned(),
                        ));
                    }
                    asm.chunk(&v, on_text);
                }
            }
        }
        Ok(asm.finish())
    }
}

impl Provider for OpenAi {
    fn model(&self) -> &str {
        &self.model
    }

    fn converse<'a>(
        &'a self,
        request: &'a Request,
        on_text: OnText<'a>,
    ) -> BoxFuture<'a, Result<Response, LlmError>> {
        Box::pin(async move {
            let mut body = json!({
                "model": self.model,
                "messages": to_messages(request),
                "max_tokens": request.max_tokens,
                "stream": true,
                "stream_options": {"include_usage": true},
            });
            if !request.tools.is_empty() {
                body["tools"] = json!(request
                    .tools
                    .iter()
                    .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.schema}}))
                    .collect::<Vec<_>>());
            }
            // Text already passed on cannot be taken back: after any, a failure is final.
            let emitted = std::sync::atomic::AtomicBool::new(false);
            let forward = |t: &str| {
                emitted.store(true, std::sync::atomic::Ordering::Relaxed);
                on_text(t);
            };
            let mut attempt = 0;
            loop {
                attempt += 1;
                match self.once(&body, &forward).await {
                    Err(LlmError::Throttled | LlmError::Unavailable(_))
                        if attempt < ATTEMPTS
                            && !emitted.load(std::sync::atomic::Ordering::Relaxed) =>
                    {
                        tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt))).await;
                    }
                    other => return other,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    #[test]
    fn streamed_chunks_assemble_into_text_and_tool_calls() {
        let mut asm = Assembly::default();
        let seen = std::sync::Mutex::new(String::new());
        let on_text = |t: &str| seen.lock().unwrap().push_str(t);
        for chunk in [
            json!({"choices": [{"delta": {"content": "Let me "}}]}),
            json!({"choices": [{"delta": {"content": "look."}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "list_", "arguments": "{\"base"}}]}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"name": "tables", "arguments": "_id\": \"app1\"}"}}]}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"index": 1, "id": "call_2", "function": {"name": "list_bases", "arguments": "{oops"}}]}, "finish_reason": "tool_calls"}]}),
            json!({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 7}}),
        ] {
            asm.chunk(&chunk, &on_text);
        }
        let r = asm.finish();
        assert_eq!(*seen.lock().unwrap(), "Let me look.");
        assert_eq!(r.stop, Stop::ToolUse);
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 12,
                output_tokens: 7
            }
        );
        assert_eq!(
            r.content[1],
            Block::ToolUse {
                id: "call_1".into(),
                name: "list_tables".into(),
                input: json!({"base_id": "app1"}),
                malformed: None
            }
        );
        assert!(
            matches!(&r.content[2], Block::ToolUse { malformed: Some(raw), .. } if raw == "{oops")
        );
    }

    #[test]
    fn tool_results_become_tool_messages_after_the_assistants_calls() {
        let request = Request {
            system: "sys".into(),
            messages: vec![
                Message::user_text("hi"),
                Message {
                    role: Speaker::Assistant,
                    content: vec![Block::ToolUse {
                        id: "c1".into(),
                        name: "list_bases".into(),
                        input: json!({}),
                        malformed: None,
                    }],
                },
                Message {
                    role: Speaker::User,
                    content: vec![Block::ToolResult {
                        id: "c1".into(),
                        content: json!({"bases": []}),
                        is_error: false,
                    }],
                },
            ],
            tools: vec![],
            max_tokens: 100,
        };
        let m = to_messages(&request);
        assert_eq!(m[0]["role"], "system");
        assert_eq!(m[2]["tool_calls"][0]["function"]["arguments"], "{}");
        assert_eq!(m[2]["content"], Value::Null);
        assert_eq!(
            m[3],
            json!({"role": "tool", "tool_call_id": "c1", "content": "{\"bases\":[]}"})
        );
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn calls_without_an_index_are_told_apart_by_their_id() {
        let mut asm = Assembly::default();
        for chunk in [
            json!({"choices": [{"delta": {"tool_calls": [{"id": "a", "function": {"name": "list_bases", "arguments": "{}"}}]}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"id": "b", "function": {"name": "get_record", "arguments": "{\"x\""}}]}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"function": {"arguments": ": 1}"}}]}}]}),
        ] {
            asm.chunk(&chunk, &|_| {});
        }
        let r = asm.finish();
        assert_eq!(r.content.len(), 2);
        assert!(
            matches!(&r.content[1], Block::ToolUse { id, input, .. } if id == "b" && input == &json!({"x": 1}))
        );
    }

    #[test]
    fn arguments_that_are_not_an_object_are_kept_raw() {
        assert_eq!(parse_arguments(""), (json!({}), None));
        assert_eq!(parse_arguments("[1]"), (Value::Null, Some("[1]".into())));
        assert_eq!(parse_arguments(r#"{"a":1}"#).0, json!({"a": 1}));
    }
}
