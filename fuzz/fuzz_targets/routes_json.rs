//! Any bytes as routes.json: parsed (both shapes) and rendered to routes.ts, or refused.
#![no_main]
use libfuzzer_sys::fuzz_target;
use litevite_gw::codegen::{routes_json::RouteTable, routes_ts};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(table) = RouteTable::parse(text) {
            let ts = routes_ts::render(&table, "routes.json");
            assert_eq!(ts, routes_ts::render(&table, "routes.json"));
            let _ = table.to_json();
        }
    }
});
