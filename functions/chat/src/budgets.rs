//! `PUT/GET /api/v1/budgets`: the tenant's monthly LLM budgets (for the whole workspace and per
//! user, USD) and the alert threshold. Owners and admins set them; everyone sees where they stand.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::FieldError;
use shared::auth::{Identity, Role};
use shared::error::ApiError;
use shared::http::ApiJson;
use shared::store::{Store, keys};
use shared::usage::{self, Budgets};

use crate::AppState;

/// `PUT /api/v1/budgets` body; `null` removes a limit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutBudgets {
    /// USD per calendar month (UTC) for the whole workspace; null for no limit.
    pub tenant_monthly_usd: Option<f64>,
    /// USD per calendar month for each user; null for no limit.
    pub user_monthly_usd: Option<f64>,
    /// Share of a budget (0–1, default 0.8) at which an alert is recorded.
    pub alert_threshold: Option<f64>,
}

async fn view(state: &AppState, identity: &Identity) -> Result<Value, ApiError> {
    let (budgets, status, _, _) = usage::status(&state.store, &identity.tenant, identity.user_id()).await?;
    let mut alerts: Vec<Value> =
        state.store.query_prefix(&keys::budget_alerts_of(&identity.tenant, &format!("M#{}", status.month))).await?;
    // Owners and admins see every alert; others the workspace's and their own.
    if !identity.role.at_least(Role::Admin) {
        alerts.retain(|a| a["scope"] == "tenant" || a["userId"] == identity.user_id().as_str());
    }
    Ok(json!({
        "tenantMonthlyUsd": budgets.tenant_monthly_usd,
        "userMonthlyUsd": budgets.user_monthly_usd,
        "alertThreshold": budgets.alert_threshold,
        "updatedAt": budgets.updated_at,
        "month": status.month,
        "tenant": status.tenant,
        "user": status.user,
        "alerts": alerts.iter().map(|a| json!({"scope": a["scope"], "userId": a["userId"], "limitUsd": a["limitUsd"], "spentUsd": a["spentUsd"], "at": a["at"]})).collect::<Vec<_>>(),
    }))
}

/// `GET /api/v1/budgets` — the budgets, this month's spend (workspace and caller) and alerts.
#[utoipa::path(get, path = "/api/v1/budgets", tag = "chat", summary = "LLM budgets and this month's spend", responses((status = 200, body = Object), (status = 401, body = shared::error::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn get(State(state): State<AppState>, identity: Identity) -> Result<Json<Value>, ApiError> {
    Ok(Json(view(&state, &identity).await?))
}

/// `PUT /api/v1/budgets` — owners and admins.
#[utoipa::path(put, path = "/api/v1/budgets", tag = "chat", summary = "Set the LLM budgets", request_body = PutBudgets, responses((status = 200, body = Object), (status = 401, body = shared::error::Problem, content_type = "application/problem+json"), (status = 403, body = shared::error::Problem, content_type = "application/problem+json"), (status = 422, body = shared::error::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn put(State(state): State<AppState>, identity: Identity, ApiJson(req): ApiJson<PutBudgets>) -> Result<Json<Value>, ApiError> {
    identity.require(Role::Admin)?;
    let mut errors = Vec::new();
    for (field, v) in [("tenantMonthlyUsd", req.tenant_monthly_usd), ("userMonthlyUsd", req.user_monthly_usd)] {
        if v.is_some_and(|v| !v.is_finite() || !(0.0..=1_000_000.0).contains(&v)) {
            errors.push(FieldError::new(field, "must be between 0 and 1000000 (USD), or null for no limit"));
        }
    }
    let threshold = req.alert_threshold.unwrap_or(0.8);
    if !threshold.is_finite() || !(0.0..=1.0).contains(&threshold) || threshold == 0.0 {
        errors.push(FieldError::new("alertThreshold", "must be more than 0 and at most 1"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let budgets = Budgets {
        tenant_monthly_usd: req.tenant_monthly_usd,
        user_monthly_usd: req.user_monthly_usd,
        alert_threshold: threshold,
        updated_at: shared::time::now_rfc3339(),
    };
    state.store.put(Store::item(&keys::budget(&identity.tenant), "budget", &budgets)?).await?;
    Ok(Json(view(&state, &identity).await?))
}
