//! Tools that read a whole table and compute over it: data profile with insights, duplicate
//! groups by a normalised key, and a CSV export (inline text, or an S3 object behind a presigned
//! link when large).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use super::read::{Sort, sort_pairs};
use super::{Ctx, Hints, READ, Tool, table_with_fields};
use airtable_client::{ListQuery, MAX_PAGE_SIZE, schema};
use platform::error::ApiError;
use platform::ids::{BaseId, TableRef};

/// Records shown per duplicate group (`count` says how many there are).
const MAX_GROUP_RECORDS: usize = 20;
/// Characters of a value shown in a profile's top values.
const MAX_VALUE_CHARS: usize = 200;

/// Records one analysis reads at most (100 pages: ~20 s at Airtable's 5 requests/s).
const MAX_ANALYZED: usize = 10_000;
/// CSV up to this size comes back inline; larger goes to S3.
const INLINE_CSV_BYTES: usize = 50_000;
/// Presigned export links live this long.
const LINK_TTL: Duration = Duration::from_secs(3600);

/// A cell as text: numbers without a trailing `.0`, lists joined, collaborators and attachments
/// by name, email or URL.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell_text).collect::<Vec<_>>().join(", "),
        Value::Object(o) => ["name", "email", "url", "filename", "label", "text", "value"]
            .iter()
            .find_map(|k| o.get(*k).filter(|x| !x.is_null()).map(cell_text))
            .or_else(|| {
                o.get("specialValue")
                    .or(o.get("error"))
                    .map(|e| format!("#{}", cell_text(e)))
            })
            .unwrap_or_else(|| v.to_string()),
    }
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// A key for comparing values as people mean them: compatibility-decomposed, accents dropped,
/// lowercased, and every run of non-alphanumerics one space ("  Ada  LOVELACE." = "ada lovelace").
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
    {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

fn table_columns(table: &Value, wanted: &[String]) -> Vec<String> {
    if wanted.is_empty() {
        schema::fields(table)
            .iter()
            .filter_map(|f| f["name"].as_str().map(str::to_owned))
            .collect()
    } else {
        wanted.to_vec()
    }
}

// ---------- analyze_table_data ----------

pub struct AnalyzeTableData;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeArgs {
    base_id: BaseId,
    table: TableRef,
    /// Fields to profile (default: all).
    fields: Option<Vec<String>>,
    /// Profile only the records for which this formula is true.
    filter_by_formula: Option<String>,
    /// Read at most this many records (default and maximum 10000).
    #[schemars(range(min = 1, max = 10000))]
    max_records: Option<usize>,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct NumberStats {
    min: f64,
    max: f64,
    mean: f64,
    median: f64,
    sum: f64,
    stddev: f64,
    /// Values beyond three standard deviations from the mean.
    outliers: usize,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FieldProfile {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    /// Records where the field is not empty.
    filled: usize,
    /// `filled` / records, 0–1.
    fill_rate: f64,
    /// Distinct non-empty values (compared as text).
    distinct: usize,
    /// The most common values with their counts (up to 5).
    top_values: Vec<ValueCount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    numbers: Option<NumberStats>,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct ValueCount {
    value: String,
    count: usize,
}

#[derive(Serialize, JsonSchema, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    records: usize,
    /// Fewer records were read than match (max_records reached).
    truncated: bool,
    fields: Vec<FieldProfile>,
    /// Plain-language observations: sparse fields, candidate keys, constant fields, outliers, skew.
    insights: Vec<String>,
}

fn number_stats(mut values: Vec<f64>) -> Option<NumberStats> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let sum: f64 = values.iter().sum();
    let mean = sum / n;
    let stddev = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let mid = values.len() / 2;
    let median = if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    };
    let outliers = if stddev > 0.0 {
        values
            .iter()
            .filter(|v| ((*v - mean) / stddev).abs() > 3.0)
            .count()
    } else {
        0
    };
    let round = |x: f64| (x * 1e6).round() / 1e6;
    Some(NumberStats {
        min: values[0],
        max: values[values.len() - 1],
        mean: round(mean),
        median,
        sum: round(sum),
        stddev: round(stddev),
        outliers,
    })
}

/// Profiles the named fields over the records (types from the schema where known).
pub fn profile(
    records: &[Value],
    columns: &[(String, String)],
) -> (Vec<FieldProfile>, Vec<String>) {
    let total = records.len();
    let mut profiles = Vec::new();
    let mut insights = Vec::new();
    if total == 0 {
        insights.push("The table (or the filtered selection) has no records.".to_owned());
    }
    for (name, kind) in columns {
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut numbers = Vec::new();
        let mut filled = 0;
        let mut all_numeric = true;
        for r in records {
            let v = r["fields"].get(name);
            if is_empty(v) {
                continue;
            }
            filled += 1;
            let v = v.unwrap_or(&Value::Null);
            match v.as_f64() {
                Some(f) if v.is_number() => numbers.push(f),
                _ => all_numeric = false,
            }
            *counts.entry(cell_text(v)).or_default() += 1;
        }
        let mut top: Vec<ValueCount> = counts
            .iter()
            .map(|(value, count)| ValueCount {
                value: value.clone(),
                count: *count,
            })
            .collect();
        top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        top.truncate(5);
        for t in &mut top {
            if t.value.chars().count() > MAX_VALUE_CHARS {
                t.value = t.value.chars().take(MAX_VALUE_CHARS).chain(['…']).collect();
            }
        }
        let fill_rate = if total == 0 {
            0.0
        } else {
            ((filled as f64 / total as f64) * 1000.0).round() / 1000.0
        };
        let numbers = if all_numeric {
            number_stats(numbers)
        } else {
            None
        };
        let distinct = counts.len();
        if total > 0 {
            let pct = |x: f64| (x * 100.0).round();
            if kind == "checkbox" {
                insights.push(format!(
                    "{name} is checked in {}% of records.",
                    pct(fill_rate)
                ));
            } else if filled == 0 {
                insights.push(format!("{name} is empty in every record."));
            } else if fill_rate < 0.5 {
                insights.push(format!(
                    "{name} is empty in {}% of records.",
                    pct(1.0 - fill_rate)
                ));
            }
            if filled > 1 && distinct == filled && filled == total && kind != "checkbox" {
                insights.push(format!(
                    "{name} is filled and unique in every record: a candidate key."
                ));
            } else if distinct == 1 && filled > 1 && kind != "checkbox" {
                insights.push(format!(
                    "{name} has the same value ({:?}) in every filled record.",
                    top[0].value
                ));
            } else if distinct > 1
                && !top.is_empty()
                && top[0].count as f64 / filled as f64 > 0.8
                && filled >= 10
            {
                insights.push(format!(
                    "{name} is dominated by {:?} ({}% of filled records).",
                    top[0].value,
                    pct(top[0].count as f64 / filled as f64)
                ));
            }
            if let Some(s) = numbers.as_ref().filter(|s| s.outliers > 0) {
                insights.push(format!(
                    "{name} has {} outlier(s) more than three standard deviations from the mean {} (range {} to {}).",
                    s.outliers, s.mean, s.min, s.max
                ));
            }
        }
        profiles.push(FieldProfile {
            name: name.clone(),
            kind: kind.clone(),
            filled,
            fill_rate,
            distinct,
            top_values: top,
            numbers,
        });
    }
    (profiles, insights)
}

impl Tool for AnalyzeTableData {
    const NAME: &'static str = "analyze_table_data";
    const TITLE: &'static str = "Analyze table data";
    const DESCRIPTION: &'static str = "Profile a table's data: per field the fill rate, distinct values, the most common values and, for \
        numbers, min/max/mean/median/sum/standard deviation and outliers; plus plain-language insights (sparse fields, candidate keys, \
        constant or skewed fields, outliers). Reads up to 10000 records, optionally filtered.";
    const HINTS: Hints = READ;
    type Args = AnalyzeArgs;
    type Output = Analysis;

    async fn run(ctx: &Ctx<'_>, args: AnalyzeArgs) -> Result<Analysis, ApiError> {
        let max = args.max_records.unwrap_or(MAX_ANALYZED);
        if max == 0 || max > MAX_ANALYZED {
            return Err(ApiError::invalid(
                "max_records",
                "must be between 1 and 10000",
            ));
        }
        let (base, table) = (args.base_id.as_str(), args.table.as_str());
        let (t, mut names) = table_with_fields(
            ctx,
            base,
            table,
            &[("fields", &args.fields.unwrap_or_default())],
        )
        .await?;
        let wanted = names.remove(0);
        let columns: Vec<(String, String)> = table_columns(&t, &wanted)
            .into_iter()
            .map(|n| {
                let kind = schema::find_field(&t, &n)
                    .map(schema::field_type)
                    .unwrap_or("")
                    .to_owned();
                (n, kind)
            })
            .collect();
        // One more than the cap tells whether there were more.
        let query = ListQuery {
            filter_by_formula: args.filter_by_formula.filter(|f| !f.trim().is_empty()),
            fields: wanted,
            page_size: Some(MAX_PAGE_SIZE),
            max_records: Some(max + 1),
            ..Default::default()
        };
        let (mut records, _) = ctx.airtable.cached_all(base, table, &query, false).await?;
        let truncated = records.len() > max;
        records.truncate(max);
        let (fields, insights) = profile(&records, &columns);
        Ok(Analysis {
            records: records.len(),
            truncated,
            fields,
            insights,
        })
    }

    fn summary(out: &Analysis) -> String {
        format!(
            "{} records, {} fields, {} insights",
            out.records,
            out.fields.len(),
            out.insights.len()
        )
    }
}

// ---------- find_duplicates ----------

pub struct FindDuplicates;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesArgs {
    base_id: BaseId,
    table: TableRef,
    /// 1–5 fields that together identify a record, e.g. ["Email"] or ["First Name", "Last Name"].
    #[schemars(length(min = 1, max = 5))]
    fields: Vec<String>,
    /// Other fields to show for each duplicate record.
    return_fields: Option<Vec<String>>,
    /// At most this many groups (default 50, max 500); `groupCount` counts them all.
    #[schemars(range(min = 1, max = 500))]
    max_groups: Option<usize>,
}

#[derive(Serialize, JsonSchema, Debug)]
pub struct DuplicateGroup {
    /// The normalised key the records share.
    key: String,
    count: usize,
    /// `{id, fields}` projected to the key and return fields, oldest first (at most 20).
    records: Vec<Value>,
}

#[derive(Serialize, JsonSchema, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Duplicates {
    /// Records read (all of the table).
    records: usize,
    group_count: usize,
    /// Records that have at least one duplicate.
    duplicate_records: usize,
    /// Largest groups first.
    groups: Vec<DuplicateGroup>,
    truncated: bool,
}

/// Groups records whose normalised key over `fields` is equal; records with every key field
/// empty are not duplicates of each other.
pub fn duplicate_groups(
    records: &[Value],
    fields: &[String],
    shown: &[String],
) -> Vec<DuplicateGroup> {
    let mut groups: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for r in records {
        let parts: Vec<String> = fields
            .iter()
            .map(|f| normalise(&cell_text(r["fields"].get(f).unwrap_or(&Value::Null))))
            .collect();
        if parts.iter().all(String::is_empty) {
            continue;
        }
        groups.entry(parts.join(" | ")).or_default().push(r);
    }
    let mut out: Vec<DuplicateGroup> = groups
        .into_iter()
        .filter(|(_, rs)| rs.len() > 1)
        .map(|(key, mut rs)| {
            rs.sort_by(|a, b| a["createdTime"].as_str().cmp(&b["createdTime"].as_str()));
            let records = rs
                .iter()
                .take(MAX_GROUP_RECORDS)
                .map(|r| super::project((*r).clone(), shown))
                .map(|r| json!({"id": r["id"], "fields": r["fields"]}))
                .collect();
            DuplicateGroup {
                key,
                count: rs.len(),
                records,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out
}

impl Tool for FindDuplicates {
    const NAME: &'static str = "find_duplicates";
    const TITLE: &'static str = "Find duplicates";
    const DESCRIPTION: &'static str = "Find groups of records that are duplicates on the given fields, comparing a normalised key \
        (case, accents, punctuation and extra spaces ignored, so \"Ada  Lovelace.\" equals \"ada lovelace\"). Reads every record of \
        the table. Returns the groups, largest first, with each record's id and fields.";
    const HINTS: Hints = READ;
    type Args = DuplicatesArgs;
    type Output = Duplicates;

    async fn run(ctx: &Ctx<'_>, args: DuplicatesArgs) -> Result<Duplicates, ApiError> {
        if args.fields.is_empty() || args.fields.len() > 5 {
            return Err(ApiError::invalid("fields", "name 1 to 5 fields"));
        }
        let max_groups = args.max_groups.unwrap_or(50);
        if max_groups == 0 || max_groups > 500 {
            return Err(ApiError::invalid("max_groups", "must be between 1 and 500"));
        }
        let (base, table) = (args.base_id.as_str(), args.table.as_str());
        let extra = args.return_fields.unwrap_or_default();
        let (_, names) = table_with_fields(
            ctx,
            base,
            table,
            &[("fields", &args.fields), ("return_fields", &extra)],
        )
        .await?;
        let (key, extra) = (&names[0], &names[1]);
        let mut shown = key.clone();
        shown.extend(extra.iter().filter(|f| !key.contains(f)).cloned());
        let query = ListQuery {
            fields: shown.clone(),
            page_size: Some(MAX_PAGE_SIZE),
            ..Default::default()
        };
        let (records, _) = ctx.airtable.cached_all(base, table, &query, false).await?;
        let mut groups = duplicate_groups(&records, key, &shown);
        let group_count = groups.len();
        let duplicate_records = groups.iter().map(|g| g.count).sum();
        groups.truncate(max_groups);
        Ok(Duplicates {
            records: records.len(),
            group_count,
            duplicate_records,
            truncated: group_count > groups.len(),
            groups,
        })
    }

    fn summary(out: &Duplicates) -> String {
        format!(
            "{} duplicate groups ({} records) among {}",
            out.group_count, out.duplicate_records, out.records
        )
    }
}

// ---------- export_table_csv ----------

pub struct ExportTableCsv;

#[derive(Deserialize, JsonSchema, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// Text up to 50 KB, a download link above.
    #[default]
    Auto,
    /// Always the CSV text (refused above 1 MB).
    Text,
    /// Always a download link.
    Link,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportArgs {
    base_id: BaseId,
    table: TableRef,
    /// Columns, in order (default: every field in the table's order).
    fields: Option<Vec<String>>,
    filter_by_formula: Option<String>,
    view: Option<String>,
    sort: Option<Vec<Sort>>,
    /// `auto` (default), `text` or `link`.
    #[serde(default)]
    delivery: Delivery,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Export {
    rows: usize,
    columns: Vec<String>,
    bytes: usize,
    /// The CSV (RFC 4180, header row first), when delivered as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    csv: Option<String>,
    /// A presigned download link (valid one hour), when delivered as a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or CR first) gets a
/// leading `'`, which spreadsheets show as text and never evaluate (OWASP's CSV injection
/// advice). Plain numbers (`-12.5`, `+3`) stay as they are: they are data, not formulas.
pub fn defuse(cell: String) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number =
        cell.trim().parse::<f64>().is_ok_and(f64::is_finite) && !cell.contains(['\t', '\r']);
    if risky && !number {
        format!("'{cell}")
    } else {
        cell
    }
}

/// Renders records as CSV with a header row; every cell through [`cell_text`] and [`defuse`]
/// (field names too: a column can be called `=cmd|…`).
pub fn to_csv(records: &[Value], columns: &[String]) -> Result<String, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(columns.iter().map(|c| defuse(c.clone())))?;
    for r in records {
        w.write_record(
            columns
                .iter()
                .map(|c| defuse(cell_text(r["fields"].get(c).unwrap_or(&Value::Null)))),
        )?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A file name from a table name: letters, digits, `-` and `_` only.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if stem.trim_matches('_').is_empty() {
        "export".into()
    } else {
        stem
    }
}

impl Tool for ExportTableCsv {
    const NAME: &'static str = "export_table_csv";
    const TITLE: &'static str = "Export a table as CSV";
    const DESCRIPTION: &'static str = "Export every record of a table (optionally filtered, sorted, limited to a view or to some fields) \
        as CSV with a header row. Small exports come back as text; large ones (over 50 KB) are stored as a file and returned as a \
        download link valid for one hour. delivery=text or link forces one or the other.";
    const HINTS: Hints = READ;
    type Args = ExportArgs;
    type Output = Export;

    async fn run(ctx: &Ctx<'_>, args: ExportArgs) -> Result<Export, ApiError> {
        let (base, table) = (args.base_id.as_str(), args.table.as_str());
        let (t, mut names) = table_with_fields(
            ctx,
            base,
            table,
            &[("fields", &args.fields.unwrap_or_default())],
        )
        .await?;
        let wanted = names.remove(0);
        let columns = table_columns(&t, &wanted);
        let query = ListQuery {
            filter_by_formula: args.filter_by_formula.filter(|f| !f.trim().is_empty()),
            sort: sort_pairs(args.sort.as_deref().unwrap_or_default()),
            fields: wanted,
            view: args.view,
            page_size: Some(MAX_PAGE_SIZE),
            ..Default::default()
        };
        let (records, _) = ctx.airtable.cached_all(base, table, &query, false).await?;
        let csv = to_csv(&records, &columns).map_err(ApiError::internal)?;
        let bytes = csv.len();
        let as_text = match args.delivery {
            Delivery::Auto => bytes <= INLINE_CSV_BYTES,
            Delivery::Text if bytes > 1 << 20 => {
                return Err(ApiError::bad_request(
                    "too_large",
                    format!("the CSV is {bytes} bytes; use delivery=link for more than 1 MB"),
                ));
            }
            Delivery::Text => true,
            Delivery::Link => false,
        };
        if as_text {
            return Ok(Export {
                rows: records.len(),
                columns,
                bytes,
                csv: Some(csv),
                url: None,
                expires_at: None,
            });
        }
        let name = t["name"].as_str().unwrap_or("export");
        let key = format!(
            "exports/{}/{}/{}.csv",
            ctx.identity.tenant.as_str(),
            uuid::Uuid::new_v4().simple(),
            file_stem(name)
        );
        let s3 = &ctx.toolbox.s3;
        s3.put_object()
            .bucket(&ctx.toolbox.bucket)
            .key(&key)
            .content_type("text/csv; charset=utf-8")
            .content_disposition(format!("attachment; filename=\"{}.csv\"", file_stem(name)))
            .body(csv.into_bytes().into())
            .send()
            .await
            .map_err(ApiError::internal)?;
        let presign = aws_sdk_s3::presigning::PresigningConfig::expires_in(LINK_TTL)
            .map_err(ApiError::internal)?;
        let link = s3
            .get_object()
            .bucket(&ctx.toolbox.bucket)
            .key(&key)
            .presigned(presign)
            .await
            .map_err(ApiError::internal)?;
        let expires_at = platform::time::epoch_to_rfc3339(
            platform::time::now_epoch() + LINK_TTL.as_secs() as i64,
        );
        Ok(Export {
            rows: records.len(),
            columns,
            bytes,
            csv: None,
            url: Some(link.uri().to_owned()),
            expires_at: Some(expires_at),
        })
    }

    fn summary(out: &Export) -> String {
        format!(
            "{} rows, {} bytes{}",
            out.rows,
            out.bytes,
            if out.url.is_some() { " (link)" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalise_case_accents_punctuation_and_spaces() {
        assert_eq!(normalise("  Ada  LOVELACE. "), "ada lovelace");
        assert_eq!(normalise("Zoë Ångström"), "zoe angstrom");
        assert_eq!(normalise("+1 (555) 010-9999"), "1 555 010 9999");
        assert_eq!(normalise("ADA@Example.com"), normalise("ada@example.COM"));
        assert_eq!(normalise("…"), "");
    }

    #[test]
    fn cells_become_text_the_way_people_read_them() {
        assert_eq!(cell_text(&json!(3.0)), "3");
        assert_eq!(cell_text(&json!(2.5)), "2.5");
        assert_eq!(cell_text(&json!(["a", "b"])), "a, b");
        assert_eq!(
            cell_text(&json!([{"id": "att1", "url": "https://x/y.png", "filename": "y.png"}])),
            "https://x/y.png"
        );
        assert_eq!(
            cell_text(&json!({"id": "usr1", "email": "a@b.c", "name": "Ada"})),
            "Ada"
        );
        assert_eq!(cell_text(&json!({"specialValue": "NaN"})), "#NaN");
    }

    fn rec(id: &str, created: &str, fields: Value) -> Value {
        json!({"id": id, "createdTime": created, "fields": fields})
    }

    #[test]
    fn duplicates_group_on_the_normalised_key_and_skip_empty_keys() {
        let records = vec![
            rec(
                "rec1",
                "2026-01-02",
                json!({"Name": "Ada Lovelace", "Age": 36}),
            ),
            rec("rec2", "2026-01-01", json!({"Name": "ada  lovelace."})),
            rec("rec3", "2026-01-03", json!({"Name": "Grace"})),
            rec("rec4", "2026-01-04", json!({})),
            rec("rec5", "2026-01-05", json!({})),
            rec("rec6", "2026-01-06", json!({"Name": "ADA LOVELACE"})),
        ];
        let groups = duplicate_groups(&records, &["Name".into()], &["Name".into()]);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].key, "ada lovelace");
        assert_eq!(groups[0].count, 3);
        assert_eq!(groups[0].records[0]["id"], "rec2", "oldest first");
        assert!(
            groups[0].records[0]["fields"].get("Age").is_none(),
            "projected to the shown fields"
        );
    }

    #[test]
    fn the_profile_counts_fill_distinct_and_numbers_and_says_what_stands_out() {
        let mut records: Vec<Value> = (0..20)
            .map(|i| {
                rec(
                    &format!("rec{i}"),
                    "",
                    json!({"Name": format!("n{i}"), "Age": 30, "Status": "New"}),
                )
            })
            .collect();
        records[0]["fields"]["Age"] = json!(1000);
        records[1]["fields"]
            .as_object_mut()
            .unwrap()
            .remove("Status");
        records.push(rec("recX", "", json!({"Age": 30})));
        let cols = vec![
            ("Name".into(), "singleLineText".into()),
            ("Age".into(), "number".into()),
            ("Email".into(), "email".into()),
        ];
        let (profiles, insights) = profile(&records, &cols);
        assert_eq!(profiles[0].filled, 20);
        assert_eq!(profiles[0].distinct, 20);
        let age = profiles[1].numbers.clone().unwrap();
        assert_eq!(
            (age.min, age.max, age.median, age.outliers),
            (30.0, 1000.0, 30.0, 1)
        );
        assert_eq!(age.sum, 30.0 * 20.0 + 1000.0);
        assert_eq!(profiles[2].filled, 0);
        let text = insights.join("\n");
        assert!(text.contains("Email is empty in every record"), "{text}");
        assert!(text.contains("Age has 1 outlier"), "{text}");
        assert!(text.contains("Age is dominated by \"30\""), "{text}");
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_keeps_column_order() {
        let records = vec![rec(
            "rec1",
            "",
            json!({"Name": "Doe, \"J\"", "Age": 3, "Tags": ["x", "y"]}),
        )];
        let csv = to_csv(
            &records,
            &["Name".into(), "Age".into(), "Tags".into(), "Missing".into()],
        )
        .unwrap();
        assert_eq!(
            csv,
            "Name,Age,Tags,Missing\r\n\"Doe, \"\"J\"\"\",3,\"x, y\",\r\n"
        );
        assert_eq!(file_stem("My table/2026"), "My_table_2026");
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_exported_as_text() {
        let evil = json!({"Name": "=HYPERLINK(\"http://x\",\"y\")", "A": "+1+cmd|' /C calc'!A0", "B": "-2+3", "C": "@SUM(A1)", "D": "\tx", "E": "\r=1"});
        let ok = json!({"Name": "-12.5", "A": "+3", "B": 7, "C": "a=b", "D": "", "E": "plain"});
        let cols: Vec<String> = ["Name", "A", "B", "C", "D", "E"]
            .iter()
            .map(|c| c.to_string())
            .collect();
        let csv = to_csv(&[rec("rec1", "", evil), rec("rec2", "", ok)], &cols).unwrap();
        let mut rows = csv::Reader::from_reader(csv.as_bytes());
        let cells: Vec<Vec<String>> = rows
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert!(
            cells[0].iter().all(|c| c.starts_with('\'')),
            "{:?}",
            cells[0]
        );
        assert_eq!(cells[1], vec!["-12.5", "+3", "7", "a=b", "", "plain"]);
        assert!(to_csv(&[], &["=cmd".into()]).unwrap().starts_with("'=cmd"));
    }
}
