//! CEL validation rules (`x-kubernetes-validations`) of a CRD, in-process: the CRD
//! is refused when a rule does not compile; custom resources that break a rule are
//! refused (422, upstream's causes) and not stored; transition rules compare with the
//! stored object on update and patch.

use serde_json::{Value, json};

use crate::cluster::TestCluster;

fn crd(rule: &str) -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gizmos.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object",
                        "x-kubernetes-validations": [{"rule": rule}],
                        "properties": {
                            "replicas": {"type": "integer"},
                            "max": {"type": "integer"},
                            "zone": {"type": "string",
                                "x-kubernetes-validations": [
                                    {"rule": "self == oldSelf", "message": "is immutable"}]}}}}}}}]}})
}

async fn send(
    client: &kube::Client,
    method: &str,
    path: &str,
    content_type: &str,
    body: Value,
) -> Result<Value, kube::core::Status> {
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap();
    match client.request::<Value>(req).await {
        Ok(v) => Ok(v),
        Err(kube::Error::Api(s)) => Err(*s),
        Err(e) => panic!("{e}"),
    }
}

fn causes(s: &kube::core::Status) -> Vec<Value> {
    s.details
        .as_ref()
        .map(|d| {
            d.causes
                .iter()
                .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                .collect()
        })
        .unwrap_or_default()
}

const CRDS: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const GIZMOS: &str = "/apis/example.com/v1/namespaces/default/gizmos";

fn gizmo(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Gizmo", "metadata": {"name": name}, "spec": spec})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crd_rules_validate_custom_resources() {
    let cluster = TestCluster::start().await;
    let client = cluster.client();
    const JSON: &str = "application/json";

    // a rule that does not compile: the CRD is refused, with upstream's field
    let err = send(&client, "POST", CRDS, JSON, crd("self.nope > 1"))
        .await
        .unwrap_err();
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"), "{err:?}");
    let c = causes(&err);
    assert_eq!(c.len(), 1, "{err:?}");
    assert_eq!(
        c[0]["field"],
        "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule"
    );
    let msg = c[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("compilation failed: ERROR: <input>:1:5: undefined field 'nope'"),
        "{msg}"
    );
    let missing = send(
        &client,
        "GET",
        &format!("{CRDS}/gizmos.example.com"),
        JSON,
        json!({}),
    )
    .await;
    assert_eq!(missing.unwrap_err().code, 404);
    // nor does a 10,000-deep rule crash anything
    let deep = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
    let err = send(&client, "POST", CRDS, JSON, crd(&deep))
        .await
        .unwrap_err();
    assert_eq!(err.code, 422, "{err:?}");

    send(
        &client,
        "POST",
        CRDS,
        JSON,
        crd("self.replicas <= self.max"),
    )
    .await
    .unwrap();
    // the CRD is established in-line; its resources are served once that answered
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let bad = gizmo("bad", json!({"replicas": 3, "max": 2}));
    let err = loop {
        match send(&client, "POST", GIZMOS, JSON, bad.clone()).await {
            Err(s) if s.code == 404 && std::time::Instant::now() < deadline => continue,
            other => break other.unwrap_err(),
        }
    };
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"), "{err:?}");
    assert_eq!(
        causes(&err),
        [json!({"reason": "FieldValueInvalid",
            "message": "Invalid value: \"object\": failed rule: self.replicas <= self.max",
            "field": "spec"})]
    );
    assert_eq!(
        err.message,
        "Gizmo.example.com \"bad\" is invalid: spec: Invalid value: \"object\": failed rule: self.replicas <= self.max"
    );
    let got = send(&client, "GET", &format!("{GIZMOS}/bad"), JSON, json!({})).await;
    assert_eq!(got.unwrap_err().code, 404, "stored anyway");

    // a good one is stored; changing an immutable field is refused by PUT and PATCH
    let good = gizmo("good", json!({"replicas": 1, "max": 2, "zone": "a"}));
    let created = send(&client, "POST", GIZMOS, JSON, good).await.unwrap();
    assert_eq!(created["spec"]["zone"], "a");
    let mut moved = created.clone();
    moved["spec"]["zone"] = json!("b");
    let immutable = [json!({"reason": "FieldValueInvalid",
        "message": "Invalid value: \"string\": is immutable", "field": "spec.zone"})];
    let err = send(&client, "PUT", &format!("{GIZMOS}/good"), JSON, moved)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, causes(&err)),
        (422, immutable.to_vec()),
        "{err:?}"
    );
    let err = send(
        &client,
        "PATCH",
        &format!("{GIZMOS}/good"),
        "application/merge-patch+json",
        json!({"spec": {"zone": "b"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (err.code, causes(&err)),
        (422, immutable.to_vec()),
        "{err:?}"
    );
    // other changes are fine
    let patched = send(
        &client,
        "PATCH",
        &format!("{GIZMOS}/good"),
        "application/merge-patch+json",
        json!({"spec": {"replicas": 2}}),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            patched["spec"]["replicas"].clone(),
            patched["spec"]["zone"].clone()
        ),
        (json!(2), json!("a"))
    );
    let stored = send(&client, "GET", &format!("{GIZMOS}/good"), JSON, json!({}))
        .await
        .unwrap();
    assert_eq!(stored["spec"]["zone"], "a");
}
