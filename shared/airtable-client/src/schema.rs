//! Reading a base's schema (`{tables: [{id, name, fields, views}]}`): finding a table by id or
//! name, and the field types that searches, exports and syncs treat specially. Also the opaque
//! cursor our APIs hand out for Airtable's offsets.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use platform::error::{ApiError, FieldError};

/// A field to create, as the REST API and the tools take it.
#[derive(Debug, Clone, Deserialize, JsonSchema, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub name: String,
    /// An Airtable field type: singleLineText, multilineText, number, currency, percent, checkbox,
    /// singleSelect, multipleSelects, date, dateTime, email, url, phoneNumber, rating, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Type options as Airtable expects them, e.g. {"precision": 0} for number or
    /// {"choices": [{"name": "Open"}]} for singleSelect.
    #[schema(value_type = Option<Object>)]
    pub options: Option<Map<String, Value>>,
    pub description: Option<String>,
}

fn check_name(name: &str, path: String, errors: &mut Vec<FieldError>) {
    if name.trim().is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            path,
            "must hold 1 to 255 printable characters",
        ));
    }
}

impl FieldSpec {
    /// Checks the field (problems named under `path`, e.g. `fields[2].`) and returns the body
    /// Airtable's meta API takes.
    pub fn definition(&self, path: &str, errors: &mut Vec<FieldError>) -> Value {
        check_name(&self.name, format!("{path}name"), errors);
        if self.kind.trim().is_empty() {
            errors.push(FieldError::new(format!("{path}type"), "is required"));
        }
        let mut body = json!({"name": self.name.trim(), "type": self.kind.trim()});
        if let Some(o) = &self.options {
            body["options"] = Value::Object(o.clone());
        }
        if let Some(d) = self.description.as_deref().filter(|d| !d.is_empty()) {
            body["description"] = json!(d);
        }
        body
    }
}

/// Checks a new table (name, fields — the first is the primary field) and returns the body
/// Airtable's meta API takes.
pub fn table_definition(
    name: &str,
    description: Option<&str>,
    fields: &[FieldSpec],
) -> Result<Value, Vec<FieldError>> {
    let mut errors = Vec::new();
    check_name(name, "name".into(), &mut errors);
    if fields.is_empty() {
        errors.push(FieldError::new(
            "fields",
            "a table needs at least one field (the first is its primary field)",
        ));
    }
    let defs: Vec<Value> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| f.definition(&format!("fields[{i}]."), &mut errors))
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut body = json!({"name": name.trim(), "fields": defs});
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        body["description"] = json!(d);
    }
    Ok(body)
}

/// Field types whose text a search looks into by default.
pub const TEXT_TYPES: &[&str] = &[
    "singleLineText",
    "multilineText",
    "richText",
    "email",
    "url",
    "phoneNumber",
    "singleSelect",
    "multipleSelects",
];

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
pub const NUMBER_TYPES: &[&str] = &[
    "number",
    "currency",
    "percent",
    "duration",
    "rating",
    "count",
    "autoNumber",
];

/// The table with this id, or (case-insensitively) this name.
pub fn find_table<'a>(schema: &'a Value, table: &str) -> Option<&'a Value> {
    let tables = schema["tables"].as_array()?;
    tables.iter().find(|t| t["id"] == table).or_else(|| {
        tables.iter().find(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(table))
        })
    })
}

/// The fields of a table schema, in Airtable's order.
pub fn fields(table: &Value) -> &[Value] {
    table["fields"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The field with this id or name.
pub fn find_field<'a>(table: &'a Value, field: &str) -> Option<&'a Value> {
    fields(table)
        .iter()
        .find(|f| f["id"] == field || f["name"] == field)
}

/// A field's type (`""` when missing).
pub fn field_type(field: &Value) -> &str {
    field["type"].as_str().unwrap_or("")
}

/// Names of the table's text-like fields.
pub fn text_fields(table: &Value) -> Vec<String> {
    fields(table)
        .iter()
        .filter(|f| TEXT_TYPES.contains(&field_type(f)))
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect()
}

/// The opaque cursor for an Airtable offset.
pub fn encode_cursor(offset: &str) -> String {
    URL_SAFE_NO_PAD.encode(offset)
}

/// The offset inside a cursor this API returned.
pub fn decode_cursor(cursor: &str) -> Option<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

/// Field types a sync does not copy by default: computed ones, and ones whose values are ids
/// that mean nothing in another table (links, collaborators, attachments).
pub const NOT_SYNCED: &[&str] = &[
    "multipleRecordLinks",
    "singleCollaborator",
    "multipleCollaborators",
    "multipleAttachments",
];

/// The key field's name and the fields to copy (by name; records are keyed by name): the
/// caller's, checked, or every field of the source whose namesake in the target can be written.
/// The key is always among them.
pub fn sync_fields(
    source: &Value,
    target: &Value,
    key_field: &str,
    wanted: Option<Vec<String>>,
) -> Result<(String, Vec<String>), ApiError> {
    let writable = |f: &Value| {
        !COMPUTED_TYPES.contains(&field_type(f)) && !NOT_SYNCED.contains(&field_type(f))
    };
    let name_in = |t: &Value, f: &str| {
        find_field(t, f)
            .and_then(|x| x["name"].as_str())
            .map(str::to_owned)
    };
    let mut errors = Vec::new();
    let key = name_in(source, key_field).unwrap_or_default();
    if key.is_empty() {
        errors.push(FieldError::new(
            "key_field",
            format!("source_table has no field {key_field:?}"),
        ));
    } else {
        match find_field(target, &key) {
            None => errors.push(FieldError::new(
                "key_field",
                format!("target_table has no field {key:?}"),
            )),
            Some(f) if !writable(f) => errors.push(FieldError::new(
                "key_field",
                "cannot be written in the target table (computed or id-valued)",
            )),
            Some(_) => {}
        }
    }
    let mut fields = match wanted {
        Some(list) => {
            let mut names = Vec::new();
            for (i, f) in list.iter().enumerate() {
                let Some(name) = name_in(source, f) else {
                    errors.push(FieldError::new(
                        format!("fields[{i}]"),
                        format!("source_table has no field {f:?}"),
                    ));
                    continue;
                };
                match find_field(target, &name) {
                    Some(t) if writable(t) => names.push(name),
                    Some(_) => errors.push(FieldError::new(
                        format!("fields[{i}]"),
                        format!("{name:?} cannot be written in the target table"),
                    )),
                    None => errors.push(FieldError::new(
                        format!("fields[{i}]"),
                        format!("target_table has no field {name:?}"),
                    )),
                }
            }
            names
        }
        None => fields(source)
            .iter()
            .filter(|f| !NOT_SYNCED.contains(&field_type(f)))
            .filter_map(|f| f["name"].as_str())
            .filter(|n| find_field(target, n).is_some_and(writable))
            .map(str::to_owned)
            .collect(),
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if !fields.contains(&key) {
        fields.insert(0, key.clone());
    }
    Ok((key, fields))
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
        assert_eq!(
            find_table(&schema, "people").unwrap()["id"],
            "tblAAAAAAAAAAAAAA"
        );
        assert!(find_table(&schema, "tblAAAAAAAAAAAAAA").is_some());
        assert!(find_table(&schema, "Other").is_none());
        let t = find_table(&schema, "People").unwrap();
        assert_eq!(text_fields(t), vec!["Name", "Email"]);
        assert_eq!(find_field(t, "fld2").unwrap()["name"], "Age");
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert_eq!(
            decode_cursor(&encode_cursor("itr1/rec2")).as_deref(),
            Some("itr1/rec2")
        );
        assert!(decode_cursor("%%%").is_none());
    }
}
