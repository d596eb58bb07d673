//! Each connected base's schema as an MCP resource (`airtable://bases/{baseId}/schema`, JSON), so
//! clients that attach context (Claude Desktop, VS Code) can give a model the schema without a
//! tool call; and completion of base ids, table and field names from the same cached reads. Both
//! go through the tenant's paced, cached Airtable client, so they only ever show what the
//! workspace's token can read.

use airtable_client::{AirtableError, TenantClient};
use platform::error::ApiError;
use platform::ids::BaseId;
use rmcp::ErrorData;
use rmcp::model::{CompletionInfo, Resource, ResourceContents, ResourceTemplate};
use serde_json::{Value, json};

pub const SCHEMA_TEMPLATE: &str = "airtable://bases/{baseId}/schema";
const JSON: &str = "application/json";

/// The URI of a base's schema.
pub fn schema_uri(base: &str) -> String {
    format!("airtable://bases/{base}/schema")
}

/// The base a schema URI names, if the URI is exactly one (no spaces, no other spelling).
pub fn parse_schema_uri(uri: &str) -> Option<BaseId> {
    let base = uri
        .strip_prefix("airtable://bases/")?
        .strip_suffix("/schema")?;
    BaseId::parse(base)
        .ok()
        .filter(|b| schema_uri(b.as_str()) == uri)
}

/// A failure as a JSON-RPC error: what the caller cannot read is "not found", the rest says why.
pub fn rpc_error(e: AirtableError) -> ErrorData {
    let (problem, _) = ApiError::from(e).to_problem();
    let data = Some(json!({"code": problem.code, "status": problem.status}));
    let message = problem
        .detail
        .clone()
        .unwrap_or_else(|| problem.title.clone());
    match problem.status {
        403 | 404 => ErrorData::resource_not_found(message, data),
        409 | 424 => ErrorData::invalid_request(message, data),
        _ => ErrorData::internal_error(message, data),
    }
}

/// The template clients fill in with a base id.
pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(SCHEMA_TEMPLATE, "base-schema")
            .with_title("Airtable base schema")
            .with_description("Tables, fields (with types and options) and views of one base, as Airtable's meta API returns them.")
            .with_mime_type(JSON),
    ]
}

/// One schema resource per base the workspace's token can see.
pub async fn list(session: &TenantClient<'_>) -> Result<Vec<Resource>, AirtableError> {
    let (bases, _) = session.cached_bases(false).await?;
    Ok(bases
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| {
            let (id, name) = (b["id"].as_str()?, b["name"].as_str().unwrap_or("base"));
            Some(
                Resource::new(schema_uri(id), format!("{name} schema"))
                    .with_title(format!("Schema of {name}"))
                    .with_description(format!(
                        "Tables and fields of the Airtable base {name} ({id})."
                    ))
                    .with_mime_type(JSON),
            )
        })
        .collect())
}

/// A base's schema, from the cache (read from Airtable on a miss).
pub async fn read(session: &TenantClient<'_>, uri: &str) -> Result<ResourceContents, ErrorData> {
    let Some(base) = parse_schema_uri(uri) else {
        return Err(ErrorData::resource_not_found(
            format!(
                "no resource {uri:?}; resources/templates/list gives the URI pattern ({SCHEMA_TEMPLATE})"
            ),
            None,
        ));
    };
    session.check_base(base.as_str()).await.map_err(rpc_error)?;
    let (schema, _) = session
        .cached_schema(base.as_str(), false)
        .await
        .map_err(rpc_error)?;
    let text = serde_json::to_string(&schema)
        .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
    Ok(ResourceContents::TextResourceContents {
        uri: uri.to_owned(),
        mime_type: Some(JSON.into()),
        text,
        meta: None,
    })
}

/// What an argument is, for completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completes {
    Base,
    Table,
    Field,
}

/// Which kind of value an argument name takes (tool, prompt and template arguments share names).
pub fn completes(argument: &str) -> Option<Completes> {
    match argument {
        "base_id" | "baseId" | "source_base_id" | "target_base_id" => Some(Completes::Base),
        "table" | "source_table" | "target_table" => Some(Completes::Table),
        "field" | "fields" | "key_field" => Some(Completes::Field),
        _ => None,
    }
}

/// The candidates ranked — prefix matches of what was typed first, then the ones containing
/// it (by the candidate, or by its `also` text, e.g. a base's name) — at most
/// `CompletionInfo::MAX_VALUES`, with the total.
fn matching(candidates: impl IntoIterator<Item = (String, String)>, typed: &str) -> CompletionInfo {
    let typed = typed.trim().to_lowercase();
    let mut ranked: Vec<(u8, String)> = candidates
        .into_iter()
        .filter_map(|(value, also)| {
            let (v, a) = (value.to_lowercase(), also.to_lowercase());
            let rank = if v.starts_with(&typed) {
                0
            } else if a.starts_with(&typed) {
                1
            } else if v.contains(&typed) || a.contains(&typed) {
                2
            } else {
                return None;
            };
            Some((rank, value))
        })
        .collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    let mut values: Vec<String> = ranked.into_iter().map(|(_, v)| v).collect();
    values.dedup();
    let total = values.len();
    values.truncate(CompletionInfo::MAX_VALUES);
    // Never more than MAX_VALUES values, so this cannot fail.
    CompletionInfo::with_pagination(
        values,
        Some(total as u32),
        total > CompletionInfo::MAX_VALUES,
    )
    .unwrap_or_default()
}

fn nothing() -> CompletionInfo {
    matching([], "")
}

/// Completes a base id (by id or name), a table name of `base`, or a field name of `base`'s
/// `table`; nothing when the context lacks what the argument depends on, or names a base the
/// workspace's token does not list. Reads only cached lists (the bases, the names of a base's
/// tables and fields), so typing costs no Airtable request once they are cached.
pub async fn complete(
    session: &TenantClient<'_>,
    kind: Completes,
    typed: &str,
    base: Option<&str>,
    table: Option<&str>,
) -> Result<CompletionInfo, AirtableError> {
    let (bases, _) = session.cached_bases(false).await?;
    let bases = bases.as_array().cloned().unwrap_or_default();
    if kind == Completes::Base {
        let ids = bases.iter().filter_map(|b| {
            Some((
                b["id"].as_str()?.to_owned(),
                b["name"].as_str().unwrap_or("").to_owned(),
            ))
        });
        return Ok(matching(ids, typed));
    }
    let Some(base) = base.filter(|b| bases.iter().any(|x| x["id"].as_str() == Some(b))) else {
        return Ok(nothing());
    };
    let names = session.cached_names(base).await?;
    let tables = names.as_array().cloned().unwrap_or_default();
    let named = |v: &Value| v.as_str().map(|s| (s.to_owned(), String::new()));
    if kind == Completes::Table {
        return Ok(matching(
            tables.iter().filter_map(|t| named(&t["name"])),
            typed,
        ));
    }
    let is = |t: &Value, table: &str| {
        t["id"].as_str() == Some(table)
            || t["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(table))
    };
    let Some(t) = table.and_then(|table| tables.iter().find(|t| is(t, table))) else {
        return Ok(nothing());
    };
    // A list argument (`fields`) completes its last comma-separated name, keeping the ones before.
    let (before, last) = match typed.rfind(',') {
        Some(i) => (format!("{}, ", typed[..i].trim_end()), &typed[i + 1..]),
        None => (String::new(), typed),
    };
    let mut info = matching(
        t["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(named),
        last,
    );
    for v in &mut info.values {
        v.insert_str(0, &before);
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_uris_round_trip_and_nothing_else_parses() {
        let base = "appAAAAAAAAAAAAAA";
        assert_eq!(parse_schema_uri(&schema_uri(base)).unwrap().as_str(), base);
        for bad in [
            "airtable://bases/appAAAAAAAAAAAAAA/schema/x",
            "airtable://bases/nope/schema",
            "airtable://bases/appAAAAAAAAAAAAAA",
            "https://bases/appAAAAAAAAAAAAAA/schema",
            "airtable://bases/../appAAAAAAAAAAAAAA/schema",
            "airtable://bases/ appAAAAAAAAAAAAAA /schema",
        ] {
            assert!(parse_schema_uri(bad).is_none(), "{bad}");
        }
    }

    fn plain(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| (n.to_string(), String::new()))
            .collect()
    }

    #[test]
    fn completion_ranks_prefix_matches_first_then_caps_the_list() {
        let info = matching(plain(&["Age", "Manager", "Name", "Nickname"]), "na");
        assert_eq!(
            info.values,
            ["Name", "Manager", "Nickname"],
            "prefix first, then in their order"
        );
        let many = matching((0..150).map(|i| (format!("f{i}"), String::new())), "");
        assert_eq!(
            (many.values.len(), many.total, many.has_more),
            (100, Some(150), Some(true))
        );
        // Ranked before the cut: the one prefix match among 150 others is kept, first.
        let mut bases: Vec<(String, String)> = (0..150)
            .map(|i| (format!("appx{i}"), "sales".into()))
            .collect();
        bases.push(("appSALES".into(), "other".into()));
        let info = matching(bases, "appS");
        assert_eq!(info.values, ["appSALES"]);
        let by_name = matching(
            [
                ("app1".to_owned(), "Marketing".to_owned()),
                ("app2".into(), "Sales".into()),
            ],
            "sal",
        );
        assert_eq!(by_name.values, ["app2"]);
    }

    #[test]
    fn argument_names_map_to_what_they_complete() {
        assert_eq!(completes("baseId"), Some(Completes::Base));
        assert_eq!(completes("table"), Some(Completes::Table));
        assert_eq!(completes("fields"), Some(Completes::Field));
        assert_eq!(completes("focus"), None);
    }
}
