//! Prometheus metrics, served at `/metrics`. One registry per service instance (no globals),
//! so tests and the embedded service each count their own.

use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<RouteLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    pub verifications: Family<OutcomeLabels, Counter>,
    pub bypass_codes_issued: Counter,
    pub notifications_failed: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("recovery");
        let http_requests = Family::<RouteLabels, Counter>::default();
        let http_duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
        });
        let verifications = Family::<OutcomeLabels, Counter>::default();
        let bypass_codes_issued = Counter::default();
        let notifications_failed = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests answered",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            http_duration.clone(),
        );
        registry.register(
            "verifications",
            "Verification attempts by outcome (success, failure, refused)",
            verifications.clone(),
        );
        registry.register(
            "bypass_codes_issued",
            "Bypass codes issued",
            bypass_codes_issued.clone(),
        );
        registry.register(
            "notifications_failed",
            "Notifications that could not be delivered",
            notifications_failed.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            verifications,
            bypass_codes_issued,
            notifications_failed,
        }
    }
}

impl Metrics {
    pub fn count_verification(&self, outcome: &str) {
        self.verifications
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
