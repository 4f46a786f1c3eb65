//! `/metrics`: request counts and store state in the OpenMetrics text format.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub verb: String,
    pub resource: String,
    pub code: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    store_revision: Gauge,
    store_compact_revision: Gauge,
    cache_resources: Gauge,
    cache_objects: Gauge,
    cache_watchers: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "apiserver_request",
            "Requests answered, by verb, resource and HTTP code",
            requests.clone(),
        );
        let store_revision = Gauge::default();
        registry.register(
            "kelp_store_revision",
            "The store's current revision",
            store_revision.clone(),
        );
        let store_compact_revision = Gauge::default();
        registry.register(
            "kelp_store_compact_revision",
            "The store's compaction point",
            store_compact_revision.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let cache_resources = gauge(
            &mut registry,
            "kelp_watch_cache_resources",
            "Resources the watch cache holds",
        );
        let cache_objects = gauge(
            &mut registry,
            "kelp_watch_cache_objects",
            "Objects the watch cache holds, over all resources",
        );
        let cache_watchers = gauge(
            &mut registry,
            "kelp_watch_cache_watchers",
            "Watches served from the watch cache",
        );
        Metrics {
            registry,
            requests,
            store_revision,
            store_compact_revision,
            cache_resources,
            cache_objects,
            cache_watchers,
        }
    }
}

impl Metrics {
    pub fn request(&self, verb: &str, resource: &str, code: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                verb: verb.to_string(),
                resource: resource.to_string(),
                code: code.to_string(),
            })
            .inc();
    }

    /// The exposition, with the store gauges set from `status` and the cache gauges
    /// from `cache`.
    pub fn render(
        &self,
        status: Option<crate::store::StoreStatus>,
        cache: super::watch_cache::CacheStats,
    ) -> String {
        if let Some(s) = status {
            self.store_revision.set(s.revision);
            self.store_compact_revision.set(s.compact_revision);
        }
        self.cache_resources.set(cache.resources as i64);
        self.cache_objects.set(cache.objects as i64);
        self.cache_watchers.set(cache.watchers as i64);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_and_renders() {
        let m = Metrics::default();
        m.request("get", "pods", 200);
        m.request("get", "pods", 200);
        m.request("create", "configmaps", 409);
        let text = m.render(
            Some(crate::store::StoreStatus {
                revision: 42,
                compact_revision: 7,
            }),
            crate::apiserver::watch_cache::CacheStats {
                resources: 2,
                objects: 30,
                watchers: 4,
            },
        );
        assert!(
            text.contains(r#"apiserver_request_total{verb="get",resource="pods",code="200"} 2"#),
            "{text}"
        );
        assert!(text.contains("kelp_store_revision 42"), "{text}");
        assert!(text.contains("kelp_watch_cache_objects 30"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }
}
