//! The steps of each saga type and their compensations. A step records what it changed before
//! moving on (per chunk of 10 records), so its compensation undoes exactly that, and a redelivered
//! message resumes after the last recorded chunk.

use airtable_client::{ListQuery, MAX_BATCH, MAX_PAGE_SIZE, formula, schema};
use files_core::{FileRecord, FileStatus};
use platform::ids::FileId;
use platform::store::keys;
use serde_json::{Map, Value, json};
use tools::sync;

use crate::{Ctx, StepError, Transient};

/// Most records a bulk update may touch (its snapshot is kept on one item).
const MAX_BULK: usize = 1000;
/// Largest snapshot or plan a step keeps on its item (DynamoDB items hold 400 KB).
const MAX_RECORD_BYTES: usize = 300_000;
/// Chunks between two looks at the cancel flag.
const CANCEL_EVERY: usize = 5;

fn input_str<'a>(ctx: &'a Ctx<'_>, name: &str) -> Result<&'a str, StepError> {
    ctx.saga.input[name]
        .as_str()
        .ok_or_else(|| StepError::Failed(format!("the input has no {name}")))
}

fn ids_of(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

/// Runs a step; returns its result.
pub async fn run(ctx: &Ctx<'_>, step: &str) -> Result<Value, StepError> {
    match (ctx.saga.kind.as_str(), step) {
        ("import_file", "prepare") => import_prepare(ctx).await,
        ("import_file", "write_rows") => import_write(ctx).await,
        ("bulk_update", "snapshot") => bulk_snapshot(ctx).await,
        ("bulk_update", "update") => bulk_update(ctx).await,
        ("sync_tables", "plan") => sync_plan(ctx).await,
        ("sync_tables", "apply") => sync_apply(ctx).await,
        (kind, step) => Err(StepError::Failed(format!("{kind} has no step {step}"))),
    }
}

/// Undoes a step; returns what was undone (empty: nothing had been done).
pub async fn undo(ctx: &Ctx<'_>, step: &str) -> Result<String, StepError> {
    match (ctx.saga.kind.as_str(), step) {
        (kind, step) if !writes(kind, step) => Ok(String::new()),
        ("import_file", "prepare") => import_unprepare(ctx).await,
        ("import_file", "write_rows") | ("sync_tables", "apply") => {
            delete_created_then_restore(ctx).await
        }
        ("bulk_update", "update") => bulk_restore(ctx).await,
        (kind, step) => Err(StepError::Failed(format!("{kind} has no step {step}"))),
    }
}

/// Whether a step changes anything in Airtable (so its compensation may have something to
/// undo): `snapshot` and `plan` only read.
pub fn writes(kind: &str, step: &str) -> bool {
    !matches!(
        (kind, step),
        ("bulk_update", "snapshot") | ("sync_tables", "plan")
    )
}

// ---------- import_file ----------

async fn file_of(ctx: &Ctx<'_>) -> Result<FileRecord, StepError> {
    let id =
        FileId::parse(input_str(ctx, "fileId")?).map_err(|e| StepError::Failed(e.to_string()))?;
    let f: Option<FileRecord> = ctx.worker.store.get(&keys::file(ctx.tenant, &id)).await?;
    let f = f.ok_or_else(|| StepError::Failed("the file no longer exists".into()))?;
    if f.status != FileStatus::Processed || f.preview.as_ref().is_none_or(|p| p.columns.is_empty())
    {
        return Err(StepError::Failed(
            "the file is not a processed table".into(),
        ));
    }
    Ok(f)
}

/// The file's columns that are mapped, in file order: (column index, field name, column type).
fn mapped(f: &FileRecord, mapping: &Map<String, Value>) -> Vec<(usize, String, String)> {
    let columns = f
        .preview
        .as_ref()
        .map(|p| p.columns.clone())
        .unwrap_or_default();
    columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            mapping
                .get(&c.name)
                .and_then(Value::as_str)
                .map(|field| (i, field.to_owned(), c.kind.clone()))
        })
        .collect()
}

/// A new field for a column of this type.
fn field_def(name: &str, kind: &str) -> Value {
    match kind {
        "number" => json!({"name": name, "type": "number", "options": {"precision": 2}}),
        "checkbox" => {
            json!({"name": name, "type": "checkbox", "options": {"icon": "check", "color": "greenBright"}})
        }
        "date" => json!({"name": name, "type": "date", "options": {"dateFormat": {"name": "iso"}}}),
        "email" => json!({"name": name, "type": "email"}),
        "url" => json!({"name": name, "type": "url"}),
        _ => json!({"name": name, "type": "multilineText"}),
    }
}

/// A cell as the field should get it; `None` for an empty cell.
fn cell_value(kind: &str, v: &Value) -> Option<Value> {
    let text = match v {
        Value::String(t) if t.trim().is_empty() => return None,
        Value::String(t) => t.trim().to_owned(),
        Value::Null => return None,
        other => return Some(other.clone()),
    };
    Some(match kind {
        "number" => text
            .replace(',', "")
            .parse::<f64>()
            .map(|f| json!(f))
            .unwrap_or(json!(text)),
        "checkbox" => json!(matches!(
            text.to_lowercase().as_str(),
            "yes" | "true" | "checked" | "x" | "1"
        )),
        _ => json!(text),
    })
}

async fn import_prepare(ctx: &Ctx<'_>) -> Result<Value, StepError> {
    let f = file_of(ctx).await?;
    let base = input_str(ctx, "baseId")?;
    let mapping = ctx.saga.input["mapping"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let fields = mapped(&f, &mapping);
    if fields.is_empty() {
        return Err(StepError::Failed("no mapped column is in the file".into()));
    }
    let data = ctx.data().await?;
    let (table_id, table_name) = if let Some(name) = ctx.saga.input["createTable"]["name"].as_str()
    {
        if let Some(t) = data.get("createdTable") {
            (
                t["id"].as_str().unwrap_or_default().to_owned(),
                t["name"].as_str().unwrap_or_default().to_owned(),
            )
        } else {
            let body = json!({"name": name, "fields": fields.iter().map(|(_, field, kind)| field_def(field, kind)).collect::<Vec<_>>()});
            let t = ctx
                .airtable("creating the table", || {
                    ctx.airtable.create_table(base, &body)
                })
                .await?;
            let created = json!({"id": t["id"], "name": t["name"]});
            ctx.set("createdTable", &created).await?;
            (
                created["id"].as_str().unwrap_or_default().to_owned(),
                name.to_owned(),
            )
        }
    } else {
        let table = input_str(ctx, "table")?;
        let t = ctx
            .airtable("reading the table", || {
                ctx.airtable.fresh_table_schema(base, table)
            })
            .await?;
        let mut created_fields = strings(&data["createdFields"]);
        for (_, field, kind) in &fields {
            if schema::find_field(&t, field).is_none() && !created_fields.contains(field) {
                let table_id = t["id"].as_str().unwrap_or(table);
                let def = field_def(field, kind);
                ctx.airtable("creating a field", || {
                    ctx.airtable.create_field(base, table_id, &def)
                })
                .await?;
                created_fields.push(field.clone());
                ctx.set("createdFields", &json!(created_fields)).await?;
            }
        }
        (
            t["id"].as_str().unwrap_or(table).to_owned(),
            t["name"].as_str().unwrap_or(table).to_owned(),
        )
    };
    ctx.set("tableId", &json!(table_id)).await?;
    Ok(
        json!({"tableId": table_id, "tableName": table_name, "rows": f.preview.map(|p| p.row_count).unwrap_or(0)}),
    )
}

async fn import_unprepare(ctx: &Ctx<'_>) -> Result<String, StepError> {
    let data = ctx.data().await?;
    let base = input_str(ctx, "baseId")?;
    let mut done = Vec::new();
    if let Some(t) = data.get("createdTable") {
        // Airtable's API cannot delete a table: it is renamed so nobody mistakes it for data.
        let id = t["id"].as_str().unwrap_or_default();
        let name = format!(
            "{} (rolled back {})",
            t["name"].as_str().unwrap_or("import"),
            &ctx.saga.id.as_str()[4..12]
        );
        let body = json!({"name": name});
        ctx.airtable("renaming the created table", || {
            ctx.airtable.update_table(base, id, &body)
        })
        .await?;
        done.push(format!("table {id} renamed to {name:?}"));
    }
    let fields = strings(&data["createdFields"]);
    if !fields.is_empty() {
        done.push(format!(
            "fields {} were left in place (Airtable's API cannot delete fields)",
            fields.join(", ")
        ));
    }
    Ok(done.join("; "))
}

async fn rows_of(ctx: &Ctx<'_>, f: &FileRecord) -> Result<Vec<Vec<Value>>, StepError> {
    let key = files_core::rows_key(ctx.tenant, &f.id);
    let obj = ctx
        .worker
        .s3
        .get_object()
        .bucket(&ctx.worker.bucket)
        .key(&key)
        .send()
        .await
        .map_err(|e| Transient::Other(format!("S3: {e}")))?;
    let bytes = obj
        .body
        .collect()
        .await
        .map_err(|e| Transient::Other(format!("S3: {e}")))?
        .into_bytes();
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| serde_json::from_str::<Vec<Value>>(l).ok())
        .collect())
}

async fn import_write(ctx: &Ctx<'_>) -> Result<Value, StepError> {
    let f = file_of(ctx).await?;
    let base = input_str(ctx, "baseId")?;
    let mapping = ctx.saga.input["mapping"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let typecast = ctx.saga.input["typecast"].as_bool().unwrap_or(true);
    let fields = mapped(&f, &mapping);
    let rows = rows_of(ctx, &f).await?;
    let data = ctx.data().await?;
    let table = data["tableId"].as_str().map(str::to_owned);
    let table = match table {
        Some(t) => t,
        None => ctx.data_of_step("prepare").await?["tableId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| StepError::Failed("the table is unknown".into()))?,
    };
    let mut created = strings(&data["created"]);
    let mut written = data["written"].as_u64().unwrap_or(0) as usize;
    ctx.progress("write_rows", written, rows.len()).await?;
    for (n, chunk) in rows.chunks(MAX_BATCH).enumerate().skip(written / MAX_BATCH) {
        if n % CANCEL_EVERY == 0 {
            ctx.check_cancel().await?;
        }
        let records: Vec<Value> = chunk
            .iter()
            .map(|row| {
                let cells: Map<String, Value> = fields
                    .iter()
                    .filter_map(|(i, field, kind)| {
                        cell_value(kind, row.get(*i)?).map(|v| (field.clone(), v))
                    })
                    .collect();
                Value::Object(cells)
            })
            .collect();
        let out = ctx
            .airtable(
                &format!("writing rows {}–{}", written + 1, written + chunk.len()),
                || {
                    ctx.airtable
                        .create_records(base, &table, records.clone(), typecast)
                },
            )
            .await?;
        created.extend(ids_of(&out));
        written += chunk.len();
        // Recorded before the next chunk: a compensation deletes exactly these.
        ctx.set("created", &json!(created)).await?;
        ctx.set("written", &json!(written)).await?;
        ctx.progress("write_rows", written, rows.len()).await?;
    }
    Ok(json!({"created": created.len(), "tableId": table}))
}

/// Deletes the records a step created, restores the values it changed, and recreates the
/// records it deleted (`created`, `updated` (`{id, before}`), `deleted` (`{fields}`)).
async fn delete_created_then_restore(ctx: &Ctx<'_>) -> Result<String, StepError> {
    let data = ctx.data().await?;
    let base = data["baseId"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| ctx.saga.input["baseId"].as_str().map(str::to_owned));
    let base = match base {
        Some(b) => b,
        None => input_str(ctx, "targetBaseId")
            .or_else(|_| input_str(ctx, "sourceBaseId"))?
            .to_owned(),
    };
    let mut table = data["tableId"].as_str().map(str::to_owned);
    if table.is_none() {
        table = ctx.data_of_step("prepare").await?["tableId"]
            .as_str()
            .map(str::to_owned);
    }
    let Some(table) = table else {
        return Ok(String::new());
    };
    let created = strings(&data["created"]);
    let mut removed = data["removed"].as_u64().unwrap_or(0) as usize;
    let mut said = Vec::new();
    for chunk in created.chunks(MAX_BATCH).skip(removed / MAX_BATCH) {
        if let Err(e) = delete_ids(ctx, &base, &table, chunk).await {
            return Err(StepError::Unfinished(
                format!(
                    "{e}; {} of {} created records are still to delete",
                    created.len() - removed,
                    created.len()
                ),
                created[removed..].to_vec(),
            ));
        }
        removed += chunk.len();
        ctx.set("removed", &json!(removed)).await?;
        ctx.progress("compensation", removed, created.len()).await?;
    }
    if !created.is_empty() {
        said.push(format!("deleted the {} records it created", created.len()));
    }
    let updated: Vec<Value> = data["updated"].as_array().cloned().unwrap_or_default();
    for chunk in updated.chunks(MAX_BATCH) {
        let records: Vec<Value> = chunk
            .iter()
            .map(|u| json!({"id": u["id"], "fields": u["before"]}))
            .collect();
        ctx.airtable("restoring updated records", || {
            ctx.airtable
                .update_records(&base, &table, records.clone(), false, true)
        })
        .await?;
    }
    if !updated.is_empty() {
        said.push(format!("restored {} updated records", updated.len()));
    }
    let mut deleted: Vec<Value> = data["deleted"].as_array().cloned().unwrap_or_default();
    // A chunk being deleted when the step failed: recreate those of its records that are gone.
    for d in data["deleting"].as_array().into_iter().flatten() {
        let id = d["id"].as_str().unwrap_or_default();
        if ctx.airtable.get_record(&base, &table, id).await.is_err() {
            deleted.push(d.clone());
        }
    }
    let done = data["recreated"].as_u64().unwrap_or(0) as usize;
    for (i, chunk) in deleted.chunks(MAX_BATCH).enumerate().skip(done / MAX_BATCH) {
        let fields: Vec<Value> = chunk.iter().map(|d| d["fields"].clone()).collect();
        ctx.airtable("recreating deleted records", || {
            ctx.airtable
                .create_records(&base, &table, fields.clone(), true)
        })
        .await?;
        ctx.set("recreated", &json!((i + 1) * MAX_BATCH)).await?;
    }
    if !deleted.is_empty() {
        said.push(format!(
            "recreated {} deleted records with their values",
            deleted.len()
        ));
    }
    // A chunk whose answer never came may have been written: that is left to check, not undone.
    if let Some(f) = data.get("inflight") {
        return Err(StepError::Failed(format!(
            "{}; rows {}–{} were being written when the step failed and Airtable's answer is unknown: check the table for them",
            if said.is_empty() {
                "nothing else to undo".to_owned()
            } else {
                said.join("; ")
            },
            f["from"],
            f["to"]
        )));
    }
    Ok(said.join("; "))
}

/// Deletes records, treating the ones already gone as deleted (Airtable refuses a whole batch
/// when one id is missing, so the batch is retried one by one).
async fn delete_ids(
    ctx: &Ctx<'_>,
    base: &str,
    table: &str,
    ids: &[String],
) -> Result<(), StepError> {
    let gone = |e: &airtable_client::AirtableError| {
        matches!(e, airtable_client::AirtableError::Upstream { status: 404 | 422, kind, .. }
            if matches!(kind.as_str(), "NOT_FOUND" | "ROW_DOES_NOT_EXIST" | "MODEL_ID_NOT_FOUND"))
    };
    match ctx.airtable.delete_records(base, table, ids.to_vec()).await {
        Ok(_) => Ok(()),
        Err(e) if gone(&e) => {
            for id in ids {
                match ctx
                    .airtable
                    .delete_records(base, table, vec![id.clone()])
                    .await
                {
                    Ok(_) => {}
                    Err(e) if gone(&e) => {}
                    Err(_) => ctx
                        .airtable("deleting a created record", || {
                            ctx.airtable.delete_records(base, table, vec![id.clone()])
                        })
                        .await
                        .map(|_| ())?,
                }
            }
            Ok(())
        }
        Err(
            airtable_client::AirtableError::RateLimited { .. }
            | airtable_client::AirtableError::Unavailable(_),
        ) => ctx
            .airtable("deleting created records", || {
                ctx.airtable.delete_records(base, table, ids.to_vec())
            })
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    }
}

// ---------- bulk_update ----------

async fn bulk_snapshot(ctx: &Ctx<'_>) -> Result<Value, StepError> {
    let base = input_str(ctx, "baseId")?;
    let table = input_str(ctx, "table")?;
    let fields: Vec<String> = ctx.saga.input["fields"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let filter = match ctx.saga.input["filterByFormula"].as_str() {
        Some(f) => f.to_owned(),
        None => {
            let ids = strings(&ctx.saga.input["recordIds"]);
            format!(
                "OR({})",
                ids.iter()
                    .map(|id| format!("RECORD_ID() = {}", formula::string_literal(id)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let query = ListQuery {
        filter_by_formula: Some(filter),
        fields: fields.clone(),
        page_size: Some(MAX_PAGE_SIZE),
        max_records: Some(MAX_BULK + 1),
        ..Default::default()
    };
    let records = ctx
        .airtable("reading the records", || {
            ctx.airtable.list_all(base, table, &query)
        })
        .await?;
    if records.len() > MAX_BULK {
        return Err(StepError::Failed(format!(
            "more than {MAX_BULK} records match; narrow the filter"
        )));
    }
    let snapshot: Vec<Value> = records
        .iter()
        .map(|r| {
            let before: Map<String, Value> = fields
                .iter()
                .map(|f| {
                    (
                        f.clone(),
                        r["fields"].get(f).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect();
            json!({"id": r["id"], "before": before})
        })
        .collect();
    if json!(snapshot).to_string().len() > MAX_RECORD_BYTES {
        return Err(StepError::Failed("the current values are too large to snapshot in one saga; update fewer records at a time".into()));
    }
    ctx.set("snapshot", &json!(snapshot)).await?;
    Ok(json!({"records": snapshot.len()}))
}

async fn bulk_update(ctx: &Ctx<'_>) -> Result<Value, StepError> {
    let base = input_str(ctx, "baseId")?;
    let table = input_str(ctx, "table")?;
    let typecast = ctx.saga.input["typecast"].as_bool().unwrap_or(false);
    let fields = ctx.saga.input["fields"].clone();
    let snapshot: Vec<Value> = ctx.data_of_step("snapshot").await?["snapshot"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let data = ctx.data().await?;
    let mut updated: Vec<Value> = data["updated"].as_array().cloned().unwrap_or_default();
    for (n, chunk) in snapshot
        .chunks(MAX_BATCH)
        .enumerate()
        .skip(updated.len() / MAX_BATCH)
    {
        if n % CANCEL_EVERY == 0 {
            ctx.check_cancel().await?;
        }
        let records: Vec<Value> = chunk
            .iter()
            .map(|s| json!({"id": s["id"], "fields": fields}))
            .collect();
        ctx.airtable("updating records", || {
            ctx.airtable
                .update_records(base, table, records.clone(), false, typecast)
        })
        .await?;
        updated.extend(chunk.iter().cloned());
        ctx.set("updated", &json!(updated)).await?;
        ctx.progress("update", updated.len(), snapshot.len())
            .await?;
    }
    Ok(json!({"updated": updated.len()}))
}

async fn bulk_restore(ctx: &Ctx<'_>) -> Result<String, StepError> {
    let data = ctx.data().await?;
    let base = input_str(ctx, "baseId")?;
    let table = input_str(ctx, "table")?;
    // What the failed chunk may have changed too: every snapshot record past the recorded ones
    // in that chunk is restored (restoring an unchanged value changes nothing).
    let snapshot: Vec<Value> = ctx.data_of_step("snapshot").await?["snapshot"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let updated = data["updated"].as_array().map(Vec::len).unwrap_or(0);
    let touched = (updated + MAX_BATCH).min(snapshot.len());
    if data.get("updated").is_none() && updated == 0 {
        return Ok(String::new());
    }
    for chunk in snapshot[..touched].chunks(MAX_BATCH) {
        let records: Vec<Value> = chunk
            .iter()
            .map(|s| json!({"id": s["id"], "fields": s["before"]}))
            .collect();
        ctx.airtable("restoring the snapshot", || {
            ctx.airtable
                .update_records(base, table, records.clone(), false, true)
        })
        .await?;
    }
    Ok(format!(
        "restored the values of {touched} records from the snapshot"
    ))
}

// ---------- sync_tables ----------

async fn sync_plan(ctx: &Ctx<'_>) -> Result<Value, StepError> {
    let i = &ctx.saga.input;
    let source_base = input_str(ctx, "sourceBaseId")?;
    let target_base = i["targetBaseId"].as_str().unwrap_or(source_base);
    let source = ctx
        .airtable("reading the source schema", || {
            ctx.airtable
                .fresh_table_schema(source_base, i["sourceTable"].as_str().unwrap_or(""))
        })
        .await?;
    let target = ctx
        .airtable("reading the target schema", || {
            ctx.airtable
                .fresh_table_schema(target_base, i["targetTable"].as_str().unwrap_or(""))
        })
        .await?;
    let wanted = i["fields"].as_array().map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    });
    let (key, fields) = schema::sync_fields(
        &source,
        &target,
        i["keyField"].as_str().unwrap_or(""),
        wanted,
    )
    .map_err(|e| {
        StepError::Failed(format!(
            "the mapping is invalid: {}",
            e.to_problem()
                .0
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    let query = ListQuery {
        fields: fields.clone(),
        page_size: Some(MAX_PAGE_SIZE),
        ..Default::default()
    };
    let (sid, tid) = (
        source["id"].as_str().unwrap_or_default(),
        target["id"].as_str().unwrap_or_default(),
    );
    let source_records = ctx
        .airtable("reading the source", || {
            ctx.airtable.list_all(source_base, sid, &query)
        })
        .await?;
    let all = ListQuery {
        page_size: Some(MAX_PAGE_SIZE),
        ..Default::default()
    };
    // Whole target records: a deleted one is recreated with every value it had.
    let target_records = ctx
        .airtable("reading the target", || {
            ctx.airtable.list_all(target_base, tid, &all)
        })
        .await?;
    let plan = sync::plan(
        &source_records,
        &target_records,
        &key,
        &fields,
        i["deleteMissing"].as_bool().unwrap_or(false),
    );
    let writable: Vec<String> = schema::fields(&target)
        .iter()
        .filter(|f| !schema::COMPUTED_TYPES.contains(&schema::field_type(f)))
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect();
    let deleted: Vec<Value> = plan
        .deletes
        .iter()
        .filter_map(|(id, _)| target_records.iter().find(|r| r["id"] == id.as_str()))
        .map(|r| {
            let fields: Map<String, Value> = r["fields"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| writable.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            json!({"id": r["id"], "fields": fields})
        })
        .collect();
    let plan_value = serde_json::to_value(&plan).unwrap_or_default();
    if plan_value.to_string().len() + json!(deleted).to_string().len() > MAX_RECORD_BYTES {
        return Err(StepError::Failed(
            "the sync changes too much for one saga; sync fewer fields or records at a time".into(),
        ));
    }
    ctx.update(
        &[
            ("plan", plan_value),
            ("deletedRecords", json!(deleted)),
            ("target", json!({"baseId": target_base, "tableId": tid})),
        ],
        &[],
    )
    .await?;
    Ok(
        json!({"create": plan.creates.len(), "update": plan.updates.len(), "delete": plan.deletes.len(), "unchanged": plan.unchanged, "skipped": plan.skipped.len()}),
    )
}

async fn sync_apply(ctx: &Ctx<'_>) -> Result<Value, StepError> {
    let planned = ctx.data_of_step("plan").await?;
    let plan: sync::Plan = serde_json::from_value(planned["plan"].clone())
        .map_err(|e| StepError::Failed(format!("the plan cannot be read: {e}")))?;
    let base = planned["target"]["baseId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let table = planned["target"]["tableId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let typecast = ctx.saga.input["typecast"].as_bool().unwrap_or(true);
    let data = ctx.data().await?;
    if data.get("baseId").is_none() {
        ctx.set("baseId", &json!(base)).await?;
        ctx.set("tableId", &json!(table)).await?;
    }
    let total = plan.creates.len() + plan.updates.len() + plan.deletes.len();
    let mut created = strings(&data["created"]);
    for chunk in plan
        .creates
        .chunks(MAX_BATCH)
        .skip(created.len() / MAX_BATCH)
    {
        ctx.check_cancel().await?;
        let fields: Vec<Value> = chunk.iter().cloned().map(Value::Object).collect();
        let out = ctx
            .airtable("creating records", || {
                ctx.airtable
                    .create_records(&base, &table, fields.clone(), typecast)
            })
            .await?;
        created.extend(ids_of(&out));
        ctx.set("created", &json!(created)).await?;
        ctx.progress("apply", created.len(), total).await?;
    }
    let mut updated: Vec<Value> = data["updated"].as_array().cloned().unwrap_or_default();
    let mut applied = data["updatesApplied"].as_u64().unwrap_or(0) as usize;
    for chunk in plan.updates.chunks(MAX_BATCH).skip(applied / MAX_BATCH) {
        ctx.check_cancel().await?;
        let records: Vec<Value> = chunk
            .iter()
            .map(|u| json!({"id": u.id, "fields": u.changes}))
            .collect();
        // The values to restore are recorded before sending (restoring an unchanged one is
        // harmless); the chunk counts as applied only once Airtable says so.
        if updated.len() < applied + chunk.len() {
            updated.extend(
                chunk
                    .iter()
                    .map(|u| json!({"id": u.id, "before": u.before})),
            );
            ctx.set("updated", &json!(updated)).await?;
        }
        ctx.airtable("updating records", || {
            ctx.airtable
                .update_records(&base, &table, records.clone(), false, typecast)
        })
        .await?;
        applied += chunk.len();
        ctx.set("updatesApplied", &json!(applied)).await?;
        ctx.progress("apply", created.len() + applied, total)
            .await?;
    }
    let all_deleted: Vec<Value> = planned["deletedRecords"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut deleted: Vec<Value> = data["deleted"].as_array().cloned().unwrap_or_default();
    for chunk in all_deleted
        .chunks(MAX_BATCH)
        .skip(deleted.len() / MAX_BATCH)
    {
        ctx.check_cancel().await?;
        let ids = ids_of(chunk);
        // Said before sending, so a compensation after a lost answer recreates what is gone.
        ctx.set("deleting", &json!(chunk)).await?;
        delete_ids(ctx, &base, &table, &ids).await?;
        deleted.extend(chunk.iter().cloned());
        ctx.update(&[("deleted", json!(deleted))], &["deleting"])
            .await?;
        ctx.progress("apply", created.len() + applied + deleted.len(), total)
            .await?;
    }
    Ok(json!({"created": created.len(), "updated": updated.len(), "deleted": deleted.len()}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_typed_by_their_column_and_empty_ones_left_out() {
        assert_eq!(cell_value("number", &json!("1,200.5")), Some(json!(1200.5)));
        assert_eq!(cell_value("checkbox", &json!("Yes")), Some(json!(true)));
        assert_eq!(cell_value("text", &json!("  ")), None);
        assert_eq!(cell_value("number", &json!(3)), Some(json!(3)));
        assert_eq!(field_def("Age", "number")["options"]["precision"], 2);
    }
}
