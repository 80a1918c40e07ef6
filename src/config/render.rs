//! Renders the resolved configuration as TOML-like text for `litevite-gw check`.

use std::fmt::{self, Write};

use super::{Config, PortSpec, RestartPolicy, RouteAction, RoutesSource};

fn dur(d: std::time::Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    let inner: Vec<String> = items
        .iter()
        .map(|i| format!("{:?}", i.to_string()))
        .collect();
    format!("[{}]", inner.join(", "))
}

impl Config {
    /// The configuration with every default and override applied, as TOML.
    pub fn render(&self) -> String {
        let mut o = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_to(&mut o);
        o
    }

    fn write_to(&self, o: &mut String) -> fmt::Result {
        let g = &self.gateway;
        writeln!(o, "# resolved from {}", self.path.display())?;
        writeln!(o, "[gateway]")?;
        writeln!(o, "listen = \"{}\"", g.listen)?;
        writeln!(o, "mode = \"{}\"", g.mode)?;
        writeln!(o, "asset_base = \"{}\"", g.asset_base)?;
        writeln!(o, "public_url = \"{}\"", self.public_url())?;
        writeln!(o, "shutdown_grace = \"{}\"", dur(g.shutdown_grace))?;
        writeln!(o, "max_url_bytes = {}", g.max_url_bytes)?;
        writeln!(o, "max_header_bytes = {}", g.max_header_bytes)?;
        writeln!(
            o,
            "upstream_timeout = \"{}\"",
            g.upstream_timeout.map_or("0s".into(), dur)
        )?;
        writeln!(o, "threads = {}", g.threads)?;
        for up in self.upstreams.values() {
            writeln!(o, "\n[upstreams.{}]", up.name)?;
            writeln!(
                o,
                "address = \"{}\"",
                up.address
                    .as_ref()
                    .map(|a| a.to_string())
                    .unwrap_or_default()
            )?;
            if up.name.is_vite() {
                let hot = up
                    .hotfile
                    .as_ref()
                    .map(|h| h.display().to_string())
                    .unwrap_or_default();
                writeln!(o, "hotfile = \"{hot}\"")?;
            }
            writeln!(o, "required = {}", up.required)?;
            writeln!(o, "max_body_bytes = {}", up.max_body_bytes)?;
            let h = &up.health;
            writeln!(
                o,
                "health = {{ interval = \"{}\", timeout = \"{}\", rise = {}, fall = {}, path = \"{}\", retry_window = \"{}\" }}",
                dur(h.interval),
                dur(h.timeout),
                h.rise,
                h.fall,
                h.path,
                dur(h.retry_window)
            )?;
        }
        let v = &self.vite;
        writeln!(o, "\n[vite]")?;
        writeln!(o, "base = \"{}\"", v.base)?;
        writeln!(o, "paths = {}", list(&v.paths))?;
        writeln!(o, "fallback = \"{}\"", v.fallback)?;
        let c = &self.codegen;
        writeln!(o, "\n[codegen]")?;
        writeln!(o, "dir = \"{}\"", c.dir.display())?;
        writeln!(o, "export = {}", c.export)?;
        writeln!(o, "openapi_path = \"{}\"", c.openapi_path)?;
        let routes = match c.routes {
            RoutesSource::Derive => "derive",
            RoutesSource::External => "external",
            RoutesSource::Off => "off",
        };
        writeln!(o, "routes = \"{routes}\"")?;
        writeln!(o, "routes_ts = {}", c.routes_ts)?;
        writeln!(o, "debounce = \"{}\"", dur(c.debounce))?;
        writeln!(o, "\n[codegen.openapi_ts]")?;
        writeln!(o, "enabled = {}", c.openapi_ts.enabled)?;
        writeln!(o, "command = {}", list(&c.openapi_ts.command))?;
        writeln!(o, "output = \"{}\"", c.openapi_ts.output.display())?;
        writeln!(o, "plugins = {}", list(&c.openapi_ts.plugins))?;
        writeln!(o, "timeout = \"{}\"", dur(c.openapi_ts.timeout))?;
        for h in &c.hooks {
            writeln!(o, "\n[[codegen.hooks]]")?;
            writeln!(
                o,
                "name = \"{}\"\nwatch = {}\nrun = {}",
                h.name,
                list(&h.watch),
                list(&h.run)
            )?;
        }
        for p in &self.processes {
            writeln!(o, "\n[processes.{}]", p.name)?;
            writeln!(o, "command = {}", list(&p.command))?;
            writeln!(o, "cwd = \"{}\"", p.cwd.display())?;
            for (k, v) in &p.env {
                writeln!(o, "env.{k} = {v:?}")?;
            }
            match p.port {
                PortSpec::None => {}
                PortSpec::Auto => writeln!(o, "port = \"auto\"")?,
                PortSpec::Fixed(n) => writeln!(o, "port = {n}")?,
            }
            if let Some(u) = &p.upstream {
                writeln!(o, "upstream = \"{u}\"")?;
            }
            let restart = match p.restart {
                RestartPolicy::Always => "always",
                RestartPolicy::OnFailure => "on-failure",
                RestartPolicy::Never => "never",
            };
            writeln!(o, "restart = \"{restart}\"")?;
        }
        if let Some(auth) = &self.auth {
            writeln!(o, "\n[auth]")?;
            writeln!(
                o,
                "token = \"<set: {} characters, not shown>\"",
                auth.token.chars().count()
            )?;
        }
        for r in &self.routes {
            writeln!(o, "\n[[routes]]")?;
            let m = &r.matcher;
            let mut parts = Vec::new();
            if let Some(p) = &m.path_prefix {
                parts.push(format!("path_prefix = {p:?}"));
            }
            if let Some(ms) = &m.methods {
                parts.push(format!("methods = {}", list(ms)));
            }
            if let Some((n, v)) = &m.header {
                match v {
                    Some(v) => parts.push(format!("header = {{ name = \"{n}\", value = {v:?} }}")),
                    None => parts.push(format!("header = {{ name = \"{n}\" }}")),
                }
            }
            writeln!(o, "match = {{ {} }}", parts.join(", "))?;
            match &r.action {
                RouteAction::Upstream(u) => writeln!(o, "upstream = \"{u}\"")?,
                RouteAction::Respond {
                    status,
                    body,
                    content_type,
                } => writeln!(
                    o,
                    "respond = {{ status = {}, body = {body:?}, content_type = {content_type:?} }}",
                    status.as_u16()
                )?,
                RouteAction::Redirect { to, status } => writeln!(
                    o,
                    "redirect = {{ to = {to:?}, status = {} }}",
                    status.as_u16()
                )?,
            }
            writeln!(o, "strip_prefix = {}", r.strip_prefix)?;
            for (key, hs) in [
                ("add_request_headers", &r.add_request_headers),
                ("add_response_headers", &r.add_response_headers),
            ] {
                if !hs.is_empty() {
                    let kv: Vec<String> = hs
                        .iter()
                        .map(|(k, v)| format!("\"{k}\" = {:?}", v.to_str().unwrap_or_default()))
                        .collect();
                    writeln!(o, "{key} = {{ {} }}", kv.join(", "))?;
                }
            }
        }
        Ok(())
    }
}
