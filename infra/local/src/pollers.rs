//! The local stand-in for Lambda's SQS event source mappings: a task per queue long-polls it,
//! hands each batch to the event function's handler as a real `SqsEvent`, and deletes the
//! messages that succeeded. Failed messages (the handler's `batchItemFailures`, or the whole
//! batch when it returns an error) stay in the queue and come back after the visibility
//! timeout, until the queue's redrive policy moves them to its DLQ — exactly as in AWS.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use futures::future::BoxFuture;

use crate::BoxError;

/// An event function's SQS handler, as the poller calls it.
pub type SqsHandler =
    Arc<dyn Fn(SqsEvent) -> BoxFuture<'static, Result<SqsBatchResponse, BoxError>> + Send + Sync>;

/// One queue wired to one handler.
pub struct Mapping {
    pub queue_url: String,
    pub queue_arn: String,
    /// At most 10, like an SQS event source mapping's default batch size.
    pub batch_size: i32,
    pub handler: SqsHandler,
}

/// Starts polling; the task runs until the runtime stops.
pub fn spawn(
    sqs: aws_sdk_sqs::Client,
    region: String,
    mapping: Mapping,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = poll_once(&sqs, &region, &mapping).await {
                tracing::warn!(queue = %mapping.queue_arn, error = %e, "poller: receive failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    })
}

/// Receives one batch (waiting up to a few seconds for it), runs the handler, deletes successes.
/// Returns how many messages were received.
pub async fn poll_once(
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    mapping: &Mapping,
) -> Result<usize, BoxError> {
    let out = sqs
        .receive_message()
        .queue_url(&mapping.queue_url)
        .max_number_of_messages(mapping.batch_size.clamp(1, 10))
        .wait_time_seconds(2)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await?;
    let messages = out.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(0);
    }
    let records: Vec<SqsMessage> = messages
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id.clone();
            record.receipt_handle = m.receipt_handle.clone();
            record.body = m.body.clone();
            record.md5_of_body = m.md5_of_body.clone();
            record.attributes = m
                .attributes
                .as_ref()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            record.event_source = Some("aws:sqs".into());
            record.event_source_arn = Some(mapping.queue_arn.clone());
            record.aws_region = Some(region.to_owned());
            record
        })
        .collect();
    let count = records.len();
    let mut event = SqsEvent::default();
    event.records = records;
    let failed: Vec<String> = match (mapping.handler)(event).await {
        Ok(resp) => resp
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect(),
        Err(e) => {
            tracing::error!(queue = %mapping.queue_arn, error = %e, "event handler failed; the whole batch will be retried");
            return Ok(count);
        }
    };
    let receipts: HashMap<String, String> = messages
        .iter()
        .filter_map(|m| Some((m.message_id.clone()?, m.receipt_handle.clone()?)))
        .filter(|(id, _)| !failed.contains(id))
        .collect();
    if !receipts.is_empty() {
        let entries = receipts
            .iter()
            .enumerate()
            .map(|(i, (_, handle))| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("m{i}"))
                    .receipt_handle(handle)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        sqs.delete_message_batch()
            .queue_url(&mapping.queue_url)
            .set_entries(Some(entries))
            .send()
            .await?;
    }
    Ok(count)
}
