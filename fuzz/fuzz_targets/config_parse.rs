//! Any bytes as litevite.toml: a Config or a located ConfigError, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use litevite_gw::config::{Config, Overrides};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let no_env = |_: &str| None;
        match Config::from_str(text, std::path::Path::new("/fuzz/litevite.toml"), &no_env, &Overrides::default()) {
            Ok(c) => {
                let _ = c.render();
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
