//! The local stand-in for EventBridge Scheduler firing schedules. The emulator stores the
//! schedules the `workflows` function creates (expression, timezone, state, target, input) but
//! never fires them; this task reads them back from the emulator every second and, when one is
//! due, sends its target input to its target queue — what Scheduler does in AWS. The clock can
//! be moved forward ([`Clock::advance`]) so tests need not wait for a schedule in real time.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use aws_sdk_scheduler::types::ScheduleState;
use chrono::{DateTime, Utc};
use workflows_core::schedule::Schedule;

use crate::BoxError;

/// The local scheduler's idea of now: real time plus an offset tests can grow.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.offset_secs.load(Ordering::SeqCst))
    }

    /// Moves the clock forward; schedules that became due fire on the next tick (within a second).
    pub fn advance(&self, by: Duration) {
        self.offset_secs
            .fetch_add(by.as_secs() as i64, Ordering::SeqCst);
    }
}

struct Tracked {
    modified: Option<f64>,
    schedule: Schedule,
    enabled: bool,
    queue_arn: String,
    input: String,
    next: Option<DateTime<Utc>>,
}

/// Starts the scheduler for one schedule group.
pub fn spawn(
    scheduler: aws_sdk_scheduler::Client,
    sqs: aws_sdk_sqs::Client,
    group: String,
    clock: Clock,
) {
    tokio::spawn(async move {
        let mut tracked: HashMap<String, Tracked> = HashMap::new();
        let mut queues: HashMap<String, String> = HashMap::new();
        loop {
            if let Err(e) = tick(&scheduler, &sqs, &group, &clock, &mut tracked, &mut queues).await
            {
                tracing::warn!(error = %e, "local scheduler: tick failed");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn tick(
    scheduler: &aws_sdk_scheduler::Client,
    sqs: &aws_sdk_sqs::Client,
    group: &str,
    clock: &Clock,
    tracked: &mut HashMap<String, Tracked>,
    queues: &mut HashMap<String, String>,
) -> Result<(), BoxError> {
    let now = clock.now();
    let mut seen = Vec::new();
    let mut pages = scheduler
        .list_schedules()
        .group_name(group)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for summary in page?.schedules {
            let Some(name) = summary.name.clone() else {
                continue;
            };
            let modified = summary.last_modification_date.map(|d| d.as_secs_f64());
            seen.push(name.clone());
            if tracked.get(&name).is_some_and(|t| t.modified == modified) {
                continue;
            }
            // New or changed: read it whole and count its rate from now (as Scheduler does from
            // creation).
            let s = scheduler
                .get_schedule()
                .group_name(group)
                .name(&name)
                .send()
                .await?;
            let (Some(expression), Some(target)) =
                (s.schedule_expression.as_deref(), s.target.as_ref())
            else {
                continue;
            };
            let schedule = match Schedule::from_aws(
                expression,
                s.schedule_expression_timezone.as_deref(),
            ) {
                Ok(schedule) => schedule,
                Err(e) => {
                    tracing::warn!(schedule = %name, error = %e, "local scheduler: cannot read this expression; skipping it");
                    continue;
                }
            };
            let next = schedule.next_after(now, now);
            tracing::info!(schedule = %name, expression, next = ?next, "local scheduler: tracking schedule");
            tracked.insert(
                name,
                Tracked {
                    modified,
                    schedule,
                    enabled: s.state != Some(ScheduleState::Disabled),
                    queue_arn: target.arn.clone(),
                    input: target.input.clone().unwrap_or_default(),
                    next,
                },
            );
        }
    }
    tracked.retain(|name, _| seen.contains(name));
    for (name, t) in tracked.iter_mut() {
        let Some(due) = t.next.filter(|due| *due <= now) else {
            continue;
        };
        // One firing per tick, however far the clock jumped (Scheduler does not catch up either).
        t.next = t.schedule.next_after(now, due);
        if !t.enabled {
            continue;
        }
        let queue_url = match queues.get(&t.queue_arn) {
            Some(url) => url.clone(),
            None => {
                let queue_name = t.queue_arn.rsplit(':').next().unwrap_or_default();
                let url = sqs
                    .get_queue_url()
                    .queue_name(queue_name)
                    .send()
                    .await?
                    .queue_url
                    .unwrap_or_default();
                queues.insert(t.queue_arn.clone(), url.clone());
                url
            }
        };
        sqs.send_message()
            .queue_url(queue_url)
            .message_body(&t.input)
            .send()
            .await?;
        tracing::info!(schedule = %name, due = %due, "local scheduler: fired");
    }
    Ok(())
}
