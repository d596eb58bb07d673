//! Harness of the black-box suite: one local stack per test process — its own AWS emulator
//! (moto, spawned from the project venv unless `AWS_ENDPOINT_URL` names one), its own resource
//! names, free ports — and a small HTTP client that speaks to it like any user would.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

pub mod conformance;
pub mod fixtures;
pub mod lambda;
pub mod scripted_llm;
pub mod targets;

/// The JWT secret the stack under test signs with; tests use it to forge tokens that must fail.
pub const TEST_JWT_SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

/// The operator token the stack under test opens `/api/v1/ops/metrics` with.
pub const OPS_TOKEN: &str = "test-operator-token-0123456789-abcdefghijklmnop";

/// A running stack.
pub struct Stack {
    /// The AWS emulator's endpoint.
    pub aws_endpoint: String,
    pub api: SocketAddr,
    pub sandbox: SocketAddr,
    pub env: HashMap<String, String>,
    /// The local scheduler's clock: moving it forward fires due workflow schedules.
    pub clock: local::scheduler::Clock,
    /// The scripted model's base URL (`…/v1`; scripts are registered in-process or at `/_scripts`).
    pub llm: String,
}

static STACK: OnceLock<Stack> = OnceLock::new();

/// Every log line the stack wrote (JSON), so tests can check what is — and is not — logged.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogSink;

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The stack's logs so far.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

/// Waits until the stack has logged a line containing every one of `needles` (20 s at most).
pub async fn logged(needles: &[&str]) -> bool {
    for _ in 0..200 {
        if logs()
            .lines()
            .any(|l| needles.iter().all(|n| l.contains(n)))
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The project venv's Python, which runs `infra/local/emulator.py` (moto, DynamoDB serialised).
fn python() -> String {
    std::env::var("EMULATOR_PYTHON")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python").to_owned())
}

const EMULATOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/local/emulator.py");

/// Starts the emulator on a free port; it dies with this process (PR_SET_PDEATHSIG), so a crashed or
/// interrupted test run leaves nothing behind.
fn spawn_moto() -> (String, std::process::Child) {
    use std::os::unix::process::CommandExt;
    let port = free_port();
    let mut cmd = Command::new(python());
    cmd.args([EMULATOR, "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: prctl is async-signal-safe and touches only the child's own state.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        panic!(
            "cannot start {} {EMULATOR} (run `make deps`): {e}",
            python()
        )
    });
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..150 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (endpoint, child);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("moto did not start on {endpoint}");
}

/// The binary the stack runs each file's parse in: this package's `e2e`, which cargo builds
/// beside the test binaries (`target/debug/e2e`; test binaries live in `target/debug/deps`).
fn extractor() -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe.parent().expect("a directory");
    let dir = if dir.ends_with("deps") {
        dir.parent().expect("the profile directory")
    } else {
        dir
    };
    dir.join("e2e").to_string_lossy().into_owned()
}

/// The stack, started on first use by a thread that lives as long as the test process, with
/// Airtable's real limits but a 2 s penalty (so a test that trips it recovers quickly).
pub fn stack() -> &'static Stack {
    stack_with(local::sandbox::SandboxConfig {
        penalty: Duration::from_secs(2),
        ..Default::default()
    })
}

/// The stack with a given sandbox configuration (the first call in a process decides).
pub fn stack_with(sandbox: local::sandbox::SandboxConfig) -> &'static Stack {
    STACK.get_or_init(|| {
        platform::outbound::install_tls_provider();
        let filter = tracing_subscriber::EnvFilter::new("info,platform=debug,airtable_client=debug,auth=debug,airtable=debug,local=debug");
        let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(true).with_writer(|| LogSink).try_init();
        // EMF lines go where stdout would take them in Lambda: with the logs.
        platform::telemetry::emf::set_sink(|line| {
            let mut logs = LOGS.lock().unwrap_or_else(|p| p.into_inner());
            logs.extend_from_slice(line.as_bytes());
            logs.push(b'\n');
        });
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("local-stack".into())
            .spawn(move || {
                // The child handle lives as long as this thread, i.e. the whole test process.
                let (endpoint, _moto) = match std::env::var("AWS_ENDPOINT_URL").ok().filter(|e| !e.is_empty()) {
                    Some(e) => (e, None),
                    None => {
                        let (e, child) = spawn_moto();
                        (e, Some(child))
                    }
                };
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_stack_size(local::HANDLER_STACK_BYTES)
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let llm_url = scripted_llm::serve().await;
                    let llm_base = llm_url.clone();
                    let prices = serde_json::json!({scripted_llm::MODEL: {"input": scripted_llm::PRICE_INPUT, "output": scripted_llm::PRICE_OUTPUT}});
                    let extra_env = HashMap::from([
                        ("LLM_PROVIDER".to_owned(), "openai".to_owned()),
                        ("LLM_BASE_URL".to_owned(), llm_base),
                        ("LLM_MODEL".to_owned(), scripted_llm::MODEL.to_owned()),
                        ("LLM_PRICES".to_owned(), prices.to_string()),
                        ("LLM_MAX_TOKENS".to_owned(), "200".to_owned()),
                        ("LLM_MAX_ITERATIONS".to_owned(), "4".to_owned()),
                        ("FILE_EXTRACTOR".to_owned(), extractor()),
                        ("WORKFLOW_HTTP_ALLOW".to_owned(), targets::address()),
                    ]);
                    let opts = local::Options {
                        aws_endpoint: Some(endpoint.clone()),
                        stack: format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..10]),
                        bind: "127.0.0.1:0".parse().expect("addr"),
                        sandbox_bind: "127.0.0.1:0".parse().expect("addr"),
                        airtable_api_url: None,
                        template: local::default_template(),
                        jwt_secret: Some(TEST_JWT_SECRET.into()),
                        sandbox,
                        extra_env,
                        ops_token: Some(OPS_TOKEN.into()),
                        web_dist: Some(local::default_web_dist()),
                    };
                    let result = local::start(opts).await.map(|r| (r, endpoint, llm_url)).map_err(|e| e.to_string());
                    let _ = tx.send(result);
                    std::future::pending::<()>().await;
                });
            })
            .expect("stack thread");
        let (running, aws_endpoint, llm) =
            rx.recv().expect("stack thread died").unwrap_or_else(|e| panic!("local stack failed to start: {e}"));
        Stack { aws_endpoint, api: running.api, sandbox: running.sandbox, env: running.env, clock: running.clock, llm }
    })
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    /// The body's `code` (problem responses).
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "body: {}",
            self.body
        );
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(self.headers.contains_key("x-request-id"));
        self
    }
}

/// An HTTP client for the stack's API.
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    pub fn new() -> Self {
        let s = stack();
        Self {
            base: format!("http://{}", s.api),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method.parse().expect("method"), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = Self::read(req.send().await.expect("request")).await;
        // Every answer is what the OpenAPI document says it is.
        if let Err(e) = conformance::check(method, path, resp.status, &resp.body) {
            panic!("{e}");
        }
        resp
    }

    /// Sends a raw request (for malformed bodies, odd headers).
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        Self::read(req.send().await.expect("request")).await
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    async fn read(res: reqwest::Response) -> Resp {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call("GET", path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call("POST", path, token, Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call("PATCH", path, Some(token), Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call("DELETE", path, Some(token), None).await
    }

    /// Creates an API key (`body`: its name and role) with `token`; the key's secret.
    pub async fn api_key(&self, token: &str, body: Value) -> String {
        let r = self
            .post("/api/v1/api-keys", Some(token), body)
            .await
            .expect(201);
        r.body["key"].as_str().expect("the key's secret").to_owned()
    }

    /// Registers a new user (and their own tenant).
    pub async fn register(&self, tag: &str) -> Account {
        let email = unique_email(tag);
        let r = self
            .post(
                "/api/v1/auth/register",
                None,
                serde_json::json!({"email": email, "password": PASSWORD, "name": tag}),
            )
            .await
            .expect(201);
        Account::from_body(&r.body, &email)
    }

    /// `owner` invites a new address with `role`; the invitee registers with the token.
    pub async fn invite(&self, owner: &Account, role: &str) -> Account {
        let email = unique_email(role);
        let inv = self
            .post(
                "/api/v1/tenant/members",
                Some(&owner.access),
                serde_json::json!({"email": email, "role": role}),
            )
            .await
            .expect(201);
        let body = serde_json::json!({"email": email, "password": PASSWORD, "invitationToken": inv.body["invitationToken"]});
        let r = self
            .post("/api/v1/auth/register", None, body)
            .await
            .expect(201);
        assert_eq!(r.body["tenant"]["id"], owner.tenant_id.as_str());
        assert_eq!(r.body["role"], role);
        Account::from_body(&r.body, &email)
    }

    /// Signs in.
    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.post(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"email": email, "password": password}),
        )
        .await
    }
}

/// A password that passes the policy.
pub const PASSWORD: &str = "correct horse battery 9";

/// Runs a real client (a Python, Node or schemathesis program) to its end, off the runtime's
/// threads: whether it succeeded, and its stdout and stderr together. The credential it was
/// given must not appear in anything it printed.
pub async fn run_program(mut cmd: std::process::Command, credential: &str) -> (bool, String) {
    let name = format!("{:?}", cmd.get_program());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("the program's thread")
        .unwrap_or_else(|e| panic!("cannot run {name} (run `make deps`): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        credential.is_empty() || !text.contains(credential),
        "{name} printed its credential"
    );
    (out.status.success(), text)
}

/// An email address no other test uses.
pub fn unique_email(tag: &str) -> String {
    format!(
        "{tag}-{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// A signed-in test account: its user and tokens as register/login/accept return them.
#[derive(Debug, Clone)]
pub struct Account {
    pub email: String,
    pub user_id: String,
    pub tenant_id: String,
    pub access: String,
    pub refresh: String,
}

impl Account {
    pub fn from_body(body: &Value, email: &str) -> Self {
        let s = |v: &Value| {
            v.as_str()
                .unwrap_or_else(|| panic!("missing field in {body}"))
                .to_owned()
        };
        Self {
            email: email.to_owned(),
            user_id: s(&body["user"]["id"]),
            tenant_id: s(&body["tenant"]["id"]),
            access: s(&body["tokens"]["accessToken"]),
            refresh: s(&body["tokens"]["refreshToken"]),
        }
    }
}

/// The sandbox Airtable's own admin API (`/_sandbox/*`) and its default token.
pub mod sandbox {
    use serde_json::{Value, json};

    pub use local::sandbox::DEFAULT_TOKEN;

    fn url(path: &str) -> String {
        format!("http://{}{path}", super::stack().sandbox)
    }

    /// A fresh base with a `People` table: Name (primary), Age, Email, Status (New/Done), Done.
    /// Returns (base id, table id).
    pub async fn people_base() -> (String, String) {
        let body = json!({"name": "test", "tables": [{"name": "People", "fields": [
            {"name": "Name", "type": "singleLineText"},
            {"name": "Age", "type": "number", "options": {"precision": 0}},
            {"name": "Email", "type": "email"},
            {"name": "Status", "type": "singleSelect", "options": {"choices": [{"name": "New"}, {"name": "Done"}]}},
            {"name": "Done", "type": "checkbox"}
        ]}]});
        let res: Value = reqwest::Client::new()
            .post(url("/_sandbox/bases"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            res["id"].as_str().unwrap().to_owned(),
            res["tables"][0]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// A fresh base with one table `Big` (Name, Age) of `n` records, seeded at once. Returns its id.
    pub async fn big_base(n: usize) -> String {
        let records: Vec<Value> = (0..n)
            .map(|i| json!({"Name": format!("R{i:05}"), "Age": i % 90}))
            .collect();
        let body = json!({"name": "big", "tables": [{"name": "Big", "fields": [
            {"name": "Name", "type": "singleLineText"},
            {"name": "Age", "type": "number", "options": {"precision": 0}}
        ], "records": records}]});
        let res: Value = reqwest::Client::new()
            .post(url("/_sandbox/bases"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        res["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{res}"))
            .to_owned()
    }

    /// Registers a token that sees only `bases`.
    pub async fn scoped_token(bases: &[&str]) -> String {
        let token = format!(
            "patScoped{}.{}",
            &uuid::Uuid::new_v4().simple().to_string()[..7],
            uuid::Uuid::new_v4().simple()
        );
        reqwest::Client::new()
            .post(url("/_sandbox/tokens"))
            .json(&json!({"token": token, "bases": bases}))
            .send()
            .await
            .unwrap();
        token
    }

    /// Makes a base's write requests fail for good (`{create|update|delete: n | {after, times}}`).
    pub async fn fail_after(base: &str, rule: Value) {
        reqwest::Client::new()
            .post(url("/_sandbox/config"))
            .json(&json!({"base": base, "failAfter": rule}))
            .send()
            .await
            .unwrap();
    }

    /// Sets a base's injected fault rate.
    pub async fn faults(base: &str, rate: f64) {
        reqwest::Client::new()
            .post(url("/_sandbox/config"))
            .json(&json!({"base": base, "faultRate": rate}))
            .send()
            .await
            .unwrap();
    }

    /// Sets how long a base answers 429 after going over its limit.
    pub async fn penalty(base: &str, ms: u64) {
        reqwest::Client::new()
            .post(url("/_sandbox/config"))
            .json(&json!({"base": base, "penaltyMs": ms}))
            .send()
            .await
            .unwrap();
    }

    /// The sandbox's counters for a base: requests, rateLimited, faults, maxRequestsInAnySecond.
    pub async fn stats(base: &str) -> Value {
        let all: Value = reqwest::Client::new()
            .get(url("/_sandbox/stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all["bases"][base].clone()
    }
}

impl Api {
    /// A new tenant whose owner has connected the sandbox Airtable with a token of its own
    /// (as every real tenant has), seeing a fresh `People` base.
    pub async fn connected(&self, tag: &str) -> Connected {
        let session = self.register(tag).await;
        let (base, table) = sandbox::people_base().await;
        let token = sandbox::scoped_token(&[&base]).await;
        self.call(
            "PUT",
            "/api/v1/connections/airtable",
            Some(&session.access),
            Some(serde_json::json!({"token": token})),
        )
        .await
        .expect(200);
        Connected {
            account: session,
            base,
            table,
        }
    }
}

impl Api {
    /// Uploads a file through a presigned PUT, as a browser would; returns the file id.
    pub async fn upload(
        &self,
        s: &Account,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> String {
        let body =
            serde_json::json!({"filename": name, "contentType": content_type, "size": bytes.len()});
        let r = self
            .post("/api/v1/files/upload", Some(&s.access), body)
            .await
            .expect(201);
        assert_eq!(r.body["status"], "pending");
        let url = r.body["uploadUrl"].as_str().unwrap();
        let put = reqwest::Client::new()
            .put(url)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert!(
            put.status().is_success(),
            "PUT to the presigned URL: {}",
            put.status()
        );
        r.body["fileId"].as_str().unwrap().to_owned()
    }

    /// Polls a file until its processing ends; returns it.
    pub async fn file_settled(&self, s: &Account, id: &str) -> Value {
        for _ in 0..200 {
            let r = self
                .get(&format!("/api/v1/files/{id}"), &s.access)
                .await
                .expect(200);
            if matches!(r.body["status"].as_str(), Some("processed" | "failed")) {
                return r.body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("file {id} was not processed in 20 s");
    }
}

impl Api {
    /// Every record of a table of the tenant's base, read past the cache.
    pub async fn records(&self, c: &Connected, table: &str) -> Vec<Value> {
        let r = self
            .http()
            .get(self.url(&format!(
                "/api/v1/records?baseId={}&table={table}&all=true",
                c.base
            )))
            .bearer_auth(&c.account.access)
            .header("cache-control", "no-cache")
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        body["records"].as_array().cloned().unwrap_or_default()
    }
}

/// A tenant connected to Airtable, and its own base.
pub struct Connected {
    pub account: Account,
    pub base: String,
    pub table: String,
}

impl Api {
    /// GETs `path` every 200 ms until its `status` is one of `ends`; panics after `seconds`.
    async fn poll_until(&self, s: &Account, path: &str, ends: &[&str], seconds: u64) -> Value {
        for _ in 0..seconds * 5 {
            let r = self.get(path, &s.access).await.expect(200);
            if r.body["status"]
                .as_str()
                .is_some_and(|st| ends.contains(&st))
            {
                return r.body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        panic!("{path} did not end in {seconds} s");
    }

    /// A saga transaction once it has finished (completed, compensated, compensation_failed or
    /// failed), followed through the REST API as a user would; panics after 180 s.
    pub async fn saga_finished(&self, s: &Account, id: &str) -> Value {
        let ends = ["completed", "compensated", "compensation_failed", "failed"];
        self.poll_until(s, &format!("/api/v1/saga/transaction/{id}"), &ends, 180)
            .await
    }

    /// Saves a workflow (201); returns it.
    pub async fn workflow(&self, s: &Account, def: Value) -> Value {
        self.post("/api/v1/workflows", Some(&s.access), def)
            .await
            .expect(201)
            .body
    }

    /// Runs a workflow by hand (202); returns the run's id.
    pub async fn run_workflow(&self, s: &Account, id: &str, data: Value) -> String {
        let r = self
            .post(
                &format!("/api/v1/workflows/{id}/trigger"),
                Some(&s.access),
                serde_json::json!({"data": data}),
            )
            .await
            .expect(202);
        r.body["executionId"].as_str().unwrap().to_owned()
    }

    /// Polls a run until it ends (30 s at most); returns it.
    pub async fn run_finished(&self, s: &Account, id: &str) -> Value {
        let ends = ["succeeded", "failed", "cancelled"];
        self.poll_until(s, &format!("/api/v1/workflows/executions/{id}"), &ends, 30)
            .await
    }
}

/// A step of a run, by id.
pub fn run_step<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stepId"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {run}"))
}
