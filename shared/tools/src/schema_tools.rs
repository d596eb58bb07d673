//! Schema tools: create a table, create a field, and a metadata table describing every table of
//! a base (kept up to date by re-running it: rows are upserted by table id).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{ADD, CHANGE, Ctx, Hints, Tool};
use airtable_client::schema::{self, FieldSpec};
use platform::error::{ApiError, FieldError};
use platform::ids::{BaseId, TableRef};

fn compact_field(f: &Value) -> Value {
    json!({"id": f["id"], "name": f["name"], "type": f["type"]})
}

// ---------- create_table ----------

pub struct CreateTable;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTableArgs {
    base_id: BaseId,
    name: String,
    description: Option<String>,
    /// The table's fields; the first becomes the primary field (use a text type for it).
    #[schemars(length(min = 1))]
    fields: Vec<FieldSpec>,
}

#[derive(Serialize, JsonSchema)]
pub struct TableOut {
    /// `{id, name, fields: [{id, name, type}]}`.
    table: Value,
}

impl Tool for CreateTable {
    const NAME: &'static str = "create_table";
    const TITLE: &'static str = "Create a table";
    const DESCRIPTION: &'static str = "Create a table in a base with the given fields; the first field is the primary field and should \
        be a text type. Table names must be unique in the base. Returns the new table with its field ids.";
    const HINTS: Hints = ADD;
    type Args = CreateTableArgs;
    type Output = TableOut;

    async fn run(ctx: &Ctx<'_>, args: CreateTableArgs) -> Result<TableOut, ApiError> {
        let body = schema::table_definition(&args.name, args.description.as_deref(), &args.fields)
            .map_err(ApiError::Validation)?;
        let t = ctx
            .airtable
            .create_table(args.base_id.as_str(), &body)
            .await?;
        let fields: Vec<Value> = schema::fields(&t).iter().map(compact_field).collect();
        Ok(TableOut {
            table: json!({"id": t["id"], "name": t["name"], "fields": fields}),
        })
    }

    fn summary(out: &TableOut) -> String {
        format!("created table {}", out.table["id"].as_str().unwrap_or("?"))
    }
}

// ---------- create_field ----------

pub struct CreateField;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFieldArgs {
    base_id: BaseId,
    table: TableRef,
    name: String,
    /// An Airtable field type (singleLineText, number, checkbox, singleSelect, date, email, url, …).
    #[serde(rename = "type")]
    kind: String,
    /// Type options as Airtable expects them, e.g. {"precision": 2} or {"choices": [{"name": "Open"}]}.
    options: Option<Map<String, Value>>,
    description: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct FieldOut {
    /// `{id, name, type}`.
    field: Value,
}

impl Tool for CreateField {
    const NAME: &'static str = "create_field";
    const TITLE: &'static str = "Create a field";
    const DESCRIPTION: &'static str = "Add a field (column) to a table: name, Airtable type and its options (e.g. choices for a select, \
        precision for a number). Field names must be unique in the table.";
    const HINTS: Hints = ADD;
    type Args = CreateFieldArgs;
    type Output = FieldOut;

    async fn run(ctx: &Ctx<'_>, args: CreateFieldArgs) -> Result<FieldOut, ApiError> {
        let spec = FieldSpec {
            name: args.name,
            kind: args.kind,
            options: args.options,
            description: args.description,
        };
        let mut errors = Vec::new();
        let body = spec.definition("", &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let f = ctx
            .airtable
            .create_field(args.base_id.as_str(), args.table.as_str(), &body)
            .await?;
        Ok(FieldOut {
            field: compact_field(&f),
        })
    }

    fn summary(out: &FieldOut) -> String {
        format!("created field {}", out.field["id"].as_str().unwrap_or("?"))
    }
}

// ---------- create_metadata_table ----------

pub struct CreateMetadataTable;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataArgs {
    base_id: BaseId,
    /// Name of the metadata table (default "Table Metadata"); an existing one is refreshed.
    table_name: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetadataOut {
    /// `{id, name}` of the metadata table.
    table: Value,
    /// The table was created now (false: an existing one was refreshed).
    created_table: bool,
    /// Rows written, one per described table.
    rows: usize,
    created_rows: usize,
    updated_rows: usize,
    /// Rows of tables that no longer exist, deleted on a refresh.
    removed_rows: usize,
}

/// The metadata table's columns; `Table ID` identifies a row (rows are upserted on it).
fn metadata_fields() -> Vec<Value> {
    vec![
        json!({"name": "Table Name", "type": "singleLineText"}),
        json!({"name": "Table ID", "type": "singleLineText"}),
        json!({"name": "Description", "type": "multilineText"}),
        json!({"name": "Primary Field", "type": "singleLineText"}),
        json!({"name": "Field Count", "type": "number", "options": {"precision": 0}}),
        json!({"name": "Fields", "type": "multilineText"}),
        json!({"name": "Views", "type": "multilineText"}),
    ]
}

/// One metadata row describing a table.
fn metadata_row(t: &Value) -> Value {
    let fields = schema::fields(t);
    let primary = t["primaryFieldId"]
        .as_str()
        .and_then(|id| schema::find_field(t, id))
        .and_then(|f| f["name"].as_str())
        .unwrap_or("");
    let field_lines: Vec<String> = fields
        .iter()
        .map(|f| {
            format!(
                "{} ({})",
                f["name"].as_str().unwrap_or(""),
                schema::field_type(f)
            )
        })
        .collect();
    let views: Vec<&str> = t["views"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    json!({
        "Table Name": t["name"],
        "Table ID": t["id"],
        "Description": t["description"].as_str().unwrap_or(""),
        "Primary Field": primary,
        "Field Count": fields.len(),
        "Fields": field_lines.join("\n"),
        "Views": views.join("\n"),
    })
}

impl Tool for CreateMetadataTable {
    const NAME: &'static str = "create_metadata_table";
    const TITLE: &'static str = "Create a metadata table";
    const DESCRIPTION: &'static str = "Create (or refresh) a table in the base that describes every other table: name, id, description, \
        primary field, field count, each field with its type, and views. Rows are written in batches and matched on Table ID, so \
        running it again updates the rows instead of duplicating them and removes the rows of tables that no longer exist.";
    const HINTS: Hints = CHANGE;
    type Args = MetadataArgs;
    type Output = MetadataOut;

    async fn run(ctx: &Ctx<'_>, args: MetadataArgs) -> Result<MetadataOut, ApiError> {
        let name = args
            .table_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("Table Metadata")
            .to_owned();
        if name.chars().count() > 255 {
            return Err(ApiError::invalid(
                "table_name",
                "must hold at most 255 characters",
            ));
        }
        let base = args.base_id.as_str();
        // Fresh: the table list must include tables created a moment ago.
        let (base_schema, _) = ctx.airtable.cached_schema(base, true).await?;
        let (table, created_table) = match schema::find_table(&base_schema, &name) {
            Some(existing) => {
                if schema::find_field(existing, "Table ID").is_none() {
                    return Err(ApiError::Validation(vec![FieldError::new(
                        "table_name",
                        format!(
                            "a table named {name:?} exists and is not a metadata table (it has no \"Table ID\" field); choose another name"
                        ),
                    )]));
                }
                (existing.clone(), false)
            }
            None => {
                let body = json!({"name": name, "description": "Every table of this base, written by create_metadata_table", "fields": metadata_fields()});
                (ctx.airtable.create_table(base, &body).await?, true)
            }
        };
        let table_id = table["id"].as_str().unwrap_or_default().to_owned();
        let rows: Vec<Value> = base_schema["tables"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["id"] != table_id.as_str())
            .map(metadata_row)
            .collect();
        let count = rows.len();
        let live: Vec<String> = rows
            .iter()
            .filter_map(|r| r["Table ID"].as_str().map(str::to_owned))
            .collect();
        let upserted = if rows.is_empty() {
            Default::default()
        } else {
            ctx.airtable
                .upsert_records(base, &table_id, rows, &["Table ID".to_owned()], true)
                .await?
        };
        // Rows of tables that no longer exist go: the table describes the base as it is now.
        let mut removed = 0;
        if !created_table {
            let query = airtable_client::ListQuery {
                fields: vec!["Table ID".into()],
                page_size: Some(100),
                ..Default::default()
            };
            let existing = ctx.airtable.list_all(base, &table_id, &query).await?;
            let stale: Vec<String> = existing
                .iter()
                .filter(|r| {
                    r["fields"]["Table ID"]
                        .as_str()
                        .is_some_and(|id| !live.iter().any(|l| l == id))
                })
                .filter_map(|r| r["id"].as_str().map(str::to_owned))
                .collect();
            if !stale.is_empty() {
                removed = ctx
                    .airtable
                    .delete_records(base, &table_id, stale)
                    .await?
                    .len();
            }
        }
        Ok(MetadataOut {
            table: json!({"id": table_id, "name": table["name"]}),
            created_table,
            rows: count,
            created_rows: upserted.created.len(),
            updated_rows: upserted.updated.len(),
            removed_rows: removed,
        })
    }

    fn summary(out: &MetadataOut) -> String {
        format!("described {} tables", out.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metadata_row_lists_fields_with_types_and_the_primary_field() {
        let t = json!({"id": "tblAAAAAAAAAAAAAA", "name": "People", "primaryFieldId": "fld1", "fields": [
            {"id": "fld1", "name": "Name", "type": "singleLineText"}, {"id": "fld2", "name": "Age", "type": "number"}],
            "views": [{"id": "viw1", "name": "Grid view", "type": "grid"}]});
        let row = metadata_row(&t);
        assert_eq!(row["Primary Field"], "Name");
        assert_eq!(row["Field Count"], 2);
        assert_eq!(row["Fields"], "Name (singleLineText)\nAge (number)");
        assert_eq!(row["Views"], "Grid view");
        assert_eq!(row["Table ID"], "tblAAAAAAAAAAAAAA");
    }
}
