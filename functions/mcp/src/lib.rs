//! Lambda `mcp`: the shared Airtable tool registry (`tools`) as a remote MCP server on
//! `POST /mcp`, over Streamable HTTP, stateless — any instance answers any request, so it runs on
//! Lambda. The official Rust SDK (`rmcp`) speaks the protocol: the 2025-era handshake
//! (`initialize`, `notifications/initialized`, `MCP-Protocol-Version`) and the 2026-07-28 era
//! (`server/discover`, per-request `_meta`, `Mcp-Method`/`Mcp-Name` headers), JSON responses.
//!
//! Every request is authenticated with our access JWT or API key (`Authorization: Bearer`) and
//! checked against the allowed `Host`s and `Origin`s before the SDK sees it; tools run as that
//! tenant and role, and viewers are offered only the read-only tools.

mod cancel;
mod hosts;
mod prompts;
mod resources;

use std::error::Error as _;
use std::sync::Arc;

use airtable_client::progress::{Report, Reporter};
use airtable_client::{AirtableError, ConnectionRead, Progress, TenantClient};
use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post_service;
use platform::auth::{Authenticator, Credential, Identity};
use platform::aws::AwsClients;
use platform::config::{Config, ConfigError};
use platform::error::ApiError;
use platform::telemetry::scope::Scope;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    CompletionInfo, ContentBlock, GetPromptRequestParams, GetPromptResponse, Implementation,
    InitializeResult, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ProgressToken,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Reference,
    ServerCapabilities, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use tools::{self, ToolSpec, Toolbox};

pub use hosts::HostPolicy;

/// Largest JSON-RPC request accepted (the same limit as every other endpoint).
const MAX_BODY: usize = 1 << 20;
/// Longest progress token (as JSON) that gets notifications.
const MAX_PROGRESS_TOKEN: usize = 256;
/// How long a finished call waits for its last progress notifications to go out.
const PROGRESS_DRAIN: std::time::Duration = std::time::Duration::from_secs(3);

const INSTRUCTIONS: &str = "Tools for this workspace's Airtable. Start with list_bases, then list_tables (detail=ids on big bases) \
    and describe_table before writing. Reads are paced and cached, writes are chunked by 10 and paced, so batch tools accept any \
    number of records. Failed calls return isError with error.code, error.airtableType and error.hint saying what to change.";

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    /// Scopes every request: metrics and usage counters.
    pub telemetry: platform::telemetry::Telemetry,
    pub auth: Authenticator,
    pub toolbox: Toolbox,
    pub hosts: Arc<HostPolicy>,
}

impl AppState {
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let auth = Authenticator::load(&config, &aws).await?;
        let toolbox = Toolbox::new(&config, &aws, auth.store().clone());
        let hosts = Arc::new(HostPolicy::new(
            &config.mcp_allowed_hosts,
            &config.mcp_allowed_origins,
        ));
        Ok(Self {
            telemetry: platform::telemetry::Telemetry::new("mcp", &config, auth.store().clone()),
            auth,
            toolbox,
            hosts,
        })
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
    Tool::new(
        spec.name,
        spec.description,
        Arc::new(spec.input_schema.clone()),
    )
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

/// The workspace's connection, when the authentication layer read it ahead.
fn connection_read(ctx: &RequestContext<RoleServer>) -> ConnectionRead {
    ctx.extensions
        .get::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<ConnectionRead>())
        .cloned()
        .unwrap_or_default()
}

/// Runs `work` in the HTTP request's telemetry scope (rmcp runs handlers away from its task).
async fn in_scope<F: std::future::Future>(ctx: &RequestContext<RoleServer>, work: F) -> F::Output {
    match ctx
        .extensions
        .get::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<Scope>())
        .cloned()
    {
        Some(scope) => scope.enter(work).await,
        None => work.await,
    }
}

/// Sends the reports of a call as `notifications/progress` on its response stream, in order;
/// ends when the call (every holder of the reporter) is done.
fn forward_progress(
    ctx: &RequestContext<RoleServer>,
    token: ProgressToken,
) -> (Reporter, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Report>();
    let peer = ctx.peer.clone();
    let task = tokio::spawn(async move {
        while let Some(r) = rx.recv().await {
            let mut note = ProgressNotificationParam::new(token.clone(), r.done as f64)
                .with_message(r.message);
            note.total = r.total.map(|t| t as f64);
            if peer.notify_progress(note).await.is_err() {
                // The client went away; the call learns it from the request's token.
                break;
            }
        }
    });
    (Box::new(move |r| drop(tx.send(r))), task)
}

impl McpServer {
    /// The caller's Airtable session, for resources and completions.
    async fn session(&self, identity: &Identity) -> Result<TenantClient<'_>, AirtableError> {
        self.toolbox.airtable.for_tenant(&identity.tenant).await
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> InitializeResult {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_prompts()
            .enable_completions()
            .build();
        InitializeResult::new(capabilities)
            .with_server_info(Implementation::new("pyairtable", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let identity = identity(&ctx)?;
        Ok(ListToolsResult::with_all_items(
            tools::specs_for(identity.role).map(mcp_tool).collect(),
        ))
    }

    async fn call_tool(
        &self,
        req: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let identity = identity(&ctx)?;
        if tools::spec(&req.name).is_none() {
            // The spec's answer to an unknown tool is a protocol error, not a tool result.
            return Err(ErrorData::invalid_params(
                format!("unknown tool {:?}; tools/list names every tool", req.name),
                None,
            ));
        }
        let args = req.arguments.map(Value::Object).unwrap_or(Value::Null);
        // A token is echoed in every notification: one longer than any client makes is ignored.
        let token = req
            .meta
            .as_ref()
            .and_then(|m| m.get_progress_token())
            .or_else(|| ctx.meta.get_progress_token())
            .filter(|t| serde_json::to_string(t).is_ok_and(|s| s.len() <= MAX_PROGRESS_TOKEN));
        let (reporter, forwarding) = token.map(|t| forward_progress(&ctx, t)).unzip();
        let user_agent = ctx
            .extensions
            .get::<http::request::Parts>()
            .map(|p| cancel::user_agent(&p.headers))
            .unwrap_or("");
        let watch = cancel::Watch::new(
            self.toolbox.store.clone(),
            &identity,
            user_agent,
            &ctx.id,
            ctx.ct.clone(),
        );
        let progress = Progress::new(reporter, Some(Box::new(watch)));
        let result = in_scope(
            &ctx,
            tools::call_with_progress(
                &self.toolbox,
                &identity,
                &req.name,
                args,
                progress,
                connection_read(&ctx),
            ),
        )
        .await;
        if let Some(mut task) = forwarding {
            // Every progress notification goes out before the result — unless the client stopped
            // reading them: the result (the writes are done) must not wait on that.
            if tokio::time::timeout(PROGRESS_DRAIN, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
        let out = match result {
            Ok(output) => {
                tracing::info!(tool = %req.name, ok = true, summary = %output.summary, "mcp tool call");
                CallToolResult::structured(output.value)
            }
            Err(e) => {
                tracing::info!(tool = %req.name, ok = false, summary = %tools::error_summary(&e), "mcp tool call");
                // Text only: `structuredContent` must match the tool's output schema (clients
                // check it even on errors), and an error is not an output.
                CallToolResult::error(vec![ContentBlock::text(tools::error_json(&e).to_string())])
            }
        };
        Ok(out.into())
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let identity = identity(&ctx)?;
        let listed = in_scope(&ctx, async {
            match self.session(&identity).await {
                Ok(session) => resources::list(&session).await,
                // A workspace without Airtable simply has no resources yet.
                Err(AirtableError::NotConnected) => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        })
        .await;
        Ok(ListResourcesResult::with_all_items(
            listed.map_err(resources::rpc_error)?,
        ))
    }

    async fn list_resource_templates(
        &self,
        _: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        identity(&ctx)?;
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        req: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let identity = identity(&ctx)?;
        let contents = in_scope(&ctx, async {
            let session = self
                .session(&identity)
                .await
                .map_err(resources::rpc_error)?;
            resources::read(&session, &req.uri).await
        })
        .await?;
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn list_prompts(
        &self,
        _: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let identity = identity(&ctx)?;
        Ok(ListPromptsResult::with_all_items(prompts::list(
            identity.role,
        )))
    }

    async fn get_prompt(
        &self,
        req: GetPromptRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let identity = identity(&ctx)?;
        Ok(prompts::get(&req.name, req.arguments, identity.role)?.into())
    }

    async fn complete(
        &self,
        req: CompleteRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let identity = identity(&ctx)?;
        let argument = req.argument.name.as_str();
        let known = match &req.r#ref {
            Reference::Prompt(p) => prompts::has_argument(&p.name, argument),
            Reference::Resource(r) => r.uri == resources::SCHEMA_TEMPLATE && argument == "baseId",
            _ => false,
        };
        let none = || {
            CompleteResult::new(
                CompletionInfo::with_pagination(Vec::new(), Some(0), false).unwrap_or_default(),
            )
        };
        let Some(kind) = resources::completes(argument).filter(|_| known) else {
            return Ok(none());
        };
        let context = req.context.and_then(|c| c.arguments).unwrap_or_default();
        let base = context
            .get("base_id")
            .or_else(|| context.get("baseId"))
            .map(String::as_str);
        let table = context.get("table").map(String::as_str);
        let typed = req.argument.value.as_str();
        let info = in_scope(&ctx, async {
            let session = self.session(&identity).await?;
            resources::complete(&session, kind, typed, base, table).await
        })
        .await;
        match info {
            Ok(info) => Ok(CompleteResult::new(info)),
            // Nothing to suggest from a workspace without Airtable, or a base it cannot read.
            Err(AirtableError::NotConnected) => Ok(none()),
            Err(AirtableError::Upstream {
                status: 403 | 404, ..
            }) => Ok(none()),
            Err(e) => Err(resources::rpc_error(e)),
        }
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
/// A call that will need Airtable (by its `Mcp-Method` header) has the workspace's connection
/// read in the same round trip as the session check.
async fn authenticate(
    State(state): State<AppState>,
    credential: Credential,
    mut req: Request,
    next: Next,
) -> Response {
    let needs_airtable = req
        .headers()
        .get("mcp-method")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| m == "tools/call");
    let confirmed = if needs_airtable {
        state
            .toolbox
            .airtable
            .confirm_with_connection(credential)
            .await
            .map(|(identity, conn)| (identity, ConnectionRead::Ahead(conn)))
    } else {
        credential
            .confirm()
            .await
            .map(|identity| (identity, ConnectionRead::NotYet))
    };
    match confirmed {
        Ok((identity, connection)) => {
            req.extensions_mut().insert(identity);
            req.extensions_mut().insert(connection);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// Takes `notifications/cancelled` out of the stream before the SDK (which ignores notifications
/// when stateless) and records it for the running call, wherever it runs; 202 like any
/// notification. Everything else goes on unchanged.
async fn take_cancellations(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e)
            if e.source()
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) =>
        {
            return ApiError::PayloadTooLarge(MAX_BODY).into_response();
        }
        Err(e) => {
            return ApiError::bad_request(
                "bad_body",
                format!("the request body could not be read: {e}"),
            )
            .into_response();
        }
    };
    // Only a body naming the method is parsed here; the SDK parses every message anyway.
    const CANCELLED: &[u8] = b"notifications/cancelled";
    let message: Option<Value> = if bytes.windows(CANCELLED.len()).any(|w| w == CANCELLED) {
        serde_json::from_slice(&bytes).ok()
    } else {
        None
    };
    if let (Some(id), Some(identity)) = (
        message.as_ref().and_then(cancel::cancelled_request),
        parts.extensions.get::<Identity>(),
    ) {
        return match cancel::record(
            &state.toolbox.store,
            identity,
            cancel::user_agent(&parts.headers),
            id,
        )
        .await
        {
            Ok(()) => StatusCode::ACCEPTED.into_response(),
            Err(e) => ApiError::internal(e).into_response(),
        };
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// `POST /mcp`. GET and DELETE answer 405: the server is stateless and offers no standalone
/// stream and no session to delete.
pub fn router(state: AppState) -> Router {
    let telemetry = state.telemetry.clone();
    let server = McpServer {
        toolbox: state.toolbox.clone(),
    };
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_sse_retry(None)
        .with_max_request_body_bytes(MAX_BODY)
        // Host and Origin are checked by `check_host`, with patterns the SDK does not support.
        .disable_allowed_hosts()
        .disable_allowed_origins();
    let mcp = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let guarded = tower::ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(state.clone(), check_host))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            take_cancellations,
        ))
        .service(mcp);
    Router::new()
        .route("/mcp", post_service(guarded))
        .with_state(state)
        .route_layer(telemetry.http_layer())
}

#[cfg(test)]
mod tests {
    //! The Router as Lambda runs it, fed the sample API Gateway events in `events/mcp/`. AWS is
    //! an address where nothing listens, so only paths that need no AWS call are exercised.

    use super::*;
    use platform::testing::{event, invoke, unreachable_aws};

    async fn app() -> Router {
        let (mut config, aws) = unreachable_aws();
        // As the template configures it in AWS: API Gateway's generated hostnames.
        config.mcp_allowed_hosts = vec!["*.execute-api.us-east-1.amazonaws.com".into()];
        platform::http::edge(router(AppState::new(config, aws).await.unwrap()))
    }

    #[tokio::test]
    async fn a_call_without_credentials_is_a_401_with_www_authenticate() {
        let (status, body, headers) = invoke(app().await, &event("mcp", "tools-list.json")).await;
        assert_eq!(status, 401);
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
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
        let ev = event("mcp", "tools-list.json").replace(
            "\"abc123.execute-api.us-east-1.amazonaws.com\",\n    \"user-agent",
            "\"attacker.example\",\n    \"user-agent",
        );
        assert!(ev.contains("attacker.example"));
        let (status, body, _) = invoke(app().await, &ev).await;
        assert_eq!(status, 403);
        assert_eq!(body["code"], "forbidden_host");
    }

    /// Where `schema` breaks the rules MCP's published `schema.json` sets for `Tool.inputSchema`
    /// and `Tool.outputSchema` (2024-11-05 to 2026-07-28: an object with `type: "object"`,
    /// `properties` a map of objects, `required` a list of strings, `$schema` a string), plus
    /// what the TypeScript SDK and model providers reject in practice: a boolean or non-object
    /// sub-schema anywhere (`additionalProperties: false` excepted), `$ref`/`$defs` (not every
    /// client resolves them), a `required` name with no property.
    fn mcp_schema_problems(schema: &Value, path: &str, top: bool, problems: &mut Vec<String>) {
        let Value::Object(map) = schema else {
            problems.push(format!(
                "{path}: a schema must be an object, found {schema}"
            ));
            return;
        };
        if top {
            if map.get("type") != Some(&Value::from("object")) {
                problems.push(format!("{path}.type must be \"object\""));
            }
            if map.get("$schema").is_some_and(|v| !v.is_string()) {
                problems.push(format!("{path}.$schema must be a string"));
            }
        }
        // Sub-schemas to check once this level is done.
        let mut subs: Vec<(&Value, String)> = Vec::new();
        let mut walk = |v, here| subs.push((v, here));
        for (key, value) in map {
            let here = format!("{path}.{key}");
            let k = key.as_str();
            if matches!(k, "$ref" | "$defs" | "definitions" | "$dynamicRef") {
                problems.push(format!(
                    "{here}: references are not resolved by every client"
                ));
            } else if tools::CLOSING.contains(&k) {
                if *value != Value::Bool(false) {
                    walk(value, here);
                }
            } else if tools::ONE_SCHEMA.contains(&k) {
                match value.as_array() {
                    Some(list) => list
                        .iter()
                        .enumerate()
                        .for_each(|(i, v)| walk(v, format!("{here}[{i}]"))),
                    None => walk(value, here),
                }
            } else if tools::SCHEMA_LISTS.contains(&k) {
                match value.as_array() {
                    Some(list) => list
                        .iter()
                        .enumerate()
                        .for_each(|(i, v)| walk(v, format!("{here}[{i}]"))),
                    None => problems.push(format!("{here} must be a list")),
                }
            } else if tools::SCHEMA_MAPS.contains(&k) {
                match value.as_object() {
                    Some(m) => m
                        .iter()
                        .filter(|(_, v)| !v.is_array())
                        .for_each(|(name, v)| walk(v, format!("{here}.{name}"))),
                    None => problems.push(format!("{here} must be an object")),
                }
            } else if k == "required" {
                match value.as_array().filter(|a| a.iter().all(Value::is_string)) {
                    Some(names) => {
                        for n in names {
                            if map
                                .get("properties")
                                .and_then(|p| p.get(n.as_str().unwrap_or("")))
                                .is_none()
                            {
                                problems
                                    .push(format!("{here}: {n} is required but not a property"));
                            }
                        }
                    }
                    None => problems.push(format!("{here} must be a list of strings")),
                }
            }
        }
        for (sub, here) in subs {
            mcp_schema_problems(sub, &here, false, problems);
        }
    }

    #[test]
    fn every_tool_schema_is_valid_for_every_protocol_version_served() {
        let versions: Vec<String> = rmcp::model::ProtocolVersion::KNOWN_VERSIONS
            .iter()
            .map(|v| v.to_string())
            .collect();
        assert!(
            versions.contains(&"2025-06-18".to_owned())
                && versions.contains(&"2026-07-28".to_owned()),
            "{versions:?}"
        );
        let mut problems = Vec::new();
        for spec in tools::specs() {
            let tool = serde_json::to_value(mcp_tool(spec)).unwrap();
            for key in ["inputSchema", "outputSchema"] {
                mcp_schema_problems(
                    &tool[key],
                    &format!("{}.{key}", spec.name),
                    true,
                    &mut problems,
                );
            }
        }
        assert!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }

    #[test]
    fn the_schema_check_catches_what_clients_refuse() {
        let mut problems = Vec::new();
        let bad = serde_json::json!({"type": "object", "properties": {"id": true, "list": {"type": "array", "items": true}, "r": {"$ref": "#/$defs/x"}}, "required": ["nope"]});
        mcp_schema_problems(&bad, "t", true, &mut problems);
        assert_eq!(problems.len(), 4, "{problems:?}");
        problems.clear();
        mcp_schema_problems(
            &serde_json::json!({"type": "object", "additionalProperties": false}),
            "t",
            true,
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn every_registry_tool_becomes_an_mcp_tool_with_annotations_and_output_schema() {
        let t = mcp_tool(tools::spec("delete_records").unwrap());
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["annotations"]["destructiveHint"], true);
        assert_eq!(v["annotations"]["readOnlyHint"], false);
        assert_eq!(v["outputSchema"]["type"], "object");
        assert_eq!(
            v["inputSchema"]["required"],
            serde_json::json!(["base_id", "table", "record_ids"])
        );
    }
}
