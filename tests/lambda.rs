//! A function's real `bootstrap` run as Lambda runs it: a minimal Lambda Runtime API (and the
//! part of the Extensions API a function registers with) on 127.0.0.1, fed the function's
//! `events/` fixture. The black-box suite smoke-runs every function's `main` with it; the bench
//! times cold starts and watches memory with it. AWS calls go through [`TimedProxy`], so the time
//! a function spent waiting on the emulator can be told apart from its own.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// Every function binary and the fixture it is invoked with (under `events/`). The fixtures
/// need no credentials: each still runs the function's whole path from `main` to an answer.
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("auth", "auth/health.json"),
    ("airtable", "airtable/list-records.json"),
    ("analytics", "analytics/usage.json"),
    ("automation-worker", "automation-worker/not-a-job.json"),
    ("chat", "chat/chat.json"),
    ("chat-stream", "chat/chat.json"),
    ("file-processor", "file-processor/s3-test-event.json"),
    ("files", "files/list.json"),
    ("mcp", "mcp/tools-list.json"),
    ("mcp-stream", "mcp/tools-list.json"),
    ("saga", "saga/start.json"),
    ("saga-steps", "saga-steps/step.json"),
    ("workflows", "workflows/create.json"),
];

/// The fixture a function is invoked with thousands of times (the bench's memory watch): its
/// usual one, except where that one waits on retries (a saga step whose task token the emulator
/// does not know is retried for seconds).
pub fn repeated_fixture(bin: &str, fixture: &'static str) -> &'static str {
    match bin {
        "saga-steps" => "saga-steps/not-a-step.json",
        _ => fixture,
    }
}

/// A fixture's bytes.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// What a function answered to one invocation.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `…/response` (true) or `…/error` (false).
    pub ok: bool,
    pub body: Vec<u8>,
    pub at: Instant,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<(String, Vec<u8>)>>,
    queued: tokio::sync::Notify,
    answers: Mutex<HashMap<String, Answer>>,
    answered: tokio::sync::Notify,
    first_poll: Mutex<Option<Instant>>,
    registered: Mutex<Option<Instant>>,
    init_error: Mutex<Option<String>>,
    name: Mutex<String>,
}

/// The Runtime API one function instance talks to.
pub struct Runtime {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Runtime {
    /// Serves on a free port of 127.0.0.1 for a function named `name`.
    pub async fn start(name: &str) -> Runtime {
        let shared = Arc::new(Shared::default());
        *shared.name.lock().unwrap() = name.to_owned();
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .route("/2020-01-01/extension/register", post(register))
            // An extension that subscribes to no event waits here for good.
            .route(
                "/2020-01-01/extension/event/next",
                get(std::future::pending::<()>),
            )
            .layer(axum::extract::DefaultBodyLimit::max(8 << 20))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the runtime API");
        let addr = listener.local_addr().expect("its address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Runtime {
            addr,
            shared,
            server,
        }
    }

    /// `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// When the function first asked for an event: its init was done.
    pub fn first_poll(&self) -> Option<Instant> {
        *self.shared.first_poll.lock().unwrap()
    }

    /// When the function registered its shutdown extension: `main` had built its configuration,
    /// clients and state, and was about to start the runtime (HTTP functions only).
    pub fn registered(&self) -> Option<Instant> {
        *self.shared.registered.lock().unwrap()
    }

    /// What the function reported when its init failed.
    pub fn init_error(&self) -> Option<String> {
        self.shared.init_error.lock().unwrap().clone()
    }

    /// Invokes the function with `event` and waits (up to `limit`) for its answer.
    pub async fn invoke(&self, event: &[u8], limit: Duration) -> Result<Answer, String> {
        let id = uuid::Uuid::new_v4().to_string();
        self.shared
            .queue
            .lock()
            .unwrap()
            .push_back((id.clone(), event.to_vec()));
        self.shared.queued.notify_waiters();
        self.shared.queued.notify_one();
        let wait = async {
            loop {
                let answered = self.shared.answered.notified();
                tokio::pin!(answered);
                answered.as_mut().enable();
                if let Some(a) = self.shared.answers.lock().unwrap().remove(&id) {
                    return a;
                }
                answered.await;
            }
        };
        tokio::time::timeout(limit, wait)
            .await
            .map_err(|_| match self.init_error() {
                Some(e) => format!("init failed: {e}"),
                None => format!("no answer within {limit:?}"),
            })
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(s): State<Arc<Shared>>) -> Response {
    s.first_poll
        .lock()
        .unwrap()
        .get_or_insert_with(Instant::now);
    let (id, event) = loop {
        let queued = s.queued.notified();
        tokio::pin!(queued);
        queued.as_mut().enable();
        if let Some(item) = s.queue.lock().unwrap().pop_front() {
            break item;
        }
        queued.await;
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 900_000;
    let name = s.name.lock().unwrap().clone();
    let mut res = Response::new(Body::from(event));
    let h = res.headers_mut();
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set("content-type", "application/json".into());
    set("lambda-runtime-aws-request-id", id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0".into(),
    );
    res
}

fn answer(s: &Shared, id: String, ok: bool, body: Bytes) -> StatusCode {
    s.answers.lock().unwrap().insert(
        id,
        Answer {
            ok,
            body: body.to_vec(),
            at: Instant::now(),
        },
    );
    s.answered.notify_waiters();
    StatusCode::ACCEPTED
}

async fn respond(
    State(s): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    answer(&s, id, true, body)
}

async fn fail(
    State(s): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    answer(&s, id, false, body)
}

async fn init_error(State(s): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *s.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

async fn register(State(s): State<Arc<Shared>>) -> Response {
    s.registered
        .lock()
        .unwrap()
        .get_or_insert_with(Instant::now);
    let name = s.name.lock().unwrap().clone();
    let body = serde_json::json!({"functionName": name, "functionVersion": "$LATEST", "handler": "bootstrap"});
    let mut res = axum::Json(body).into_response();
    res.headers_mut().insert(
        "lambda-extension-identifier",
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("a header value"),
    );
    res
}

/// A function's process, killed when dropped.
pub struct Function {
    child: tokio::process::Child,
    pub started: Instant,
}

impl Function {
    /// Starts `bootstrap` against `runtime`, with the functions' environment `env` (the local
    /// stack's, pointing at its emulator: or at a [`TimedProxy`] in front of it).
    pub fn spawn(
        bootstrap: &Path,
        name: &str,
        runtime: &Runtime,
        env: &HashMap<String, String>,
    ) -> Function {
        let started = Instant::now();
        // `LAMBDA_STRACE=<dir>`: each function runs under `strace -f -tt` into <dir>/<name>, to
        // see where its start-up goes (files read, connections made, and when).
        let mut command = match std::env::var("LAMBDA_STRACE")
            .ok()
            .filter(|d| !d.is_empty())
        {
            Some(dir) => {
                let mut c = tokio::process::Command::new("strace");
                c.args([
                    "-f",
                    "-tt",
                    "-e",
                    "trace=execve,openat,connect,sendto,recvfrom,write,writev,read,exit_group",
                    "-o",
                ])
                .arg(Path::new(&dir).join(name))
                .arg(bootstrap);
                c
            }
            None => tokio::process::Command::new(bootstrap),
        };
        let child = command
            .env_clear()
            .envs(env)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bootstrap.display()));
        Function { child, started }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Resident memory now (KiB), from `/proc`.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops it; what it wrote to stderr (its logs go to stdout, discarded).
    pub async fn stop(mut self) -> String {
        let _ = self.child.start_kill();
        let mut err = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            use tokio::io::AsyncReadExt;
            let _ =
                tokio::time::timeout(Duration::from_secs(2), stderr.read_to_string(&mut err)).await;
        }
        let _ = self.child.wait().await;
        err
    }
}

/// The directory of the binaries beside the running one (`target/<profile>`).
pub fn binaries_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the running binary's path");
    let dir = exe.parent().expect("a directory");
    if dir.ends_with("deps") {
        dir.parent().expect("the profile directory").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// An HTTP proxy in front of the AWS emulator that keeps when each request was in flight, so
/// the time a function spent waiting on the emulator can be subtracted from its own.
pub struct TimedProxy {
    addr: SocketAddr,
    spans: Arc<Mutex<Vec<(Instant, Instant)>>>,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Upstream {
    target: String,
    http: reqwest::Client,
    spans: Arc<Mutex<Vec<(Instant, Instant)>>>,
}

impl TimedProxy {
    /// Forwards everything to `target` (`http://127.0.0.1:port`).
    pub async fn start(target: &str) -> TimedProxy {
        platform::outbound::install_tls_provider();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let upstream = Upstream {
            target: target.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            spans: spans.clone(),
        };
        let app = Router::new()
            .fallback(forward)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(upstream);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the proxy");
        let addr = listener.local_addr().expect("its address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TimedProxy {
            addr,
            spans,
            server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How long, between `from` and `to`, at least one request was in flight.
    pub fn busy(&self, from: Instant, to: Instant) -> Duration {
        let mut spans: Vec<(Instant, Instant)> = self
            .spans
            .lock()
            .unwrap()
            .iter()
            .map(|(a, b)| ((*a).max(from), (*b).min(to)))
            .filter(|(a, b)| a < b)
            .collect();
        spans.sort();
        let mut total = Duration::ZERO;
        let mut current: Option<(Instant, Instant)> = None;
        for (a, b) in spans {
            current = match current {
                Some((s, e)) if a <= e => Some((s, e.max(b))),
                Some((s, e)) => {
                    total += e - s;
                    Some((a, b))
                }
                None => Some((a, b)),
            };
        }
        if let Some((s, e)) = current {
            total += e - s;
        }
        total
    }

    /// Requests forwarded so far.
    pub fn count(&self) -> usize {
        self.spans.lock().unwrap().len()
    }
}

impl Drop for TimedProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(State(up): State<Upstream>, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    let mut headers = HeaderMap::new();
    for (k, v) in &parts.headers {
        if k != "content-length" && k != "transfer-encoding" && k != "connection" {
            headers.append(k.clone(), v.clone());
        }
    }
    let sent = up
        .http
        .request(parts.method, format!("{}{path}", up.target))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let res = match sent {
        Ok(r) => {
            let status = r.status();
            let mut headers = r.headers().clone();
            headers.remove("transfer-encoding");
            headers.remove("content-length");
            headers.remove("connection");
            let bytes = r.bytes().await.unwrap_or_default();
            let mut res = Response::new(Body::from(bytes));
            *res.status_mut() = status;
            *res.headers_mut() = headers;
            res
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    };
    up.spans.lock().unwrap().push((started, Instant::now()));
    res
}
