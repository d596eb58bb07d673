//! Reads through the DynamoDB cache, keyed by tenant, token and table version.

use super::*;

/// What a cached answer answers: every entry's key in one place. Entries of records carry the
/// table's version, so a write through the client (which bumps it) leaves them behind; schema
/// entries carry the base's schema version. The session adds the token's hash: a new token
/// starts with a cold cache.
pub(super) enum CacheKey<'a> {
    /// The token's bases.
    Bases,
    /// Just their ids (small for any number of bases).
    BaseIds,
    Schema {
        base: &'a str,
        version: u64,
    },
    /// Table and field names of a schema version (what completion offers).
    Names {
        base: &'a str,
        version: u64,
    },
    Page {
        base: &'a str,
        table_key: &'a str,
        version: u64,
        table: &'a str,
        query: &'a ListQuery,
        offset: Option<&'a str>,
    },
    All {
        base: &'a str,
        table_key: &'a str,
        version: u64,
        table: &'a str,
        query: &'a ListQuery,
    },
    Record {
        base: &'a str,
        table_key: &'a str,
        version: u64,
        id: &'a str,
    },
    /// A GET through the `/v0` proxy, as sent.
    Raw {
        path: &'a str,
        version: u64,
        query: &'a [(String, String)],
    },
}

impl CacheKey<'_> {
    /// The text hashed into the entry's key.
    fn material(&self) -> String {
        match self {
            Self::Bases => "bases".into(),
            Self::BaseIds => "baseids".into(),
            Self::Schema { base, version } => format!("schema|{base}|{version}"),
            Self::Names { base, version } => format!("names|{base}|{version}"),
            Self::Page {
                base,
                table_key,
                version,
                table,
                query,
                offset,
            } => format!(
                "page|{base}|{table_key}|{version}|{table}|{}|{}",
                query.describe(),
                offset.unwrap_or("")
            ),
            Self::All {
                base,
                table_key,
                version,
                table,
                query,
            } => {
                format!(
                    "all|{base}|{table_key}|{version}|{table}|{}",
                    query.describe()
                )
            }
            Self::Record {
                base,
                table_key,
                version,
                id,
            } => {
                format!("record|{base}|{table_key}|{version}|{id}")
            }
            Self::Raw {
                path,
                version,
                query,
            } => format!("raw|{path}|{version}|{query:?}"),
        }
    }
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
        self.at.cache.bump(&self.tenant, base, &key).await?;
        Ok(())
    }

    pub(super) async fn through_cache<F, Fut>(
        &self,
        key: CacheKey<'_>,
        ttl: i64,
        bypass: bool,
        fetch: F,
    ) -> Result<(Value, CacheStatus), AirtableError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Value, AirtableError>>,
    {
        // Reads depend on what the token may see: a new token starts with a cold cache.
        let material = format!("{}|{}", self.token_hash, key.material());
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
        let path = segments.join("/");
        let key = CacheKey::Raw {
            path: &path,
            version,
            query,
        };
        self.through_cache(key, ttl, bypass, || {
            self.raw(Method::GET, segments, query, None)
        })
        .await
    }

    /// Bases, cached 5 minutes.
    pub async fn cached_bases(&self, bypass: bool) -> Result<(Value, CacheStatus), AirtableError> {
        self.through_cache(CacheKey::Bases, cache::META_TTL_SECS, bypass, || async {
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
            CacheKey::Schema { base, version },
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
                CacheKey::Names { base, version },
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
        let key = self.table_key(base, table).await?;
        let version = self.at.cache.version(&self.tenant, base, &key).await?;
        let cache_key = CacheKey::Page {
            base,
            table_key: &key,
            version,
            table,
            query,
            offset,
        };
        let (v, status) = self
            .through_cache(cache_key, cache::RECORDS_TTL_SECS, bypass, || async {
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
        let cache_key = CacheKey::All {
            base,
            table_key: &key,
            version,
            table,
            query,
        };
        let (v, status) = self
            .through_cache(cache_key, cache::RECORDS_TTL_SECS, bypass, || async {
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
            CacheKey::Record {
                base,
                table_key: &key,
                version,
                id,
            },
            cache::RECORDS_TTL_SECS,
            bypass,
            || self.get_record(base, table, id),
        )
        .await
    }
}
