//! Writing tools: create, update, upsert, delete — one record or any number (the client chunks
//! by Airtable's 10 per request and paces them). Batch results return ids, not whole records,
//! to stay small.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{ADD, CHANGE, Ctx, Hints, Tool};
use platform::error::{ApiError, FieldError};
use platform::ids::{BaseId, RecordId, TableRef};

/// Cell values by field name, e.g. `{"Name": "Ada", "Age": 36}`.
pub type Fields = Map<String, Value>;

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

fn non_empty<T>(items: &[T], arg: &str) -> Result<(), ApiError> {
    if items.is_empty() {
        Err(ApiError::invalid(arg, "must hold at least one item"))
    } else {
        Ok(())
    }
}

// ---------- create ----------

pub struct CreateRecord;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    base_id: BaseId,
    table: TableRef,
    /// Cell values by field name.
    fields: Fields,
    /// Convert text to the field's type (numbers, dates, new select options).
    #[serde(default)]
    typecast: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct RecordOut {
    /// `{id, createdTime, fields}` as Airtable stored it.
    record: Value,
}

impl Tool for CreateRecord {
    const NAME: &'static str = "create_record";
    const TITLE: &'static str = "Create a record";
    const DESCRIPTION: &'static str = "Create one record from cell values by field name, e.g. {\"Name\": \"Ada\", \"Age\": 36}. Returns \
        the record with its new id. Use describe_table first for field names and types; typecast=true converts text values.";
    const HINTS: Hints = ADD;
    type Args = CreateArgs;
    type Output = RecordOut;

    async fn run(ctx: &Ctx<'_>, args: CreateArgs) -> Result<RecordOut, ApiError> {
        let mut created = ctx
            .airtable
            .create_records(
                args.base_id.as_str(),
                args.table.as_str(),
                vec![Value::Object(args.fields)],
                args.typecast,
            )
            .await?;
        Ok(RecordOut {
            record: created.pop().unwrap_or(Value::Null),
        })
    }

    fn summary(out: &RecordOut) -> String {
        format!("created {}", out.record["id"].as_str().unwrap_or("?"))
    }
}

pub struct BatchCreateRecords;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchCreateArgs {
    base_id: BaseId,
    table: TableRef,
    /// One object of cell values per record to create; any number (sent 10 per request).
    records: Vec<Fields>,
    #[serde(default)]
    typecast: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct Written {
    /// How many records were written.
    count: usize,
    /// Their ids, in the order given.
    ids: Vec<String>,
}

impl Tool for BatchCreateRecords {
    const NAME: &'static str = "batch_create_records";
    const TITLE: &'static str = "Create many records";
    const DESCRIPTION: &'static str = "Create any number of records in one call (sent to Airtable 10 at a time, paced so it never hits \
        the rate limit). Returns the new ids in input order. If Airtable fails midway the error lists the ids already written.";
    const HINTS: Hints = ADD;
    type Args = BatchCreateArgs;
    type Output = Written;

    async fn run(ctx: &Ctx<'_>, args: BatchCreateArgs) -> Result<Written, ApiError> {
        non_empty(&args.records, "records")?;
        let fields = args.records.into_iter().map(Value::Object).collect();
        let created = ctx
            .airtable
            .create_records(
                args.base_id.as_str(),
                args.table.as_str(),
                fields,
                args.typecast,
            )
            .await?;
        let ids = ids(&created);
        Ok(Written {
            count: ids.len(),
            ids,
        })
    }

    fn summary(out: &Written) -> String {
        format!("created {} records", out.count)
    }
}

// ---------- update ----------

pub struct UpdateRecord;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    base_id: BaseId,
    table: TableRef,
    record_id: RecordId,
    /// Cell values to change, by field name; other fields keep their values.
    fields: Fields,
    #[serde(default)]
    typecast: bool,
    /// Clear every field not given (a full replace) instead of merging.
    #[serde(default)]
    replace: bool,
}

impl Tool for UpdateRecord {
    const NAME: &'static str = "update_record";
    const TITLE: &'static str = "Update a record";
    const DESCRIPTION: &'static str = "Change some fields of one record; fields not given keep their values (replace=true clears them \
        instead). Set a field to null to empty it.";
    const HINTS: Hints = CHANGE;
    type Args = UpdateArgs;
    type Output = RecordOut;

    async fn run(ctx: &Ctx<'_>, args: UpdateArgs) -> Result<RecordOut, ApiError> {
        let record = json!({"id": args.record_id.as_str(), "fields": args.fields});
        let mut updated = ctx
            .airtable
            .update_records(
                args.base_id.as_str(),
                args.table.as_str(),
                vec![record],
                args.replace,
                args.typecast,
            )
            .await?;
        Ok(RecordOut {
            record: updated.pop().unwrap_or(Value::Null),
        })
    }

    fn summary(out: &RecordOut) -> String {
        format!("updated {}", out.record["id"].as_str().unwrap_or("?"))
    }
}

pub struct BatchUpdateRecords;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordChange {
    id: RecordId,
    fields: Fields,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchUpdateArgs {
    base_id: BaseId,
    table: TableRef,
    /// `{id, fields}` per record; any number (sent 10 per request).
    records: Vec<RecordChange>,
    #[serde(default)]
    typecast: bool,
    #[serde(default)]
    replace: bool,
}

impl Tool for BatchUpdateRecords {
    const NAME: &'static str = "batch_update_records";
    const TITLE: &'static str = "Update many records";
    const DESCRIPTION: &'static str = "Change fields of any number of records, each given as {id, fields}; fields not given keep their \
        values (replace=true clears them). Sent 10 per request, paced.";
    const HINTS: Hints = CHANGE;
    type Args = BatchUpdateArgs;
    type Output = Written;

    async fn run(ctx: &Ctx<'_>, args: BatchUpdateArgs) -> Result<Written, ApiError> {
        non_empty(&args.records, "records")?;
        let records = args
            .records
            .into_iter()
            .map(|r| json!({"id": r.id.as_str(), "fields": r.fields}))
            .collect();
        let updated = ctx
            .airtable
            .update_records(
                args.base_id.as_str(),
                args.table.as_str(),
                records,
                args.replace,
                args.typecast,
            )
            .await?;
        let ids = ids(&updated);
        Ok(Written {
            count: ids.len(),
            ids,
        })
    }

    fn summary(out: &Written) -> String {
        format!("updated {} records", out.count)
    }
}

// ---------- upsert ----------

pub struct UpsertRecords;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpsertArgs {
    base_id: BaseId,
    table: TableRef,
    /// One object of cell values per record.
    records: Vec<Fields>,
    /// 1–3 field names that identify a record: a match is updated, no match is created.
    #[schemars(length(min = 1, max = 3))]
    merge_on: Vec<String>,
    #[serde(default)]
    typecast: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct UpsertOut {
    created: Vec<String>,
    updated: Vec<String>,
}

impl Tool for UpsertRecords {
    const NAME: &'static str = "upsert_records";
    const TITLE: &'static str = "Upsert records";
    const DESCRIPTION: &'static str = "Create or update records matched on 1–3 fields (merge_on): a record whose merge fields equal an \
        existing record's updates it, otherwise a new one is created. Safe to repeat. Every record must carry the merge fields.";
    const HINTS: Hints = CHANGE;
    type Args = UpsertArgs;
    type Output = UpsertOut;

    async fn run(ctx: &Ctx<'_>, args: UpsertArgs) -> Result<UpsertOut, ApiError> {
        non_empty(&args.records, "records")?;
        if args.merge_on.is_empty() || args.merge_on.len() > 3 {
            return Err(ApiError::invalid("merge_on", "name 1 to 3 fields"));
        }
        let errors: Vec<FieldError> = args
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| args.merge_on.iter().any(|m| !r.contains_key(m)))
            .map(|(i, _)| FieldError::new(format!("records[{i}]"), "lacks a merge_on field"))
            .take(10)
            .collect();
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let fields = args.records.into_iter().map(Value::Object).collect();
        let out = ctx
            .airtable
            .upsert_records(
                args.base_id.as_str(),
                args.table.as_str(),
                fields,
                &args.merge_on,
                args.typecast,
            )
            .await?;
        Ok(UpsertOut {
            created: out.created,
            updated: out.updated,
        })
    }

    fn summary(out: &UpsertOut) -> String {
        format!(
            "created {}, updated {}",
            out.created.len(),
            out.updated.len()
        )
    }
}

// ---------- delete ----------

pub struct DeleteRecord;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteArgs {
    base_id: BaseId,
    table: TableRef,
    record_id: RecordId,
}

#[derive(Serialize, JsonSchema)]
pub struct Deleted {
    deleted: String,
}

impl Tool for DeleteRecord {
    const NAME: &'static str = "delete_record";
    const TITLE: &'static str = "Delete a record";
    const DESCRIPTION: &'static str = "Delete one record by id. Airtable keeps deleted records in its trash for a while, but the API \
        cannot restore them: confirm with the user first.";
    const HINTS: Hints = CHANGE;
    type Args = DeleteArgs;
    type Output = Deleted;

    async fn run(ctx: &Ctx<'_>, args: DeleteArgs) -> Result<Deleted, ApiError> {
        let mut deleted = ctx
            .airtable
            .delete_records(
                args.base_id.as_str(),
                args.table.as_str(),
                vec![args.record_id.as_str().to_owned()],
            )
            .await?;
        Ok(Deleted {
            deleted: deleted.pop().unwrap_or_default(),
        })
    }

    fn summary(out: &Deleted) -> String {
        format!("deleted {}", out.deleted)
    }
}

pub struct DeleteRecords;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteManyArgs {
    base_id: BaseId,
    table: TableRef,
    /// Any number of record ids (sent 10 per request).
    record_ids: Vec<RecordId>,
}

impl Tool for DeleteRecords {
    const NAME: &'static str = "delete_records";
    const TITLE: &'static str = "Delete many records";
    const DESCRIPTION: &'static str = "Delete any number of records by id (sent 10 per request, paced). Returns the ids deleted. Confirm with the user first.";
    const HINTS: Hints = CHANGE;
    type Args = DeleteManyArgs;
    type Output = Written;

    async fn run(ctx: &Ctx<'_>, args: DeleteManyArgs) -> Result<Written, ApiError> {
        non_empty(&args.record_ids, "record_ids")?;
        let ids = args
            .record_ids
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect();
        let deleted = ctx
            .airtable
            .delete_records(args.base_id.as_str(), args.table.as_str(), ids)
            .await?;
        Ok(Written {
            count: deleted.len(),
            ids: deleted,
        })
    }

    fn summary(out: &Written) -> String {
        format!("deleted {} records", out.count)
    }
}
