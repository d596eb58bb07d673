//! `record_matches` triggers: on each turn of the workflow's schedule, read the records created
//! (or modified, through a Last Modified Time field) since the last turn — like Zapier's and
//! n8n's Airtable triggers — and start one run per record version. The record id and its time
//! are the event's id, so a redelivered poll, or overlapping windows, start nothing twice.

use platform::store::{StoreError, keys, s};
use platform::telemetry::record;
use serde_json::{Value, json};
use workflows_core::definition::RecordEvent;
use workflows_core::{self as wf, Job, Trigger, TriggerEvent};

use crate::Worker;
use platform::queue::Transient;

/// Records one turn starts runs for; more wait for the next turn.
const MAX_PER_POLL: usize = 100;
/// The next window starts this much before this poll began, for records written while it read
/// (duplicates are recognised by their event id).
const OVERLAP_SECS: i64 = 60;

/// Escapes a value for a single-quoted formula string.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The formula selecting what is new since `since`.
pub fn formula(on: RecordEvent, field: Option<&str>, filter: Option<&str>, since: &str) -> String {
    let new = match (on, field) {
        (RecordEvent::Modified, Some(f)) => {
            format!("IS_AFTER({{{}}}, {})", f.replace('}', "\\}"), quoted(since))
        }
        _ => format!("IS_AFTER(CREATED_TIME(), {})", quoted(since)),
    };
    match filter.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => format!("AND({new}, {f})"),
        None => new,
    }
}

pub(crate) async fn poll(worker: &Worker, job: &Job, message_id: &str) -> Result<(), Transient> {
    let Some(workflow) = wf::load(&worker.store, &job.tenant_id, &job.workflow_id).await? else {
        return Ok(());
    };
    let Trigger::RecordMatches {
        base_id,
        table,
        on,
        field,
        filter_by_formula,
        ..
    } = &workflow.definition.trigger
    else {
        return Ok(());
    };
    if !workflow.enabled {
        return Ok(());
    }
    let started = platform::time::now_epoch();
    let cursor = workflow
        .poll_cursor
        .clone()
        .unwrap_or_else(|| platform::time::epoch_to_rfc3339(started));
    let since = cursor.clone();
    let identity = match wf::run_identity(
        &worker.store,
        &job.tenant_id,
        &workflow.id,
        &workflow.updated_by,
        workflow.updated_by_key.as_ref(),
    )
    .await
    {
        Ok(identity) => identity,
        Err(wf::RunAsError::Refused(why)) => {
            tracing::warn!(workflow = %workflow.id, reason = %why, "record_matches: not polling");
            return Ok(());
        }
        Err(wf::RunAsError::Store(e)) => return Err(e.into()),
    };
    record::attribute(&job.tenant_id, &workflow.updated_by);
    let mut args = json!({
        "base_id": base_id, "table": table,
        "filter_by_formula": formula(*on, field.as_deref(), filter_by_formula.as_deref(), &since),
        "max_records": MAX_PER_POLL, "page_size": MAX_PER_POLL,
    });
    if let (RecordEvent::Modified, Some(f)) = (on, field) {
        args["sort"] = json!([{"field": f, "direction": "asc"}]);
    }
    let page = match worker.tool(&identity, "get_records", args).await {
        Ok(page) => page,
        Err(f) if f.transient => return Err(Transient::Other(f.message)),
        Err(f) => {
            // A broken trigger (table renamed, field gone) is not fixed by retrying: the workflow
            // says so until a turn succeeds again.
            tracing::warn!(workflow = %workflow.id, error = %f.message, "record_matches: reading the table failed");
            worker
                .store
                .update::<Value>(
                    &keys::workflow(&job.tenant_id, &workflow.id),
                    "SET #pollError = :e",
                    Some("attribute_exists(PK)"),
                    &[(":e", s(&f.message))],
                )
                .await
                .or_else(|e| {
                    if matches!(e, StoreError::ConditionFailed) {
                        Ok(Value::Null)
                    } else {
                        Err(e)
                    }
                })?;
            return Ok(());
        }
    };
    let records = page
        .get("records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut newest = None::<String>;
    for record in &records {
        let id = record.get("id").and_then(Value::as_str).unwrap_or_default();
        let at = match (on, field) {
            (RecordEvent::Modified, Some(f)) => record
                .get("fields")
                .and_then(|x| x.get(f))
                .and_then(Value::as_str),
            _ => record.get("createdTime").and_then(Value::as_str),
        }
        .unwrap_or_default()
        .to_owned();
        let event = if *on == RecordEvent::Modified {
            "modified"
        } else {
            "created"
        };
        let data = json!({"id": id, "createdTime": record.get("createdTime"), "fields": record.get("fields"), "event": event});
        let trigger = TriggerEvent {
            kind: "record_matches",
            data,
            event_id: Some(format!("rec#{id}#{at}")),
        };
        wf::start_execution(
            &worker.store,
            &worker.sqs,
            &worker.queue_url,
            &workflow,
            trigger,
        )
        .await?;
        if newest.as_deref().is_none_or(|n| at.as_str() > n) {
            newest = Some(at);
        }
    }
    // A full page may have more behind it: continue from the newest record seen, not from now.
    let cursor_epoch = platform::time::parse_rfc3339(&cursor).unwrap_or(0);
    let next = if records.len() >= MAX_PER_POLL {
        newest.unwrap_or(cursor.clone())
    } else {
        platform::time::epoch_to_rfc3339((started - OVERLAP_SECS).max(cursor_epoch))
    };
    let moved = worker
        .store
        .update::<Value>(
            &keys::workflow(&job.tenant_id, &workflow.id),
            "SET #pollCursor = :next, #lastPollAt = :now REMOVE #pollError",
            Some("#pollCursor = :cursor"),
            &[
                (":next", s(&next)),
                (":cursor", s(&cursor)),
                (":now", s(platform::time::epoch_to_rfc3339(started))),
            ],
        )
        .await;
    match moved {
        Ok(_) => {}
        // Another turn moved it meanwhile; the next one reads from there.
        Err(StoreError::ConditionFailed) => {
            tracing::info!(workflow = %workflow.id, "record_matches: the cursor moved meanwhile")
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(workflow = %workflow.id, message_id, found = records.len(), "record_matches polled");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_select_new_or_changed_records() {
        assert_eq!(
            formula(RecordEvent::Created, None, None, "2026-11-28T10:00:00Z"),
            "IS_AFTER(CREATED_TIME(), '2026-11-28T10:00:00Z')"
        );
        assert_eq!(
            formula(
                RecordEvent::Modified,
                Some("Last Modified"),
                Some("{Status}='Open'"),
                "2026-11-28T10:00:00Z"
            ),
            "AND(IS_AFTER({Last Modified}, '2026-11-28T10:00:00Z'), {Status}='Open')"
        );
    }
}
