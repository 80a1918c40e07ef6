//! Every `litevite_*` metric family (DESIGN §6), declared once with help text, in the
//! gateway's own registry; rendered in the Prometheus text format. Labels are bounded:
//! upstream names, methods, status codes, result words — never paths.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Buckets for a dev proxy: sub-millisecond (cache hits, 304s) to seconds (cold Vite transforms).
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets for generators: tens of milliseconds (routes.ts) to a minute (openapi-ts).
const CODEGEN_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub request_duration: HistogramVec,
    pub upstream_up: IntGaugeVec,
    pub upstream_errors: IntCounterVec,
    pub websocket_connections: IntGaugeVec,
    pub websocket_upgrades: IntCounterVec,
    pub websocket_early_closes: IntCounterVec,
    pub health_checks: IntCounterVec,
    pub codegen_runs: IntCounterVec,
    pub codegen_duration: HistogramVec,
    pub config_reloads: IntCounterVec,
    pub rejected_requests: IntCounterVec,
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric definition");
    registry
        .register(Box::new(c.clone()))
        .expect("metric registered once");
    c
}

fn gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric definition");
    registry
        .register(Box::new(g.clone()))
        .expect("metric registered once");
    g
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> HistogramVec {
    let h = HistogramVec::new(
        HistogramOpts::new(name, help).buckets(buckets.to_vec()),
        labels,
    )
    .expect("valid metric definition");
    registry
        .register(Box::new(h.clone()))
        .expect("metric registered once");
    h
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        #[cfg(target_os = "linux")]
        {
            let pc = prometheus::process_collector::ProcessCollector::for_self();
            let _ = registry.register(Box::new(pc));
        }
        let r = &registry;
        Metrics {
            requests: counter(r, "litevite_requests_total", "Requests answered, by upstream (or \"gateway\"), method and status.", &["upstream", "method", "status"]),
            request_duration: histogram(r, "litevite_request_duration_seconds", "Time from request to the end of the response, by upstream.", &["upstream"], LATENCY_BUCKETS),
            upstream_up: gauge(r, "litevite_upstream_up", "1 when the upstream passes its health checks, 0 otherwise.", &["upstream"]),
            upstream_errors: counter(r, "litevite_upstream_errors_total", "Failed proxy attempts, by upstream and kind (refused, timeout, reset, unavailable, invalid).", &["upstream", "kind"]),
            websocket_connections: gauge(r, "litevite_websocket_connections", "WebSocket tunnels open now, by upstream.", &["upstream"]),
            websocket_upgrades: counter(r, "litevite_websocket_upgrades_total", "WebSocket upgrade attempts, by upstream and result (ok, refused, failed).", &["upstream", "result"]),
            websocket_early_closes: counter(r, "litevite_websocket_early_closes_total", "Non-ping WebSocket tunnels that ended within 100 ms of the 101 (pingora#946 watch).", &["upstream"]),
            health_checks: counter(r, "litevite_health_checks_total", "Active health checks, by upstream and result (ok, fail).", &["upstream", "result"]),
            codegen_runs: counter(r, "litevite_codegen_runs_total", "Generator runs, by generator and result (ok, error).", &["generator", "result"]),
            codegen_duration: histogram(r, "litevite_codegen_duration_seconds", "Generator run time, by generator.", &["generator"], CODEGEN_BUCKETS),
            config_reloads: counter(r, "litevite_config_reloads_total", "Config file reloads, by result (ok, error, restart_needed).", &["result"]),
            rejected_requests: counter(r, "litevite_rejected_requests_total", "Requests refused before routing, by reason.", &["reason"]),
            registry,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }

    /// A bounded method label.
    pub fn method_label(method: &http::Method) -> &'static str {
        match *method {
            http::Method::GET => "GET",
            http::Method::HEAD => "HEAD",
            http::Method::POST => "POST",
            http::Method::PUT => "PUT",
            http::Method::PATCH => "PATCH",
            http::Method::DELETE => "DELETE",
            http::Method::OPTIONS => "OPTIONS",
            _ => "OTHER",
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_rendered_once_used() {
        let m = Metrics::new();
        m.requests.with_label_values(&["app", "GET", "200"]).inc();
        m.request_duration
            .with_label_values(&["app"])
            .observe(0.002);
        m.upstream_up.with_label_values(&["app"]).set(1);
        m.upstream_errors
            .with_label_values(&["vite", "refused"])
            .inc();
        m.websocket_connections.with_label_values(&["vite"]).set(0);
        m.websocket_upgrades
            .with_label_values(&["vite", "ok"])
            .inc();
        m.websocket_early_closes
            .with_label_values(&["vite"])
            .inc_by(0);
        m.health_checks.with_label_values(&["app", "ok"]).inc();
        m.codegen_runs.with_label_values(&["routes.ts", "ok"]).inc();
        m.codegen_duration
            .with_label_values(&["routes.ts"])
            .observe(0.01);
        m.config_reloads.with_label_values(&["ok"]).inc();
        let text = m.render();
        for name in [
            "litevite_requests_total{method=\"GET\",status=\"200\",upstream=\"app\"} 1",
            "litevite_request_duration_seconds_bucket",
            "litevite_upstream_up{upstream=\"app\"} 1",
            "litevite_upstream_errors_total",
            "litevite_websocket_connections",
            "litevite_websocket_upgrades_total",
            "litevite_health_checks_total",
            "litevite_codegen_runs_total",
            "litevite_codegen_duration_seconds_bucket",
            "litevite_config_reloads_total",
            "process_resident_memory_bytes",
        ] {
            assert!(text.contains(name), "missing {name}");
        }
    }
}
