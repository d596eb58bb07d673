//! `sync_tables`: make a target table match a source table by a key field. A dry run (the
//! default) returns the plan — creates, updates with each changed value, deletes — and a real run
//! applies it through the paced client (applied directly; the saga issue turns it into a saga
//! that undoes itself on failure).

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::analysis::cell_text;
use super::{CHANGE, Ctx, Hints, Tool};
use airtable_client::{ListQuery, MAX_PAGE_SIZE, schema};
use platform::error::ApiError;
use platform::ids::{BaseId, TableRef};

/// How long a real run waits for its saga before answering with the transaction to follow.
const SAGA_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Entries of each kind shown in a plan.
const SAMPLES: usize = 20;

pub struct SyncTables;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncArgs {
    source_base_id: BaseId,
    source_table: TableRef,
    /// Base of the target table (default: the source base).
    target_base_id: Option<BaseId>,
    target_table: TableRef,
    /// The field (present in both tables) whose value identifies a record.
    key_field: String,
    /// Fields to copy (default: every field present in both tables with the same name that can be
    /// written in the target).
    fields: Option<Vec<String>>,
    /// Also delete target records whose key is not in the source.
    #[serde(default)]
    delete_missing: bool,
    /// Only return the plan (default true). Set false to apply it.
    #[serde(default = "yes")]
    dry_run: bool,
    /// Convert values to the target's field types (default true).
    #[serde(default = "yes")]
    typecast: bool,
}

fn yes() -> bool {
    true
}

/// A target record to change.
#[derive(Debug, PartialEq, Serialize, Deserialize, Clone)]
pub struct Update {
    pub id: String,
    pub key: String,
    /// The new values of the fields that differ.
    pub changes: Map<String, Value>,
    /// Their values now.
    pub before: Map<String, Value>,
}

/// What a sync would do.
#[derive(Debug, Default, Serialize, Deserialize, Clone)]
pub struct Plan {
    /// Cell values of records to create.
    pub creates: Vec<Map<String, Value>>,
    pub updates: Vec<Update>,
    /// (target id, key).
    pub deletes: Vec<(String, String)>,
    pub unchanged: usize,
    /// Records left alone, and why.
    pub skipped: Vec<String>,
}

fn empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// Equal as Airtable means it: empty equals missing, 3 equals 3.0.
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    if empty(a) && empty(b) {
        return true;
    }
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn key_of(record: &Value, key_field: &str) -> String {
    cell_text(record["fields"].get(key_field).unwrap_or(&Value::Null))
        .trim()
        .to_owned()
}

/// Compares the tables by key over the mapped fields.
pub fn plan(
    source: &[Value],
    target: &[Value],
    key_field: &str,
    fields: &[String],
    delete_missing: bool,
) -> Plan {
    let mut plan = Plan::default();
    let mut by_key: HashMap<String, Vec<&Value>> = HashMap::new();
    for t in target {
        let key = key_of(t, key_field);
        if !key.is_empty() {
            by_key.entry(key).or_default().push(t);
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for s in source {
        let key = key_of(s, key_field);
        if key.is_empty() {
            plan.skipped.push(format!(
                "source record {} has an empty {key_field}",
                s["id"].as_str().unwrap_or("?")
            ));
            continue;
        }
        *seen.entry(key.clone()).or_default() += 1;
        if seen[&key] > 1 {
            plan.skipped.push(format!(
                "key {key:?} appears more than once in the source; only its first record is synced"
            ));
            continue;
        }
        match by_key.get(&key).map(Vec::as_slice) {
            None | Some([]) => {
                let values: Map<String, Value> = fields
                    .iter()
                    .filter_map(|f| {
                        s["fields"]
                            .get(f)
                            .filter(|v| !empty(Some(v)))
                            .map(|v| (f.clone(), v.clone()))
                    })
                    .collect();
                plan.creates.push(values);
            }
            Some([t]) => {
                let mut changes = Map::new();
                let mut before = Map::new();
                for f in fields {
                    let (new, old) = (s["fields"].get(f), t["fields"].get(f));
                    if !same(new, old) {
                        changes.insert(f.clone(), new.cloned().unwrap_or(Value::Null));
                        before.insert(f.clone(), old.cloned().unwrap_or(Value::Null));
                    }
                }
                if changes.is_empty() {
                    plan.unchanged += 1;
                } else {
                    plan.updates.push(Update {
                        id: t["id"].as_str().unwrap_or_default().to_owned(),
                        key,
                        changes,
                        before,
                    });
                }
            }
            Some(many) => plan.skipped.push(format!(
                "key {key:?} matches {} target records; resolve the duplicates first",
                many.len()
            )),
        }
    }
    if delete_missing {
        for (key, records) in &by_key {
            if !seen.contains_key(key) {
                plan.deletes.extend(
                    records
                        .iter()
                        .map(|t| (t["id"].as_str().unwrap_or_default().to_owned(), key.clone())),
                );
            }
        }
        plan.deletes.sort();
    }
    plan
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncOut {
    dry_run: bool,
    key_field: String,
    mapped_fields: Vec<String>,
    source_records: usize,
    target_records: usize,
    /// Counts: `{create, update, delete, unchanged, skipped}`.
    plan: Value,
    /// Up to 20 of each: keys to create, `{id, key, changes: {field: {from, to}}}` to update,
    /// `{id, key}` to delete.
    samples: Value,
    /// Why records were left alone (up to 20).
    skipped: Vec<String>,
    /// A real run's saga: `{transactionId, status, result: {created, updated, deleted}, error,
    /// compensationLog}`; a status of `running` means it goes on (GET /api/v1/saga/transaction/{id}).
    #[serde(skip_serializing_if = "Option::is_none")]
    applied: Option<Value>,
}

impl Tool for SyncTables {
    const NAME: &'static str = "sync_tables";
    const TITLE: &'static str = "Sync two tables";
    const DESCRIPTION: &'static str = "Make a target table match a source table, matching records by key_field: records missing from \
        the target are created, records whose copied fields differ are updated, and with delete_missing=true target records absent \
        from the source are deleted. dry_run=true (the default) only returns the plan with samples of each change; run it first and \
        show the user, then call again with dry_run=false to apply: the change runs as a saga that undoes itself if any part fails \
        (applied.status: completed, compensated, or running for large syncs). Linked-record, collaborator, attachment and computed fields are \
        not copied unless named in `fields`.";
    const HINTS: Hints = CHANGE;
    type Args = SyncArgs;
    type Output = SyncOut;

    async fn run(ctx: &Ctx<'_>, args: SyncArgs) -> Result<SyncOut, ApiError> {
        let key_field = args.key_field.trim().to_owned();
        if key_field.is_empty() {
            return Err(ApiError::invalid("key_field", "is required"));
        }
        let source_base = args.source_base_id.as_str();
        let target_base = args
            .target_base_id
            .as_ref()
            .unwrap_or(&args.source_base_id)
            .as_str();
        let source_schema = ctx
            .airtable
            .table_schema(source_base, args.source_table.as_str())
            .await?;
        let target_schema = ctx
            .airtable
            .table_schema(target_base, args.target_table.as_str())
            .await?;
        if source_base == target_base && source_schema["id"] == target_schema["id"] {
            return Err(ApiError::invalid("target_table", "is the source table"));
        }
        let (key_field, fields) =
            schema::sync_fields(&source_schema, &target_schema, &key_field, args.fields)?;
        let query = ListQuery {
            fields: fields.clone(),
            page_size: Some(MAX_PAGE_SIZE),
            ..Default::default()
        };
        let source_table = source_schema["id"]
            .as_str()
            .unwrap_or(args.source_table.as_str())
            .to_owned();
        let target_table = target_schema["id"]
            .as_str()
            .unwrap_or(args.target_table.as_str())
            .to_owned();
        // A real run plans from fresh reads: a cached page could hide a record written a moment ago.
        let fresh = !args.dry_run;
        let (source, _) = ctx
            .airtable
            .cached_all(source_base, &source_table, &query, fresh)
            .await?;
        let (target, _) = ctx
            .airtable
            .cached_all(target_base, &target_table, &query, fresh)
            .await?;
        let plan = plan(&source, &target, &key_field, &fields, args.delete_missing);

        let samples = json!({
            "create": plan.creates.iter().take(SAMPLES).map(|c| c.get(&key_field).map(cell_text).unwrap_or_default()).collect::<Vec<_>>(),
            "update": plan.updates.iter().take(SAMPLES).map(|u| {
                let diff: Map<String, Value> = u.changes.iter().map(|(f, to)| (f.clone(), json!({"from": u.before.get(f), "to": to}))).collect();
                json!({"id": u.id, "key": u.key, "changes": diff})
            }).collect::<Vec<_>>(),
            "delete": plan.deletes.iter().take(SAMPLES).map(|(id, key)| json!({"id": id, "key": key})).collect::<Vec<_>>(),
        });
        let counts = json!({
            "create": plan.creates.len(), "update": plan.updates.len(), "delete": plan.deletes.len(),
            "unchanged": plan.unchanged, "skipped": plan.skipped.len(),
        });
        let applied = if args.dry_run {
            None
        } else {
            // A real run is a saga: it records what it changes and undoes it all if any part fails.
            let input = json!({
                "sourceBaseId": source_base, "sourceTable": source_table, "targetBaseId": target_base, "targetTable": target_table,
                "keyField": key_field, "fields": fields, "deleteMissing": args.delete_missing, "typecast": args.typecast,
            });
            let tb = ctx.toolbox;
            let (tenant, user) = (&ctx.identity.tenant, ctx.identity.user_id());
            let mut saga = saga_core::start(
                &tb.store,
                &tb.sfn,
                &tb.sagas,
                tenant,
                user,
                "sync_tables",
                input,
            )
            .await?;
            let until = tokio::time::Instant::now() + SAGA_WAIT;
            // A cancelled call stops waiting, not the saga: it completes or undoes itself whole.
            while !saga.status.is_final()
                && tokio::time::Instant::now() < until
                && !ctx.airtable.progress().cancelled().await
            {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                if let Some(s) = saga_core::load(&tb.store, tenant, &saga.id).await? {
                    saga = s;
                }
            }
            Some(json!({
                "transactionId": saga.id, "status": saga.status, "result": saga.steps.last().and_then(|s| s.result.clone()),
                "error": saga.error, "compensationLog": saga.compensation_log,
            }))
        };
        Ok(SyncOut {
            dry_run: args.dry_run,
            key_field,
            mapped_fields: fields,
            source_records: source.len(),
            target_records: target.len(),
            plan: counts,
            samples,
            skipped: plan.skipped.into_iter().take(SAMPLES).collect(),
            applied,
        })
    }

    fn summary(out: &SyncOut) -> String {
        let verb = if out.dry_run { "would" } else { "did" };
        format!(
            "{verb} create {}, update {}, delete {}",
            out.plan["create"], out.plan["update"], out.plan["delete"]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, fields: Value) -> Value {
        json!({"id": id, "fields": fields})
    }

    #[test]
    fn the_plan_creates_updates_deletes_and_leaves_equal_records_alone() {
        let source = vec![
            rec("recS1", json!({"Code": "A", "Qty": 1})),
            rec("recS2", json!({"Code": "B", "Qty": 2.0, "Note": "x"})),
            rec("recS3", json!({"Code": "C", "Qty": 5})),
            rec("recS4", json!({"Qty": 9})),
            rec("recS5", json!({"Code": "C", "Qty": 6})),
        ];
        let target = vec![
            rec("recT1", json!({"Code": "A", "Qty": 1, "Done": false})),
            rec("recT2", json!({"Code": "B", "Qty": 2, "Note": "y"})),
            rec("recT9", json!({"Code": "Z", "Qty": 0})),
        ];
        let fields = vec!["Code".to_owned(), "Qty".to_owned(), "Note".to_owned()];
        let p = plan(&source, &target, "Code", &fields, true);
        assert_eq!(p.unchanged, 1, "A is equal (missing equals empty)");
        assert_eq!(p.updates.len(), 1);
        let u = &p.updates[0];
        assert_eq!((u.id.as_str(), u.key.as_str()), ("recT2", "B"));
        assert_eq!(
            &u.changes,
            json!({"Note": "x"}).as_object().unwrap(),
            "2.0 equals 2"
        );
        assert_eq!(u.before["Note"], "y");
        assert_eq!(
            p.creates,
            vec![json!({"Code": "C", "Qty": 5}).as_object().unwrap().clone()]
        );
        assert_eq!(p.deletes, vec![("recT9".to_owned(), "Z".to_owned())]);
        assert_eq!(
            p.skipped.len(),
            2,
            "an empty key and a repeated key: {:?}",
            p.skipped
        );
        let keep = plan(&source, &target, "Code", &fields, false);
        assert!(keep.deletes.is_empty());
    }

    #[test]
    fn a_key_matching_two_target_records_is_skipped_not_guessed() {
        let source = vec![rec("recS1", json!({"Code": "A", "Qty": 3}))];
        let target = vec![
            rec("recT1", json!({"Code": "A"})),
            rec("recT2", json!({"Code": "A"})),
        ];
        let p = plan(
            &source,
            &target,
            "Code",
            &["Code".into(), "Qty".into()],
            false,
        );
        assert!(p.updates.is_empty() && p.creates.is_empty());
        assert!(p.skipped[0].contains("matches 2 target records"));
    }

    #[test]
    fn the_default_mapping_skips_computed_and_id_valued_fields() {
        let source = json!({"fields": [
            {"name": "Code", "type": "singleLineText"}, {"name": "Qty", "type": "number"},
            {"name": "Link", "type": "multipleRecordLinks"}, {"name": "Calc", "type": "formula"}, {"name": "Only here", "type": "email"}]});
        let target = json!({"fields": [
            {"name": "Code", "type": "singleLineText"}, {"name": "Qty", "type": "number"},
            {"name": "Link", "type": "multipleRecordLinks"}, {"name": "Calc", "type": "formula"}]});
        assert_eq!(
            schema::sync_fields(&source, &target, "Code", None)
                .unwrap()
                .1,
            vec!["Code", "Qty"]
        );
        assert!(schema::sync_fields(&source, &target, "Nope", None).is_err());
        // A computed key in the source (an autonumber, say) is still read and copied.
        let source = json!({"fields": [{"id": "fldK", "name": "Code", "type": "autoNumber"}, {"name": "Qty", "type": "number"}]});
        assert_eq!(
            schema::sync_fields(&source, &target, "fldK", None).unwrap(),
            ("Code".to_owned(), vec!["Code".to_owned(), "Qty".to_owned()])
        );
        let err =
            schema::sync_fields(&source, &target, "Code", Some(vec!["Calc".into()])).unwrap_err();
        assert!(
            matches!(err, ApiError::Validation(ref e) if e[0].field == "fields[0]"),
            "{err:?}"
        );
    }
}
