//! Upstream addresses at run time: static ones, and Vite's discovered through the
//! hotfile (read at start, watched with `notify`, re-read on change).

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use notify::{RecursiveMode, Watcher};
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use crate::config::{Config, HealthConfig, UpstreamAddr, UpstreamConfig, UpstreamName};
use crate::health::HealthState;

/// How the current address was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Config,
    Hotfile(PathBuf),
    /// A child the gateway supervises (`[processes.NAME]` with `upstream = ...`).
    Process(String),
}

/// Why an upstream has no address right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// The hotfile does not exist: Vite is not running.
    NoHotfile(PathBuf),
    /// The hotfile exists but cannot be used.
    BadHotfile { path: PathBuf, problem: String },
    /// The hotfile names the gateway's own address (a loop).
    PointsAtGateway { path: PathBuf, addr: String },
}

impl Unavailable {
    pub fn cause(&self) -> String {
        match self {
            Unavailable::NoHotfile(path) => {
                format!("no hotfile at {}, so Vite is not running", path.display())
            }
            Unavailable::BadHotfile { path, problem } => {
                format!("the hotfile {} is unusable: {problem}", path.display())
            }
            Unavailable::PointsAtGateway { path, addr } => format!(
                "the hotfile {} points at {addr}, which is this gateway (requests would loop)",
                path.display()
            ),
        }
    }
}

/// The resolved state of one upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Ready { addr: UpstreamAddr, via: Via },
    Unavailable(Unavailable),
}

/// One upstream: its configuration and its current address.
#[derive(Debug)]
pub struct Upstream {
    pub name: UpstreamName,
    static_addr: Option<UpstreamAddr>,
    hotfile: Option<PathBuf>,
    /// Set when a supervised child serves this upstream: its address wins over discovery.
    process: Option<(String, UpstreamAddr)>,
    gateway: SocketAddr,
    resolution: ArcSwap<Resolution>,
    /// Last outcome seen by the proxy, so state changes are logged once, not per request.
    reachable: AtomicBool,
    pub required: bool,
    pub max_body_bytes: u64,
    pub health_config: HealthConfig,
    /// For the vite upstream: its base, where its liveness ping is answered.
    pub vite_base: Option<String>,
    pub health: HealthState,
    /// What this upstream was built from; an unchanged key is reused across reloads.
    key: String,
}

impl Upstream {
    fn new(
        cfg: &UpstreamConfig,
        gateway: SocketAddr,
        process: Option<(String, UpstreamAddr)>,
        vite_base: Option<String>,
    ) -> Upstream {
        let key = format!("{cfg:?}|{gateway}|{process:?}|{vite_base:?}");
        let up = Upstream {
            required: cfg.required,
            max_body_bytes: cfg.max_body_bytes,
            health_config: cfg.health.clone(),
            health: HealthState::new(cfg.health.rise, cfg.health.fall),
            vite_base,
            key,
            name: cfg.name.clone(),
            static_addr: cfg.address.clone(),
            // The gateway started this upstream itself: no hotfile discovery.
            hotfile: if process.is_some() {
                None
            } else {
                cfg.hotfile.clone()
            },
            process,
            gateway,
            resolution: ArcSwap::from_pointee(Resolution::Unavailable(Unavailable::NoHotfile(
                PathBuf::new(),
            ))),
            reachable: AtomicBool::new(true),
        };
        up.resolution.store(Arc::new(up.resolve()));
        up
    }

    pub fn resolution(&self) -> Arc<Resolution> {
        self.resolution.load_full()
    }

    pub fn hotfile(&self) -> Option<&Path> {
        self.hotfile.as_deref()
    }

    /// Re-reads the hotfile; logs and returns true when the address changed.
    pub fn refresh(&self) -> bool {
        let next = self.resolve();
        let prev = self.resolution.load_full();
        if *prev == next {
            return false;
        }
        match &next {
            Resolution::Ready {
                addr,
                via: Via::Hotfile(path),
            } => tracing::info!(
                upstream = %self.name, address = %addr, hotfile = %path.display(),
                "{} discovered at {addr} through the hotfile", self.name
            ),
            Resolution::Ready { addr, .. } => {
                tracing::info!(upstream = %self.name, address = %addr, "{} uses {addr}", self.name)
            }
            Resolution::Unavailable(why) => {
                tracing::warn!(upstream = %self.name, "{} unavailable: {}", self.name, why.cause())
            }
        }
        self.resolution.store(Arc::new(next));
        true
    }

    fn resolve(&self) -> Resolution {
        if let Some((name, addr)) = &self.process {
            return Resolution::Ready {
                addr: addr.clone(),
                via: Via::Process(name.clone()),
            };
        }
        let Some(path) = &self.hotfile else {
            return self.static_or(Unavailable::NoHotfile(PathBuf::new()));
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let Some(url) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
                    return Resolution::Unavailable(Unavailable::BadHotfile {
                        path: path.clone(),
                        problem: "it is empty".into(),
                    });
                };
                match resolve_reachable(url) {
                    Ok(addr) if same_listener(addr.socket, self.gateway) => {
                        Resolution::Unavailable(Unavailable::PointsAtGateway {
                            path: path.clone(),
                            addr: addr.authority,
                        })
                    }
                    Ok(addr) => Resolution::Ready {
                        addr,
                        via: Via::Hotfile(path.clone()),
                    },
                    Err(problem) => Resolution::Unavailable(Unavailable::BadHotfile {
                        path: path.clone(),
                        problem,
                    }),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.static_or(Unavailable::NoHotfile(path.clone()))
            }
            Err(e) => Resolution::Unavailable(Unavailable::BadHotfile {
                path: path.clone(),
                problem: e.to_string(),
            }),
        }
    }

    fn static_or(&self, why: Unavailable) -> Resolution {
        match &self.static_addr {
            Some(addr) => Resolution::Ready {
                addr: addr.clone(),
                via: Via::Config,
            },
            None => Resolution::Unavailable(why),
        }
    }

    /// Records a proxy outcome; returns true when this flips the reachability (to log once).
    pub fn mark_reachable(&self, ok: bool) -> bool {
        self.reachable.swap(ok, Ordering::Relaxed) != ok
    }

    /// What to do when this upstream cannot be reached, for error pages and logs.
    pub fn next_step(&self) -> String {
        if let Some((process, _)) = &self.process {
            return format!(
                "the gateway runs it as [processes.{process}]: it is still starting or it exited; \
                 check the [{process}] lines in the gateway's output (it is restarted per its `restart` policy)"
            );
        }
        if self.name.is_vite() {
            let hot = self
                .hotfile
                .as_ref()
                .map(|h| format!(" (its plugin writes {})", h.display()))
                .unwrap_or_default();
            format!("start Vite with `npm run dev`{hot}, or add a [processes.vite] section to litevite.toml so the gateway starts it")
        } else if self.name.is_app() {
            let port = match &*self.resolution() {
                Resolution::Ready { addr, .. } => addr.socket.port(),
                Resolution::Unavailable(_) => 8001,
            };
            format!("start the app with `litestar run --port {port}` (or `uvicorn app:app --port {port}`), or add a [processes.app] section to litevite.toml so the gateway starts it")
        } else {
            format!(
                "start the service, or fix [upstreams.{}] address in litevite.toml",
                self.name
            )
        }
    }
}

/// True when `addr` would reach the gateway's own listener.
fn same_listener(addr: SocketAddr, gateway: SocketAddr) -> bool {
    addr.port() == gateway.port()
        && (addr.ip() == gateway.ip()
            || gateway.ip().is_unspecified()
            || (addr.ip().is_loopback() && gateway.ip().is_loopback()))
}

/// Parses a hotfile URL and, when the host resolves to several addresses
/// (`localhost` → `::1` and `127.0.0.1`), picks the one that accepts a connection:
/// Node 17+ may bind only `::1`.
fn resolve_reachable(url: &str) -> Result<UpstreamAddr, String> {
    let first = UpstreamAddr::parse(url)?;
    let candidates: Vec<SocketAddr> = first
        .authority
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default();
    if candidates.len() > 1 {
        for cand in &candidates {
            if TcpStream::connect_timeout(cand, Duration::from_millis(200)).is_ok() {
                return Ok(UpstreamAddr {
                    socket: *cand,
                    authority: first.authority,
                });
            }
        }
    }
    Ok(first)
}

/// All upstreams by name.
#[derive(Debug)]
pub struct Upstreams {
    map: BTreeMap<UpstreamName, Arc<Upstream>>,
}

impl Upstreams {
    /// `supervised` lists the upstreams served by the gateway's own children:
    /// (upstream, process name, address).
    pub fn new(config: &Config, supervised: &[(UpstreamName, String, UpstreamAddr)]) -> Upstreams {
        Upstreams::rebuild(config, supervised, None)
    }

    /// Builds the registry for `config`, reusing from `previous` every upstream whose
    /// configuration did not change (it keeps its health state and discovered address).
    pub fn rebuild(
        config: &Config,
        supervised: &[(UpstreamName, String, UpstreamAddr)],
        previous: Option<&Upstreams>,
    ) -> Upstreams {
        let map = config
            .upstreams
            .values()
            .map(|u| {
                let process = supervised
                    .iter()
                    .find(|(name, _, _)| *name == u.name)
                    .map(|(_, p, a)| (p.clone(), a.clone()));
                let vite_base = u
                    .name
                    .is_vite()
                    .then(|| config.vite.base.as_str().to_string());
                let fresh = Upstream::new(u, config.gateway.listen, process, vite_base);
                let up = match previous.and_then(|p| p.get(&u.name)) {
                    Some(old) if old.key == fresh.key => old.clone(),
                    _ => Arc::new(fresh),
                };
                (u.name.clone(), up)
            })
            .collect();
        Upstreams { map }
    }

    pub fn get(&self, name: &UpstreamName) -> Option<&Arc<Upstream>> {
        self.map.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Upstream>> {
        self.map.values()
    }

    fn with_hotfiles(&self) -> Vec<Arc<Upstream>> {
        self.map
            .values()
            .filter(|u| u.hotfile.is_some())
            .cloned()
            .collect()
    }
}

/// Watches hotfiles with `notify` (plus a slow poll, for directories created later)
/// and re-reads them on change.
pub struct HotfileWatcher {
    pub state: Arc<crate::state::AppState>,
}

/// Backstop poll interval: catches a hotfile whose directory did not exist at start.
const HOTFILE_POLL: Duration = Duration::from_secs(1);

#[async_trait]
impl BackgroundService for HotfileWatcher {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        // Hotfile paths can change with a config reload: the 1 s poll follows them.
        let watched = self.state.upstreams.load().with_hotfiles();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok() {
                let _ = tx.send(());
            }
        });
        let mut watcher = match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch hotfiles; polling every second instead");
                None
            }
        };
        if let Some(w) = watcher.as_mut() {
            for up in &watched {
                let dir = up.hotfile().and_then(Path::parent);
                if let Some(dir) = dir.filter(|d| d.is_dir()) {
                    if let Err(e) = w.watch(dir, RecursiveMode::NonRecursive) {
                        tracing::debug!(error = %e, dir = %dir.display(), "cannot watch hotfile directory");
                    }
                }
            }
        }
        let mut poll = tokio::time::interval(HOTFILE_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                Some(()) = rx.recv() => {
                    // Let a burst of events (write + rename) settle before reading.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    while rx.try_recv().is_ok() {}
                }
                _ = poll.tick() => {}
            }
            for up in self.state.upstreams.load().with_hotfiles() {
                up.refresh();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, UpstreamName};
    use std::io::Write;

    fn config(dir: &Path, extra: &str) -> Config {
        let no_env = |_: &str| None;
        let text = format!("[gateway]\nlisten = \"127.0.0.1:18000\"\n{extra}");
        Config::from_str(
            &text,
            &dir.join("litevite.toml"),
            &no_env,
            &Overrides::default(),
        )
        .unwrap()
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::File::create(path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }

    #[test]
    fn hotfile_is_read_refreshed_and_loops_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ups = Upstreams::new(&config(dir.path(), ""), &[]);
        let vite = ups.get(&UpstreamName::vite()).unwrap();
        let hot = dir.path().join("public/hot");
        assert_eq!(
            *vite.resolution(),
            Resolution::Unavailable(Unavailable::NoHotfile(hot.clone()))
        );

        write(&hot, "http://127.0.0.1:5999");
        assert!(vite.refresh());
        assert!(!vite.refresh(), "unchanged content is not a change");
        match &*vite.resolution() {
            Resolution::Ready { addr, via } => {
                assert_eq!(addr.socket, "127.0.0.1:5999".parse().unwrap());
                assert_eq!(*via, Via::Hotfile(hot.clone()));
            }
            other => panic!("{other:?}"),
        }

        write(&hot, "http://127.0.0.1:18000\n");
        vite.refresh();
        assert!(matches!(
            &*vite.resolution(),
            Resolution::Unavailable(Unavailable::PointsAtGateway { .. })
        ));

        write(&hot, "not a url at all/");
        vite.refresh();
        assert!(matches!(
            &*vite.resolution(),
            Resolution::Unavailable(Unavailable::BadHotfile { .. })
        ));

        std::fs::remove_file(&hot).unwrap();
        vite.refresh();
        assert!(matches!(
            &*vite.resolution(),
            Resolution::Unavailable(Unavailable::NoHotfile(_))
        ));
    }

    #[test]
    fn static_address_is_the_fallback_when_no_hotfile() {
        let dir = tempfile::tempdir().unwrap();
        let ups = Upstreams::new(
            &config(
                dir.path(),
                "[upstreams.vite]\naddress = \"127.0.0.1:5173\"\n",
            ),
            &[],
        );
        let vite = ups.get(&UpstreamName::vite()).unwrap();
        assert!(matches!(
            &*vite.resolution(),
            Resolution::Ready {
                via: Via::Config,
                ..
            }
        ));
        write(&dir.path().join("public/hot"), "http://localhost:6001");
        vite.refresh();
        assert!(matches!(
            &*vite.resolution(),
            Resolution::Ready {
                via: Via::Hotfile(_),
                ..
            }
        ));
    }

    #[test]
    fn same_listener_covers_wildcard_and_loopback() {
        let gw: SocketAddr = "0.0.0.0:8000".parse().unwrap();
        assert!(same_listener("127.0.0.1:8000".parse().unwrap(), gw));
        assert!(!same_listener("127.0.0.1:8001".parse().unwrap(), gw));
        let gw: SocketAddr = "127.0.0.1:8000".parse().unwrap();
        assert!(same_listener("[::1]:8000".parse().unwrap(), gw));
    }
}
