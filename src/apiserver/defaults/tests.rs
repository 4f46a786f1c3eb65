use serde_json::{Value, json};

use super::apply;
use crate::api::ResourceInfo;

fn info(group: &str, kind: &str) -> ResourceInfo {
    crate::api::builtin_resources()
        .into_iter()
        .find(|r| r.group == group && r.kind == kind)
        .unwrap_or_else(|| panic!("{group}/{kind}"))
}

fn defaulted(group: &str, kind: &str, obj: Value) -> Value {
    let mut obj = obj;
    apply(&info(group, kind), &mut obj);
    obj
}

fn template() -> Value {
    json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "ports": [{"containerPort": 80}], "readinessProbe": {"httpGet": {"port": 80}}, "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}], "volumes": [{"name": "a"}, {"name": "b", "secret": {"secretName": "s"}}, {"name": "h", "hostPath": {"path": "/x"}}]}})
}

#[test]
fn workload_defaults_match_upstream() {
    let cases: Vec<(&str, &str, Value, Value)> = vec![
        (
            "apps",
            "Deployment",
            json!({"spec": {"template": template()}}),
            json!({"replicas": 1, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600}),
        ),
        (
            "apps",
            "StatefulSet",
            json!({"spec": {"template": template(), "volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {}}]}}),
            json!({"replicas": 1, "podManagementPolicy": "OrderedReady", "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}, "revisionHistoryLimit": 10, "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}, "volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {"volumeMode": "Filesystem"}, "status": {"phase": "Pending"}}]}),
        ),
        (
            "apps",
            "DaemonSet",
            json!({"spec": {"template": template()}}),
            json!({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}, "revisionHistoryLimit": 10}),
        ),
        (
            "batch",
            "Job",
            json!({"spec": {"template": template()}}),
            json!({"completions": 1, "parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": false, "podReplacementPolicy": "TerminatingOrFailed"}),
        ),
        (
            "batch",
            "CronJob",
            json!({"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template()}}}}),
            json!({"concurrencyPolicy": "Allow", "suspend": false, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1}),
        ),
    ];
    for (group, kind, obj, want) in cases {
        let got = defaulted(group, kind, obj);
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&got["spec"][k], v, "{kind}.spec.{k}");
        }
        let pod = match kind {
            "CronJob" => &got["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            _ => &got["spec"]["template"]["spec"],
        };
        assert_eq!(pod["restartPolicy"], "Always", "{kind}");
        assert_eq!(pod["dnsPolicy"], "ClusterFirst", "{kind}");
        // enableServiceLinks is a Pod default, not a template one
        assert!(pod.get("enableServiceLinks").is_none(), "{kind}");
        let c = &pod["containers"][0];
        assert_eq!(c["imagePullPolicy"], "IfNotPresent");
        assert_eq!(c["ports"][0]["protocol"], "TCP");
        assert_eq!(
            c["readinessProbe"],
            json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
        );
        assert_eq!(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
        assert_eq!(pod["volumes"][0], json!({"name": "a", "emptyDir": {}}));
        assert_eq!(pod["volumes"][1]["secret"]["defaultMode"], 420);
        assert_eq!(pod["volumes"][2]["hostPath"]["type"], "");
    }
}

#[test]
fn what_the_client_set_is_kept() {
    let got = defaulted(
        "apps",
        "Deployment",
        json!({"spec": {"replicas": 0, "strategy": {"type": "Recreate"}, "revisionHistoryLimit": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x", "imagePullPolicy": "Never"}]}}}}),
    );
    assert_eq!(got["spec"]["replicas"], 0);
    // Recreate has no rollingUpdate
    assert_eq!(got["spec"]["strategy"], json!({"type": "Recreate"}));
    assert_eq!(got["spec"]["revisionHistoryLimit"], 2);
    assert_eq!(got["spec"]["template"]["spec"]["restartPolicy"], "Never");
    let c = &got["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["imagePullPolicy"], "Never");
    // a second pass changes nothing
    let again = defaulted("apps", "Deployment", got.clone());
    assert_eq!(again, got);
}

#[test]
fn pods_jobs_and_the_rest() {
    let pod = defaulted(
        "",
        "Pod",
        json!({"spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "busybox", "ports": [{"containerPort": 53, "protocol": "UDP"}], "resources": {"limits": {"cpu": "1"}}}]}}),
    );
    let spec = &pod["spec"];
    assert_eq!(spec["enableServiceLinks"], true);
    let c = &spec["containers"][0];
    assert_eq!(c["imagePullPolicy"], "Always", "no tag is latest");
    assert_eq!(
        c["ports"][0],
        json!({"containerPort": 53, "protocol": "UDP", "hostPort": 53})
    );
    assert_eq!(c["resources"]["requests"], json!({"cpu": "1"}));

    let job = defaulted(
        "batch",
        "Job",
        json!({"spec": {"parallelism": 3, "backoffLimitPerIndex": 1, "podFailurePolicy": {"rules": []}, "template": {}}}),
    );
    assert!(
        job["spec"]["completions"].is_null(),
        "only when both are unset"
    );
    assert_eq!(job["spec"]["backoffLimit"], i32::MAX);
    assert_eq!(job["spec"]["podReplacementPolicy"], "Failed");

    let rc = defaulted(
        "",
        "ReplicationController",
        json!({"metadata": {"name": "r"}, "spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}}}),
    );
    assert_eq!(rc["spec"]["selector"], json!({"a": "b"}));
    assert_eq!(rc["metadata"]["labels"], json!({"a": "b"}));
    assert_eq!(rc["spec"]["replicas"], 1);

    let np = defaulted(
        "networking.k8s.io",
        "NetworkPolicy",
        json!({"spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}}),
    );
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(np["spec"]["egress"][0]["ports"][0]["protocol"], "TCP");

    let lr = defaulted(
        "",
        "LimitRange",
        json!({"spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "1Mi"}}]}}),
    );
    let item = &lr["spec"]["limits"][0];
    assert_eq!(item["default"], json!({"cpu": "2"}));
    assert_eq!(item["defaultRequest"], json!({"cpu": "2", "memory": "1Mi"}));

    let sc = defaulted(
        "storage.k8s.io",
        "StorageClass",
        json!({"provisioner": "p"}),
    );
    assert_eq!(
        (&sc["reclaimPolicy"], &sc["volumeBindingMode"]),
        (&json!("Delete"), &json!("Immediate"))
    );
    let rb = defaulted(
        "rbac.authorization.k8s.io",
        "RoleBinding",
        json!({"subjects": [{"kind": "User", "name": "u"}, {"kind": "ServiceAccount", "name": "s"}]}),
    );
    assert_eq!(rb["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
    assert!(rb["subjects"][1].get("apiGroup").is_none());
    let pvc = defaulted("", "PersistentVolumeClaim", json!({"spec": {}}));
    assert_eq!(pvc["spec"]["volumeMode"], "Filesystem");
    assert_eq!(pvc["status"]["phase"], "Pending");

    // kinds without defaults, and bodies of the wrong shape, are left alone
    let cm = json!({"data": {"a": "b"}});
    assert_eq!(defaulted("", "ConfigMap", cm.clone()), cm);
    for odd in [
        json!(null),
        json!([]),
        json!({"spec": 5}),
        json!({"spec": {"template": "x"}}),
    ] {
        for (g, k) in [("apps", "Deployment"), ("", "Pod"), ("batch", "CronJob")] {
            defaulted(g, k, odd.clone());
        }
    }
}

#[test]
fn go_zero_values_are_defaulted_where_upstream_fields_are_not_pointers() {
    let pod = defaulted(
        "",
        "Pod",
        json!({"spec": {"restartPolicy": "", "terminationGracePeriodSeconds": 0, "containers": [{"name": "c", "image": "x:1", "imagePullPolicy": "", "ports": [{"containerPort": 1, "protocol": ""}], "livenessProbe": {"tcpSocket": {"port": 1}, "timeoutSeconds": 0, "periodSeconds": 5}, "readinessProbe": {"httpGet": {"port": 1, "scheme": ""}}}], "volumes": [{"name": "d", "downwardAPI": {"items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name"}}]}}]}}),
    );
    let spec = &pod["spec"];
    assert_eq!(spec["restartPolicy"], "Always");
    // a pointer upstream: an explicit 0 stays
    assert_eq!(spec["terminationGracePeriodSeconds"], 0);
    let c = &spec["containers"][0];
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(c["ports"][0]["protocol"], "TCP");
    assert_eq!(c["livenessProbe"]["timeoutSeconds"], 1);
    assert_eq!(c["livenessProbe"]["periodSeconds"], 5);
    assert_eq!(c["readinessProbe"]["httpGet"]["scheme"], "HTTP");
    assert_eq!(
        spec["volumes"][0]["downwardAPI"]["items"][0]["fieldRef"]["apiVersion"],
        "v1"
    );
}
