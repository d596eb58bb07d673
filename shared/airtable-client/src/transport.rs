//! Sending one request: its URL, pacing on the base's schedule, retries with backoff and
//! jitter, and error mapping.

use super::*;

/// How a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Retry {
    /// Reads and idempotent writes (PATCH, PUT, DELETE): retried on 5xx and network errors.
    Safe,
    /// Creates: retried only when Airtable surely did nothing (503, or never connected).
    OnlyIfNotApplied,
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

fn backoff(attempt: u32) -> Duration {
    let base = 200u64 * 2u64.pow(attempt);
    Duration::from_millis(base.min(3_000) + rand::rng().random_range(0..200))
}

impl TenantClient<'_> {
    pub(super) fn url(&self, segments: &[&str]) -> Result<reqwest::Url, AirtableError> {
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
    pub(super) async fn send(
        &self,
        method: Method,
        url: reqwest::Url,
        base: Option<&str>,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Value, AirtableError> {
        let token = self.token.as_ref().ok_or(AirtableError::NotConnected)?;
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
                .bearer_auth(token.expose_secret());
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
    pub(super) async fn wait_for_slot(&self, base: Option<&str>) -> Result<(), AirtableError> {
        let max_ahead = MAX_WAIT.as_millis() as i64;
        let too_far = |slot: i64| AirtableError::RateLimited {
            retry_after: ((slot - platform::time::now_ms()).max(1000) as u64).div_ceil(1000),
        };
        if let Some(b) = base {
            self.check_base(b).await?;
            // A base on hold refuses before anything is reserved (not even the token's slot).
            if let Some(next) = self.at.limiter.peek(b).await?
                && next - platform::time::now_ms() > max_ahead
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
            let wait = slot - platform::time::now_ms();
            if wait > 0 {
                tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            }
            let late = platform::time::now_ms() - slot;
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
}
