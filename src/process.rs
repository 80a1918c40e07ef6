//! Supervised children (`[processes.NAME]`): port picking and `{port}` substitution,
//! spawning in their own process group, line-by-line output relay with a `[name]`
//! prefix, restarts with exponential back-off and crash-loop detection, process-group
//! shutdown, and a reaper process that stops the children even if the gateway is
//! killed with SIGKILL.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, IsTerminal, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::config::{Config, PortSpec, ProcessConfig, RestartPolicy, UpstreamAddr, UpstreamName};

/// First restart delay; doubled after each consecutive failure.
const BACKOFF_START: Duration = Duration::from_secs(1);
/// Longest restart delay.
const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// A child that ran this long before failing is not part of a crash loop.
const HEALTHY_RUN: Duration = Duration::from_secs(30);
/// Consecutive quick failures after which the supervisor gives up on a child.
const CRASH_LOOP_LIMIT: u32 = 5;
/// Output lines kept per child, shown when it fails during start-up.
const TAIL_LINES: usize = 20;
/// How long children get between SIGTERM and SIGKILL at shutdown.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Why children could not be planned or started.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot pick a free port for [processes.{name}]: {source}")]
    NoPort {
        name: String,
        source: std::io::Error,
    },
    #[error("cannot start the reaper that guards against orphaned children: {0}")]
    Reaper(std::io::Error),
}

/// A child ready to spawn: port chosen, `{port}` substituted.
#[derive(Debug, Clone)]
pub struct Planned {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
    pub port: Option<u16>,
    pub upstream: Option<UpstreamName>,
    pub restart: RestartPolicy,
}

impl Planned {
    /// The command as a person would type it (for error messages).
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The address the gateway proxies to when this child serves an upstream.
    pub fn address(&self) -> Option<UpstreamAddr> {
        self.port.map(|p| UpstreamAddr {
            socket: SocketAddr::from(([127, 0, 0, 1], p)),
            authority: format!("127.0.0.1:{p}"),
        })
    }
}

/// Picks ports (`"auto"` → a free loopback port) and substitutes `{port}`.
pub fn plan(config: &Config) -> Result<Vec<Planned>, ProcessError> {
    config.processes.iter().map(plan_one).collect()
}

fn plan_one(p: &ProcessConfig) -> Result<Planned, ProcessError> {
    let port = match p.port {
        PortSpec::None => None,
        PortSpec::Fixed(n) => Some(n),
        PortSpec::Auto => Some(free_port().map_err(|source| ProcessError::NoPort {
            name: p.name.clone(),
            source,
        })?),
    };
    let subst = |s: &str| match port {
        Some(port) => s.replace("{port}", &port.to_string()),
        None => s.to_string(),
    };
    let mut words = p.command.iter().map(|w| subst(w));
    let first = words.next().unwrap_or_default();
    // A relative program path with a slash is relative to the child's cwd.
    let program = if first.contains('/') && Path::new(&first).is_relative() {
        p.cwd.join(&first)
    } else {
        PathBuf::from(&first)
    };
    Ok(Planned {
        name: p.name.clone(),
        program,
        args: words.collect(),
        cwd: p.cwd.clone(),
        env: p.env.iter().map(|(k, v)| (k.clone(), subst(v))).collect(),
        port,
        upstream: p.upstream.clone(),
        restart: p.restart,
    })
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// What a restart decision depends on, kept separate so it is unit-tested without processes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    consecutive_failures: u32,
}

/// The supervisor's answer to a child's exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterExit {
    Restart { delay: Duration, attempt: u32 },
    Stop,
    CrashLoop { failures: u32 },
}

impl Backoff {
    pub fn on_exit(&mut self, policy: RestartPolicy, success: bool, ran: Duration) -> AfterExit {
        let restart = match policy {
            RestartPolicy::Never => false,
            RestartPolicy::OnFailure => !success,
            RestartPolicy::Always => true,
        };
        if ran >= HEALTHY_RUN || success {
            self.consecutive_failures = 0;
        }
        if !restart {
            return AfterExit::Stop;
        }
        if !success {
            self.consecutive_failures += 1;
        }
        if self.consecutive_failures >= CRASH_LOOP_LIMIT {
            return AfterExit::CrashLoop {
                failures: self.consecutive_failures,
            };
        }
        let exp = self.consecutive_failures.saturating_sub(1).min(16);
        let delay = (BACKOFF_START * 2u32.pow(exp)).min(BACKOFF_CAP);
        AfterExit::Restart {
            delay,
            attempt: self.consecutive_failures,
        }
    }
}

/// Where children's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// `[name] line` on stdout, coloured on a terminal.
    Prefixed,
    /// One tracing event per line (`--log-format json`).
    Json,
}

/// The run-time record of one child.
struct Child {
    plan: Planned,
    color: &'static str,
    pid: Mutex<Option<u32>>,
    tail: Mutex<VecDeque<String>>,
    ready: AtomicBool,
}

impl Child {
    fn pid(&self) -> Option<u32> {
        *self.pid.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_pid(&self, pid: Option<u32>) {
        *self.pid.lock().unwrap_or_else(|e| e.into_inner()) = pid;
    }

    fn remember(&self, line: &str) {
        let mut tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line.to_string());
    }

    fn tail(&self) -> Vec<String> {
        self.tail
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// Starts, watches, restarts and stops the configured children.
pub struct Supervisor {
    children: Vec<Arc<Child>>,
    output: OutputMode,
    stopping: AtomicBool,
    reaper: Mutex<Option<Reaper>>,
    /// Hotfiles the gateway wrote for supervised Vite servers; removed at shutdown.
    hotfiles: Mutex<Vec<PathBuf>>,
}

const COLORS: [&str; 5] = ["\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[34m", "\x1b[32m"];

impl Supervisor {
    pub fn new(plans: Vec<Planned>, output: OutputMode) -> Supervisor {
        let children = plans
            .into_iter()
            .enumerate()
            .map(|(i, plan)| {
                Arc::new(Child {
                    plan,
                    color: COLORS[i % COLORS.len()],
                    pid: Mutex::new(None),
                    tail: Mutex::new(VecDeque::new()),
                    ready: AtomicBool::new(false),
                })
            })
            .collect();
        Supervisor {
            children,
            output,
            stopping: AtomicBool::new(false),
            reaper: Mutex::new(None),
            hotfiles: Mutex::new(Vec::new()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Starts the reaper and one monitor task per child.
    pub fn start(self: &Arc<Self>, vite_hotfile: Option<PathBuf>) -> Result<(), ProcessError> {
        if self.children.is_empty() {
            return Ok(());
        }
        *self.reaper.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Reaper::spawn().map_err(ProcessError::Reaper)?);
        for child in &self.children {
            let hotfile = child
                .plan
                .upstream
                .as_ref()
                .filter(|u| u.is_vite())
                .and(vite_hotfile.clone());
            tokio::spawn(self.clone().monitor(child.clone(), hotfile));
        }
        Ok(())
    }

    /// Waits until every child with a port accepts connections, printing progress;
    /// gives up waiting (not on the children) after `limit`.
    pub async fn wait_ready(&self, limit: Duration) {
        let started = Instant::now();
        let mut last_note = Instant::now();
        loop {
            let waiting: Vec<&str> = self
                .children
                .iter()
                .filter(|c| c.plan.port.is_some() && !c.ready.load(Ordering::Relaxed))
                .map(|c| c.plan.name.as_str())
                .collect();
            if waiting.is_empty() || self.stopping.load(Ordering::Relaxed) {
                return;
            }
            if started.elapsed() > limit {
                tracing::warn!(
                    "still waiting for {} after {:?}; starting anyway",
                    waiting.join(", "),
                    limit
                );
                return;
            }
            if last_note.elapsed() >= Duration::from_secs(3) {
                tracing::info!(
                    "waiting for {} to listen ({:.0} s)",
                    waiting.join(", "),
                    started.elapsed().as_secs_f64()
                );
                last_note = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn monitor(self: Arc<Self>, child: Arc<Child>, hotfile: Option<PathBuf>) {
        let mut backoff = Backoff::default();
        let name = child.plan.name.clone();
        while !self.stopping.load(Ordering::Relaxed) {
            let started = Instant::now();
            child.ready.store(false, Ordering::Relaxed);
            let status = match self.spawn_and_wait(&child, hotfile.as_deref()).await {
                Ok(status) => status,
                Err(e) => {
                    tracing::error!(
                        process = %name,
                        "cannot start {name}: {e}; command: {} (cwd {})",
                        child.plan.command_line(),
                        child.plan.cwd.display()
                    );
                    None
                }
            };
            if self.stopping.load(Ordering::Relaxed) {
                break;
            }
            let success = status.is_some_and(|s| s.success());
            let how = status.map_or("could not be started".to_string(), describe_exit);
            if !child.ready.load(Ordering::Relaxed) && child.plan.port.is_some() {
                let tail = child.tail();
                let shown = if tail.is_empty() {
                    "  (no output)".to_string()
                } else {
                    tail.iter()
                        .map(|l| format!("  {l}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                tracing::error!(
                    process = %name,
                    "{name} {how} during start-up; command: {} (cwd {})\nlast output:\n{shown}",
                    child.plan.command_line(),
                    child.plan.cwd.display()
                );
            }
            match backoff.on_exit(child.plan.restart, success, started.elapsed()) {
                AfterExit::Stop => {
                    tracing::info!(process = %name, "{name} {how}; not restarting (restart = {:?})", child.plan.restart);
                    break;
                }
                AfterExit::CrashLoop { failures } => {
                    tracing::error!(
                        process = %name,
                        "{name} keeps failing ({failures} times in a row, each within {}s): not restarting it again. \
                         Fix the error above, then restart litevite-gw. Command: {}",
                        HEALTHY_RUN.as_secs(),
                        child.plan.command_line()
                    );
                    break;
                }
                AfterExit::Restart { delay, attempt } => {
                    tracing::warn!(process = %name, "{name} {how}; restarting in {} s (attempt {attempt})", delay.as_secs());
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Spawns the child once, relays its output until it exits, and returns its status.
    async fn spawn_and_wait(
        self: &Arc<Self>,
        child: &Arc<Child>,
        hotfile: Option<&Path>,
    ) -> std::io::Result<Option<ExitStatus>> {
        let plan = &child.plan;
        let mut cmd = tokio::process::Command::new(&plan.program);
        cmd.args(&plan.args)
            .current_dir(&plan.cwd)
            .envs(&plan.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(false);
        let mut proc = cmd.spawn()?;
        let pid = proc.id();
        child.set_pid(pid);
        if let Some(pid) = pid {
            self.reaper_send(&format!("+{pid}"));
        }
        tracing::info!(process = %plan.name, pid, "started {}: {}", plan.name, plan.command_line());
        let relays = [
            proc.stdout
                .take()
                .map(|s| tokio::spawn(relay(s, child.clone(), self.output))),
            proc.stderr
                .take()
                .map(|s| tokio::spawn(relay(s, child.clone(), self.output))),
        ];
        let readiness = plan.port.map(|port| {
            tokio::spawn(self.clone().watch_ready(
                child.clone(),
                port,
                hotfile.map(Path::to_path_buf),
            ))
        });
        let status = proc.wait().await;
        if let Some(r) = readiness {
            r.abort();
        }
        for r in relays.into_iter().flatten() {
            let _ = tokio::time::timeout(Duration::from_millis(500), r).await;
        }
        if let Some(pid) = pid {
            self.reaper_send(&format!("-{pid}"));
            // Grandchildren (npx → node) may outlive the leader: the group goes with it.
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
        child.set_pid(None);
        Ok(Some(status?))
    }

    /// Polls the child's port; on first success marks it ready, logs, and writes the
    /// hotfile (so tools that read it, like litestar-vite's template helpers, find Vite).
    async fn watch_ready(self: Arc<Self>, child: Arc<Child>, port: u16, hotfile: Option<PathBuf>) {
        let started = Instant::now();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        loop {
            let ok = tokio::task::spawn_blocking(move || {
                TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            })
            .await
            .unwrap_or(false);
            if ok {
                child.ready.store(true, Ordering::Relaxed);
                tracing::info!(
                    process = %child.plan.name,
                    "{} is listening on {addr} (after {:.1} s)",
                    child.plan.name,
                    started.elapsed().as_secs_f64()
                );
                if let Some(path) = hotfile {
                    match write_hotfile(&path, port) {
                        Ok(()) => {
                            self.reaper_send(&format!("rm {}", path.display()));
                            self.wrote_hotfile(path)
                        }
                        Err(e) => {
                            tracing::warn!(hotfile = %path.display(), "cannot write the hotfile: {e}")
                        }
                    }
                }
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// PIDs of the process tree of the child serving `upstream` (None when no child
    /// serves it or it is not running). A change means the app restarted its workers.
    pub fn process_tree_of(&self, upstream: &UpstreamName) -> Option<BTreeSet<u32>> {
        let child = self
            .children
            .iter()
            .find(|c| c.plan.upstream.as_ref() == Some(upstream))?;
        let root = child.pid()?;
        let mut parents: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok());
            if let Some(ppid) = ppid {
                parents.entry(ppid).or_default().push(pid);
            }
        }
        let mut tree = BTreeSet::from([root]);
        let mut stack = vec![root];
        while let Some(p) = stack.pop() {
            for c in parents.get(&p).into_iter().flatten() {
                if tree.insert(*c) {
                    stack.push(*c);
                }
            }
        }
        Some(tree)
    }

    fn reaper_send(&self, line: &str) {
        if let Some(r) = self
            .reaper
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            r.send(line);
        }
    }

    /// Records a hotfile the gateway wrote, to remove at shutdown.
    fn wrote_hotfile(&self, path: PathBuf) {
        let mut list = self.hotfiles.lock().unwrap_or_else(|e| e.into_inner());
        if !list.contains(&path) {
            list.push(path);
        }
    }

    /// Stops every child: SIGTERM to its process group, SIGKILL after a grace period;
    /// removes the hotfiles the gateway wrote; dismisses the reaper.
    pub async fn stop_all(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        let running: Vec<(Arc<Child>, u32)> = self
            .children
            .iter()
            .filter_map(|c| c.pid().map(|p| (c.clone(), p)))
            .collect();
        for (child, pid) in &running {
            tracing::info!(process = %child.plan.name, pid, "stopping {}", child.plan.name);
            let _ = killpg(Pid::from_raw(*pid as i32), Signal::SIGTERM);
        }
        let deadline = Instant::now() + STOP_GRACE;
        while running.iter().any(|(c, _)| c.pid().is_some()) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for (child, pid) in &running {
            if child.pid().is_some() {
                tracing::warn!(process = %child.plan.name, "{} ignored SIGTERM for {:?}; killing it", child.plan.name, STOP_GRACE);
            }
            let _ = killpg(Pid::from_raw(*pid as i32), Signal::SIGKILL);
        }
        for path in self
            .hotfiles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            let _ = std::fs::remove_file(&path);
        }
        if let Some(mut r) = self.reaper.lock().unwrap_or_else(|e| e.into_inner()).take() {
            r.send("bye");
        }
    }
}

/// Relays one output stream line by line, with the child's name as a prefix.
async fn relay(stream: impl AsyncRead + Unpin, child: Arc<Child>, mode: OutputMode) {
    let mut lines = BufReader::new(stream).lines();
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    while let Ok(Some(line)) = lines.next_line().await {
        child.remember(&strip_ansi(&line));
        match mode {
            OutputMode::Json => tracing::info!(process = %child.plan.name, "{}", strip_ansi(&line)),
            OutputMode::Prefixed => {
                let prefix = if color {
                    format!("{}[{}]\x1b[0m", child.color, child.plan.name)
                } else {
                    format!("[{}]", child.plan.name)
                };
                let text = if color { line } else { strip_ansi(&line) };
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{prefix} {text}");
            }
        }
    }
}

/// Removes ANSI escape sequences (children colour their output for terminals).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn describe_exit(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(0), _) => "exited cleanly".into(),
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => match Signal::try_from(sig) {
            Ok(s) => format!("was killed by {s}"),
            Err(_) => format!("was killed by signal {sig}"),
        },
        (None, None) => "exited".into(),
    }
}

/// Writes `http://127.0.0.1:PORT` atomically (temp file + rename).
fn write_hotfile(path: &Path, port: u16) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("litevite-tmp");
    std::fs::write(&tmp, format!("http://127.0.0.1:{port}"))?;
    std::fs::rename(&tmp, path)
}

/// A helper process (`litevite-gw __reap`) that holds the other end of a pipe: when
/// the gateway dies, even by SIGKILL, the pipe closes and the reaper stops every
/// child process group the gateway registered. Needs no unsafe `pre_exec` hooks.
struct Reaper {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
}

impl Reaper {
    fn spawn() -> std::io::Result<Reaper> {
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe()?;
        let mut child = std::process::Command::new(exe)
            .arg("__reap")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            // Its own group: a Ctrl-C meant for the gateway must not reach it.
            .process_group(0)
            .spawn()?;
        let stdin = child.stdin.take();
        Ok(Reaper { child, stdin })
    }

    fn send(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = writeln!(stdin, "{line}");
            let _ = stdin.flush();
        }
        if line == "bye" {
            self.stdin = None;
            let _ = self.child.wait();
        }
    }
}

/// The reaper's main loop. Lines: `+PGID` / `-PGID` (groups to guard), `rm PATH`
/// (hotfiles to remove), `bye` (clean exit). On EOF without `bye`: SIGTERM the
/// groups, SIGKILL them 2 s later, remove the files.
pub fn reaper_main() {
    let mut groups: Vec<i32> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let line = line.trim();
        if line == "bye" {
            return;
        }
        if let Some(path) = line.strip_prefix("rm ") {
            files.push(PathBuf::from(path));
        } else if let Some(pid) = line.strip_prefix('+').and_then(|p| p.parse().ok()) {
            groups.push(pid);
        } else if let Some(pid) = line.strip_prefix('-').and_then(|p| p.parse::<i32>().ok()) {
            groups.retain(|g| *g != pid);
        }
    }
    // The gateway is gone without saying goodbye: stop what it started.
    for g in &groups {
        let _ = killpg(Pid::from_raw(*g), Signal::SIGTERM);
    }
    std::thread::sleep(Duration::from_secs(2));
    for g in &groups {
        let _ = killpg(Pid::from_raw(*g), Signal::SIGKILL);
    }
    for f in &files {
        let _ = std::fs::remove_file(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    #[test]
    fn backoff_doubles_caps_and_detects_crash_loops() {
        let mut b = Backoff::default();
        let quick = Duration::from_millis(100);
        assert_eq!(
            b.on_exit(RestartPolicy::OnFailure, false, quick),
            AfterExit::Restart {
                delay: Duration::from_secs(1),
                attempt: 1
            }
        );
        assert_eq!(
            b.on_exit(RestartPolicy::OnFailure, false, quick),
            AfterExit::Restart {
                delay: Duration::from_secs(2),
                attempt: 2
            }
        );
        assert_eq!(
            b.on_exit(RestartPolicy::OnFailure, false, quick),
            AfterExit::Restart {
                delay: Duration::from_secs(4),
                attempt: 3
            }
        );
        assert_eq!(
            b.on_exit(RestartPolicy::OnFailure, false, quick),
            AfterExit::Restart {
                delay: Duration::from_secs(8),
                attempt: 4
            }
        );
        assert_eq!(
            b.on_exit(RestartPolicy::OnFailure, false, quick),
            AfterExit::CrashLoop { failures: 5 }
        );
        // A long healthy run resets the count.
        let mut b = Backoff::default();
        for _ in 0..4 {
            b.on_exit(RestartPolicy::Always, false, quick);
        }
        assert_eq!(
            b.on_exit(RestartPolicy::Always, false, HEALTHY_RUN),
            AfterExit::Restart {
                delay: Duration::from_secs(1),
                attempt: 1
            }
        );
        let mut b = Backoff {
            consecutive_failures: 3,
        };
        assert!(
            matches!(b.on_exit(RestartPolicy::Always, false, quick), AfterExit::Restart { delay, .. } if delay <= BACKOFF_CAP)
        );
    }

    #[test]
    fn policies_decide_whether_to_restart() {
        let t = Duration::from_secs(1);
        assert_eq!(
            Backoff::default().on_exit(RestartPolicy::Never, false, t),
            AfterExit::Stop
        );
        assert_eq!(
            Backoff::default().on_exit(RestartPolicy::OnFailure, true, t),
            AfterExit::Stop
        );
        assert_eq!(
            Backoff::default().on_exit(RestartPolicy::Always, true, t),
            AfterExit::Restart {
                delay: Duration::from_secs(1),
                attempt: 0
            }
        );
    }

    #[test]
    fn plan_substitutes_the_auto_port() {
        let no_env = |_: &str| None;
        let cfg = Config::from_str(
            "[processes.vite]\ncommand = [\"node_modules/.bin/vite\", \"--port\", \"{port}\"]\ncwd = \"web\"\nport = \"auto\"\nupstream = \"vite\"\nenv = { VITE_PORT = \"{port}\" }\n",
            Path::new("/proj/litevite.toml"),
            &no_env,
            &Overrides::default(),
        )
        .unwrap();
        let p = &plan(&cfg).unwrap()[0];
        let port = p.port.unwrap().to_string();
        assert_eq!(p.program, Path::new("/proj/web/node_modules/.bin/vite"));
        assert_eq!(p.args, ["--port", port.as_str()]);
        assert_eq!(p.env["VITE_PORT"], port);
        assert_eq!(p.address().unwrap().authority, format!("127.0.0.1:{port}"));
    }

    #[test]
    fn strips_ansi_colours() {
        assert_eq!(
            strip_ansi("\x1b[32m  VITE\x1b[39m v8 ready"),
            "  VITE v8 ready"
        );
    }
}
