use serde_json::{Value, json};

use super::check;

#[test]
fn pod_disruption_budget_rules() {
    let pdb = |spec: Value| json!({"metadata": {"name": "p"}, "spec": spec});
    let pct = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            pdb(
                json!({"minAvailable": 2, "selector": {"matchLabels": {"app": "a"}},
                "unhealthyPodEvictionPolicy": "AlwaysAllow"}),
            ),
            &[],
        ),
        ("percent", pdb(json!({"maxUnavailable": "100%"})), &[]),
        (
            "both",
            pdb(json!({"minAvailable": 1, "maxUnavailable": "10%"})),
            &[
                "spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and maxUnavailable cannot be both set",
            ],
        ),
        (
            "negative",
            pdb(json!({"minAvailable": -1})),
            &["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            "not a percent",
            pdb(json!({"maxUnavailable": "50"})),
            &[&format!(
                "spec.maxUnavailable: Invalid value: intstr.IntOrString{{Type:1, IntVal:0, StrVal:\"50\"}}: {pct}"
            )],
        ),
        (
            "over 100%",
            pdb(json!({"minAvailable": "101%"})),
            &[
                "spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"101%\"}: must not be greater than 100%",
            ],
        ),
        (
            "selector and policy",
            pdb(
                json!({"minAvailable": 1, "selector": {"matchExpressions": [{"key": "a", "operator": "Is"}]},
                "unhealthyPodEvictionPolicy": "Never"}),
            ),
            &[
                "spec.selector.matchExpressions[0].operator: Invalid value: \"Is\": not a valid selector operator",
                "spec.unhealthyPodEvictionPolicy: Unsupported value: \"Never\": supported values: \"AlwaysAllow\", \"IfHealthyBudget\"",
            ],
        ),
    ];
    check("policy", "PodDisruptionBudget", cases);
}
