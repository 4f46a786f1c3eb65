//! The Kubernetes API server: routing, discovery, authorization, the generic registry
//! over the store, watch, patch and server-side printing.
//!
//! [`ApiServer::handle`] answers one request whose body has been read and whose caller
//! has been authenticated; [`serve`] does TLS, authentication, limits and timeouts
//! around it. In-process components will call `handle` through a tower service, on
//! the same code path as remote clients.
//!
//! Architecture Invariant: every failure leaves as an upstream-shaped `Status`
//! ([`crate::api::status::ApiError`]); nothing writes to the store on a request that
//! fails validation.

pub mod allocator;
mod body;
pub mod cel;
pub mod client;
pub mod conversion;
pub mod crd;
pub mod defaults;
mod discovery;
#[cfg(test)]
mod fuzz_smoke;
mod handlers;
pub mod managed;
pub mod metrics;
mod namespace;
pub mod openapi;
pub mod patch;
pub mod protobuf;
pub mod registry;
pub mod request;
pub mod serve;
mod serviceaccount;
pub mod strategy;
pub mod structural;
pub mod table;
pub mod typed;
pub mod validation;
mod watch;
pub mod watch_cache;

use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http::{Request, Response, StatusCode};

pub use body::Body;

use crate::api::ResourceTable;
use crate::api::status::ApiError;
use crate::pki::Identity;
use crate::store::Store;

use request::{Target, Verb};

/// The groups whose members may do anything (authorization is a later, RBAC issue).
pub const SUPERUSER_GROUP: &str = "system:masters";

/// Decides whether an authenticated caller may perform a verb.
pub trait Authorizer: Send + Sync {
    /// `Err` carries the reason shown in the 403.
    fn authorize(
        &self,
        user: &Identity,
        verb: Verb,
        req: &request::ResourceRequest,
    ) -> Result<(), String>;
}

/// Today's authorizer: `system:masters` may do everything, everyone else nothing.
pub struct MastersOnly;

impl Authorizer for MastersOnly {
    fn authorize(
        &self,
        user: &Identity,
        verb: Verb,
        req: &request::ResourceRequest,
    ) -> Result<(), String> {
        // upstream's system:basic-user: every authenticated user may ask who it is
        // and what it may do
        let review = matches!(
            (req.group.as_str(), req.resource.as_str()),
            ("authentication.k8s.io", "selfsubjectreviews")
                | ("authorization.k8s.io", "selfsubjectaccessreviews")
                | ("authorization.k8s.io", "selfsubjectrulesreviews")
        );
        if user.groups.iter().any(|g| g == SUPERUSER_GROUP) || (review && verb == Verb::Create) {
            Ok(())
        } else {
            Err("RBAC is not implemented yet: only system:masters is authorized".into())
        }
    }
}

pub(crate) struct Inner {
    pub registry: registry::Registry,
    pub resources: RwLock<ResourceTable>,
    /// `host:port` clients should use (discovery's serverAddressByClientCIDRs).
    pub server_address: String,
    pub authorizer: Box<dyn Authorizer>,
    /// Built on first use (the documents are megabytes, and most edge clusters
    /// rarely ask for them) and dropped when the CRDs change.
    pub openapi: RwLock<Option<Arc<openapi::OpenApi>>>,
    /// Every CRD, as last synced (printer columns, OpenAPI schemas).
    pub crds: RwLock<Vec<serde_json::Value>>,
    /// Serialises CRD syncs.
    pub crd_sync: tokio::sync::Mutex<()>,
    /// The CRDs' compiled CEL validation rules, refreshed with `crds`.
    pub cel_rules: cel::Rules,
    pub watch_caches: watch_cache::WatchCaches,
    pub metrics: metrics::Metrics,
    /// `/version` and the health endpoints answer anonymous callers.
    pub anonymous_auth: std::sync::atomic::AtomicBool,
    /// Signs and checks service-account tokens; without it TokenRequest is refused.
    pub service_account_key: std::sync::OnceLock<Arc<crate::pki::ServiceAccountKey>>,
}

/// A cheap handle to the API server.
#[derive(Clone)]
pub struct ApiServer {
    inner: Arc<Inner>,
}

/// What kubectl's dispatcher and clients read from `/version`.
pub const KUBERNETES_VERSION: &str = "v1.33.0";

impl ApiServer {
    pub fn new(
        store: Arc<dyn Store>,
        server_address: String,
        ranges: allocator::ServiceRanges,
    ) -> Self {
        ApiServer {
            inner: Arc::new(Inner {
                registry: registry::Registry::new(store.clone(), ranges),
                watch_caches: watch_cache::WatchCaches::new(store),
                metrics: metrics::Metrics::default(),
                resources: RwLock::new(ResourceTable::builtin()),
                server_address,
                authorizer: Box::new(MastersOnly),
                openapi: RwLock::new(None),
                crds: RwLock::new(Vec::new()),
                crd_sync: tokio::sync::Mutex::new(()),
                cel_rules: cel::Rules::default(),
                anonymous_auth: std::sync::atomic::AtomicBool::new(true),
                service_account_key: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Whether `/version` and the health endpoints answer without credentials (the
    /// default, as kube-apiserver's `--anonymous-auth`); off, every path needs them.
    pub fn set_anonymous_auth(&self, allowed: bool) {
        self.inner
            .anonymous_auth
            .store(allowed, std::sync::atomic::Ordering::Relaxed);
    }

    /// The key that signs service-account tokens (set once, at start).
    pub fn set_service_account_key(&self, key: Arc<crate::pki::ServiceAccountKey>) {
        let _ = self.inner.service_account_key.set(key);
    }

    pub(crate) fn service_account_key(&self) -> Option<Arc<crate::pki::ServiceAccountKey>> {
        self.inner.service_account_key.get().cloned()
    }

    /// The identity a bearer token that is not a static token proves: a
    /// service-account token this server issued. `None`: not one (401).
    pub async fn authenticate_token(&self, token: &str) -> Option<Identity> {
        match serviceaccount::authenticate(self, token).await? {
            Ok(id) => Some(id),
            Err(reason) => {
                tracing::debug!(%reason, "service-account token refused");
                None
            }
        }
    }

    /// Creates what a fresh cluster has: the four standard namespaces, and the
    /// `kubernetes` Service in `default` with Endpoints and an EndpointSlice naming
    /// this API server; then serves the stored CRDs' resources. Idempotent, and run at
    /// every start.
    pub async fn bootstrap(&self, address: std::net::IpAddr, port: u16) -> Result<(), ApiError> {
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let obj = serde_json::json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns},
            });
            self.ensure("", "v1", "namespaces", None, obj).await?;
        }
        let ip = self.inner.registry.ranges().first().to_string();
        let labels = serde_json::json!({"component": "apiserver", "provider": "kubernetes"});
        let service = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kubernetes", "labels": labels},
            "spec": {
                "clusterIP": ip,
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}],
                "sessionAffinity": "None",
                "type": "ClusterIP",
            },
        });
        self.ensure("", "v1", "services", Some("default"), service)
            .await?;
        let endpoints = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": [{
                "addresses": [{"ip": address.to_string()}],
                "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
            }],
        });
        self.ensure("", "v1", "endpoints", Some("default"), endpoints)
            .await?;
        let slice = serde_json::json!({
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "labels": {
                "kubernetes.io/service-name": "kubernetes",
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            }},
            "addressType": if address.is_ipv4() { "IPv4" } else { "IPv6" },
            "endpoints": [{"addresses": [address.to_string()], "conditions": {"ready": true}}],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
        });
        self.ensure(
            "discovery.k8s.io",
            "v1",
            "endpointslices",
            Some("default"),
            slice,
        )
        .await?;
        // the custom resources of the CRDs already stored, served from the start
        self.sync_crds().await
    }

    /// Creates `obj` unless an object of that name exists.
    async fn ensure(
        &self,
        group: &str,
        version: &str,
        plural: &str,
        namespace: Option<&str>,
        obj: serde_json::Value,
    ) -> Result<(), ApiError> {
        let info = self
            .resource(group, version, plural)
            .expect("bootstrap resources are built in");
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        match self
            .inner
            .registry
            .create(&info, namespace, obj, &registry::WriteOptions::default())
            .await
        {
            Ok(_) => {
                tracing::info!(resource = plural, name, "created");
                Ok(())
            }
            Err(e) if e.code() == 409 => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn resource(
        &self,
        group: &str,
        version: &str,
        plural: &str,
    ) -> Option<crate::api::ResourceInfo> {
        let table = self.inner.resources.read().expect("poisoned");
        crate::api::resources::find_resource(table.resources(), group, version, plural).cloned()
    }

    fn openapi(&self) -> Arc<openapi::OpenApi> {
        if let Some(doc) = self.inner.openapi.read().expect("poisoned").clone() {
            return doc;
        }
        let doc = {
            let table = self.inner.resources.read().expect("poisoned");
            let builtin: Vec<_> = crate::api::builtin_resources();
            let mut kinds = Vec::new();
            for r in table.resources() {
                if !builtin
                    .iter()
                    .any(|b| b.group == r.group && b.version == r.version && b.plural == r.plural)
                {
                    continue;
                }
                kinds.push(openapi::ServedKind {
                    group: r.group.clone(),
                    version: r.version.clone(),
                    kind: r.kind.clone(),
                    plural: r.plural.clone(),
                    namespaced: r.namespaced,
                    verbs: r.verbs.clone(),
                });
                for sub in &r.subresources {
                    kinds.push(openapi::ServedKind {
                        group: r.group.clone(),
                        version: r.version.clone(),
                        kind: sub.kind.clone(),
                        plural: format!("{}/{}", r.plural, sub.name),
                        namespaced: r.namespaced,
                        verbs: sub.verbs.clone(),
                    });
                }
            }
            let mut doc = openapi::OpenApi::new(&kinds);
            for c in self.inner.crds.read().expect("poisoned").iter() {
                for info in crd::resource_infos(c) {
                    if let Some(schema) = crd::schema(c, &info.version) {
                        doc = doc.with_custom(
                            &info.group,
                            &info.version,
                            &info.kind,
                            &info.plural,
                            info.namespaced,
                            schema,
                        );
                    }
                }
            }
            Arc::new(doc)
        };
        *self.inner.openapi.write().expect("poisoned") = Some(doc.clone());
        doc
    }

    /// A custom resource's structural schema (its CRD version's `openAPIV3Schema`);
    /// `None` for built-in resources.
    pub(crate) fn custom_schema(
        &self,
        info: &crate::api::ResourceInfo,
    ) -> Option<serde_json::Value> {
        let crds = self.inner.crds.read().expect("poisoned");
        crds.iter()
            .find(|c| {
                c["spec"]["group"] == info.group.as_str()
                    && c["spec"]["names"]["plural"] == info.plural.as_str()
            })
            .and_then(|c| crd::schema(c, &info.version))
    }

    /// A custom resource version's compiled CEL validation rules, if it has any.
    pub(crate) fn cel_rules(&self, info: &crate::api::ResourceInfo) -> Option<Arc<cel::Validator>> {
        self.inner
            .cel_rules
            .get(&info.group, &info.plural, &info.version)
    }

    /// The field types server-side apply and managedFields use for a resource: the
    /// built-in kind's, the CRD version's schema, or nothing known (every field deduced).
    pub(crate) fn field_schema(&self, info: &crate::api::ResourceInfo) -> Arc<managed::Schema> {
        if let Some(b) = openapi::builtin_kind(&info.group, &info.version, &info.kind)
            && let Some(s) = managed::Schema::builtin(&b.definition())
        {
            return Arc::new(s);
        }
        let crds = self.inner.crds.read().expect("poisoned");
        let schema = crds
            .iter()
            .find(|c| {
                c["spec"]["group"] == info.group.as_str()
                    && c["spec"]["names"]["plural"] == info.plural.as_str()
            })
            .and_then(|c| crd::schema(c, &info.version));
        Arc::new(match schema {
            Some(s) => managed::Schema::custom(&s),
            None => managed::Schema::deduced(),
        })
    }

    /// A custom resource's printer columns (its CRD's, or the default Age); `None`
    /// for built-in resources.
    pub(crate) fn printer_columns(
        &self,
        info: &crate::api::ResourceInfo,
    ) -> Option<Vec<crd::PrinterColumn>> {
        let crds = self.inner.crds.read().expect("poisoned");
        let c = crds.iter().find(|c| {
            c["spec"]["group"] == info.group.as_str()
                && c["spec"]["names"]["plural"] == info.plural.as_str()
        })?;
        Some(crd::printer_columns(c, &info.version).unwrap_or_else(|| {
            vec![crd::PrinterColumn {
                name: "Age".into(),
                kind: "date".into(),
                format: String::new(),
                description: String::new(),
                priority: 0,
                json_path: ".metadata.creationTimestamp".into(),
            }]
        }))
    }

    /// Re-reads every CRD, establishes new ones and serves their resources.
    pub async fn sync_crds(&self) -> Result<(), ApiError> {
        let _one_at_a_time = self.inner.crd_sync.lock().await;
        let info = self
            .resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            .expect("CRDs are built in");
        let registry = &self.inner.registry;
        let listed = registry
            .list(&info, None, &registry::ListOptions::default())
            .await?;
        let mut crds = Vec::with_capacity(listed.items.len());
        for c in listed.items {
            let deleting = registry::meta_str(&c, "deletionTimestamp").is_some();
            let new_storage = crd::unrecorded_storage_version(&c);
            if deleting || (crd::is_established(&c) && new_storage.is_none()) {
                crds.push(c);
                continue;
            }
            let name = registry::meta_str(&c, "name").unwrap_or("").to_string();
            let status = if crd::is_established(&c) {
                // a new storage version joins status.storedVersions, as upstream
                // records every version objects may still be stored at
                let mut status = c["status"].clone();
                let mut stored = status["storedVersions"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                stored.extend(new_storage.map(serde_json::Value::String));
                status["storedVersions"] = serde_json::Value::Array(stored);
                status
            } else {
                crd::accepted_status(&c, &registry::now_rfc3339())
            };
            let updated = registry
                .update(
                    &info,
                    None,
                    &name,
                    Some("status"),
                    &registry::WriteOptions::default(),
                    |old| {
                        let mut new = old.clone();
                        new["status"] = status.clone();
                        Ok(new)
                    },
                )
                .await?;
            tracing::info!(crd = name, "established");
            crds.push(updated);
        }
        let table = crd::table_with(&crds);
        registry.conversions().set(&crds);
        self.inner.cel_rules.set(&crds);
        *self.inner.resources.write().expect("poisoned") = table;
        *self.inner.crds.write().expect("poisoned") = crds;
        *self.inner.openapi.write().expect("poisoned") = None;
        Ok(())
    }

    fn openapi_v2(&self, req: &Request<Bytes>) -> Response<Body> {
        let wants_proto = req
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("com.github.proto-openapi.spec.v2"));
        let doc = self.openapi();
        let (ct, bytes) = if wants_proto {
            (openapi::V2_PROTOBUF_CONTENT_TYPE, doc.v2_protobuf())
        } else {
            ("application/json", doc.v2())
        };
        Response::builder()
            .status(StatusCode::OK)
            .header(http::header::CONTENT_TYPE, ct)
            .body(body::full(Bytes::copy_from_slice(bytes)))
            .expect("valid response")
    }

    /// `/openapi/v3` and its group versions. As upstream: a group version asked for
    /// with the hash the root advertises may be cached for good (`public,
    /// immutable`); with another hash it redirects (301) to the current one; without
    /// one it is not cached.
    fn openapi_v3(
        &self,
        path: Option<&str>,
        hash: Option<&str>,
    ) -> Result<Response<Body>, ApiError> {
        let doc = self.openapi();
        let not_found = || path_not_found("the server could not find the requested resource");
        let (bytes, current) = match path {
            None => (doc.v3_root(), None),
            Some(p) => (
                doc.v3_group_version(p).ok_or_else(not_found)?,
                doc.v3_hash(p),
            ),
        };
        let mut resp = Response::builder().header(http::header::CONTENT_TYPE, "application/json");
        if let Some(current) = current {
            resp = resp.header(http::header::ETAG, format!("\"{current}\""));
        }
        match (path, hash, current) {
            (Some(p), Some(h), Some(current)) if !h.is_empty() && h != current => {
                return Ok(resp
                    .status(StatusCode::MOVED_PERMANENTLY)
                    .header(
                        http::header::LOCATION,
                        format!("/openapi/v3/{}?hash={current}", p.trim_start_matches('/')),
                    )
                    .header(http::header::CACHE_CONTROL, "no-cache, private")
                    .body(body::full(Bytes::new()))
                    .expect("valid response"));
            }
            (Some(_), Some(h), Some(_)) if !h.is_empty() => {
                resp = resp.header(http::header::CACHE_CONTROL, "public, immutable");
            }
            _ => resp = resp.header(http::header::CACHE_CONTROL, "no-cache, private"),
        }
        Ok(resp
            .status(StatusCode::OK)
            .body(body::full(Bytes::copy_from_slice(bytes)))
            .expect("valid response"))
    }

    async fn metrics_response(&self) -> Response<Body> {
        let status = self.inner.registry.store().status().await.ok();
        Response::builder()
            .status(StatusCode::OK)
            .header(
                http::header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )
            .body(body::full(
                self.inner
                    .metrics
                    .render(status, self.inner.watch_caches.stats()),
            ))
            .expect("valid response")
    }

    /// Answers one request. `user` is `None` for an anonymous caller.
    pub async fn handle(&self, req: Request<Bytes>, user: Option<Identity>) -> Response<Body> {
        let query = request::parse_query(req.uri().query());
        let watch = request::query_bool(&query, "watch").unwrap_or(false);
        let target = request::parse(req.method(), req.uri().path(), watch);
        let (verb, resource) = match &target {
            Target::Resource(r) => (
                r.verb.as_str().to_string(),
                match &r.subresource {
                    Some(sub) => format!("{}/{sub}", r.resource),
                    None => r.resource.clone(),
                },
            ),
            _ => (req.method().as_str().to_lowercase(), String::new()),
        };
        let anonymous_ok = self
            .inner
            .anonymous_auth
            .load(std::sync::atomic::Ordering::Relaxed);
        let result = match target {
            Target::Version | Target::Health(..) if user.is_none() && !anonymous_ok => {
                Err(ApiError::unauthorized())
            }
            Target::Version => Ok(discovery::version()),
            Target::Health(check, _) => discovery::health(self, check, &query).await,
            _ if user.is_none() => Err(ApiError::unauthorized()),
            Target::CoreVersions => Ok(discovery::core_versions(self, &req)),
            Target::Groups => Ok(discovery::groups(self, &req)),
            Target::Group { group } => discovery::group(self, &group),
            Target::GroupVersion { group, version } => {
                discovery::group_version(self, &group, &version)
            }
            Target::OpenApiV2 => Ok(self.openapi_v2(&req)),
            Target::OpenApiV3(path) => {
                self.openapi_v3(path.as_deref(), query.get("hash").map(String::as_str))
            }
            Target::Metrics => Ok(self.metrics_response().await),
            Target::OpenIdConfiguration => serviceaccount::openid_configuration(self),
            Target::Jwks => serviceaccount::jwks(self),
            Target::NotFound => Err(path_not_found(
                "the server could not find the requested resource",
            )),
            Target::Resource(r) => {
                let user = user.as_ref().expect("checked above");
                match self.inner.authorizer.authorize(user, r.verb, &r) {
                    Ok(()) => handlers::resource(self, req, r, query, user).await,
                    Err(reason) => Err(forbidden(user, &r, &reason)),
                }
            }
        };
        let resp = result.unwrap_or_else(|e| error_response(&e));
        self.inner
            .metrics
            .request(&verb, &resource, resp.status().as_u16());
        resp
    }
}

/// A 404 for a path that names no resource (`"details":{}` as upstream).
pub(crate) fn path_not_found(msg: &str) -> ApiError {
    ApiError::not_found(&crate::api::GroupResource::new("", ""), "").with_message(msg)
}

fn forbidden(user: &Identity, r: &request::ResourceRequest, reason: &str) -> ApiError {
    let resource = crate::api::GroupResource::new(r.group.clone(), r.resource.clone());
    let scope = match &r.namespace {
        Some(ns) => format!(" in the namespace \"{ns}\""),
        None => " at the cluster scope".to_string(),
    };
    let what = if r.group.is_empty() {
        format!("resource \"{}\" in API group \"\"", r.resource)
    } else {
        format!("resource \"{}\" in API group \"{}\"", r.resource, r.group)
    };
    ApiError::forbidden(
        &resource,
        r.name.as_deref().unwrap_or(""),
        &format!(
            "User \"{}\" cannot {} {what}{scope}: {reason}",
            user.user,
            r.verb.as_str()
        ),
    )
}

/// A JSON body; like Go's encoder, kube-apiserver ends every body with a newline.
pub(crate) fn json_response(status: StatusCode, mut bytes: Vec<u8>) -> Response<Body> {
    bytes.push(b'\n');
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body::full(bytes))
        .expect("valid response")
}

pub(crate) fn error_response(e: &ApiError) -> Response<Body> {
    let mut resp = json_response(
        StatusCode::from_u16(e.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        e.to_json(),
    );
    if let Some(secs) = e.retry_after_seconds() {
        resp.headers_mut()
            .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
    }
    resp
}
