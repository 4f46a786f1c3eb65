//! The built-in kinds' columns and cells, after upstream's `AddHandlers` and its
//! `print<Kind>` functions (pkg/printers/internalversion, v1.33). Each printer
//! works on the stored (external, defaulted) JSON and computes what upstream
//! computes from the internal object, so unset fields print as upstream's zero
//! values (`0`, `""`, `<none>`, `<unset>`).

use std::collections::BTreeSet;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::{
    AGE, Column, NAME, age, col, containers, count, format_label_selector, format_labels,
    human_duration, human_signed, int, int_or_string, items, join_or_none, label_selector,
    quantity, quantity_ptr, secs_between, since, text, text_or, time,
};

/// Computes one row's cells, in column order.
pub(super) type Cells = fn(&Value) -> Vec<Value>;

const fn s(name: &'static str) -> Column {
    col(name, "string", 0)
}
const fn i(name: &'static str) -> Column {
    col(name, "integer", 0)
}
const fn b(name: &'static str) -> Column {
    col(name, "boolean", 0)
}
const fn wide(name: &'static str) -> Column {
    col(name, "string", 1)
}
const CONTAINERS: Column = wide("Containers");
const IMAGES: Column = wide("Images");
const SELECTOR: Column = wide("Selector");

/// The columns and cell function of a built-in kind; `None` for kinds upstream
/// prints with the default Name / Created At.
pub(super) fn printer(group: &str, kind: &str) -> Option<(Vec<Column>, Cells)> {
    let (cols, cells): (Vec<Column>, Cells) = match (group, kind) {
        ("", "Pod") => (
            vec![
                NAME,
                s("Ready"),
                s("Status"),
                s("Restarts"),
                AGE,
                wide("IP"),
                wide("Node"),
                wide("Nominated Node"),
                wide("Readiness Gates"),
            ],
            pod,
        ),
        ("", "PodTemplate") => (
            vec![NAME, s("Containers"), s("Images"), s("Pod Labels")],
            pod_template,
        ),
        ("policy", "PodDisruptionBudget") => (
            vec![
                NAME,
                s("Min Available"),
                s("Max Unavailable"),
                i("Allowed Disruptions"),
                AGE,
            ],
            pod_disruption_budget,
        ),
        ("", "ReplicationController") => (
            vec![
                NAME,
                i("Desired"),
                i("Current"),
                i("Ready"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            replication_controller,
        ),
        ("apps", "ReplicaSet") => (
            vec![
                NAME,
                i("Desired"),
                i("Current"),
                i("Ready"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            replica_set,
        ),
        ("apps", "DaemonSet") => (
            vec![
                NAME,
                i("Desired"),
                i("Current"),
                i("Ready"),
                i("Up-to-date"),
                i("Available"),
                s("Node Selector"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            daemon_set,
        ),
        ("batch", "Job") => (
            vec![
                NAME,
                s("Status"),
                s("Completions"),
                s("Duration"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            job,
        ),
        ("batch", "CronJob") => (
            vec![
                NAME,
                s("Schedule"),
                s("Timezone"),
                b("Suspend"),
                i("Active"),
                s("Last Schedule"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            cron_job,
        ),
        ("", "Service") => (
            vec![
                NAME,
                s("Type"),
                s("Cluster-IP"),
                s("External-IP"),
                s("Port(s)"),
                AGE,
                SELECTOR,
            ],
            service,
        ),
        ("networking.k8s.io", "Ingress") => (
            vec![NAME, s("Class"), s("Hosts"), s("Address"), s("Ports"), AGE],
            ingress,
        ),
        ("networking.k8s.io", "IngressClass") => (
            vec![NAME, s("Controller"), s("Parameters"), AGE],
            ingress_class,
        ),
        ("apps", "StatefulSet") => (
            vec![NAME, s("Ready"), AGE, CONTAINERS, IMAGES],
            stateful_set,
        ),
        ("", "Endpoints") => (vec![NAME, s("Endpoints"), AGE], endpoints),
        ("", "Node") => (
            vec![
                NAME,
                s("Status"),
                s("Roles"),
                AGE,
                s("Version"),
                wide("Internal-IP"),
                wide("External-IP"),
                wide("OS-Image"),
                wide("Kernel-Version"),
                wide("Container-Runtime"),
            ],
            node,
        ),
        ("", "Event") | ("events.k8s.io", "Event") => (
            vec![
                s("Last Seen"),
                s("Type"),
                s("Reason"),
                s("Object"),
                wide("Subobject"),
                wide("Source"),
                s("Message"),
                wide("First Seen"),
                wide("Count"),
                Column {
                    priority: 1,
                    ..NAME
                },
            ],
            if group.is_empty() {
                core_event
            } else {
                events_event
            },
        ),
        ("", "Namespace") => (vec![NAME, s("Status"), AGE], namespace),
        ("", "Secret") => (vec![NAME, s("Type"), s("Data"), AGE], secret),
        ("", "ServiceAccount") => (vec![NAME, s("Secrets"), AGE], service_account),
        ("", "PersistentVolume") => (
            vec![
                NAME,
                s("Capacity"),
                s("Access Modes"),
                s("Reclaim Policy"),
                s("Status"),
                s("Claim"),
                s("StorageClass"),
                s("VolumeAttributesClass"),
                s("Reason"),
                AGE,
                wide("VolumeMode"),
            ],
            persistent_volume,
        ),
        ("", "PersistentVolumeClaim") => (
            vec![
                NAME,
                s("Status"),
                s("Volume"),
                s("Capacity"),
                s("Access Modes"),
                s("StorageClass"),
                s("VolumeAttributesClass"),
                AGE,
                wide("VolumeMode"),
            ],
            persistent_volume_claim,
        ),
        ("apps", "Deployment") => (
            vec![
                NAME,
                s("Ready"),
                s("Up-to-date"),
                s("Available"),
                AGE,
                CONTAINERS,
                IMAGES,
                SELECTOR,
            ],
            deployment,
        ),
        ("autoscaling", "HorizontalPodAutoscaler") => (
            vec![
                NAME,
                s("Reference"),
                s("Targets"),
                s("MinPods"),
                s("MaxPods"),
                s("Replicas"),
                AGE,
            ],
            horizontal_pod_autoscaler,
        ),
        ("", "ConfigMap") => (vec![NAME, s("Data"), AGE], config_map),
        ("networking.k8s.io", "NetworkPolicy") => {
            (vec![NAME, s("Pod-Selector"), AGE], network_policy)
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => (
            vec![
                NAME,
                s("Role"),
                AGE,
                wide("Users"),
                wide("Groups"),
                wide("ServiceAccounts"),
            ],
            role_binding,
        ),
        ("certificates.k8s.io", "CertificateSigningRequest") => (
            vec![
                NAME,
                AGE,
                s("SignerName"),
                s("Requestor"),
                s("RequestedDuration"),
                s("Condition"),
            ],
            certificate_signing_request,
        ),
        ("coordination.k8s.io", "Lease") => (vec![NAME, s("Holder"), AGE], lease),
        ("storage.k8s.io", "StorageClass") => (
            vec![
                NAME,
                s("Provisioner"),
                s("ReclaimPolicy"),
                s("VolumeBindingMode"),
                s("AllowVolumeExpansion"),
                AGE,
            ],
            storage_class,
        ),
        ("apps", "ControllerRevision") => (
            vec![NAME, s("Controller"), s("Revision"), AGE],
            controller_revision,
        ),
        ("", "ResourceQuota") => (vec![NAME, s("Request"), s("Limit"), AGE], resource_quota),
        ("scheduling.k8s.io", "PriorityClass") => (
            vec![
                NAME,
                i("Value"),
                b("Global-Default"),
                AGE,
                s("PreemptionPolicy"),
            ],
            priority_class,
        ),
        ("node.k8s.io", "RuntimeClass") => (vec![NAME, s("Handler"), AGE], runtime_class),
        ("discovery.k8s.io", "EndpointSlice") => (
            vec![NAME, s("AddressType"), s("Ports"), s("Endpoints"), AGE],
            endpoint_slice,
        ),
        ("storage.k8s.io", "CSINode") => (vec![NAME, i("Drivers"), AGE], csi_node),
        ("storage.k8s.io", "CSIDriver") => (
            vec![
                NAME,
                b("AttachRequired"),
                b("PodInfoOnMount"),
                b("StorageCapacity"),
                s("TokenRequests"),
                b("RequiresRepublish"),
                s("Modes"),
                AGE,
            ],
            csi_driver,
        ),
        _ => return None,
    };
    Some((cols, cells))
}

fn name(obj: &Value) -> Value {
    json!(text(&obj["metadata"]["name"]))
}

fn wide_containers(pod_spec: &Value) -> [Value; 2] {
    let (names, images) = containers(pod_spec);
    [json!(names), json!(images)]
}

mod access;
mod cluster;
mod events;
mod network;
mod storage;
mod workloads;

use access::*;
use cluster::*;
use events::*;
use network::*;
use storage::*;
use workloads::*;
