//! What a file really is and what is in it: the kind is read from the bytes (never trusted from
//! the name), text is decoded whatever its encoding, delimiters are sniffed, and tabular content
//! becomes a header, rows and a type per column.

use std::io::{Cursor, Read};

use serde_json::{Map, Value, json};

/// A file's content, extracted.
#[derive(Debug, Default, PartialEq)]
pub struct Extracted {
    /// `csv`, `tsv`, `json`, `xlsx`, `txt`, `pdf`, `docx`.
    pub kind: &'static str,
    /// Column names, when the file holds a table.
    pub columns: Vec<String>,
    /// Rows in column order.
    pub rows: Vec<Vec<Value>>,
    /// The text (for tables, the rows as tab-separated lines).
    pub text: String,
    pub pages: Option<u64>,
}

/// Why a file could not be read; the message is shown to the user.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct Unreadable(pub String);

fn bad(msg: impl Into<String>) -> Unreadable {
    Unreadable(msg.into())
}

/// Most columns a table may have (each becomes a field; Airtable allows 500 per table).
pub const MAX_COLUMNS: usize = 500;
/// Most bytes a workbook or document may unpack to (a zip bomb is refused, not unpacked).
const MAX_UNZIPPED: u64 = 300 * 1024 * 1024;

/// Refuses archives that would unpack to more than `MAX_UNZIPPED`.
fn check_unzipped(bytes: &[u8]) -> Result<(), Unreadable> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(format!("the file cannot be opened: {e}")))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        total += zip.by_index_raw(i).map(|f| f.size()).unwrap_or(0);
    }
    if total > MAX_UNZIPPED { Err(bad("the file unpacks to more than 300 MB")) } else { Ok(()) }
}

/// The kind the bytes show: `pdf`, `xlsx`, `docx`, `zip` (other), or `text`/`binary`.
pub fn sniff(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"%PDF-") {
        return "pdf";
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return match zip::ZipArchive::new(Cursor::new(bytes)) {
            Ok(z) if z.index_for_name("xl/workbook.xml").is_some() => "xlsx",
            Ok(z) if z.index_for_name("word/document.xml").is_some() => "docx",
            _ => "zip",
        };
    }
    if decode(bytes).is_some() { "text" } else { "binary" }
}

/// Decodes text: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 when the bytes look
/// like text in it; `None` for binary.
pub fn decode(bytes: &[u8]) -> Option<String> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom..]);
        return (!had_errors).then(|| text.into_owned());
    }
    if bytes.contains(&0) {
        return None;
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Some(s.to_owned());
    }
    let (text, _, had_errors) = encoding_rs::WINDOWS_1252.decode(bytes);
    let controls = text.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')).count();
    (!had_errors && controls * 100 <= text.chars().count()).then(|| text.into_owned())
}

/// The delimiter that splits the first lines most consistently (`,` `;` `\t` `|`).
pub fn sniff_delimiter(text: &str, default: u8) -> u8 {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(20).collect();
    let mut best = (default, 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines.iter().map(|l| l.bytes().filter(|b| *b == d).count()).collect();
        let first = counts.first().copied().unwrap_or(0);
        if first == 0 {
            continue;
        }
        let consistent = counts.iter().filter(|c| **c == first).count();
        let score = consistent * 100 + first;
        if consistent * 10 >= counts.len() * 8 && score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

fn cell(v: &str) -> Value {
    Value::String(v.trim().to_owned())
}

fn table_text(columns: &[String], rows: &[Vec<Value>]) -> String {
    let mut out = columns.join("\t");
    for r in rows {
        out.push('\n');
        out.push_str(
            &r.iter()
                .map(|v| match v {
                    Value::String(s) => s.replace(['\t', '\n'], " "),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\t"),
        );
    }
    out
}

/// Unique, non-empty column names (`Column 3`, `Name (2)`).
fn headers(raw: Vec<String>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for (i, h) in raw.into_iter().enumerate() {
        let base = if h.trim().is_empty() { format!("Column {}", i + 1) } else { h.trim().to_owned() };
        let mut name = base.clone();
        let mut n = 2;
        while seen.contains(&name) {
            name = format!("{base} ({n})");
            n += 1;
        }
        seen.push(name);
    }
    seen
}

fn delimited(text: &str, delimiter: u8, kind: &'static str) -> Result<Extracted, Unreadable> {
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(false).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(r) => r.map_err(|e| bad(format!("the file is not valid {}: {e}", kind.to_uppercase())))?,
        None => return Err(bad("the file has no rows")),
    };
    let columns = headers(header.iter().map(str::to_owned).collect());
    let mut rows = Vec::new();
    for r in records {
        let r = r.map_err(|e| bad(format!("the file is not valid {}: {e}", kind.to_uppercase())))?;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut row: Vec<Value> = r.iter().map(cell).collect();
        row.resize(columns.len().max(row.len()), Value::String(String::new()));
        rows.push(row);
    }
    // Rows wider than the header get named columns too.
    let width = rows.iter().map(Vec::len).max().unwrap_or(0).max(columns.len());
    let mut columns = columns;
    while columns.len() < width {
        columns.push(format!("Column {}", columns.len() + 1));
    }
    for r in &mut rows {
        r.resize(width, Value::String(String::new()));
    }
    Ok(Extracted { kind, text: table_text(&columns, &rows), columns, rows, pages: None })
}

fn json_rows(text: &str) -> Result<Extracted, Unreadable> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("the file is not valid JSON: {e}")))?;
    // An array of objects, or an object holding one (`{"records": [...]}`), or one object.
    let items: Vec<Value> = match &v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o
            .values()
            .find_map(|x| x.as_array().filter(|a| a.iter().all(Value::is_object) && !a.is_empty()).cloned())
            .unwrap_or_else(|| vec![v.clone()]),
        _ => return Err(bad("the JSON holds a single value, not records")),
    };
    let mut columns: Vec<String> = Vec::new();
    for item in &items {
        let Some(o) = item.as_object() else { return Err(bad("the JSON array holds something other than objects")) };
        for k in o.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let rows: Vec<Vec<Value>> = items
        .iter()
        .map(|item| {
            let o: &Map<String, Value> = item.as_object().expect("checked above");
            columns
                .iter()
                .map(|c| match o.get(c) {
                    None | Some(Value::Null) => Value::String(String::new()),
                    Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => v.clone(),
                    Some(other) => Value::String(other.to_string()),
                })
                .collect()
        })
        .collect();
    Ok(Extracted { kind: "json", text: table_text(&columns, &rows), columns, rows, pages: None })
}

fn xlsx(bytes: &[u8]) -> Result<Extracted, Unreadable> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| bad(format!("the workbook cannot be read: {e}")))?;
    let sheet = book.sheet_names().first().cloned().ok_or_else(|| bad("the workbook has no sheets"))?;
    let range = book.worksheet_range(&sheet).map_err(|e| bad(format!("the sheet {sheet:?} cannot be read: {e}")))?;
    let mut rows_iter = range.rows();
    let header = rows_iter.next().ok_or_else(|| bad("the first sheet is empty"))?;
    let columns = headers(header.iter().map(|c| c.to_string()).collect());
    let value = |c: &Data| match c {
        Data::Empty => Value::String(String::new()),
        Data::Int(i) => json!(i),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => json!(*f as i64),
        Data::Float(f) => json!(f),
        Data::Bool(b) => json!(b),
        Data::DateTime(d) => excel_date(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) | Data::String(s) => Value::String(s.trim().to_owned()),
        Data::Error(e) => Value::String(format!("#{e:?}")),
    };
    let rows: Vec<Vec<Value>> = rows_iter
        .map(|r| {
            let mut row: Vec<Value> = r.iter().map(value).collect();
            row.resize(columns.len(), Value::String(String::new()));
            row
        })
        .filter(|r: &Vec<Value>| r.iter().any(|v| v != &Value::String(String::new())))
        .collect();
    Ok(Extracted { kind: "xlsx", text: table_text(&columns, &rows), columns, rows, pages: None })
}

/// An Excel serial date (days since 1899-12-30, the fraction the time of day) as ISO 8601.
fn excel_date(serial: f64) -> Value {
    let epoch = time::macros::datetime!(1899-12-30 0:00 UTC);
    let at = epoch + time::Duration::seconds_f64(serial * 86_400.0);
    if serial.fract() == 0.0 {
        json!(format!("{:04}-{:02}-{:02}", at.year(), u8::from(at.month()), at.day()))
    } else {
        json!(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        ))
    }
}

/// DOCX: paragraphs as text; the first table (header row first) as rows.
fn docx(bytes: &[u8]) -> Result<Extracted, Unreadable> {
    use quick_xml::events::Event;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(format!("the document cannot be opened: {e}")))?;
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .map_err(|_| bad("the document has no body"))?
        .read_to_string(&mut xml)
        .map_err(|e| bad(format!("the document body cannot be read: {e}")))?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut text, mut para, mut cell_text) = (String::new(), String::new(), String::new());
    let (mut in_text, mut table_depth) = (false, 0usize);
    let mut tables: Vec<Vec<Vec<String>>> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| bad(format!("the document body is not valid XML: {e}")))? {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "tbl" => {
                    table_depth += 1;
                    if table_depth == 1 {
                        tables.push(Vec::new());
                    }
                }
                "tr" => row.clear(),
                "tc" => cell_text.clear(),
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "tab" => para.push('\t'),
            Event::Text(t) if in_text => {
                para.push_str(&t.xml10_content());
            }
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => {
                    if table_depth > 0 {
                        if !cell_text.is_empty() {
                            cell_text.push(' ');
                        }
                        cell_text.push_str(para.trim());
                    }
                    text.push_str(&para);
                    text.push('\n');
                    para.clear();
                }
                "tc" => row.push(cell_text.trim().to_owned()),
                "tr" if table_depth == 1 => {
                    if let Some(t) = tables.last_mut() {
                        t.push(std::mem::take(&mut row));
                    }
                }
                "tbl" => table_depth = table_depth.saturating_sub(1),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    let mut out = Extracted { kind: "docx", text: text.trim().to_owned(), ..Default::default() };
    if let Some(table) = tables.into_iter().find(|t| t.len() >= 2) {
        out.columns = headers(table[0].clone());
        out.rows = table[1..]
            .iter()
            .map(|r| {
                let mut row: Vec<Value> = r.iter().map(|c| cell(c)).collect();
                row.resize(out.columns.len(), Value::String(String::new()));
                row
            })
            .collect();
    }
    Ok(out)
}

fn pdf(bytes: &[u8]) -> Result<Extracted, Unreadable> {
    // The PDF parser may panic on hostile input: a panic is one more way of being unreadable.
    let owned = bytes.to_vec();
    let text = std::panic::catch_unwind(move || pdf_extract::extract_text_from_mem(&owned))
        .map_err(|_| bad("the PDF cannot be read"))?
        .map_err(|e| bad(format!("the PDF cannot be read: {e}")))?;
    let pages = text.matches('\u{c}').count() as u64 + 1;
    let text = text.replace('\u{c}', "\n").trim().to_owned();
    let mut out = Extracted { kind: "pdf", pages: Some(pages), ..Default::default() };
    if let Some((columns, rows)) = text_table(&text) {
        out.columns = headers(columns);
        out.rows = rows;
    }
    out.text = text;
    Ok(out)
}

/// The cells of a line laid out as a table row: separated by tabs or runs of 2+ spaces.
fn layout_cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut spaces = 0;
    for c in line.trim().chars() {
        match c {
            '\t' => spaces = 2,
            ' ' => spaces += 1,
            _ => {
                if spaces >= 2 && !cur.is_empty() {
                    cells.push(std::mem::take(&mut cur));
                } else if spaces == 1 {
                    cur.push(' ');
                }
                spaces = 0;
                cur.push(c);
            }
        }
    }
    if !cur.is_empty() {
        cells.push(cur);
    }
    cells
}

/// The longest run of 3+ consecutive lines that split into the same number (2+) of cells: a
/// table laid out in text (PDF text keeps column gaps as runs of spaces). Header first.
fn text_table(text: &str) -> Option<(Vec<String>, Vec<Vec<Value>>)> {
    let lines: Vec<Vec<String>> = text.lines().map(layout_cells).collect();
    let mut best: Option<(usize, usize)> = None;
    let mut start = 0;
    for i in 0..=lines.len() {
        let same = i < lines.len() && lines[i].len() >= 2 && lines[i].len() == lines[start].len();
        if !same {
            if i - start >= 3 && lines[start].len() >= 2 && best.is_none_or(|(s, e)| e - s < i - start) {
                best = Some((start, i));
            }
            start = i;
        }
    }
    let (s, e) = best?;
    let rows = lines[s + 1..e].iter().map(|r| r.iter().map(|c| Value::String(c.clone())).collect()).collect();
    Some((lines[s].clone(), rows))
}

/// Extracts a file declared as `declared` (a kind from its name and content type). A file whose
/// content is not what it declares is unreadable ("lying"), as is a corrupt one.
pub fn extract(declared: &str, bytes: &[u8]) -> Result<Extracted, Unreadable> {
    if bytes.is_empty() {
        return Err(bad("the file is empty"));
    }
    let found = sniff(bytes);
    let is = |k: &str| found == k;
    let out = match declared {
        "pdf" if is("pdf") => pdf(bytes),
        "xlsx" if is("xlsx") => check_unzipped(bytes).and_then(|()| xlsx(bytes)),
        "docx" if is("docx") => check_unzipped(bytes).and_then(|()| docx(bytes)),
        "csv" | "tsv" | "json" | "txt" if is("text") => {
            let text = decode(bytes).ok_or_else(|| bad("the text encoding cannot be read"))?;
            match declared {
                "json" => json_rows(&text),
                "txt" => Ok(Extracted { kind: "txt", text, ..Default::default() }),
                kind => {
                    let default = if kind == "tsv" { b'\t' } else { b',' };
                    delimited(&text, sniff_delimiter(&text, default), if kind == "tsv" { "tsv" } else { "csv" })
                }
            }
        }
        _ => Err(bad(format!(
            "the file says it is {} but its content is {}",
            declared.to_uppercase(),
            match found {
                "text" => "plain text".to_owned(),
                "binary" | "zip" => "not a supported format".to_owned(),
                other => other.to_uppercase(),
            }
        ))),
    }?;
    if out.columns.len() > MAX_COLUMNS {
        return Err(bad(format!("the table has {} columns; at most {MAX_COLUMNS} can be imported", out.columns.len())));
    }
    Ok(out)
}

/// The type of a column from its values: `number`, `checkbox`, `date`, `email`, `url` or `text`.
pub fn infer_type(values: &[&Value]) -> &'static str {
    let texts: Vec<String> = values
        .iter()
        .filter_map(|v| match v {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .collect();
    if texts.is_empty() {
        return "text";
    }
    let all = |f: &dyn Fn(&str) -> bool| texts.iter().all(|t| f(t));
    if all(&|t| t.replace(',', "").parse::<f64>().is_ok_and(f64::is_finite)) {
        "number"
    } else if all(&|t| matches!(t.to_lowercase().as_str(), "true" | "false" | "yes" | "no" | "checked" | "unchecked")) {
        "checkbox"
    } else if all(&is_date) {
        "date"
    } else if all(&|t| shared::ids::Email::parse(t).is_ok()) {
        "email"
    } else if all(&|t| (t.starts_with("http://") || t.starts_with("https://")) && !t.contains(' ') && t.len() > 10) {
        "url"
    } else {
        "text"
    }
}

/// `2026-11-28`, `2026-11-28T10:00:00Z`, `2026/11/28`, `28/11/2026`, `11/28/2026`, `28.11.2026`.
fn is_date(t: &str) -> bool {
    let d = t.split(['T', ' ']).next().unwrap_or("");
    let parts: Vec<&str> = d.split(['-', '/', '.']).collect();
    if parts.len() != 3 || !parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())) {
        return false;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    let valid = |y: u32, m: u32, d: u32| (1000..=9999).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d);
    if parts[0].len() == 4 {
        valid(n[0], n[1], n[2])
    } else if parts[2].len() == 4 {
        valid(n[2], n[1], n[0]) || valid(n[2], n[0], n[1])
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_and_encodings_are_detected() {
        let semi = "Name;Age\nAda;36\nGrace;85\n";
        let e = extract("csv", semi.as_bytes()).unwrap();
        assert_eq!(e.columns, vec!["Name", "Age"]);
        assert_eq!(e.rows[1], vec![json!("Grace"), json!("85")]);
        // Windows-1252 "Zoë", and UTF-16 with a BOM.
        let latin = b"Name,City\nZo\xeb,K\xf6ln\n";
        assert_eq!(extract("csv", latin).unwrap().rows[0][0], json!("Zoë"));
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "A\tB\n1\t2\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let e = extract("tsv", &utf16).unwrap();
        assert_eq!((e.kind, e.columns.len(), e.rows.len()), ("tsv", 2, 1));
    }

    #[test]
    fn quoted_fields_blank_headers_and_ragged_rows_are_kept() {
        let e = extract("csv", b"Name,,Name\n\"Doe, J\",1,x\nA,2,y,extra\n").unwrap();
        assert_eq!(e.columns, vec!["Name", "Column 2", "Name (2)", "Column 4"]);
        assert_eq!(e.rows[0][0], json!("Doe, J"));
        assert_eq!(e.rows[1][3], json!("extra"));
    }

    #[test]
    fn json_arrays_and_wrapped_records_become_rows() {
        let e = extract("json", br#"{"records": [{"a": 1, "b": "x"}, {"b": "y", "c": true}]}"#).unwrap();
        assert_eq!(e.columns, vec!["a", "b", "c"]);
        assert_eq!(e.rows[1], vec![json!(""), json!("y"), json!(true)]);
        assert!(extract("json", b"{oops").unwrap_err().0.contains("not valid JSON"));
    }

    #[test]
    fn lying_and_corrupt_files_are_unreadable() {
        assert!(extract("csv", b"%PDF-1.4 ...").unwrap_err().0.contains("says it is CSV but its content is PDF"));
        assert!(extract("pdf", b"%PDF-1.4 garbage").is_err());
        assert!(extract("xlsx", b"PK\x03\x04 not really a zip").is_err());
        assert!(extract("txt", &[0u8, 159, 146, 150]).is_err());
        assert!(extract("csv", b"").is_err());
    }

    #[test]
    fn tables_laid_out_in_text_become_rows() {
        let text = "Quarterly report\nRegion   Revenue   Growth\nNorth    1200      3%\nSouth    900       -1%\n\nThanks.";
        let (cols, rows) = text_table(text).unwrap();
        assert_eq!(cols, vec!["Region", "Revenue", "Growth"]);
        assert_eq!(rows[1], vec![json!("South"), json!("900"), json!("-1%")]);
        assert!(text_table("One line only\nand prose\nwith single spaces").is_none());
    }

    #[test]
    fn excel_serial_dates_become_iso_dates() {
        assert_eq!(excel_date(46_354.0), json!("2026-11-28"));
        assert_eq!(excel_date(46_354.5), json!("2026-11-28T12:00:00Z"));
    }

    #[test]
    fn column_types_are_inferred_from_every_value() {
        let t = |vals: &[Value]| infer_type(&vals.iter().collect::<Vec<_>>());
        assert_eq!(t(&[json!("1,200.5"), json!("3"), json!("")]), "number");
        assert_eq!(t(&[json!("yes"), json!("No")]), "checkbox");
        assert_eq!(t(&[json!("2026-11-28"), json!("28/11/2026"), json!("2026-01-02T10:00:00Z")]), "date");
        assert_eq!(t(&[json!("ada@example.com")]), "email");
        assert_eq!(t(&[json!("https://example.com/x")]), "url");
        assert_eq!(t(&[json!("12"), json!("twelve")]), "text");
        assert_eq!(t(&[json!("2026-13-01")]), "text");
    }
}
