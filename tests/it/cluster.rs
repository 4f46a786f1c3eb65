//! In-process cluster tests: the store, the API server and a kube-rs client that
//! talks to it through the in-process tower service (no socket, no TLS).

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};

use kelp::apiserver::ApiServer;
use kelp::apiserver::allocator::ServiceRanges;
use kelp::pki::Identity;
use kelp::raft::RaftStore;
use kelp::store::Store;

/// A one-server cluster inside the test process.
pub struct TestCluster {
    _dir: tempfile::TempDir,
    pub store: Arc<RaftStore>,
    pub api: ApiServer,
}

impl TestCluster {
    pub async fn start() -> Self {
        Self::start_in(tempfile::tempdir().unwrap()).await
    }

    /// Stops this cluster's store and starts a new server on the same data.
    pub async fn restart(self) -> Self {
        let TestCluster { _dir, store, api } = self;
        drop(api);
        store.shutdown().await.unwrap();
        drop(store);
        Self::start_in(_dir).await
    }

    async fn start_in(dir: tempfile::TempDir) -> Self {
        let store = Arc::new(RaftStore::open(dir.path()).await.unwrap());
        let api = ApiServer::new(
            store.clone() as Arc<dyn Store>,
            "127.0.0.1:6443".into(),
            ServiceRanges::default(),
        );
        api.bootstrap("127.0.0.1".parse().unwrap(), 6443)
            .await
            .unwrap();
        TestCluster {
            _dir: dir,
            store,
            api,
        }
    }

    /// A client acting as the cluster admin.
    pub fn client(&self) -> kube::Client {
        kelp::apiserver::client::in_process_client(
            self.api.clone(),
            Identity {
                user: "system:admin".into(),
                groups: vec!["system:masters".into()],
            },
        )
    }
}

fn configmap(name: &str, app: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"app": app}},
        "data": {"k": "v"},
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_client_crud_conflicts_and_watch() {
    let cluster = TestCluster::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");

    let created = cms
        .create(&PostParams::default(), &configmap("a", "web"))
        .await
        .unwrap();
    assert!(created.metadata.uid.is_some() && created.metadata.resource_version.is_some());
    cms.create(&PostParams::default(), &configmap("b", "db"))
        .await
        .unwrap();

    let web = cms
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap();
    assert_eq!(web.items.len(), 1);
    assert_eq!(web.items[0].metadata.name.as_deref(), Some("a"));

    // optimistic concurrency: a stale resourceVersion is a 409
    let mut stale = created.clone();
    let mut fresh = created.clone();
    fresh.data = Some([("k".to_string(), "v2".to_string())].into());
    cms.replace("a", &PostParams::default(), &fresh)
        .await
        .unwrap();
    stale.data = Some([("k".to_string(), "v3".to_string())].into());
    match cms.replace("a", &PostParams::default(), &stale).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 409, "{s:?}"),
        other => panic!("stale update was not refused: {other:?}"),
    }
    assert_eq!(cms.get("a").await.unwrap().data.unwrap()["k"], "v2");

    // a watch from the list's resourceVersion sees later changes in order
    let rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut events = cms
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    cms.create(&PostParams::default(), &configmap("c", "web"))
        .await
        .unwrap();
    cms.delete("b", &DeleteParams::default()).await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(10), events.try_next())
            .await
            .expect("event within 10 s")
            .unwrap()
            .expect("stream open");
        match ev {
            WatchEvent::Added(cm) => seen.push(format!("added {}", cm.metadata.name.unwrap())),
            WatchEvent::Deleted(cm) => seen.push(format!("deleted {}", cm.metadata.name.unwrap())),
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, vec!["added c", "deleted b"]);
    cluster.store.shutdown().await.unwrap();
}

fn widgets(cluster: &TestCluster, version: &str, plural: &str) -> Api<kube::api::DynamicObject> {
    let kind = if plural == "widgets" {
        "Widget"
    } else {
        "Gadget"
    };
    let gvk = kube::api::GroupVersionKind::gvk("example.com", version, kind);
    let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, plural);
    Api::namespaced_with(cluster.client(), "default", &ar)
}

fn two_version_crd(
    plural: &str,
    kind: &str,
    storage: &str,
    conversion: serde_json::Value,
) -> serde_json::Value {
    let schema = serde_json::json!({"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}});
    serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.example.com")},
        "spec": {"group": "example.com", "scope": "Namespaced", "conversion": conversion,
            "names": {"plural": plural, "singular": kind.to_lowercase(), "kind": kind},
            "versions": [
                {"name": "v1beta1", "served": true, "storage": storage == "v1beta1", "schema": schema},
                {"name": "v1", "served": true, "storage": storage == "v1", "schema": schema}]}})
}

async fn apply_crd(cluster: &TestCluster, crd: serde_json::Value) -> serde_json::Value {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let crds: Api<CustomResourceDefinition> = Api::all(cluster.client());
    let name = crd["metadata"]["name"].as_str().unwrap().to_string();
    let crd: CustomResourceDefinition = serde_json::from_value(crd).unwrap();
    let pp = kube::api::PatchParams::apply("test").force();
    crds.patch(&name, &pp, &kube::api::Patch::Apply(&crd))
        .await
        .unwrap();
    // established (and its storedVersions recorded) once the write has answered
    serde_json::to_value(crds.get(&name).await.unwrap()).unwrap()
}

/// A CRD serving two versions: each reads and writes the same objects, stored at the
/// storage version and shown at the request's (strategy None); a Webhook strategy is
/// refused when a conversion would be needed, not answered with the wrong version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_resources_convert_between_served_versions() {
    let cluster = TestCluster::start().await;
    let crd = apply_crd(
        &cluster,
        two_version_crd(
            "widgets",
            "Widget",
            "v1beta1",
            serde_json::json!({"strategy": "None"}),
        ),
    )
    .await;
    assert_eq!(
        crd["status"]["storedVersions"],
        serde_json::json!(["v1beta1"])
    );
    let (beta, v1) = (
        widgets(&cluster, "v1beta1", "widgets"),
        widgets(&cluster, "v1", "widgets"),
    );
    let w = |name: &str, version: &str| -> kube::api::DynamicObject {
        serde_json::from_value(
            serde_json::json!({"apiVersion": format!("example.com/{version}"),
            "kind": "Widget", "metadata": {"name": name}, "spec": {"size": 1}}),
        )
        .unwrap()
    };
    let created = beta
        .create(&PostParams::default(), &w("a", "v1beta1"))
        .await
        .unwrap();
    assert_eq!(created.types.unwrap().api_version, "example.com/v1beta1");
    let stored = |name: &str| {
        let store = cluster.store.clone();
        let key = format!("/registry/example.com/widgets/default/{name}");
        async move {
            let kv = store.get(key.as_bytes()).await.unwrap().expect("stored");
            serde_json::from_slice::<serde_json::Value>(&kv.value).unwrap()["apiVersion"].clone()
        }
    };
    assert_eq!(stored("a").await, "example.com/v1beta1");

    // read at the other version: get, a list from the watch cache, a paged list
    let got = v1.get("a").await.unwrap();
    assert_eq!(got.types.as_ref().unwrap().api_version, "example.com/v1");
    assert_eq!(got.data["spec"]["size"], 1);
    let listed = v1.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    let raw = cluster
        .client()
        .request_text(
            http::Request::get("/apis/example.com/v1/namespaces/default/widgets")
                .body(vec![])
                .unwrap(),
        )
        .await
        .unwrap();
    let raw: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(raw["items"][0]["apiVersion"], "example.com/v1", "{raw}");
    let paged = cluster
        .client()
        .request_text(
            http::Request::get("/apis/example.com/v1/namespaces/default/widgets?limit=1")
                .body(vec![])
                .unwrap(),
        )
        .await
        .unwrap();
    let paged: serde_json::Value = serde_json::from_str(&paged).unwrap();
    assert_eq!(paged["items"][0]["apiVersion"], "example.com/v1", "{paged}");

    // a watch at v1 sees a v1beta1 write at v1
    let rv = listed.metadata.resource_version.unwrap();
    let mut events = v1
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    let patch = serde_json::json!({"spec": {"size": 2}});
    beta.patch(
        "a",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&patch),
    )
    .await
    .unwrap();
    match events.try_next().await.unwrap() {
        Some(WatchEvent::Modified(o)) => {
            assert_eq!(o.types.unwrap().api_version, "example.com/v1");
            assert_eq!(o.data["spec"]["size"], 2);
        }
        other => panic!("expected MODIFIED, got {other:?}"),
    }
    // an update at v1 of an object stored at v1beta1 stays stored at the storage version
    let mut cur = v1.get("a").await.unwrap();
    cur.data["spec"]["size"] = serde_json::json!(3);
    let replaced = v1.replace("a", &PostParams::default(), &cur).await.unwrap();
    assert_eq!(replaced.types.unwrap().api_version, "example.com/v1");
    assert_eq!(stored("a").await, "example.com/v1beta1");

    // the storage version moves to v1: new writes are stored there, older objects are
    // still read at either version, and storedVersions lists both
    let crd = apply_crd(
        &cluster,
        two_version_crd(
            "widgets",
            "Widget",
            "v1",
            serde_json::json!({"strategy": "None"}),
        ),
    )
    .await;
    assert_eq!(
        crd["status"]["storedVersions"],
        serde_json::json!(["v1beta1", "v1"])
    );
    beta.create(&PostParams::default(), &w("b", "v1beta1"))
        .await
        .unwrap();
    assert_eq!(stored("b").await, "example.com/v1");
    assert_eq!(
        beta.get("b").await.unwrap().types.unwrap().api_version,
        "example.com/v1beta1"
    );
    assert_eq!(
        beta.get("a").await.unwrap().types.unwrap().api_version,
        "example.com/v1beta1"
    );

    // Webhook: served at the stored version; any other version is a clear 500
    apply_crd(
        &cluster,
        two_version_crd(
            "gadgets",
            "Gadget",
            "v1",
            serde_json::json!({"strategy": "Webhook", "webhook": {
                "clientConfig": {"url": "https://127.0.0.1:9/convert"},
                "conversionReviewVersions": ["v1"]}}),
        ),
    )
    .await;
    let (gbeta, gv1) = (
        widgets(&cluster, "v1beta1", "gadgets"),
        widgets(&cluster, "v1", "gadgets"),
    );
    let mut g = w("g", "v1");
    g.types.as_mut().unwrap().kind = "Gadget".into();
    gv1.create(&PostParams::default(), &g).await.unwrap();
    assert_eq!(gv1.get("g").await.unwrap().data["spec"]["size"], 1);
    match gbeta.get("g").await {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.code, 500, "{s:?}");
            assert!(
                s.message
                    .contains("conversion webhook for example.com/v1beta1, Kind=Gadget failed"),
                "{s:?}"
            );
        }
        other => panic!("expected a 500, got {other:?}"),
    }
    let mut g2 = w("g2", "v1beta1");
    g2.types.as_mut().unwrap().kind = "Gadget".into();
    assert!(gbeta.create(&PostParams::default(), &g2).await.is_err());
    assert!(
        gv1.get("g2").await.is_err(),
        "a refused conversion stores nothing"
    );
}

/// Each kind's own rules run on create and update: a 422 naming the fields, and
/// nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_objects_of_each_kind_are_refused_with_their_fields() {
    let cluster = TestCluster::start().await;
    let client = cluster.client();
    let send = |method: &str, path: &str, body: serde_json::Value| {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .unwrap();
        let client = client.clone();
        async move {
            match client.request::<serde_json::Value>(req).await {
                Ok(v) => Ok(v),
                Err(kube::Error::Api(s)) => Err(s),
                Err(e) => panic!("{e}"),
            }
        }
    };
    let fields = |s: &kube::core::Status| -> Vec<String> {
        s.details
            .as_ref()
            .map(|d| d.causes.iter().map(|c| c.field.clone()).collect())
            .unwrap_or_default()
    };
    // (path, object, a field the 422 must name)
    let cases = [
        (
            "/api/v1/namespaces/default/pods",
            serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c"}]}}),
            "spec.containers[0].image",
        ),
        (
            "/apis/apps/v1/namespaces/default/deployments",
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {
                    "metadata": {"labels": {"app": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
            "spec.template.metadata.labels",
        ),
        (
            "/api/v1/namespaces/default/services",
            serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                "spec": {"ports": [{"port": 70000}]}}),
            "spec.ports[0].port",
        ),
        (
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            serde_json::json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "things.example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "things", "kind": "Thing"},
                    "versions": [{"name": "v1", "served": true, "storage": false,
                        "schema": {"openAPIV3Schema": {"type": "string"}}}]}}),
            "spec.validation.openAPIV3Schema.type",
        ),
    ];
    for (path, obj, field) in cases.clone() {
        let err = send("POST", path, obj.clone()).await.unwrap_err();
        assert_eq!(
            (err.code, err.reason.as_str()),
            (422, "Invalid"),
            "{path}: {err:?}"
        );
        assert!(
            fields(&err).iter().any(|f| f == field),
            "{path}: {field} not in {err:?}"
        );
        let name = obj["metadata"]["name"].as_str().unwrap();
        let got = send("GET", &format!("{path}/{name}"), serde_json::json!({})).await;
        assert_eq!(got.unwrap_err().code, 404, "{path}: stored anyway");
    }
    // a YAML body that does not parse: 400, nothing stored
    let req = http::Request::post("/api/v1/namespaces/default/configmaps")
        .header("content-type", "application/yaml")
        .body(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y\n".to_vec())
        .unwrap();
    match client.request::<serde_json::Value>(req).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (400, "BadRequest"), "{s:?}");
            assert!(
                s.message.starts_with("error converting YAML to JSON"),
                "{s:?}"
            );
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    let got = send(
        "GET",
        "/api/v1/namespaces/default/configmaps/y",
        serde_json::json!({}),
    )
    .await;
    assert_eq!(got.unwrap_err().code, 404);
    // the CRD's other causes, in upstream's words
    let err = send("POST", cases[3].0, cases[3].1.clone())
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("must have exactly one version marked as storage version"),
        "{err:?}"
    );
    // update rules: a Deployment's selector is immutable
    let good = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {
            "metadata": {"labels": {"app": "a", "tier": "x"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
    send(
        "POST",
        "/apis/apps/v1/namespaces/default/deployments",
        good.clone(),
    )
    .await
    .unwrap();
    let mut changed = good;
    changed["spec"]["selector"] = serde_json::json!({"matchLabels": {"tier": "x"}});
    let err = send(
        "PUT",
        "/apis/apps/v1/namespaces/default/deployments/d",
        changed,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, 422, "{err:?}");
    assert!(fields(&err).iter().any(|f| f == "spec.selector"), "{err:?}");
}

/// After a restart the stored CRDs are served again (discovery and their objects), and
/// deleting one still deletes its objects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_resources_are_served_after_a_restart() {
    let cluster = TestCluster::start().await;
    apply_crd(
        &cluster,
        two_version_crd(
            "widgets",
            "Widget",
            "v1",
            serde_json::json!({"strategy": "None"}),
        ),
    )
    .await;
    let w: kube::api::DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "a"},
        "spec": {"size": 1}}))
    .unwrap();
    widgets(&cluster, "v1", "widgets")
        .create(&PostParams::default(), &w)
        .await
        .unwrap();

    let cluster = cluster.restart().await;
    let got = widgets(&cluster, "v1beta1", "widgets")
        .get("a")
        .await
        .unwrap();
    assert_eq!(got.data["spec"]["size"], 1);
    let discovery = cluster
        .client()
        .request_text(
            http::Request::get("/apis/example.com/v1")
                .body(vec![])
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(discovery.contains("\"widgets\""), "{discovery}");

    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let crds: Api<CustomResourceDefinition> = Api::all(cluster.client());
    crds.delete("widgets.example.com", &DeleteParams::default())
        .await
        .unwrap();
    let left = cluster
        .store
        .get(b"/registry/example.com/widgets/default/a")
        .await
        .unwrap();
    assert!(left.is_none(), "the CRD's objects outlived it");
}

/// resourceVersion on reads: a revision the store has not reached is upstream's 504
/// `Too large resource version`; a watch without initial events starts now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_versions_in_the_future_and_watches_from_now() {
    let cluster = TestCluster::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    let a = cms
        .create(&PostParams::default(), &configmap("a", "x"))
        .await
        .unwrap();
    let rv: i64 = a.metadata.resource_version.unwrap().parse().unwrap();
    let future = (rv + 1000).to_string();
    let get = cluster
        .client()
        .request::<serde_json::Value>(
            http::Request::get(format!(
                "/api/v1/namespaces/default/configmaps/a?resourceVersion={future}"
            ))
            .body(vec![])
            .unwrap(),
        )
        .await;
    let list = cms.list(&ListParams::default().at(&future)).await;
    for result in [get.map(|_| ()), list.map(|_| ())] {
        match result {
            Err(kube::Error::Api(s)) => {
                assert_eq!((s.code, s.reason.as_str()), (504, "Timeout"), "{s:?}");
                assert!(
                    s.message.starts_with(&format!(
                        "Timeout: Too large resource version: {future}, current: "
                    )),
                    "{s:?}"
                );
            }
            other => panic!("expected a 504, got {other:?}"),
        }
    }
    // the current revision and older ones are fine
    cms.list(&ListParams::default().at(&rv.to_string()))
        .await
        .unwrap();

    // sendInitialEvents=false without a resourceVersion: only what happens next
    let req = http::Request::get(
        "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=false&timeoutSeconds=10",
    )
    .body(vec![])
    .unwrap();
    let mut events = cluster
        .client()
        .request_events::<ConfigMap>(req)
        .await
        .unwrap()
        .boxed();
    cms.create(&PostParams::default(), &configmap("b", "x"))
        .await
        .unwrap();
    match events.try_next().await.unwrap() {
        Some(WatchEvent::Added(cm)) => assert_eq!(cm.metadata.name.as_deref(), Some("b")),
        other => panic!("expected ADDED b first, got {other:?}"),
    }
}

/// An events.k8s.io/v1 Event is a core/v1 Event seen through another API, as
/// upstream stores them: each API lists, gets and watches what the other wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_both_apis_are_the_same_objects() {
    use k8s_openapi::api::core::v1::Event as CoreEvent;
    use k8s_openapi::api::events::v1::Event;
    let cluster = TestCluster::start().await;
    let events: Api<Event> = Api::namespaced(cluster.client(), "default");
    let core: Api<CoreEvent> = Api::namespaced(cluster.client(), "default");
    let e: Event = serde_json::from_value(serde_json::json!({
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "pulled"},
        "eventTime": "2026-12-03T10:00:00.000000Z", "reportingController": "kelp/kubelet",
        "reportingInstance": "node-1", "action": "Pulling", "reason": "Pulled", "type": "Normal",
        "note": "image pulled", "regarding": {"kind": "Pod", "namespace": "default", "name": "web"}}))
    .unwrap();
    events.create(&PostParams::default(), &e).await.unwrap();
    let seen = core.get("pulled").await.unwrap();
    assert_eq!(seen.message.as_deref(), Some("image pulled"));
    assert_eq!(seen.involved_object.name.as_deref(), Some("web"));
    assert_eq!(seen.reporting_component.as_deref(), Some("kelp/kubelet"));
    let listed = core.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].message.as_deref(), Some("image pulled"));

    // a watch of the events API sees a core write in its own form
    let rv = events
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = events
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    let c: CoreEvent = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "started"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web"},
        "reason": "Started", "message": "container started", "type": "Normal",
        "source": {"component": "kubelet"}, "count": 1}))
    .unwrap();
    core.create(&PostParams::default(), &c).await.unwrap();
    match stream.try_next().await.unwrap() {
        Some(WatchEvent::Added(ev)) => {
            assert_eq!(ev.note.as_deref(), Some("container started"));
            assert_eq!(ev.deprecated_count, Some(1));
            assert_eq!(ev.regarding.unwrap().name.as_deref(), Some("web"));
        }
        other => panic!("expected ADDED, got {other:?}"),
    }
    assert_eq!(
        events
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    // each API selects with its own field names, on the same objects
    let names = |list: Vec<Event>| {
        let mut n: Vec<String> = list.into_iter().filter_map(|e| e.metadata.name).collect();
        n.sort();
        n
    };
    for (selector, want) in [
        ("regarding.name=web", vec!["pulled", "started"]),
        ("reportingController=kelp/kubelet", vec!["pulled"]),
        ("reason=Started,type=Normal", vec!["started"]),
        ("source=kubelet", vec!["started"]),
        ("source=kelp/kubelet", vec!["pulled"]),
        ("regarding.kind!=Pod", vec![]),
    ] {
        let got = events
            .list(&ListParams::default().fields(selector))
            .await
            .unwrap();
        assert_eq!(names(got.items), want, "{selector}");
    }
    let err = events
        .list(&ListParams::default().fields("involvedObject.name=web"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 400 && s.message == "field label not supported: involvedObject.name"),
        "{err:?}"
    );
    let core_started = core
        .list(&ListParams::default().fields("involvedObject.name=web,reason=Started"))
        .await
        .unwrap();
    assert_eq!(core_started.items.len(), 1);
    assert!(
        core.list(&ListParams::default().fields("regarding.name=web"))
            .await
            .is_err()
    );
    events
        .delete("started", &DeleteParams::default())
        .await
        .unwrap();
    assert!(core.get_opt("started").await.unwrap().is_none());
}

/// /openapi/v3 group versions are cacheable for good at the hash the root names
/// (what kubectl's OpenAPI cache relies on), redirected from a stale hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_v3_hashes_make_documents_cacheable() {
    use http_body_util::BodyExt;
    let cluster = TestCluster::start().await;
    let admin = Identity {
        user: "system:admin".into(),
        groups: vec!["system:masters".into()],
    };
    let get = |uri: String| {
        let api = cluster.api.clone();
        let admin = admin.clone();
        async move {
            let req = http::Request::get(uri).body(bytes::Bytes::new()).unwrap();
            let resp = api.handle(req, Some(admin)).await;
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.unwrap().to_bytes();
            (parts, body)
        }
    };
    let (_, root) = get("/openapi/v3".into()).await;
    let root: serde_json::Value = serde_json::from_slice(&root).unwrap();
    let url = root["paths"]["api/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let (parts, body) = get(url.clone()).await;
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["cache-control"], "public, immutable");
    let hash = url.split_once("?hash=").unwrap().1;
    assert_eq!(parts.headers["etag"], format!("\"{hash}\"").as_str());
    assert!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["components"].is_object());

    let (parts, _) = get("/openapi/v3/api/v1?hash=0123".into()).await;
    assert_eq!(parts.status, 301);
    assert_eq!(parts.headers["location"], url.as_str());
    let (parts, _) = get("/openapi/v3/api/v1".into()).await;
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["cache-control"], "no-cache, private");
}

/// Pages carry remainingItemCount; generateName creates a unique name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_count_what_remains_and_generate_name_picks_names() {
    let cluster = TestCluster::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    let mut names = std::collections::BTreeSet::new();
    for _ in 0..3 {
        let mut cm = configmap("", "gen");
        cm.metadata.name = None;
        cm.metadata.generate_name = Some("gen-".into());
        let created = cms.create(&PostParams::default(), &cm).await.unwrap();
        let name = created.metadata.name.unwrap();
        assert!(name.starts_with("gen-") && name.len() == 9, "{name}");
        names.insert(name);
    }
    assert_eq!(names.len(), 3, "{names:?}");
    let first = cms.list(&ListParams::default().limit(1)).await.unwrap();
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.metadata.remaining_item_count, Some(2));
    let token = first.metadata.continue_.clone().unwrap();
    let second = cms
        .list(&ListParams::default().limit(1).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(second.metadata.remaining_item_count, Some(1));
    let rest = cms
        .list(
            &ListParams::default()
                .limit(5)
                .continue_token(second.metadata.continue_.as_deref().unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.metadata.remaining_item_count, None);
    assert!(rest.metadata.continue_.as_deref().unwrap_or("").is_empty());
}

/// A streaming list (sendInitialEvents=true): the current objects as ADDED events,
/// then a bookmark marking the end of them, then changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_lists_end_their_initial_events_with_a_bookmark() {
    let cluster = TestCluster::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    for name in ["a", "b"] {
        cms.create(&PostParams::default(), &configmap(name, "x"))
            .await
            .unwrap();
    }
    let req = http::Request::get(
        "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=10",
    )
    .body(vec![])
    .unwrap();
    let mut events = cluster
        .client()
        .request_events::<ConfigMap>(req)
        .await
        .unwrap()
        .boxed();
    let mut added = vec![];
    loop {
        match events.try_next().await.unwrap() {
            Some(WatchEvent::Added(cm)) => added.push(cm.metadata.name.unwrap()),
            Some(WatchEvent::Bookmark(b)) => {
                assert_eq!(
                    b.metadata
                        .annotations
                        .get("k8s.io/initial-events-end")
                        .map(String::as_str),
                    Some("true"),
                    "{:?}",
                    b.metadata.annotations
                );
                assert!(!b.metadata.resource_version.is_empty());
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    added.sort();
    assert_eq!(added, ["a", "b"]);
    cms.create(&PostParams::default(), &configmap("c", "x"))
        .await
        .unwrap();
    match events.try_next().await.unwrap() {
        Some(WatchEvent::Added(cm)) => assert_eq!(cm.metadata.name.as_deref(), Some("c")),
        other => panic!("expected ADDED c, got {other:?}"),
    }
}

/// A watch that allowed bookmarks gets one 2 s before its timeoutSeconds (upstream's
/// cacher does so, so clients resume from a recent revision), at the revision of
/// what it has seen; then it ends. One that did not allow them gets none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_get_a_bookmark_before_they_time_out() {
    let cluster = TestCluster::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");
    let first = cms
        .create(&PostParams::default(), &configmap("first", "x"))
        .await
        .unwrap();
    let mut rv = first.metadata.resource_version.unwrap();
    for allow in [true, false] {
        let req = http::Request::get(format!(
            "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}&allowWatchBookmarks={allow}&timeoutSeconds=3"
        ))
        .body(vec![])
        .unwrap();
        let started = std::time::Instant::now();
        let mut events = cluster
            .client()
            .request_events::<ConfigMap>(req)
            .await
            .unwrap()
            .boxed();
        let name = format!("during-{allow}");
        let made = cms
            .create(&PostParams::default(), &configmap(&name, "x"))
            .await
            .unwrap();
        rv = made.metadata.resource_version.unwrap();
        let made_rv: i64 = rv.parse().unwrap();
        let mut seen = vec![];
        while let Some(ev) = events.try_next().await.unwrap() {
            seen.push(match ev {
                WatchEvent::Added(cm) => format!("ADDED {}", cm.metadata.name.unwrap()),
                WatchEvent::Bookmark(b) => {
                    let at: i64 = b.metadata.resource_version.parse().unwrap();
                    assert!(at >= made_rv, "bookmark at {at}, before {made_rv}");
                    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
                    "BOOKMARK".to_string()
                }
                other => format!("{other:?}"),
            });
        }
        // the stream ended at the timeout, not before
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(2900),
            "{seen:?}"
        );
        let mut want = vec![format!("ADDED {name}")];
        if allow {
            want.push("BOOKMARK".into());
        }
        assert_eq!(seen, want);
    }
}

/// RBAC bindings are validated as upstream does: an invalid RoleBinding is refused
/// with each cause's field, reason and message, and nothing is stored; a stored
/// binding's roleRef cannot be changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_role_bindings_are_refused_and_not_stored() {
    use k8s_openapi::api::rbac::v1::RoleBinding;
    let cluster = TestCluster::start().await;
    let bindings: Api<RoleBinding> = Api::namespaced(cluster.client(), "default");
    let binding = |name: &str, kind: &str, subject_kind: &str| -> RoleBinding {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": "view"},
            "subjects": [{"kind": subject_kind, "name": "jane"}],
        }))
        .unwrap()
    };
    let err = match bindings
        .create(&PostParams::default(), &binding("bad", "Pod", "Robot"))
        .await
    {
        Err(kube::Error::Api(s)) => s,
        other => panic!("expected a 422, got {other:?}"),
    };
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"), "{err:?}");
    let causes: Vec<(String, String, String)> = err
        .details
        .as_ref()
        .map(|d| {
            d.causes
                .iter()
                .map(|c| (c.field.clone(), c.reason.clone(), c.message.clone()))
                .collect()
        })
        .unwrap_or_default();
    let want = [
        (
            "roleRef.kind",
            "FieldValueNotSupported",
            "Unsupported value: \"Pod\": supported values: \"Role\", \"ClusterRole\"",
        ),
        (
            "subjects[0].kind",
            "FieldValueNotSupported",
            "Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
        ),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(f, r, m)| (f.to_string(), r.to_string(), m.to_string()))
        .collect();
    assert_eq!(causes, want, "{err:?}");
    match bindings.get("bad").await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 404, "stored anyway: {s:?}"),
        other => panic!("stored anyway: {other:?}"),
    }
    // a valid binding is stored; its roleRef then cannot change
    let good = bindings
        .create(
            &PostParams::default(),
            &binding("good", "ClusterRole", "User"),
        )
        .await
        .unwrap();
    assert_eq!(
        good.subjects.as_ref().unwrap()[0].api_group.as_deref(),
        Some("rbac.authorization.k8s.io"),
        "defaulted"
    );
    let mut changed = good.clone();
    changed.role_ref.name = "edit".into();
    match bindings
        .replace("good", &PostParams::default(), &changed)
        .await
    {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.code, 422, "{s:?}");
            assert!(s.message.contains("cannot change roleRef"), "{s:?}");
        }
        other => panic!("expected a 422, got {other:?}"),
    }
    assert_eq!(bindings.get("good").await.unwrap().role_ref.name, "view");
}
