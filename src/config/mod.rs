//! The validated configuration model and the pipeline that builds it:
//! defaults < `litevite.toml` < environment < command-line flags.
//!
//! All validation lives here; code downstream receives typed values and never
//! re-checks them.

mod error;
mod raw;
mod render;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method, StatusCode};

use error::Source;
pub use error::{did_you_mean, ConfigError, Origin};
pub use raw::json_schema;
use raw::{RawConfig, RawHealth, SStr};

/// Default request body limit for the app and other upstreams (uploads in development).
pub const DEFAULT_MAX_BODY: u64 = 64 * 1024 * 1024;
/// Default request body limit for Vite, which takes bodies only for small dev endpoints.
pub const VITE_MAX_BODY: u64 = 1024 * 1024;

/// Default path of the config file.
pub const DEFAULT_CONFIG: &str = "litevite.toml";

/// Default Vite path set (DESIGN §3 `vite.paths`).
pub const DEFAULT_VITE_PATHS: &[&str] = &[
    "/@vite/",
    "/@id/",
    "/@fs/",
    "/@react-refresh",
    "/@vite-plugin-checker-runtime",
    "/node_modules/",
    "/__open-in-editor",
    "/src/",
];

/// Proxy (one port: Vite behind the gateway) or direct (browsers load Vite from its own port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Proxy,
    Direct,
}

impl Mode {
    fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "proxy" | "vite" => Some(Mode::Proxy),
            "direct" => Some(Mode::Direct),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Proxy => "proxy",
            Mode::Direct => "direct",
        })
    }
}

/// Where requests that match nothing else go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    App,
    Vite,
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fallback::App => "app",
            Fallback::Vite => "vite",
        })
    }
}

/// A URL path prefix normalised to a leading and a trailing `/` (`/static/`, or `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasePath(String);

impl BasePath {
    pub fn new(s: &str) -> Result<BasePath, String> {
        let s = s.trim();
        if s.contains(['?', '#', ' ', '\\']) || s.contains("..") {
            return Err(format!("{s:?} is not a plain URL path"));
        }
        let inner = s.trim_matches('/');
        if inner.is_empty() {
            return Ok(BasePath("/".into()));
        }
        Ok(BasePath(format!("/{inner}/")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// True when `path` is this base or below it (`/static` counts as `/static/`).
    pub fn contains(&self, path: &str) -> bool {
        path.starts_with(&self.0) || path == &self.0[..self.0.len() - 1]
    }
}

impl fmt::Display for BasePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of an upstream (`app`, `vite`, or a user-defined one).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UpstreamName(Arc<str>);

impl UpstreamName {
    pub fn app() -> Self {
        UpstreamName("app".into())
    }
    pub fn vite() -> Self {
        UpstreamName("vite".into())
    }
    pub fn new(s: &str) -> Self {
        UpstreamName(s.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_vite(&self) -> bool {
        &*self.0 == "vite"
    }
    pub fn is_app(&self) -> bool {
        &*self.0 == "app"
    }
}

impl fmt::Display for UpstreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A resolved upstream address: the socket to connect to and the authority for `Host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamAddr {
    pub socket: SocketAddr,
    pub authority: String,
}

impl UpstreamAddr {
    /// Parses `host:port` or `http://host:port[/]` and resolves it once (never on the request path).
    pub fn parse(s: &str) -> Result<UpstreamAddr, String> {
        let s = s.trim();
        let rest = if let Some(r) = s.strip_prefix("http://") {
            r
        } else if s.starts_with("https://") {
            return Err(
                "https upstreams are not supported: point it at the plain-HTTP dev server".into(),
            );
        } else {
            s
        };
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(format!("{s:?} is not host:port"));
        }
        let addrs: Vec<SocketAddr> = authority
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {authority:?}: {e}"))?
            .collect();
        let socket = addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .copied()
            .ok_or_else(|| format!("{authority:?} resolves to no address"))?;
        Ok(UpstreamAddr {
            socket,
            authority: authority.to_string(),
        })
    }
}

impl fmt::Display for UpstreamAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.authority)
    }
}

/// Health-check settings for one upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthConfig {
    pub interval: Duration,
    pub timeout: Duration,
    pub rise: u32,
    pub fall: u32,
    /// Path probed on the app (any status below 500 is up); Vite is probed with its ping.
    pub path: String,
    /// How long a request may wait for a restarting upstream before it gets an error page.
    pub retry_window: Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(1),
            rise: 2,
            fall: 3,
            path: "/".into(),
            retry_window: Duration::from_secs(2),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    pub listen: SocketAddr,
    pub mode: Mode,
    pub asset_base: BasePath,
    pub public_url: Option<String>,
    pub shutdown_grace: Duration,
    pub max_url_bytes: usize,
    pub max_header_bytes: usize,
    /// `None`: wait for upstreams forever.
    pub upstream_timeout: Option<Duration>,
    /// Proxy worker threads (Pingora's `threads`).
    pub threads: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamConfig {
    pub name: UpstreamName,
    pub address: Option<UpstreamAddr>,
    pub hotfile: Option<PathBuf>,
    /// Readiness depends on it (default: app; vite too in proxy mode).
    pub required: bool,
    pub health: HealthConfig,
    pub max_body_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViteConfig {
    pub base: BasePath,
    pub paths: Vec<String>,
    pub fallback: Fallback,
}

/// How routes.json comes to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutesSource {
    Derive,
    External,
    Off,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenapiTsConfig {
    pub enabled: bool,
    pub command: Vec<String>,
    pub output: PathBuf,
    pub plugins: Vec<String>,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookConfig {
    pub name: String,
    pub watch: Vec<String>,
    pub run: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodegenConfig {
    pub dir: PathBuf,
    pub export: bool,
    pub openapi_path: String,
    pub routes: RoutesSource,
    pub routes_ts: bool,
    pub debounce: Duration,
    pub openapi_ts: OpenapiTsConfig,
    pub hooks: Vec<HookConfig>,
}

/// The port a supervised child listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSpec {
    None,
    Auto,
    Fixed(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessConfig {
    pub name: String,
    pub command: Vec<String>,
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
    pub port: PortSpec,
    pub upstream: Option<UpstreamName>,
    pub restart: RestartPolicy,
}

/// What a `[[routes]]` rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteMatch {
    pub path_prefix: Option<String>,
    pub methods: Option<Vec<Method>>,
    pub header: Option<(HeaderName, Option<String>)>,
}

/// What a `[[routes]]` rule does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteAction {
    Upstream(UpstreamName),
    Respond {
        status: StatusCode,
        body: String,
        content_type: String,
    },
    Redirect {
        to: String,
        status: StatusCode,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    pub matcher: RouteMatch,
    pub action: RouteAction,
    pub strip_prefix: bool,
    pub add_request_headers: Vec<(HeaderName, HeaderValue)>,
    pub add_response_headers: Vec<(HeaderName, HeaderValue)>,
}

/// Shared-box protection (DESIGN §8). The token never appears in Debug output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub token: String,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AuthConfig {{ token: <{} characters> }}",
            self.token.len()
        )
    }
}

/// Shortest token accepted: a guessable token on a shared box exposes the source tree.
pub const MIN_TOKEN_LEN: usize = 16;

/// The whole validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file it came from (absolute).
    pub path: PathBuf,
    pub gateway: GatewayConfig,
    /// Always holds `app` and `vite`, plus user-defined upstreams.
    pub upstreams: BTreeMap<UpstreamName, UpstreamConfig>,
    pub vite: ViteConfig,
    pub codegen: CodegenConfig,
    pub processes: Vec<ProcessConfig>,
    pub routes: Vec<RouteRule>,
    pub auth: Option<AuthConfig>,
}

/// Command-line values that override file and environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub mode: Option<String>,
}

/// Reads environment variables; injectable so tests need not touch the process environment.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

impl Config {
    /// Reads, parses and validates `path`, then applies environment and flag overrides.
    pub fn load(path: &Path, env: &dyn Env, overrides: &Overrides) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let err = ConfigError::new(
                Origin::Path(path.to_path_buf()),
                "",
                format!("cannot read the config file: {e}"),
            );
            if e.kind() == std::io::ErrorKind::NotFound {
                err.hint("run `litevite-gw init` to write a starter litevite.toml, or pass -c FILE")
            } else {
                err
            }
        })?;
        Config::from_str(&text, path, env, overrides)
    }

    /// Parses and validates config text as if read from `path`.
    pub fn from_str(
        text: &str,
        path: &Path,
        env: &dyn Env,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let source = Source { path, text };
        let raw: RawConfig = toml::from_str(text).map_err(|e| source.locate_toml_error(&e))?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        let base_dir = std::path::absolute(&base_dir).unwrap_or(base_dir);
        let abs_path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        Validator {
            source,
            env,
            overrides,
            base_dir,
        }
        .build(raw, abs_path)
    }

    pub fn upstream(&self, name: &UpstreamName) -> Option<&UpstreamConfig> {
        self.upstreams.get(name)
    }

    /// The routes.json the router reads for `fallback = "vite"`.
    pub fn routes_json_path(&self) -> PathBuf {
        self.codegen.dir.join("routes.json")
    }

    /// The URL people open: `public_url`, else derived from `listen`.
    pub fn public_url(&self) -> String {
        if let Some(url) = &self.gateway.public_url {
            return url.clone();
        }
        let addr = self.gateway.listen;
        if addr.ip().is_unspecified() {
            format!("http://localhost:{}/", addr.port())
        } else {
            format!("http://{addr}/")
        }
    }
}

/// Converts the raw file model to `Config`, locating every error.
struct Validator<'a> {
    source: Source<'a>,
    env: &'a dyn Env,
    overrides: &'a Overrides,
    base_dir: PathBuf,
}

/// A value with where it came from, so errors can point at the file, the env var or the flag.
struct Sourced {
    value: String,
    origin: Origin,
}

impl Validator<'_> {
    fn at(&self, span: Range<usize>) -> Origin {
        self.source.origin(span)
    }

    fn file(&self, v: &Option<SStr>) -> Option<Sourced> {
        v.as_ref().map(|s| Sourced {
            value: s.get_ref().clone(),
            origin: self.at(s.span()),
        })
    }

    /// flag > env > file, for one scalar key.
    fn layered(
        &self,
        flag: Option<(&'static str, &Option<String>)>,
        env: &[&'static str],
        file: &Option<SStr>,
    ) -> Option<Sourced> {
        if let Some((name, Some(v))) = flag {
            return Some(Sourced {
                value: v.clone(),
                origin: Origin::Flag(name),
            });
        }
        for var in env {
            if let Some(v) = self.env.var(var) {
                return Some(Sourced {
                    value: v,
                    origin: Origin::Env(var),
                });
            }
        }
        self.file(file)
    }

    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    fn duration(
        &self,
        key: &str,
        v: Option<Sourced>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        let Some(v) = v else { return Ok(default) };
        humantime::parse_duration(v.value.trim()).map_err(|e| {
            ConfigError::new(
                v.origin,
                key,
                format!("{:?} is not a duration ({e})", v.value),
            )
            .expected("a duration such as \"200ms\", \"2s\" or \"1m\"")
        })
    }

    fn build(self, raw: RawConfig, path: PathBuf) -> Result<Config, ConfigError> {
        let gateway = self.gateway(&raw)?;
        let vite = self.vite(&raw, &gateway)?;
        let health = self.health("health", &raw.health, &HealthConfig::default())?;
        let upstreams = self.upstreams(&raw, &gateway, &health)?;
        let codegen = self.codegen(&raw)?;
        let processes = self.processes(&raw, &upstreams)?;
        let routes = raw
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| self.route(i, r, &upstreams))
            .collect::<Result<_, _>>()?;
        let auth = self.auth(&raw)?;
        Ok(Config {
            path,
            gateway,
            upstreams,
            vite,
            codegen,
            processes,
            routes,
            auth,
        })
    }

    fn auth(&self, raw: &RawConfig) -> Result<Option<AuthConfig>, ConfigError> {
        let file = raw.auth.as_ref().and_then(|a| a.token.clone());
        let token = match self.layered(None, &["LITEVITE_TOKEN"], &file) {
            Some(t) => t,
            None if raw.auth.is_some() => {
                return Err(ConfigError::new(
                    Origin::Path(self.source.path.to_path_buf()),
                    "auth.token",
                    "[auth] is present but no token is set",
                )
                .expected("`token = \"…\"` in [auth], or the LITEVITE_TOKEN environment variable")
                .hint("generate one with `openssl rand -hex 16`"))
            }
            None => return Ok(None),
        };
        let value = token.value.trim().to_string();
        if value.chars().count() < MIN_TOKEN_LEN
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ConfigError::new(
                token.origin,
                "auth.token",
                "the token is too short or contains spaces",
            )
            .expected(format!("at least {MIN_TOKEN_LEN} visible characters"))
            .hint("generate one with `openssl rand -hex 16`"));
        }
        Ok(Some(AuthConfig { token: value }))
    }

    fn gateway(&self, raw: &RawConfig) -> Result<GatewayConfig, ConfigError> {
        let g = &raw.gateway;
        let listen = match self.layered(
            Some(("--listen", &self.overrides.listen)),
            &["LITEVITE_LISTEN"],
            &g.listen,
        ) {
            None => SocketAddr::from(([127, 0, 0, 1], 8000)),
            Some(v) => parse_listen(&v.value).map_err(|problem| {
                ConfigError::new(v.origin, "gateway.listen", problem)
                    .expected("ip:port, e.g. \"127.0.0.1:8000\" or \"0.0.0.0:8000\"")
            })?,
        };

        let mode_source = self.layered(
            Some(("--mode", &self.overrides.mode)),
            &["VITE_PROXY_MODE"],
            &g.mode,
        );
        let mode = match mode_source {
            Some(v) => Mode::parse(&v.value).ok_or_else(|| {
                let e = ConfigError::new(
                    v.origin,
                    "gateway.mode",
                    format!("unknown mode {:?}", v.value),
                )
                .expected("\"proxy\" (one port; \"vite\" means the same) or \"direct\"");
                match did_you_mean(&v.value, ["proxy", "direct", "vite"]) {
                    Some(m) => e.hint(format!("did you mean \"{m}\"?")),
                    None => e,
                }
            })?,
            // Seed-PRD compatibility: Vite reachable by browsers and no mode anywhere → direct.
            None if self
                .env
                .var("VITE_ALLOW_REMOTE")
                .is_some_and(|v| truthy(&v)) =>
            {
                Mode::Direct
            }
            None => Mode::Proxy,
        };

        let asset_base = match self.layered(None, &["ASSET_URL"], &g.asset_base) {
            None => BasePath("/static/".into()),
            Some(v) => BasePath::new(&v.value).map_err(|p| {
                ConfigError::new(v.origin, "gateway.asset_base", p)
                    .expected("a URL path such as \"/static/\"")
            })?,
        };

        let public_url = match self.file(&g.public_url) {
            None => None,
            Some(v) if v.value.is_empty() => None,
            Some(v) => {
                if !(v.value.starts_with("http://") || v.value.starts_with("https://")) {
                    return Err(ConfigError::new(
                        v.origin,
                        "gateway.public_url",
                        format!("{:?} is not an http(s) URL", v.value),
                    )
                    .expected("a URL such as \"https://devbox.example.com:8000/\""));
                }
                Some(v.value)
            }
        };
        let shutdown_grace = self.duration(
            "gateway.shutdown_grace",
            self.file(&g.shutdown_grace),
            Duration::from_secs(3),
        )?;
        let limit = |key: &str,
                     v: &Option<raw::Sp<i64>>,
                     min: i64,
                     default: usize|
         -> Result<usize, ConfigError> {
            match v {
                None => Ok(default),
                Some(n) if *n.get_ref() >= min => Ok(*n.get_ref() as usize),
                Some(n) => Err(ConfigError::new(
                    self.at(n.span()),
                    format!("gateway.{key}"),
                    format!("{} is too small", n.get_ref()),
                )
                .expected(format!("a number of bytes, at least {min}"))),
            }
        };
        let upstream_timeout = self.duration(
            "gateway.upstream_timeout",
            self.file(&g.upstream_timeout),
            Duration::from_secs(60),
        )?;
        let threads = match &g.threads {
            None => 2,
            Some(n) if (1..=64).contains(n.get_ref()) => *n.get_ref() as usize,
            Some(n) => {
                return Err(ConfigError::new(
                    self.at(n.span()),
                    "gateway.threads",
                    format!("{} worker threads is out of range", n.get_ref()),
                )
                .expected("a number from 1 to 64 (2 suits a development machine)"))
            }
        };
        Ok(GatewayConfig {
            listen,
            mode,
            asset_base,
            public_url,
            shutdown_grace,
            max_url_bytes: limit("max_url_bytes", &g.max_url_bytes, 256, 8192)?,
            max_header_bytes: limit("max_header_bytes", &g.max_header_bytes, 1024, 65536)?,
            upstream_timeout: (!upstream_timeout.is_zero()).then_some(upstream_timeout),
            threads,
        })
    }

    fn vite(&self, raw: &RawConfig, gateway: &GatewayConfig) -> Result<ViteConfig, ConfigError> {
        let v = &raw.vite;
        let base = match self.file(&v.base) {
            Some(b) if !b.value.is_empty() => BasePath::new(&b.value).map_err(|p| {
                ConfigError::new(b.origin, "vite.base", p)
                    .expected("a URL path such as \"/static/\", or \"\" for gateway.asset_base")
            })?,
            _ => gateway.asset_base.clone(),
        };
        let paths = match &v.paths {
            None => DEFAULT_VITE_PATHS.iter().map(|s| s.to_string()).collect(),
            Some(list) => list
                .iter()
                .map(|p| {
                    if p.get_ref().starts_with('/') && !p.get_ref().contains(['?', '#']) {
                        Ok(p.get_ref().clone())
                    } else {
                        Err(ConfigError::new(
                            self.at(p.span()),
                            "vite.paths",
                            format!("{:?} is not an absolute URL path", p.get_ref()),
                        )
                        .expected("paths starting with \"/\", e.g. \"/@vite/\""))
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        let fallback = match self.file(&v.fallback) {
            None => Fallback::App,
            Some(f) => {
                match f.value.as_str() {
                    "app" => Fallback::App,
                    "vite" => Fallback::Vite,
                    other => {
                        let e = ConfigError::new(f.origin, "vite.fallback", format!("unknown fallback {other:?}"))
                        .expected("\"app\" (templates, Inertia) or \"vite\" (SPA and framework dev servers)");
                        return Err(match did_you_mean(other, ["app", "vite"]) {
                            Some(m) => e.hint(format!("did you mean \"{m}\"?")),
                            None => e,
                        });
                    }
                }
            }
        };
        Ok(ViteConfig {
            base,
            paths,
            fallback,
        })
    }

    fn health(
        &self,
        table: &str,
        raw: &RawHealth,
        inherit: &HealthConfig,
    ) -> Result<HealthConfig, ConfigError> {
        let count =
            |key: &str, v: &Option<raw::Sp<i64>>, default: u32| -> Result<u32, ConfigError> {
                match v {
                    None => Ok(default),
                    Some(n) if (1..=100).contains(n.get_ref()) => Ok(*n.get_ref() as u32),
                    Some(n) => Err(ConfigError::new(
                        self.at(n.span()),
                        format!("{table}.{key}"),
                        format!("{} is out of range", n.get_ref()),
                    )
                    .expected("a whole number from 1 to 100")),
                }
            };
        let path = match self.file(&raw.path) {
            None => inherit.path.clone(),
            Some(p) if p.value.starts_with('/') => p.value,
            Some(p) => {
                return Err(ConfigError::new(
                    p.origin,
                    format!("{table}.path"),
                    format!("{:?} is not an absolute URL path", p.value),
                )
                .expected("a path starting with \"/\""))
            }
        };
        Ok(HealthConfig {
            interval: self.duration(
                &format!("{table}.interval"),
                self.file(&raw.interval),
                inherit.interval,
            )?,
            timeout: self.duration(
                &format!("{table}.timeout"),
                self.file(&raw.timeout),
                inherit.timeout,
            )?,
            rise: count("rise", &raw.rise, inherit.rise)?,
            fall: count("fall", &raw.fall, inherit.fall)?,
            path,
            retry_window: self.duration(
                &format!("{table}.retry_window"),
                self.file(&raw.retry_window),
                inherit.retry_window,
            )?,
        })
    }

    fn upstreams(
        &self,
        raw: &RawConfig,
        gateway: &GatewayConfig,
        health: &HealthConfig,
    ) -> Result<BTreeMap<UpstreamName, UpstreamConfig>, ConfigError> {
        let mut out = BTreeMap::new();
        for name in ["app", "vite"] {
            out.insert(
                UpstreamName::new(name),
                UpstreamConfig {
                    name: UpstreamName::new(name),
                    address: None,
                    hotfile: None,
                    required: name == "app" || gateway.mode == Mode::Proxy,
                    health: health.clone(),
                    max_body_bytes: if name == "vite" {
                        VITE_MAX_BODY
                    } else {
                        DEFAULT_MAX_BODY
                    },
                },
            );
        }
        for (key, up) in &raw.upstreams {
            let name = key.get_ref().as_str();
            let table = format!("upstreams.{name}");
            let is_builtin = name == "app" || name == "vite";
            if !is_builtin {
                if !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(ConfigError::new(
                        self.at(key.span()),
                        table,
                        "upstream names may use letters, digits, '-' and '_' only",
                    ));
                }
                if up.address.is_none() {
                    let e = ConfigError::new(
                        self.at(key.span()),
                        table.clone(),
                        format!("upstream `{name}` has no address"),
                    )
                    .expected(
                        "`address = \"host:port\"` (only `app` and `vite` have built-in defaults)",
                    );
                    return Err(match did_you_mean(name, ["app", "vite"]) {
                        Some(m) => e.hint(format!("did you mean [upstreams.{m}]?")),
                        None => e,
                    });
                }
                if let Some(h) = &up.hotfile {
                    return Err(ConfigError::new(
                        self.at(h.span()),
                        format!("{table}.hotfile"),
                        "only the vite upstream is discovered through a hotfile",
                    )
                    .hint("use `address = \"host:port\"`"));
                }
            }
            let entry = out
                .entry(UpstreamName::new(name))
                .or_insert_with(|| UpstreamConfig {
                    name: UpstreamName::new(name),
                    address: None,
                    hotfile: None,
                    required: false,
                    health: health.clone(),
                    max_body_bytes: DEFAULT_MAX_BODY,
                });
            if let Some(n) = &up.max_body_bytes {
                if *n.get_ref() < 0 {
                    return Err(ConfigError::new(
                        self.at(n.span()),
                        format!("{table}.max_body_bytes"),
                        "a size cannot be negative",
                    )
                    .expected("a number of bytes, e.g. 10485760 for 10 MiB"));
                }
                entry.max_body_bytes = *n.get_ref() as u64;
            }
            if let Some(r) = up.required {
                entry.required = r;
            }
            if let Some(h) = &up.health {
                entry.health = self.health(&format!("{table}.health"), h, health)?;
            }
            if let Some(a) = self.file(&up.address) {
                if !a.value.is_empty() {
                    entry.address = Some(UpstreamAddr::parse(&a.value).map_err(|p| {
                        ConfigError::new(a.origin, format!("{table}.address"), p)
                            .expected("host:port, e.g. \"127.0.0.1:8001\"")
                    })?);
                }
            }
            if name == "vite" {
                if let Some(h) = self.file(&up.hotfile) {
                    entry.hotfile = (!h.value.is_empty()).then(|| self.path(&h.value));
                }
            }
        }
        let app = out.get_mut(&UpstreamName::app()).expect("inserted above");
        if app.address.is_none() {
            app.address = Some(UpstreamAddr {
                socket: SocketAddr::from(([127, 0, 0, 1], 8001)),
                authority: "127.0.0.1:8001".into(),
            });
        }
        let vite_raw = raw
            .upstreams
            .iter()
            .find(|(k, _)| k.get_ref() == "vite")
            .map(|(_, v)| v);
        let vite = out.get_mut(&UpstreamName::vite()).expect("inserted above");
        if vite_raw.and_then(|v| v.hotfile.as_ref()).is_none() {
            vite.hotfile = Some(self.path("public/hot"));
        }
        if let Some(port) = self.env.var("VITE_PORT") {
            let addr = port
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .map(|p| UpstreamAddr {
                    socket: SocketAddr::from(([127, 0, 0, 1], p)),
                    authority: format!("127.0.0.1:{p}"),
                })
                .ok_or_else(|| {
                    ConfigError::new(
                        Origin::Env("VITE_PORT"),
                        "upstreams.vite.address",
                        format!("{port:?} is not a port number"),
                    )
                    .expected("a port from 1 to 65535")
                })?;
            vite.address = Some(addr);
        }
        Ok(out)
    }

    fn codegen(&self, raw: &RawConfig) -> Result<CodegenConfig, ConfigError> {
        let c = &raw.codegen;
        let dir = self.path(
            c.dir
                .as_ref()
                .map_or("src/generated", |d| d.get_ref().as_str()),
        );
        let openapi_path = match self.file(&c.openapi_path) {
            None => "/schema/openapi.json".to_string(),
            Some(p) if p.value.starts_with('/') => p.value,
            Some(p) => {
                return Err(ConfigError::new(
                    p.origin,
                    "codegen.openapi_path",
                    format!("{:?} is not an absolute URL path", p.value),
                )
                .expected("a path such as \"/schema/openapi.json\""))
            }
        };
        let routes = match self.file(&c.routes) {
            None => RoutesSource::Derive,
            Some(r) => match r.value.as_str() {
                "derive" => RoutesSource::Derive,
                "external" => RoutesSource::External,
                "off" => RoutesSource::Off,
                other => {
                    let e = ConfigError::new(
                        r.origin,
                        "codegen.routes",
                        format!("unknown value {other:?}"),
                    )
                    .expected("\"derive\" | \"external\" | \"off\"");
                    return Err(match did_you_mean(other, ["derive", "external", "off"]) {
                        Some(m) => e.hint(format!("did you mean \"{m}\"?")),
                        None => e,
                    });
                }
            },
        };
        let o = &c.openapi_ts;
        let command = match &o.command {
            None => vec!["npx".into(), "--no-install".into(), "@hey-api/openapi-ts".into()],
            Some(cmd) if cmd.get_ref().is_empty() => {
                return Err(ConfigError::new(self.at(cmd.span()), "codegen.openapi_ts.command", "the command is empty")
                    .expected("a program and its arguments, e.g. [\"npx\", \"--no-install\", \"@hey-api/openapi-ts\"]"))
            }
            Some(cmd) => cmd.get_ref().clone(),
        };
        let output = match &o.output {
            Some(p) => self.path(p.get_ref()),
            None => self.path("src/generated/api"),
        };
        let hooks = c
            .hooks
            .iter()
            .enumerate()
            .map(|(i, h)| {
                if h.run.get_ref().is_empty() {
                    return Err(ConfigError::new(
                        self.at(h.run.span()),
                        format!("codegen.hooks[{i}].run"),
                        "the command is empty",
                    )
                    .expected("a program and its arguments"));
                }
                if h.watch.get_ref().is_empty() {
                    return Err(ConfigError::new(
                        self.at(h.watch.span()),
                        format!("codegen.hooks[{i}].watch"),
                        "no globs to watch",
                    )
                    .expected("one or more globs, e.g. [\"src/**/*.py\"]"));
                }
                Ok(HookConfig {
                    name: h
                        .name
                        .as_ref()
                        .map_or_else(|| format!("hook{}", i + 1), |n| n.get_ref().clone()),
                    watch: h.watch.get_ref().clone(),
                    run: h.run.get_ref().clone(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(CodegenConfig {
            dir,
            export: c.export.unwrap_or(true),
            openapi_path,
            routes,
            routes_ts: c.routes_ts.unwrap_or(true),
            debounce: self.duration(
                "codegen.debounce",
                self.file(&c.debounce),
                Duration::from_millis(200),
            )?,
            openapi_ts: OpenapiTsConfig {
                enabled: o.enabled.unwrap_or(true),
                command,
                output,
                plugins: o.plugins.clone().unwrap_or_else(|| {
                    [
                        "@hey-api/typescript",
                        "@hey-api/sdk",
                        "@hey-api/client-fetch",
                    ]
                    .map(String::from)
                    .to_vec()
                }),
                timeout: self.duration(
                    "codegen.openapi_ts.timeout",
                    self.file(&o.timeout),
                    Duration::from_secs(60),
                )?,
            },
            hooks,
        })
    }

    fn processes(
        &self,
        raw: &RawConfig,
        upstreams: &BTreeMap<UpstreamName, UpstreamConfig>,
    ) -> Result<Vec<ProcessConfig>, ConfigError> {
        let mut out = Vec::new();
        for (key, p) in &raw.processes {
            let name = key.get_ref().clone();
            let table = format!("processes.{name}");
            if p.command.get_ref().is_empty() {
                return Err(ConfigError::new(
                    self.at(p.command.span()),
                    format!("{table}.command"),
                    "the command is empty",
                )
                .expected(
                    "a program and its arguments, e.g. [\"npx\", \"vite\", \"--port\", \"{port}\"]",
                ));
            }
            let port = match &p.port {
                None => PortSpec::None,
                Some(v) => match v.get_ref() {
                    toml::Value::String(s) if s == "auto" => PortSpec::Auto,
                    toml::Value::Integer(n) if (1..=65535).contains(n) => {
                        PortSpec::Fixed(*n as u16)
                    }
                    other => {
                        return Err(ConfigError::new(
                            self.at(v.span()),
                            format!("{table}.port"),
                            format!("{other} is not a port"),
                        )
                        .expected("\"auto\" or a port number from 1 to 65535"))
                    }
                },
            };
            let upstream = match self.file(&p.upstream) {
                None => None,
                Some(u) => {
                    let name = UpstreamName::new(&u.value);
                    if !upstreams.contains_key(&name) {
                        return Err(self.unknown_upstream(
                            u.origin,
                            format!("{table}.upstream"),
                            &u.value,
                            upstreams,
                        ));
                    }
                    if port == PortSpec::None {
                        return Err(ConfigError::new(
                            u.origin,
                            format!("{table}.upstream"),
                            "a process that serves an upstream needs a port",
                        )
                        .hint("add `port = \"auto\"` and use {port} in the command"));
                    }
                    Some(name)
                }
            };
            let restart = match self.file(&p.restart) {
                None => RestartPolicy::OnFailure,
                Some(r) => match r.value.as_str() {
                    "always" => RestartPolicy::Always,
                    "on-failure" => RestartPolicy::OnFailure,
                    "never" => RestartPolicy::Never,
                    other => {
                        let e = ConfigError::new(
                            r.origin,
                            format!("{table}.restart"),
                            format!("unknown policy {other:?}"),
                        )
                        .expected("\"always\" | \"on-failure\" | \"never\"");
                        return Err(
                            match did_you_mean(other, ["always", "on-failure", "never"]) {
                                Some(m) => e.hint(format!("did you mean \"{m}\"?")),
                                None => e,
                            },
                        );
                    }
                },
            };
            out.push(ProcessConfig {
                name,
                command: p.command.get_ref().clone(),
                cwd: p
                    .cwd
                    .as_ref()
                    .map_or_else(|| self.base_dir.clone(), |c| self.path(c.get_ref())),
                env: p.env.clone(),
                port,
                upstream,
                restart,
            });
        }
        Ok(out)
    }

    fn unknown_upstream(
        &self,
        origin: Origin,
        key: String,
        value: &str,
        upstreams: &BTreeMap<UpstreamName, UpstreamConfig>,
    ) -> ConfigError {
        let names: Vec<&str> = upstreams.keys().map(UpstreamName::as_str).collect();
        let e =
            ConfigError::new(origin, key, format!("unknown upstream {value:?}")).expected(format!(
                "one of {}",
                names
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        match did_you_mean(value, names.iter().copied()) {
            Some(m) => e.hint(format!("did you mean \"{m}\"?")),
            None => e.hint("define it as [upstreams.NAME] with an address"),
        }
    }

    fn route(
        &self,
        i: usize,
        r: &raw::RawRoute,
        upstreams: &BTreeMap<UpstreamName, UpstreamConfig>,
    ) -> Result<RouteRule, ConfigError> {
        let table = format!("routes[{i}]");
        let m = &r.matcher;
        let path_prefix = match self.file(&m.path_prefix) {
            None => None,
            Some(p) if p.value.starts_with('/') => Some(p.value),
            Some(p) => {
                return Err(ConfigError::new(
                    p.origin,
                    format!("{table}.match.path_prefix"),
                    format!("{:?} is not an absolute URL path", p.value),
                )
                .expected("a path starting with \"/\", e.g. \"/api/\""))
            }
        };
        let methods = match &m.methods {
            None => None,
            Some(list) => Some(
                list.iter()
                    .map(|s| {
                        let upper = s.get_ref().to_ascii_uppercase();
                        const KNOWN: [&str; 9] = [
                            "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT",
                            "TRACE",
                        ];
                        if KNOWN.contains(&upper.as_str()) {
                            Ok(Method::from_bytes(upper.as_bytes())
                                .expect("known method names parse"))
                        } else {
                            let e = ConfigError::new(
                                self.at(s.span()),
                                format!("{table}.match.methods"),
                                format!("unknown HTTP method {:?}", s.get_ref()),
                            )
                            .expected(KNOWN.join(" | "));
                            Err(match did_you_mean(&upper, KNOWN) {
                                Some(k) => e.hint(format!("did you mean \"{k}\"?")),
                                None => e,
                            })
                        }
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        let header = match &m.header {
            None => None,
            Some(h) => {
                let name = HeaderName::from_bytes(h.name.get_ref().as_bytes()).map_err(|_| {
                    ConfigError::new(
                        self.at(h.name.span()),
                        format!("{table}.match.header.name"),
                        format!("{:?} is not a valid header name", h.name.get_ref()),
                    )
                })?;
                Some((name, h.value.clone()))
            }
        };
        let actions = [
            r.upstream.is_some(),
            r.respond.is_some(),
            r.redirect.is_some(),
        ];
        let anchor = r
            .upstream
            .as_ref()
            .map(|s| s.span())
            .or_else(|| r.respond.as_ref().map(|s| s.span()))
            .or_else(|| r.redirect.as_ref().map(|s| s.span()))
            .or_else(|| m.path_prefix.as_ref().map(|s| s.span()));
        let origin = || match &anchor {
            Some(span) => self.at(span.clone()),
            None => Origin::Path(self.source.path.to_path_buf()),
        };
        if actions.iter().filter(|a| **a).count() != 1 {
            return Err(ConfigError::new(origin(), table, "a rule needs exactly one action")
                .expected("one of `upstream = \"app\"`, `respond = { status = 204 }`, `redirect = \"/path\"`"));
        }
        let action = if let Some(u) = self.file(&r.upstream) {
            let name = UpstreamName::new(&u.value);
            if !upstreams.contains_key(&name) {
                return Err(self.unknown_upstream(
                    u.origin,
                    format!("{table}.upstream"),
                    &u.value,
                    upstreams,
                ));
            }
            RouteAction::Upstream(name)
        } else if let Some(resp) = &r.respond {
            let status = StatusCode::from_u16(resp.get_ref().status).map_err(|_| {
                ConfigError::new(
                    self.at(resp.span()),
                    format!("{table}.respond.status"),
                    format!("{} is not an HTTP status", resp.get_ref().status),
                )
                .expected("a status from 100 to 999, e.g. 204")
            })?;
            RouteAction::Respond {
                status,
                body: resp.get_ref().body.clone(),
                content_type: resp
                    .get_ref()
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "text/plain; charset=utf-8".into()),
            }
        } else if let Some(red) = &r.redirect {
            let (to, status) = match red.get_ref() {
                raw::RawRedirect::To(to) => (to.clone(), 302),
                raw::RawRedirect::Full { to, status } => (to.clone(), status.unwrap_or(302)),
            };
            let status = StatusCode::from_u16(status)
                .ok()
                .filter(StatusCode::is_redirection)
                .ok_or_else(|| {
                    ConfigError::new(
                        self.at(red.span()),
                        format!("{table}.redirect.status"),
                        format!("{status} is not a redirect status"),
                    )
                    .expected("301, 302, 303, 307 or 308")
                })?;
            if to.is_empty() || HeaderValue::from_str(&to).is_err() {
                return Err(ConfigError::new(
                    self.at(red.span()),
                    format!("{table}.redirect"),
                    format!("{to:?} is not a usable Location"),
                )
                .expected("a path or URL, e.g. \"/static/\""));
            }
            RouteAction::Redirect { to, status }
        } else {
            return Err(ConfigError::new(
                origin(),
                table,
                "a rule needs exactly one action",
            ));
        };
        if r.strip_prefix && path_prefix.is_none() {
            return Err(ConfigError::new(
                origin(),
                format!("{table}.strip_prefix"),
                "strip_prefix needs match.path_prefix",
            ));
        }
        let headers = |key: &str,
                       map: &BTreeMap<String, String>|
         -> Result<Vec<(HeaderName, HeaderValue)>, ConfigError> {
            map.iter()
                .map(|(k, v)| {
                    let name = HeaderName::from_bytes(k.as_bytes());
                    let value = HeaderValue::from_str(v);
                    match (name, value) {
                        (Ok(n), Ok(v)) => Ok((n, v)),
                        _ => Err(ConfigError::new(
                            origin(),
                            format!("{table}.{key}"),
                            format!("{k:?} = {v:?} is not a valid header"),
                        )
                        .expected("header names of letters, digits and '-', visible ASCII values")),
                    }
                })
                .collect()
        };
        Ok(RouteRule {
            matcher: RouteMatch {
                path_prefix,
                methods,
                header,
            },
            action,
            strip_prefix: r.strip_prefix,
            add_request_headers: headers("add_request_headers", &r.add_request_headers)?,
            add_response_headers: headers("add_response_headers", &r.add_response_headers)?,
        })
    }
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "y" | "t" | "on"
    )
}

fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Some(port) = s.strip_prefix("localhost:") {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("{s:?} has no valid port"))?;
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if let Some(port) = s.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("{s:?} has no valid port"))?;
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    Err(format!("{s:?} is not an ip:port address"))
}

#[cfg(test)]
mod tests;
