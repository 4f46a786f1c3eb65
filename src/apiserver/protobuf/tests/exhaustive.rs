//! Every field of every kind, checked against two sources independent of the table:
//! a body with each field set once (synthesized from the table) must survive a
//! decode/encode round trip through `k8s-pb`'s prost types (same field numbers and
//! wire types), and the JSON it decodes to must survive a round trip through
//! `k8s-openapi`'s serde types (same JSON names; an unknown name would be dropped).
//! Also checks the table's own invariants and that it covers kelp's built-in kinds.

use std::collections::{BTreeSet, HashSet};

use prost::Message;
use serde_json::Value;

use super::super::schema::{self, Field, Kind, MessageRef, Scalar, Special};
use super::super::wire::WireType;
use super::super::{MAGIC, decode_to_json, supported_kinds};
use super::T;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, tag: u32, wire_type: WireType) {
    varint(out, u64::from(tag) << 3 | u64::from(wire_type.number()));
}

fn len(out: &mut Vec<u8>, tag: u32, value: &[u8]) {
    key(out, tag, WireType::Len);
    varint(out, value.len() as u64);
    out.extend_from_slice(value);
}

/// A distinct number per JSON name, so a field bound to the wrong tag shows.
fn number(name: &str) -> u64 {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    1000 + h % 900_000
}

/// One value of a field: its wire type and bytes (without the key). Strings hold the
/// field's JSON name and numbers [`number`] of it.
fn value(field: &Field, depth: u32) -> (WireType, Vec<u8>) {
    let mut out = Vec::new();
    match field.kind() {
        Kind::Scalar(Scalar::String) => {
            let name = field.json_name();
            varint(&mut out, name.len() as u64);
            out.extend_from_slice(name.as_bytes());
        }
        Kind::Scalar(Scalar::Bytes) => out.extend([3, 1, 2, 3]),
        Kind::Scalar(Scalar::Bool) => return (WireType::Varint, vec![1]),
        Kind::Scalar(Scalar::Int32 | Scalar::Int64) => {
            varint(&mut out, number(field.json_name()));
            return (WireType::Varint, out);
        }
        Kind::Message(m) => {
            let body = synth(m, depth + 1);
            varint(&mut out, body.len() as u64);
            out.extend(body);
        }
    }
    (WireType::Len, out)
}

/// A message with every field set once (maps: one entry).
fn synth(msg: MessageRef, depth: u32) -> Vec<u8> {
    assert!(depth < 40, "schema recursion at {}", msg.name());
    let mut out = Vec::new();
    match msg.special() {
        Special::Time | Special::MicroTime => {
            key(&mut out, 1, WireType::Varint);
            varint(&mut out, T as u64);
            if msg.special() == Special::MicroTime {
                key(&mut out, 2, WireType::Varint);
                varint(&mut out, 123_456_000);
            }
        }
        Special::Quantity => len(&mut out, 1, b"1Gi"),
        Special::IntOrString => {
            key(&mut out, 1, WireType::Varint);
            varint(&mut out, 1);
            len(&mut out, 3, b"port-name");
        }
        Special::RawJson => len(&mut out, 1, br#"{"a":[1]}"#),
        Special::StringList => len(&mut out, 1, b"x"),
        Special::None => {
            for field in msg.fields() {
                let (wire_type, v) = value(field, depth);
                if field.is_map() {
                    let mut entry = Vec::new();
                    len(&mut entry, 1, b"k");
                    key(&mut entry, 2, wire_type);
                    entry.extend(v);
                    len(&mut out, field.tag(), &entry);
                } else {
                    key(&mut out, field.tag(), wire_type);
                    out.extend(v);
                }
            }
        }
    }
    out
}

fn body(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let mut type_meta = Vec::new();
    len(&mut type_meta, 1, api_version.as_bytes());
    len(&mut type_meta, 2, kind.as_bytes());
    let mut out = MAGIC.to_vec();
    len(&mut out, 1, &type_meta);
    len(&mut out, 2, raw);
    out
}

/// Decodes the synthesized body of `(api_version, kind)` and checks it against
/// `k8s-pb`'s type `Pb`; returns the JSON and the number of bindings checked.
fn check_pb<Pb: Message + Default + std::fmt::Debug>(
    api_version: &str,
    kind: &str,
) -> (Value, usize) {
    let root = schema::root(api_version, kind).expect("kind in the table");
    let raw = synth(root, 0);
    let json = decode_to_json(&body(api_version, kind, &raw)).unwrap();
    let pb = Pb::decode(raw.as_slice()).unwrap_or_else(|e| panic!("{kind}: k8s-pb: {e}"));
    let bindings = check_bindings(kind, &format!("{pb:?}"));
    let again = decode_to_json(&body(api_version, kind, &pb.encode_to_vec())).unwrap();
    assert_eq!(
        again, json,
        "{api_version} {kind}: fields lost through k8s-pb"
    );
    (json, bindings)
}

/// In k8s-pb's `Debug` output, every `field: Some("x")` / `field: ["x"]` whose value
/// is a JSON name must be that field's own name, and every `field: Some(n)` with a
/// synthesized number must have the number of its name: proof that each tag of the
/// table is bound to the field k8s-pb gives that tag. Names compare without case and
/// underscores (`pod_ips` ~ `podIPs`).
fn check_bindings(kind: &str, debug: &str) -> usize {
    let names: HashSet<&str> = schema::all_messages()
        .flat_map(|m| m.fields())
        .map(|f| f.json_name())
        .collect();
    let norm = |s: &str| {
        s.trim_start_matches("r#")
            .replace('_', "")
            .to_ascii_lowercase()
    };
    // `port` and `Port` (DaemonEndpoint) share a normal form.
    let mut by_norm: std::collections::HashMap<String, Vec<&str>> = Default::default();
    for n in &names {
        by_norm.entry(norm(n)).or_default().push(n);
    }
    let (mut strings, mut numbers) = (0, 0);
    let mut i = 0;
    while let Some(at) = debug[i..].find(": ") {
        let colon = i + at;
        i = colon + 2;
        let start = debug[..colon]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '#'))
            .map_or(0, |p| p + 1);
        let field = &debug[start..colon];
        let rest = &debug[i..];
        let quoted = rest
            .strip_prefix("Some(\"")
            .or_else(|| rest.strip_prefix("[\""))
            .and_then(|r| r.split('"').next());
        if let Some(v) = quoted {
            if names.contains(v) {
                strings += 1;
                assert_eq!(
                    norm(field),
                    norm(v),
                    "{kind}: k8s-pb field {field} holds {v}"
                );
            }
        } else if let Some(n) = rest
            .strip_prefix("Some(")
            .and_then(|r| r.split(')').next())
            .and_then(|n| n.parse::<u64>().ok())
            && (1000..901_000).contains(&n)
            && u64::try_from(T).ok() != Some(n)
        {
            numbers += 1;
            let own = by_norm
                .get(&norm(field))
                .map(Vec::as_slice)
                .unwrap_or_default();
            assert!(
                own.iter().any(|name| number(name) == n),
                "{kind}: k8s-pb field {field} holds another field's number {n}"
            );
        }
    }
    assert!(
        strings > 0 || numbers > 0 || debug.len() < 200,
        "{kind}: nothing checked"
    );
    assert!(
        numbers > 0 || !debug.contains("metadata: Some"),
        "{kind}: no number checked"
    );
    strings + numbers
}

fn check_openapi<Oa: serde::de::DeserializeOwned + serde::Serialize>(kind: &str, json: &Value) {
    let typed: Oa = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("{kind}: k8s-openapi rejects the JSON: {e}"));
    let mut back = serde_json::to_value(&typed).unwrap();
    drop_added_type_meta(json, &mut back);
    if &back != json {
        panic!(
            "{kind}: JSON names differ from k8s-openapi:\n{}",
            diff(json, &back, "")
        );
    }
}

/// k8s-openapi writes `apiVersion`/`kind` for an object of a resource type nested in
/// another (a StatefulSet's `volumeClaimTemplates`); Go leaves the empty TypeMeta out
/// and protobuf does not carry it.
fn drop_added_type_meta(ours: &Value, back: &mut Value) {
    match (ours, back) {
        (Value::Object(x), Value::Object(y)) => {
            for k in ["apiVersion", "kind"] {
                if !x.contains_key(k) {
                    y.remove(k);
                }
            }
            for (k, v) in y.iter_mut() {
                if let Some(o) = x.get(k) {
                    drop_added_type_meta(o, v);
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (o, v) in x.iter().zip(y) {
                drop_added_type_meta(o, v);
            }
        }
        _ => {}
    }
}

/// The paths where `a` and `b` differ, for a readable failure.
fn diff(a: &Value, b: &Value, path: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter()
                .map(|k| match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => diff(p, q, &format!("{path}.{k}")),
                    (p, q) => format!("{path}.{k}: ours {p:?}, k8s-openapi {q:?}\n"),
                })
                .collect()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .map(|(i, (p, q))| diff(p, q, &format!("{path}[{i}]")))
            .collect(),
        _ if a == b => String::new(),
        _ => format!("{path}: ours {a}, k8s-openapi {b}\n"),
    }
}

macro_rules! kinds {
    ($( $av:literal $kind:ident: $pb:path $(, $oa:path)?; )*) => {
        #[test]
        fn every_field_of_every_kind_matches_k8s_pb_and_k8s_openapi() {
            let (mut checked, mut bindings) = (HashSet::new(), 0);
            $(
                let (json, n) = check_pb::<$pb>($av, stringify!($kind));
                $( check_openapi::<$oa>(stringify!($kind), &json); )?
                let _ = &json;
                bindings += n;
                checked.insert(($av, stringify!($kind)));
            )*
            // Every kind's ObjectMeta alone has a dozen; far more than this in all.
            assert!(bindings > 5000, "only {bindings} field bindings checked");
            for k in supported_kinds() {
                assert!(checked.contains(&k), "{k:?} is in the table but not checked here");
            }
        }
    };
}

kinds! {
    "apps/v1" ControllerRevision: k8s_pb::api::apps::v1::ControllerRevision, k8s_openapi::api::apps::v1::ControllerRevision;
    "apps/v1" DaemonSet: k8s_pb::api::apps::v1::DaemonSet, k8s_openapi::api::apps::v1::DaemonSet;
    "apps/v1" Deployment: k8s_pb::api::apps::v1::Deployment, k8s_openapi::api::apps::v1::Deployment;
    "apps/v1" ReplicaSet: k8s_pb::api::apps::v1::ReplicaSet, k8s_openapi::api::apps::v1::ReplicaSet;
    "apps/v1" StatefulSet: k8s_pb::api::apps::v1::StatefulSet, k8s_openapi::api::apps::v1::StatefulSet;
    "authentication.k8s.io/v1" SelfSubjectReview: k8s_pb::api::authentication::v1::SelfSubjectReview, k8s_openapi::api::authentication::v1::SelfSubjectReview;
    "authentication.k8s.io/v1" TokenRequest: k8s_pb::api::authentication::v1::TokenRequest, k8s_openapi::api::authentication::v1::TokenRequest;
    "authentication.k8s.io/v1" TokenReview: k8s_pb::api::authentication::v1::TokenReview, k8s_openapi::api::authentication::v1::TokenReview;
    "authorization.k8s.io/v1" LocalSubjectAccessReview: k8s_pb::api::authorization::v1::LocalSubjectAccessReview, k8s_openapi::api::authorization::v1::LocalSubjectAccessReview;
    "authorization.k8s.io/v1" SelfSubjectAccessReview: k8s_pb::api::authorization::v1::SelfSubjectAccessReview, k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
    "authorization.k8s.io/v1" SelfSubjectRulesReview: k8s_pb::api::authorization::v1::SelfSubjectRulesReview, k8s_openapi::api::authorization::v1::SelfSubjectRulesReview;
    "authorization.k8s.io/v1" SubjectAccessReview: k8s_pb::api::authorization::v1::SubjectAccessReview, k8s_openapi::api::authorization::v1::SubjectAccessReview;
    "autoscaling/v1" HorizontalPodAutoscaler: k8s_pb::api::autoscaling::v1::HorizontalPodAutoscaler, k8s_openapi::api::autoscaling::v1::HorizontalPodAutoscaler;
    "autoscaling/v1" Scale: k8s_pb::api::autoscaling::v1::Scale, k8s_openapi::api::autoscaling::v1::Scale;
    "autoscaling/v2" HorizontalPodAutoscaler: k8s_pb::api::autoscaling::v2::HorizontalPodAutoscaler, k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
    "batch/v1" CronJob: k8s_pb::api::batch::v1::CronJob, k8s_openapi::api::batch::v1::CronJob;
    "batch/v1" Job: k8s_pb::api::batch::v1::Job, k8s_openapi::api::batch::v1::Job;
    "certificates.k8s.io/v1" CertificateSigningRequest: k8s_pb::api::certificates::v1::CertificateSigningRequest, k8s_openapi::api::certificates::v1::CertificateSigningRequest;
    "coordination.k8s.io/v1" Lease: k8s_pb::api::coordination::v1::Lease, k8s_openapi::api::coordination::v1::Lease;
    "discovery.k8s.io/v1" EndpointSlice: k8s_pb::api::discovery::v1::EndpointSlice, k8s_openapi::api::discovery::v1::EndpointSlice;
    "events.k8s.io/v1" Event: k8s_pb::api::events::v1::Event, k8s_openapi::api::events::v1::Event;
    "meta.k8s.io/v1" DeleteOptions: k8s_pb::apimachinery::pkg::apis::meta::v1::DeleteOptions, k8s_openapi::apimachinery::pkg::apis::meta::v1::DeleteOptions;
    "networking.k8s.io/v1" IPAddress: k8s_pb::api::networking::v1::IPAddress, k8s_openapi::api::networking::v1::IPAddress;
    "networking.k8s.io/v1" Ingress: k8s_pb::api::networking::v1::Ingress, k8s_openapi::api::networking::v1::Ingress;
    "networking.k8s.io/v1" IngressClass: k8s_pb::api::networking::v1::IngressClass, k8s_openapi::api::networking::v1::IngressClass;
    "networking.k8s.io/v1" NetworkPolicy: k8s_pb::api::networking::v1::NetworkPolicy, k8s_openapi::api::networking::v1::NetworkPolicy;
    "networking.k8s.io/v1" ServiceCIDR: k8s_pb::api::networking::v1::ServiceCIDR, k8s_openapi::api::networking::v1::ServiceCIDR;
    "node.k8s.io/v1" RuntimeClass: k8s_pb::api::node::v1::RuntimeClass, k8s_openapi::api::node::v1::RuntimeClass;
    "policy/v1" Eviction: k8s_pb::api::policy::v1::Eviction, k8s_openapi::api::policy::v1::Eviction;
    "policy/v1" PodDisruptionBudget: k8s_pb::api::policy::v1::PodDisruptionBudget, k8s_openapi::api::policy::v1::PodDisruptionBudget;
    "rbac.authorization.k8s.io/v1" ClusterRole: k8s_pb::api::rbac::v1::ClusterRole, k8s_openapi::api::rbac::v1::ClusterRole;
    "rbac.authorization.k8s.io/v1" ClusterRoleBinding: k8s_pb::api::rbac::v1::ClusterRoleBinding, k8s_openapi::api::rbac::v1::ClusterRoleBinding;
    "rbac.authorization.k8s.io/v1" Role: k8s_pb::api::rbac::v1::Role, k8s_openapi::api::rbac::v1::Role;
    "rbac.authorization.k8s.io/v1" RoleBinding: k8s_pb::api::rbac::v1::RoleBinding, k8s_openapi::api::rbac::v1::RoleBinding;
    "scheduling.k8s.io/v1" PriorityClass: k8s_pb::api::scheduling::v1::PriorityClass, k8s_openapi::api::scheduling::v1::PriorityClass;
    "storage.k8s.io/v1" CSIDriver: k8s_pb::api::storage::v1::CSIDriver, k8s_openapi::api::storage::v1::CSIDriver;
    "storage.k8s.io/v1" CSINode: k8s_pb::api::storage::v1::CSINode, k8s_openapi::api::storage::v1::CSINode;
    "storage.k8s.io/v1" CSIStorageCapacity: k8s_pb::api::storage::v1::CSIStorageCapacity, k8s_openapi::api::storage::v1::CSIStorageCapacity;
    "storage.k8s.io/v1" StorageClass: k8s_pb::api::storage::v1::StorageClass, k8s_openapi::api::storage::v1::StorageClass;
    "storage.k8s.io/v1" VolumeAttachment: k8s_pb::api::storage::v1::VolumeAttachment, k8s_openapi::api::storage::v1::VolumeAttachment;
    "v1" Binding: k8s_pb::api::core::v1::Binding, k8s_openapi::api::core::v1::Binding;
    "v1" ComponentStatus: k8s_pb::api::core::v1::ComponentStatus, k8s_openapi::api::core::v1::ComponentStatus;
    "v1" ConfigMap: k8s_pb::api::core::v1::ConfigMap, k8s_openapi::api::core::v1::ConfigMap;
    "v1" Endpoints: k8s_pb::api::core::v1::Endpoints, k8s_openapi::api::core::v1::Endpoints;
    "v1" Event: k8s_pb::api::core::v1::Event, k8s_openapi::api::core::v1::Event;
    "v1" LimitRange: k8s_pb::api::core::v1::LimitRange, k8s_openapi::api::core::v1::LimitRange;
    "v1" Namespace: k8s_pb::api::core::v1::Namespace, k8s_openapi::api::core::v1::Namespace;
    "v1" Node: k8s_pb::api::core::v1::Node, k8s_openapi::api::core::v1::Node;
    "v1" PersistentVolume: k8s_pb::api::core::v1::PersistentVolume, k8s_openapi::api::core::v1::PersistentVolume;
    "v1" PersistentVolumeClaim: k8s_pb::api::core::v1::PersistentVolumeClaim, k8s_openapi::api::core::v1::PersistentVolumeClaim;
    "v1" Pod: k8s_pb::api::core::v1::Pod, k8s_openapi::api::core::v1::Pod;
    "v1" PodTemplate: k8s_pb::api::core::v1::PodTemplate, k8s_openapi::api::core::v1::PodTemplate;
    "v1" ReplicationController: k8s_pb::api::core::v1::ReplicationController, k8s_openapi::api::core::v1::ReplicationController;
    "v1" ResourceQuota: k8s_pb::api::core::v1::ResourceQuota, k8s_openapi::api::core::v1::ResourceQuota;
    "v1" Secret: k8s_pb::api::core::v1::Secret, k8s_openapi::api::core::v1::Secret;
    "v1" Service: k8s_pb::api::core::v1::Service, k8s_openapi::api::core::v1::Service;
    "v1" ServiceAccount: k8s_pb::api::core::v1::ServiceAccount, k8s_openapi::api::core::v1::ServiceAccount;
    // Option and internal kinds: k8s-openapi has no type for them.
    "v1" NodeProxyOptions: k8s_pb::api::core::v1::NodeProxyOptions;
    "v1" PodAttachOptions: k8s_pb::api::core::v1::PodAttachOptions;
    "v1" PodExecOptions: k8s_pb::api::core::v1::PodExecOptions;
    "v1" PodLogOptions: k8s_pb::api::core::v1::PodLogOptions;
    "v1" PodPortForwardOptions: k8s_pb::api::core::v1::PodPortForwardOptions;
    "v1" PodProxyOptions: k8s_pb::api::core::v1::PodProxyOptions;
    "v1" PodStatusResult: k8s_pb::api::core::v1::PodStatusResult;
    "v1" RangeAllocation: k8s_pb::api::core::v1::RangeAllocation;
    "v1" SerializedReference: k8s_pb::api::core::v1::SerializedReference;
    "v1" ServiceProxyOptions: k8s_pb::api::core::v1::ServiceProxyOptions;
}

#[test]
fn table_invariants() {
    for msg in schema::all_messages() {
        let fields = msg.fields();
        assert!(msg.name().is_ascii() && !msg.name().is_empty());
        if msg.special() != Special::None {
            assert!(fields.is_empty(), "{}", msg.name());
        }
        assert!(
            fields.windows(2).all(|w| w[0].tag() < w[1].tag()),
            "{}: fields not sorted by tag",
            msg.name()
        );
        let mut names = HashSet::new();
        for f in fields {
            assert!(msg.field(f.tag()).is_some());
            if f.inline() {
                let Kind::Message(sub) = f.kind() else {
                    panic!("{}: inline scalar", msg.name())
                };
                assert_eq!(sub.special(), Special::None, "{}", msg.name());
                assert!(!f.repeated() && !f.is_map() && f.json_name().is_empty());
            } else {
                let name = f.json_name();
                assert!(!name.is_empty() && name.is_ascii(), "{}", msg.name());
                assert!(names.insert(name), "{}: {name} twice", msg.name());
            }
            if f.omit_zero() {
                assert!(matches!(f.kind(), Kind::Scalar(_)) && !f.repeated() && !f.is_map());
            }
        }
    }
}

/// Every built-in kind kelp serves (and every subresource kind) decodes, except the
/// CRD group, which kubectl sends as JSON.
#[test]
fn covers_kelps_builtin_kinds() {
    let supported: HashSet<_> = supported_kinds().collect();
    let mut missing = Vec::new();
    for r in crate::api::builtin_resources() {
        if r.group == "apiextensions.k8s.io" {
            continue;
        }
        let mut kinds = vec![(r.api_version(), r.kind.clone())];
        for sub in &r.subresources {
            let av = if sub.group.is_empty() && sub.version.is_empty() {
                r.api_version()
            } else {
                crate::api::gvk::api_version(&sub.group, &sub.version)
            };
            kinds.push((av, sub.kind.clone()));
        }
        for (av, kind) in kinds {
            if !supported.contains(&(av.as_str(), kind.as_str())) {
                missing.push(format!("{av} {kind}"));
            }
        }
    }
    assert!(missing.is_empty(), "not decodable: {missing:?}");
}
