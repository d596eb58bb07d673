//! The SQS pollers that stand in for Lambda event source mappings, against the emulator's SQS.

use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::QueueAttributeName;
use futures::FutureExt;
use local::pollers::{Mapping, poll_once};
use tests::stack;

#[tokio::test]
async fn pollers_deliver_real_sqs_events_and_redeliver_only_reported_failures() {
    let sdk = local::sdk_config(Some(&stack().aws_endpoint)).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let name = format!("poller-{}", uuid::Uuid::new_v4().simple());
    let url = sqs
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let arn = attrs.attributes.unwrap()[&QueueAttributeName::QueueArn].clone();
    for body in ["ok-1", "flaky", "ok-2"] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let log = seen.clone();
    let expected_arn = arn.clone();
    let handler: local::pollers::SqsHandler = Arc::new(move |event: SqsEvent| {
        let log = log.clone();
        let expected_arn = expected_arn.clone();
        async move {
            let mut resp = SqsBatchResponse::default();
            for r in event.records {
                assert_eq!(r.event_source.as_deref(), Some("aws:sqs"));
                assert_eq!(r.event_source_arn.as_deref(), Some(expected_arn.as_str()));
                let body = r.body.clone().unwrap_or_default();
                let mut log = log.lock().unwrap();
                let first_time = !log.iter().any(|(b, _)| b == &body);
                log.push((
                    body.clone(),
                    r.attributes
                        .get("ApproximateReceiveCount")
                        .cloned()
                        .unwrap_or_default(),
                ));
                if body == "flaky" && first_time {
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = r.message_id.clone().unwrap_or_default();
                    resp.batch_item_failures.push(failure);
                }
            }
            Ok(resp)
        }
        .boxed()
    });
    let mapping = Mapping {
        queue_url: url.clone(),
        queue_arn: arn,
        batch_size: 10,
        handler,
    };
    for _ in 0..15 {
        poll_once(&sqs, "us-east-1", &mapping).await.unwrap();
        if seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(b, _)| b == "flaky")
            .count()
            == 2
        {
            break;
        }
    }
    let seen = seen.lock().unwrap().clone();
    let count = |body: &str| seen.iter().filter(|(b, _)| b == body).count();
    assert_eq!(
        (count("ok-1"), count("ok-2"), count("flaky")),
        (1, 1, 2),
        "{seen:?}"
    );
    assert_eq!(
        seen.iter().rfind(|(b, _)| b == "flaky").unwrap().1,
        "2",
        "redelivered as the second receive"
    );
    // Everything has been handled, so nothing is left.
    assert_eq!(poll_once(&sqs, "us-east-1", &mapping).await.unwrap(), 0);
}
