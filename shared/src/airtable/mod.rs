//! The one Airtable client every function uses. It owns: the tenant's token (KMS), pacing (a
//! per-base schedule shared through DynamoDB, so Airtable never has to answer 429), a hold of the
//! base when a 429 still comes, retries with backoff and jitter, chunking every batch into
//! requests of ≤ 10 records, following offsets, switching to `POST …/listRecords` when a URL
//! would pass 16k characters, mapping Airtable's error shapes to problems, and a DynamoDB cache
//! invalidated by every write made through it.

pub mod cache;
pub mod credentials;
pub mod formula;
pub mod limiter;
pub mod progress;
pub mod schema;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use futures::StreamExt;
use rand::Rng;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::ids::TenantId;
use crate::store::{Store, StoreError};
use crate::telemetry::record;
pub use cache::{Cache, CacheStatus};
pub use credentials::{Connection, Credentials};
pub use limiter::Limiter;
pub use progress::Progress;

/// Airtable accepts at most 10 records per write or delete request.
pub const MAX_BATCH: usize = 10;
/// Airtable pages hold at most 100 records.
pub const MAX_PAGE_SIZE: usize = 100;
/// Past this URL length Airtable wants `POST …/listRecords` instead of GET.
pub const MAX_URL_LEN: usize = 16_000;
/// Attempts per request (first try + retries) on 5xx and network errors.
const MAX_ATTEMPTS: u32 = 4;
/// Longer than this in the send schedule (a base on hold) answers 503 with `Retry-After`
/// instead of waiting: a Lambda must not sleep through its timeout.
const MAX_WAIT: Duration = Duration::from_secs(8);
/// How long one call may spend starting the chunks of a batch (inside a 29 s function timeout).
const BATCH_BUDGET: Duration = Duration::from_secs(20);
/// How many chunks of one batch are in flight at once; the limiter still spaces them.
const CHUNK_CONCURRENCY: usize = 3;

/// What went wrong talking to Airtable.
#[derive(Debug, thiserror::Error)]
pub enum AirtableError {
    /// Airtable answered with an error.
    #[error("Airtable answered {status} {kind}: {message}")]
    Upstream {
        status: u16,
        kind: String,
        message: String,
    },
    /// The base is on hold after a 429, or its schedule is too far out.
    #[error("Airtable is rate limiting this base; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// No answer (network, timeout, or 5xx after every retry).
    #[error("Airtable did not answer: {0}")]
    Unavailable(String),
    /// A write was sent but not answered (timeout, 500/502/504): it may or may not have applied.
    #[error("Airtable did not confirm the write: {0}")]
    OutcomeUnknown(String),
    /// Some chunks of a batch were written, then one failed.
    #[error("{} records were written before Airtable failed: {cause}", written.len())]
    Partial {
        written: Vec<String>,
        cause: Box<AirtableError>,
    },
    #[error("this tenant has not connected Airtable")]
    NotConnected,
    /// The caller cancelled the call (MCP `notifications/cancelled`) after `done` records.
    #[error("cancelled by the caller after {done} records")]
    Cancelled { done: usize },
    /// A listing was still going when the call's time ran out.
    #[error("read {read} records before the time of this call ran out")]
    TooMuchToRead { read: usize },
    #[error("KMS failed")]
    Kms(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AirtableError> for ApiError {
    fn from(e: AirtableError) -> Self {
        match e {
            AirtableError::Upstream {
                status,
                kind,
                message,
            } => {
                let (status, code) = match status {
                    // The tenant's token is refused: a failed dependency, not the caller's auth.
                    401 => (StatusCode::FAILED_DEPENDENCY, "airtable_unauthorized"),
                    403 => (StatusCode::FORBIDDEN, "airtable_forbidden"),
                    404 => (StatusCode::NOT_FOUND, "airtable_not_found"),
                    413 => (StatusCode::PAYLOAD_TOO_LARGE, "airtable_too_large"),
                    422 => (StatusCode::UNPROCESSABLE_ENTITY, "airtable_invalid_request"),
                    s if (400..500).contains(&s) => {
                        (StatusCode::BAD_REQUEST, "airtable_bad_request")
                    }
                    _ => (StatusCode::BAD_GATEWAY, "airtable_unavailable"),
                };
                let detail = if message.is_empty() {
                    format!("Airtable answered {kind}")
                } else {
                    message
                };
                ApiError::Upstream {
                    status,
                    code,
                    airtable_type: kind,
                    detail,
                    retry_after: None,
                }
            }
            AirtableError::RateLimited { retry_after } => ApiError::Upstream {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "airtable_rate_limited",
                airtable_type: "RATE_LIMIT_REACHED".into(),
                detail: format!("Airtable is pacing this base; retry in {retry_after} seconds"),
                retry_after: Some(retry_after),
            },
            AirtableError::Unavailable(why) => ApiError::Upstream {
                status: StatusCode::BAD_GATEWAY,
                code: "airtable_unavailable",
                airtable_type: "UNAVAILABLE".into(),
                detail: format!("Airtable did not answer ({why}); retry later"),
                retry_after: Some(5),
            },
            AirtableError::OutcomeUnknown(why) => ApiError::Upstream {
                status: StatusCode::BAD_GATEWAY,
                code: "airtable_outcome_unknown",
                airtable_type: "UNCONFIRMED".into(),
                detail: format!(
                    "Airtable did not confirm the write ({why}); it may have been applied — check before sending it again without an Idempotency-Key"
                ),
                retry_after: None,
            },
            AirtableError::Partial { written, cause }
                if matches!(*cause, AirtableError::Cancelled { .. }) =>
            {
                ApiError::conflict(
                    "cancelled",
                    format!(
                        "cancelled by the caller after {} records were written; written: {}",
                        written.len(),
                        written.join(",")
                    ),
                )
            }
            AirtableError::Cancelled { done } => ApiError::conflict(
                "cancelled",
                format!(
                    "cancelled by the caller after {done} records; it stopped before its next request to Airtable"
                ),
            ),
            AirtableError::Partial { written, cause } => {
                let airtable_type = match cause.as_ref() {
                    AirtableError::Upstream { kind, .. } => kind.clone(),
                    AirtableError::RateLimited { .. } => "RATE_LIMIT_REACHED".into(),
                    _ => "UNAVAILABLE".into(),
                };
                ApiError::Upstream {
                    status: StatusCode::BAD_GATEWAY,
                    code: "airtable_partial_write",
                    airtable_type,
                    detail: format!(
                        "{} records were written before Airtable failed ({cause}); written: {}",
                        written.len(),
                        written.join(",")
                    ),
                    retry_after: None,
                }
            }
            AirtableError::TooMuchToRead { read } => ApiError::bad_request(
                "too_large",
                format!(
                    "the table has more records than one call can read (read {read} before its time ran out); narrow it with a filter, a view or fewer fields"
                ),
            ),
            AirtableError::NotConnected => ApiError::conflict(
                "airtable_not_connected",
                "connect Airtable first: PUT /api/v1/connections/airtable {token}",
            ),
            e @ (AirtableError::Kms(_) | AirtableError::Store(_)) => ApiError::internal(e),
        }
    }
}

/// Counts the records of a successful answer as read or written: a listing (`GET`, or `POST
/// …/listRecords`) or a single record read, or what a create, update, upsert or delete touched.
/// Meta requests carry no records and count nothing.
fn count_records(method: &Method, url: &reqwest::Url, answer: &Value) {
    let n = match (
        answer.get("records").and_then(Value::as_array),
        answer.get("id").and_then(Value::as_str),
    ) {
        (Some(records), _) => records.len() as u64,
        (None, Some(id)) if id.starts_with("rec") => 1,
        _ => 0,
    };
    let listing = url.path().ends_with("/listRecords");
    if *method == Method::GET || listing {
        record::airtable_records(n, 0);
    } else {
        record::airtable_records(0, n);
    }
}

/// Parses either of Airtable's error shapes (and its 429 shape) into (type, message).
pub fn parse_error(status: u16, body: &str) -> (String, String) {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if let Some(e) = v.get("error") {
        if let Some(kind) = e.as_str() {
            // The bare shape has no message; keep it empty so the proxy can answer it verbatim.
            return (kind.to_owned(), String::new());
        }
        let kind = e
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("UNKNOWN_ERROR");
        let message = e.get("message").and_then(Value::as_str).unwrap_or("");
        return (kind.to_owned(), message.to_owned());
    }
    if let Some(e) = v.get("errors").and_then(|e| e.get(0)) {
        let kind = e
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("UNKNOWN_ERROR");
        return (
            kind.to_owned(),
            e.get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        );
    }
    (
        format!("HTTP_{status}"),
        "Airtable answered without an error body".into(),
    )
}

/// Options of a record listing (Airtable's names, typed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub filter_by_formula: Option<String>,
    /// Field and descending?
    pub sort: Vec<(String, bool)>,
    pub fields: Vec<String>,
    pub view: Option<String>,
    pub page_size: Option<usize>,
    pub max_records: Option<usize>,
    pub return_fields_by_field_id: bool,
    pub cell_format_string: bool,
    pub time_zone: Option<String>,
    pub user_locale: Option<String>,
}

impl ListQuery {
    /// Query-string pairs as Airtable names them.
    pub fn pairs(&self, offset: Option<&str>) -> Vec<(String, String)> {
        let mut q = Vec::new();
        if let Some(f) = &self.filter_by_formula {
            q.push(("filterByFormula".into(), f.clone()));
        }
        for (i, (field, desc)) in self.sort.iter().enumerate() {
            q.push((format!("sort[{i}][field]"), field.clone()));
            q.push((
                format!("sort[{i}][direction]"),
                if *desc { "desc" } else { "asc" }.into(),
            ));
        }
        for f in &self.fields {
            q.push(("fields[]".into(), f.clone()));
        }
        if let Some(v) = &self.view {
            q.push(("view".into(), v.clone()));
        }
        if let Some(p) = self.page_size {
            q.push(("pageSize".into(), p.min(MAX_PAGE_SIZE).to_string()));
        }
        if let Some(m) = self.max_records {
            q.push(("maxRecords".into(), m.to_string()));
        }
        if self.return_fields_by_field_id {
            q.push(("returnFieldsByFieldId".into(), "true".into()));
        }
        if self.cell_format_string {
            q.push(("cellFormat".into(), "string".into()));
            q.push((
                "timeZone".into(),
                self.time_zone.clone().unwrap_or_else(|| "UTC".into()),
            ));
            q.push((
                "userLocale".into(),
                self.user_locale.clone().unwrap_or_else(|| "en-us".into()),
            ));
        }
        if let Some(o) = offset {
            q.push(("offset".into(), o.to_owned()));
        }
        q
    }

    /// The same options as a `listRecords` JSON body.
    pub fn body(&self, offset: Option<&str>) -> Value {
        let mut b = json!({});
        if let Some(f) = &self.filter_by_formula {
            b["filterByFormula"] = json!(f);
        }
        if !self.sort.is_empty() {
            b["sort"] = json!(
                self.sort
                    .iter()
                    .map(|(f, d)| json!({"field": f, "direction": if *d { "desc" } else { "asc" }}))
                    .collect::<Vec<_>>()
            );
        }
        if !self.fields.is_empty() {
            b["fields"] = json!(self.fields);
        }
        if let Some(v) = &self.view {
            b["view"] = json!(v);
        }
        if let Some(p) = self.page_size {
            b["pageSize"] = json!(p.min(MAX_PAGE_SIZE));
        }
        if let Some(m) = self.max_records {
            b["maxRecords"] = json!(m);
        }
        if self.return_fields_by_field_id {
            b["returnFieldsByFieldId"] = json!(true);
        }
        if self.cell_format_string {
            b["cellFormat"] = json!("string");
            b["timeZone"] = json!(self.time_zone.clone().unwrap_or_else(|| "UTC".into()));
            b["userLocale"] = json!(self.user_locale.clone().unwrap_or_else(|| "en-us".into()));
        }
        if let Some(o) = offset {
            b["offset"] = json!(o);
        }
        b
    }

    fn describe(&self) -> String {
        format!("{:?}", self.pairs(None))
    }
}

/// One page of records.
#[derive(Debug, Clone)]
pub struct Page {
    pub records: Vec<Value>,
    pub offset: Option<String>,
}

/// The result of an upsert.
#[derive(Debug, Clone, Default)]
pub struct Upserted {
    pub records: Vec<Value>,
    pub created: Vec<String>,
    pub updated: Vec<String>,
}

/// How a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads and idempotent writes (PATCH, PUT, DELETE): retried on 5xx and network errors.
    Safe,
    /// Creates: retried only when Airtable surely did nothing (503, or never connected).
    OnlyIfNotApplied,
}

/// The client, built once per cold start.
#[derive(Clone)]
pub struct Airtable {
    http: reqwest::Client,
    api_url: String,
    pub credentials: Credentials,
    pub cache: Cache,
    limiter: Limiter,
}

impl Airtable {
    pub fn new(api_url: &str, store: Store, kms: aws_sdk_kms::Client, kms_key_id: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(25))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            credentials: Credentials::new(store.clone(), kms, kms_key_id),
            cache: Cache::new(store.clone()),
            limiter: Limiter::new(store),
        }
    }

    /// A session acting for a tenant with its stored token.
    pub async fn session(&self, tenant: &TenantId) -> Result<Session<'_>, AirtableError> {
        let token = self.credentials.token(tenant).await?;
        Ok(self.session_with(tenant, token))
    }

    /// A session with a token that is not stored (yet): to check it before saving.
    pub fn session_with(&self, tenant: &TenantId, token: SecretString) -> Session<'_> {
        let token_hash = crate::auth::hash_secret(token.expose_secret())[..32].to_owned();
        Session {
            at: self,
            tenant: tenant.clone(),
            token,
            token_hash,
            deadline: None,
            progress: Progress::none(),
        }
    }
}

/// A tenant's view of Airtable. Every method goes through pacing, retries and error mapping.
pub struct Session<'a> {
    at: &'a Airtable,
    tenant: TenantId,
    token: SecretString,
    /// Names the token's send schedule without revealing it.
    token_hash: String,
    /// When set, reads of many pages and batches stop starting requests past it, so one call
    /// (a tool doing several steps) answers inside the function's timeout.
    deadline: Option<tokio::time::Instant>,
    /// Told the records done after each page or chunk; asked before each whether to go on.
    progress: Progress,
}

fn backoff(attempt: u32) -> Duration {
    let base = 200u64 * 2u64.pow(attempt);
    Duration::from_millis(base.min(3_000) + rand::rng().random_range(0..200))
}

impl Session<'_> {
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// Stops long reads and batches from starting requests after `deadline`.
    pub fn with_deadline(mut self, deadline: tokio::time::Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Reports progress to, and takes cancellation from, `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// The progress channel and cancellation check of the call this session serves.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    fn past_deadline(&self) -> bool {
        self.deadline
            .is_some_and(|d| tokio::time::Instant::now() >= d)
    }

    fn url(&self, segments: &[&str]) -> Result<reqwest::Url, AirtableError> {
        let mut url = reqwest::Url::parse(&self.at.api_url)
            .map_err(|e| AirtableError::Unavailable(format!("bad AIRTABLE_API_URL: {e}")))?;
        url.path_segments_mut()
            .map_err(|_| AirtableError::Unavailable("bad AIRTABLE_API_URL".into()))?
            .pop_if_empty()
            .push("v0")
            .extend(segments);
        Ok(url)
    }

    /// Sends one request, paced on `base` (when it touches one), with retries; returns the body.
    async fn send(
        &self,
        method: Method,
        url: reqwest::Url,
        base: Option<&str>,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Value, AirtableError> {
        let mut last = String::new();
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt - 1)).await;
            }
            let waiting = Instant::now();
            self.wait_for_slot(base).await?;
            record::limiter_wait(base, waiting.elapsed());
            let mut req = self
                .at
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(self.token.expose_secret());
            if let Some(b) = body {
                req = req.json(b);
            }
            let sent = Instant::now();
            let res = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    record::airtable_request(base, None, sent.elapsed());
                    last = if e.is_timeout() {
                        "timeout".into()
                    } else {
                        "network error".into()
                    };
                    let not_sent = e.is_connect();
                    if retry == Retry::Safe || not_sent {
                        tracing::warn!(attempt, error = %last, "Airtable request failed; retrying");
                        continue;
                    }
                    return Err(AirtableError::OutcomeUnknown(last));
                }
            };
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            record::airtable_request(base, Some(status), sent.elapsed());
            match status {
                200..=299 => {
                    let answer: Value = serde_json::from_str(&text)
                        .map_err(|_| AirtableError::Unavailable("unreadable answer".into()))?;
                    count_records(&method, &url, &answer);
                    return Ok(answer);
                }
                429 => {
                    if let Some(b) = base {
                        self.at.limiter.hold(b).await?;
                    }
                    tracing::warn!(
                        base = base.unwrap_or("-"),
                        "Airtable answered 429; base held for 30 s"
                    );
                    return Err(AirtableError::RateLimited { retry_after: 30 });
                }
                // A 503 means Airtable did not take the request; a 502/504 from its edge may
                // hide a create that was applied, so only safe requests retry those.
                503 => {
                    last = format!("HTTP {status}");
                    tracing::warn!(attempt, status, "Airtable unavailable; retrying");
                }
                502 | 504 if retry == Retry::Safe => {
                    last = format!("HTTP {status}");
                    tracing::warn!(attempt, status, "Airtable gateway error; retrying");
                }
                500 | 502 | 504 if retry == Retry::OnlyIfNotApplied => {
                    return Err(AirtableError::OutcomeUnknown(format!("HTTP {status}")));
                }
                500 if retry == Retry::Safe => {
                    last = format!("HTTP {status}");
                    tracing::warn!(attempt, status, "Airtable error; retrying");
                }
                _ => {
                    let (kind, message) = parse_error(status, &text);
                    return Err(AirtableError::Upstream {
                        status,
                        kind,
                        message,
                    });
                }
            }
        }
        Err(AirtableError::Unavailable(last))
    }

    /// Reserves send slots (the token's, then the base's no earlier) and waits for them. A wake-up
    /// more than [`limiter::LATE_MS`] after the base's slot reserves again instead of sending late.
    async fn wait_for_slot(&self, base: Option<&str>) -> Result<(), AirtableError> {
        let max_ahead = MAX_WAIT.as_millis() as i64;
        let too_far = |slot: i64| AirtableError::RateLimited {
            retry_after: ((slot - limiter::now_ms()).max(1000) as u64).div_ceil(1000),
        };
        if let Some(b) = base {
            self.check_base(b).await?;
            // A base on hold refuses before anything is reserved (not even the token's slot).
            if let Some(next) = self.at.limiter.peek(b).await?
                && next - limiter::now_ms() > max_ahead
            {
                return Err(too_far(next));
            }
        }
        for _ in 0..5 {
            let token_slot = self
                .at
                .limiter
                .reserve_token(&self.token_hash, max_ahead)
                .await?
                .map_err(too_far)?;
            let slot = match base {
                Some(b) => self
                    .at
                    .limiter
                    .reserve(b, token_slot, max_ahead)
                    .await?
                    .map_err(too_far)?,
                None => token_slot,
            };
            let wait = slot - limiter::now_ms();
            if wait > 0 {
                tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            }
            let late = limiter::now_ms() - slot;
            if base.is_none() || late <= limiter::LATE_MS {
                return Ok(());
            }
            tracing::debug!(
                late_ms = late,
                "woke up late for an Airtable send slot; reserving another"
            );
        }
        Ok(())
    }

    /// Only bases the tenant's token can see are paced (and sent to): a tenant naming somebody
    /// else's base id must not spend that base's send slots. A base missing from the cached list
    /// is looked up once more before it is refused (it may be new).
    pub async fn check_base(&self, base: &str) -> Result<(), AirtableError> {
        let listed = |ids: &Value| {
            ids.as_array()
                .is_some_and(|a| a.iter().any(|id| id == base))
        };
        // Boxed: listing bases sends a request too (to no base, so this never recurses further).
        let (ids, status) = Box::pin(self.cached_base_ids(false)).await?;
        if listed(&ids)
            || (status == CacheStatus::Hit
                && listed(&Box::pin(self.cached_base_ids(true)).await?.0))
        {
            return Ok(());
        }
        Err(AirtableError::Upstream {
            status: 403,
            kind: "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND".into(),
            message: "Invalid permissions, or the requested model was not found. Check that both your user and your token have the required permissions, and that the model names and/or ids are correct.".into(),
        })
    }

    /// Just the ids of the token's bases (small enough to cache for any number of bases).
    async fn cached_base_ids(&self, bypass: bool) -> Result<(Value, CacheStatus), AirtableError> {
        self.through_cache("baseids".into(), cache::META_TTL_SECS, bypass, || async {
            let ids: Vec<Value> = self
                .list_bases()
                .await?
                .into_iter()
                .filter_map(|b| b.get("id").cloned())
                .collect();
            Ok(Value::Array(ids))
        })
        .await
    }

    // ---------- meta ----------

    /// Every base the token can see (all pages).
    pub async fn list_bases(&self) -> Result<Vec<Value>, AirtableError> {
        let mut bases = Vec::new();
        let mut offset: Option<String> = None;
        loop {
            let mut url = self.url(&["meta", "bases"])?;
            if let Some(o) = &offset {
                url.query_pairs_mut().append_pair("offset", o);
            }
            let page = self.send(Method::GET, url, None, None, Retry::Safe).await?;
            bases.extend(page["bases"].as_array().cloned().unwrap_or_default());
            match page["offset"].as_str() {
                Some(o) => offset = Some(o.to_owned()),
                None => return Ok(bases),
            }
        }
    }

    /// The token's identity and scopes (`GET /v0/meta/whoami`).
    pub async fn whoami(&self) -> Result<Value, AirtableError> {
        self.send(
            Method::GET,
            self.url(&["meta", "whoami"])?,
            None,
            None,
            Retry::Safe,
        )
        .await
    }

    /// A base's schema: `{tables: [...]}`.
    pub async fn schema(&self, base: &str) -> Result<Value, AirtableError> {
        self.send(
            Method::GET,
            self.url(&["meta", "bases", base, "tables"])?,
            Some(base),
            None,
            Retry::Safe,
        )
        .await
    }

    pub async fn create_table(&self, base: &str, body: &Value) -> Result<Value, AirtableError> {
        let out = self
            .send(
                Method::POST,
                self.url(&["meta", "bases", base, "tables"])?,
                Some(base),
                Some(body),
                Retry::OnlyIfNotApplied,
            )
            .await?;
        self.at.cache.bump(&self.tenant, base, "*").await?;
        Ok(out)
    }

    /// Renames a table or changes its description.
    pub async fn update_table(
        &self,
        base: &str,
        table: &str,
        body: &Value,
    ) -> Result<Value, AirtableError> {
        let out = self
            .send(
                Method::PATCH,
                self.url(&["meta", "bases", base, "tables", table])?,
                Some(base),
                Some(body),
                Retry::Safe,
            )
            .await?;
        self.at.cache.bump(&self.tenant, base, "*").await?;
        Ok(out)
    }

    pub async fn create_field(
        &self,
        base: &str,
        table: &str,
        body: &Value,
    ) -> Result<Value, AirtableError> {
        let out = self
            .send(
                Method::POST,
                self.url(&["meta", "bases", base, "tables", table, "fields"])?,
                Some(base),
                Some(body),
                Retry::OnlyIfNotApplied,
            )
            .await?;
        self.at.cache.bump(&self.tenant, base, "*").await?;
        self.invalidate_after_write(base, table).await;
        Ok(out)
    }

    pub async fn update_field(
        &self,
        base: &str,
        table: &str,
        field: &str,
        body: &Value,
    ) -> Result<Value, AirtableError> {
        let out = self
            .send(
                Method::PATCH,
                self.url(&["meta", "bases", base, "tables", table, "fields", field])?,
                Some(base),
                Some(body),
                Retry::Safe,
            )
            .await?;
        self.at.cache.bump(&self.tenant, base, "*").await?;
        // Cached records show field names: a renamed field invalidates them too.
        self.invalidate_after_write(base, table).await;
        Ok(out)
    }

    // ---------- records ----------

    /// One page; switches to `POST …/listRecords` when the GET URL would be too long.
    pub async fn list_page(
        &self,
        base: &str,
        table: &str,
        query: &ListQuery,
        offset: Option<&str>,
    ) -> Result<Page, AirtableError> {
        let mut url = self.url(&[base, table])?;
        url.query_pairs_mut().extend_pairs(query.pairs(offset));
        let v = if url.as_str().len() > MAX_URL_LEN {
            let post = self.url(&[base, table, "listRecords"])?;
            self.send(
                Method::POST,
                post,
                Some(base),
                Some(&query.body(offset)),
                Retry::Safe,
            )
            .await?
        } else {
            self.send(Method::GET, url, Some(base), None, Retry::Safe)
                .await?
        };
        Ok(Page {
            records: v["records"].as_array().cloned().unwrap_or_default(),
            offset: v["offset"].as_str().map(str::to_owned),
        })
    }

    /// Every matching record, following offsets (bounded by `maxRecords` when given).
    pub async fn list_all(
        &self,
        base: &str,
        table: &str,
        query: &ListQuery,
    ) -> Result<Vec<Value>, AirtableError> {
        let mut out = Vec::new();
        let mut offset: Option<String> = None;
        let before = self.progress.current();
        loop {
            if offset.is_some() && self.past_deadline() {
                return Err(AirtableError::TooMuchToRead { read: out.len() });
            }
            if offset.is_some() && self.progress.cancelled().await {
                return Err(AirtableError::Cancelled { done: out.len() });
            }
            let page = self
                .list_page(base, table, query, offset.as_deref())
                .await?;
            out.extend(page.records);
            let total = query.max_records.map(|m| before + m as u64);
            self.progress.report(before + out.len() as u64, total, || {
                format!("read {} records of {table}", out.len())
            });
            match page.offset {
                Some(o) if query.max_records.is_none_or(|m| out.len() < m) => offset = Some(o),
                _ => return Ok(out),
            }
        }
    }

    pub async fn get_record(
        &self,
        base: &str,
        table: &str,
        id: &str,
    ) -> Result<Value, AirtableError> {
        self.send(
            Method::GET,
            self.url(&[base, table, id])?,
            Some(base),
            None,
            Retry::Safe,
        )
        .await
    }

    /// Runs `chunk` over groups of ≤ 10, a few in flight, results in input order. Every chunk runs
    /// to its end (dropping one in flight would leave it unknown whether it was written); if some
    /// fail after others were written, the error says which records were written.
    async fn chunked<T, F, Fut>(&self, items: Vec<T>, chunk: F) -> Result<Vec<Value>, AirtableError>
    where
        T: Clone,
        F: Fn(Vec<T>) -> Fut,
        Fut: std::future::Future<Output = Result<Value, AirtableError>>,
    {
        let started = tokio::time::Instant::now();
        let total = items.len() as u64;
        let before = self.progress.current();
        let done = std::sync::atomic::AtomicU64::new(0);
        let groups: Vec<Vec<T>> = items.chunks(MAX_BATCH).map(<[T]>::to_vec).collect();
        let runs = groups.into_iter().map(|g| {
            let size = g.len() as u64;
            let run = chunk(g);
            let done = &done;
            async move {
                // Past the budget, chunks are not started: the call must answer before the
                // function's timeout, saying what was written.
                if started.elapsed() > BATCH_BUDGET || self.past_deadline() {
                    return Err(AirtableError::Unavailable(
                        "time budget of this call used up".into(),
                    ));
                }
                if self.progress.cancelled().await {
                    return Err(AirtableError::Cancelled {
                        done: done.load(std::sync::atomic::Ordering::SeqCst) as usize,
                    });
                }
                let answer = run.await?;
                let now = done.fetch_add(size, std::sync::atomic::Ordering::SeqCst) + size;
                self.progress
                    .report(before + now, Some(before + total), || {
                        format!("wrote {now} of {total} records")
                    });
                Ok(answer)
            }
        });
        let answers: Vec<Result<Value, AirtableError>> = futures::stream::iter(runs)
            .buffered(CHUNK_CONCURRENCY)
            .collect()
            .await;
        let mut ok = Vec::new();
        let mut failure: Option<AirtableError> = None;
        for a in answers {
            match a {
                Ok(v) => ok.push(v),
                // Keep the failure that says the most: one that may have written wins.
                Err(e) => {
                    if failure.is_none() || matches!(e, AirtableError::OutcomeUnknown(_)) {
                        failure = Some(e);
                    }
                }
            }
        }
        match failure {
            None => Ok(ok),
            Some(e) if ok.is_empty() => Err(e),
            Some(e) => {
                let written = ok
                    .iter()
                    .flat_map(|v| v["records"].as_array().cloned().unwrap_or_default())
                    .filter_map(|r| r["id"].as_str().map(str::to_owned))
                    .collect();
                Err(AirtableError::Partial {
                    written,
                    cause: Box::new(e),
                })
            }
        }
    }

    /// Invalidates after a write; a failure here must not turn an applied write into an error.
    async fn invalidate_after_write(&self, base: &str, table: &str) {
        if let Err(e) = self.invalidate(base, table).await {
            tracing::warn!(error = %e, "could not invalidate the cache after a write; cached reads expire within 60 s");
        }
    }

    /// Creates any number of records (`fields` objects), 10 per request.
    pub async fn create_records(
        &self,
        base: &str,
        table: &str,
        fields: Vec<Value>,
        typecast: bool,
    ) -> Result<Vec<Value>, AirtableError> {
        let url = self.url(&[base, table])?;
        let result = self
            .chunked(fields, |group| {
                let body = json!({"records": group.into_iter().map(|f| json!({"fields": f})).collect::<Vec<_>>(), "typecast": typecast});
                let url = url.clone();
                async move { self.send(Method::POST, url, Some(base), Some(&body), Retry::OnlyIfNotApplied).await }
            })
            .await;
        self.invalidate_after_write(base, table).await;
        Ok(result?
            .into_iter()
            .flat_map(|v| v["records"].as_array().cloned().unwrap_or_default())
            .collect())
    }

    /// Updates records (`{id, fields}`): PATCH merges, PUT (`replace`) clears unspecified fields.
    pub async fn update_records(
        &self,
        base: &str,
        table: &str,
        records: Vec<Value>,
        replace: bool,
        typecast: bool,
    ) -> Result<Vec<Value>, AirtableError> {
        let url = self.url(&[base, table])?;
        let method = if replace { Method::PUT } else { Method::PATCH };
        let result = self
            .chunked(records, |group| {
                let body = json!({"records": group, "typecast": typecast});
                let (url, method) = (url.clone(), method.clone());
                async move {
                    self.send(method, url, Some(base), Some(&body), Retry::Safe)
                        .await
                }
            })
            .await;
        self.invalidate_after_write(base, table).await;
        Ok(result?
            .into_iter()
            .flat_map(|v| v["records"].as_array().cloned().unwrap_or_default())
            .collect())
    }

    /// Upserts by 1–3 merge fields: creates what does not match, updates what does.
    pub async fn upsert_records(
        &self,
        base: &str,
        table: &str,
        fields: Vec<Value>,
        merge_on: &[String],
        typecast: bool,
    ) -> Result<Upserted, AirtableError> {
        let url = self.url(&[base, table])?;
        let result = self
            .chunked(fields, |group| {
                let body = json!({
                    "records": group.into_iter().map(|f| json!({"fields": f})).collect::<Vec<_>>(),
                    "typecast": typecast,
                    "performUpsert": {"fieldsToMergeOn": merge_on},
                });
                let url = url.clone();
                // An upsert is idempotent: repeating it matches what the first one created.
                async move {
                    self.send(Method::PATCH, url, Some(base), Some(&body), Retry::Safe)
                        .await
                }
            })
            .await;
        self.invalidate_after_write(base, table).await;
        let mut out = Upserted::default();
        for v in result? {
            out.records
                .extend(v["records"].as_array().cloned().unwrap_or_default());
            let ids = |k: &str| {
                v[k].as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|i| i.as_str().map(str::to_owned))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            };
            out.created.extend(ids("createdRecords"));
            out.updated.extend(ids("updatedRecords"));
        }
        Ok(out)
    }

    /// Deletes any number of records, 10 per request; returns the deleted ids.
    pub async fn delete_records(
        &self,
        base: &str,
        table: &str,
        ids: Vec<String>,
    ) -> Result<Vec<String>, AirtableError> {
        let result = self
            .chunked(ids, |group| {
                let url = self.url(&[base, table]).map(|mut u| {
                    u.query_pairs_mut()
                        .extend_pairs(group.iter().map(|id| ("records[]", id.as_str())));
                    u
                });
                async move {
                    self.send(Method::DELETE, url?, Some(base), None, Retry::Safe)
                        .await
                }
            })
            .await;
        self.invalidate_after_write(base, table).await;
        Ok(result?
            .into_iter()
            .flat_map(|v| v["records"].as_array().cloned().unwrap_or_default())
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect())
    }

    /// Sends a request as given (the `/v0` proxy): paced, retried, errors returned as Airtable's.
    pub async fn raw(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Value, AirtableError> {
        let mut url = self.url(segments)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let base = segments
            .first()
            .filter(|s| s.starts_with("app"))
            .copied()
            .or_else(|| segments.get(2).filter(|s| s.starts_with("app")).copied());
        let retry = if method == Method::POST && segments.last().is_none_or(|s| *s != "listRecords")
        {
            Retry::OnlyIfNotApplied
        } else {
            Retry::Safe
        };
        self.send(method, url, base, body, retry).await
    }

    // ---------- cache ----------

    /// The id of a table given by id or name (via the cached schema), for cache versions.
    pub async fn table_key(&self, base: &str, table: &str) -> Result<String, AirtableError> {
        if table.starts_with("tbl") {
            return Ok(table.to_owned());
        }
        let (schema, _) = self.cached_schema(base, false).await?;
        let id = schema["tables"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| {
                t["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(table))
            })
            .and_then(|t| t["id"].as_str())
            .map(str::to_owned);
        Ok(id.unwrap_or_else(|| table.to_lowercase()))
    }

    /// Invalidates cached reads of a table after a write.
    pub async fn invalidate(&self, base: &str, table: &str) -> Result<(), AirtableError> {
        let key = self.table_key(base, table).await?;
        self.at.cache.bump(&self.tenant, base, &key).await?;
        Ok(())
    }

    async fn through_cache<F, Fut>(
        &self,
        material: String,
        ttl: i64,
        bypass: bool,
        fetch: F,
    ) -> Result<(Value, CacheStatus), AirtableError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Value, AirtableError>>,
    {
        // Reads depend on what the token may see: a new token starts with a cold cache.
        let material = format!("{}|{material}", self.token_hash);
        if !bypass && let Some(v) = self.at.cache.get(&self.tenant, &material).await? {
            record::cache_lookup(true);
            return Ok((v, CacheStatus::Hit));
        }
        record::cache_lookup(false);
        let v = fetch().await?;
        self.at.cache.put(&self.tenant, &material, &v, ttl).await?;
        Ok((v, CacheStatus::Miss))
    }

    /// A GET sent as given (the `/v0` proxy), cached like the typed reads: records per table
    /// version for 60 s, meta for 5 minutes.
    pub async fn cached_raw_get(
        &self,
        segments: &[&str],
        query: &[(String, String)],
        bypass: bool,
    ) -> Result<(Value, CacheStatus), AirtableError> {
        let (ttl, version_of) = match segments {
            ["meta", "bases", base, ..] => (
                cache::META_TTL_SECS,
                Some((base.to_string(), "*".to_owned())),
            ),
            ["meta", ..] => (cache::META_TTL_SECS, None),
            [base, table, ..] => (
                cache::RECORDS_TTL_SECS,
                Some((base.to_string(), self.table_key(base, table).await?)),
            ),
            _ => (cache::RECORDS_TTL_SECS, None),
        };
        let version = match &version_of {
            Some((b, t)) => self.at.cache.version(&self.tenant, b, t).await?,
            None => 0,
        };
        let material = format!("raw|{}|{version}|{query:?}", segments.join("/"));
        self.through_cache(material, ttl, bypass, || {
            self.raw(Method::GET, segments, query, None)
        })
        .await
    }

    /// Bases, cached 5 minutes.
    pub async fn cached_bases(&self, bypass: bool) -> Result<(Value, CacheStatus), AirtableError> {
        self.through_cache("bases".into(), cache::META_TTL_SECS, bypass, || async {
            Ok(json!(self.list_bases().await?))
        })
        .await
    }

    /// A base's schema, cached 5 minutes (invalidated by schema writes through us).
    pub async fn cached_schema(
        &self,
        base: &str,
        bypass: bool,
    ) -> Result<(Value, CacheStatus), AirtableError> {
        let version = self.at.cache.version(&self.tenant, base, "*").await?;
        self.through_cache(
            format!("schema|{base}|{version}"),
            cache::META_TTL_SECS,
            bypass,
            || self.schema(base),
        )
        .await
    }

    /// The table names of a base, each with its field names: what completion offers. Cached like
    /// the schema (per schema version) but small enough to be cached for any base.
    pub async fn cached_names(&self, base: &str) -> Result<Value, AirtableError> {
        let version = self.at.cache.version(&self.tenant, base, "*").await?;
        let (names, _) = self
            .through_cache(
                format!("names|{base}|{version}"),
                cache::META_TTL_SECS,
                false,
                || async {
                    let (schema, _) = self.cached_schema(base, false).await?;
                    let tables = schema["tables"].as_array().into_iter().flatten().map(|t| {
                        let fields: Vec<&Value> =
                            schema::fields(t).iter().map(|f| &f["name"]).collect();
                        json!({"id": t["id"], "name": t["name"], "fields": fields})
                    });
                    Ok(Value::Array(tables.collect()))
                },
            )
            .await?;
        Ok(names)
    }

    /// One table's schema (by id or name) from the cached base schema, read again once when the
    /// table is not in it (it may have been created in Airtable a moment ago); 404 when it is
    /// still not there.
    pub async fn table_schema(&self, base: &str, table: &str) -> Result<Value, AirtableError> {
        let (cached, status) = self.cached_schema(base, false).await?;
        if let Some(t) = schema::find_table(&cached, table) {
            return Ok(t.clone());
        }
        if status == CacheStatus::Hit {
            return self.fresh_table_schema(base, table).await;
        }
        Err(Self::no_table(base, table))
    }

    /// One table's schema read from Airtable now (refreshing the cache).
    pub async fn fresh_table_schema(
        &self,
        base: &str,
        table: &str,
    ) -> Result<Value, AirtableError> {
        let (fresh, _) = self.cached_schema(base, true).await?;
        schema::find_table(&fresh, table)
            .cloned()
            .ok_or_else(|| Self::no_table(base, table))
    }

    fn no_table(base: &str, table: &str) -> AirtableError {
        AirtableError::Upstream {
            status: 404,
            kind: "TABLE_NOT_FOUND".into(),
            message: format!("base {base} has no table named or with id {table:?}"),
        }
    }

    /// One page of records, cached 60 s per table version.
    pub async fn cached_page(
        &self,
        base: &str,
        table: &str,
        query: &ListQuery,
        offset: Option<&str>,
        bypass: bool,
    ) -> Result<(Page, CacheStatus), AirtableError> {
        let key = self.table_key(base, table).await?;
        let version = self.at.cache.version(&self.tenant, base, &key).await?;
        let material = format!(
            "page|{base}|{key}|{version}|{table}|{}|{}",
            query.describe(),
            offset.unwrap_or("")
        );
        let (v, status) = self
            .through_cache(material, cache::RECORDS_TTL_SECS, bypass, || async {
                let p = self.list_page(base, table, query, offset).await?;
                Ok(json!({"records": p.records, "offset": p.offset}))
            })
            .await?;
        Ok((
            Page {
                records: v["records"].as_array().cloned().unwrap_or_default(),
                offset: v["offset"].as_str().map(str::to_owned),
            },
            status,
        ))
    }

    /// Every record of a listing, cached 60 s per table version.
    pub async fn cached_all(
        &self,
        base: &str,
        table: &str,
        query: &ListQuery,
        bypass: bool,
    ) -> Result<(Vec<Value>, CacheStatus), AirtableError> {
        let key = self.table_key(base, table).await?;
        let version = self.at.cache.version(&self.tenant, base, &key).await?;
        let material = format!("all|{base}|{key}|{version}|{table}|{}", query.describe());
        let (v, status) = self
            .through_cache(material, cache::RECORDS_TTL_SECS, bypass, || async {
                Ok(json!(self.list_all(base, table, query).await?))
            })
            .await?;
        Ok((v.as_array().cloned().unwrap_or_default(), status))
    }

    /// One record, cached 60 s per table version.
    pub async fn cached_record(
        &self,
        base: &str,
        table: &str,
        id: &str,
        bypass: bool,
    ) -> Result<(Value, CacheStatus), AirtableError> {
        let key = self.table_key(base, table).await?;
        let version = self.at.cache.version(&self.tenant, base, &key).await?;
        self.through_cache(
            format!("record|{base}|{key}|{version}|{id}"),
            cache::RECORDS_TTL_SECS,
            bypass,
            || self.get_record(base, table, id),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_error_shapes_and_the_429_shape_parse() {
        assert_eq!(
            parse_error(
                422,
                r#"{"error":{"type":"INVALID_VALUE_FOR_COLUMN","message":"Field \"Age\" cannot accept the provided value"}}"#
            ),
            (
                "INVALID_VALUE_FOR_COLUMN".into(),
                "Field \"Age\" cannot accept the provided value".into()
            )
        );
        assert_eq!(parse_error(404, r#"{"error":"NOT_FOUND"}"#).0, "NOT_FOUND");
        assert_eq!(
            parse_error(
                429,
                r#"{"errors":[{"error":"RATE_LIMIT_REACHED","message":"Rate limit exceeded"}]}"#
            )
            .0,
            "RATE_LIMIT_REACHED"
        );
        assert_eq!(parse_error(500, "<html>").0, "HTTP_500");
    }

    #[test]
    fn airtable_errors_map_to_problems_with_the_type_kept() {
        let e: ApiError = AirtableError::Upstream {
            status: 403,
            kind: "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND".into(),
            message: "m".into(),
        }
        .into();
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        let e: ApiError = AirtableError::RateLimited { retry_after: 30 }.into();
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        let e: ApiError = AirtableError::Upstream {
            status: 401,
            kind: "AUTHENTICATION_REQUIRED".into(),
            message: "m".into(),
        }
        .into();
        assert_eq!(
            e.status(),
            StatusCode::FAILED_DEPENDENCY,
            "the tenant's token failing is not the caller's 401"
        );
    }

    #[test]
    fn list_queries_render_as_airtable_names_them() {
        let q = ListQuery {
            filter_by_formula: Some("{A} = 1".into()),
            sort: vec![("Name".into(), true)],
            fields: vec!["A".into(), "B".into()],
            page_size: Some(500),
            ..Default::default()
        };
        let pairs = q.pairs(Some("itr1/rec1"));
        assert!(pairs.contains(&("sort[0][direction]".into(), "desc".into())));
        assert_eq!(pairs.iter().filter(|(k, _)| k == "fields[]").count(), 2);
        assert!(
            pairs.contains(&("pageSize".into(), "100".into())),
            "capped at Airtable's page size"
        );
        assert_eq!(q.body(None)["sort"][0]["direction"], "desc");
    }
}
