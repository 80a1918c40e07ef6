//! Hostile input and injected faults, with real processes: traversal and Vite fs.deny
//! bypasses never reach Vite, size limits, slow clients, an upstream killed mid-response,
//! an upstream that never answers, Vite restarted under 20 open HMR sockets, and an app
//! reloaded under uvicorn --reload while the HMR socket stays up.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use common::*;

fn app_config(app: &App, extra: &str) -> String {
    format!(
        "[upstreams.app]\naddress = \"127.0.0.1:{}\"\n{extra}",
        app.port
    )
}

fn metric(port: u16, series: &str) -> f64 {
    get(port, "/_litevite/metrics")
        .text()
        .lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn traversal_and_fs_deny_bypasses_are_refused_and_counted() {
    let app = App::start();
    let gw = Gateway::start(&app_config(&app, ""));
    let _vite = gw.start_vite();
    let attempts = [
        "/static/../../etc/passwd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/%252e%252e/%252e%252e/etc/passwd",
        "/static/..%5c..%5cetc%5cpasswd",
        "/static/%c0%ae%c0%ae/etc/passwd",
        "/@fs/etc/passwd?raw??",
        "/static/@fs/etc/passwd?import&raw??",
        "/@fs/etc/passwd?url?.wasm?init",
        "/static/.env?raw??",
        "/static/a%00b",
    ];
    for target in attempts {
        let r = get(gw.port, target);
        assert_eq!(r.status, 400, "{target}: {}", r.text());
        assert!(!r.text().contains("root:"), "{target} leaked a file");
    }
    assert!(
        metric(
            gw.port,
            "litevite_rejected_requests_total{reason=\"suspicious_query\"}"
        ) >= 4.0
    );
    assert!(
        metric(
            gw.port,
            "litevite_rejected_requests_total{reason=\"traversal\"}"
        ) >= 3.0
    );
    // Straight to Vite, `?raw??` would have been answered: the gateway is what stops it.
    assert_eq!(get(gw.port, "/_litevite/healthz").status, 200);
}

#[test]
fn url_header_and_body_limits() {
    let app = App::start();
    let gw = Gateway::start(&app_config(&app, "[gateway]\nmax_url_bytes = 1024\nmax_header_bytes = 4096\n[upstreams.app.health]\ninterval = \"10s\"\n").replace("[upstreams.app]\naddress", "[upstreams.app]\nmax_body_bytes = 1000\naddress"));
    let long = format!("/echo?{}", "a".repeat(2000));
    assert_eq!(get(gw.port, &long).status, 414);
    let big = "x".repeat(5000);
    assert_eq!(
        request(gw.port, "GET", "/echo", &[("X-Big", &big)], None).status,
        431
    );
    let body = vec![b'a'; 2000];
    assert_eq!(
        request(gw.port, "POST", "/echo", &[], Some(&body)).status,
        413
    );
    assert_eq!(
        request(gw.port, "POST", "/echo", &[], Some(&body[..500])).json()["body"]
            .as_str()
            .unwrap()
            .len(),
        500
    );
    // A chunked body without Content-Length is cut at the limit too.
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    for _ in 0..4 {
        let _ = write!(s, "200\r\n{}\r\n", "b".repeat(512));
    }
    let _ = write!(s, "0\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(
        out.starts_with("HTTP/1.1 413") || out.is_empty() || !out.contains("200 OK"),
        "{out}"
    );
    assert_eq!(
        get(gw.port, "/echo").status,
        200,
        "the gateway keeps serving"
    );
}

#[test]
fn slow_clients_do_not_hold_the_gateway() {
    let app = App::start();
    let gw = Gateway::start(&app_config(&app, ""));
    // 200 connections that send half a request and then nothing.
    let slow: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
            s.write_all(b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    for _ in 0..20 {
        assert_eq!(get(gw.port, "/echo").status, 200);
    }
    drop(slow);
}

#[test]
fn an_upstream_killed_mid_response_gives_a_clean_error_and_the_gateway_lives_on() {
    let app = App::start();
    let port = app.port;
    let gw = Gateway::start(&app_config(&app, ""));
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /die-mid-stream HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut out = Vec::new();
    let res = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("first chunk"), "{text}");
    assert!(!text.contains("never sent"));
    // Chunked framing never completed: the client can tell the response was cut.
    assert!(res.is_err() || !text.ends_with("0\r\n\r\n"), "{text}");
    drop(app);
    assert_eq!(get(gw.port, "/_litevite/healthz").status, 200);
    let _app = App::start_on(port);
    wait_until("the app back", Duration::from_secs(10), || {
        (get(gw.port, "/echo").status == 200).then_some(())
    });
}

#[test]
fn an_upstream_that_never_answers_gets_the_504_page() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let held: Vec<TcpStream> = silent.incoming().take(1).flatten().collect();
        std::thread::sleep(Duration::from_secs(5));
        drop(held);
    });
    let gw = Gateway::start(&format!("[gateway]\nupstream_timeout = \"1s\"\n[upstreams.app]\naddress = \"127.0.0.1:{port}\"\n[health]\ninterval = \"30s\"\n"));
    let r = request(gw.port, "GET", "/", &[("Accept", "text/html")], None);
    assert_eq!(r.status, 504, "{}", r.text());
    assert!(r.text().contains("did not answer in time"));
    assert!(r.text().contains(&format!("127.0.0.1:{port}")));
    holder.join().unwrap();
}

#[test]
fn vite_restarted_on_a_new_port_closes_20_hmr_sockets_and_new_ones_reach_it() {
    let app = App::start();
    let gw = Gateway::start(&app_config(&app, ""));
    let vite = gw.start_vite();
    let token = vite.token("/static/");
    let mut sockets: Vec<Ws> = (0..20).map(|_| hmr_socket(gw.port, &token)).collect();
    let dir = vite.stop();
    for ws in &mut sockets {
        let closed = wait_until(
            "the socket to close",
            Duration::from_secs(10),
            || match ws.read() {
                Ok(tungstenite::Message::Close(_)) | Err(_) => Some(true),
                Ok(_) => None,
            },
        );
        assert!(closed);
    }
    let second = Vite::start_in(dir, "/static/", Some(&gw.path("public/hot")));
    let token2 = second.token("/static/");
    let (mut ws, resp) = wait_until("a socket to the new vite", Duration::from_secs(10), || {
        ws_connect(
            gw.port,
            &format!("/static/?token={token2}"),
            "vite-hmr",
            Some("http://localhost"),
        )
        .ok()
    });
    assert_eq!(resp.status(), 101);
    ws_wait_for(&mut ws, "connected", Duration::from_secs(5));
}

#[test]
fn an_app_reload_keeps_the_hmr_socket_and_requests_are_served_through_it() {
    // The app under uvicorn --reload on a copy of the fixture, supervised by the gateway.
    let dir = tempfile::tempdir().unwrap();
    let toml = supervised_fixtures_toml(dir.path(), "")
        .replace(
            "\"--app-dir\", \"",
            "\"--reload\", \"--reload-dir\", \"app\", \"--app-dir\", \"",
        )
        .replace(
            &format!("{}", root().join("tests/fixtures/app").display()),
            "app",
        );
    fs::create_dir_all(dir.path().join("app")).unwrap();
    fs::copy(
        root().join("tests/fixtures/app/app.py"),
        dir.path().join("app/app.py"),
    )
    .unwrap();
    let gw = Gateway::start_in(dir, &toml);
    wait_until("both up", Duration::from_secs(40), || {
        (get(gw.port, "/static/@vite/client").status == 200 && get(gw.port, "/echo").status == 200)
            .then_some(())
    });
    let token = ws_token(&get(gw.port, "/static/@vite/client").text()).unwrap();
    let mut ws = hmr_socket(gw.port, &token);
    let workers_before = Command::new("pgrep")
        .args(["-f", "multiprocessing.spawn"])
        .output()
        .unwrap()
        .stdout;

    // Touch the app: uvicorn restarts its worker; requests meanwhile wait and succeed.
    let app_py = gw.path("app/app.py");
    let source = fs::read_to_string(&app_py).unwrap();
    fs::write(
        &app_py,
        format!("{source}\n# reload {}\n", std::process::id()),
    )
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(get(gw.port, "/echo").status);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    wait_until("uvicorn to log the reload", Duration::from_secs(20), || {
        gw.proc.log().contains("Reloading").then_some(())
    });
    let _ = workers_before;
    // The HMR socket is untouched: it belongs to Vite, not to the app.
    ws_ping_roundtrip(&mut ws, "the HMR socket after the app reload");
}

#[test]
fn a_client_that_stops_mid_header_is_disconnected() {
    let app = App::start();
    let gw = Gateway::start(&app_config(&app, ""));
    let mut s = TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    s.write_all(b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    // Pingora's read timeout (60 s) applies while the request header is read.
    s.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    let mut buf = [0u8; 64];
    let started = std::time::Instant::now();
    let n = s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "expected the gateway to close the connection");
    assert!(started.elapsed() < Duration::from_secs(89));
    assert_eq!(get(gw.port, "/echo").status, 200);
}
