use serde_json::{Value, json};

use super::{check, pod, pod_with_container};

fn exec() -> Value {
    json!({"exec": {"command": ["true"]}})
}

/// `exec` with `extra` fields.
fn exec_with(extra: Value) -> Value {
    let mut p = exec();
    for (k, v) in extra.as_object().into_iter().flatten() {
        p[k] = v.clone();
    }
    p
}

#[test]
fn probes() {
    let valid = pod(json!({
        "terminationGracePeriodSeconds": 30,
        "containers": [
            {"name": "a", "image": "x", "ports": [{"name": "http", "containerPort": 8080}],
             "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTPS",
                "httpHeaders": [{"name": "X-Custom", "value": "v"}]},
                "initialDelaySeconds": 5, "successThreshold": 1, "terminationGracePeriodSeconds": 10},
             "readinessProbe": {"tcpSocket": {"port": "http"}, "successThreshold": 3},
             "startupProbe": {"exec": {"command": ["true"]}, "failureThreshold": 30, "periodSeconds": 10},
             "lifecycle": {"postStart": {"exec": {"command": ["sh"]}}, "preStop": {"sleep": {"seconds": 30}}}},
            {"name": "b", "image": "x", "readinessProbe": {"grpc": {"port": 9090, "service": "s"}},
             "livenessProbe": {"exec": {"command": ["true"]}, "successThreshold": 0, "timeoutSeconds": 0},
             "lifecycle": {"preStop": {"httpGet": {"port": 80}}}},
        ],
    }));
    let probe = |field: &str, probe: Value| pod_with_container(json!({field: probe}));
    let cases: &[(&str, Value, &[&str])] = &[
        ("every handler", valid, &[]),
        (
            "no handler",
            probe("livenessProbe", json!({"periodSeconds": 10})),
            &["spec.containers[0].livenessProbe: Required value: must specify a handler type"],
        ),
        (
            "two handlers",
            probe(
                "readinessProbe",
                json!({"exec": {"command": ["a"]}, "httpGet": {"port": 80}, "tcpSocket": {"port": 80}}),
            ),
            &[
                "spec.containers[0].readinessProbe.httpGet: Forbidden: may not specify more than 1 handler type",
                "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
            ],
        ),
        (
            "numbers",
            probe(
                "livenessProbe",
                exec_with(
                    json!({"initialDelaySeconds": -1, "timeoutSeconds": -1, "periodSeconds": -2,
                    "successThreshold": 2, "failureThreshold": -3, "terminationGracePeriodSeconds": 0}),
                ),
            ),
            &[
                "spec.containers[0].livenessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.containers[0].livenessProbe.timeoutSeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.containers[0].livenessProbe.periodSeconds: Invalid value: -2: must be greater than or equal to 0",
                "spec.containers[0].livenessProbe.failureThreshold: Invalid value: -3: must be greater than or equal to 0",
                "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0",
                "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
            ],
        ),
        (
            "negative success threshold",
            probe("startupProbe", exec_with(json!({"successThreshold": -1}))),
            &[
                "spec.containers[0].startupProbe.successThreshold: Invalid value: -1: must be greater than or equal to 0",
                "spec.containers[0].startupProbe.successThreshold: Invalid value: -1: must be 1",
            ],
        ),
        (
            "readiness grace period",
            probe(
                "readinessProbe",
                exec_with(json!({"terminationGracePeriodSeconds": 10})),
            ),
            &[
                "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes",
            ],
        ),
        (
            "startup success threshold",
            probe("startupProbe", exec_with(json!({"successThreshold": 2}))),
            &["spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1"],
        ),
        (
            "exec without command",
            probe("startupProbe", json!({"exec": {}})),
            &["spec.containers[0].startupProbe.exec.command: Required value"],
        ),
        (
            "httpGet",
            probe(
                "livenessProbe",
                json!({"httpGet": {"scheme": "FTP", "httpHeaders": [{"name": "Bad Header"}]}}),
            ),
            &[
                "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: \"FTP\": supported values: \"HTTP\", \"HTTPS\"",
                "spec.containers[0].livenessProbe.httpGet.httpHeaders: Invalid value: \"Bad Header\": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
            ],
        ),
        (
            "tcpSocket and grpc ports",
            pod(json!({"containers": [
                {"name": "a", "image": "x", "livenessProbe": {"tcpSocket": {"port": "8080"}}},
                {"name": "b", "image": "x", "livenessProbe": {"grpc": {"port": 70000}}},
            ]})),
            &[
                "spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: \"8080\": must contain at least one letter (a-z)",
                "spec.containers[1].livenessProbe.grpc.port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            ],
        ),
    ];
    check("", "Pod", cases);
}

#[test]
fn lifecycle_hooks() {
    let hooks = |lifecycle: Value| {
        pod(json!({"terminationGracePeriodSeconds": 30,
            "containers": [{"name": "a", "image": "x", "lifecycle": lifecycle}]}))
    };
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "sleep within the grace period, zero allowed",
            hooks(
                json!({"preStop": {"sleep": {"seconds": 0}}, "postStart": {"tcpSocket": {"port": 1}}}),
            ),
            &[],
        ),
        (
            "no handler, long sleep, two handlers",
            hooks(json!({
                "postStart": {"exec": {"command": ["a"]}, "sleep": {"seconds": 1}},
                "preStop": {},
            })),
            &[
                "spec.containers[0].lifecycle.postStart.sleep: Forbidden: may not specify more than 1 handler type",
                "spec.containers[0].lifecycle.preStop: Required value: must specify a handler type",
            ],
        ),
        (
            "sleep past the grace period",
            hooks(
                json!({"preStop": {"sleep": {"seconds": 60}}, "postStart": {"sleep": {"seconds": -1}}}),
            ),
            &[
                "spec.containers[0].lifecycle.postStart.sleep: Invalid value: -1: must be non-negative and less than terminationGracePeriodSeconds (30)",
                "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be non-negative and less than terminationGracePeriodSeconds (30)",
            ],
        ),
        (
            "grpc is no lifecycle handler",
            hooks(json!({"preStop": {"grpc": {"port": 1}}})),
            &["spec.containers[0].lifecycle.preStop: Required value: must specify a handler type"],
        ),
    ];
    check("", "Pod", cases);
}

#[test]
fn init_containers_and_sidecars() {
    let with_init = |init: Value| {
        pod(json!({"containers": [{"name": "a", "image": "x"}], "initContainers": init}))
    };
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "a sidecar may have probes",
            with_init(
                json!([{"name": "s", "image": "x", "restartPolicy": "Always",
                "readinessProbe": exec(), "livenessProbe": exec(), "startupProbe": exec(),
                "lifecycle": {"preStop": exec()}}]),
            ),
            &[],
        ),
        (
            "init containers may not",
            with_init(json!([
                {"name": "i", "image": "x", "livenessProbe": exec(), "lifecycle": {"preStop": exec()}},
                {"name": "s", "image": "x", "restartPolicy": "Always", "readinessProbe": {}},
                {"name": "o", "image": "x", "restartPolicy": "OnFailure", "startupProbe": exec()},
            ])),
            &[
                "spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always",
                "spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
                "spec.initContainers[1].readinessProbe: Required value: must specify a handler type",
                "spec.initContainers[2].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"",
                "spec.initContainers[2].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
            ],
        ),
        (
            "regular containers have no restart policy",
            pod_with_container(json!({"restartPolicy": "Always"})),
            &[
                "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
            ],
        ),
    ];
    check("", "Pod", cases);
}
