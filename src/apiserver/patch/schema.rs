//! Which fields merge and how: the `patchStrategy`/`patchMergeKey` struct tags of the
//! built-in kinds (checked against k8s.io/api and apimachinery's `ObjectMeta` at
//! v0.33), as static trees of field names.
//!
//! A path is a list of field names from the object root; list elements add no segment,
//! so the env of a Deployment's containers is `spec.template.spec.containers.env`.
//! Fields not in a tree have no strategy: objects merge key by key, lists are replaced.

/// A field's `patchStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// No tag: objects merge member by member, lists (and scalars) are replaced.
    #[default]
    Default,
    /// `patchStrategy:"merge"`: lists of objects merge element-wise by the merge key,
    /// lists of primitives become a set union.
    Merge,
    /// `patchStrategy:"replace"` on an object: the patch value replaces it whole.
    Replace,
}

/// What a [`MergeSchema`] knows about one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldMeta {
    pub strategy: Strategy,
    /// `patchMergeKey`; `None` for primitive lists and fields that do not merge.
    pub merge_key: Option<&'static str>,
    /// `retainKeys` is among the strategies. Only clients use it (to emit
    /// `$retainKeys`); the server honours `$retainKeys` wherever a patch has one.
    pub retain_keys: bool,
}

impl FieldMeta {
    /// No strategy.
    pub const DEFAULT: FieldMeta = FieldMeta {
        strategy: Strategy::Default,
        merge_key: None,
        retain_keys: false,
    };

    /// A list of objects merged by `key`.
    pub const fn merge_by(key: &'static str) -> FieldMeta {
        FieldMeta {
            strategy: Strategy::Merge,
            merge_key: Some(key),
            retain_keys: false,
        }
    }

    /// A list of primitives merged as a set (`finalizers`).
    pub const fn merge_primitives() -> FieldMeta {
        FieldMeta {
            strategy: Strategy::Merge,
            merge_key: None,
            retain_keys: false,
        }
    }

    /// An object replaced whole.
    pub const fn replace() -> FieldMeta {
        FieldMeta {
            strategy: Strategy::Replace,
            merge_key: None,
            retain_keys: false,
        }
    }

    pub const fn with_retain_keys(self) -> FieldMeta {
        FieldMeta {
            retain_keys: true,
            ..self
        }
    }

    /// A list with `patchStrategy: merge` (by key or as a set).
    pub fn is_merge_list(&self) -> bool {
        self.strategy == Strategy::Merge
    }
}

/// The patch metadata of one kind, by field path.
pub trait MergeSchema: Send + Sync {
    /// The metadata of the field at `path` (field names from the object root, e.g.
    /// `["spec", "template", "spec", "containers"]`).
    fn field(&self, path: &[&str]) -> FieldMeta;
}

/// A schema in which no field has a strategy: every list is atomic, objects merge.
/// Used for custom resources and kinds kelp has no table for.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainSchema;

impl MergeSchema for PlainSchema {
    fn field(&self, _path: &[&str]) -> FieldMeta {
        FieldMeta::DEFAULT
    }
}

/// One named field in a schema tree.
#[derive(Debug)]
struct Field {
    name: &'static str,
    meta: FieldMeta,
    children: &'static [Field],
}

/// A field with a strategy and nothing below it that has one.
const fn leaf(name: &'static str, meta: FieldMeta) -> Field {
    Field {
        name,
        meta,
        children: &[],
    }
}

/// An object field without a strategy of its own, holding fields that have one.
const fn node(name: &'static str, children: &'static [Field]) -> Field {
    Field {
        name,
        meta: FieldMeta::DEFAULT,
        children,
    }
}

/// A merging list whose elements hold fields with strategies.
const fn list(name: &'static str, meta: FieldMeta, children: &'static [Field]) -> Field {
    Field {
        name,
        meta,
        children,
    }
}

/// The patch metadata of a built-in kind.
#[derive(Debug)]
pub struct BuiltinSchema {
    root: &'static [Field],
}

impl MergeSchema for BuiltinSchema {
    fn field(&self, path: &[&str]) -> FieldMeta {
        let mut fields = self.root;
        let mut meta = FieldMeta::DEFAULT;
        for (i, name) in path.iter().enumerate() {
            let Some(f) = fields.iter().find(|f| f.name == *name) else {
                return FieldMeta::DEFAULT;
            };
            if i + 1 == path.len() {
                meta = f.meta;
            }
            fields = f.children;
        }
        meta
    }
}

impl BuiltinSchema {
    /// The schema of a built-in kind kelp serves, or `None` (custom resources, unknown
    /// kinds). The version does not matter: no served version of a kind disagrees.
    pub fn for_kind(group: &str, kind: &str) -> Option<&'static dyn MergeSchema> {
        let schema: &'static BuiltinSchema = match (group, kind) {
            ("", "Pod") => &POD,
            ("", "PodTemplate") => &POD_TEMPLATE,
            ("", "ReplicationController")
            | ("apps", "ReplicaSet" | "StatefulSet" | "DaemonSet")
            | ("batch", "Job") => &WORKLOAD,
            ("apps", "Deployment") => &DEPLOYMENT,
            ("batch", "CronJob") => &CRON_JOB,
            ("", "Service") => &SERVICE,
            ("", "ServiceAccount") => &SERVICE_ACCOUNT,
            ("", "Node") => &NODE,
            ("", "ComponentStatus") => &COMPONENT_STATUS,
            ("", "Namespace" | "PersistentVolumeClaim")
            | ("autoscaling", "HorizontalPodAutoscaler") => &STATUS_CONDITIONS,
            ("policy", "PodDisruptionBudget") => &POD_DISRUPTION_BUDGET,
            ("storage.k8s.io", "CSINode") => &CSI_NODE,
            (
                "",
                "ConfigMap" | "Endpoints" | "Event" | "LimitRange" | "PersistentVolume"
                | "ResourceQuota" | "Secret" | "Binding",
            )
            | ("apps", "ControllerRevision")
            | ("autoscaling", "Scale")
            | ("events.k8s.io", "Event")
            | ("certificates.k8s.io", "CertificateSigningRequest")
            | ("networking.k8s.io", "Ingress" | "IngressClass" | "NetworkPolicy")
            | ("policy", "Eviction")
            | (
                "rbac.authorization.k8s.io",
                "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding",
            )
            | (
                "storage.k8s.io",
                "CSIDriver" | "StorageClass" | "VolumeAttachment" | "CSIStorageCapacity",
            )
            | ("apiextensions.k8s.io", "CustomResourceDefinition")
            | ("scheduling.k8s.io", "PriorityClass")
            | ("coordination.k8s.io", "Lease")
            | ("node.k8s.io", "RuntimeClass")
            | ("discovery.k8s.io", "EndpointSlice") => &METADATA_ONLY,
            _ => return None,
        };
        Some(schema)
    }
}

// metav1.ObjectMeta
const OBJECT_META: &[Field] = &[
    leaf("finalizers", FieldMeta::merge_primitives()),
    leaf("ownerReferences", FieldMeta::merge_by("uid")),
];
const METADATA: Field = node("metadata", OBJECT_META);

// core/v1 Container and EphemeralContainerCommon
const CONTAINER: &[Field] = &[
    leaf("ports", FieldMeta::merge_by("containerPort")),
    leaf("env", FieldMeta::merge_by("name")),
    leaf("volumeMounts", FieldMeta::merge_by("mountPath")),
    leaf("volumeDevices", FieldMeta::merge_by("devicePath")),
];

// core/v1 PodSpec. Not merging (atomic) upstream: tolerations, readinessGates,
// resizePolicy, envFrom, affinity terms.
const POD_SPEC: &[Field] = &[
    leaf("volumes", FieldMeta::merge_by("name").with_retain_keys()),
    list("initContainers", FieldMeta::merge_by("name"), CONTAINER),
    list("containers", FieldMeta::merge_by("name"), CONTAINER),
    list(
        "ephemeralContainers",
        FieldMeta::merge_by("name"),
        CONTAINER,
    ),
    leaf("imagePullSecrets", FieldMeta::merge_by("name")),
    leaf("hostAliases", FieldMeta::merge_by("ip")),
    leaf(
        "topologySpreadConstraints",
        FieldMeta::merge_by("topologyKey"),
    ),
    leaf("schedulingGates", FieldMeta::merge_by("name")),
    leaf(
        "resourceClaims",
        FieldMeta::merge_by("name").with_retain_keys(),
    ),
];

// core/v1 PodStatus. containerStatuses are atomic, so their own merge keys
// (volumeMounts, allocatedResourcesStatus) never come into play.
const POD_STATUS: &[Field] = &[
    leaf("conditions", FieldMeta::merge_by("type")),
    leaf("hostIPs", FieldMeta::merge_by("ip")),
    leaf("podIPs", FieldMeta::merge_by("ip")),
    leaf(
        "resourceClaimStatuses",
        FieldMeta::merge_by("name").with_retain_keys(),
    ),
];

// core/v1 PodTemplateSpec
const POD_TEMPLATE_SPEC: &[Field] = &[METADATA, node("spec", POD_SPEC)];
const TEMPLATE: Field = node("template", POD_TEMPLATE_SPEC);

// `status.conditions` merged by type: Deployment, ReplicaSet, StatefulSet, DaemonSet,
// ReplicationController, Job, Namespace, PVC, Service, PDB, HPA (autoscaling/v2).
const CONDITIONS: &[Field] = &[leaf("conditions", FieldMeta::merge_by("type"))];
const STATUS: Field = node("status", CONDITIONS);

static POD: BuiltinSchema = BuiltinSchema {
    root: &[METADATA, node("spec", POD_SPEC), node("status", POD_STATUS)],
};

static POD_TEMPLATE: BuiltinSchema = BuiltinSchema {
    root: &[METADATA, TEMPLATE],
};

static WORKLOAD: BuiltinSchema = BuiltinSchema {
    root: &[METADATA, node("spec", &[TEMPLATE]), STATUS],
};

static DEPLOYMENT: BuiltinSchema = BuiltinSchema {
    root: &[
        METADATA,
        node(
            "spec",
            &[
                TEMPLATE,
                leaf("strategy", FieldMeta::DEFAULT.with_retain_keys()),
            ],
        ),
        STATUS,
    ],
};

// batch/v1 CronJob: spec.jobTemplate is a JobTemplateSpec.
static CRON_JOB: BuiltinSchema = BuiltinSchema {
    root: &[
        METADATA,
        node(
            "spec",
            &[node("jobTemplate", &[METADATA, node("spec", &[TEMPLATE])])],
        ),
    ],
};

// ServiceSpec.ports merge by `port` alone (the listMapKeys port+protocol are for
// server-side apply): two ports that differ only in protocol collide, as upstream.
static SERVICE: BuiltinSchema = BuiltinSchema {
    root: &[
        METADATA,
        node("spec", &[leaf("ports", FieldMeta::merge_by("port"))]),
        STATUS,
    ],
};

static SERVICE_ACCOUNT: BuiltinSchema = BuiltinSchema {
    root: &[METADATA, leaf("secrets", FieldMeta::merge_by("name"))],
};

// NodeSpec.taints are atomic upstream.
static NODE: BuiltinSchema = BuiltinSchema {
    root: &[
        METADATA,
        node("spec", &[leaf("podCIDRs", FieldMeta::merge_primitives())]),
        node(
            "status",
            &[
                leaf("conditions", FieldMeta::merge_by("type")),
                leaf("addresses", FieldMeta::merge_by("type")),
            ],
        ),
    ],
};

static COMPONENT_STATUS: BuiltinSchema = BuiltinSchema {
    root: &[METADATA, leaf("conditions", FieldMeta::merge_by("type"))],
};

static STATUS_CONDITIONS: BuiltinSchema = BuiltinSchema {
    root: &[METADATA, STATUS],
};

static POD_DISRUPTION_BUDGET: BuiltinSchema = BuiltinSchema {
    root: &[
        METADATA,
        node("spec", &[leaf("selector", FieldMeta::replace())]),
        STATUS,
    ],
};

static CSI_NODE: BuiltinSchema = BuiltinSchema {
    root: &[
        METADATA,
        node("spec", &[leaf("drivers", FieldMeta::merge_by("name"))]),
    ],
};

static METADATA_ONLY: BuiltinSchema = BuiltinSchema { root: &[METADATA] };
