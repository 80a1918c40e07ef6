//! The normaliser on arbitrary bytes: it answers, and an accepted path decodes (within
//! the inspected rounds) to no `..` segment and no backslash.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if litevite_gw::path::check(data).is_ok() {
        let mut decoded = data.to_vec();
        for _ in 0..3 {
            decoded = percent_encoding::percent_decode(&decoded).collect();
        }
        let text = String::from_utf8_lossy(&decoded);
        assert!(!text.split('/').any(|s| s == ".."));
        assert!(!text.contains('\\'));
    }
});
