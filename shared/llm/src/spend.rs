//! LLM spend: counters per tenant and user per day and month (atomic ADDs as calls happen, never
//! a scan), monthly budgets enforced before every model call by reserving the call's worst case
//! (conditional, so concurrent calls cannot overspend; failing closed), settled to the actual
//! cost afterwards, and the alert recorded once when spend crosses the threshold.

use serde::{Deserialize, Serialize};

use crate::Usage;
use platform::error::ApiError;
use platform::ids::{TenantId, UserId};
use platform::prices::{micros, usd};
use platform::store::{Child, Entity, Key, Store, StoreError, keys, n, s};

/// `D#2026-11-28` and `M#2026-11` for now (UTC).
pub fn periods_now() -> (String, String) {
    let now = time::OffsetDateTime::now_utc();
    let day = format!(
        "D#{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let month = format!("M#{:04}-{:02}", now.year(), u8::from(now.month()));
    (day, month)
}

impl Child<TenantId> for Budgets {
    const TAG: &'static str = "budget";
    fn key(&self, tenant: &TenantId) -> Key {
        keys::budget(tenant)
    }
}

/// The alert recorded once when a month's spend crosses a budget's threshold.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BudgetAlert<'a> {
    #[serde(skip)]
    tenant: &'a TenantId,
    #[serde(skip)]
    month: &'a str,
    /// `tenant`, or the user's id.
    #[serde(skip)]
    scope_key: String,
    scope: &'a str,
    user_id: Option<&'a str>,
    limit_usd: f64,
    spent_usd: f64,
    threshold: f64,
    at: String,
}

impl Entity for BudgetAlert<'_> {
    const TAG: &'static str = "budget_alert";
    fn key(&self) -> Key {
        keys::budget_alert(self.tenant, self.month, &self.scope_key)
    }
}

/// Counters of one period (what a usage item holds).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Counters {
    pub llm_calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
}

/// The tenant's budgets (USD per calendar month, UTC). `None` means no limit.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Budgets {
    pub tenant_monthly_usd: Option<f64>,
    pub user_monthly_usd: Option<f64>,
    /// Share of a budget (0–1) at which an alert is recorded.
    pub alert_threshold: f64,
    #[serde(default)]
    pub updated_at: String,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            tenant_monthly_usd: None,
            user_monthly_usd: None,
            alert_threshold: 0.8,
            updated_at: String::new(),
        }
    }
}

/// One budget's state this month.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Standing {
    pub limit_usd: Option<f64>,
    pub spent_usd: f64,
    pub remaining_usd: Option<f64>,
}

/// Where the caller stands this month.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BudgetStatus {
    pub month: String,
    pub tenant: Standing,
    pub user: Standing,
    pub alert_threshold: f64,
    /// Alerts recorded by this request (`tenant` or `user`), crossing the threshold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
}

pub async fn budgets(store: &Store, tenant: &TenantId) -> Result<Budgets, StoreError> {
    Ok(store.get(&keys::budget(tenant)).await?.unwrap_or_default())
}

async fn spent(
    store: &Store,
    tenant: &TenantId,
    month: &str,
    user: Option<&UserId>,
) -> Result<u64, StoreError> {
    let c: Option<Counters> = store.get(&keys::usage(tenant, month, user)).await?;
    Ok(c.map(|c| c.cost_micros).unwrap_or(0))
}

fn standing(limit: Option<f64>, spent: u64) -> Standing {
    Standing {
        limit_usd: limit,
        spent_usd: usd(spent),
        remaining_usd: limit.map(|l| (l - usd(spent)).max(0.0)),
    }
}

/// Where the tenant and the user stand this month. Any failure to read is an error: a budget
/// that cannot be read is not a budget that allows spending.
pub async fn status(
    store: &Store,
    tenant: &TenantId,
    user: &UserId,
) -> Result<(Budgets, BudgetStatus, u64, u64), ApiError> {
    let unavailable = |e: StoreError| {
        tracing::error!(error = %e, "budget check failed; refusing the model call");
        ApiError::Unavailable {
            detail: "the budget could not be checked, so no model was called; try again".into(),
            retry_after: Some(5),
        }
    };
    let (_, month) = periods_now();
    let b = budgets(store, tenant).await.map_err(unavailable)?;
    let tenant_spent = spent(store, tenant, &month, None)
        .await
        .map_err(unavailable)?;
    let user_spent = spent(store, tenant, &month, Some(user))
        .await
        .map_err(unavailable)?;
    let status = BudgetStatus {
        month: month.trim_start_matches("M#").to_owned(),
        tenant: standing(b.tenant_monthly_usd, tenant_spent),
        user: standing(b.user_monthly_usd, user_spent),
        alert_threshold: b.alert_threshold,
        alerts: Vec::new(),
    };
    Ok((b, status, tenant_spent, user_spent))
}

/// Refuses (429 `budget-exceeded`) when a call costing at most `worst_micros` would not fit in
/// what is left of the workspace's or the user's budget; reads only (a preflight — the call
/// itself reserves with [`reserve`]).
pub async fn check(
    store: &Store,
    tenant: &TenantId,
    user: &UserId,
    worst_micros: u64,
) -> Result<BudgetStatus, ApiError> {
    let (b, status, tenant_spent, user_spent) = status(store, tenant, user).await?;
    for (scope, limit, spent) in [
        ("workspace", b.tenant_monthly_usd, tenant_spent),
        ("your", b.user_monthly_usd, user_spent),
    ] {
        if let Some(limit) = limit
            && spent + worst_micros > micros(limit)
        {
            return Err(exceeded(scope, limit, spent, worst_micros));
        }
    }
    Ok(status)
}

/// Money set aside for one model call before it is made.
#[derive(Debug, Clone)]
#[must_use = "a reservation is settled (or released) after the call"]
pub struct Reservation {
    tenant: TenantId,
    user: UserId,
    month: String,
    worst_micros: u64,
}

fn exceeded(scope: &str, limit: f64, spent: u64, worst_micros: u64) -> ApiError {
    ApiError::TooManyRequests {
        code: "budget-exceeded",
        detail: format!(
            "this request could cost up to ${:.4}, and {scope} monthly LLM budget of ${limit:.2} has ${:.4} left; an owner or admin can raise it with PUT /api/v1/budgets",
            usd(worst_micros),
            (limit - usd(spent)).max(0.0)
        ),
        retry_after: seconds_to_next_month(),
    }
}

/// Sets aside `worst_micros` (the most the next model call can cost) on this month's workspace
/// and user spend, in one transaction conditioned on each budget still having room — so
/// concurrent turns cannot all pass against the same remainder. 429 `budget-exceeded` when a
/// budget has no room; 503 when the budget cannot be read or written (nothing is called then).
pub async fn reserve(
    store: &Store,
    tenant: &TenantId,
    user: &UserId,
    worst_micros: u64,
) -> Result<(Reservation, BudgetStatus), ApiError> {
    let (b, status, tenant_spent, user_spent) = status(store, tenant, user).await?;
    let scopes = [
        ("workspace", b.tenant_monthly_usd, tenant_spent, None),
        ("your", b.user_monthly_usd, user_spent, Some(user)),
    ];
    let month = format!("M#{}", status.month);
    let mut tx = store.tx();
    for (scope, limit, spent, who) in scopes {
        let key = keys::usage(tenant, &month, who);
        let expr = "ADD #costMicros :worst SET #entity = :e";
        match limit {
            Some(limit) => {
                let room = micros(limit) as i64 - worst_micros as i64;
                if room < 0 || spent as i64 > room {
                    return Err(exceeded(scope, limit, spent, worst_micros));
                }
                let cond = "attribute_not_exists(#costMicros) OR #costMicros <= :room";
                tx = tx.update(
                    &key,
                    expr,
                    Some(cond),
                    &[
                        (":worst", n(worst_micros)),
                        (":e", s("usage")),
                        (":room", n(room)),
                    ],
                );
            }
            None => {
                tx = tx.update(
                    &key,
                    expr,
                    None,
                    &[(":worst", n(worst_micros)), (":e", s("usage"))],
                )
            }
        }
    }
    match tx.commit().await {
        Ok(()) => {}
        // Another turn took the room between the read and the write.
        Err(StoreError::ConditionFailed) => {
            let limit = b.tenant_monthly_usd.or(b.user_monthly_usd).unwrap_or(0.0);
            return Err(exceeded(
                "a",
                limit,
                tenant_spent.max(user_spent),
                worst_micros,
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, "could not reserve the budget; refusing the model call");
            return Err(ApiError::Unavailable {
                detail: "the budget could not be checked, so no model was called; try again".into(),
                retry_after: Some(5),
            });
        }
    }
    Ok((
        Reservation {
            tenant: tenant.clone(),
            user: user.clone(),
            month,
            worst_micros,
        },
        status,
    ))
}

/// Settles a reservation with what the call really used (nothing, if it failed): the month's
/// spend moves from the worst case to the actual cost, and the day's and month's call and token
/// counters grow — all in one transaction.
/// `usage` is the model, its token counts and the cost in micro-dollars.
pub async fn settle(
    store: &Store,
    reservation: Reservation,
    usage: Option<(&str, Usage, u64)>,
) -> Result<(), StoreError> {
    let Reservation {
        tenant,
        user,
        month,
        worst_micros,
    } = reservation;
    let (day, _) = periods_now();
    let (calls, input, output, cost) = match usage {
        Some((model, u, cost)) => {
            platform::telemetry::record::llm_call(model, u.input_tokens, u.output_tokens, cost);
            (1u64, u.input_tokens, u.output_tokens, cost)
        }
        None => (0, 0, 0, 0),
    };
    let delta = cost as i64 - worst_micros as i64;
    let mut tx = store.tx();
    for who in [None, Some(&user)] {
        tx = tx.update(
            &keys::usage(&tenant, &month, who),
            "ADD #llmCalls :calls, #inputTokens :i, #outputTokens :o, #costMicros :delta SET #entity = :e",
            None,
            &[(":calls", n(calls)), (":i", n(input)), (":o", n(output)), (":delta", n(delta)), (":e", s("usage"))],
        );
        if calls > 0 {
            tx = tx.update(
                &keys::usage(&tenant, &day, who),
                "ADD #llmCalls :calls, #inputTokens :i, #outputTokens :o, #costMicros :c SET #entity = :e",
                None,
                &[(":calls", n(calls)), (":i", n(input)), (":o", n(output)), (":c", n(cost)), (":e", s("usage"))],
            );
        }
    }
    tx.commit().await
}

fn seconds_to_next_month() -> u64 {
    let now = time::OffsetDateTime::now_utc();
    let (y, m) = if now.month() == time::Month::December {
        (now.year() + 1, time::Month::January)
    } else {
        (now.year(), now.month().next())
    };
    let next = time::Date::from_calendar_date(y, m, 1)
        .map(|d| d.midnight().assume_utc())
        .unwrap_or(now);
    (next - now).whole_seconds().max(1) as u64
}

/// After spending: records an alert for each budget whose spend has reached the threshold, once
/// per month and scope; returns the alerts recorded now.
pub async fn alerts_after_spend(
    store: &Store,
    tenant: &TenantId,
    user: &UserId,
) -> Result<Vec<String>, StoreError> {
    let (_, month) = periods_now();
    let b = budgets(store, tenant).await?;
    let mut recorded = Vec::new();
    let scopes = [
        ("tenant", b.tenant_monthly_usd, None),
        ("user", b.user_monthly_usd, Some(user)),
    ];
    for (scope, limit, who) in scopes {
        let Some(limit) = limit else { continue };
        let spent = spent(store, tenant, &month, who).await?;
        if usd(spent) < limit * b.alert_threshold {
            continue;
        }
        let scope_key = match who {
            Some(u) => u.as_str().to_owned(),
            None => "tenant".to_owned(),
        };
        let alert = BudgetAlert {
            tenant,
            month: &month,
            scope_key,
            scope,
            user_id: who.map(UserId::as_str),
            limit_usd: limit,
            spent_usd: usd(spent),
            threshold: b.alert_threshold,
            at: platform::time::now_rfc3339(),
        };
        match store.put_new(&alert).await {
            Ok(()) => {
                tracing::warn!(
                    scope,
                    limit,
                    spent = usd(spent),
                    "LLM budget alert threshold crossed"
                );
                recorded.push(scope.to_owned());
            }
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(recorded)
}
