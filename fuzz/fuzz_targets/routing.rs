//! Routing is total: any method, target and Vite subprotocol gets a decision, and a path
//! the normaliser refuses is never proxied.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use litevite_gw::config::{Config, Overrides};
use litevite_gw::routing::{AppRoutes, RequestFacts, Route, Router};

fn router(fallback_vite: bool) -> &'static Router {
    static ROUTERS: OnceLock<[Router; 2]> = OnceLock::new();
    let build = |toml: &str| {
        let no_env = |_: &str| None;
        let config = Config::from_str(toml, std::path::Path::new("/f/litevite.toml"), &no_env, &Overrides::default())
            .expect("fixed config");
        Router::new(&config, AppRoutes::from_uris(["/api/{id}", "/files/{p:path}", "/"]))
    };
    let routers = ROUTERS.get_or_init(|| [build(""), build("[vite]\nfallback = \"vite\"\n")]);
    &routers[usize::from(fallback_vite)]
}

fuzz_target!(|data: &[u8]| {
    let Some((flags, rest)) = data.split_first() else { return };
    let Ok(target) = std::str::from_utf8(rest) else { return };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = http::HeaderMap::new();
    if flags & 2 != 0 {
        headers.insert("upgrade", http::HeaderValue::from_static("websocket"));
        headers.insert("sec-websocket-protocol", http::HeaderValue::from_static("vite-hmr"));
    }
    let route = router(flags & 1 != 0).route(&RequestFacts { method: &http::Method::GET, path, query, headers: &headers });
    if litevite_gw::path::check(path.as_bytes()).is_err() {
        assert!(matches!(route, Route::Reject(_)));
    }
});
