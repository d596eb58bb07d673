//! Reading tools: bases, schemas, records, search. Results are bounded (page sizes, field
//! projection, summarised options) so a base with hundreds of fields does not flood a context.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Ctx, Hints, READ, Tool, project, table_with_fields};
use airtable_client::{ListQuery, MAX_PAGE_SIZE, formula, schema};
use platform::error::ApiError;
use platform::ids::{BaseId, RecordId, TableRef};

/// Most records one `all_pages` read returns (the `total` still counts every match).
const MAX_RETURNED: usize = 1000;
/// Fields listed per table by `list_tables` (describe_table lists them all).
const MAX_LISTED_FIELDS: usize = 100;
/// Select choices shown per field before "… and N more".
const MAX_CHOICES: usize = 25;

// ---------- list_bases ----------

pub struct ListBases;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[derive(Serialize, JsonSchema)]
pub struct Bases {
    /// `{id, name, permissionLevel}` of every base the connected token can see.
    bases: Vec<Value>,
}

impl Tool for ListBases {
    const NAME: &'static str = "list_bases";
    const TITLE: &'static str = "List bases";
    const DESCRIPTION: &'static str = "List every Airtable base the workspace's connected token can access, with id (app…), name and \
        permission level. Start here to find the base_id other tools need.";
    const HINTS: Hints = READ;
    type Args = NoArgs;
    type Output = Bases;

    async fn run(ctx: &Ctx<'_>, _: NoArgs) -> Result<Bases, ApiError> {
        let (bases, _) = ctx.airtable.cached_bases(false).await?;
        Ok(Bases {
            bases: bases.as_array().cloned().unwrap_or_default(),
        })
    }

    fn summary(out: &Bases) -> String {
        format!("{} bases", out.bases.len())
    }
}

// ---------- list_tables ----------

pub struct ListTables;

/// How much of each table to show.
#[derive(Deserialize, JsonSchema, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    /// Table ids and names only.
    Ids,
    /// Plus each field's id, name and type.
    #[default]
    Fields,
    /// Everything: descriptions, field options (summarised), views.
    Full,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTablesArgs {
    base_id: BaseId,
    /// `ids` (names only, smallest), `fields` (default) or `full`.
    #[serde(default)]
    detail: Detail,
}

#[derive(Serialize, JsonSchema)]
pub struct Tables {
    tables: Vec<Value>,
}

/// A field as tools show it: id, name, type, description, and options with long choice lists cut.
fn field_summary(f: &Value, full: bool) -> Value {
    let mut out = json!({"id": f["id"], "name": f["name"], "type": f["type"]});
    if !full {
        return out;
    }
    if let Some(d) = f["description"].as_str().filter(|d| !d.is_empty()) {
        out["description"] = json!(d);
    }
    if let Some(options) = f.get("options").and_then(Value::as_object) {
        let mut opts = options.clone();
        if let Some(choices) = options.get("choices").and_then(Value::as_array) {
            let names: Vec<Value> = choices
                .iter()
                .take(MAX_CHOICES)
                .map(|c| c["name"].clone())
                .collect();
            opts.insert("choices".into(), json!(names));
            if choices.len() > MAX_CHOICES {
                opts.insert("moreChoices".into(), json!(choices.len() - MAX_CHOICES));
            }
        }
        out["options"] = Value::Object(opts);
    }
    out
}

fn table_summary(t: &Value, detail: Detail) -> Value {
    let mut out = json!({"id": t["id"], "name": t["name"]});
    if detail == Detail::Ids {
        return out;
    }
    let full = detail == Detail::Full;
    out["primaryFieldId"] = t["primaryFieldId"].clone();
    let fields = schema::fields(t);
    out["fields"] = json!(
        fields
            .iter()
            .take(MAX_LISTED_FIELDS)
            .map(|f| field_summary(f, full))
            .collect::<Vec<_>>()
    );
    if fields.len() > MAX_LISTED_FIELDS {
        out["moreFields"] = json!(fields.len() - MAX_LISTED_FIELDS);
    }
    if full {
        if let Some(d) = t["description"].as_str().filter(|d| !d.is_empty()) {
            out["description"] = json!(d);
        }
        out["views"] = json!(
            t["views"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| json!({"id": v["id"], "name": v["name"], "type": v["type"]}))
                .collect::<Vec<_>>()
        );
    }
    out
}

impl Tool for ListTables {
    const NAME: &'static str = "list_tables";
    const TITLE: &'static str = "List tables";
    const DESCRIPTION: &'static str = "List the tables of a base. detail=ids gives only table ids and names (use it first on big bases), \
        detail=fields adds each field's id, name and type (up to 100 per table; describe_table lists all), detail=full adds \
        descriptions, field options and views.";
    const HINTS: Hints = READ;
    type Args = ListTablesArgs;
    type Output = Tables;

    async fn run(ctx: &Ctx<'_>, args: ListTablesArgs) -> Result<Tables, ApiError> {
        let (schema, _) = ctx
            .airtable
            .cached_schema(args.base_id.as_str(), false)
            .await?;
        let tables = schema["tables"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| table_summary(t, args.detail))
            .collect();
        Ok(Tables { tables })
    }

    fn summary(out: &Tables) -> String {
        format!("{} tables", out.tables.len())
    }
}

// ---------- describe_table ----------

pub struct DescribeTable;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableArgs {
    base_id: BaseId,
    table: TableRef,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TableDescription {
    id: Value,
    name: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    primary_field: Value,
    field_count: usize,
    /// Every field: id, name, type, description and options (select choices summarised).
    fields: Vec<Value>,
    views: Vec<Value>,
}

impl Tool for DescribeTable {
    const NAME: &'static str = "describe_table";
    const TITLE: &'static str = "Describe a table";
    const DESCRIPTION: &'static str = "Describe one table: its primary field and every field with id, name, type, description and options \
        (select choices, number precision, linked table), plus its views. Call it before writing records so field names and value \
        types are right.";
    const HINTS: Hints = READ;
    type Args = TableArgs;
    type Output = TableDescription;

    async fn run(ctx: &Ctx<'_>, args: TableArgs) -> Result<TableDescription, ApiError> {
        let t = ctx
            .airtable
            .table_schema(args.base_id.as_str(), args.table.as_str())
            .await?;
        let fields: Vec<Value> = schema::fields(&t)
            .iter()
            .map(|f| field_summary(f, true))
            .collect();
        let primary = t["primaryFieldId"]
            .as_str()
            .and_then(|id| schema::find_field(&t, id));
        Ok(TableDescription {
            id: t["id"].clone(),
            name: t["name"].clone(),
            description: t["description"]
                .as_str()
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            primary_field: primary
                .map(|f| json!({"id": f["id"], "name": f["name"]}))
                .unwrap_or(Value::Null),
            field_count: fields.len(),
            fields,
            views: t["views"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| json!({"id": v["id"], "name": v["name"], "type": v["type"]}))
                .collect(),
        })
    }

    fn summary(out: &TableDescription) -> String {
        format!("{} fields", out.field_count)
    }
}

// ---------- get_records ----------

pub struct GetRecords;

#[derive(Deserialize, JsonSchema, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

#[derive(Deserialize, JsonSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct Sort {
    field: String,
    #[serde(default)]
    direction: Direction,
}

pub(super) fn sort_pairs(sort: &[Sort]) -> Vec<(String, bool)> {
    sort.iter()
        .map(|s| (s.field.clone(), matches!(s.direction, Direction::Desc)))
        .collect()
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetRecordsArgs {
    base_id: BaseId,
    table: TableRef,
    /// An Airtable formula; only records for which it is true, e.g. `AND({Status}='Done', {Age}>30)`.
    filter_by_formula: Option<String>,
    /// A view name or id: its filters and order apply.
    view: Option<String>,
    sort: Option<Vec<Sort>>,
    /// Only these fields (recommended for wide tables).
    fields: Option<Vec<String>>,
    /// Stop after this many records in total.
    #[schemars(range(min = 1))]
    max_records: Option<usize>,
    /// Records per page, 1–100 (default 50).
    #[schemars(range(min = 1, max = 100))]
    page_size: Option<usize>,
    /// The `cursor` of the previous page.
    cursor: Option<String>,
    /// Read every page and return `total` (at most 1000 records are returned; narrow with fields/filter).
    #[serde(default)]
    all_pages: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct RecordsPage {
    /// `{id, createdTime, fields}`; empty fields are omitted by Airtable.
    records: Vec<Value>,
    returned: usize,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    /// Every matching record, counted when all pages were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<usize>,
    /// More matched than were returned.
    truncated: bool,
}

impl Tool for GetRecords {
    const NAME: &'static str = "get_records";
    const TITLE: &'static str = "Get records";
    const DESCRIPTION: &'static str = "List records of a table, optionally filtered by an Airtable formula (filter_by_formula), limited \
        to a view, sorted, and projected to some fields. Returns one page (page_size ≤ 100) and a cursor for the next; with \
        all_pages=true reads every page and returns total (the count of all matches) with up to 1000 records.";
    const HINTS: Hints = READ;
    type Args = GetRecordsArgs;
    type Output = RecordsPage;

    async fn run(ctx: &Ctx<'_>, args: GetRecordsArgs) -> Result<RecordsPage, ApiError> {
        let offset = match args.cursor.as_deref() {
            Some(c) => Some(schema::decode_cursor(c).ok_or_else(|| {
                ApiError::invalid("cursor", "is not a cursor get_records returned")
            })?),
            None => None,
        };
        if args.page_size.is_some_and(|p| p == 0 || p > MAX_PAGE_SIZE) {
            return Err(ApiError::invalid("page_size", "must be between 1 and 100"));
        }
        let query = ListQuery {
            filter_by_formula: args.filter_by_formula.filter(|f| !f.trim().is_empty()),
            sort: sort_pairs(args.sort.as_deref().unwrap_or_default()),
            fields: args.fields.unwrap_or_default(),
            view: args.view,
            page_size: Some(args.page_size.unwrap_or(50)),
            max_records: args.max_records,
            ..Default::default()
        };
        let (base, table) = (args.base_id.as_str(), args.table.as_str());
        if args.all_pages {
            let query = ListQuery {
                page_size: Some(MAX_PAGE_SIZE),
                ..query
            };
            let (mut records, _) = ctx.airtable.cached_all(base, table, &query, false).await?;
            let total = records.len();
            records.truncate(MAX_RETURNED);
            return Ok(RecordsPage {
                returned: records.len(),
                truncated: total > records.len(),
                records,
                cursor: None,
                total: Some(total),
            });
        }
        let (page, _) = ctx
            .airtable
            .cached_page(base, table, &query, offset.as_deref(), false)
            .await?;
        let cursor = page.offset.as_deref().map(schema::encode_cursor);
        Ok(RecordsPage {
            returned: page.records.len(),
            truncated: cursor.is_some(),
            records: page.records,
            cursor,
            total: None,
        })
    }

    fn summary(out: &RecordsPage) -> String {
        match out.total {
            Some(t) => format!("{} of {t} records", out.returned),
            None => format!(
                "{} records{}",
                out.returned,
                if out.cursor.is_some() {
                    " (more pages)"
                } else {
                    ""
                }
            ),
        }
    }

    fn into_value(mut out: RecordsPage) -> serde_json::Result<Value> {
        let records = std::mem::take(&mut out.records);
        let mut value = serde_json::to_value(&out)?;
        value["records"] = Value::Array(records);
        Ok(value)
    }
}

// ---------- get_record ----------

pub struct GetRecord;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordArgs {
    base_id: BaseId,
    table: TableRef,
    record_id: RecordId,
    /// Only these fields.
    fields: Option<Vec<String>>,
}

#[derive(Serialize, JsonSchema)]
pub struct OneRecord {
    /// `{id, createdTime, fields}`.
    record: Value,
}

impl Tool for GetRecord {
    const NAME: &'static str = "get_record";
    const TITLE: &'static str = "Get a record";
    const DESCRIPTION: &'static str = "Get one record by its id (rec…) with all its fields, or only the fields named in `fields`.";
    const HINTS: Hints = READ;
    type Args = RecordArgs;
    type Output = OneRecord;

    async fn run(ctx: &Ctx<'_>, args: RecordArgs) -> Result<OneRecord, ApiError> {
        let (record, _) = ctx
            .airtable
            .cached_record(
                args.base_id.as_str(),
                args.table.as_str(),
                args.record_id.as_str(),
                false,
            )
            .await?;
        Ok(OneRecord {
            record: project(record, args.fields.as_deref().unwrap_or_default()),
        })
    }

    fn summary(out: &OneRecord) -> String {
        format!("record {}", out.record["id"].as_str().unwrap_or("?"))
    }
}

// ---------- search_records ----------

pub struct SearchRecords;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    base_id: BaseId,
    table: TableRef,
    /// Text to find (case-insensitive, anywhere in the value).
    #[schemars(length(min = 1, max = 500))]
    query: String,
    /// Fields to search in (default: every text, email, URL, phone and select field).
    search_fields: Option<Vec<String>>,
    /// Fields to return (default: all).
    fields: Option<Vec<String>>,
    /// At most this many records (1–100, default 20).
    #[schemars(range(min = 1, max = 100))]
    max_records: Option<usize>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    records: Vec<Value>,
    returned: usize,
    searched_fields: Vec<String>,
}

impl Tool for SearchRecords {
    const NAME: &'static str = "search_records";
    const TITLE: &'static str = "Search records";
    const DESCRIPTION: &'static str = "Find records whose text contains `query` (case-insensitive) in the chosen fields, or in every \
        text-like field when none are given. The query is escaped, so any text is safe to search for.";
    const HINTS: Hints = READ;
    type Args = SearchArgs;
    type Output = SearchResult;

    async fn run(ctx: &Ctx<'_>, args: SearchArgs) -> Result<SearchResult, ApiError> {
        let q = args.query.trim();
        if q.is_empty() || q.chars().count() > 500 {
            return Err(ApiError::invalid("query", "must hold 1 to 500 characters"));
        }
        let max = args.max_records.unwrap_or(20);
        if max == 0 || max > MAX_PAGE_SIZE {
            return Err(ApiError::invalid(
                "max_records",
                "must be between 1 and 100",
            ));
        }
        let (base, table) = (args.base_id.as_str(), args.table.as_str());
        let chosen = args.search_fields.unwrap_or_default();
        let (t, mut names) =
            table_with_fields(ctx, base, table, &[("search_fields", &chosen)]).await?;
        let searched = if chosen.is_empty() {
            schema::text_fields(&t)
        } else {
            names.remove(0)
        };
        let query = ListQuery {
            filter_by_formula: Some(formula::search(q, &searched)),
            fields: args.fields.unwrap_or_default(),
            page_size: Some(max),
            max_records: Some(max),
            ..Default::default()
        };
        let (page, _) = ctx
            .airtable
            .cached_page(base, table, &query, None, false)
            .await?;
        Ok(SearchResult {
            returned: page.records.len(),
            records: page.records,
            searched_fields: searched,
        })
    }

    fn summary(out: &SearchResult) -> String {
        format!("{} matches", out.returned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_records_moved_into_json_reads_as_it_serializes() {
        let page = |cursor: Option<&str>| RecordsPage {
            records: vec![
                json!({"id": "rec1", "createdTime": "2026-01-01T00:00:00.000Z", "fields": {"Name": "A"}}),
                json!({"id": "rec2", "createdTime": "2026-01-01T00:00:00.000Z", "fields": {}}),
            ],
            returned: 2,
            cursor: cursor.map(str::to_owned),
            total: None,
            truncated: cursor.is_some(),
        };
        for cursor in [Some("next"), None] {
            let moved = GetRecords::into_value(page(cursor)).unwrap();
            assert_eq!(moved, serde_json::to_value(page(cursor)).unwrap());
            assert_eq!(moved["records"][0]["fields"]["Name"], "A");
        }
    }
}
