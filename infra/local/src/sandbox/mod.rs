//! The sandbox Airtable: a local server that behaves like the Airtable Web API, used by
//! `make dev` and the tests whenever `AIRTABLE_API_URL` does not point at the real one.
//!
//! It implements records (list with pages of ≤ 100 and expiring offsets, `listRecords` by POST,
//! `filterByFormula` (a subset, see [`formula`]), `sort`, `fields[]`, `view`, `maxRecords`,
//! `returnFieldsByFieldId`, `cellFormat`; create / update (PATCH merges, PUT replaces) / upsert
//! / delete in batches of ≤ 10, `typecast`), the meta API (bases, schema, create table, create
//! and update field), PAT authentication, Airtable's two error shapes, and its rate limits: 5
//! requests per second per base (then 429 for the penalty, 30 s by default) and 50 per second
//! per token. `/_sandbox/*` (no auth; local only) creates bases for tests, injects faults, and
//! reports per-base request counts — including the most requests a base saw in any one second.

// Handlers here fail with the exact Airtable response to send; it is built only on the failure
// path, so its size in `Result` costs nothing worth boxing it for.
#![allow(clippy::result_large_err)]

pub mod formula;
pub mod model;
mod records;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use model::{Base, Table};

/// The token `make dev` accepts unless `SANDBOX_TOKENS` says otherwise.
pub const DEFAULT_TOKEN: &str =
    "patSandboxLocal0.0000000000000000000000000000000000000000000000000000000000000000";

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Personal access tokens it accepts.
    pub tokens: Vec<String>,
    /// Requests per second per base before a 429.
    pub rate_per_base: usize,
    /// Requests per second per token before a 429.
    pub rate_per_token: usize,
    /// How long a base answers 429 after going over its limit.
    pub penalty: Duration,
    /// How long a list offset stays valid.
    pub offset_ttl: Duration,
    /// Share of requests answered 503 before doing anything (fault injection).
    pub fault_rate: f64,
    /// Seed the demo base.
    pub seed_demo: bool,
    /// Added to every answer: the network between a function and Airtable (a benchmark knob).
    pub latency: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            tokens: vec![DEFAULT_TOKEN.to_owned()],
            rate_per_base: 5,
            rate_per_token: 50,
            penalty: Duration::from_secs(30),
            offset_ttl: Duration::from_secs(300),
            fault_rate: 0.0,
            seed_demo: true,
            latency: Duration::ZERO,
        }
    }
}

/// Per-base request accounting.
#[derive(Debug, Default, Clone)]
struct BaseStats {
    requests: u64,
    rate_limited: u64,
    faults: u64,
    /// Requests that passed the limiter (the fault schedule counts these).
    accepted_total: u64,
    max_in_any_second: usize,
    /// Every arrival in the last second (for `max_in_any_second`).
    arrivals: VecDeque<Instant>,
    /// Accepted requests in the last second (the limiter's window).
    accepted: VecDeque<Instant>,
    penalty_until: Option<Instant>,
}

pub(crate) struct Iterator {
    pub base: String,
    pub table: String,
    pub ids: Vec<String>,
    pub pos: usize,
    pub created: Instant,
}

pub(crate) struct World {
    pub config: SandboxConfig,
    pub bases: Vec<Base>,
    pub iterators: HashMap<String, Iterator>,
    stats: HashMap<String, BaseStats>,
    /// Tokens registered through `/_sandbox/tokens`, limited to some bases.
    scoped_tokens: HashMap<String, Vec<String>>,
    /// Per-base fault rates (override `config.fault_rate`), so one test's faults stay its own.
    base_faults: HashMap<String, f64>,
    /// Per-base penalties (override `config.penalty`).
    base_penalties: HashMap<String, Duration>,
    /// Per-base added latency (override `config.latency`).
    base_latency: HashMap<String, Duration>,
    /// Injected failures: (base, `create`|`update`|`delete`) → (allowed, how many fail then
    /// (`None`: all), seen so far).
    fail_after: HashMap<(String, String), (u64, Option<u64>, u64)>,
    tokens: HashMap<String, VecDeque<Instant>>,
}

impl World {
    pub fn base(&self, id: &str) -> Option<&Base> {
        self.bases.iter().find(|b| b.id == id)
    }

    pub fn base_mut(&mut self, id: &str) -> Option<&mut Base> {
        self.bases.iter_mut().find(|b| b.id == id)
    }

    /// Whether a token may use a base.
    fn sees(&self, token: &str, base: &str) -> bool {
        self.scoped_tokens
            .get(token)
            .is_none_or(|bases| bases.iter().any(|b| b == base))
    }
}

/// The sandbox: cheap to clone, shared by its handlers.
#[derive(Clone)]
pub struct Sandbox {
    world: Arc<Mutex<World>>,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Self {
        let bases = if config.seed_demo {
            vec![model::demo_base()]
        } else {
            Vec::new()
        };
        Self {
            world: Arc::new(Mutex::new(World {
                config,
                bases,
                iterators: HashMap::new(),
                stats: HashMap::new(),
                scoped_tokens: HashMap::new(),
                base_faults: HashMap::new(),
                base_penalties: HashMap::new(),
                base_latency: HashMap::new(),
                fail_after: HashMap::new(),
                tokens: HashMap::new(),
            })),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Ids of the bases, oldest first.
    pub fn base_ids(&self) -> Vec<String> {
        self.lock().bases.iter().map(|b| b.id.clone()).collect()
    }

    /// Authenticates, applies the rate limits and fault injection; returns the token. `Err` is
    /// the response to send.
    pub(crate) fn gate(&self, headers: &HeaderMap, base: Option<&str>) -> Result<String, Response> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .map(str::to_owned);
        let mut w = self.lock();
        let Some(token) = token
            .filter(|t| w.config.tokens.iter().any(|k| k == t) || w.scoped_tokens.contains_key(t))
        else {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "AUTHENTICATION_REQUIRED",
                "Authentication required",
            ));
        };
        let now = Instant::now();
        let second = Duration::from_secs(1);
        let per_token = w.config.rate_per_token;
        let window = w.tokens.entry(token.clone()).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= second)
        {
            window.pop_front();
        }
        if window.len() >= per_token {
            return Err(rate_limited());
        }
        window.push_back(now);
        let Some(base) = base else { return Ok(token) };
        if w.base(base).is_none() || !w.sees(&token, base) {
            return Err(not_permitted());
        }
        let fault_rate = w
            .base_faults
            .get(base)
            .copied()
            .unwrap_or(w.config.fault_rate);
        let penalty = w
            .base_penalties
            .get(base)
            .copied()
            .unwrap_or(w.config.penalty);
        let rate = w.config.rate_per_base;
        let s = w.stats.entry(base.to_owned()).or_default();
        s.requests += 1;
        while s
            .arrivals
            .front()
            .is_some_and(|t| now.duration_since(*t) >= second)
        {
            s.arrivals.pop_front();
        }
        s.arrivals.push_back(now);
        s.max_in_any_second = s.max_in_any_second.max(s.arrivals.len());
        if s.penalty_until.is_some_and(|until| now < until) {
            s.rate_limited += 1;
            return Err(rate_limited());
        }
        while s
            .accepted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= second)
        {
            s.accepted.pop_front();
        }
        if s.accepted.len() >= rate {
            s.rate_limited += 1;
            s.penalty_until = Some(now + penalty);
            return Err(rate_limited());
        }
        s.accepted.push_back(now);
        // Deterministic: exactly `fault_rate` of this base's accepted requests fail, spread evenly.
        let n = s.accepted_total;
        s.accepted_total += 1;
        if fault_rate > 0.0
            && ((n + 1) as f64 * fault_rate).floor() > (n as f64 * fault_rate).floor()
        {
            s.faults += 1;
            return Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "The service is temporarily unavailable. Please retry shortly.",
            ));
        }
        Ok(token)
    }
}

impl Sandbox {
    /// A permanent failure injected with `failAfter` (the write requests of this kind on this
    /// base past the allowed number fail with 422), or `None` to go on.
    pub(crate) fn injected_failure(&self, base: &str, kind: &str) -> Option<Response> {
        let mut w = self.lock();
        let (allowed, times, seen) = w.fail_after.get_mut(&(base.to_owned(), kind.to_owned()))?;
        *seen += 1;
        let failing = *seen > *allowed && times.is_none_or(|t| *seen <= *allowed + t);
        failing.then(|| {
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "SANDBOX_INJECTED_FAILURE",
                &format!("injected failure of {kind} request {seen}"),
            )
        })
    }
}

/// `{"error": {"type", "message"}}` — Airtable's usual error shape.
pub(crate) fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"type": kind, "message": message}})),
    )
        .into_response()
}

pub(crate) fn not_permitted() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
        "Invalid permissions, or the requested model was not found. Check that both your user and your token have the required permissions, and that the model names and/or ids are correct.",
    )
}

fn rate_limited() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({"errors": [{"error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"}]})),
    )
        .into_response()
}

/// The sandbox's Router.
pub fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route(
            "/health",
            get(|| async { Json(json!({"status": "ok", "service": "sandbox-airtable"})) }),
        )
        .route("/v0/meta/whoami", get(whoami))
        .route("/v0/meta/bases", get(list_bases))
        .route(
            "/v0/meta/bases/{base}/tables",
            get(base_schema).post(create_table),
        )
        .route("/v0/meta/bases/{base}/tables/{table}", patch(update_table))
        .route(
            "/v0/meta/bases/{base}/tables/{table}/fields",
            post(create_field),
        )
        .route(
            "/v0/meta/bases/{base}/tables/{table}/fields/{field}",
            patch(update_field),
        )
        .route(
            "/v0/{base}/{table}",
            get(records::list_get)
                .post(records::create)
                .patch(records::update_many)
                .put(records::replace_many)
                .delete(records::delete_many),
        )
        .route(
            "/v0/{base}/{table}/",
            get(records::list_get)
                .post(records::create)
                .patch(records::update_many)
                .put(records::replace_many)
                .delete(records::delete_many),
        )
        .route("/v0/{base}/{table}/listRecords", post(records::list_post))
        .route(
            "/v0/{base}/{table}/{record}",
            get(records::get_one)
                .patch(records::update_one)
                .put(records::replace_one)
                .delete(records::delete_one),
        )
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/config", post(configure))
        // Seeding 10,000 records is a few MB of JSON.
        .route(
            "/_sandbox/bases",
            post(admin_create_base).layer(axum::extract::DefaultBodyLimit::max(32 << 20)),
        )
        .route("/_sandbox/tokens", post(admin_create_token))
        .fallback(|| async {
            (StatusCode::NOT_FOUND, Json(json!({"error": "NOT_FOUND"}))).into_response()
        })
        .layer(axum::middleware::from_fn_with_state(sandbox.clone(), delay))
        .with_state(sandbox)
}

/// Waits the configured latency (of the base the path names, or of the sandbox) before
/// answering an API request, as the network to Airtable would.
async fn delay(
    State(sb): State<Sandbox>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    let wait = path.strip_prefix("/v0/").map(|rest| {
        let mut segs = rest.split('/');
        let base = match segs.next() {
            Some("meta") => segs.nth(1),
            first => first,
        };
        let w = sb.lock();
        base.and_then(|b| w.base_latency.get(b).copied())
            .unwrap_or(w.config.latency)
    });
    if let Some(wait) = wait.filter(|w| !w.is_zero()) {
        tokio::time::sleep(wait).await;
    }
    next.run(req).await
}

async fn whoami(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    if let Err(r) = sb.gate(&headers, None) {
        return r;
    }
    Json(json!({"id": "usrSandboxLocal00", "scopes": ["data.records:read", "data.records:write", "schema.bases:read", "schema.bases:write"]})).into_response()
}

async fn list_bases(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let token = match sb.gate(&headers, None) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let w = sb.lock();
    Json(json!({"bases": w.bases.iter().filter(|b| w.sees(&token, &b.id)).map(|b| json!({"id": b.id, "name": b.name, "permissionLevel": "create"})).collect::<Vec<_>>()}))
        .into_response()
}

async fn base_schema(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(base): Path<String>,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    let w = sb.lock();
    let Some(b) = w.base(&base) else {
        return not_permitted();
    };
    Json(json!({"tables": b.tables.iter().map(Table::json).collect::<Vec<_>>()})).into_response()
}

fn json_body(body: &[u8]) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|_| {
        error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_REQUEST_BODY",
            "Could not parse request body",
        )
    })
}

fn new_table(def: &Value, existing: &[Table]) -> Result<Table, Response> {
    let unprocessable =
        |(kind, msg): model::Refusal| error(StatusCode::UNPROCESSABLE_ENTITY, kind, &msg);
    let name = def
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let Some(name) = name else {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_REQUEST_UNKNOWN",
            "Table name is required",
        ));
    };
    if existing.iter().any(|t| t.name.eq_ignore_ascii_case(name)) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "DUPLICATE_TABLE_NAME",
            &format!("A table named \"{name}\" already exists"),
        ));
    }
    let defs = def
        .get("fields")
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty());
    let Some(defs) = defs else {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_REQUEST_UNKNOWN",
            "A table needs at least one field",
        ));
    };
    let mut fields: Vec<model::Field> = Vec::new();
    for d in defs {
        let f = model::new_field(d).map_err(unprocessable)?;
        if fields.iter().any(|g| g.name.eq_ignore_ascii_case(&f.name)) {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "DUPLICATE_OR_EMPTY_FIELD_NAME",
                &format!("Duplicate field name \"{}\"", f.name),
            ));
        }
        fields.push(f);
    }
    if model::COMPUTED.contains(&fields[0].kind.as_str())
        || matches!(
            fields[0].kind.as_str(),
            "checkbox" | "multipleRecordLinks" | "multipleAttachments"
        )
    {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_FIELD_TYPE",
            "This field type cannot be the primary field",
        ));
    }
    Ok(Table::new(
        name,
        def.get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        fields,
    ))
}

async fn create_table(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(base): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    let def = match json_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut w = sb.lock();
    let Some(b) = w.base_mut(&base) else {
        return not_permitted();
    };
    match new_table(&def, &b.tables) {
        Ok(t) => {
            let out = t.json();
            b.tables.push(t);
            Json(out).into_response()
        }
        Err(r) => r,
    }
}

async fn create_field(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    let def = match json_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut w = sb.lock();
    let Some(t) = w.base_mut(&base).and_then(|b| b.table_mut(&table)) else {
        return not_permitted();
    };
    let f = match model::new_field(&def) {
        Ok(f) => f,
        Err((kind, msg)) => return error(StatusCode::UNPROCESSABLE_ENTITY, kind, &msg),
    };
    if t.fields
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(&f.name))
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "DUPLICATE_OR_EMPTY_FIELD_NAME",
            &format!("Duplicate field name \"{}\"", f.name),
        );
    }
    let out = f.json();
    t.fields.push(f);
    Json(out).into_response()
}

/// `PATCH /v0/meta/bases/{base}/tables/{table} {name?, description?}`.
async fn update_table(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    let def = match json_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut w = sb.lock();
    let Some(b) = w.base_mut(&base) else {
        return not_permitted();
    };
    let new_name = def
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .map(str::to_owned);
    let table_id = match b.table_mut(&table) {
        Some(t) => t.id.clone(),
        None => return not_permitted(),
    };
    if let Some(n) = &new_name
        && (n.is_empty()
            || b.tables
                .iter()
                .any(|t| t.id != table_id && t.name.eq_ignore_ascii_case(n)))
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "DUPLICATE_TABLE_NAME",
            "Table names must be unique and non-empty",
        );
    }
    let Some(t) = b.table_mut(&table) else {
        return not_permitted();
    };
    if let Some(n) = new_name {
        t.name = n;
    }
    if let Some(d) = def.get("description").and_then(Value::as_str) {
        t.description = Some(d.to_owned());
    }
    Json(json!({"id": t.id, "name": t.name, "description": t.description})).into_response()
}

async fn update_field(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table, field)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    let def = match json_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut w = sb.lock();
    let Some(t) = w.base_mut(&base).and_then(|b| b.table_mut(&table)) else {
        return not_permitted();
    };
    let new_name = def
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .map(str::to_owned);
    if let Some(n) = &new_name
        && (n.is_empty()
            || t.fields
                .iter()
                .any(|g| g.id != field && g.name.eq_ignore_ascii_case(n)))
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "DUPLICATE_OR_EMPTY_FIELD_NAME",
            "Field names must be unique and non-empty",
        );
    }
    let Some(f) = t.fields.iter_mut().find(|f| f.id == field) else {
        return not_permitted();
    };
    if let Some(n) = new_name {
        f.name = n;
    }
    if let Some(d) = def.get("description").and_then(Value::as_str) {
        f.description = Some(d.to_owned());
    }
    Json(f.json()).into_response()
}

async fn stats(State(sb): State<Sandbox>) -> Json<Value> {
    let w = sb.lock();
    let bases: serde_json::Map<String, Value> = w
        .stats
        .iter()
        .map(|(id, s)| {
            let records: usize = w.base(id).map(|b| b.tables.iter().map(|t| t.records.len()).sum()).unwrap_or(0);
            (
                id.clone(),
                json!({"requests": s.requests, "rateLimited": s.rate_limited, "faults": s.faults, "maxRequestsInAnySecond": s.max_in_any_second, "records": records}),
            )
        })
        .collect();
    Json(json!({"bases": bases}))
}

/// `POST /_sandbox/config {faultRate?, penaltyMs?, offsetTtlMs?, ratePerBase?, latencyMs?, base?,
/// failAfter?}`; with `base`, `faultRate`, `penaltyMs`, `latencyMs` and `failAfter` apply to that
/// base alone.
async fn configure(State(sb): State<Sandbox>, Json(body): Json<Value>) -> Json<Value> {
    let mut w = sb.lock();
    if let Some(base) = body.get("base").and_then(Value::as_str) {
        if let Some(r) = body.get("faultRate").and_then(Value::as_f64) {
            w.base_faults.insert(base.to_owned(), r.clamp(0.0, 1.0));
        }
        if let Some(ms) = body.get("penaltyMs").and_then(Value::as_u64) {
            w.base_penalties
                .insert(base.to_owned(), Duration::from_millis(ms));
        }
        if let Some(ms) = body.get("latencyMs").and_then(Value::as_u64) {
            w.base_latency
                .insert(base.to_owned(), Duration::from_millis(ms.min(60_000)));
        }
        // `failAfter: {create?: n | {after, times}, update?: …, delete?: …}`: the write requests of
        // that kind past the first `n` fail (all, or `times` of them); null clears one.
        for (kind, v) in body
            .get("failAfter")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let rule = match v {
                Value::Number(n) => n.as_u64().map(|n| (n, None)),
                Value::Object(o) => o
                    .get("after")
                    .and_then(Value::as_u64)
                    .map(|a| (a, o.get("times").and_then(Value::as_u64))),
                _ => None,
            };
            match rule {
                Some((after, times)) => w
                    .fail_after
                    .insert((base.to_owned(), kind.clone()), (after, times, 0)),
                None => w.fail_after.remove(&(base.to_owned(), kind.clone())),
            };
        }
        return Json(json!({"base": base}));
    }
    if let Some(r) = body.get("faultRate").and_then(Value::as_f64) {
        w.config.fault_rate = r.clamp(0.0, 1.0);
    }
    if let Some(s) = body.get("penaltyMs").and_then(Value::as_u64) {
        w.config.penalty = Duration::from_millis(s);
    }
    if let Some(s) = body.get("offsetTtlMs").and_then(Value::as_u64) {
        w.config.offset_ttl = Duration::from_millis(s);
    }
    if let Some(n) = body.get("ratePerBase").and_then(Value::as_u64) {
        w.config.rate_per_base = n as usize;
    }
    if let Some(ms) = body.get("latencyMs").and_then(Value::as_u64) {
        w.config.latency = Duration::from_millis(ms.min(60_000));
    }
    Json(
        json!({"faultRate": w.config.fault_rate, "penaltyMs": w.config.penalty.as_millis() as u64, "ratePerBase": w.config.rate_per_base}),
    )
}

/// `POST /_sandbox/tokens {token, bases}`: a token that sees only these bases.
async fn admin_create_token(State(sb): State<Sandbox>, Json(body): Json<Value>) -> Response {
    let Some(token) = body
        .get("token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_REQUEST_UNKNOWN",
            "token is required",
        );
    };
    let bases: Vec<String> = body
        .get("bases")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|b| b.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    sb.lock()
        .scoped_tokens
        .insert(token.to_owned(), bases.clone());
    (
        StatusCode::CREATED,
        Json(json!({"token": token, "bases": bases})),
    )
        .into_response()
}

/// `POST /_sandbox/bases {name, tables?: [{name, fields, records?: [{field: value}]}]}`: a fresh
/// base (tests and benchmarks each make their own, so rate limits and data never mix), seeded
/// with records at once (10,000 records through the paced API would take minutes).
async fn admin_create_base(State(sb): State<Sandbox>, Json(body): Json<Value>) -> Response {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("Sandbox base")
        .to_owned();
    let mut tables: Vec<Table> = Vec::new();
    for def in body
        .get("tables")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mut table = match new_table(def, &tables) {
            Ok(t) => t,
            Err(r) => return r,
        };
        for fields in def
            .get("records")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Err(msg) = model::seed(&mut table, fields) {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "INVALID_VALUE_FOR_COLUMN",
                    &msg,
                );
            }
        }
        tables.push(table);
    }
    let base = Base {
        id: model::new_id("app"),
        name,
        tables,
    };
    let out = json!({"id": base.id, "name": base.name, "tables": base.tables.iter().map(Table::json).collect::<Vec<_>>()});
    sb.lock().bases.push(base);
    (StatusCode::CREATED, Json(out)).into_response()
}
