//! Runtime state shared by the request path and the background services, built once
//! from the `Config` (data flows one way: config → state → requests).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;

use crate::codegen::routes_json::RouteTable;
use crate::codegen::status::CodegenLog;
use crate::config::{Config, UpstreamAddr, UpstreamName};
use crate::routing::{AppRoutes, Router};
use crate::upstream::Upstreams;

pub struct AppState {
    pub codegen_log: Arc<CodegenLog>,
    pub config: ArcSwap<Config>,
    pub router: ArcSwap<Router>,
    pub upstreams: Arc<Upstreams>,
    pub listen: SocketAddr,
    pub started: Instant,
}

impl AppState {
    /// `supervised`: upstreams served by the gateway's own children (upstream, process, address).
    pub fn new(config: Config, supervised: &[(UpstreamName, String, UpstreamAddr)]) -> AppState {
        let app_routes = load_app_routes(&config);
        let router = Router::new(&config, app_routes);
        AppState {
            codegen_log: Arc::new(CodegenLog::default()),
            listen: config.gateway.listen,
            upstreams: Arc::new(Upstreams::new(&config, supervised)),
            router: ArcSwap::from_pointee(router),
            config: ArcSwap::from_pointee(config),
            started: Instant::now(),
        }
    }
}

/// The app's routes from `codegen.dir/routes.json`, when the file exists and parses.
fn load_app_routes(config: &Config) -> AppRoutes {
    let path = config.routes_json_path();
    match std::fs::read_to_string(&path) {
        Ok(text) => AppRoutes::from_routes_json(&text).unwrap_or_else(|e| {
            tracing::warn!(file = %path.display(), "ignoring routes.json: {e}");
            AppRoutes::default()
        }),
        Err(_) => AppRoutes::default(),
    }
}

impl AppState {
    /// Swaps in a router that knows the app's current routes (for `fallback = "vite"`).
    pub fn set_app_routes(&self, table: &RouteTable) {
        let routes = AppRoutes::from_uris(table.routes.values().map(|r| r.uri.as_str()));
        let config = self.config.load();
        self.router.store(Arc::new(Router::new(&config, routes)));
    }
}
