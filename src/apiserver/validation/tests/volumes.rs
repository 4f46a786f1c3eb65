use serde_json::{Value, json};

use super::{check, pod};

/// A Pod with `volumes` and one container mounting `mounts`.
fn with_volumes(volumes: Value, mounts: Value) -> Value {
    pod(json!({
        "volumes": volumes,
        "containers": [{"name": "a", "image": "x", "volumeMounts": mounts}],
    }))
}

const MODE: &str = "must be a number between 0 and 0777 (octal), both inclusive";

#[test]
fn volume_sources() {
    let valid = with_volumes(
        json!([
            {"name": "e", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
            {"name": "h", "hostPath": {"path": "/var/log", "type": "Directory"}},
            {"name": "u", "hostPath": {"path": "/run/x.sock", "type": ""}},
            {"name": "s", "secret": {"secretName": "s", "defaultMode": 420,
                "items": [{"key": "k", "path": "a/b", "mode": 256}]}},
            {"name": "c", "configMap": {"name": "cm", "optional": true, "items": [{"key": "k", "path": "k"}]}},
            {"name": "p", "persistentVolumeClaim": {"claimName": "data", "readOnly": true}},
            {"name": "d", "downwardAPI": {"defaultMode": 511, "items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                {"path": "anno", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.annotations['x.io/Y']"}},
                {"path": "cpu", "resourceFieldRef": {"containerName": "a", "resource": "limits.cpu", "divisor": "1m"}},
                {"path": "mem", "resourceFieldRef": {"containerName": "a", "resource": "requests.memory", "divisor": "1Mi"}},
            ]}},
            {"name": "pr", "projected": {"defaultMode": 420, "sources": [
                {"secret": {"name": "s", "items": [{"key": "a", "path": "a"}]}},
                {"configMap": {"name": "c", "items": [{"key": "b", "path": "b"}]}},
                {"downwardAPI": {"items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name"}}]}},
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 600, "audience": "x"}},
            ]}},
            {"name": "n", "nfs": {"server": "nfs.local", "path": "/exports"}},
            {"name": "cs", "csi": {"driver": "x.csi.io"}},
        ]),
        json!([{"name": "e", "mountPath": "/e"}, {"name": "pr", "mountPath": "/pr"}]),
    );
    let cases: &[(&str, Value, &[&str])] = &[
        ("every common source", valid, &[]),
        (
            "more than one source, and a mount of the invalid volume",
            with_volumes(
                json!([{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}, "downwardAPI": {}, "cephfs": {}}]),
                json!([{"name": "v", "mountPath": "/v"}]),
            ),
            &[
                "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type",
                "spec.volumes[0].cephFS: Forbidden: may not specify more than 1 volume type",
                "spec.volumes[0].downwarAPI: Forbidden: may not specify more than 1 volume type",
                "spec.containers[0].volumeMounts[0].name: Not found: \"v\"",
            ],
        ),
        (
            "source errors come before name errors",
            with_volumes(
                json!([{"name": "Bad_", "hostPath": {"path": ""}}]),
                json!([]),
            ),
            &[
                "spec.volumes[0].hostPath.path: Required value",
                "spec.volumes[0].name: Invalid value: \"Bad_\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ],
        ),
        (
            "hostPath",
            with_volumes(
                json!([{"name": "b", "hostPath": {"path": "/a/../b", "type": "Dir"}}]),
                json!([]),
            ),
            &[
                "spec.volumes[0].hostPath.path: Invalid value: \"/a/../b\": must not contain '..'",
                "spec.volumes[0].hostPath.type: Unsupported value: \"Dir\": supported values: \"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\"",
            ],
        ),
        (
            "emptyDir size limit",
            with_volumes(
                json!([{"name": "e", "emptyDir": {"sizeLimit": "-1Gi"}}, {"name": "f", "emptyDir": {"sizeLimit": "lots"}}]),
                json!([]),
            ),
            &[
                "spec.volumes[0].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity",
                "spec.volumes[1].emptyDir.sizeLimit: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            ],
        ),
        (
            "secret items",
            with_volumes(
                json!([{"name": "s", "secret": {"defaultMode": 512, "items": [
                    {"key": "", "path": "/abs"},
                    {"key": "k", "path": "..", "mode": -1},
                    {"key": "k", "path": "..x"},
                    {"key": "k", "path": "a/../b"},
                    {"key": "k"},
                ]}}]),
                json!([]),
            ),
            &[
                "spec.volumes[0].secret.secretName: Required value",
                "spec.volumes[0].secret.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive",
                "spec.volumes[0].secret.items[0].key: Required value",
                "spec.volumes[0].secret.items[0].path: Invalid value: \"/abs\": must be a relative path",
                "spec.volumes[0].secret.items[1].path: Invalid value: \"..\": must not contain '..'",
                "spec.volumes[0].secret.items[1].path: Invalid value: \"..\": must not start with '..'",
                "spec.volumes[0].secret.items[1].mode: Invalid value: -1: must be a number between 0 and 0777 (octal), both inclusive",
                "spec.volumes[0].secret.items[2].path: Invalid value: \"..x\": must not start with '..'",
                "spec.volumes[0].secret.items[3].path: Invalid value: \"a/../b\": must not contain '..'",
                "spec.volumes[0].secret.items[4].path: Required value",
            ],
        ),
        (
            "configMap and claim names",
            with_volumes(
                json!([
                    {"name": "c", "configMap": {"defaultMode": 1000}},
                    {"name": "p", "persistentVolumeClaim": {}},
                ]),
                json!([]),
            ),
            &[
                "spec.volumes[0].configMap.name: Required value",
                "spec.volumes[0].configMap.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive",
                "spec.volumes[1].persistentVolumeClaim.claimName: Required value",
            ],
        ),
        (
            "downwardAPI items, reported at the source",
            with_volumes(
                json!([{"name": "d", "downwardAPI": {"items": [
                    {"path": "x", "fieldRef": {"fieldPath": "spec.nodeName"}},
                    {"path": "y", "fieldRef": {"fieldPath": "metadata.foo"}},
                    {"path": "v", "fieldRef": {"apiVersion": "v2", "fieldPath": "metadata.name"}},
                    {"path": "z"},
                    {"path": "w", "fieldRef": {"fieldPath": "metadata.name"}, "resourceFieldRef": {"resource": "limits.cpu"}},
                    {"path": "r", "resourceFieldRef": {"resource": "limits.cpu"}},
                    {"path": "q", "resourceFieldRef": {"containerName": "a", "resource": "limits.gpu"}},
                    {"path": "m", "resourceFieldRef": {"containerName": "a", "resource": "limits.memory", "divisor": "3"}},
                    {"path": "c", "resourceFieldRef": {"containerName": "a", "resource": "requests.cpu", "divisor": "10m"}},
                    {"fieldRef": {"fieldPath": "metadata.uid"}, "mode": 4096},
                ]}}]),
                json!([]),
            ),
            &[
                "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: \"spec.nodeName\": supported values: \"metadata.annotations\", \"metadata.labels\", \"metadata.name\", \"metadata.namespace\", \"metadata.uid\"",
                "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Invalid value: \"metadata.foo\": error converting fieldPath: field label not supported: metadata.foo",
                "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Invalid value: \"metadata.name\": error converting fieldPath: unsupported pod version: v2",
                "spec.volumes[0].downwardAPI: Required value: one of fieldRef and resourceFieldRef is required",
                "spec.volumes[0].downwardAPI: Invalid value: \"resource\": fieldRef and resourceFieldRef can not be specified simultaneously",
                "spec.volumes[0].downwardAPI.resourceFieldRef.containerName: Required value",
                "spec.volumes[0].downwardAPI.resourceFieldRef.resource: Unsupported value: \"limits.gpu\": supported values: \"limits.cpu\", \"limits.ephemeral-storage\", \"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", \"requests.memory\"",
                "spec.volumes[0].downwardAPI.resourceFieldRef.divisor: Invalid value: \"limits.memory\": only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource",
                "spec.volumes[0].downwardAPI.resourceFieldRef.divisor: Invalid value: \"requests.cpu\": only divisor's values 1m and 1 are supported with the cpu resource",
                "spec.volumes[0].downwardAPI.path: Required value",
                "spec.volumes[0].downwardAPI.mode: Invalid value: 4096: must be a number between 0 and 0777 (octal), both inclusive",
            ],
        ),
        (
            "projected sources",
            with_volumes(
                json!([{"name": "p", "projected": {"defaultMode": 1000, "sources": [
                    {"secret": {"items": [{"key": "a", "path": "dup"}]},
                     "configMap": {"name": "c", "items": [{"key": "b", "path": "dup"}]}},
                    {"serviceAccountToken": {"expirationSeconds": 60, "path": ""}},
                    {"serviceAccountToken": {"expirationSeconds": 4_294_967_297_i64, "path": "/abs"}},
                    {"downwardAPI": {"items": [{"path": "dup", "fieldRef": {"fieldPath": "metadata.name"}}]}},
                ]}}]),
                json!([]),
            ),
            &[
                "spec.volumes[0].projected.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive",
                "spec.volumes[0].projected.sources[0].secret.name: Required value",
                "spec.volumes[0].projected: Invalid value: \"c\": conflicting duplicate paths",
                "spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type per source",
                "spec.volumes[0].projected.sources[1].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes",
                "spec.volumes[0].projected.path: Required value",
                "spec.volumes[0].projected.sources[2].serviceAccountToken.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds",
                "spec.volumes[0].projected.path: Invalid value: \"/abs\": must be a relative path",
                "spec.volumes[0].projected: Invalid value: \"dup\": conflicting duplicate paths",
            ],
        ),
    ];
    check("", "Pod", cases);
}

#[test]
fn file_modes_are_octal_0_to_0777() {
    let mode = |m: i64| {
        with_volumes(
            json!([{"name": "s", "secret": {"secretName": "s", "defaultMode": m}}]),
            json!([]),
        )
    };
    let bad = |m: i64| format!("spec.volumes[0].secret.defaultMode: Invalid value: {m}: {MODE}");
    assert!(super::lines("", "Pod", &mode(0), None).is_empty());
    assert!(super::lines("", "Pod", &mode(0o777), None).is_empty());
    assert_eq!(super::lines("", "Pod", &mode(0o1000), None), [bad(512)]);
    assert_eq!(super::lines("", "Pod", &mode(-1), None), [bad(-1)]);
}

#[test]
fn env_value_sources() {
    let env = |env: Value| super::pod_with_container(json!({"env": env}));
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "every source",
            env(json!([
                {"name": "A", "value": "x"},
                {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "C", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
                {"name": "D", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k.x"}}},
                {"name": "E", "valueFrom": {"secretKeyRef": {"name": "s", "key": "K_1", "optional": true}}},
                {"name": "F", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            ])),
            &[],
        ),
        (
            "bad sources",
            env(json!([
                {"name": "A", "valueFrom": {}},
                {"name": "B", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}, "secretKeyRef": {"name": "s", "key": "k"}}},
                {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels"}}},
                {"name": "E", "valueFrom": {"configMapKeyRef": {"name": "cm"}}},
                {"name": "F", "valueFrom": {"resourceFieldRef": {}}},
            ])),
            &[
                "spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
                "spec.containers[0].env[1].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty",
                "spec.containers[0].env[2].valueFrom: Invalid value: \"\": may not have more than one field specified at a time",
                "spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Unsupported value: \"metadata.labels\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
                "spec.containers[0].env[4].valueFrom.configMapKeyRef.key: Required value",
                "spec.containers[0].env[5].valueFrom.resourceFieldRef.resource: Required value",
            ],
        ),
        (
            "envFrom",
            super::pod_with_container(json!({"envFrom": [
                {"configMapRef": {"name": "cm-"}, "prefix": "P_"},
                {"prefix": "X"},
                {"secretRef": {}},
            ]})),
            &[
                "spec.containers[0].envFrom: Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`",
                "spec.containers[0].envFrom[2].secretRef.name: Required value",
            ],
        ),
    ];
    check("", "Pod", cases);
}
