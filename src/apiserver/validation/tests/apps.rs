use serde_json::{Value, json};

use super::{check, lines, pod_spec};

fn workload(selector: Value, labels: Value) -> Value {
    json!({"metadata": {"name": "w"}, "spec": {
        "replicas": 1,
        "selector": selector,
        "template": {"metadata": {"labels": labels}, "spec": pod_spec()},
    }})
}

#[test]
fn workload_selector_and_template() {
    let good = workload(
        json!({"matchLabels": {"app": "a"}}),
        json!({"app": "a", "x": "y"}),
    );
    let mut negative = good.clone();
    negative["spec"]["replicas"] = json!(-1);
    let mut no_selector = good.clone();
    no_selector["spec"]
        .as_object_mut()
        .unwrap()
        .remove("selector");
    let mut bad_template = good.clone();
    bad_template["spec"]["template"]["spec"] =
        json!({"containers": [{"name": "c"}], "restartPolicy": "Never"});
    let mut bad_strategy = good.clone();
    bad_strategy["spec"]["strategy"] = json!({"type": "Blue"});
    let cases: &[(&str, Value, &[&str])] = &[
        ("valid", good.clone(), &[]),
        (
            "expressions match",
            workload(
                json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]},
                                            {"key": "gone", "operator": "DoesNotExist"}]}),
                json!({"app": "b"}),
            ),
            &[],
        ),
        (
            "negative replicas",
            negative,
            &["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            "no selector",
            no_selector,
            &["spec.selector: Required value"],
        ),
        (
            "mismatch",
            workload(json!({"matchLabels": {"app": "a"}}), json!({"app": "b"})),
            &[
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"b\"}: `selector` does not match template `labels`",
            ],
        ),
        (
            "empty selector",
            workload(json!({}), json!({"app": "b"})),
            &[
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
            ],
        ),
        (
            "bad expression",
            workload(
                json!({"matchExpressions": [{"key": "app", "operator": "In"}, {"key": "b", "operator": "Has"}]}),
                json!({"app": "a"}),
            ),
            &[
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "spec.selector.matchExpressions[1].operator: Invalid value: \"Has\": not a valid selector operator",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"a\"}: `selector` does not match template `labels`",
            ],
        ),
        (
            "template pod rules",
            bad_template,
            &[
                "spec.template.spec.containers[0].image: Required value",
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
            ],
        ),
        (
            "strategy",
            bad_strategy,
            &[
                "spec.strategy: Unsupported value: \"Blue\": supported values: \"Recreate\", \"RollingUpdate\"",
            ],
        ),
    ];
    check("apps", "Deployment", cases);
    check("apps", "ReplicaSet", &cases[..7]);
}

#[test]
fn selector_is_immutable() {
    let old = workload(
        json!({"matchLabels": {"app": "a"}}),
        json!({"app": "a", "v": "1"}),
    );
    let new = workload(
        json!({"matchLabels": {"app": "a", "v": "1"}}),
        json!({"app": "a", "v": "1"}),
    );
    let want = [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"a\", \"v\":\"1\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
    ];
    for kind in ["Deployment", "ReplicaSet", "DaemonSet"] {
        assert_eq!(lines("apps", kind, &new, Some(&old)), want, "{kind}");
        assert!(lines("apps", kind, &old, Some(&old)).is_empty(), "{kind}");
    }
}

#[test]
fn daemon_set_and_stateful_set() {
    let good = workload(json!({"matchLabels": {"app": "a"}}), json!({"app": "a"}));
    let mut ds = good.clone();
    ds["spec"]["updateStrategy"] = json!({"type": "Fast"});
    ds["spec"]["template"]["spec"]["activeDeadlineSeconds"] = json!(5);
    check(
        "apps",
        "DaemonSet",
        &[
            ("valid", good.clone(), &[]),
            (
                "strategy and deadline",
                ds,
                &[
                    "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported",
                    "spec.updateStrategy: Unsupported value: \"Fast\": supported values: \"OnDelete\", \"RollingUpdate\"",
                ],
            ),
        ],
    );
    let mut sts = good.clone();
    sts["spec"]["serviceName"] = json!("Web_1");
    sts["spec"]["podManagementPolicy"] = json!("Random");
    check(
        "apps",
        "StatefulSet",
        &[
            ("valid", good.clone(), &[]),
            (
                "service name and policy",
                sts,
                &[
                    "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
                    "spec.serviceName: Invalid value: \"Web_1\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                ],
            ),
        ],
    );
    let mut scaled = good.clone();
    scaled["spec"]["replicas"] = json!(3);
    assert!(lines("apps", "StatefulSet", &scaled, Some(&good)).is_empty());
    let mut renamed = good.clone();
    renamed["spec"]["serviceName"] = json!("other");
    assert_eq!(
        lines("apps", "StatefulSet", &renamed, Some(&good)),
        [
            "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
        ]
    );
}

#[test]
fn replication_controller_rules() {
    let rc = |selector: Value, labels: Value| {
        json!({"metadata": {"name": "rc"}, "spec": {
            "replicas": 1, "selector": selector,
            "template": {"metadata": {"labels": labels}, "spec": pod_spec()},
        }})
    };
    let mut bad_template = rc(json!({"app": "a"}), json!({"app": "a"}));
    bad_template["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
    bad_template["spec"]["template"]["spec"]["activeDeadlineSeconds"] = json!(5);
    bad_template["spec"]["replicas"] = json!(-2);
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            rc(json!({"app": "a"}), json!({"app": "a", "x": "y"})),
            &[],
        ),
        (
            "no selector",
            rc(json!({}), json!({"app": "a"})),
            &["spec.selector: Required value"],
        ),
        (
            "mismatch",
            rc(json!({"app": "a"}), json!({"app": "b"})),
            &[
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"b\"}: `selector` does not match template `labels`",
            ],
        ),
        (
            "template",
            bad_template,
            &[
                "spec.replicas: Invalid value: -2: must be greater than or equal to 0",
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported",
            ],
        ),
        (
            "no template",
            json!({"metadata": {"name": "rc"}, "spec": {"selector": {"a": "b"}}}),
            &["spec.template: Required value"],
        ),
    ];
    check("", "ReplicationController", cases);
}
