//! Entry point: parse the command line, set up logging, dispatch, map results to exit codes
//! (0 clean, 1 runtime failure, 2 bad config or arguments).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use litevite_gw::cli::{Cli, Command, Common, LogFormat};
use litevite_gw::config::{Config, ProcessEnv};
use litevite_gw::routing::{AppRoutes, Router};
use tracing_subscriber::EnvFilter;

/// Pingora allocates per request (header maps, boxed phase futures); mimalloc's
/// thread-local free lists make that cheaper than glibc's malloc (docs/performance.md).
/// Built with `no_thp`: transparent huge pages would double the idle RSS.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const STARTER: &str = include_str!("../config/starter.toml");

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Some(Command::Reap)) {
        litevite_gw::process::reaper_main();
        return ExitCode::SUCCESS;
    }
    init_logging(&cli.common);
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => run(&cli.common),
        Command::Check => check(&cli.common),
        Command::Init => init(&cli.common),
        Command::Codegen { ref openapi, wait } => codegen(&cli.common, openapi.as_deref(), wait),
        Command::Reap => ExitCode::SUCCESS,
        Command::Schema => {
            print!("{}", litevite_gw::config::json_schema());
            ExitCode::SUCCESS
        }
    }
}

fn load(common: &Common) -> Result<Config, ExitCode> {
    Config::load(&common.config, &ProcessEnv, &common.overrides()).map_err(|e| {
        eprint!("error: {e}");
        ExitCode::from(2)
    })
}

fn run(common: &Common) -> ExitCode {
    let config = match load(common) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match litevite_gw::server::run(
        config,
        common.overrides(),
        common.log_format == LogFormat::Json,
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if common.log_format == LogFormat::Json {
                tracing::error!("{e}");
            } else {
                eprintln!("error: {e}");
            }
            ExitCode::from(1)
        }
    }
}

fn check(common: &Common) -> ExitCode {
    let config = match load(common) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let routes = std::fs::read_to_string(config.routes_json_path())
        .ok()
        .and_then(|t| AppRoutes::from_routes_json(&t).ok())
        .unwrap_or_default();
    let router = Router::new(&config, routes);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}\n{router}\n{} is valid.",
        config.render(),
        config.path.display()
    );
    ExitCode::SUCCESS
}

fn codegen(
    common: &Common,
    openapi: Option<&std::path::Path>,
    wait: std::time::Duration,
) -> ExitCode {
    let config = match load(common) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(litevite_gw::codegen::oneshot::run(&config, openapi, wait)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: codegen failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn init(common: &Common) -> ExitCode {
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&common.config)
        .and_then(|mut f| f.write_all(STARTER.as_bytes()))
        .with_context(|| format!("cannot write {}", common.config.display()));
    match result {
        Ok(()) => {
            println!(
                "wrote {}; start the gateway with `litevite-gw -c {}`",
                common.config.display(),
                common.config.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) if common.config.exists() => {
            eprintln!(
                "error: {} already exists; not overwriting it ({e:#})",
                common.config.display()
            );
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Readable lines by default, JSON with `--log-format json`; Pingora's `log` records are
/// bridged in and kept to warnings unless RUST_LOG asks for more.
fn init_logging(common: &Common) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let filter = from_env.and_then(|v| EnvFilter::try_new(v).ok()).unwrap_or_else(|| {
        let level = &common.log_level;
        EnvFilter::new(format!("{level},pingora=warn,pingora_core=warn,pingora_proxy=warn,pingora_load_balancing=warn"))
    });
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let _ = match common.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.with_target(false).compact().try_init(),
    };
}
