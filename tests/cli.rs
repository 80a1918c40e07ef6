//! Command-line behaviour of the real binary: check, init, exit codes, signals,
//! a busy listen address, log formats.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

fn run_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("LITEVITE_CONFIG")
        .env_remove("VITE_PROXY_MODE")
        .output()
        .expect("run litevite-gw");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_prints_resolved_config_and_routing_table() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("litevite.toml"),
        "[vite]\nfallback = \"vite\"\n",
    )
    .unwrap();
    let (code, out, err) = run_in(dir.path(), &["check"]);
    assert_eq!(code, 0, "{err}");
    for needle in [
        "[gateway]",
        "listen = \"127.0.0.1:8000\"",
        "fallback = \"vite\"",
        "Routing table (proxy mode",
        "vite-hmr",
        "is valid",
    ] {
        assert!(out.contains(needle), "missing {needle:?}:\n{out}");
    }
}

#[test]
fn check_rejects_bad_config_with_location_and_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[gateway]\nlisten = \"127.0.0.1:8000\"\nlsiten = \"x\"\n",
    )
    .unwrap();
    let (code, _, err) = run_in(dir.path(), &["check", "-c", "bad.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.toml:3:1"), "{err}");
    assert!(err.contains("gateway.lsiten"), "{err}");
    assert!(err.contains("did you mean `listen`?"), "{err}");

    std::fs::write(
        dir.path().join("bad.toml"),
        "[[routes]]\nmatch = { path_prefix = \"/api/\" }\nupstream = \"vtie\"\n",
    )
    .unwrap();
    let (code, _, err) = run_in(dir.path(), &["check", "-c", "bad.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.toml:3:12") && err.contains("did you mean \"vite\"?"),
        "{err}"
    );

    // A bad run config exits 2 as well, before listening.
    let (code, _, err) = run_in(dir.path(), &["-c", "bad.toml"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn env_overrides_are_validated_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("litevite.toml"), "").unwrap();
    let out = Command::new(bin())
        .arg("check")
        .current_dir(dir.path())
        .env("VITE_PROXY_MODE", "sideways")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("environment variable VITE_PROXY_MODE"),
        "{err}"
    );
}

#[test]
fn missing_config_and_bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run_in(dir.path(), &["check"]);
    assert_eq!(code, 2);
    assert!(err.contains("litevite-gw init"), "{err}");
    let (code, _, _) = run_in(dir.path(), &["--no-such-flag"]);
    assert_eq!(code, 2);
    let (code, out, _) = run_in(dir.path(), &["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("litevite-gw "), "{out}");
}

#[test]
fn init_writes_a_valid_starter_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run_in(dir.path(), &["init"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run_in(dir.path(), &["check"]);
    assert_eq!(code, 0, "the starter must be valid: {err}");
    let before = std::fs::read_to_string(dir.path().join("litevite.toml")).unwrap();
    let (code, _, err) = run_in(dir.path(), &["init"]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("litevite.toml")).unwrap(),
        before
    );
}

#[test]
fn busy_listen_address_fails_at_once_with_exit_1() {
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("litevite.toml"), "").unwrap();
    let mut cmd = Command::new(bin());
    cmd.args(["--listen", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path());
    let mut gw = Proc::spawn("litevite-gw", cmd);
    let status = gw
        .wait_exit(Duration::from_secs(10))
        .expect("the gateway must exit, not retry");
    assert_eq!(status.code(), Some(1));
    let log = gw.log();
    assert!(
        log.contains(&format!("127.0.0.1:{port} is already in use")),
        "{log}"
    );
}

#[test]
fn sigterm_and_sigint_shut_down_promptly_with_exit_0() {
    for sig in ["TERM", "INT"] {
        let mut gw = Gateway::start("");
        // An idle keep-alive connection must not hold shutdown up.
        let _idle = std::net::TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
        let t = Instant::now();
        gw.proc.signal(sig);
        let status = gw
            .proc
            .wait_exit(Duration::from_secs(10))
            .expect("exit after the signal");
        assert_eq!(status.code(), Some(0), "SIG{sig}: {}", gw.proc.log());
        println!("SIG{sig}: exited in {:?}", t.elapsed());
        assert!(!is_listening(gw.port));
    }
}

#[test]
fn json_log_format_emits_json_lines() {
    let gw = {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("litevite.toml"), "").unwrap();
        let port = free_port();
        let mut cmd = Command::new(bin());
        cmd.args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--log-format",
            "json",
        ])
        .current_dir(dir.path());
        let proc = Proc::spawn("litevite-gw", cmd);
        wait_until("healthz", Duration::from_secs(20), || {
            try_request(port, "GET", "/_litevite/healthz", &[], None)
                .ok()
                .filter(|r| r.status == 200)
        });
        (proc, dir)
    };
    let log = gw.0.log();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string(), "{line}");
    }
    assert!(log.contains("litevite-gw ready"), "{log}");
}

#[test]
fn the_committed_json_schema_is_generated_from_the_config_types() {
    let generated = litevite_gw::config::json_schema();
    let path = root().join("config/litevite.schema.json");
    if std::env::var_os("UPDATE_GOLDENS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(committed == generated, "config/litevite.schema.json is stale: run `litevite-gw schema > config/litevite.schema.json`");
    let (code, out, _) = run_in(&root(), &["schema"]);
    assert_eq!((code, out), (0, generated));
}

#[test]
fn every_shipped_config_passes_check_and_references_the_schema() {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(root().join("config"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.push(root().join("litevite.toml"));
    assert!(files.len() >= 6, "{files:?}");
    for file in files {
        let out = Command::new(bin())
            .args(["check", "-c"])
            .arg(&file)
            .env("LITEVITE_TOKEN", "example-token-for-check-0123")
            .env_remove("VITE_PROXY_MODE")
            .env_remove("LITEVITE_LISTEN")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&file).unwrap();
        let in_config_dir = file.parent() == Some(&root().join("config"));
        if in_config_dir && !file.ends_with("starter.toml") {
            assert!(
                text.starts_with("#:schema ./litevite.schema.json"),
                "{} lacks the #:schema line",
                file.display()
            );
        }
    }
}
