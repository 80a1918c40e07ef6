//! The Vite-style startup banner: the URL to open and each upstream with its state.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use crate::config::Mode;
use crate::server::is_listening;
use crate::state::AppState;
use crate::upstream::{Resolution, Via};

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// One upstream's line: name, address, how it was found, and whether it answers.
struct Line {
    name: String,
    address: String,
    via: String,
    up: bool,
}

fn lines(state: &AppState) -> Vec<Line> {
    state
        .upstreams
        .load()
        .iter()
        .map(|u| match &*u.resolution() {
            Resolution::Ready { addr, via } => Line {
                name: u.name.to_string(),
                address: addr.to_string(),
                via: match via {
                    Via::Config => "configured".into(),
                    Via::Hotfile(p) => format!("hotfile {}", p.display()),
                    Via::Process(name) => format!("started by the gateway ([processes.{name}])"),
                },
                up: is_listening(addr.socket),
            },
            Resolution::Unavailable(why) => Line {
                name: u.name.to_string(),
                address: "-".into(),
                via: why.cause(),
                up: false,
            },
        })
        .collect()
}

/// Prints the banner (or logs it as structured events with `--log-format json`).
pub fn print(state: &AppState, started: Instant, json: bool) {
    let config = state.config.load();
    let url = config.public_url();
    let ms = started.elapsed().as_millis();
    let mode = match config.gateway.mode {
        Mode::Proxy => format!(
            "proxy (Vite under {}, fallback {})",
            config.vite.base, config.vite.fallback
        ),
        Mode::Direct => "direct (browsers load Vite from its own port)".into(),
    };
    let ups = lines(state);
    if json {
        tracing::info!(url = %url, mode = %config.gateway.mode, listen = %config.gateway.listen, "litevite-gw ready");
        for l in &ups {
            tracing::info!(upstream = %l.name, address = %l.address, via = %l.via, up = l.up, "upstream");
        }
        return;
    }
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let c = |code: &'static str| if color { code } else { "" };
    let mut out = String::new();
    out.push_str(&format!(
        "\n  {}{}litevite-gw{} {}v{}{}  {}ready in {}{ms} ms{}\n\n",
        c(BOLD),
        c(GREEN),
        c(RESET),
        c(DIM),
        env!("CARGO_PKG_VERSION"),
        c(RESET),
        c(DIM),
        c(BOLD),
        c(RESET)
    ));
    out.push_str(&format!(
        "  {}➜{}  {}Local{}:   {}{url}{}\n",
        c(GREEN),
        c(RESET),
        c(BOLD),
        c(RESET),
        c(CYAN),
        c(RESET)
    ));
    out.push_str(&format!("  {}➜  Mode:    {mode}{}\n", c(DIM), c(RESET)));
    for l in &ups {
        let state = if l.up {
            format!("{}up{}", c(GREEN), c(RESET))
        } else {
            format!("{}down{}", c(YELLOW), c(RESET))
        };
        out.push_str(&format!(
            "  {}➜{}  {:<8} {:<22} {state}  {}{}{}\n",
            c(DIM),
            c(RESET),
            format!("{}:", l.name),
            l.address,
            c(DIM),
            l.via,
            c(RESET)
        ));
    }
    out.push_str(&format!(
        "  {}➜  Status:  {url}_litevite/healthz{}\n\n",
        c(DIM),
        c(RESET)
    ));
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}
