//! A short in-memory history of codegen runs, for logs now and the status page later.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::metrics::Metrics;
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

#[derive(Default)]
pub struct CodegenLog {
    runs: Mutex<VecDeque<RunRecord>>,
    metrics: Option<Arc<Metrics>>,
}

impl CodegenLog {
    /// A log that also counts runs in `litevite_codegen_runs_total` / `_duration_seconds`.
    pub fn with_metrics(metrics: Arc<Metrics>) -> CodegenLog {
        CodegenLog {
            runs: Mutex::default(),
            metrics: Some(metrics),
        }
    }

    pub fn record(&self, generator: &str, ok: bool, message: impl Into<String>, took: Duration) {
        if let Some(m) = &self.metrics {
            // Hooks are named by the user: keep the label set bounded.
            let label = if generator.starts_with("hook:") {
                "hook"
            } else {
                generator
            };
            m.codegen_runs
                .with_label_values(&[label, if ok { "ok" } else { "error" }])
                .inc();
            m.codegen_duration
                .with_label_values(&[label])
                .observe(took.as_secs_f64());
        }
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
