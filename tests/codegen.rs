//! Code generation end to end: golden files from a real Litestar app's schema, the
//! gateway exporting artifacts from the real fixture app (and again after the app
//! changes), real @hey-api/openapi-ts, its absence, and the one-shot `codegen` command.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::*;
use litevite_gw::codegen::{export, routes_json::RouteTable, routes_ts};

fn golden(name: &str) -> PathBuf {
    root().join("tests/fixtures/codegen").join(name)
}

/// Compares with a golden file; `UPDATE_GOLDENS=1` rewrites it instead.
fn assert_golden(name: &str, actual: &str) {
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDENS").is_some() {
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap();
    assert!(expected == actual, "{name} differs from the golden file (UPDATE_GOLDENS=1 to accept)\n--- actual ---\n{actual}");
}

#[test]
fn golden_routes_from_a_real_litestar_schema() {
    let text = fs::read_to_string(golden("openapi.json")).unwrap();
    let doc = export::parse(&text).unwrap();
    let table = RouteTable::from_openapi(&doc).unwrap();
    assert!(
        table.routes.len() >= 30,
        "a non-trivial table: {}",
        table.routes.len()
    );
    assert_golden("routes.json", &table.to_json());
    assert_golden("routes.ts", &routes_ts::render(&table, "routes.json"));
    // Byte-stable: the same input gives the same bytes.
    assert_eq!(
        routes_ts::render(&table, "routes.json"),
        routes_ts::render(&RouteTable::parse(&table.to_json()).unwrap(), "routes.json")
    );
}

#[test]
fn the_committed_schema_is_what_the_real_app_serves() {
    let app = App::start_from(&root().join("tests/fixtures/codegen_app"), free_port());
    let port = app.port;
    let addr = litevite_gw::config::UpstreamAddr::parse(&format!("127.0.0.1:{port}")).unwrap();
    let doc = export::fetch(&addr, "/schema/openapi.json", Duration::from_secs(10)).unwrap();
    assert_golden("openapi.json", &export::canonical(&doc));
}

/// A copy of the codegen fixture app served by the gateway with `uvicorn --reload`.
fn codegen_gateway(openapi_ts: &str) -> (Gateway, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let app_dir = dir.path().join("app");
    fs::create_dir_all(&app_dir).unwrap();
    fs::copy(
        root().join("tests/fixtures/codegen_app/app.py"),
        app_dir.join("app.py"),
    )
    .unwrap();
    let toml = format!(
        r#"
[processes.app]
command = ["{python}", "-m", "uvicorn", "app:app", "--app-dir", "app", "--host", "127.0.0.1", "--port", "{{port}}", "--reload", "--reload-dir", "app"]
port = "auto"
upstream = "app"

[codegen]
dir = "generated"
debounce = "100ms"

[codegen.openapi_ts]
{openapi_ts}
output = "generated/api"
"#,
        python = root().join(".venv/bin/python").display()
    );
    let gw = Gateway::start_in(dir, &toml);
    (gw, app_dir)
}

#[test]
fn the_gateway_writes_all_artifacts_and_follows_app_changes() {
    let bin = root().join("tests/e2e/node_modules/.bin/openapi-ts");
    assert!(
        bin.exists(),
        "tests/e2e/node_modules is missing: run scripts/setup.sh"
    );
    let (gw, app_dir) = codegen_gateway(&format!("command = [\"{}\"]", bin.display()));
    let gen = gw.path("generated");
    wait_until("routes.ts", Duration::from_secs(40), || {
        gen.join("routes.ts").exists().then_some(())
    });
    assert_eq!(
        fs::read_to_string(gen.join("routes.json")).unwrap(),
        fs::read_to_string(golden("routes.json")).unwrap()
    );
    assert_eq!(
        fs::read_to_string(gen.join("routes.ts")).unwrap(),
        fs::read_to_string(golden("routes.ts")).unwrap()
    );
    // openapi-ts writes its files one after another: wait for the run to end.
    wait_until("openapi-ts to finish", Duration::from_secs(60), || {
        gw.proc.log().contains("openapi-ts finished").then_some(())
    });
    assert!(gen.join("api/sdk.gen.ts").exists());
    assert!(fs::read_to_string(gen.join("api/types.gen.ts"))
        .unwrap()
        .contains("UserIn"));
    let ts_mtime = fs::metadata(gen.join("routes.ts"))
        .unwrap()
        .modified()
        .unwrap();

    // Add a route: uvicorn reloads its worker, the gateway exports again.
    let source = fs::read_to_string(app_dir.join("app.py")).unwrap().replace(
        "app = Litestar(\n    route_handlers=[\n        home,",
        "@get(\"/api/added/{thing_id:int}\", name=\"things:added\")\nasync def added(thing_id: int) -> int:\n    return thing_id\n\n\napp = Litestar(\n    route_handlers=[\n        added,\n        home,",
    );
    assert!(source.contains("things:added"));
    fs::write(app_dir.join("app.py"), source).unwrap();
    wait_until(
        "routes.ts to gain the new route",
        Duration::from_secs(40),
        || {
            fs::read_to_string(gen.join("routes.ts"))
                .ok()?
                .contains("\"things:added\": { thing_id: number };")
                .then_some(())
        },
    );
    assert!(fs::read_to_string(gen.join("routes.json"))
        .unwrap()
        .contains("\"things:added\""));
    assert!(fs::read_to_string(gen.join("openapi.json"))
        .unwrap()
        .contains("/api/added/{thing_id}"));
    wait_until(
        "openapi-ts to regenerate the client",
        Duration::from_secs(60),
        || {
            fs::read_to_string(gen.join("api/sdk.gen.ts"))
                .ok()?
                .contains("/api/added/{thing_id}")
                .then_some(())
        },
    );
    assert_ne!(
        fs::metadata(gen.join("routes.ts"))
            .unwrap()
            .modified()
            .unwrap(),
        ts_mtime
    );
    // No temp files are left behind.
    let leftovers: Vec<_> = fs::read_dir(&gen)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn missing_openapi_ts_is_one_warning_and_everything_else_works() {
    // The default command (npx --no-install) in a directory where the package is absent.
    let (gw, _app_dir) = codegen_gateway("enabled = true");
    let gen = gw.path("generated");
    wait_until("routes.ts", Duration::from_secs(40), || {
        gen.join("routes.ts").exists().then_some(())
    });
    let log = wait_until("the not-installed warning", Duration::from_secs(60), || {
        let log = gw.proc.log();
        log.contains("openapi-ts is not installed").then_some(log)
    });
    assert_eq!(
        log.matches("openapi-ts is not installed").count(),
        1,
        "{log}"
    );
    assert!(
        log.contains("npm install -D @hey-api/openapi-ts@0.99.0"),
        "{log}"
    );
    assert!(!gen.join("api").exists());
    assert_eq!(
        get(gw.port, "/api/users/0b3c2a44-1e8e-4c1b-9d43-8f1b8b0e7a11").status,
        200
    );
}

#[test]
fn an_invalid_schema_keeps_the_last_good_files() {
    let app = App::start();
    let dir = tempfile::tempdir().unwrap();
    let gen = dir.path().join("generated");
    fs::create_dir_all(&gen).unwrap();
    fs::copy(golden("openapi.json"), gen.join("openapi.json")).unwrap();
    let before = fs::read(gen.join("openapi.json")).unwrap();
    // /echo answers JSON that is not an OpenAPI document.
    let toml = format!(
        "[upstreams.app]\naddress = \"127.0.0.1:{}\"\n[codegen]\ndir = \"generated\"\nopenapi_path = \"/echo\"\n[codegen.openapi_ts]\nenabled = false\n",
        app.port
    );
    let gw = Gateway::start_in(dir, &toml);
    let log = wait_until(
        "the invalid-schema warning",
        Duration::from_secs(20),
        || {
            let log = gw.proc.log();
            log.contains("keeping the last good openapi.json")
                .then_some(log)
        },
    );
    assert!(
        log.contains("did not return a valid OpenAPI 3 document"),
        "{log}"
    );
    assert_eq!(fs::read(gw.path("generated/openapi.json")).unwrap(), before);
    // The existing openapi.json still produced routes.json and routes.ts.
    wait_until(
        "routes.ts from the last good schema",
        Duration::from_secs(10),
        || gw.path("generated/routes.ts").exists().then_some(()),
    );
}

#[test]
fn one_shot_codegen_succeeds_or_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("litevite.toml"),
        "[codegen]\ndir = \"out\"\n[codegen.openapi_ts]\nenabled = false\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(bin())
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[
        "codegen",
        "--openapi",
        golden("openapi.json").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("out/routes.ts")).unwrap(),
        fs::read_to_string(golden("routes.ts")).unwrap()
    );
    fs::write(dir.path().join("bad.json"), "{\"swagger\": \"2.0\"}").unwrap();
    let (code, err) = run(&["codegen", "--openapi", "bad.json"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("not an OpenAPI 3 document") || err.contains("not usable"),
        "{err}"
    );
    let port = free_port();
    fs::write(
        dir.path().join("litevite.toml"),
        format!("[upstreams.app]\naddress = \"127.0.0.1:{port}\"\n[codegen]\ndir = \"out\"\n[codegen.openapi_ts]\nenabled = false\n"),
    )
    .unwrap();
    let (code, err) = run(&["codegen", "--wait", "1s"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains(&format!("not answering at 127.0.0.1:{port}")),
        "{err}"
    );
    // With openapi-ts enabled but absent, the one-shot command fails (CI must notice).
    fs::write(dir.path().join("litevite.toml"), "[codegen]\ndir = \"out\"\n[codegen.openapi_ts]\ncommand = [\"litevite-no-such-openapi-ts\"]\n").unwrap();
    let (code, err) = run(&[
        "codegen",
        "--openapi",
        golden("openapi.json").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("openapi-ts is not installed"), "{err}");
}
