//! Tests of the built-in schemas, and of [`strategic_merge_patch`] with what kubectl
//! really sends for built-in kinds.

use serde_json::{Value, json};

use super::strategic_tests::smp;
use super::{
    BuiltinSchema, FieldMeta, MergeSchema, PatchError, PlainSchema, Strategy, strategic_merge_patch,
};

#[test]
fn errors_name_the_path() {
    let doc = json!({"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}});
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}});
    let schema = BuiltinSchema::for_kind("apps", "Deployment").unwrap();
    match smp(&doc, &patch, schema) {
        Err(PatchError::NoMergeKey { path, key, .. }) => {
            assert_eq!(path, "spec.template.spec.containers");
            assert_eq!(key, "name");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn builtin_schemas_carry_upstream_tags() {
    let merge = FieldMeta::merge_by;
    let cases: &[(&str, &str, &[&str], FieldMeta)] = &[
        ("", "Pod", &["spec", "containers"], merge("name")),
        ("", "Pod", &["spec", "containers", "env"], merge("name")),
        (
            "",
            "Pod",
            &["spec", "containers", "ports"],
            merge("containerPort"),
        ),
        (
            "",
            "Pod",
            &["spec", "initContainers", "volumeMounts"],
            merge("mountPath"),
        ),
        (
            "",
            "Pod",
            &["spec", "ephemeralContainers", "volumeDevices"],
            merge("devicePath"),
        ),
        (
            "",
            "Pod",
            &["spec", "volumes"],
            merge("name").with_retain_keys(),
        ),
        ("", "Pod", &["spec", "imagePullSecrets"], merge("name")),
        ("", "Pod", &["spec", "hostAliases"], merge("ip")),
        (
            "",
            "Pod",
            &["spec", "topologySpreadConstraints"],
            merge("topologyKey"),
        ),
        ("", "Pod", &["spec", "tolerations"], FieldMeta::DEFAULT),
        (
            "",
            "Pod",
            &["spec", "containers", "envFrom"],
            FieldMeta::DEFAULT,
        ),
        (
            "",
            "Pod",
            &["spec", "containers", "name"],
            FieldMeta::DEFAULT,
        ),
        (
            "",
            "Pod",
            &["metadata", "finalizers"],
            FieldMeta::merge_primitives(),
        ),
        ("", "Pod", &["metadata", "ownerReferences"], merge("uid")),
        (
            "",
            "Pod",
            &["metadata", "managedFields"],
            FieldMeta::DEFAULT,
        ),
        ("", "Pod", &["status", "conditions"], merge("type")),
        ("", "Pod", &["status", "podIPs"], merge("ip")),
        (
            "",
            "Pod",
            &["status", "containerStatuses"],
            FieldMeta::DEFAULT,
        ),
        (
            "apps",
            "Deployment",
            &["spec", "template", "spec", "containers", "env"],
            merge("name"),
        ),
        (
            "apps",
            "Deployment",
            &["spec", "template", "metadata", "finalizers"],
            FieldMeta::merge_primitives(),
        ),
        (
            "apps",
            "Deployment",
            &["spec", "strategy"],
            FieldMeta::DEFAULT.with_retain_keys(),
        ),
        (
            "apps",
            "Deployment",
            &["status", "conditions"],
            merge("type"),
        ),
        (
            "apps",
            "StatefulSet",
            &["spec", "template", "spec", "volumes"],
            merge("name").with_retain_keys(),
        ),
        (
            "apps",
            "StatefulSet",
            &["spec", "volumeClaimTemplates"],
            FieldMeta::DEFAULT,
        ),
        (
            "apps",
            "DaemonSet",
            &["spec", "template", "spec", "containers"],
            merge("name"),
        ),
        (
            "batch",
            "Job",
            &["spec", "template", "spec", "containers"],
            merge("name"),
        ),
        (
            "batch",
            "CronJob",
            &[
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "spec",
                "containers",
                "env",
            ],
            merge("name"),
        ),
        (
            "",
            "ReplicationController",
            &["spec", "template", "spec", "containers"],
            merge("name"),
        ),
        (
            "",
            "PodTemplate",
            &["template", "spec", "containers"],
            merge("name"),
        ),
        ("", "Service", &["spec", "ports"], merge("port")),
        ("", "ServiceAccount", &["secrets"], merge("name")),
        ("", "Node", &["spec", "taints"], FieldMeta::DEFAULT),
        (
            "",
            "Node",
            &["spec", "podCIDRs"],
            FieldMeta::merge_primitives(),
        ),
        ("", "Node", &["status", "addresses"], merge("type")),
        (
            "policy",
            "PodDisruptionBudget",
            &["spec", "selector"],
            FieldMeta::replace(),
        ),
        (
            "storage.k8s.io",
            "CSINode",
            &["spec", "drivers"],
            merge("name"),
        ),
        (
            "",
            "ConfigMap",
            &["metadata", "finalizers"],
            FieldMeta::merge_primitives(),
        ),
        ("", "ConfigMap", &["data"], FieldMeta::DEFAULT),
        (
            "rbac.authorization.k8s.io",
            "ClusterRole",
            &["rules"],
            FieldMeta::DEFAULT,
        ),
    ];
    for (group, kind, path, want) in cases {
        let schema = BuiltinSchema::for_kind(group, kind).unwrap_or_else(|| panic!("{kind}"));
        assert_eq!(schema.field(path), *want, "{kind} {path:?}");
    }
    assert!(BuiltinSchema::for_kind("example.com", "Widget").is_none());
    assert!(BuiltinSchema::for_kind("", "Deployment").is_none());
    assert_eq!(
        PlainSchema.field(&["spec", "containers"]).strategy,
        Strategy::Default
    );
}

fn live_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "0d5c1e5e-2d2b-4a55-9c3e-8f1a2b3c4d5e",
            "resourceVersion": "812",
            "generation": 1,
            "labels": {"app": "web"},
            "annotations": {
                "deployment.kubernetes.io/revision": "1",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"old\":true}\n",
            },
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.25",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "env": [
                                {"name": "MODE", "value": "prod"},
                                {"name": "DEBUG", "value": "1"},
                                {"name": "INJECTED", "value": "by-a-webhook"},
                            ],
                            "imagePullPolicy": "IfNotPresent",
                            "terminationMessagePath": "/dev/termination-log",
                            "resources": {},
                        },
                        {"name": "sidecar", "image": "busybox", "args": ["sleep", "3600"]},
                    ],
                    "restartPolicy": "Always",
                    "dnsPolicy": "ClusterFirst",
                },
            },
        },
        "status": {"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]},
    })
}

/// `kubectl apply` of a manifest whose `web` container changes image and loses the
/// `DEBUG` env var (both in the last applied configuration): the patch kubectl 1.33
/// computes, byte for byte in shape.
#[test]
fn kubectl_apply_changes_an_image_and_removes_an_env_var() {
    let patch = br#"{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":true}\n"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"sidecar"}],"containers":[{"$setElementOrder/env":[{"name":"MODE"}],"env":[{"$patch":"delete","name":"DEBUG"}],"image":"nginx:1.26","name":"web"}]}}}}"#;
    let schema = BuiltinSchema::for_kind("apps", "Deployment").unwrap();
    let got = strategic_merge_patch(&live_deployment(), patch, schema).unwrap();

    let mut want = live_deployment();
    want["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        json!("{\"new\":true}\n");
    let web = &mut want["spec"]["template"]["spec"]["containers"][0];
    web["image"] = json!("nginx:1.26");
    // DEBUG is gone; INJECTED, which kubectl never owned, stays after MODE.
    web["env"] = json!([
        {"name": "MODE", "value": "prod"},
        {"name": "INJECTED", "value": "by-a-webhook"},
    ]);
    assert_eq!(got, want);
}

#[test]
fn kubectl_apply_inserts_a_container_where_the_manifest_has_it() {
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "web"}, {"name": "metrics"}, {"name": "sidecar"}],
        "containers": [{"name": "metrics", "image": "exporter:2"}],
    }}}});
    let schema = BuiltinSchema::for_kind("apps", "Deployment").unwrap();
    let got = smp(&live_deployment(), &patch, schema).unwrap();
    let names: Vec<&str> = got["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web", "metrics", "sidecar"]);
    // Without the directive (kubectl patch), the new container goes first.
    let patch = json!({"spec": {"template": {"spec": {
        "containers": [{"name": "metrics", "image": "exporter:2"}],
    }}}});
    let got = smp(&live_deployment(), &patch, schema).unwrap();
    assert_eq!(
        got["spec"]["template"]["spec"]["containers"][0]["name"],
        "metrics"
    );
}

#[test]
fn kubectl_apply_switches_the_deployment_strategy() {
    let patch = json!({"spec": {"strategy": {
        "$retainKeys": ["type"],
        "rollingUpdate": null,
        "type": "Recreate",
    }}});
    let schema = BuiltinSchema::for_kind("apps", "Deployment").unwrap();
    let got = smp(&live_deployment(), &patch, schema).unwrap();
    assert_eq!(got["spec"]["strategy"], json!({"type": "Recreate"}));
}

#[test]
fn builtin_pod_lists_merge_by_their_keys() {
    let pod = json!({
        "metadata": {"name": "p", "finalizers": ["a.example/x", "b.example/y"]},
        "spec": {
            "containers": [{
                "name": "c",
                "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}],
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            }],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "tolerations": [{"key": "a", "operator": "Exists"}],
        },
    });
    let schema = BuiltinSchema::for_kind("", "Pod").unwrap();
    let cases = [
        (
            "kubectl removes a finalizer",
            json!({"metadata": {
                "$setElementOrder/finalizers": ["b.example/y"],
                "$deleteFromPrimitiveList/finalizers": ["a.example/x"],
            }}),
            "/metadata/finalizers",
            json!(["b.example/y"]),
        ),
        (
            "a patched finalizer is added in front",
            json!({"metadata": {"finalizers": ["c.example/z"]}}),
            "/metadata/finalizers",
            json!(["c.example/z", "a.example/x", "b.example/y"]),
        ),
        (
            "ports merge by containerPort",
            json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 443, "name": "https"}]}]}}),
            "/spec/containers/0/ports",
            json!([{"containerPort": 80, "name": "http"}, {"containerPort": 443, "name": "https"}]),
        ),
        (
            "volume mounts merge by mountPath",
            json!({"spec": {"containers": [{"name": "c", "volumeMounts": [{"name": "logs", "mountPath": "/logs"}]}]}}),
            "/spec/containers/0/volumeMounts",
            json!([{"name": "logs", "mountPath": "/logs"}, {"name": "data", "mountPath": "/data"}]),
        ),
        (
            "kubectl switches a volume's source with $retainKeys",
            json!({"spec": {
                "$setElementOrder/volumes": [{"name": "data"}],
                "volumes": [{"$retainKeys": ["hostPath", "name"], "hostPath": {"path": "/srv"}, "name": "data"}],
            }}),
            "/spec/volumes",
            json!([{"name": "data", "hostPath": {"path": "/srv"}}]),
        ),
        (
            "tolerations are atomic",
            json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}),
            "/spec/tolerations",
            json!([{"key": "b", "operator": "Exists"}]),
        ),
    ];
    for (name, patch, pointer, want) in cases {
        let got = smp(&pod, &patch, schema).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.pointer(pointer), Some(&want), "{name}");
    }
}

#[test]
fn builtin_service_ports_merge_by_port() {
    let svc = json!({"spec": {"ports": [
        {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
        {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
    ]}});
    let patch = json!({"spec": {"ports": [{"port": 443, "targetPort": 9443}]}});
    let got = smp(
        &svc,
        &patch,
        BuiltinSchema::for_kind("", "Service").unwrap(),
    )
    .unwrap();
    assert_eq!(
        got["spec"]["ports"],
        json!([
            {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
            {"name": "https", "port": 443, "targetPort": 9443, "protocol": "TCP"},
        ])
    );
    // The same patch on a custom resource's schema replaces the list.
    let got = smp(&svc, &patch, &PlainSchema).unwrap();
    assert_eq!(
        got["spec"]["ports"],
        json!([{"port": 443, "targetPort": 9443}])
    );
}

#[test]
fn builtin_pdb_selector_is_replaced() {
    let pdb = json!({"spec": {"minAvailable": 1, "selector": {
        "matchLabels": {"app": "a"},
        "matchExpressions": [{"key": "tier", "operator": "Exists"}],
    }}});
    let patch = json!({"spec": {"selector": {"matchLabels": {"app": "b"}}}});
    let schema = BuiltinSchema::for_kind("policy", "PodDisruptionBudget").unwrap();
    let got = smp(&pdb, &patch, schema).unwrap();
    assert_eq!(
        got["spec"],
        json!({"minAvailable": 1, "selector": {"matchLabels": {"app": "b"}}})
    );
}
