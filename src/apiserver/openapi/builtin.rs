//! The built-in kinds whose schemas come from k8s-openapi's Rust types.

use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta_v1;
use k8s_openapi::schemars::{JsonSchema, Schema, SchemaGenerator};
use k8s_openapi::{api, apiextensions_apiserver, apimachinery};

/// One built-in kind and the k8s-openapi Rust type that describes it.
///
/// `rust_type` names the type (`k8s_openapi::api::core::v1::Pod`); [`definition`]
/// gives the upstream OpenAPI definition name the type's `JsonSchema` impl uses
/// (`io.k8s.api.core.v1.Pod`).
///
/// [`definition`]: BuiltinKind::definition
#[derive(Clone, Copy)]
pub struct BuiltinKind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub rust_type: &'static str,
    /// Whether a `{Kind}List` kind exists (false for kinds only seen as subresource bodies
    /// or one-shot requests: Scale, Eviction, Binding, TokenRequest, the reviews, Status).
    pub listable: bool,
    schema_name: fn() -> Cow<'static, str>,
    /// Adds the type's schema (and everything it references) to a generator's
    /// definitions and returns a `$ref` to it.
    pub(super) subschema: fn(&mut SchemaGenerator) -> Schema,
}

impl BuiltinKind {
    /// The upstream definition name, e.g. `io.k8s.api.apps.v1.Deployment`.
    pub fn definition(&self) -> Cow<'static, str> {
        (self.schema_name)()
    }

    /// The definition name of the kind's list, e.g. `io.k8s.api.apps.v1.DeploymentList`.
    pub fn list_definition(&self) -> Option<String> {
        self.listable.then(|| format!("{}List", self.definition()))
    }
}

impl std::fmt::Debug for BuiltinKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinKind")
            .field("group", &self.group)
            .field("version", &self.version)
            .field("kind", &self.kind)
            .field("rust_type", &self.rust_type)
            .finish()
    }
}

macro_rules! kinds {
    ($($group:literal $version:literal $kind:literal $listable:literal => $($seg:ident)::+),* $(,)?) => {
        &[$(BuiltinKind {
            group: $group,
            version: $version,
            kind: $kind,
            rust_type: concat!("k8s_openapi" $(, "::", stringify!($seg))+),
            listable: $listable,
            schema_name: <$($seg)::+ as JsonSchema>::schema_name,
            subschema: SchemaGenerator::subschema_for::<$($seg)::+>,
        }),*]
    };
}

/// Every built-in kind kelp may serve (or use as a subresource body), with its Rust type.
pub static BUILTIN_KINDS: &[BuiltinKind] = kinds![
    "" "v1" "Binding" false => api::core::v1::Binding,
    "" "v1" "ComponentStatus" true => api::core::v1::ComponentStatus,
    "" "v1" "ConfigMap" true => api::core::v1::ConfigMap,
    "" "v1" "Endpoints" true => api::core::v1::Endpoints,
    "" "v1" "Event" true => api::core::v1::Event,
    "" "v1" "LimitRange" true => api::core::v1::LimitRange,
    "" "v1" "Namespace" true => api::core::v1::Namespace,
    "" "v1" "Node" true => api::core::v1::Node,
    "" "v1" "PersistentVolume" true => api::core::v1::PersistentVolume,
    "" "v1" "PersistentVolumeClaim" true => api::core::v1::PersistentVolumeClaim,
    "" "v1" "Pod" true => api::core::v1::Pod,
    "" "v1" "PodTemplate" true => api::core::v1::PodTemplate,
    "" "v1" "ReplicationController" true => api::core::v1::ReplicationController,
    "" "v1" "ResourceQuota" true => api::core::v1::ResourceQuota,
    "" "v1" "Secret" true => api::core::v1::Secret,
    "" "v1" "Service" true => api::core::v1::Service,
    "" "v1" "ServiceAccount" true => api::core::v1::ServiceAccount,
    "" "v1" "Status" false => apimachinery::pkg::apis::meta::v1::Status,
    "admissionregistration.k8s.io" "v1" "MutatingWebhookConfiguration" true => api::admissionregistration::v1::MutatingWebhookConfiguration,
    "admissionregistration.k8s.io" "v1" "ValidatingAdmissionPolicy" true => api::admissionregistration::v1::ValidatingAdmissionPolicy,
    "admissionregistration.k8s.io" "v1" "ValidatingAdmissionPolicyBinding" true => api::admissionregistration::v1::ValidatingAdmissionPolicyBinding,
    "admissionregistration.k8s.io" "v1" "ValidatingWebhookConfiguration" true => api::admissionregistration::v1::ValidatingWebhookConfiguration,
    "apiextensions.k8s.io" "v1" "CustomResourceDefinition" true => apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    "apps" "v1" "ControllerRevision" true => api::apps::v1::ControllerRevision,
    "apps" "v1" "DaemonSet" true => api::apps::v1::DaemonSet,
    "apps" "v1" "Deployment" true => api::apps::v1::Deployment,
    "apps" "v1" "ReplicaSet" true => api::apps::v1::ReplicaSet,
    "apps" "v1" "StatefulSet" true => api::apps::v1::StatefulSet,
    "authentication.k8s.io" "v1" "SelfSubjectReview" false => api::authentication::v1::SelfSubjectReview,
    "authentication.k8s.io" "v1" "TokenRequest" false => api::authentication::v1::TokenRequest,
    "authentication.k8s.io" "v1" "TokenReview" false => api::authentication::v1::TokenReview,
    "authorization.k8s.io" "v1" "LocalSubjectAccessReview" false => api::authorization::v1::LocalSubjectAccessReview,
    "authorization.k8s.io" "v1" "SelfSubjectAccessReview" false => api::authorization::v1::SelfSubjectAccessReview,
    "authorization.k8s.io" "v1" "SelfSubjectRulesReview" false => api::authorization::v1::SelfSubjectRulesReview,
    "authorization.k8s.io" "v1" "SubjectAccessReview" false => api::authorization::v1::SubjectAccessReview,
    "autoscaling" "v1" "HorizontalPodAutoscaler" true => api::autoscaling::v1::HorizontalPodAutoscaler,
    "autoscaling" "v1" "Scale" false => api::autoscaling::v1::Scale,
    "autoscaling" "v2" "HorizontalPodAutoscaler" true => api::autoscaling::v2::HorizontalPodAutoscaler,
    "batch" "v1" "CronJob" true => api::batch::v1::CronJob,
    "batch" "v1" "Job" true => api::batch::v1::Job,
    "certificates.k8s.io" "v1" "CertificateSigningRequest" true => api::certificates::v1::CertificateSigningRequest,
    "coordination.k8s.io" "v1" "Lease" true => api::coordination::v1::Lease,
    "discovery.k8s.io" "v1" "EndpointSlice" true => api::discovery::v1::EndpointSlice,
    "events.k8s.io" "v1" "Event" true => api::events::v1::Event,
    "flowcontrol.apiserver.k8s.io" "v1" "FlowSchema" true => api::flowcontrol::v1::FlowSchema,
    "flowcontrol.apiserver.k8s.io" "v1" "PriorityLevelConfiguration" true => api::flowcontrol::v1::PriorityLevelConfiguration,
    "networking.k8s.io" "v1" "Ingress" true => api::networking::v1::Ingress,
    "networking.k8s.io" "v1" "IngressClass" true => api::networking::v1::IngressClass,
    "networking.k8s.io" "v1" "NetworkPolicy" true => api::networking::v1::NetworkPolicy,
    "node.k8s.io" "v1" "RuntimeClass" true => api::node::v1::RuntimeClass,
    "policy" "v1" "Eviction" false => api::policy::v1::Eviction,
    "policy" "v1" "PodDisruptionBudget" true => api::policy::v1::PodDisruptionBudget,
    "rbac.authorization.k8s.io" "v1" "ClusterRole" true => api::rbac::v1::ClusterRole,
    "rbac.authorization.k8s.io" "v1" "ClusterRoleBinding" true => api::rbac::v1::ClusterRoleBinding,
    "rbac.authorization.k8s.io" "v1" "Role" true => api::rbac::v1::Role,
    "rbac.authorization.k8s.io" "v1" "RoleBinding" true => api::rbac::v1::RoleBinding,
    "scheduling.k8s.io" "v1" "PriorityClass" true => api::scheduling::v1::PriorityClass,
    "storage.k8s.io" "v1" "CSIDriver" true => api::storage::v1::CSIDriver,
    "storage.k8s.io" "v1" "CSINode" true => api::storage::v1::CSINode,
    "storage.k8s.io" "v1" "CSIStorageCapacity" true => api::storage::v1::CSIStorageCapacity,
    "storage.k8s.io" "v1" "StorageClass" true => api::storage::v1::StorageClass,
    "storage.k8s.io" "v1" "VolumeAttachment" true => api::storage::v1::VolumeAttachment,
];

/// The k8s-openapi type of a built-in (group, version, kind), if kelp knows it.
pub fn builtin_kind(group: &str, version: &str, kind: &str) -> Option<&'static BuiltinKind> {
    BUILTIN_KINDS
        .iter()
        .find(|b| b.group == group && b.version == version && b.kind == kind)
}

/// The meta/v1 types every group-version document references from its paths
/// (delete bodies, patch bodies, delete responses, watch events) besides list metadata.
pub(super) const META_ROOTS: &[fn(&mut SchemaGenerator) -> Schema] = &[
    SchemaGenerator::subschema_for::<meta_v1::DeleteOptions>,
    SchemaGenerator::subschema_for::<meta_v1::ListMeta>,
    SchemaGenerator::subschema_for::<meta_v1::ObjectMeta>,
    SchemaGenerator::subschema_for::<meta_v1::Patch>,
    SchemaGenerator::subschema_for::<meta_v1::Status>,
    SchemaGenerator::subschema_for::<meta_v1::WatchEvent<meta_v1::Status>>,
];

pub(super) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(super) const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
pub(super) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
pub(super) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub(super) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(super) const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
