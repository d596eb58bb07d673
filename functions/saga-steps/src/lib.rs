//! Lambda `saga-steps`: works one saga step (or its compensation) per SQS message and answers
//! the Step Functions task token. Every step records what it did as it goes (created ids,
//! snapshots, progress) in the saga's data items, so:
//! - a redelivered message resumes after the last recorded chunk and never writes twice what it
//!   recorded, and a step already done answers its stored result again;
//! - a compensation undoes exactly what was recorded.
//!
//! Transient Airtable failures (rate limits, 5xx) are retried inside the step, with backoff
//! (emulators cannot retry callback tasks); anything else fails the step, and the state machine's
//! `Catch` runs the compensations in reverse order. A compensation that fails marks the saga
//! `compensation_failed`, never `compensated`.

mod steps;

use std::time::Duration;

use airtable_client::{Airtable, AirtableError, TenantClient};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use platform::aws::AwsClients;
use platform::config::Config;
use platform::ids::{SagaId, TenantId};
use platform::queue::Batch;
pub use platform::queue::Transient;
use platform::store::{Store, StoreError, keys, s};
use platform::telemetry::{Telemetry, record};
use saga_core::{LogEntry, Outcome, Saga, Status, StepStatus};
use serde::Deserialize;
use serde_json::{Value, json};

/// A step message, as the state machine sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepMessage {
    pub task_token: String,
    pub transaction_id: SagaId,
    pub tenant_id: TenantId,
    pub step: String,
    pub action: Action,
}

/// What the state machine asks of a step.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Run the step.
    Do,
    /// Undo what the step recorded (compensation).
    Undo,
}

/// The saga-steps queue: messages one at a time, given up after its `maxReceiveCount`.
pub const BATCH: Batch = Batch {
    worker: "saga-steps",
    concurrency: 1,
    max_receives: 5,
};

/// Why a step failed for good.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("{0}")]
    Failed(String),
    /// A compensation stopped part-way: the records it created and could not delete.
    #[error("{0}")]
    Unfinished(String, Vec<String>),
    #[error("cancelled by {0}")]
    Cancelled(String),
    #[error(transparent)]
    Transient(#[from] Transient),
}

impl From<StoreError> for StepError {
    fn from(e: StoreError) -> Self {
        Self::Transient(e.into())
    }
}

impl From<AirtableError> for StepError {
    fn from(e: AirtableError) -> Self {
        match e {
            AirtableError::Store(s) => Self::Transient(s.into()),
            other => Self::Failed(format!("Airtable: {other}")),
        }
    }
}

/// The worker's clients, built once per cold start.
#[derive(Clone)]
pub struct Worker {
    pub(crate) store: Store,
    pub(crate) s3: aws_sdk_s3::Client,
    pub(crate) bucket: String,
    sfn: aws_sdk_sfn::Client,
    airtable: Airtable,
    telemetry: Telemetry,
}

/// What a step runs with.
pub(crate) struct Ctx<'a> {
    pub worker: &'a Worker,
    pub tenant: &'a TenantId,
    pub saga: &'a Saga,
    pub airtable: TenantClient<'a>,
    pub data_key: keys::Key,
}

async fn data_of(store: &Store, key: &keys::Key) -> Result<Value, StepError> {
    let v: Option<Value> = store.get(key).await?;
    Ok(v.unwrap_or_else(|| json!({})))
}

/// How long a worker holds a step: longer than the function's 600 s timeout, shorter than the
/// queue's 900 s visibility, so a redelivery after a crash finds the lease expired.
const LEASE_SECS: i64 = 660;

/// Attempts of an Airtable call that fails transiently.
const ATTEMPTS: u32 = 5;

impl Ctx<'_> {
    /// Runs an Airtable call, retrying rate limits and outages with backoff.
    pub async fn airtable<T, F, Fut>(&self, what: &str, call: F) -> Result<T, StepError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, AirtableError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match call().await {
                Ok(v) => return Ok(v),
                Err(AirtableError::RateLimited { retry_after }) if attempt < ATTEMPTS => {
                    tokio::time::sleep(Duration::from_secs(retry_after.min(31))).await;
                }
                Err(AirtableError::Unavailable(_)) if attempt < ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt))).await;
                }
                Err(e) => {
                    return Err(StepError::Failed(format!(
                        "{what}: {}",
                        platform::ApiError::from(e)
                    )));
                }
            }
        }
    }

    /// The step's recorded data: one attribute per entry (`{}` when nothing was recorded yet).
    pub async fn data(&self) -> Result<Value, StepError> {
        data_of(&self.worker.store, &self.data_key).await
    }

    /// The recorded data of another step of this saga.
    pub async fn data_of_step(&self, step: &str) -> Result<Value, StepError> {
        data_of(
            &self.worker.store,
            &keys::saga_data(self.tenant, &self.saga.id, step),
        )
        .await
    }

    /// Stores entries, and removes others, in one write: what a chunk did is recorded whole or
    /// not at all, and entries never overwrite each other.
    pub async fn update(&self, set: &[(&str, Value)], remove: &[&str]) -> Result<(), StepError> {
        let mut sets = vec!["#entity = :entity".to_owned()];
        let mut values = vec![(":entity".to_owned(), s("saga_data"))];
        for (i, (name, v)) in set.iter().enumerate() {
            sets.push(format!("#{name} = :v{i}"));
            values.push((
                format!(":v{i}"),
                serde_dynamo::to_attribute_value(v).map_err(StoreError::from)?,
            ));
        }
        let mut expr = format!("SET {}", sets.join(", "));
        if !remove.is_empty() {
            expr.push_str(&format!(
                " REMOVE {}",
                remove
                    .iter()
                    .map(|r| format!("#{r}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let refs: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        match self.worker.store.update::<Value>(&self.data_key, &expr, None, &refs).await {
            Ok(_) => Ok(()),
            // An item past DynamoDB's 400 KB will never fit: a permanent failure, not a retry.
            Err(StoreError::Sdk(code, _)) if code == "ValidationException" => {
                Err(StepError::Failed("the step's record grew past what one item holds; split the change into smaller ones".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Stores one entry.
    pub async fn set(&self, name: &str, value: &Value) -> Result<(), StepError> {
        self.update(&[(name, value.clone())], &[]).await
    }

    /// Shows progress on the saga.
    pub async fn progress(&self, label: &str, done: usize, total: usize) -> Result<(), StepError> {
        let v =
            serde_dynamo::to_attribute_value(json!({"step": label, "done": done, "total": total}))
                .map_err(StoreError::from)?;
        self.worker
            .store
            .update::<Value>(
                &keys::saga(self.tenant, &self.saga.id),
                "SET #progress = :p",
                None,
                &[(":p", v)],
            )
            .await?;
        Ok(())
    }

    /// Fails with `Cancelled` when a cancel was requested since the step began.
    pub async fn check_cancel(&self) -> Result<(), StepError> {
        match saga_core::load(&self.worker.store, self.tenant, &self.saga.id).await? {
            Some(s) if s.cancel_requested => Err(StepError::Cancelled("request".into())),
            _ => Ok(()),
        }
    }
}

impl Worker {
    pub fn new(config: &Config, aws: &AwsClients) -> Self {
        let store = Store::new(aws.dynamodb().clone(), config.table_name.clone());
        let airtable = Airtable::new(
            &config.airtable_api_url,
            store.clone(),
            aws.kms().clone(),
            config.kms_key_id.clone(),
        );
        let telemetry = Telemetry::new("saga-steps", config, store.clone());
        Self {
            store,
            s3: aws.s3().clone(),
            bucket: config.uploads_bucket.clone(),
            sfn: aws.sfn().clone(),
            airtable,
            telemetry,
        }
    }

    /// Handles a batch; transiently failed messages are reported and come back.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        BATCH
            .run(&self.telemetry, event, |d| async move {
                match serde_json::from_str::<StepMessage>(&d.body) {
                    Ok(m) => self.message(&m).await,
                    Err(e) => {
                        // Not a step message: nothing can ever answer it.
                        tracing::error!(message_id = %d.message_id, error = %e, "dropping a message that is not a saga step");
                        Ok(())
                    }
                }
            })
            .await
    }

    /// Answers a task token. A token that timed out or no longer exists needs nothing more;
    /// any other failure (throttling, an outage) is transient: the message comes back and the
    /// step, already recorded, answers again.
    async fn answer(
        &self,
        token: &str,
        outcome: Result<Value, (String, String)>,
    ) -> Result<(), Transient> {
        fn code_of<E: aws_sdk_sfn::error::ProvideErrorMetadata>(e: &E) -> Option<String> {
            e.code().map(str::to_owned)
        }
        let sent: Result<(), (Option<String>, String)> = match outcome {
            Ok(output) => match self
                .sfn
                .send_task_success()
                .task_token(token)
                .output(output.to_string())
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => Err((
                    code_of(&e),
                    aws_sdk_sfn::error::DisplayErrorContext(e).to_string(),
                )),
            },
            Err((error, cause)) => {
                let cause: String = cause.chars().take(30_000).collect();
                match self
                    .sfn
                    .send_task_failure()
                    .task_token(token)
                    .error(error)
                    .cause(cause)
                    .send()
                    .await
                {
                    Ok(_) => Ok(()),
                    Err(e) => Err((
                        code_of(&e),
                        aws_sdk_sfn::error::DisplayErrorContext(e).to_string(),
                    )),
                }
            }
        };
        match sent {
            Ok(()) => Ok(()),
            Err((Some(code), why))
                if matches!(
                    code.as_str(),
                    "TaskTimedOut" | "InvalidToken" | "TaskDoesNotExist"
                ) =>
            {
                tracing::warn!(code = %code, error = %why, "the saga task token can no longer be answered");
                Ok(())
            }
            Err((_, why)) => Err(Transient::Other(format!(
                "answering the task token failed: {why}"
            ))),
        }
    }

    async fn set_step(
        &self,
        tenant: &TenantId,
        saga: &Saga,
        index: usize,
        fields: &[(&str, Value)],
    ) -> Result<(), StoreError> {
        let mut sets = Vec::new();
        let mut values = Vec::new();
        for (i, (name, v)) in fields.iter().enumerate() {
            sets.push(format!("#steps[{index}].#{name} = :v{i}"));
            values.push((format!(":v{i}"), serde_dynamo::to_attribute_value(v)?));
        }
        // A step whose status changes here has ended (or failed): its lease is released, so its
        // compensation can start at once.
        if fields.iter().any(|(name, _)| *name == "status") {
            sets.push(format!("#steps[{index}].#lease = :released"));
            values.push((":released".into(), platform::store::n(0)));
        }
        sets.push("#updatedAt = :at".into());
        values.push((":at".into(), s(platform::time::now_rfc3339())));
        let refs: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        self.store
            .update::<Value>(
                &keys::saga(tenant, &saga.id),
                &format!("SET {}", sets.join(", ")),
                None,
                &refs,
            )
            .await?;
        Ok(())
    }

    async fn set_status(
        &self,
        tenant: &TenantId,
        saga_record: &Saga,
        status: Status,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let saga = &saga_record.id;
        let ended = status.is_final();
        let status: aws_sdk_dynamodb::types::AttributeValue =
            serde_dynamo::to_attribute_value(status)?;
        let set = match error {
            Some(e) => self
                .store
                .update::<Value>(
                    &keys::saga(tenant, saga),
                    "SET #status = :s, #error = :e, #updatedAt = :at",
                    None,
                    &[
                        (":s", status.clone()),
                        (":e", s(e)),
                        (":at", s(platform::time::now_rfc3339())),
                    ],
                )
                .await
                .map(|_| ()),
            None => self
                .store
                .update::<Value>(
                    &keys::saga(tenant, saga),
                    "SET #status = :s, #updatedAt = :at",
                    None,
                    &[
                        (":s", status.clone()),
                        (":at", s(platform::time::now_rfc3339())),
                    ],
                )
                .await
                .map(|_| ()),
        };
        set?;
        if ended {
            self.count_outcome(tenant, saga_record, status).await;
        }
        Ok(())
    }

    /// Counts a saga's outcome once, however often the message that ended it is delivered.
    async fn count_outcome(
        &self,
        tenant: &TenantId,
        saga: &Saga,
        status: aws_sdk_dynamodb::types::AttributeValue,
    ) {
        let outcome = status.as_s().map(String::to_owned).unwrap_or_default();
        let marked = self
            .store
            .update::<Value>(
                &keys::saga(tenant, &saga.id),
                "SET #outcomeCounted = :s",
                Some("attribute_not_exists(#outcomeCounted)"),
                &[(":s", status)],
            )
            .await;
        match marked {
            Ok(_) => record::saga_outcome(&saga.kind, &outcome),
            Err(StoreError::ConditionFailed) => {}
            Err(e) => tracing::warn!(error = %e, "could not count a saga's outcome"),
        }
    }

    /// Takes the step for this worker: sets `status` and a lease
    /// longer than the worker's timeout, if the step is in one of `from` and no live lease is held
    /// by another worker. False when one is.
    async fn lease(
        &self,
        tenant: &TenantId,
        saga: &SagaId,
        index: usize,
        from: &[StepStatus],
        status: StepStatus,
    ) -> Result<bool, StoreError> {
        let now = platform::time::now_epoch();
        let allowed: Vec<String> = (0..from.len()).map(|i| format!(":from{i}")).collect();
        let cond = format!(
            "#steps[{index}].#status IN ({}) AND (attribute_not_exists(#steps[{index}].#lease) OR #steps[{index}].#lease < :now)",
            allowed.join(", ")
        );
        let expr = format!(
            "SET #steps[{index}].#status = :status, #steps[{index}].#lease = :until, #updatedAt = :at"
        );
        let mut values = vec![
            (":status".to_owned(), s(status.as_str())),
            (":until".to_owned(), platform::store::n(now + LEASE_SECS)),
            (":now".to_owned(), platform::store::n(now)),
            (":at".to_owned(), s(platform::time::now_rfc3339())),
        ];
        values.extend(
            from.iter()
                .enumerate()
                .map(|(i, f)| (format!(":from{i}"), s(f.as_str()))),
        );
        let refs: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        match self
            .store
            .update::<Value>(&keys::saga(tenant, saga), &expr, Some(&cond), &refs)
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Marks the saga completed unless a cancel was requested; false when it was.
    async fn complete(&self, tenant: &TenantId, saga_record: &Saga) -> Result<bool, StoreError> {
        let saga = &saga_record.id;
        let status: aws_sdk_dynamodb::types::AttributeValue =
            serde_dynamo::to_attribute_value(Status::Completed)?;
        let done = self
            .store
            .update::<Value>(
                &keys::saga(tenant, saga),
                "SET #status = :s, #updatedAt = :at",
                Some("#cancelRequested <> :yes"),
                &[
                    (":s", status.clone()),
                    (":at", s(platform::time::now_rfc3339())),
                    (":yes", aws_sdk_dynamodb::types::AttributeValue::Bool(true)),
                ],
            )
            .await;
        match done {
            Ok(_) => {
                self.count_outcome(tenant, saga_record, status).await;
                Ok(true)
            }
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Appends a compensation's outcome — once: a redelivered message (the step's status was not
    /// written after the log) finds its entry already there, and the log does not grow twice.
    async fn log(&self, tenant: &TenantId, saga: &Saga, entry: LogEntry) -> Result<(), StoreError> {
        if saga.compensation_log.iter().any(|l| l.step == entry.step) {
            return Ok(());
        }
        let v = serde_dynamo::to_attribute_value(vec![entry])?;
        self.store
            .update::<Value>(
                &keys::saga(tenant, &saga.id),
                "SET #compensationLog = list_append(if_not_exists(#compensationLog, :empty), :e)",
                None,
                &[
                    (":e", v),
                    (":empty", aws_sdk_dynamodb::types::AttributeValue::L(vec![])),
                ],
            )
            .await?;
        Ok(())
    }

    /// Works one message. `Err` only for transient failures (the message comes back).
    /// A step's compensation succeeded (`detail` empty: there was nothing to undo): logged, the
    /// step `undone`, and after the first step's, the saga's end — `compensated` when something
    /// was undone, `failed` when nothing had been written, `compensation_failed` when a later
    /// step's compensation failed.
    async fn undone(
        &self,
        m: &StepMessage,
        saga: &Saga,
        index: usize,
        detail: String,
    ) -> Result<(), Transient> {
        let now = || json!(platform::time::now_rfc3339());
        let outcome = if detail.is_empty() {
            Outcome::NothingToUndo
        } else {
            Outcome::Undone
        };
        let shown = if detail.is_empty() {
            "nothing had been done".to_owned()
        } else {
            detail
        };
        self.log(
            &m.tenant_id,
            saga,
            LogEntry {
                step: m.step.clone(),
                outcome,
                at: platform::time::now_rfc3339(),
                detail: shown,
                remaining_record_ids: None,
            },
        )
        .await?;
        self.set_step(
            &m.tenant_id,
            saga,
            index,
            &[("status", json!(StepStatus::Undone)), ("finishedAt", now())],
        )
        .await?;
        if index == 0 {
            // The first step's compensation is the last: the saga ends here — failed
            // compensations of later steps keep it `compensation_failed`.
            let fresh = saga_core::load(&self.store, &m.tenant_id, &saga.id).await?;
            let log = fresh.map(|s| s.compensation_log).unwrap_or_default();
            let status = if log.iter().any(|l| l.outcome == Outcome::Failed) {
                Status::CompensationFailed
            } else if log.iter().any(|l| l.outcome == Outcome::Undone) {
                Status::Compensated
            } else {
                Status::Failed
            };
            self.set_status(&m.tenant_id, saga, status, None).await?;
        }
        self.answer(&m.task_token, Ok(json!({"undone": true})))
            .await
    }

    pub async fn message(&self, m: &StepMessage) -> Result<(), Transient> {
        let Some(saga) = saga_core::load(&self.store, &m.tenant_id, &m.transaction_id).await?
        else {
            return self
                .answer(
                    &m.task_token,
                    Err((
                        "SagaMissing".into(),
                        format!("no saga {}", m.transaction_id),
                    )),
                )
                .await;
        };
        if let Ok(user) = platform::ids::UserId::parse(&saga.created_by) {
            record::attribute(&m.tenant_id, &user);
        }
        let steps = saga_core::steps_of(&saga.kind).unwrap_or_default();
        let Some(index) = steps.iter().position(|s| *s == m.step) else {
            return self
                .answer(
                    &m.task_token,
                    Err((
                        "UnknownStep".into(),
                        format!("{} has no step {}", saga.kind, m.step),
                    )),
                )
                .await;
        };
        let current = saga
            .steps
            .get(index)
            .map(|s| s.status)
            .unwrap_or(StepStatus::Pending);
        let session = match self.airtable.for_tenant(&m.tenant_id).await {
            Ok(s) => s,
            Err(AirtableError::Store(e)) => return Err(e.into()),
            // Undoing needs Airtable only when the step recorded a change: the compensation runs
            // without a token, and fails (below) only if it has something to send.
            Err(AirtableError::NotConnected) if m.action == Action::Undo => {
                self.airtable.for_tenant_without_token(&m.tenant_id)
            }
            Err(e) => {
                // The record says so too: a saga never stays "running" after its step ended.
                let reason = format!("Airtable: {e}");
                let (step_status, status) = match m.action {
                    Action::Do => (StepStatus::Failed, Status::Compensating),
                    Action::Undo => (StepStatus::UndoFailed, Status::CompensationFailed),
                };
                self.set_step(
                    &m.tenant_id,
                    &saga,
                    index,
                    &[("status", json!(step_status)), ("error", json!(reason))],
                )
                .await?;
                self.set_status(&m.tenant_id, &saga, status, Some(&reason))
                    .await?;
                return self
                    .answer(&m.task_token, Err(("AirtableNotConnected".into(), reason)))
                    .await;
            }
        };
        let ctx = Ctx {
            worker: self,
            tenant: &m.tenant_id,
            saga: &saga,
            airtable: session,
            data_key: keys::saga_data(&m.tenant_id, &saga.id, &m.step),
        };
        let now = || json!(platform::time::now_rfc3339());
        if m.action == Action::Do {
            // A redelivery of a step that already ended answers the same again.
            match current {
                StepStatus::Done => {
                    tracing::info!(saga = %saga.id, step = %m.step, "redelivered step already done: answering its result again");
                    let result = saga.steps[index].result.clone().unwrap_or(Value::Null);
                    return self.answer(&m.task_token, Ok(result)).await;
                }
                StepStatus::Failed => {
                    return self
                        .answer(
                            &m.task_token,
                            Err((
                                "StepFailed".into(),
                                saga.steps[index].error.clone().unwrap_or_default(),
                            )),
                        )
                        .await;
                }
                // A late redelivery after the state machine moved on (a timeout, a compensation):
                // the step must not write anything any more.
                StepStatus::Undoing | StepStatus::Undone | StepStatus::UndoFailed => {
                    return self
                        .answer(
                            &m.task_token,
                            Err((
                                "SagaNotRunning".into(),
                                format!("the saga is {:?}", saga.status),
                            )),
                        )
                        .await;
                }
                _ if saga.status != Status::Running => {
                    return self
                        .answer(
                            &m.task_token,
                            Err((
                                "SagaNotRunning".into(),
                                format!("the saga is {:?}", saga.status),
                            )),
                        )
                        .await;
                }
                _ => {}
            }
            // One worker at a time: a duplicate delivery while the step runs finds the lease held
            // and leaves it to the holder; a worker that died lets its lease expire first.
            if !self
                .lease(
                    &m.tenant_id,
                    &saga.id,
                    index,
                    &[StepStatus::Pending, StepStatus::Running],
                    StepStatus::Running,
                )
                .await?
            {
                tracing::info!(saga = %saga.id, step = %m.step, "the step is being worked elsewhere; this delivery is dropped");
                return Ok(());
            }
            if current == StepStatus::Running {
                tracing::info!(saga = %saga.id, step = %m.step, "resuming a step after its last recorded progress");
            } else {
                self.set_step(&m.tenant_id, &saga, index, &[("startedAt", now())])
                    .await?;
            }
            let outcome = match ctx.check_cancel().await {
                Ok(()) => steps::run(&ctx, &m.step).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(result) => {
                    self.set_step(
                        &m.tenant_id,
                        &saga,
                        index,
                        &[
                            ("status", json!(StepStatus::Done)),
                            ("finishedAt", now()),
                            ("result", result.clone()),
                        ],
                    )
                    .await?;
                    if index + 1 == steps.len() && !self.complete(&m.tenant_id, &saga).await? {
                        // Cancelled while the last chunks ran: compensate this step too.
                        self.set_status(
                            &m.tenant_id,
                            &saga,
                            Status::Compensating,
                            Some("cancelled by request"),
                        )
                        .await?;
                        return self
                            .answer(
                                &m.task_token,
                                Err(("Cancelled".into(), "cancelled by request".into())),
                            )
                            .await;
                    }
                    self.answer(&m.task_token, Ok(result)).await?;
                }
                Err(StepError::Transient(e)) => return Err(e),
                Err(e) => {
                    let reason = e.to_string();
                    self.set_step(
                        &m.tenant_id,
                        &saga,
                        index,
                        &[
                            ("status", json!(StepStatus::Failed)),
                            ("finishedAt", now()),
                            ("error", json!(reason)),
                        ],
                    )
                    .await?;
                    self.set_status(
                        &m.tenant_id,
                        &saga,
                        Status::Compensating,
                        Some(&format!("{}: {reason}", m.step)),
                    )
                    .await?;
                    let kind = if matches!(e, StepError::Cancelled(_)) {
                        "Cancelled"
                    } else {
                        "StepFailed"
                    };
                    self.answer(&m.task_token, Err((kind.into(), reason)))
                        .await?;
                }
            }
            return Ok(());
        }

        // Compensation.
        if current == StepStatus::Undone {
            return self
                .answer(&m.task_token, Ok(json!({"undone": true})))
                .await;
        }
        if current == StepStatus::UndoFailed {
            return self
                .answer(
                    &m.task_token,
                    Err((
                        "CompensationFailed".into(),
                        saga.steps[index].error.clone().unwrap_or_default(),
                    )),
                )
                .await;
        }
        // A compensation that already failed keeps the saga `compensation_failed` while the
        // earlier steps are still undone.
        if saga.status != Status::CompensationFailed {
            self.set_status(&m.tenant_id, &saga, Status::Compensating, None)
                .await?;
        }
        if !self
            .lease(
                &m.tenant_id,
                &saga.id,
                index,
                &[
                    StepStatus::Pending,
                    StepStatus::Running,
                    StepStatus::Done,
                    StepStatus::Failed,
                    StepStatus::Undoing,
                ],
                StepStatus::Undoing,
            )
            .await?
        {
            tracing::info!(saga = %saga.id, step = %m.step, "the compensation is being worked elsewhere; this delivery is dropped");
            return Ok(());
        }
        match steps::undo(&ctx, &m.step).await {
            Ok(detail) => self.undone(m, &saga, index, detail).await?,
            Err(StepError::Transient(e)) => return Err(e),
            Err(e) => {
                let reason = e.to_string();
                self.log(
                    &m.tenant_id,
                    &saga,
                    LogEntry {
                        step: m.step.clone(),
                        outcome: Outcome::Failed,
                        at: platform::time::now_rfc3339(),
                        detail: reason.clone(),
                        remaining_record_ids: match &e {
                            StepError::Unfinished(_, ids) => Some(ids.clone()),
                            _ => None,
                        },
                    },
                )
                .await?;
                self.set_step(
                    &m.tenant_id,
                    &saga,
                    index,
                    &[
                        ("status", json!(StepStatus::UndoFailed)),
                        ("error", json!(reason)),
                    ],
                )
                .await?;
                self.set_status(
                    &m.tenant_id,
                    &saga,
                    Status::CompensationFailed,
                    Some(&format!("compensation of {} failed: {reason}", m.step)),
                )
                .await?;
                self.answer(&m.task_token, Err(("CompensationFailed".into(), reason)))
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sample_step_parses_and_an_unreachable_store_is_reported_as_a_retry() {
        let (config, aws) = platform::testing::unreachable_aws();
        let event: SqsEvent =
            serde_json::from_str(&platform::testing::event("saga-steps", "step.json")).unwrap();
        let step: StepMessage =
            serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
        assert_eq!(
            (step.step.as_str(), step.action),
            ("write_rows", Action::Do)
        );
        let failed = Worker::new(&config, &aws)
            .handle(event)
            .await
            .batch_item_failures;
        assert_eq!(
            failed.len(),
            1,
            "the message comes back rather than being lost"
        );
    }

    #[tokio::test]
    async fn a_message_that_is_not_a_step_is_dropped_not_retried_for_ever() {
        let (config, aws) = platform::testing::unreachable_aws();
        let mut event: SqsEvent =
            serde_json::from_str(&platform::testing::event("saga-steps", "step.json")).unwrap();
        event.records[0].body = Some("{\"hello\": 1}".into());
        assert!(
            Worker::new(&config, &aws)
                .handle(event)
                .await
                .batch_item_failures
                .is_empty()
        );
    }
}
