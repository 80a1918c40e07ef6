//! Config parsing, defaults, precedence, and every error path with its location.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use pretty_assertions::assert_eq;

use super::*;

fn load_env(
    toml: &str,
    env: &[(&str, &str)],
    overrides: &Overrides,
) -> Result<Config, ConfigError> {
    let vars: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |k: &str| vars.get(k).cloned();
    Config::from_str(toml, Path::new("/proj/litevite.toml"), &env, overrides)
}

fn load(toml: &str) -> Config {
    load_env(toml, &[], &Overrides::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn err(toml: &str) -> ConfigError {
    load_env(toml, &[], &Overrides::default()).expect_err("config should be rejected")
}

fn line_col(e: &ConfigError) -> (usize, usize) {
    match &*e.origin {
        Origin::File { line, col, .. } => (*line, *col),
        other => panic!("not a file origin: {other:?}"),
    }
}

#[test]
fn empty_file_gives_every_default() {
    let c = load("");
    assert_eq!(c.gateway.listen, "127.0.0.1:8000".parse().unwrap());
    assert_eq!(c.gateway.mode, Mode::Proxy);
    assert_eq!(c.gateway.asset_base.as_str(), "/static/");
    assert_eq!(c.gateway.shutdown_grace, Duration::from_secs(3));
    assert_eq!(c.vite.base.as_str(), "/static/");
    assert_eq!(
        c.vite.paths,
        DEFAULT_VITE_PATHS
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(c.vite.fallback, Fallback::App);
    let app = c.upstream(&UpstreamName::app()).unwrap();
    assert_eq!(app.address.as_ref().unwrap().authority, "127.0.0.1:8001");
    assert!(app.required);
    let vite = c.upstream(&UpstreamName::vite()).unwrap();
    assert_eq!(vite.address, None);
    assert_eq!(vite.hotfile.as_deref(), Some(Path::new("/proj/public/hot")));
    assert!(vite.required);
    assert_eq!(vite.health, HealthConfig::default());
    assert_eq!(c.codegen.dir, Path::new("/proj/src/generated"));
    assert_eq!(c.codegen.routes, RoutesSource::Derive);
    assert_eq!(c.codegen.debounce, Duration::from_millis(200));
    assert_eq!(
        c.codegen.openapi_ts.command,
        ["npx", "--no-install", "@hey-api/openapi-ts"]
    );
    assert!(c.routes.is_empty() && c.processes.is_empty());
    assert_eq!(c.public_url(), "http://127.0.0.1:8000/");
}

#[test]
fn full_file_is_read() {
    let c = load(
        r#"
[gateway]
listen = "0.0.0.0:9000"
mode = "direct"
asset_base = "assets"
public_url = "https://dev.example.test/"
shutdown_grace = "500ms"
threads = 1
[upstreams.app]
address = "localhost:8101"
[upstreams.vite]
hotfile = "web/hot"
address = "127.0.0.1:5173"
required = false
health = { interval = "5s", rise = 1 }
[upstreams.docs]
address = "127.0.0.1:9999"
[vite]
base = "/build/"
paths = ["/@vite/"]
fallback = "vite"
[health]
fall = 5
[processes.vite]
command = ["npx", "vite", "--port", "{port}"]
cwd = "web"
port = "auto"
upstream = "vite"
restart = "always"
[[routes]]
match = { path_prefix = "/docs/", methods = ["get"] }
upstream = "docs"
strip_prefix = true
add_request_headers = { "X-From" = "gw" }
"#,
    );
    assert_eq!(c.gateway.listen, "0.0.0.0:9000".parse().unwrap());
    assert_eq!(c.gateway.mode, Mode::Direct);
    assert_eq!(c.gateway.asset_base.as_str(), "/assets/");
    assert_eq!(c.gateway.shutdown_grace, Duration::from_millis(500));
    assert_eq!(c.gateway.threads, 1);
    assert_eq!(c.public_url(), "https://dev.example.test/");
    assert_eq!(
        c.upstream(&UpstreamName::app())
            .unwrap()
            .address
            .as_ref()
            .unwrap()
            .socket,
        "127.0.0.1:8101".parse().unwrap()
    );
    let vite = c.upstream(&UpstreamName::vite()).unwrap();
    assert_eq!(vite.hotfile.as_deref(), Some(Path::new("/proj/web/hot")));
    assert!(!vite.required);
    assert_eq!(
        (vite.health.interval, vite.health.rise, vite.health.fall),
        (Duration::from_secs(5), 1, 5)
    );
    assert!(c.upstream(&UpstreamName::new("docs")).is_some());
    assert_eq!(c.vite.base.as_str(), "/build/");
    assert_eq!(c.vite.fallback, Fallback::Vite);
    assert_eq!(c.processes[0].port, PortSpec::Auto);
    assert_eq!(c.processes[0].cwd, Path::new("/proj/web"));
    assert_eq!(c.processes[0].restart, RestartPolicy::Always);
    assert_eq!(c.routes[0].matcher.methods, Some(vec![Method::GET]));
    assert_eq!(
        c.routes[0].action,
        RouteAction::Upstream(UpstreamName::new("docs"))
    );
}

#[test]
fn precedence_flags_over_env_over_file() {
    let toml = "[gateway]\nlisten = \"127.0.0.1:1111\"\nmode = \"proxy\"\n";
    let c = load_env(toml, &[], &Overrides::default()).unwrap();
    assert_eq!(c.gateway.listen.port(), 1111);
    let env = [
        ("LITEVITE_LISTEN", "127.0.0.1:2222"),
        ("VITE_PROXY_MODE", "direct"),
        ("ASSET_URL", "/a/"),
        ("VITE_PORT", "5999"),
    ];
    let c = load_env(toml, &env, &Overrides::default()).unwrap();
    assert_eq!(c.gateway.listen.port(), 2222);
    assert_eq!(c.gateway.mode, Mode::Direct);
    assert_eq!(c.gateway.asset_base.as_str(), "/a/");
    assert_eq!(
        c.upstream(&UpstreamName::vite())
            .unwrap()
            .address
            .as_ref()
            .unwrap()
            .authority,
        "127.0.0.1:5999"
    );
    let flags = Overrides {
        listen: Some("127.0.0.1:3333".into()),
        mode: Some("vite".into()),
    };
    let c = load_env(toml, &env, &flags).unwrap();
    assert_eq!(c.gateway.listen.port(), 3333);
    assert_eq!(c.gateway.mode, Mode::Proxy);
}

#[test]
fn vite_allow_remote_means_direct_only_when_no_mode_is_set() {
    let c = load_env("", &[("VITE_ALLOW_REMOTE", "true")], &Overrides::default()).unwrap();
    assert_eq!(c.gateway.mode, Mode::Direct);
    let c = load_env(
        "[gateway]\nmode = \"proxy\"\n",
        &[("VITE_ALLOW_REMOTE", "true")],
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(c.gateway.mode, Mode::Proxy);
    let c = load_env(
        "",
        &[("VITE_ALLOW_REMOTE", "true"), ("VITE_PROXY_MODE", "vite")],
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(c.gateway.mode, Mode::Proxy);
    // Direct mode: Vite is not required for readiness.
    assert!(
        !load_env("", &[("VITE_ALLOW_REMOTE", "1")], &Overrides::default())
            .unwrap()
            .upstream(&UpstreamName::vite())
            .unwrap()
            .required
    );
}

#[test]
fn unknown_key_names_location_and_suggests_nearest() {
    let e = err("[gateway]\nlisten = \"127.0.0.1:8000\"\nlisen = \"x\"\n");
    assert_eq!(line_col(&e), (3, 1));
    assert_eq!(e.key, "gateway.lisen");
    assert_eq!(e.hint.as_deref(), Some("did you mean `listen`?"));
    assert!(e.expected.as_deref().unwrap().contains("`listen`"));
    let text = e.to_string();
    assert!(
        text.starts_with("/proj/litevite.toml:3:1: `gateway.lisen`: unknown key `lisen`"),
        "{text}"
    );
    assert!(text.contains("3 | lisen = \"x\""), "{text}");

    let e = err("[gatway]\n");
    assert_eq!(e.hint.as_deref(), Some("did you mean `gateway`?"));
    let e = err("[vite]\nfalback = \"app\"\n");
    assert_eq!(
        (e.key.as_str(), e.hint.as_deref()),
        ("vite.falback", Some("did you mean `fallback`?"))
    );
    let e = err("[[routes]]\nupstream = \"app\"\nstrip_prefx = true\n");
    assert_eq!(e.hint.as_deref(), Some("did you mean `strip_prefix`?"));
}

#[test]
fn bad_values_say_what_was_expected() {
    let e = err("[gateway]\nmode = \"proxi\"\n");
    assert_eq!((line_col(&e), e.key.as_str()), ((2, 8), "gateway.mode"));
    assert_eq!(e.hint.as_deref(), Some("did you mean \"proxy\"?"));
    assert!(e.expected.unwrap().contains("direct"));

    let e = err("[gateway]\nlisten = \"localhost\"\n");
    assert_eq!((line_col(&e), e.key.as_str()), ((2, 10), "gateway.listen"));
    let e = err("[gateway]\nshutdown_grace = \"soon\"\n");
    assert_eq!(e.key, "gateway.shutdown_grace");
    assert!(e.expected.unwrap().contains("duration"));
    let e = err("[health]\nrise = 0\n");
    assert_eq!(e.key, "health.rise");
    let e = err("[gateway]\nthreads = 0\n");
    assert_eq!((line_col(&e), e.key.as_str()), ((2, 11), "gateway.threads"));
    assert!(e.expected.unwrap().contains("1 to 64"));
    let e = err("[vite]\nfallback = \"vit\"\n");
    assert_eq!(e.hint.as_deref(), Some("did you mean \"vite\"?"));
    let e = err("[vite]\npaths = [\"@vite/\"]\n");
    assert_eq!(e.key, "vite.paths");
    let e = err("[upstreams.app]\naddress = \"https://x:1\"\n");
    assert_eq!(e.key, "upstreams.app.address");
    let e = err("[gateway]\nlisten = 8000\n");
    assert_eq!((line_col(&e), e.key.as_str()), ((2, 10), "gateway.listen"));
    assert!(e.problem.contains("string"), "{}", e.problem);
}

#[test]
fn env_errors_name_the_variable() {
    let e = load_env(
        "",
        &[("VITE_PROXY_MODE", "sideways")],
        &Overrides::default(),
    )
    .unwrap_err();
    assert_eq!(*e.origin, Origin::Env("VITE_PROXY_MODE"));
    assert!(e
        .to_string()
        .starts_with("environment variable VITE_PROXY_MODE: `gateway.mode`"));
    let e = load_env("", &[("VITE_PORT", "abc")], &Overrides::default()).unwrap_err();
    assert_eq!(*e.origin, Origin::Env("VITE_PORT"));
    let e = load_env(
        "",
        &[],
        &Overrides {
            listen: Some("nope".into()),
            mode: None,
        },
    )
    .unwrap_err();
    assert_eq!(*e.origin, Origin::Flag("--listen"));
}

#[test]
fn upstream_and_rule_cross_checks() {
    let e = err("[upstreams.vtie]\nhotfile = \"x\"\n");
    assert_eq!(e.hint.as_deref(), Some("did you mean [upstreams.vite]?"));
    let e = err("[[routes]]\nmatch = { path_prefix = \"/api/\" }\nupstream = \"ap\"\n");
    assert_eq!(
        (line_col(&e), e.key.as_str()),
        ((3, 12), "routes[0].upstream")
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean \"app\"?"));
    let e = err("[[routes]]\nmatch = { path_prefix = \"/api/\" }\n");
    assert!(e.problem.contains("exactly one action"));
    let e = err("[[routes]]\nupstream = \"app\"\nredirect = \"/x\"\n");
    assert!(e.problem.contains("exactly one action"));
    let e = err("[[routes]]\nmatch = { methods = [\"GTE\"] }\nupstream = \"app\"\n");
    assert_eq!(e.hint.as_deref(), Some("did you mean \"GET\"?"));
    let e = err("[[routes]]\nupstream = \"app\"\nstrip_prefix = true\n");
    assert!(e.problem.contains("path_prefix"));
    let e = err("[[routes]]\nredirect = { to = \"/x\", status = 200 }\n");
    assert_eq!(e.key, "routes[0].redirect.status");
    let e = err("[processes.web]\ncommand = [\"vite\"]\nupstream = \"vite\"\n");
    assert!(e.hint.unwrap().contains("port = \"auto\""));
    let e = err("[processes.web]\ncommand = []\n");
    assert_eq!(e.key, "processes.web.command");
}

#[test]
fn syntax_errors_are_located() {
    let e = err("[gateway]\nlisten = \"127.0.0.1:8000\n");
    assert_eq!(line_col(&e).0, 2);
}

#[test]
fn missing_file_suggests_init() {
    let e = Config::load(
        Path::new("/nonexistent/litevite.toml"),
        &ProcessEnv,
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(e.hint.unwrap().contains("litevite-gw init"));
}

#[test]
fn render_shows_resolved_values() {
    let text = load("[gateway]\nmode = \"vite\"\n").render();
    assert!(text.contains("mode = \"proxy\""), "{text}");
    assert!(text.contains("[upstreams.vite]"), "{text}");
    assert!(text.contains("hotfile = \"/proj/public/hot\""), "{text}");
}

#[test]
fn auth_token_from_file_or_env_is_validated_and_never_shown() {
    assert_eq!(load("").auth, None);
    let c = load("[auth]\ntoken = \"0123456789abcdef0123\"\n");
    assert_eq!(c.auth.as_ref().unwrap().token, "0123456789abcdef0123");
    assert!(!format!("{c:?}").contains("0123456789abcdef0123"));
    assert!(!c.render().contains("0123456789abcdef0123"));
    let c = load_env(
        "",
        &[("LITEVITE_TOKEN", "env-token-0123456789")],
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(c.auth.unwrap().token, "env-token-0123456789");
    let e = err("[auth]\n");
    assert!(e.hint.unwrap().contains("openssl rand"));
    let e = err("[auth]\ntoken = \"short\"\n");
    assert_eq!((line_col(&e), e.key.as_str()), ((2, 9), "auth.token"));
    let e = err("[auth]\ntokn = \"x\"\n");
    assert_eq!(e.hint.as_deref(), Some("did you mean `token`?"));
}
