use serde_json::{Value, json};

use super::{check, lines};

fn hpa(spec: Value) -> Value {
    let mut s = json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1, "maxReplicas": 5});
    for (k, v) in spec.as_object().unwrap() {
        s[k] = v.clone();
    }
    json!({"metadata": {"name": "h"}, "spec": s})
}

fn cpu(target: Value) -> Value {
    json!({"type": "Resource", "resource": {"name": "cpu", "target": target}})
}

#[test]
fn autoscaler_rules() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            hpa(json!({"metrics": [
                cpu(json!({"type": "Utilization", "averageUtilization": 80})),
                {"type": "Pods", "pods": {"metric": {"name": "rps"},
                    "target": {"type": "AverageValue", "averageValue": "100"}}},
                {"type": "Object", "object": {"describedObject": {"kind": "Ingress", "name": "main"},
                    "metric": {"name": "hits"}, "target": {"type": "Value", "value": "10k"}}},
                {"type": "External", "external": {"metric": {"name": "queue"},
                    "target": {"type": "AverageValue", "averageValue": "30"}}},
                {"type": "ContainerResource", "containerResource": {"name": "memory", "container": "app",
                    "target": {"type": "AverageValue", "averageValue": "1Gi"}}},
            ], "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300,
                "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}]},
                "scaleUp": {"selectPolicy": "Max"}}})),
            &[],
        ),
        (
            "replicas and target",
            hpa(json!({"minReplicas": 0, "maxReplicas": 0, "scaleTargetRef": {"kind": "a/b"}})),
            &[
                "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
                "spec.maxReplicas: Invalid value: 0: must be greater than 0",
                "spec.scaleTargetRef.kind: Invalid value: \"a/b\": may not contain '/'",
                "spec.scaleTargetRef.name: Required value",
                "spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas",
            ],
        ),
        (
            "max below min",
            hpa(json!({"minReplicas": 3, "maxReplicas": 2})),
            &["spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"],
        ),
        (
            // only one source, even the wrong one, is not "more than the given one"
            "metric types and sources",
            hpa(json!({"metrics": [
                {"type": "Magic"},
                {"type": "Resource", "pods": {"metric": {"name": "m"}, "target": {"type": "AverageValue", "averageValue": "1"}}},
                {"type": "Pods", "pods": {"metric": {"name": "m"}, "target": {"type": "AverageValue", "averageValue": "1"}},
                 "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
            ]})),
            &[
                "spec.metrics[0].type: Unsupported value: \"Magic\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"",
                "spec.metrics[0].type: Unsupported value: \"Magic\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"",
                "spec.metrics[1].resource: Required value: must populate information for the given metric source",
                "spec.metrics[2].resource: Forbidden: must populate the given metric source only",
            ],
        ),
        (
            "targets",
            hpa(json!({"metrics": [
                cpu(json!({"type": "Percent", "averageUtilization": 0, "averageValue": "-1"})),
                cpu(json!({"type": "Utilization"})),
                {"type": "Pods", "pods": {"metric": {}, "target": {"type": "Value", "value": "0"}}},
                {"type": "External", "external": {"metric": {"name": "q"},
                    "target": {"type": "Value", "value": "1", "averageValue": "1"}}},
                {"type": "ContainerResource", "containerResource": {"name": "gpu",
                    "target": {"type": "Utilization", "averageUtilization": 50}}},
            ]})),
            &[
                "spec.metrics[0].resource.target.type: Invalid value: \"Percent\": must be either Utilization, Value, or AverageValue",
                "spec.metrics[0].resource.target.averageValue: Invalid value: resource.Quantity{...}: must be positive",
                "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
                "spec.metrics[0].resource.target.averageValue: Forbidden: may not set both a target raw value and a target utilization",
                "spec.metrics[1].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization",
                "spec.metrics[2].pods.metric.name: Required value: must specify a metric name",
                "spec.metrics[2].pods.target.value: Invalid value: resource.Quantity{...}: must be positive",
                "spec.metrics[2].pods.target.averageValue: Required value: must specify a positive target averageValue",
                "spec.metrics[3].external.target.value: Forbidden: may not set both a target value for metric and a per-pod target",
                "spec.metrics[4].containerResource.name: Invalid value: \"gpu\": must be a standard resource type or fully qualified",
                "spec.metrics[4].containerResource.name: Invalid value: \"gpu\": must be a standard resource for containers",
                "spec.metrics[4].containerResource.container: Required value: must specify a container",
            ],
        ),
        (
            "behavior",
            hpa(json!({"behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 4000, "selectPolicy": "Fastest", "policies": []},
                "scaleDown": {"stabilizationWindowSeconds": -1, "policies": [
                    {"type": "Nodes", "value": 0, "periodSeconds": 1801}]},
            }})),
            &[
                "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal to 3600",
                "spec.behavior.scaleUp.selectPolicy: Unsupported value: \"Fastest\": supported values: \"Disabled\", \"Max\", \"Min\"",
                "spec.behavior.scaleUp.policies: Required value: must specify at least one Policy",
                "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be greater than or equal to zero",
                "spec.behavior.scaleDown.policies[0].type: Unsupported value: \"Nodes\": supported values: \"Percent\", \"Pods\"",
                "spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero",
                "spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800",
            ],
        ),
    ];
    check("autoscaling", "HorizontalPodAutoscaler", cases);
    // a stored minReplicas of 0 stays allowed
    let zero = hpa(
        json!({"minReplicas": 0, "metrics": [{"type": "External", "external": {
        "metric": {"name": "q"}, "target": {"type": "Value", "value": "1"}}}]}),
    );
    assert_eq!(
        lines("autoscaling", "HorizontalPodAutoscaler", &zero, None),
        ["spec.minReplicas: Invalid value: 0: must be greater than or equal to 1"]
    );
    assert!(lines("autoscaling", "HorizontalPodAutoscaler", &zero, Some(&zero)).is_empty());
}
