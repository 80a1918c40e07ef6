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

/// Answers an internal endpoint; `authorized` is false only when auth is on and the
/// request carries no valid credentials (then only healthz, readyz and login get here).
pub async fn serve(
    session: &mut Session,
    endpoint: Endpoint,
    state: &AppState,
    authorized: bool,
) -> Result<()> {
    match endpoint {
        Endpoint::Healthz => write(session, 200, "text/plain; charset=utf-8", "ok\n", &[]).await,
        Endpoint::Readyz => {
            let (ready, body) = readiness(state);
            // Probes cannot carry a secret: without credentials, only the verdict.
            let body = if authorized {
                body
            } else {
                json!({ "ready": ready })
            };
            write(
                session,
                if ready { 200 } else { 503 },
                "application/json",
                &format!("{body:#}\n"),
                &[],
            )
            .await
        }
        Endpoint::Login => login(session, state).await,
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
        Endpoint::NotFound => {
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

/// The request path for logs: the login URL's query (it holds the token) is dropped.
pub fn loggable_path(raw: &[u8]) -> String {
    let path = String::from_utf8_lossy(raw);
    if path.starts_with("/_litevite/login") {
        return path.split('?').next().unwrap_or_default().to_string() + "?<redacted>";
    }
    path.into_owned()
}

/// `/_litevite/login?token=…&next=/path`: a good token sets the session cookie and
/// redirects (same origin only); anything else gets the login page.
async fn login(session: &mut Session, state: &AppState) -> Result<()> {
    let Some(auth) = state.auth.load_full() else {
        let body = json!({"error": "auth is not enabled", "hint": "add an [auth] section with a token, or set LITEVITE_TOKEN"});
        return write(
            session,
            404,
            "application/json",
            &format!("{body:#}\n"),
            &[],
        )
        .await;
    };
    let raw = String::from_utf8_lossy(session.req_header().raw_path()).into_owned();
    let query = raw.split_once('?').map_or("", |(_, q)| q);
    let token = crate::auth::query_param(query, "token");
    let next = crate::auth::safe_next(crate::auth::query_param(query, "next").as_deref());
    match token {
        Some(t) if auth.token_matches(&t) => {
            tracing::info!("login succeeded");
            let location =
                http::HeaderValue::from_str(&next).unwrap_or(http::HeaderValue::from_static("/"));
            let cookie = http::HeaderValue::from_str(&auth.set_cookie())
                .unwrap_or(http::HeaderValue::from_static(""));
            write(
                session,
                302,
                "text/plain; charset=utf-8",
                "Signed in.\n",
                &[
                    (http::header::LOCATION, location),
                    (http::header::SET_COOKIE, cookie),
                ],
            )
            .await
        }
        given => {
            if given.is_some() {
                tracing::warn!("login failed: wrong token");
                state
                    .metrics
                    .rejected_requests
                    .with_label_values(&["bad_token"])
                    .inc();
            }
            let page = crate::auth::login_page(&next, given.is_some());
            write(session, 401, "text/html; charset=utf-8", &page, &[]).await
        }
    }
}

/// 401 for a request without valid credentials: a login page for browsers,
/// problem+json for JSON clients, plain text otherwise.
pub async fn unauthorized(session: &mut Session) -> Result<()> {
    let accept = session
        .req_header()
        .headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let challenge = (
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Bearer realm=\"litevite-gw\""),
    );
    let next = crate::auth::safe_next(Some(&String::from_utf8_lossy(
        session.req_header().raw_path(),
    )));
    match crate::pages::Format::negotiate(Some(&accept)) {
        crate::pages::Format::Html => write(session, 401, "text/html; charset=utf-8", &crate::auth::login_page(&next, false), &[challenge]).await,
        crate::pages::Format::Json => {
            let body = json!({
                "type": "https://litevite.dev/problems/unauthorized",
                "title": "sign in required",
                "status": 401,
                "detail": "this gateway is protected by a token",
                "next_step": "send `Authorization: Bearer <token>`, or open /_litevite/login?token=<token> once in the browser",
            });
            write(session, 401, "application/problem+json", &body.to_string(), &[challenge]).await
        }
        crate::pages::Format::Text => write(
            session,
            401,
            "text/plain; charset=utf-8",
            "401 sign in required: send `Authorization: Bearer <token>`, or open /_litevite/login?token=<token> once in the browser\n",
            &[challenge],
        )
        .await,
    }
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
