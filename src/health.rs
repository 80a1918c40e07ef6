//! Active health checks: a pure rise/fall counter, per-upstream state read by the
//! request path, and the probing loop (pingora-load-balancing's `HttpHealthCheck` does
//! each probe: the app by a GET on `health.path`, any status below 500 is up; Vite by
//! its own liveness ping, `Accept: text/x-vite-ping` under its base → 204).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use pingora::lb::health_check::{HealthCheck, HttpHealthCheck};
use pingora::lb::Backend;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use pingora::{Error, ErrorType};

use crate::state::AppState;
use crate::upstream::{Resolution, Upstream};

/// What the checks say about an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Not checked yet (counts as not ready).
    Unknown,
    Up,
    Down,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}

/// Consecutive-result counter with HAProxy-style thresholds. The first success makes an
/// unknown upstream up (so start-up is quick); `fall` failures make it down; `rise`
/// successes bring a down one back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiseFall {
    rise: u32,
    fall: u32,
    state: Health,
    successes: u32,
    failures: u32,
}

impl RiseFall {
    pub fn new(rise: u32, fall: u32) -> RiseFall {
        RiseFall {
            rise: rise.max(1),
            fall: fall.max(1),
            state: Health::Unknown,
            successes: 0,
            failures: 0,
        }
    }

    pub fn state(&self) -> Health {
        self.state
    }

    /// Records one check; returns the new state when it changed.
    pub fn record(&mut self, ok: bool) -> Option<Health> {
        if ok {
            self.successes += 1;
            self.failures = 0;
        } else {
            self.failures += 1;
            self.successes = 0;
        }
        let next = match (self.state, ok) {
            (Health::Unknown, true) => Health::Up,
            (Health::Down, true) if self.successes >= self.rise => Health::Up,
            (Health::Unknown | Health::Up, false) if self.failures >= self.fall => Health::Down,
            (s, _) => s,
        };
        (next != self.state).then(|| {
            self.state = next;
            next
        })
    }
}

/// Checks kept per upstream for the dashboard's history strip.
const HISTORY: usize = 60;

#[derive(Debug)]
struct Inner {
    counter: RiseFall,
    since: Instant,
    since_wall: SystemTime,
    last_error: Option<String>,
    history: VecDeque<bool>,
    transitions: VecDeque<(SystemTime, Health, String)>,
}

/// One upstream's health, shared by the checker and the request path.
#[derive(Debug)]
pub struct HealthState {
    inner: Mutex<Inner>,
}

/// A copy of the state for endpoints and the dashboard.
#[derive(Debug, Clone)]
pub struct HealthSnapshot {
    pub state: Health,
    pub for_secs: f64,
    pub since: SystemTime,
    pub last_error: Option<String>,
    pub history: Vec<bool>,
    pub transitions: Vec<(SystemTime, Health, String)>,
}

impl HealthState {
    pub fn new(rise: u32, fall: u32) -> HealthState {
        HealthState {
            inner: Mutex::new(Inner {
                counter: RiseFall::new(rise, fall),
                since: Instant::now(),
                since_wall: SystemTime::now(),
                last_error: None,
                history: VecDeque::new(),
                transitions: VecDeque::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn state(&self) -> Health {
        self.lock().counter.state()
    }

    /// How long it has been down, if it is.
    pub fn down_for(&self) -> Option<Duration> {
        let inner = self.lock();
        (inner.counter.state() == Health::Down).then(|| inner.since.elapsed())
    }

    pub fn last_error(&self) -> Option<String> {
        self.lock().last_error.clone()
    }

    pub fn snapshot(&self) -> HealthSnapshot {
        let inner = self.lock();
        HealthSnapshot {
            state: inner.counter.state(),
            for_secs: inner.since.elapsed().as_secs_f64(),
            since: inner.since_wall,
            last_error: inner.last_error.clone(),
            history: inner.history.iter().copied().collect(),
            transitions: inner.transitions.iter().cloned().collect(),
        }
    }

    /// Records a check result; returns (new state, how long the previous state lasted).
    pub fn record(&self, result: Result<(), String>) -> Option<(Health, Duration)> {
        let mut inner = self.lock();
        let ok = result.is_ok();
        if inner.history.len() == HISTORY {
            inner.history.pop_front();
        }
        inner.history.push_back(ok);
        if let Err(e) = &result {
            inner.last_error = Some(e.clone());
        }
        let changed = inner.counter.record(ok)?;
        let lasted = inner.since.elapsed();
        inner.since = Instant::now();
        inner.since_wall = SystemTime::now();
        let why = result.err().unwrap_or_default();
        if inner.transitions.len() == 20 {
            inner.transitions.pop_front();
        }
        inner
            .transitions
            .push_back((SystemTime::now(), changed, why));
        Some((changed, lasted))
    }
}

/// Probes one upstream once.
async fn probe(up: &Upstream) -> Result<(), String> {
    let addr = match &*up.resolution() {
        Resolution::Ready { addr, .. } => addr.clone(),
        Resolution::Unavailable(why) => return Err(why.cause()),
    };
    let cfg = &up.health_config;
    let mut check = HttpHealthCheck::new(&addr.authority, false);
    check.peer_template.options.connection_timeout = Some(cfg.timeout);
    check.peer_template.options.read_timeout = Some(cfg.timeout);
    let (path, vite) = match &up.vite_base {
        Some(base) => (base.clone(), true),
        None => (cfg.path.clone(), false),
    };
    check
        .req
        .set_raw_path(path.as_bytes())
        .map_err(|e| e.to_string())?;
    if vite {
        check
            .req
            .insert_header("Accept", "text/x-vite-ping")
            .map_err(|e| e.to_string())?;
        let base = path.clone();
        check.validator = Some(Box::new(move |resp| {
            if resp.status.as_u16() == 204 {
                Ok(())
            } else {
                Error::e_explain(
                    ErrorType::CustomCode("ping refused", resp.status.as_u16()),
                    format!(
                        "answered {} to Vite's ping under {base}; is vite.base right?",
                        resp.status.as_u16()
                    ),
                )
            }
        }));
    } else {
        check.validator = Some(Box::new(|resp| {
            if resp.status.as_u16() < 500 {
                Ok(())
            } else {
                Error::e_explain(
                    ErrorType::CustomCode("server error", resp.status.as_u16()),
                    format!("answered {}", resp.status.as_u16()),
                )
            }
        }));
    }
    let backend = Backend::new(&addr.socket.to_string()).map_err(|e| e.to_string())?;
    match tokio::time::timeout(
        cfg.timeout + Duration::from_millis(200),
        check.check(&backend),
    )
    .await
    {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(describe(&e)),
        Err(_) => Err(format!("no answer within {:?}", cfg.timeout)),
    }
}

/// Plain words for a probe error.
fn describe(e: &Error) -> String {
    match e.etype() {
        ErrorType::ConnectRefused => "connection refused".into(),
        ErrorType::ConnectTimedout => "connect timed out".into(),
        ErrorType::ReadTimedout => "no answer in time".into(),
        ErrorType::ConnectionClosed => "connection closed".into(),
        ErrorType::CustomCode(..) => e
            .context
            .as_ref()
            .map_or_else(|| e.to_string(), |c| c.as_str().to_string()),
        _ => e.to_string(),
    }
}

/// Runs every upstream's checks on its own interval.
pub struct HealthService {
    pub state: Arc<AppState>,
}

#[async_trait]
impl BackgroundService for HealthService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut due: std::collections::HashMap<String, Instant> = Default::default();
        let mut running: std::collections::HashSet<String> = Default::default();
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                Some(name) = done_rx.recv() => { running.remove(&name); continue; }
                _ = tick.tick() => {}
            }
            let upstreams = self.state.upstreams.load_full();
            for up in upstreams.iter() {
                let name = up.name.to_string();
                let now = Instant::now();
                if running.contains(&name) || due.get(&name).is_some_and(|t| *t > now) {
                    continue;
                }
                due.insert(name.clone(), now + up.health_config.interval);
                running.insert(name.clone());
                let (up, state, done) = (up.clone(), self.state.clone(), done_tx.clone());
                tokio::spawn(async move {
                    let result = probe(&up).await;
                    apply(&state, &up, result);
                    let _ = done.send(name);
                });
            }
        }
    }
}

/// Records a result, logs a state change once, and updates the metrics.
fn apply(state: &AppState, up: &Upstream, result: Result<(), String>) {
    let name = up.name.as_str();
    let ok = result.is_ok();
    state
        .metrics
        .health_checks
        .with_label_values(&[name, if ok { "ok" } else { "fail" }])
        .inc();
    let error = result.clone().err();
    if let Some((now, lasted)) = up.health.record(result) {
        state
            .metrics
            .upstream_up
            .with_label_values(&[name])
            .set(i64::from(now == Health::Up));
        match now {
            Health::Down => tracing::warn!(
                upstream = name,
                "{name} is down: {} ({} checks); next step: {}",
                error.unwrap_or_default(),
                up.health_config.fall,
                up.next_step()
            ),
            Health::Up if lasted > Duration::ZERO && up.health.snapshot().transitions.len() > 1 => {
                tracing::info!(
                    upstream = name,
                    "{name} is up again after {:.1} s",
                    lasted.as_secs_f64()
                )
            }
            Health::Up => tracing::info!(upstream = name, "{name} is up"),
            Health::Unknown => {}
        }
    } else if up.health.state() == Health::Up {
        state.metrics.upstream_up.with_label_values(&[name]).set(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_success_is_up_fall_failures_are_down_rise_successes_come_back() {
        let mut rf = RiseFall::new(2, 3);
        assert_eq!(rf.state(), Health::Unknown);
        assert_eq!(rf.record(true), Some(Health::Up));
        assert_eq!(rf.record(false), None);
        assert_eq!(rf.record(false), None);
        assert_eq!(rf.record(true), None, "a success resets the failure count");
        assert_eq!(rf.record(false), None);
        assert_eq!(rf.record(false), None);
        assert_eq!(rf.record(false), Some(Health::Down));
        assert_eq!(rf.record(true), None);
        assert_eq!(rf.record(false), None);
        assert_eq!(rf.record(true), None);
        assert_eq!(rf.record(true), Some(Health::Up));
    }

    #[test]
    fn unknown_goes_down_after_fall_failures() {
        let mut rf = RiseFall::new(2, 2);
        assert_eq!(rf.record(false), None);
        assert_eq!(rf.record(false), Some(Health::Down));
    }

    #[test]
    fn state_keeps_history_and_transitions() {
        let s = HealthState::new(1, 1);
        assert_eq!(s.record(Ok(())).map(|(h, _)| h), Some(Health::Up));
        assert_eq!(
            s.record(Err("connection refused".into())).map(|(h, _)| h),
            Some(Health::Down)
        );
        let snap = s.snapshot();
        assert_eq!(snap.history, vec![true, false]);
        assert_eq!(snap.last_error.as_deref(), Some("connection refused"));
        assert_eq!(snap.transitions.len(), 2);
        assert!(s.down_for().is_some());
    }
}
