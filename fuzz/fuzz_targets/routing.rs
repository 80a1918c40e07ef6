//! Routing is total: any method, target and Vite subprotocol gets a decision, and a path
//! the normaliser refuses is never proxied.
#![no_main]
use libfuzzer_sys::fuzz_target;
use litevite_gw::config::{Config, Overrides};
use litevite_gw::routing::{AppRoutes, RequestFacts, Route, Router};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (flags, target) = text.split_at(text.len().min(1));
    let toml = if flags == "v" { "[vite]\nfallback = \"vite\"\n" } else { "" };
    let no_env = |_: &str| None;
    let Ok(config) = Config::from_str(toml, std::path::Path::new("/f/litevite.toml"), &no_env, &Overrides::default()) else { return };
    let router = Router::new(&config, AppRoutes::from_uris(["/api/{id}", "/files/{p:path}", "/"]));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = http::HeaderMap::new();
    if target.len() % 2 == 0 {
        headers.insert("upgrade", http::HeaderValue::from_static("websocket"));
        headers.insert("sec-websocket-protocol", http::HeaderValue::from_static("vite-hmr"));
    }
    let route = router.route(&RequestFacts { method: &http::Method::GET, path, query, headers: &headers });
    if litevite_gw::path::check(path.as_bytes()).is_err() {
        assert!(matches!(route, Route::Reject(_)));
    }
});
