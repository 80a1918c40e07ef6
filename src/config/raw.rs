//! The file shape of `litevite.toml`: serde structs that mirror the TOML tables, with no
//! logic. The JSON Schema in `config/litevite.schema.json` is generated from these types
//! (`schemars`), so it cannot drift; the doc comments are its descriptions.
//!
//! Every value that needs a semantic check keeps its source span (`Sp`) so that
//! `config::validate` can point at file:line:col. Unknown keys are rejected here by
//! serde (`deny_unknown_fields`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Deref;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use toml::Spanned;

/// A value with its byte span in the file; its JSON Schema is the inner type's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(transparent)]
pub struct Sp<T>(pub Spanned<T>);

impl<T> Deref for Sp<T> {
    type Target = Spanned<T>;
    fn deref(&self) -> &Spanned<T> {
        &self.0
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }
}

/// A string value with its span.
pub type SStr = Sp<String>;

fn port_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "\"auto\" picks a free loopback port; or a fixed port number.",
        "oneOf": [{ "const": "auto" }, { "type": "integer", "minimum": 1, "maximum": 65535 }]
    })
}

/// litevite.toml: the gateway in front of a Litestar app and a Vite dev server.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "litevite.toml")]
pub struct RawConfig {
    pub gateway: RawGateway,
    /// Upstreams by name: `app` and `vite` always exist; others need an `address`.
    pub upstreams: BTreeMap<Sp<String>, RawUpstream>,
    pub vite: RawVite,
    /// Health-check defaults for every upstream.
    pub health: RawHealth,
    pub codegen: RawCodegen,
    /// Children the gateway starts and supervises.
    pub processes: BTreeMap<Sp<String>, RawProcess>,
    /// Rules checked first, in order (after the gateway's own /_litevite/ endpoints).
    pub routes: Vec<RawRoute>,
    /// Token auth for shared boxes.
    pub auth: Option<RawAuth>,
}

/// Token auth (env LITEVITE_TOKEN).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RawAuth {
    /// At least 16 characters; browsers open /_litevite/login?token=… once.
    pub token: Option<SStr>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RawGateway {
    /// The one port browsers use. Default "127.0.0.1:8000" (env LITEVITE_LISTEN).
    pub listen: Option<SStr>,
    /// proxy (one port; "vite" means the same) or direct. Default "proxy" (env VITE_PROXY_MODE).
    #[schemars(extend("enum" = ["proxy", "direct", "vite"]))]
    pub mode: Option<SStr>,
    /// Vite's base, normalised to a leading and trailing "/". Default "/static/" (env ASSET_URL).
    pub asset_base: Option<SStr>,
    /// The URL browsers use, when it is not derivable from listen (remote boxes).
    pub public_url: Option<SStr>,
    /// Longest wait for in-flight requests on SIGINT/SIGTERM. Default "3s".
    pub shutdown_grace: Option<SStr>,
    /// Longest request target (path + query) accepted; longer gets 414. Default 8192.
    #[schemars(range(min = 256))]
    pub max_url_bytes: Option<Sp<i64>>,
    /// Largest request header block accepted; larger gets 431. Default 65536.
    #[schemars(range(min = 1024))]
    pub max_header_bytes: Option<Sp<i64>>,
    /// Longest silence from an upstream before 504 (not for WebSockets or event streams). Default "60s".
    pub upstream_timeout: Option<SStr>,
    /// Proxy worker threads. Default 2; needs a restart.
    #[schemars(range(min = 1, max = 64))]
    pub threads: Option<Sp<i64>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RawUpstream {
    /// host:port. Defaults: app "127.0.0.1:8001"; vite "" (env VITE_PORT), used when there is no hotfile.
    pub address: Option<SStr>,
    /// vite only: file whose first line is Vite's URL; watched. Default "public/hot".
    pub hotfile: Option<SStr>,
    /// Readiness depends on it. Default: app true; vite true in proxy mode.
    pub required: Option<bool>,
    /// Per-upstream health-check overrides.
    pub health: Option<RawHealth>,
    /// Largest request body forwarded; larger gets 413. Default: vite 1 MiB, others 64 MiB.
    #[schemars(range(min = 0))]
    pub max_body_bytes: Option<Sp<i64>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RawVite {
    /// Vite's `base`; "" means gateway.asset_base.
    pub base: Option<SStr>,
    /// Vite's own URL families; the base is prepended upstream when missing.
    pub paths: Option<Vec<SStr>>,
    /// Where unmatched requests go: app (templates, Inertia) or vite (SPA, frameworks). Default "app".
    #[schemars(extend("enum" = ["app", "vite"]))]
    pub fallback: Option<SStr>,
}

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RawHealth {
    /// Time between checks. Default "2s".
    pub interval: Option<SStr>,
    /// Probe timeout. Default "1s".
    pub timeout: Option<SStr>,
    /// Successes that bring a down upstream back. Default 2.
    #[schemars(range(min = 1, max = 100))]
    pub rise: Option<Sp<i64>>,
    /// Failures that mark an upstream down. Default 3.
    #[schemars(range(min = 1, max = 100))]
    pub fall: Option<Sp<i64>>,
    /// The app's probe path (any status below 500 is up). Default "/".
    pub path: Option<SStr>,
    /// How long a request waits for a restarting upstream. Default "2s".
    pub retry_window: Option<SStr>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RawCodegen {
    /// Where openapi.json, routes.json and routes.ts live. Default "src/generated".
    pub dir: Option<SStr>,
    /// Fetch the app's OpenAPI document when the app becomes healthy. Default true.
    pub export: Option<bool>,
    /// Default "/schema/openapi.json".
    pub openapi_path: Option<SStr>,
    /// derive (from openapi.json) | external (someone else writes routes.json) | off. Default "derive".
    #[schemars(extend("enum" = ["derive", "external", "off"]))]
    pub routes: Option<SStr>,
    /// Write routes.ts. Default true.
    pub routes_ts: Option<bool>,
    /// Quiet period before a run. Default "200ms".
    pub debounce: Option<SStr>,
    pub openapi_ts: RawOpenapiTs,
    /// Commands run when watched files change.
    pub hooks: Vec<RawHook>,
}

/// @hey-api/openapi-ts, run on openapi.json after each change.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RawOpenapiTs {
    /// Default true.
    pub enabled: Option<bool>,
    /// Default ["npx", "--no-install", "@hey-api/openapi-ts"].
    pub command: Option<Sp<Vec<String>>>,
    /// A dedicated directory (openapi-ts wipes it). Default "src/generated/api".
    pub output: Option<SStr>,
    /// Default ["@hey-api/typescript", "@hey-api/sdk", "@hey-api/client-fetch"].
    pub plugins: Option<Vec<String>>,
    /// The run is killed after this. Default "60s".
    pub timeout: Option<SStr>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHook {
    pub name: Option<SStr>,
    /// Globs relative to the config file's directory.
    pub watch: Sp<Vec<String>>,
    /// Program and arguments.
    pub run: Sp<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProcess {
    /// Program and arguments; "{port}" is substituted.
    pub command: Sp<Vec<String>>,
    /// Working directory, relative to the config file's directory.
    pub cwd: Option<SStr>,
    /// Extra environment; "{port}" is substituted in values.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[schemars(schema_with = "port_schema")]
    pub port: Option<Sp<toml::Value>>,
    /// The upstream this child serves, at 127.0.0.1:{port}.
    pub upstream: Option<SStr>,
    /// always | on-failure | never. Default "on-failure".
    #[schemars(extend("enum" = ["always", "on-failure", "never"]))]
    pub restart: Option<SStr>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// What the rule matches; omitted means every request.
    #[serde(rename = "match", default)]
    pub matcher: RawMatch,
    /// Send matching requests to this upstream.
    pub upstream: Option<SStr>,
    /// Answer directly.
    pub respond: Option<Sp<RawRespond>>,
    /// Redirect: "/to" or { to, status }.
    pub redirect: Option<Sp<RawRedirect>>,
    /// Remove match.path_prefix before forwarding.
    #[serde(default)]
    pub strip_prefix: bool,
    #[serde(default)]
    pub add_request_headers: BTreeMap<String, String>,
    #[serde(default)]
    pub add_response_headers: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RawMatch {
    pub path_prefix: Option<SStr>,
    pub methods: Option<Vec<SStr>>,
    pub header: Option<RawHeaderMatch>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHeaderMatch {
    pub name: SStr,
    /// Omitted: the header only has to be present.
    pub value: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRespond {
    pub status: u16,
    #[serde(default)]
    pub body: String,
    pub content_type: Option<String>,
}

/// `redirect = "/to"` or `redirect = { to = "/to", status = 308 }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawRedirect {
    To(String),
    Full { to: String, status: Option<u16> },
}

/// The JSON Schema of litevite.toml, pretty-printed with a trailing newline.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RawConfig);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
