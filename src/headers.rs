//! Header and request-target rules for proxied requests (DESIGN §5), as plain
//! functions over the outgoing request header.

use std::net::IpAddr;

use http::header::{self, HeaderName, HeaderValue};
use pingora::http::RequestHeader;
use pingora::Result;

use crate::routing::Rewrite;

/// `Upgrade: websocket` (the `Upgrade` list may name several protocols).
pub fn is_websocket_upgrade(req: &RequestHeader) -> bool {
    req.headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
        })
}

/// Applies a path rewrite to a raw request target, keeping the query string byte for byte.
pub fn rewrite_target(raw: &[u8], rewrite: &Rewrite) -> Vec<u8> {
    let split = raw.iter().position(|b| *b == b'?').unwrap_or(raw.len());
    let (path, query) = raw.split_at(split);
    let mut out = rewrite.apply(&String::from_utf8_lossy(path)).into_bytes();
    out.extend_from_slice(query);
    out
}

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// X-Forwarded-For (appended), -Proto and -Host; and, for Vite, `Host` set to the
/// upstream's own authority so Vite's allowedHosts check passes for any public name.
///
/// On every proxied request: names are looked up as prebuilt `HeaderName`s and inserted
/// as static strings, so the only allocation is the X-Forwarded-For value.
pub fn forwarding(
    req: &mut RequestHeader,
    client_ip: Option<IpAddr>,
    vite_authority: Option<&str>,
) -> Result<()> {
    let original_host = req.headers.get(header::HOST).cloned();
    if let Some(ip) = client_ip {
        let xff = match req
            .headers
            .get(&X_FORWARDED_FOR)
            .and_then(|v| v.to_str().ok())
        {
            Some(prev) if !prev.trim().is_empty() => format!("{prev}, {ip}"),
            _ => ip.to_string(),
        };
        req.insert_header("x-forwarded-for", xff)?;
    }
    if !req.headers.contains_key(&X_FORWARDED_PROTO) {
        req.insert_header("x-forwarded-proto", HeaderValue::from_static("http"))?;
    }
    if !req.headers.contains_key(&X_FORWARDED_HOST) {
        if let Some(host) = original_host {
            req.insert_header("x-forwarded-host", host)?;
        }
    }
    if let Some(authority) = vite_authority {
        req.insert_header(header::HOST, authority)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&'static str, &str)]) -> RequestHeader {
        let mut r = RequestHeader::build("GET", b"/x?a=1", None).unwrap();
        for (k, v) in headers {
            r.append_header(*k, *v).unwrap();
        }
        r
    }

    #[test]
    fn rewrite_keeps_query_bytes() {
        let prepend = Rewrite::PrependBase("/static/".into());
        assert_eq!(
            rewrite_target(b"/@vite/client?v=abc&import&t=1", &prepend),
            b"/static/@vite/client?v=abc&import&t=1"
        );
        assert_eq!(
            rewrite_target(b"/@id/x?a=%2F&b=%20", &prepend),
            b"/static/@id/x?a=%2F&b=%20"
        );
        let strip = Rewrite::StripPrefix("/api/".into());
        assert_eq!(rewrite_target(b"/api/users?q=1", &strip), b"/users?q=1");
    }

    #[test]
    fn vite_gets_its_own_host_and_the_original_in_x_forwarded_host() {
        let mut r = req(&[
            ("host", "devbox.example.test:8000"),
            ("origin", "http://devbox.example.test:8000"),
        ]);
        forwarding(
            &mut r,
            Some("10.1.2.3".parse().unwrap()),
            Some("127.0.0.1:5173"),
        )
        .unwrap();
        assert_eq!(r.headers["host"], "127.0.0.1:5173");
        assert_eq!(r.headers["x-forwarded-host"], "devbox.example.test:8000");
        assert_eq!(r.headers["x-forwarded-for"], "10.1.2.3");
        assert_eq!(r.headers["x-forwarded-proto"], "http");
        assert_eq!(r.headers["origin"], "http://devbox.example.test:8000");
    }

    #[test]
    fn app_keeps_public_host_and_xff_is_appended() {
        let mut r = req(&[
            ("host", "devbox.example.test"),
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-proto", "https"),
        ]);
        forwarding(&mut r, Some("127.0.0.1".parse().unwrap()), None).unwrap();
        assert_eq!(r.headers["host"], "devbox.example.test");
        assert_eq!(r.headers["x-forwarded-for"], "1.1.1.1, 127.0.0.1");
        assert_eq!(r.headers["x-forwarded-proto"], "https");
    }

    #[test]
    fn websocket_upgrade_detection() {
        assert!(is_websocket_upgrade(&req(&[("upgrade", "WebSocket")])));
        assert!(!is_websocket_upgrade(&req(&[("upgrade", "h2c")])));
        assert!(!is_websocket_upgrade(&req(&[])));
    }
}
