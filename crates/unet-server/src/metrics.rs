//! Request metrics kept in process: one series per (method, matched route, status) with a
//! count, a latency sum and a latency histogram. `/metrics` exposes them in the Prometheus text
//! format; `/api/v1/metrics/snapshot` summarises them (average and p95 in milliseconds).
//!
//! Labels are bounded: the route is the router's matched pattern (or `(unmatched)`), the method
//! one of the standard verbs (or `OTHER`), so a caller cannot grow the registry at will.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Histogram upper bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SeriesKey {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    /// Observations at or below each bound of [`BUCKETS`] (not cumulative).
    buckets: [u64; BUCKETS.len()],
}

impl Series {
    fn observe(&mut self, seconds: f64) {
        self.count += 1;
        self.sum_seconds += seconds;
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i] += 1;
        }
    }
}

/// Device job duration bounds, seconds: devices answer in hundredths of seconds to minutes.
const JOB_BUCKETS: [f64; 12] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// Runs of one device job (collections, polls) by result, and one duration histogram over all.
#[derive(Debug, Default, Clone)]
struct JobRuns {
    by_result: BTreeMap<&'static str, u64>,
    count: u64,
    sum_seconds: f64,
    buckets: [u64; JOB_BUCKETS.len()],
}

impl JobRuns {
    fn record(&mut self, result: &'static str, seconds: f64) {
        *self.by_result.entry(result).or_default() += 1;
        self.count += 1;
        self.sum_seconds += seconds;
        if let Some(i) = JOB_BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i] += 1;
        }
    }

    /// `<name>s_total{result}` and the `<name>_duration_seconds` histogram.
    fn text(&self, out: &mut String, name: &str, what: &str, duration_help: &str) {
        let _ = writeln!(out, "# HELP unet_{name}s_total {what}, by result.");
        let _ = writeln!(out, "# TYPE unet_{name}s_total counter");
        for (result, n) in &self.by_result {
            let _ = writeln!(out, "unet_{name}s_total{{result=\"{result}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP unet_{name}_duration_seconds {duration_help}");
        let _ = writeln!(out, "# TYPE unet_{name}_duration_seconds histogram");
        let mut cumulative = 0;
        for (bound, n) in JOB_BUCKETS.iter().zip(self.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "unet_{name}_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "unet_{name}_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "unet_{name}_duration_seconds_sum {}", self.sum_seconds);
        let _ = writeln!(out, "unet_{name}_duration_seconds_count {}", self.count);
    }
}

/// The registry shared by the middleware and the metrics endpoints.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<SeriesKey, Series>>,
    database_errors: AtomicU64,
    collections: Mutex<JobRuns>,
    polls: Mutex<JobRuns>,
}

/// Marks a response as the answer to a database failure (set where an error becomes a
/// response), so that [`record`] counts it in `unet_database_errors_total`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DatabaseFailure;

/// Totals over every series, for the JSON snapshot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestTotals {
    pub requests: u64,
    pub server_errors: u64,
    pub duration_avg_ms: f64,
    pub duration_p95_ms: f64,
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    pub fn observe(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        let key = SeriesKey {
            method: method_label(method),
            route: route.to_string(),
            status,
        };
        self.series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .observe(seconds);
    }

    /// Counts one failure of the database: a statement or connection that failed, or the
    /// health check query refused or timed out.
    pub fn database_error(&self) {
        self.database_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Database failures met since the start.
    pub fn database_errors(&self) -> u64 {
        self.database_errors.load(Ordering::Relaxed)
    }

    /// Counts one collection attempt ending in `result` (a fixed word) after `seconds`.
    pub fn collection(&self, result: &'static str, seconds: f64) {
        self.collections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(result, seconds);
    }

    /// Counts one SNMP poll ending in `result` (a fixed word) after `seconds`.
    pub fn poll(&self, result: &'static str, seconds: f64) {
        self.polls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(result, seconds);
    }

    fn jobs_text(&self, out: &mut String) {
        let collections = self
            .collections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        collections.text(
            out,
            "collection",
            "Running-configuration collections",
            "Time to collect one device's running configuration.",
        );
        let polls = self
            .polls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        polls.text(
            out,
            "poll",
            "SNMP polls",
            "Time to poll one device's system group, interfaces and neighbours.",
        );
    }

    fn copy(&self) -> BTreeMap<SeriesKey, Series> {
        self.series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn totals(&self) -> RequestTotals {
        let series = self.copy();
        let mut merged = Series::default();
        let mut server_errors = 0;
        for (key, s) in &series {
            merged.count += s.count;
            merged.sum_seconds += s.sum_seconds;
            for (m, b) in merged.buckets.iter_mut().zip(s.buckets) {
                *m += b;
            }
            if key.status >= 500 {
                server_errors += s.count;
            }
        }
        let avg = if merged.count == 0 {
            0.0
        } else {
            merged.sum_seconds / merged.count as f64 * 1000.0
        };
        RequestTotals {
            requests: merged.count,
            server_errors,
            duration_avg_ms: round3(avg),
            duration_p95_ms: round3(percentile(&merged, 0.95) * 1000.0),
        }
    }

    /// The Prometheus text exposition of the request series plus `extra` gauges/counters
    /// (name, help, type, value).
    pub fn prometheus(&self, extra: &[(&str, &str, &str, f64)]) -> String {
        let series = self.copy();
        let mut out = String::new();
        out.push_str("# HELP unet_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE unet_http_requests_total counter\n");
        for (k, s) in &series {
            let _ = writeln!(out, "unet_http_requests_total{{{}}} {}", labels(k), s.count);
        }
        out.push_str("# HELP unet_http_request_duration_seconds Time to answer an HTTP request.\n");
        out.push_str("# TYPE unet_http_request_duration_seconds histogram\n");
        for (k, s) in &series {
            let l = labels(k);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "unet_http_request_duration_seconds_bucket{{{l},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "unet_http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "unet_http_request_duration_seconds_sum{{{l}}} {}",
                s.sum_seconds
            );
            let _ = writeln!(
                out,
                "unet_http_request_duration_seconds_count{{{l}}} {}",
                s.count
            );
        }
        self.jobs_text(&mut out);
        for (name, help, kind, value) in extra {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}

fn labels(k: &SeriesKey) -> String {
    format!(
        "method=\"{}\",route=\"{}\",status=\"{}\"",
        k.method,
        escape_label(&k.route),
        k.status
    )
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Upper bound of the bucket holding quantile `q`; observations above the last bound count as
/// that bound (the histogram cannot say more).
fn percentile(s: &Series, q: f64) -> f64 {
    if s.count == 0 {
        return 0.0;
    }
    let rank = (s.count as f64 * q).ceil() as u64;
    let mut seen = 0;
    for (bound, n) in BUCKETS.iter().zip(s.buckets) {
        seen += n;
        if seen >= rank {
            return *bound;
        }
    }
    BUCKETS[BUCKETS.len() - 1]
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Middleware: records every answered request under its matched route.
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(unmatched)".to_string());
    let response = next.run(request).await;
    if response.extensions().get::<DatabaseFailure>().is_some() {
        metrics.database_error();
    }
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_average_and_p95_come_from_the_observations() {
        let m = Metrics::default();
        for _ in 0..19 {
            m.observe(&Method::GET, "/api/v1/nodes", 200, 0.002);
        }
        m.observe(&Method::POST, "/api/v1/nodes", 500, 0.4);
        let t = m.totals();
        assert_eq!(t.requests, 20);
        assert_eq!(t.server_errors, 1);
        assert!((t.duration_avg_ms - 21.9).abs() < 0.01, "{t:?}");
        assert_eq!(t.duration_p95_ms, 2.5);
    }

    #[test]
    fn prometheus_text_carries_method_route_status_and_escapes_labels() {
        let m = Metrics::default();
        m.observe(&Method::GET, "/a\"b", 404, 0.003);
        m.observe(
            &Method::from_bytes(b"BREW").unwrap(),
            "(unmatched)",
            405,
            20.0,
        );
        let text = m.prometheus(&[("unet_uptime_seconds", "Uptime.", "gauge", 5.0)]);
        assert!(text.contains(
            "unet_http_requests_total{method=\"GET\",route=\"/a\\\"b\",status=\"404\"} 1"
        ));
        assert!(
            text.contains("method=\"OTHER\",route=\"(unmatched)\",status=\"405\",le=\"10\"} 0")
        );
        assert!(text.contains("status=\"405\",le=\"+Inf\"} 1"));
        assert!(text.contains("# TYPE unet_uptime_seconds gauge\nunet_uptime_seconds 5"));
    }
}
