//! What the fuzz targets share: running an extractor and checking what every extraction must
//! hold, whatever the bytes.

use file_processor::extract::{Sink, Unreadable};
use serde_json::Value;

/// Keeps only what the invariants need (bounded, so a fuzz input cannot grow it without end).
#[derive(Default)]
struct Check {
    columns: Vec<String>,
    rows: u64,
    text: u64,
}

impl Sink for Check {
    fn columns(&mut self, names: &[String]) -> Result<(), Unreadable> {
        assert!(names.len() >= self.columns.len(), "columns only grow");
        assert!(
            names.starts_with(&self.columns),
            "earlier columns keep their names"
        );
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(
            unique.len(),
            names.len(),
            "column names are unique: {names:?}"
        );
        assert!(
            names.iter().all(|n| !n.trim().is_empty()),
            "no blank column names"
        );
        self.columns = names.to_vec();
        Ok(())
    }
    fn row(&mut self, cells: Vec<Value>) -> Result<(), Unreadable> {
        assert!(
            cells.len() <= self.columns.len(),
            "a row is never wider than the columns"
        );
        assert!(
            cells.iter().all(|c| !c.is_object() && !c.is_array()),
            "cells are scalars"
        );
        self.rows += 1;
        Ok(())
    }
    fn text(&mut self, chunk: &str) -> Result<(), Unreadable> {
        self.text += chunk.len() as u64;
        Ok(())
    }
}

/// Extracts `data` declared as `kind`: any outcome but a panic, an abort or a runaway is fine,
/// and what comes out keeps the sink's invariants.
pub fn extract(kind: &str, data: &[u8]) {
    // `FUZZ_LAST_INPUT=<file>`: each input is written there before it runs, so a crash no handler
    // survives (a stack overflow on a thread without an alternate stack) still leaves its input.
    if let Some(path) = std::env::var_os("FUZZ_LAST_INPUT") {
        let _ = std::fs::write(path, data);
    }
    let mut check = Check::default();
    match file_processor::extract::extract(kind, data, &mut check) {
        Ok(summary) => {
            assert!(["csv", "tsv", "json", "xlsx", "txt", "pdf", "docx"].contains(&summary.kind))
        }
        Err(Unreadable(reason)) => assert!(!reason.is_empty()),
    }
}
