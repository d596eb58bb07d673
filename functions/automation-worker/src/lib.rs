//! Lambda `automation-worker`: runs workflow jobs from the automation queue.
//!
//! A job is a run to do (`run`), a schedule that fired (`schedule`, sent by EventBridge
//! Scheduler) or a `record_matches` trigger's turn to look for records (`poll`). A run is held
//! by one worker at a time (a lease on the execution item) and records each step as it
//! finishes, so a redelivered message resumes after the last recorded step: a step that wrote
//! is never run twice, and a non-repeatable step found interrupted half-way is failed rather
//! than repeated. Transient failures are retried inside the step with backoff; a message that
//! keeps failing goes to the DLQ and its run says so. Long `delay` steps put the run back on
//! the queue with an SQS delay instead of sleeping.

mod kinds;
mod poll;
mod run;
mod steps;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use futures::future::BoxFuture;
use platform::auth::Identity;
use platform::aws::AwsClients;
use platform::config::Config;
use platform::ids::{ExecutionId, TenantId};
use platform::queue::{Batch, Delivery, Transient};
use platform::store::{Store, StoreError, keys, n, s};
use platform::telemetry::{Telemetry, record};
use serde_json::{Value, json};
use tools::Toolbox;
use workflows_core::definition::{MAX_ITEMS, Step};
use workflows_core::template::render;
use workflows_core::{
    self as wf, Execution, Job, JobSource, LogEntry, Status, StepRecord, StepStatus, TriggerEvent,
};

pub use steps::Failure;

/// The automation queue's `maxReceiveCount` (infra/template.yaml): the delivery after which a
/// failing message goes to the DLQ.
pub const BATCH: Batch = Batch {
    worker: "automation-worker",
    concurrency: 1,
    max_receives: 5,
};
/// How long a worker holds a run: longer than the function's 900 s timeout, so a crashed
/// worker's run is taken over by the next delivery (the queue's visibility timeout is 960 s).
const LEASE_SECS: i64 = 960;
/// Delays up to this long are waited inline; longer ones go back to the queue.
const INLINE_DELAY_SECS: i64 = 5;
/// Attempts of a transiently failing step unless the step says otherwise.
const DEFAULT_ATTEMPTS: u32 = 3;
/// Lines kept in a run's log, and characters per line: the run's item (with its trigger data and
/// definition copy, 64 KB each) must stay far below DynamoDB's 400 KB.
const MAX_LOGS: usize = 100;
const MAX_LOG_CHARS: usize = 1000;
/// A step's output kept with its record (an item holds 400 KB).
const MAX_STORED_OUTPUT: usize = 256 * 1024;

/// The worker's clients, built once per cold start.
#[derive(Clone)]
pub struct Worker {
    pub(crate) store: Store,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    pub(crate) toolbox: Toolbox,
    /// The non-public socket addresses `http_request` may call (`WORKFLOW_HTTP_ALLOW`).
    pub(crate) http_allow: Vec<std::net::SocketAddr>,
    pub(crate) llm: Option<Arc<dyn llm::Provider>>,
    pub(crate) llm_max_tokens: u32,
    pub(crate) prices: llm::Prices,
    telemetry: Telemetry,
    /// Opens workspace secrets (`{{secrets.NAME}}` in `http_request` steps).
    kms: aws_sdk_kms::Client,
}

impl Worker {
    pub fn new(config: &Config, aws: &AwsClients) -> Self {
        let store = Store::new(aws.dynamodb().clone(), config.table_name.clone());
        Self {
            toolbox: Toolbox::new(config, aws, store.clone()),
            store: store.clone(),
            sqs: aws.sqs().clone(),
            queue_url: config.automation_queue_url.clone(),
            http_allow: config.workflow_http_allow.clone(),
            llm: llm::provider(&config.llm, aws.bedrock()),
            llm_max_tokens: config.llm_max_tokens,
            prices: config.llm_prices.clone(),
            telemetry: Telemetry::new("automation-worker", config, store),
            kms: aws.kms().clone(),
        }
    }

    /// Handles a batch; messages that should come back are reported as failures.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        BATCH
            .run(&self.telemetry, event, |d| async move {
                // Not a job: it fails until the queue moves it to the DLQ, where it can be read.
                let job: Job = serde_json::from_str(&d.body)
                    .map_err(|e| Transient::other(format!("not a workflow job: {e}")))?;
                self.job(&job, &d).await
            })
            .await
    }

    async fn job(&self, job: &Job, d: &Delivery) -> Result<(), Transient> {
        match job.source {
            JobSource::Run => match &job.execution_id {
                Some(id) => self.run(&job.tenant_id, id, d).await,
                None => Err(Transient::Other("a run job without executionId".into())),
            },
            JobSource::Schedule => {
                let Some(workflow) =
                    wf::load(&self.store, &job.tenant_id, &job.workflow_id).await?
                else {
                    tracing::info!(workflow = %job.workflow_id, "schedule fired for a deleted workflow");
                    return Ok(());
                };
                if !workflow.enabled {
                    return Ok(());
                }
                // The message id is the firing's id: a redelivery finds the run it started.
                let event = TriggerEvent {
                    kind: "schedule",
                    data: json!({"firedAt": platform::time::now_rfc3339()}),
                    event_id: Some(format!("sqs#{}", d.message_id)),
                };
                let (execution, _) = wf::create_execution(&self.store, &workflow, event).await?;
                self.run(&job.tenant_id, &execution.id, d).await
            }
            JobSource::Poll => poll::poll(self, job, &d.message_id).await,
        }
    }

    /// Takes the run (unless it ended or another worker holds it), drives it, and records the
    /// outcome.
    async fn run(
        &self,
        tenant: &TenantId,
        id: &ExecutionId,
        d: &Delivery,
    ) -> Result<(), Transient> {
        let key = keys::execution(tenant, id);
        let Some(current) = self.store.get::<Execution>(&key).await? else {
            tracing::warn!(execution = %id, "job for an unknown run");
            return Ok(());
        };
        if current.status.is_final() {
            return Ok(());
        }
        let now = platform::time::now_epoch();
        let claimed = self
            .store
            .update::<Execution>(
                &key,
                "SET #status = :running, #leaseUntil = :until, #startedAt = if_not_exists(#startedAt, :at) ADD #deliveries :one",
                Some("#status IN (:pending, :running) AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :now)"),
                &[
                    (":running", s("running")),
                    (":pending", s("pending")),
                    (":until", n(now + LEASE_SECS)),
                    (":at", s(platform::time::now_rfc3339_millis())),
                    (":one", n(1)),
                    (":now", n(now)),
                ],
            )
            .await;
        let execution = match claimed {
            Ok(e) => e,
            Err(StoreError::ConditionFailed) => {
                return match self.store.get::<Execution>(&key).await? {
                    Some(e) if !e.status.is_final() => {
                        Err(Transient::Other("another worker holds the run".into()))
                    }
                    _ => Ok(()),
                };
            }
            Err(e) => return Err(e.into()),
        };
        record::attribute(tenant, &execution.run_as);
        tracing::info!(execution = %id, workflow = %execution.workflow_id, delivery = execution.deliveries, "running workflow");
        if wf::load(&self.store, tenant, &execution.workflow_id)
            .await?
            .is_none()
        {
            return self
                .end(
                    &execution,
                    Status::Cancelled,
                    Some("the workflow was deleted".into()),
                )
                .await;
        }
        let records: Vec<StepRecord> = self
            .store
            .query_prefix(&keys::execution_steps_of(tenant, id))
            .await?;
        let mut run = Run {
            worker: self,
            execution: &execution,
            next_seq: records.iter().map(|r| r.seq + 1).max().unwrap_or(0),
            records: records.into_iter().map(|r| (r.path.clone(), r)).collect(),
            identity: None,
        };
        let mut context = json!({
            "trigger": execution.trigger.get("data").cloned().unwrap_or(Value::Null),
            "steps": {},
            "workflow": {"id": execution.workflow_id, "name": execution.definition.name},
            "execution": {"id": execution.id},
            "now": platform::time::now_rfc3339(),
        });
        let steps = execution.definition.steps.clone();
        match run.steps(&steps, "", &mut context).await {
            Ok(Flow::Next) => self.end(&execution, Status::Succeeded, None).await,
            Ok(Flow::Stop(Outcome::Ended(status, error))) => {
                self.end(&execution, status, error).await
            }
            Ok(Flow::Stop(Outcome::Waiting(resume_at))) => {
                let wait = (resume_at - platform::time::now_epoch()).clamp(1, 900) as u32;
                let job = Job {
                    tenant_id: tenant.clone(),
                    workflow_id: execution.workflow_id.clone(),
                    source: JobSource::Run,
                    execution_id: Some(id.clone()),
                };
                wf::enqueue(&self.sqs, &self.queue_url, &job, wait).await?;
                self.release(&key).await?;
                Ok(())
            }
            Err(e) => {
                let _ = self.release(&key).await;
                if d.last {
                    // This was the last delivery: the message goes to the DLQ, and the run says so.
                    let _ = self
                        .store
                        .update::<Value>(
                            &key,
                            "SET #deadLettered = :yes",
                            None,
                            &[(":yes", platform::store::AttributeValue::Bool(true))],
                        )
                        .await;
                    let why = format!(
                        "gave up after {} deliveries ({e}); the job is in the automation dead-letter queue",
                        d.receives
                    );
                    let _ =
                        wf::finish_execution(&self.store, &execution, Status::Failed, Some(why))
                            .await;
                }
                Err(e)
            }
        }
    }

    async fn end(
        &self,
        execution: &Execution,
        status: Status,
        error: Option<String>,
    ) -> Result<(), Transient> {
        let ended = wf::finish_execution(&self.store, execution, status, error.clone()).await?;
        tracing::info!(execution = %execution.id, status = status.as_str(), error = error.as_deref().unwrap_or(""), ended, "workflow run ended");
        Ok(())
    }

    async fn release(&self, key: &keys::Key) -> Result<(), Transient> {
        self.store
            .update::<Value>(key, "REMOVE #leaseUntil", None, &[])
            .await?;
        Ok(())
    }
}

use run::{Flow, Outcome, Run, scrub};

#[cfg(test)]
mod tests {
    //! The handler as Lambda runs it, fed the sample events in `events/automation-worker/`.

    use super::*;
    use crate::run::bounded;
    use platform::testing::{event, unreachable_aws};

    #[tokio::test]
    async fn a_message_that_is_not_a_job_is_reported_so_it_reaches_the_dlq() {
        let (config, aws) = unreachable_aws();
        let worker = Worker::new(&config, &aws);
        let event: SqsEvent =
            serde_json::from_str(&event("automation-worker", "not-a-job.json")).unwrap();
        let response = worker.handle(event).await;
        assert_eq!(response.batch_item_failures.len(), 1);
        assert_eq!(
            response.batch_item_failures[0].item_identifier,
            "059f36b4-87a3-44ab-83d2-661975830a7d"
        );
    }

    #[test]
    fn the_sample_schedule_message_is_a_job() {
        let event: SqsEvent =
            serde_json::from_str(&event("automation-worker", "schedule.json")).unwrap();
        let job: Job = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
        assert_eq!(job.source, JobSource::Schedule);
        assert!(job.execution_id.is_none());
    }

    #[test]
    fn credential_headers_are_masked_in_run_history() {
        let input = json!({"url": "https://x", "headers": {"Authorization": "Bearer s3cret", "X-Api-Key": "k", "Accept": "text/plain"}});
        let kept = wf::mask_credentials("http_request", input.clone());
        assert_eq!(
            kept["headers"],
            json!({"Authorization": "***", "X-Api-Key": "***", "Accept": "text/plain"})
        );
        assert_eq!(wf::mask_credentials("transform", input.clone()), input);
    }

    #[test]
    fn large_outputs_are_kept_as_a_preview() {
        let big = json!({"text": "x".repeat(MAX_STORED_OUTPUT + 10)});
        let kept = bounded(big);
        assert_eq!(kept["truncated"], true);
        assert!(kept["preview"].as_str().unwrap().len() <= 8 * 1024 + 1);
        assert_eq!(bounded(json!({"a": 1})), json!({"a": 1}));
    }
}
