//! Each connected base's schema as an MCP resource (`airtable://bases/{baseId}/schema`, JSON), so
//! clients that attach context (Claude Desktop, VS Code) can give a model the schema without a
//! tool call; and completion of base ids, table and field names from the same cached reads. Both
//! go through the tenant's paced, cached Airtable client, so they only ever show what the
//! workspace's token can read.

use rmcp::ErrorData;
use rmcp::model::{CompletionInfo, Resource, ResourceContents, ResourceTemplate};
use serde_json::{Value, json};
use shared::airtable::{AirtableError, Session, schema};
use shared::error::ApiError;
use shared::ids::BaseId;

pub const SCHEMA_TEMPLATE: &str = "airtable://bases/{baseId}/schema";
const JSON: &str = "application/json";

/// The URI of a base's schema.
pub fn schema_uri(base: &str) -> String {
    format!("airtable://bases/{base}/schema")
}

/// The base a schema URI names, if the URI is one.
pub fn parse_schema_uri(uri: &str) -> Option<BaseId> {
    let base = uri.strip_prefix("airtable://bases/")?.strip_suffix("/schema")?;
    BaseId::parse(base).ok()
}

/// A failure as a JSON-RPC error: what the caller cannot read is "not found", the rest says why.
pub fn rpc_error(e: AirtableError) -> ErrorData {
    let (problem, _) = ApiError::from(e).to_problem();
    let data = Some(json!({"code": problem.code, "status": problem.status}));
    let message = problem.detail.clone().unwrap_or_else(|| problem.title.clone());
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
pub async fn list(session: &Session<'_>) -> Result<Vec<Resource>, AirtableError> {
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
                    .with_description(format!("Tables and fields of the Airtable base {name} ({id})."))
                    .with_mime_type(JSON),
            )
        })
        .collect())
}

/// A base's schema, from the cache (read from Airtable on a miss).
pub async fn read(session: &Session<'_>, uri: &str) -> Result<ResourceContents, ErrorData> {
    let Some(base) = parse_schema_uri(uri) else {
        return Err(ErrorData::resource_not_found(
            format!("no resource {uri:?}; resources/templates/list gives the URI pattern ({SCHEMA_TEMPLATE})"),
            None,
        ));
    };
    session.check_base(base.as_str()).await.map_err(rpc_error)?;
    let (schema, _) = session.cached_schema(base.as_str(), false).await.map_err(rpc_error)?;
    let text = serde_json::to_string(&schema).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
    Ok(ResourceContents::TextResourceContents { uri: uri.to_owned(), mime_type: Some(JSON.into()), text, meta: None })
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

/// Values matching what was typed: prefix matches first, then the ones containing it, at most
/// `CompletionInfo::MAX_VALUES`, with the total.
fn matching(candidates: impl IntoIterator<Item = String>, typed: &str) -> CompletionInfo {
    let typed = typed.trim().to_lowercase();
    let (mut prefix, mut inner): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for c in candidates {
        let lower = c.to_lowercase();
        if lower.starts_with(&typed) {
            prefix.push(c);
        } else if lower.contains(&typed) {
            inner.push(c);
        }
    }
    prefix.extend(inner);
    prefix.dedup();
    let total = prefix.len();
    prefix.truncate(CompletionInfo::MAX_VALUES);
    // Never more than MAX_VALUES values, so this cannot fail.
    CompletionInfo::with_pagination(prefix, Some(total as u32), total > CompletionInfo::MAX_VALUES).unwrap_or_default()
}

/// Completes a base id (by id or name), a table name of `base`, or a field name of `base`'s
/// `table`; nothing when the context lacks what the argument depends on.
pub async fn complete(
    session: &Session<'_>,
    kind: Completes,
    typed: &str,
    base: Option<&str>,
    table: Option<&str>,
) -> Result<CompletionInfo, AirtableError> {
    match kind {
        Completes::Base => {
            let (bases, _) = session.cached_bases(false).await?;
            let typed_lower = typed.trim().to_lowercase();
            // A base matches by its id or its name; the value completed is always the id.
            let ids = bases.as_array().into_iter().flatten().filter_map(|b| {
                let id = b["id"].as_str()?;
                let name = b["name"].as_str().unwrap_or("").to_lowercase();
                (typed_lower.is_empty() || id.to_lowercase().contains(&typed_lower) || name.contains(&typed_lower)).then(|| id.to_owned())
            });
            let mut info = matching(ids, "");
            info.values.sort_by_key(|id| !id.to_lowercase().starts_with(&typed_lower));
            Ok(info)
        }
        Completes::Table => {
            let Some(base) = base.and_then(|b| BaseId::parse(b).ok()) else { return Ok(matching([], "")) };
            session.check_base(base.as_str()).await?;
            let (schema, _) = session.cached_schema(base.as_str(), false).await?;
            let names = schema["tables"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str().map(str::to_owned));
            Ok(matching(names, typed))
        }
        Completes::Field => {
            let (Some(base), Some(table)) = (base.and_then(|b| BaseId::parse(b).ok()), table) else {
                return Ok(matching([], ""));
            };
            session.check_base(base.as_str()).await?;
            let (schema, _) = session.cached_schema(base.as_str(), false).await?;
            let Some(t) = schema::find_table(&schema, table) else { return Ok(matching([], "")) };
            // A list argument (`fields`) completes its last comma-separated name.
            let last = typed.rsplit(',').next().unwrap_or(typed);
            let names = schema::fields(t).iter().filter_map(|f: &Value| f["name"].as_str().map(str::to_owned));
            Ok(matching(names, last))
        }
    }
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
        ] {
            assert!(parse_schema_uri(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn completion_puts_prefix_matches_first_and_caps_the_list() {
        let info = matching(["Age".into(), "Name".into(), "Nickname".into(), "Manager".into()], "na");
        assert_eq!(info.values, vec!["Name", "Nickname", "Manager"].into_iter().map(String::from).collect::<Vec<_>>());
        let many = matching((0..150).map(|i| format!("f{i}")), "");
        assert_eq!((many.values.len(), many.total, many.has_more), (100, Some(150), Some(true)));
    }

    #[test]
    fn argument_names_map_to_what_they_complete() {
        assert_eq!(completes("baseId"), Some(Completes::Base));
        assert_eq!(completes("table"), Some(Completes::Table));
        assert_eq!(completes("fields"), Some(Completes::Field));
        assert_eq!(completes("focus"), None);
    }
}
