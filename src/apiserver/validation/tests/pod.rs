use serde_json::json;

use super::{check, lines, pod_spec};

fn pod(spec: serde_json::Value) -> serde_json::Value {
    json!({"metadata": {"name": "p"}, "spec": spec})
}

#[test]
fn pod_create_rules() {
    let cases: &[(&str, serde_json::Value, &[&str])] = &[
        ("valid", pod(pod_spec()), &[]),
        (
            "no containers",
            pod(json!({})),
            &["spec.containers: Required value"],
        ),
        (
            "container without name or image",
            pod(json!({"containers": [{}]})),
            &[
                "spec.containers[0].name: Required value",
                "spec.containers[0].image: Required value",
            ],
        ),
        (
            "bad and duplicate names",
            pod(
                json!({"containers": [{"name": "A", "image": "x"}, {"name": "A", "image": "x"}],
                       "initContainers": [{"name": "A", "image": "x"}]}),
            ),
            &[
                "spec.containers[0].name: Invalid value: \"A\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "spec.containers[1].name: Invalid value: \"A\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "spec.containers[1].name: Duplicate value: \"A\"",
                "spec.initContainers[0].name: Invalid value: \"A\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "spec.initContainers[0].name: Duplicate value: \"A\"",
            ],
        ),
        (
            "ports",
            pod(json!({"containers": [{"name": "a", "image": "x", "ports": [
                {"containerPort": 80, "name": "http"},
                {"containerPort": 70000, "name": "http", "protocol": "ICMP"},
                {"name": "Bad"},
            ]}]})),
            &[
                "spec.containers[0].ports[1].name: Duplicate value: \"http\"",
                "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.containers[0].ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "spec.containers[0].ports[2].name: Invalid value: \"Bad\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "spec.containers[0].ports[2].containerPort: Required value",
            ],
        ),
        (
            "env names",
            pod(json!({"containers": [{"name": "a", "image": "x", "env": [
                {"name": "OK_1.x-y"}, {"name": "A=B"}, {"name": ""},
            ]}]})),
            &[
                "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
                "spec.containers[0].env[2].name: Required value",
            ],
        ),
        (
            "requests above limits",
            pod(
                json!({"containers": [{"name": "a", "image": "x", "resources": {
                    "limits": {"cpu": "500m", "memory": "1Gi"},
                    "requests": {"cpu": "0.6", "memory": "1024Mi"},
                }}]}),
            ),
            &[
                "spec.containers[0].resources.requests: Invalid value: \"600m\": must be less than or equal to cpu limit of 500m",
            ],
        ),
        (
            "bad and negative quantities",
            pod(
                json!({"containers": [{"name": "a", "image": "x", "resources": {
                    "requests": {"cpu": "-1", "memory": "lots"},
                }}]}),
            ),
            &[
                "spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
                "spec.containers[0].resources.requests[memory]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            ],
        ),
        (
            "policies",
            pod(
                json!({"containers": [{"name": "a", "image": "x"}], "restartPolicy": "Sometimes", "dnsPolicy": "Cluster"}),
            ),
            &[
                "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
                "spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
            ],
        ),
        (
            "volumes and mounts",
            pod(json!({
                "volumes": [{"name": "data", "emptyDir": {}}, {"name": "data", "emptyDir": {}}, {"name": "Bad_", "emptyDir": {}}],
                "containers": [{"name": "a", "image": "x", "volumeMounts": [
                    {"name": "data", "mountPath": "/d"}, {"name": "x", "mountPath": "/d"},
                ]}],
            })),
            &[
                "spec.volumes[1].name: Duplicate value: \"data\"",
                "spec.volumes[2].name: Invalid value: \"Bad_\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "spec.containers[0].volumeMounts[1].name: Not found: \"x\"",
                "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/d\": must be unique",
            ],
        ),
        (
            "image whitespace and deadline",
            pod(json!({"containers": [{"name": "a", "image": " x"}], "activeDeadlineSeconds": 0})),
            &[
                "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
                "spec.containers[0].image: Invalid value: \" x\": must not have leading or trailing whitespace",
            ],
        ),
        (
            "tolerations",
            pod(
                json!({"containers": [{"name": "a", "image": "x"}], "tolerations": [
                    {"operator": "Equal"}, {"key": "k", "operator": "Maybe", "effect": "Never"},
                ]}),
            ),
            &[
                "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
                "spec.tolerations[1].operator: Unsupported value: \"Maybe\": supported values: \"Equal\", \"Exists\"",
                "spec.tolerations[1].effect: Unsupported value: \"Never\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
            ],
        ),
    ];
    check("", "Pod", cases);
}

#[test]
fn pod_update_rules() {
    let old = pod(json!({
        "containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80}],
            "resources": {"requests": {"cpu": "500m"}}}],
        "activeDeadlineSeconds": 100,
        "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}],
    }));
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut p = old.clone();
        f(&mut p);
        p
    };
    let forbidden = format!(
        "spec: Forbidden: pod updates may not change fields other than {}",
        super::super::pod::UPDATABLE_POD_SPEC_FIELDS
    );
    let cases: Vec<(&str, serde_json::Value, Vec<String>)> = vec![
        ("unchanged", old.clone(), vec![]),
        ("image", with(&|p| p["spec"]["containers"][0]["image"] = json!("y")), vec![]),
        (
            "deadline lowered, toleration added and seconds changed",
            with(&|p| {
                p["spec"]["activeDeadlineSeconds"] = json!(50);
                p["spec"]["tolerations"][0]["tolerationSeconds"] = json!(9);
                p["spec"]["tolerations"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"key": "j", "operator": "Exists"}));
            }),
            vec![],
        ),
        (
            "resources rewritten as equal quantities",
            with(&|p| {
                p["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": "0.5"}});
            }),
            vec![],
        ),
        (
            "port changed",
            with(&|p| p["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(81)),
            vec![forbidden.clone()],
        ),
        (
            "deadline raised",
            with(&|p| p["spec"]["activeDeadlineSeconds"] = json!(200)),
            vec!["spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value".into()],
        ),
        (
            "deadline removed",
            with(&|p| p["spec"].as_object_mut().unwrap().remove("activeDeadlineSeconds").map(drop).unwrap_or(())),
            vec!["spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value".into()],
        ),
        (
            "toleration removed",
            with(&|p| p["spec"]["tolerations"] = json!([])),
            vec!["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds".into()],
        ),
        (
            "container added",
            with(&|p| {
                p["spec"]["containers"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "b", "image": "x"}));
            }),
            vec!["spec.containers: Forbidden: pod updates may not add or remove containers".into()],
        ),
    ];
    for (name, new, want) in cases {
        assert_eq!(lines("", "Pod", &new, Some(&old)), want, "case {name}");
    }
}

#[test]
fn host_ports_and_gates() {
    let ports = |p: serde_json::Value| json!({"name": "c", "image": "x", "ports": p});
    let cases: &[(&str, serde_json::Value, &[&str])] = &[
        (
            "distinct host ports, gates",
            pod(json!({
                "containers": [
                    {"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 80, "protocol": "TCP"}]},
                    {"name": "b", "image": "x", "ports": [{"containerPort": 80, "hostPort": 80, "protocol": "UDP"},
                        {"containerPort": 81, "hostPort": 80, "protocol": "TCP", "hostIP": "10.0.0.1"}]},
                ],
                "initContainers": [{"name": "i", "image": "x", "ports": [{"containerPort": 80, "hostPort": 80, "protocol": "TCP"}]}],
                "readinessGates": [{"conditionType": "example.com/ready"}],
                "schedulingGates": [{"name": "example.com/quota"}],
            })),
            &[],
        ),
        (
            "host port used twice",
            pod(json!({
                "containers": [
                    {"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}]},
                    {"name": "b", "image": "x", "ports": [{"containerPort": 81, "hostPort": 8080, "protocol": "TCP"}]},
                ],
                "initContainers": [
                    {"name": "i", "image": "x"},
                    {"name": "j", "image": "x", "ports": [{"containerPort": 1, "hostPort": 9, "protocol": "TCP"}, {"containerPort": 2, "hostPort": 9, "protocol": "TCP"}]},
                ],
            })),
            &[
                "spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\"",
                "spec.initContainers[0].ports[1].hostPort: Duplicate value: \"TCP//9\"",
            ],
        ),
        (
            "host network",
            pod(json!({"hostNetwork": true, "containers": [ports(json!([
                {"containerPort": 80, "hostPort": 80}, {"containerPort": 81, "hostPort": 82},
            ]))]})),
            &[
                "spec.containers[0].ports[1].hostPort: Invalid value: 82: must match `containerPort` when `hostNetwork` is true",
            ],
        ),
        (
            "gates",
            pod(json!({
                "containers": [{"name": "a", "image": "x"}],
                "readinessGates": [{"conditionType": "a/b/c"}],
                "schedulingGates": [{"name": "g"}, {"name": "g"}],
            })),
            &[
                "spec.readinessGates[0].conditionType: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                "spec.schedulingGates[1]: Duplicate value: \"g\"",
            ],
        ),
    ];
    check("", "Pod", cases);
}
