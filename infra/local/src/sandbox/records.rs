//! Record endpoints of the sandbox: list (GET and POST `listRecords`), get, create, update
//! (PATCH merges, PUT replaces), upsert, delete. Batches are all-or-nothing and ≤ 10 records.

use std::cmp::Ordering;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::formula::{self, Val};
use super::model::{self, Record, Table};
use super::{Iterator, Sandbox, World, error, json_body, not_permitted};

/// Airtable's batch limit for writes and deletes.
const MAX_BATCH: usize = 10;
/// Airtable's largest page.
const MAX_PAGE: usize = 100;

fn unprocessable(kind: &str, message: &str) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, kind, message)
}

#[derive(Debug, Default)]
struct ListParams {
    page_size: Option<usize>,
    offset: Option<String>,
    max_records: Option<usize>,
    view: Option<String>,
    formula: Option<String>,
    fields: Option<Vec<String>>,
    sort: Vec<(String, bool)>,
    by_id: bool,
    as_string: bool,
}

fn truthy(s: &str) -> bool {
    matches!(s, "true" | "1")
}

impl ListParams {
    fn from_query(q: &str) -> Result<Self, Response> {
        let mut p = Self::default();
        let mut sort: Vec<(usize, String, Option<String>)> = Vec::new();
        let bad = |m: &str| unprocessable("INVALID_REQUEST_UNKNOWN", m);
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            let (k, v) = (k.into_owned(), v.into_owned());
            match k.as_str() {
                "pageSize" => p.page_size = Some(v.parse().map_err(|_| bad("Invalid pageSize"))?),
                "offset" => p.offset = Some(v),
                "maxRecords" => {
                    p.max_records = Some(v.parse().map_err(|_| bad("Invalid maxRecords"))?)
                }
                "view" => p.view = Some(v),
                "filterByFormula" => p.formula = Some(v),
                "returnFieldsByFieldId" => p.by_id = truthy(&v),
                "cellFormat" => p.as_string = v == "string",
                "fields[]" | "fields" => p.fields.get_or_insert_with(Vec::new).push(v),
                key if key.starts_with("sort[") => {
                    let inner = &key[5..];
                    let (idx, rest) = inner.split_once(']').ok_or_else(|| bad("Invalid sort"))?;
                    let idx: usize = idx.parse().map_err(|_| bad("Invalid sort"))?;
                    let slot = match sort.iter().position(|s| s.0 == idx) {
                        Some(i) => i,
                        None => {
                            sort.push((idx, String::new(), None));
                            sort.len() - 1
                        }
                    };
                    match rest {
                        "[field]" => sort[slot].1 = v,
                        "[direction]" => sort[slot].2 = Some(v),
                        _ => return Err(bad("Invalid sort")),
                    }
                }
                _ => {}
            }
        }
        sort.sort_by_key(|s| s.0);
        p.sort = sort
            .into_iter()
            .map(|(_, f, d)| (f, d.as_deref() == Some("desc")))
            .collect();
        Ok(p)
    }

    fn from_body(v: &Value) -> Self {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let n = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| n as usize);
        Self {
            page_size: n("pageSize"),
            offset: s("offset"),
            max_records: n("maxRecords"),
            view: s("view"),
            formula: s("filterByFormula"),
            fields: v.get("fields").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(str::to_owned))
                    .collect()
            }),
            sort: v
                .get("sort")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| {
                            Some((
                                s.get("field")?.as_str()?.to_owned(),
                                s.get("direction").and_then(Value::as_str) == Some("desc"),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            by_id: v
                .get("returnFieldsByFieldId")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            as_string: s("cellFormat").as_deref() == Some("string"),
        }
    }
}

fn cmp_val(a: &Val, b: &Val) -> Ordering {
    match (a, b) {
        (Val::Blank, Val::Blank) => Ordering::Equal,
        (Val::Blank, _) => Ordering::Less,
        (_, Val::Blank) => Ordering::Greater,
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(y),
        (Val::Text(x), Val::Text(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Val::Num(_), _) => Ordering::Less,
        (_, Val::Num(_)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

fn list(w: &mut World, base: &str, table_key: &str, p: ListParams) -> Response {
    let ttl = w.config.offset_ttl;
    let page_size = p.page_size.unwrap_or(MAX_PAGE);
    if page_size == 0 || page_size > MAX_PAGE {
        return unprocessable("INVALID_PAGE_SIZE", "pageSize must be between 1 and 100");
    }
    let Some(table) = w.base(base).and_then(|b| b.table(table_key)) else {
        return not_permitted();
    };
    let projection = match &p.fields {
        Some(names) => {
            let mut ids = Vec::new();
            for n in names {
                match table.field(n) {
                    Some(f) => ids.push(f.id.clone()),
                    None => {
                        return unprocessable(
                            "UNKNOWN_FIELD_NAME",
                            &format!("Unknown field name: \"{n}\""),
                        );
                    }
                }
            }
            Some(ids)
        }
        None => None,
    };
    if let Some(v) = &p.view
        && !table.views.iter().any(|x| &x.id == v || &x.name == v)
    {
        return unprocessable(
            "VIEW_NAME_NOT_FOUND",
            &format!("Could not find view \"{v}\""),
        );
    }
    let (ids, pos) = match &p.offset {
        Some(off) => match w.iterators.get(off) {
            Some(it) if it.base == base && it.table == table.id && it.created.elapsed() < ttl => {
                (it.ids.clone(), it.pos)
            }
            _ => {
                return unprocessable(
                    "LIST_RECORDS_ITERATOR_NOT_AVAILABLE",
                    "The offset is invalid or has expired; start the listing again",
                );
            }
        },
        None => {
            let filter = match p.formula.as_deref().filter(|f| !f.trim().is_empty()) {
                Some(src) => match formula::parse(src) {
                    Ok(e) => {
                        let mut names = Vec::new();
                        e.fields(&mut names);
                        let unknown: Vec<String> = names
                            .into_iter()
                            .filter(|n| table.field(n).is_none())
                            .collect();
                        if !unknown.is_empty() {
                            return unprocessable(
                                "INVALID_FILTER_BY_FORMULA",
                                &format!(
                                    "The formula for filtering records is invalid: Unknown field names: {}",
                                    unknown.join(", ")
                                ),
                            );
                        }
                        Some(e)
                    }
                    Err(e) => {
                        return unprocessable(
                            "INVALID_FILTER_BY_FORMULA",
                            &format!("The formula for filtering records is invalid: {e}"),
                        );
                    }
                },
                None => None,
            };
            let mut rows: Vec<&Record> = table
                .records
                .iter()
                .filter(|r| {
                    filter.as_ref().is_none_or(|e| {
                        let get = |name: &str| {
                            table
                                .field(name)
                                .map(|f| table.val(r, f))
                                .unwrap_or(Val::Blank)
                        };
                        e.eval(
                            &get,
                            &formula::Row {
                                id: &r.id,
                                created_time: &r.created_time,
                            },
                        )
                        .truthy()
                    })
                })
                .collect();
            for (name, _) in &p.sort {
                if table.field(name).is_none() {
                    return unprocessable(
                        "UNKNOWN_FIELD_NAME",
                        &format!("Unknown field name: \"{name}\""),
                    );
                }
            }
            rows.sort_by(|a, b| {
                for (name, desc) in &p.sort {
                    let f = table.field(name).expect("checked above");
                    let o = cmp_val(&table.val(a, f), &table.val(b, f));
                    let o = if *desc { o.reverse() } else { o };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            });
            let mut ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            if let Some(max) = p.max_records {
                ids.truncate(max);
            }
            (ids, 0)
        }
    };
    let end = (pos + page_size).min(ids.len());
    let records: Vec<Value> = ids[pos.min(end)..end]
        .iter()
        .filter_map(|id| table.record(id))
        .map(|r| table.record_json(r, p.by_id, projection.as_deref(), p.as_string))
        .collect();
    let table_id = table.id.clone();
    let mut body = json!({ "records": records });
    if end < ids.len() {
        let next = format!("{}/{}", model::new_id("itr"), ids[end]);
        w.iterators.insert(
            next.clone(),
            Iterator {
                base: base.to_owned(),
                table: table_id,
                ids,
                pos: end,
                created: Instant::now(),
            },
        );
        body["offset"] = json!(next);
    }
    w.iterators.retain(|_, it| it.created.elapsed() < ttl);
    Json(body).into_response()
}

/// Airtable refuses URLs past 16k characters; clients must use `POST …/listRecords` instead.
const MAX_URL_LEN: usize = 16_000;

pub async fn list_get(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    if q.as_ref()
        .is_some_and(|q| q.len() + base.len() + table.len() + 8 > MAX_URL_LEN)
    {
        return error(
            StatusCode::URI_TOO_LONG,
            "URL_TOO_LONG",
            "The URL is too long; use POST /listRecords for long queries",
        );
    }
    match ListParams::from_query(q.as_deref().unwrap_or("")) {
        Ok(p) => list(&mut sb.lock(), &base, &table, p),
        Err(r) => r,
    }
}

pub async fn list_post(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    match json_body(&body) {
        Ok(v) => list(&mut sb.lock(), &base, &table, ListParams::from_body(&v)),
        Err(r) => r,
    }
}

pub async fn get_one(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table, record)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    let p = match ListParams::from_query(q.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let w = sb.lock();
    let Some(t) = w.base(&base).and_then(|b| b.table(&table)) else {
        return not_permitted();
    };
    match t.record(&record) {
        Some(r) => Json(t.record_json(r, p.by_id, None, p.as_string)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "MODEL_ID_NOT_FOUND",
            &format!("Could not find record {record}"),
        ),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Create,
    Merge,
    Replace,
}

/// Coerces a `{name or id: value}` map against `fields` (which typecast may extend).
fn cells_for(
    fields: &mut [model::Field],
    input: &Value,
    typecast: bool,
) -> Result<Vec<(String, Option<Value>)>, Response> {
    let Some(map) = input.as_object() else {
        return Err(unprocessable(
            "INVALID_REQUEST_UNKNOWN",
            "fields must be an object",
        ));
    };
    let mut out = Vec::new();
    for (k, v) in map {
        let idx = fields
            .iter()
            .position(|f| &f.name == k || &f.id == k)
            .or_else(|| fields.iter().position(|f| f.name.eq_ignore_ascii_case(k)));
        let Some(idx) = idx else {
            return Err(unprocessable(
                "UNKNOWN_FIELD_NAME",
                &format!("Unknown field name: \"{k}\""),
            ));
        };
        let coerced = model::coerce(&mut fields[idx], v, typecast)
            .map_err(|(kind, msg)| unprocessable(kind, &msg))?;
        out.push((fields[idx].id.clone(), coerced));
    }
    Ok(out)
}

fn apply(
    record: &mut Record,
    cells: Vec<(String, Option<Value>)>,
    replace: bool,
    fields: &[model::Field],
) {
    if replace {
        // PUT clears every writable field that was not given.
        record.cells.retain(|id, _| {
            fields
                .iter()
                .any(|f| &f.id == id && model::COMPUTED.contains(&f.kind.as_str()))
        });
    }
    for (id, v) in cells {
        match v {
            Some(v) => {
                record.cells.insert(id, v);
            }
            None => {
                record.cells.remove(&id);
            }
        }
    }
    record.modified_time = platform::time::now_rfc3339();
}

async fn write(
    sb: Sandbox,
    headers: HeaderMap,
    base: String,
    table: String,
    body: Bytes,
    mode: Mode,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    if let Some(r) = sb.injected_failure(
        &base,
        if mode == Mode::Create {
            "create"
        } else {
            "update"
        },
    ) {
        return r;
    }
    let body = match json_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut w = sb.lock();
    let Some(t) = w.base_mut(&base).and_then(|b| b.table_mut(&table)) else {
        return not_permitted();
    };
    let typecast = body
        .get("typecast")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let by_id = body
        .get("returnFieldsByFieldId")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let single =
        body.get("records").is_none() && body.get("fields").is_some() && mode == Mode::Create;
    let inputs: Vec<Value> = if single {
        vec![body.clone()]
    } else {
        body.get("records")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    if inputs.is_empty() || inputs.len() > MAX_BATCH {
        return unprocessable(
            "INVALID_RECORDS",
            "A request must contain between 1 and 10 records",
        );
    }
    let upsert = body.get("performUpsert").filter(|_| mode != Mode::Create);
    match stage(t, &inputs, mode, typecast, upsert) {
        Ok((records, created, updated)) => {
            let out: Vec<Value> = records
                .iter()
                .filter_map(|id| t.record(id))
                .map(|r| t.record_json(r, by_id, None, false))
                .collect();
            if single {
                return Json(out.into_iter().next().unwrap_or(Value::Null)).into_response();
            }
            let mut resp = json!({ "records": out });
            if upsert.is_some() {
                resp["createdRecords"] = json!(created);
                resp["updatedRecords"] = json!(updated);
            }
            Json(resp).into_response()
        }
        Err(r) => r,
    }
}

type Staged = (Vec<String>, Vec<String>, Vec<String>);

/// Validates every record first, then applies all of them: a batch is all-or-nothing.
fn stage(
    t: &mut Table,
    inputs: &[Value],
    mode: Mode,
    typecast: bool,
    upsert: Option<&Value>,
) -> Result<Staged, Response> {
    let mut fields = t.fields.clone();
    let merge_on: Option<Vec<String>> = match upsert {
        Some(u) => {
            let names: Vec<String> = u
                .get("fieldsToMergeOn")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if names.is_empty() || names.len() > 3 {
                return Err(unprocessable(
                    "INVALID_REQUEST_UNKNOWN",
                    "performUpsert.fieldsToMergeOn must name 1 to 3 fields",
                ));
            }
            let mut ids = Vec::new();
            for n in &names {
                match t.field(n) {
                    Some(f) => ids.push(f.id.clone()),
                    None => {
                        return Err(unprocessable(
                            "UNKNOWN_FIELD_NAME",
                            &format!("Unknown field name: \"{n}\""),
                        ));
                    }
                }
            }
            Some(ids)
        }
        None => None,
    };
    let mut work: Vec<Record> = t.records.clone();
    let (mut order, mut created, mut updated) = (Vec::new(), Vec::new(), Vec::new());
    let now = platform::time::now_rfc3339();
    let mut next_seq = t.next_seq;
    for input in inputs {
        let cells = cells_for(
            &mut fields,
            input.get("fields").unwrap_or(&Value::Null),
            typecast,
        )?;
        let id = input.get("id").and_then(Value::as_str);
        let target: Option<usize> = match (mode, id, &merge_on) {
            (Mode::Create, _, _) => None,
            (_, Some(id), _) => Some(work.iter().position(|r| r.id == id).ok_or_else(|| {
                unprocessable(
                    "ROW_DOES_NOT_EXIST",
                    &format!("Record ID {id} does not exist in this table"),
                )
            })?),
            (_, None, Some(keys)) => {
                let wanted: Vec<Option<&Value>> = keys
                    .iter()
                    .map(|k| {
                        cells
                            .iter()
                            .find(|(id, _)| id == k)
                            .and_then(|(_, v)| v.as_ref())
                    })
                    .collect();
                let matches: Vec<usize> = work
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| keys.iter().zip(&wanted).all(|(k, v)| r.cells.get(k) == *v))
                    .map(|(i, _)| i)
                    .collect();
                if matches.len() > 1 {
                    return Err(unprocessable(
                        "INVALID_RECORDS",
                        "More than one record matches the fieldsToMergeOn values",
                    ));
                }
                matches.first().copied()
            }
            (_, None, None) => {
                return Err(unprocessable(
                    "INVALID_RECORDS",
                    "Each record to update needs an id",
                ));
            }
        };
        match target {
            Some(i) => {
                apply(&mut work[i], cells, mode == Mode::Replace, &fields);
                if !updated.contains(&work[i].id) && !created.contains(&work[i].id) {
                    updated.push(work[i].id.clone());
                }
                order.push(work[i].id.clone());
            }
            None => {
                let mut r = Record {
                    id: model::new_id("rec"),
                    created_time: now.clone(),
                    modified_time: now.clone(),
                    seq: next_seq,
                    cells: Default::default(),
                };
                next_seq += 1;
                apply(&mut r, cells, false, &fields);
                created.push(r.id.clone());
                order.push(r.id.clone());
                work.push(r);
            }
        }
    }
    t.fields = fields;
    t.records = work;
    t.next_seq = next_seq;
    Ok((order, created, updated))
}

pub async fn create(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    write(sb, headers, base, table, body, Mode::Create).await
}

pub async fn update_many(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    write(sb, headers, base, table, body, Mode::Merge).await
}

pub async fn replace_many(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    write(sb, headers, base, table, body, Mode::Replace).await
}

async fn write_one(
    sb: Sandbox,
    headers: HeaderMap,
    base: String,
    table: String,
    record: String,
    body: Bytes,
    mode: Mode,
) -> Response {
    let mut v = match json_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    v["records"] = json!([{"id": record, "fields": v.get("fields").cloned().unwrap_or(json!({}))}]);
    let resp = write(sb, headers, base, table, Bytes::from(v.to_string()), mode).await;
    // A single-record write answers with the record itself.
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let parsed: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Json(parsed["records"][0].clone()).into_response()
}

pub async fn update_one(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table, record)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    write_one(sb, headers, base, table, record, body, Mode::Merge).await
}

pub async fn replace_one(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table, record)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    write_one(sb, headers, base, table, record, body, Mode::Replace).await
}

fn delete(sb: &Sandbox, base: &str, table: &str, ids: &[String]) -> Result<Vec<Value>, Response> {
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(unprocessable(
            "INVALID_RECORDS",
            "A request must delete between 1 and 10 records",
        ));
    }
    let mut w = sb.lock();
    let Some(t) = w.base_mut(base).and_then(|b| b.table_mut(table)) else {
        return Err(not_permitted());
    };
    if let Some(missing) = ids.iter().find(|id| t.record(id).is_none()) {
        return Err(error(
            StatusCode::NOT_FOUND,
            "MODEL_ID_NOT_FOUND",
            &format!("Could not find record {missing}"),
        ));
    }
    t.records.retain(|r| !ids.contains(&r.id));
    Ok(ids
        .iter()
        .map(|id| json!({"id": id, "deleted": true}))
        .collect())
}

pub async fn delete_many(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    if let Some(r) = sb.injected_failure(&base, "delete") {
        return r;
    }
    let ids: Vec<String> = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "records[]" || k == "records")
        .map(|(_, v)| v.into_owned())
        .collect();
    match delete(&sb, &base, &table, &ids) {
        Ok(records) => Json(json!({ "records": records })).into_response(),
        Err(r) => r,
    }
}

pub async fn delete_one(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path((base, table, record)): Path<(String, String, String)>,
) -> Response {
    if let Err(r) = sb.gate(&headers, Some(&base)) {
        return r;
    }
    if let Some(r) = sb.injected_failure(&base, "delete") {
        return r;
    }
    match delete(&sb, &base, &table, std::slice::from_ref(&record)) {
        Ok(mut records) => Json(records.remove(0)).into_response(),
        Err(r) => r,
    }
}
