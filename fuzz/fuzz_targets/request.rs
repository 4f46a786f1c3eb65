//! Whole requests through the API server's handler, as a client's body reaches it:
//! create, update and the four patch types of built-in kinds and a custom resource,
//! in JSON, YAML or protobuf, under every field validation.
//!
//! Input: byte 0 picks the resource, byte 1 the verb, byte 2 the content type and
//! field validation; the rest is the body. Every request is `dryRun=All`.
//!
//! Checked for every input: no panic; no 5xx (a body the server cannot take is the
//! client's error, a 4xx), except where upstream answers the same body with a 500
//! ([`UPSTREAM_500`]); and the store's revision does not move (a dry run writes
//! nothing).

#![no_main]

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::BodyExt;
use kelp::apiserver::ApiServer;
use kelp::pki::Identity;
use kelp::store::Store;
use kelp::store::memory::MemoryStore;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

struct World {
    rt: tokio::runtime::Runtime,
    api: ApiServer,
    store: Arc<dyn Store>,
}

/// (collection path, the seeded object's name)
const RESOURCES: &[(&str, &str)] = &[
    ("/api/v1/namespaces/default/pods", "p"),
    ("/apis/apps/v1/namespaces/default/deployments", "web"),
    ("/api/v1/namespaces/default/services", "s"),
    ("/api/v1/namespaces/default/configmaps", "c"),
    ("/apis/batch/v1/namespaces/default/jobs", "j"),
    ("/apis/example.com/v1/namespaces/default/widgets", "w"),
    ("/api/v1/namespaces", "default"),
];

/// Bad bodies upstream also answers with a 500 (its error is not an API status, so
/// the handler reports it as an internal one): kelp keeps the code.
const UPSTREAM_500: &[&str] = &[
    // strategic merge patch: mergepatch.ErrBadPatchType, ErrNoMergeKey
    "unknown patch type: ",
    "does not contain declared merge key: ",
];

fn admin() -> Identity {
    Identity {
        user: "fuzz".into(),
        groups: vec!["system:masters".into()],
    }
}

fn seeds() -> Vec<(&'static str, Value)> {
    let pod_spec = json!({"containers": [{"name": "c", "image": "nginx",
        "ports": [{"containerPort": 80}], "env": [{"name": "A", "value": "1"}]}]});
    vec![
        (
            RESOURCES[0].0,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p",
                "labels": {"app": "web"}}, "spec": pod_spec}),
        ),
        (
            RESOURCES[1].0,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                    "metadata": {"labels": {"app": "web"}}, "spec": pod_spec}}}),
        ),
        (
            RESOURCES[2].0,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
        ),
        (
            RESOURCES[3].0,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                "data": {"a": "1"}}),
        ),
        (
            RESOURCES[4].0,
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                "spec": {"template": {"spec": {"restartPolicy": "Never",
                    "containers": [{"name": "c", "image": "busybox"}]}}}}),
        ),
    ]
}

fn widgets_crd() -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "required": ["size"], "properties": {
                        "size": {"type": "integer", "minimum": 0, "format": "int32"},
                        "name": {"type": "string", "pattern": "^[a-z]+$", "default": "x"},
                        "ports": {"type": "array", "x-kubernetes-list-type": "map",
                            "x-kubernetes-list-map-keys": ["port"], "items": {"type": "object",
                            "required": ["port"],
                            "properties": {"port": {"type": "integer"}}}},
                        "free": {"type": "object",
                            "x-kubernetes-preserve-unknown-fields": true}}},
                    "status": {"type": "object",
                        "properties": {"ready": {"type": "boolean"}}}}}}}]}})
}

async fn send(api: &ApiServer, req: Request<Bytes>) -> (u16, String) {
    let resp = api.handle(req, Some(admin())).await;
    let status = resp.status().as_u16();
    let body = match resp.into_body().collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        Err(never) => match never {},
    };
    (status, body)
}

fn post(path: &str, obj: &Value) -> Request<Bytes> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json")
        .body(Bytes::from(serde_json::to_vec(obj).expect("serializes")))
        .expect("valid request")
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let api = ApiServer::new(store.clone(), "127.0.0.1:6443".into(), Default::default());
        rt.block_on(async {
            api.bootstrap([127, 0, 0, 1].into(), 6443)
                .await
                .expect("bootstrap");
            let crd = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
            let (code, body) = send(&api, post(crd, &widgets_crd())).await;
            assert_eq!(code, 201, "{body}");
            api.sync_crds().await.expect("CRDs sync");
            let mut objects = seeds();
            objects.push((
                RESOURCES[5].0,
                json!({"apiVersion": "example.com/v1", "kind": "Widget",
                    "metadata": {"name": "w"}, "spec": {"size": 1, "ports": [{"port": 1}]}}),
            ));
            for (path, obj) in objects {
                let (code, body) = send(&api, post(path, &obj)).await;
                assert_eq!(code, 201, "{path}: {body}");
            }
        });
        World { rt, api, store }
    })
}

fuzz_target!(|data: &[u8]| {
    let [resource, verb, encoding, body @ ..] = data else {
        return;
    };
    let w = world();
    let (collection, name) = RESOURCES[*resource as usize % RESOURCES.len()];
    let validation = ["Strict", "Warn", "Ignore"][*encoding as usize / 4 % 3];
    let content = [
        "application/json",
        "application/yaml",
        "application/vnd.kubernetes.protobuf",
        "",
    ][*encoding as usize % 4];
    let item = format!("{collection}/{name}");
    let (method, path, content, extra) = match verb % 8 {
        0 => (Method::POST, collection.to_string(), content, ""),
        1 => (Method::PUT, item, content, ""),
        2 => (Method::PUT, format!("{item}/status"), content, ""),
        3 => (Method::PATCH, item, "application/json-patch+json", ""),
        4 => (Method::PATCH, item, "application/merge-patch+json", ""),
        5 => (
            Method::PATCH,
            item,
            "application/strategic-merge-patch+json",
            "",
        ),
        6 => (
            Method::PATCH,
            item,
            "application/apply-patch+yaml",
            "&fieldManager=fuzz",
        ),
        _ => (
            Method::PATCH,
            format!("{item}/status"),
            "application/apply-patch+yaml",
            "&fieldManager=fuzz&force=true",
        ),
    };
    let uri = format!("{path}?dryRun=All&fieldValidation={validation}{extra}");
    let mut req = Request::builder().method(method).uri(&uri);
    if !content.is_empty() {
        req = req.header("content-type", content);
    }
    let req = req
        .body(Bytes::copy_from_slice(body))
        .expect("valid request");
    w.rt.block_on(async {
        let before = w.store.status().await.expect("status").revision;
        let (code, answer) = send(&w.api, req).await;
        assert!(
            code < 500 || UPSTREAM_500.iter().any(|m| answer.contains(m)),
            "{uri} ({content}): {code} {answer}"
        );
        let after = w.store.status().await.expect("status").revision;
        assert_eq!(before, after, "{uri} ({content}) wrote: {code} {answer}");
    });
});
