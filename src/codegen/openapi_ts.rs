//! Running `@hey-api/openapi-ts` on openapi.json: `CI=1`, no stdin, a timeout, a
//! dedicated output directory, the input checked before and the output after (it exits
//! 0 on a missing input), and one clear warning when it is not installed.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use tokio::io::AsyncReadExt;

use crate::config::OpenapiTsConfig;

/// The version the docs and the demo pin; used in the install hint.
pub const PINNED: &str = "@hey-api/openapi-ts@0.99.0";

/// How a run ended, when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenapiTsError {
    #[error("openapi-ts is not installed; install it with `npm install -D {PINNED} typescript` (routes.ts and proxying are unaffected)")]
    NotInstalled,
    #[error("openapi-ts input {0} is missing or not an OpenAPI document")]
    BadInput(String),
    #[error("openapi-ts exited with {status}: {output}")]
    Failed { status: String, output: String },
    #[error("openapi-ts ran longer than {0:?} and was stopped")]
    Timeout(Duration),
    #[error("openapi-ts exited 0 but wrote nothing under {0}")]
    NoOutput(String),
    #[error("cannot run openapi-ts: {0}")]
    Spawn(String),
}

/// Runs openapi-ts once in `cwd`.
pub async fn run(cfg: &OpenapiTsConfig, input: &Path, cwd: &Path) -> Result<(), OpenapiTsError> {
    let text = std::fs::read_to_string(input)
        .map_err(|_| OpenapiTsError::BadInput(input.display().to_string()))?;
    super::export::parse(&text)
        .map_err(|_| OpenapiTsError::BadInput(input.display().to_string()))?;
    let started = SystemTime::now();
    let mut cmd = tokio::process::Command::new(&cfg.command[0]);
    cmd.args(&cfg.command[1..])
        .arg("-i")
        .arg(input)
        .arg("-o")
        .arg(&cfg.output);
    if !cfg.plugins.is_empty() {
        cmd.arg("-p").args(&cfg.plugins);
    }
    cmd.current_dir(cwd)
        .env("CI", "1")
        .env("NO_INTERACTIVE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(OpenapiTsError::NotInstalled)
        }
        Err(e) => return Err(OpenapiTsError::Spawn(e.to_string())),
    };
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let collect = async {
        let mut text = String::new();
        if let Some(o) = out.as_mut() {
            let _ = o.read_to_string(&mut text).await;
        }
        if let Some(e) = err.as_mut() {
            let _ = e.read_to_string(&mut text).await;
        }
        text
    };
    let waited = tokio::time::timeout(cfg.timeout, async {
        let (text, status) = tokio::join!(collect, child.wait());
        (text, status)
    })
    .await;
    let (output, status) = match waited {
        Ok(r) => r,
        Err(_) => {
            if let Some(pid) = child.id() {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            return Err(OpenapiTsError::Timeout(cfg.timeout));
        }
    };
    let status = status.map_err(|e| OpenapiTsError::Spawn(e.to_string()))?;
    if !status.success() {
        if looks_not_installed(&output) {
            return Err(OpenapiTsError::NotInstalled);
        }
        return Err(OpenapiTsError::Failed {
            status: status.to_string(),
            output: tail(&output, 12),
        });
    }
    if !wrote_since(&cfg.output, started) {
        return Err(OpenapiTsError::NoOutput(cfg.output.display().to_string()));
    }
    Ok(())
}

/// Where openapi-ts runs: the nearest directory above its output that has a
/// package.json (the web project, whose node_modules has it), else `fallback`.
pub fn project_dir(output: &Path, fallback: &Path) -> PathBuf {
    output
        .ancestors()
        .skip(1)
        .find(|d| d.join("package.json").is_file())
        .map_or_else(|| fallback.to_path_buf(), Path::to_path_buf)
}

/// npx/npm/sh wording for "the package or program is not there".
fn looks_not_installed(output: &str) -> bool {
    [
        "npx canceled due to missing packages",
        "could not determine executable to run",
        "command not found",
        "ERR_MODULE_NOT_FOUND",
        "Cannot find module '@hey-api/openapi-ts",
    ]
    .iter()
    .any(|needle| output.contains(needle))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// True when some file under `dir` was modified at or after `since`.
fn wrote_since(dir: &Path, since: SystemTime) -> bool {
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    // File systems with coarse timestamps: allow a little slack.
    let since = since - Duration::from_secs(2);
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|m| m >= since)
            {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_in_the_web_project_that_holds_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let web = dir.path().join("web");
        std::fs::create_dir_all(web.join("src/generated")).unwrap();
        std::fs::write(web.join("package.json"), "{}").unwrap();
        assert_eq!(project_dir(&web.join("src/generated/api"), dir.path()), web);
        assert_eq!(
            project_dir(&dir.path().join("elsewhere/api"), dir.path()),
            dir.path()
        );
    }

    #[test]
    fn recognises_missing_package_messages() {
        assert!(looks_not_installed("npm error npx canceled due to missing packages and no YES option: [\"@hey-api/openapi-ts@0.95.0\"]"));
        assert!(!looks_not_installed("Error: spec has 3 errors"));
    }

    #[tokio::test]
    async fn a_missing_program_is_not_installed_and_a_bad_input_is_caught_first() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("openapi.json");
        let cfg = OpenapiTsConfig {
            enabled: true,
            command: vec!["litevite-no-such-program".into()],
            output: dir.path().join("api"),
            plugins: vec![],
            timeout: Duration::from_secs(5),
        };
        assert_eq!(
            run(&cfg, &input, dir.path()).await,
            Err(OpenapiTsError::BadInput(input.display().to_string()))
        );
        std::fs::write(&input, r#"{"openapi": "3.1.0", "paths": {}}"#).unwrap();
        assert_eq!(
            run(&cfg, &input, dir.path()).await,
            Err(OpenapiTsError::NotInstalled)
        );
    }

    #[tokio::test]
    async fn exit_zero_without_output_is_a_failure_and_timeouts_kill() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("openapi.json");
        std::fs::write(&input, r#"{"openapi": "3.1.0", "paths": {}}"#).unwrap();
        let mut cfg = OpenapiTsConfig {
            enabled: true,
            command: vec!["true".into()],
            output: dir.path().join("api"),
            plugins: vec![],
            timeout: Duration::from_secs(5),
        };
        assert!(matches!(
            run(&cfg, &input, dir.path()).await,
            Err(OpenapiTsError::NoOutput(_))
        ));
        cfg.command = vec!["sh".into(), "-c".into(), "sleep 30".into(), "sh".into()];
        cfg.timeout = Duration::from_millis(300);
        assert_eq!(
            run(&cfg, &input, dir.path()).await,
            Err(OpenapiTsError::Timeout(Duration::from_millis(300)))
        );
    }
}
