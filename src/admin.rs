//! The gateway's own endpoints under `/_litevite/` (DESIGN §6): liveness, readiness,
//! Prometheus metrics and the status page (HTML for people, JSON for tools).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora::proxy::Session;
use pingora::Result;
use serde_json::{json, Value};

use crate::health::Health;
use crate::routing::Endpoint;
use crate::state::AppState;
use crate::upstream::{Resolution, Via};

/// Answers an internal endpoint.
pub async fn serve(session: &mut Session, endpoint: Endpoint, state: &AppState) -> Result<()> {
    match endpoint {
        Endpoint::Healthz => write(session, 200, "text/plain; charset=utf-8", "ok\n", &[]).await,
        Endpoint::Readyz => {
            let (ready, body) = readiness(state);
            write(
                session,
                if ready { 200 } else { 503 },
                "application/json",
                &format!("{body:#}\n"),
                &[],
            )
            .await
        }
        Endpoint::Metrics => {
            let text = state.metrics.render();
            write(
                session,
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                &text,
                &[],
            )
            .await
        }
        Endpoint::Status => {
            let wants_json = session
                .req_header()
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains("application/json"));
            let status = status_json(state);
            if wants_json {
                write(
                    session,
                    200,
                    "application/json",
                    &format!("{status:#}\n"),
                    &[],
                )
                .await
            } else {
                write(
                    session,
                    200,
                    "text/html; charset=utf-8",
                    &crate::dashboard::render(&status),
                    &[],
                )
                .await
            }
        }
        Endpoint::Login | Endpoint::NotFound => {
            let body = json!({
                "error": "not found",
                "path": String::from_utf8_lossy(session.req_header().raw_path()),
                "endpoints": ["/_litevite/healthz", "/_litevite/readyz", "/_litevite/metrics", "/_litevite/status"],
            });
            write(
                session,
                404,
                "application/json",
                &format!("{body:#}\n"),
                &[],
            )
            .await
        }
    }
}

fn epoch(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Ready when every required upstream is up; the body lists each upstream's state.
pub fn readiness(state: &AppState) -> (bool, Value) {
    let upstreams = state.upstreams.load();
    let mut ready = true;
    let mut list = serde_json::Map::new();
    for up in upstreams.iter() {
        let snap = up.health.snapshot();
        if up.required && snap.state != Health::Up {
            ready = false;
        }
        list.insert(
            up.name.to_string(),
            json!({
                "state": snap.state.as_str(),
                "required": up.required,
                "address": address(&up.resolution()),
                "for_seconds": (snap.for_secs * 10.0).round() / 10.0,
                "last_error": snap.last_error,
            }),
        );
    }
    (ready, json!({ "ready": ready, "upstreams": list }))
}

fn address(r: &Resolution) -> Option<String> {
    match r {
        Resolution::Ready { addr, .. } => Some(addr.to_string()),
        Resolution::Unavailable(_) => None,
    }
}

/// Everything the status page shows, as JSON.
pub fn status_json(state: &AppState) -> Value {
    let config = state.config.load();
    let upstreams: Vec<Value> = state
        .upstreams
        .load()
        .iter()
        .map(|up| {
            let snap = up.health.snapshot();
            let resolution = up.resolution();
            let (via, unavailable) = match &*resolution {
                Resolution::Ready { via: Via::Config, .. } => ("configured".to_string(), None),
                Resolution::Ready { via: Via::Hotfile(p), .. } => (format!("hotfile {}", p.display()), None),
                Resolution::Ready { via: Via::Process(n), .. } => (format!("[processes.{n}]"), None),
                Resolution::Unavailable(why) => ("-".to_string(), Some(why.cause())),
            };
            json!({
                "name": up.name.as_str(),
                "state": snap.state.as_str(),
                "required": up.required,
                "address": address(&resolution),
                "via": via,
                "unavailable": unavailable,
                "for_seconds": (snap.for_secs * 10.0).round() / 10.0,
                "last_error": snap.last_error,
                "history": snap.history,
                "transitions": snap.transitions.iter().map(|(t, h, why)| json!({"at": epoch(*t), "state": h.as_str(), "why": why})).collect::<Vec<_>>(),
                "next_step": up.next_step(),
            })
        })
        .collect();
    let recent: serde_json::Map<String, Value> = state
        .recent
        .snapshot()
        .into_iter()
        .map(|(name, reqs)| {
            let list: Vec<Value> = reqs
                .iter()
                .map(|r| json!({"at": epoch(r.at), "method": r.method, "path": r.path, "status": r.status, "ms": (r.ms * 100.0).round() / 100.0}))
                .collect();
            (name, Value::Array(list))
        })
        .collect();
    let codegen: Vec<Value> = state
        .codegen_log
        .recent()
        .iter()
        .take(20)
        .map(|r| json!({"generator": r.generator, "ok": r.ok, "message": r.message, "at": epoch(r.at), "ms": r.took.as_secs_f64() * 1000.0}))
        .collect();
    let (ready, _) = readiness(state);
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": state.started.elapsed().as_secs(),
        "public_url": config.public_url(),
        "listen": config.gateway.listen.to_string(),
        "mode": config.gateway.mode.to_string(),
        "ready": ready,
        "upstreams": upstreams,
        "recent_requests": recent,
        "routing_table": state.router.load().to_string(),
        "codegen": codegen,
        "config": { "path": config.path.display().to_string(), "text": state.config_text.load().as_str() },
    })
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
