//! Workflow templating: references are collected (or refused) and rendered against a context,
//! whatever the text.
#![no_main]

use serde_json::json;
use workflows_core::template;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let value = json!({"a": text, "b": [text, {"c": text}]});
    let mut refs = Vec::new();
    let parsed = template::references(&value, "input", &mut refs);
    let context = json!({"trigger": {"x": text, "n": 3, "list": [1, 2, 3]}, "steps": {"s": {"output": {"records": [{"id": "rec1"}]}}}, "now": "2026-12-05T00:00:00Z"});
    let rendered = template::render(&value, &context);
    if parsed.is_ok() && !text.contains("{{") {
        assert_eq!(rendered, value, "text without templates renders as itself");
    }
});
