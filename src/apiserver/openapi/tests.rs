use std::collections::BTreeSet;
use std::sync::LazyLock;

use serde_json::{Value, json};

use super::schema::refs;
use super::*;

const ALL: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const SUB: &[&str] = &["get", "patch", "update"];

fn kind(
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    namespaced: bool,
    verbs: &[&str],
) -> ServedKind {
    ServedKind {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        plural: plural.into(),
        namespaced,
        verbs: verbs.iter().map(|v| (*v).to_owned()).collect(),
    }
}

/// Every built-in resource kelp serves, with some subresources.
fn served() -> Vec<ServedKind> {
    let mut v = Vec::new();
    for (g, ver, k, plural, ns) in [
        ("", "v1", "Namespace", "namespaces", false),
        ("", "v1", "Pod", "pods", true),
        ("", "v1", "Service", "services", true),
        ("", "v1", "Endpoints", "endpoints", true),
        ("", "v1", "ConfigMap", "configmaps", true),
        ("", "v1", "Secret", "secrets", true),
        ("", "v1", "ServiceAccount", "serviceaccounts", true),
        ("", "v1", "Node", "nodes", false),
        ("", "v1", "Event", "events", true),
        ("", "v1", "PodTemplate", "podtemplates", true),
        (
            "",
            "v1",
            "ReplicationController",
            "replicationcontrollers",
            true,
        ),
        ("", "v1", "LimitRange", "limitranges", true),
        ("", "v1", "ResourceQuota", "resourcequotas", true),
        ("", "v1", "PersistentVolume", "persistentvolumes", false),
        (
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
        ),
        ("apps", "v1", "Deployment", "deployments", true),
        ("apps", "v1", "ReplicaSet", "replicasets", true),
        ("apps", "v1", "StatefulSet", "statefulsets", true),
        ("apps", "v1", "DaemonSet", "daemonsets", true),
        (
            "apps",
            "v1",
            "ControllerRevision",
            "controllerrevisions",
            true,
        ),
        ("batch", "v1", "Job", "jobs", true),
        ("batch", "v1", "CronJob", "cronjobs", true),
        (
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            true,
        ),
        ("coordination.k8s.io", "v1", "Lease", "leases", true),
        (
            "discovery.k8s.io",
            "v1",
            "EndpointSlice",
            "endpointslices",
            true,
        ),
        ("events.k8s.io", "v1", "Event", "events", true),
        ("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
        (
            "rbac.authorization.k8s.io",
            "v1",
            "RoleBinding",
            "rolebindings",
            true,
        ),
        (
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            false,
        ),
        (
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            false,
        ),
        ("networking.k8s.io", "v1", "Ingress", "ingresses", true),
        (
            "networking.k8s.io",
            "v1",
            "IngressClass",
            "ingressclasses",
            false,
        ),
        (
            "networking.k8s.io",
            "v1",
            "NetworkPolicy",
            "networkpolicies",
            true,
        ),
        ("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", false),
        (
            "scheduling.k8s.io",
            "v1",
            "PriorityClass",
            "priorityclasses",
            false,
        ),
        (
            "storage.k8s.io",
            "v1",
            "StorageClass",
            "storageclasses",
            false,
        ),
        ("storage.k8s.io", "v1", "CSIDriver", "csidrivers", false),
        ("storage.k8s.io", "v1", "CSINode", "csinodes", false),
        (
            "policy",
            "v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
        ),
        (
            "certificates.k8s.io",
            "v1",
            "CertificateSigningRequest",
            "certificatesigningrequests",
            false,
        ),
        (
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
        ),
    ] {
        v.push(kind(g, ver, k, plural, ns, ALL));
    }
    v.push(kind("", "v1", "Pod", "pods/status", true, SUB));
    v.push(kind("", "v1", "Pod", "pods/log", true, &["get"]));
    v.push(kind(
        "",
        "v1",
        "Eviction",
        "pods/eviction",
        true,
        &["create"],
    ));
    v.push(kind(
        "",
        "v1",
        "TokenRequest",
        "serviceaccounts/token",
        true,
        &["create"],
    ));
    v.push(kind(
        "apps",
        "v1",
        "Deployment",
        "deployments/status",
        true,
        SUB,
    ));
    v.push(kind("apps", "v1", "Scale", "deployments/scale", true, SUB));
    v.push(kind(
        "widgets.example.com",
        "v1",
        "Widget",
        "widgets",
        true,
        ALL,
    ));
    v
}

static API: LazyLock<OpenApi> = LazyLock::new(|| OpenApi::new(&served()));

fn parse(b: &[u8]) -> Value {
    serde_json::from_slice(b).expect("valid JSON")
}

fn v3(path: &str) -> Value {
    parse(API.v3_group_version(path).expect("document exists"))
}

/// Follows `$ref` / single-`allOf` to the referenced definition.
fn deref<'a>(doc: &'a Value, mut s: &'a Value) -> &'a Value {
    loop {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/components/schemas/").expect("v3 ref");
            s = &doc["components"]["schemas"][name];
        } else if let Some([only]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            s = only;
        } else {
            return s;
        }
    }
}

#[test]
fn core_v1_has_pod_with_gvk_and_containers_resolve_to_container() {
    let doc = v3("api/v1");
    assert_eq!(doc["openapi"], "3.0.0");
    assert_eq!(doc["info"]["title"], "Kubernetes");
    let schemas = &doc["components"]["schemas"];
    let pod = &schemas["io.k8s.api.core.v1.Pod"];
    assert_eq!(
        pod["x-kubernetes-group-version-kind"],
        json!([{"group": "", "kind": "Pod", "version": "v1"}])
    );
    let spec = &pod["properties"]["spec"];
    // OpenAPI 3.0 ignores $ref siblings: a described $ref is wrapped like upstream does.
    assert_eq!(
        spec["allOf"],
        json!([{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}])
    );
    assert!(
        spec["description"]
            .as_str()
            .unwrap()
            .contains("desired behavior")
    );
    let containers = &deref(&doc, spec)["properties"]["containers"];
    assert_eq!(containers["type"], "array");
    assert!(
        containers["description"]
            .as_str()
            .unwrap()
            .contains("containers")
    );
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(containers["x-kubernetes-list-type"], "map");
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    assert_eq!(
        containers["items"]["$ref"],
        "#/components/schemas/io.k8s.api.core.v1.Container"
    );
    let container = deref(&doc, &containers["items"]);
    assert!(
        container["description"]
            .as_str()
            .unwrap()
            .contains("single application container")
    );
    assert!(container["properties"]["image"]["description"].is_string());
    let lists = &schemas["io.k8s.api.core.v1.PodList"];
    assert_eq!(
        lists["x-kubernetes-group-version-kind"],
        json!([{"group": "", "kind": "PodList", "version": "v1"}])
    );
    // Upstream's forms of the special types.
    let ios = &schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
    assert_eq!(
        ios["oneOf"],
        json!([{"type": "integer"}, {"type": "string"}])
    );
    assert_eq!(ios["format"], "int-or-string");
    let q = &schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"];
    assert_eq!(q["oneOf"], json!([{"type": "string"}, {"type": "number"}]));
    let time = &schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"];
    assert_eq!(
        (&time["type"], &time["format"]),
        (&json!("string"), &json!("date-time"))
    );
    assert_eq!(
        schemas["io.k8s.api.core.v1.LocalObjectReference"]["x-kubernetes-map-type"],
        "atomic"
    );
}

#[test]
fn every_ref_resolves() {
    for path in API.v3_paths() {
        let doc = v3(path);
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{path}: {r} is not a components ref"));
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{path}: {r} does not resolve"
            );
        }
    }
    let v2 = parse(API.v2());
    let mut all = Vec::new();
    refs(&v2, &mut all);
    for r in all {
        let name = r.strip_prefix("#/definitions/").expect("v2 ref");
        assert!(
            v2["definitions"].get(name).is_some(),
            "v2: {r} does not resolve"
        );
    }
}

#[test]
fn patch_declares_field_validation_and_strategic_merge() {
    let doc = v3("api/v1");
    let item = &doc["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"];
    let patch = &item["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "", "kind": "ConfigMap", "version": "v1"})
    );
    assert_eq!(patch["x-kubernetes-action"], "patch");
    assert_eq!(patch["operationId"], "patchCoreV1NamespacedConfigMap");
    let params = patch["parameters"].as_array().unwrap();
    for name in ["fieldValidation", "dryRun", "fieldManager", "force"] {
        assert!(
            params
                .iter()
                .any(|p| p["name"] == name && p["in"] == "query"),
            "{name} missing"
        );
    }
    let content = patch["requestBody"]["content"].as_object().unwrap();
    assert!(content.contains_key("application/strategic-merge-patch+json"));
    assert!(content.contains_key("application/apply-patch+yaml"));
    for method in ["get", "put", "delete"] {
        assert_eq!(
            item[method]["x-kubernetes-group-version-kind"]["kind"],
            "ConfigMap"
        );
    }
    let coll = &doc["paths"]["/api/v1/namespaces/{namespace}/configmaps"];
    assert_eq!(coll["get"]["x-kubernetes-action"], "list");
    assert_eq!(coll["post"]["x-kubernetes-action"], "post");
    assert_eq!(coll["delete"]["x-kubernetes-action"], "deletecollection");
    assert_eq!(
        doc["paths"]["/api/v1/configmaps"]["get"]["operationId"],
        "listCoreV1ConfigMapForAllNamespaces"
    );
    assert_eq!(
        doc["paths"]["/api/v1/watch/namespaces/{namespace}/configmaps/{name}"]["get"]["x-kubernetes-action"],
        "watch"
    );
    // Cluster-scoped kinds have no namespace segment.
    assert!(doc["paths"]["/api/v1/nodes/{name}"]["patch"].is_object());
    // Every PATCH of every document carries fieldValidation (kubectl stops at the first
    // PATCH operation with the kind's GVK, in random order).
    for path in API.v3_paths() {
        let doc = v3(path);
        for (p, item) in doc["paths"].as_object().unwrap() {
            if let Some(patch) = item.get("patch") {
                let params = patch["parameters"].as_array().unwrap();
                assert!(
                    params
                        .iter()
                        .any(|q| q["name"] == "fieldValidation" && q["in"] == "query"),
                    "{p}"
                );
            }
        }
    }
}

#[test]
fn subresources() {
    let doc = v3("apis/apps/v1");
    let scale = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    assert_eq!(
        scale["patch"]["x-kubernetes-group-version-kind"],
        json!({"group": "autoscaling", "kind": "Scale", "version": "v1"})
    );
    assert_eq!(
        scale["get"]["operationId"],
        "readAppsV1NamespacedDeploymentScale"
    );
    assert!(doc["components"]["schemas"]["io.k8s.api.autoscaling.v1.Scale"].is_object());
    let status = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"];
    assert_eq!(
        status["put"]["x-kubernetes-group-version-kind"]["kind"],
        "Deployment"
    );
    let core = v3("api/v1");
    let eviction = &core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/eviction"];
    assert_eq!(
        eviction["post"]["x-kubernetes-group-version-kind"]["group"],
        "policy"
    );
    assert!(
        core["paths"]
            .get("/api/v1/namespaces/{namespace}/pods/{name}/log")
            .is_none()
    );
    assert!(
        core["paths"]["/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"]["post"]
            .is_object()
    );
}

#[test]
fn root_lists_every_group_version_with_its_hash() {
    let root = parse(API.v3_root());
    let paths = root["paths"].as_object().unwrap();
    for p in [
        "api/v1",
        "apis/apps/v1",
        "apis/batch/v1",
        "apis/autoscaling/v2",
        "apis/rbac.authorization.k8s.io/v1",
        "apis/apiextensions.k8s.io/v1",
    ] {
        let url = paths[p]["serverRelativeURL"].as_str().unwrap();
        let hash = API.v3_hash(p).unwrap();
        assert_eq!(url, format!("/openapi/v3/{p}?hash={hash}"));
        assert_eq!(hash.len(), 32);
    }
    // Unknown kinds (custom resources) are skipped.
    assert!(!paths.contains_key("apis/widgets.example.com/v1"));
    assert_eq!(paths.len(), API.v3_paths().count());
    assert!(API.v3_group_version("/api/v1").is_some());
    assert!(API.v3_group_version("apis/nope/v1").is_none());
    // Stable: the same input renders the same bytes.
    let again = OpenApi::new(&served());
    assert_eq!(again.v3_root(), API.v3_root());
    assert_eq!(again.v2(), API.v2());
}

#[test]
fn v2_has_the_same_definitions() {
    let v2 = parse(API.v2());
    assert_eq!(v2["swagger"], "2.0");
    let defs = v2["definitions"].as_object().unwrap();
    let mut v3_names = BTreeSet::new();
    for path in API.v3_paths() {
        let doc = v3(path);
        v3_names.extend(
            doc["components"]["schemas"]
                .as_object()
                .unwrap()
                .keys()
                .cloned(),
        );
    }
    let v2_names: BTreeSet<String> = defs.keys().cloned().collect();
    assert_eq!(v2_names, v3_names);
    let pod = &defs["io.k8s.api.core.v1.Pod"];
    assert_eq!(pod["x-kubernetes-group-version-kind"][0]["kind"], "Pod");
    // Swagger 2.0 keeps described $refs as they are.
    assert_eq!(
        pod["properties"]["spec"]["$ref"],
        "#/definitions/io.k8s.api.core.v1.PodSpec"
    );
    assert_eq!(
        defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"],
        json!({
            "type": "string",
            "format": "int-or-string",
            "description": defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["description"],
        })
    );
    // No OpenAPI 3.0-only keywords (a property may be *named* oneOf: JSONSchemaProps).
    fn no_v3_keywords(v: &Value, at: &str) {
        match v {
            Value::Object(o) => {
                for k in ["oneOf", "anyOf", "nullable", "not"] {
                    assert!(!o.contains_key(k), "{at} has {k}");
                }
                for (k, c) in o {
                    if k == "properties" {
                        for (p, s) in c.as_object().unwrap() {
                            no_v3_keywords(s, &format!("{at}.{p}"));
                        }
                    } else {
                        no_v3_keywords(c, &format!("{at}/{k}"));
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|c| no_v3_keywords(c, at)),
            _ => {}
        }
    }
    no_v3_keywords(&v2, "");
    let patch = &v2["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"];
    assert!(
        patch["consumes"]
            .as_array()
            .unwrap()
            .contains(&json!("application/strategic-merge-patch+json"))
    );
    let params = patch["parameters"].as_array().unwrap();
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "fieldValidation" && p["type"] == "string")
    );
    assert!(params.iter().any(|p| p["in"] == "body"));
}

#[test]
fn listmeta_rows_match_the_generated_schemas() {
    let mut generator = schema::generator();
    for b in BUILTIN_KINDS {
        (b.subschema)(&mut generator);
    }
    let defs = generator.take_definitions(false);
    let mut checked = 0;
    for (name, fields) in listmeta::FIELDS {
        let Some(def) = defs.get(*name) else { continue };
        for f in *fields {
            assert!(
                def["properties"].get(f.field).is_some(),
                "{name} has no property {}",
                f.field
            );
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked}");
    for b in BUILTIN_KINDS {
        let d = b.definition();
        assert!(defs.contains_key(d.as_ref()), "{d}");
        assert!(d.ends_with(&format!(".{}.{}", b.version, b.kind)), "{d}");
    }
}

#[test]
fn builtin_kind_maps_to_rust_types() {
    let pod = builtin_kind("", "v1", "Pod").unwrap();
    assert_eq!(pod.rust_type, "k8s_openapi::api::core::v1::Pod");
    assert_eq!(pod.definition(), "io.k8s.api.core.v1.Pod");
    assert_eq!(pod.list_definition().unwrap(), "io.k8s.api.core.v1.PodList");
    let e = builtin_kind("events.k8s.io", "v1", "Event").unwrap();
    assert_eq!(e.definition(), "io.k8s.api.events.v1.Event");
    let crd = builtin_kind("apiextensions.k8s.io", "v1", "CustomResourceDefinition").unwrap();
    assert_eq!(
        crd.definition(),
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"
    );
    assert!(builtin_kind("autoscaling", "v1", "Scale").is_some());
    assert!(builtin_kind("", "v1", "Status").is_some());
    assert!(builtin_kind("example.com", "v1", "Widget").is_none());
    for s in served() {
        if !s.plural.contains('/') && s.group != "widgets.example.com" {
            assert!(
                builtin_kind(&s.group, &s.version, &s.kind).is_some(),
                "{s:?}"
            );
        }
    }
}

#[test]
fn custom_resources_get_their_own_document() {
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "description": "What the widget should be.",
                "properties": {
                    "size": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                    "color": {"type": "string", "nullable": true},
                },
            },
        },
    });
    let api = OpenApi::new(&served()).with_custom(
        "widgets.example.com",
        "v1",
        "Widget",
        "widgets",
        true,
        schema.clone(),
    );
    let doc = parse(api.v3_group_version("apis/widgets.example.com/v1").unwrap());
    let w = &doc["components"]["schemas"]["com.example.widgets.v1.Widget"];
    assert_eq!(w["x-kubernetes-group-version-kind"][0]["kind"], "Widget");
    assert_eq!(
        w["properties"]["metadata"]["allOf"][0]["$ref"],
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    );
    assert!(w["properties"]["spec"]["properties"]["size"]["anyOf"].is_array());
    let patch = &doc["paths"]["/apis/widgets.example.com/v1/namespaces/{namespace}/widgets/{name}"]
        ["patch"];
    let content = patch["requestBody"]["content"].as_object().unwrap();
    assert!(!content.contains_key("application/strategic-merge-patch+json"));
    assert!(content.contains_key("application/merge-patch+json"));
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(doc["components"]["schemas"].get(name).is_some(), "{r}");
    }
    let root = parse(api.v3_root());
    assert!(root["paths"]["apis/widgets.example.com/v1"]["serverRelativeURL"].is_string());

    let v2 = parse(api.v2());
    let d = &v2["definitions"]["com.example.widgets.v1.Widget"];
    assert!(
        d["properties"]["spec"]["properties"]["size"]
            .get("anyOf")
            .is_none()
    );
    assert!(
        d["properties"]["spec"]["properties"]["color"]
            .get("nullable")
            .is_none()
    );
    assert!(v2["definitions"]["io.k8s.api.core.v1.Pod"].is_object());
    assert!(v2["paths"]["/apis/widgets.example.com/v1/widgets"]["get"].is_object());
    assert!(v2["paths"]["/api/v1/pods"]["get"].is_object());

    // Re-adding replaces; a second kind joins; both v2 splices stay valid JSON.
    let api = api
        .with_custom(
            "widgets.example.com",
            "v1",
            "Widget",
            "widgets",
            true,
            json!({}),
        )
        .with_custom(
            "gadgets.example.com",
            "v1",
            "Gadget",
            "gadgets",
            false,
            schema,
        );
    let v2 = parse(api.v2());
    assert!(
        v2["definitions"]["com.example.widgets.v1.Widget"]["properties"]
            .get("spec")
            .is_none()
    );
    assert!(v2["definitions"]["com.example.gadgets.v1.GadgetList"].is_object());
    assert!(v2["paths"]["/apis/gadgets.example.com/v1/gadgets/{name}"]["patch"].is_object());

    // A built-in group-version is not taken over.
    let api = api.with_custom("apps", "v1", "Thing", "things", true, json!({}));
    let apps = parse(api.v3_group_version("apis/apps/v1").unwrap());
    assert!(apps["components"]["schemas"].get("apps.v1.Thing").is_none());

    // Custom resources on an OpenApi without built-ins.
    let bare = OpenApi::new(&[]).with_custom("a.example.com", "v1", "A", "as", true, json!({}));
    let v2 = parse(bare.v2());
    assert!(v2["definitions"]["com.example.a.v1.A"].is_object());
    assert!(v2["definitions"]["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].is_object());
}

#[test]
fn sizes() {
    let hwm = || {
        std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .unwrap_or("")
            .to_owned()
    };
    eprintln!("before: {}", hwm());
    let started = std::time::Instant::now();
    let api = OpenApi::new(&served());
    eprintln!("built in {:?}; after: {}", started.elapsed(), hwm());
    let mut total = 0;
    for path in api.v3_paths() {
        let n = api.v3_group_version(path).unwrap().len();
        total += n;
        eprintln!("v3 {path}: {n} bytes");
    }
    eprintln!(
        "v3 total: {total} bytes; v2 JSON: {} bytes; v2 protobuf: {} bytes; all: {} bytes",
        api.v2().len(),
        api.v2_protobuf().len(),
        api.size()
    );
    eprintln!(
        "kept for custom resources: {} bytes of meta/v1 schemas",
        serde_json::to_vec(&api.meta).unwrap().len()
    );
    assert_eq!(
        api.size(),
        total + api.v2().len() + api.v2_protobuf().len() + api.v3_root().len()
    );
}

/// Walks one protobuf message: every field's wire type is valid and lengths add up.
/// Returns (field number, payload) of the length-delimited fields.
fn protobuf_fields(mut b: &[u8]) -> Vec<(u64, &[u8])> {
    fn varint(b: &mut &[u8]) -> u64 {
        let mut v = 0;
        for shift in (0..64).step_by(7) {
            let byte = b[0];
            *b = &b[1..];
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                break;
            }
        }
        v
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = varint(&mut b);
        match key & 7 {
            0 => {
                varint(&mut b);
            }
            1 => b = &b[8..],
            2 => {
                let n = varint(&mut b) as usize;
                out.push((key >> 3, &b[..n]));
                b = &b[n..];
            }
            w => panic!("wire type {w}"),
        }
    }
    out
}

#[test]
fn v2_protobuf_is_a_gnostic_document() {
    let top = protobuf_fields(API.v2_protobuf());
    let numbers: Vec<u64> = top.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [1, 2, 8, 9]);
    assert_eq!(top[0].1, b"2.0");
    // definitions: NamedSchema{name = 1, value = 2}, as many as in JSON.
    let defs = protobuf_fields(top[3].1);
    let v2 = parse(API.v2());
    assert_eq!(defs.len(), v2["definitions"].as_object().unwrap().len());
    let names: Vec<&[u8]> = defs.iter().map(|(_, d)| protobuf_fields(d)[0].1).collect();
    assert!(names.contains(&b"io.k8s.api.core.v1.Pod".as_slice()));
    let paths = protobuf_fields(top[2].1);
    assert_eq!(paths.len(), v2["paths"].as_object().unwrap().len());

    // Custom resources are appended: paths and definitions again, which protobuf merges.
    let api =
        OpenApi::new(&served()).with_custom("a.example.com", "v1", "A", "as", true, json!({}));
    assert!(api.v2_protobuf().starts_with(API.v2_protobuf()));
    let top = protobuf_fields(api.v2_protobuf());
    let numbers: Vec<u64> = top.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [1, 2, 8, 9, 8, 9]);
    let api = api.with_custom("a.example.com", "v1", "A", "as", true, json!({}));
    assert_eq!(protobuf_fields(api.v2_protobuf()).len(), 6);
}
