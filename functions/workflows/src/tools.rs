//! `GET /api/v1/tools`: the Airtable tool registry as the workflow editor (and any client) needs
//! it — every tool the caller's role may run, with its JSON Schemas — so no client keeps a copy
//! of twenty schemas of its own.

use axum::Json;
use platform::auth::Identity;
use serde::Serialize;
use serde_json::{Map, Value};

/// How a tool behaves (the MCP annotations).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolHints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

/// One tool of the registry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolView {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub hints: ToolHints,
    /// JSON Schema (2020-12) of the arguments.
    #[schema(value_type = Object)]
    pub input_schema: Map<String, Value>,
    /// JSON Schema of the output.
    #[schema(value_type = Object)]
    pub output_schema: Map<String, Value>,
}

/// `GET /api/v1/tools`'s answer, in the registry's fixed order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ToolsResponse {
    pub tools: Vec<ToolView>,
}

/// `GET /api/v1/tools` — the tools the caller may run (viewers: the read-only ones).
#[utoipa::path(get, path = "/api/v1/tools", tag = "workflows", summary = "The Airtable tools, with their schemas", responses((status = 200, body = ToolsResponse), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn list(identity: Identity) -> Json<ToolsResponse> {
    let tools = tools::specs_for(identity.role)
        .map(|t| ToolView {
            name: t.name,
            title: t.title,
            description: t.description,
            hints: ToolHints {
                read_only: t.hints.read_only,
                destructive: t.hints.destructive,
                idempotent: t.hints.idempotent,
            },
            input_schema: t.input_schema.clone(),
            output_schema: t.output_schema.clone(),
        })
        .collect();
    Json(ToolsResponse { tools })
}
