use serde_json::{Value, json};

use super::{check, lines};

fn claim(spec: Value) -> Value {
    json!({"metadata": {"name": "c"}, "spec": spec})
}

fn good_claim() -> Value {
    claim(
        json!({"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem",
        "resources": {"requests": {"storage": "1Gi"}}}),
    )
}

#[test]
fn claim_rules() {
    let cases: &[(&str, Value, &[&str])] = &[
        ("valid", good_claim(), &[]),
        (
            "empty",
            claim(json!({})),
            &[
                "spec.accessModes: Required value: at least 1 access mode is required",
                "spec.resources[storage]: Required value",
            ],
        ),
        (
            "bad values",
            claim(
                json!({"accessModes": ["ReadWriteOncePod", "ReadWriteOnce", "Sometimes"], "storageClassName": "Fast",
                "volumeMode": "Raw", "resources": {"requests": {"storage": "0"}},
                "selector": {"matchLabels": {"a": "-"}}}),
            ),
            &[
                "spec.selector.matchLabels: Invalid value: \"-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                "spec.accessModes: Unsupported value: \"Sometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
                "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes",
                "spec.resources[storage]: Invalid value: \"0\": must be greater than zero",
                "spec.storageClassName: Invalid value: \"Fast\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                "spec.volumeMode: Unsupported value: \"Raw\": supported values: \"Block\", \"Filesystem\"",
            ],
        ),
    ];
    check("", "PersistentVolumeClaim", cases);
}

#[test]
fn claim_updates() {
    let old = good_claim();
    let update = |f: &dyn Fn(&mut Value)| {
        let mut new = old.clone();
        f(&mut new);
        lines("", "PersistentVolumeClaim", &new, Some(&old))
    };
    let spec_forbidden = "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";
    assert!(update(&|n| n["spec"]["volumeName"] = json!("pv-1")).is_empty());
    assert!(update(&|n| n["spec"]["storageClassName"] = json!("standard")).is_empty());
    assert!(
        update(&|n| n["spec"]["resources"]["requests"]["storage"] = json!("1024Mi")).is_empty()
    );
    assert_eq!(
        update(&|n| n["spec"]["resources"]["requests"]["storage"] = json!("2Gi")),
        [spec_forbidden]
    );
    assert!(
        update(&|n| {
            n["spec"]["resources"]["requests"]["storage"] = json!("2Gi");
            n["status"] = json!({"phase": "Bound"});
        })
        .is_empty()
    );
    assert_eq!(
        update(&|n| n["spec"]["accessModes"] = json!(["ReadWriteMany"])),
        [spec_forbidden]
    );
    assert_eq!(
        update(&|n| {
            n["spec"]["resources"]["requests"]["storage"] = json!("512Mi");
            n["status"] = json!({"phase": "Bound"});
        }),
        ["spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"]
    );
    assert_eq!(
        update(&|n| n["spec"]["volumeMode"] = json!("Block")),
        [
            spec_forbidden,
            "volumeMode: Invalid value: \"Block\": field is immutable"
        ]
    );
    let mut bound = old.clone();
    bound["spec"]["volumeName"] = json!("pv-1");
    let mut rebound = bound.clone();
    rebound["spec"]["volumeName"] = json!("pv-2");
    assert_eq!(
        lines("", "PersistentVolumeClaim", &rebound, Some(&bound)),
        [spec_forbidden]
    );
}

fn volume(spec: Value) -> Value {
    json!({"metadata": {"name": "v"}, "spec": spec})
}

#[test]
fn volume_rules() {
    let base = |extra: Value| {
        let mut spec = json!({"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"},
            "persistentVolumeReclaimPolicy": "Retain", "volumeMode": "Filesystem"});
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        volume(spec)
    };
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "host path",
            base(json!({"hostPath": {"path": "/data"}})),
            &[],
        ),
        (
            "local",
            base(
                json!({"local": {"path": "/mnt/disk"}, "nodeAffinity": {"required": {
                "nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n1"]}]}]}}}),
            ),
            &[],
        ),
        (
            "affinity without required",
            base(json!({"local": {"path": "/mnt/disk"}, "nodeAffinity": {}})),
            &["spec.nodeAffinity.required: Required value: must specify required node constraints"],
        ),
        (
            "csi",
            base(json!({"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1"}})),
            &[],
        ),
        (
            "nothing",
            volume(json!({})),
            &[
                "spec.accessModes: Required value",
                "spec.capacity: Required value",
                "spec.capacity: Unsupported value: core.ResourceList{...}: supported values: \"storage\"",
                "spec: Required value: must specify a volume type",
            ],
        ),
        (
            "bad capacity and policy",
            volume(
                json!({"accessModes": ["ReadOnlyMany"], "capacity": {"storage": "-1", "cpu": "1"},
                "persistentVolumeReclaimPolicy": "Keep", "nfs": {"server": "", "path": "data"}}),
            ),
            &[
                "spec.capacity: Unsupported value: core.ResourceList{...}: supported values: \"storage\"",
                "spec.capacity[storage]: Invalid value: -1: must be a valid resource quantity",
                "spec.capacity[storage]: Invalid value: \"-1\": must be greater than zero",
                "spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", \"Recycle\", \"Retain\"",
                "spec.nfs.server: Required value",
                "spec.nfs.path: Invalid value: \"data\": must be an absolute path",
            ],
        ),
        (
            "two sources",
            base(json!({"hostPath": {"path": "/"}, "local": {"path": "/x"},
                "persistentVolumeReclaimPolicy": "Recycle"})),
            &[
                "spec.local: Forbidden: may not specify more than 1 volume type",
                "spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'",
            ],
        ),
        (
            "local without affinity",
            base(json!({"local": {"path": "/mnt/../etc"}})),
            &[
                "spec.local.path: Invalid value: \"/mnt/../etc\": must not contain '..'",
                "spec.nodeAffinity: Required value: Local volume requires node affinity",
            ],
        ),
        (
            "csi without handle",
            base(json!({"csi": {"driver": "Bad_Driver"}})),
            &[
                "spec.csi.driver: Invalid value: \"Bad_Driver\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                "spec.csi.volumeHandle: Required value",
            ],
        ),
    ];
    check("", "PersistentVolume", cases);
    let old = base(json!({"hostPath": {"path": "/data"}}));
    let mut new = old.clone();
    new["spec"]["capacity"]["storage"] = json!("20Gi");
    assert!(lines("", "PersistentVolume", &new, Some(&old)).is_empty());
    new["spec"]["hostPath"]["path"] = json!("/other");
    new["spec"]["volumeMode"] = json!("Block");
    assert_eq!(
        lines("", "PersistentVolume", &new, Some(&old)),
        [
            "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation",
            "volumeMode: Invalid value: \"Block\": field is immutable",
        ]
    );
}
