//! A workflow definition as the API receives it: parsed and validated without a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(def) = serde_json::from_slice::<workflows_core::definition::Definition>(data) {
        let _ = workflows_core::definition::validate(&def);
        let _ = workflows_core::definition::secret_references(&def);
    }
});
