//! Objects as kelp stores them: defaulted, then validated. What defaulting produces
//! from a valid object must stay valid.

use serde_json::{Value, json};

use super::lines;
use crate::api::ResourceInfo;
use crate::apiserver::defaults;

fn info(group: &str, kind: &str) -> ResourceInfo {
    crate::api::builtin_resources()
        .into_iter()
        .find(|r| r.group == group && r.kind == kind)
        .unwrap_or_else(|| panic!("{group}/{kind}"))
}

fn defaulted_lines(group: &str, kind: &str, mut obj: Value) -> Vec<String> {
    defaults::apply(&info(group, kind), &mut obj);
    lines(group, kind, &obj, None)
}

/// A realistic pod spec using every rule area: probes of each kind, hooks, volumes of
/// each common source, security contexts, affinity and spread constraints.
fn pod_spec(restart: &str) -> Value {
    let probe_exec = json!({"exec": {"command": ["cat", "/tmp/ready"]}});
    json!({
        "restartPolicy": restart,
        "serviceAccountName": "web",
        "securityContext": {
            "runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 2000,
            "supplementalGroups": [3000], "fsGroupChangePolicy": "OnRootMismatch",
            "seccompProfile": {"type": "RuntimeDefault"},
            "sysctls": [{"name": "net.ipv4.ping_group_range", "value": "0 2147483647"}],
        },
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]}]},
                ]},
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 10, "preference": {"matchExpressions": [{"key": "disktype", "operator": "In", "values": ["ssd"]}]}},
                ],
            },
            "podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 20, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname"}},
            ]},
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]},
                 "topologyKey": "topology.kubernetes.io/zone"},
            ]},
        },
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": {"app": "web"}}},
        ],
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
        "initContainers": [
            {"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "true"]},
            {"name": "proxy", "image": "envoy:v1", "restartPolicy": "Always",
             "startupProbe": {"tcpSocket": {"port": 9901}}, "readinessProbe": {"httpGet": {"port": 9901}}},
        ],
        "containers": [{
            "name": "web",
            "image": "nginx:1.27",
            "ports": [{"name": "http", "containerPort": 8080}, {"containerPort": 9000, "protocol": "UDP"}],
            "env": [
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
                {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "web", "key": "config.yaml"}}},
                {"name": "PASS", "valueFrom": {"secretKeyRef": {"name": "web", "key": "password"}}},
            ],
            "envFrom": [{"configMapRef": {"name": "web-env"}}, {"prefix": "S_", "secretRef": {"name": "web-env"}}],
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 10},
            "readinessProbe": probe_exec,
            "startupProbe": {"grpc": {"port": 9000}, "failureThreshold": 30},
            "lifecycle": {
                "postStart": {"exec": {"command": ["sh", "-c", "echo started"]}},
                "preStop": {"sleep": {"seconds": 5}},
            },
            "securityContext": {
                "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
                "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/web.json"},
                "appArmorProfile": {"type": "RuntimeDefault"},
            },
            "volumeMounts": [
                {"name": "scratch", "mountPath": "/tmp"},
                {"name": "cache", "mountPath": "/cache"},
                {"name": "logs", "mountPath": "/var/log/host", "readOnly": true},
                {"name": "tls", "mountPath": "/etc/tls"},
                {"name": "config", "mountPath": "/etc/web"},
                {"name": "data", "mountPath": "/data"},
                {"name": "podinfo", "mountPath": "/etc/podinfo"},
                {"name": "all-in-one", "mountPath": "/projected"},
            ],
        }],
        "volumes": [
            {"name": "scratch"},
            {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            {"name": "logs", "hostPath": {"path": "/var/log"}},
            {"name": "tls", "secret": {"secretName": "web-tls", "items": [{"key": "tls.crt", "path": "tls.crt"}]}},
            {"name": "config", "configMap": {"name": "web", "defaultMode": 292}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "web-data"}},
            {"name": "podinfo", "downwardAPI": {"items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                {"path": "cpu_limit", "resourceFieldRef": {"containerName": "web", "resource": "limits.cpu", "divisor": "1m"}},
            ]}},
            {"name": "all-in-one", "projected": {"sources": [
                {"serviceAccountToken": {"path": "token", "audience": "vault"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}},
                {"secret": {"name": "extra", "optional": true}},
            ]}},
        ],
    })
}

fn template(restart: &str) -> Value {
    json!({"metadata": {"labels": {"app": "web"}, "annotations": {"a": "b"}}, "spec": pod_spec(restart)})
}

#[test]
fn defaulted_workloads_are_valid() {
    let cases = [
        (
            "apps",
            "Deployment",
            json!({"metadata": {"name": "web"}, "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": template("Always"),
            }}),
        ),
        (
            "apps",
            "StatefulSet",
            json!({"metadata": {"name": "web"}, "spec": {
                "serviceName": "web",
                "selector": {"matchLabels": {"app": "web"}},
                "template": template("Always"),
            }}),
        ),
        (
            "apps",
            "DaemonSet",
            json!({"metadata": {"name": "web"}, "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": template("Always"),
            }}),
        ),
        (
            "batch",
            "Job",
            json!({"metadata": {"name": "web"}, "spec": {"template": template("OnFailure")}}),
        ),
        (
            "batch",
            "CronJob",
            json!({"metadata": {"name": "web"}, "spec": {"schedule": "*/5 * * * *",
                "jobTemplate": {"spec": {"template": template("Never")}}}}),
        ),
        (
            "",
            "Pod",
            json!({"metadata": {"name": "web"}, "spec": pod_spec("Always")}),
        ),
        (
            "",
            "PodTemplate",
            json!({"metadata": {"name": "web"}, "template": template("Always")}),
        ),
    ];
    for (group, kind, obj) in cases {
        assert_eq!(
            defaulted_lines(group, kind, obj),
            Vec::<String>::new(),
            "{kind}"
        );
    }
}

/// Fields upstream defaults when zero or empty (which kelp's defaulting leaves as
/// sent) are not reported.
#[test]
fn zero_values_that_upstream_defaults_are_valid() {
    let obj = json!({"metadata": {"name": "p"}, "spec": {"containers": [{
        "name": "a", "image": "x",
        "livenessProbe": {"httpGet": {"port": 80, "path": "", "scheme": ""},
            "timeoutSeconds": 0, "periodSeconds": 0, "successThreshold": 0, "failureThreshold": 0},
        "startupProbe": {"tcpSocket": {"port": 80}, "successThreshold": 0},
    }], "volumes": [
        {"name": "d", "downwardAPI": {"items": [{"path": "n", "fieldRef": {"apiVersion": "", "fieldPath": "metadata.name"}}]}},
    ]}});
    assert_eq!(defaulted_lines("", "Pod", obj), Vec::<String>::new());
}

/// The other kinds with rules, as a user typically writes them, after defaulting.
#[test]
fn defaulted_objects_of_other_kinds_are_valid() {
    let cases = [
        (
            "",
            "ReplicationController",
            json!({"metadata": {"name": "web"}, "spec": {"template": template("Always")}}),
        ),
        (
            "",
            "PersistentVolumeClaim",
            json!({"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}}}}),
        ),
        (
            "",
            "PersistentVolume",
            json!({"metadata": {"name": "pv"}, "spec": {"accessModes": ["ReadWriteOnce"],
                "capacity": {"storage": "5Gi"}, "hostPath": {"path": "/var/data"}}}),
        ),
        (
            "policy",
            "PodDisruptionBudget",
            json!({"metadata": {"name": "web"}, "spec": {"minAvailable": 1,
                "selector": {"matchLabels": {"app": "web"}}}}),
        ),
        (
            "networking.k8s.io",
            "NetworkPolicy",
            json!({"metadata": {"name": "np"}, "spec": {"podSelector": {},
                "egress": [{"ports": [{"port": 53}]}]}}),
        ),
        (
            "rbac.authorization.k8s.io",
            "RoleBinding",
            json!({"metadata": {"name": "rb"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "User", "name": "jane"}, {"kind": "Group", "name": "devs"},
                             {"kind": "ServiceAccount", "name": "default", "namespace": "x"}]}),
        ),
        (
            "autoscaling",
            "HorizontalPodAutoscaler",
            json!({"metadata": {"name": "web"}, "spec": {"maxReplicas": 3,
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}}),
        ),
        (
            "storage.k8s.io",
            "StorageClass",
            json!({"metadata": {"name": "local"}, "provisioner": "rancher.io/local-path"}),
        ),
        (
            "",
            "LimitRange",
            json!({"metadata": {"name": "limits"}, "spec": {"limits": [{"type": "Container",
                "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}]}}),
        ),
        (
            "",
            "ResourceQuota",
            json!({"metadata": {"name": "quota"}, "spec": {"hard": {"pods": "10", "requests.cpu": "4"}}}),
        ),
        (
            "scheduling.k8s.io",
            "PriorityClass",
            json!({"metadata": {"name": "high"}, "value": 1000}),
        ),
    ];
    for (group, kind, obj) in cases {
        assert_eq!(
            defaulted_lines(group, kind, obj),
            Vec::<String>::new(),
            "{kind}"
        );
    }
}
