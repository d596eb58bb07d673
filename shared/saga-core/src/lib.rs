//! Sagas: multi-step changes to Airtable that undo themselves on failure, run by Step Functions
//! (one state machine per type in `statemachines/`). Each step is an SQS task with a task token
//! that `saga-steps` works and answers; the saga item in DynamoDB is the record the API shows
//! (status, steps with timings, results and errors, the compensation log, progress).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use airtable_client::AirtableError;
use platform::error::{ApiError, FieldError};
use platform::ids::{SagaId, TenantId, UserId};
use platform::store::{Child, Key, Store, StoreError, Under, keys};

/// Most rows one import writes: its created ids are kept on one item (400 KB), and the step must
/// finish well inside the worker's 600 s at Airtable's 5 requests/s.
pub const MAX_IMPORT_ROWS: u64 = 10_000;

/// The most fields an Airtable table has: no update can name more (and the checks against the
/// schema stay bounded).
const MAX_TABLE_FIELDS: usize = 500;

/// The saga types and their steps, in order (compensation runs them backwards).
pub const TYPES: &[(&str, &[&str])] = &[
    ("import_file", &["prepare", "write_rows"]),
    ("bulk_update", &["snapshot", "update"]),
    ("sync_tables", &["plan", "apply"]),
];

/// The OpenAPI schema of a saga type: one of [`TYPES`].
pub fn type_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(TYPES.iter().map(|(kind, _)| *kind)))
        .build()
}

impl Child<TenantId> for Saga {
    const TAG: &'static str = "saga";
    fn key(&self, tenant: &TenantId) -> Key {
        keys::saga(tenant, &self.id)
    }
}

/// The steps of a type.
pub fn steps_of(kind: &str) -> Option<&'static [&'static str]> {
    TYPES.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s)
}

/// Where a saga is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SagaStatus)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Running,
    Completed,
    Compensating,
    Compensated,
    /// A compensation step failed: something is left to undo (see the log).
    CompensationFailed,
    /// A step failed before anything was changed.
    Failed,
}

impl Status {
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Running | Self::Compensating)
    }
}

/// One step as the record shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[schema(as = SagaStep)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub name: String,
    pub status: StepStatus,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
}

/// Where one step of a saga stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = SagaStepStatus)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    Failed,
    Undoing,
    Undone,
    UndoFailed,
}

impl StepStatus {
    /// As stored (and conditioned on in DynamoDB expressions).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Undoing => "undoing",
            Self::Undone => "undone",
            Self::UndoFailed => "undo_failed",
        }
    }
}

/// What undoing one step came to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = CompensationOutcome)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its changes were reverted.
    Undone,
    /// It had changed nothing.
    NothingToUndo,
    /// Its changes could not all be reverted: a human is needed.
    Failed,
}

/// One line of the compensation log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[schema(as = SagaLogEntry)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub step: String,
    pub outcome: Outcome,
    pub at: String,
    pub detail: String,
    /// A failed compensation's records still to delete by hand (their ids; in a saga's own view,
    /// not in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_record_ids: Option<Vec<String>>,
}

/// The saga item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Saga {
    pub id: SagaId,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: Status,
    pub input: Value,
    pub steps: Vec<Step>,
    #[serde(default)]
    pub compensation_log: Vec<LogEntry>,
    /// `{done, total}` of the step that reports progress.
    #[serde(default)]
    pub progress: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub cancel_requested: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A saga started (or asked to stop): the answer of `POST /saga/transaction`, of an import's
/// start and of a cancel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SagaStarted {
    pub transaction_id: SagaId,
    pub status: Status,
    /// `import_file`, `bulk_update` or `sync_tables` (on start).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// On cancel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_requested: Option<bool>,
}

/// A saga as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SagaView {
    pub transaction_id: SagaId,
    /// `import_file`, `bulk_update` or `sync_tables`.
    #[serde(rename = "type")]
    pub kind: String,
    pub status: Status,
    /// The checked input it was started with.
    pub input: Value,
    /// Every step in order, with timings, result and error.
    pub steps: Vec<Step>,
    /// What each compensation undid (or could not), in the order they ran.
    pub compensation_log: Vec<LogEntry>,
    /// `{step, done, total}` of the step that reports progress.
    pub progress: Option<Value>,
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Saga {
    /// The public view.
    pub fn view(&self) -> SagaView {
        SagaView {
            transaction_id: self.id.clone(),
            kind: self.kind.clone(),
            status: self.status,
            input: self.input.clone(),
            steps: self.steps.clone(),
            compensation_log: self.compensation_log.clone(),
            progress: self.progress.clone(),
            error: self.error.clone(),
            cancel_requested: self.cancel_requested,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }

    /// The view in a list: the same, without the ids of records a failed compensation left
    /// (up to one per imported row; the saga's own view has them), so a page of sagas stays small.
    pub fn list_view(&self) -> SagaView {
        let mut view = self.view();
        for entry in &mut view.compensation_log {
            entry.remaining_record_ids = None;
        }
        view
    }
}

/// What the state machine gets as input, and what every step message carries.
pub fn execution_input(tenant: &TenantId, saga: &SagaId) -> Value {
    json!({"transactionId": saga, "tenantId": tenant})
}

/// Starts a saga of `kind`: writes its record, then starts the execution named by its id (a
/// retried start of the same id starts nothing twice). Inputs are checked by the caller.
pub async fn start(
    store: &Store,
    sfn: &aws_sdk_sfn::Client,
    machines: &HashMap<String, String>,
    tenant: &TenantId,
    user: &UserId,
    kind: &str,
    input: Value,
) -> Result<Saga, ApiError> {
    let steps = steps_of(kind).ok_or_else(|| {
        ApiError::invalid("type", "must be import_file, bulk_update or sync_tables")
    })?;
    let arn = machines.get(kind).ok_or_else(|| ApiError::Unavailable {
        detail: format!("the {kind} saga is not deployed"),
        retry_after: None,
    })?;
    let now = platform::time::now_rfc3339();
    let saga = Saga {
        id: SagaId::generate(),
        kind: kind.to_owned(),
        status: Status::Running,
        input,
        steps: steps
            .iter()
            .map(|s| Step {
                name: (*s).into(),
                status: StepStatus::Pending,
                started_at: None,
                finished_at: None,
                result: None,
                error: None,
            })
            .collect(),
        compensation_log: Vec::new(),
        progress: None,
        error: None,
        cancel_requested: false,
        created_by: user.to_string(),
        created_at: now.clone(),
        updated_at: now,
    };
    store.put_new(&Under(tenant, &saga)).await?;
    let started = sfn
        .start_execution()
        .state_machine_arn(arn)
        .name(saga.id.as_str())
        .input(execution_input(tenant, &saga.id).to_string())
        .send()
        .await;
    if let Err(e) = started {
        let e = aws_sdk_sfn::error::DisplayErrorContext(e).to_string();
        let _ = store.delete(&keys::saga(tenant, &saga.id)).await;
        return Err(ApiError::internal(std::io::Error::other(format!(
            "StartExecution failed: {e}"
        ))));
    }
    Ok(saga)
}

/// What can be known about a saga's input without writing anything, checked before it starts
/// (after [`validate`]), with the problems the REST API gives for the same mistakes:
///
/// - 409 `airtable_not_connected` when the workspace has not connected Airtable;
/// - 403 unless every base it names (`baseId`, `sourceBaseId`, `targetBaseId`) is one the
///   tenant's token can see — a saga never sends a request to somebody else's base;
/// - 422 with the input's path for a table or field the base's schema does not have. The cached
///   schema answers; a name it lacks is looked up once more in Airtable itself (it may have been
///   created a moment ago) before it is refused.
pub async fn check_airtable(
    airtable: &airtable_client::Airtable,
    tenant: &TenantId,
    kind: &str,
    input: &Value,
) -> Result<(), ApiError> {
    let text = |k: &str| input.get(k).and_then(Value::as_str);
    let client = airtable.for_tenant(tenant).await?;
    for base in ["baseId", "sourceBaseId", "targetBaseId"]
        .into_iter()
        .filter_map(text)
    {
        client.check_base(base).await?;
    }
    let table = |base: &str, table: &str, path: &str| {
        let client = &client;
        let (base, table, path) = (base.to_owned(), table.to_owned(), path.to_owned());
        async move { table_of(client, &base, &table, &path, false).await }
    };
    match kind {
        "bulk_update" => {
            let (Some(base), Some(name)) = (text("baseId"), text("table")) else {
                return Ok(());
            };
            let wanted: Vec<&String> = input["fields"]
                .as_object()
                .map(|f| f.keys().collect())
                .unwrap_or_default();
            let missing = |t: &Value| -> Vec<String> {
                wanted
                    .iter()
                    .filter(|f| airtable_client::schema::find_field(t, f).is_none())
                    .map(|f| (*f).clone())
                    .collect()
            };
            let mut t = table(base, name, "input.table").await?;
            if !missing(&t).is_empty() {
                t = table_of(&client, base, name, "input.table", true).await?;
            }
            let errors: Vec<FieldError> = missing(&t)
                .into_iter()
                .map(|f| {
                    FieldError::new(
                        format!("input.fields.{f}"),
                        format!("table {name:?} has no such field"),
                    )
                })
                .collect();
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
        }
        "import_file" => {
            // The mapped fields may be new: the import creates the ones the table lacks.
            if let (Some(base), Some(name)) = (text("baseId"), text("table")) {
                table(base, name, "input.table").await?;
            }
        }
        "sync_tables" => {
            let (Some(source_base), Some(source), Some(target), Some(key)) = (
                text("sourceBaseId"),
                text("sourceTable"),
                text("targetTable"),
                text("keyField"),
            ) else {
                return Ok(());
            };
            let target_base = text("targetBaseId").unwrap_or(source_base);
            let wanted: Option<Vec<String>> = input.get("fields").and_then(|f| {
                f.as_array().map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
            });
            let (s, t) = (
                table(source_base, source, "input.sourceTable").await?,
                table(target_base, target, "input.targetTable").await?,
            );
            if airtable_client::schema::sync_fields(&s, &t, key, wanted.clone()).is_err() {
                let (s, t) = (
                    table_of(&client, source_base, source, "input.sourceTable", true).await?,
                    table_of(&client, target_base, target, "input.targetTable", true).await?,
                );
                airtable_client::schema::sync_fields(&s, &t, key, wanted).map_err(|e| match e {
                    // The tool's argument names, as the saga's input spells them.
                    ApiError::Validation(errors) => ApiError::Validation(
                        errors
                            .into_iter()
                            .map(|mut f| {
                                f.field = match f.field.strip_prefix("fields") {
                                    Some(index) => format!("input.fields{index}"),
                                    None => "input.keyField".to_owned(),
                                };
                                f
                            })
                            .collect(),
                    ),
                    other => other,
                })?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A table's schema, or 422 at `path`: from the cache (itself read once more from Airtable on a
/// miss), or `fresh` from Airtable now.
async fn table_of(
    client: &airtable_client::TenantClient<'_>,
    base: &str,
    table: &str,
    path: &str,
    fresh: bool,
) -> Result<Value, ApiError> {
    let schema = if fresh {
        client.fresh_table_schema(base, table).await
    } else {
        client.table_schema(base, table).await
    };
    schema.map_err(|e| no_table(e, base, table, path))
}

fn no_table(e: AirtableError, base: &str, table: &str, path: &str) -> ApiError {
    match e {
        AirtableError::Upstream { status: 404, .. } => {
            ApiError::invalid(path, format!("base {base} has no table {table:?}"))
        }
        other => other.into(),
    }
}

pub async fn validate(
    store: &Store,
    tenant: &TenantId,
    kind: &str,
    input: &Value,
) -> Result<Value, ApiError> {
    use platform::ids::{BaseId, FileId, RecordId, TableRef};
    let mut errors = Vec::new();
    let Some(obj) = input.as_object() else {
        return Err(ApiError::invalid("input", "must be an object"));
    };
    let base = |name: &str, errors: &mut Vec<FieldError>| match obj
        .get(name)
        .and_then(Value::as_str)
        .map(BaseId::parse)
    {
        Some(Ok(_)) => {}
        Some(Err(m)) => errors.push(FieldError::new(format!("input.{name}"), m)),
        None => errors.push(FieldError::new(format!("input.{name}"), "is required")),
    };
    let table = |name: &str, errors: &mut Vec<FieldError>| {
        if obj
            .get(name)
            .and_then(Value::as_str)
            .map(TableRef::parse)
            .is_none_or(|r| r.is_err())
        {
            errors.push(FieldError::new(
                format!("input.{name}"),
                "must be a table id (tbl…) or name",
            ));
        }
    };
    match kind {
        "import_file" => {
            base("baseId", &mut errors);
            match (obj.get("table"), obj.get("createTable")) {
                (Some(_), None) => table("table", &mut errors),
                (None, Some(c))
                    if c["name"]
                        .as_str()
                        .is_some_and(|n| !n.trim().is_empty() && n.chars().count() <= 255) => {}
                _ => errors.push(FieldError::new(
                    "input.table",
                    "give either table (an existing table) or createTable: {name}",
                )),
            }
            let mapping = obj.get("mapping").and_then(Value::as_object);
            if mapping.is_none_or(|m| {
                m.is_empty()
                    || m.values()
                        .any(|v| v.as_str().is_none_or(|f| f.trim().is_empty()))
            }) {
                errors.push(FieldError::new(
                    "input.mapping",
                    "must map file columns to field names: {\"column\": \"Field\"}",
                ));
            }
            match obj.get("fileId").and_then(Value::as_str).map(FileId::parse) {
                Some(Ok(id)) => {
                    let f: Option<files_core::FileRecord> =
                        store.get(&platform::store::keys::file(tenant, &id)).await?;
                    match f {
                        None => errors.push(FieldError::new("input.fileId", "no such file")),
                        Some(f) if f.status != files_core::FileStatus::Processed => errors.push(
                            FieldError::new("input.fileId", "the file is not processed yet"),
                        ),
                        Some(f) => {
                            let columns: Vec<String> = f
                                .preview
                                .map(|p| p.columns.into_iter().map(|c| c.name).collect())
                                .unwrap_or_default();
                            if columns.is_empty() {
                                errors.push(FieldError::new(
                                    "input.fileId",
                                    "the file holds no table",
                                ));
                            }
                            for col in mapping
                                .into_iter()
                                .flatten()
                                .map(|(k, _)| k)
                                .filter(|k| !columns.contains(k))
                            {
                                errors.push(FieldError::new(
                                    format!("input.mapping.{col}"),
                                    "is not a column of the file",
                                ));
                            }
                        }
                    }
                }
                _ => errors.push(FieldError::new("input.fileId", "must be a file id (fil_…)")),
            }
        }
        "bulk_update" => {
            base("baseId", &mut errors);
            table("table", &mut errors);
            match (
                obj.get("filterByFormula").and_then(Value::as_str),
                obj.get("recordIds").and_then(Value::as_array),
            ) {
                (Some(f), None) if !f.trim().is_empty() => {}
                (None, Some(ids)) if !ids.is_empty() && ids.len() <= 1000 => {
                    for (i, id) in ids.iter().enumerate() {
                        if id.as_str().map(RecordId::parse).is_none_or(|r| r.is_err()) {
                            errors.push(FieldError::new(
                                format!("input.recordIds[{i}]"),
                                "must be a record id (rec…)",
                            ));
                        }
                    }
                }
                _ => errors.push(FieldError::new(
                    "input.filterByFormula",
                    "give either filterByFormula or recordIds (1 to 1000)",
                )),
            }
            if obj
                .get("fields")
                .and_then(Value::as_object)
                .is_none_or(|f| f.is_empty() || f.len() > MAX_TABLE_FIELDS)
            {
                errors.push(FieldError::new(
                    "input.fields",
                    "must name the fields to set and their values (at most 500, as many as a table has)",
                ));
            }
        }
        "sync_tables" => {
            base("sourceBaseId", &mut errors);
            if obj.contains_key("targetBaseId") {
                base("targetBaseId", &mut errors);
            }
            table("sourceTable", &mut errors);
            table("targetTable", &mut errors);
            if obj
                .get("keyField")
                .and_then(Value::as_str)
                .is_none_or(|k| k.trim().is_empty())
            {
                errors.push(FieldError::new("input.keyField", "is required"));
            }
            if let Some(fields) = obj.get("fields").filter(|f| !f.is_null())
                && fields.as_array().is_none_or(|a| {
                    a.is_empty() || a.len() > MAX_TABLE_FIELDS || a.iter().any(|f| !f.is_string())
                })
            {
                errors.push(FieldError::new(
                    "input.fields",
                    "must list 1 to 500 field names",
                ));
            }
        }
        _ => errors.push(FieldError::new(
            "type",
            "must be import_file, bulk_update or sync_tables",
        )),
    }
    if errors.is_empty() {
        Ok(input.clone())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Loads a saga of the tenant.
pub async fn load(
    store: &Store,
    tenant: &TenantId,
    id: &SagaId,
) -> Result<Option<Saga>, StoreError> {
    store.get(&keys::saga(tenant, id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_statuses_are_stored_as_they_serialize() {
        use StepStatus::*;
        for status in [Pending, Running, Done, Failed, Undoing, Undone, UndoFailed] {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }

    #[test]
    fn every_type_has_steps_and_final_statuses_are_final() {
        assert_eq!(
            steps_of("import_file"),
            Some(&["prepare", "write_rows"][..])
        );
        assert!(steps_of("nope").is_none());
        assert!(Status::CompensationFailed.is_final() && !Status::Compensating.is_final());
        assert_eq!(
            serde_json::to_value(Status::CompensationFailed).unwrap(),
            "compensation_failed"
        );
    }
}
