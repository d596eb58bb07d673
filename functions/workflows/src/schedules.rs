//! EventBridge Scheduler schedules of workflows: one per `schedule` or `record_matches`
//! workflow, named by the workflow id, in the stack's schedule group, sending a [`Job`] to the
//! automation queue. Created, updated (paused while the workflow is disabled) and deleted with
//! the workflow.

use aws_sdk_scheduler::error::ProvideErrorMetadata;
use aws_sdk_scheduler::types::{FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target};
use platform::config::ScheduleTarget;
use platform::error::ApiError;
use platform::ids::WorkflowId;
use workflows_core::schedule::Schedule;
use workflows_core::{Job, JobSource, Trigger, Workflow};

/// The scheduler client and where schedules send.
#[derive(Clone)]
pub struct Schedules {
    pub client: aws_sdk_scheduler::Client,
    pub target: Option<ScheduleTarget>,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "scheduler: {what} failed");
    ApiError::Unavailable {
        detail: "the workflow's schedule could not be saved; try again".into(),
        retry_after: Some(5),
    }
}

impl Schedules {
    /// Creates or replaces the workflow's schedule, or removes it when the trigger needs none.
    pub async fn sync(
        &self,
        workflow: &Workflow,
        schedule: Option<&Schedule>,
    ) -> Result<(), ApiError> {
        let Some(schedule) = schedule else {
            return self.remove(&workflow.id).await;
        };
        let Some(target) = &self.target else {
            return Err(ApiError::Unavailable {
                detail: "schedules are not configured in this deployment".into(),
                retry_after: None,
            });
        };
        let source = if matches!(workflow.definition.trigger, Trigger::RecordMatches { .. }) {
            JobSource::Poll
        } else {
            JobSource::Schedule
        };
        let job = Job {
            tenant_id: workflow.tenant_id.clone(),
            workflow_id: workflow.id.clone(),
            source,
            execution_id: None,
        };
        let input = serde_json::to_string(&job).map_err(ApiError::internal)?;
        let target_spec = Target::builder()
            .arn(&target.queue_arn)
            .role_arn(&target.role_arn)
            .input(input)
            .build()
            .map_err(ApiError::internal)?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(ApiError::internal)?;
        let state = if workflow.enabled {
            ScheduleState::Enabled
        } else {
            ScheduleState::Disabled
        };
        let name = workflow.id.as_str();
        let description = format!("workflow {} of tenant {}", workflow.id, workflow.tenant_id);
        let created = self
            .client
            .create_schedule()
            .name(name)
            .group_name(&target.group)
            .schedule_expression(schedule.aws_expression())
            .schedule_expression_timezone(schedule.timezone.name())
            .description(&description)
            .state(state.clone())
            .flexible_time_window(window.clone())
            .target(target_spec.clone())
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConflictException") => self
                .client
                .update_schedule()
                .name(name)
                .group_name(&target.group)
                .schedule_expression(schedule.aws_expression())
                .schedule_expression_timezone(schedule.timezone.name())
                .description(&description)
                .state(state)
                .flexible_time_window(window)
                .target(target_spec)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    unavailable("update", aws_sdk_scheduler::error::DisplayErrorContext(e))
                }),
            Err(e) => Err(unavailable(
                "create",
                aws_sdk_scheduler::error::DisplayErrorContext(e),
            )),
        }
    }

    /// Deletes the workflow's schedule (nothing to do when there is none).
    pub async fn remove(&self, workflow: &WorkflowId) -> Result<(), ApiError> {
        let Some(target) = &self.target else {
            return Ok(());
        };
        match self
            .client
            .delete_schedule()
            .name(workflow.as_str())
            .group_name(&target.group)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(()),
            Err(e) => Err(unavailable(
                "delete",
                aws_sdk_scheduler::error::DisplayErrorContext(e),
            )),
        }
    }
}
