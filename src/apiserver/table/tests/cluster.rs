//! Autoscalers, budgets, cluster objects, RBAC and core config kinds.

use serde_json::json;

use super::*;

#[test]
fn autoscalers_and_budgets_print_like_upstream() {
    let hpa_cols = |cells: [Value; 7]| -> Vec<(&'static str, Value)> {
        [
            "Name",
            "Reference",
            "Targets",
            "MinPods",
            "MaxPods",
            "Replicas",
            "Age",
        ]
        .into_iter()
        .zip(cells)
        .collect()
    };
    check(
        "autoscaling",
        "HorizontalPodAutoscaler",
        json!({
            "metadata": meta("web", H3M5),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 10,
                "metrics": [
                    {"type": "Resource", "resource": {"name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 80}}},
                    {"type": "Resource", "resource": {"name": "memory",
                        "target": {"type": "AverageValue", "averageValue": "512Mi"}}},
                    {"type": "Pods", "pods": {"metric": {"name": "packets"},
                        "target": {"type": "AverageValue", "averageValue": "1k"}}},
                ],
            },
            "status": {
                "currentReplicas": 3,
                "desiredReplicas": 3,
                "currentMetrics": [
                    {"type": "Resource", "resource": {"name": "cpu",
                        "current": {"averageUtilization": 45, "averageValue": "120m"}}},
                ],
            },
        }),
        &hpa_cols([
            json!("web"),
            json!("Deployment/web"),
            json!("cpu: 45%/80%, memory: <unknown>/512Mi + 1 more..."),
            json!("2"),
            json!(10),
            json!(3),
            json!("3h5m"),
        ]),
    );
    check(
        "autoscaling",
        "HorizontalPodAutoscaler",
        json!({
            "metadata": meta("queue", 45),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "worker"},
                "maxReplicas": 5,
                "metrics": [
                    {"type": "External", "external": {"metric": {"name": "queue_depth"},
                        "target": {"type": "AverageValue", "averageValue": "30"}}},
                    {"type": "Object", "object": {"metric": {"name": "rps"},
                        "describedObject": {"kind": "Ingress", "name": "web"},
                        "target": {"type": "Value", "value": "2000m"}}},
                ],
            },
            "status": {"currentReplicas": 1, "currentMetrics": [
                {"type": "External", "external": {"metric": {"name": "queue_depth"},
                    "current": {"averageValue": "12"}}},
                {"type": "Object", "object": {"metric": {"name": "rps"},
                    "current": {"value": "1500m"}}},
            ]},
        }),
        &hpa_cols([
            json!("queue"),
            json!("StatefulSet/worker"),
            json!("12/30 (avg), 1500m/2"),
            json!("<unset>"),
            json!(5),
            json!(1),
            json!("45s"),
        ]),
    );
    check(
        "autoscaling",
        "HorizontalPodAutoscaler",
        json!({
            "metadata": meta("bare", 45),
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "bare"}, "maxReplicas": 3},
            "status": {},
        }),
        &hpa_cols([
            json!("bare"),
            json!("Deployment/bare"),
            json!("<none>"),
            json!("<unset>"),
            json!(3),
            json!(0),
            json!("45s"),
        ]),
    );
    check(
        "policy",
        "PodDisruptionBudget",
        json!({
            "metadata": meta("web", M83),
            "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}},
            "status": {"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2,
                       "expectedPods": 3},
        }),
        &[
            ("Name", json!("web")),
            ("Min Available", json!("50%")),
            ("Max Unavailable", json!("N/A")),
            ("Allowed Disruptions:i", json!(1)),
            ("Age", json!("83m")),
        ],
    );
    check(
        "policy",
        "PodDisruptionBudget",
        json!({"metadata": meta("db", 45), "spec": {"maxUnavailable": 1}, "status": {}}),
        &[
            ("Name", json!("db")),
            ("Min Available", json!("N/A")),
            ("Max Unavailable", json!("1")),
            ("Allowed Disruptions:i", json!(0)),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "ResourceQuota",
        json!({
            "metadata": meta("compute", H3M5),
            "spec": {"hard": {"cpu": "2", "pods": "10"}},
            "status": {
                "hard": {"cpu": "2", "limits.memory": "2Gi", "pods": "10", "requests.memory": "1024Mi"},
                "used": {"cpu": "500m", "limits.memory": "512Mi", "pods": "3"},
            },
        }),
        &[
            ("Name", json!("compute")),
            (
                "Request",
                json!("cpu: 500m/2, pods: 3/10, requests.memory: 0/1Gi"),
            ),
            ("Limit", json!("limits.memory: 512Mi/2Gi")),
            ("Age", json!("3h5m")),
        ],
    );
}

#[test]
fn cluster_kinds_print_like_upstream() {
    let mut labels = meta("cp-1", 3 * 86400);
    labels["labels"] = json!({
        "node-role.kubernetes.io/control-plane": "",
        "node-role.kubernetes.io/": "",
        "kubernetes.io/role": "master",
        "kubernetes.io/hostname": "cp-1",
    });
    check(
        "",
        "Node",
        json!({
            "metadata": labels,
            "spec": {"unschedulable": true},
            "status": {
                "conditions": [
                    {"type": "MemoryPressure", "status": "False"},
                    {"type": "Ready", "status": "True"},
                ],
                "addresses": [
                    {"type": "Hostname", "address": "cp-1"},
                    {"type": "InternalIP", "address": "10.0.0.5"},
                ],
                "nodeInfo": {"kubeletVersion": "v1.33.1", "osImage": "Ubuntu 24.04 LTS",
                             "kernelVersion": "6.8.0-45-generic"},
            },
        }),
        &[
            ("Name", json!("cp-1")),
            ("Status", json!("Ready,SchedulingDisabled")),
            ("Roles", json!("control-plane,master")),
            ("Age", json!("3d")),
            ("Version", json!("v1.33.1")),
            ("Internal-IP:s:1", json!("10.0.0.5")),
            ("External-IP:s:1", json!("<none>")),
            ("OS-Image:s:1", json!("Ubuntu 24.04 LTS")),
            ("Kernel-Version:s:1", json!("6.8.0-45-generic")),
            ("Container-Runtime:s:1", json!("<unknown>")),
        ],
    );
    check(
        "",
        "Node",
        json!({"metadata": meta("new", 45), "spec": {}, "status": {}}),
        &[
            ("Name", json!("new")),
            ("Status", json!("Unknown")),
            ("Roles", json!("<none>")),
            ("Age", json!("45s")),
            ("Version", json!("")),
            ("Internal-IP:s:1", json!("<none>")),
            ("External-IP:s:1", json!("<none>")),
            ("OS-Image:s:1", json!("<unknown>")),
            ("Kernel-Version:s:1", json!("<unknown>")),
            ("Container-Runtime:s:1", json!("<unknown>")),
        ],
    );
    check(
        "coordination.k8s.io",
        "Lease",
        json!({"metadata": meta("free", 45), "spec": {}}),
        &[
            ("Name", json!("free")),
            ("Holder", json!("")),
            ("Age", json!("45s")),
        ],
    );
    check(
        "node.k8s.io",
        "RuntimeClass",
        json!({"metadata": meta("gvisor", M83), "handler": "runsc"}),
        &[
            ("Name", json!("gvisor")),
            ("Handler", json!("runsc")),
            ("Age", json!("83m")),
        ],
    );
    check(
        "scheduling.k8s.io",
        "PriorityClass",
        json!({"metadata": meta("high", M83), "value": 1000000,
               "preemptionPolicy": "PreemptLowerPriority", "description": "high"}),
        &[
            ("Name", json!("high")),
            ("Value:i", json!(1000000)),
            ("Global-Default:b", json!(false)),
            ("Age", json!("83m")),
            ("PreemptionPolicy", json!("PreemptLowerPriority")),
        ],
    );
    check(
        "certificates.k8s.io",
        "CertificateSigningRequest",
        json!({
            "metadata": meta("alice", M83),
            "spec": {"signerName": "kubernetes.io/kube-apiserver-client", "username": "alice",
                     "expirationSeconds": 86400, "usages": ["client auth"], "request": "LS0t"},
            "status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "LS0t"},
        }),
        &[
            ("Name", json!("alice")),
            ("Age", json!("83m")),
            ("SignerName", json!("kubernetes.io/kube-apiserver-client")),
            ("Requestor", json!("alice")),
            ("RequestedDuration", json!("24h")),
            ("Condition", json!("Approved,Issued")),
        ],
    );
    check(
        "certificates.k8s.io",
        "CertificateSigningRequest",
        json!({
            "metadata": meta("bob", 45),
            "spec": {"signerName": "example.com/signer", "username": "bob", "request": "LS0t"},
            "status": {"conditions": [{"type": "Denied", "status": "True"},
                                      {"type": "Failed", "status": "True"}]},
        }),
        &[
            ("Name", json!("bob")),
            ("Age", json!("45s")),
            ("SignerName", json!("example.com/signer")),
            ("Requestor", json!("bob")),
            ("RequestedDuration", json!("<none>")),
            ("Condition", json!("Denied,Failed")),
        ],
    );
}

#[test]
fn rbac_kinds_print_like_upstream() {
    let binding_cols = |cells: [Value; 6]| -> Vec<(&'static str, Value)> {
        [
            "Name",
            "Role",
            "Age",
            "Users:s:1",
            "Groups:s:1",
            "ServiceAccounts:s:1",
        ]
        .into_iter()
        .zip(cells)
        .collect()
    };
    check(
        "rbac.authorization.k8s.io",
        "RoleBinding",
        json!({
            "metadata": meta("read-pods", M83),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
            "subjects": [
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"},
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "joe"},
                {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"},
                {"kind": "ServiceAccount", "namespace": "ci", "name": "builder"},
            ],
        }),
        &binding_cols([
            json!("read-pods"),
            json!("Role/pod-reader"),
            json!("83m"),
            json!("jane, joe"),
            json!("devs"),
            json!("ci/builder"),
        ]),
    );
    check(
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        json!({
            "metadata": meta("cluster-admin", 3 * 86400),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:masters"}],
        }),
        &binding_cols([
            json!("cluster-admin"),
            json!("ClusterRole/cluster-admin"),
            json!("3d"),
            json!(""),
            json!("system:masters"),
            json!(""),
        ]),
    );
    // kinds without an upstream printer get Name and Created At
    let created = ago(M83);
    for (group, kind) in [
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("", "LimitRange"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ] {
        let mut m = meta("thing", 0);
        m["creationTimestamp"] = json!(created);
        check(
            group,
            kind,
            json!({"metadata": m}),
            &[("Name", json!("thing")), ("Created At:d", json!(created))],
        );
    }
}

#[test]
fn core_kinds_print_like_upstream() {
    check(
        "",
        "ConfigMap",
        json!({"metadata": meta("cfg", 45), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}),
        &[
            ("Name", json!("cfg")),
            ("Data", json!(3)),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "Secret",
        json!({"metadata": meta("tls", 45), "type": "kubernetes.io/tls",
               "data": {"tls.crt": "AA==", "tls.key": "AA=="}}),
        &[
            ("Name", json!("tls")),
            ("Type", json!("kubernetes.io/tls")),
            ("Data", json!(2)),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "ServiceAccount",
        json!({"metadata": meta("default", 45)}),
        &[
            ("Name", json!("default")),
            ("Secrets", json!(0)),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "Namespace",
        json!({"metadata": meta("team-a", M83), "status": {"phase": "Active"}}),
        &[
            ("Name", json!("team-a")),
            ("Status", json!("Active")),
            ("Age", json!("83m")),
        ],
    );
}
