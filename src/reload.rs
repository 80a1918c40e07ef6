//! Config hot reload: the config file is watched; a valid change is swapped in at once
//! (routes, upstreams, health, Vite paths), an invalid one is rejected with the same
//! message `check` prints while the old config stays in force. Established
//! connections, WebSockets above all, are untouched: they hold their own state.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use notify::{RecursiveMode, Watcher};
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use crate::codegen::runner::{run_debounced, Trigger};
use crate::config::{Config, ProcessEnv};
use crate::state::AppState;
use crate::upstream::Upstreams;

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Unchanged,
    Applied {
        changes: Vec<String>,
        restart_needed: Vec<String>,
    },
    Rejected(String),
}

/// Loads the config file again and applies what can change live.
pub fn reload(state: &AppState) -> Outcome {
    let old = state.config.load_full();
    let new = match Config::load(&old.path, &ProcessEnv, &state.overrides) {
        Ok(c) => c,
        Err(e) => return Outcome::Rejected(e.to_string()),
    };
    if *old == new {
        return Outcome::Unchanged;
    }
    let (changes, restart_needed) = diff(&old, &new);
    let upstreams = Upstreams::rebuild(&new, &state.supervised, Some(&state.upstreams.load()));
    state.config_text.store(Arc::new(
        std::fs::read_to_string(&new.path).unwrap_or_default(),
    ));
    state.auth.store(
        new.auth
            .as_ref()
            .map(|a| Arc::new(crate::auth::Auth::new(a))),
    );
    state.config.store(Arc::new(new));
    state.upstreams.store(Arc::new(upstreams));
    state.rebuild_router();
    Outcome::Applied {
        changes,
        restart_needed,
    }
}

/// Which sections changed, split into applied-now and needs-a-restart.
fn diff(old: &Config, new: &Config) -> (Vec<String>, Vec<String>) {
    let mut live = Vec::new();
    let mut restart = Vec::new();
    if old.gateway.listen != new.gateway.listen {
        restart.push(format!(
            "gateway.listen ({} → {})",
            old.gateway.listen, new.gateway.listen
        ));
    }
    if old.gateway.shutdown_grace != new.gateway.shutdown_grace {
        restart.push("gateway.shutdown_grace".into());
    }
    if old.gateway.threads != new.gateway.threads {
        restart.push("gateway.threads".into());
    }
    if old.processes != new.processes {
        restart.push("[processes]".into());
    }
    if old.codegen != new.codegen {
        restart.push("[codegen]".into());
    }
    if old.gateway.mode != new.gateway.mode {
        live.push(format!("gateway.mode = {}", new.gateway.mode));
    }
    if old.gateway.public_url != new.gateway.public_url
        || old.gateway.asset_base != new.gateway.asset_base
    {
        live.push("[gateway]".into());
    }
    if old.routes != new.routes {
        live.push(format!("[[routes]] ({} rules)", new.routes.len()));
    }
    if old.auth != new.auth {
        live.push("[auth]".into());
    }
    if old.vite != new.vite {
        live.push("[vite]".into());
    }
    if old.upstreams != new.upstreams {
        let names: Vec<String> = new
            .upstreams
            .iter()
            .filter(|(k, v)| old.upstreams.get(*k) != Some(*v))
            .map(|(k, _)| format!("upstreams.{k}"))
            .collect();
        live.extend(names);
    }
    (live, restart)
}

/// Watches the config file and reloads it on change.
pub struct ConfigWatcher {
    pub state: Arc<AppState>,
}

#[async_trait]
impl BackgroundService for ConfigWatcher {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let path: PathBuf = self.state.config.load().path.clone();
        let Some(dir) = path.parent().map(PathBuf::from) else {
            return;
        };
        let (trigger, rx) = Trigger::new();
        let name = path.file_name().map(|n| n.to_os_string());
        let fire = trigger.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(ev) = event {
                if !matches!(ev.kind, notify::EventKind::Access(_))
                    && ev.paths.iter().any(|p| p.file_name() == name.as_deref())
                {
                    fire.fire();
                }
            }
        });
        let mut watcher = match watcher {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(
                    "cannot watch {} for changes: {e}; restart to apply edits",
                    path.display()
                );
                return;
            }
        };
        // The directory, not the file: editors replace files by renaming.
        if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
            tracing::warn!(
                "cannot watch {} for changes: {e}; restart to apply edits",
                path.display()
            );
            return;
        }
        let state = self.state.clone();
        let run = run_debounced(rx, Duration::from_millis(150), move || {
            let state = state.clone();
            async move { apply(&state) }
        });
        tokio::select! {
            _ = run => {}
            _ = shutdown.changed() => {}
        }
        drop(trigger);
        drop(watcher);
    }
}

fn apply(state: &AppState) {
    let metrics = &state.metrics.config_reloads;
    match reload(state) {
        Outcome::Unchanged => {}
        Outcome::Rejected(message) => {
            metrics.with_label_values(&["error"]).inc();
            tracing::error!(
                "config reload rejected; the previous config stays in force:\n{message}"
            );
        }
        Outcome::Applied {
            changes,
            restart_needed,
        } => {
            metrics.with_label_values(&["ok"]).inc();
            if !changes.is_empty() {
                tracing::info!("config reloaded: {}", changes.join(", "));
            }
            if !restart_needed.is_empty() {
                metrics.with_label_values(&["restart_needed"]).inc();
                tracing::warn!(
                    "config changed {}: restart litevite-gw to apply that part",
                    restart_needed.join(", ")
                );
            }
        }
    }
}
