//! The file shape of `litevite.toml`: serde structs that mirror the TOML tables, with no logic.
//!
//! Every value that needs a semantic check keeps its source span (`Spanned`) so
//! that `config::validate` can point at file:line:col. Unknown keys are rejected
//! here by serde (`deny_unknown_fields`).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A string value with its byte span in the file.
pub type SStr = Spanned<String>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    pub gateway: RawGateway,
    pub upstreams: BTreeMap<Spanned<String>, RawUpstream>,
    pub vite: RawVite,
    pub health: RawHealth,
    pub codegen: RawCodegen,
    pub processes: BTreeMap<Spanned<String>, RawProcess>,
    pub routes: Vec<RawRoute>,
    pub auth: Option<RawAuth>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAuth {
    pub token: Option<SStr>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawGateway {
    pub listen: Option<SStr>,
    pub mode: Option<SStr>,
    pub asset_base: Option<SStr>,
    pub public_url: Option<SStr>,
    pub shutdown_grace: Option<SStr>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawUpstream {
    pub address: Option<SStr>,
    pub hotfile: Option<SStr>,
    pub required: Option<bool>,
    pub health: Option<RawHealth>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawVite {
    pub base: Option<SStr>,
    pub paths: Option<Vec<SStr>>,
    pub fallback: Option<SStr>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawHealth {
    pub interval: Option<SStr>,
    pub timeout: Option<SStr>,
    pub rise: Option<Spanned<i64>>,
    pub fall: Option<Spanned<i64>>,
    pub path: Option<SStr>,
    pub retry_window: Option<SStr>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawCodegen {
    pub dir: Option<SStr>,
    pub export: Option<bool>,
    pub openapi_path: Option<SStr>,
    pub routes: Option<SStr>,
    pub routes_ts: Option<bool>,
    pub debounce: Option<SStr>,
    pub openapi_ts: RawOpenapiTs,
    pub hooks: Vec<RawHook>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawOpenapiTs {
    pub enabled: Option<bool>,
    pub command: Option<Spanned<Vec<String>>>,
    pub output: Option<SStr>,
    pub plugins: Option<Vec<String>>,
    pub timeout: Option<SStr>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHook {
    pub name: Option<SStr>,
    pub watch: Spanned<Vec<String>>,
    pub run: Spanned<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProcess {
    pub command: Spanned<Vec<String>>,
    pub cwd: Option<SStr>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub port: Option<Spanned<toml::Value>>,
    pub upstream: Option<SStr>,
    pub restart: Option<SStr>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    #[serde(rename = "match", default)]
    pub matcher: RawMatch,
    pub upstream: Option<SStr>,
    pub respond: Option<Spanned<RawRespond>>,
    pub redirect: Option<Spanned<RawRedirect>>,
    #[serde(default)]
    pub strip_prefix: bool,
    #[serde(default)]
    pub add_request_headers: BTreeMap<String, String>,
    #[serde(default)]
    pub add_response_headers: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMatch {
    pub path_prefix: Option<SStr>,
    pub methods: Option<Vec<SStr>>,
    pub header: Option<RawHeaderMatch>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeaderMatch {
    pub name: SStr,
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRespond {
    pub status: u16,
    #[serde(default)]
    pub body: String,
    pub content_type: Option<String>,
}

/// `redirect = "/to"` or `redirect = { to = "/to", status = 308 }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawRedirect {
    To(String),
    Full { to: String, status: Option<u16> },
}
