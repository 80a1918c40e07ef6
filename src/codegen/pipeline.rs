//! The artifact pipeline: openapi.json → (derive) routes.json → routes.ts, and
//! openapi-ts. Every step is guarded by the hash of its input, so the gateway's own
//! writes never trigger it twice and nothing loops.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;

use super::export;
use super::openapi_ts::{self, OpenapiTsError};
use super::routes_json::RouteTable;
use super::routes_ts;
use super::runner::Trigger;
use super::status::CodegenLog;
use super::write::{hash, write_if_changed};
use crate::config::{CodegenConfig, RoutesSource};

/// Why a pipeline step failed (the last good files stay as they are).
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    #[error("{0}")]
    Export(#[from] export::ExportError),
    #[error("{file} is not usable: {cause}; keeping the last good output")]
    BadArtifact { file: String, cause: String },
    #[error("cannot write {file}: {cause}")]
    Write { file: String, cause: String },
    #[error(transparent)]
    OpenapiTs(#[from] OpenapiTsError),
}

/// Where the artifacts live.
pub struct Paths {
    pub openapi: PathBuf,
    pub routes_json: PathBuf,
    pub routes_ts: PathBuf,
}

impl Paths {
    pub fn new(cfg: &CodegenConfig) -> Paths {
        Paths {
            openapi: cfg.dir.join("openapi.json"),
            routes_json: cfg.dir.join("routes.json"),
            routes_ts: cfg.dir.join("routes.ts"),
        }
    }
}

/// Called with the new route table whenever routes.json changes (the router uses it).
pub type RoutesListener = Box<dyn Fn(&RouteTable) + Send + Sync>;

pub struct Pipeline {
    pub cfg: CodegenConfig,
    pub paths: Paths,
    /// Working directory for openapi-ts (the config file's directory).
    pub cwd: PathBuf,
    pub log: Arc<CodegenLog>,
    last_openapi: Mutex<Option<u64>>,
    last_routes: Mutex<Option<u64>>,
    last_openapi_ts: Mutex<Option<u64>>,
    openapi_ts_trigger: Mutex<Option<Trigger>>,
    warned_not_installed: AtomicBool,
    on_routes: Option<RoutesListener>,
}

impl Pipeline {
    pub fn new(
        cfg: CodegenConfig,
        cwd: PathBuf,
        log: Arc<CodegenLog>,
        on_routes: Option<RoutesListener>,
    ) -> Pipeline {
        Pipeline {
            paths: Paths::new(&cfg),
            cfg,
            cwd,
            log,
            last_openapi: Mutex::new(None),
            last_routes: Mutex::new(None),
            last_openapi_ts: Mutex::new(None),
            openapi_ts_trigger: Mutex::new(None),
            warned_not_installed: AtomicBool::new(false),
            on_routes,
        }
    }

    /// Where openapi-ts runs are requested (set by the service that owns the run loop).
    pub fn set_openapi_ts_trigger(&self, trigger: Trigger) {
        *self
            .openapi_ts_trigger
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(trigger);
    }

    /// A freshly fetched document: writes openapi.json when it changed, then the rest.
    pub fn on_exported(&self, doc: &Value) -> Result<bool, CodegenError> {
        let text = export::canonical(doc);
        let started = Instant::now();
        let wrote = write_if_changed(&self.paths.openapi, text.as_bytes()).map_err(|e| {
            CodegenError::Write {
                file: self.paths.openapi.display().to_string(),
                cause: e.to_string(),
            }
        })?;
        let message = if wrote {
            "openapi.json updated"
        } else {
            "openapi.json unchanged"
        };
        self.log.record("export", true, message, started.elapsed());
        if wrote {
            tracing::info!(file = %self.paths.openapi.display(), "wrote openapi.json");
        }
        self.process_openapi(&text)?;
        Ok(wrote)
    }

    /// openapi.json content (just written, or changed on disk) → routes.json → routes.ts; openapi-ts.
    pub fn process_openapi(&self, text: &str) -> Result<(), CodegenError> {
        if !changed(&self.last_openapi, text) {
            return Ok(());
        }
        let doc = export::parse(text).map_err(|cause| CodegenError::BadArtifact {
            file: self.paths.openapi.display().to_string(),
            cause,
        });
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                self.log
                    .record("routes.json", false, e.to_string(), Default::default());
                return Err(e);
            }
        };
        if self.cfg.routes == RoutesSource::Derive {
            let started = Instant::now();
            let table = RouteTable::from_openapi(&doc).map_err(|e| CodegenError::BadArtifact {
                file: self.paths.openapi.display().to_string(),
                cause: e.to_string(),
            })?;
            let json = table.to_json();
            let wrote = self.write(&self.paths.routes_json, &json)?;
            self.log.record(
                "routes.json",
                true,
                routes_summary(table.routes.len(), wrote),
                started.elapsed(),
            );
            // The table is at hand: no need to parse the text just written.
            if changed(&self.last_routes, &json) {
                self.apply_routes(&table, Instant::now())?;
            }
        }
        if self.cfg.openapi_ts.enabled {
            if let Some(t) = self
                .openapi_ts_trigger
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
            {
                t.fire();
            }
        }
        Ok(())
    }

    /// routes.json content → routes.ts, and the router's view of the app's routes.
    pub fn process_routes(&self, text: &str) -> Result<(), CodegenError> {
        if !changed(&self.last_routes, text) {
            return Ok(());
        }
        let started = Instant::now();
        let table = match RouteTable::parse(text) {
            Ok(t) => t,
            Err(e) => {
                let err = CodegenError::BadArtifact {
                    file: self.paths.routes_json.display().to_string(),
                    cause: e.to_string(),
                };
                self.log
                    .record("routes.ts", false, err.to_string(), started.elapsed());
                return Err(err);
            }
        };
        self.apply_routes(&table, started)
    }

    /// A new route table: tell the router, write routes.ts.
    fn apply_routes(&self, table: &RouteTable, started: Instant) -> Result<(), CodegenError> {
        if let Some(listener) = &self.on_routes {
            listener(table);
        }
        if self.cfg.routes_ts {
            let ts = routes_ts::render(table, "routes.json");
            let wrote = self.write(&self.paths.routes_ts, &ts)?;
            if wrote {
                tracing::info!(file = %self.paths.routes_ts.display(), routes = table.routes.len(), "wrote routes.ts");
            }
            self.log.record(
                "routes.ts",
                true,
                routes_summary(table.routes.len(), wrote),
                started.elapsed(),
            );
        }
        Ok(())
    }

    /// Runs openapi-ts when its input changed since the last successful run.
    pub async fn run_openapi_ts(&self) -> Result<(), CodegenError> {
        let text = std::fs::read_to_string(&self.paths.openapi).unwrap_or_default();
        let input_hash = hash(text.as_bytes());
        if *self
            .last_openapi_ts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            == Some(input_hash)
        {
            return Ok(());
        }
        let started = Instant::now();
        tracing::info!(output = %self.cfg.openapi_ts.output.display(), "running openapi-ts");
        let cwd = openapi_ts::project_dir(&self.cfg.openapi_ts.output, &self.cwd);
        let result = openapi_ts::run(&self.cfg.openapi_ts, &self.paths.openapi, &cwd).await;
        let took = started.elapsed();
        match result {
            Ok(()) => {
                *self
                    .last_openapi_ts
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(input_hash);
                tracing::info!(output = %self.cfg.openapi_ts.output.display(), ms = took.as_millis() as u64, "openapi-ts finished");
                self.log.record(
                    "openapi-ts",
                    true,
                    format!("wrote {}", self.cfg.openapi_ts.output.display()),
                    took,
                );
                Ok(())
            }
            Err(OpenapiTsError::NotInstalled) => {
                if !self.warned_not_installed.swap(true, Ordering::Relaxed) {
                    tracing::warn!("{}", OpenapiTsError::NotInstalled);
                }
                // Do not retry the same input: the warning is said once.
                *self
                    .last_openapi_ts
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(input_hash);
                self.log.record(
                    "openapi-ts",
                    false,
                    OpenapiTsError::NotInstalled.to_string(),
                    took,
                );
                Err(OpenapiTsError::NotInstalled.into())
            }
            Err(e) => {
                tracing::warn!("{e}");
                self.log.record("openapi-ts", false, e.to_string(), took);
                Err(e.into())
            }
        }
    }

    fn write(&self, path: &Path, text: &str) -> Result<bool, CodegenError> {
        write_if_changed(path, text.as_bytes()).map_err(|e| CodegenError::Write {
            file: path.display().to_string(),
            cause: e.to_string(),
        })
    }
}

/// Records `text`'s hash; true when it differs from the last one.
fn changed(slot: &Mutex<Option<u64>>, text: &str) -> bool {
    let h = hash(text.as_bytes());
    let mut last = slot.lock().unwrap_or_else(|e| e.into_inner());
    if *last == Some(h) {
        return false;
    }
    *last = Some(h);
    true
}

/// "12 routes", or "12 routes, unchanged" when the file already held that content.
fn routes_summary(count: usize, wrote: bool) -> String {
    format!("{count} routes{}", if wrote { "" } else { ", unchanged" })
}
