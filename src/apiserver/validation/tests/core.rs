use serde_json::{Value, json};

use super::check;

#[test]
fn service_rules() {
    let svc = |spec: Value| json!({"metadata": {"name": "s"}, "spec": spec});
    check(
        "",
        "Service",
        &[
            (
                "valid",
                svc(json!({"ports": [{"port": 80, "targetPort": "http"}]})),
                &[],
            ),
            (
                "headless without ports",
                svc(json!({"clusterIP": "None"})),
                &[],
            ),
            ("no ports", svc(json!({})), &["spec.ports: Required value"]),
            (
                "external name",
                svc(json!({"type": "ExternalName"})),
                &["spec.externalName: Required value"],
            ),
            (
                "external name set",
                svc(json!({"type": "ExternalName", "externalName": "example.com."})),
                &[],
            ),
            (
                "ports",
                svc(json!({"ports": [
                {"port": 0, "protocol": "ICMP", "targetPort": 70000},
                {"name": "a", "port": 80, "targetPort": "Http"},
                {"name": "a", "port": 81, "nodePort": 30000},
            ], "type": "Cluster"})),
                &[
                    "spec.ports[0].name: Required value",
                    "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                    "spec.ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                    "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                    "spec.ports[1].targetPort: Invalid value: \"Http\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                    "spec.ports[2].name: Duplicate value: \"a\"",
                    "spec.type: Unsupported value: \"Cluster\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
                ],
            ),
            (
                "node port on cluster ip",
                svc(json!({"type": "ClusterIP", "ports": [{"port": 80, "nodePort": 30001}]})),
                &["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
            ),
        ],
    );
}

#[test]
fn config_map_rules() {
    let key_err = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
    let big = "x".repeat(1024 * 1024 + 1);
    check(
        "",
        "ConfigMap",
        &[
            (
                "valid",
                json!({"data": {"a.b": "1", "C_d-e": "2"}, "binaryData": {"bin": "AAE="}}),
                &[],
            ),
            (
                "bad key",
                json!({"data": {"a b": "1"}}),
                &[&format!("data[a b]: Invalid value: \"a b\": {key_err}")],
            ),
            (
                "both bags",
                json!({"data": {"k": "1"}, "binaryData": {"k": "AA=="}}),
                &[
                    "data[k]: Invalid value: \"k\": duplicate of key present in binaryData",
                    "binaryData[k]: Invalid value: \"k\": duplicate of key present in data",
                ],
            ),
            (
                "too big",
                json!({"data": {"k": big}}),
                &[": Too long: must have at most 1048576 bytes"],
            ),
        ],
    );
}

#[test]
fn secret_rules() {
    check(
        "",
        "Secret",
        &[
            ("opaque", json!({"data": {"k": "dg=="}}), &[]),
            (
                "tls ok",
                json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}}),
                &[],
            ),
            (
                "tls missing",
                json!({"type": "kubernetes.io/tls", "stringData": {"tls.crt": "c"}}),
                &["data[tls.key]: Required value"],
            ),
            (
                "docker config json missing",
                json!({"type": "kubernetes.io/dockerconfigjson", "data": {}}),
                &["data[.dockerconfigjson]: Required value"],
            ),
            (
                "docker config json ok",
                json!({"type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": "{\"auths\":{}}"}}),
                &[],
            ),
            (
                "docker config json truncated",
                json!({"type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": "{"}}),
                &[
                    "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": unexpected end of JSON input",
                ],
            ),
            (
                "basic auth",
                json!({"type": "kubernetes.io/basic-auth"}),
                &[
                    "data[username]: Required value",
                    "data[password]: Required value",
                ],
            ),
            (
                "bad key and size",
                json!({"stringData": {"..x": "y".repeat(1024 * 1024 + 1)}}),
                &[
                    "data[..x]: Invalid value: \"..x\": must not start with '..'",
                    "data: Too long: must have at most 1048576 bytes",
                ],
            ),
        ],
    );
}

#[test]
fn namespace_finalizers() {
    check(
        "",
        "Namespace",
        &[
            (
                "standard",
                json!({"spec": {"finalizers": ["kubernetes", "example.com/x"]}}),
                &[],
            ),
            (
                "unqualified",
                json!({"spec": {"finalizers": ["custom"]}}),
                &[
                    "spec.finalizers: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified",
                ],
            ),
        ],
    );
}
