//! The sandbox's data: bases, tables (fields, views), records — and how a written value is
//! checked (and, with `typecast`, converted) for its field type, as Airtable does.

use std::collections::BTreeMap;

use rand::Rng;
use serde_json::{Map, Value, json};

use super::formula::Val;

/// An Airtable-style id: a 3-letter prefix and 14 random alphanumerics (`recA1b2C3d4E5f6G7`).
pub fn new_id(prefix: &str) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let body: String = (0..14)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect();
    format!("{prefix}{body}")
}

/// Field types whose values Airtable computes; writing them is an error.
pub const COMPUTED: &[&str] = &[
    "createdTime",
    "lastModifiedTime",
    "autoNumber",
    "formula",
    "rollup",
    "count",
    "lookup",
    "multipleLookupValues",
];

/// Field types the sandbox accepts in schemas.
pub const SUPPORTED: &[&str] = &[
    "singleLineText",
    "multilineText",
    "richText",
    "email",
    "url",
    "phoneNumber",
    "number",
    "currency",
    "percent",
    "rating",
    "duration",
    "checkbox",
    "singleSelect",
    "multipleSelects",
    "date",
    "dateTime",
    "multipleRecordLinks",
    "multipleAttachments",
    "createdTime",
    "lastModifiedTime",
    "autoNumber",
];

#[derive(Debug, Clone)]
pub struct Field {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub options: Option<Value>,
    pub description: Option<String>,
}

impl Field {
    pub fn json(&self) -> Value {
        let mut v = json!({"id": self.id, "name": self.name, "type": self.kind});
        if let Some(o) = &self.options {
            v["options"] = o.clone();
        }
        if let Some(d) = &self.description {
            v["description"] = json!(d);
        }
        v
    }
}

#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    pub created_time: String,
    pub modified_time: String,
    pub seq: u64,
    /// Values by field id; empty values are absent.
    pub cells: BTreeMap<String, Value>,
}

#[derive(Debug, Clone)]
pub struct View {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub fields: Vec<Field>,
    pub views: Vec<View>,
    pub records: Vec<Record>,
    pub next_seq: u64,
}

impl Table {
    pub fn new(name: &str, description: Option<String>, fields: Vec<Field>) -> Self {
        Self {
            id: new_id("tbl"),
            name: name.to_owned(),
            description,
            fields,
            views: vec![View {
                id: new_id("viw"),
                name: "Grid view".into(),
            }],
            records: Vec::new(),
            next_seq: 1,
        }
    }

    pub fn json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "primaryFieldId": self.fields.first().map(|f| f.id.clone()),
            "fields": self.fields.iter().map(Field::json).collect::<Vec<_>>(),
            "views": self.views.iter().map(|w| json!({"id": w.id, "name": w.name, "type": "grid"})).collect::<Vec<_>>(),
        });
        if let Some(d) = &self.description {
            v["description"] = json!(d);
        }
        v
    }

    /// A field by name (exact, then case-insensitive) or id.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.name == key || f.id == key)
            .or_else(|| {
                self.fields
                    .iter()
                    .find(|f| f.name.eq_ignore_ascii_case(key))
            })
    }

    pub fn record(&self, id: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.id == id)
    }

    /// A cell's value as the API shows it, computed fields included.
    pub fn cell(&self, r: &Record, f: &Field) -> Option<Value> {
        match f.kind.as_str() {
            "createdTime" => Some(json!(r.created_time)),
            "lastModifiedTime" => Some(json!(r.modified_time)),
            "autoNumber" => Some(json!(r.seq)),
            _ => r.cells.get(&f.id).cloned(),
        }
    }

    /// A cell as a formula value.
    pub fn val(&self, r: &Record, f: &Field) -> Val {
        match self.cell(r, f) {
            None | Some(Value::Null) => Val::Blank,
            Some(Value::Bool(b)) => Val::Bool(b),
            Some(Value::Number(n)) => Val::Num(n.as_f64().unwrap_or(0.0)),
            Some(Value::String(s)) => Val::Text(s),
            Some(Value::Array(items)) => Val::Text(
                items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => s.clone(),
                        Value::Object(o) => o
                            .get("filename")
                            .or(o.get("url"))
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Some(other) => Val::Text(other.to_string()),
        }
    }

    /// The record as the API shows it.
    pub fn record_json(
        &self,
        r: &Record,
        by_id: bool,
        only: Option<&[String]>,
        as_string: bool,
    ) -> Value {
        let mut fields = Map::new();
        for f in &self.fields {
            if only.is_some_and(|o| !o.iter().any(|k| k == &f.id)) {
                continue;
            }
            if let Some(v) = self.cell(r, f) {
                let v = if as_string {
                    match self.val(r, f) {
                        Val::Blank => continue,
                        Val::Bool(b) => json!(if b { "checked" } else { "" }),
                        Val::Num(n) => json!(if n.fract() == 0.0 {
                            format!("{}", n as i64)
                        } else {
                            n.to_string()
                        }),
                        Val::Text(s) => json!(s),
                    }
                } else {
                    v
                };
                fields.insert(if by_id { f.id.clone() } else { f.name.clone() }, v);
            }
        }
        json!({"id": r.id, "createdTime": r.created_time, "fields": fields})
    }
}

#[derive(Debug, Clone)]
pub struct Base {
    pub id: String,
    pub name: String,
    pub tables: Vec<Table>,
}

impl Base {
    pub fn table(&self, key: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.id == key || t.name == key)
            .or_else(|| {
                self.tables
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(key))
            })
    }

    pub fn table_mut(&mut self, key: &str) -> Option<&mut Table> {
        let idx = self
            .tables
            .iter()
            .position(|t| t.id == key || t.name == key)
            .or_else(|| {
                self.tables
                    .iter()
                    .position(|t| t.name.eq_ignore_ascii_case(key))
            })?;
        self.tables.get_mut(idx)
    }
}

/// Why a value was refused: (Airtable error type, message).
pub type Refusal = (&'static str, String);

fn invalid(field: &Field) -> Refusal {
    (
        "INVALID_VALUE_FOR_COLUMN",
        format!("Field \"{}\" cannot accept the provided value", field.name),
    )
}

/// Checks (and with `typecast` converts) a written value. `Ok(None)` clears the cell. May add a
/// select option when typecasting.
pub fn coerce(field: &mut Field, value: &Value, typecast: bool) -> Result<Option<Value>, Refusal> {
    if COMPUTED.contains(&field.kind.as_str()) {
        return Err((
            "INVALID_VALUE_FOR_COLUMN",
            format!(
                "Field \"{}\" cannot accept a value because the field is computed",
                field.name
            ),
        ));
    }
    if value.is_null() {
        return Ok(None);
    }
    let as_text = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) if typecast => Some(n.to_string()),
            Value::Bool(b) if typecast => Some(b.to_string()),
            _ => None,
        }
    };
    let out = match field.kind.as_str() {
        "singleLineText" | "multilineText" | "richText" | "email" | "url" | "phoneNumber" => {
            let s = as_text(value).ok_or_else(|| invalid(field))?;
            if field.kind == "singleLineText" && s.contains('\n') && !typecast {
                return Err(invalid(field));
            }
            (!s.is_empty()).then(|| json!(s))
        }
        "number" | "currency" | "percent" | "rating" | "duration" => match value {
            Value::Number(_) => Some(value.clone()),
            Value::String(s) if typecast => {
                let t = s.trim();
                if t.is_empty() {
                    None
                } else {
                    let n: f64 = t.replace(',', "").parse().map_err(|_| invalid(field))?;
                    // Airtable's JSON writes whole numbers without a fraction.
                    Some(if n.fract() == 0.0 && n.abs() < 9e15 {
                        json!(n as i64)
                    } else {
                        json!(n)
                    })
                }
            }
            _ => return Err(invalid(field)),
        },
        "checkbox" => match value {
            Value::Bool(b) => b.then_some(json!(true)),
            Value::String(s) if typecast => matches!(
                s.trim().to_lowercase().as_str(),
                "true" | "1" | "yes" | "checked" | "x"
            )
            .then_some(json!(true)),
            Value::Number(n) if typecast => (n.as_f64() != Some(0.0)).then_some(json!(true)),
            _ => return Err(invalid(field)),
        },
        "singleSelect" => {
            let s = as_text(value).ok_or_else(|| invalid(field))?;
            if s.is_empty() {
                None
            } else {
                ensure_choice(field, &s, typecast)?;
                Some(json!(s))
            }
        }
        "multipleSelects" => {
            let items: Vec<String> = match value {
                Value::Array(a) => a
                    .iter()
                    .map(|v| as_text(v).ok_or_else(|| invalid(field)))
                    .collect::<Result<_, _>>()?,
                Value::String(s) if typecast => s
                    .split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect(),
                _ => return Err(invalid(field)),
            };
            for i in &items {
                ensure_choice(field, i, typecast)?;
            }
            (!items.is_empty()).then(|| json!(items))
        }
        "date" | "dateTime" => {
            let s = as_text(value).ok_or_else(|| invalid(field))?;
            let ok = s.len() >= 10
                && s.as_bytes()[4] == b'-'
                && s.as_bytes()[7] == b'-'
                && s[..4].chars().all(|c| c.is_ascii_digit());
            if !ok {
                return Err(invalid(field));
            }
            Some(json!(if field.kind == "date" {
                s[..10].to_owned()
            } else {
                s
            }))
        }
        "multipleRecordLinks" => {
            let ids: Vec<String> = match value {
                Value::Array(a) => a
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| invalid(field)))
                    .collect::<Result<_, _>>()?,
                Value::String(s) if typecast => vec![s.clone()],
                _ => return Err(invalid(field)),
            };
            if ids.iter().any(|i| !i.starts_with("rec")) {
                return Err(invalid(field));
            }
            (!ids.is_empty()).then(|| json!(ids))
        }
        "multipleAttachments" => match value {
            Value::Array(a) => {
                let mut out = Vec::new();
                for item in a {
                    let url = item
                        .get("url")
                        .and_then(Value::as_str)
                        .ok_or_else(|| invalid(field))?;
                    let filename = item
                        .get("filename")
                        .and_then(Value::as_str)
                        .unwrap_or_else(|| url.rsplit('/').next().unwrap_or("file"));
                    out.push(json!({"id": new_id("att"), "url": url, "filename": filename}));
                }
                (!out.is_empty()).then(|| json!(out))
            }
            _ => return Err(invalid(field)),
        },
        _ => Some(value.clone()),
    };
    Ok(out)
}

fn ensure_choice(field: &mut Field, name: &str, typecast: bool) -> Result<(), Refusal> {
    let choices = field.options.get_or_insert_with(|| json!({"choices": []}));
    let list = choices.get_mut("choices").and_then(Value::as_array_mut);
    let Some(list) = list else {
        return Err(invalid_choice(name));
    };
    if list
        .iter()
        .any(|c| c.get("name").and_then(Value::as_str) == Some(name))
    {
        return Ok(());
    }
    if !typecast {
        return Err(invalid_choice(name));
    }
    list.push(json!({"id": new_id("sel"), "name": name, "color": "blueLight2"}));
    Ok(())
}

fn invalid_choice(name: &str) -> Refusal {
    (
        "INVALID_MULTIPLE_CHOICE_OPTIONS",
        format!("Insufficient permissions to create new select option \"\"{name}\"\""),
    )
}

/// Checks a field definition of a schema request; returns the field with an id.
pub fn new_field(def: &Value) -> Result<Field, Refusal> {
    let bad = |m: &str| ("INVALID_REQUEST_UNKNOWN", m.to_owned());
    let name = def
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or((
            "DUPLICATE_OR_EMPTY_FIELD_NAME",
            "Field name cannot be empty".to_owned(),
        ))?;
    let kind = def
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("Field type is required"))?;
    if !SUPPORTED.contains(&kind) {
        return Err((
            "INVALID_FIELD_TYPE",
            format!("Unknown or unsupported field type \"{kind}\""),
        ));
    }
    let mut options = def.get("options").cloned().filter(|o| !o.is_null());
    if matches!(kind, "singleSelect" | "multipleSelects") {
        let mut o = options.unwrap_or_else(|| json!({"choices": []}));
        if let Some(list) = o.get_mut("choices").and_then(Value::as_array_mut) {
            for c in list.iter_mut() {
                if c.get("id").is_none() {
                    c["id"] = json!(new_id("sel"));
                }
            }
        }
        options = Some(o);
    }
    Ok(Field {
        id: new_id("fld"),
        name: name.to_owned(),
        kind: kind.to_owned(),
        options,
        description: def
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// The demo base `make dev` starts with: a small CRM.
pub fn demo_base() -> Base {
    let f = |name: &str, kind: &str, options: Option<Value>| {
        new_field(&json!({"name": name, "type": kind, "options": options}))
            .expect("valid demo field")
    };
    let status = json!({"choices": [{"name": "Lead"}, {"name": "Customer"}, {"name": "Churned"}]});
    let mut companies = Table::new(
        "Companies",
        Some("Organisations we work with".into()),
        vec![
            f("Name", "singleLineText", None),
            f("Industry", "singleLineText", None),
            f("Employees", "number", Some(json!({"precision": 0}))),
        ],
    );
    let mut contacts = Table::new(
        "Contacts",
        Some("People and where they are in the funnel".into()),
        vec![
            f("Name", "singleLineText", None),
            f("Email", "email", None),
            f("Company", "singleLineText", None),
            f("Status", "singleSelect", Some(status)),
            f("Score", "number", Some(json!({"precision": 0}))),
            f(
                "Active",
                "checkbox",
                Some(json!({"icon": "check", "color": "greenBright"})),
            ),
            f(
                "Signed up",
                "date",
                Some(json!({"dateFormat": {"name": "iso"}})),
            ),
            f("Notes", "multilineText", None),
        ],
    );
    let firms = [
        ("Analytical Engines Ltd", "Computing", 12),
        ("Difference Works", "Manufacturing", 240),
        ("Jacquard Looms", "Textiles", 85),
    ];
    for (name, industry, employees) in firms {
        insert(
            &mut companies,
            &json!({"Name": name, "Industry": industry, "Employees": employees}),
        );
    }
    let people = [
        (
            "Ada Lovelace",
            "Analytical Engines Ltd",
            "Customer",
            98,
            true,
        ),
        ("Charles Babbage", "Difference Works", "Customer", 91, true),
        ("Grace Hopper", "Analytical Engines Ltd", "Lead", 77, true),
        ("Alan Turing", "Jacquard Looms", "Lead", 88, false),
        (
            "Katherine Johnson",
            "Difference Works",
            "Churned",
            65,
            false,
        ),
        ("Edsger Dijkstra", "Jacquard Looms", "Customer", 83, true),
    ];
    for (i, (name, company, status, score, active)) in people.into_iter().enumerate() {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        insert(
            &mut contacts,
            &json!({"Name": name, "Email": email, "Company": company, "Status": status, "Score": score, "Active": active, "Signed up": format!("2026-0{}-1{}", i % 9 + 1, i)}),
        );
    }
    Base {
        id: new_id("app"),
        name: "Demo CRM".into(),
        tables: vec![contacts, companies],
    }
}

/// Inserts a record from `{name: value}` (seeding only: the demo's values are valid).
pub fn insert(table: &mut Table, fields: &Value) -> String {
    seed(table, fields).expect("valid demo record")
}

/// Inserts a seeded record from `{name: value}`, typecasting values; an unknown field name or a
/// value that cannot be cast is refused.
pub fn seed(table: &mut Table, fields: &Value) -> Result<String, String> {
    let now = platform::time::now_rfc3339();
    let mut cells = BTreeMap::new();
    for (k, v) in fields.as_object().into_iter().flatten() {
        let idx = table
            .fields
            .iter()
            .position(|f| &f.name == k)
            .ok_or_else(|| format!("Unknown field name: \"{k}\""))?;
        if let Some(v) = coerce(&mut table.fields[idx], v, true).map_err(|(_, msg)| msg)? {
            cells.insert(table.fields[idx].id.clone(), v);
        }
    }
    let id = new_id("rec");
    let seq = table.next_seq;
    table.next_seq += 1;
    table.records.push(Record {
        id: id.clone(),
        created_time: now.clone(),
        modified_time: now,
        seq,
        cells,
    });
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: &str) -> Field {
        new_field(&json!({"name": "F", "type": kind})).unwrap()
    }

    #[test]
    fn ids_look_like_airtables() {
        let id = new_id("rec");
        assert_eq!(id.len(), 17);
        assert!(id.starts_with("rec") && id[3..].chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn values_are_checked_and_typecast() {
        let mut n = field("number");
        assert_eq!(coerce(&mut n, &json!(3), false).unwrap(), Some(json!(3)));
        assert!(coerce(&mut n, &json!("3"), false).is_err());
        assert_eq!(
            coerce(&mut n, &json!("1,200.5"), true).unwrap(),
            Some(json!(1200.5))
        );
        let mut c = field("checkbox");
        assert_eq!(
            coerce(&mut c, &json!(false), false).unwrap(),
            None,
            "false is empty"
        );
        assert_eq!(
            coerce(&mut c, &json!("yes"), true).unwrap(),
            Some(json!(true))
        );
        let mut t = field("singleLineText");
        assert!(coerce(&mut t, &json!(5), false).is_err());
        assert_eq!(coerce(&mut t, &json!(5), true).unwrap(), Some(json!("5")));
        let mut auto = field("autoNumber");
        assert!(coerce(&mut auto, &json!(1), true).is_err());
    }

    #[test]
    fn unknown_select_options_need_typecast() {
        let mut s = new_field(
            &json!({"name": "S", "type": "singleSelect", "options": {"choices": [{"name": "A"}]}}),
        )
        .unwrap();
        assert!(coerce(&mut s, &json!("A"), false).is_ok());
        assert_eq!(
            coerce(&mut s, &json!("B"), false).unwrap_err().0,
            "INVALID_MULTIPLE_CHOICE_OPTIONS"
        );
        assert!(coerce(&mut s, &json!("B"), true).is_ok());
        assert_eq!(s.options.unwrap()["choices"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn the_demo_base_has_contacts_and_companies() {
        let b = demo_base();
        assert_eq!(b.table("Contacts").unwrap().records.len(), 6);
        assert_eq!(b.table("companies").unwrap().records.len(), 3);
        let t = b.table("Contacts").unwrap();
        let ada = t.record_json(&t.records[0], false, None, false);
        assert_eq!(ada["fields"]["Status"], "Customer");
        assert_eq!(ada["fields"]["Active"], true);
    }
}
