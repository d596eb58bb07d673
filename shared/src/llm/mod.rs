//! Language models behind one narrow trait, with two real implementations chosen by
//! `LLM_PROVIDER`: Amazon Bedrock Converse (`bedrock`) and any OpenAI-compatible Chat Completions
//! server (`openai`: OpenAI, Gemini's OpenAI endpoint, vLLM, Ollama, llama.cpp). Also the price
//! table that turns token counts into dollars.

mod bedrock;
mod openai;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use bedrock::Bedrock;
pub use openai::OpenAi;

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

/// Tokens of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
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

/// Dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

/// Prices per model id. Unknown models are priced at `fallback` — deliberately high, so a
/// budget never fails open because a price is missing.
#[derive(Debug, Clone)]
pub struct Prices {
    models: HashMap<String, Price>,
    fallback: Price,
}

impl Default for Prices {
    fn default() -> Self {
        let known = [
            ("anthropic.claude-3-5-sonnet-20241022-v2:0", 3.0, 15.0),
            ("anthropic.claude-3-5-haiku-20241022-v1:0", 0.8, 4.0),
            ("anthropic.claude-3-haiku-20240307-v1:0", 0.25, 1.25),
            ("us.anthropic.claude-sonnet-4-20250514-v1:0", 3.0, 15.0),
            ("amazon.nova-pro-v1:0", 0.8, 3.2),
            ("amazon.nova-lite-v1:0", 0.06, 0.24),
            ("gpt-4o", 2.5, 10.0),
            ("gpt-4o-mini", 0.15, 0.6),
            ("gemini-2.0-flash", 0.1, 0.4),
        ];
        Self {
            models: known
                .into_iter()
                .map(|(m, i, o)| {
                    (
                        m.to_owned(),
                        Price {
                            input: i,
                            output: o,
                        },
                    )
                })
                .collect(),
            fallback: Price {
                input: 15.0,
                output: 75.0,
            },
        }
    }
}

impl Prices {
    /// The defaults, overridden by `LLM_PRICES` (`{"model": {"input": 3, "output": 15}}`).
    pub fn parse(overrides: Option<&str>) -> Result<Self, serde_json::Error> {
        let mut prices = Self::default();
        if let Some(raw) = overrides.filter(|r| !r.trim().is_empty()) {
            let extra: HashMap<String, Price> = serde_json::from_str(raw)?;
            if extra.values().any(|p| {
                !(p.input >= 0.0 && p.output >= 0.0 && p.input.is_finite() && p.output.is_finite())
            }) {
                return Err(serde::de::Error::custom(
                    "prices must be finite and not negative",
                ));
            }
            prices.models.extend(extra);
        }
        Ok(prices)
    }

    pub fn of(&self, model: &str) -> Price {
        self.models.get(model).copied().unwrap_or(self.fallback)
    }

    /// Cost of a call in micro-dollars (integers add up exactly in DynamoDB).
    pub fn cost_micros(&self, model: &str, usage: Usage) -> u64 {
        let p = self.of(model);
        // $ per 1M tokens × tokens = micro-dollars.
        (p.input * usage.input_tokens as f64 + p.output * usage.output_tokens as f64).ceil() as u64
    }
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

/// How the platform reaches its model, from `LLM_*`.
#[derive(Debug, Clone)]
pub enum LlmConfig {
    Bedrock {
        model: String,
    },
    OpenAi {
        base_url: String,
        api_key: Option<SecretString>,
        model: String,
    },
    /// No model configured: chat answers 503 saying how to configure one.
    None,
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
    fn costs_are_micro_dollars_and_unknown_models_are_priced_high() {
        let prices = Prices::parse(Some(r#"{"scripted": {"input": 1.0, "output": 2.0}}"#)).unwrap();
        assert_eq!(
            prices.cost_micros(
                "scripted",
                Usage {
                    input_tokens: 1000,
                    output_tokens: 500
                }
            ),
            2000
        );
        assert_eq!(
            prices.cost_micros(
                "gpt-4o",
                Usage {
                    input_tokens: 1_000_000,
                    output_tokens: 0
                }
            ),
            2_500_000
        );
        assert_eq!(
            prices.of("never-heard-of-it"),
            Price {
                input: 15.0,
                output: 75.0
            }
        );
        assert!(Prices::parse(Some("not json")).is_err());
        assert!(
            Prices::parse(Some(r#"{"m": {"input": -1, "output": 1}}"#)).is_err(),
            "a negative price would make calls free"
        );
    }

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
