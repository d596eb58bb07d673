//! Our formula builders against the formula parser: a quoted value is exactly one string
//! literal holding that value, and a field reference exactly one field of that name — no input
//! closes them and injects formula code.
#![no_main]

use local::sandbox::formula::{Expr, Val, parse};
use airtable_client::formula::{field_ref, string_literal};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let kept: String = text
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    match parse(&string_literal(text)) {
        Ok(Expr::Lit(Val::Text(t))) => assert_eq!(t, kept),
        other => panic!("{text:?} quoted did not parse as one string literal: {other:?}"),
    }
    let name: String = text.chars().filter(|c| !c.is_control()).collect();
    match parse(&field_ref(text)) {
        Ok(Expr::Field(f)) => assert_eq!(f, name),
        other => panic!("{text:?} as a field did not parse as one field reference: {other:?}"),
    }
});
