//! One case per rule of DESIGN §4, in both modes, both fallbacks, base `/` and `/static/`.

use std::path::Path;

use http::{HeaderMap, HeaderValue, Method};
use pretty_assertions::assert_eq;

use super::*;
use crate::config::{Config, Overrides};

fn router(toml: &str) -> Router {
    let no_env = |_: &str| None;
    let config = Config::from_str(
        toml,
        Path::new("/p/litevite.toml"),
        &no_env,
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Router::new(
        &config,
        AppRoutes::from_uris(["/api/users/{user_id}", "/", "/files/{p:path}"]),
    )
}

fn route_with(r: &Router, method: Method, target: &str, headers: &[(&'static str, &str)]) -> Route {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(*k, HeaderValue::from_str(v).unwrap());
    }
    r.route(&RequestFacts {
        method: &method,
        path,
        query,
        headers: &map,
    })
}

fn get(r: &Router, path: &str) -> Route {
    route_with(r, Method::GET, path, &[])
}

fn vite(rewrite: Rewrite, reason: Reason) -> Route {
    Route::Proxy(ProxyTarget {
        upstream: UpstreamName::vite(),
        rewrite,
        reason,
    })
}

fn app(reason: Reason) -> Route {
    Route::Proxy(ProxyTarget {
        upstream: UpstreamName::app(),
        rewrite: Rewrite::Keep,
        reason,
    })
}

const WS_HMR: &[(&str, &str)] = &[
    ("upgrade", "websocket"),
    ("connection", "Upgrade"),
    ("sec-websocket-protocol", "vite-hmr"),
];

#[test]
fn step0_internal_endpoints_come_first() {
    let r = router("[[routes]]\nupstream = \"vite\"\n");
    assert_eq!(
        get(&r, "/_litevite/healthz"),
        Route::Internal(Endpoint::Healthz)
    );
    assert_eq!(
        get(&r, "/_litevite/readyz"),
        Route::Internal(Endpoint::Readyz)
    );
    assert_eq!(
        get(&r, "/_litevite/metrics"),
        Route::Internal(Endpoint::Metrics)
    );
    assert_eq!(
        get(&r, "/_litevite/status/"),
        Route::Internal(Endpoint::Status)
    );
    assert_eq!(
        get(&r, "/_litevite/nope"),
        Route::Internal(Endpoint::NotFound)
    );
}

#[test]
fn step1_rules_in_file_order_before_vite_paths() {
    let r = router(
        r#"
[[routes]]
match = { path_prefix = "/static/special/", methods = ["GET"] }
upstream = "app"
[[routes]]
match = { path_prefix = "/api/", header = { name = "X-Mock", value = "1" } }
respond = { status = 204 }
[[routes]]
match = { path_prefix = "/old/" }
redirect = "/new/"
[[routes]]
match = { path_prefix = "/api/" }
upstream = "app"
strip_prefix = true
"#,
    );
    assert_eq!(
        get(&r, "/static/special/x.js"),
        Route::Proxy(ProxyTarget {
            upstream: UpstreamName::app(),
            rewrite: Rewrite::Keep,
            reason: Reason::Rule(0)
        })
    );
    // Method mismatch falls through to the Vite base rule.
    assert_eq!(
        route_with(&r, Method::POST, "/static/special/x.js", &[]),
        vite(Rewrite::Keep, Reason::ViteBase)
    );
    assert_eq!(
        route_with(&r, Method::GET, "/api/x", &[("x-mock", "1")]),
        Route::Respond(1)
    );
    // Header value mismatch: the next rule matches.
    assert_eq!(
        route_with(&r, Method::GET, "/api/x", &[("x-mock", "2")]),
        Route::Proxy(ProxyTarget {
            upstream: UpstreamName::app(),
            rewrite: Rewrite::StripPrefix("/api/".into()),
            reason: Reason::Rule(3)
        })
    );
    assert_eq!(get(&r, "/old/page"), Route::Redirect(2));
}

#[test]
fn step2a_vite_subprotocols_go_to_vite_on_any_path() {
    let r = router("");
    assert_eq!(
        route_with(&r, Method::GET, "/", WS_HMR),
        vite(Rewrite::Keep, Reason::ViteSocket)
    );
    assert_eq!(
        route_with(&r, Method::GET, "/static/", WS_HMR),
        vite(Rewrite::Keep, Reason::ViteSocket)
    );
    let ping = [
        ("upgrade", "websocket"),
        ("sec-websocket-protocol", "foo, vite-ping"),
    ];
    assert_eq!(
        route_with(&r, Method::GET, "/", &ping),
        vite(Rewrite::Keep, Reason::ViteSocket)
    );
    // Another subprotocol, or no upgrade: not Vite's socket.
    let other = [
        ("upgrade", "websocket"),
        ("sec-websocket-protocol", "graphql-ws"),
    ];
    assert_eq!(
        route_with(&r, Method::GET, "/ws", &other),
        app(Reason::Fallback)
    );
    assert_eq!(
        route_with(
            &r,
            Method::GET,
            "/",
            &[("sec-websocket-protocol", "vite-hmr")]
        ),
        app(Reason::Fallback)
    );
}

#[test]
fn step2b_http_ping_goes_to_vite() {
    let r = router("");
    let ping = [("accept", "text/x-vite-ping")];
    assert_eq!(
        route_with(&r, Method::GET, "/", &ping),
        vite(Rewrite::Keep, Reason::VitePing)
    );
    assert_eq!(
        route_with(&r, Method::POST, "/", &ping),
        app(Reason::Fallback)
    );
}

#[test]
fn step2c_paths_under_base_go_to_vite_unchanged() {
    let r = router("");
    assert_eq!(
        get(&r, "/static/@vite/client"),
        vite(Rewrite::Keep, Reason::ViteBase)
    );
    assert_eq!(
        get(&r, "/static/src/main.ts"),
        vite(Rewrite::Keep, Reason::ViteBase)
    );
    assert_eq!(get(&r, "/static"), vite(Rewrite::Keep, Reason::ViteBase));
    assert_eq!(get(&r, "/staticfoo"), app(Reason::Fallback));
    let r = router("[gateway]\nasset_base = \"assets\"\n");
    assert_eq!(
        get(&r, "/assets/x.js"),
        vite(Rewrite::Keep, Reason::ViteBase)
    );
    let r = router("[vite]\nbase = \"/build/\"\n");
    assert_eq!(
        get(&r, "/build/x.js"),
        vite(Rewrite::Keep, Reason::ViteBase)
    );
    assert_eq!(get(&r, "/static/x.js"), app(Reason::Fallback));
}

#[test]
fn step2d_vite_paths_get_the_base_prepended() {
    let r = router("");
    let prepend = || Rewrite::PrependBase("/static/".into());
    assert_eq!(get(&r, "/@vite/client"), vite(prepend(), Reason::VitePath));
    assert_eq!(
        get(&r, "/@react-refresh"),
        vite(prepend(), Reason::VitePath)
    );
    assert_eq!(
        get(&r, "/node_modules/.vite/deps/x.js"),
        vite(prepend(), Reason::VitePath)
    );
    assert_eq!(prepend().apply("/@vite/client"), "/static/@vite/client");
}

#[test]
fn base_root_keeps_paths_and_does_not_swallow_everything() {
    let r = router("[vite]\nbase = \"/\"\n");
    assert_eq!(
        get(&r, "/@vite/client"),
        vite(Rewrite::Keep, Reason::VitePath)
    );
    assert_eq!(
        get(&r, "/src/main.ts"),
        vite(Rewrite::Keep, Reason::VitePath)
    );
    assert_eq!(get(&r, "/about"), app(Reason::Fallback));
    assert_eq!(
        route_with(&r, Method::GET, "/", WS_HMR),
        vite(Rewrite::Keep, Reason::ViteSocket)
    );
}

#[test]
fn step3_fallback_app_and_fallback_vite() {
    let r = router("");
    assert_eq!(get(&r, "/api/users/1"), app(Reason::Fallback));
    assert_eq!(get(&r, "/anything"), app(Reason::Fallback));

    let r = router("[vite]\nfallback = \"vite\"\n");
    assert_eq!(get(&r, "/api/users/1"), app(Reason::AppRoute));
    assert_eq!(get(&r, "/"), app(Reason::AppRoute));
    assert_eq!(get(&r, "/files/a/b/c"), app(Reason::AppRoute));
    assert_eq!(get(&r, "/schema"), app(Reason::AppRoute));
    assert_eq!(get(&r, "/schema/openapi.json"), app(Reason::AppRoute));
    assert_eq!(get(&r, "/api/users"), vite(Rewrite::Keep, Reason::Fallback));
    assert_eq!(
        get(&r, "/api/users/1/extra"),
        vite(Rewrite::Keep, Reason::Fallback)
    );
    assert_eq!(get(&r, "/about"), vite(Rewrite::Keep, Reason::Fallback));
    assert_eq!(get(&r, "/schemas"), vite(Rewrite::Keep, Reason::Fallback));
}

#[test]
fn direct_mode_skips_vite_steps() {
    let r = router("[gateway]\nmode = \"direct\"\n[vite]\nfallback = \"vite\"\n");
    assert_eq!(get(&r, "/@vite/client"), app(Reason::Fallback));
    assert_eq!(get(&r, "/static/@vite/client"), app(Reason::Fallback));
    assert_eq!(
        route_with(&r, Method::GET, "/", WS_HMR),
        app(Reason::Fallback)
    );
    assert_eq!(
        route_with(&r, Method::GET, "/", &[("accept", "text/x-vite-ping")]),
        app(Reason::Fallback)
    );
    assert_eq!(get(&r, "/about"), app(Reason::Fallback));
}

#[test]
fn traversal_is_rejected_before_any_rule() {
    let r = router("[[routes]]\nupstream = \"vite\"\n");
    assert_eq!(
        get(&r, "/static/../secret"),
        Route::Reject(PathRejection::Traversal)
    );
    assert_eq!(
        get(&r, "/@fs/%2e%2e/x"),
        Route::Reject(PathRejection::Traversal)
    );
    assert_eq!(
        get(&r, "/static/a\\b"),
        Route::Reject(PathRejection::Backslash)
    );
}

#[test]
fn strip_prefix_keeps_a_leading_slash() {
    assert_eq!(
        Rewrite::StripPrefix("/api/".into()).apply("/api/users"),
        "/users"
    );
    assert_eq!(
        Rewrite::StripPrefix("/api".into()).apply("/api/users"),
        "/users"
    );
    assert_eq!(Rewrite::StripPrefix("/api/".into()).apply("/api/"), "/");
}

#[test]
fn app_routes_read_both_routes_json_shapes() {
    let routes = AppRoutes::from_routes_json(
        r#"{"routes": {"a": {"uri": "/users/{user_id}"}, "b": {"uri": "/old/{id:int}"}}}"#,
    )
    .unwrap();
    assert!(routes.matches("/users/7"));
    assert!(routes.matches("/old/7"));
    assert!(!routes.matches("/users/"));
    assert!(!routes.matches("/users"));
    assert!(AppRoutes::from_routes_json("{}").is_err());
}

#[test]
fn routing_table_lists_every_step() {
    let text = router("[[routes]]\nmatch = { path_prefix = \"/api/\" }\nupstream = \"app\"\nstrip_prefix = true\n").to_string();
    for needle in [
        "/_litevite/*",
        "rule 1: /api/*",
        "app (prefix stripped)",
        "vite-hmr",
        "text/x-vite-ping",
        "/static/*",
        "/static/ prepended",
        "everything else",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn vite_fs_deny_bypass_queries_are_rejected() {
    let r = router("");
    for target in [
        "/@fs/etc/passwd?raw??",
        "/static/@fs/etc/passwd?import&raw??",
        "/@fs/x?url?.wasm?init",
        "/static/.env?raw??",
    ] {
        assert_eq!(
            get(&r, target),
            Route::Reject(PathRejection::SuspiciousQuery),
            "{target}"
        );
    }
    // Ordinary Vite queries pass, and the app may receive a '?' in its queries.
    assert_eq!(
        get(&r, "/static/src/a.ts?t=1&import"),
        vite(Rewrite::Keep, Reason::ViteBase)
    );
    assert_eq!(get(&r, "/login?next=/a?b"), app(Reason::Fallback));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Routing is total: every method, path, query and header set gets a decision,
        /// and a path the normaliser refuses is never proxied.
        #[test]
        fn routing_is_total_and_never_proxies_rejected_paths(
            path in "/[ -~]{0,40}",
            query in "[ -~]{0,20}",
            proto in prop_oneof![Just(""), Just("vite-hmr"), Just("vite-ping"), Just("x")],
            fallback_vite in any::<bool>(),
        ) {
            let r = router(if fallback_vite { "[vite]\nfallback = \"vite\"\n" } else { "" });
            let mut headers = HeaderMap::new();
            if !proto.is_empty() {
                headers.insert("upgrade", HeaderValue::from_static("websocket"));
                headers.insert("sec-websocket-protocol", HeaderValue::from_static(proto));
            }
            let route = r.route(&RequestFacts { method: &Method::GET, path: &path, query: &query, headers: &headers });
            if crate::path::check(path.as_bytes()).is_err() {
                prop_assert!(matches!(route, Route::Reject(_)), "{path} -> {route:?}");
            }
        }
    }
}
