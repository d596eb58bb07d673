//! Lambda `mcp`: the shared Airtable tool registry (`shared::tools`) as a remote MCP server on
//! `POST /mcp`, over Streamable HTTP, stateless — any instance answers any request, so it runs on
//! Lambda. The official Rust SDK (`rmcp`) speaks the protocol: the 2025-era handshake
//! (`initialize`, `notifications/initialized`, `MCP-Protocol-Version`) and the 2026-07-28 era
//! (`server/discover`, per-request `_meta`, `Mcp-Method`/`Mcp-Name` headers), JSON responses.
//!
//! Every request is authenticated with our access JWT or API key (`Authorization: Bearer`) and
//! checked against the allowed `Host`s and `Origin`s before the SDK sees it; tools run as that
//! tenant and role, and viewers are offered only the read-only tools.

mod hosts;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post_service;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, InitializeResult, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use shared::auth::{Authenticator, Identity};
use shared::aws::AwsClients;
use shared::config::{Config, ConfigError};
use shared::telemetry::scope::Scope;
use shared::tools::{self, ToolSpec, Toolbox};

pub use hosts::HostPolicy;

/// Largest JSON-RPC request accepted (the same limit as every other endpoint).
const MAX_BODY: usize = 1 << 20;

const INSTRUCTIONS: &str = "Tools for this workspace's Airtable. Start with list_bases, then list_tables (detail=ids on big bases) \
    and describe_table before writing. Reads are paced and cached, writes are chunked by 10 and paced, so batch tools accept any \
    number of records. Failed calls return isError with error.code, error.airtableType and error.hint saying what to change.";

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    /// Scopes every request: metrics and usage counters.
    pub telemetry: shared::telemetry::Telemetry,
    pub auth: Authenticator,
    pub toolbox: Toolbox,
    pub hosts: Arc<HostPolicy>,
}

impl AppState {
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let auth = Authenticator::load(&config, &aws).await?;
        let toolbox = Toolbox::new(&config, &aws, auth.store().clone());
        let hosts = Arc::new(HostPolicy::new(&config.mcp_allowed_hosts, &config.mcp_allowed_origins));
        Ok(Self { telemetry: shared::telemetry::Telemetry::new("mcp", &config, auth.store().clone()), auth, toolbox, hosts })
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// The MCP server: one per request (stateless), sharing the toolbox.
#[derive(Clone)]
pub struct McpServer {
    toolbox: Toolbox,
}

/// A registry tool as MCP describes it.
fn mcp_tool(spec: &ToolSpec) -> Tool {
    let annotations = ToolAnnotations::new()
        .read_only(spec.hints.read_only)
        .destructive(spec.hints.destructive)
        .idempotent(spec.hints.idempotent)
        // Airtable is an external system the tools reach out to.
        .open_world(true);
    Tool::new(spec.name, spec.description, Arc::new(spec.input_schema.clone()))
        .with_title(spec.title)
        .with_raw_output_schema(Arc::new(spec.output_schema.clone()))
        .with_annotations(annotations)
}

/// The caller, put in the request by the authentication layer.
fn identity(ctx: &RequestContext<RoleServer>) -> Result<Identity, ErrorData> {
    ctx.extensions
        .get::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<Identity>())
        .cloned()
        .ok_or_else(|| ErrorData::internal_error("the request was not authenticated", None))
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> InitializeResult {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("pyairtable", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(&self, _: Option<PaginatedRequestParams>, ctx: RequestContext<RoleServer>) -> Result<ListToolsResult, ErrorData> {
        let identity = identity(&ctx)?;
        Ok(ListToolsResult::with_all_items(tools::specs_for(identity.role).map(mcp_tool).collect()))
    }

    async fn call_tool(&self, req: CallToolRequestParams, ctx: RequestContext<RoleServer>) -> Result<CallToolResponse, ErrorData> {
        let identity = identity(&ctx)?;
        if tools::spec(&req.name).is_none() {
            // The spec's answer to an unknown tool is a protocol error, not a tool result.
            return Err(ErrorData::invalid_params(format!("unknown tool {:?}; tools/list names every tool", req.name), None));
        }
        let args = req.arguments.map(Value::Object).unwrap_or(Value::Null);
        // rmcp runs this away from the HTTP request's task: the call joins that request's scope.
        let call = tools::call(&self.toolbox, &identity, &req.name, args);
        let scope = ctx.extensions.get::<http::request::Parts>().and_then(|p| p.extensions.get::<Scope>()).cloned();
        let result = match scope {
            Some(scope) => scope.enter(call).await,
            None => call.await,
        };
        tracing::info!(tool = %req.name, ok = result.ok, summary = %result.summary, "mcp tool call");
        let out = if result.ok {
            CallToolResult::structured(result.value)
        } else {
            // Text only: `structuredContent` must match the tool's output schema (clients check it
            // even on errors), and an error is not an output.
            CallToolResult::error(vec![ContentBlock::text(result.value.to_string())])
        };
        Ok(out.into())
    }
}

/// Refuses requests whose `Host` or `Origin` is not allowed (DNS-rebinding protection).
async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match state.hosts.check(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// Authenticates the caller (401 with `WWW-Authenticate` otherwise) and hands it to the server.
async fn authenticate(identity: Identity, mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(identity);
    next.run(req).await
}

/// `POST /mcp`. GET and DELETE answer 405: the server is stateless and offers no standalone
/// stream and no session to delete.
pub fn router(state: AppState) -> Router {
    let telemetry = state.telemetry.clone();
    let server = McpServer { toolbox: state.toolbox.clone() };
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_sse_retry(None)
        .with_max_request_body_bytes(MAX_BODY)
        // Host and Origin are checked by `check_host`, with patterns the SDK does not support.
        .disable_allowed_hosts()
        .disable_allowed_origins();
    let mcp = StreamableHttpService::new(move || Ok(server.clone()), Arc::new(NeverSessionManager::default()), config);
    let guarded = tower::ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(state.clone(), check_host))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .service(mcp);
    Router::new().route("/mcp", post_service(guarded)).with_state(state).route_layer(telemetry.http_layer())
}

#[cfg(test)]
mod tests {
    //! The Router as Lambda runs it, fed the sample API Gateway events in `events/mcp/`. AWS is
    //! an address where nothing listens, so only paths that need no AWS call are exercised.

    use super::*;
    use shared::testing::{event, invoke, unreachable_aws};

    async fn app() -> Router {
        let (mut config, aws) = unreachable_aws();
        // As the template configures it in AWS: API Gateway's generated hostnames.
        config.mcp_allowed_hosts = vec!["*.execute-api.us-east-1.amazonaws.com".into()];
        shared::http::edge(router(AppState::new(config, aws).await.unwrap()))
    }

    #[tokio::test]
    async fn a_call_without_credentials_is_a_401_with_www_authenticate() {
        let (status, body, headers) = invoke(app().await, &event("mcp", "tools-list.json")).await;
        assert_eq!(status, 401);
        assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        assert_eq!(body["code"], "unauthorized");
    }

    #[tokio::test]
    async fn a_get_is_405_before_anything_else() {
        let (status, body, _) = invoke(app().await, &event("mcp", "get.json")).await;
        assert_eq!(status, 405);
        assert_eq!(body["code"], "method_not_allowed");
    }

    #[tokio::test]
    async fn a_foreign_host_is_refused() {
        let ev = event("mcp", "tools-list.json")
            .replace("\"abc123.execute-api.us-east-1.amazonaws.com\",\n    \"user-agent", "\"attacker.example\",\n    \"user-agent");
        assert!(ev.contains("attacker.example"));
        let (status, body, _) = invoke(app().await, &ev).await;
        assert_eq!(status, 403);
        assert_eq!(body["code"], "forbidden_host");
    }

    #[test]
    fn every_registry_tool_becomes_an_mcp_tool_with_annotations_and_output_schema() {
        let t = mcp_tool(tools::spec("delete_records").unwrap());
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["annotations"]["destructiveHint"], true);
        assert_eq!(v["annotations"]["readOnlyHint"], false);
        assert_eq!(v["outputSchema"]["type"], "object");
        assert_eq!(v["inputSchema"]["required"], serde_json::json!(["base_id", "table", "record_ids"]));
    }
}
