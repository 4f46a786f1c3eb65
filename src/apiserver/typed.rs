//! Field validation for built-in kinds: decoding a request body as its Rust type
//! (k8s-openapi) finds values of the wrong type (always a 400, as upstream's decoder)
//! and fields the type does not have (`fieldValidation=Strict|Warn|Ignore`).
//!
//! The object is decoded and encoded back; a field present in the body but absent
//! from the round trip is unknown. The stored object is the body itself, not the
//! round trip, so nothing is reformatted.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use k8s_openapi::api::{
    apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch,
    certificates::v1 as certificates, coordination::v1 as coordination, core::v1 as core,
    discovery::v1 as discovery, events::v1 as events, networking::v1 as networking,
    node::v1 as node, policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling,
    storage::v1 as storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;

fn round_trip<T: DeserializeOwned + Serialize>(obj: &Value) -> Result<Value, serde_json::Error> {
    let typed: T = serde_json::from_value(obj.clone())?;
    serde_json::to_value(typed)
}

macro_rules! kinds {
    ($( ($group:literal, $version:literal, $kind:literal) => $ty:ty ),* $(,)?) => {
        fn round_trip_kind(
            group: &str,
            version: &str,
            kind: &str,
            obj: &Value,
        ) -> Option<Result<Value, serde_json::Error>> {
            match (group, version, kind) {
                $( ($group, $version, $kind) => Some(round_trip::<$ty>(obj)), )*
                _ => None,
            }
        }
    };
}

kinds! {
    ("", "v1", "Namespace") => core::Namespace,
    ("", "v1", "Pod") => core::Pod,
    ("", "v1", "Service") => core::Service,
    ("", "v1", "Endpoints") => core::Endpoints,
    ("", "v1", "ConfigMap") => core::ConfigMap,
    ("", "v1", "Secret") => core::Secret,
    ("", "v1", "ServiceAccount") => core::ServiceAccount,
    ("", "v1", "Node") => core::Node,
    ("", "v1", "Event") => core::Event,
    ("", "v1", "PodTemplate") => core::PodTemplate,
    ("", "v1", "ReplicationController") => core::ReplicationController,
    ("", "v1", "LimitRange") => core::LimitRange,
    ("", "v1", "ResourceQuota") => core::ResourceQuota,
    ("", "v1", "PersistentVolume") => core::PersistentVolume,
    ("", "v1", "PersistentVolumeClaim") => core::PersistentVolumeClaim,
    ("apps", "v1", "Deployment") => apps::Deployment,
    ("apps", "v1", "ReplicaSet") => apps::ReplicaSet,
    ("apps", "v1", "StatefulSet") => apps::StatefulSet,
    ("apps", "v1", "DaemonSet") => apps::DaemonSet,
    ("apps", "v1", "ControllerRevision") => apps::ControllerRevision,
    ("batch", "v1", "Job") => batch::Job,
    ("batch", "v1", "CronJob") => batch::CronJob,
    ("autoscaling", "v2", "HorizontalPodAutoscaler") => autoscaling::HorizontalPodAutoscaler,
    ("coordination.k8s.io", "v1", "Lease") => coordination::Lease,
    ("discovery.k8s.io", "v1", "EndpointSlice") => discovery::EndpointSlice,
    ("events.k8s.io", "v1", "Event") => events::Event,
    ("rbac.authorization.k8s.io", "v1", "Role") => rbac::Role,
    ("rbac.authorization.k8s.io", "v1", "RoleBinding") => rbac::RoleBinding,
    ("rbac.authorization.k8s.io", "v1", "ClusterRole") => rbac::ClusterRole,
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding") => rbac::ClusterRoleBinding,
    ("networking.k8s.io", "v1", "Ingress") => networking::Ingress,
    ("networking.k8s.io", "v1", "IngressClass") => networking::IngressClass,
    ("networking.k8s.io", "v1", "NetworkPolicy") => networking::NetworkPolicy,
    ("node.k8s.io", "v1", "RuntimeClass") => node::RuntimeClass,
    ("scheduling.k8s.io", "v1", "PriorityClass") => scheduling::PriorityClass,
    ("storage.k8s.io", "v1", "StorageClass") => storage::StorageClass,
    ("storage.k8s.io", "v1", "CSIDriver") => storage::CSIDriver,
    ("storage.k8s.io", "v1", "CSINode") => storage::CSINode,
    ("policy", "v1", "PodDisruptionBudget") => policy::PodDisruptionBudget,
    ("certificates.k8s.io", "v1", "CertificateSigningRequest") => certificates::CertificateSigningRequest,
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition") => apiextensions::CustomResourceDefinition,
}

/// What decoding found.
#[derive(Debug, PartialEq, Eq)]
pub enum Checked {
    /// Not a kind with a Rust type here (e.g. a custom resource).
    Untyped,
    /// Decoded; these fields are unknown to the type (upstream's path syntax).
    Unknown(Vec<String>),
}

/// Decodes `obj` as the kind's type. `Err` is the decoder's message for a value of
/// the wrong type.
pub fn check(group: &str, version: &str, kind: &str, obj: &Value) -> Result<Checked, String> {
    match round_trip_kind(group, version, kind, obj) {
        None => Ok(Checked::Untyped),
        Some(Err(e)) => Err(e.to_string()),
        Some(Ok(back)) => {
            let mut unknown = Vec::new();
            diff(obj, &back, &mut String::new(), &mut unknown);
            Ok(Checked::Unknown(unknown))
        }
    }
}

fn diff(input: &Value, back: &Value, path: &mut String, out: &mut Vec<String>) {
    match (input, back) {
        (Value::Object(i), Value::Object(b)) => {
            for (k, v) in i {
                if v.is_null() {
                    continue;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                match b.get(k) {
                    Some(bv) => diff(v, bv, path, out),
                    None => out.push(path.clone()),
                }
                path.truncate(len);
            }
        }
        (Value::Array(i), Value::Array(b)) => {
            for (n, (iv, bv)) in i.iter().zip(b).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{n}]"));
                diff(iv, bv, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_unknown_fields_and_type_errors() {
        let dep = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "x", "bogus": 1},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {"spec": {"containers": [{"name": "c", "image": "i", "imagePolicy": "x"}]}},
                "replica": 2,
            },
        });
        assert_eq!(
            check("apps", "v1", "Deployment", &dep),
            Ok(Checked::Unknown(vec![
                "metadata.bogus".into(),
                "spec.replica".into(),
                "spec.template.spec.containers[0].imagePolicy".into(),
            ]))
        );
        let clean = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": {}}, "data": {"a": "b"}, "immutable": null});
        assert_eq!(
            check("", "v1", "ConfigMap", &clean),
            Ok(Checked::Unknown(vec![]))
        );
        let wrong = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": "two"}});
        assert!(check("apps", "v1", "Deployment", &wrong).is_err());
        assert_eq!(
            check("example.com", "v1", "Widget", &clean),
            Ok(Checked::Untyped)
        );
    }
}
