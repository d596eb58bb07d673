//! `PUT/GET /api/v1/budgets`: the tenant's monthly LLM budgets (for the whole workspace and per
//! user, USD) and the alert threshold. Owners and admins set them; everyone sees where they stand.

use axum::Json;
use axum::extract::State;
use llm::spend::{self, Budgets};
use platform::FieldError;
use platform::auth::{Identity, Role};
use platform::error::ApiError;
use platform::http::ApiJson;
use platform::store::{Under, keys};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AppState;

/// `PUT /api/v1/budgets` body; `null` removes a limit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutBudgets {
    /// USD per calendar month (UTC) for the whole workspace; null for no limit.
    #[schema(minimum = 0, maximum = 1000000)]
    pub tenant_monthly_usd: Option<f64>,
    /// USD per calendar month for each user; null for no limit.
    #[schema(minimum = 0, maximum = 1000000)]
    pub user_monthly_usd: Option<f64>,
    /// Share of a budget (0.000001–1, default 0.8) at which an alert is recorded.
    #[schema(minimum = 0.000001, maximum = 1)]
    pub alert_threshold: Option<f64>,
}

/// A budget alert of this month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertView {
    /// `tenant` or `user`.
    pub scope: String,
    pub user_id: Option<String>,
    pub limit_usd: Option<f64>,
    pub spent_usd: Option<f64>,
    pub at: Option<String>,
}

/// Where a budget stands this month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StandingView {
    /// `null`: no limit.
    pub limit_usd: Option<f64>,
    pub spent_usd: f64,
    pub remaining_usd: Option<f64>,
}

/// `GET`/`PUT /api/v1/budgets`'s answer: the limits, this month's spend of the workspace and of
/// the caller, and the month's alerts (owners and admins see everyone's).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BudgetsView {
    pub tenant_monthly_usd: Option<f64>,
    pub user_monthly_usd: Option<f64>,
    pub alert_threshold: f64,
    pub updated_at: String,
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub tenant: StandingView,
    pub user: StandingView,
    pub alerts: Vec<AlertView>,
}

fn standing(s: &spend::Standing) -> StandingView {
    StandingView {
        limit_usd: s.limit_usd,
        spent_usd: s.spent_usd,
        remaining_usd: s.remaining_usd,
    }
}

async fn view(state: &AppState, identity: &Identity) -> Result<BudgetsView, ApiError> {
    let (budgets, status, _, _) =
        spend::status(&state.store, &identity.tenant, identity.user_id()).await?;
    let mut alerts: Vec<Value> = state
        .store
        .query_prefix(&keys::budget_alerts_of(
            &identity.tenant,
            &format!("M#{}", status.month),
        ))
        .await?;
    // Owners and admins see every alert; others the workspace's and their own.
    if !identity.role.at_least(Role::Admin) {
        alerts.retain(|a| a["scope"] == "tenant" || a["userId"] == identity.user_id().as_str());
    }
    let text = |v: &Value| v.as_str().map(str::to_owned);
    Ok(BudgetsView {
        tenant_monthly_usd: budgets.tenant_monthly_usd,
        user_monthly_usd: budgets.user_monthly_usd,
        alert_threshold: budgets.alert_threshold,
        updated_at: budgets.updated_at,
        month: status.month.clone(),
        tenant: standing(&status.tenant),
        user: standing(&status.user),
        alerts: alerts
            .iter()
            .map(|a| AlertView {
                scope: text(&a["scope"]).unwrap_or_default(),
                user_id: text(&a["userId"]),
                limit_usd: a["limitUsd"].as_f64(),
                spent_usd: a["spentUsd"].as_f64(),
                at: text(&a["at"]),
            })
            .collect(),
    })
}

/// `GET /api/v1/budgets` — the budgets, this month's spend (workspace and caller) and alerts.
#[utoipa::path(get, path = "/api/v1/budgets", tag = "chat", summary = "LLM budgets and this month's spend", responses((status = 200, body = BudgetsView), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<BudgetsView>, ApiError> {
    Ok(Json(view(&state, &identity).await?))
}

/// `PUT /api/v1/budgets` — owners and admins.
#[utoipa::path(put, path = "/api/v1/budgets", tag = "chat", summary = "Set the LLM budgets", request_body = PutBudgets, responses((status = 200, body = BudgetsView), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn put(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<PutBudgets>,
) -> Result<Json<BudgetsView>, ApiError> {
    identity.require(Role::Admin)?;
    let mut errors = Vec::new();
    for (field, v) in [
        ("tenantMonthlyUsd", req.tenant_monthly_usd),
        ("userMonthlyUsd", req.user_monthly_usd),
    ] {
        if v.is_some_and(|v| !v.is_finite() || !(0.0..=1_000_000.0).contains(&v)) {
            errors.push(FieldError::new(
                field,
                "must be between 0 and 1000000 (USD), or null for no limit",
            ));
        }
    }
    let threshold = req.alert_threshold.unwrap_or(0.8);
    // A share is a whole number of millionths at least: far smaller ones (5e-324) are beyond
    // the numbers DynamoDB stores.
    if !threshold.is_finite() || !(0.000001..=1.0).contains(&threshold) {
        errors.push(FieldError::new(
            "alertThreshold",
            "must be between 0.000001 and 1",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let budgets = Budgets {
        // Budgets count in micro-dollars: a limit finer than that means nothing (and a number as
        // small as 1e-200 is beyond what DynamoDB stores).
        tenant_monthly_usd: req.tenant_monthly_usd.map(whole_micros),
        user_monthly_usd: req.user_monthly_usd.map(whole_micros),
        alert_threshold: threshold,
        updated_at: platform::time::now_rfc3339(),
    };
    state.store.put(&Under(&identity.tenant, &budgets)).await?;
    Ok(Json(view(&state, &identity).await?))
}

/// Dollars rounded to whole micro-dollars.
fn whole_micros(usd: f64) -> f64 {
    platform::prices::usd(platform::prices::micros(usd))
}
