//! Fetching the app's OpenAPI document and validating it before anything is written.

use std::time::Duration;

use serde_json::Value;

use super::routes_json::check_openapi;
use crate::config::UpstreamAddr;

/// Why no usable document came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// Connection refused, reset or timed out: the app is not (yet) answering.
    #[error("the app is not answering at {addr}: {cause}")]
    Unreachable { addr: String, cause: String },
    #[error("GET {url} answered {status}; check codegen.openapi_path (Litestar serves /schema/openapi.json by default)")]
    Status { url: String, status: u16 },
    #[error("GET {url} did not return a valid OpenAPI 3 document: {cause}")]
    Invalid { url: String, cause: String },
    #[error("cannot read {path}: {cause}")]
    File { path: String, cause: String },
}

impl ExportError {
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ExportError::Unreachable { .. })
    }
}

/// GETs `openapi_path` from the app (blocking; call from `spawn_blocking`).
pub fn fetch(
    app: &UpstreamAddr,
    openapi_path: &str,
    timeout: Duration,
) -> Result<Value, ExportError> {
    let url = format!("http://{}{openapi_path}", app.socket);
    let agent = ureq::AgentBuilder::new()
        .timeout(timeout)
        .redirects(0)
        .build();
    let response = agent
        .get(&url)
        .set("Host", &app.authority)
        .set("Accept", "application/json")
        .set(
            "User-Agent",
            concat!("litevite-gw/", env!("CARGO_PKG_VERSION")),
        )
        .call();
    let response = match response {
        Ok(r) => r,
        Err(ureq::Error::Status(status, _)) => return Err(ExportError::Status { url, status }),
        Err(ureq::Error::Transport(t)) => {
            return Err(ExportError::Unreachable {
                addr: app.authority.clone(),
                cause: t.to_string(),
            })
        }
    };
    let body = response
        .into_string()
        .map_err(|e| ExportError::Unreachable {
            addr: app.authority.clone(),
            cause: e.to_string(),
        })?;
    parse(&body).map_err(|cause| ExportError::Invalid { url, cause })
}

/// Parses and validates an OpenAPI document from text.
pub fn parse(text: &str) -> Result<Value, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    check_openapi(&doc).map_err(|e| e.to_string())?;
    Ok(doc)
}

/// Canonical bytes for openapi.json: keys sorted, 2-space indent, trailing newline.
pub fn canonical(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_openapi_3_and_rejects_the_rest() {
        assert!(parse(r#"{"openapi": "3.1.0", "paths": {}}"#).is_ok());
        assert!(parse(r#"{"openapi": "3.1.0"}"#)
            .unwrap_err()
            .contains("paths"));
        assert!(parse("<html>").unwrap_err().contains("not JSON"));
        assert!(parse(r#"{"swagger": "2.0", "paths": {}}"#).is_err());
    }

    #[test]
    fn canonical_sorts_keys() {
        let doc = parse(r#"{"paths": {}, "openapi": "3.1.0", "info": {"b": 1, "a": 2}}"#).unwrap();
        assert_eq!(canonical(&doc), "{\n  \"info\": {\n    \"a\": 2,\n    \"b\": 1\n  },\n  \"openapi\": \"3.1.0\",\n  \"paths\": {}\n}\n");
    }

    #[test]
    fn unreachable_app_is_reported_as_such() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = UpstreamAddr::parse(&format!("127.0.0.1:{port}")).unwrap();
        let err = fetch(&addr, "/schema/openapi.json", Duration::from_secs(1)).unwrap_err();
        assert!(err.is_unreachable(), "{err}");
    }
}
