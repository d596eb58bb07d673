//! Amazon Bedrock Converse: `toolConfig` out, `toolUse` blocks back (`stopReason: tool_use`),
//! `toolResult` blocks in the next user turn, token usage. The answer comes whole (one text
//! callback), which is what Converse returns.

use std::collections::HashMap;

use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::operation::converse::ConverseError;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseOutput, InferenceConfiguration, Message as BrMessage,
    StopReason, SystemContentBlock, Tool, ToolConfiguration, ToolInputSchema, ToolResultBlock,
    ToolResultContentBlock, ToolResultStatus, ToolSpecification, ToolUseBlock,
};
use aws_smithy_types::{Document, Number};
use serde_json::Value;

use super::{
    Block, BoxFuture, LlmError, OnText, Provider, Request, Response, Speaker, Stop, Usage,
};

pub struct Bedrock {
    client: aws_sdk_bedrockruntime::Client,
    model: String,
}

impl Bedrock {
    pub fn new(client: aws_sdk_bedrockruntime::Client, model: String) -> Self {
        Self { client, model }
    }
}

/// JSON into a Smithy document.
pub(crate) fn to_document(v: &Value) -> Document {
    match v {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            _ => Number::Float(n.as_f64().unwrap_or(0.0)),
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(a) => Document::Array(a.iter().map(to_document).collect()),
        Value::Object(o) => Document::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), to_document(v)))
                .collect::<HashMap<_, _>>(),
        ),
    }
}

/// A Smithy document into JSON.
pub(crate) fn to_json(d: &Document) -> Value {
    match d {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Document::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

fn build_err(e: impl std::fmt::Display) -> LlmError {
    LlmError::Refused {
        status: 400,
        message: format!("could not build the Bedrock request: {e}"),
    }
}

/// `toolResult.status` is documented for Anthropic Claude and Amazon Nova models only.
fn supports_status(model: &str) -> bool {
    model.contains("anthropic.") || model.contains("amazon.nova")
}

fn to_messages(request: &Request, model: &str) -> Result<Vec<BrMessage>, LlmError> {
    request
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Speaker::User => ConversationRole::User,
                Speaker::Assistant => ConversationRole::Assistant,
            };
            let mut content = Vec::new();
            for b in &m.content {
                content.push(match b {
                    Block::Text { text } => ContentBlock::Text(text.clone()),
                    Block::ToolUse {
                        id, name, input, ..
                    } => ContentBlock::ToolUse(
                        ToolUseBlock::builder()
                            .tool_use_id(id)
                            .name(name)
                            // Converse wants an object; a malformed call is recorded as `{}`.
                            .input(if input.is_object() {
                                to_document(input)
                            } else {
                                Document::Object(HashMap::new())
                            })
                            .build()
                            .map_err(build_err)?,
                    ),
                    Block::ToolResult {
                        id,
                        content,
                        is_error,
                    } => ContentBlock::ToolResult(
                        ToolResultBlock::builder()
                            .tool_use_id(id)
                            // Converse wants a JSON object here.
                            .content(ToolResultContentBlock::Json(to_document(&if content
                                .is_object()
                            {
                                content.clone()
                            } else {
                                serde_json::json!({ "result": content })
                            })))
                            .set_status(supports_status(model).then_some(if *is_error {
                                ToolResultStatus::Error
                            } else {
                                ToolResultStatus::Success
                            }))
                            .build()
                            .map_err(build_err)?,
                    ),
                });
            }
            BrMessage::builder()
                .role(role)
                .set_content(Some(content))
                .build()
                .map_err(build_err)
        })
        .collect()
}

fn from_output(output: Option<&ConverseOutput>, stop: &StopReason, usage: Usage) -> Response {
    let mut content = Vec::new();
    if let Some(ConverseOutput::Message(m)) = output {
        for b in m.content() {
            match b {
                ContentBlock::Text(t) => content.push(Block::Text { text: t.clone() }),
                ContentBlock::ToolUse(t) => {
                    let input = to_json(t.input());
                    let (input, malformed) = if input.is_object() {
                        (input, None)
                    } else {
                        (Value::Null, Some(input.to_string()))
                    };
                    content.push(Block::ToolUse {
                        id: t.tool_use_id().to_owned(),
                        name: t.name().to_owned(),
                        input,
                        malformed,
                    });
                }
                _ => {}
            }
        }
    }
    let stop = match stop {
        StopReason::ToolUse => Stop::ToolUse,
        StopReason::EndTurn | StopReason::StopSequence => Stop::EndTurn,
        StopReason::MaxTokens => Stop::MaxTokens,
        _ => Stop::Other,
    };
    Response {
        content,
        stop,
        usage,
    }
}

fn map_error(e: SdkError<ConverseError>) -> LlmError {
    match e {
        SdkError::ServiceError(se) => match se.into_err() {
            ConverseError::ThrottlingException(_)
            | ConverseError::ServiceUnavailableException(_) => LlmError::Throttled,
            ConverseError::ValidationException(v) => LlmError::Refused {
                status: 400,
                message: v.message().unwrap_or("invalid request").to_owned(),
            },
            ConverseError::AccessDeniedException(_) => LlmError::Refused {
                status: 403,
                message: "access to the model is denied (model access or IAM)".into(),
            },
            ConverseError::ResourceNotFoundException(_) => LlmError::Refused {
                status: 404,
                message: "the model does not exist in this region".into(),
            },
            other => LlmError::Unavailable(other.to_string()),
        },
        other => LlmError::Unavailable(other.to_string()),
    }
}

impl Provider for Bedrock {
    fn model(&self) -> &str {
        &self.model
    }

    fn converse<'a>(
        &'a self,
        request: &'a Request,
        on_text: OnText<'a>,
    ) -> BoxFuture<'a, Result<Response, LlmError>> {
        Box::pin(async move {
            let mut call = self
                .client
                .converse()
                .model_id(&self.model)
                .system(SystemContentBlock::Text(request.system.clone()))
                .set_messages(Some(to_messages(request, &self.model)?))
                .inference_config(
                    InferenceConfiguration::builder()
                        .max_tokens(request.max_tokens.min(i32::MAX as u32) as i32)
                        .build(),
                );
            if !request.tools.is_empty() {
                let tools = request
                    .tools
                    .iter()
                    .map(|t| {
                        ToolSpecification::builder()
                            .name(&t.name)
                            .description(&t.description)
                            .input_schema(ToolInputSchema::Json(to_document(&t.schema)))
                            .build()
                            .map(Tool::ToolSpec)
                            .map_err(build_err)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                call = call.tool_config(
                    ToolConfiguration::builder()
                        .set_tools(Some(tools))
                        .build()
                        .map_err(build_err)?,
                );
            }
            let out = call.send().await.map_err(map_error)?;
            let usage = out
                .usage()
                .map(|u| Usage {
                    input_tokens: u.input_tokens().max(0) as u64,
                    output_tokens: u.output_tokens().max(0) as u64,
                })
                .unwrap_or_default();
            let response = from_output(out.output(), out.stop_reason(), usage);
            let text: String = response
                .content
                .iter()
                .filter_map(|b| {
                    if let Block::Text { text } = b {
                        Some(text.as_str())
                    } else {
                        None
                    }
                })
                .collect();
            if !text.is_empty() {
                on_text(&text);
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    //! Tool-use round trips at the SDK seam: the real client, its request and response types,
    //! with the HTTP exchange replaced by aws-smithy-mocks rules.

    use super::*;
    use crate::{Message, ToolDef};
    use aws_sdk_bedrockruntime::operation::converse::ConverseOutput as ConverseResult;
    use aws_sdk_bedrockruntime::types::TokenUsage;
    use aws_sdk_bedrockruntime::types::error::ThrottlingException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use serde_json::json;

    fn usage(i: i32, o: i32) -> TokenUsage {
        TokenUsage::builder()
            .input_tokens(i)
            .output_tokens(o)
            .total_tokens(i + o)
            .build()
            .unwrap()
    }

    fn request(messages: Vec<Message>) -> Request {
        Request {
            system: "You help with Airtable.".into(),
            messages,
            tools: vec![ToolDef {
                name: "list_tables".into(),
                description: "List tables".into(),
                schema: json!({"type": "object", "properties": {"base_id": {"type": "string"}}}),
            }],
            max_tokens: 512,
        }
    }

    #[tokio::test]
    async fn a_tool_use_answer_becomes_a_tool_call_and_its_result_goes_back_as_a_tool_result() {
        let asks_for_tool = mock!(aws_sdk_bedrockruntime::Client::converse)
            .match_requests(|r| {
                r.model_id() == Some("anthropic.test")
                    && r.tool_config().is_some_and(|t| t.tools().len() == 1)
                    && r.messages().len() == 1
                    && r.inference_config().and_then(|c| c.max_tokens()) == Some(512)
            })
            .then_output(|| {
                let tool_use = ToolUseBlock::builder()
                    .tool_use_id("tu1")
                    .name("list_tables")
                    .input(to_document(&json!({"base_id": "appAAAAAAAAAAAAAA"})))
                    .build()
                    .unwrap();
                ConverseResult::builder()
                    .output(ConverseOutput::Message(
                        BrMessage::builder()
                            .role(ConversationRole::Assistant)
                            .content(ContentBlock::ToolUse(tool_use))
                            .build()
                            .unwrap(),
                    ))
                    .stop_reason(StopReason::ToolUse)
                    .usage(usage(100, 20))
                    .build()
                    .unwrap()
            });
        let answers = mock!(aws_sdk_bedrockruntime::Client::converse)
            .match_requests(|r| {
                // The second call carries the assistant's toolUse and our toolResult.
                r.messages().len() == 3
                    && matches!(&r.messages()[2].content()[0], ContentBlock::ToolResult(t)
                        if t.tool_use_id() == "tu1" && t.status() == Some(&ToolResultStatus::Success))
            })
            .then_output(|| {
                ConverseResult::builder()
                    .output(ConverseOutput::Message(
                        BrMessage::builder()
                            .role(ConversationRole::Assistant)
                            .content(ContentBlock::Text("There is one table: People.".into()))
                            .build()
                            .unwrap(),
                    ))
                    .stop_reason(StopReason::EndTurn)
                    .usage(usage(150, 10))
                    .build()
                    .unwrap()
            });
        let client = mock_client!(
            aws_sdk_bedrockruntime,
            RuleMode::Sequential,
            [&asks_for_tool, &answers]
        );
        let bedrock = Bedrock::new(client, "anthropic.test".into());
        let seen = std::sync::Mutex::new(String::new());
        let on_text = |t: &str| seen.lock().unwrap().push_str(t);

        let mut messages = vec![Message::user_text("Which tables are there?")];
        let first = bedrock
            .converse(&request(messages.clone()), &on_text)
            .await
            .unwrap();
        assert_eq!(first.stop, Stop::ToolUse);
        assert_eq!(
            first.usage,
            Usage {
                input_tokens: 100,
                output_tokens: 20
            }
        );
        let Block::ToolUse {
            id,
            name,
            input,
            malformed: None,
        } = &first.content[0]
        else {
            panic!("{first:?}")
        };
        assert_eq!((id.as_str(), name.as_str()), ("tu1", "list_tables"));
        assert_eq!(input, &json!({"base_id": "appAAAAAAAAAAAAAA"}));

        messages.push(Message {
            role: Speaker::Assistant,
            content: first.content.clone(),
        });
        messages.push(Message {
            role: Speaker::User,
            content: vec![Block::ToolResult {
                id: "tu1".into(),
                content: json!({"tables": [{"name": "People"}]}),
                is_error: false,
            }],
        });
        let second = bedrock
            .converse(&request(messages), &on_text)
            .await
            .unwrap();
        assert_eq!(second.stop, Stop::EndTurn);
        assert_eq!(
            second.content,
            vec![Block::Text {
                text: "There is one table: People.".into()
            }]
        );
        assert_eq!(*seen.lock().unwrap(), "There is one table: People.");
        assert_eq!(asks_for_tool.num_calls(), 1);
        assert_eq!(answers.num_calls(), 1);
    }

    #[tokio::test]
    async fn throttling_is_reported_as_throttled() {
        let throttled = mock!(aws_sdk_bedrockruntime::Client::converse).then_error(|| {
            ConverseError::ThrottlingException(
                ThrottlingException::builder().message("slow down").build(),
            )
        });
        let client = mock_client!(aws_sdk_bedrockruntime, [&throttled]);
        let bedrock = Bedrock::new(client, "anthropic.test".into());
        let err = bedrock
            .converse(&request(vec![Message::user_text("hi")]), &|_| {})
            .await
            .unwrap_err();
        assert!(matches!(err, LlmError::Throttled), "{err:?}");
    }

    #[test]
    fn documents_round_trip_json() {
        let v = json!({"a": [1, -2, 2.5, "x", true, null], "b": {"c": {}}});
        assert_eq!(to_json(&to_document(&v)), v);
    }
}
