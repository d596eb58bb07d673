//! Lambda `analytics`: what a tenant used and spent, read from the hourly counter items that
//! every request and message ADDs to as it ends (never computed by scanning), and the operator
//! view of the process's metrics.
//!
//! - `GET /api/v1/analytics/usage?from=&to=&granularity=day|hour` — per period: API requests by
//!   function and status class, Airtable requests and 429s, records read and written, cache,
//!   LLM calls and tokens, tool calls by tool (MCP, chat, workflows), files, workflow runs and
//!   sagas by outcome. Owners and admins see the whole tenant (or one member, `userId=`); others
//!   see what they did themselves.
//! - `GET /api/v1/analytics/costs?from=&to=` — LLM cost per day, per model, per user, against
//!   this month's budgets.
//! - `GET /api/v1/analytics/dashboard` — the last 24 hours, hour by hour, for the dashboard page.
//! - `GET /api/v1/ops/metrics` — every metric series this process has flushed (count, sum,
//!   min, max, p50/p95/p99), behind the operator token (`OPS_TOKEN`); off when it is unset.

pub mod figures;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use platform::auth::{Authenticator, Identity, Role};
use platform::aws::AwsClients;
use platform::config::{Config, ConfigError};
use platform::error::ApiError;
use platform::http::ApiQuery;
use platform::ids::{TenantId, UserId};
use platform::store::{Store, keys};
use platform::telemetry::scope::{COUNTER_RETENTION_DAYS, hour_of};
use platform::time::epoch_to_rfc3339 as rfc3339;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use figures::{Counters, Figures, LlmBreakdown, LlmFigures};

/// Longest range of an hourly report (a week of hours).
pub const MAX_HOURS: i64 = 7 * 24;
/// Longest range of a daily report (about a quarter).
pub const MAX_DAYS: i64 = 92;

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    /// Scopes every request: metrics and usage counters.
    pub telemetry: platform::telemetry::Telemetry,
    pub auth: Authenticator,
    pub store: Store,
    /// `OPS_TOKEN`: opens `/api/v1/ops/metrics`; `None` keeps it off.
    pub ops_token: Option<Arc<SecretString>>,
}

impl AppState {
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let auth = Authenticator::load(&config, &aws).await?;
        Ok(Self {
            telemetry: platform::telemetry::Telemetry::new(
                "analytics",
                &config,
                auth.store().clone(),
            ),
            store: auth.store().clone(),
            auth,
            ops_token: config.ops_token.clone().map(Arc::new),
        })
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(s: &AppState) -> Self {
        s.auth.clone()
    }
}

// ---------- periods ----------

/// How the figures are grouped.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    #[default]
    Day,
    Hour,
}

/// Query of the usage report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// Start (RFC 3339 instant or `YYYY-MM-DD`, UTC); default: the start of the day 6 days ago
    /// (or of the hour 23 hours ago).
    pub from: Option<String>,
    /// End, included (RFC 3339 or `YYYY-MM-DD`, which means the whole day); default: now.
    pub to: Option<String>,
    /// `day` (default) or `hour`.
    pub granularity: Option<Granularity>,
    /// Owners and admins: one member's figures instead of the whole tenant's.
    #[param(value_type = Option<platform::ids::UserId>, inline)]
    pub user_id: Option<String>,
}

/// Query of the cost report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CostsQuery {
    /// Start (RFC 3339 or `YYYY-MM-DD`); default: the first day of this month.
    pub from: Option<String>,
    /// End, included; default: now.
    pub to: Option<String>,
}

/// A parsed `from`/`to` bound, epoch seconds.
fn parse_bound(field: &str, raw: &str, end: bool) -> Result<i64, ApiError> {
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let date = Date::parse(
        raw,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| {
        ApiError::invalid(
            field,
            "must be an RFC 3339 instant (2026-12-01T07:00:00Z) or a date (2026-12-01)",
        )
    })?;
    let start = PrimitiveDateTime::new(date, Time::MIDNIGHT)
        .assume_utc()
        .unix_timestamp();
    // A date as the end means that whole day.
    Ok(if end { start + 86_399 } else { start })
}

/// The range `[from, to]` in epoch seconds, checked: in order, not in the future beyond now,
/// within the retention and at most `max_span` long. `from` defaults to `default_from`.
fn range(
    from: Option<&str>,
    default_from: i64,
    to: Option<&str>,
    max_span: i64,
    unit: &str,
) -> Result<(i64, i64), ApiError> {
    let now = platform::time::now_epoch();
    let to = match to {
        Some(t) => parse_bound("to", t, true)?.min(now),
        None => now,
    };
    let from = match from {
        Some(f) => parse_bound("from", f, false)?,
        None => default_from,
    };
    if from > to {
        return Err(ApiError::invalid(
            "from",
            "must not be after `to` (or in the future)",
        ));
    }
    if to - from >= max_span {
        return Err(ApiError::invalid(
            "from",
            format!("the range is too long for this granularity: at most {unit}"),
        ));
    }
    if from < now - COUNTER_RETENTION_DAYS * 86_400 {
        return Err(ApiError::invalid(
            "from",
            format!("usage is kept for {COUNTER_RETENTION_DAYS} days"),
        ));
    }
    Ok((from, to))
}

/// The label of the period an hour (`2026-12-01T07`) falls in.
fn period_of(hour: &str, granularity: Granularity) -> String {
    match granularity {
        Granularity::Hour => hour.to_owned(),
        Granularity::Day => hour.get(..10).unwrap_or(hour).to_owned(),
    }
}

/// Every period label from `from` to `to`, in order (so a chart has no gaps).
fn periods(from: i64, to: i64, granularity: Granularity) -> Vec<String> {
    let step = match granularity {
        Granularity::Hour => 3600,
        Granularity::Day => 86_400,
    };
    let mut out: Vec<String> = Vec::new();
    let mut t = from - from.rem_euclid(step);
    while t <= to {
        let label = period_of(&hour_of(t), granularity);
        if out.last() != Some(&label) {
            out.push(label);
        }
        t += step;
    }
    out
}

// ---------- whose figures ----------

/// Whose counters a request reads: the tenant's, or one user's.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// `tenant` or `user`.
    pub scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Owners and admins see the tenant (or a member they name); everyone else only themselves.
async fn subject(
    store: &Store,
    identity: &Identity,
    requested: Option<&str>,
) -> Result<Option<UserId>, ApiError> {
    let admin = identity.role.at_least(Role::Admin);
    match requested {
        Some(raw) => {
            let user =
                UserId::parse(raw).map_err(|_| ApiError::invalid("userId", "is not a user id"))?;
            if !admin && &user != identity.user_id() {
                return Err(ApiError::forbidden(
                    "only owners and admins can see another member's usage",
                ));
            }
            // Someone outside the tenant is nobody here.
            if &user != identity.user_id()
                && store
                    .get::<platform::store::members::Member>(&keys::member(&identity.tenant, &user))
                    .await?
                    .is_none()
            {
                return Err(ApiError::not_found("no such member"));
            }
            Ok(Some(user))
        }
        None if admin => Ok(None),
        None => Ok(Some(identity.user_id().clone())),
    }
}

fn describe(user: &Option<UserId>) -> Subject {
    match user {
        Some(u) => Subject {
            scope: "user",
            user_id: Some(u.to_string()),
        },
        None => Subject {
            scope: "tenant",
            user_id: None,
        },
    }
}

/// The hourly counters of `[from, to]`, by hour.
async fn hours(
    store: &Store,
    tenant: &TenantId,
    user: Option<&UserId>,
    from: i64,
    to: i64,
) -> Result<Vec<(String, Counters)>, ApiError> {
    // This instance's own finished requests first (their counters are written after they
    // answer): a caller who just used the API sees it counted.
    platform::telemetry::scope::settle(std::time::Duration::from_secs(2)).await;
    let items = store
        .query_range(&keys::stats_between(
            tenant,
            user,
            &hour_of(from),
            &hour_of(to),
        ))
        .await?;
    Ok(items.iter().filter_map(figures::parse_item).collect())
}

/// Sums hours into the given periods (every period present, zero when nothing happened).
fn group(
    hours: &[(String, Counters)],
    labels: &[String],
    granularity: Granularity,
) -> Vec<(String, Counters)> {
    let mut by: BTreeMap<String, Counters> = labels
        .iter()
        .map(|l| (l.clone(), Counters::new()))
        .collect();
    for (hour, c) in hours {
        if let Some(into) = by.get_mut(&period_of(hour, granularity)) {
            figures::add(into, c);
        }
    }
    by.into_iter().collect()
}

/// The counters of `[from, to]` summed per period (every period present), and in total.
async fn report(
    store: &Store,
    tenant: &TenantId,
    user: Option<&UserId>,
    (from, to): (i64, i64),
    granularity: Granularity,
) -> Result<(Vec<(String, Counters)>, Counters), ApiError> {
    let hours = hours(store, tenant, user, from, to).await?;
    let grouped = group(&hours, &periods(from, to, granularity), granularity);
    let mut all = Counters::new();
    for (_, c) in &grouped {
        figures::add(&mut all, c);
    }
    Ok((grouped, all))
}

// ---------- usage ----------

/// One period's figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    /// `2026-12-01` or `2026-12-01T07` (UTC).
    pub period: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The usage report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    pub from: String,
    pub to: String,
    pub granularity: Granularity,
    #[serde(flatten)]
    pub subject: Subject,
    pub totals: Figures,
    pub periods: Vec<Period>,
}

/// `GET /api/v1/analytics/usage` — what the tenant (or the caller) used, period by period.
#[utoipa::path(get, path = "/api/v1/analytics/usage", tag = "analytics", summary = "Usage per day or hour", params(UsageQuery), responses((status = 200, body = UsageReport), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::NotFound, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn usage(
    ApiQuery(q): ApiQuery<UsageQuery>,
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<UsageReport>, ApiError> {
    let granularity = q.granularity.unwrap_or_default();
    // By default the last 7 days (today and the 6 before it) or 24 hours (this one and the 23
    // before it), whole periods.
    let now = platform::time::now_epoch();
    let (default_from, max_span, unit) = match granularity {
        Granularity::Hour => (
            now - now.rem_euclid(3600) - 23 * 3600,
            MAX_HOURS * 3600,
            "168 hours",
        ),
        Granularity::Day => (
            now - now.rem_euclid(86_400) - 6 * 86_400,
            MAX_DAYS * 86_400,
            "92 days",
        ),
    };
    let (from, to) = range(
        q.from.as_deref(),
        default_from,
        q.to.as_deref(),
        max_span,
        unit,
    )?;
    let user = subject(&state.store, &identity, q.user_id.as_deref()).await?;
    let (grouped, all) = report(
        &state.store,
        &identity.tenant,
        user.as_ref(),
        (from, to),
        granularity,
    )
    .await?;
    Ok(Json(UsageReport {
        from: rfc3339(from),
        to: rfc3339(to),
        granularity,
        subject: describe(&user),
        totals: Figures::from(&all),
        periods: grouped
            .iter()
            .map(|(p, c)| Period {
                period: p.clone(),
                figures: Figures::from(c),
            })
            .collect(),
    }))
}

// ---------- costs ----------

/// One day's LLM spend.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostDay {
    pub date: String,
    #[serde(flatten)]
    pub figures: LlmFigures,
}

/// The cost report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostReport {
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    pub subject: Subject,
    pub totals: LlmFigures,
    pub days: Vec<CostDay>,
    /// Most expensive first.
    pub models: Vec<LlmBreakdown>,
    /// Per user (`key` is the user id): every member for owners and admins, else the caller.
    pub users: Vec<LlmBreakdown>,
    /// This month's budgets and spend (what the chat enforces).
    #[schema(value_type = Object)]
    pub budget: llm::spend::BudgetStatus,
}

/// `GET /api/v1/analytics/costs` — LLM cost per day, model and user, against the budgets.
#[utoipa::path(get, path = "/api/v1/analytics/costs", tag = "analytics", summary = "LLM costs per day, model and user, against the budgets", params(CostsQuery), responses((status = 200, body = CostReport), platform::openapi::Unauthorized, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn costs(
    ApiQuery(q): ApiQuery<CostsQuery>,
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<CostReport>, ApiError> {
    let now = platform::time::now_epoch();
    let month_start = {
        let t = OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        t.replace_day(1)
            .map(|d| d.replace_time(Time::MIDNIGHT).unix_timestamp())
            .unwrap_or(now)
    };
    let (from, to) = range(
        q.from.as_deref(),
        month_start,
        q.to.as_deref(),
        MAX_DAYS * 86_400,
        "92 days",
    )?;
    let user = subject(&state.store, &identity, None).await?;
    let (grouped, all) = report(
        &state.store,
        &identity.tenant,
        user.as_ref(),
        (from, to),
        Granularity::Day,
    )
    .await?;
    let users = match &user {
        // The tenant's items carry every user's spend.
        None => figures::llm_by(&all, "user"),
        Some(u) => vec![LlmBreakdown {
            key: u.to_string(),
            figures: Figures::from(&all).llm,
        }],
    };
    let (_, budget, _, _) =
        llm::spend::status(&state.store, &identity.tenant, identity.user_id()).await?;
    Ok(Json(CostReport {
        from: rfc3339(from),
        to: rfc3339(to),
        subject: describe(&user),
        totals: Figures::from(&all).llm,
        days: grouped
            .iter()
            .map(|(d, c)| CostDay {
                date: d.clone(),
                figures: Figures::from(c).llm,
            })
            .collect(),
        models: figures::llm_by(&all, "model"),
        users,
        budget,
    }))
}

// ---------- dashboard ----------

/// One hour of the dashboard's charts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DashboardHour {
    pub hour: String,
    pub api_requests: u64,
    pub server_errors: u64,
    pub airtable_requests: u64,
    pub airtable_throttled: u64,
    pub tool_calls: u64,
    pub llm_cost_usd: f64,
}

/// A tool and how often it was called.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolCount {
    pub tool: String,
    pub calls: u64,
}

/// The last 24 hours.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    pub subject: Subject,
    pub totals: Figures,
    /// Share of API requests answered 5xx (0 when there were none).
    pub error_rate: f64,
    /// Share of cached reads answered by the cache.
    pub cache_hit_ratio: Option<f64>,
    /// The most called tools, any front door.
    pub top_tools: Vec<ToolCount>,
    pub hours: Vec<DashboardHour>,
    #[schema(value_type = Object)]
    pub budget: llm::spend::BudgetStatus,
}

/// `GET /api/v1/analytics/dashboard` — the last 24 hours, hour by hour.
#[utoipa::path(get, path = "/api/v1/analytics/dashboard", tag = "analytics", summary = "The last 24 hours for the dashboard", responses((status = 200, body = Dashboard), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn dashboard(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<Dashboard>, ApiError> {
    let to = platform::time::now_epoch();
    // The current hour and the 23 before it.
    let from = to - to.rem_euclid(3600) - 23 * 3600;
    let user = subject(&state.store, &identity, None).await?;
    let (grouped, all) = report(
        &state.store,
        &identity.tenant,
        user.as_ref(),
        (from, to),
        Granularity::Hour,
    )
    .await?;
    let totals = Figures::from(&all);
    let mut tools: BTreeMap<String, u64> = BTreeMap::new();
    for t in [
        &totals.mcp_tool_calls,
        &totals.chat_tool_calls,
        &totals.workflow_tool_calls,
    ] {
        for (name, n) in &t.by_tool {
            *tools.entry(name.clone()).or_default() += n;
        }
    }
    let mut top_tools: Vec<ToolCount> = tools
        .into_iter()
        .map(|(tool, calls)| ToolCount { tool, calls })
        .collect();
    top_tools.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.tool.cmp(&b.tool)));
    top_tools.truncate(10);
    let lookups = totals.airtable.cache_hits + totals.airtable.cache_misses;
    let (_, budget, _, _) =
        llm::spend::status(&state.store, &identity.tenant, identity.user_id()).await?;
    Ok(Json(Dashboard {
        from: rfc3339(from),
        to: rfc3339(to),
        subject: describe(&user),
        error_rate: if totals.api_requests.total == 0 {
            0.0
        } else {
            totals.server_errors() as f64 / totals.api_requests.total as f64
        },
        cache_hit_ratio: (lookups > 0).then(|| totals.airtable.cache_hits as f64 / lookups as f64),
        top_tools,
        hours: grouped
            .iter()
            .map(|(hour, c)| {
                let f = Figures::from(c);
                DashboardHour {
                    hour: hour.clone(),
                    api_requests: f.api_requests.total,
                    server_errors: f.server_errors(),
                    airtable_requests: f.airtable.requests,
                    airtable_throttled: f.airtable.throttled,
                    tool_calls: f.mcp_tool_calls.total
                        + f.chat_tool_calls.total
                        + f.workflow_tool_calls.total,
                    llm_cost_usd: f.llm.cost_usd,
                }
            })
            .collect(),
        totals,
        budget,
    }))
}

// ---------- operator metrics ----------

/// Query of the operator view.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OpsQuery {
    /// Only series whose metric name starts with this (`Airtable`, `Latency`, …).
    pub prefix: Option<String>,
}

/// Every metric series this process has flushed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpsMetrics {
    /// CloudWatch namespace the same figures go to as EMF.
    pub namespace: String,
    #[schema(value_type = Vec<Object>)]
    pub series: Vec<platform::telemetry::emf::ops::SeriesView>,
}

/// `GET /api/v1/ops/metrics` — the process's metrics aggregated (`Authorization: Bearer
/// <OPS_TOKEN>`; 404 when no operator token is configured, the default in the cloud).
#[utoipa::path(get, path = "/api/v1/ops/metrics", tag = "analytics", summary = "Operator view of the metrics (local stack)", params(OpsQuery), responses((status = 200, body = OpsMetrics), platform::openapi::Unauthorized, platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn ops_metrics(
    ApiQuery(q): ApiQuery<OpsQuery>,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<OpsMetrics>, ApiError> {
    let Some(expected) = &state.ops_token else {
        return Err(ApiError::not_found(
            "the operator metrics are off here (set OPS_TOKEN to turn them on)",
        ));
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or("");
    let ok: bool =
        subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected.expose_secret().as_bytes()).into();
    if !ok {
        return Err(ApiError::unauthorized(
            "the operator metrics need Authorization: Bearer <OPS_TOKEN>",
        ));
    }
    Ok(Json(OpsMetrics {
        namespace: state.telemetry.namespace().to_owned(),
        series: platform::telemetry::emf::ops::snapshot(q.prefix.as_deref().unwrap_or("")),
    }))
}

/// The function's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(usage, costs, dashboard, ops_metrics))]
pub struct ApiDoc;

/// Every route of the function.
pub fn router(state: AppState) -> Router {
    let telemetry = state.telemetry.clone();
    Router::new()
        .route("/api/v1/analytics/usage", get(usage))
        .route("/api/v1/analytics/costs", get(costs))
        .route("/api/v1/analytics/dashboard", get(dashboard))
        .route("/api/v1/ops/metrics", get(ops_metrics))
        .with_state(state)
        .route_layer(telemetry.http_layer())
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::testing::{event, invoke, unreachable_aws};

    async fn app() -> Router {
        let (config, aws) = unreachable_aws();
        router(AppState::new(config, aws).await.unwrap())
    }

    fn usage_event(query: &str) -> String {
        event("analytics", "usage.json").replace(
            "\"rawQueryString\": \"granularity=day\"",
            &format!("\"rawQueryString\": \"{query}\""),
        )
    }

    #[tokio::test]
    async fn a_bad_granularity_or_unknown_parameter_is_a_400_before_any_aws_call() {
        let (status, body, headers) = invoke(app().await, &usage_event("granularity=week")).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["code"], "invalid_query");
        let (status, _, _) = invoke(app().await, &usage_event("tenantId=ten_x")).await;
        assert_eq!(status, 400);
    }

    #[tokio::test]
    async fn the_usage_event_without_credentials_is_a_401() {
        let (status, body, _) = invoke(app().await, &event("analytics", "usage.json")).await;
        assert_eq!(status, 401, "{body}");
    }

    #[tokio::test]
    async fn operator_metrics_are_off_without_a_token() {
        let ev = event("analytics", "usage.json")
            .replace("/api/v1/analytics/usage", "/api/v1/ops/metrics")
            .replace("granularity=day", "");
        let (status, body, _) = invoke(app().await, &ev).await;
        assert_eq!(status, 404, "{body}");
    }

    #[test]
    fn ranges_are_checked_and_dates_mean_whole_days() {
        assert_eq!(
            parse_bound("from", "2026-12-01", false).unwrap(),
            1_796_083_200
        );
        assert_eq!(
            parse_bound("to", "2026-12-01", true).unwrap(),
            1_796_083_200 + 86_399
        );
        assert_eq!(
            parse_bound("to", "2026-12-01T07:30:00Z", true).unwrap(),
            1_796_083_200 + 7 * 3600 + 1800
        );
        assert!(parse_bound("from", "yesterday", false).is_err());
        let now = platform::time::now_epoch();
        let e = range(
            Some(&rfc3339(now - 10)),
            0,
            Some(&rfc3339(now - 20)),
            86_400,
            "a day",
        )
        .unwrap_err();
        assert_eq!(e.status().as_u16(), 422);
        let e = range(Some(&rfc3339(now - 2 * 86_400)), 0, None, 86_400, "a day").unwrap_err();
        assert!(format!("{e:?}").contains("too long"));
        let (from, to) = range(None, now - 3599, None, 86_400, "a day").unwrap();
        assert_eq!(to - from, 3599);
        assert!(
            range(None, now - 500 * 86_400, None, 1000 * 86_400, "long").is_err(),
            "older than the retention"
        );
    }

    #[test]
    fn every_period_of_a_range_is_listed_once_in_order() {
        let from = parse_bound("from", "2026-11-29", false).unwrap();
        let to = parse_bound("to", "2026-12-01", true).unwrap();
        assert_eq!(
            periods(from, to, Granularity::Day),
            ["2026-11-29", "2026-11-30", "2026-12-01"]
        );
        let hours = periods(from, from + 2 * 3600 + 5, Granularity::Hour);
        assert_eq!(hours, ["2026-11-29T00", "2026-11-29T01", "2026-11-29T02"]);
        // A range starting mid-day still lists that day.
        assert_eq!(periods(from + 3600 * 13, to, Granularity::Day).len(), 3);
    }

    #[test]
    fn hours_are_summed_into_their_periods_and_empty_periods_stay() {
        let c = |n: i64| Counters::from([("api.auth.2xx".to_owned(), n)]);
        let hours = vec![
            ("2026-11-30T01".to_owned(), c(2)),
            ("2026-11-30T23".to_owned(), c(3)),
            ("2026-12-02T00".to_owned(), c(100)),
        ];
        let labels = vec!["2026-11-29".to_owned(), "2026-11-30".to_owned()];
        let grouped = group(&hours, &labels, Granularity::Day);
        assert_eq!(grouped.len(), 2);
        assert!(grouped[0].1.is_empty());
        assert_eq!(grouped[1].1["api.auth.2xx"], 5);
    }
}
