//! The routing decision (DESIGN §4): request facts in, `Route` out. Pure: no I/O,
//! no Pingora types, so every rule is unit-tested without a server.

use std::fmt;

use http::{header, HeaderMap, Method};

use crate::config::{BasePath, Config, Fallback, Mode, RouteAction, RouteRule, UpstreamName};
use crate::path::{self, PathRejection};

/// Prefix of the gateway's own endpoints.
pub const INTERNAL_PREFIX: &str = "/_litevite/";

/// What the router needs to know about a request.
pub struct RequestFacts<'a> {
    pub method: &'a Method,
    /// The raw path, without the query string.
    pub path: &'a str,
    /// The raw query string, without the `?` ("" when there is none).
    pub query: &'a str,
    pub headers: &'a HeaderMap,
}

impl RequestFacts<'_> {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A WebSocket upgrade offering Vite's `vite-hmr` or `vite-ping` subprotocol.
    pub fn is_vite_socket(&self) -> bool {
        let upgrade = self.header(header::UPGRADE).is_some_and(|u| {
            u.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
        });
        upgrade
            && self
                .headers
                .get_all(header::SEC_WEBSOCKET_PROTOCOL)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|p| matches!(p.trim(), "vite-hmr" | "vite-ping"))
    }

    /// Vite 4.3–5.x liveness ping: `GET` with `Accept: text/x-vite-ping`.
    pub fn is_vite_http_ping(&self) -> bool {
        self.method == Method::GET
            && self
                .header(header::ACCEPT)
                .is_some_and(|a| a.contains("text/x-vite-ping"))
    }
}

/// The gateway's own endpoints under `/_litevite/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Healthz,
    Readyz,
    Metrics,
    Status,
    Login,
    NotFound,
}

impl Endpoint {
    fn from_path(rest: &str) -> Endpoint {
        match rest.trim_end_matches('/') {
            "healthz" => Endpoint::Healthz,
            "readyz" => Endpoint::Readyz,
            "metrics" => Endpoint::Metrics,
            "status" => Endpoint::Status,
            "login" => Endpoint::Login,
            _ => Endpoint::NotFound,
        }
    }
}

/// How the path is changed on its way upstream (the query string never is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    Keep,
    /// Prepend Vite's base (`/@vite/client` → `/static/@vite/client`).
    PrependBase(String),
    /// Remove this prefix, keeping a leading `/`.
    StripPrefix(String),
}

impl Rewrite {
    /// Applies the rewrite to a raw path (query excluded).
    pub fn apply(&self, path: &str) -> String {
        match self {
            Rewrite::Keep => path.to_string(),
            Rewrite::PrependBase(base) => format!("{}{}", base.trim_end_matches('/'), path),
            Rewrite::StripPrefix(prefix) => {
                let rest = path.strip_prefix(prefix.as_str()).unwrap_or(path);
                if rest.starts_with('/') {
                    rest.to_string()
                } else {
                    format!("/{rest}")
                }
            }
        }
    }
}

/// Which step of §4 chose the upstream (shown by `check`, logged at debug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Rule(usize),
    ViteSocket,
    VitePing,
    ViteBase,
    VitePath,
    AppRoute,
    Fallback,
}

/// Send the request to an upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyTarget {
    pub upstream: UpstreamName,
    pub rewrite: Rewrite,
    pub reason: Reason,
}

impl ProxyTarget {
    /// The rule whose header additions apply, if a rule chose this target.
    pub fn rule(&self) -> Option<usize> {
        match self.reason {
            Reason::Rule(i) => Some(i),
            _ => None,
        }
    }
}

/// The routing decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Internal(Endpoint),
    Proxy(ProxyTarget),
    /// Answer from `[[routes]]` rule N's `respond`.
    Respond(usize),
    /// Redirect per `[[routes]]` rule N.
    Redirect(usize),
    /// Refuse with 400.
    Reject(PathRejection),
}

/// One path template from routes.json, split into segments.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
    /// `{name:path}`: the rest of the path.
    Rest,
}

/// The app's own routes (from routes.json), consulted when `fallback = "vite"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppRoutes {
    templates: Vec<Vec<Segment>>,
}

impl AppRoutes {
    /// Builds the matcher from URI templates such as `/api/users/{user_id}` or `/files/{p:path}`.
    pub fn from_uris<'a>(uris: impl IntoIterator<Item = &'a str>) -> AppRoutes {
        let templates = uris
            .into_iter()
            .map(|uri| {
                uri.split('/')
                    .skip(1)
                    .map(
                        |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(p) if p.ends_with(":path") => Segment::Rest,
                            Some(_) => Segment::Param,
                            None => Segment::Literal(seg.to_string()),
                        },
                    )
                    .collect()
            })
            .collect();
        AppRoutes { templates }
    }

    /// Reads the `uri` of every route in a routes.json document (either litestar-vite shape).
    pub fn from_routes_json(text: &str) -> Result<AppRoutes, String> {
        let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let routes = doc
            .get("routes")
            .and_then(|r| r.as_object())
            .ok_or("no \"routes\" object")?;
        let uris: Vec<&str> = routes
            .values()
            .filter_map(|r| r.get("uri").and_then(|u| u.as_str()))
            .collect();
        Ok(AppRoutes::from_uris(uris))
    }

    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    pub fn matches(&self, path: &str) -> bool {
        let segs: Vec<&str> = path.split('/').skip(1).collect();
        self.templates.iter().any(|t| {
            let mut i = 0;
            for seg in t {
                match seg {
                    Segment::Rest => return true,
                    _ if i >= segs.len() => return false,
                    Segment::Param if segs[i].is_empty() => return false,
                    Segment::Param => {}
                    Segment::Literal(l) if l != segs[i] => return false,
                    Segment::Literal(_) => {}
                }
                i += 1;
            }
            i == segs.len()
        })
    }
}

/// The compiled routing table.
#[derive(Debug, Clone)]
pub struct Router {
    mode: Mode,
    vite_base: BasePath,
    vite_paths: Vec<String>,
    fallback: Fallback,
    rules: Vec<RouteRule>,
    app_routes: AppRoutes,
    schema_prefix: String,
}

impl Router {
    pub fn new(config: &Config, app_routes: AppRoutes) -> Router {
        // `/schema/openapi.json` → `/schema`: the whole schema site belongs to the app.
        let schema_prefix = config
            .codegen
            .openapi_path
            .rsplit_once('/')
            .map(|(dir, _)| dir)
            .filter(|d| !d.is_empty())
            .unwrap_or("/schema")
            .to_string();
        Router {
            mode: config.gateway.mode,
            vite_base: config.vite.base.clone(),
            vite_paths: config.vite.paths.clone(),
            fallback: config.vite.fallback,
            rules: config.routes.clone(),
            app_routes,
            schema_prefix,
        }
    }

    pub fn rule(&self, index: usize) -> Option<&RouteRule> {
        self.rules.get(index)
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn vite_base(&self) -> &BasePath {
        &self.vite_base
    }

    /// Decides where a request goes; first match wins (DESIGN §4).
    pub fn route(&self, req: &RequestFacts<'_>) -> Route {
        let route = self.decide(req);
        match &route {
            // Vite's fs.deny bypasses (CVE-2025-30208, -31125, -31486) smuggle a second `?`
            // into the query (`?raw??`, `?import&raw??`, `?url?.wasm?init`); Vite's own
            // queries never contain one.
            Route::Proxy(t) if t.upstream.is_vite() && req.query.contains('?') => {
                Route::Reject(PathRejection::SuspiciousQuery)
            }
            _ => route,
        }
    }

    fn decide(&self, req: &RequestFacts<'_>) -> Route {
        if let Err(rejection) = path::check(req.path.as_bytes()) {
            return Route::Reject(rejection);
        }
        // 0. The gateway's own endpoints.
        if let Some(rest) = req.path.strip_prefix(INTERNAL_PREFIX) {
            return Route::Internal(Endpoint::from_path(rest));
        }
        // 1. [[routes]] rules, in file order.
        for (i, rule) in self.rules.iter().enumerate() {
            if rule_matches(rule, req) {
                return match &rule.action {
                    RouteAction::Upstream(name) => Route::Proxy(ProxyTarget {
                        upstream: name.clone(),
                        rewrite: match (&rule.matcher.path_prefix, rule.strip_prefix) {
                            (Some(prefix), true) => Rewrite::StripPrefix(prefix.clone()),
                            _ => Rewrite::Keep,
                        },
                        reason: Reason::Rule(i),
                    }),
                    RouteAction::Respond { .. } => Route::Respond(i),
                    RouteAction::Redirect { .. } => Route::Redirect(i),
                };
            }
        }
        // 2. Proxy mode: Vite's own traffic.
        if self.mode == Mode::Proxy {
            if req.is_vite_socket() {
                return self.to_vite(Rewrite::Keep, Reason::ViteSocket);
            }
            if req.is_vite_http_ping() {
                return self.to_vite(Rewrite::Keep, Reason::VitePing);
            }
            if !self.vite_base.is_root() && self.vite_base.contains(req.path) {
                return self.to_vite(Rewrite::Keep, Reason::ViteBase);
            }
            if self
                .vite_paths
                .iter()
                .any(|p| req.path.starts_with(p.as_str()))
            {
                let rewrite = if self.vite_base.is_root() {
                    Rewrite::Keep
                } else {
                    Rewrite::PrependBase(self.vite_base.as_str().to_string())
                };
                return self.to_vite(rewrite, Reason::VitePath);
            }
            // 3. fallback = "vite": the app keeps its own routes and the schema.
            if self.fallback == Fallback::Vite {
                if self.is_app_path(req.path) {
                    return self.to_app(Reason::AppRoute);
                }
                return self.to_vite(Rewrite::Keep, Reason::Fallback);
            }
        }
        self.to_app(Reason::Fallback)
    }

    fn is_app_path(&self, path: &str) -> bool {
        path == self.schema_prefix
            || path
                .strip_prefix(self.schema_prefix.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
            || self.app_routes.matches(path)
    }

    fn to_vite(&self, rewrite: Rewrite, reason: Reason) -> Route {
        Route::Proxy(ProxyTarget {
            upstream: UpstreamName::vite(),
            rewrite,
            reason,
        })
    }

    fn to_app(&self, reason: Reason) -> Route {
        Route::Proxy(ProxyTarget {
            upstream: UpstreamName::app(),
            rewrite: Rewrite::Keep,
            reason,
        })
    }
}

fn rule_matches(rule: &RouteRule, req: &RequestFacts<'_>) -> bool {
    let m = &rule.matcher;
    if let Some(prefix) = &m.path_prefix {
        if !req.path.starts_with(prefix.as_str()) {
            return false;
        }
    }
    if let Some(methods) = &m.methods {
        if !methods.contains(req.method) {
            return false;
        }
    }
    if let Some((name, value)) = &m.header {
        let Some(actual) = req.headers.get(name) else {
            return false;
        };
        if let Some(expected) = value {
            if actual.as_bytes() != expected.as_bytes() {
                return false;
            }
        }
    }
    true
}

/// The routing table for people (`litevite-gw check`).
impl fmt::Display for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |f: &mut fmt::Formatter<'_>, step: &str, what: &str, to: &str| {
            writeln!(f, "  {step:<4} {what:<52} -> {to}")
        };
        writeln!(f, "Routing table ({} mode, first match wins):", self.mode)?;
        row(
            f,
            "0",
            "/_litevite/* (healthz, readyz, metrics, status)",
            "gateway",
        )?;
        for (i, rule) in self.rules.iter().enumerate() {
            let m = &rule.matcher;
            let mut what = vec![format!("rule {}:", i + 1)];
            what.push(
                m.path_prefix
                    .as_ref()
                    .map_or("any path".into(), |p| format!("{p}*")),
            );
            if let Some(ms) = &m.methods {
                what.push(ms.iter().map(Method::as_str).collect::<Vec<_>>().join("|"));
            }
            if let Some((n, v)) = &m.header {
                what.push(match v {
                    Some(v) => format!("{n}: {v}"),
                    None => format!("has {n}"),
                });
            }
            let to = match &rule.action {
                RouteAction::Upstream(u) if rule.strip_prefix => format!("{u} (prefix stripped)"),
                RouteAction::Upstream(u) => u.to_string(),
                RouteAction::Respond { status, .. } => format!("respond {}", status.as_u16()),
                RouteAction::Redirect { to, status } => {
                    format!("redirect {} {to}", status.as_u16())
                }
            };
            row(f, "1", &what.join(" "), &to)?;
        }
        if self.mode == Mode::Proxy {
            row(
                f,
                "2a",
                "WebSocket offering subprotocol vite-hmr / vite-ping",
                "vite",
            )?;
            row(f, "2b", "GET with Accept: text/x-vite-ping", "vite")?;
            if !self.vite_base.is_root() {
                row(f, "2c", &format!("{}*", self.vite_base), "vite")?;
            }
            let paths = self.vite_paths.join(" ");
            if self.vite_base.is_root() {
                row(f, "2d", &paths, "vite")?;
            } else {
                row(
                    f,
                    "2d",
                    &paths,
                    &format!("vite, with {} prepended", self.vite_base),
                )?;
            }
            if self.fallback == Fallback::Vite {
                let what = format!(
                    "{}/* and {} routes.json routes",
                    self.schema_prefix,
                    self.app_routes.len()
                );
                row(f, "3", &what, "app")?;
                row(f, "3", "everything else", "vite")?;
                return writeln!(
                    f,
                    "  never: paths with '..' segments or backslashes after decoding -> 400"
                );
            }
        }
        row(f, "3", "everything else", "app")?;
        writeln!(
            f,
            "  never: paths with '..' segments or backslashes after decoding -> 400"
        )
    }
}

#[cfg(test)]
mod tests;
