//! Any bytes as openapi.json: validated, derived into routes.json and routes.ts, or refused.
#![no_main]
use libfuzzer_sys::fuzz_target;
use litevite_gw::codegen::{export, routes_json::RouteTable, routes_ts};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(doc) = export::parse(text) {
            if let Ok(table) = RouteTable::from_openapi(&doc) {
                let json = table.to_json();
                let again = RouteTable::parse(&json).expect("our own routes.json parses");
                let _ = routes_ts::render(&again, "routes.json");
            }
        }
    }
});
