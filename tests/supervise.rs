//! `[processes.*]`: the gateway starts the real fixture app and a real Vite on auto
//! ports, relays their output, restarts them, and never leaves orphans.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::time::Duration;

use common::*;

fn start_supervised(extra: &str) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let toml = supervised_fixtures_toml(dir.path(), extra);
    let gw = Gateway::start_in(dir, &toml);
    wait_until(
        "both children to serve through the gateway",
        Duration::from_secs(40),
        || {
            let vite = get(gw.port, "/static/@vite/client").status == 200;
            let app = get(gw.port, "/echo").status == 200;
            (vite && app).then_some(())
        },
    );
    gw
}

fn child_pid(gw: &Gateway, needle: &str) -> u32 {
    children_of(gw.proc.pid())
        .into_iter()
        .find(|(_, cmd)| cmd.contains(needle))
        .unwrap_or_else(|| {
            panic!(
                "no child running {needle}: {:?}",
                children_of(gw.proc.pid())
            )
        })
        .0
}

#[test]
fn children_run_on_auto_ports_with_prefixed_output_and_a_hotfile() {
    let gw = start_supervised("");
    let hot = wait_until("the hotfile", Duration::from_secs(10), || {
        fs::read_to_string(gw.path("web/public/hot")).ok()
    });
    let vite_port: u16 = hot.rsplit(':').next().unwrap().parse().unwrap();
    // The hotfile names the supervised Vite, whose client the gateway serves.
    let direct = get(vite_port, "/static/@vite/client");
    assert_eq!(
        ws_token(&direct.text()),
        ws_token(&get(gw.port, "/static/@vite/client").text())
    );
    wait_until("the banner", Duration::from_secs(10), || {
        gw.proc.log().contains("litevite-gw v").then_some(())
    });
    let log = gw.proc.log();
    assert!(log.contains("[vite]") && log.contains("[app]"), "{log}");
    assert!(
        log.contains("started by the gateway ([processes.vite])"),
        "{log}"
    );
    assert!(log.contains(&format!("127.0.0.1:{vite_port}")), "{log}");
}

#[test]
fn sigterm_stops_every_child_and_removes_the_hotfile() {
    let mut gw = start_supervised("");
    let kids: Vec<u32> = children_of(gw.proc.pid())
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert!(kids.len() >= 3, "app, vite and the reaper: {kids:?}");
    gw.proc.signal("TERM");
    let status = gw
        .proc
        .wait_exit(Duration::from_secs(15))
        .expect("the gateway exits");
    assert_eq!(status.code(), Some(0), "{}", gw.proc.log());
    for pid in kids {
        wait_until(
            &format!("child {pid} to be gone"),
            Duration::from_secs(5),
            || (!alive(pid)).then_some(()),
        );
    }
    assert!(!gw.path("web/public/hot").exists());
}

#[test]
fn sigkill_of_the_gateway_leaves_no_orphans() {
    let mut gw = start_supervised("");
    let kids: Vec<u32> = children_of(gw.proc.pid())
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let app = child_pid(&gw, "uvicorn");
    let vite = child_pid(&gw, "vite.js");
    gw.proc.signal("KILL");
    gw.proc.wait_exit(Duration::from_secs(5)).expect("killed");
    for pid in [app, vite] {
        wait_until(
            &format!("orphan {pid} to be stopped by the reaper"),
            Duration::from_secs(10),
            || (!alive(pid)).then_some(()),
        );
    }
    for pid in kids {
        wait_until("every child gone", Duration::from_secs(10), || {
            (!alive(pid)).then_some(())
        });
    }
    assert!(
        !gw.path("web/public/hot").exists(),
        "the reaper removes the hotfile too"
    );
}

#[test]
fn a_killed_vite_is_restarted_and_traffic_recovers() {
    let gw = start_supervised("");
    let before = ws_token(&get(gw.port, "/static/@vite/client").text()).unwrap();
    let vite = child_pid(&gw, "vite.js");
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &vite.to_string()])
        .status();
    let after = wait_until(
        "a new vite through the gateway",
        Duration::from_secs(30),
        || ws_token(&get(gw.port, "/static/@vite/client").text()).filter(|t| *t != before),
    );
    assert_ne!(before, after);
    let log = gw.proc.log();
    assert!(
        log.contains("vite was killed by SIGKILL; restarting in 1 s (attempt 1)"),
        "{log}"
    );
}

#[test]
fn a_crash_loop_is_reported_and_not_retried_forever() {
    let gw = Gateway::start(
        r#"
[processes.broken]
command = ["sh", "-c", "echo 'boom: missing module' >&2; exit 3"]
restart = "always"
"#,
    );
    wait_until("the crash loop report", Duration::from_secs(40), || {
        gw.proc
            .log()
            .contains("broken keeps failing (5 times in a row")
            .then_some(())
    });
    let log = gw.proc.log();
    for n in 1..=4 {
        assert!(
            log.contains(&format!("(attempt {n})")),
            "attempt {n} missing:\n{log}"
        );
    }
    assert!(log.contains("[broken] boom: missing module"), "{log}");
    // The gateway itself keeps serving.
    assert_eq!(get(gw.port, "/_litevite/healthz").status, 200);
}

#[test]
fn a_child_that_dies_during_startup_shows_its_last_lines_and_command() {
    let gw = Gateway::start(
        r#"
[processes.app]
command = ["sh", "-c", "echo 'Error: could not import module app on port {port}'; exit 1"]
port = "auto"
upstream = "app"
restart = "never"
"#,
    );
    let log = wait_until(
        "the start-up failure report",
        Duration::from_secs(20),
        || {
            let log = gw.proc.log();
            log.contains("during start-up").then_some(log)
        },
    );
    assert!(
        log.contains("app exited with status 1 during start-up; command: sh -c"),
        "{log}"
    );
    assert!(
        log.contains("  Error: could not import module app on port"),
        "{log}"
    );
    assert!(log.contains("not restarting"), "{log}");
    // Requests get the error page naming the app.
    let r = request(gw.port, "GET", "/", &[("Accept", "application/json")], None);
    assert_eq!(r.status, 502);
    assert_eq!(r.json()["upstream"], "app");
}
