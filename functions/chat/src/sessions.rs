//! Chat sessions and their messages in DynamoDB, and the endpoints that list, show and delete
//! them. A session belongs to the user who started it; another user (even of the same tenant)
//! gets 404. Appending a turn is one transaction conditioned on the message count, so two turns
//! racing on one session cannot interleave their messages.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use llm::{Block, Message, Speaker};
use platform::auth::Identity;
use platform::error::ApiError;
use platform::ids::{BaseId, ChatId, TenantId, UserId};
use platform::prices::usd;
use platform::store::{Child, Key, Store, StoreError, Under, keys, n, s};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AppState;
use crate::turn::TurnUsage;

/// One tool call of a turn, as responses and the session history show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ToolCallRecord {
    pub id: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub arguments: Value,
    pub ok: bool,
    pub summary: String,
}

/// A session under its tenant and user (who list it through GSI1).
impl Child<(TenantId, UserId)> for ChatSession {
    const TAG: &'static str = "chat";
    fn key(&self, (tenant, _): &(TenantId, UserId)) -> Key {
        keys::chat(tenant, &self.id)
    }
    fn gsi1(&self, (tenant, user): &(TenantId, UserId)) -> Option<Key> {
        Some(keys::chat_gsi1(tenant, user, &self.id))
    }
}

/// A message under its chat.
impl Child<(TenantId, ChatId)> for StoredMessage {
    const TAG: &'static str = "chat_message";
    fn key(&self, (tenant, chat): &(TenantId, ChatId)) -> Key {
        keys::chat_message(tenant, chat, self.seq)
    }
}

/// A session item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatSession {
    pub id: ChatId,
    pub user_id: String,
    pub title: String,
    #[serde(default)]
    pub base_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub message_count: u32,
    #[serde(default)]
    pub model_calls: u64,
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cost_micros: u64,
}

/// A session as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: ChatId,
    pub title: String,
    pub base_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub message_count: u32,
    pub model_calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}

/// `GET /api/v1/chat/sessions`'s answer, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionsResponse {
    pub sessions: Vec<SessionView>,
}

/// One message of a session's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub seq: u32,
    /// `user`, `assistant`, or `tool` (tool results going back to the model).
    pub role: String,
    /// The message's text (its text blocks joined).
    pub text: String,
    /// The blocks as the model saw them: `{type: text|toolUse|toolResult, …}`.
    #[schema(value_type = Vec<Object>)]
    pub content: Vec<Block>,
    pub tool_calls: Vec<ToolCallRecord>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub latency_ms: u64,
    pub model: Option<String>,
    pub created_at: String,
}

/// `GET /api/v1/chat/sessions/{id}`'s answer: the session and every message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionDetail {
    #[serde(flatten)]
    pub session: SessionView,
    pub messages: Vec<MessageView>,
}

impl ChatSession {
    fn view(&self) -> SessionView {
        SessionView {
            id: self.id.clone(),
            title: self.title.clone(),
            base_id: self.base_id.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            message_count: self.message_count,
            model_calls: self.model_calls,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost_usd: usd(self.cost_micros),
        }
    }
}

/// A message item: what the model saw (`content`) and what the history shows.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StoredMessage {
    #[serde(default)]
    pub seq: u32,
    /// `user`, `assistant`, or `tool` (tool results going back to the model).
    pub role: String,
    pub content: Vec<Block>,
    #[serde(default)]
    pub tool_calls: Vec<ToolCallRecord>,
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cost_micros: u64,
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub created_at: String,
}

impl StoredMessage {
    pub fn from_message(m: &Message) -> Self {
        let role = match m.role {
            Speaker::Assistant => "assistant",
            Speaker::User
                if m.content
                    .iter()
                    .all(|b| matches!(b, Block::ToolResult { .. })) =>
            {
                "tool"
            }
            Speaker::User => "user",
        };
        Self {
            role: role.into(),
            content: m.content.clone(),
            created_at: platform::time::now_rfc3339(),
            ..Default::default()
        }
    }

    fn to_message(&self) -> Message {
        Message {
            role: if self.role == "assistant" {
                Speaker::Assistant
            } else {
                Speaker::User
            },
            content: self.content.clone(),
        }
    }

    fn view(&self) -> MessageView {
        MessageView {
            seq: self.seq,
            role: self.role.clone(),
            text: self.to_message().text(),
            content: self.content.clone(),
            tool_calls: self.tool_calls.clone(),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost_usd: usd(self.cost_micros),
            latency_ms: self.latency_ms,
            model: self.model.clone(),
            created_at: self.created_at.clone(),
        }
    }
}

/// A session as a turn starts: its id, whether it exists yet, and its history.
pub struct Loaded {
    pub id: ChatId,
    pub exists: bool,
    pub message_count: u32,
    pub history: Vec<Message>,
}

impl Loaded {
    /// A session that starts with this turn.
    pub fn new() -> Self {
        Self {
            id: ChatId::generate(),
            exists: false,
            message_count: 0,
            history: Vec::new(),
        }
    }
}

/// The caller's session, or 404 (also for another user's session: its existence is not told).
async fn own_session(
    store: &Store,
    identity: &Identity,
    id: &ChatId,
) -> Result<ChatSession, ApiError> {
    let session: Option<ChatSession> = store.get(&keys::chat(&identity.tenant, id)).await?;
    session
        .filter(|s| s.user_id == identity.user_id().as_str())
        .ok_or_else(|| ApiError::not_found("no such chat session"))
}

async fn messages(
    store: &Store,
    identity: &Identity,
    id: &ChatId,
) -> Result<Vec<StoredMessage>, ApiError> {
    Ok(store
        .query_prefix(&keys::chat_messages_of(&identity.tenant, id))
        .await?)
}

/// Loads a session of the caller with its whole history.
pub async fn load(store: &Store, identity: &Identity, id: &ChatId) -> Result<Loaded, ApiError> {
    let session = own_session(store, identity, id).await?;
    let history = messages(store, identity, id)
        .await?
        .iter()
        .map(StoredMessage::to_message)
        .collect();
    Ok(Loaded {
        id: id.clone(),
        exists: true,
        message_count: session.message_count,
        history,
    })
}

/// Appends a turn's messages and counters in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn append(
    store: &Store,
    identity: &Identity,
    loaded: &Loaded,
    title: &str,
    base: Option<&BaseId>,
    mut new_messages: Vec<StoredMessage>,
    totals: &TurnUsage,
    cost_micros: u64,
) -> Result<(), ApiError> {
    let tenant = &identity.tenant;
    let now = platform::time::now_rfc3339();
    let count = new_messages.len() as u32;
    let mut tx = store.tx();
    if loaded.exists {
        let expr = "SET #updatedAt = :now, #messageCount = :count ADD #modelCalls :calls, #inputTokens :i, #outputTokens :o, #costMicros :c";
        tx = tx.update(
            &keys::chat(tenant, &loaded.id),
            expr,
            Some("#messageCount = :expected"),
            &[
                (":now", s(now.clone())),
                (":count", n(loaded.message_count + count)),
                (":expected", n(loaded.message_count)),
                (":calls", n(totals.model_calls)),
                (":i", n(totals.input_tokens)),
                (":o", n(totals.output_tokens)),
                (":c", n(cost_micros)),
            ],
        );
    } else {
        let session = ChatSession {
            id: loaded.id.clone(),
            user_id: identity.user_id().to_string(),
            title: title.to_owned(),
            base_id: base.map(|b| b.as_str().to_owned()),
            created_at: now.clone(),
            updated_at: now.clone(),
            message_count: count,
            model_calls: totals.model_calls.into(),
            input_tokens: totals.input_tokens,
            output_tokens: totals.output_tokens,
            cost_micros,
        };
        let owner = (tenant.clone(), identity.user_id().clone());
        tx = tx.put_new(&Under(&owner, &session));
    }
    let chat = (tenant.clone(), loaded.id.clone());
    for (i, m) in new_messages.iter_mut().enumerate() {
        m.seq = loaded.message_count + i as u32;
        tx = tx.put_new(&Under(&chat, &*m));
    }
    match tx.commit().await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(ApiError::conflict(
            "chat_busy",
            "another message was added to this session at the same time; send yours again",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/chat/sessions` — the caller's sessions, newest first.
#[utoipa::path(get, path = "/api/v1/chat/sessions", tag = "chat", summary = "My chat sessions", responses((status = 200, body = SessionsResponse), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<SessionsResponse>, ApiError> {
    let mut sessions: Vec<ChatSession> = state
        .store
        .query_gsi1(&keys::chats_of(&identity.tenant, identity.user_id()))
        .await?;
    sessions.reverse();
    Ok(Json(SessionsResponse {
        sessions: sessions.iter().map(ChatSession::view).collect(),
    }))
}

fn chat_id(raw: &str) -> Result<ChatId, ApiError> {
    ChatId::parse(raw).map_err(|e| ApiError::invalid("sessionId", e.to_string()))
}

/// `GET /api/v1/chat/sessions/{id}` — the session with every message (tool calls, tokens, cost,
/// latency).
#[utoipa::path(get, path = "/api/v1/chat/sessions/{id}", tag = "chat", summary = "A chat session with its messages", params(("id" = inline(platform::ids::ChatId), Path)), responses((status = 200, body = SessionDetail), platform::openapi::Unauthorized, platform::openapi::NotFound, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<Json<SessionDetail>, ApiError> {
    let id = chat_id(&id)?;
    let session = own_session(&state.store, &identity, &id).await?;
    let msgs = messages(&state.store, &identity, &id).await?;
    Ok(Json(SessionDetail {
        session: session.view(),
        messages: msgs.iter().map(StoredMessage::view).collect(),
    }))
}

/// `DELETE /api/v1/chat/sessions/{id}` — the session and its messages.
#[utoipa::path(delete, path = "/api/v1/chat/sessions/{id}", tag = "chat", summary = "Delete a chat session", params(("id" = inline(platform::ids::ChatId), Path)), responses((status = 204), platform::openapi::Unauthorized, platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = chat_id(&id)?;
    own_session(&state.store, &identity, &id).await?;
    // The session first: once it is gone nothing can append to it or show it.
    state
        .store
        .delete(&keys::chat(&identity.tenant, &id))
        .await?;
    let msgs = messages(&state.store, &identity, &id).await?;
    let store = &state.store;
    // A transaction takes up to 100 writes: one round trip per 100 messages.
    for chunk in msgs.chunks(100) {
        let tx = chunk.iter().fold(store.tx(), |tx, m| {
            tx.delete(&keys::chat_message(&identity.tenant, &id, m.seq))
        });
        tx.commit().await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
