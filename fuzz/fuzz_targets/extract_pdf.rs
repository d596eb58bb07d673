//! The pdf extractor on arbitrary bytes. pdf-extract panics on some malformed documents; the
//! extractor catches those (`catch_unwind`: the file is "cannot be read"), so here a panic it
//! catches is not a crash — libfuzzer-sys's abort-on-panic hook is replaced by a silent one. A
//! panic outside that catch still unwinds out of the target and aborts: a crash.
#![no_main]

libfuzzer_sys::fuzz_target!(init: std::panic::set_hook(Box::new(|_| {})), |data: &[u8]| pyairtable_fuzz::extract("pdf", data));
