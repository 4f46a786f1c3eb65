//! PersistentVolumeClaim and PersistentVolume rules (upstream
//! `ValidatePersistentVolumeClaim{,Update}`, `ValidatePersistentVolume{,Update}`):
//! access modes, the storage request or capacity, class names, volume modes, one
//! volume source for a PV, and what may change after creation.
//!
//! Upstream appends a `cmp.Diff` of the specs to its "immutable" messages; that text
//! is not stable even upstream and is left out, as for pod updates.

use serde_json::Value;

use super::affinity::node_selector;
use super::volumes::{no_backsteps, validate_host_path};
use super::{
    IMMUTABLE_ERROR, NOT_POSITIVE_ERROR, go_struct, items, key, normalize_resource_list,
    quantity_of, same, scalar_or_null, selector, str_of,
};
use crate::api::status::Cause;
use crate::api::validation as names;

/// Upstream `supportedAccessModes`, sorted.
const ACCESS_MODES: &[&str] = &[
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];
const VOLUME_MODES: &[&str] = &["Block", "Filesystem"];
const RECLAIM_POLICIES: &[&str] = &["Delete", "Recycle", "Retain"];
const MORE_THAN_ONE: &str = "may not specify more than 1 volume type";

/// PV sources in upstream's checking order: JSON field and the path segment named in
/// "more than 1 volume type".
const PV_SOURCES: &[(&str, &str)] = &[
    ("hostPath", "hostPath"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("nfs", "nfs"),
    ("rbd", "rbd"),
    ("quobyte", "quobyte"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("iscsi", "iscsi"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("scaleIO", "scaleIO"),
    ("local", "local"),
    ("storageos", "storageos"),
    ("csi", "csi"),
];

fn access_modes_required(spec: &Value, path: &str, detail: &str, out: &mut Vec<Cause>) {
    if items(&spec["accessModes"]).is_empty() {
        out.push(Cause::required(path, detail));
    }
}

/// Each mode supported; `ReadWriteOncePod` alone among the supported ones.
fn access_modes_supported(spec: &Value, path: &str, out: &mut Vec<Cause>) {
    let (mut once_pod, mut other) = (false, false);
    for m in items(&spec["accessModes"]) {
        let m = str_of(m);
        if !ACCESS_MODES.contains(&m) {
            out.push(Cause::not_supported(path, m, ACCESS_MODES));
        } else if m == "ReadWriteOncePod" {
            once_pod = true;
        } else {
            other = true;
        }
    }
    if once_pod && other {
        out.push(Cause::forbidden(
            path,
            "may not use ReadWriteOncePod with other access modes",
        ));
    }
}

fn class_name(v: &Value, path: &str, out: &mut Vec<Cause>) {
    let name = str_of(v);
    if !name.is_empty() {
        for msg in names::is_dns1123_subdomain(name) {
            out.push(Cause::invalid(path, name, &msg));
        }
    }
}

fn volume_mode(spec: &Value, path: &str, out: &mut Vec<Cause>) {
    if let Some(mode) = spec["volumeMode"].as_str()
        && !VOLUME_MODES.contains(&mode)
    {
        out.push(Cause::not_supported(path, mode, VOLUME_MODES));
    }
}

/// `ValidatePositiveQuantityValue` (and an unparseable value).
fn positive_quantity(v: &Value, path: &str, out: &mut Vec<Cause>) {
    match quantity_of(v) {
        None => out.push(Cause::invalid(
            path,
            v.as_str().unwrap_or_default(),
            super::quantity::FORMAT_ERROR,
        )),
        Some(q) if q.nanos() <= 0 => {
            out.push(Cause::invalid(path, q.canonical(), NOT_POSITIVE_ERROR));
        }
        Some(_) => {}
    }
}

/// `ValidatePersistentVolumeClaimSpec` (data sources are not checked).
fn claim_spec(spec: &Value, path: &str, out: &mut Vec<Cause>) {
    let modes_path = format!("{path}.accessModes");
    access_modes_required(spec, &modes_path, "at least 1 access mode is required", out);
    if spec["selector"].is_object() {
        selector::validate(&spec["selector"], &format!("{path}.selector"), out);
    }
    access_modes_supported(spec, &modes_path, out);
    let storage_path = key(&format!("{path}.resources"), "storage");
    match spec["resources"]["requests"].get("storage") {
        None => out.push(Cause::required(&storage_path, "")),
        Some(q) => positive_quantity(q, &storage_path, out),
    }
    class_name(
        &spec["storageClassName"],
        &format!("{path}.storageClassName"),
        out,
    );
    volume_mode(spec, &format!("{path}.volumeMode"), out);
}

pub(crate) fn validate_persistent_volume_claim(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    claim_spec(&obj["spec"], "spec", &mut out);
    if let Some(old) = old {
        claim_update(obj, old, &mut out);
    }
    out
}

/// The spec with what may change on update made equal to the stored one's.
fn claim_update(obj: &Value, old: &Value, out: &mut Vec<Cause>) {
    let (spec, old_spec) = (&obj["spec"], &old["spec"]);
    let mut new_c = spec.clone();
    let mut old_c = old_spec.clone();
    // volumeName may be set once (by the binder).
    if str_of(&old_spec["volumeName"]).is_empty() {
        old_c["volumeName"] = spec["volumeName"].clone();
    }
    // A class may be set on a claim without one (retroactive default class), or to
    // the class its beta annotation already named.
    let beta = &old["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"];
    let class = &spec["storageClassName"];
    if old_spec["storageClassName"].is_null()
        && !str_of(class).is_empty()
        && (beta.is_null() || beta == class)
    {
        new_c["storageClassName"] = Value::Null;
    }
    if str_of(&obj["status"]["phase"]) == "Bound" && new_c["resources"]["requests"].is_object() {
        new_c["resources"]["requests"]["storage"] =
            old_spec["resources"]["requests"]["storage"].clone();
    }
    for s in [&mut new_c, &mut old_c] {
        if let Some(requests) = s.get_mut("resources").and_then(|r| r.get_mut("requests")) {
            normalize_resource_list(requests);
        }
    }
    if !same(&new_c, &old_c) {
        out.push(Cause::forbidden(
            "spec",
            "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        ));
    }
    let size = |v: &Value| quantity_of(&v["resources"]["requests"]["storage"]);
    if let (Some(new_size), Some(old_size)) = (size(spec), size(old_spec))
        && new_size < old_size
    {
        // RecoverVolumeExpansionFailure (on in v1.33): down to the recorded capacity.
        let capacity = quantity_of(&old["status"]["capacity"]["storage"]);
        if capacity.is_none_or(|c| new_size <= c) {
            out.push(Cause::forbidden(
                "spec.resources.requests.storage",
                "field can not be less than status.capacity",
            ));
        }
    }
    if spec["volumeMode"] != old_spec["volumeMode"] {
        out.push(Cause::invalid(
            "volumeMode",
            scalar_or_null(&spec["volumeMode"]),
            IMMUTABLE_ERROR,
        ));
    }
}

pub(crate) fn validate_persistent_volume(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    access_modes_required(spec, "spec.accessModes", "", &mut out);
    access_modes_supported(spec, "spec.accessModes", &mut out);
    let capacity = spec["capacity"].as_object();
    if capacity.is_none_or(|c| c.is_empty()) {
        out.push(Cause::required("spec.capacity", ""));
    }
    if capacity.is_none_or(|c| !c.contains_key("storage") || c.len() > 1) {
        out.push(Cause::not_supported(
            "spec.capacity",
            go_struct("core.ResourceList"),
            &["storage"],
        ));
    }
    let mut resources: Vec<(&String, &Value)> = capacity.into_iter().flatten().collect();
    resources.sort_by_key(|(k, _)| *k);
    for (name, q) in resources {
        let p = key("spec.capacity", name);
        if let Some(q) = quantity_of(q)
            && q.is_negative()
        {
            // `Quantity.Value()`: rounded away from zero to a whole number.
            let whole = -((-q.nanos() + 999_999_999) / 1_000_000_000);
            out.push(Cause::invalid(
                &p,
                i64::try_from(whole).unwrap_or(i64::MIN),
                "must be a valid resource quantity",
            ));
        }
        positive_quantity(q, &p, &mut out);
    }
    class_name(&spec["storageClassName"], "spec.storageClassName", &mut out);
    volume_mode(spec, "spec.volumeMode", &mut out);
    if let Some(policy) = spec["persistentVolumeReclaimPolicy"].as_str()
        && !policy.is_empty()
        && !RECLAIM_POLICIES.contains(&policy)
    {
        out.push(Cause::not_supported(
            "spec.persistentVolumeReclaimPolicy",
            policy,
            RECLAIM_POLICIES,
        ));
    }
    let affinity = &spec["nodeAffinity"];
    if affinity.is_object() {
        if affinity["required"].is_object() {
            node_selector(
                &affinity["required"],
                false,
                "spec.nodeAffinity.required",
                &mut out,
            );
        } else {
            out.push(Cause::required(
                "spec.nodeAffinity.required",
                "must specify required node constraints",
            ));
        }
    }
    volume_source(spec, &mut out);
    let host = str_of(&spec["hostPath"]["path"]);
    if !spec["hostPath"].is_null()
        && host.trim_end_matches('/').is_empty()
        && host.starts_with('/')
        && str_of(&spec["persistentVolumeReclaimPolicy"]) == "Recycle"
    {
        out.push(Cause::forbidden(
            "spec.persistentVolumeReclaimPolicy",
            "may not be 'recycle' for a hostPath mount of '/'",
        ));
    }
    if let Some(old) = old {
        let source = |s: &Value| {
            let mut v = serde_json::Map::new();
            for (field, _) in PV_SOURCES {
                if !s[*field].is_null() {
                    v.insert((*field).to_string(), s[*field].clone());
                }
            }
            Value::Object(v)
        };
        if !same(&source(spec), &source(&old["spec"])) {
            out.push(Cause::forbidden(
                "spec.persistentvolumesource",
                "spec.persistentvolumesource is immutable after creation",
            ));
        }
        if spec["volumeMode"] != old["spec"]["volumeMode"] {
            out.push(Cause::invalid(
                "volumeMode",
                scalar_or_null(&spec["volumeMode"]),
                IMMUTABLE_ERROR,
            ));
        }
    }
    out
}

/// Exactly one source; the common ones' own fields.
fn volume_source(spec: &Value, out: &mut Vec<Cause>) {
    let mut count = 0;
    for (field, segment) in PV_SOURCES {
        let source = &spec[*field];
        if source.is_null() {
            continue;
        }
        if count > 0 {
            out.push(Cause::forbidden(&format!("spec.{segment}"), MORE_THAN_ONE));
            continue;
        }
        count += 1;
        let p = format!("spec.{field}");
        match *field {
            "hostPath" => validate_host_path(source, &p, out),
            "nfs" => {
                for f in ["server", "path"] {
                    if str_of(&source[f]).is_empty() {
                        out.push(Cause::required(&format!("{p}.{f}"), ""));
                    }
                }
                let nfs_path = str_of(&source["path"]);
                if !nfs_path.starts_with('/') {
                    out.push(Cause::invalid(
                        &format!("{p}.path"),
                        nfs_path,
                        "must be an absolute path",
                    ));
                }
            }
            "local" => {
                let local = str_of(&source["path"]);
                if local.is_empty() {
                    out.push(Cause::required(&format!("{p}.path"), ""));
                } else {
                    no_backsteps(local, &format!("{p}.path"), out);
                }
                if !spec["nodeAffinity"].is_object() {
                    out.push(Cause::required(
                        "spec.nodeAffinity",
                        "Local volume requires node affinity",
                    ));
                }
            }
            "csi" => {
                csi_driver_name(str_of(&source["driver"]), &format!("{p}.driver"), out);
                if str_of(&source["volumeHandle"]).is_empty() {
                    out.push(Cause::required(&format!("{p}.volumeHandle"), ""));
                }
            }
            _ => {}
        }
    }
    if count == 0 {
        out.push(Cause::required("spec", "must specify a volume type"));
    }
}

/// Upstream `ValidateCSIDriverName`.
pub(crate) fn csi_driver_name(name: &str, path: &str, out: &mut Vec<Cause>) {
    if name.is_empty() {
        out.push(Cause::required(path, ""));
    }
    if name.len() > 63 {
        out.push(Cause::too_long(path, 63));
    }
    for msg in names::is_dns1123_subdomain(&name.to_lowercase()) {
        out.push(Cause::invalid(path, name, &msg));
    }
}
