//! Uploaded files: the item the `files` API, the `file-processor` and the import saga share, the
//! allowed types, and where a file's bytes and extractions live in the uploads bucket.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use platform::ids::{FileId, TenantId};
use platform::store::{Child, Key, keys};

/// Largest file accepted through a presigned upload.
pub const MAX_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;
/// Largest file accepted as `multipart/form-data` through the function itself: API Gateway
/// hands Lambda the body base64-encoded, inside Lambda's 6 MB request limit.
pub const MAX_MULTIPART_BYTES: u64 = 4 * 1024 * 1024;
/// Rows kept in a file's preview.
pub const PREVIEW_ROWS: usize = 50;

/// The file kinds accepted: (kind, extensions, content types).
pub const KINDS: &[(&str, &[&str], &[&str])] = &[
    ("csv", &["csv"], &["text/csv", "application/csv"]),
    ("tsv", &["tsv", "tab"], &["text/tab-separated-values"]),
    ("json", &["json"], &["application/json"]),
    (
        "xlsx",
        &["xlsx"],
        &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    ),
    ("txt", &["txt", "text"], &["text/plain"]),
    ("pdf", &["pdf"], &["application/pdf"]),
    (
        "docx",
        &["docx"],
        &["application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
    ),
];

/// The kind a declared content type (parameters ignored) stands for.
pub fn kind_of_content_type(content_type: &str) -> Option<&'static str> {
    let base = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_lowercase();
    KINDS
        .iter()
        .find(|(_, _, types)| types.contains(&base.as_str()))
        .map(|(k, _, _)| *k)
}

/// The kind a file name's extension stands for.
pub fn kind_of_name(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_lowercase();
    KINDS
        .iter()
        .find(|(_, exts, _)| exts.contains(&ext.as_str()))
        .map(|(k, _, _)| *k)
}

/// Where a file's bytes are uploaded. The tenant and file id in the key let the processor find
/// the item from the S3 event alone.
pub fn upload_key(tenant: &TenantId, file: &FileId, name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    format!("uploads/{tenant}/{file}/{safe}")
}

/// The tenant and file of an upload key (already URL-decoded).
pub fn parse_upload_key(key: &str) -> Option<(TenantId, FileId)> {
    let mut parts = key.splitn(4, '/');
    if parts.next()? != "uploads" {
        return None;
    }
    let tenant = TenantId::parse(parts.next()?).ok()?;
    let file = FileId::parse(parts.next()?).ok()?;
    parts.next()?;
    Some((tenant, file))
}

/// Where the extracted rows (JSON lines: one array per row, in column order) are kept.
pub fn rows_key(tenant: &TenantId, file: &FileId) -> String {
    format!("extracted/{tenant}/{file}/rows.jsonl")
}

/// Where the extracted text is kept.
pub fn text_key(tenant: &TenantId, file: &FileId) -> String {
    format!("extracted/{tenant}/{file}/text.txt")
}

/// Where a file is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// An upload URL was issued; the bytes have not arrived.
    Pending,
    Uploaded,
    Processing,
    Processed,
    Failed,
}

/// A column and its inferred type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Column {
    pub name: String,
    /// `number`, `checkbox`, `date`, `email`, `url` or `text`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The first rows of a tabular file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub columns: Vec<Column>,
    /// Up to 50 rows, each an array in column order.
    pub rows: Vec<Vec<Value>>,
    pub row_count: u64,
}

/// The file item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord {
    pub id: FileId,
    pub name: String,
    pub content_type: String,
    /// The kind the name and content type declare.
    pub declared_kind: String,
    pub declared_size: u64,
    pub status: FileStatus,
    pub s3_key: String,
    pub uploaded_by: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub size: Option<u64>,
    /// The kind found in the content.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub preview: Option<Preview>,
    #[serde(default)]
    pub text_chars: Option<u64>,
    #[serde(default)]
    pub pages: Option<u64>,
    /// When processing started (epoch seconds): a redelivery waits this long before taking over.
    #[serde(default)]
    pub processing_since: Option<i64>,
}

impl Child<TenantId> for FileRecord {
    const TAG: &'static str = "file";
    fn key(&self, tenant: &TenantId) -> Key {
        keys::file(tenant, &self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_names_and_content_types() {
        assert_eq!(kind_of_content_type("text/csv; charset=utf-8"), Some("csv"));
        assert_eq!(kind_of_name("Report.XLSX"), Some("xlsx"));
        assert_eq!(kind_of_name("archive.zip"), None);
        assert_eq!(kind_of_content_type("image/png"), None);
    }

    #[test]
    fn upload_keys_carry_tenant_and_file_and_parse_back() {
        let t = TenantId::generate();
        let f = FileId::generate();
        let key = upload_key(&t, &f, "my data/ü.csv");
        assert!(key.ends_with("/my_data__.csv"), "{key}");
        assert_eq!(parse_upload_key(&key), Some((t, f)));
        assert_eq!(parse_upload_key("exports/x/y/z.csv"), None);
    }
}
