//! The gateway binary in front of a real Vite dev server and the real Litestar fixture
//! app: routing, headers, streaming, WebSocket HMR, hotfile discovery, error pages.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;

const ORIGIN_PUBLIC: &str = "http://devbox.example.test:8000";

fn config(app: &App, extra: &str) -> String {
    format!(
        "[upstreams.app]\naddress = \"127.0.0.1:{}\"\n{extra}",
        app.port
    )
}

/// Gateway + app + Vite (base /static/) discovered through the gateway dir's hotfile.
fn stack() -> (Gateway, App, Vite) {
    let app = App::start();
    let gw = Gateway::start(&config(&app, ""));
    let vite = gw.start_vite();
    (gw, app, vite)
}

#[test]
fn vite_client_is_served_under_base_and_with_base_prepended() {
    let (gw, _app, vite) = stack();
    let r = get(gw.port, "/static/@vite/client");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().contains("javascript"));
    assert_eq!(ws_token(&r.text()), Some(vite.token("/static/")));
    // A vite.paths entry without the base: the base is prepended upstream.
    let r = get(gw.port, "/@vite/client");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("wsToken"));
    let r = get(gw.port, "/src/main.js");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("counter.js"));
}

#[test]
fn base_root_serves_vite_paths_and_leaves_the_rest_to_the_app() {
    let app = App::start();
    let gw = Gateway::start(&config(&app, "[vite]\nbase = \"/\"\n"));
    let _vite = Vite::start("/", Some(&gw.path("public/hot")));
    wait_until("vite through the gateway", Duration::from_secs(10), || {
        (get(gw.port, "/@vite/client").status == 200).then_some(())
    });
    assert!(get(gw.port, "/@vite/client").text().contains("wsToken"));
    assert_eq!(get(gw.port, "/src/counter.js").status, 200);
    assert_eq!(get(gw.port, "/echo").json()["path"], "/echo");
}

#[test]
fn hmr_socket_connects_through_the_gateway_and_receives_updates() {
    let (gw, _app, vite) = stack();
    let token = ws_token(&get(gw.port, "/static/@vite/client").text()).unwrap();
    let (mut ws, resp) = ws_connect(
        gw.port,
        &format!("/static/?token={token}"),
        "vite-hmr",
        Some(ORIGIN_PUBLIC),
    )
    .expect("HMR handshake through the gateway");
    assert_eq!(resp.status(), 101);
    assert_eq!(resp.headers()["sec-websocket-protocol"], "vite-hmr");
    ws_wait_for(&mut ws, "connected", Duration::from_secs(5));

    // Vite only sends updates for modules in its graph: load the module through the gateway.
    assert_eq!(get(gw.port, "/static/src/counter.js").status, 200);
    let file = vite.dir.path().join("src/counter.js");
    let source = fs::read_to_string(&file)
        .unwrap()
        .replace("counter v1", "counter v2");
    fs::write(&file, source).unwrap();
    let update = ws_wait_for(&mut ws, "update", Duration::from_secs(15));
    let paths: Vec<&str> = update["updates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["path"].as_str())
        .collect();
    assert!(paths.iter().any(|p| p.contains("counter.js")), "{update}");
}

#[test]
fn hmr_socket_with_a_wrong_token_gets_vites_refusal_not_101() {
    let (gw, _app, _vite) = stack();
    match ws_connect(
        gw.port,
        "/static/?token=wrong",
        "vite-hmr",
        Some(ORIGIN_PUBLIC),
    ) {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 400),
        other => panic!(
            "expected Vite's 400, got {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
}

#[test]
fn vite_ping_fails_while_vite_is_stopped_and_succeeds_after() {
    let app = App::start();
    let gw = Gateway::start(&config(&app, ""));
    // No hotfile: Vite is not running → 503, never 101.
    match ws_connect(gw.port, "/static/", "vite-ping", None) {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!("expected 503, got {:?}", other.map(|(_, r)| r.status())),
    }
    // Stale hotfile pointing at a dead port → 502, never 101.
    fs::create_dir_all(gw.path("public")).unwrap();
    fs::write(
        gw.path("public/hot"),
        format!("http://127.0.0.1:{}", free_port()),
    )
    .unwrap();
    let status = wait_until(
        "the stale hotfile to be read",
        Duration::from_secs(5),
        || match ws_connect(gw.port, "/static/", "vite-ping", None) {
            Err(tungstenite::Error::Http(resp)) if resp.status() == 502 => Some(502),
            _ => None,
        },
    );
    assert_eq!(status, 502);
    let _vite = Vite::start("/static/", Some(&gw.path("public/hot")));
    let (_ws, resp) = wait_until("vite-ping to succeed", Duration::from_secs(10), || {
        ws_connect(gw.port, "/static/", "vite-ping", None).ok()
    });
    assert_eq!(resp.status(), 101);
    assert_eq!(resp.headers()["sec-websocket-protocol"], "vite-ping");
}

#[test]
fn public_host_is_not_blocked_by_vites_host_check() {
    let (gw, _app, vite) = stack();
    // Straight to Vite, a public Host is refused...
    let direct = request(
        vite.port,
        "GET",
        "/static/@vite/client",
        &[("Host", "devbox.example.test")],
        None,
    );
    assert_eq!(direct.status, 403);
    assert!(direct.text().contains("Blocked request"));
    // ...through the gateway it is not.
    let r = request(
        gw.port,
        "GET",
        "/static/@vite/client",
        &[("Host", "devbox.example.test:8000")],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.text().contains("Blocked request"));
}

#[test]
fn query_strings_and_paths_arrive_byte_identical() {
    let app = App::start();
    let gw = Gateway::start(&config(&app, ""));
    for (target, path, query) in [
        ("/echo?v=abc&import&t=1", "/echo", "v=abc&import&t=1"),
        (
            "/echo?vue&type=style&index=0&lang.css",
            "/echo",
            "vue&type=style&index=0&lang.css",
        ),
        (
            "/echo?a=%2F&b=%20&c=%25&d=",
            "/echo",
            "a=%2F&b=%20&c=%25&d=",
        ),
        (
            "/echo//double//slash/a%2Fb?x",
            "/echo//double//slash/a%2Fb",
            "x",
        ),
    ] {
        let r = get(gw.port, target).json();
        assert_eq!(r["raw_query"], query, "{target}");
        assert_eq!(r["raw_path"], path, "{target}");
    }
}

#[test]
fn app_gets_the_public_host_and_forwarded_headers() {
    let app = App::start();
    let gw = Gateway::start(&config(&app, ""));
    let r = request(
        gw.port,
        "GET",
        "/echo",
        &[
            ("Host", "devbox.example.test:8000"),
            ("Origin", ORIGIN_PUBLIC),
            ("X-Inertia", "true"),
        ],
        None,
    );
    assert_eq!(
        r.echoed_header("host").as_deref(),
        Some("devbox.example.test:8000")
    );
    assert_eq!(
        r.echoed_header("x-forwarded-for").as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(
        r.echoed_header("x-forwarded-proto").as_deref(),
        Some("http")
    );
    assert_eq!(
        r.echoed_header("x-forwarded-host").as_deref(),
        Some("devbox.example.test:8000")
    );
    assert_eq!(r.echoed_header("origin").as_deref(), Some(ORIGIN_PUBLIC));
    assert_eq!(r.echoed_header("x-inertia").as_deref(), Some("true"));
    // A GET without a body is not sent chunked.
    assert_eq!(r.echoed_header("transfer-encoding"), None);
    // Inertia's 409 + X-Inertia-Location pass through untouched.
    let r = get(gw.port, "/inertia");
    assert_eq!(
        (r.status, r.header("x-inertia-location")),
        (409, Some("/elsewhere"))
    );
    // A POST body reaches the app.
    let r = request(
        gw.port,
        "POST",
        "/echo",
        &[("Content-Type", "application/json")],
        Some(b"{\"a\":1}"),
    );
    assert_eq!(r.json()["body"], "{\"a\":1}");
}

#[test]
fn server_sent_events_stream_before_the_response_ends() {
    let app = App::start();
    let gw = Gateway::start(&config(&app, ""));
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /sse HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("data: first") {
        let n = s.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "stream ended before the first event: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&seen);
    // The app sends "second" seconds later: the first event was relayed on its own.
    assert!(!text.contains("second"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("text/event-stream"),
        "{text}"
    );
}

#[test]
fn vite_down_gives_an_error_page_per_client_kind() {
    let app = App::start();
    let gw = Gateway::start(&config(&app, ""));
    let html = request(
        gw.port,
        "GET",
        "/static/@vite/client",
        &[("Accept", "text/html,*/*")],
        None,
    );
    assert_eq!(html.status, 503);
    assert!(html
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let page = html.text();
    for needle in ["vite", "no hotfile", "npm run dev", "location.reload()"] {
        assert!(page.contains(needle), "missing {needle}: {page}");
    }

    let dead = free_port();
    fs::create_dir_all(gw.path("public")).unwrap();
    fs::write(gw.path("public/hot"), format!("http://127.0.0.1:{dead}")).unwrap();
    let json = wait_until("the hotfile to be read", Duration::from_secs(5), || {
        let r = request(
            gw.port,
            "GET",
            "/static/x.js",
            &[("Accept", "application/json")],
            None,
        );
        (r.status == 502).then_some(r)
    });
    assert_eq!(
        json.header("content-type"),
        Some("application/problem+json")
    );
    let body = json.json();
    assert_eq!(body["status"], 502);
    assert_eq!(body["upstream"], "vite");
    assert_eq!(body["address"], format!("127.0.0.1:{dead}"));
    assert_eq!(body["cause"], "connection refused");
    assert!(body["next_step"].as_str().unwrap().contains("npm run dev"));

    let text = get(gw.port, "/static/x.js");
    assert_eq!(text.status, 502);
    assert!(text
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert!(text.text().contains(&format!("127.0.0.1:{dead}")));
    // The gateway keeps running and the app side is unaffected.
    assert_eq!(get(gw.port, "/echo").status, 200);
}

#[test]
fn app_down_names_the_app_and_how_to_start_it() {
    let port = free_port();
    let gw = Gateway::start(&format!(
        "[upstreams.app]\naddress = \"127.0.0.1:{port}\"\n"
    ));
    let r = request(gw.port, "GET", "/", &[("Accept", "text/html")], None);
    assert_eq!(r.status, 502);
    assert!(r.text().contains(&format!("127.0.0.1:{port}")));
    assert!(r.text().contains("litestar run --port"));
    // Once the app is up, the same URL answers: the page's retry loop will reload into it.
    let _app = App::start_on(port);
    let r = get(gw.port, "/echo");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-litevite-error"), None);
}

#[test]
fn hotfile_rewrite_moves_traffic_to_the_new_vite_without_restart() {
    let (gw, _app, vite) = stack();
    let first_token = vite.token("/static/");
    let dir = vite.stop();
    let second = Vite::start_in(dir, "/static/", Some(&gw.path("public/hot")));
    let second_token = second.token("/static/");
    assert_ne!(first_token, second_token);
    let seen = wait_until(
        "requests to follow the new hotfile",
        Duration::from_secs(10),
        || {
            let r = get(gw.port, "/static/@vite/client");
            ws_token(&r.text()).filter(|t| *t == second_token)
        },
    );
    assert_eq!(seen, second_token);
    let (_ws, resp) = ws_connect(
        gw.port,
        &format!("/static/?token={second_token}"),
        "vite-hmr",
        Some(ORIGIN_PUBLIC),
    )
    .unwrap();
    assert_eq!(resp.status(), 101);
}

#[test]
fn hotfile_pointing_at_the_gateway_is_refused() {
    let app = App::start();
    let gw = Gateway::start(&config(&app, ""));
    fs::create_dir_all(gw.path("public")).unwrap();
    fs::write(
        gw.path("public/hot"),
        format!("http://127.0.0.1:{}", gw.port),
    )
    .unwrap();
    let r = wait_until(
        "the looping hotfile to be refused",
        Duration::from_secs(5),
        || {
            let r = request(
                gw.port,
                "GET",
                "/static/x.js",
                &[("Accept", "application/json")],
                None,
            );
            r.json()["cause"]
                .as_str()
                .is_some_and(|c| c.contains("this gateway"))
                .then_some(r)
        },
    );
    assert_eq!(r.status, 503);
}

#[test]
fn direct_mode_sends_vite_paths_to_the_app() {
    let app = App::start();
    let gw = Gateway::start(&config(&app, "[gateway]\nmode = \"direct\"\n"));
    let _vite = Vite::start("/static/", Some(&gw.path("public/hot")));
    let r = get(gw.port, "/echo/@vite/client");
    assert_eq!(r.json()["path"], "/echo/@vite/client");
    // /@vite/client and /static/... reach the app (Litestar's 404), not Vite.
    for target in ["/@vite/client", "/static/@vite/client"] {
        let r = get(gw.port, target);
        assert_eq!(r.status, 404, "{target}");
        assert!(!r.text().contains("wsToken"), "{target} reached Vite");
    }
}

#[test]
fn traversal_is_rejected_and_never_forwarded() {
    let (gw, _app, _vite) = stack();
    for target in [
        "/static/../../etc/passwd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/@fs/%252e%252e/x",
        "/static/..%5c..%5cx",
    ] {
        let r = get(gw.port, target);
        assert_eq!(r.status, 400, "{target}: {}", r.text());
    }
}

#[test]
fn route_rules_respond_redirect_and_strip_prefix() {
    let app = App::start();
    let gw = Gateway::start(&config(
        &app,
        r#"
[[routes]]
match = { path_prefix = "/health-stub", methods = ["GET"] }
respond = { status = 200, body = "stub", content_type = "text/plain" }
[[routes]]
match = { path_prefix = "/old/" }
redirect = { to = "/new/", status = 308 }
[[routes]]
match = { path_prefix = "/backend/" }
upstream = "app"
strip_prefix = true
add_request_headers = { "X-Via" = "litevite" }
add_response_headers = { "X-Rule" = "backend" }
"#,
    ));
    let r = get(gw.port, "/health-stub");
    assert_eq!((r.status, r.text().as_str()), (200, "stub"));
    let r = get(gw.port, "/old/page");
    assert_eq!((r.status, r.header("location")), (308, Some("/new/")));
    let r = get(gw.port, "/backend/echo?q=1");
    assert_eq!(r.header("x-rule"), Some("backend"));
    let body = r.json();
    assert_eq!(body["path"], "/echo");
    assert_eq!(body["raw_query"], "q=1");
    assert_eq!(r.echoed_header("x-via").as_deref(), Some("litevite"));
}

#[test]
fn idle_hmr_socket_is_not_cut_by_a_short_timeout() {
    let (gw, _app, _vite) = stack();
    let token = ws_token(&get(gw.port, "/static/@vite/client").text()).unwrap();
    let (mut ws, _) = ws_connect(
        gw.port,
        &format!("/static/?token={token}"),
        "vite-hmr",
        Some(ORIGIN_PUBLIC),
    )
    .unwrap();
    ws_wait_for(&mut ws, "connected", Duration::from_secs(5));
    // Pingora's downstream read timeout (60 s) would cut a quiet socket; the gateway
    // lifts it for upgrades. Stay silent for longer than that, then use the socket.
    let quiet = Instant::now();
    std::thread::sleep(Duration::from_secs(65));
    ws_ping_roundtrip(
        &mut ws,
        &format!("the HMR socket after {:?} of silence", quiet.elapsed()),
    );
}
