//! Lambda `file-processor`: S3 ObjectCreated → files queue → here. For each uploaded object it
//! claims the file item (`uploaded → processing`, conditional, so a redelivered message does no
//! second pass), reads the bytes, detects what they really are, extracts rows and text, stores
//! the rows (JSON lines) and text in S3 and a preview (first 50 rows, typed columns, row count)
//! on the item: `processed`, or `failed` with a readable reason. Transient failures are reported
//! as batch item failures, so only those messages come back.
//!
//! Every file is parsed in a child process under hard limits ([`isolate`]), streaming its rows
//! and text to files ([`sink`]): a crafted file fails itself, never the process, the batch or
//! another tenant's file. The messages of a batch are worked side by side, so a slow file does
//! not hold up the others.

pub mod extract;
pub mod fixtures;
pub mod isolate;
pub mod sink;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use files_core::{FileRecord, FileStatus, Preview};
use platform::aws::AwsClients;
use platform::config::Config;
use platform::ids::{FileId, TenantId};
use platform::queue::{Batch, Transient};
use platform::store::{Store, StoreError, keys, n, s};
use platform::telemetry::{Telemetry, record};
use serde_json::Value;

pub use extract::{Summary, Unreadable, extract, infer_type};

/// A processing that started this long ago (and did not finish) may be taken over.
const STALE_AFTER_SECS: i64 = 300;
/// The files queue: two messages at once (each parse is a process of its own), given up after
/// its `maxReceiveCount`.
pub const BATCH: Batch = Batch {
    worker: "file-processor",
    concurrency: 2,
    max_receives: 5,
};

/// Counts what follows for the file's tenant and uploader.
fn attribute(tenant: &TenantId, uploader: Option<&str>) {
    if let Some(user) = uploader.and_then(|u| platform::ids::UserId::parse(u).ok()) {
        record::attribute(tenant, &user);
    }
}

/// The handler's clients, built once per cold start.
#[derive(Clone)]
pub struct Processor {
    store: Store,
    s3: aws_sdk_s3::Client,
    bucket: String,
    sqs: aws_sdk_sqs::Client,
    automation_queue_url: String,
    telemetry: Telemetry,
    parsing: Parsing,
}

/// How files are parsed: which binary runs the child, under which limits, writing where.
#[derive(Clone, Debug)]
pub struct Parsing {
    pub exe: std::path::PathBuf,
    pub limits: isolate::Limits,
    pub scratch: std::path::PathBuf,
}

impl Parsing {
    pub fn new(config: &Config) -> Self {
        let p = &config.file_parsing;
        let exe = p
            .extractor
            .clone()
            .or_else(|| std::env::current_exe().ok())
            .unwrap_or_else(|| "bootstrap".into());
        let limits = isolate::Limits {
            memory_bytes: p.memory_mb << 20,
            cpu_seconds: p.cpu_seconds,
            wall: std::time::Duration::from_secs(p.cpu_seconds + 30),
        };
        Self {
            exe,
            limits,
            scratch: std::env::temp_dir(),
        }
    }
}

impl Processor {
    pub fn new(config: &Config, aws: &AwsClients) -> Self {
        Self {
            store: Store::new(aws.dynamodb().clone(), config.table_name.clone()),
            s3: aws.s3().clone(),
            bucket: config.uploads_bucket.clone(),
            sqs: aws.sqs().clone(),
            automation_queue_url: config.automation_queue_url.clone(),
            telemetry: Telemetry::new(
                "file-processor",
                config,
                Store::new(aws.dynamodb().clone(), config.table_name.clone()),
            ),
            parsing: Parsing::new(config),
        }
    }

    /// Starts the tenant's `file_processed` workflows that match the file (each file starts a
    /// workflow once, however often its notification is delivered).
    async fn trigger_workflows(
        &self,
        tenant: &TenantId,
        record: &FileRecord,
    ) -> Result<(), Transient> {
        match workflows_core::on_file_processed(
            &self.store,
            &self.sqs,
            &self.automation_queue_url,
            tenant,
            record,
        )
        .await
        {
            Ok(0) => Ok(()),
            Ok(started) => {
                tracing::info!(file = %record.id, started, "file_processed workflows started");
                Ok(())
            }
            Err(workflows_core::StartError::Store(e)) => Err(e.into()),
            Err(e) => Err(Transient::other(format!("automation queue: {e}"))),
        }
    }

    /// Handles a batch, a few messages at a time; failed messages are reported, the others are
    /// done. On the queue's last delivery the file is marked failed rather than tried again (a
    /// parse that took the process down every time would leave it "processing" for ever).
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        BATCH
            .run(&self.telemetry, event, |d| async move {
                if d.last {
                    self.give_up(&d.body).await;
                    return Ok(());
                }
                self.message(&d.body).await
            })
            .await
    }

    async fn message(&self, body: &str) -> Result<(), Transient> {
        let v: Value = serde_json::from_str(body)
            .map_err(|e| Transient::other(format!("the message is not an S3 event: {e}")))?;
        // S3 sends a test event when a notification is configured.
        if v["Event"] == "s3:TestEvent" {
            return Ok(());
        }
        for record in v["Records"].as_array().into_iter().flatten() {
            if !record["eventName"]
                .as_str()
                .unwrap_or("")
                .starts_with("ObjectCreated")
            {
                continue;
            }
            // Keys arrive URL-encoded (`+` for spaces).
            let raw = record["s3"]["object"]["key"].as_str().unwrap_or("");
            let key: String = form_urlencoded::parse(format!("k={raw}").as_bytes())
                .map(|(_, v)| v.into_owned())
                .next()
                .unwrap_or_default();
            let Some((tenant, file)) = files_core::parse_upload_key(&key) else {
                tracing::warn!(key = %key, "an object outside uploads/<tenant>/<file>/ was ignored");
                continue;
            };
            let size = record["s3"]["object"]["size"].as_u64();
            self.process(&tenant, &file, &key, size).await?;
        }
        Ok(())
    }

    /// Marks the files of a message failed after repeated transient failures.
    async fn give_up(&self, body: &str) {
        let v: Value = serde_json::from_str(body).unwrap_or_default();
        for record in v["Records"].as_array().into_iter().flatten() {
            let raw = record["s3"]["object"]["key"].as_str().unwrap_or("");
            let key: String = form_urlencoded::parse(format!("k={raw}").as_bytes())
                .map(|(_, v)| v.into_owned())
                .next()
                .unwrap_or_default();
            if let Some((tenant, file)) = files_core::parse_upload_key(&key) {
                let failed = self
                    .store
                    .update::<Value>(
                        &keys::file(&tenant, &file),
                        "SET #status = :failed, #error = :reason, #updatedAt = :at REMOVE #processingSince",
                        Some("#status IN (:pending, :uploaded, :processing)"),
                        &[
                            (":failed", s("failed")),
                            (":reason", s("the file could not be processed after several attempts; upload it again")),
                            (":at", s(platform::time::now_rfc3339())),
                            (":pending", s("pending")),
                            (":uploaded", s("uploaded")),
                            (":processing", s("processing")),
                        ],
                    )
                    .await;
                match failed {
                    Ok(item) => {
                        attribute(&tenant, item["uploadedBy"].as_str());
                        record::file_processed(false);
                    }
                    // Already processed or failed: nothing changed, nothing to count.
                    Err(StoreError::ConditionFailed) => {}
                    Err(e) => {
                        tracing::error!(file = %file, error = %e, "could not mark a file failed")
                    }
                }
            }
        }
    }

    /// Claims the file for processing; `None` when it is gone, done, or another worker has it.
    async fn claim(
        &self,
        tenant: &TenantId,
        file: &FileId,
        size: Option<u64>,
    ) -> Result<Option<FileRecord>, Transient> {
        let key = keys::file(tenant, file);
        let Some(record) = self.store.get::<FileRecord>(&key).await? else {
            return Ok(None);
        };
        attribute(tenant, Some(&record.uploaded_by));
        if matches!(record.status, FileStatus::Processed | FileStatus::Failed) {
            tracing::info!(file = %file, "redelivered notification of a file already processed: nothing to do");
            // The first delivery may have stopped before its workflows were started.
            if record.status == FileStatus::Processed {
                self.trigger_workflows(tenant, &record).await?;
            }
            return Ok(None);
        }
        let now = platform::time::now_epoch();
        let claimed = self
            .store
            .update::<FileRecord>(
                &key,
                "SET #status = :processing, #processingSince = :now, #size = :size, #updatedAt = :at",
                Some("#status IN (:pending, :uploaded) OR (#status = :processing AND #processingSince < :stale)"),
                &[
                    (":processing", s("processing")),
                    (":pending", s("pending")),
                    (":uploaded", s("uploaded")),
                    (":now", n(now)),
                    (":stale", n(now - STALE_AFTER_SECS)),
                    (":size", n(size.unwrap_or(record.declared_size))),
                    (":at", s(platform::time::now_rfc3339())),
                ],
            )
            .await;
        match claimed {
            Ok(r) => Ok(Some(r)),
            Err(StoreError::ConditionFailed) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn finish(
        &self,
        tenant: &TenantId,
        file: &FileId,
        outcome: Result<(Summary, u64, Preview), String>,
    ) -> Result<(), Transient> {
        let key = keys::file(tenant, file);
        let at = s(platform::time::now_rfc3339());
        match outcome {
            Ok((summary, text_chars, preview)) => {
                let preview =
                    serde_dynamo::to_attribute_value(&preview).map_err(StoreError::from)?;
                let record = self
                    .store
                    .update::<FileRecord>(
                        &key,
                        "SET #status = :done, #kind = :kind, #preview = :preview, #textChars = :chars, #pages = :pages, #updatedAt = :at REMOVE #processingSince, #error",
                        Some("#status = :processing"),
                        &[
                            (":done", s("processed")),
                            (":processing", s("processing")),
                            (":kind", s(summary.kind)),
                            (":preview", preview),
                            (":chars", n(text_chars)),
                            (":pages", summary.pages.map(n).unwrap_or(aws_sdk_dynamodb_null())),
                            (":at", at),
                        ],
                    )
                    .await?;
                record::file_processed(true);
                self.trigger_workflows(tenant, &record).await?;
            }
            Err(reason) => {
                tracing::info!(file = %file, reason = %reason, "file failed processing");
                self.store
                    .update::<Value>(
                        &key,
                        "SET #status = :failed, #error = :reason, #updatedAt = :at REMOVE #processingSince",
                        Some("#status = :processing"),
                        &[(":failed", s("failed")), (":processing", s("processing")), (":reason", s(reason)), (":at", at)],
                    )
                    .await?;
                record::file_processed(false);
            }
        }
        Ok(())
    }

    async fn process(
        &self,
        tenant: &TenantId,
        file: &FileId,
        key: &str,
        size: Option<u64>,
    ) -> Result<(), Transient> {
        let Some(record) = self.claim(tenant, file, size).await? else {
            return Ok(());
        };
        let actual = size.unwrap_or(record.declared_size);
        if actual > files_core::MAX_UPLOAD_BYTES || actual != record.declared_size {
            let reason = format!(
                "the upload is {actual} bytes but {} were declared",
                record.declared_size
            );
            return self.finish(tenant, file, Err(reason)).await;
        }
        let obj = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| Transient::other(format!("S3: {e}")))?;
        let bytes = obj
            .body
            .collect()
            .await
            .map_err(|e| Transient::other(format!("S3: {e}")))?
            .into_bytes();
        let declared = record.declared_kind.clone();
        let parsing = self.parsing.clone();
        // Parsing is a child process and blocking I/O: off the async threads.
        let parsed = tokio::task::spawn_blocking(
            move || -> Result<Result<sink::Written, Unreadable>, std::io::Error> {
                let mut output = sink::Output::new(&parsing.scratch)?;
                let summary = match isolate::run(
                    &parsing.exe,
                    &declared,
                    &bytes,
                    parsing.limits,
                    &mut output,
                ) {
                    Ok(s) => s,
                    Err(e) => return Ok(Err(e)),
                };
                // The files stay until `Written` is dropped, after they are stored.
                Ok(output.finish(summary))
            },
        )
        .await
        .map_err(|e| Transient::other(format!("the parser task failed: {e}")))?
        .map_err(|e| Transient::other(format!("scratch space: {e}")))?;
        let written = match parsed {
            Ok(w) => w,
            Err(Unreadable(reason)) => return self.finish(tenant, file, Err(reason)).await,
        };
        // Written even when empty: an import of a header-only file finds zero rows, not nothing.
        let stored = async {
            self.put_file(
                &files_core::rows_key(tenant, file),
                "application/x-ndjson",
                &written.rows,
            )
            .await?;
            self.put_file(
                &files_core::text_key(tenant, file),
                "text/plain; charset=utf-8",
                &written.text,
            )
            .await
        }
        .await;
        let (summary, chars, preview) =
            (written.summary, written.text_chars, written.preview.clone());
        drop(written);
        stored?;
        self.finish(tenant, file, Ok((summary, chars, preview)))
            .await
    }

    async fn put_file(
        &self,
        key: &str,
        content_type: &str,
        path: &std::path::Path,
    ) -> Result<(), Transient> {
        let body = aws_sdk_s3::primitives::ByteStream::from_path(path)
            .await
            .map_err(|e| Transient::other(format!("S3: {e}")))?;
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| Transient::other(format!("S3: {e}")))?;
        Ok(())
    }
}

fn aws_sdk_dynamodb_null() -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::Null(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use files_core::Column;
    use serde_json::json;

    #[test]
    fn the_preview_types_columns_from_all_rows_and_keeps_the_first_fifty() {
        let rows: Vec<Vec<Value>> = (0..120)
            .map(|i| {
                vec![
                    json!(format!("{i}")),
                    json!(if i == 99 { "n/a" } else { "x" }),
                ]
            })
            .collect();
        let p = sink::preview(&["Id".into(), "Note".into()], &rows);
        assert_eq!(p.row_count, 120);
        assert_eq!(p.rows.len(), 50);
        assert_eq!(
            p.columns[0],
            Column {
                name: "Id".into(),
                kind: "number".into()
            }
        );
    }

    fn sqs_event(name: &str) -> SqsEvent {
        serde_json::from_str(&platform::testing::event("file-processor", name))
            .expect("an SQS event")
    }

    #[tokio::test]
    async fn the_sample_events_skip_the_test_event_and_report_an_unreachable_store_as_a_retry() {
        let (config, aws) = platform::testing::unreachable_aws();
        let p = Processor::new(&config, &aws);
        assert!(
            p.handle(sqs_event("s3-test-event.json"))
                .await
                .batch_item_failures
                .is_empty()
        );
        let failed = p.handle(sqs_event("s3-put.json")).await.batch_item_failures;
        assert_eq!(
            failed.len(),
            1,
            "DynamoDB unreachable: the message comes back"
        );
        assert_eq!(
            failed[0].item_identifier,
            "0f1e7c52-1c5e-4c3c-9f0e-5d2a2f4b8a11"
        );
    }

    #[tokio::test]
    async fn s3_test_events_and_foreign_keys_are_skipped_without_aws() {
        let (config, aws) = platform::testing::unreachable_aws();
        let p = Processor::new(&config, &aws);
        assert!(
            p.message(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#)
                .await
                .is_ok()
        );
        let foreign = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"exports/x/y.csv","size":3}}}]}"#;
        assert!(p.message(foreign).await.is_ok());
        assert!(matches!(
            p.message("not json").await,
            Err(Transient::Other(m)) if m.contains("not an S3 event")
        ));
    }
}
