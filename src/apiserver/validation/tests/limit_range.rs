use serde_json::{Value, json};

use super::check;

fn lr(limits: Value) -> Value {
    json!({"metadata": {"name": "l"}, "spec": {"limits": limits}})
}

#[test]
fn limit_range_rules() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            lr(json!([
                {"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m"},
                 "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "200m"},
                 "maxLimitRequestRatio": {"cpu": "4"}},
                {"type": "Pod", "max": {"memory": "2Gi"}},
                {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "10Gi"}},
            ])),
            &[],
        ),
        (
            "types",
            lr(json!([{"type": "Node"}, {"type": "Pod"}, {"type": "Pod"}])),
            &[
                "spec.limits[0].type: Invalid value: \"Node\": must be a standard limit type or fully qualified",
                "spec.limits[2].type: Duplicate value: \"Pod\"",
            ],
        ),
        (
            "names and pod defaults",
            lr(json!([
                {"type": "Container", "max": {"pods": "1", "example.com/dongle": "1"}},
                {"type": "Pod", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "1"}},
                {"type": "PersistentVolumeClaim", "max": {"requests.storage": "1Gi"}},
            ])),
            &[
                "spec.limits[0].max[pods]: Invalid value: \"pods\": must be a standard resource for containers",
                "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'",
                "spec.limits[1].defaultRequest: Forbidden: may not be specified when `type` is 'Pod'",
                "spec.limits[2].limits: Required value: either minimum or maximum storage value is required, but neither was provided",
            ],
        ),
        (
            "order",
            lr(json!([
                {"type": "Container", "max": {"cpu": "1"}, "min": {"cpu": "2"},
                 "default": {"cpu": "3"}, "defaultRequest": {"cpu": "500m"},
                 "maxLimitRequestRatio": {"cpu": "500m"}},
            ])),
            &[
                "spec.limits[0].min[cpu]: Invalid value: resource.Quantity{...}: min value 2 is greater than max value 1",
                "spec.limits[0].defaultRequest[cpu]: Invalid value: resource.Quantity{...}: min value 2 is greater than default request value 500m",
                "spec.limits[0].default[cpu]: Invalid value: resource.Quantity{...}: default value 3 is greater than max value 1",
                "spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: resource.Quantity{...}: ratio 500m is less than 1",
            ],
        ),
        (
            "ratio above max/min and hugepages defaults",
            lr(json!([
                {"type": "Container", "max": {"memory": "1Gi"}, "min": {"memory": "512Mi"},
                 "maxLimitRequestRatio": {"memory": "3"},
                 "default": {"hugepages-2Mi": "4Mi"}, "defaultRequest": {"hugepages-2Mi": "2Mi"}},
            ])),
            &[
                "spec.limits[0].defaultRequest[hugepages-2Mi]: Invalid value: resource.Quantity{...}: default value 4Mi must equal to defaultRequest value 2Mi in hugepages-2Mi",
                "spec.limits[0].maxLimitRequestRatio[memory]: Invalid value: resource.Quantity{...}: ratio 3 is greater than max/min = 2.000000",
            ],
        ),
    ];
    check("", "LimitRange", cases);
}
