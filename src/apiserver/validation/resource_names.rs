//! Resource names as quotas, limit ranges and autoscalers name them (upstream
//! `validateResourceName`, `validateContainerResourceName` and the `helper` sets).

use crate::api::status::Cause;
use crate::api::validation as names;

use super::label_name;

/// Upstream `standardResources` (`IsStandardResourceName`, with the hugepages ones).
pub(crate) const STANDARD_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "storage",
    "requests.storage",
    "services.nodeports",
    "services.loadbalancers",
];

/// Upstream `IsQuotaHugePageResourceName`.
pub(crate) fn quota_hugepages(name: &str) -> bool {
    name.starts_with("hugepages-") || name.starts_with("requests.hugepages-")
}

/// Upstream `IsNativeResource`: unprefixed or in `*kubernetes.io/`.
pub(crate) fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// Upstream `IsExtendedResourceName`.
pub(crate) fn is_extended(name: &str) -> bool {
    !is_native(name)
        && !name.starts_with("requests.")
        && names::is_qualified_name(&format!("requests.{name}")).is_empty()
}

/// Upstream `IsOvercommitAllowed`.
pub(crate) fn overcommit_allowed(name: &str) -> bool {
    is_native(name) && !name.starts_with("hugepages-")
}

/// Upstream `validateResourceName`: a qualified name; a single segment must be a
/// standard resource.
pub(crate) fn resource_name(name: &str, path: &str, out: &mut Vec<Cause>) {
    let before = out.len();
    label_name(name, path, out);
    if out.len() == before
        && !name.contains('/')
        && !(STANDARD_RESOURCES.contains(&name) || quota_hugepages(name))
    {
        out.push(Cause::invalid(
            path,
            name,
            "must be a standard resource type or fully qualified",
        ));
    }
}

/// Upstream `validateContainerResourceName`.
pub(crate) fn container_resource_name(name: &str, path: &str, out: &mut Vec<Cause>) {
    resource_name(name, path, out);
    if !name.contains('/') {
        let container = ["cpu", "memory", "ephemeral-storage"].contains(&name)
            || name.starts_with("hugepages-");
        if !container {
            out.push(Cause::invalid(
                path,
                name,
                "must be a standard resource for containers",
            ));
        }
    } else if !is_native(name) && !is_extended(name) {
        out.push(Cause::invalid(
            path,
            name,
            "doesn't follow extended resource name standard",
        ));
    }
}
