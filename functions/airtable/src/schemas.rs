//! The shapes of the gateway's answers as the OpenAPI document describes them (Airtable's own
//! shapes, passed through). Handlers relay Airtable's JSON as it comes, so these types are never
//! built: they describe, and the black-box suite checks every answer it receives against them
//! (`tests::conformance`), so the document cannot drift from what is sent.
#![allow(dead_code)]

use serde_json::Value;
use utoipa::ToSchema;

/// A base the token can see.
#[derive(ToSchema)]
#[schema(as = Base)]
#[serde(rename_all = "camelCase")]
pub struct Base {
    /// `app…`
    id: String,
    name: String,
    /// `none`, `read`, `comment`, `edit` or `create`.
    permission_level: String,
}

#[derive(ToSchema)]
pub struct BasesResponse {
    bases: Vec<Base>,
}

/// A field of a table, in schema order.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// `fld…`
    id: String,
    name: String,
    /// Airtable's field type: `singleLineText`, `number`, `checkbox`, `singleSelect`, …
    #[serde(rename = "type")]
    kind: String,
    description: Option<String>,
    /// Type-specific options (choices, precision, linked table, …).
    #[schema(value_type = Option<Object>)]
    options: Option<Value>,
}

#[derive(ToSchema)]
pub struct View {
    /// `viw…`
    id: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    /// `tbl…`
    id: String,
    name: String,
    description: Option<String>,
    primary_field_id: String,
    fields: Vec<Field>,
    views: Vec<View>,
}

#[derive(ToSchema)]
pub struct TablesResponse {
    tables: Vec<Table>,
}

/// A record: its cells keyed by field name (empty cells are absent, as Airtable sends them).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AirtableRecord {
    /// `rec…`
    id: String,
    created_time: String,
    #[schema(value_type = Object)]
    fields: Value,
}

/// A page of records and the cursor of the next one; with `all=true`, every record and `total`.
#[derive(ToSchema)]
pub struct RecordsPage {
    records: Vec<AirtableRecord>,
    /// Absent on the last page.
    cursor: Option<String>,
    /// Only with `all=true`.
    total: Option<u64>,
}

/// Records written (upserts also say which were created and which updated).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordsWritten {
    records: Vec<AirtableRecord>,
    created_records: Option<Vec<String>>,
    updated_records: Option<Vec<String>>,
}

/// A deleted record.
#[derive(ToSchema)]
pub struct RecordDeleted {
    id: String,
    deleted: bool,
}

/// Deleted records (their ids).
#[derive(ToSchema)]
pub struct RecordsDeleted {
    deleted: Vec<String>,
}

/// One record to create (`records[]` of `POST /api/v1/records`).
#[derive(utoipa::ToSchema)]
pub struct NewRecord {
    /// Cell values by field name (or id).
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// One record to change (`records[]` of `PATCH`/`PUT /api/v1/records`).
#[derive(utoipa::ToSchema)]
pub struct RecordChange {
    #[schema(value_type = platform::ids::RecordId, inline)]
    pub id: String,
    /// Cell values by field name (or id).
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}
