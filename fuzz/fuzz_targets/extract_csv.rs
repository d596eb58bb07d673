//! The csv extractor on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyairtable_fuzz::extract("csv", data));
