//! Templating in step inputs: `{{trigger.<path>}}`, `{{steps.<id>.output.<path>}}`,
//! `{{item.<path>}}` / `{{index}}` inside a `for_each`, `{{workflow.id}}`, `{{workflow.name}}`,
//! `{{execution.id}}` and `{{now}}`.
//!
//! A string that is exactly one template keeps the referenced value's JSON type (a number, a
//! list of records); a template inside longer text is interpolated as text. A reference that
//! finds nothing at run time is `null` (empty inside text); references that can never resolve
//! are refused when the workflow is saved ([`references`]).

use serde_json::{Map, Value};

/// One `{{ … }}` reference, split on dots; `[n]` indexes become segments too.
pub type Reference = Vec<String>;

/// The pieces of a string: literal text and references.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Ref(Reference),
}

/// Why a template does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

fn split_path(raw: &str) -> Result<Reference, TemplateError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(TemplateError("an empty {{ }} reference".into()));
    }
    let mut out = Vec::new();
    for part in raw.split('.') {
        // `records[0]` → `records`, `0`
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() && out.is_empty() {
            return Err(TemplateError(format!("`{raw}` must start with a name")));
        }
        if !name.is_empty() {
            if !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == ' ')
            {
                return Err(TemplateError(format!(
                    "`{raw}` has an invalid name `{name}`"
                )));
            }
            out.push(name.to_owned());
        }
        while let Some(body) = rest.strip_prefix('[') {
            let end = body
                .find(']')
                .ok_or_else(|| TemplateError(format!("`{raw}` has an unclosed [")))?;
            let index = &body[..end];
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TemplateError(format!(
                    "`{raw}` has a non-numeric index [{index}]"
                )));
            }
            out.push(index.to_owned());
            rest = &body[end + 1..];
        }
        if !rest.is_empty() {
            return Err(TemplateError(format!(
                "`{raw}` has unexpected text after ]"
            )));
        }
    }
    Ok(out)
}

fn pieces(s: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(rest[..start].to_owned()));
        }
        let body = &rest[start + 2..];
        let end = body
            .find("}}")
            .ok_or_else(|| TemplateError("a {{ without its closing }}".into()))?;
        out.push(Piece::Ref(split_path(&body[..end])?));
        rest = &body[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    Ok(out)
}

/// Every reference in a JSON value (strings anywhere inside it), with the JSON path of the string
/// that holds it (`input.fields.Name`).
pub fn references(
    value: &Value,
    path: &str,
    out: &mut Vec<(String, Reference)>,
) -> Result<(), (String, TemplateError)> {
    match value {
        Value::String(s) => {
            for piece in pieces(s).map_err(|e| (path.to_owned(), e))? {
                if let Piece::Ref(r) = piece {
                    out.push((path.to_owned(), r));
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                references(v, &format!("{path}[{i}]"), out)?;
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                references(v, &format!("{path}.{k}"), out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Looks a reference up in the context (`{trigger, steps, item, index, workflow, execution, now}`).
pub fn lookup<'a>(context: &'a Value, reference: &[String]) -> Option<&'a Value> {
    let mut at = context;
    for seg in reference {
        at = match at {
            Value::Object(map) => map.get(seg)?,
            Value::Array(items) => items.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(at)
}

fn as_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Renders every string of `value` against `context`.
pub fn render(value: &Value, context: &Value) -> Value {
    match value {
        Value::String(s) => render_str(s, context),
        Value::Array(items) => Value::Array(items.iter().map(|v| render(v, context)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render(v, context)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

fn render_str(s: &str, context: &Value) -> Value {
    // Saved workflows were checked, so a parse error here means text that merely looks like a
    // template (a value from a trigger): it stays as it is.
    let Ok(parts) = pieces(s) else {
        return Value::String(s.to_owned());
    };
    match parts.as_slice() {
        [Piece::Ref(r)] => lookup(context, r).cloned().unwrap_or(Value::Null),
        _ => Value::String(
            parts
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => t.clone(),
                    Piece::Ref(r) => lookup(context, r).map(as_text).unwrap_or_default(),
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Value {
        json!({
            "trigger": {"name": "Ada", "n": 3, "tags": ["a", "b"]},
            "steps": {"find": {"output": {"records": [{"id": "rec1", "fields": {"Name": "X"}}], "count": 1}}},
        })
    }

    #[test]
    fn a_whole_string_template_keeps_the_type_and_text_interpolates() {
        assert_eq!(render(&json!("{{trigger.n}}"), &ctx()), json!(3));
        assert_eq!(
            render(&json!("{{ steps.find.output.records }}"), &ctx())[0]["id"],
            "rec1"
        );
        assert_eq!(
            render(&json!("Hi {{trigger.name}}, {{trigger.n}} new"), &ctx()),
            json!("Hi Ada, 3 new")
        );
        assert_eq!(
            render(
                &json!({"a": ["{{steps.find.output.records[0].fields.Name}}"]}),
                &ctx()
            ),
            json!({"a": ["X"]})
        );
        assert_eq!(render(&json!("{{trigger.tags.1}}"), &ctx()), json!("b"));
    }

    #[test]
    fn missing_references_are_null_alone_and_empty_in_text() {
        assert_eq!(render(&json!("{{trigger.nope}}"), &ctx()), Value::Null);
        assert_eq!(render(&json!("x{{trigger.nope}}y"), &ctx()), json!("xy"));
    }

    #[test]
    fn references_are_collected_with_their_paths_and_bad_ones_refused() {
        let mut out = Vec::new();
        references(
            &json!({"a": "{{trigger.x}}", "b": ["{{steps.s1.output.records[2].id}}"]}),
            "input",
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out[0],
            (
                "input.a".to_owned(),
                vec!["trigger".to_owned(), "x".to_owned()]
            )
        );
        assert_eq!(out[1].1, ["steps", "s1", "output", "records", "2", "id"]);
        let err = references(&json!({"a": "{{trigger.x"}), "input", &mut Vec::new()).unwrap_err();
        assert_eq!(err.0, "input.a");
        assert!(references(&json!("{{ }}"), "input", &mut Vec::new()).is_err());
        assert!(references(&json!("{{a[x]}}"), "input", &mut Vec::new()).is_err());
    }
}
