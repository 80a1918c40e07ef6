//! The gateway's own endpoints under `/_litevite/` (DESIGN §6).

use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora::proxy::Session;
use pingora::Result;

use crate::routing::Endpoint;
use crate::state::AppState;

/// Answers an internal endpoint.
pub async fn serve(session: &mut Session, endpoint: Endpoint, _state: &AppState) -> Result<()> {
    match endpoint {
        Endpoint::Healthz => write(session, 200, "text/plain; charset=utf-8", "ok\n", &[]).await,
        _ => {
            let body = serde_json::json!({
                "error": "not found",
                "path": String::from_utf8_lossy(session.req_header().raw_path()),
                "endpoints": ["/_litevite/healthz"],
            })
            .to_string();
            write(session, 404, "application/json", &body, &[]).await
        }
    }
}

/// Writes a complete response with `Cache-Control: no-store`.
pub async fn write(
    session: &mut Session,
    status: u16,
    content_type: &str,
    body: &str,
    extra: &[(http::HeaderName, http::HeaderValue)],
) -> Result<()> {
    let body = Bytes::copy_from_slice(body.as_bytes());
    let mut resp = ResponseHeader::build(status, Some(4 + extra.len()))?;
    resp.insert_header(http::header::CONTENT_TYPE, content_type)?;
    resp.insert_header(http::header::CONTENT_LENGTH, body.len().to_string())?;
    resp.insert_header(http::header::CACHE_CONTROL, "no-store")?;
    for (k, v) in extra {
        resp.insert_header(k.clone(), v.clone())?;
    }
    let head_only = session.req_header().method == http::Method::HEAD;
    session
        .write_response_header(Box::new(resp), head_only)
        .await?;
    if !head_only {
        session.write_response_body(Some(body), true).await?;
    }
    Ok(())
}
