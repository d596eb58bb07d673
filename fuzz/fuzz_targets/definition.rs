//! A workflow definition as the API receives it: parsed and validated without a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(def) = serde_json::from_slice::<shared::workflows::definition::Definition>(data) {
        let _ = shared::workflows::definition::validate(&def);
        let _ = shared::workflows::definition::secret_references(&def);
    }
});
