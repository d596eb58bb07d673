//! The per-base send schedule, shared through DynamoDB by every Lambda instance: Airtable allows
//! 5 requests per second per base (sliding), so each request reserves the next free slot at
//! least [`SPACING_MS`] after the previous one and waits for it. A 429 that still comes puts the
//! whole base on hold for everyone.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;

use platform::store::{Store, StoreError, keys, n};
use platform::time::now_ms;

/// Airtable's limit: 5 requests per second per base. 10 ms of margin per slot absorbs network
/// jitter, so requests never arrive closer together than Airtable counts them.
pub const SPACING_MS: i64 = 1000 / 5 + 10;
/// Airtable's other limit: 50 requests per second per token (across all bases).
pub const TOKEN_SPACING_MS: i64 = 1000 / 50 + 1;
/// How long a base is held after a 429 (Airtable answers 429 for 30 s).
pub const HOLD_MS: i64 = 30_000 + 500;

#[derive(Deserialize)]
struct Slot {
    next: Option<i64>,
}

/// A send that wakes up later than this after its slot gives the slot up and reserves another:
/// a late send would bunch up with the sends after it (6 in one second) on a loaded machine.
pub const LATE_MS: i64 = 40;

/// The distributed limiter.
#[derive(Clone, Debug)]
pub struct Limiter {
    store: Store,
    spacing_ms: i64,
}

impl Limiter {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            spacing_ms: SPACING_MS,
        }
    }

    /// Reserves the next send slot of `base`, no earlier than `not_before` (epoch ms) and no
    /// later than `max_ahead_ms` from now. `Ok(Err(slot))` when the next free slot is further
    /// out (a base on hold): nothing is reserved, so refused callers never push the schedule back.
    pub async fn reserve(
        &self,
        base: &str,
        not_before: i64,
        max_ahead_ms: i64,
    ) -> Result<Result<i64, i64>, StoreError> {
        self.reserve_slot(
            keys::base_limiter(base),
            self.spacing_ms,
            not_before,
            max_ahead_ms,
        )
        .await
    }

    /// Reserves the next send slot of a token (by its hash): 50 requests per second.
    pub async fn reserve_token(
        &self,
        token_hash: &str,
        max_ahead_ms: i64,
    ) -> Result<Result<i64, i64>, StoreError> {
        self.reserve_slot(
            keys::base_limiter(&format!("token:{token_hash}")),
            TOKEN_SPACING_MS,
            0,
            max_ahead_ms,
        )
        .await
    }

    async fn reserve_slot(
        &self,
        key: keys::Key,
        spacing_ms: i64,
        not_before: i64,
        max_ahead_ms: i64,
    ) -> Result<Result<i64, i64>, StoreError> {
        loop {
            let current: Option<Slot> = self.store.get(&key).await?;
            let previous = current.and_then(|s| s.next);
            let now = now_ms();
            let slot = previous.unwrap_or(0).max(now).max(not_before);
            if slot - now > max_ahead_ms {
                return Ok(Err(slot));
            }
            let next = slot + spacing_ms;
            let condition = if previous.is_some() {
                "#next = :prev"
            } else {
                "attribute_not_exists(#next)"
            };
            let mut values = vec![(":next", n(next)), (":ttl", n(next / 1000 + 3600))];
            if let Some(p) = previous {
                values.push((":prev", n(p)));
            }
            match self
                .store
                .update::<serde_json::Value>(
                    &key,
                    "SET #next = :next, #ttl = :ttl",
                    Some(condition),
                    &values,
                )
                .await
            {
                Ok(_) => return Ok(Ok(slot)),
                // Another sender took that slot first; read the schedule again.
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// When the base's next slot is free (epoch ms), without reserving it.
    pub async fn peek(&self, base: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .store
            .get::<Slot>(&keys::base_limiter(base))
            .await?
            .and_then(|s| s.next))
    }

    /// Puts the base on hold (after a 429): nobody sends to it for [`HOLD_MS`].
    pub async fn hold(&self, base: &str) -> Result<(), StoreError> {
        let until = now_ms() + HOLD_MS;
        let res = self
            .store
            .update::<serde_json::Value>(
                &keys::base_limiter(base),
                "SET #next = :until, #ttl = :ttl",
                Some("attribute_not_exists(#next) OR #next < :until"),
                &[
                    (":until", n(until)),
                    (":ttl", AttributeValue::N((until / 1000 + 3600).to_string())),
                ],
            )
            .await;
        match res {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
