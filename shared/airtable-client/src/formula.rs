//! Building Airtable formulas from caller-supplied values, safely: every value becomes a quoted,
//! escaped string literal and every field name an escaped `{…}` reference, so no input can
//! close a string or a reference and inject formula code.

/// A formula string literal: `'…'` with `\` and `'` escaped.
pub fn string_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A field reference: `{…}` with `\` and `}` escaped.
pub fn field_ref(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('{');
    for c in name.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '}' => out.push_str("\\}"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('}');
    out
}

/// Case-insensitive "contains" over several fields: `OR(SEARCH('q', {A}&''), …)`.
pub fn search(query: &str, fields: &[String]) -> String {
    let needle = string_literal(&query.to_lowercase());
    let parts: Vec<String> = fields
        .iter()
        .map(|f| format!("SEARCH({needle}, LOWER({}&''))", field_ref(f)))
        .collect();
    match parts.len() {
        0 => "FALSE()".into(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("OR({})", parts.join(", ")),
    }
}

/// `AND(a, b)` of two optional formulas.
pub fn and(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("AND({a}, {b})")),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_cannot_escape_a_literal() {
        assert_eq!(string_literal("it's"), r"'it\'s'");
        assert_eq!(string_literal(r"a\'b"), r"'a\\\'b'");
        assert_eq!(
            string_literal("x') , TRUE()) & ('"),
            r"'x\') , TRUE()) & (\''"
        );
    }

    #[test]
    fn field_names_cannot_escape_a_reference() {
        assert_eq!(field_ref("Full Name"), "{Full Name}");
        assert_eq!(field_ref("a}b"), r"{a\}b}");
    }

    #[test]
    fn search_builds_one_case_insensitive_test_per_field() {
        assert_eq!(
            search("Ada", &["Name".into()]),
            "SEARCH('ada', LOWER({Name}&''))"
        );
        assert_eq!(
            search("x", &["A".into(), "B".into()]),
            "OR(SEARCH('x', LOWER({A}&'')), SEARCH('x', LOWER({B}&'')))"
        );
        assert_eq!(and(Some("A".into()), None), Some("A".into()));
        assert_eq!(
            and(Some("A".into()), Some("B".into())),
            Some("AND(A, B)".into())
        );
    }
}
