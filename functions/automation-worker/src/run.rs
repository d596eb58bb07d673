//! One delivery's work on a run: walking the steps, checkpoints (cancelled? past its time?),
//! the step records that make a redelivery resume after the last finished step, and the run's
//! log. What each kind of step does is in `kinds.rs`.

use super::*;
use platform::store::Under;

/// How a run stops early.
pub(crate) enum Outcome {
    Ended(Status, Option<String>),
    /// A delay: come back at this time (epoch seconds).
    Waiting(i64),
}

pub(crate) enum Flow {
    Next,
    Stop(Outcome),
}

/// One delivery's work on a run.
pub(crate) struct Run<'a> {
    pub(crate) worker: &'a Worker,
    pub(crate) execution: &'a Execution,
    pub(crate) records: HashMap<String, StepRecord>,
    pub(crate) next_seq: u32,
    pub(crate) identity: Option<Result<Identity, Failure>>,
}

/// Every occurrence of a secret's value (4 characters or more) in the strings of `v`, as `***`.
pub(crate) fn scrub(v: Value, secrets: &[String]) -> Value {
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

pub(crate) fn bounded(output: Value) -> Value {
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
    pub(crate) fn tenant(&self) -> &TenantId {
        &self.execution.tenant_id
    }

    pub(crate) fn steps<'b>(
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
    pub(crate) async fn checkpoint(&self) -> Result<Option<Outcome>, Transient> {
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
            Some(e) if platform::time::now_epoch() > e.deadline => Some(Outcome::Ended(
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

    pub(crate) async fn save(&mut self, record: StepRecord) -> Result<(), Transient> {
        let execution = (self.tenant().clone(), self.execution.id.clone());
        self.worker.store.put(&Under(&execution, &record)).await?;
        self.records.insert(record.path.clone(), record);
        Ok(())
    }

    pub(crate) fn record(
        &mut self,
        step: &Step,
        path: &str,
        status: StepStatus,
        input: Value,
    ) -> StepRecord {
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
            started_at: platform::time::now_rfc3339_millis(),
            finished_at: None,
            duration_ms: None,
            resume_at: None,
        }
    }

    pub(crate) async fn finish(
        &mut self,
        mut record: StepRecord,
        result: &Result<Value, Failure>,
        attempts: u32,
    ) -> Result<(), Transient> {
        let now = platform::time::now_rfc3339_millis();
        record.duration_ms = platform::time::millis_between(&record.started_at, &now);
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
    pub(crate) async fn log(
        &self,
        level: &str,
        step: Option<&str>,
        message: String,
    ) -> Result<(), Transient> {
        let message = if message.chars().count() > MAX_LOG_CHARS {
            format!(
                "{}… (truncated)",
                message.chars().take(MAX_LOG_CHARS).collect::<String>()
            )
        } else {
            message
        };
        let entry = LogEntry {
            at: platform::time::now_rfc3339_millis(),
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
                    (":empty", platform::store::AttributeValue::L(vec![])),
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
    pub(crate) async fn identity(&mut self) -> Result<Identity, Failure> {
        if self.identity.is_none() {
            let e = &self.execution;
            let found = match workflows_core::run_identity(
                &self.worker.store,
                &e.tenant_id,
                &e.workflow_id,
                &e.run_as,
                e.run_as_key.as_ref(),
            )
            .await
            {
                Ok(identity) => Ok(identity),
                Err(workflows_core::RunAsError::Refused(why)) => Err(Failure::permanent(why)),
                Err(workflows_core::RunAsError::Store(e)) => {
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
    pub(crate) fn remember(context: &mut Value, record: &StepRecord) {
        context["steps"][&record.step_id] =
            json!({"output": record.output, "status": record.status, "error": record.error});
    }

    /// A step that ended in an earlier delivery: its recorded outcome, not a second run.
    pub(crate) fn replay(
        step: &Step,
        context: &mut Value,
        recorded: Option<&StepRecord>,
    ) -> Option<Flow> {
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
    pub(crate) fn after_failure(step: &Step, message: &str) -> Flow {
        if step.continue_on_error {
            Flow::Next
        } else {
            Flow::Stop(Outcome::Ended(
                Status::Failed,
                Some(format!("step `{}` failed: {message}", step.id)),
            ))
        }
    }

    pub(crate) async fn step(
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
}
