//! `/api/v1/bases`, `/api/v1/tables`, `/api/v1/records`: Airtable through the paced, cached
//! client, in our own JSON and problem+json. Any number of records per write (chunked by 10),
//! our own opaque cursors, `all=true` for every page, `Idempotency-Key` on writes.

use airtable_client::schema::{self, FieldSpec};
use airtable_client::{CacheKey, ListQuery, MAX_PAGE_SIZE, formula};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::auth::{Credential, Identity};
use platform::http::{ApiJson, ApiQuery};
use platform::ids::{BaseId, NameOrId, RecordId};
use platform::{ApiError, FieldError, idempotency};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{AppState, bypass_cache, cache_header};

/// Most records one request may write: 50 Airtable requests at 5/s take ~11 s, well inside the
/// function's 29 s even when other callers share the base. Larger imports belong to the files
/// pipeline (an import saga).
const MAX_RECORDS_PER_CALL: usize = 500;

fn base_id(raw: &str, errors: &mut Vec<FieldError>) -> Option<BaseId> {
    BaseId::parse(raw)
        .map_err(|m| errors.push(FieldError::new("baseId", m)))
        .ok()
}

fn table_ref(raw: &str, errors: &mut Vec<FieldError>) -> Option<NameOrId> {
    NameOrId::parse(raw, "tbl")
        .map_err(|m| errors.push(FieldError::new("table", m)))
        .ok()
}

fn done<T>(errors: Vec<FieldError>, value: Option<T>) -> Result<T, ApiError> {
    match value {
        Some(v) if errors.is_empty() => Ok(v),
        _ => Err(ApiError::Validation(errors)),
    }
}

// ---------- bases and tables ----------

/// `GET /api/v1/bases`.
#[utoipa::path(get, path = "/api/v1/bases", tag = "airtable", summary = "Bases the token can see", responses((status = 200, body = crate::schemas::BasesResponse), platform::openapi::Unauthorized, platform::openapi::Conflict, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn bases(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_identity, session) = state.airtable.for_caller(credential).await?;
    let (bases, cache) = session.cached_bases(bypass_cache(&headers)).await?;
    Ok((cache_header(cache), Json(json!({ "bases": bases }))).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct BaseQuery {
    #[param(value_type = platform::ids::BaseId, inline)]
    base_id: String,
}

/// `GET /api/v1/tables?baseId=` — tables with fields (types, options) and views.
#[utoipa::path(get, path = "/api/v1/tables", tag = "airtable", summary = "A base's schema", params(BaseQuery), responses((status = 200, body = crate::schemas::TablesResponse), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn tables(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<BaseQuery>,
) -> Result<Response, ApiError> {
    let base = BaseId::parse(&q.base_id).map_err(|m| ApiError::invalid("baseId", m))?;
    let (_identity, session) = state.airtable.for_caller(credential).await?;
    let (schema, cache) = session
        .cached_schema(base.as_str(), bypass_cache(&headers))
        .await?;
    Ok((cache_header(cache), Json(schema)).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTable {
    #[schema(value_type = platform::ids::BaseId, inline)]
    base_id: String,
    name: String,
    description: Option<String>,
    fields: Vec<FieldSpec>,
}

/// `POST /api/v1/tables {baseId, name, description?, fields}`.
#[utoipa::path(post, path = "/api/v1/tables", tag = "airtable", summary = "Create a table", request_body = CreateTable, responses((status = 201, body = crate::schemas::Table), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn create_table(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<CreateTable>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    identity.require_writer()?;
    let mut errors = Vec::new();
    let base = base_id(&req.base_id, &mut errors);
    let body = schema::table_definition(&req.name, req.description.as_deref(), &req.fields)
        .map_err(|e| errors.extend(e))
        .ok();
    let (base, body) = done(errors, base.zip(body))?;
    let session = state.airtable.for_tenant(&identity.tenant).await?;
    Ok((
        StatusCode::CREATED,
        Json(session.create_table(base.as_str(), &body).await?),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateField {
    #[schema(value_type = platform::ids::BaseId, inline)]
    base_id: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[schema(value_type = Option<Object>)]
    options: Option<serde_json::Map<String, Value>>,
    description: Option<String>,
}

/// `POST /api/v1/tables/{tableId}/fields {baseId, name, type, options?}`.
#[utoipa::path(post, path = "/api/v1/tables/{tableId}/fields", tag = "airtable", summary = "Create a field", request_body = CreateField, params(("tableId" = inline(platform::ids::TableRef), Path)), responses((status = 201, body = crate::schemas::Field), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn create_field(
    State(state): State<AppState>,
    identity: Identity,
    Path(table): Path<String>,
    ApiJson(req): ApiJson<CreateField>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    identity.require_writer()?;
    let mut errors = Vec::new();
    let base = base_id(&req.base_id, &mut errors);
    let table = table_ref(&table, &mut errors);
    let field = FieldSpec {
        name: req.name,
        kind: req.kind,
        options: req.options,
        description: req.description,
    };
    let body = field.definition("", &mut errors);
    let (base, table) = done(errors, base.zip(table))?;
    let session = state.airtable.for_tenant(&identity.tenant).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            session
                .create_field(base.as_str(), table.as_str(), &body)
                .await?,
        ),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateField {
    #[schema(value_type = platform::ids::BaseId, inline)]
    base_id: String,
    name: Option<String>,
    description: Option<String>,
}

/// `PATCH /api/v1/tables/{tableId}/fields/{fieldId} {baseId, name?, description?}`.
#[utoipa::path(patch, path = "/api/v1/tables/{tableId}/fields/{fieldId}", tag = "airtable", summary = "Rename or describe a field", request_body = UpdateField, params(("tableId" = inline(platform::ids::TableRef), Path), ("fieldId" = inline(platform::ids::NameOrId), Path)), responses((status = 200, body = crate::schemas::Field), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn update_field(
    State(state): State<AppState>,
    identity: Identity,
    Path((table, field)): Path<(String, String)>,
    ApiJson(req): ApiJson<UpdateField>,
) -> Result<Json<Value>, ApiError> {
    identity.require_writer()?;
    let mut errors = Vec::new();
    let base = base_id(&req.base_id, &mut errors);
    let table = table_ref(&table, &mut errors);
    let field = NameOrId::parse(&field, "fld")
        .map_err(|m| errors.push(FieldError::new("fieldId", m)))
        .ok();
    if req.name.is_none() && req.description.is_none() {
        errors.push(FieldError::new("name", "give a new name or description"));
    }
    let ((base, table), field) = done(errors, base.zip(table).zip(field))?;
    let mut body = json!({});
    if let Some(n) = req.name {
        body["name"] = json!(n.trim());
    }
    if let Some(d) = req.description {
        body["description"] = json!(d);
    }
    let session = state.airtable.for_tenant(&identity.tenant).await?;
    Ok(Json(
        session
            .update_field(base.as_str(), table.as_str(), field.as_str(), &body)
            .await?,
    ))
}

// ---------- records: reads ----------

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(value_type = platform::ids::BaseId, inline)]
    base_id: String,
    #[param(value_type = platform::ids::TableRef, inline)]
    table: String,
    filter_by_formula: Option<String>,
    /// `Name,-Age` or `Name:asc,Age:desc`.
    sort: Option<String>,
    /// Comma-separated field names.
    fields: Option<String>,
    view: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<usize>,
    /// At most this many records in all (any number a u32 holds).
    #[param(minimum = 0, maximum = 4294967295_u64)]
    max_records: Option<u32>,
    cursor: Option<String>,
    all: Option<bool>,
    /// Case-insensitive text search (escaped into the formula, never injected).
    search: Option<String>,
    /// Comma-separated fields to search (default: every text field of the table).
    search_fields: Option<String>,
}

fn parse_sort(raw: &str) -> Vec<(String, bool)> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if let Some(f) = s.strip_prefix('-') {
                (f.to_owned(), true)
            } else if let Some((f, d)) = s.rsplit_once(':') {
                (f.to_owned(), d.eq_ignore_ascii_case("desc"))
            } else {
                (s.to_owned(), false)
            }
        })
        .collect()
}

/// `GET /api/v1/records?baseId=&table=&…` — one page (`cursor` for the next) or `all=true`.
#[utoipa::path(get, path = "/api/v1/records", tag = "airtable", summary = "List records (a page with a cursor, or all=true)", params(ListParams), responses((status = 200, body = crate::schemas::RecordsPage), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn list_records(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let base = base_id(&p.base_id, &mut errors);
    let table = table_ref(&p.table, &mut errors);
    if p.page_size.is_some_and(|s| s == 0 || s > MAX_PAGE_SIZE) {
        errors.push(FieldError::new("pageSize", "must be between 1 and 100"));
    }
    let offset = match p.cursor.as_deref() {
        Some(c) => match schema::decode_cursor(c) {
            Some(o) => Some(o),
            None => {
                errors.push(FieldError::new(
                    "cursor",
                    "is not a cursor this API returned",
                ));
                None
            }
        },
        None => None,
    };
    let (base, table) = done(errors, base.zip(table))?;
    let search_text = p.search.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let mut query = ListQuery {
        filter_by_formula: p.filter_by_formula.filter(|f| !f.trim().is_empty()),
        sort: p.sort.as_deref().map(parse_sort).unwrap_or_default(),
        fields: p
            .fields
            .as_deref()
            .map(|f| {
                f.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        view: p.view,
        page_size: p.page_size,
        max_records: p.max_records.map(|m| m as usize),
        ..Default::default()
    };
    let bypass = bypass_cache(&headers);
    let all = p.all.unwrap_or(false);
    // The page asked for is known before the caller is confirmed (unless a search needs the
    // schema first): its cache entry is read in the same round trip.
    let ahead = (!bypass && search_text.is_none()).then(|| {
        if all {
            CacheKey::All {
                base: base.as_str(),
                table: table.as_str(),
                query: &query,
            }
        } else {
            CacheKey::Page {
                base: base.as_str(),
                table: table.as_str(),
                query: &query,
                offset: offset.as_deref(),
            }
        }
    });
    let (_identity, session) = state.airtable.for_caller_reading(credential, ahead).await?;
    if let Some(q) = search_text {
        let fields: Vec<String> = match p.search_fields.as_deref() {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => {
                schema::text_fields(&session.table_schema(base.as_str(), table.as_str()).await?)
            }
        };
        query.filter_by_formula = formula::and(
            query.filter_by_formula.take(),
            Some(formula::search(q, &fields)),
        );
    }
    if all {
        let (records, cache) = session
            .cached_all(base.as_str(), table.as_str(), &query, bypass)
            .await?;
        return Ok((
            cache_header(cache),
            Json(AllRecords {
                total: records.len(),
                records: &records,
            }),
        )
            .into_response());
    }
    // The records go out as the cache holds them: a hit is never parsed into values.
    let (page, cache) = session
        .cached_page_text(
            base.as_str(),
            table.as_str(),
            &query,
            offset.as_deref(),
            bypass,
        )
        .await?;
    Ok((
        cache_header(cache),
        Json(RecordsPage {
            records: &page.records,
            cursor: page.offset.as_deref().map(schema::encode_cursor),
        }),
    )
        .into_response())
}

/// A page of `GET /api/v1/records` (serialized from borrowed parts, nothing copied).
#[derive(Serialize)]
struct RecordsPage<'a> {
    records: &'a serde_json::value::RawValue,
    cursor: Option<String>,
}

/// Every record of `GET /api/v1/records?all=true`.
#[derive(Serialize)]
struct AllRecords<'a> {
    records: &'a [Value],
    total: usize,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct RecordParams {
    #[param(value_type = platform::ids::BaseId, inline)]
    base_id: String,
    #[param(value_type = platform::ids::TableRef, inline)]
    table: String,
}

fn record_target(p: &RecordParams, record: &str) -> Result<(BaseId, NameOrId, RecordId), ApiError> {
    let mut errors = Vec::new();
    let base = base_id(&p.base_id, &mut errors);
    let table = table_ref(&p.table, &mut errors);
    let rec = RecordId::parse(record)
        .map_err(|m| errors.push(FieldError::new("recordId", m)))
        .ok();
    let ((b, t), r) = done(errors, base.zip(table).zip(rec))?;
    Ok((b, t, r))
}

/// `GET /api/v1/records/{recordId}?baseId=&table=`.
#[utoipa::path(get, path = "/api/v1/records/{recordId}", tag = "airtable", summary = "One record", params(("recordId" = inline(platform::ids::RecordId), Path), RecordParams), responses((status = 200, body = crate::schemas::AirtableRecord), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::NotFound, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn get_record(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(record): Path<String>,
    ApiQuery(p): ApiQuery<RecordParams>,
) -> Result<Response, ApiError> {
    let (base, table, rec) = record_target(&p, &record)?;
    let (_identity, session) = state.airtable.for_caller(credential).await?;
    let (v, cache) = session
        .cached_record(
            base.as_str(),
            table.as_str(),
            rec.as_str(),
            bypass_cache(&headers),
        )
        .await?;
    Ok((cache_header(cache), Json(v)).into_response())
}

// ---------- records: writes ----------

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Upsert {
    #[schema(min_items = 1, max_items = 3)]
    fields_to_merge_on: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRecords {
    #[schema(value_type = platform::ids::BaseId, inline)]
    base_id: String,
    #[schema(value_type = platform::ids::TableRef, inline)]
    table: String,
    #[schema(value_type = Vec<crate::schemas::NewRecord>, min_items = 1, max_items = 500)]
    records: Vec<Value>,
    #[serde(default)]
    typecast: bool,
    upsert: Option<Upsert>,
}

fn check_count(n: usize, errors: &mut Vec<FieldError>) {
    if n == 0 || n > MAX_RECORDS_PER_CALL {
        errors.push(FieldError::new(
            "records",
            format!("must hold 1 to {MAX_RECORDS_PER_CALL} records"),
        ));
    }
}

/// `POST /api/v1/records {baseId, table, records: [{fields}], typecast?, upsert?}` → 201 with
/// every created record (200 with `createdRecords`/`updatedRecords` for an upsert).
#[utoipa::path(post, path = "/api/v1/records", tag = "airtable", summary = "Create (or upsert) any number of records", request_body = CreateRecords, responses((status = 201, body = crate::schemas::RecordsWritten), (status = 200, description = "an upsert: createdRecords, updatedRecords and records", body = crate::schemas::RecordsWritten), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn create_records(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let req: CreateRecords = platform::http::parse_json(&body)?;
    let mut errors = Vec::new();
    let base = base_id(&req.base_id, &mut errors);
    let table = table_ref(&req.table, &mut errors);
    check_count(req.records.len(), &mut errors);
    let mut fields = Vec::with_capacity(req.records.len());
    for (i, r) in req.records.iter().enumerate() {
        match r.get("fields").filter(|f| f.is_object()) {
            Some(f) => fields.push(f.clone()),
            None => errors.push(FieldError::new(
                format!("records[{i}].fields"),
                "must be an object of field name → value",
            )),
        }
    }
    if let Some(u) = &req.upsert
        && (u.fields_to_merge_on.is_empty() || u.fields_to_merge_on.len() > 3)
    {
        errors.push(FieldError::new(
            "upsert.fieldsToMergeOn",
            "must name 1 to 3 fields",
        ));
    }
    let (base, table) = done(errors, base.zip(table))?;
    let fingerprint = idempotency::fingerprint(&["POST /records", &String::from_utf8_lossy(&body)]);
    idempotency::run(&state.store, &identity, &headers, fingerprint, || async {
        let session = state.airtable.for_tenant(&identity.tenant).await?;
        match &req.upsert {
            Some(u) => {
                let out = session.upsert_records(base.as_str(), table.as_str(), fields, &u.fields_to_merge_on, req.typecast).await?;
                Ok((StatusCode::OK, json!({"records": out.records, "createdRecords": out.created, "updatedRecords": out.updated})))
            }
            None => {
                let records = session.create_records(base.as_str(), table.as_str(), fields, req.typecast).await?;
                Ok((StatusCode::CREATED, json!({ "records": records })))
            }
        }
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateRecords {
    #[schema(value_type = platform::ids::BaseId, inline)]
    base_id: String,
    #[schema(value_type = platform::ids::TableRef, inline)]
    table: String,
    #[schema(value_type = Vec<crate::schemas::RecordChange>, min_items = 1, max_items = 500)]
    records: Vec<Value>,
    #[serde(default)]
    typecast: bool,
}

async fn update_many(
    state: AppState,
    identity: Identity,
    headers: HeaderMap,
    body: axum::body::Bytes,
    replace: bool,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let req: UpdateRecords = platform::http::parse_json(&body)?;
    let mut errors = Vec::new();
    let base = base_id(&req.base_id, &mut errors);
    let table = table_ref(&req.table, &mut errors);
    check_count(req.records.len(), &mut errors);
    let mut records = Vec::with_capacity(req.records.len());
    for (i, r) in req.records.iter().enumerate() {
        let id = r
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| RecordId::parse(id).ok());
        let fields = r.get("fields").filter(|f| f.is_object());
        match (id, fields) {
            (Some(id), Some(f)) => records.push(json!({"id": id.as_str(), "fields": f})),
            _ => errors.push(FieldError::new(
                format!("records[{i}]"),
                "needs an id (rec…) and a fields object",
            )),
        }
    }
    let (base, table) = done(errors, base.zip(table))?;
    let fingerprint = idempotency::fingerprint(&[
        if replace {
            "PUT /records"
        } else {
            "PATCH /records"
        },
        &String::from_utf8_lossy(&body),
    ]);
    idempotency::run(&state.store, &identity, &headers, fingerprint, || async {
        let session = state.airtable.for_tenant(&identity.tenant).await?;
        let out = session
            .update_records(
                base.as_str(),
                table.as_str(),
                records,
                replace,
                req.typecast,
            )
            .await?;
        Ok((StatusCode::OK, json!({ "records": out })))
    })
    .await
}

/// `PATCH /api/v1/records {baseId, table, records: [{id, fields}]}` — merges.
#[utoipa::path(patch, path = "/api/v1/records", tag = "airtable", summary = "Update records (merge)", request_body = UpdateRecords, responses((status = 200, body = crate::schemas::RecordsWritten), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn update_records(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    update_many(state, identity, headers, body, false).await
}

/// `PUT /api/v1/records {…}` — replaces (unspecified fields are cleared).
#[utoipa::path(put, path = "/api/v1/records", tag = "airtable", summary = "Replace records (unspecified fields cleared)", request_body = UpdateRecords, responses((status = 200, body = crate::schemas::RecordsWritten), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn replace_records(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    update_many(state, identity, headers, body, true).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateOne {
    #[schema(value_type = platform::ids::BaseId, inline)]
    base_id: String,
    #[schema(value_type = platform::ids::TableRef, inline)]
    table: String,
    /// Cell values by field name (or id).
    #[schema(value_type = Object)]
    fields: Value,
    #[serde(default)]
    typecast: bool,
}

/// `PATCH /api/v1/records/{recordId} {baseId, table, fields}`.
#[utoipa::path(patch, path = "/api/v1/records/{recordId}", tag = "airtable", summary = "Update one record", request_body = UpdateOne, params(("recordId" = inline(platform::ids::RecordId), Path)), responses((status = 200, body = crate::schemas::AirtableRecord), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::NotFound, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn update_record(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    Path(record): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let req: UpdateOne = platform::http::parse_json(&body)?;
    let (base, table, rec) = record_target(
        &RecordParams {
            base_id: req.base_id.clone(),
            table: req.table.clone(),
        },
        &record,
    )?;
    if !req.fields.is_object() {
        return Err(ApiError::invalid(
            "fields",
            "must be an object of field name → value",
        ));
    }
    let fingerprint = idempotency::fingerprint(&[
        "PATCH /records/{id}",
        &record,
        &String::from_utf8_lossy(&body),
    ]);
    idempotency::run(&state.store, &identity, &headers, fingerprint, || async {
        let session = state.airtable.for_tenant(&identity.tenant).await?;
        let out = session
            .update_records(
                base.as_str(),
                table.as_str(),
                vec![json!({"id": rec.as_str(), "fields": req.fields})],
                false,
                req.typecast,
            )
            .await?;
        Ok((
            StatusCode::OK,
            out.into_iter().next().unwrap_or(Value::Null),
        ))
    })
    .await
}

/// `DELETE /api/v1/records/{recordId}?baseId=&table=`.
#[utoipa::path(delete, path = "/api/v1/records/{recordId}", tag = "airtable", summary = "Delete one record", params(("recordId" = inline(platform::ids::RecordId), Path), RecordParams), responses((status = 200, body = crate::schemas::RecordDeleted), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::NotFound, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn delete_record(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    Path(record): Path<String>,
    ApiQuery(p): ApiQuery<RecordParams>,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let (base, table, rec) = record_target(&p, &record)?;
    idempotency::run(
        &state.store,
        &identity,
        &headers,
        idempotency::fingerprint(&[
            "DELETE /records/{id}",
            base.as_str(),
            table.as_str(),
            rec.as_str(),
        ]),
        || async {
            let session = state.airtable.for_tenant(&identity.tenant).await?;
            session
                .delete_records(base.as_str(), table.as_str(), vec![rec.as_str().to_owned()])
                .await?;
            Ok((StatusCode::OK, json!({"id": rec.as_str(), "deleted": true})))
        },
    )
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    #[param(value_type = platform::ids::BaseId, inline)]
    base_id: String,
    #[param(value_type = platform::ids::TableRef, inline)]
    table: String,
    /// Comma-separated record ids (1 to 500).
    #[param(
        pattern = "^(?:[\\t\\n\\u000B\\f\\r ]*,)*[\\t\\n\\u000B\\f\\r ]*rec[A-Za-z0-9]{14}[\\t\\n\\u000B\\f\\r ]*(?:,[\\t\\n\\u000B\\f\\r ]*(?:rec[A-Za-z0-9]{14}[\\t\\n\\u000B\\f\\r ]*)?){0,499}$"
    )]
    ids: String,
}

/// `DELETE /api/v1/records?baseId=&table=&ids=rec1,rec2,…` — any number.
#[utoipa::path(delete, path = "/api/v1/records", tag = "airtable", summary = "Delete any number of records", params(DeleteParams), responses((status = 200, body = crate::schemas::RecordsDeleted), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::Conflict, platform::openapi::Invalid, platform::openapi::BadGateway, platform::openapi::Unavailable), security(("bearer" = [])))]
pub async fn delete_records(
    State(state): State<AppState>,
    identity: Identity,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<DeleteParams>,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let mut errors = Vec::new();
    let base = base_id(&p.base_id, &mut errors);
    let table = table_ref(&p.table, &mut errors);
    let mut ids = Vec::new();
    for raw in p.ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match RecordId::parse(raw) {
            Ok(id) => ids.push(id.as_str().to_owned()),
            Err(m) => errors.push(FieldError::new("ids", format!("{raw}: {m}"))),
        }
    }
    check_count(ids.len(), &mut errors);
    let (base, table) = done(errors, base.zip(table))?;
    idempotency::run(
        &state.store,
        &identity,
        &headers,
        idempotency::fingerprint(&[
            "DELETE /records",
            base.as_str(),
            table.as_str(),
            &ids.join(","),
        ]),
        || async {
            let session = state.airtable.for_tenant(&identity.tenant).await?;
            let deleted = session
                .delete_records(base.as_str(), table.as_str(), ids)
                .await?;
            Ok((StatusCode::OK, json!({ "deleted": deleted })))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_accepts_minus_and_colon_forms() {
        assert_eq!(
            parse_sort("Name,-Age, Score:desc,Due:asc"),
            vec![
                ("Name".into(), false),
                ("Age".into(), true),
                ("Score".into(), true),
                ("Due".into(), false)
            ]
        );
    }
}
