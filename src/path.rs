//! Request-path safety: rejects traversal in any encoding before anything is routed.

use std::borrow::Cow;

use percent_encoding::percent_decode;

/// Why a path was refused (always answered with 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRejection {
    /// A `..` segment after percent-decoding (also double-encoded).
    Traversal,
    /// A backslash, which some servers treat as a separator.
    Backslash,
    /// A NUL or other control byte.
    ControlByte,
    /// Bytes that are not UTF-8 after decoding (overlong encodings among them).
    InvalidUtf8,
    /// Not an origin-form path (`/…`).
    NotAbsolute,
    /// A query shaped like a Vite fs.deny bypass (`?raw??`, `?url?.wasm?init`).
    SuspiciousQuery,
}

impl PathRejection {
    /// A short metric label.
    pub fn label(self) -> &'static str {
        match self {
            PathRejection::Traversal => "traversal",
            PathRejection::Backslash => "backslash",
            PathRejection::ControlByte => "control_byte",
            PathRejection::InvalidUtf8 => "invalid_utf8",
            PathRejection::NotAbsolute => "not_absolute",
            PathRejection::SuspiciousQuery => "suspicious_query",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PathRejection::Traversal => "path contains a '..' segment",
            PathRejection::Backslash => "path contains a backslash",
            PathRejection::ControlByte => "path contains a control character",
            PathRejection::InvalidUtf8 => "path is not valid UTF-8 after percent-decoding",
            PathRejection::NotAbsolute => "path does not start with '/'",
            PathRejection::SuspiciousQuery => {
                "query has a second '?' (a known Vite fs.deny bypass)"
            }
        }
    }
}

/// How many rounds of percent-decoding are inspected (covers double and triple encoding).
const DECODE_ROUNDS: usize = 3;

/// Checks a raw request path (without the query string). The path itself is never
/// rewritten: upstreams receive it byte for byte.
pub fn check(raw: &[u8]) -> Result<(), PathRejection> {
    if raw.first() != Some(&b'/') {
        return Err(PathRejection::NotAbsolute);
    }
    let mut current: Cow<[u8]> = Cow::Borrowed(raw);
    for _ in 0..DECODE_ROUNDS {
        inspect(&current)?;
        let decoded: Cow<[u8]> = percent_decode(&current).into();
        if decoded.as_ref() == current.as_ref() {
            return Ok(());
        }
        current = Cow::Owned(decoded.into_owned());
    }
    inspect(&current)
}

fn inspect(bytes: &[u8]) -> Result<(), PathRejection> {
    if bytes.contains(&b'\\') {
        return Err(PathRejection::Backslash);
    }
    if bytes.iter().any(|b| *b < 0x20 || *b == 0x7f) {
        return Err(PathRejection::ControlByte);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| PathRejection::InvalidUtf8)?;
    if text.split('/').any(|seg| seg == "..") {
        return Err(PathRejection::Traversal);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_vite_and_app_paths() {
        for p in [
            "/",
            "/static/@vite/client",
            "/static/node_modules/.vite/deps/react.js",
            "/@fs/home/u/project/src/a.ts",
            "/api/users/42",
            "//double//slashes",
            "/a%2Fb",
            "/caf%C3%A9",
            "/x/..y/z..",
            "/.well-known/thing",
        ] {
            assert_eq!(check(p.as_bytes()), Ok(()), "{p}");
        }
    }

    #[test]
    fn rejects_traversal_in_every_encoding() {
        for p in [
            "/..",
            "/static/../etc/passwd",
            "/static/%2e%2e/secret",
            "/static/%2E%2E/secret",
            "/static/.%2e/secret",
            "/static/%252e%252e/secret",
            "/static/%25252e%25252e/secret",
            "/@fs/../../etc/passwd",
        ] {
            assert_eq!(check(p.as_bytes()), Err(PathRejection::Traversal), "{p}");
        }
    }

    #[test]
    fn rejects_backslashes_nul_and_overlong_utf8() {
        assert_eq!(check(b"/static/..\\x"), Err(PathRejection::Backslash));
        assert_eq!(check(b"/static/%5c..%5cx"), Err(PathRejection::Backslash));
        assert_eq!(check(b"/static/%255c"), Err(PathRejection::Backslash));
        assert_eq!(check(b"/a%00b"), Err(PathRejection::ControlByte));
        assert_eq!(check(b"/%c0%ae%c0%ae/x"), Err(PathRejection::InvalidUtf8));
        assert_eq!(check(b"relative"), Err(PathRejection::NotAbsolute));
        assert_eq!(check(b""), Err(PathRejection::NotAbsolute));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Fully decodes (as many rounds as it takes) for the property's own check.
    fn decode_all(bytes: &[u8]) -> Vec<u8> {
        let mut current = bytes.to_vec();
        loop {
            let next: Vec<u8> = percent_decode(&current).collect();
            if next == current {
                return current;
            }
            current = next;
        }
    }

    proptest! {
        /// Whatever the encoding, an accepted path never decodes (within the inspected
        /// rounds) to a `..` segment or a backslash.
        #[test]
        fn accepted_paths_never_hide_traversal(segments in proptest::collection::vec(
            prop_oneof![
                Just("..".to_string()), Just("%2e%2e".to_string()), Just("%252e%252e".to_string()),
                Just(".%2e".to_string()), Just("%5c".to_string()), Just("a".to_string()),
                Just("@fs".to_string()), "[a-zA-Z0-9._%-]{0,8}".prop_map(String::from),
            ],
            0..8,
        )) {
            let path = format!("/{}", segments.join("/"));
            if check(path.as_bytes()).is_ok() {
                let mut decoded = path.as_bytes().to_vec();
                for _ in 0..DECODE_ROUNDS {
                    decoded = percent_decode(&decoded).collect();
                }
                let text = String::from_utf8_lossy(&decoded);
                prop_assert!(!text.split('/').any(|s| s == ".."), "{path} decodes to {text}");
                prop_assert!(!text.contains('\\'));
            }
        }

        /// Any byte string at all: the check answers and never panics.
        #[test]
        fn check_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = check(&bytes);
            let _ = decode_all(&bytes);
        }
    }
}
