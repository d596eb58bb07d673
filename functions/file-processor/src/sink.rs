//! Where extracted content goes: [`Output`] writes the rows (JSON lines) and the text to files as
//! they come and keeps only the preview — the first rows, the row count and each column's type,
//! narrowed value by value — so nothing grows with the file; [`Collected`] keeps everything in
//! memory for tests and the fuzzers.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use files_core::{Column, Preview};
use serde_json::{Value, json};

use crate::extract::{Sink, Summary, TypeSet, Unreadable, bad, tsv_line};

/// Characters of a cell kept in the preview.
const PREVIEW_CELL_CHARS: usize = 500;
/// Bytes of preview rows kept on the item (DynamoDB items hold 400 KB).
const PREVIEW_BYTES: usize = 150_000;

/// The preview being built: first rows (within a byte budget), count, a type per column.
#[derive(Debug, Default)]
pub struct PreviewBuilder {
    columns: Vec<String>,
    types: Vec<TypeSet>,
    rows: Vec<Vec<Value>>,
    bytes: usize,
    full: bool,
    count: u64,
}

impl PreviewBuilder {
    pub fn columns(&mut self, names: &[String]) {
        self.columns = names.to_vec();
        self.types.resize(names.len(), TypeSet::default());
    }

    pub fn row(&mut self, cells: &[Value]) {
        self.count += 1;
        for (t, v) in self.types.iter_mut().zip(cells) {
            t.add(v);
        }
        if self.full || self.rows.len() >= files_core::PREVIEW_ROWS {
            return;
        }
        let row: Vec<Value> = cells
            .iter()
            .map(|v| match v {
                Value::String(t) if t.chars().count() > PREVIEW_CELL_CHARS => {
                    json!(t.chars().take(PREVIEW_CELL_CHARS).collect::<String>() + "…")
                }
                other => other.clone(),
            })
            .collect();
        self.bytes += Value::Array(row.clone()).to_string().len();
        if self.bytes > PREVIEW_BYTES {
            self.full = true;
            return;
        }
        self.rows.push(row);
    }

    /// The preview, rows padded to the final width.
    pub fn finish(mut self) -> Preview {
        let width = self.columns.len();
        for r in &mut self.rows {
            r.resize(width, Value::String(String::new()));
        }
        let columns = self
            .columns
            .iter()
            .zip(&self.types)
            .map(|(name, t)| Column {
                name: name.clone(),
                kind: t.kind().to_owned(),
            })
            .collect();
        Preview {
            columns,
            rows: self.rows,
            row_count: self.count,
        }
    }
}

/// The preview of rows held in memory (tests).
pub fn preview(columns: &[String], rows: &[Vec<Value>]) -> Preview {
    let mut p = PreviewBuilder::default();
    p.columns(columns);
    for r in rows {
        p.row(r);
    }
    p.finish()
}

/// Everything in memory: for tests and fuzzing.
#[derive(Debug, Default, PartialEq)]
pub struct Collected {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// The document's text (for tables, see [`Collected::text`]).
    pub document: String,
}

impl Sink for Collected {
    fn columns(&mut self, names: &[String]) -> Result<(), Unreadable> {
        self.columns = names.to_vec();
        Ok(())
    }
    fn row(&mut self, cells: Vec<Value>) -> Result<(), Unreadable> {
        self.rows.push(cells);
        Ok(())
    }
    fn text(&mut self, chunk: &str) -> Result<(), Unreadable> {
        self.document.push_str(chunk);
        Ok(())
    }
}

impl Collected {
    /// Rows padded to the final width (as readers of the rows file see them).
    pub fn padded(&self) -> Vec<Vec<Value>> {
        self.rows
            .iter()
            .map(|r| pad(r, self.columns.len()))
            .collect()
    }

    /// The text a file shows: the document's, or a table's rows as tab-separated lines.
    pub fn text(&self) -> String {
        if !self.document.is_empty() || self.columns.is_empty() {
            return self.document.trim().to_owned();
        }
        let mut out = self.columns.join("\t");
        for r in self.padded() {
            out.push('\n');
            out.push_str(&tsv_line(&r));
        }
        out
    }
}

fn pad(r: &[Value], width: usize) -> Vec<Value> {
    let mut r = r.to_vec();
    r.resize(width.max(r.len()), Value::String(String::new()));
    r
}

/// Writes what a file holds to a fresh directory: `rows.ndjson` (a JSON array per line, in
/// column order; rows written before the table widened are shorter) and `text.txt`; keeps the
/// preview. The directory goes when the output is dropped.
pub struct Output {
    dir: Scratch,
    rows: BufWriter<File>,
    /// A document's text, as it comes.
    text: BufWriter<File>,
    /// A table's rows as text lines (the header goes first once the columns are final).
    table_text: BufWriter<File>,
    wrote_text: bool,
    preview: PreviewBuilder,
}

/// A directory that is removed with its contents when dropped.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What [`Output::finish`] leaves: the files to store (gone when this is dropped) and the
/// preview.
pub struct Written {
    _dir: Scratch,
    pub rows: PathBuf,
    pub text: PathBuf,
    pub text_chars: u64,
    pub preview: Preview,
    pub summary: Summary,
}

fn io(e: std::io::Error) -> Unreadable {
    tracing::error!(error = %e, "writing extracted content failed");
    bad("the file's content could not be stored")
}

impl Output {
    /// A new output in a fresh directory under `parent`.
    pub fn new(parent: &Path) -> std::io::Result<Self> {
        let dir = parent.join(format!(
            "pyairtable-extract-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir)?;
        let file = |name: &str| File::create(dir.join(name)).map(BufWriter::new);
        Ok(Self {
            rows: file("rows.ndjson")?,
            text: file("text.txt")?,
            table_text: file("table.txt")?,
            dir: Scratch(dir),
            wrote_text: false,
            preview: PreviewBuilder::default(),
        })
    }

    /// Closes the files (the text of a table gets its header line now that the columns are
    /// known) and returns them with the preview.
    pub fn finish(mut self, summary: Summary) -> Result<Written, Unreadable> {
        self.rows.flush().map_err(io)?;
        self.table_text.flush().map_err(io)?;
        if !self.wrote_text && !self.preview.columns.is_empty() {
            let header = self.preview.columns.join("\t");
            self.text.write_all(header.as_bytes()).map_err(io)?;
            let mut body = File::open(self.dir.0.join("table.txt")).map_err(io)?;
            std::io::copy(&mut body, &mut self.text).map_err(io)?;
        }
        self.text.flush().map_err(io)?;
        let text = self.dir.0.join("text.txt");
        let text_chars = count_chars(&text).map_err(io)?;
        let rows = self.dir.0.join("rows.ndjson");
        let preview = std::mem::take(&mut self.preview).finish();
        Ok(Written {
            _dir: self.dir,
            rows,
            text,
            text_chars,
            preview,
            summary,
        })
    }
}

/// Characters of a UTF-8 file, read in blocks.
fn count_chars(path: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    let mut chars = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(chars);
        }
        // Every char has exactly one byte that is not a continuation byte.
        chars += buf[..n].iter().filter(|b| (**b & 0xC0) != 0x80).count() as u64;
    }
}

impl Sink for Output {
    fn columns(&mut self, names: &[String]) -> Result<(), Unreadable> {
        self.preview.columns(names);
        Ok(())
    }

    fn row(&mut self, cells: Vec<Value>) -> Result<(), Unreadable> {
        self.preview.row(&cells);
        serde_json::to_writer(&mut self.rows, &cells).map_err(|e| io(std::io::Error::other(e)))?;
        self.rows.write_all(b"\n").map_err(io)?;
        self.table_text.write_all(b"\n").map_err(io)?;
        self.table_text
            .write_all(tsv_line(&cells).as_bytes())
            .map_err(io)
    }

    fn text(&mut self, chunk: &str) -> Result<(), Unreadable> {
        self.wrote_text = true;
        self.text.write_all(chunk.as_bytes()).map_err(io)
    }
}
