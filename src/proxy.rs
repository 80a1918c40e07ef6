//! The Pingora `ProxyHttp` implementation: thin phases that delegate decisions to
//! `routing`, header rules to `headers`, own responses to `admin` and `pages`, and
//! bookkeeping to `metrics`.
//!
//! Phase order (pingora 0.9): request_filter → upstream_peer (again on a retried
//! connect) → upstream_request_filter → response_filter → logging; fail_to_connect and
//! fail_to_proxy on errors.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use http::header;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::prelude::HttpPeer;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora::{Error, ErrorSource, ErrorType, Result};

use crate::admin;
use crate::config::{RouteAction, UpstreamAddr, UpstreamName};
use crate::headers;
use crate::metrics::Metrics;
use crate::pages::{Format, UpstreamProblem, ERROR_MARKER};
use crate::routing::{Endpoint, ProxyTarget, RequestFacts, Rewrite, Route, Router};
use crate::server::IN_FLIGHT;
use crate::state::{AppState, RequestRecord};
use crate::upstream::{Resolution, Upstream};

/// Connect timeout to an upstream; loopback refusals are immediate anyway.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between connect attempts while a restarting upstream is waited for.
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// A non-ping WebSocket that ends this soon after its 101 is counted as an early close.
const EARLY_CLOSE: Duration = Duration::from_millis(100);
/// Paths on the status page are cut to this many bytes.
const RECENT_PATH_BYTES: usize = 200;
/// Where requests the gateway answers itself (rejections, `respond` rules) are counted.
static GATEWAY: std::sync::LazyLock<UpstreamName> =
    std::sync::LazyLock::new(|| UpstreamName::new("gateway"));

/// The gateway's proxy service.
pub struct Gateway {
    pub state: Arc<AppState>,
}

/// Per-request state.
pub struct RequestCtx {
    started: Instant,
    router: Option<Arc<Router>>,
    target: Option<ProxyTarget>,
    upstream: Option<Arc<Upstream>>,
    addr: Option<UpstreamAddr>,
    /// Counted in `server::IN_FLIGHT` (until logged, or until upgraded to a WebSocket).
    in_flight: bool,
    internal: bool,
    websocket: bool,
    vite_ping: bool,
    upgraded_at: Option<Instant>,
    event_stream: bool,
    /// The chosen upstream's request body limit, and what has been forwarded so far.
    max_body: u64,
    body_seen: u64,
    /// Connect refusals are retried until then (an upstream restarting).
    retry_until: Option<Instant>,
    connect_attempts: u32,
}

impl RequestCtx {
    fn leave_in_flight(&mut self) {
        if std::mem::take(&mut self.in_flight) {
            IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn upstream_name(&self) -> &UpstreamName {
        self.upstream.as_ref().map_or(&*GATEWAY, |u| &u.name)
    }
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> RequestCtx {
        IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        RequestCtx {
            started: Instant::now(),
            router: None,
            target: None,
            upstream: None,
            addr: None,
            in_flight: true,
            internal: false,
            websocket: false,
            vite_ping: false,
            upgraded_at: None,
            event_stream: false,
            max_body: u64::MAX,
            body_seen: 0,
            retry_until: None,
            connect_attempts: 0,
        }
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        if let Some((status, reason, label)) = self.over_limits(session) {
            tracing::warn!(reason, "rejected request");
            self.state
                .metrics
                .rejected_requests
                .with_label_values(&[label])
                .inc();
            ctx.internal = true;
            admin::write(
                session,
                status,
                "text/plain; charset=utf-8",
                &format!("{status} {reason}\n"),
                &[],
            )
            .await?;
            return Ok(true);
        }
        let router = self.state.router.load_full();
        let route = {
            let req = session.req_header();
            let raw = req.raw_path();
            let (path, query) = match raw.iter().position(|b| *b == b'?') {
                Some(i) => (&raw[..i], &raw[i + 1..]),
                None => (raw, &b""[..]),
            };
            match (std::str::from_utf8(path), std::str::from_utf8(query)) {
                (Ok(path), Ok(query)) => router.route(&RequestFacts {
                    method: &req.method,
                    path,
                    query,
                    headers: &req.headers,
                }),
                _ => Route::Reject(crate::path::PathRejection::InvalidUtf8),
            }
        };
        ctx.router = Some(router.clone());
        ctx.websocket = headers::is_websocket_upgrade(session.req_header());
        let authorized = match self.state.auth.load_full() {
            None => true,
            Some(auth) => auth.is_authorized(&session.req_header().headers),
        };
        let exempt = matches!(
            route,
            Route::Reject(_)
                | Route::Internal(Endpoint::Healthz | Endpoint::Readyz | Endpoint::Login)
        );
        if !authorized && !exempt {
            // Never reaches an upstream: Vite serves the project's files.
            self.state
                .metrics
                .rejected_requests
                .with_label_values(&["unauthorized"])
                .inc();
            ctx.internal = true;
            admin::unauthorized(session).await?;
            return Ok(true);
        }
        match route {
            Route::Reject(why) => {
                tracing::warn!(
                    path = %admin::loggable_path(session.req_header().raw_path()),
                    reason = why.as_str(),
                    "rejected request"
                );
                self.state
                    .metrics
                    .rejected_requests
                    .with_label_values(&[why.label()])
                    .inc();
                let body = format!("400 Bad Request: {}\n", why.as_str());
                admin::write(session, 400, "text/plain; charset=utf-8", &body, &[]).await?;
                Ok(true)
            }
            Route::Internal(endpoint) => {
                ctx.internal = true;
                admin::serve(session, endpoint, &self.state, authorized).await?;
                Ok(true)
            }
            Route::Respond(i) | Route::Redirect(i) => {
                let Some(rule) = router.rule(i) else {
                    return Error::e_explain(ErrorType::InternalError, "routing rule vanished");
                };
                match &rule.action {
                    RouteAction::Respond {
                        status,
                        body,
                        content_type,
                    } => {
                        admin::write(
                            session,
                            status.as_u16(),
                            content_type,
                            body,
                            &rule.add_response_headers,
                        )
                        .await?
                    }
                    RouteAction::Redirect { to, status } => {
                        let mut extra = rule.add_response_headers.clone();
                        let location = http::HeaderValue::from_str(to).or_else(|_| {
                            Error::e_explain(ErrorType::InternalError, "bad Location")
                        })?;
                        extra.push((header::LOCATION, location));
                        let body = format!("Redirecting to {to}\n");
                        admin::write(
                            session,
                            status.as_u16(),
                            "text/plain; charset=utf-8",
                            &body,
                            &extra,
                        )
                        .await?
                    }
                    RouteAction::Upstream(_) => {}
                }
                Ok(true)
            }
            Route::Proxy(target) => self.prepare_proxy(session, ctx, target).await,
        }
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> Result<Box<HttpPeer>> {
        if ctx.connect_attempts > 0 {
            tokio::time::sleep(RETRY_PAUSE).await;
        }
        ctx.connect_attempts += 1;
        let Some(addr) = &ctx.addr else {
            return Error::e_explain(ErrorType::InternalError, "no upstream address chosen");
        };
        let mut peer = HttpPeer::new(addr.socket, false, String::new());
        peer.options.connection_timeout = Some(CONNECT_TIMEOUT);
        // A silent upstream gets a 504, except where silence is normal: WebSockets and
        // event streams (which may idle between events).
        if !ctx.websocket && !ctx.event_stream {
            peer.options.read_timeout = self.state.config.load().gateway.upstream_timeout;
        }
        Ok(Box::new(peer))
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut RequestCtx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        // A refused connection during a restart (uvicorn reload, supervised restart):
        // try again for a moment rather than show an error page.
        if *e.etype() == ErrorType::ConnectRefused
            && ctx
                .retry_until
                .is_some_and(|t| Instant::now() + RETRY_PAUSE < t)
        {
            e.set_retry(true);
        }
        e
    }

    async fn request_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<bytes::Bytes>,
        _end_of_stream: bool,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if ctx.upgraded_at.is_some() {
            return Ok(());
        }
        ctx.body_seen += body.as_ref().map_or(0, |b| b.len() as u64);
        if ctx.body_seen > ctx.max_body {
            // A chunked body without Content-Length: stop at the limit.
            self.body_too_large(ctx.upstream_name().as_str(), ctx.max_body);
            return Error::e_explain(
                ErrorType::HTTPStatus(413),
                "request body over max_body_bytes",
            );
        }
        Ok(())
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream_request: &mut RequestHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        let (Some(target), Some(addr)) = (&ctx.target, &ctx.addr) else {
            return Ok(());
        };
        if target.rewrite != Rewrite::Keep {
            let rewritten = headers::rewrite_target(upstream_request.raw_path(), &target.rewrite);
            upstream_request.set_raw_path(&rewritten)?;
        }
        let client_ip = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip());
        headers::forwarding(
            upstream_request,
            client_ip,
            target.upstream.is_vite().then_some(addr.authority.as_str()),
        )?;
        if let (Some(i), Some(router)) = (target.rule(), &ctx.router) {
            if let Some(rule) = router.rule(i) {
                for (k, v) in &rule.add_request_headers {
                    upstream_request.insert_header(k.clone(), v.clone())?;
                }
            }
        }
        Ok(())
    }

    async fn response_filter(
        &self,
        _session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if ctx.websocket {
            let name = ctx.upstream_name().to_string();
            if upstream_response.status == http::StatusCode::SWITCHING_PROTOCOLS {
                // A WebSocket may stay open for hours: shutdown must not wait for it.
                ctx.leave_in_flight();
                ctx.upgraded_at = Some(Instant::now());
                self.state
                    .metrics
                    .websocket_upgrades
                    .with_label_values(&[&name, "ok"])
                    .inc();
                self.state
                    .metrics
                    .websocket_connections
                    .with_label_values(&[&name])
                    .inc();
            } else {
                self.state
                    .metrics
                    .websocket_upgrades
                    .with_label_values(&[&name, "refused"])
                    .inc();
            }
        }
        if let (Some(i), Some(router)) =
            (ctx.target.as_ref().and_then(ProxyTarget::rule), &ctx.router)
        {
            if let Some(rule) = router.rule(i) {
                for (k, v) in &rule.add_response_headers {
                    upstream_response.insert_header(k.clone(), v.clone())?;
                }
            }
        }
        Ok(())
    }

    fn suppress_error_log(&self, _session: &Session, _ctx: &RequestCtx, _error: &Error) -> bool {
        // fail_to_proxy logs upstream failures once per state change, with the next step.
        true
    }

    async fn fail_to_proxy(
        &self,
        session: &mut Session,
        e: &Error,
        ctx: &mut RequestCtx,
    ) -> FailToProxy {
        let (status, cause, kind) = classify(e);
        if status == 0 {
            return FailToProxy {
                error_code: 0,
                can_reuse_downstream: false,
            };
        }
        if session.response_written().is_some() {
            // The upstream failed mid-response: the client already has a status line, so
            // nothing may be appended. Closing without the final chunk tells it the body is cut.
            if let Some(up) = &ctx.upstream {
                self.state
                    .metrics
                    .upstream_errors
                    .with_label_values(&[up.name.as_str(), kind])
                    .inc();
                tracing::warn!(
                    upstream = up.name.as_str(),
                    "{} failed mid-response: {cause}",
                    up.name
                );
            }
            return FailToProxy {
                error_code: status,
                can_reuse_downstream: false,
            };
        }
        match (&ctx.upstream, *e.esource() == ErrorSource::Upstream) {
            (Some(upstream), true) => {
                let name = upstream.name.as_str();
                self.state
                    .metrics
                    .upstream_errors
                    .with_label_values(&[name, kind])
                    .inc();
                if ctx.websocket {
                    self.state
                        .metrics
                        .websocket_upgrades
                        .with_label_values(&[name, "failed"])
                        .inc();
                }
                let address = ctx.addr.as_ref().map(|a| a.authority.clone());
                if upstream.mark_reachable(false) {
                    tracing::warn!(
                        upstream = name,
                        address = address.as_deref().unwrap_or(""),
                        "{name} is not answering at {}: {cause}; next step: {}",
                        address.as_deref().unwrap_or("?"),
                        upstream.next_step()
                    );
                }
                let problem = UpstreamProblem {
                    status,
                    upstream: name.to_string(),
                    address,
                    cause,
                    next_step: upstream.next_step(),
                };
                if let Err(err) = write_problem(session, &problem).await {
                    tracing::debug!(error = %err, "could not write the error page");
                }
            }
            _ => {
                tracing::warn!(error = %e, "request failed");
                let _ = session.respond_error(status).await;
            }
        }
        FailToProxy {
            error_code: status,
            can_reuse_downstream: false,
        }
    }

    async fn logging(&self, session: &mut Session, e: Option<&Error>, ctx: &mut RequestCtx) {
        // Runs for every request: borrowed labels, no per-request String but the path kept
        // for the status page.
        ctx.leave_in_flight();
        let status = session.response_written().map_or(0, |r| r.status.as_u16());
        let upstream = ctx.upstream_name();
        let label = upstream.as_str();
        let metrics = &self.state.metrics;
        if let Some(at) = ctx.upgraded_at {
            metrics
                .websocket_connections
                .with_label_values(&[label])
                .dec();
            if !ctx.vite_ping && at.elapsed() < EARLY_CLOSE {
                metrics
                    .websocket_early_closes
                    .with_label_values(&[label])
                    .inc();
                tracing::debug!(upstream = label, "websocket closed right after its 101");
            }
        }
        if e.is_none() && status != 0 {
            if let (Some(up), Some(addr)) = (&ctx.upstream, &ctx.addr) {
                if up.mark_reachable(true) {
                    tracing::info!(upstream = %up.name, address = %addr, "{} is answering again at {addr}", up.name);
                }
            }
        }
        let method = Metrics::method_label(&session.req_header().method);
        let mut code = itoa::Buffer::new();
        let status_label = if status == 0 {
            "none"
        } else {
            code.format(status)
        };
        let elapsed = ctx.started.elapsed();
        metrics
            .requests
            .with_label_values(&[label, method, status_label])
            .inc();
        metrics
            .request_duration
            .with_label_values(&[label])
            .observe(elapsed.as_secs_f64());
        let mut path = admin::loggable_path(session.req_header().raw_path());
        tracing::debug!(
            method,
            path = %path,
            status,
            upstream = label,
            reason = ?ctx.target.as_ref().map(|t| t.reason),
            ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
        if !ctx.internal {
            let mut cut = RECENT_PATH_BYTES.min(path.len());
            while !path.is_char_boundary(cut) {
                cut -= 1;
            }
            path.truncate(cut);
            self.state.recent.push(
                upstream,
                RequestRecord {
                    at: SystemTime::now(),
                    method,
                    path,
                    status,
                    ms: elapsed.as_secs_f64() * 1000.0,
                },
            );
        }
    }
}

impl Gateway {
    /// Logs and counts a request body over its upstream's limit.
    fn body_too_large(&self, upstream: &str, limit: u64) {
        self.state
            .metrics
            .rejected_requests
            .with_label_values(&["body_too_large"])
            .inc();
        tracing::warn!(upstream, limit, "request body over the limit");
    }

    /// Answers 503 for an upstream that cannot take requests now, and counts it.
    async fn unavailable(
        &self,
        session: &mut Session,
        upstream: &Upstream,
        address: Option<String>,
        cause: String,
    ) -> Result<()> {
        self.state
            .metrics
            .upstream_errors
            .with_label_values(&[upstream.name.as_str(), "unavailable"])
            .inc();
        let problem = UpstreamProblem {
            status: 503,
            upstream: upstream.name.to_string(),
            address,
            cause,
            next_step: upstream.next_step(),
        };
        write_problem(session, &problem).await
    }

    /// URL and header-block size limits: `(status, reason, metric label)` when exceeded.
    fn over_limits(&self, session: &Session) -> Option<(u16, &'static str, &'static str)> {
        let config = self.state.config.load();
        let req = session.req_header();
        if req.raw_path().len() > config.gateway.max_url_bytes {
            return Some((414, "URI Too Long (gateway.max_url_bytes)", "url_too_long"));
        }
        let header_bytes: usize = req
            .headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum();
        if header_bytes > config.gateway.max_header_bytes {
            return Some((
                431,
                "Request Header Fields Too Large (gateway.max_header_bytes)",
                "headers_too_large",
            ));
        }
        None
    }

    /// Resolves the upstream, applies health and the restart window, and readies the context.
    async fn prepare_proxy(
        &self,
        session: &mut Session,
        ctx: &mut RequestCtx,
        target: ProxyTarget,
    ) -> Result<bool> {
        let Some(upstream) = self.state.upstreams.load().get(&target.upstream).cloned() else {
            return Error::e_explain(
                ErrorType::InternalError,
                "upstream missing from the registry",
            );
        };
        ctx.vite_ping = ctx.websocket
            && session
                .req_header()
                .headers
                .get(header::SEC_WEBSOCKET_PROTOCOL)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.split(',').any(|p| p.trim() == "vite-ping"));
        ctx.target = Some(target);
        ctx.upstream = Some(upstream.clone());
        let window = upstream.health_config.retry_window;
        let addr = match &*upstream.resolution() {
            Resolution::Ready { addr, .. } => addr.clone(),
            Resolution::Unavailable(why) => {
                self.unavailable(session, &upstream, None, why.cause())
                    .await?;
                return Ok(true);
            }
        };
        if let Some(down) = upstream.health.down_for() {
            if down > window {
                // Marked down for a while: answer at once instead of waiting on connects.
                let cause = format!(
                    "it failed its last {} health checks ({}) and has been down for {:.0} s",
                    upstream.health_config.fall,
                    upstream.health.last_error().unwrap_or_default(),
                    down.as_secs_f64()
                );
                self.unavailable(session, &upstream, Some(addr.authority.clone()), cause)
                    .await?;
                return Ok(true);
            }
        }
        ctx.max_body = upstream.max_body_bytes;
        let declared = session
            .req_header()
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > upstream.max_body_bytes) {
            self.body_too_large(upstream.name.as_str(), upstream.max_body_bytes);
            let body = format!(
                "413 request body larger than {} bytes (upstreams.{}.max_body_bytes)\n",
                upstream.max_body_bytes, upstream.name
            );
            admin::write(session, 413, "text/plain; charset=utf-8", &body, &[]).await?;
            return Ok(true);
        }
        ctx.event_stream = session
            .req_header()
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/event-stream"));
        ctx.retry_until = Some(ctx.started + window);
        ctx.addr = Some(addr);
        if ctx.websocket {
            // Pingora keeps the 60 s downstream read timeout after an upgrade; an idle
            // HMR socket (browsers send no pings) would be cut every minute.
            session.set_read_timeout(None);
        }
        Ok(false)
    }
}

/// Maps a proxy error to the status to answer, a cause in plain words and a metric
/// kind; status 0 means the client is gone and nothing can be written.
fn classify(e: &Error) -> (u16, String, &'static str) {
    use ErrorType::*;
    match (e.esource(), e.etype()) {
        (_, HTTPStatus(code)) => (*code, format!("HTTP {code}"), "status"),
        (ErrorSource::Upstream, ConnectRefused) => (502, "connection refused".into(), "refused"),
        (ErrorSource::Upstream, ConnectTimedout) => (504, "connecting timed out".into(), "timeout"),
        (ErrorSource::Upstream, ReadTimedout | WriteTimedout) => {
            (504, "it did not answer in time".into(), "timeout")
        }
        (ErrorSource::Upstream, ConnectionClosed) => (
            502,
            "it closed the connection before answering".into(),
            "reset",
        ),
        (ErrorSource::Upstream, ReadError | WriteError) => {
            (502, "the connection was reset".into(), "reset")
        }
        (ErrorSource::Upstream, InvalidHTTPHeader | H1Error) => {
            (502, "it sent an invalid HTTP response".into(), "invalid")
        }
        (ErrorSource::Upstream, _) => (502, e.to_string(), "other"),
        (
            ErrorSource::Downstream,
            ReadError | WriteError | ConnectionClosed | ReadTimedout | WriteTimedout,
        ) => (0, String::new(), "client"),
        (ErrorSource::Downstream, _) => (400, "bad request".into(), "client"),
        _ => (500, e.to_string(), "internal"),
    }
}

async fn write_problem(session: &mut Session, problem: &UpstreamProblem) -> Result<()> {
    let format = if headers::is_websocket_upgrade(session.req_header()) {
        Format::Text
    } else {
        Format::negotiate(
            session
                .req_header()
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok()),
        )
    };
    let (content_type, body) = problem.render(format);
    let marker = (
        http::HeaderName::from_static(ERROR_MARKER),
        http::HeaderValue::from_static("upstream-unavailable"),
    );
    let retry_after = (header::RETRY_AFTER, http::HeaderValue::from_static("1"));
    admin::write(
        session,
        problem.status,
        content_type,
        &body,
        &[marker, retry_after],
    )
    .await
}
