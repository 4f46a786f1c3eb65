//! Bodies built with `k8s-pb` (prost types generated from upstream's protos
//! independently of kelp's table), filled the way Go's encoder fills them: every
//! non-pointer field written, zero or not. Each must decode to the exact JSON Go's
//! `encoding/json` writes for the same object.

mod exhaustive;
mod kubectl;

use std::collections::BTreeMap;

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::authorization::v1 as authz;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{RawExtension, TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;
use serde_json::{Value, json};

use super::*;

/// 2026-01-02T03:04:05Z.
const T: i64 = 1_767_323_045;

/// `k8s\0` + a `runtime.Unknown` holding `obj`, as client-go's protobuf serializer
/// writes it.
fn body(api_version: &str, kind: &str, obj: &impl Message) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: s(api_version),
            kind: s(kind),
        }),
        raw: Some(obj.encode_to_vec()),
        content_encoding: s(""),
        content_type: s(""),
    };
    let mut out = MAGIC.to_vec();
    out.extend(unknown.encode_to_vec());
    out
}

fn s(v: &str) -> Option<String> {
    Some(v.into())
}

fn map<V>(entries: &[(&str, V)]) -> BTreeMap<String, V>
where
    V: Clone,
{
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn quantities(entries: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity { string: s(v) }))
        .collect()
}

/// `ObjectMeta` as Go writes it: the non-pointer fields always, `creationTimestamp`
/// as an empty `Time`.
fn go_meta(name: &str) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: s(name),
        generate_name: s(""),
        namespace: s(""),
        self_link: s(""),
        uid: s(""),
        resource_version: s(""),
        generation: Some(0),
        creation_timestamp: Some(meta::Time::default()),
        ..Default::default()
    }
}

fn int_port(port: i32) -> Option<IntOrString> {
    Some(IntOrString {
        r#type: Some(0),
        int_val: Some(port),
        str_val: s(""),
    })
}

fn named_port(name: &str) -> Option<IntOrString> {
    Some(IntOrString {
        r#type: Some(1),
        int_val: Some(0),
        str_val: s(name),
    })
}

fn decode(body: &[u8]) -> Value {
    decode_to_json(body).unwrap_or_else(|e| panic!("decode: {e}"))
}

#[test]
fn configmap_with_data_and_binary_data() {
    let cm = core::ConfigMap {
        metadata: Some(meta::ObjectMeta {
            namespace: s("default"),
            ..go_meta("x")
        }),
        data: map(&[("a", "b".to_string()), ("empty", String::new())]),
        binary_data: map(&[("bin", vec![0u8, 1, 2, 255])]),
        immutable: None,
    };
    let want = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": "default", "creationTimestamp": null},
        "data": {"a": "b", "empty": ""},
        "binaryData": {"bin": "AAEC/w=="},
    });
    assert_eq!(decode(&body("v1", "ConfigMap", &cm)), want);

    // A present pointer bool is kept even when false.
    let cm = core::ConfigMap {
        immutable: Some(false),
        ..cm
    };
    assert_eq!(decode(&body("v1", "ConfigMap", &cm))["immutable"], false);
}

#[test]
fn namespace_keeps_empty_structs() {
    let ns = core::Namespace {
        metadata: Some(go_meta("x")),
        spec: Some(core::NamespaceSpec::default()),
        status: Some(core::NamespaceStatus {
            phase: s(""),
            conditions: vec![],
        }),
    };
    let want = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "x", "creationTimestamp": null},
        "spec": {},
        "status": {},
    });
    assert_eq!(decode(&body("v1", "Namespace", &ns)), want);
}

#[test]
fn secret_data_is_base64() {
    let secret = core::Secret {
        metadata: Some(go_meta("creds")),
        immutable: None,
        data: map(&[("password", b"s3cr\xffet".to_vec())]),
        string_data: BTreeMap::new(),
        r#type: s("Opaque"),
    };
    let want = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds", "creationTimestamp": null},
        "data": {"password": "czNjcv9ldA=="},
        "type": "Opaque",
    });
    assert_eq!(decode(&body("v1", "Secret", &secret)), want);
}

fn web_container() -> core::Container {
    core::Container {
        name: s("web"),
        image: s("nginx:1.27"),
        ports: vec![core::ContainerPort {
            name: s(""),
            host_port: Some(0),
            container_port: Some(80),
            protocol: s("TCP"),
            host_ip: s(""),
        }],
        env: vec![core::EnvVar {
            name: s("MODE"),
            value: s("prod"),
            value_from: None,
        }],
        resources: Some(core::ResourceRequirements {
            limits: quantities(&[("cpu", "500m"), ("memory", "128Mi")]),
            requests: quantities(&[("cpu", "250m")]),
            claims: vec![],
        }),
        liveness_probe: Some(core::Probe {
            handler: Some(core::ProbeHandler {
                http_get: Some(core::HttpGetAction {
                    path: s("/healthz"),
                    port: int_port(8080),
                    host: s(""),
                    scheme: s("HTTP"),
                    http_headers: vec![],
                }),
                ..Default::default()
            }),
            initial_delay_seconds: Some(3),
            timeout_seconds: Some(0),
            period_seconds: Some(10),
            success_threshold: Some(0),
            failure_threshold: Some(0),
            termination_grace_period_seconds: None,
        }),
        readiness_probe: Some(core::Probe {
            handler: Some(core::ProbeHandler {
                tcp_socket: Some(core::TcpSocketAction {
                    port: named_port("http"),
                    host: s(""),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        termination_message_path: s(""),
        image_pull_policy: s(""),
        working_dir: s(""),
        stdin: Some(false),
        tty: Some(false),
        ..Default::default()
    }
}

#[test]
fn deployment_with_pod_template() {
    let labels = map(&[("app", "web".to_string())]);
    let deploy = apps::Deployment {
        metadata: Some(meta::ObjectMeta {
            labels: labels.clone(),
            ..go_meta("web")
        }),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(0),
            selector: Some(meta::LabelSelector {
                match_labels: labels.clone(),
                match_expressions: vec![],
            }),
            template: Some(core::PodTemplateSpec {
                metadata: Some(meta::ObjectMeta {
                    labels,
                    ..go_meta("")
                }),
                spec: Some(core::PodSpec {
                    containers: vec![web_container()],
                    restart_policy: s(""),
                    termination_grace_period_seconds: Some(30),
                    dns_policy: s(""),
                    service_account_name: s(""),
                    host_network: Some(false),
                    host_ipc: Some(false),
                    scheduler_name: s(""),
                    ..Default::default()
                }),
            }),
            strategy: Some(apps::DeploymentStrategy {
                r#type: s(""),
                rolling_update: None,
            }),
            min_ready_seconds: Some(0),
            paused: Some(false),
            ..Default::default()
        }),
        status: Some(apps::DeploymentStatus {
            observed_generation: Some(0),
            replicas: Some(0),
            updated_replicas: Some(0),
            ready_replicas: Some(0),
            available_replicas: Some(0),
            unavailable_replicas: Some(0),
            ..Default::default()
        }),
    };
    let want = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "creationTimestamp": null},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "creationTimestamp": null},
                "spec": {
                    "containers": [{
                        "name": "web",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "env": [{"name": "MODE", "value": "prod"}],
                        "resources": {
                            "limits": {"cpu": "500m", "memory": "128Mi"},
                            "requests": {"cpu": "250m"},
                        },
                        "livenessProbe": {
                            "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                            "initialDelaySeconds": 3,
                            "periodSeconds": 10,
                        },
                        "readinessProbe": {"tcpSocket": {"port": "http"}},
                    }],
                    "terminationGracePeriodSeconds": 30,
                },
            },
            "strategy": {},
        },
        "status": {},
    });
    assert_eq!(decode(&body("apps/v1", "Deployment", &deploy)), want);
}

#[test]
fn pod_with_timestamps_and_acronym_names() {
    let time = |seconds| {
        Some(meta::Time {
            seconds: Some(seconds),
            nanos: Some(999),
        })
    };
    let pod = core::Pod {
        metadata: Some(meta::ObjectMeta {
            creation_timestamp: time(T),
            deletion_grace_period_seconds: Some(0),
            generation: Some(2),
            uid: s("0b9f6f3e"),
            ..go_meta("p")
        }),
        spec: Some(core::PodSpec {
            containers: vec![core::Container {
                name: s("c"),
                image: s("busybox"),
                ..Default::default()
            }],
            node_name: s("n1"),
            host_ipc: Some(true),
            host_network: Some(false),
            enable_service_links: Some(false),
            automount_service_account_token: Some(false),
            security_context: Some(core::PodSecurityContext {
                supplemental_groups: vec![1000, -1],
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: Some(core::PodStatus {
            phase: s("Running"),
            host_ip: s("192.168.1.2"),
            pod_ip: s("10.0.0.5"),
            pod_ips: vec![core::PodIp { ip: s("10.0.0.5") }],
            start_time: time(T + 1),
            qos_class: s(""),
            conditions: vec![core::PodCondition {
                r#type: s("Ready"),
                status: s("True"),
                last_probe_time: Some(meta::Time::default()),
                last_transition_time: time(T + 2),
                reason: s(""),
                message: s(""),
                observed_generation: Some(0),
            }],
            ..Default::default()
        }),
    };
    let want = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "uid": "0b9f6f3e",
            "generation": 2,
            "creationTimestamp": "2026-01-02T03:04:05Z",
            "deletionGracePeriodSeconds": 0,
        },
        "spec": {
            "containers": [{"name": "c", "image": "busybox"}],
            "nodeName": "n1",
            "hostIPC": true,
            "enableServiceLinks": false,
            "automountServiceAccountToken": false,
            "securityContext": {"supplementalGroups": [1000, -1]},
        },
        "status": {
            "phase": "Running",
            "hostIP": "192.168.1.2",
            "podIP": "10.0.0.5",
            "podIPs": [{"ip": "10.0.0.5"}],
            "startTime": "2026-01-02T03:04:06Z",
            "conditions": [{
                "type": "Ready",
                "status": "True",
                "lastProbeTime": null,
                "lastTransitionTime": "2026-01-02T03:04:07Z",
            }],
        },
    });
    assert_eq!(decode(&body("v1", "Pod", &pod)), want);
}

#[test]
fn delete_options_under_any_group_version() {
    let opts = meta::DeleteOptions {
        grace_period_seconds: Some(0),
        preconditions: Some(meta::Preconditions {
            uid: s("u1"),
            resource_version: None,
        }),
        orphan_dependents: None,
        propagation_policy: s("Foreground"),
        dry_run: vec!["All".into()],
        ignore_store_read_error_with_cluster_breaking_potential: None,
    };
    for api_version in ["v1", "apps/v1", "meta.k8s.io/v1"] {
        let want = json!({
            "apiVersion": api_version,
            "kind": "DeleteOptions",
            "gracePeriodSeconds": 0,
            "preconditions": {"uid": "u1"},
            "propagationPolicy": "Foreground",
            "dryRun": ["All"],
        });
        assert_eq!(decode(&body(api_version, "DeleteOptions", &opts)), want);
    }
}

#[test]
fn self_subject_access_review_as_auth_can_i_sends_it() {
    let review = authz::SelfSubjectAccessReview {
        metadata: Some(go_meta("")),
        spec: Some(authz::SelfSubjectAccessReviewSpec {
            resource_attributes: Some(authz::ResourceAttributes {
                namespace: s("default"),
                verb: s("create"),
                group: s(""),
                version: s(""),
                resource: s("pods"),
                subresource: s(""),
                name: s(""),
                field_selector: None,
                label_selector: None,
            }),
            non_resource_attributes: None,
        }),
        status: Some(authz::SubjectAccessReviewStatus {
            allowed: Some(false),
            denied: Some(false),
            reason: s(""),
            evaluation_error: s(""),
        }),
    };
    let want = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "metadata": {"creationTimestamp": null},
        "spec": {"resourceAttributes": {"namespace": "default", "verb": "create", "resource": "pods"}},
        // `allowed` has no omitempty: Go writes it even when false.
        "status": {"allowed": false},
    });
    let got = decode(&body(
        "authorization.k8s.io/v1",
        "SelfSubjectAccessReview",
        &review,
    ));
    assert_eq!(got, want);
}

#[test]
fn extra_values_are_arrays() {
    let review = authz::SubjectAccessReview {
        spec: Some(authz::SubjectAccessReviewSpec {
            user: s("alice"),
            groups: vec!["dev".into()],
            extra: map(&[
                (
                    "scopes",
                    authz::ExtraValue {
                        items: vec!["a".into(), "b".into()],
                    },
                ),
                ("none", authz::ExtraValue { items: vec![] }),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let got = decode(&body(
        "authorization.k8s.io/v1",
        "SubjectAccessReview",
        &review,
    ));
    let want =
        json!({"user": "alice", "groups": ["dev"], "extra": {"scopes": ["a", "b"], "none": null}});
    assert_eq!(got["spec"], want);
}

#[test]
fn micro_time_has_six_digits() {
    let lease = k8s_pb::api::coordination::v1::Lease {
        metadata: None,
        spec: Some(k8s_pb::api::coordination::v1::LeaseSpec {
            holder_identity: s("node-1"),
            lease_duration_seconds: Some(40),
            renew_time: Some(meta::MicroTime {
                seconds: Some(T),
                nanos: Some(123_456_789),
            }),
            acquire_time: Some(meta::MicroTime {
                seconds: Some(T),
                nanos: None,
            }),
            ..Default::default()
        }),
    };
    let got = decode(&body("coordination.k8s.io/v1", "Lease", &lease));
    let want = json!({
        "holderIdentity": "node-1",
        "leaseDurationSeconds": 40,
        "renewTime": "2026-01-02T03:04:05.123456Z",
        "acquireTime": "2026-01-02T03:04:05.000000Z",
    });
    assert_eq!(got["spec"], want);

    // Nanos outside 0..1e9 carry into the seconds, as Go's time.Unix does.
    let mut lease = lease;
    let spec = lease.spec.as_mut().unwrap();
    spec.renew_time.as_mut().unwrap().nanos = Some(-1_000_500);
    spec.acquire_time.as_mut().unwrap().nanos = Some(1_500_000_000);
    let got = decode(&body("coordination.k8s.io/v1", "Lease", &lease));
    assert_eq!(got["spec"]["renewTime"], "2026-01-02T03:04:04.999000Z");
    assert_eq!(got["spec"]["acquireTime"], "2026-01-02T03:04:06.500000Z");
}

#[test]
fn raw_extension_and_fields_v1_hold_json() {
    let rev = apps::ControllerRevision {
        metadata: Some(meta::ObjectMeta {
            managed_fields: vec![meta::ManagedFieldsEntry {
                manager: s("kubectl"),
                operation: s("Apply"),
                api_version: s("apps/v1"),
                time: Some(meta::Time {
                    seconds: Some(T),
                    nanos: None,
                }),
                fields_type: s("FieldsV1"),
                fields_v1: Some(meta::FieldsV1 {
                    raw: Some(br#"{"f:data":{}}"#.to_vec()),
                }),
                subresource: s(""),
            }],
            ..go_meta("r1")
        }),
        data: Some(RawExtension {
            raw: Some(br#"{"spec":{"x":[1,"two"]}}"#.to_vec()),
        }),
        revision: Some(2),
    };
    let want = json!({
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": "r1",
            "creationTimestamp": null,
            "managedFields": [{
                "manager": "kubectl",
                "operation": "Apply",
                "apiVersion": "apps/v1",
                "time": "2026-01-02T03:04:05Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {}},
            }],
        },
        "data": {"spec": {"x": [1, "two"]}},
        "revision": 2,
    });
    assert_eq!(decode(&body("apps/v1", "ControllerRevision", &rev)), want);
}

#[test]
fn inline_messages_and_pointer_strings() {
    let pv = core::PersistentVolume {
        spec: Some(core::PersistentVolumeSpec {
            capacity: quantities(&[("storage", "1Gi")]),
            persistent_volume_source: Some(core::PersistentVolumeSource {
                host_path: Some(core::HostPathVolumeSource {
                    path: s("/data"),
                    r#type: s(""),
                }),
                ..Default::default()
            }),
            access_modes: vec!["ReadWriteOnce".into()],
            // A plain string here: "" is dropped.
            storage_class_name: s(""),
            ..Default::default()
        }),
        ..Default::default()
    };
    let got = decode(&body("v1", "PersistentVolume", &pv));
    let want = json!({
        // `type` is a *HostPathType: a present "" is kept.
        "hostPath": {"path": "/data", "type": ""},
        "capacity": {"storage": "1Gi"},
        "accessModes": ["ReadWriteOnce"],
    });
    assert_eq!(got["spec"], want);

    let pvc = core::PersistentVolumeClaim {
        spec: Some(core::PersistentVolumeClaimSpec {
            // A *string here: "" means "no class" and is kept.
            storage_class_name: s(""),
            ..Default::default()
        }),
        ..Default::default()
    };
    let got = decode(&body("v1", "PersistentVolumeClaim", &pvc));
    assert_eq!(got["spec"], json!({"storageClassName": ""}));
}

#[test]
fn service_ports_with_named_target() {
    let svc = core::Service {
        spec: Some(core::ServiceSpec {
            ports: vec![core::ServicePort {
                name: s(""),
                protocol: s("TCP"),
                port: Some(80),
                target_port: named_port("http"),
                node_port: Some(0),
                app_protocol: None,
            }],
            selector: map(&[("app", "web".to_string())]),
            cluster_ip: s(""),
            r#type: s("ClusterIP"),
            ..Default::default()
        }),
        ..Default::default()
    };
    let got = decode(&body("v1", "Service", &svc));
    let want = json!({
        "ports": [{"protocol": "TCP", "port": 80, "targetPort": "http"}],
        "selector": {"app": "web"},
        "type": "ClusterIP",
    });
    assert_eq!(got["spec"], want);
}

/// A field of `msg`: key and length-delimited value.
fn len_field(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag << 3 | 2, u8::try_from(value.len()).unwrap()];
    out.extend_from_slice(value);
    out
}

fn raw_body(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let type_meta = [
        len_field(1, api_version.as_bytes()),
        len_field(2, kind.as_bytes()),
    ]
    .concat();
    [MAGIC.to_vec(), len_field(1, &type_meta), len_field(2, raw)].concat()
}

#[test]
fn unknown_fields_are_skipped() {
    let cm = core::ConfigMap {
        data: map(&[("a", "b".to_string())]),
        ..Default::default()
    };
    let mut raw = cm.encode_to_vec();
    raw.extend([0x98, 0x06, 0x01]); // field 99, varint 1
    raw.extend(len_field(15, b"future"));
    raw.extend([0x7d, 1, 2, 3, 4]); // field 15, fixed32
    let got = decode(&raw_body("v1", "ConfigMap", &raw));
    assert_eq!(
        got,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}})
    );
}

#[test]
fn repeated_occurrences_merge_like_go() {
    let first = core::ConfigMap {
        metadata: Some(meta::ObjectMeta {
            name: s("a"),
            ..Default::default()
        }),
        immutable: Some(true),
        ..Default::default()
    };
    let second = core::ConfigMap {
        metadata: Some(meta::ObjectMeta {
            labels: map(&[("k", "v".to_string())]),
            ..Default::default()
        }),
        immutable: Some(false),
        ..Default::default()
    };
    let raw = [first.encode_to_vec(), second.encode_to_vec()].concat();
    let got = decode(&raw_body("v1", "ConfigMap", &raw));
    let want = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "labels": {"k": "v"}},
        "immutable": false,
    });
    assert_eq!(got, want);
}

#[test]
fn packed_and_unpacked_repeated_scalars() {
    // PodSecurityContext.supplementalGroups = 4: unpacked 1, then packed [2, 300].
    let sc = [vec![4 << 3, 1], len_field(4, &[2, 0xac, 0x02])].concat();
    let spec = len_field(14, &sc); // PodSpec.securityContext
    let raw = len_field(2, &spec); // Pod.spec
    let got = decode(&raw_body("v1", "Pod", &raw));
    assert_eq!(
        got["spec"]["securityContext"]["supplementalGroups"],
        json!([1, 2, 300])
    );
}

#[test]
fn bad_bodies_are_errors() {
    let cm_raw = core::ConfigMap::default().encode_to_vec();
    let ok = raw_body("v1", "ConfigMap", &cm_raw);
    assert!(decode_to_json(&ok).is_ok());

    let err = |body: &[u8]| decode_to_json(body).unwrap_err();
    assert!(matches!(err(b""), ProtobufError::Empty));
    assert!(matches!(err(MAGIC), ProtobufError::Empty));
    assert!(matches!(
        err(br#"{"kind":"ConfigMap"}"#),
        ProtobufError::NoMagic
    ));
    let no_kind = [MAGIC.to_vec(), len_field(1, &len_field(1, b"v1"))].concat();
    assert!(matches!(err(&no_kind), ProtobufError::MissingKind));
    let no_version = [MAGIC.to_vec(), len_field(1, &len_field(2, b"Pod"))].concat();
    assert!(matches!(err(&no_version), ProtobufError::MissingVersion));
    match err(&raw_body("v1", "Frobnicator", &cm_raw)) {
        ProtobufError::UnknownKind { api_version, kind } => {
            assert_eq!((api_version.as_str(), kind.as_str()), ("v1", "Frobnicator"));
        }
        other => panic!("{other:?}"),
    }
    // ConfigMap.immutable (4) is a bool: a length-delimited value is the wrong type.
    let wrong = raw_body("v1", "ConfigMap", &len_field(4, b"x"));
    match err(&wrong) {
        ProtobufError::WireType {
            message,
            tag,
            wire_type,
        } => assert_eq!((message, tag, wire_type), ("core.v1.ConfigMap", 4, 2)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err(&wrong).to_string(),
        "protobuf core.v1.ConfigMap field 4: unexpected wire type 2"
    );
    let truncated = &ok[..ok.len() - 1];
    assert!(matches!(err(truncated), ProtobufError::Malformed { .. }));
    let bad_intstr = {
        let port = [vec![1 << 3, 7]].concat(); // IntOrString.type = 7
        let http_get = len_field(2, &port);
        let handler = len_field(2, &http_get);
        let probe = len_field(1, &handler);
        let container = len_field(10, &probe); // Container.livenessProbe
        let spec = len_field(2, &container); // PodSpec.containers
        raw_body("v1", "Pod", &len_field(2, &spec))
    };
    assert!(matches!(
        err(&bad_intstr),
        ProtobufError::InvalidField { tag: 1, .. }
    ));
    let bad_json = raw_body(
        "apps/v1",
        "ControllerRevision",
        &len_field(2, &len_field(1, b"{")),
    );
    assert!(matches!(err(&bad_json), ProtobufError::InvalidField { .. }));
}

#[test]
fn content_type_matching() {
    assert!(is_protobuf("application/vnd.kubernetes.protobuf"));
    assert!(is_protobuf(
        "application/vnd.kubernetes.protobuf; charset=utf-8"
    ));
    assert!(!is_protobuf("application/json"));
}
