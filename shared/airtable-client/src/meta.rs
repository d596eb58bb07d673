//! Bases, schemas, tables and fields — and which bases a token may use.

use super::*;

impl TenantClient<'_> {
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
    pub(super) async fn cached_base_ids(
        &self,
        bypass: bool,
    ) -> Result<(Value, CacheStatus), AirtableError> {
        self.through_cache(
            cached::CacheKey::BaseIds,
            cached::Depends::Nothing,
            cache::META_TTL_SECS,
            bypass,
            || async {
                let ids: Vec<Value> = self
                    .list_bases()
                    .await?
                    .into_iter()
                    .filter_map(|b| b.get("id").cloned())
                    .collect();
                Ok(Value::Array(ids))
            },
        )
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
        let path = ["meta", "bases", base, "tables"];
        self.schema_write(
            Method::POST,
            &path,
            base,
            None,
            body,
            Retry::OnlyIfNotApplied,
        )
        .await
    }

    /// Renames a table or changes its description.
    pub async fn update_table(
        &self,
        base: &str,
        table: &str,
        body: &Value,
    ) -> Result<Value, AirtableError> {
        let path = ["meta", "bases", base, "tables", table];
        self.schema_write(Method::PATCH, &path, base, None, body, Retry::Safe)
            .await
    }

    pub async fn create_field(
        &self,
        base: &str,
        table: &str,
        body: &Value,
    ) -> Result<Value, AirtableError> {
        let path = ["meta", "bases", base, "tables", table, "fields"];
        let retry = Retry::OnlyIfNotApplied;
        self.schema_write(Method::POST, &path, base, Some(table), body, retry)
            .await
    }

    pub async fn update_field(
        &self,
        base: &str,
        table: &str,
        field: &str,
        body: &Value,
    ) -> Result<Value, AirtableError> {
        let path = ["meta", "bases", base, "tables", table, "fields", field];
        self.schema_write(Method::PATCH, &path, base, Some(table), body, Retry::Safe)
            .await
    }

    /// A schema write: the base's cached schema is stale after it, and so are the cached records
    /// of `table` when its fields changed (records show field names).
    async fn schema_write(
        &self,
        method: Method,
        path: &[&str],
        base: &str,
        table: Option<&str>,
        body: &Value,
        retry: Retry,
    ) -> Result<Value, AirtableError> {
        let out = self
            .send(method, self.url(path)?, Some(base), Some(body), retry)
            .await?;
        self.bump(base, "*").await?;
        if let Some(table) = table {
            self.invalidate_after_write(base, table).await;
        }
        Ok(out)
    }
}
