use serde_json::{Value, json};

use super::{check, lines};

fn quota(spec: Value) -> Value {
    json!({"metadata": {"name": "q"}, "spec": spec})
}

#[test]
fn resource_quota_rules() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            quota(
                json!({"hard": {"pods": "10", "requests.cpu": "2", "limits.memory": "4Gi",
                "count/deployments.apps": "5", "requests.nvidia.com/gpu": 2,
                "example.com/widgets": "3"},
                "scopeSelector": {"matchExpressions": [
                    {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}}),
            ),
            &[],
        ),
        (
            "scoped",
            quota(json!({"hard": {"pods": "5"}, "scopes": ["BestEffort", "NotTerminating"]})),
            &[],
        ),
        (
            "names and values",
            quota(
                json!({"hard": {"gpus": "1", "storage": "1Gi", "pods": "1.5", "cpu": "-1",
                "example.com/widgets": "500m"}}),
            ),
            &[
                "spec.hard[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
                "spec.hard[example.com/widgets]: Invalid value: resource.Quantity{...}: must be an integer",
                "spec.hard[gpus]: Invalid value: \"gpus\": must be a standard resource type or fully qualified",
                "spec.hard[gpus]: Invalid value: \"gpus\": must be a standard resource for quota",
                "spec.hard[pods]: Invalid value: resource.Quantity{...}: must be an integer",
                "spec.hard[storage]: Invalid value: \"storage\": must be a standard resource for quota",
            ],
        ),
        (
            "scopes",
            quota(
                json!({"hard": {"services": "1"}, "scopes": ["Terminating", "NotTerminating", "Weekly"]}),
            ),
            &[
                "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Terminating\", \"NotTerminating\", \"Weekly\"}: unsupported scope applied to resource",
                "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Terminating\", \"NotTerminating\", \"Weekly\"}: unsupported scope applied to resource",
                "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Terminating\", \"NotTerminating\", \"Weekly\"}: unsupported scope",
                "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Terminating\", \"NotTerminating\", \"Weekly\"}: conflicting scopes",
            ],
        ),
        (
            "scope selector",
            quota(
                json!({"hard": {"pods": "1"}, "scopeSelector": {"matchExpressions": [
                    {"scopeName": "BestEffort", "operator": "In"},
                    {"scopeName": "NotBestEffort", "operator": "Exists", "values": ["x"]},
                    {"scopeName": "Someday", "operator": "Maybe"},
                ]}}),
            ),
            &[
                "spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
                "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
                "spec.scopeSelector.matchExpressions.values: Invalid value: []string{\"x\"}: must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
                "spec.scopeSelector.matchExpressions.scopeName: Invalid value: \"Someday\": unsupported scope",
                "spec.scopeSelector.matchExpressions.operator: Invalid value: \"Maybe\": not a valid selector operator",
                "spec.scopeSelector.matchExpressions: Invalid value: []core.ResourceQuotaScope(nil): conflicting scopes",
            ],
        ),
    ];
    check("", "ResourceQuota", cases);
    let old = quota(json!({"hard": {"pods": "5"}, "scopes": ["BestEffort"]}));
    let mut new = old.clone();
    new["spec"]["hard"]["pods"] = json!("6");
    assert!(lines("", "ResourceQuota", &new, Some(&old)).is_empty());
    new["spec"]["scopes"] = json!(["NotBestEffort"]);
    assert_eq!(
        lines("", "ResourceQuota", &new, Some(&old)),
        [
            "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"NotBestEffort\"}: field is immutable"
        ]
    );
}
