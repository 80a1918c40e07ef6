//! A short in-memory history of codegen runs, for logs now and the status page later.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Runs kept.
const KEEP: usize = 50;

/// One generator run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// `export`, `routes.json`, `routes.ts`, `openapi-ts`, `hook:NAME`.
    pub generator: String,
    pub ok: bool,
    /// What changed, or the error.
    pub message: String,
    pub at: SystemTime,
    pub took: Duration,
}

#[derive(Debug, Default)]
pub struct CodegenLog {
    runs: Mutex<VecDeque<RunRecord>>,
}

impl CodegenLog {
    pub fn record(&self, generator: &str, ok: bool, message: impl Into<String>, took: Duration) {
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        if runs.len() == KEEP {
            runs.pop_front();
        }
        runs.push_back(RunRecord {
            generator: generator.into(),
            ok,
            message: message.into(),
            at: SystemTime::now(),
            took,
        });
    }

    /// Most recent first.
    pub fn recent(&self) -> Vec<RunRecord> {
        self.runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
            .cloned()
            .collect()
    }
}
