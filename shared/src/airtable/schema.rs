//! Reading a base's schema (`{tables: [{id, name, fields, views}]}`): finding a table by id or
//! name, and the field types that searches, exports and syncs treat specially. Also the opaque
//! cursor our APIs hand out for Airtable's offsets.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// Field types whose text a search looks into by default.
pub const TEXT_TYPES: &[&str] =
    &["singleLineText", "multilineText", "richText", "email", "url", "phoneNumber", "singleSelect", "multipleSelects"];

/// Field types Airtable computes: they cannot be written.
pub const COMPUTED_TYPES: &[&str] = &[
    "formula",
    "rollup",
    "lookup",
    "multipleLookupValues",
    "count",
    "autoNumber",
    "createdTime",
    "lastModifiedTime",
    "createdBy",
    "lastModifiedBy",
    "button",
    "externalSyncSource",
    "aiText",
];

/// Numeric field types.
pub const NUMBER_TYPES: &[&str] = &["number", "currency", "percent", "duration", "rating", "count", "autoNumber"];

/// The table with this id, or (case-insensitively) this name.
pub fn find_table<'a>(schema: &'a Value, table: &str) -> Option<&'a Value> {
    let tables = schema["tables"].as_array()?;
    tables
        .iter()
        .find(|t| t["id"] == table)
        .or_else(|| tables.iter().find(|t| t["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(table))))
}

/// The fields of a table schema, in Airtable's order.
pub fn fields(table: &Value) -> &[Value] {
    table["fields"].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The field with this id or name.
pub fn find_field<'a>(table: &'a Value, field: &str) -> Option<&'a Value> {
    fields(table).iter().find(|f| f["id"] == field || f["name"] == field)
}

/// A field's type (`""` when missing).
pub fn field_type(field: &Value) -> &str {
    field["type"].as_str().unwrap_or("")
}

/// Names of the table's text-like fields.
pub fn text_fields(table: &Value) -> Vec<String> {
    fields(table).iter().filter(|f| TEXT_TYPES.contains(&field_type(f))).filter_map(|f| f["name"].as_str().map(str::to_owned)).collect()
}

/// The opaque cursor for an Airtable offset.
pub fn encode_cursor(offset: &str) -> String {
    URL_SAFE_NO_PAD.encode(offset)
}

/// The offset inside a cursor this API returned.
pub fn decode_cursor(cursor: &str) -> Option<String> {
    URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|b| String::from_utf8(b).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_are_found_by_id_or_any_case_of_their_name() {
        let schema = json!({"tables": [{"id": "tblAAAAAAAAAAAAAA", "name": "People", "fields": [
            {"id": "fld1", "name": "Name", "type": "singleLineText"}, {"id": "fld2", "name": "Age", "type": "number"},
            {"id": "fld3", "name": "Email", "type": "email"}]}]});
        assert_eq!(find_table(&schema, "people").unwrap()["id"], "tblAAAAAAAAAAAAAA");
        assert!(find_table(&schema, "tblAAAAAAAAAAAAAA").is_some());
        assert!(find_table(&schema, "Other").is_none());
        let t = find_table(&schema, "People").unwrap();
        assert_eq!(text_fields(t), vec!["Name", "Email"]);
        assert_eq!(find_field(t, "fld2").unwrap()["name"], "Age");
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert_eq!(decode_cursor(&encode_cursor("itr1/rec2")).as_deref(), Some("itr1/rec2"));
        assert!(decode_cursor("%%%").is_none());
    }
}
