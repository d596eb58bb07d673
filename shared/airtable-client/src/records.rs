//! Records: pages and whole listings, single reads, and writes chunked by 10.

use super::*;

/// The result of an upsert.
#[derive(Debug, Clone, Default)]
pub struct Upserted {
    pub records: Vec<Value>,
    pub created: Vec<String>,
    pub updated: Vec<String>,
}

impl TenantClient<'_> {
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
    pub(super) async fn chunked<T, F, Fut>(
        &self,
        items: Vec<T>,
        chunk: F,
    ) -> Result<Vec<Value>, AirtableError>
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
    pub(super) async fn invalidate_after_write(&self, base: &str, table: &str) {
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
}
