use serde_json::{Value, json};

use super::{check, lines};

#[test]
fn priority_class_rules() {
    let pc = |name: &str, value: i64, extra: Value| {
        let mut o = json!({"metadata": {"name": name}, "value": value});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    };
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            pc("high", 1000, json!({"preemptionPolicy": "Never"})),
            &[],
        ),
        (
            "system class",
            pc("system-node-critical", 2_000_001_000, json!({})),
            &[],
        ),
        (
            "too high",
            pc("high", 1_000_000_001, json!({})),
            &["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"],
        ),
        (
            "unknown system class",
            pc("system-mine", 5, json!({})),
            &[
                "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
            ],
        ),
        (
            "system class value",
            pc("system-cluster-critical", 5, json!({})),
            &[
                "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-cluster-critical PriorityClass must be 2000000000",
            ],
        ),
        (
            "system class default",
            pc(
                "system-cluster-critical",
                2_000_000_000,
                json!({"globalDefault": true}),
            ),
            &[
                "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: globalDefault of system-cluster-critical PriorityClass must be false",
            ],
        ),
        (
            "policy",
            pc("p", 1, json!({"preemptionPolicy": "Always"})),
            &[
                "preemptionPolicy: Unsupported value: \"Always\": supported values: \"PreemptLowerPriority\", \"Never\"",
            ],
        ),
    ];
    check("scheduling.k8s.io", "PriorityClass", cases);
    let old = pc("p", 1, json!({"preemptionPolicy": "Never"}));
    let new = pc(
        "p",
        2,
        json!({"preemptionPolicy": "PreemptLowerPriority", "description": "x"}),
    );
    assert_eq!(
        lines("scheduling.k8s.io", "PriorityClass", &new, Some(&old)),
        [
            "value: Forbidden: may not be changed in an update.",
            "preemptionPolicy: Invalid value: \"PreemptLowerPriority\": field is immutable",
        ]
    );
}

#[test]
fn storage_class_rules() {
    let sc = |extra: Value| {
        let mut o = json!({"metadata": {"name": "fast"}, "provisioner": "ebs.csi.aws.com",
            "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    };
    let cases: &[(&str, Value, &[&str])] = &[
        ("valid", sc(json!({"parameters": {"type": "gp3"}})), &[]),
        (
            "bad",
            sc(
                json!({"provisioner": "a b", "parameters": {"": "x"}, "reclaimPolicy": "Recycle",
                "volumeBindingMode": "Later"}),
            ),
            &[
                "provisioner: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                "parameters: Invalid value: \"\": field can not be empty.",
                "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"",
                "volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\"",
            ],
        ),
        (
            "missing",
            json!({"metadata": {"name": "x"}}),
            &[
                "provisioner: Required value",
                "volumeBindingMode: Required value",
            ],
        ),
    ];
    check("storage.k8s.io", "StorageClass", cases);
    let old = sc(json!({"parameters": {"type": "gp3"}}));
    let mut new = old.clone();
    new["allowVolumeExpansion"] = json!(true);
    assert!(lines("storage.k8s.io", "StorageClass", &new, Some(&old)).is_empty());
    let new = sc(json!({"parameters": {"type": "io2"}, "provisioner": "x.io",
        "reclaimPolicy": "Retain", "volumeBindingMode": "Immediate"}));
    assert_eq!(
        lines("storage.k8s.io", "StorageClass", &new, Some(&old)),
        [
            "parameters: Forbidden: updates to parameters are forbidden.",
            "provisioner: Forbidden: updates to provisioner are forbidden.",
            "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
            "volumeBindingMode: Invalid value: \"Immediate\": field is immutable",
        ]
    );
}

#[test]
fn runtime_class_rules() {
    let rc = |handler: &str| json!({"metadata": {"name": "gvisor"}, "handler": handler});
    let cases: &[(&str, Value, &[&str])] = &[
        ("valid", rc("runsc"), &[]),
        (
            "bad handler",
            rc("Run_SC"),
            &[
                "handler: Invalid value: \"Run_SC\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ],
        ),
    ];
    check("node.k8s.io", "RuntimeClass", cases);
    assert_eq!(
        lines(
            "node.k8s.io",
            "RuntimeClass",
            &rc("kata"),
            Some(&rc("runsc"))
        ),
        ["handler: Invalid value: \"kata\": field is immutable"]
    );
}

#[test]
fn lease_rules() {
    let lease = |spec: Value| json!({"metadata": {"name": "node-1"}, "spec": spec});
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            lease(
                json!({"holderIdentity": "node-1", "leaseDurationSeconds": 40, "leaseTransitions": 0}),
            ),
            &[],
        ),
        (
            "bad",
            lease(
                json!({"leaseDurationSeconds": 0, "leaseTransitions": -1, "preferredHolder": "a"}),
            ),
            &[
                "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
                "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
                "spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined",
            ],
        ),
        (
            "strategy",
            lease(json!({"strategy": "Newest"})),
            &[
                "spec.strategy.strategy: Unsupported value: \"Newest\": supported values: \"OldestEmulationVersion\"",
            ],
        ),
        (
            "custom strategy",
            lease(json!({"strategy": "example.com/mine"})),
            &[],
        ),
    ];
    check("coordination.k8s.io", "Lease", cases);
}
