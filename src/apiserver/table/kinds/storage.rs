//! Printers of volumes, claims, storage classes and CSI objects.

use super::*;

// ---- storage ---------------------------------------------------------------------------

/// `GetAccessModesAsString`: abbreviations in a fixed order.
pub(super) fn access_modes(modes: &Value) -> String {
    let modes = items(modes);
    let out: Vec<&str> = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .into_iter()
    .filter(|(mode, _)| modes.iter().any(|m| m == mode))
    .map(|(_, abbr)| abbr)
    .collect();
    out.join(",")
}

/// The beta storage-class annotation wins over `storageClassName`.
pub(super) fn storage_class_of(obj: &Value) -> &str {
    obj["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"]
        .as_str()
        .unwrap_or_else(|| text(&obj["spec"]["storageClassName"]))
}

pub(super) fn deleting_or(obj: &Value) -> &str {
    if obj["metadata"]["deletionTimestamp"].is_null() {
        text(&obj["status"]["phase"])
    } else {
        "Terminating"
    }
}

pub(super) fn persistent_volume(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let claim = &spec["claimRef"];
    let claim = if claim.is_object() {
        format!("{}/{}", text(&claim["namespace"]), text(&claim["name"]))
    } else {
        String::new()
    };
    vec![
        name(obj),
        json!(quantity(&spec["capacity"]["storage"])),
        json!(access_modes(&spec["accessModes"])),
        json!(text(&spec["persistentVolumeReclaimPolicy"])),
        json!(deleting_or(obj)),
        json!(claim),
        json!(storage_class_of(obj)),
        json!(
            spec["volumeAttributesClassName"]
                .as_str()
                .unwrap_or("<unset>")
        ),
        json!(text(&obj["status"]["reason"])),
        json!(age(obj)),
        json!(spec["volumeMode"].as_str().unwrap_or("<unset>")),
    ]
}

pub(super) fn persistent_volume_claim(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let volume = text(&spec["volumeName"]);
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity(&st["capacity"]["storage"]),
            access_modes(&st["accessModes"]),
        )
    };
    vec![
        name(obj),
        json!(deleting_or(obj)),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(storage_class_of(obj)),
        json!(
            spec["volumeAttributesClassName"]
                .as_str()
                .unwrap_or("<unset>")
        ),
        json!(age(obj)),
        json!(spec["volumeMode"].as_str().unwrap_or("<unset>")),
    ]
}

pub(super) fn storage_class(obj: &Value) -> Vec<Value> {
    let annotations = &obj["metadata"]["annotations"];
    let default = [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ]
    .iter()
    .any(|a| annotations[*a] == "true");
    let mut shown = text(&obj["metadata"]["name"]).to_string();
    if default {
        shown.push_str(" (default)");
    }
    vec![
        json!(shown),
        json!(text(&obj["provisioner"])),
        json!(obj["reclaimPolicy"].as_str().unwrap_or("Delete")),
        json!(obj["volumeBindingMode"].as_str().unwrap_or("Immediate")),
        json!(obj["allowVolumeExpansion"].as_bool().unwrap_or(false)),
        json!(age(obj)),
    ]
}

pub(super) fn csi_node(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(items(&obj["spec"]["drivers"]).len()),
        json!(age(obj)),
    ]
}

pub(super) fn csi_driver(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let flag = |f: &str, default: bool| json!(spec[f].as_bool().unwrap_or(default));
    let tokens = match spec["tokenRequests"].as_array() {
        Some(ts) => ts
            .iter()
            .map(|t| text(&t["audience"]))
            .collect::<Vec<_>>()
            .join(","),
        None => "<unset>".to_string(),
    };
    let modes: Vec<String> = items(&spec["volumeLifecycleModes"])
        .iter()
        .map(|m| text(m).to_string())
        .collect();
    vec![
        name(obj),
        flag("attachRequired", true),
        flag("podInfoOnMount", false),
        flag("storageCapacity", false),
        json!(tokens),
        flag("requiresRepublish", false),
        json!(join_or_none(modes)),
        json!(age(obj)),
    ]
}
