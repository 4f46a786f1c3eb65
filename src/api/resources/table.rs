//! The static table of built-in resources, as a v1.33 apiserver describes them in
//! discovery (checked against upstream's `api/discovery/*.json` fixtures and a real
//! `/api/v1` response).

use super::{ResourceInfo, SubresourceInfo};

/// Built-in groups in the order a real apiserver lists them under `/apis` (the core
/// group, served under `/api`, comes first). Only groups kelp serves are listed.
pub(super) const GROUP_ORDER: &[&str] = &[
    "",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
];

/// The verbs of an ordinary read-write resource.
pub(super) const RW: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// Namespaces cannot be deleted as a collection.
const RW_NO_COLLECTION: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
const CREATE: &[&str] = &["create"];
const GET: &[&str] = &["get"];
const UPDATE: &[&str] = &["update"];
const GET_PATCH_UPDATE: &[&str] = &["get", "patch", "update"];
const CREATE_GET: &[&str] = &["create", "get"];
const PROXY: &[&str] = &["create", "delete", "get", "patch", "update"];

pub(super) struct StaticSubresource {
    name: &'static str,
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    verbs: &'static [&'static str],
}

pub(super) struct StaticResource {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    verbs: &'static [&'static str],
    subresources: &'static [StaticSubresource],
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

impl StaticResource {
    pub(super) fn to_info(&self) -> ResourceInfo {
        ResourceInfo {
            group: self.group.to_string(),
            version: self.version.to_string(),
            kind: self.kind.to_string(),
            plural: self.plural.to_string(),
            singular: self.singular.to_string(),
            namespaced: self.namespaced,
            short_names: strings(self.short_names),
            categories: strings(self.categories),
            verbs: strings(self.verbs),
            subresources: self
                .subresources
                .iter()
                .map(|s| SubresourceInfo {
                    name: s.name.to_string(),
                    group: s.group.to_string(),
                    version: s.version.to_string(),
                    kind: s.kind.to_string(),
                    verbs: strings(s.verbs),
                })
                .collect(),
        }
    }
}

/// A subresource whose kind is in the parent's group version.
const fn sub(
    name: &'static str,
    kind: &'static str,
    verbs: &'static [&'static str],
) -> StaticSubresource {
    StaticSubresource {
        name,
        group: "",
        version: "",
        kind,
        verbs,
    }
}

const fn status(kind: &'static str) -> StaticSubresource {
    sub("status", kind, GET_PATCH_UPDATE)
}

/// `scale` always returns `autoscaling/v1` `Scale`.
const SCALE: StaticSubresource = StaticSubresource {
    name: "scale",
    group: "autoscaling",
    version: "v1",
    kind: "Scale",
    verbs: GET_PATCH_UPDATE,
};

/// A read-write resource with no short names, categories or subresources.
const fn plain(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
) -> StaticResource {
    StaticResource {
        group,
        version: "v1",
        kind,
        plural,
        singular,
        namespaced,
        short_names: &[],
        categories: &[],
        verbs: RW,
        subresources: &[],
    }
}

/// A create-only, cluster-scoped review resource (`selfsubjectreviews`, …).
const fn review(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
) -> StaticResource {
    StaticResource {
        verbs: CREATE,
        ..plain(group, kind, plural, singular, false)
    }
}

const ALL: &[&str] = &["all"];

pub(super) const BUILTIN: &[StaticResource] = &[
    // core/v1
    StaticResource {
        short_names: &["cm"],
        ..plain("", "ConfigMap", "configmaps", "configmap", true)
    },
    StaticResource {
        short_names: &["ep"],
        ..plain("", "Endpoints", "endpoints", "endpoints", true)
    },
    StaticResource {
        short_names: &["ev"],
        ..plain("", "Event", "events", "event", true)
    },
    StaticResource {
        short_names: &["limits"],
        ..plain("", "LimitRange", "limitranges", "limitrange", true)
    },
    StaticResource {
        short_names: &["ns"],
        verbs: RW_NO_COLLECTION,
        subresources: &[sub("finalize", "Namespace", UPDATE), status("Namespace")],
        ..plain("", "Namespace", "namespaces", "namespace", false)
    },
    StaticResource {
        short_names: &["no"],
        subresources: &[sub("proxy", "NodeProxyOptions", PROXY), status("Node")],
        ..plain("", "Node", "nodes", "node", false)
    },
    StaticResource {
        short_names: &["pvc"],
        subresources: &[status("PersistentVolumeClaim")],
        ..plain(
            "",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            "persistentvolumeclaim",
            true,
        )
    },
    StaticResource {
        short_names: &["pv"],
        subresources: &[status("PersistentVolume")],
        ..plain(
            "",
            "PersistentVolume",
            "persistentvolumes",
            "persistentvolume",
            false,
        )
    },
    StaticResource {
        short_names: &["po"],
        categories: ALL,
        subresources: &[
            sub("attach", "PodAttachOptions", CREATE_GET),
            sub("binding", "Binding", CREATE),
            sub("ephemeralcontainers", "Pod", GET_PATCH_UPDATE),
            StaticSubresource {
                name: "eviction",
                group: "policy",
                version: "v1",
                kind: "Eviction",
                verbs: CREATE,
            },
            sub("exec", "PodExecOptions", CREATE_GET),
            sub("log", "Pod", GET),
            sub("portforward", "PodPortForwardOptions", CREATE_GET),
            sub("proxy", "PodProxyOptions", PROXY),
            // InPlacePodVerticalScaling is beta and on by default in v1.33.
            sub("resize", "Pod", GET_PATCH_UPDATE),
            status("Pod"),
        ],
        ..plain("", "Pod", "pods", "pod", true)
    },
    plain("", "PodTemplate", "podtemplates", "podtemplate", true),
    StaticResource {
        short_names: &["rc"],
        categories: ALL,
        subresources: &[SCALE, status("ReplicationController")],
        ..plain(
            "",
            "ReplicationController",
            "replicationcontrollers",
            "replicationcontroller",
            true,
        )
    },
    StaticResource {
        short_names: &["quota"],
        subresources: &[status("ResourceQuota")],
        ..plain("", "ResourceQuota", "resourcequotas", "resourcequota", true)
    },
    plain("", "Secret", "secrets", "secret", true),
    StaticResource {
        short_names: &["sa"],
        subresources: &[StaticSubresource {
            name: "token",
            group: "authentication.k8s.io",
            version: "v1",
            kind: "TokenRequest",
            verbs: CREATE,
        }],
        ..plain(
            "",
            "ServiceAccount",
            "serviceaccounts",
            "serviceaccount",
            true,
        )
    },
    StaticResource {
        short_names: &["svc"],
        categories: ALL,
        subresources: &[
            sub("proxy", "ServiceProxyOptions", PROXY),
            status("Service"),
        ],
        ..plain("", "Service", "services", "service", true)
    },
    // apps/v1
    plain(
        "apps",
        "ControllerRevision",
        "controllerrevisions",
        "controllerrevision",
        true,
    ),
    StaticResource {
        short_names: &["ds"],
        categories: ALL,
        subresources: &[status("DaemonSet")],
        ..plain("apps", "DaemonSet", "daemonsets", "daemonset", true)
    },
    StaticResource {
        short_names: &["deploy"],
        categories: ALL,
        subresources: &[SCALE, status("Deployment")],
        ..plain("apps", "Deployment", "deployments", "deployment", true)
    },
    StaticResource {
        short_names: &["rs"],
        categories: ALL,
        subresources: &[SCALE, status("ReplicaSet")],
        ..plain("apps", "ReplicaSet", "replicasets", "replicaset", true)
    },
    StaticResource {
        short_names: &["sts"],
        categories: ALL,
        subresources: &[SCALE, status("StatefulSet")],
        ..plain("apps", "StatefulSet", "statefulsets", "statefulset", true)
    },
    // events.k8s.io/v1
    StaticResource {
        short_names: &["ev"],
        ..plain("events.k8s.io", "Event", "events", "event", true)
    },
    // authentication.k8s.io/v1 (`kubectl auth whoami`)
    review(
        "authentication.k8s.io",
        "SelfSubjectReview",
        "selfsubjectreviews",
        "selfsubjectreview",
    ),
    // authorization.k8s.io/v1 (`kubectl auth can-i`)
    review(
        "authorization.k8s.io",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
    ),
    review(
        "authorization.k8s.io",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
    ),
    // autoscaling/v2
    StaticResource {
        version: "v2",
        short_names: &["hpa"],
        categories: ALL,
        subresources: &[status("HorizontalPodAutoscaler")],
        ..plain(
            "autoscaling",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            "horizontalpodautoscaler",
            true,
        )
    },
    // batch/v1
    StaticResource {
        short_names: &["cj"],
        categories: ALL,
        subresources: &[status("CronJob")],
        ..plain("batch", "CronJob", "cronjobs", "cronjob", true)
    },
    StaticResource {
        categories: ALL,
        subresources: &[status("Job")],
        ..plain("batch", "Job", "jobs", "job", true)
    },
    // certificates.k8s.io/v1
    StaticResource {
        short_names: &["csr"],
        subresources: &[
            sub("approval", "CertificateSigningRequest", GET_PATCH_UPDATE),
            status("CertificateSigningRequest"),
        ],
        ..plain(
            "certificates.k8s.io",
            "CertificateSigningRequest",
            "certificatesigningrequests",
            "certificatesigningrequest",
            false,
        )
    },
    // networking.k8s.io/v1
    plain(
        "networking.k8s.io",
        "IngressClass",
        "ingressclasses",
        "ingressclass",
        false,
    ),
    StaticResource {
        short_names: &["ing"],
        subresources: &[status("Ingress")],
        ..plain("networking.k8s.io", "Ingress", "ingresses", "ingress", true)
    },
    StaticResource {
        short_names: &["netpol"],
        ..plain(
            "networking.k8s.io",
            "NetworkPolicy",
            "networkpolicies",
            "networkpolicy",
            true,
        )
    },
    // policy/v1
    StaticResource {
        short_names: &["pdb"],
        subresources: &[status("PodDisruptionBudget")],
        ..plain(
            "policy",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            "poddisruptionbudget",
            true,
        )
    },
    // rbac.authorization.k8s.io/v1
    plain(
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "clusterrolebindings",
        "clusterrolebinding",
        false,
    ),
    plain(
        "rbac.authorization.k8s.io",
        "ClusterRole",
        "clusterroles",
        "clusterrole",
        false,
    ),
    plain(
        "rbac.authorization.k8s.io",
        "RoleBinding",
        "rolebindings",
        "rolebinding",
        true,
    ),
    plain("rbac.authorization.k8s.io", "Role", "roles", "role", true),
    // storage.k8s.io/v1
    plain(
        "storage.k8s.io",
        "CSIDriver",
        "csidrivers",
        "csidriver",
        false,
    ),
    plain("storage.k8s.io", "CSINode", "csinodes", "csinode", false),
    StaticResource {
        short_names: &["sc"],
        ..plain(
            "storage.k8s.io",
            "StorageClass",
            "storageclasses",
            "storageclass",
            false,
        )
    },
    // apiextensions.k8s.io/v1
    StaticResource {
        short_names: &["crd", "crds"],
        categories: &["api-extensions"],
        subresources: &[status("CustomResourceDefinition")],
        ..plain(
            "apiextensions.k8s.io",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            "customresourcedefinition",
            false,
        )
    },
    // scheduling.k8s.io/v1
    StaticResource {
        short_names: &["pc"],
        ..plain(
            "scheduling.k8s.io",
            "PriorityClass",
            "priorityclasses",
            "priorityclass",
            false,
        )
    },
    // coordination.k8s.io/v1
    plain("coordination.k8s.io", "Lease", "leases", "lease", true),
    // node.k8s.io/v1
    plain(
        "node.k8s.io",
        "RuntimeClass",
        "runtimeclasses",
        "runtimeclass",
        false,
    ),
    // discovery.k8s.io/v1
    plain(
        "discovery.k8s.io",
        "EndpointSlice",
        "endpointslices",
        "endpointslice",
        true,
    ),
];
