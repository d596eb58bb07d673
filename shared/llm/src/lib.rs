//! Language models behind one narrow trait, with two real implementations chosen by
//! `LLM_PROVIDER`: Amazon Bedrock Converse (`bedrock`) and any OpenAI-compatible Chat Completions
//! server (`openai`: OpenAI, Gemini's OpenAI endpoint, vLLM, Ollama, llama.cpp). Also the price
//! table that turns token counts into dollars.

mod bedrock;
mod openai;
pub mod spend;

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use bedrock::Bedrock;
pub use openai::OpenAi;
/// Token counts, prices and the model configuration are plain data in `platform` (the config
/// reads them); they are re-exported here, where the model calls use them.
pub use platform::config::LlmConfig;
pub use platform::prices::{Price, Prices, Usage};

/// Who said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    User,
    Assistant,
}

/// One piece of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Block {
    Text {
        text: String,
    },
    /// The model asks for a tool. `malformed` holds the raw arguments when they were not a JSON
    /// object (the call is then answered with a tool error, never run).
    ToolUse {
        id: String,
        name: String,
        input: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        malformed: Option<String>,
    },
    /// A tool's answer, sent back to the model.
    ToolResult {
        id: String,
        content: Value,
        is_error: bool,
    },
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Speaker,
    pub content: Vec<Block>,
}

impl Message {
    pub fn user_text(text: impl Into<String>) -> Self {
        Self {
            role: Speaker::User,
            content: vec![Block::Text { text: text.into() }],
        }
    }

    /// The message's text blocks, joined.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|b| match b {
                Block::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments.
    pub schema: Value,
}

/// One model call.
#[derive(Debug, Clone)]
pub struct Request {
    pub system: String,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolDef>,
    pub max_tokens: u32,
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    EndTurn,
    ToolUse,
    MaxTokens,
    Other,
}

/// The model's answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub content: Vec<Block>,
    pub stop: Stop,
    pub usage: Usage,
}

/// A model call failed.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The provider refused the request (4xx): not worth retrying.
    #[error("the model provider refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    /// The provider is throttling us.
    #[error("the model provider is throttling requests")]
    Throttled,
    /// No usable answer (network, 5xx, unparseable body).
    #[error("the model provider failed: {0}")]
    Unavailable(String),
}

/// Called with each piece of text as the model produces it.
pub type OnText<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// A boxed future (the trait is used as `dyn Provider`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A language model that can call tools.
pub trait Provider: Send + Sync {
    /// The model id (prices are looked up by it).
    fn model(&self) -> &str;
    /// One call; `on_text` receives text as it streams (providers that do not stream call it
    /// once with the whole text).
    fn converse<'a>(
        &'a self,
        request: &'a Request,
        on_text: OnText<'a>,
    ) -> BoxFuture<'a, Result<Response, LlmError>>;
}

/// A rough token count of text (4 characters a token), for budgets and history trimming; errs
/// on the high side for typical English and JSON.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4) + 4
}

/// Tokens of a whole request (system, messages, tool schemas).
pub fn estimate_request_tokens(request: &Request) -> u64 {
    let mut n = estimate_tokens(&request.system);
    for m in &request.messages {
        n += estimate_tokens(&serde_json::to_string(&m.content).unwrap_or_default());
    }
    for t in &request.tools {
        n += estimate_tokens(&t.description) + estimate_tokens(&t.schema.to_string());
    }
    n
}

/// Builds the configured provider (once per cold start).
pub fn provider(
    config: &LlmConfig,
    bedrock: &aws_sdk_bedrockruntime::Client,
) -> Option<std::sync::Arc<dyn Provider>> {
    match config {
        LlmConfig::Bedrock { model } => Some(std::sync::Arc::new(Bedrock::new(
            bedrock.clone(),
            model.clone(),
        ))),
        LlmConfig::OpenAi {
            base_url,
            api_key,
            model,
        } => Some(std::sync::Arc::new(OpenAi::new(
            base_url,
            api_key.clone(),
            model.clone(),
        ))),
        LlmConfig::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_serialise_with_a_type_tag() {
        let b = Block::ToolUse {
            id: "t1".into(),
            name: "list_bases".into(),
            input: serde_json::json!({}),
            malformed: None,
        };
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            serde_json::json!({"type": "toolUse", "id": "t1", "name": "list_bases", "input": {}})
        );
    }
}
