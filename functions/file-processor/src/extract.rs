//! What a file really is and what is in it: the kind is read from the bytes (never trusted from
//! the name), text is decoded whatever its encoding, delimiters are sniffed, and tabular content
//! becomes a header, rows and a type per column.
//!
//! Extraction streams: every extractor hands its columns, rows and text to a [`Sink`] as it
//! reads them, and keeps no more than the row (or paragraph) at hand, so memory follows the
//! preview, not the file. Every sink sits behind [`Guard`], which enforces the limits no file
//! may exceed, whatever its format.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Cursor};

use serde_json::{Map, Value, json};

/// Why a file could not be read; the message is shown to the user.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct Unreadable(pub String);

pub(crate) fn bad(msg: impl Into<String>) -> Unreadable {
    Unreadable(msg.into())
}

/// Most columns a table may have (each becomes a field; Airtable allows 500 per table).
pub const MAX_COLUMNS: usize = 500;
/// Most rows a table may have (imports take far fewer; the rest is kept for preview and count).
pub const MAX_ROWS: u64 = 1_000_000;
/// Most bytes of rows (as JSON lines) and of text a file may produce: bounded output, whatever
/// the input expands to.
pub const MAX_OUTPUT_BYTES: u64 = 256 * 1024 * 1024;
/// Most bytes a workbook or document may declare it unpacks to (a zip bomb is refused, not
/// unpacked; one that lies about its sizes still meets the output and memory limits).
const MAX_UNZIPPED: u64 = 300 * 1024 * 1024;

/// Where an extractor puts what it finds.
pub trait Sink {
    /// The table's columns so far: the header, then again whenever rows reveal more (a ragged
    /// row, a new JSON key). The list only grows; earlier rows are shorter, not re-sent.
    fn columns(&mut self, names: &[String]) -> Result<(), Unreadable>;
    /// One row, in column order (possibly shorter than the columns: missing cells are empty).
    fn row(&mut self, cells: Vec<Value>) -> Result<(), Unreadable>;
    /// A piece of the document's text (documents only; a table's text is its rows).
    fn text(&mut self, chunk: &str) -> Result<(), Unreadable>;
}

/// What an extraction found besides its rows and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// `csv`, `tsv`, `json`, `xlsx`, `txt`, `pdf`, `docx`.
    pub kind: &'static str,
    pub pages: Option<u64>,
}

/// The limits every file meets, whichever sink it goes to.
pub struct Guard<'a> {
    inner: &'a mut dyn Sink,
    width: usize,
    rows: u64,
    bytes: u64,
}

impl<'a> Guard<'a> {
    pub fn new(inner: &'a mut dyn Sink) -> Self {
        Self {
            inner,
            width: 0,
            rows: 0,
            bytes: 0,
        }
    }

    fn spend(&mut self, bytes: usize) -> Result<(), Unreadable> {
        self.bytes += bytes as u64;
        if self.bytes > MAX_OUTPUT_BYTES {
            return Err(bad(format!(
                "the file expands to more than {} MB of content",
                MAX_OUTPUT_BYTES >> 20
            )));
        }
        Ok(())
    }
}

impl Sink for Guard<'_> {
    fn columns(&mut self, names: &[String]) -> Result<(), Unreadable> {
        if names.len() > MAX_COLUMNS {
            return Err(too_many_columns(names.len()));
        }
        self.width = names.len();
        self.inner.columns(names)
    }

    fn row(&mut self, cells: Vec<Value>) -> Result<(), Unreadable> {
        if cells.len() > self.width {
            return Err(bad("a row has more cells than the table has columns"));
        }
        self.rows += 1;
        if self.rows > MAX_ROWS {
            return Err(bad(format!("the table has more than {MAX_ROWS} rows")));
        }
        let size: usize = cells
            .iter()
            .map(|c| c.as_str().map_or(8, str::len) + 4)
            .sum();
        self.spend(size + 2)?;
        self.inner.row(cells)
    }

    fn text(&mut self, chunk: &str) -> Result<(), Unreadable> {
        self.spend(chunk.len())?;
        self.inner.text(chunk)
    }
}

fn too_many_columns(n: usize) -> Unreadable {
    bad(format!(
        "the table has {n} columns; at most {MAX_COLUMNS} can be imported"
    ))
}

/// Unique, non-empty column names (`Column 3`, `Name (2)`), in linear time whatever the names.
#[derive(Debug, Default)]
pub struct ColumnNames {
    names: Vec<String>,
    seen: HashSet<String>,
    /// The next suffix to try per base name, so 30,000 copies of one name cost 30,000 steps.
    next: HashMap<String, usize>,
}

impl ColumnNames {
    /// Names from a header row (checked against the column limit before any work).
    pub fn from_header<S: AsRef<str>>(
        len: usize,
        raw: impl IntoIterator<Item = S>,
    ) -> Result<Self, Unreadable> {
        if len > MAX_COLUMNS {
            return Err(too_many_columns(len));
        }
        let mut names = Self::default();
        for h in raw {
            names.add(h.as_ref());
        }
        Ok(names)
    }

    /// Adds a column (blank names become `Column <n>`); returns its index.
    pub fn add(&mut self, raw: &str) -> usize {
        let base = if raw.trim().is_empty() {
            format!("Column {}", self.names.len() + 1)
        } else {
            raw.trim().to_owned()
        };
        let mut name = base.clone();
        if self.seen.contains(&name) {
            let n = self.next.entry(base.clone()).or_insert(2);
            loop {
                name = format!("{base} ({n})");
                *n += 1;
                if !self.seen.contains(&name) {
                    break;
                }
            }
        }
        self.seen.insert(name.clone());
        self.names.push(name);
        self.names.len() - 1
    }

    /// Widens the table to `width` columns (`Column <n>` for the new ones).
    pub fn widen(&mut self, width: usize) -> bool {
        let wider = width > self.names.len();
        while self.names.len() < width {
            self.add("");
        }
        wider
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn as_slice(&self) -> &[String] {
        &self.names
    }
}

/// Refuses archives that declare they unpack to more than `MAX_UNZIPPED`.
fn check_unzipped(bytes: &[u8]) -> Result<(), Unreadable> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("the file cannot be opened: {e}")))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        total = total.saturating_add(zip.by_index_raw(i).map(|f| f.size()).unwrap_or(0));
    }
    if total > MAX_UNZIPPED {
        Err(bad("the file unpacks to more than 300 MB"))
    } else {
        Ok(())
    }
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
    if decode(bytes).is_some() {
        "text"
    } else {
        "binary"
    }
}

/// Decodes text: UTF-8 (BOM or not; borrowed, not copied), UTF-16 with a BOM, else Windows-1252
/// when the bytes look like text in it; `None` for binary.
pub fn decode(bytes: &[u8]) -> Option<Cow<'_, str>> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom..]);
        return (!had_errors).then_some(text);
    }
    if bytes.contains(&0) {
        return None;
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Some(Cow::Borrowed(s));
    }
    let (text, _, had_errors) = encoding_rs::WINDOWS_1252.decode(bytes);
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    (!had_errors && controls * 100 <= text.chars().count()).then_some(text)
}

/// The delimiter that splits the first lines most consistently (`,` `;` `\t` `|`).
pub fn sniff_delimiter(text: &str, default: u8) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let mut best = (default, 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines
            .iter()
            .map(|l| l.bytes().filter(|b| *b == d).count())
            .collect();
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

fn empty() -> Value {
    Value::String(String::new())
}

/// A row as one line of the table's text: cells separated by tabs.
pub fn tsv_line(row: &[Value]) -> String {
    row.iter()
        .map(|v| match v {
            Value::String(s) => s.replace(['\t', '\n', '\r'], " "),
            Value::Null => String::new(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\t")
}

fn delimited(
    text: &str,
    delimiter: u8,
    kind: &'static str,
    sink: &mut dyn Sink,
) -> Result<(), Unreadable> {
    let invalid = |e: csv::Error| {
        bad(format!(
            "the file is not valid {}: {e}",
            kind.to_uppercase()
        ))
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    if !reader.read_record(&mut record).map_err(invalid)? {
        return Err(bad("the file has no rows"));
    }
    let mut columns = ColumnNames::from_header(record.len(), record.iter())?;
    sink.columns(columns.as_slice())?;
    while reader.read_record(&mut record).map_err(invalid)? {
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if record.len() > MAX_COLUMNS {
            return Err(too_many_columns(record.len()));
        }
        // Rows wider than the header get named columns too.
        if columns.widen(record.len()) {
            sink.columns(columns.as_slice())?;
        }
        sink.row(record.iter().map(cell).collect())?;
    }
    Ok(())
}

fn json_value(v: &Value) -> Value {
    match v {
        Value::Null => empty(),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => v.clone(),
        other => Value::String(other.to_string()),
    }
}

/// Emits JSON objects as rows; keys become columns in the order they first appear.
struct JsonRows<'s> {
    sink: &'s mut dyn Sink,
    columns: ColumnNames,
    index: HashMap<String, usize>,
    rows: u64,
}

impl JsonRows<'_> {
    fn object(&mut self, o: &Map<String, Value>) -> Result<(), Unreadable> {
        let before = self.columns.len();
        // New keys in name order, whatever order the object (or serde_json's map) keeps.
        let mut keys: Vec<&String> = o.keys().collect();
        keys.sort();
        for k in keys {
            if !self.index.contains_key(k) {
                if self.columns.len() >= MAX_COLUMNS {
                    return Err(too_many_columns(self.columns.len() + 1));
                }
                let i = self.columns.add(k);
                self.index.insert(k.clone(), i);
            }
        }
        if self.columns.len() != before || self.rows == 0 {
            self.sink.columns(self.columns.as_slice())?;
        }
        let mut row = vec![empty(); self.columns.len()];
        for (k, v) in o {
            row[self.index[k]] = json_value(v);
        }
        self.rows += 1;
        self.sink.row(row)
    }
}

/// Streams a top-level array element by element (one object in memory at a time).
struct ArraySeed<'a, 's> {
    rows: &'a mut JsonRows<'s>,
    failed: &'a mut Option<Unreadable>,
}

impl<'de> serde::de::DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        use serde::de::Error;
        while let Some(item) = seq.next_element::<Value>()? {
            let outcome = match &item {
                Value::Object(o) => self.rows.object(o),
                _ => Err(bad("the JSON array holds something other than objects")),
            };
            if let Err(e) = outcome {
                *self.failed = Some(e);
                return Err(A::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

fn json_rows(text: &str, sink: &mut dyn Sink) -> Result<(), Unreadable> {
    let invalid = |e: serde_json::Error| bad(format!("the file is not valid JSON: {e}"));
    let mut rows = JsonRows {
        sink,
        columns: ColumnNames::default(),
        index: HashMap::new(),
        rows: 0,
    };
    if text.trim_start().starts_with('[') {
        let mut failed = None;
        let mut de = serde_json::Deserializer::from_str(text);
        let streamed = serde::de::DeserializeSeed::deserialize(
            ArraySeed {
                rows: &mut rows,
                failed: &mut failed,
            },
            &mut de,
        );
        if let Some(e) = failed {
            return Err(e);
        }
        streamed.map_err(invalid)?;
        de.end().map_err(invalid)?;
        if rows.rows == 0 {
            rows.sink.columns(&[])?;
        }
        return Ok(());
    }
    // An object holding the records (`{"records": [...]}`), or one object: read whole (the
    // choice needs to see every value).
    let v: Value = serde_json::from_str(text).map_err(invalid)?;
    let Value::Object(o) = &v else {
        return Err(bad("the JSON holds a single value, not records"));
    };
    let held = o.values().find_map(|x| {
        x.as_array()
            .filter(|a| !a.is_empty() && a.iter().all(Value::is_object))
    });
    match held {
        Some(items) => {
            for item in items {
                rows.object(item.as_object().unwrap_or(&Map::new()))?;
            }
            Ok(())
        }
        None => rows.object(o),
    }
}

/// An Excel cell as a JSON value.
fn xlsx_value(c: &calamine::DataRef<'_>) -> Value {
    use calamine::DataRef;
    match c {
        DataRef::Empty => empty(),
        DataRef::Int(i) => json!(i),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => json!(*f as i64),
        DataRef::Float(f) if f.is_finite() => json!(f),
        DataRef::Float(_) => empty(),
        DataRef::Bool(b) => json!(b),
        DataRef::DateTime(d) => excel_date(d.as_f64()),
        DataRef::SharedString(s) => Value::String(s.trim().to_owned()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) | DataRef::String(s) => {
            Value::String(s.trim().to_owned())
        }
        DataRef::Error(e) => Value::String(format!("#{e:?}")),
    }
}

/// The first sheet, cell by cell as the XML stores them: only the row at hand is in memory, so
/// a sheet with one cell in `A1` and one in `XFD1048576` costs two cells, not the grid between.
/// The first non-empty row is the header; columns count from its first cell.
fn xlsx(bytes: &[u8], sink: &mut dyn Sink) -> Result<(), Unreadable> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("the workbook cannot be read: {e}")))?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| bad("the workbook has no sheets"))?;
    let unreadable =
        |e: calamine::XlsxError| bad(format!("the sheet {sheet:?} cannot be read: {e}"));
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    let mut columns: Option<(ColumnNames, u32)> = None;
    let mut row: Vec<(u32, Value)> = Vec::new();
    let mut row_index = None;
    let mut flush = |row: &mut Vec<(u32, Value)>,
                     columns: &mut Option<(ColumnNames, u32)>|
     -> Result<(), Unreadable> {
        let cells = std::mem::take(row);
        if cells.iter().all(|(_, v)| v == &empty()) {
            return Ok(());
        }
        match columns {
            None => {
                let first = cells.iter().map(|(c, _)| *c).min().unwrap_or(0);
                let width = (cells.iter().map(|(c, _)| *c).max().unwrap_or(0) - first) as usize + 1;
                if width > MAX_COLUMNS {
                    return Err(too_many_columns(width));
                }
                let mut header = vec![String::new(); width];
                for (c, v) in cells {
                    header[(c - first) as usize] = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                }
                let names = ColumnNames::from_header(header.len(), header.iter())?;
                sink.columns(names.as_slice())?;
                *columns = Some((names, first));
            }
            Some((names, first)) => {
                // Cells left of the header's first column are outside the table.
                let cells: Vec<(usize, Value)> = cells
                    .into_iter()
                    .filter(|(c, _)| c >= first)
                    .map(|(c, v)| ((c - *first) as usize, v))
                    .collect();
                let width = cells.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
                if width > MAX_COLUMNS {
                    return Err(too_many_columns(width));
                }
                if names.widen(width) {
                    sink.columns(names.as_slice())?;
                }
                let mut out = vec![empty(); width];
                for (c, v) in cells {
                    out[c] = v;
                }
                sink.row(out)?;
            }
        }
        Ok(())
    };
    while let Some(c) = cells.next_cell().map_err(unreadable)? {
        let (r, col) = c.get_position();
        if row_index.is_some_and(|i| i != r) {
            flush(&mut row, &mut columns)?;
        }
        row_index = Some(r);
        let value = xlsx_value(c.get_value());
        if value != empty() {
            if row.len() >= MAX_COLUMNS {
                return Err(bad(format!(
                    "the sheet has cells beyond column {MAX_COLUMNS}; at most {MAX_COLUMNS} columns can be imported"
                )));
            }
            row.push((col, value));
        }
    }
    flush(&mut row, &mut columns)?;
    if columns.is_none() {
        return Err(bad("the first sheet is empty"));
    }
    Ok(())
}

/// An Excel serial date (days since 1899-12-30, the fraction the time of day) as ISO 8601.
fn excel_date(serial: f64) -> Value {
    if !serial.is_finite() || !(-700_000.0..=3_000_000.0).contains(&serial) {
        return empty();
    }
    let epoch = time::macros::datetime!(1899-12-30 0:00 UTC);
    let at = epoch + time::Duration::seconds_f64(serial * 86_400.0);
    if serial.fract() == 0.0 {
        json!(format!(
            "{:04}-{:02}-{:02}",
            at.year(),
            u8::from(at.month()),
            at.day()
        ))
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

/// The first table (of 2+ rows) of a document: the header is held until a second row proves it
/// is one; then rows stream.
#[derive(Default)]
struct FirstTable {
    /// `Some(header)` while the candidate has one row; `None` before any or once decided.
    pending: Option<Vec<String>>,
    columns: Option<ColumnNames>,
    done: bool,
}

impl FirstTable {
    fn row(&mut self, cells: Vec<String>, sink: &mut dyn Sink) -> Result<(), Unreadable> {
        if self.done {
            return Ok(());
        }
        match (&mut self.columns, self.pending.take()) {
            (Some(names), _) => {
                if cells.len() > MAX_COLUMNS {
                    return Err(too_many_columns(cells.len()));
                }
                if names.widen(cells.len()) {
                    sink.columns(names.as_slice())?;
                }
                sink.row(cells.iter().map(|c| cell(c)).collect())
            }
            (None, None) => {
                self.pending = Some(cells);
                Ok(())
            }
            (None, Some(header)) => {
                let names = ColumnNames::from_header(header.len(), header.iter())?;
                sink.columns(names.as_slice())?;
                self.columns = Some(names);
                self.row(cells, sink)
            }
        }
    }

    /// A table ended: a one-row table is forgotten; a real one is the only one taken.
    fn end(&mut self) {
        self.pending = None;
        if self.columns.is_some() {
            self.done = true;
        }
    }
}

/// DOCX: paragraphs as text; the first table (header row first) as rows. The body is read as
/// it unpacks, never whole.
fn docx(bytes: &[u8], sink: &mut dyn Sink) -> Result<(), Unreadable> {
    use quick_xml::events::Event;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("the document cannot be opened: {e}")))?;
    let body = zip
        .by_name("word/document.xml")
        .map_err(|_| bad("the document has no body"))?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(body));
    let mut buf = Vec::new();
    let (mut para, mut cell_text) = (String::new(), String::new());
    let (mut in_text, mut table_depth) = (false, 0usize);
    let mut table = FirstTable::default();
    let mut row: Vec<String> = Vec::new();
    let mut wrote_text = false;
    loop {
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| bad(format!("the document body is not valid XML: {e}")))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "tbl" => table_depth += 1,
                "tr" => row.clear(),
                "tc" => cell_text.clear(),
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "tab" => para.push('\t'),
            Event::Text(t) if in_text => {
                para.push_str(&t.xml10_content());
                if para.len() > 1 << 20 {
                    // A paragraph of a megabyte: flush it rather than grow without end.
                    sink.text(&std::mem::take(&mut para))?;
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => {
                    if table_depth > 0 && cell_text.len() < 1 << 20 {
                        if !cell_text.is_empty() {
                            cell_text.push(' ');
                        }
                        cell_text.push_str(para.trim());
                    }
                    if wrote_text || !para.trim().is_empty() {
                        para.push('\n');
                        sink.text(&para)?;
                        wrote_text = true;
                    }
                    para.clear();
                }
                "tc" => {
                    if row.len() > MAX_COLUMNS {
                        return Err(too_many_columns(row.len()));
                    }
                    row.push(cell_text.trim().to_owned());
                }
                "tr" if table_depth == 1 => table.row(std::mem::take(&mut row), sink)?,
                "tbl" => {
                    table_depth = table_depth.saturating_sub(1);
                    if table_depth == 0 {
                        table.end();
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

/// How deep Form XObjects may draw one another (real documents nest a few levels).
const MAX_XOBJECT_DEPTH: usize = 16;

/// Refuses a document whose Form XObjects draw themselves (directly or through others) or nest
/// deeper than [`MAX_XOBJECT_DEPTH`], or whose pages are their own ancestors: text extraction
/// follows both recursively, without a limit of its own.
fn check_xobjects(doc: &pdf_extract::Document) -> Result<(), Unreadable> {
    use pdf_extract::{Dictionary, Object, ObjectId};
    fn dict<'a>(doc: &'a pdf_extract::Document, o: &'a Object) -> Option<&'a Dictionary> {
        doc.dereference(o).ok().and_then(|(_, o)| o.as_dict().ok())
    }
    fn visit(
        doc: &pdf_extract::Document,
        resources: &Dictionary,
        path: &mut Vec<ObjectId>,
    ) -> Result<(), Unreadable> {
        if path.len() > MAX_XOBJECT_DEPTH {
            return Err(bad(format!(
                "the PDF nests drawings more than {MAX_XOBJECT_DEPTH} deep; it may be crafted to crash readers"
            )));
        }
        let Some(xobjects) = resources.get(b"XObject").ok().and_then(|x| dict(doc, x)) else {
            return Ok(());
        };
        for (_, x) in xobjects.iter() {
            let Ok(id) = x.as_reference() else { continue };
            if path.contains(&id) {
                return Err(bad(
                    "the PDF has a drawing that draws itself; it may be crafted to crash readers",
                ));
            }
            let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
                continue;
            };
            if stream.dict.get(b"Subtype").and_then(Object::as_name).ok()
                != Some(b"Form".as_slice())
            {
                continue;
            }
            // A form without resources of its own draws with those it was called with.
            let inner = stream
                .dict
                .get(b"Resources")
                .ok()
                .and_then(|r| dict(doc, r))
                .unwrap_or(resources);
            path.push(id);
            visit(doc, inner, path)?;
            path.pop();
        }
        Ok(())
    }
    for (_, page) in doc.get_pages() {
        // Text extraction looks inherited attributes up the page's /Parent chain, recursively
        // and without a limit of its own: a page that is its own ancestor never ends.
        let mut seen = vec![page];
        let mut node = page;
        while let Some(parent) = doc
            .get_dictionary(node)
            .ok()
            .and_then(|d| d.get(b"Parent").ok())
            .and_then(|p| p.as_reference().ok())
        {
            if seen.contains(&parent) || seen.len() > MAX_XOBJECT_DEPTH * 4 {
                return Err(bad(
                    "the PDF's page tree loops back on itself; it may be crafted to crash readers",
                ));
            }
            seen.push(parent);
            node = parent;
        }
        let Ok((own, inherited)) = doc.get_page_resources(page) else {
            continue;
        };
        let mut all: Vec<&Dictionary> = own.into_iter().collect();
        all.extend(
            inherited
                .into_iter()
                .filter_map(|id| doc.get_dictionary(id).ok()),
        );
        for resources in all {
            visit(doc, resources, &mut Vec::new())?;
        }
    }
    Ok(())
}

fn pdf_text(bytes: &[u8]) -> Result<String, Unreadable> {
    let unreadable = |e: &dyn std::fmt::Display| bad(format!("the PDF cannot be read: {e}"));
    let mut doc = pdf_extract::Document::load_mem(bytes).map_err(|e| unreadable(&e))?;
    if doc.is_encrypted() {
        // Documents encrypted with an empty user password open; others cannot be read.
        doc.decrypt("")
            .map_err(|_| bad("the PDF is protected by a password"))?;
    }
    check_xobjects(&doc)?;
    let mut text = String::new();
    pdf_extract::output_doc(&doc, &mut pdf_extract::PlainTextOutput::new(&mut text))
        .map_err(|e| unreadable(&e))?;
    Ok(text)
}

fn pdf(bytes: &[u8], sink: &mut dyn Sink) -> Result<u64, Unreadable> {
    // The PDF parser may panic on hostile input: a panic is one more way of being unreadable
    // (and a crash or a runaway is contained by the process it runs in: see `isolate`).
    let text = std::panic::catch_unwind(|| pdf_text(bytes))
        .map_err(|_| bad("the PDF cannot be read"))??;
    let pages = text.matches('\u{c}').count() as u64 + 1;
    let text = text.replace('\u{c}', "\n").trim().to_owned();
    if let Some((columns, rows)) = text_table(&text) {
        let names = ColumnNames::from_header(columns.len(), columns.iter())?;
        sink.columns(names.as_slice())?;
        for r in rows {
            sink.row(r)?;
        }
    }
    sink.text(&text)?;
    Ok(pages)
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
            if i - start >= 3
                && lines[start].len() >= 2
                && best.is_none_or(|(s, e)| e - s < i - start)
            {
                best = Some((start, i));
            }
            start = i;
        }
    }
    let (s, e) = best?;
    if lines[s].len() > MAX_COLUMNS {
        return None;
    }
    let rows = lines[s + 1..e]
        .iter()
        .map(|r| r.iter().map(|c| Value::String(c.clone())).collect())
        .collect();
    Some((lines[s].clone(), rows))
}

/// Extracts a file declared as `declared` (a kind from its name and content type) into `sink`.
/// A file whose content is not what it declares is unreadable ("lying"), as is a corrupt one.
pub fn extract(declared: &str, bytes: &[u8], sink: &mut dyn Sink) -> Result<Summary, Unreadable> {
    if bytes.is_empty() {
        return Err(bad("the file is empty"));
    }
    let sink = &mut Guard::new(sink);
    let found = sniff(bytes);
    let is = |k: &str| found == k;
    let summary = |kind| Summary { kind, pages: None };
    match declared {
        "pdf" if is("pdf") => pdf(bytes, sink).map(|pages| Summary {
            kind: "pdf",
            pages: Some(pages),
        }),
        "xlsx" if is("xlsx") => check_unzipped(bytes)
            .and_then(|()| xlsx(bytes, sink))
            .map(|()| summary("xlsx")),
        "docx" if is("docx") => check_unzipped(bytes)
            .and_then(|()| docx(bytes, sink))
            .map(|()| summary("docx")),
        "csv" | "tsv" | "json" | "txt" if is("text") => {
            let text = decode(bytes).ok_or_else(|| bad("the text encoding cannot be read"))?;
            match declared {
                "json" => json_rows(&text, sink).map(|()| summary("json")),
                "txt" => sink.text(&text).map(|()| summary("txt")),
                kind => {
                    let (default, kind) = if kind == "tsv" {
                        (b'\t', "tsv")
                    } else {
                        (b',', "csv")
                    };
                    delimited(&text, sniff_delimiter(&text, default), kind, sink)
                        .map(|()| summary(kind))
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
    }
}

/// The types a column's values still allow, narrowed value by value: the same answer as
/// [`infer_type`] over every value, without keeping the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeSet {
    candidates: u8,
    seen: bool,
}

const NUMBER: u8 = 1;
const CHECKBOX: u8 = 2;
const DATE: u8 = 4;
const EMAIL: u8 = 8;
const URL: u8 = 16;

impl Default for TypeSet {
    fn default() -> Self {
        Self {
            candidates: NUMBER | CHECKBOX | DATE | EMAIL | URL,
            seen: false,
        }
    }
}

impl TypeSet {
    /// Narrows by one value (blank values say nothing).
    pub fn add(&mut self, v: &Value) {
        let text: Cow<'_, str> = match v {
            Value::String(s) if s.trim().is_empty() => return,
            Value::String(s) => Cow::Borrowed(s.trim()),
            Value::Number(n) => Cow::Owned(n.to_string()),
            Value::Bool(b) => Cow::Owned(b.to_string()),
            _ => return,
        };
        self.seen = true;
        let t = text.as_ref();
        let mut keep = 0;
        if self.candidates & NUMBER != 0
            && t.replace(',', "").parse::<f64>().is_ok_and(f64::is_finite)
        {
            keep |= NUMBER;
        }
        if self.candidates & CHECKBOX != 0
            && matches!(
                t.to_lowercase().as_str(),
                "true" | "false" | "yes" | "no" | "checked" | "unchecked"
            )
        {
            keep |= CHECKBOX;
        }
        if self.candidates & DATE != 0 && is_date(t) {
            keep |= DATE;
        }
        if self.candidates & EMAIL != 0 && platform::ids::Email::parse(t).is_ok() {
            keep |= EMAIL;
        }
        if self.candidates & URL != 0
            && (t.starts_with("http://") || t.starts_with("https://"))
            && !t.contains(' ')
            && t.len() > 10
        {
            keep |= URL;
        }
        self.candidates = keep;
    }

    /// `number`, `checkbox`, `date`, `email`, `url` or `text`.
    pub fn kind(&self) -> &'static str {
        if !self.seen {
            return "text";
        }
        [
            (NUMBER, "number"),
            (CHECKBOX, "checkbox"),
            (DATE, "date"),
            (EMAIL, "email"),
            (URL, "url"),
        ]
        .into_iter()
        .find(|(bit, _)| self.candidates & bit != 0)
        .map_or("text", |(_, kind)| kind)
    }
}

/// The type of a column from its values: `number`, `checkbox`, `date`, `email`, `url` or `text`.
pub fn infer_type(values: &[&Value]) -> &'static str {
    let mut types = TypeSet::default();
    for v in values {
        types.add(v);
    }
    types.kind()
}

/// `2026-11-28`, `2026-11-28T10:00:00Z`, `2026/11/28`, `28/11/2026`, `11/28/2026`, `28.11.2026`.
fn is_date(t: &str) -> bool {
    let d = t.split(['T', ' ']).next().unwrap_or("");
    let parts: Vec<&str> = d.split(['-', '/', '.']).collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    let valid = |y: u32, m: u32, d: u32| {
        (1000..=9999).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d)
    };
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
    use crate::sink::Collected;

    fn run(declared: &str, bytes: &[u8]) -> Result<Collected, Unreadable> {
        let mut out = Collected::default();
        extract(declared, bytes, &mut out)?;
        Ok(out)
    }

    #[test]
    fn delimiters_and_encodings_are_detected() {
        let semi = "Name;Age\nAda;36\nGrace;85\n";
        let e = run("csv", semi.as_bytes()).unwrap();
        assert_eq!(e.columns, vec!["Name", "Age"]);
        assert_eq!(e.rows[1], vec![json!("Grace"), json!("85")]);
        // Windows-1252 "Zoë", and UTF-16 with a BOM.
        let latin = b"Name,City\nZo\xeb,K\xf6ln\n";
        assert_eq!(run("csv", latin).unwrap().rows[0][0], json!("Zoë"));
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "A\tB\n1\t2\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let mut out = Collected::default();
        let summary = extract("tsv", &utf16, &mut out).unwrap();
        assert_eq!(
            (summary.kind, out.columns.len(), out.rows.len()),
            ("tsv", 2, 1)
        );
    }

    #[test]
    fn quoted_fields_blank_headers_and_ragged_rows_are_kept() {
        let e = run("csv", b"Name,,Name\n\"Doe, J\",1,x\nA,2,y,extra\n").unwrap();
        assert_eq!(e.columns, vec!["Name", "Column 2", "Name (2)", "Column 4"]);
        assert_eq!(e.rows[0][0], json!("Doe, J"));
        assert_eq!(e.padded()[0].len(), 4, "earlier rows are padded by readers");
        assert_eq!(e.rows[1][3], json!("extra"));
        assert_eq!(
            e.text().lines().next(),
            Some("Name\tColumn 2\tName (2)\tColumn 4")
        );
    }

    #[test]
    fn thousands_of_identical_header_names_are_renamed_in_linear_time() {
        let names = ColumnNames::from_header(400, ["a"; 400]).unwrap();
        assert_eq!(&names.as_slice()[..3], ["a", "a (2)", "a (3)"]);
        assert_eq!(names.as_slice().iter().collect::<HashSet<_>>().len(), 400);
        let mut clash = ColumnNames::from_header(3, ["a", "a (2)", "a"]).unwrap();
        assert_eq!(clash.as_slice(), ["a", "a (2)", "a (3)"]);
        clash.widen(5);
        assert_eq!(clash.as_slice()[3..], ["Column 4", "Column 5"]);
        // 30,000 header cells: refused before any renaming.
        let header = vec!["a"; 30_000].join(",") + "\n1\n";
        let started = std::time::Instant::now();
        assert!(
            run("csv", header.as_bytes())
                .unwrap_err()
                .0
                .contains("30000 columns")
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn json_arrays_and_wrapped_records_become_rows() {
        let e = run(
            "json",
            br#"{"records": [{"a": 1, "b": "x"}, {"b": "y", "c": true}]}"#,
        )
        .unwrap();
        assert_eq!(e.columns, vec!["a", "b", "c"]);
        assert_eq!(e.padded()[1], vec![json!(""), json!("y"), json!(true)]);
        let e = run("json", br#"[{"b": 1, "a": {"x": 1}}, {"c": null}]"#).unwrap();
        assert_eq!(e.columns, vec!["a", "b", "c"]);
        assert_eq!(
            e.padded(),
            vec![
                vec![json!("{\"x\":1}"), json!(1), json!("")],
                vec![json!(""), json!(""), json!("")]
            ]
        );
        assert!(
            run("json", b"{oops")
                .unwrap_err()
                .0
                .contains("not valid JSON")
        );
        assert!(
            run("json", b"[{\"a\":1}, 2]")
                .unwrap_err()
                .0
                .contains("other than objects")
        );
        assert!(
            run("json", b"[{\"a\":1}] trailing")
                .unwrap_err()
                .0
                .contains("not valid JSON")
        );
        assert!(run("json", b"42").unwrap_err().0.contains("single value"));
    }

    #[test]
    fn lying_and_corrupt_files_are_unreadable() {
        assert!(
            run("csv", b"%PDF-1.4 ...")
                .unwrap_err()
                .0
                .contains("says it is CSV but its content is PDF")
        );
        assert!(run("pdf", b"%PDF-1.4 garbage").is_err());
        assert!(run("xlsx", b"PK\x03\x04 not really a zip").is_err());
        assert!(run("txt", &[0u8, 159, 146, 150]).is_err());
        assert!(run("csv", b"").is_err());
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
        assert_eq!(excel_date(f64::MAX), json!(""));
    }

    #[test]
    fn column_types_are_inferred_from_every_value() {
        let t = |vals: &[Value]| infer_type(&vals.iter().collect::<Vec<_>>());
        assert_eq!(t(&[json!("1,200.5"), json!("3"), json!("")]), "number");
        assert_eq!(t(&[json!("yes"), json!("No")]), "checkbox");
        assert_eq!(
            t(&[
                json!("2026-11-28"),
                json!("28/11/2026"),
                json!("2026-01-02T10:00:00Z")
            ]),
            "date"
        );
        assert_eq!(t(&[json!("ada@example.com")]), "email");
        assert_eq!(t(&[json!("https://example.com/x")]), "url");
        assert_eq!(t(&[json!("12"), json!("twelve")]), "text");
        assert_eq!(t(&[json!("2026-13-01")]), "text");
        assert_eq!(t(&[]), "text");
    }

    struct Discard;
    impl Sink for Discard {
        fn columns(&mut self, _: &[String]) -> Result<(), Unreadable> {
            Ok(())
        }
        fn row(&mut self, _: Vec<Value>) -> Result<(), Unreadable> {
            Ok(())
        }
        fn text(&mut self, _: &str) -> Result<(), Unreadable> {
            Ok(())
        }
    }

    #[test]
    fn crafted_tables_are_refused_at_once() {
        assert!(
            run("csv", &crate::fixtures::csv_repeated_header(30_000))
                .unwrap_err()
                .0
                .contains("30000 columns")
        );
        let err = run("xlsx", &crate::fixtures::xlsx_far_corners()).unwrap_err();
        assert!(err.0.contains("16384 columns"), "{err}");
        // The same corners in one column: two rows, not a million.
        let tall =
            crate::fixtures::xlsx_cells(&[(1, 0, json!("Name")), (1_048_576, 0, json!("last"))]);
        assert_eq!(run("xlsx", &tall).unwrap().rows, vec![vec![json!("last")]]);
    }

    #[test]
    fn workbooks_and_documents_stream_into_rows_and_text() {
        let book = crate::fixtures::xlsx(
            &["Name", "Score"],
            &[
                vec![json!("Ada"), json!(98)],
                vec![json!("Grace"), json!(91.5)],
            ],
        );
        let e = run("xlsx", &book).unwrap();
        assert_eq!(e.columns, vec!["Name", "Score"]);
        assert_eq!(
            e.rows,
            vec![
                vec![json!("Ada"), json!(98)],
                vec![json!("Grace"), json!(91.5)]
            ]
        );
        let doc = crate::fixtures::docx(
            &["Quarterly", "Report"],
            &[
                &["Region", "Revenue"],
                &["North", "1200"],
                &["South", "900"],
            ],
        );
        let e = run("docx", &doc).unwrap();
        assert!(
            e.document.starts_with("Quarterly\nReport\n"),
            "{:?}",
            e.document
        );
        assert_eq!(e.columns, vec!["Region", "Revenue"]);
        assert_eq!(e.rows.len(), 2);
        let pdf = run("pdf", &crate::fixtures::pdf("Hello from a PDF")).unwrap();
        assert!(pdf.document.contains("Hello from a PDF"));
        // The drawing that draws itself is refused before extraction recurses into it.
        let err = run("pdf", &crate::fixtures::pdf_self_drawing_xobject()).unwrap_err();
        assert!(err.0.contains("draws itself"), "{err}");
        // Found by `make fuzz` (extract_pdf): the same document with its XObject's resources
        // garbled makes pdf-extract panic on a missing reference; a panic is "cannot be read".
        let garbled = String::from_utf8(crate::fixtures::pdf_self_drawing_xobject()).unwrap();
        let at = garbled.rfind("/XObject <<").unwrap();
        let garbled = format!(
            "{}/XObject ,<{}",
            &garbled[..at],
            &garbled[at + "/XObject <<".len()..]
        );
        assert!(
            run("pdf", garbled.as_bytes())
                .unwrap_err()
                .0
                .contains("cannot be read")
        );
        // Found by `make fuzz` (extract_pdf, a stack overflow): a drawing without resources of its
        // own draws with the page's, which hold the drawing itself.
        let inherits = String::from_utf8(crate::fixtures::pdf_self_drawing_xobject()).unwrap();
        let at = inherits.rfind("/Resources").unwrap();
        let inherits = format!(
            "{}/Resoqrces{}",
            &inherits[..at],
            &inherits[at + "/Resources".len()..]
        );
        assert!(
            run("pdf", inherits.as_bytes())
                .unwrap_err()
                .0
                .contains("draws itself")
        );
        // Found by `make fuzz` (extract_pdf, a stack overflow): a page that is its own parent.
        let err = run("pdf", &crate::fixtures::pdf_page_parent_loop()).unwrap_err();
        assert!(err.0.contains("page tree loops"), "{err}");
    }

    #[test]
    fn the_guard_bounds_rows_and_output() {
        let mut out = Discard;
        let mut guard = Guard::new(&mut out);
        guard.columns(&["a".into()]).unwrap();
        assert!(
            guard.row(vec![json!("1"), json!("2")]).is_err(),
            "a row wider than the columns"
        );
        let big = "x".repeat(1 << 20);
        let err = (0..300)
            .map(|_| guard.text(&big))
            .find(Result::is_err)
            .unwrap()
            .unwrap_err();
        assert!(err.0.contains("256 MB"), "{err}");
    }
}
