//! Bodies the gateway writes itself when an upstream cannot answer: an HTML page
//! that retries and reloads by itself, RFC 9457 problem+json, or plain text.

use serde_json::json;

/// Response header marking the gateway's own error pages; the HTML page's retry
/// loop reloads once a response comes back without it.
pub const ERROR_MARKER: &str = "x-litevite-error";

/// Which body a client gets, from its `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
    Text,
}

impl Format {
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Text;
        };
        let accept = accept.to_ascii_lowercase();
        if accept.contains("text/html") {
            Format::Html
        } else if accept.contains("json") {
            Format::Json
        } else {
            Format::Text
        }
    }
}

/// An upstream failure as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamProblem {
    pub status: u16,
    pub upstream: String,
    pub address: Option<String>,
    pub cause: String,
    pub next_step: String,
}

impl UpstreamProblem {
    fn title(&self) -> String {
        match self.status {
            503 => format!("{} is not available", self.upstream),
            504 => format!("{} did not answer in time", self.upstream),
            _ => format!("{} is not answering", self.upstream),
        }
    }

    fn detail(&self) -> String {
        match &self.address {
            Some(a) => format!("{} at {a}: {}.", self.upstream, self.cause),
            None => format!("{}: {}.", self.upstream, self.cause),
        }
    }

    /// `(content-type, body)` for the negotiated format.
    pub fn render(&self, format: Format) -> (&'static str, String) {
        match format {
            Format::Text => (
                "text/plain; charset=utf-8",
                format!(
                    "{} {}\n{}\nNext step: {}\n",
                    self.status,
                    self.title(),
                    self.detail(),
                    self.next_step
                ),
            ),
            Format::Json => (
                "application/problem+json",
                json!({
                    "type": "https://litevite.dev/problems/upstream-unavailable",
                    "title": self.title(),
                    "status": self.status,
                    "detail": self.detail(),
                    "upstream": self.upstream,
                    "address": self.address,
                    "cause": self.cause,
                    "next_step": self.next_step,
                })
                .to_string(),
            ),
            Format::Html => ("text/html; charset=utf-8", self.html()),
        }
    }

    fn html(&self) -> String {
        let address = self
            .address
            .as_deref()
            .map(|a| format!("<dt>Address</dt><dd><code>{}</code></dd>", escape(a)))
            .unwrap_or_default();
        format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{status} · {title}</title>
<style>
:root{{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1d2330;--muted:#5b6474;--accent:#646cff;--warn:#d9480f}}
@media (prefers-color-scheme:dark){{:root{{--bg:#14161b;--card:#1d2029;--fg:#e6e8ee;--muted:#9aa3b2}}}}
body{{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}}
main{{max-width:42rem;margin:2rem;padding:2rem 2.25rem;background:var(--card);border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.08);border-top:4px solid var(--warn)}}
h1{{margin:0 0 .25rem;font-size:1.35rem}} .status{{color:var(--warn);font-weight:700;letter-spacing:.04em}}
dl{{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:1.25rem 0}} dt{{color:var(--muted)}} dd{{margin:0}}
code{{font:14px ui-monospace,SFMono-Regular,Menlo,monospace;background:rgba(127,127,127,.14);padding:.1rem .35rem;border-radius:5px}}
.next{{padding:.85rem 1rem;border-radius:10px;background:rgba(100,108,255,.1);border-left:3px solid var(--accent)}}
.retry{{margin-top:1.25rem;color:var(--muted);font-size:.9rem;display:flex;align-items:center;gap:.5rem}}
.dot{{width:.6rem;height:.6rem;border-radius:50%;background:var(--accent);animation:p 1.2s infinite}} @keyframes p{{50%{{opacity:.25}}}}
</style></head>
<body><main>
<div class="status">{status} · litevite-gw</div>
<h1>{title}</h1>
<dl><dt>Upstream</dt><dd><code>{upstream}</code></dd>{address}<dt>Cause</dt><dd>{cause}</dd></dl>
<div class="next"><strong>Next step:</strong> {next}</div>
<div class="retry"><span class="dot"></span><span id="retry">Retrying every second; this page reloads by itself when {upstream} is back.</span></div>
</main>
<script>
(function(){{var marker="{marker}";
function check(){{fetch(location.href,{{cache:"no-store",credentials:"same-origin",headers:{{Accept:"text/html"}}}})
.then(function(r){{if(!r.headers.has(marker)){{location.reload();}}else{{setTimeout(check,1000);}}}})
.catch(function(){{setTimeout(check,1000);}});}}
setTimeout(check,1000);}})();
</script>
</body></html>
"#,
            status = self.status,
            title = escape(&self.title()),
            upstream = escape(&self.upstream),
            address = address,
            cause = escape(&self.cause),
            next = code_spans(&escape(&self.next_step)),
            marker = ERROR_MARKER,
        )
    }
}

/// Minimal HTML escaping for text placed in element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Turns `backticked` spans of already-escaped text into `<code>`.
fn code_spans(escaped: &str) -> String {
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem() -> UpstreamProblem {
        UpstreamProblem {
            status: 502,
            upstream: "vite".into(),
            address: Some("127.0.0.1:5173".into()),
            cause: "connection refused".into(),
            next_step: "start Vite with `npm run dev`".into(),
        }
    }

    #[test]
    fn negotiation_prefers_html_then_json() {
        assert_eq!(
            Format::negotiate(Some("text/html,application/xhtml+xml,*/*;q=0.8")),
            Format::Html
        );
        assert_eq!(Format::negotiate(Some("application/json")), Format::Json);
        assert_eq!(
            Format::negotiate(Some("application/problem+json")),
            Format::Json
        );
        assert_eq!(Format::negotiate(Some("*/*")), Format::Text);
        assert_eq!(Format::negotiate(None), Format::Text);
    }

    #[test]
    fn every_format_names_upstream_address_cause_and_next_step() {
        for format in [Format::Html, Format::Json, Format::Text] {
            let (_, body) = problem().render(format);
            for needle in [
                "vite",
                "127.0.0.1:5173",
                "connection refused",
                "npm run dev",
            ] {
                assert!(body.contains(needle), "{format:?} lacks {needle}: {body}");
            }
        }
        let (ct, body) = problem().render(Format::Json);
        assert_eq!(ct, "application/problem+json");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"], 502);
        let (_, html) = problem().render(Format::Html);
        assert!(html.contains("<code>npm run dev</code>"));
        assert!(html.contains("location.reload()"));
    }

    #[test]
    fn html_is_escaped() {
        let mut p = problem();
        p.cause = "<script>alert(1)</script>".into();
        let (_, html) = p.render(Format::Html);
        assert!(!html.contains("<script>alert"));
    }
}
