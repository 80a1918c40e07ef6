//! Token auth for shared boxes (DESIGN §8): a login URL sets an HttpOnly cookie, API
//! clients send `Authorization: Bearer`, WebSocket upgrades carry the cookie. Tokens
//! are compared in constant time and never logged; the cookie holds a digest, not the
//! token itself.

use http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::AuthConfig;
use crate::pages::escape;

/// The session cookie's name.
pub const COOKIE: &str = "litevite_session";

pub struct Auth {
    token: Vec<u8>,
    cookie_value: String,
}

impl Auth {
    pub fn new(cfg: &AuthConfig) -> Auth {
        let digest =
            Sha256::digest([b"litevite-session\0".as_slice(), cfg.token.as_bytes()].concat());
        let cookie_value = digest.iter().map(|b| format!("{b:02x}")).collect();
        Auth {
            token: cfg.token.as_bytes().to_vec(),
            cookie_value,
        }
    }

    pub fn token_matches(&self, candidate: &str) -> bool {
        bool::from(candidate.as_bytes().ct_eq(&self.token))
    }

    /// True when the request carries the session cookie or the bearer token.
    pub fn is_authorized(&self, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| self.token_matches(t.trim()));
        bearer
            || cookies(headers).any(|(k, v)| {
                k == COOKIE && bool::from(v.as_bytes().ct_eq(self.cookie_value.as_bytes()))
            })
    }

    /// The `Set-Cookie` value issued after a good login.
    pub fn set_cookie(&self) -> String {
        format!(
            "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000",
            self.cookie_value
        )
    }
}

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
}

/// A query parameter, percent-decoded (`+` as space).
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// Where to go after login: a path on this origin only, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.contains(['\r', '\n']) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The small login page browsers get on 401.
pub fn login_page(next: &str, failed: bool) -> String {
    let note = if failed {
        "<p class=\"bad\">That token is not right.</p>"
    } else {
        ""
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in · litevite-gw</title>
<style>:root{{color-scheme:light dark}}body{{margin:0;min-height:100vh;display:grid;place-items:center;font:16px/1.5 system-ui,sans-serif;background:#f5f6f8}}
@media (prefers-color-scheme:dark){{body{{background:#12141a;color:#e4e7ee}}form{{background:#1b1e27!important}}}}
form{{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.08);min-width:20rem}}h1{{font-size:1.2rem;margin:0 0 .5rem}}
input{{width:100%;box-sizing:border-box;padding:.55rem;margin:.75rem 0;font:inherit}}button{{padding:.5rem 1rem;font:inherit}}.bad{{color:#e03131}}.small{{opacity:.7;font-size:.85rem}}</style></head>
<body><form method="get" action="/_litevite/login"><h1>This dev server is protected</h1>
<p class="small">Paste the token from <code>[auth]</code> / <code>LITEVITE_TOKEN</code>.</p>{note}
<input type="password" name="token" placeholder="token" autofocus required>
<input type="hidden" name="next" value="{next}"><button>Sign in</button></form></body></html>
"#,
        next = escape(next)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn auth() -> Auth {
        Auth::new(&AuthConfig {
            token: "s3cret-token-0123456789".into(),
        })
    }

    #[test]
    fn bearer_and_cookie_authorize_and_nothing_else_does() {
        let a = auth();
        let mut h = HeaderMap::new();
        assert!(!a.is_authorized(&h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret-token-0123456789"),
        );
        assert!(a.is_authorized(&h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret-token-012345678"),
        );
        assert!(!a.is_authorized(&h));
        let mut h = HeaderMap::new();
        let cookie = a.set_cookie();
        let pair = cookie.split(';').next().unwrap();
        assert!(
            !pair.contains("s3cret"),
            "the cookie carries a digest, not the token"
        );
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).unwrap(),
        );
        assert!(a.is_authorized(&h));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("litevite_session=s3cret-token-0123456789"),
        );
        assert!(!a.is_authorized(&h));
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    }

    #[test]
    fn next_stays_on_this_origin() {
        assert_eq!(safe_next(Some("/app?x=1")), "/app?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "/a\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(
            query_param("token=a%2Bb&next=%2Fx", "token").as_deref(),
            Some("a+b")
        );
        assert_eq!(
            query_param("token=a%2Bb&next=%2Fx", "next").as_deref(),
            Some("/x")
        );
        assert_eq!(query_param("a=1", "token"), None);
    }

    #[test]
    fn login_page_escapes_next() {
        assert!(!login_page("/\"><script>", false).contains("\"><script>"));
    }
}
