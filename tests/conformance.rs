//! Every answer the suite receives is checked against the OpenAPI document (`docs/openapi.json`,
//! generated from the code): a success must be a status the operation documents, and its body
//! must match the documented schema. So the document — and the web app's types generated from
//! it — cannot drift from what the API really sends.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Value, json};

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::from_str(include_str!("../docs/openapi.json")).expect("the OpenAPI document")
    })
}

/// Validators by (path template, method, status), built once each.
fn validators()
-> &'static std::sync::Mutex<HashMap<String, Option<std::sync::Arc<jsonschema::Validator>>>> {
    static V: OnceLock<
        std::sync::Mutex<HashMap<String, Option<std::sync::Arc<jsonschema::Validator>>>>,
    > = OnceLock::new();
    V.get_or_init(Default::default)
}

/// The document's path template that `path` (no query) matches: literal segments first.
fn template_of(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut best: Option<(usize, String)> = None;
    for template in document()["paths"].as_object()?.keys() {
        let t: Vec<&str> = template.split('/').collect();
        if t.len() != segments.len() {
            continue;
        }
        let matches = t
            .iter()
            .zip(&segments)
            .all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}')));
        if !matches {
            continue;
        }
        let literal = t.iter().filter(|s| !s.starts_with('{')).count();
        if best.as_ref().is_none_or(|(l, _)| literal > *l) {
            best = Some((literal, template.clone()));
        }
    }
    best.map(|(_, t)| t)
}

/// Checks one answer. Only successes of documented JSON operations are checked (problems share
/// one schema, checked by `Resp::expect_problem`).
pub fn check(method: &str, path_and_query: &str, status: u16, body: &Value) -> Result<(), String> {
    if !(200..300).contains(&status) || !path_and_query.starts_with("/api/") {
        return Ok(());
    }
    let path = path_and_query.split('?').next().unwrap_or_default();
    let Some(template) = template_of(path) else {
        return Ok(());
    };
    let op = &document()["paths"][&template][method.to_lowercase()];
    if op.is_null() {
        return Ok(());
    }
    let responses = &op["responses"];
    let Some(response) = responses.get(status.to_string()) else {
        return Err(format!(
            "{method} {template} answered {status}, which the document does not list"
        ));
    };
    let key = format!("{method} {template} {status}");
    let validator = {
        let mut cache = validators().lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(key.clone())
            .or_insert_with(|| {
                let schema = response["content"]["application/json"]["schema"].clone();
                if schema.is_null() {
                    return None;
                }
                // The schema with the document's components beside it, so its `$ref`s resolve.
                let root = json!({"$ref": "#/$defs/answer", "$defs": {"answer": schema}, "components": document()["components"]});
                Some(std::sync::Arc::new(
                    jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{key}: the documented schema does not compile: {e}")),
                ))
            })
            .clone()
    };
    let Some(validator) = validator else {
        return Ok(());
    };
    let errors: Vec<String> = validator
        .iter_errors(body)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{key}: the body does not match the document: {}",
            errors.join("; ")
        ))
    }
}
