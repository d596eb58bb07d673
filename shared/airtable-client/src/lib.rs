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

mod cached;
mod error;
mod meta;
mod query;
mod records;
mod transport;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use futures::StreamExt;
use rand::Rng;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

pub use cache::{Cache, CacheStatus, Cached};
pub use cached::CacheKey;
pub use credentials::{Connection, Credentials};
pub use error::{AirtableError, parse_error};
pub use limiter::Limiter;
use platform::auth::{Credential, Identity};
use platform::error::ApiError;
use platform::ids::TenantId;
use platform::store::{Store, StoreError};
use platform::telemetry::record;
pub use progress::Progress;
pub use query::{ListQuery, Page, PageText};
pub use records::Upserted;
use transport::Retry;

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
        let http = platform::outbound::client_builder()
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
    pub async fn for_tenant(&self, tenant: &TenantId) -> Result<TenantClient<'_>, AirtableError> {
        let conn = self.credentials.connection(tenant).await?;
        self.for_connection(tenant, conn).await
    }

    /// Confirms the caller's credential and, in the same `BatchGetItem`, reads their workspace's
    /// connection (the token, and the versions its cached reads are checked against).
    pub async fn confirm_with_connection(
        &self,
        credential: Credential,
    ) -> Result<(Identity, Option<Connection>), ApiError> {
        let (identity, conn, _) = self.confirm_reading(credential, None).await?;
        Ok((identity, conn))
    }

    /// The caller, confirmed, and the session for their workspace: what a read handler needs,
    /// in one DynamoDB round trip on a warm instance.
    pub async fn for_caller(
        &self,
        credential: Credential,
    ) -> Result<(Identity, TenantClient<'_>), ApiError> {
        self.for_caller_reading(credential, None).await
    }

    /// [`Airtable::for_caller`], with the cache entry of `read` (what the handler will ask for)
    /// read in the same round trip: a cache hit then waits on DynamoDB once. The entry is the
    /// claimed tenant's and is served only once the caller is confirmed, to the same connection
    /// at the same table version.
    pub async fn for_caller_reading(
        &self,
        credential: Credential,
        read: Option<CacheKey<'_>>,
    ) -> Result<(Identity, TenantClient<'_>), ApiError> {
        let (identity, conn, ahead) = self.confirm_reading(credential, read).await?;
        let session = self.for_connection(&identity.tenant, conn).await?;
        Ok((identity, session.with_ahead(ahead)))
    }

    /// The caller confirmed, their connection, and the cache entry of `read`: all read in the
    /// session check's one `BatchGetItem`.
    pub async fn confirm_reading(
        &self,
        credential: Credential,
        read: Option<CacheKey<'_>>,
    ) -> Result<(Identity, Option<Connection>, Ahead), ApiError> {
        let material = read.map(|k| k.material());
        let (identity, items) = credential
            .confirm_getting(|tenant, _| {
                let mut keys = vec![Credentials::key(tenant)];
                keys.extend(material.as_deref().map(|m| Cache::key(tenant, m)));
                keys
            })
            .await?;
        let mut items = items.into_iter();
        let conn = Store::decode(items.next().flatten())?;
        let entry = match material {
            Some(m) => Some((m, Cache::decode(items.next().flatten())?)),
            None => None,
        };
        Ok((identity, conn, Ahead(entry)))
    }

    /// The session for a tenant, with its connection read ahead or read now.
    pub async fn session(
        &self,
        tenant: &TenantId,
        read: ConnectionRead,
    ) -> Result<TenantClient<'_>, AirtableError> {
        match read {
            ConnectionRead::Ahead(conn) => self.for_connection(tenant, conn).await,
            ConnectionRead::NotYet => self.for_tenant(tenant).await,
        }
    }

    /// A session with a connection already read (beside the caller's session check, say):
    /// [`AirtableError::NotConnected`] when there is none, or it is another tenant's.
    pub async fn for_connection(
        &self,
        tenant: &TenantId,
        conn: Option<Connection>,
    ) -> Result<TenantClient<'_>, AirtableError> {
        let conn = conn
            .filter(|c| &c.tenant_id == tenant)
            .ok_or(AirtableError::NotConnected)?;
        let token = self.credentials.token_of(&conn).await?;
        let mut client = self.for_tenant_with(tenant, token);
        // A new connection (even with the same token) starts with an empty cache.
        client.namespace = format!(
            "{}|{}",
            client.token_hash,
            &platform::auth::hash_secret(&conn.ciphertext)[..16]
        );
        client.versions = std::sync::Mutex::new(Versions {
            read_at: Some(Instant::now()),
            map: conn.versions,
        });
        Ok(client)
    }

    /// A session with a token that is not stored (yet): to check it before saving.
    pub fn for_tenant_with(&self, tenant: &TenantId, token: SecretString) -> TenantClient<'_> {
        let token_hash = platform::auth::hash_secret(token.expose_secret())[..32].to_owned();
        TenantClient {
            at: self,
            tenant: tenant.clone(),
            token: Some(token),
            namespace: format!("{token_hash}|unsaved"),
            token_hash,
            versions: Default::default(),
            ahead: Default::default(),
            deadline: None,
            progress: Progress::none(),
        }
    }

    /// A session for a tenant whose token cannot be had (it disconnected Airtable): everything
    /// that needs no request works, and every request fails with
    /// [`AirtableError::NotConnected`] before it is sent. A compensation runs with one, so it
    /// fails only when it really has something to change in Airtable.
    pub fn for_tenant_without_token(&self, tenant: &TenantId) -> TenantClient<'_> {
        TenantClient {
            at: self,
            tenant: tenant.clone(),
            token: None,
            token_hash: "no-token".into(),
            namespace: "no-token".into(),
            versions: Default::default(),
            ahead: Default::default(),
            deadline: None,
            progress: Progress::none(),
        }
    }
}

/// A cache entry read ahead (beside the session check), with the material it answers.
#[derive(Debug, Default)]
pub struct Ahead(Option<(String, Option<cache::Cached>)>);

/// A tenant's connection read ahead by the edge (beside the caller's session check), or not yet.
#[derive(Debug, Clone, Default)]
pub enum ConnectionRead {
    #[default]
    NotYet,
    Ahead(Option<Connection>),
}

/// The table versions a session checks cached reads against, and when they were read (`None`:
/// not yet; the first cached read loads them).
#[derive(Debug, Default)]
struct Versions {
    read_at: Option<Instant>,
    map: std::collections::BTreeMap<String, u64>,
}

/// How long a session trusts the versions it read: a long call (a chat turn, a workflow run)
/// reads them again, so a write made meanwhile by another request is seen within this.
const VERSIONS_FRESH_FOR: Duration = Duration::from_secs(2);

/// The client acting for one tenant, with its token (not a login session: the name says which
/// "session" it is not). Every method goes through pacing, retries and error mapping.
pub struct TenantClient<'a> {
    at: &'a Airtable,
    tenant: TenantId,
    /// `None`: no token to be had ([`Airtable::for_tenant_without_token`]).
    token: Option<SecretString>,
    /// Names the token's send schedule without revealing it.
    token_hash: String,
    /// Where its cached reads live: the token and the connection (a new connection, even with
    /// the same token, starts with an empty cache).
    namespace: String,
    /// The table versions of the connection, as last read.
    versions: std::sync::Mutex<Versions>,
    /// A cache entry read ahead, and what it answers ([`TenantClient::with_ahead`]).
    ahead: std::sync::Mutex<Option<(String, Option<cache::Cached>)>>,
    /// When set, reads of many pages and batches stop starting requests past it, so one call
    /// (a tool doing several steps) answers inside the function's timeout.
    deadline: Option<tokio::time::Instant>,
    /// Told the records done after each page or chunk; asked before each whether to go on.
    progress: Progress,
}

impl TenantClient<'_> {
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
}
