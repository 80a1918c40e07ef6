//! `[auth]` on a shared box: nothing reaches an upstream without the token; the login
//! URL sets an HttpOnly cookie; bearer tokens for API clients; WebSockets need the
//! cookie; probes stay open; the token never shows in logs.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;

const TOKEN: &str = "test-token-5f2b9c0d8e7a6b5c";

#[test]
fn requests_need_the_token_and_the_login_url_sets_a_cookie() {
    let app = App::start();
    let gw = Gateway::start(&format!(
        "[upstreams.app]\naddress = \"127.0.0.1:{}\"\n[auth]\ntoken = \"{TOKEN}\"\n",
        app.port
    ));
    let vite = Vite::start("/static/", Some(&gw.path("public/hot")));
    wait_until("vite discovered", Duration::from_secs(10), || {
        let r = request(
            gw.port,
            "GET",
            "/static/@vite/client",
            &[("Authorization", &format!("Bearer {TOKEN}"))],
            None,
        );
        (r.status == 200).then_some(())
    });

    // No credentials: 401 in the client's format, and the app never sees the request.
    let r = get(gw.port, "/echo?secret-probe");
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    let html = request(
        gw.port,
        "GET",
        "/echo?secret-probe",
        &[("Accept", "text/html")],
        None,
    );
    assert_eq!(html.status, 401);
    assert!(html.text().contains("This dev server is protected"));
    let json = request(
        gw.port,
        "GET",
        "/static/src/main.js",
        &[("Accept", "application/json")],
        None,
    );
    assert_eq!(
        (json.status, json.header("content-type")),
        (401, Some("application/problem+json"))
    );
    assert_eq!(
        request(
            gw.port,
            "GET",
            "/echo",
            &[("Authorization", "Bearer wrong-token-0000000000")],
            None
        )
        .status,
        401
    );
    assert!(
        !app.proc.log().contains("secret-probe"),
        "an unauthenticated request reached the app"
    );

    // Bearer for API clients.
    let r = request(
        gw.port,
        "GET",
        "/echo",
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        None,
    );
    assert_eq!(r.status, 200);

    // Probes stay open; readyz without credentials says only the verdict.
    assert_eq!(get(gw.port, "/_litevite/healthz").status, 200);
    let ready = get(gw.port, "/_litevite/readyz").json();
    assert!(
        ready.get("ready").is_some() && ready.get("upstreams").is_none(),
        "{ready}"
    );
    assert_eq!(get(gw.port, "/_litevite/metrics").status, 401);

    // Login: wrong token → 401 page; right token → cookie + redirect on this origin only.
    let r = get(gw.port, "/_litevite/login?token=nope&next=/echo");
    assert_eq!(r.status, 401);
    assert!(r.text().contains("That token is not right"));
    let r = get(
        gw.port,
        &format!("/_litevite/login?token={TOKEN}&next=/echo%3Fa%3D1"),
    );
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/echo?a=1"));
    let cookie = r.header("set-cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains(TOKEN));
    let pair = cookie.split(';').next().unwrap().to_string();
    let r = get(
        gw.port,
        &format!("/_litevite/login?token={TOKEN}&next=//evil.example/x"),
    );
    assert_eq!(r.header("location"), Some("/"));

    // The cookie opens pages and the HMR WebSocket; a socket without it is refused.
    assert_eq!(
        request(gw.port, "GET", "/echo", &[("Cookie", &pair)], None).status,
        200
    );
    let token = vite.token("/static/");
    let target = format!("/static/?token={token}");
    let (_ws, resp) = ws_connect_with(
        gw.port,
        &target,
        "vite-hmr",
        &[("Origin", "http://localhost"), ("Cookie", &pair)],
    )
    .unwrap();
    assert_eq!(resp.status(), 101);
    match ws_connect_with(
        gw.port,
        &target,
        "vite-hmr",
        &[("Origin", "http://localhost")],
    ) {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|(_, r)| r.status())),
    }

    // The token never appears in the gateway's logs (debug level included).
    assert!(!gw.proc.log().contains(TOKEN), "{}", gw.proc.log());
}

#[test]
fn a_public_listen_address_without_auth_prints_a_warning() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("litevite.toml"), "").unwrap();
    let mut cmd = std::process::Command::new(bin());
    cmd.args(["--listen", &format!("0.0.0.0:{port}")])
        .current_dir(dir.path());
    let gw = Proc::spawn("litevite-gw", cmd);
    let log = wait_until("the warning", Duration::from_secs(20), || {
        let log = gw.log();
        log.contains("without [auth]").then_some(log)
    });
    assert!(
        log.contains("read\n") || log.contains("your project's files"),
        "{log}"
    );
}
