//! One way to work an SQS batch, for every queue worker (the automation worker, the saga steps,
//! the file processor): each message in its own telemetry scope (it may be another tenant's),
//! a few at a time, its age recorded; what failed transiently is reported as a partial batch
//! failure and comes back; and the queue's last delivery is known to the handler, which decides
//! what giving up means for its work (a file marked `failed`, a run ended) before the message
//! moves to the dead-letter queue.

use std::future::Future;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::StreamExt;

use crate::store::StoreError;
use crate::telemetry::{Telemetry, record};

/// Something that may work if the message comes back (DynamoDB, S3, SQS, Step Functions).
#[derive(Debug, thiserror::Error)]
pub enum Transient {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Other(String),
}

impl Transient {
    pub fn other(why: impl std::fmt::Display) -> Self {
        Self::Other(why.to_string())
    }
}

/// One delivery of a message.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub message_id: String,
    pub body: String,
    /// How often SQS has delivered it (1 the first time).
    pub receives: u32,
    /// This is the queue's last delivery (its `maxReceiveCount`): after a failure now the
    /// message goes to the dead-letter queue, so the handler must leave nothing half-done.
    pub last: bool,
}

/// A queue's worker settings.
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    /// The worker's name in logs.
    pub worker: &'static str,
    /// Messages worked at once.
    pub concurrency: usize,
    /// The queue's `maxReceiveCount` (its redrive policy in the template).
    pub max_receives: u32,
}

impl Batch {
    /// Works every message of `event` with `work`; returns the messages to deliver again.
    pub async fn run<F, Fut>(
        &self,
        telemetry: &Telemetry,
        event: SqsEvent,
        work: F,
    ) -> SqsBatchResponse
    where
        F: Fn(Delivery) -> Fut + Sync,
        Fut: Future<Output = Result<(), Transient>> + Send,
    {
        let work = &work;
        let failed: Vec<String> = futures::stream::iter(event.records)
            .map(|message| async move {
                let message_id = message.message_id.clone().unwrap_or_default();
                let receives = message
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                let last = receives >= self.max_receives;
                let delivery = Delivery {
                    message_id: message_id.clone(),
                    body: message.body.clone().unwrap_or_default(),
                    receives,
                    last,
                };
                let sent = message.attributes.get("SentTimestamp").map(String::as_str);
                let outcome = telemetry
                    .run(async {
                        record::queue_message_age(sent);
                        work(delivery).await
                    })
                    .await;
                let error = outcome.err()?;
                if last {
                    tracing::error!(worker = self.worker, message_id = %message_id, receives, error = %error,
                        "a message failed on its last delivery; it moves to the dead-letter queue");
                } else {
                    tracing::warn!(worker = self.worker, message_id = %message_id, receives, error = %error,
                        "a message failed; it will be delivered again");
                }
                Some(message_id)
            })
            .buffer_unordered(self.concurrency.max(1))
            .filter_map(|failed| async move { failed })
            .collect()
            .await;
        failures(failed)
    }
}

/// The partial batch response naming the messages to deliver again.
fn failures(ids: Vec<String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for id in ids {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessage;
    use std::sync::Mutex;

    fn message(id: &str, body: &str, receives: u32) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.into());
        m.body = Some(body.into());
        m.attributes
            .insert("ApproximateReceiveCount".into(), receives.to_string());
        m
    }

    #[tokio::test]
    async fn failed_messages_come_back_and_the_last_delivery_is_known() {
        let (config, aws) = crate::testing::unreachable_aws();
        let store = crate::store::Store::new(aws.dynamodb().clone(), config.table_name.clone());
        let telemetry = Telemetry::new("test", &config, store);
        let mut event = SqsEvent::default();
        event.records = vec![
            message("a", "ok", 1),
            message("b", "fail", 2),
            message("c", "ok", 5),
        ];
        let seen = Mutex::new(Vec::new());
        let batch = Batch {
            worker: "test",
            concurrency: 2,
            max_receives: 5,
        };
        let response = batch
            .run(&telemetry, event, |d| {
                seen.lock()
                    .unwrap()
                    .push((d.message_id.clone(), d.receives, d.last));
                let fail = d.body == "fail";
                async move {
                    if fail {
                        Err(Transient::other("no"))
                    } else {
                        Ok(())
                    }
                }
            })
            .await;
        let ids: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(ids, ["b"]);
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("a".into(), 1, false),
                ("b".into(), 2, false),
                ("c".into(), 5, true)
            ]
        );
    }
}
