//! The local stack: the whole platform on one machine, with no AWS account and no Docker.
//!
//! [`start`] provisions the AWS emulator from `infra/template.yaml`, starts the sandbox Airtable,
//! and serves every function's Router on one HTTP server — the stand-in for API Gateway. The
//! binary (`make dev`) and the black-box tests both use it.

#[cfg(test)]
mod openapi_tests;
pub mod pollers;
pub mod provision;
pub mod sandbox;
pub mod scheduler;
pub mod template;
pub mod web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use axum::Router;
use platform::aws::AwsClients;
use platform::config::Config;
use tokio::net::TcpListener;

/// The error type of the local stack's set-up code.
/// Stack of the threads that run the functions' handlers locally. Lambda polls a handler on its
/// process's main thread (8 MiB); tokio's worker threads get 2 MiB, which a debug build of the
/// deepest handler (a workflow run with nested loops and conditions) can outgrow.
pub const HANDLER_STACK_BYTES: usize = 8 << 20;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How to run the stack.
#[derive(Debug, Clone)]
pub struct Options {
    /// AWS endpoint; `None` lets the SDK read `AWS_ENDPOINT_URL` and friends itself.
    pub aws_endpoint: Option<String>,
    /// Prefix of every physical resource name.
    pub stack: String,
    /// Address of the API server.
    pub bind: SocketAddr,
    /// Address of the sandbox Airtable.
    pub sandbox_bind: SocketAddr,
    /// Upstream Airtable; `None` means the sandbox.
    pub airtable_api_url: Option<String>,
    /// The SAM template to provision from.
    pub template: PathBuf,
    /// JWT secret; `None` uses the secret generated in the emulator's Secrets Manager.
    pub jwt_secret: Option<String>,
    /// How the sandbox Airtable behaves (tokens, limits, penalty).
    pub sandbox: sandbox::SandboxConfig,
    /// More function environment on top of the template's (the `LLM_*` variables).
    pub extra_env: HashMap<String, String>,
    /// The operator token of `GET /api/v1/ops/metrics` (`OPS_TOKEN`); `None` leaves it off.
    pub ops_token: Option<String>,
    /// The built web app served beside the API (`web/dist`); `None` serves the API alone.
    pub web_dist: Option<PathBuf>,
}

impl Options {
    /// Options from the environment: `PORT` (3000), `SANDBOX_PORT` (3001), `LOCAL_STACK_NAME`
    /// (`pyairtable-local`), `AIRTABLE_API_URL`, `JWT_SECRET`, `TEMPLATE`.
    pub fn from_env() -> Result<Self, BoxError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let port: u16 = var("PORT").map(|p| p.parse()).transpose()?.unwrap_or(3000);
        let sandbox_port: u16 = var("SANDBOX_PORT")
            .map(|p| p.parse())
            .transpose()?
            .unwrap_or(3001);
        Ok(Self {
            aws_endpoint: None,
            stack: var("LOCAL_STACK_NAME").unwrap_or_else(|| "pyairtable-local".into()),
            bind: SocketAddr::from(([127, 0, 0, 1], port)),
            sandbox_bind: SocketAddr::from(([127, 0, 0, 1], sandbox_port)),
            airtable_api_url: var("AIRTABLE_API_URL"),
            template: var("TEMPLATE")
                .map(PathBuf::from)
                .unwrap_or_else(default_template),
            jwt_secret: var("JWT_SECRET"),
            sandbox: sandbox_config(&var)?,
            // The chat's model is the developer's choice: `make dev` passes LLM_* through, and
            // WORKFLOW_HTTP_ALLOW (the services on this machine workflows may call; none by
            // default — never the AWS emulator, whose data is every tenant's).
            extra_env: std::env::vars()
                .filter(|(k, v)| {
                    (k.starts_with("LLM_") || k == "WORKFLOW_HTTP_ALLOW") && !v.is_empty()
                })
                .collect(),
            ops_token: var("OPS_TOKEN"),
            web_dist: Some(
                var("WEB_DIST")
                    .map(PathBuf::from)
                    .unwrap_or_else(default_web_dist),
            ),
        })
    }
}

/// `SANDBOX_TOKENS` (comma-separated PATs; default [`sandbox::DEFAULT_TOKEN`]) and
/// `SANDBOX_PENALTY_SECS` (default 30).
fn sandbox_config(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<sandbox::SandboxConfig, BoxError> {
    let mut config = sandbox::SandboxConfig::default();
    if let Some(tokens) = var("SANDBOX_TOKENS") {
        config.tokens = tokens
            .split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
    }
    if let Some(secs) = var("SANDBOX_PENALTY_SECS") {
        config.penalty = std::time::Duration::from_secs(secs.parse()?);
    }
    if let Some(ms) = var("SANDBOX_LATENCY_MS") {
        config.latency = std::time::Duration::from_millis(ms.parse()?);
    }
    Ok(config)
}

/// A fresh operator token, written to `path` (readable by its owner only) for the developer's
/// `curl`; the token is never logged.
pub fn write_ops_token(path: &std::path::Path) -> Result<String, BoxError> {
    use rand::Rng;
    use std::os::unix::fs::OpenOptionsExt;
    let token: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(48)
        .map(char::from)
        .collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // `mode` applies to a new file only: an older one is narrowed too.
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    std::io::Write::write_all(&mut file, token.as_bytes())?;
    Ok(token)
}

/// `web/dist` of this checkout (what `vite build` writes).
pub fn default_web_dist() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/dist")
}

/// `infra/template.yaml` of this checkout.
pub fn default_template() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../template.yaml")
}

/// What [`start`] brought up.
#[derive(Debug, Clone)]
pub struct Running {
    pub api: SocketAddr,
    pub sandbox: SocketAddr,
    /// The functions' environment, resolved to local resources.
    pub env: HashMap<String, String>,
    /// The clock of the local scheduler (tests move it forward).
    pub clock: scheduler::Clock,
}

/// SDK configuration for an explicit emulator endpoint, or from the environment.
pub async fn sdk_config(endpoint: Option<&str>) -> SdkConfig {
    platform::outbound::install_tls_provider();
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(platform::aws::https_client());
    if let Some(ep) = endpoint {
        loader = loader
            .endpoint_url(ep)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "local-stack"));
    }
    loader.load().await
}

/// moto runs Step Functions executions only when asked to; other endpoints ignore this.
async fn enable_emulator_features(endpoint: &str) {
    let url = format!("{}/moto-api/config", endpoint.trim_end_matches('/'));
    let body = serde_json::json!({"stepfunctions": {"execute_state_machine": true}});
    match reqwest::Client::new().post(&url).json(&body).send().await {
        Ok(r) if r.status().is_success() => {
            tracing::info!("emulator: Step Functions execution switched on")
        }
        _ => tracing::info!("emulator has no moto configuration API; continuing"),
    }
}

/// The platform's OpenAPI 3.1 document: every function's part, with the bearer scheme.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
    let mut doc = auth::ApiDoc::openapi();
    doc.merge(airtable::ApiDoc::openapi());
    doc.merge(chat::ApiDoc::openapi());
    doc.merge(files::ApiDoc::openapi());
    doc.merge(saga::ApiDoc::openapi());
    doc.merge(workflows::ApiDoc::openapi());
    doc.merge(analytics::ApiDoc::openapi());
    doc.info = utoipa::openapi::InfoBuilder::new()
        .title("PyAirtable API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some("Accounts, tenants, API keys, the Airtable gateway and the LLM chat (the MCP server is at POST /mcp). Errors are RFC 9457 problem+json. The Airtable-compatible /v0 proxy follows Airtable's own Web API."))
        .build();
    let bearer = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("access JWT or pyat_ API key")
        .build();
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme("bearer", SecurityScheme::Http(bearer));
    platform::openapi::complete(&mut doc);
    add_links(&mut doc);
    // Operation ids from method and path (`getChatSessionsById`): unique by construction, where
    // handler names (`list`, `get`, `delete`) repeat across functions.
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
            ("head", &mut item.head),
            ("options", &mut item.options),
        ];
        for (method, op) in ops {
            if let Some(op) = op.as_mut() {
                op.operation_id = Some(operation_id(method, path));
            }
        }
    }
    doc
}

/// An answer that carries an id, and the operations that take it: what a creating operation's
/// answer lets a client do next.
struct Links {
    method: &'static str,
    path: &'static str,
    status: &'static str,
    targets: &'static [(&'static str, &'static str)],
    /// The targets' parameter, and the runtime expression of its value.
    parameter: &'static str,
    value: &'static str,
}

const LINKS: &[Links] = &[
    Links {
        method: "post",
        path: "/api/v1/workflows",
        status: "201",
        targets: &[
            ("get", "/api/v1/workflows/{id}"),
            ("put", "/api/v1/workflows/{id}"),
            ("delete", "/api/v1/workflows/{id}"),
            ("post", "/api/v1/workflows/{id}/trigger"),
            ("get", "/api/v1/workflows/{id}/executions"),
            ("post", "/api/v1/workflows/{id}/webhook/secret"),
        ],
        parameter: "id",
        value: "$response.body#/id",
    },
    Links {
        method: "post",
        path: "/api/v1/workflows/{id}/trigger",
        status: "202",
        targets: &[
            ("get", "/api/v1/workflows/executions/{executionId}"),
            ("post", "/api/v1/workflows/executions/{executionId}/cancel"),
        ],
        parameter: "executionId",
        value: "$response.body#/executionId",
    },
    Links {
        method: "post",
        path: "/api/v1/api-keys",
        status: "201",
        targets: &[("delete", "/api/v1/api-keys/{keyId}")],
        parameter: "keyId",
        value: "$response.body#/id",
    },
    Links {
        method: "post",
        path: "/api/v1/files/upload",
        status: "201",
        targets: &[
            ("get", "/api/v1/files/{id}"),
            ("get", "/api/v1/files/{id}/content"),
            ("delete", "/api/v1/files/{id}"),
            ("post", "/api/v1/files/{id}/import"),
        ],
        parameter: "id",
        value: "$response.body#/fileId",
    },
    Links {
        method: "post",
        path: "/api/v1/saga/transaction",
        status: "202",
        targets: &[
            ("get", "/api/v1/saga/transaction/{id}"),
            ("post", "/api/v1/saga/transaction/{id}/cancel"),
        ],
        parameter: "id",
        value: "$response.body#/transactionId",
    },
    Links {
        method: "post",
        path: "/api/v1/tenant/members",
        status: "201",
        targets: &[("delete", "/api/v1/tenant/invitations/{invitationId}")],
        parameter: "invitationId",
        value: "$response.body#/invitation/id",
    },
    Links {
        method: "post",
        path: "/api/v1/chat",
        status: "200",
        targets: &[
            ("get", "/api/v1/chat/sessions/{id}"),
            ("delete", "/api/v1/chat/sessions/{id}"),
        ],
        parameter: "id",
        value: "$response.body#/sessionId",
    },
    Links {
        method: "put",
        path: "/api/v1/secrets/{name}",
        status: "201",
        targets: &[("delete", "/api/v1/secrets/{name}")],
        parameter: "name",
        value: "$request.path.name",
    },
];

/// Adds [`LINKS`] to the document's responses (OpenAPI `links`), so generated clients and
/// stateful testers can follow an id from the answer that made it to the operations that use it.
fn add_links(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::link::LinkBuilder;
    for Links {
        method,
        path,
        status,
        targets,
        parameter,
        value,
    } in LINKS
    {
        for (target_method, target_path) in *targets {
            let target = doc
                .paths
                .paths
                .get(*target_path)
                .and_then(|item| match *target_method {
                    "get" => item.get.as_ref(),
                    "put" => item.put.as_ref(),
                    "post" => item.post.as_ref(),
                    "delete" => item.delete.as_ref(),
                    _ => None,
                });
            assert!(
                target.is_some(),
                "LINKS names {target_method} {target_path}, which the document does not have"
            );
        }
        let item = doc.paths.paths.get_mut(*path);
        let op = item.and_then(|item| match *method {
            "post" => item.post.as_mut(),
            "put" => item.put.as_mut(),
            _ => None,
        });
        let response = op.and_then(|op| op.responses.responses.get_mut(*status));
        let Some(RefOr::T(response)) = response else {
            panic!("LINKS names {method} {path} {status}, which the document does not have");
        };
        for (target_method, target_path) in *targets {
            let target = operation_id(target_method, target_path);
            let link = LinkBuilder::new()
                .operation_id(target.clone())
                .parameter(*parameter, *value)
                .build();
            response.links.insert(target, RefOr::T(link));
        }
    }
}

/// The document as JSON, the way `docs/openapi.json` holds it: keys sorted (the same bytes
/// whether or not some crate of the build turns on serde_json's `preserve_order`). utoipa 5.5
/// writes a `Link`'s fields in snake case (`operation_id`); OpenAPI spells them `operationId`,
/// `operationRef` and `requestBody`, so they are renamed here.
pub fn openapi_json() -> serde_json::Value {
    let mut doc = serde_json::to_value(openapi()).expect("the document serialises");
    let paths = doc.get_mut("paths").and_then(|p| p.as_object_mut());
    for item in paths.into_iter().flat_map(|p| p.values_mut()) {
        let ops = item
            .as_object_mut()
            .into_iter()
            .flat_map(|i| i.values_mut());
        for op in ops {
            let responses = op.get_mut("responses").and_then(|r| r.as_object_mut());
            for response in responses.into_iter().flat_map(|r| r.values_mut()) {
                let links = response.get_mut("links").and_then(|l| l.as_object_mut());
                for link in links.into_iter().flat_map(|l| l.values_mut()) {
                    let Some(link) = link.as_object_mut() else {
                        continue;
                    };
                    for (from, to) in [
                        ("operation_id", "operationId"),
                        ("operation_ref", "operationRef"),
                        ("request_body", "requestBody"),
                    ] {
                        if let Some(v) = link.remove(from) {
                            link.insert(to.to_owned(), v);
                        }
                    }
                }
            }
        }
    }
    sorted(doc)
}

/// `value` with every object's keys in order.
fn sorted(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let ordered: std::collections::BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(ordered.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// `GET /api/v1/chat/sessions/{id}` → `getChatSessionsById`.
pub fn operation_id(method: &str, path: &str) -> String {
    let pascal = |word: &str| -> String {
        word.split(['-', '_', '.'])
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect()
    };
    let mut id = method.to_owned();
    for segment in path
        .trim_start_matches("/api/v1/")
        .split('/')
        .filter(|s| !s.is_empty())
    {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => id.push_str(&format!("By{}", pascal(param))),
            None => id.push_str(&pascal(segment)),
        }
    }
    id
}

/// Every function's Router, each with its own state as its Lambda builds it, merged: the local
/// stand-in for API Gateway's routes.
pub async fn api_router(config: Config, clients: AwsClients) -> Result<Router, BoxError> {
    let auth = auth::router(auth::AppState::new(config.clone(), clients.clone()).await?);
    let airtable =
        airtable::router(airtable::AppState::new(config.clone(), clients.clone()).await?);
    let mcp = mcp::router(mcp::AppState::new(config.clone(), clients.clone()).await?);
    let chat = chat::router(chat::AppState::new(config.clone(), clients.clone()).await?);
    let files = files::router(files::AppState::new(config.clone(), clients.clone()).await?);
    let saga = saga::router(saga::AppState::new(config.clone(), clients.clone()).await?);
    let workflows =
        workflows::router(workflows::AppState::new(config.clone(), clients.clone()).await?);
    let analytics = analytics::router(analytics::AppState::new(config, clients).await?);
    Ok(platform::http::edge(
        auth.merge(airtable)
            .merge(mcp)
            .merge(chat)
            .merge(files)
            .merge(saga)
            .merge(workflows)
            .merge(analytics),
    ))
}

/// Starts one more "instance" of every function — its own state, clients and caches, as a
/// second warm Lambda would have — on `bind`, against the same resources (`env`).
pub async fn serve_instance(
    sdk: &SdkConfig,
    env: &HashMap<String, String>,
    bind: SocketAddr,
) -> Result<SocketAddr, BoxError> {
    serve(sdk, env, TcpListener::bind(bind).await?, None).await
}

/// The API (and, given its build, the web app) on `listener`.
async fn serve(
    sdk: &SdkConfig,
    env: &HashMap<String, String>,
    listener: TcpListener,
    web_dist: Option<PathBuf>,
) -> Result<SocketAddr, BoxError> {
    let config = Config::from_lookup(|k| env.get(k).cloned())?;
    let clients = AwsClients::new(sdk);
    let mut app = api_router(config, clients).await?;
    if let Some(dist) = web_dist {
        // Uploads go straight to S3's presigned URLs: here, the emulator's origin.
        let s3: Vec<String> = sdk
            .endpoint_url()
            .map(|e| e.trim_end_matches('/').to_owned())
            .into_iter()
            .collect();
        app = web::with_app(app, dist, &s3);
    }
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

/// The event functions, each behind a poller of its queue (the local event source mappings), and
/// the scheduler that fires workflow schedules.
async fn start_event_functions(
    sdk: &SdkConfig,
    env: &HashMap<String, String>,
    clock: &scheduler::Clock,
) -> Result<(), BoxError> {
    let config = Config::from_lookup(|k| env.get(k).cloned())?;
    let clients = AwsClients::new(sdk);
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    let arn_of = |url: String| {
        let sqs = clients.sqs().clone();
        async move {
            let attrs = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send()
                .await?;
            let arn = attrs
                .attributes()
                .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
                .cloned()
                .unwrap_or_default();
            Ok::<_, BoxError>((url, arn))
        }
    };
    let processor = file_processor::Processor::new(&config, &clients);
    let handler: pollers::SqsHandler = std::sync::Arc::new(move |event| {
        let p = processor.clone();
        Box::pin(async move { Ok(p.handle(event).await) })
    });
    let (queue_url, queue_arn) = arn_of(config.files_queue_url.clone()).await?;
    pollers::spawn(
        clients.sqs().clone(),
        region.clone(),
        pollers::Mapping {
            queue_url,
            queue_arn,
            batch_size: 10,
            handler,
        },
    );

    let worker = saga_steps::Worker::new(&config, &clients);
    let handler: pollers::SqsHandler = std::sync::Arc::new(move |event| {
        let w = worker.clone();
        Box::pin(async move { Ok(w.handle(event).await) })
    });
    let (queue_url, queue_arn) = arn_of(config.saga_steps_queue_url.clone()).await?;
    // Several steps of different sagas at once, as several Lambda instances would.
    for _ in 0..4 {
        let mapping = pollers::Mapping {
            queue_url: queue_url.clone(),
            queue_arn: queue_arn.clone(),
            batch_size: 1,
            handler: handler.clone(),
        };
        pollers::spawn(clients.sqs().clone(), region.clone(), mapping);
    }

    let worker = automation_worker::Worker::new(&config, &clients);
    let handler: pollers::SqsHandler = std::sync::Arc::new(move |event| {
        let w = worker.clone();
        Box::pin(async move { Ok(w.handle(event).await) })
    });
    let (queue_url, queue_arn) = arn_of(config.automation_queue_url.clone()).await?;
    // Runs of different workflows side by side, as several Lambda instances would.
    for _ in 0..3 {
        let mapping = pollers::Mapping {
            queue_url: queue_url.clone(),
            queue_arn: queue_arn.clone(),
            batch_size: 1,
            handler: handler.clone(),
        };
        pollers::spawn(clients.sqs().clone(), region.clone(), mapping);
    }
    if let Some(target) = &config.workflow_schedules {
        scheduler::spawn(
            clients.scheduler().clone(),
            clients.sqs().clone(),
            target.group.clone(),
            clock.clone(),
        );
    }
    Ok(())
}

/// Provisions the emulator, starts the sandbox Airtable and the API server; returns once both
/// listen. The servers run on the current Tokio runtime.
pub async fn start(opts: Options) -> Result<Running, BoxError> {
    platform::outbound::install_tls_provider();
    let sdk = sdk_config(opts.aws_endpoint.as_deref()).await;
    if let Some(endpoint) = sdk.endpoint_url() {
        enable_emulator_features(endpoint).await;
    }

    let sandbox_listener = TcpListener::bind(opts.sandbox_bind).await?;
    let sandbox = sandbox_listener.local_addr()?;
    let sandbox_app = sandbox::router(sandbox::Sandbox::new(opts.sandbox.clone()));
    tokio::spawn(async move { axum::serve(sandbox_listener, sandbox_app).await });

    // The API's address first: it is the web app's origin, which the uploads bucket's CORS rules
    // name (CloudFront's, in AWS).
    let api_listener = TcpListener::bind(opts.bind).await?;
    let origin = api_listener.local_addr()?;
    let mut web_origins = vec![format!("http://{origin}")];
    if origin.ip().is_loopback() {
        web_origins.push(format!("http://localhost:{}", origin.port()));
    }

    let template = template::Template::load(&opts.template)?;
    let mut overrides = HashMap::from([("Stage".to_owned(), "local".to_owned())]);
    // No model unless the developer names one (LLM_* in the environment, applied below).
    overrides.insert("LlmProvider".into(), "none".into());
    overrides.insert(
        "AirtableApiUrl".into(),
        opts.airtable_api_url
            .clone()
            .unwrap_or_else(|| format!("http://{sandbox}")),
    );
    let provisioned =
        provision::provision(&sdk, &template, &opts.stack, &overrides, &web_origins).await?;
    let mut env = provisioned.env;
    env.extend(opts.extra_env.clone());
    if let Some(secret) = &opts.jwt_secret {
        env.insert("JWT_SECRET".into(), secret.clone());
    }
    if let Some(token) = &opts.ops_token {
        env.insert("OPS_TOKEN".into(), token.clone());
    }

    let api = serve(&sdk, &env, api_listener, opts.web_dist.clone()).await?;
    let clock = scheduler::Clock::default();
    start_event_functions(&sdk, &env, &clock).await?;
    tracing::info!(api = %api, sandbox = %sandbox, stack = %opts.stack, "local stack is up");
    Ok(Running {
        api,
        sandbox,
        env,
        clock,
    })
}
