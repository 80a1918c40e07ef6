//! Runtime state shared by the request path and the background services, built once
//! from the `Config` (data flows one way: config → state → requests).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::{ArcSwap, ArcSwapOption};

use crate::auth::Auth;

use crate::codegen::routes_json::RouteTable;
use crate::codegen::status::CodegenLog;
use crate::config::Overrides;
use crate::config::{Config, UpstreamAddr, UpstreamName};
use crate::metrics::Metrics;
use crate::routing::{AppRoutes, Router};
use crate::upstream::Upstreams;

pub struct AppState {
    /// Token auth, when `[auth]` / `LITEVITE_TOKEN` is set.
    pub auth: ArcSwapOption<Auth>,
    /// Command-line values, re-applied on every config reload.
    pub overrides: Overrides,
    /// The app's routes (from routes.json), kept so a reload can rebuild the router.
    pub app_routes: ArcSwap<AppRoutes>,
    pub codegen_log: Arc<CodegenLog>,
    /// The config file's text as last loaded (shown on the status page).
    pub config_text: ArcSwap<String>,
    pub config: ArcSwap<Config>,
    pub router: ArcSwap<Router>,
    pub upstreams: ArcSwap<Upstreams>,
    pub metrics: Arc<Metrics>,
    pub recent: RecentRequests,
    /// The supervised upstreams (fixed for the process's life).
    pub supervised: Vec<(UpstreamName, String, UpstreamAddr)>,
    pub listen: SocketAddr,
    pub started: Instant,
}

impl AppState {
    /// `supervised`: upstreams served by the gateway's own children (upstream, process, address).
    pub fn new(
        config: Config,
        overrides: Overrides,
        supervised: &[(UpstreamName, String, UpstreamAddr)],
    ) -> AppState {
        let app_routes = load_app_routes(&config);
        let router = Router::new(&config, app_routes.clone());
        let metrics = Arc::new(Metrics::new());
        let config_text = std::fs::read_to_string(&config.path).unwrap_or_default();
        AppState {
            auth: ArcSwapOption::from(config.auth.as_ref().map(|a| Arc::new(Auth::new(a)))),
            overrides,
            app_routes: ArcSwap::from_pointee(app_routes),
            codegen_log: Arc::new(CodegenLog::with_metrics(metrics.clone())),
            config_text: ArcSwap::from_pointee(config_text),
            listen: config.gateway.listen,
            upstreams: ArcSwap::from_pointee(Upstreams::new(&config, supervised)),
            metrics,
            recent: RecentRequests::default(),
            supervised: supervised.to_vec(),
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
        self.app_routes.store(Arc::new(routes));
        self.rebuild_router();
    }

    /// Rebuilds the router from the current config and app routes.
    pub fn rebuild_router(&self) {
        let config = self.config.load();
        let routes = (**self.app_routes.load()).clone();
        self.router.store(Arc::new(Router::new(&config, routes)));
    }
}

/// One answered request, for the status page.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub at: std::time::SystemTime,
    pub method: &'static str,
    pub path: String,
    pub status: u16,
    pub ms: f64,
}

/// The most recent requests per upstream (bounded).
#[derive(Debug, Default)]
pub struct RecentRequests {
    inner: std::sync::Mutex<
        std::collections::BTreeMap<UpstreamName, std::collections::VecDeque<RequestRecord>>,
    >,
}

/// Requests kept per upstream.
const RECENT_PER_UPSTREAM: usize = 25;

impl RecentRequests {
    /// On the request path: one short lock, no allocation once an upstream has a list.
    pub fn push(&self, upstream: &UpstreamName, record: RequestRecord) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let list = match map.get_mut(upstream) {
            Some(list) => list,
            None => map
                .entry(upstream.clone())
                .or_insert_with(|| std::collections::VecDeque::with_capacity(RECENT_PER_UPSTREAM)),
        };
        if list.len() == RECENT_PER_UPSTREAM {
            list.pop_front();
        }
        list.push_back(record);
    }

    /// Per upstream, most recent first.
    pub fn snapshot(&self) -> Vec<(String, Vec<RequestRecord>)> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.iter()
            .map(|(k, v)| (k.to_string(), v.iter().rev().cloned().collect()))
            .collect()
    }
}
