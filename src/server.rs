//! Assembles and runs the Pingora server: pre-flight bind, services, banner,
//! signal handling and a prompt, bounded shutdown.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pingora::prelude::background_service;
use pingora::proxy::http_proxy_service;
use pingora::server::configuration::ServerConf;
use pingora::server::{RunArgs, Server, ShutdownSignal, ShutdownSignalWatch, ShutdownWatch};
use pingora::services::background::BackgroundService;

use crate::banner;
use crate::codegen::pipeline::Pipeline;
use crate::codegen::routes_json::RouteTable;
use crate::codegen::service::CodegenService;
use crate::config::{Config, Overrides, UpstreamName};
use crate::health::HealthService;
use crate::process::{self, OutputMode, Supervisor};
use crate::proxy::Gateway;
use crate::reload::ConfigWatcher;
use crate::state::AppState;
use crate::upstream::HotfileWatcher;

/// Why the gateway could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{addr} is already in use by another process: stop that process, or pick a free address with --listen, LITEVITE_LISTEN or `listen` in [gateway]")]
    AddressInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}; check the address in [gateway] listen")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Process(#[from] process::ProcessError),
}

/// Requests being proxied right now (upgraded WebSockets excluded): shutdown waits for them.
pub static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Runs the gateway until SIGINT or SIGTERM; returns after a clean shutdown.
pub fn run(config: Config, overrides: Overrides, json_logs: bool) -> Result<(), ServerError> {
    let started = Instant::now();
    preflight_bind(config.gateway.listen)?;
    if !config.gateway.listen.ip().is_loopback() && config.auth.is_none() {
        tracing::warn!(
            "\n  !!  litevite-gw listens on {} without [auth]: anyone who can reach this port can read\n  !!  your project's files through Vite's dev server. Add an [auth] section with a token\n  !!  (or set LITEVITE_TOKEN), or listen on 127.0.0.1. See docs/remote.md.",
            config.gateway.listen
        );
    }
    let grace = config.gateway.shutdown_grace;
    let plans = process::plan(&config)?;
    let supervised: Vec<_> = plans
        .iter()
        .filter_map(|p| Some((p.upstream.clone()?, p.name.clone(), p.address()?)))
        .collect();
    let vite_hotfile = config
        .upstream(&UpstreamName::vite())
        .and_then(|u| u.hotfile.clone());
    let output = if json_logs {
        OutputMode::Json
    } else {
        OutputMode::Prefixed
    };
    let supervisor = Arc::new(Supervisor::new(plans, output));
    let state = Arc::new(AppState::new(config, overrides, &supervised));

    let conf = ServerConf {
        threads: state.config.load().gateway.threads,
        // Our signal watcher drains in-flight requests itself (bounded by shutdown_grace),
        // so pingora need not sleep: its default would keep the process up for minutes.
        grace_period_seconds: Some(0),
        graceful_shutdown_timeout_seconds: Some(1),
        // Connect retries while an upstream restarts (retry_window / 100 ms each).
        max_retries: 64,
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();

    let mut proxy = http_proxy_service(
        &server.configuration,
        Gateway {
            state: state.clone(),
        },
    );
    proxy.add_tcp(&state.listen.to_string());
    server.add_service(proxy);
    server.add_service(background_service(
        "hotfile watcher",
        HotfileWatcher {
            state: state.clone(),
        },
    ));

    let codegen_state = state.clone();
    let pipeline = Pipeline::new(
        state.config.load().codegen.clone(),
        state
            .config
            .load()
            .path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default(),
        state.codegen_log.clone(),
        Some(Box::new(move |table: &RouteTable| {
            codegen_state.set_app_routes(table)
        })),
    );
    server.add_service(background_service(
        "health checks",
        HealthService {
            state: state.clone(),
        },
    ));
    server.add_service(background_service(
        "config watcher",
        ConfigWatcher {
            state: state.clone(),
        },
    ));
    server.add_service(background_service(
        "codegen",
        CodegenService {
            pipeline: Arc::new(pipeline),
            state: state.clone(),
            supervisor: supervisor.clone(),
        },
    ));
    server.add_service(background_service(
        "startup",
        Startup {
            state: state.clone(),
            supervisor: supervisor.clone(),
            vite_hotfile,
            started,
            json_logs,
        },
    ));
    server.run(RunArgs {
        shutdown_signal: Box::new(Signals { grace, supervisor }),
    });
    tracing::info!("litevite-gw stopped");
    Ok(())
}

/// Pingora retries a busy port for 30 s and then panics in a thread while the process
/// lives on (pingora#667); binding once first turns that into an immediate, clear error.
fn preflight_bind(addr: SocketAddr) -> Result<(), ServerError> {
    match TcpListener::bind(addr) {
        Ok(listener) => {
            drop(listener);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            Err(ServerError::AddressInUse { addr })
        }
        Err(source) => Err(ServerError::Bind { addr, source }),
    }
}

/// True when something accepts TCP connections at `addr` (for the banner).
pub fn is_listening(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(150)).is_ok()
}

/// Starts the supervised children, waits for them to listen (with progress lines),
/// then prints the banner.
struct Startup {
    state: Arc<AppState>,
    supervisor: Arc<Supervisor>,
    vite_hotfile: Option<std::path::PathBuf>,
    started: Instant,
    json_logs: bool,
}

/// How long the banner waits for supervised children before printing anyway.
const STARTUP_WAIT: Duration = Duration::from_secs(60);

#[async_trait]
impl BackgroundService for Startup {
    async fn start(&self, _shutdown: ShutdownWatch) {
        if let Err(e) = self.supervisor.start(self.vite_hotfile.clone()) {
            tracing::error!("{e}");
        }
        self.supervisor.wait_ready(STARTUP_WAIT).await;
        banner::print(&self.state, self.started, self.json_logs);
    }
}

/// SIGINT and SIGTERM both shut down gracefully: wait for in-flight requests
/// (at most `grace`), then stop.
struct Signals {
    grace: Duration,
    supervisor: Arc<Supervisor>,
}

#[async_trait]
impl ShutdownSignalWatch for Signals {
    async fn recv(&self) -> ShutdownSignal {
        use tokio::signal::unix::{signal, SignalKind};
        let (mut int, mut term) = match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(i), Ok(t)) => (i, t),
            _ => {
                tracing::error!("cannot install signal handlers; stop the gateway with SIGKILL");
                return std::future::pending().await;
            }
        };
        let name = tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        };
        let deadline = Instant::now() + self.grace;
        let pending = IN_FLIGHT.load(Ordering::Relaxed);
        tracing::info!(signal = name, in_flight = pending, "shutting down");
        while IN_FLIGHT.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let left = IN_FLIGHT.load(Ordering::Relaxed);
        if left > 0 {
            tracing::warn!(in_flight = left, grace = ?self.grace, "shutdown grace elapsed; dropping requests still in flight");
        }
        self.supervisor.stop_all().await;
        ShutdownSignal::FastShutdown
    }
}
