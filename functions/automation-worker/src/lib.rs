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

mod poll;
mod steps;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use shared::auth::Identity;
use shared::aws::AwsClients;
use shared::config::Config;
use shared::ids::{ExecutionId, TenantId};
use shared::queue::{Batch, Delivery, Transient};
use shared::store::{Store, StoreError, keys, n, s};
use shared::telemetry::{Telemetry, record};
use shared::tools::Toolbox;
use shared::workflows::definition::{MAX_ITEMS, Step};
use shared::workflows::template::render;
use shared::workflows::{
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
    pub(crate) llm: Option<Arc<dyn shared::llm::Provider>>,
    pub(crate) llm_max_tokens: u32,
    pub(crate) prices: shared::llm::Prices,
    telemetry: Telemetry,
    /// Opens workspace secrets (`{{secrets.NAME}}` in `http_request` steps).
    kms: aws_sdk_kms::Client,
}

impl Worker {
    pub fn new(config: &Config, aws: &AwsClients) -> Self {
        let store = Store::new(aws.dynamodb.clone(), config.table_name.clone());
        Self {
            toolbox: Toolbox::new(config, aws, store.clone()),
            store: store.clone(),
            sqs: aws.sqs.clone(),
            queue_url: config.automation_queue_url.clone(),
            http_allow: config.workflow_http_allow.clone(),
            llm: shared::llm::provider(&config.llm, &aws.bedrock),
            llm_max_tokens: config.llm_max_tokens,
            prices: config.llm_prices.clone(),
            telemetry: Telemetry::new("automation-worker", config, store),
            kms: aws.kms.clone(),
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
                    data: json!({"firedAt": shared::time::now_rfc3339()}),
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
        let now = shared::time::now_epoch();
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
                    (":at", s(shared::time::now_rfc3339_millis())),
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
            "now": shared::time::now_rfc3339(),
        });
        let steps = execution.definition.steps.clone();
        match run.steps(&steps, "", &mut context).await {
            Ok(Flow::Next) => self.end(&execution, Status::Succeeded, None).await,
            Ok(Flow::Stop(Outcome::Ended(status, error))) => {
                self.end(&execution, status, error).await
            }
            Ok(Flow::Stop(Outcome::Waiting(resume_at))) => {
                let wait = (resume_at - shared::time::now_epoch()).clamp(1, 900) as u32;
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
                            &[(":yes", shared::store::AttributeValue::Bool(true))],
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

/// How a run stops early.
enum Outcome {
    Ended(Status, Option<String>),
    /// A delay: come back at this time (epoch seconds).
    Waiting(i64),
}

enum Flow {
    Next,
    Stop(Outcome),
}

/// One delivery's work on a run.
struct Run<'a> {
    worker: &'a Worker,
    execution: &'a Execution,
    records: HashMap<String, StepRecord>,
    next_seq: u32,
    identity: Option<Result<Identity, Failure>>,
}

/// Every occurrence of a secret's value (4 characters or more) in the strings of `v`, as `***`.
fn scrub(v: Value, secrets: &[String]) -> Value {
    if secrets.is_empty() {
        return v;
    }
    match v {
        Value::String(mut t) => {
            for secret in secrets.iter().filter(|s| s.len() >= 4) {
                if t.contains(secret.as_str()) {
                    t = t.replace(secret.as_str(), "***");
                }
            }
            Value::String(t)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|x| scrub(x, secrets)).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, x)| (k, scrub(x, secrets))).collect())
        }
        other => other,
    }
}

fn bounded(output: Value) -> Value {
    let size = serde_json::to_vec(&output).map(|v| v.len()).unwrap_or(0);
    if size <= MAX_STORED_OUTPUT {
        return output;
    }
    let text = output.to_string();
    let cut = text
        .char_indices()
        .map(|(i, _)| i)
        .take_while(|i| *i <= 8 * 1024)
        .last()
        .unwrap_or(0);
    json!({"truncated": true, "bytes": size, "preview": &text[..cut]})
}

impl Run<'_> {
    fn tenant(&self) -> &TenantId {
        &self.execution.tenant_id
    }

    fn steps<'b>(
        &'b mut self,
        steps: &'b [Step],
        prefix: &'b str,
        context: &'b mut Value,
    ) -> BoxFuture<'b, Result<Flow, Transient>> {
        Box::pin(async move {
            for step in steps {
                let path = format!("{prefix}{}", step.id);
                if let Flow::Stop(outcome) = self.step(step, &path, prefix, context).await? {
                    return Ok(Flow::Stop(outcome));
                }
            }
            Ok(Flow::Next)
        })
    }

    /// Cancelled, ended elsewhere, or past its deadline: the run stops before the next step.
    async fn checkpoint(&self) -> Result<Option<Outcome>, Transient> {
        let current: Option<Execution> = self
            .worker
            .store
            .get(&keys::execution(self.tenant(), &self.execution.id))
            .await?;
        Ok(match current {
            None => Some(Outcome::Ended(
                Status::Cancelled,
                Some("the run was deleted".into()),
            )),
            Some(e) if e.status.is_final() => Some(Outcome::Ended(e.status, e.error)),
            Some(e) if e.cancel_requested => Some(Outcome::Ended(
                Status::Cancelled,
                Some("cancelled on request".into()),
            )),
            Some(e) if shared::time::now_epoch() > e.deadline => Some(Outcome::Ended(
                Status::Failed,
                Some(format!(
                    "timed out: the workflow allows {} s per run",
                    e.definition
                        .timeout_seconds
                        .unwrap_or(wf::definition::DEFAULT_TIMEOUT_SECS)
                )),
            )),
            Some(_) => None,
        })
    }

    async fn save(&mut self, record: StepRecord) -> Result<(), Transient> {
        let item = Store::item(
            &keys::execution_step(self.tenant(), &self.execution.id, &record.path),
            "workflow_step",
            &record,
        )?;
        self.worker.store.put(item).await?;
        self.records.insert(record.path.clone(), record);
        Ok(())
    }

    fn record(&mut self, step: &Step, path: &str, status: StepStatus, input: Value) -> StepRecord {
        let seq = self.next_seq;
        self.next_seq += 1;
        StepRecord {
            path: path.to_owned(),
            step_id: step.id.clone(),
            kind: step.kind.clone(),
            status,
            seq,
            // Kept whole up to the item limit (a huge rendered input would make the record unwritable),
            // with secret-looking HTTP headers masked: run history is readable by every member.
            input: bounded(wf::mask_credentials(&step.kind, input)),
            output: Value::Null,
            error: None,
            attempts: 0,
            started_at: shared::time::now_rfc3339_millis(),
            finished_at: None,
            duration_ms: None,
            resume_at: None,
        }
    }

    async fn finish(
        &mut self,
        mut record: StepRecord,
        result: &Result<Value, Failure>,
        attempts: u32,
    ) -> Result<(), Transient> {
        let now = shared::time::now_rfc3339_millis();
        record.duration_ms = shared::time::millis_between(&record.started_at, &now);
        record.finished_at = Some(now);
        record.attempts = attempts;
        match result {
            Ok(v) => {
                record.status = StepStatus::Succeeded;
                record.output = bounded(v.clone());
            }
            Err(f) => {
                record.status = StepStatus::Failed;
                record.error = Some(
                    json!({"message": f.message, "detail": bounded(f.detail.clone()), "transient": f.transient}),
                );
            }
        }
        self.save(record).await
    }

    /// Appends to the run's log (bounded; a full log drops new lines).
    async fn log(&self, level: &str, step: Option<&str>, message: String) -> Result<(), Transient> {
        let message = if message.chars().count() > MAX_LOG_CHARS {
            format!(
                "{}… (truncated)",
                message.chars().take(MAX_LOG_CHARS).collect::<String>()
            )
        } else {
            message
        };
        let entry = LogEntry {
            at: shared::time::now_rfc3339_millis(),
            level: level.into(),
            step: step.map(str::to_owned),
            message,
        };
        let value = serde_dynamo::to_attribute_value(vec![entry]).map_err(StoreError::from)?;
        let logged = self
            .worker
            .store
            .update::<Value>(
                &keys::execution(self.tenant(), &self.execution.id),
                "SET #logs = list_append(if_not_exists(#logs, :empty), :entry)",
                Some("attribute_not_exists(#logs) OR size(#logs) < :max"),
                &[
                    (":entry", value),
                    (":empty", shared::store::AttributeValue::L(vec![])),
                    (":max", n(MAX_LOGS)),
                ],
            )
            .await;
        match logged {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The identity the run acts as: the workflow's last editor, with their current role (capped
    /// by the API key it was saved with, if any).
    async fn identity(&mut self) -> Result<Identity, Failure> {
        if self.identity.is_none() {
            let e = &self.execution;
            let found = match shared::workflows::run_identity(
                &self.worker.store,
                &e.tenant_id,
                &e.workflow_id,
                &e.run_as,
                e.run_as_key.as_ref(),
            )
            .await
            {
                Ok(identity) => Ok(identity),
                Err(shared::workflows::RunAsError::Refused(why)) => Err(Failure::permanent(why)),
                Err(shared::workflows::RunAsError::Store(e)) => {
                    return Err(Failure::transient(format!(
                        "could not load the run's user: {e}"
                    )));
                }
            };
            self.identity = Some(found);
        }
        self.identity
            .clone()
            .unwrap_or_else(|| Err(Failure::transient("no identity")))
    }

    /// Makes a finished step visible to later templates.
    fn remember(context: &mut Value, record: &StepRecord) {
        context["steps"][&record.step_id] =
            json!({"output": record.output, "status": record.status, "error": record.error});
    }

    /// A step that ended in an earlier delivery: its recorded outcome, not a second run.
    fn replay(step: &Step, context: &mut Value, recorded: Option<&StepRecord>) -> Option<Flow> {
        let r =
            recorded.filter(|r| matches!(r.status, StepStatus::Succeeded | StepStatus::Failed))?;
        Self::remember(context, r);
        if r.status == StepStatus::Succeeded {
            return Some(Flow::Next);
        }
        let message = r
            .error
            .as_ref()
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("failed");
        Some(Self::after_failure(step, message))
    }

    /// After a step failed: the run continues when the step allows it.
    fn after_failure(step: &Step, message: &str) -> Flow {
        if step.continue_on_error {
            Flow::Next
        } else {
            Flow::Stop(Outcome::Ended(
                Status::Failed,
                Some(format!("step `{}` failed: {message}", step.id)),
            ))
        }
    }

    async fn step(
        &mut self,
        step: &Step,
        path: &str,
        prefix: &str,
        context: &mut Value,
    ) -> Result<Flow, Transient> {
        if let Some(outcome) = self.checkpoint().await? {
            return Ok(Flow::Stop(outcome));
        }
        let recorded = self.records.get(path).cloned();
        match step.kind.as_str() {
            "condition" => self.condition(step, path, prefix, context, recorded).await,
            "for_each" => self.for_each(step, path, prefix, context, recorded).await,
            "delay" => self.delay(step, path, context, recorded).await,
            _ => self.leaf(step, path, context, recorded).await,
        }
    }

    async fn condition(
        &mut self,
        step: &Step,
        path: &str,
        prefix: &str,
        context: &mut Value,
        recorded: Option<StepRecord>,
    ) -> Result<Flow, Transient> {
        if let Some(flow) = Self::replay(step, context, recorded.as_ref()) {
            return Ok(flow);
        }
        let record = match recorded {
            // Decided before an interruption: the same branch again.
            Some(r) => r,
            None => {
                let Some(test) = &step.condition else {
                    return Ok(Self::after_failure(step, "no `if`"));
                };
                let rendered = steps::render_condition(test, context);
                let input = serde_json::to_value(&rendered).unwrap_or(Value::Null);
                let mut record = self.record(step, path, StepStatus::Running, input);
                match steps::evaluate(&rendered) {
                    Ok(result) => {
                        record.output = json!({"result": result, "branch": if result { "then" } else { "else" }});
                        self.save(record.clone()).await?;
                        record
                    }
                    Err(message) => {
                        let failure = Err(Failure::permanent(message.clone()));
                        self.finish(record, &failure, 1).await?;
                        let r = self.records[path].clone();
                        Self::remember(context, &r);
                        return Ok(Self::after_failure(step, &message));
                    }
                }
            }
        };
        let then = record.output.get("branch").and_then(Value::as_str) == Some("then");
        let flow = self
            .steps(
                if then { &step.then } else { &step.otherwise },
                prefix,
                context,
            )
            .await?;
        self.close_container(step, record, context, flow, |out| out)
            .await
    }

    /// Records a container's end from its children's flow.
    async fn close_container(
        &mut self,
        step: &Step,
        mut record: StepRecord,
        context: &mut Value,
        flow: Flow,
        output: impl FnOnce(Value) -> Value,
    ) -> Result<Flow, Transient> {
        let now = shared::time::now_rfc3339_millis();
        match flow {
            Flow::Next => {
                record.status = StepStatus::Succeeded;
                record.output = bounded(output(record.output.clone()));
            }
            Flow::Stop(Outcome::Ended(Status::Failed, error)) => {
                record.status = StepStatus::Failed;
                let message = error.clone().unwrap_or_default();
                record.error = Some(json!({"message": message, "transient": false}));
                record.duration_ms = shared::time::millis_between(&record.started_at, &now);
                record.finished_at = Some(now);
                self.save(record.clone()).await?;
                Self::remember(context, &record);
                return Ok(if step.continue_on_error {
                    Flow::Next
                } else {
                    Flow::Stop(Outcome::Ended(Status::Failed, error))
                });
            }
            stop => return Ok(stop),
        }
        record.duration_ms = shared::time::millis_between(&record.started_at, &now);
        record.finished_at = Some(now);
        self.save(record.clone()).await?;
        Self::remember(context, &record);
        Ok(Flow::Next)
    }

    async fn for_each(
        &mut self,
        step: &Step,
        path: &str,
        prefix: &str,
        context: &mut Value,
        recorded: Option<StepRecord>,
    ) -> Result<Flow, Transient> {
        if let Some(flow) = Self::replay(step, context, recorded.as_ref()) {
            return Ok(flow);
        }
        let items = step
            .items
            .as_ref()
            .map(|i| render(i, context))
            .unwrap_or(Value::Null);
        let max = step.max_items.unwrap_or(MAX_ITEMS).min(MAX_ITEMS);
        let problem = match &items {
            Value::Array(list) if list.len() > max => Some(format!(
                "{} items, more than the {max} a for_each takes",
                list.len()
            )),
            Value::Array(_) => None,
            other => Some(format!(
                "`items` is not a list (it is {})",
                type_name(other)
            )),
        };
        let record = match recorded {
            Some(r) => r,
            None => {
                let mut r = self.record(
                    step,
                    path,
                    StepStatus::Running,
                    json!({"count": items.as_array().map(Vec::len)}),
                );
                if let Some(message) = problem {
                    self.finish(r, &Err(Failure::permanent(message.clone())), 1)
                        .await?;
                    let saved = self.records[path].clone();
                    Self::remember(context, &saved);
                    return Ok(Self::after_failure(step, &message));
                }
                r.output = json!({"count": items.as_array().map(Vec::len)});
                self.save(r.clone()).await?;
                r
            }
        };
        let list = items.as_array().cloned().unwrap_or_default();
        let mut results = Vec::with_capacity(list.len());
        for (i, item) in list.into_iter().enumerate() {
            let mut inner = context.clone();
            inner["item"] = item;
            inner["index"] = json!(i);
            inner["steps"] = context["steps"].clone();
            let flow = self
                .steps(
                    &step.steps,
                    &format!("{prefix}{}[{i}].", step.id),
                    &mut inner,
                )
                .await?;
            let outputs: serde_json::Map<String, Value> = step
                .steps
                .iter()
                .filter_map(|c| {
                    Some((
                        c.id.clone(),
                        inner["steps"].get(&c.id)?.get("output")?.clone(),
                    ))
                })
                .collect();
            results.push(Value::Object(outputs));
            if let Flow::Stop(_) = flow {
                return self
                    .close_container(step, record, context, flow, |o| o)
                    .await;
            }
        }
        let count = results.len();
        self.close_container(
            step,
            record,
            context,
            Flow::Next,
            move |_| json!({"count": count, "results": results}),
        )
        .await
    }

    async fn delay(
        &mut self,
        step: &Step,
        path: &str,
        context: &mut Value,
        recorded: Option<StepRecord>,
    ) -> Result<Flow, Transient> {
        let now = shared::time::now_epoch();
        if let Some(flow) = Self::replay(step, context, recorded.as_ref()) {
            return Ok(flow);
        }
        let mut record = match recorded {
            Some(r) => r,
            None => {
                let secs = step
                    .input
                    .get("seconds")
                    .and_then(Value::as_u64)
                    .unwrap_or(1) as i64;
                let mut r = self.record(step, path, StepStatus::Waiting, json!({"seconds": secs}));
                r.resume_at = Some(now + secs);
                if secs > INLINE_DELAY_SECS {
                    self.save(r.clone()).await?;
                }
                r
            }
        };
        let resume_at = record.resume_at.unwrap_or(now);
        if resume_at > self.execution.deadline {
            let f = Err(Failure::permanent("the delay ends after the run's timeout"));
            self.finish(record, &f, 1).await?;
            return Ok(Self::after_failure(
                step,
                "the delay ends after the run's timeout",
            ));
        }
        let left = resume_at - now;
        if left > INLINE_DELAY_SECS {
            return Ok(Flow::Stop(Outcome::Waiting(resume_at)));
        }
        if left > 0 {
            tokio::time::sleep(Duration::from_secs(left as u64)).await;
        }
        record.output = json!({"waitedSeconds": step.input.get("seconds")});
        let output = Ok(record.output.clone());
        self.finish(record, &output, 1).await?;
        let saved = self.records[path].clone();
        Self::remember(context, &saved);
        Ok(Flow::Next)
    }

    async fn leaf(
        &mut self,
        step: &Step,
        path: &str,
        context: &mut Value,
        recorded: Option<StepRecord>,
    ) -> Result<Flow, Transient> {
        if let Some(flow) = Self::replay(step, context, recorded.as_ref()) {
            return Ok(flow);
        }
        match recorded {
            Some(r) if !step.repeatable() => {
                // It started and may have written; running it again could write twice.
                let message = "interrupted after it started; not repeated, because it may already have written (check the data)";
                self.finish(r, &Err(Failure::permanent(message)), 1).await?;
                let saved = self.records[path].clone();
                Self::remember(context, &saved);
                self.log("error", Some(&step.id), message.to_owned())
                    .await?;
                return Ok(Self::after_failure(step, message));
            }
            _ => {}
        }
        // Workspace secrets go into the request only: the record shows `***`, and a value that
        // comes back (an echoing server) is scrubbed from output, errors and logs.
        let (input, shown, secrets) = match self.with_secrets(step, context).await? {
            Ok(rendered) => rendered,
            Err(f) => {
                let shown = render(&step.input, context);
                let record = self.record(step, path, StepStatus::Running, shown);
                self.log("error", Some(&step.id), f.message.clone()).await?;
                self.finish(record, &Err(f.clone()), 1).await?;
                let saved = self.records[path].clone();
                Self::remember(context, &saved);
                return Ok(Self::after_failure(step, &f.message));
            }
        };
        let record = self.record(step, path, StepStatus::Running, shown);
        if !step.repeatable() {
            // The mark that tells a later delivery this step began.
            self.save(record.clone()).await?;
        }
        let attempts_allowed = step
            .retry
            .map(|r| r.attempts)
            .unwrap_or(DEFAULT_ATTEMPTS)
            .max(1);
        let backoff = step.retry.and_then(|r| r.backoff_seconds).unwrap_or(1.0);
        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            let result = self
                .run_leaf(step, &input)
                .await
                .map(|v| scrub(v, &secrets))
                .map_err(|f| f.scrubbed(&secrets));
            match result {
                Err(f) if f.transient && attempt < attempts_allowed => {
                    let wait = (backoff * 2f64.powi(attempt as i32 - 1))
                        .max(f.retry_after.unwrap_or(0) as f64)
                        .min(30.0);
                    if shared::time::now_epoch() + wait.ceil() as i64 > self.execution.deadline {
                        break Err(f);
                    }
                    self.log(
                        "warn",
                        Some(&step.id),
                        format!(
                            "attempt {attempt} failed ({}); retrying in {wait:.1} s",
                            f.message
                        ),
                    )
                    .await?;
                    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                }
                other => break other,
            }
        };
        if let Err(f) = &result {
            self.log(
                "error",
                Some(&step.id),
                format!("failed after {attempt} attempt(s): {}", f.message),
            )
            .await?;
        }
        self.finish(record, &result, attempt).await?;
        let saved = self.records[path].clone();
        Self::remember(context, &saved);
        Ok(match result {
            Ok(_) => Flow::Next,
            Err(f) => Self::after_failure(step, &f.message),
        })
    }

    /// The step's input rendered twice when it uses workspace secrets — with their values (sent)
    /// and with `***` (recorded) — and the values (to scrub from what comes back). A secret that
    /// does not exist fails the step; KMS or the table not answering brings the job back.
    async fn with_secrets(
        &self,
        step: &Step,
        context: &mut Value,
    ) -> Result<Result<(Value, Value, Vec<String>), Failure>, Transient> {
        let mut names = Vec::new();
        if step.kind == "http_request" {
            let mut refs = Vec::new();
            let _ = wf::template::references(&step.input, "input", &mut refs);
            names = refs
                .into_iter()
                .filter(|(_, r)| r[0] == "secrets" && r.len() == 2)
                .map(|(_, r)| r[1].clone())
                .collect();
        }
        if names.is_empty() {
            let input = render(&step.input, context);
            return Ok(Ok((input.clone(), input, Vec::new())));
        }
        let opened =
            match wf::secrets::open(&self.worker.store, &self.worker.kms, self.tenant(), names)
                .await
            {
                Ok(opened) => opened,
                Err(e @ wf::secrets::OpenError::Missing(_)) => {
                    return Ok(Err(Failure::permanent(e.to_string())));
                }
                Err(e) => {
                    return Err(Transient::Other(format!(
                        "could not open the workspace's secrets: {e}"
                    )));
                }
            };
        use secrecy::ExposeSecret;
        let values: Vec<String> = opened
            .values()
            .map(|v| v.expose_secret().to_owned())
            .collect();
        context["secrets"] = opened
            .keys()
            .map(|k| (k.clone(), json!("***")))
            .collect::<serde_json::Map<_, _>>()
            .into();
        let shown = render(&step.input, context);
        context["secrets"] = opened
            .iter()
            .map(|(k, v)| (k.clone(), json!(v.expose_secret())))
            .collect::<serde_json::Map<_, _>>()
            .into();
        let input = render(&step.input, context);
        if let Some(map) = context.as_object_mut() {
            map.remove("secrets");
        }
        Ok(Ok((input, shown, values)))
    }

    async fn run_leaf(&mut self, step: &Step, input: &Value) -> Result<Value, Failure> {
        match step.kind.as_str() {
            "transform" => Ok(input.clone()),
            "log" => {
                let message = match input.get("message") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                let level = input.get("level").and_then(Value::as_str).unwrap_or("info");
                self.log(level, Some(&step.id), message.clone())
                    .await
                    .map_err(|e| Failure::transient(e.to_string()))?;
                Ok(json!({"message": message, "level": level}))
            }
            "http_request" => self.worker.http_request(input).await,
            "llm_prompt" => {
                let identity = self.identity().await?;
                self.worker.llm_prompt(&identity, input).await
            }
            tool => {
                let identity = self.identity().await?;
                self.worker.tool(&identity, tool, input.clone()).await
            }
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    //! The handler as Lambda runs it, fed the sample events in `events/automation-worker/`.

    use super::*;
    use shared::testing::{event, unreachable_aws};

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
