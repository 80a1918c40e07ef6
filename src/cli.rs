//! The command line (DESIGN §2): clap definitions and their mapping to plain values.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Overrides, DEFAULT_CONFIG};

#[derive(Debug, Parser)]
#[command(name = "litevite-gw", version, about = "One port for Litestar + Vite development: proxy, HMR, codegen", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub common: Common,
}

/// Options every command takes.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// The config file
    #[arg(short, long, global = true, env = "LITEVITE_CONFIG", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,

    /// Log level: error, warn, info, debug or trace (RUST_LOG, if set, wins)
    #[arg(long, global = true, default_value = "info")]
    pub log_level: String,

    /// Log format
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// Listen address, overriding the file and LITEVITE_LISTEN
    #[arg(long, global = true)]
    pub listen: Option<String>,

    /// proxy or direct, overriding the file and VITE_PROXY_MODE
    #[arg(long, global = true)]
    pub mode: Option<String>,
}

impl Common {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen.clone(),
            mode: self.mode.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default)
    Run,
    /// Validate the config, print it resolved and the routing table; exit 0 valid, 2 invalid
    Check,
    /// Export openapi.json from the running app (or take --openapi), write routes.json and
    /// routes.ts, run openapi-ts; exit non-zero on any failure. For CI pipelines.
    Codegen {
        /// Use this openapi.json instead of fetching it from the app
        #[arg(long)]
        openapi: Option<PathBuf>,
        /// How long to wait for the app to answer
        #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
        wait: std::time::Duration,
    },
    /// Write a commented starter litevite.toml (refuses to overwrite)
    Init,
    /// Print the JSON Schema of litevite.toml (what config/litevite.schema.json holds)
    #[command(hide = true)]
    Schema,
    /// Internal: guards supervised children against a gateway killed by SIGKILL
    #[command(name = "__reap", hide = true)]
    Reap,
}
