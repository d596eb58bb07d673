//! The one Airtable tool registry. Each tool is defined once — name, a description written for
//! an LLM, typed arguments (their JSON Schema is generated from the same struct that parses
//! them), a typed output (its schema likewise), annotations, and a handler that runs as a tenant
//! through `airtable_client` (paced, cached, chunked). The MCP server lists and calls these; the
//! chat orchestrator hands them to the model; workflow steps call them by name.
//!
//! Every failure — bad arguments, a role that may not write, Airtable refusing — comes back as
//! an [`ApiError`], never as a crash; each caller renders it at its own edge ([`error_json`]
//! with a hint, so a model can read it and correct itself).

pub mod analysis;
mod read;
mod schema_tools;
pub mod sync;
mod write;

use std::future::Future;
use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use airtable_client::{Airtable, ConnectionRead, Progress, TenantClient};
use platform::auth::{Identity, Role};
use platform::error::{ApiError, FieldError};

/// How long one tool call may keep starting Airtable requests: it must answer inside the
/// function's 29 s timeout, with a tool error that says what happened rather than a timeout.
const TOOL_BUDGET: std::time::Duration = std::time::Duration::from_secs(22);

/// How a tool behaves, for clients deciding what to confirm with a user (MCP annotations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    /// Reads only; viewers may call it.
    pub read_only: bool,
    /// May delete or overwrite data.
    pub destructive: bool,
    /// Calling it twice with the same arguments does nothing more than once.
    pub idempotent: bool,
}

const READ: Hints = Hints {
    read_only: true,
    destructive: false,
    idempotent: true,
};
const ADD: Hints = Hints {
    read_only: false,
    destructive: false,
    idempotent: false,
};
const CHANGE: Hints = Hints {
    read_only: false,
    destructive: true,
    idempotent: true,
};

/// A tool as clients see it.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub hints: Hints,
    /// JSON Schema (2020-12) of the arguments: an object.
    pub input_schema: Map<String, Value>,
    /// JSON Schema of `structuredContent` on success: an object.
    pub output_schema: Map<String, Value>,
}

/// What a successful call produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The tool's output (its output schema's shape).
    pub value: Value,
    /// One line for logs, chat transcripts and execution histories.
    pub summary: String,
}

/// The environment tools run in; built once per cold start by each function that uses them.
#[derive(Clone)]
pub struct Toolbox {
    pub airtable: Airtable,
    pub store: platform::store::Store,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub sfn: aws_sdk_sfn::Client,
    /// Saga state machines by type (`sync_tables` runs as one).
    pub sagas: std::sync::Arc<std::collections::HashMap<String, String>>,
}

impl Toolbox {
    /// The toolbox of a function, from its configuration and clients.
    pub fn new(
        config: &platform::config::Config,
        aws: &platform::aws::AwsClients,
        store: platform::store::Store,
    ) -> Self {
        let airtable = Airtable::new(
            &config.airtable_api_url,
            store.clone(),
            aws.kms().clone(),
            config.kms_key_id.clone(),
        );
        Self {
            airtable,
            store,
            s3: aws.s3().clone(),
            bucket: config.uploads_bucket.clone(),
            sfn: aws.sfn().clone(),
            sagas: std::sync::Arc::new(config.saga_state_machines.clone()),
        }
    }
}

/// What a handler gets: the caller, its Airtable session, and the toolbox.
pub struct Ctx<'a> {
    pub identity: &'a Identity,
    pub airtable: TenantClient<'a>,
    pub toolbox: &'a Toolbox,
}

/// One tool. Implemented by a unit struct per tool in this module's files.
trait Tool {
    const NAME: &'static str;
    const TITLE: &'static str;
    const DESCRIPTION: &'static str;
    const HINTS: Hints;
    type Args: DeserializeOwned + JsonSchema;
    type Output: Serialize + JsonSchema;
    fn run(
        ctx: &Ctx<'_>,
        args: Self::Args,
    ) -> impl Future<Output = Result<Self::Output, ApiError>> + Send;
    /// One line saying what happened.
    fn summary(out: &Self::Output) -> String;
    /// The output as JSON. Serializing copies every value; a tool whose output carries pages of
    /// records moves them instead.
    fn into_value(out: Self::Output) -> serde_json::Result<Value> {
        serde_json::to_value(&out)
    }
}

fn schema_of<T: JsonSchema>() -> Map<String, Value> {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            // Clients and models read flat schemas best: no `$ref`s, no `$defs`.
            s.inline_subschemas = true;
        })
        .into_generator();
    let mut schema = match generator.into_root_schema_for::<T>().to_value() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    schema.remove("title");
    schema.remove("$schema");
    schema.entry("type").or_insert_with(|| json!("object"));
    let mut schema = Value::Object(schema);
    objects_for_booleans(&mut schema);
    match schema {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// JSON Schema keywords whose value is one sub-schema (`items` may also be a list of them).
pub const ONE_SCHEMA: [&str; 10] = [
    "items",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "additionalItems",
    "contentSchema",
];
/// Keywords whose value is a list of sub-schemas.
pub const SCHEMA_LISTS: [&str; 4] = ["prefixItems", "allOf", "anyOf", "oneOf"];
/// Keywords whose value is a map of sub-schemas.
pub const SCHEMA_MAPS: [&str; 6] = [
    "properties",
    "patternProperties",
    "dependentSchemas",
    "dependencies",
    "$defs",
    "definitions",
];
/// Keywords whose `false` closes an object to other properties (kept as written).
pub const CLOSING: [&str; 2] = ["additionalProperties", "unevaluatedProperties"];

/// Writes every boolean sub-schema as an object (`true` → `{}`, `false` → `{"not": {}}`): JSON
/// Schema allows both, but MCP's schema for tools (and the TypeScript SDK, which validates it)
/// wants objects. `additionalProperties: false` (and `unevaluatedProperties: false`) stay as
/// written: clients and model providers read exactly that to know extra arguments are refused.
fn objects_for_booleans(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    let fix = |v: &mut Value| match v {
        Value::Bool(true) => *v = json!({}),
        Value::Bool(false) => *v = json!({"not": {}}),
        other => objects_for_booleans(other),
    };
    for (key, value) in map.iter_mut() {
        let key = key.as_str();
        if ONE_SCHEMA.contains(&key) {
            match value {
                Value::Array(list) => list.iter_mut().for_each(fix),
                one => fix(one),
            }
        } else if SCHEMA_LISTS.contains(&key) {
            value.as_array_mut().into_iter().flatten().for_each(fix);
        } else if SCHEMA_MAPS.contains(&key) {
            // `dependencies` may also map to lists of names: only schemas are rewritten.
            value
                .as_object_mut()
                .into_iter()
                .flat_map(|m| m.values_mut())
                .filter(|v| !v.is_array())
                .for_each(fix);
        } else if CLOSING.contains(&key) {
            match value {
                Value::Bool(true) => *value = json!({}),
                other => objects_for_booleans(other),
            }
        }
    }
}

impl ToolSpec {
    fn of<T: Tool>() -> Self {
        Self {
            name: T::NAME,
            title: T::TITLE,
            description: T::DESCRIPTION,
            hints: T::HINTS,
            input_schema: schema_of::<T::Args>(),
            output_schema: schema_of::<T::Output>(),
        }
    }
}

/// Lists the tools once and generates the dispatch from the same list, so a tool cannot be
/// listed without being callable or the other way round.
macro_rules! registry {
    ($($tool:ty),* $(,)?) => {
        static SPECS: LazyLock<Vec<ToolSpec>> = LazyLock::new(|| vec![$(ToolSpec::of::<$tool>()),*]);

        async fn dispatch(
            toolbox: &Toolbox,
            identity: &Identity,
            name: &str,
            args: Value,
            progress: Progress,
            connection: ConnectionRead,
        ) -> Option<Result<(Value, String), ApiError>> {
            $(
                if name == <$tool as Tool>::NAME {
                    return Some(run_one::<$tool>(toolbox, identity, args, progress, connection).await);
                }
            )*
            None
        }
    };
}

registry!(
    read::ListBases,
    read::ListTables,
    read::DescribeTable,
    read::GetRecords,
    read::GetRecord,
    read::SearchRecords,
    write::CreateRecord,
    write::BatchCreateRecords,
    write::UpdateRecord,
    write::BatchUpdateRecords,
    write::UpsertRecords,
    write::DeleteRecord,
    write::DeleteRecords,
    schema_tools::CreateTable,
    schema_tools::CreateField,
    schema_tools::CreateMetadataTable,
    analysis::AnalyzeTableData,
    analysis::FindDuplicates,
    analysis::ExportTableCsv,
    sync::SyncTables,
);

/// Every tool, in a fixed order.
pub fn specs() -> &'static [ToolSpec] {
    &SPECS
}

/// The tools a role may call: viewers get the read-only ones.
pub fn specs_for(role: Role) -> impl Iterator<Item = &'static ToolSpec> {
    specs()
        .iter()
        .filter(move |s| s.hints.read_only || role.at_least(Role::Member))
}

/// The tool with this name.
pub fn spec(name: &str) -> Option<&'static ToolSpec> {
    specs().iter().find(|s| s.name == name)
}

/// Parses arguments with the path of the first bad one (`records[2].fields`).
fn parse_args<T: DeserializeOwned>(args: Value) -> Result<T, ApiError> {
    // A client may send no arguments at all for a tool that needs none.
    let args = if args.is_null() { json!({}) } else { args };
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "arguments".to_owned()
        } else {
            path
        };
        ApiError::Validation(vec![FieldError::new(field, e.into_inner().to_string())])
    })
}

async fn run_one<T: Tool>(
    toolbox: &Toolbox,
    identity: &Identity,
    args: Value,
    progress: Progress,
    connection: ConnectionRead,
) -> Result<(Value, String), ApiError> {
    if !T::HINTS.read_only {
        identity.require_writer()?;
    }
    let args: T::Args = parse_args(args)?;
    let airtable = toolbox
        .airtable
        .session(&identity.tenant, connection)
        .await?
        .with_deadline(tokio::time::Instant::now() + TOOL_BUDGET)
        .with_progress(progress);
    let ctx = Ctx {
        identity,
        airtable,
        toolbox,
    };
    let out = T::run(&ctx, args).await?;
    let summary = T::summary(&out);
    Ok((T::into_value(out).map_err(ApiError::internal)?, summary))
}

/// What to do about an error, for a model reading it.
fn hint(code: &str, airtable_type: Option<&str>) -> &'static str {
    if matches!(
        airtable_type,
        Some("ROW_DOES_NOT_EXIST" | "NOT_FOUND" | "TABLE_NOT_FOUND" | "MODEL_ID_NOT_FOUND")
    ) {
        return "A record, table or base id does not exist (any more): read the table again (get_records, list_tables) for current ids.";
    }
    match code {
        "validation_failed" => {
            "Fix the arguments named in `errors` (see the tool's input schema) and call again."
        }
        "forbidden" => "The caller's role cannot do this; viewers may only use read-only tools.",
        "airtable_not_connected" => {
            "Ask an owner or admin of the workspace to connect Airtable first."
        }
        "airtable_not_found" => {
            "Check the ids and names: list_bases gives base ids, list_tables and describe_table give table and field names."
        }
        "airtable_invalid_request" | "airtable_bad_request" => {
            "Check field names and value types with describe_table; typecast: true converts text to numbers, dates and select options."
        }
        "airtable_forbidden" => {
            "The connected Airtable token cannot access this base or table, or lacks the scope for this action."
        }
        "airtable_unauthorized" => {
            "The connected Airtable token was refused; an owner or admin must reconnect Airtable."
        }
        "airtable_rate_limited" | "airtable_unavailable" => {
            "Airtable is busy; wait `retryAfter` seconds and call again."
        }
        "airtable_partial_write" => {
            "Some records were written (their ids are in `detail`); read the table to see which inputs are missing and send only those."
        }
        "cancelled" => {
            "The call was cancelled as asked; `detail` says what it had done (and which records it wrote) before it stopped."
        }
        "airtable_outcome_unknown" => {
            "The write may have been applied; read the table before trying again."
        }
        "too_large" | "airtable_too_large" => {
            "Narrow the request (fields, filter_by_formula, view, max_records) or split it, and call again."
        }
        _ => "Try again later; if it keeps failing, report the requestId.",
    }
}

/// Runs a tool by name as the caller: its output, or the error as any handler's (bad arguments,
/// a role that may not write, Airtable refusing). Each edge turns the error into its own JSON:
/// [`error_json`] is what a model reads (MCP, chat), and the workflow steps decide from the
/// error itself whether a retry may help.
pub async fn call(
    toolbox: &Toolbox,
    identity: &Identity,
    name: &str,
    args: Value,
) -> Result<Output, ApiError> {
    call_with_progress(
        toolbox,
        identity,
        name,
        args,
        Progress::none(),
        ConnectionRead::NotYet,
    )
    .await
}

/// [`call`], reporting the records read or written to `progress` and stopping at the next page
/// or chunk once it is cancelled (the error then says what was done); with the workspace's
/// connection when the edge read it ahead.
pub async fn call_with_progress(
    toolbox: &Toolbox,
    identity: &Identity,
    name: &str,
    args: Value,
    progress: Progress,
    connection: ConnectionRead,
) -> Result<Output, ApiError> {
    let outcome = match dispatch(toolbox, identity, name, args, progress, connection).await {
        Some(outcome) => outcome,
        None => Err(ApiError::bad_request(
            "unknown_tool",
            format!("there is no tool named {name:?}; list the tools to see their names"),
        )),
    };
    // Unknown names are not counted: they are not tools, and would grow the dimensions.
    if spec(name).is_some() {
        platform::telemetry::record::tool_call(name, outcome.is_ok());
    }
    if let Err(e) = &outcome
        && !matches!(e, ApiError::Validation(_) | ApiError::Forbidden(_))
    {
        tracing::info!(tool = name, code = e.code(), "tool call failed");
    }
    outcome.map(|(value, summary)| Output { value, summary })
}

/// A failed call as a model reads it: `{"error": {code, detail, airtableType?, errors?, hint,
/// retryAfter?}}`.
pub fn error_json(e: &ApiError) -> Value {
    let (problem, _) = e.to_problem();
    let mut value =
        serde_json::to_value(&problem).unwrap_or_else(|_| json!({"code": problem.code}));
    value["hint"] = json!(hint(&problem.code, problem.airtable_type.as_deref()));
    if let Some(secs) = e.retry_after() {
        value["retryAfter"] = json!(secs);
    }
    json!({ "error": value })
}

/// A failed call in one line (`code: detail`), for logs, transcripts and run histories.
pub fn error_summary(e: &ApiError) -> String {
    let (problem, _) = e.to_problem();
    format!(
        "{}: {}",
        problem.code,
        problem.detail.as_deref().unwrap_or("")
    )
}

/// Keeps the named fields of each record (all when `fields` is empty).
fn project(mut record: Value, fields: &[String]) -> Value {
    if !fields.is_empty()
        && let Some(map) = record.get_mut("fields").and_then(Value::as_object_mut)
    {
        map.retain(|k, _| fields.iter().any(|f| f == k));
    }
    record
}

/// A table's schema and the names of the fields each argument lists (given by name or `fld…`
/// id; records are keyed by name). A field missing from the cached schema re-reads it once (it
/// may be new); still missing is a 422 naming the argument.
async fn table_with_fields(
    ctx: &Ctx<'_>,
    base: &str,
    table: &str,
    args: &[(&str, &[String])],
) -> Result<(Value, Vec<Vec<String>>), ApiError> {
    use airtable_client::schema::find_field;
    let mut t = ctx.airtable.table_schema(base, table).await?;
    let all_known = |t: &Value| {
        args.iter()
            .all(|(_, fields)| fields.iter().all(|f| find_field(t, f).is_some()))
    };
    if !all_known(&t) {
        t = ctx.airtable.fresh_table_schema(base, table).await?;
    }
    let mut errors = Vec::new();
    let mut names = Vec::new();
    for (arg, fields) in args {
        let mut list = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            match find_field(&t, f).and_then(|x| x["name"].as_str()) {
                Some(name) => list.push(name.to_owned()),
                None => errors.push(FieldError::new(
                    format!("{arg}[{i}]"),
                    format!("the table has no field {f:?}"),
                )),
            }
        }
        names.push(list);
    }
    if errors.is_empty() {
        Ok((t, names))
    } else {
        Err(ApiError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_an_object_schema_a_description_and_a_unique_name() {
        let names: Vec<&str> = specs().iter().map(|s| s.name).collect();
        assert_eq!(names.len(), 20);
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        for s in specs() {
            assert_eq!(s.input_schema["type"], "object", "{}", s.name);
            assert_eq!(s.output_schema["type"], "object", "{}", s.name);
            assert!(s.description.len() > 40, "{}", s.name);
            assert!(
                !s.input_schema.contains_key("$defs"),
                "{} schema is flat",
                s.name
            );
            assert!(!(s.hints.read_only && s.hints.destructive), "{}", s.name);
        }
    }

    #[test]
    fn viewers_see_only_read_only_tools() {
        let viewer: Vec<&str> = specs_for(Role::Viewer).map(|s| s.name).collect();
        assert!(viewer.contains(&"get_records") && viewer.contains(&"export_table_csv"));
        assert!(!viewer.contains(&"create_record") && !viewer.contains(&"sync_tables"));
        assert_eq!(specs_for(Role::Member).count(), specs().len());
    }

    #[test]
    fn argument_errors_name_the_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct A {
            base_id: platform::ids::BaseId,
        }
        let err = parse_args::<A>(json!({"base_id": "nope"})).unwrap_err();
        let ApiError::Validation(errors) = err else {
            panic!()
        };
        assert_eq!(errors[0].field, "base_id");
        assert!(errors[0].message.contains("app"), "{}", errors[0].message);
    }

    #[test]
    fn the_schema_of_an_id_argument_carries_its_pattern() {
        let spec = spec("get_record").unwrap();
        assert_eq!(
            spec.input_schema["properties"]["record_id"]["pattern"],
            "^rec[A-Za-z0-9]{14}$"
        );
        assert_eq!(spec.input_schema["additionalProperties"], false);
    }
}
