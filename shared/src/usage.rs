//! LLM spend: counters per tenant and user per day and month (atomic ADDs as calls happen, never
//! a scan), monthly budgets checked before every model call — failing closed — and the alert
//! recorded once when spend crosses the threshold.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::ids::{TenantId, UserId};
use crate::llm::Usage;
use crate::store::{Store, StoreError, keys, n, s};

/// Micro-dollars to dollars (for responses).
pub fn usd(micros: u64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// Dollars to micro-dollars.
pub fn micros(usd: f64) -> u64 {
    (usd * 1_000_000.0).round().max(0.0) as u64
}

/// `D#2026-11-28` and `M#2026-11` for now (UTC).
pub fn periods_now() -> (String, String) {
    let now = time::OffsetDateTime::now_utc();
    let day = format!("D#{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day());
    let month = format!("M#{:04}-{:02}", now.year(), u8::from(now.month()));
    (day, month)
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

/// Records one model call against the tenant and the user, for the day and the month, in one
/// transaction (all four counters move together or not at all).
pub async fn record_llm_call(store: &Store, tenant: &TenantId, user: &UserId, usage: Usage, cost_micros: u64) -> Result<(), StoreError> {
    let (day, month) = periods_now();
    let expr = "ADD #llmCalls :one, #inputTokens :i, #outputTokens :o, #costMicros :c SET #entity = :e";
    let values =
        [(":one", n(1)), (":i", n(usage.input_tokens)), (":o", n(usage.output_tokens)), (":c", n(cost_micros)), (":e", s("usage"))];
    let mut tx = store.tx();
    for period in [&day, &month] {
        for who in [None, Some(user)] {
            tx = tx.update(&keys::usage(tenant, period, who), expr, None, &values);
        }
    }
    tx.commit().await
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
        Self { tenant_monthly_usd: None, user_monthly_usd: None, alert_threshold: 0.8, updated_at: String::new() }
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

async fn spent(store: &Store, tenant: &TenantId, month: &str, user: Option<&UserId>) -> Result<u64, StoreError> {
    let c: Option<Counters> = store.get(&keys::usage(tenant, month, user)).await?;
    Ok(c.map(|c| c.cost_micros).unwrap_or(0))
}

fn standing(limit: Option<f64>, spent: u64) -> Standing {
    Standing { limit_usd: limit, spent_usd: usd(spent), remaining_usd: limit.map(|l| (l - usd(spent)).max(0.0)) }
}

/// Where the tenant and the user stand this month. Any failure to read is an error: a budget
/// that cannot be read is not a budget that allows spending.
pub async fn status(store: &Store, tenant: &TenantId, user: &UserId) -> Result<(Budgets, BudgetStatus, u64, u64), ApiError> {
    let unavailable = |e: StoreError| {
        tracing::error!(error = %e, "budget check failed; refusing the model call");
        ApiError::Unavailable { detail: "the budget could not be checked, so no model was called; try again".into(), retry_after: Some(5) }
    };
    let (_, month) = periods_now();
    let b = budgets(store, tenant).await.map_err(unavailable)?;
    let tenant_spent = spent(store, tenant, &month, None).await.map_err(unavailable)?;
    let user_spent = spent(store, tenant, &month, Some(user)).await.map_err(unavailable)?;
    let status = BudgetStatus {
        month: month.trim_start_matches("M#").to_owned(),
        tenant: standing(b.tenant_monthly_usd, tenant_spent),
        user: standing(b.user_monthly_usd, user_spent),
        alert_threshold: b.alert_threshold,
        alerts: Vec::new(),
    };
    Ok((b, status, tenant_spent, user_spent))
}

/// Refuses (429 `budget-exceeded`) when a call costing at most `worst_micros` could take the
/// tenant or the user past its monthly budget; otherwise returns where they stand.
pub async fn check(store: &Store, tenant: &TenantId, user: &UserId, worst_micros: u64) -> Result<BudgetStatus, ApiError> {
    let (b, status, tenant_spent, user_spent) = status(store, tenant, user).await?;
    for (scope, limit, spent) in [("workspace", b.tenant_monthly_usd, tenant_spent), ("your", b.user_monthly_usd, user_spent)] {
        if let Some(limit) = limit
            && spent + worst_micros > micros(limit)
        {
            return Err(ApiError::TooManyRequests {
                code: "budget-exceeded",
                detail: format!(
                    "this request could cost up to ${:.4}, and {scope} monthly LLM budget of ${limit:.2} has ${:.4} left; an owner or admin can raise it with PUT /api/v1/budgets",
                    usd(worst_micros),
                    (limit - usd(spent)).max(0.0)
                ),
                retry_after: seconds_to_next_month(),
            });
        }
    }
    Ok(status)
}

fn seconds_to_next_month() -> u64 {
    let now = time::OffsetDateTime::now_utc();
    let (y, m) =
        if now.month() == time::Month::December { (now.year() + 1, time::Month::January) } else { (now.year(), now.month().next()) };
    let next = time::Date::from_calendar_date(y, m, 1).map(|d| d.midnight().assume_utc()).unwrap_or(now);
    (next - now).whole_seconds().max(1) as u64
}

/// After spending: records an alert for each budget whose spend has reached the threshold, once
/// per month and scope; returns the alerts recorded now.
pub async fn alerts_after_spend(store: &Store, tenant: &TenantId, user: &UserId) -> Result<Vec<String>, StoreError> {
    let (_, month) = periods_now();
    let b = budgets(store, tenant).await?;
    let mut recorded = Vec::new();
    let scopes = [("tenant", b.tenant_monthly_usd, None), ("user", b.user_monthly_usd, Some(user))];
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
        let item = Store::item(
            &keys::budget_alert(tenant, &month, &scope_key),
            "budget_alert",
            &serde_json::json!({"scope": scope, "userId": who.map(UserId::as_str), "limitUsd": limit, "spentUsd": usd(spent), "threshold": b.alert_threshold, "at": crate::time::now_rfc3339()}),
        )?;
        match store.put_new(item).await {
            Ok(()) => {
                tracing::warn!(scope, limit, spent = usd(spent), "LLM budget alert threshold crossed");
                recorded.push(scope.to_owned());
            }
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(recorded)
}
