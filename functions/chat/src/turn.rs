//! One chat turn: the user's message, the session's history (bounded by a token budget, and the
//! model told when older messages were left out), a system prompt naming the tenant's bases, and
//! the loop — call the model, run the tools it asks for (concurrently, through the shared
//! registry, as the caller's role allows), give it the results — until it answers or the
//! iteration cap is reached. The budget is checked before every model call; every call's tokens
//! and cost are counted as they happen.

use std::sync::Arc;
use std::time::Instant;

use llm::spend::{self, BudgetStatus};
use llm::{self, Block, LlmError, Message, Provider, Request, Speaker, ToolDef, Usage};
use platform::auth::{Identity, Role};
use platform::error::ApiError;
use platform::ids::{BaseId, ChatId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

use crate::AppState;
use crate::sessions::{self, Loaded, StoredMessage, ToolCallRecord};

/// Longest user message.
const MAX_MESSAGE_CHARS: usize = 8_000;
/// Largest tool result handed to the model (and stored), in bytes; larger ones are cut with a
/// note. The results of one answer share `MAX_TOOL_RESULTS_BYTES`, so the stored message stays
/// well inside DynamoDB's 400 KB item (and a turn inside a transaction's 4 MB).
const MAX_TOOL_RESULT_BYTES: usize = 60_000;
const MAX_TOOL_RESULTS_BYTES: usize = 200_000;
/// Least time worth starting another model call with.
const MIN_CALL_TIME: std::time::Duration = std::time::Duration::from_secs(3);
/// Bases named in the system prompt.
const MAX_PROMPT_BASES: usize = 50;

/// `POST /api/v1/chat` and `/chat/stream` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatRequest {
    /// What the user says (1–8000 characters, not all blank).
    #[schema(
        pattern = "^[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000](?:[\\s\\S]{0,7998}[^\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000])?[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub message: String,
    /// Continue this session (default: a new one).
    #[schema(value_type = Option<platform::ids::ChatId>, inline)]
    pub session_id: Option<String>,
    /// The base the user is working in, named to the model.
    #[schema(value_type = Option<platform::ids::BaseId>, inline)]
    pub base_id: Option<String>,
}

/// Tokens and cost of a turn.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub model_calls: u32,
}

/// The answer to a turn.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatResponse {
    pub session_id: String,
    pub reply: String,
    #[schema(value_type = Vec<Object>)]
    pub tool_calls: Vec<ToolCallRecord>,
    pub usage: TurnUsage,
    #[schema(value_type = Object)]
    pub budget: BudgetStatus,
    /// Older messages of the session left out of the model's context this turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_dropped: Option<usize>,
    /// Why the loop ended without a final answer: `iteration_limit`, `budget`, `time` or `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<&'static str>,
}

/// What the streaming endpoint sends, in order: `session`, then `delta` / `tool_call_started` /
/// `tool_call_finished` as they happen, `usage`, and `done` (or `error`).
#[derive(Debug)]
pub enum Event {
    Session(String),
    Delta(String),
    ToolCallStarted {
        id: String,
        name: String,
        arguments: Value,
    },
    /// A finished call, with its result as the model is sent it (bounded).
    ToolCallFinished(ToolCallRecord, Value),
    Usage(TurnUsage),
    Done(Box<ChatResponse>),
    Error(Value),
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Session(_) => "session",
            Self::Delta(_) => "delta",
            Self::ToolCallStarted { .. } => "tool_call_started",
            Self::ToolCallFinished(..) => "tool_call_finished",
            Self::Usage(_) => "usage",
            Self::Done(_) => "done",
            Self::Error(_) => "error",
        }
    }

    pub fn data(&self) -> Value {
        match self {
            Self::Session(id) => json!({"sessionId": id}),
            Self::Delta(text) => json!({"text": text}),
            Self::ToolCallStarted {
                id,
                name,
                arguments,
            } => json!({"id": id, "name": name, "arguments": arguments}),
            Self::ToolCallFinished(record, result) => {
                let mut v = serde_json::to_value(record).unwrap_or_default();
                v["result"] = result.clone();
                v
            }
            Self::Usage(u) => serde_json::to_value(u).unwrap_or_default(),
            Self::Done(r) => serde_json::to_value(r).unwrap_or_default(),
            Self::Error(problem) => problem.clone(),
        }
    }
}

/// A turn checked and ready to run (everything that can be refused with a 4xx was refused).
pub struct Prepared {
    identity: Identity,
    provider: Arc<dyn Provider>,
    message: String,
    base: Option<BaseId>,
    loaded: Loaded,
}

impl Prepared {
    pub fn chat_id(&self) -> &ChatId {
        &self.loaded.id
    }
}

/// Validates the request, loads (or starts) the session, and checks the budget for the first
/// model call, so the streaming endpoint can still answer a plain 4xx.
pub async fn prepare(
    state: &AppState,
    identity: &Identity,
    req: ChatRequest,
) -> Result<Prepared, ApiError> {
    let message = req.message.trim().to_owned();
    let mut errors = Vec::new();
    if message.is_empty() || message.chars().count() > MAX_MESSAGE_CHARS {
        errors.push(platform::FieldError::new(
            "message",
            format!("must hold 1 to {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    let chat = match req.session_id.as_deref() {
        Some(id) => match ChatId::parse(id) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(platform::FieldError::new("sessionId", e.to_string()));
                None
            }
        },
        None => None,
    };
    let base = match req.base_id.as_deref() {
        Some(b) => match BaseId::parse(b) {
            Ok(b) => Some(b),
            Err(m) => {
                errors.push(platform::FieldError::new("baseId", m));
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let provider = state.provider.clone().ok_or_else(|| ApiError::Unavailable {
        detail: "no language model is configured: set LLM_PROVIDER (bedrock or openai) and LLM_MODEL".into(),
        retry_after: None,
    })?;
    let loaded = match chat {
        Some(id) => sessions::load(&state.store, identity, &id).await?,
        None => Loaded::new(),
    };
    // The first call's worst case, before anything is spent or streamed.
    let first = Request {
        system: String::new(),
        messages: vec![Message::user_text(message.clone())],
        tools: tool_defs(identity.role),
        max_tokens: state.settings.max_tokens,
    };
    let worst = state.settings.prices.cost_micros(
        provider.model(),
        Usage {
            input_tokens: llm::estimate_request_tokens(&first),
            output_tokens: first.max_tokens.into(),
        },
    );
    spend::check(&state.store, &identity.tenant, identity.user_id(), worst).await?;
    Ok(Prepared {
        identity: identity.clone(),
        provider,
        message,
        base,
        loaded,
    })
}

/// The registry's tools the role may call, as the model sees them.
fn tool_defs(role: Role) -> Vec<ToolDef> {
    tools::specs_for(role)
        .map(|s| ToolDef {
            name: s.name.to_owned(),
            description: s.description.to_owned(),
            schema: Value::Object(s.input_schema.clone()),
        })
        .collect()
}

/// The newest messages that fit in `budget` tokens, starting at a user's own message (never
/// between a tool call and its result); returns them and how many were left out.
pub fn fit_history(history: &[Message], budget: u64) -> (Vec<Message>, usize) {
    let mut used = 0;
    let mut start = history.len();
    for (i, m) in history.iter().enumerate().rev() {
        used += llm::estimate_tokens(&serde_json::to_string(&m.content).unwrap_or_default());
        if used > budget {
            break;
        }
        start = i;
    }
    // Move forward to a message the user typed: a tool result needs the call before it.
    while start < history.len()
        && !(history[start].role == Speaker::User
            && history[start]
                .content
                .iter()
                .any(|b| matches!(b, Block::Text { .. })))
    {
        start += 1;
    }
    (history[start..].to_vec(), start)
}

async fn system_prompt(
    state: &AppState,
    identity: &Identity,
    base: Option<&BaseId>,
    dropped: usize,
) -> String {
    let mut p = String::from(
        "You are the PyAirtable assistant. You read and change this workspace's Airtable data only through the tools provided; \
         never invent ids — take them from tool results. Call describe_table before writing to a table. Before deleting records \
         or applying sync_tables (dry_run=false), make sure the user asked for it. Quote the numbers tools return; keep answers short.\n",
    );
    match tools::call(&state.toolbox, identity, "list_bases", json!({})).await {
        Ok(bases) => {
            let list = bases.value["bases"].as_array().cloned().unwrap_or_default();
            p.push_str("Bases of this workspace:\n");
            for b in list.iter().take(MAX_PROMPT_BASES) {
                p.push_str(&format!(
                    "- {} ({})\n",
                    b["name"].as_str().unwrap_or("?"),
                    b["id"].as_str().unwrap_or("?")
                ));
            }
            if list.len() > MAX_PROMPT_BASES {
                p.push_str(&format!(
                    "- … and {} more (list_bases)\n",
                    list.len() - MAX_PROMPT_BASES
                ));
            }
        }
        Err(e) => p.push_str(&format!(
            "Airtable is not available right now ({}); tell the user if they ask for data.\n",
            tools::error_summary(&e)
        )),
    }
    if let Some(b) = base {
        p.push_str(&format!(
            "The user is working in base {}; use it unless they name another.\n",
            b.as_str()
        ));
    }
    if !identity.role.at_least(Role::Member) {
        p.push_str("The user has read-only (viewer) access: only reading tools are available.\n");
    }
    if dropped > 0 {
        p.push_str(&format!(
            "{dropped} earlier messages of this conversation were left out to fit the context; say so if the user refers to them.\n"
        ));
    }
    p
}

fn llm_error(e: LlmError) -> ApiError {
    match e {
        LlmError::Throttled => ApiError::Unavailable {
            detail: "the language model is busy; try again shortly".into(),
            retry_after: Some(10),
        },
        LlmError::Refused { status, message } => ApiError::BadGateway {
            code: "llm_refused",
            detail: format!("the language model refused the request ({status}): {message}"),
        },
        LlmError::Unavailable(why) => ApiError::BadGateway {
            code: "llm_unavailable",
            detail: format!("the language model did not answer: {why}"),
        },
    }
}

/// A tool result cut to `max` bytes of JSON, keeping a preview.
fn bounded(value: Value, max: usize) -> Value {
    let text = value.to_string();
    if text.len() <= max {
        return value;
    }
    let mut cut = max / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    json!({"truncated": true, "note": "the result was too large; ask for fewer records or fields", "preview": &text[..cut]})
}

fn send(events: Option<&UnboundedSender<Event>>, event: Event) {
    if let Some(tx) = events {
        let _ = tx.send(event);
    }
}

/// Runs the turn; `events` (the streaming endpoint) receives progress as it happens.
pub async fn run(
    state: &AppState,
    turn: Prepared,
    events: Option<&UnboundedSender<Event>>,
) -> Result<ChatResponse, ApiError> {
    let Prepared {
        identity,
        provider,
        message,
        base,
        loaded,
    } = turn;
    let (tenant, user) = (&identity.tenant, identity.user_id());
    let settings = &state.settings;
    send(events, Event::Session(loaded.id.to_string()));

    let (mut convo, dropped) = fit_history(&loaded.history, settings.history_tokens);
    let system = system_prompt(state, &identity, base.as_ref(), dropped).await;
    let tool_defs = tool_defs(identity.role);
    let user_message = Message::user_text(message.clone());
    convo.push(user_message.clone());
    let mut new_messages = vec![StoredMessage::from_message(&user_message)];
    let mut totals = TurnUsage::default();
    let mut cost_micros = 0u64;
    let mut calls: Vec<ToolCallRecord> = Vec::new();
    let mut reply = String::new();
    let mut stopped = None;
    let mut budget: Option<BudgetStatus> = None;

    let turn_started = Instant::now();
    for iteration in 0..settings.max_iterations {
        let left = settings.turn_budget.saturating_sub(turn_started.elapsed());
        if iteration > 0 && left < MIN_CALL_TIME {
            reply = "I ran out of time for this message before finishing; what was done so far is kept. Ask me to continue.".into();
            stopped = Some("time");
            break;
        }
        let request = Request {
            system: system.clone(),
            messages: convo.clone(),
            tools: tool_defs.clone(),
            max_tokens: settings.max_tokens,
        };
        let worst = settings.prices.cost_micros(
            provider.model(),
            Usage {
                input_tokens: llm::estimate_request_tokens(&request),
                output_tokens: settings.max_tokens.into(),
            },
        );
        let reservation = match spend::reserve(&state.store, tenant, user, worst).await {
            Ok((reservation, status)) => {
                budget = Some(status);
                reservation
            }
            Err(e) if iteration == 0 => return Err(e),
            Err(e) => {
                reply = format!("I had to stop before finishing: {e}");
                stopped = Some("budget");
                break;
            }
        };
        let started = Instant::now();
        let on_text = |t: &str| send(events, Event::Delta(t.to_owned()));
        let outcome = match tokio::time::timeout(left, provider.converse(&request, &on_text)).await
        {
            Ok(outcome) => outcome,
            Err(_) => Err(LlmError::Unavailable(
                "it took longer than the time left for this message".into(),
            )),
        };
        let mut response = match outcome {
            Ok(r) => r,
            Err(e) => {
                if let Err(se) = spend::settle(&state.store, reservation, None).await {
                    tracing::error!(error = %se, "could not release a budget reservation");
                }
                if iteration == 0 {
                    return Err(llm_error(e));
                }
                // Tools may already have changed data: keep the turn and say what happened.
                reply = format!(
                    "The model failed before finishing ({e}); what was done so far is kept."
                );
                stopped = Some("error");
                break;
            }
        };
        // A server that reports no usage is charged by estimate, never for free.
        if response.usage == Usage::default() {
            let said = serde_json::to_string(&response.content).unwrap_or_default();
            response.usage = Usage {
                input_tokens: llm::estimate_request_tokens(&request),
                output_tokens: llm::estimate_tokens(&said),
            };
        }
        let cost = settings
            .prices
            .cost_micros(provider.model(), response.usage);
        if let Err(e) = spend::settle(
            &state.store,
            reservation,
            Some((provider.model(), response.usage, cost)),
        )
        .await
        {
            // Spend that cannot be counted must not continue.
            tracing::error!(error = %e, "could not record the cost of a model call; ending the turn");
            return Err(ApiError::Unavailable {
                detail: "the cost of the model call could not be recorded; try again".into(),
                retry_after: Some(5),
            });
        }
        totals.input_tokens += response.usage.input_tokens;
        totals.output_tokens += response.usage.output_tokens;
        totals.model_calls += 1;
        cost_micros += cost;
        // Empty text blocks (and empty answers) are refused by some providers in later turns.
        response
            .content
            .retain(|b| !matches!(b, Block::Text { text } if text.trim().is_empty()));
        if response.content.is_empty() {
            response.content.push(Block::Text {
                text: "(no answer)".into(),
            });
        }

        let assistant = Message {
            role: Speaker::Assistant,
            content: response.content,
        };
        let mut stored = StoredMessage::from_message(&assistant);
        stored.input_tokens = response.usage.input_tokens;
        stored.output_tokens = response.usage.output_tokens;
        stored.cost_micros = cost;
        stored.latency_ms = started.elapsed().as_millis() as u64;
        stored.model = Some(provider.model().to_owned());
        convo.push(assistant.clone());

        let uses: Vec<(String, String, Value, Option<String>)> = assistant
            .content
            .iter()
            .filter_map(|b| match b {
                Block::ToolUse {
                    id,
                    name,
                    input,
                    malformed,
                } => Some((id.clone(), name.clone(), input.clone(), malformed.clone())),
                _ => None,
            })
            .collect();
        if uses.is_empty() {
            reply = assistant.text();
            new_messages.push(stored);
            break;
        }
        for (id, name, input, malformed) in &uses {
            let arguments = malformed
                .as_ref()
                .map(|raw| json!(raw))
                .unwrap_or_else(|| input.clone());
            send(
                events,
                Event::ToolCallStarted {
                    id: id.clone(),
                    name: name.clone(),
                    arguments,
                },
            );
        }
        // The calls of one turn run concurrently; the client still paces Airtable per base.
        let results = futures::future::join_all(uses.iter().map(|(id, name, input, malformed)| {
            let identity = &identity;
            async move {
                let result = match malformed {
                    Some(raw) => Err(ApiError::bad_request(
                        "invalid_arguments",
                        format!("the arguments were not a JSON object: {raw}"),
                    )),
                    None => tools::call(&state.toolbox, identity, name, input.clone()).await,
                };
                (id.clone(), name.clone(), input.clone(), result)
            }
        }))
        .await;
        let mut result_blocks = Vec::new();
        let each = MAX_TOOL_RESULT_BYTES.min(MAX_TOOL_RESULTS_BYTES / results.len().max(1));
        for (id, name, input, result) in results {
            // The model reads a failure as the error's JSON, with a hint.
            let (ok, summary, value) = match result {
                Ok(output) => (true, output.summary, output.value),
                Err(e) => (false, tools::error_summary(&e), tools::error_json(&e)),
            };
            let record = ToolCallRecord {
                id: id.clone(),
                name,
                arguments: input,
                ok,
                summary,
            };
            let content = bounded(value, each);
            send(
                events,
                Event::ToolCallFinished(record.clone(), content.clone()),
            );
            stored.tool_calls.push(record.clone());
            calls.push(record);
            result_blocks.push(Block::ToolResult {
                id,
                content,
                is_error: !ok,
            });
        }
        new_messages.push(stored);
        let results_message = Message {
            role: Speaker::User,
            content: result_blocks,
        };
        new_messages.push(StoredMessage::from_message(&results_message));
        convo.push(results_message);
        if iteration + 1 == settings.max_iterations {
            stopped = Some("iteration_limit");
            let said = assistant.text();
            reply = format!(
                "{}I stopped after {} model calls without a final answer (the limit per message). Ask me to continue, or narrow the question.",
                if said.is_empty() {
                    String::new()
                } else {
                    format!("{said}\n\n")
                },
                settings.max_iterations
            );
        }
    }
    totals.cost_usd = platform::prices::usd(cost_micros);
    send(events, Event::Usage(totals.clone()));

    if stopped.is_some() {
        // The closing words are part of the conversation too.
        let note = Message {
            role: Speaker::Assistant,
            content: vec![Block::Text {
                text: reply.clone(),
            }],
        };
        new_messages.push(StoredMessage::from_message(&note));
    }
    let title = message.chars().take(80).collect::<String>();
    sessions::append(
        &state.store,
        &identity,
        &loaded,
        &title,
        base.as_ref(),
        new_messages,
        &totals,
        cost_micros,
    )
    .await?;

    let mut budget = match budget {
        Some(b) => b,
        None => spend::status(&state.store, tenant, user).await?.1,
    };
    // Where the budget stands after this turn's spend, and any threshold crossed.
    if let Ok((_, now, _, _)) = spend::status(&state.store, tenant, user).await {
        budget = now;
    }
    match spend::alerts_after_spend(&state.store, tenant, user).await {
        Ok(alerts) => budget.alerts = alerts,
        Err(e) => tracing::error!(error = %e, "could not record budget alerts"),
    }
    Ok(ChatResponse {
        session_id: loaded.id.to_string(),
        reply,
        tool_calls: calls,
        usage: totals,
        budget,
        history_dropped: (dropped > 0).then_some(dropped),
        stopped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool_round(i: usize) -> Vec<Message> {
        vec![
            Message {
                role: Speaker::Assistant,
                content: vec![Block::ToolUse {
                    id: format!("c{i}"),
                    name: "list_bases".into(),
                    input: json!({}),
                    malformed: None,
                }],
            },
            Message {
                role: Speaker::User,
                content: vec![Block::ToolResult {
                    id: format!("c{i}"),
                    content: json!({"bases": ["x".repeat(200)]}),
                    is_error: false,
                }],
            },
        ]
    }

    #[test]
    fn history_keeps_the_newest_turns_that_fit_and_starts_at_a_users_message() {
        let mut history = Vec::new();
        for i in 0..10 {
            history.push(Message::user_text(format!("question {i}")));
            history.extend(tool_round(i));
            history.push(Message {
                role: Speaker::Assistant,
                content: vec![Block::Text {
                    text: format!("answer {i}"),
                }],
            });
        }
        let (all, dropped) = fit_history(&history, 1_000_000);
        assert_eq!((all.len(), dropped), (40, 0));
        let (kept, dropped) = fit_history(&history, 300);
        assert!(dropped > 0 && kept.len() < 40);
        assert_eq!(kept.len() + dropped, 40);
        assert_eq!(kept[0].role, Speaker::User);
        assert!(
            kept[0].text().starts_with("question"),
            "never starts at a tool result: {:?}",
            kept[0]
        );
    }

    #[test]
    fn oversized_tool_results_are_cut_for_the_model() {
        let big = json!({"records": "é".repeat(MAX_TOOL_RESULT_BYTES)});
        let cut = bounded(big, MAX_TOOL_RESULT_BYTES);
        assert_eq!(cut["truncated"], true);
        assert!(
            cut.to_string().len() <= MAX_TOOL_RESULT_BYTES,
            "measured in bytes, cut on a character boundary"
        );
        assert_eq!(bounded(json!({"a": 1}), 100), json!({"a": 1}));
    }
}
