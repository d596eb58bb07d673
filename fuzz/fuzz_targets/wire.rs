//! The parent's reader of what a parsing child sends: it trusts nothing it is sent.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut sink = file_processor::sink::Collected::default();
    let _ = file_processor::isolate::read_wire(
        data,
        &mut file_processor::extract::Guard::new(&mut sink),
    );
});
