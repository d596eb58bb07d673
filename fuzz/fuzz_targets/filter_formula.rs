//! The filterByFormula parser of the sandbox Airtable: any text parses or is refused, and a
//! parsed formula evaluates, without a panic or a runaway.
#![no_main]

use local::sandbox::formula::{Row, Val, parse};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = parse(text) {
        let mut fields = Vec::new();
        expr.fields(&mut fields);
        let row = Row {
            id: "rec00000000000001",
            created_time: "2026-12-05T00:00:00.000Z",
        };
        let _ = expr.eval(&|name| Val::Text(name.to_owned()), &row);
    }
});
