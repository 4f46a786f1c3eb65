//! Volumes, claims and storage classes.

use serde_json::json;

use super::*;

#[test]
fn storage_kinds_print_like_upstream() {
    check(
        "",
        "PersistentVolume",
        json!({
            "metadata": meta("pv-1", H3M5),
            "spec": {
                "capacity": {"storage": "10240Mi"},
                "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain",
                "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "data"},
                "storageClassName": "standard",
                "volumeMode": "Filesystem",
                "hostPath": {"path": "/data"},
            },
            "status": {"phase": "Bound"},
        }),
        &[
            ("Name", json!("pv-1")),
            ("Capacity", json!("10Gi")),
            ("Access Modes", json!("RWO,RWX")),
            ("Reclaim Policy", json!("Retain")),
            ("Status", json!("Bound")),
            ("Claim", json!("default/data")),
            ("StorageClass", json!("standard")),
            ("VolumeAttributesClass", json!("<unset>")),
            ("Reason", json!("")),
            ("Age", json!("3h5m")),
            ("VolumeMode:s:1", json!("Filesystem")),
        ],
    );
    let pvc_cols = |cells: [Value; 9]| -> Vec<(&'static str, Value)> {
        [
            "Name",
            "Status",
            "Volume",
            "Capacity",
            "Access Modes",
            "StorageClass",
            "VolumeAttributesClass",
            "Age",
            "VolumeMode:s:1",
        ]
        .into_iter()
        .zip(cells)
        .collect()
    };
    let mut annotated = meta("data", M83);
    annotated["annotations"] = json!({"volume.beta.kubernetes.io/storage-class": "fast"});
    check(
        "",
        "PersistentVolumeClaim",
        json!({
            "metadata": annotated,
            "spec": {
                "accessModes": ["ReadWriteOncePod"],
                "resources": {"requests": {"storage": "5Gi"}},
                "storageClassName": "standard",
                "volumeName": "pv-1",
                "volumeMode": "Block",
            },
            "status": {"phase": "Bound", "accessModes": ["ReadWriteOncePod"], "capacity": {"storage": "5Gi"}},
        }),
        &pvc_cols([
            json!("data"),
            json!("Bound"),
            json!("pv-1"),
            json!("5Gi"),
            json!("RWOP"),
            json!("fast"),
            json!("<unset>"),
            json!("83m"),
            json!("Block"),
        ]),
    );
    let mut deleting = meta("scratch", 45);
    deleting["deletionTimestamp"] = json!(ago(5));
    check(
        "",
        "PersistentVolumeClaim",
        json!({
            "metadata": deleting,
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
                "volumeAttributesClassName": "gold",
            },
            "status": {"phase": "Pending"},
        }),
        &pvc_cols([
            json!("scratch"),
            json!("Terminating"),
            json!(""),
            json!(""),
            json!(""),
            json!(""),
            json!("gold"),
            json!("45s"),
            json!("<unset>"),
        ]),
    );
    let mut default_class = meta("local-path", 3 * 86400);
    default_class["annotations"] = json!({"storageclass.kubernetes.io/is-default-class": "true"});
    check(
        "storage.k8s.io",
        "StorageClass",
        json!({
            "metadata": default_class,
            "provisioner": "rancher.io/local-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
        }),
        &[
            ("Name", json!("local-path (default)")),
            ("Provisioner", json!("rancher.io/local-path")),
            ("ReclaimPolicy", json!("Delete")),
            ("VolumeBindingMode", json!("WaitForFirstConsumer")),
            ("AllowVolumeExpansion", json!(false)),
            ("Age", json!("3d")),
        ],
    );
    check(
        "storage.k8s.io",
        "CSIDriver",
        json!({
            "metadata": meta("secrets-store.csi.k8s.io", M83),
            "spec": {
                "attachRequired": false,
                "podInfoOnMount": true,
                "volumeLifecycleModes": ["Persistent", "Ephemeral"],
                "tokenRequests": [{"audience": "vault"}, {"audience": "aws"}],
            },
        }),
        &[
            ("Name", json!("secrets-store.csi.k8s.io")),
            ("AttachRequired:b", json!(false)),
            ("PodInfoOnMount:b", json!(true)),
            ("StorageCapacity:b", json!(false)),
            ("TokenRequests", json!("vault,aws")),
            ("RequiresRepublish:b", json!(false)),
            ("Modes", json!("Persistent,Ephemeral")),
            ("Age", json!("83m")),
        ],
    );
    check(
        "storage.k8s.io",
        "CSIDriver",
        json!({"metadata": meta("hostpath.csi.k8s.io", 45), "spec": {}}),
        &[
            ("Name", json!("hostpath.csi.k8s.io")),
            ("AttachRequired:b", json!(true)),
            ("PodInfoOnMount:b", json!(false)),
            ("StorageCapacity:b", json!(false)),
            ("TokenRequests", json!("<unset>")),
            ("RequiresRepublish:b", json!(false)),
            ("Modes", json!("<none>")),
            ("Age", json!("45s")),
        ],
    );
    check(
        "storage.k8s.io",
        "CSINode",
        json!({"metadata": meta("node-1", H3M5), "spec": {"drivers": [
            {"name": "a.csi", "nodeID": "node-1"}, {"name": "b.csi", "nodeID": "node-1"},
        ]}}),
        &[
            ("Name", json!("node-1")),
            ("Drivers:i", json!(2)),
            ("Age", json!("3h5m")),
        ],
    );
}
