//! The codegen background service: exports openapi.json whenever the app (re)appears,
//! watches the artifacts, and runs openapi-ts and hooks (debounced, single-flight).

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use globset::{Glob, GlobSet, GlobSetBuilder};
use notify::{RecursiveMode, Watcher};
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::export;
use super::pipeline::Pipeline;
use super::runner::{run_debounced, Trigger};
use crate::config::{HookConfig, UpstreamName};
use crate::process::Supervisor;
use crate::state::AppState;
use crate::upstream::Resolution;

/// How often the app is checked (a TCP connect: silent in the app's access log).
const APP_POLL: Duration = Duration::from_millis(300);
/// Timeout for fetching the OpenAPI document.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

pub struct CodegenService {
    pub pipeline: Arc<Pipeline>,
    pub state: Arc<AppState>,
    pub supervisor: Arc<Supervisor>,
}

#[async_trait]
impl BackgroundService for CodegenService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let p = self.pipeline.clone();
        let cfg = &p.cfg;
        let mut tasks = Vec::new();

        if cfg.openapi_ts.enabled {
            let (trigger, rx) = Trigger::new();
            p.set_openapi_ts_trigger(trigger.clone());
            let runner = p.clone();
            tasks.push(tokio::spawn(run_debounced(rx, cfg.debounce, move || {
                let runner = runner.clone();
                async move {
                    let _ = runner.run_openapi_ts().await;
                }
            })));
            // Artifacts from an earlier session: bring the client up to date once.
            if p.paths.openapi.exists() {
                trigger.fire();
            }
        }
        tasks.push(tokio::spawn(watch_artifacts(p.clone())));
        for hook in &cfg.hooks {
            tasks.push(tokio::spawn(run_hook(
                hook.clone(),
                p.cwd.clone(),
                cfg.debounce,
            )));
        }
        if cfg.export {
            tasks.push(tokio::spawn(export_loop(
                p.clone(),
                self.state.clone(),
                self.supervisor.clone(),
            )));
        }
        let _ = shutdown.changed().await;
        for t in tasks {
            t.abort();
        }
    }
}

/// Exports when the app first answers, after every time it comes back, and after a
/// supervised app's worker process changes (uvicorn `--reload` keeps the port open,
/// so a reload is invisible to a connect check).
async fn export_loop(p: Arc<Pipeline>, state: Arc<AppState>, supervisor: Arc<Supervisor>) {
    let mut was_up = false;
    let mut pending = true;
    let mut last_tree: Option<BTreeSet<u32>> = None;
    let mut reported: Option<String> = None;
    let mut waiting_since = Instant::now();
    let mut noted_wait = false;
    loop {
        // Looked up each time: a config reload may replace the app upstream.
        let Some(app) = state.upstreams.load().get(&UpstreamName::app()).cloned() else {
            return;
        };
        let addr = match &*app.resolution() {
            Resolution::Ready { addr, .. } => Some(addr.clone()),
            Resolution::Unavailable(_) => None,
        };
        let up = match &addr {
            Some(a) => {
                let socket = a.socket;
                tokio::task::spawn_blocking(move || {
                    TcpStream::connect_timeout(&socket, Duration::from_millis(200)).is_ok()
                })
                .await
                .unwrap_or(false)
            }
            None => false,
        };
        let tree = supervisor.process_tree_of(&UpstreamName::app());
        if up && !was_up {
            pending = true;
        }
        if up && tree.is_some() && last_tree.is_some() && tree != last_tree {
            tracing::debug!("the app's worker process changed; exporting again");
            pending = true;
        }
        last_tree = tree;
        was_up = up;
        if pending && !up && !noted_wait && waiting_since.elapsed() > Duration::from_secs(5) {
            tracing::info!("codegen: waiting for the app to answer before exporting openapi.json");
            noted_wait = true;
        }
        if pending && up {
            if let Some(addr) = addr {
                let path = p.cfg.openapi_path.clone();
                let fetched =
                    tokio::task::spawn_blocking(move || export::fetch(&addr, &path, FETCH_TIMEOUT))
                        .await;
                match fetched {
                    Ok(Ok(doc)) => {
                        pending = false;
                        reported = None;
                        if let Err(e) = p.on_exported(&doc) {
                            tracing::warn!("codegen: {e}");
                        }
                    }
                    Ok(Err(e)) if e.is_unreachable() => {}
                    Ok(Err(e)) => {
                        // Keep the last good file; say it once per distinct problem.
                        pending = false;
                        p.log.record("export", false, e.to_string(), Duration::ZERO);
                        let text = e.to_string();
                        if reported.as_deref() != Some(text.as_str()) {
                            tracing::warn!("codegen: {text}; keeping the last good openapi.json");
                            reported = Some(text);
                        }
                    }
                    Err(_) => {}
                }
            }
        }
        if !pending {
            waiting_since = Instant::now();
            noted_wait = false;
        }
        tokio::time::sleep(APP_POLL).await;
    }
}

/// Watches openapi.json and routes.json (written by someone else, or edited by hand);
/// the pipeline's hash guards make the gateway's own writes no-ops.
async fn watch_artifacts(p: Arc<Pipeline>) {
    let dir = p.cfg.dir.clone();
    if let Err(e) = std::fs::create_dir_all(&dir) {
        tracing::warn!(dir = %dir.display(), "codegen: cannot create the output directory: {e}");
        return;
    }
    let (trigger, rx) = Trigger::new();
    let names = [p.paths.openapi.clone(), p.paths.routes_json.clone()];
    let fire = trigger.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(ev) = event {
            if ev
                .paths
                .iter()
                .any(|path| names.iter().any(|n| n.file_name() == path.file_name()))
            {
                fire.fire();
            }
        }
    });
    let mut watcher = match watcher {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("codegen: cannot watch {}: {e}", dir.display());
            return;
        }
    };
    if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
        tracing::warn!("codegen: cannot watch {}: {e}", dir.display());
        return;
    }
    // Process what is already there (external routes.json, or artifacts from an earlier run).
    trigger.fire();
    let debounce = p.cfg.debounce;
    run_debounced(rx, debounce, move || {
        let p = p.clone();
        async move {
            if let Ok(text) = std::fs::read_to_string(&p.paths.openapi) {
                if let Err(e) = p.process_openapi(&text) {
                    tracing::warn!("codegen: {e}");
                }
            }
            if p.cfg.routes != crate::config::RoutesSource::Off {
                if let Ok(text) = std::fs::read_to_string(&p.paths.routes_json) {
                    if let Err(e) = p.process_routes(&text) {
                        tracing::warn!("codegen: {e}");
                    }
                }
            }
        }
    })
    .await;
    drop(watcher);
}

/// The directory a glob can match under: its literal prefix.
fn glob_root(base: &Path, glob: &str) -> PathBuf {
    let literal: Vec<&str> = glob
        .split('/')
        .take_while(|seg| !seg.contains(['*', '?', '[', '{']))
        .collect();
    let mut root = base.to_path_buf();
    // The last literal segment may be a file name.
    let n = if literal.len() == glob.split('/').count() {
        literal.len().saturating_sub(1)
    } else {
        literal.len()
    };
    for seg in &literal[..n] {
        root.push(seg);
    }
    root
}

/// Watches a hook's globs and runs its command, debounced and single-flight.
async fn run_hook(hook: HookConfig, cwd: PathBuf, debounce: Duration) {
    let mut builder = GlobSetBuilder::new();
    for g in &hook.watch {
        match Glob::new(g) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(e) => {
                tracing::warn!(hook = %hook.name, "hook glob {g:?} is invalid: {e}");
                return;
            }
        }
    }
    let set: GlobSet = match builder.build() {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(hook = %hook.name, "hook globs are invalid: {e}");
            return;
        }
    };
    let (trigger, rx) = Trigger::new();
    let base = cwd.clone();
    let fire = trigger.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(ev) = event else { return };
        if matches!(ev.kind, notify::EventKind::Access(_)) {
            return;
        }
        if ev
            .paths
            .iter()
            .any(|p| p.strip_prefix(&base).is_ok_and(|rel| set.is_match(rel)))
        {
            fire.fire();
        }
    });
    let mut watcher = match watcher {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(hook = %hook.name, "cannot watch files for the hook: {e}");
            return;
        }
    };
    let mut roots: Vec<PathBuf> = hook.watch.iter().map(|g| glob_root(&cwd, g)).collect();
    roots.sort();
    roots.dedup();
    for root in &roots {
        if let Err(e) = watcher.watch(root, RecursiveMode::Recursive) {
            tracing::warn!(hook = %hook.name, dir = %root.display(), "cannot watch: {e}");
        }
    }
    tracing::info!(hook = %hook.name, globs = ?hook.watch, "hook armed");
    run_debounced(rx, debounce, move || {
        let hook = hook.clone();
        let cwd = cwd.clone();
        async move { run_hook_once(&hook, &cwd).await }
    })
    .await;
    drop(watcher);
}

async fn run_hook_once(hook: &HookConfig, cwd: &Path) {
    let started = Instant::now();
    tracing::info!(hook = %hook.name, "running hook: {}", hook.run.join(" "));
    let spawned = tokio::process::Command::new(&hook.run[0])
        .args(&hook.run[1..])
        .current_dir(cwd)
        .env("CI", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(hook = %hook.name, "hook could not start ({}): {e}", hook.run.join(" "));
            return;
        }
    };
    let prefix = format!("[hook:{}]", hook.name);
    let relay = |stream: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>, prefix: String| async move {
        if let Some(s) = stream {
            let mut lines = BufReader::new(s).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                println!("{prefix} {line}");
            }
        }
    };
    let out = relay(
        child.stdout.take().map(|s| Box::new(s) as _),
        prefix.clone(),
    );
    let err = relay(child.stderr.take().map(|s| Box::new(s) as _), prefix);
    let (_, _, status) = tokio::join!(out, err, child.wait());
    match status {
        Ok(s) if s.success() => {
            tracing::info!(hook = %hook.name, ms = started.elapsed().as_millis() as u64, "hook finished")
        }
        Ok(s) => tracing::warn!(hook = %hook.name, "hook failed ({s}); the gateway carries on"),
        Err(e) => tracing::warn!(hook = %hook.name, "hook failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_roots_are_literal_prefixes() {
        let base = Path::new("/p");
        assert_eq!(glob_root(base, "app/**/*.py"), Path::new("/p/app"));
        assert_eq!(glob_root(base, "*.py"), Path::new("/p"));
        assert_eq!(
            glob_root(base, "src/models/user.py"),
            Path::new("/p/src/models")
        );
        assert_eq!(glob_root(base, "a/b/{c,d}/*.ts"), Path::new("/p/a/b"));
    }
}
