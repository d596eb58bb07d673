//! Reads through the DynamoDB cache, keyed by tenant, connection and request; stamped with the
//! version of what they read.

use super::*;
use crate::Ahead;
use cache::{Cached, Stamp};
use serde_json::value::RawValue;

/// What a cached answer answers: every entry's key in one place. The session adds its
/// namespace (token and connection). Which version an entry depends on is not part of its key
/// but its [`Stamp`]: a hit needs no name-to-id lookup, only the versions the session already
/// holds.
pub enum CacheKey<'a> {
    /// The token's bases.
    Bases,
    /// Just their ids (small for any number of bases).
    BaseIds,
    Schema {
        base: &'a str,
    },
    /// Table and field names of a schema version (what completion offers).
    Names {
        base: &'a str,
    },
    Page {
        base: &'a str,
        table: &'a str,
        query: &'a ListQuery,
        offset: Option<&'a str>,
    },
    All {
        base: &'a str,
        table: &'a str,
        query: &'a ListQuery,
    },
    Record {
        base: &'a str,
        table: &'a str,
        id: &'a str,
    },
    /// A GET through the `/v0` proxy, as sent.
    Raw {
        path: &'a str,
        query: &'a [(String, String)],
    },
}

impl CacheKey<'_> {
    /// The text hashed into the entry's key (the entry's partition is its tenant's).
    pub fn material(&self) -> String {
        match self {
            Self::Bases => "bases".into(),
            Self::BaseIds => "baseids".into(),
            Self::Schema { base } => format!("schema|{base}"),
            Self::Names { base } => format!("names|{base}"),
            Self::Page {
                base,
                table,
                query,
                offset,
            } => format!(
                "page|{base}|{table}|{}|{}",
                query.describe(),
                offset.unwrap_or("")
            ),
            Self::All { base, table, query } => {
                format!("all|{base}|{table}|{}", query.describe())
            }
            Self::Record { base, table, id } => format!("record|{base}|{table}|{id}"),
            Self::Raw { path, query } => format!("raw|{path}|{query:?}"),
        }
    }
}

/// What a read through the cache served.
enum Served {
    /// The stored JSON text.
    Hit(Box<RawValue>),
    /// What was fetched, and its text as stored.
    Miss { value: Value, text: Box<RawValue> },
}

impl Served {
    /// As a value: a hit parsed, a miss as fetched.
    fn into_value(self) -> Result<(Value, CacheStatus), AirtableError> {
        Ok(match self {
            Served::Hit(body) => (parse_stored(&body)?, CacheStatus::Hit),
            Served::Miss { value, .. } => (value, CacheStatus::Miss),
        })
    }

    /// As JSON text: a hit as stored, never parsed.
    fn into_text(self) -> (Box<RawValue>, CacheStatus) {
        match self {
            Served::Hit(body) => (body, CacheStatus::Hit),
            Served::Miss { text, .. } => (text, CacheStatus::Miss),
        }
    }
}

/// A stored body, parsed (it was checked to be JSON when read, so this fails only past the
/// parser's nesting limit, which the same check enforces).
fn parse_stored(body: &RawValue) -> Result<Value, AirtableError> {
    serde_json::from_str(body.get()).map_err(stored_shape)
}

fn stored_shape(e: serde_json::Error) -> AirtableError {
    AirtableError::Store(StoreError::Shape(serde::de::Error::custom(e)))
}

/// The version a cached read depends on.
#[derive(Clone, Copy)]
pub(super) enum Depends<'a> {
    /// Nothing a write through us changes (the token's bases: cached for their TTL).
    Nothing,
    /// A base's schema.
    Schema(&'a str),
    /// A table (by id or name) of a base.
    Table(&'a str, &'a str),
}

impl TenantClient<'_> {
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
        self.bump(base, &key).await
    }

    /// Bumps the version of a table (`*`: the base's schema), and this session's copy with it:
    /// its own reads after its own write never see the cache from before.
    pub async fn bump(&self, base: &str, table: &str) -> Result<(), AirtableError> {
        if let Some(v) = self.at.cache.bump(&self.tenant, base, table).await? {
            let mut versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
            let slot = versions
                .map
                .entry(cache::version_key(base, table))
                .or_default();
            *slot = (*slot).max(v);
        }
        Ok(())
    }

    /// The current version of `scope` (a [`cache::version_key`]), from the versions this session
    /// read with its connection, or read again when they are older than a moment.
    async fn version(&self, scope: &str) -> Result<u64, AirtableError> {
        let fresh = {
            let versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
            versions
                .read_at
                .is_some_and(|at| at.elapsed() < VERSIONS_FRESH_FOR)
                .then(|| versions.map.get(scope).copied().unwrap_or(0))
        };
        if let Some(v) = fresh {
            return Ok(v);
        }
        let map = self
            .at
            .credentials
            .connection(&self.tenant)
            .await?
            .map(|c| c.versions)
            .unwrap_or_default();
        let v = map.get(scope).copied().unwrap_or(0);
        *self.versions.lock().unwrap_or_else(|p| p.into_inner()) = Versions {
            read_at: Some(Instant::now()),
            map,
        };
        Ok(v)
    }

    /// A read through the cache, parsed: a hit's stored text, or what `fetch` answered (stored).
    pub(super) async fn through_cache<F, Fut>(
        &self,
        key: CacheKey<'_>,
        depends: Depends<'_>,
        ttl: i64,
        bypass: bool,
        fetch: F,
    ) -> Result<(Value, CacheStatus), AirtableError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Value, AirtableError>>,
    {
        self.serve(key, depends, ttl, bypass, fetch)
            .await?
            .into_value()
    }

    /// The entry for `key` when it is live, this connection's and at the current version of what
    /// it depends on; otherwise `fetch`'s answer, stored stamped with the version read before it.
    async fn serve<F, Fut>(
        &self,
        key: CacheKey<'_>,
        depends: Depends<'_>,
        ttl: i64,
        bypass: bool,
        fetch: F,
    ) -> Result<Served, AirtableError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Value, AirtableError>>,
    {
        let material = key.material();
        if !bypass {
            let entry = match self.take_ahead(&material) {
                Some(read) => read,
                None => self.at.cache.get(&self.tenant, &material).await?,
            };
            // Served only to the connection (and token) that read it, at the version it was read.
            if let Some(entry) = entry.filter(|e| e.namespace == self.namespace) {
                let current = match (&depends, &entry.stamp) {
                    (Depends::Nothing, _) => true,
                    (_, Some(stamp)) => self.version(&stamp.scope).await? == stamp.version,
                    (_, None) => false,
                };
                if current {
                    record::cache_lookup(true);
                    return Ok(Served::Hit(entry.body));
                }
            }
        }
        record::cache_lookup(false);
        // The version is read before the fetch: a write landing meanwhile leaves this entry
        // stamped older than the table, so it is never served.
        let scope = match depends {
            Depends::Nothing => None,
            Depends::Schema(base) => Some(cache::version_key(base, "*")),
            Depends::Table(base, table) => {
                // Boxed: the table's id may come from the cached schema, read through here.
                let key = Box::pin(self.table_key(base, table)).await?;
                Some(cache::version_key(base, &key))
            }
        };
        let stamp = match scope {
            Some(scope) => Some(Stamp {
                version: self.version(&scope).await?,
                scope,
            }),
            None => None,
        };
        let value = fetch().await?;
        let text = serde_json::value::to_raw_value(&value).map_err(stored_shape)?;
        self.at
            .cache
            .put(
                &self.tenant,
                &material,
                text.get(),
                ttl,
                &self.namespace,
                stamp,
            )
            .await?;
        Ok(Served::Miss { value, text })
    }

    /// The entry read ahead for `material`, if that is what was read ahead (once).
    fn take_ahead(&self, material: &str) -> Option<Option<Cached>> {
        let mut ahead = self.ahead.lock().unwrap_or_else(|p| p.into_inner());
        if ahead.as_ref().is_some_and(|(m, _)| m == material) {
            return ahead.take().map(|(_, entry)| entry);
        }
        None
    }

    /// Hands the session an entry read ahead (beside the session check): the read that asks
    /// for the same thing uses it instead of reading again.
    pub fn with_ahead(self, ahead: Ahead) -> Self {
        *self.ahead.lock().unwrap_or_else(|p| p.into_inner()) = ahead.0;
        self
    }

    /// A GET sent as given (the `/v0` proxy), cached like the typed reads: records per table
    /// version for 60 s, meta for 5 minutes.
    ///
    /// Answers JSON text: a hit goes back to the caller as Airtable's answer was stored.
    pub async fn cached_raw_get(
        &self,
        segments: &[&str],
        query: &[(String, String)],
        bypass: bool,
    ) -> Result<(Box<RawValue>, CacheStatus), AirtableError> {
        let (ttl, depends) = match segments {
            ["meta", "bases", base, ..] => (cache::META_TTL_SECS, Depends::Schema(base)),
            ["meta", ..] => (cache::META_TTL_SECS, Depends::Nothing),
            [base, table, ..] => (cache::RECORDS_TTL_SECS, Depends::Table(base, table)),
            _ => (cache::RECORDS_TTL_SECS, Depends::Nothing),
        };
        let path = segments.join("/");
        let key = CacheKey::Raw { path: &path, query };
        Ok(self
            .serve(key, depends, ttl, bypass, || {
                self.raw(Method::GET, segments, query, None)
            })
            .await?
            .into_text())
    }

    /// Bases, cached 5 minutes.
    pub async fn cached_bases(&self, bypass: bool) -> Result<(Value, CacheStatus), AirtableError> {
        self.through_cache(
            CacheKey::Bases,
            Depends::Nothing,
            cache::META_TTL_SECS,
            bypass,
            || async { Ok(json!(self.list_bases().await?)) },
        )
        .await
    }

    /// A base's schema, cached 5 minutes (invalidated by schema writes through us).
    pub async fn cached_schema(
        &self,
        base: &str,
        bypass: bool,
    ) -> Result<(Value, CacheStatus), AirtableError> {
        self.through_cache(
            CacheKey::Schema { base },
            Depends::Schema(base),
            cache::META_TTL_SECS,
            bypass,
            || self.schema(base),
        )
        .await
    }

    /// The table names of a base, each with its field names: what completion offers. Cached like
    /// the schema (per schema version) but small enough to be cached for any base.
    pub async fn cached_names(&self, base: &str) -> Result<Value, AirtableError> {
        let (names, _) = self
            .through_cache(
                CacheKey::Names { base },
                Depends::Schema(base),
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

    pub(super) fn no_table(base: &str, table: &str) -> AirtableError {
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
        let (v, status) = self
            .served_page(base, table, query, offset, bypass)
            .await?
            .into_value()?;
        // Taken apart, not copied: a page is a hundred records' worth of values.
        let (records, offset) = match v {
            Value::Object(mut m) => (m.remove("records"), m.remove("offset")),
            _ => (None, None),
        };
        Ok((
            Page {
                records: match records {
                    Some(Value::Array(records)) => records,
                    _ => Vec::new(),
                },
                offset: match offset {
                    Some(Value::String(offset)) => Some(offset),
                    _ => None,
                },
            },
            status,
        ))
    }

    /// The same page as [`Self::cached_page`] (the same entry), its records as JSON text: a hit's
    /// records are passed on as stored, never parsed into values.
    pub async fn cached_page_text(
        &self,
        base: &str,
        table: &str,
        query: &ListQuery,
        offset: Option<&str>,
        bypass: bool,
    ) -> Result<(PageText, CacheStatus), AirtableError> {
        let (text, status) = self
            .served_page(base, table, query, offset, bypass)
            .await?
            .into_text();
        #[derive(serde::Deserialize)]
        struct Stored<'a> {
            #[serde(borrow)]
            records: &'a RawValue,
            #[serde(default)]
            offset: Option<String>,
        }
        let page: Stored<'_> = serde_json::from_str(text.get()).map_err(stored_shape)?;
        Ok((
            PageText {
                records: page.records.to_owned(),
                offset: page.offset,
            },
            status,
        ))
    }

    /// A page of records through the cache (one entry, whichever form it is read in).
    async fn served_page(
        &self,
        base: &str,
        table: &str,
        query: &ListQuery,
        offset: Option<&str>,
        bypass: bool,
    ) -> Result<Served, AirtableError> {
        self.serve(
            CacheKey::Page {
                base,
                table,
                query,
                offset,
            },
            Depends::Table(base, table),
            cache::RECORDS_TTL_SECS,
            bypass,
            || self.stored_page(base, table, query, offset),
        )
        .await
    }

    /// A page from Airtable as it is stored in the cache.
    async fn stored_page(
        &self,
        base: &str,
        table: &str,
        query: &ListQuery,
        offset: Option<&str>,
    ) -> Result<Value, AirtableError> {
        let p = self.list_page(base, table, query, offset).await?;
        // Moved into the value (`json!` would copy the records).
        let mut stored = serde_json::Map::new();
        stored.insert("records".into(), Value::Array(p.records));
        stored.insert("offset".into(), p.offset.map_or(Value::Null, Value::String));
        Ok(Value::Object(stored))
    }

    /// Every record of a listing, cached 60 s per table version.
    pub async fn cached_all(
        &self,
        base: &str,
        table: &str,
        query: &ListQuery,
        bypass: bool,
    ) -> Result<(Vec<Value>, CacheStatus), AirtableError> {
        let cache_key = CacheKey::All { base, table, query };
        let (v, status) = self
            .through_cache(
                cache_key,
                Depends::Table(base, table),
                cache::RECORDS_TTL_SECS,
                bypass,
                || async { Ok(json!(self.list_all(base, table, query).await?)) },
            )
            .await?;
        let records = match v {
            Value::Array(records) => records,
            _ => Vec::new(),
        };
        Ok((records, status))
    }

    /// One record, cached 60 s per table version.
    pub async fn cached_record(
        &self,
        base: &str,
        table: &str,
        id: &str,
        bypass: bool,
    ) -> Result<(Value, CacheStatus), AirtableError> {
        self.through_cache(
            CacheKey::Record { base, table, id },
            Depends::Table(base, table),
            cache::RECORDS_TTL_SECS,
            bypass,
            || self.get_record(base, table, id),
        )
        .await
    }
}
