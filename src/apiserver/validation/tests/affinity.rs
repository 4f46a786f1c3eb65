use serde_json::{Value, json};

use super::{check, pod};
use crate::api::validation as names;

fn with_affinity(affinity: Value) -> Value {
    pod(json!({"containers": [{"name": "a", "image": "x"}], "affinity": affinity}))
}

fn with_spread(constraints: Value) -> Value {
    pod(
        json!({"containers": [{"name": "a", "image": "x"}], "topologySpreadConstraints": constraints}),
    )
}

const NODE_REQUIRED: &str =
    "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution";

#[test]
fn node_affinity() {
    let valid = with_affinity(json!({"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [
                {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                {"key": "gpu", "operator": "DoesNotExist"},
                {"key": "cores", "operator": "Gt", "values": ["4"]},
            ]},
            {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["node-1"]}]},
        ]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "preference": {"matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["any value is fine here"]},
            ]}},
            {"weight": 1, "preference": {}},
        ],
    }}));
    let bad_value = names::is_valid_label_value("bad value").join("");
    let want_requirements = [
        format!(
            "{NODE_REQUIRED}.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
        ),
        format!(
            "{NODE_REQUIRED}.nodeSelectorTerms[0].matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        ),
        format!(
            "{NODE_REQUIRED}.nodeSelectorTerms[0].matchExpressions[2].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"
        ),
        format!(
            "{NODE_REQUIRED}.nodeSelectorTerms[0].matchExpressions[3].operator: Invalid value: \"Near\": not a valid selector operator"
        ),
        format!(
            "{NODE_REQUIRED}.nodeSelectorTerms[0].matchExpressions[4].values[1]: Invalid value: \"bad value\": {bad_value}"
        ),
        format!(
            "{NODE_REQUIRED}.nodeSelectorTerms[0].matchFields[0].values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector"
        ),
        format!(
            "{NODE_REQUIRED}.nodeSelectorTerms[0].matchFields[1].operator: Invalid value: \"Exists\": not a valid selector operator"
        ),
        format!(
            "{NODE_REQUIRED}.nodeSelectorTerms[0].matchFields[1].key: Invalid value: \"spec.nodeName\": not a valid field selector key"
        ),
    ];
    let want_requirements: Vec<&str> = want_requirements.iter().map(String::as_str).collect();
    let cases: &[(&str, Value, &[&str])] = &[
        ("valid", valid, &[]),
        (
            "no terms",
            with_affinity(
                json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}),
            ),
            &[
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term",
            ],
        ),
        (
            "requirements",
            with_affinity(
                json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
                    "matchExpressions": [
                        {"key": "a", "operator": "In"},
                        {"key": "b", "operator": "Exists", "values": ["x"]},
                        {"key": "c", "operator": "Gt", "values": ["1", "2"]},
                        {"key": "d", "operator": "Near"},
                        {"key": "e", "operator": "In", "values": ["ok", "bad value"]},
                    ],
                    "matchFields": [
                        {"key": "metadata.name", "operator": "In", "values": ["a", "b"]},
                        {"key": "spec.nodeName", "operator": "Exists"},
                    ],
                }]}}}),
            ),
            &want_requirements,
        ),
        (
            "preferred weights",
            with_affinity(
                json!({"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 0, "preference": {}},
                    {"weight": 101, "preference": {"matchExpressions": [{"key": "a", "operator": "Lt"}]}},
                ]}}),
            ),
            &[
                "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100",
                "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].weight: Invalid value: 101: must be in the range 1-100",
                "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].preference.matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
            ],
        ),
    ];
    check("", "Pod", cases);
}

#[test]
fn pod_affinity() {
    let term = json!({"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname",
        "namespaces": ["other"], "namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]},
        "matchLabelKeys": ["pod-template-hash"], "mismatchLabelKeys": ["tenant"]});
    let valid = with_affinity(json!({
        "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]},
        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}},
        ]},
    }));
    let empty_key: Vec<String> = names::is_qualified_name("")
        .into_iter()
        .map(|m| format!("spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: \"\": {m}"))
        .collect();
    let mut want_empty = vec![
        "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty".to_string(),
    ];
    want_empty.extend(empty_key);
    let bad_ns = names::is_dns1123_label("Bad_NS").join("");
    let cases: Vec<(&str, Value, Vec<String>)> = vec![
        ("valid", valid, vec![]),
        (
            "no topology key",
            with_affinity(json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "db"}}},
            ]}})),
            want_empty,
        ),
        (
            "terms",
            with_affinity(json!({"podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"topologyKey": "zone", "namespaces": ["Bad_NS"], "matchLabelKeys": ["app"]},
                    {"topologyKey": "zone", "labelSelector": {"matchLabels": {"app": "x"},
                        "matchExpressions": [{"key": "app", "operator": "In", "values": ["x"]}, {"key": "t", "operator": "Maybe"}]},
                     "matchLabelKeys": ["app", "tier"], "mismatchLabelKeys": ["tier"]},
                ],
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 0, "podAffinityTerm": {"topologyKey": "zone"}},
                ],
            }})),
            vec![
                format!("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespace: Invalid value: \"Bad_NS\": {bad_ns}"),
                "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys: Forbidden: must not be specified when labelSelector is not set".into(),
                "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[1].labelSelector.matchExpressions[1].operator: Invalid value: \"Maybe\": not a valid selector operator".into(),
                "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[1][0]: Invalid value: \"app\": exists in both matchLabelKeys and labelSelector".into(),
                "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[1].matchLabelKeys[1]: Invalid value: \"tier\": exists in both matchLabelKeys and mismatchLabelKeys".into(),
                "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100".into(),
            ],
        ),
    ];
    for (name, obj, want) in cases {
        assert_eq!(super::lines("", "Pod", &obj, None), want, "case {name}");
    }
}

#[test]
fn topology_spread_constraints() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            with_spread(json!([
                {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
                 "labelSelector": {"matchLabels": {"app": "a"}}, "matchLabelKeys": ["pod-template-hash"],
                 "minDomains": 2, "nodeAffinityPolicy": "Honor", "nodeTaintsPolicy": "Ignore"},
                {"maxSkew": 2, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"},
            ])),
            &[],
        ),
        (
            "invalid",
            with_spread(json!([
                {"maxSkew": 0, "topologyKey": "", "whenUnsatisfiable": "Maybe"},
                {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "minDomains": 0},
                {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "nodeAffinityPolicy": "Always"},
                {"maxSkew": 1, "topologyKey": "z", "whenUnsatisfiable": "ScheduleAnyway", "minDomains": 2, "matchLabelKeys": ["app"]},
                {"topologyKey": "h", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "a"}}, "matchLabelKeys": ["app"]},
            ])),
            &[
                "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
                "spec.topologySpreadConstraints[0].topologyKey: Required value: can not be empty",
                "spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: \"Maybe\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
                "spec.topologySpreadConstraints[1].{topologyKey, whenUnsatisfiable}: Duplicate value: \"{zone, DoNotSchedule}\"",
                "spec.topologySpreadConstraints[1].minDomains: Invalid value: 0: must be greater than zero",
                "spec.topologySpreadConstraints[2].nodeAffinityPolicy: Unsupported value: \"Always\": supported values: \"Honor\", \"Ignore\"",
                "spec.topologySpreadConstraints[3].minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
                "spec.topologySpreadConstraints[3].matchLabelKeys: Forbidden: must not be specified when labelSelector is not set",
                "spec.topologySpreadConstraints[4].maxSkew: Invalid value: 0: must be greater than zero",
                "spec.topologySpreadConstraints[4].matchLabelKeys[0]: Invalid value: \"app\": exists in both matchLabelKeys and labelSelector",
            ],
        ),
    ];
    check("", "Pod", cases);
}
