//! Health checks, readiness, metrics, the status endpoint and config hot reload, with
//! real upstreams (the Litestar fixture app, a real Vite) stopped and restarted.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::*;

const FAST_HEALTH: &str = "[health]\ninterval = \"200ms\"\ntimeout = \"500ms\"\nrise = 2\nfall = 2\nretry_window = \"2s\"\n";

fn readyz(port: u16) -> (u16, serde_json::Value) {
    let r = get(port, "/_litevite/readyz");
    (r.status, r.json())
}

/// The value of one sample in Prometheus text, or 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn health_transitions_drive_readyz_logs_and_gauges() {
    let app = App::start();
    let gw = Gateway::start(&format!(
        "[upstreams.app]\naddress = \"127.0.0.1:{}\"\n{FAST_HEALTH}",
        app.port
    ));
    // Vite is required in proxy mode and not running: not ready.
    let (status, body) = wait_until("app up, vite down", Duration::from_secs(10), || {
        let (s, b) = readyz(gw.port);
        (b["upstreams"]["app"]["state"] == "up" && b["upstreams"]["vite"]["state"] == "down")
            .then_some((s, b))
    });
    assert_eq!(status, 503);
    assert_eq!(body["ready"], false);
    assert!(body["upstreams"]["vite"]["last_error"]
        .as_str()
        .unwrap()
        .contains("no hotfile"));

    let _vite = Vite::start("/static/", Some(&gw.path("public/hot")));
    let (status, _) = wait_until("ready", Duration::from_secs(15), || {
        let r = readyz(gw.port);
        (r.0 == 200).then_some(r)
    });
    assert_eq!(status, 200);
    let metrics = get(gw.port, "/_litevite/metrics").text();
    assert_eq!(
        sample(&metrics, "litevite_upstream_up{upstream=\"app\"}"),
        1.0
    );
    assert_eq!(
        sample(&metrics, "litevite_upstream_up{upstream=\"vite\"}"),
        1.0
    );
    assert!(
        sample(
            &metrics,
            "litevite_health_checks_total{result=\"ok\",upstream=\"vite\"}"
        ) >= 1.0,
        "{metrics}"
    );

    // Stop the app: down after `fall` checks, readyz 503, one log line.
    let port = app.port;
    drop(app);
    wait_until("app down", Duration::from_secs(10), || {
        (readyz(gw.port).1["upstreams"]["app"]["state"] == "down").then_some(())
    });
    assert_eq!(readyz(gw.port).0, 503);
    let metrics = get(gw.port, "/_litevite/metrics").text();
    assert_eq!(
        sample(&metrics, "litevite_upstream_up{upstream=\"app\"}"),
        0.0
    );
    let log = gw.proc.log();
    assert_eq!(
        log.matches("app is down: connection refused (2 checks)")
            .count(),
        1,
        "{log}"
    );

    // Marked down longer than the retry window: 503 at once, naming the checks.
    std::thread::sleep(Duration::from_millis(2200));
    let t = Instant::now();
    let r = request(
        gw.port,
        "GET",
        "/echo",
        &[("Accept", "application/json")],
        None,
    );
    assert_eq!(r.status, 503);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "no connect wait: {:?}",
        t.elapsed()
    );
    assert!(
        r.json()["cause"]
            .as_str()
            .unwrap()
            .contains("health checks"),
        "{}",
        r.text()
    );

    let _app = App::start_on(port);
    wait_until("ready again", Duration::from_secs(15), || {
        (readyz(gw.port).0 == 200).then_some(())
    });
    let log = gw.proc.log();
    assert!(log.contains("app is up again after"), "{log}");
    assert_eq!(get(gw.port, "/echo").status, 200);
}

#[test]
fn a_request_during_a_restart_waits_instead_of_failing() {
    let port = free_port();
    let gw = Gateway::start(&format!("[upstreams.app]\naddress = \"127.0.0.1:{port}\"\n[gateway]\nmode = \"direct\"\n[health]\ninterval = \"10s\"\nretry_window = \"5s\"\n"));
    // The app comes up while the request is already waiting.
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        App::start_on(port)
    });
    let r = get(gw.port, "/echo");
    let _app = starter.join().unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn metrics_name_every_family_and_count_requests_under_the_right_labels() {
    let app = App::start();
    let gw = Gateway::start(&format!(
        "[upstreams.app]\naddress = \"127.0.0.1:{}\"\n{FAST_HEALTH}",
        app.port
    ));
    let vite = gw.start_vite();
    let series = "litevite_requests_total{method=\"GET\",status=\"200\",upstream=\"app\"}";
    let before = sample(&get(gw.port, "/_litevite/metrics").text(), series);
    assert_eq!(get(gw.port, "/echo").status, 200);
    let after = sample(&get(gw.port, "/_litevite/metrics").text(), series);
    assert_eq!(after - before, 1.0);

    // Exercise the WebSocket and reload families.
    let token = vite.token("/static/");
    let (ws, _) = ws_connect(
        gw.port,
        &format!("/static/?token={token}"),
        "vite-hmr",
        Some("http://localhost"),
    )
    .unwrap();
    let text = wait_until("the websocket gauge", Duration::from_secs(5), || {
        let t = get(gw.port, "/_litevite/metrics").text();
        (sample(&t, "litevite_websocket_connections{upstream=\"vite\"}") == 1.0).then_some(t)
    });
    assert!(
        sample(
            &text,
            "litevite_websocket_upgrades_total{result=\"ok\",upstream=\"vite\"}"
        ) >= 1.0
    );
    drop(ws);
    let toml = fs::read_to_string(gw.path("litevite.toml")).unwrap();
    fs::write(gw.path("litevite.toml"), format!("{toml}\n[[routes]]\nmatch = {{ path_prefix = \"/x\" }}\nrespond = {{ status = 204 }}\n")).unwrap();
    wait_until("a reload", Duration::from_secs(10), || {
        (get(gw.port, "/x").status == 204).then_some(())
    });
    get(gw.port, "/static/../x");

    let text = get(gw.port, "/_litevite/metrics").text();
    for family in [
        "litevite_requests_total",
        "litevite_request_duration_seconds",
        "litevite_upstream_up",
        "litevite_websocket_connections",
        "litevite_websocket_upgrades_total",
        "litevite_health_checks_total",
        "litevite_config_reloads_total",
        "litevite_rejected_requests_total",
        "process_resident_memory_bytes",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family}")),
            "missing {family}:\n{text}"
        );
    }
    assert!(sample(&text, "litevite_config_reloads_total{result=\"ok\"}") >= 1.0);
    assert!(
        text.contains("litevite_request_duration_seconds_bucket{upstream=\"app\",le=\"0.0005\"}"),
        "{text}"
    );
    // No raw paths as labels.
    assert!(!text.contains("/echo"), "{text}");
    // Codegen ran too (export is on by default and the app serves its schema).
    let text = wait_until("codegen metrics", Duration::from_secs(10), || {
        let t = get(gw.port, "/_litevite/metrics").text();
        t.contains("litevite_codegen_runs_total{generator=\"routes.ts\",result=\"ok\"}")
            .then_some(t)
    });
    assert!(
        text.contains("# TYPE litevite_codegen_duration_seconds histogram"),
        "{text}"
    );
}

#[test]
fn status_answers_json_for_tools_and_html_for_people() {
    let app = App::start();
    let gw = Gateway::start(&format!(
        "[upstreams.app]\naddress = \"127.0.0.1:{}\"\n{FAST_HEALTH}",
        app.port
    ));
    get(gw.port, "/echo?from=status-test");
    let r = request(
        gw.port,
        "GET",
        "/_litevite/status",
        &[("Accept", "application/json")],
        None,
    );
    assert_eq!(r.status, 200);
    let s = r.json();
    let names: Vec<&str> = s["upstreams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["app", "vite"]);
    assert!(s["routing_table"]
        .as_str()
        .unwrap()
        .contains("Routing table"));
    assert!(s["config"]["text"]
        .as_str()
        .unwrap()
        .contains("[upstreams.app]"));
    assert!(s["recent_requests"]["app"][0]["path"]
        .as_str()
        .unwrap()
        .contains("from=status-test"));
    let html = request(
        gw.port,
        "GET",
        "/_litevite/status",
        &[("Accept", "text/html")],
        None,
    );
    assert!(html
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(html.text().contains("<title>litevite-gw status</title>"));
}

#[test]
fn hot_reload_applies_valid_edits_keeps_sockets_and_rejects_bad_ones() {
    let app = App::start();
    let base = format!("[upstreams.app]\naddress = \"127.0.0.1:{}\"\n", app.port);
    let gw = Gateway::start(&base);
    let vite = gw.start_vite();
    let token = vite.token("/static/");
    let mut ws = hmr_socket(gw.port, &token);
    assert_eq!(get(gw.port, "/hello").status, 404);

    // A valid edit: new requests follow the new rule at once.
    fs::write(gw.path("litevite.toml"), format!("{base}[[routes]]\nmatch = {{ path_prefix = \"/hello\" }}\nrespond = {{ status = 200, body = \"hi\" }}\n")).unwrap();
    wait_until("the new rule", Duration::from_secs(10), || {
        (get(gw.port, "/hello").text() == "hi").then_some(())
    });
    // The HMR socket survived the reload.
    ws_ping_roundtrip(&mut ws, "the HMR socket after the reload");

    // An invalid edit: rejected with check's message, the old rule stays.
    fs::write(gw.path("litevite.toml"), format!("{base}[[routes]]\nmatch = {{ path_prefix = \"/hello\" }}\nrespnd = {{ status = 200 }}\n")).unwrap();
    let log = wait_until("the rejection", Duration::from_secs(10), || {
        let log = gw.proc.log();
        log.contains("config reload rejected").then_some(log)
    });
    assert!(
        log.contains("litevite.toml:5:1: `routes.respnd`: unknown key `respnd`"),
        "{log}"
    );
    assert!(log.contains("did you mean `respond`?"), "{log}");
    assert_eq!(get(gw.port, "/hello").text(), "hi");

    // A change that needs a restart says so.
    fs::write(
        gw.path("litevite.toml"),
        format!("{base}[processes.x]\ncommand = [\"true\"]\n"),
    )
    .unwrap();
    wait_until("the restart notice", Duration::from_secs(10), || {
        gw.proc
            .log()
            .contains("restart litevite-gw to apply")
            .then_some(())
    });
    assert_eq!(
        get(gw.port, "/hello").status,
        404,
        "the rest of the valid edit applies"
    );
}
