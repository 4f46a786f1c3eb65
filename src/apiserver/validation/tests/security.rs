use serde_json::{Value, json};

use super::{check, pod, pod_with_container};

const RANGE: &str = "must be between 0 and 2147483647, inclusive";

/// A Pod whose spec has `fields` besides one container.
fn pod_spec_with(fields: Value) -> Value {
    let mut spec = json!({"containers": [{"name": "a", "image": "x"}]});
    for (k, v) in fields.as_object().into_iter().flatten() {
        spec[k] = v.clone();
    }
    pod(spec)
}

fn container_sc(sc: Value) -> Value {
    pod_with_container(json!({"securityContext": sc}))
}

#[test]
fn pod_security_context() {
    let range =
        |field: &str, v: i64| format!("spec.securityContext.{field}: Invalid value: {v}: {RANGE}");
    let cases: Vec<(&str, Value, Vec<String>)> = vec![
        (
            "valid",
            pod_spec_with(json!({"hostPID": true, "shareProcessNamespace": false, "securityContext": {
                "runAsUser": 1000, "runAsGroup": 0, "fsGroup": 2147483647, "runAsNonRoot": true,
                "supplementalGroups": [1, 2], "fsGroupChangePolicy": "OnRootMismatch",
                "supplementalGroupsPolicy": "Strict",
                "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}, {"name": "kernel/shm_rmid_forced", "value": "1"}],
                "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/audit.json"},
                "appArmorProfile": {"type": "RuntimeDefault"},
            }})),
            vec![],
        ),
        (
            "ids",
            pod_spec_with(json!({"securityContext": {
                "runAsUser": -1, "runAsGroup": 2147483648_i64, "fsGroup": -5, "supplementalGroups": [1, -1],
            }})),
            vec![
                range("fsGroup", -5),
                range("runAsUser", -1),
                range("runAsGroup", 2147483648),
                range("supplementalGroups[1]", -1),
            ],
        ),
        (
            "process namespace shared with the host",
            pod_spec_with(json!({"hostPID": true, "shareProcessNamespace": true})),
            vec!["spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled".into()],
        ),
        (
            "policies",
            pod_spec_with(json!({"securityContext": {
                "fsGroupChangePolicy": "Sometimes", "supplementalGroupsPolicy": "Loose",
            }})),
            vec![
                "spec.securityContext.fsGroupChangePolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnRootMismatch\"".into(),
                "spec.securityContext.supplementalGroupsPolicy: Unsupported value: \"Loose\": supported values: \"Merge\", \"Strict\"".into(),
            ],
        ),
        (
            "sysctls",
            pod_spec_with(json!({"securityContext": {"sysctls": [
                {"name": ""}, {"name": "net.core.somaxconn"}, {"name": "net.core.somaxconn"}, {"name": "Bad!"},
            ]}})),
            vec![
                "spec.securityContext.sysctls[0].name: Required value".into(),
                "spec.securityContext.sysctls[2].name: Duplicate value: \"net.core.somaxconn\"".into(),
                "spec.securityContext.sysctls[3].name: Invalid value: \"Bad!\": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$".into(),
            ],
        ),
        (
            "seccomp profile",
            pod_spec_with(json!({"securityContext": {"seccompProfile": {"type": "Localhost"}}})),
            vec!["spec.securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost".into()],
        ),
    ];
    for (name, obj, want) in cases {
        assert_eq!(super::lines("", "Pod", &obj, None), want, "case {name}");
    }
}

#[test]
fn container_security_context() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "valid",
            container_sc(json!({"runAsUser": 0, "runAsGroup": 10, "privileged": true,
                "allowPrivilegeEscalation": true, "readOnlyRootFilesystem": true,
                "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}, "procMount": "Default",
                "seccompProfile": {"type": "RuntimeDefault"},
                "appArmorProfile": {"type": "Localhost", "localhostProfile": "k8s-apparmor"}})),
            &[],
        ),
        (
            "ids",
            container_sc(json!({"runAsUser": -1, "runAsGroup": -2})),
            &[
                "spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive",
                "spec.containers[0].securityContext.runAsGroup: Invalid value: -2: must be between 0 and 2147483647, inclusive",
            ],
        ),
        (
            "privilege escalation",
            container_sc(
                json!({"privileged": true, "allowPrivilegeEscalation": false,
                "capabilities": {"add": ["CAP_SYS_ADMIN"]}}),
            ),
            &[
                "spec.containers[0].securityContext: Invalid value: core.SecurityContext{...}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
                "spec.containers[0].securityContext: Invalid value: core.SecurityContext{...}: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
            ],
        ),
        (
            "procMount",
            pod(json!({"containers": [
                {"name": "a", "image": "x", "securityContext": {"procMount": "Weird"}},
                {"name": "b", "image": "x", "securityContext": {"procMount": "Unmasked"}},
            ]})),
            &[
                "spec.containers[0].securityContext.procMount: Unsupported value: \"Weird\": supported values: \"Default\", \"Unmasked\"",
                "spec.containers[1].securityContext.procMount: Invalid value: \"Unmasked\": `hostUsers` must be false to use `Unmasked`",
            ],
        ),
        (
            "unmasked in a user namespace",
            pod(json!({"hostUsers": false, "containers": [
                {"name": "a", "image": "x", "securityContext": {"procMount": "Unmasked"}},
            ]})),
            &[],
        ),
        (
            "seccomp profiles",
            pod(json!({"containers": [
                {"name": "a", "image": "x", "securityContext": {"seccompProfile": {"type": "RuntimeDefault", "localhostProfile": "x"}}},
                {"name": "b", "image": "x", "securityContext": {"seccompProfile": {"type": "Custom"}}},
                {"name": "c", "image": "x", "securityContext": {"seccompProfile": {}}},
                {"name": "d", "image": "x", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "../x"}}},
                {"name": "e", "image": "x", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "/abs"}}},
            ]})),
            &[
                "spec.containers[0].securityContext.seccompProfile.localhostProfile: Invalid value: core.SeccompProfile{...}: can only be set when seccomp type is Localhost",
                "spec.containers[1].securityContext.seccompProfile.type: Unsupported value: \"Custom\": supported values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\"",
                "spec.containers[2].securityContext.seccompProfile.type: Required value: type is required when seccompProfile is set",
                "spec.containers[3].securityContext.seccompProfile.localhostProfile: Invalid value: \"../x\": must not contain '..'",
                "spec.containers[4].securityContext.seccompProfile.localhostProfile: Invalid value: \"/abs\": must be a relative path",
            ],
        ),
        (
            "AppArmor profiles",
            pod(json!({"containers": [
                {"name": "a", "image": "x", "securityContext": {"appArmorProfile": {"type": "Localhost"}}},
                {"name": "b", "image": "x", "securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": " p"}}},
                {"name": "c", "image": "x", "securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": ""}}},
                {"name": "d", "image": "x", "securityContext": {"appArmorProfile": {"type": "Unconfined", "localhostProfile": "p"}}},
                {"name": "e", "image": "x", "securityContext": {"appArmorProfile": {}}},
                {"name": "f", "image": "x", "securityContext": {"appArmorProfile": {"type": "Enforce"}}},
            ]})),
            &[
                "spec.containers[0].securityContext.appArmorProfile.localhostProfile: Required value: must be set when AppArmor type is Localhost",
                "spec.containers[1].securityContext.appArmorProfile.localhostProfile: Invalid value: \" p\": must not be padded with whitespace",
                "spec.containers[2].securityContext.appArmorProfile.localhostProfile: Required value: must be set when AppArmor type is Localhost",
                "spec.containers[3].securityContext.appArmorProfile.localhostProfile: Invalid value: \"p\": can only be set when AppArmor type is Localhost",
                "spec.containers[4].securityContext.appArmorProfile.type: Required value: type is required when appArmorProfile is set",
                "spec.containers[5].securityContext.appArmorProfile.type: Unsupported value: \"Enforce\": supported values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\"",
            ],
        ),
    ];
    check("", "Pod", cases);
}

#[test]
fn causes_carry_upstream_reasons() {
    let obj = container_sc(json!({"runAsUser": -1, "procMount": "Weird", "seccompProfile": {}}));
    let got: Vec<(String, String)> = super::super::validate("", "Pod", &obj, None)
        .into_iter()
        .map(|c| (c.reason_type, c.field))
        .collect();
    let want = [
        (
            "FieldValueInvalid",
            "spec.containers[0].securityContext.runAsUser",
        ),
        (
            "FieldValueNotSupported",
            "spec.containers[0].securityContext.procMount",
        ),
        (
            "FieldValueRequired",
            "spec.containers[0].securityContext.seccompProfile.type",
        ),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(r, f)| (r.to_string(), f.to_string()))
        .collect();
    assert_eq!(got, want);
}
