//! The kinds of step: `condition`, `for_each`, `delay`, and the leaves (tools, HTTP, the model)
//! with their inputs rendered and secrets resolved.

use super::*;
use crate::run::{Flow, Outcome, Run, bounded, scrub};

impl Run<'_> {
    pub(crate) async fn condition(
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
    pub(crate) async fn close_container(
        &mut self,
        step: &Step,
        mut record: StepRecord,
        context: &mut Value,
        flow: Flow,
        output: impl FnOnce(Value) -> Value,
    ) -> Result<Flow, Transient> {
        let now = platform::time::now_rfc3339_millis();
        match flow {
            Flow::Next => {
                record.status = StepStatus::Succeeded;
                record.output = bounded(output(record.output.clone()));
            }
            Flow::Stop(Outcome::Ended(Status::Failed, error)) => {
                record.status = StepStatus::Failed;
                let message = error.clone().unwrap_or_default();
                record.error = Some(json!({"message": message, "transient": false}));
                record.duration_ms = platform::time::millis_between(&record.started_at, &now);
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
        record.duration_ms = platform::time::millis_between(&record.started_at, &now);
        record.finished_at = Some(now);
        self.save(record.clone()).await?;
        Self::remember(context, &record);
        Ok(Flow::Next)
    }

    pub(crate) async fn for_each(
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

    pub(crate) async fn delay(
        &mut self,
        step: &Step,
        path: &str,
        context: &mut Value,
        recorded: Option<StepRecord>,
    ) -> Result<Flow, Transient> {
        let now = platform::time::now_epoch();
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

    pub(crate) async fn leaf(
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
                    if platform::time::now_epoch() + wait.ceil() as i64 > self.execution.deadline {
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
    pub(crate) async fn with_secrets(
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

    pub(crate) async fn run_leaf(&mut self, step: &Step, input: &Value) -> Result<Value, Failure> {
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

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
