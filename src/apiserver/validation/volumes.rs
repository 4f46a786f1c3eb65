//! Pod volumes (upstream `ValidateVolumes`, `validateVolumeSource` and the validators of
//! the common sources), and the downward-API field selectors that volumes and
//! environment variables share.
//!
//! Volumes are checked after defaulting, as upstream does: a volume without a source
//! has become an `emptyDir`, `defaultMode` and a projected token's `expirationSeconds`
//! are set. Sources validated here: `emptyDir`, `hostPath`, `secret`, `configMap`,
//! `persistentVolumeClaim`, `downwardAPI` and `projected`; the others only count
//! towards "more than 1 volume type".

use std::collections::HashSet;

use serde_json::Value;

use super::quantity::{self, Quantity};
use super::{dns1123_label, idx, items, label_name, str_of};
use crate::api::status::Cause;

/// Upstream `fileModeErrorMsg`.
const FILE_MODE_ERROR: &str = "must be a number between 0 and 0777 (octal), both inclusive";
const MORE_THAN_ONE: &str = "may not specify more than 1 volume type";

/// Every volume source, in upstream's checking order: the JSON field and the path
/// segment upstream names in "more than 1 volume type" (a few differ from the JSON
/// name, `downwarAPI` included, as upstream spells it).
const SOURCES: &[(&str, &str)] = &[
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
];

/// Upstream `supportedHostPathTypes`, sorted as `sets.List` prints them.
const HOST_PATH_TYPES: &[&str] = &[
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
];

/// Upstream `validVolumeDownwardAPIFieldPathExpressions`, sorted.
const VOLUME_FIELD_PATHS: &[&str] = &[
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
];

/// Upstream `validContainerResourceFieldPathExpressions`, sorted.
const RESOURCE_FIELD_PATHS: &[&str] = &[
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

/// `ValidateVolumes`: returns the names of the volumes without errors, the ones a
/// mount may name.
pub(crate) fn validate_volumes<'a>(
    volumes: &'a Value,
    path: &str,
    out: &mut Vec<Cause>,
) -> HashSet<&'a str> {
    let mut valid = HashSet::new();
    for (i, v) in items(volumes).iter().enumerate() {
        let v_path = idx(path, i);
        let mut errs = Vec::new();
        validate_volume_source(v, &v_path, &mut errs);
        let name = str_of(&v["name"]);
        let name_path = format!("{v_path}.name");
        if name.is_empty() {
            errs.push(Cause::required(&name_path, ""));
        } else {
            dns1123_label(name, &name_path, &mut errs);
        }
        if valid.contains(name) {
            errs.push(Cause::duplicate(&name_path, name));
        }
        if errs.is_empty() {
            valid.insert(name);
        } else {
            out.extend(errs);
        }
    }
    valid
}

/// `validateVolumeSource`: the first source set counts, any further one is Forbidden.
/// Upstream's "must specify a volume type" cannot happen after defaulting, which makes
/// a volume without a source an `emptyDir`, so it is not reported.
fn validate_volume_source(v: &Value, path: &str, out: &mut Vec<Cause>) {
    let mut count = 0;
    for (field, segment) in SOURCES {
        let source = &v[*field];
        if source.is_null() {
            continue;
        }
        if count > 0 {
            out.push(Cause::forbidden(
                &format!("{path}.{segment}"),
                MORE_THAN_ONE,
            ));
            continue;
        }
        count += 1;
        let p = format!("{path}.{field}");
        match *field {
            "emptyDir" => validate_empty_dir(source, &p, out),
            "hostPath" => validate_host_path(source, &p, out),
            "secret" => {
                required_str(&source["secretName"], &format!("{p}.secretName"), out);
                file_mode(&source["defaultMode"], &format!("{p}.defaultMode"), out);
                key_to_paths(&source["items"], &format!("{p}.items"), out);
            }
            "configMap" => {
                required_str(&source["name"], &format!("{p}.name"), out);
                file_mode(&source["defaultMode"], &format!("{p}.defaultMode"), out);
                key_to_paths(&source["items"], &format!("{p}.items"), out);
            }
            "persistentVolumeClaim" => {
                required_str(&source["claimName"], &format!("{p}.claimName"), out);
            }
            "downwardAPI" => {
                file_mode(&source["defaultMode"], &format!("{p}.defaultMode"), out);
                // Upstream reports every item's problems at the source's path, unindexed.
                for file in items(&source["items"]) {
                    downward_api_file(file, &p, out);
                }
            }
            "projected" => validate_projected(source, &p, out),
            _ => {}
        }
    }
}

fn required_str(v: &Value, path: &str, out: &mut Vec<Cause>) {
    if str_of(v).is_empty() {
        out.push(Cause::required(path, ""));
    }
}

/// A file mode (`defaultMode`, `mode`) outside 0..=0o777.
fn file_mode(v: &Value, path: &str, out: &mut Vec<Cause>) {
    if let Some(mode) = v.as_i64()
        && !(0..=0o777).contains(&mode)
    {
        out.push(Cause::invalid(path, mode, FILE_MODE_ERROR));
    }
}

fn validate_empty_dir(source: &Value, path: &str, out: &mut Vec<Cause>) {
    let limit = &source["sizeLimit"];
    let raw = match limit {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return,
    };
    let limit_path = format!("{path}.sizeLimit");
    match Quantity::parse(&raw) {
        None => out.push(Cause::invalid(
            &limit_path,
            raw.as_str(),
            quantity::FORMAT_ERROR,
        )),
        Some(q) if q.is_negative() => out.push(Cause::forbidden(
            &limit_path,
            "SizeLimit field must be a valid resource quantity",
        )),
        Some(_) => {}
    }
}

/// `validateHostPathVolumeSource`.
pub(crate) fn validate_host_path(source: &Value, path: &str, out: &mut Vec<Cause>) {
    let host_path = str_of(&source["path"]);
    let path_path = format!("{path}.path");
    if host_path.is_empty() {
        out.push(Cause::required(&path_path, ""));
        return;
    }
    no_backsteps(host_path, &path_path, out);
    if let Some(t) = source["type"].as_str()
        && !HOST_PATH_TYPES.contains(&t)
    {
        out.push(Cause::not_supported(
            &format!("{path}.type"),
            t,
            HOST_PATH_TYPES,
        ));
    }
}

/// `validateKeyToPath` for each of `list`.
fn key_to_paths(list: &Value, path: &str, out: &mut Vec<Cause>) {
    for (i, kp) in items(list).iter().enumerate() {
        key_to_path(kp, &idx(path, i), out);
    }
}

fn key_to_path(kp: &Value, path: &str, out: &mut Vec<Cause>) {
    required_str(&kp["key"], &format!("{path}.key"), out);
    let target = str_of(&kp["path"]);
    let target_path = format!("{path}.path");
    if target.is_empty() {
        out.push(Cause::required(&target_path, ""));
    }
    local_non_reserved_path(target, &target_path, out);
    file_mode(&kp["mode"], &format!("{path}.mode"), out);
}

/// `validatePathNoBacksteps`: no `..` element (one error however many).
pub(crate) fn no_backsteps(target: &str, path: &str, out: &mut Vec<Cause>) {
    if target.split('/').any(|part| part == "..") {
        out.push(Cause::invalid(path, target, "must not contain '..'"));
    }
}

/// `validateLocalDescendingPath`: relative, without backsteps.
pub(crate) fn local_descending_path(target: &str, path: &str, out: &mut Vec<Cause>) {
    if target.starts_with('/') {
        out.push(Cause::invalid(path, target, "must be a relative path"));
    }
    no_backsteps(target, path, out);
}

/// `ValidateLocalNonReservedPath`: also not starting with `..` (reported besides the
/// backstep error for `..` itself, as upstream does).
fn local_non_reserved_path(target: &str, path: &str, out: &mut Vec<Cause>) {
    local_descending_path(target, path, out);
    if target.starts_with("..") && !target.starts_with("../") {
        out.push(Cause::invalid(path, target, "must not start with '..'"));
    }
}

/// `validateDownwardAPIVolumeFile`, reporting at `path` (the source, not the item).
fn downward_api_file(file: &Value, path: &str, out: &mut Vec<Cause>) {
    let target = str_of(&file["path"]);
    let target_path = format!("{path}.path");
    if target.is_empty() {
        out.push(Cause::required(&target_path, ""));
    }
    local_non_reserved_path(target, &target_path, out);
    let field_ref = &file["fieldRef"];
    let resource_ref = &file["resourceFieldRef"];
    if !field_ref.is_null() {
        object_field_selector(
            field_ref,
            VOLUME_FIELD_PATHS,
            &format!("{path}.fieldRef"),
            out,
        );
        if !resource_ref.is_null() {
            out.push(Cause::invalid(
                path,
                "resource",
                "fieldRef and resourceFieldRef can not be specified simultaneously",
            ));
        }
    } else if !resource_ref.is_null() {
        container_resource_selector(resource_ref, &format!("{path}.resourceFieldRef"), true, out);
    } else {
        out.push(Cause::required(
            path,
            "one of fieldRef and resourceFieldRef is required",
        ));
    }
    file_mode(&file["mode"], &format!("{path}.mode"), out);
}

/// `validateProjectedVolumeSource` and `validateProjectionSources`.
fn validate_projected(source: &Value, path: &str, out: &mut Vec<Cause>) {
    file_mode(&source["defaultMode"], &format!("{path}.defaultMode"), out);
    let mut all_paths: HashSet<&str> = HashSet::new();
    let sources_path = format!("{path}.sources");
    for (i, src) in items(&source["sources"]).iter().enumerate() {
        let src_path = idx(&sources_path, i);
        let mut count = 0;
        for kind in ["secret", "configMap"] {
            let projection = &src[kind];
            if projection.is_null() {
                continue;
            }
            count += 1;
            let p = format!("{src_path}.{kind}");
            let name = str_of(&projection["name"]);
            if name.is_empty() {
                out.push(Cause::required(&format!("{p}.name"), ""));
            }
            let items_path = format!("{p}.items");
            for (j, kp) in items(&projection["items"]).iter().enumerate() {
                key_to_path(kp, &idx(&items_path, j), out);
                let target = str_of(&kp["path"]);
                if !target.is_empty() && !all_paths.insert(target) {
                    out.push(Cause::invalid(path, name, "conflicting duplicate paths"));
                }
            }
        }
        let downward = &src["downwardAPI"];
        if !downward.is_null() {
            count += 1;
            let p = format!("{src_path}.downwardAPI");
            for file in items(&downward["items"]) {
                downward_api_file(file, &p, out);
                let target = str_of(&file["path"]);
                if !target.is_empty() && !all_paths.insert(target) {
                    out.push(Cause::invalid(path, target, "conflicting duplicate paths"));
                }
            }
        }
        let token = &src["serviceAccountToken"];
        if !token.is_null() {
            count += 1;
            let exp_path = format!("{src_path}.serviceAccountToken.expirationSeconds");
            // An absent expirationSeconds is defaulted (to an hour).
            if let Some(exp) = token["expirationSeconds"].as_i64() {
                if exp < 10 * 60 {
                    out.push(Cause::invalid(
                        &exp_path,
                        exp,
                        "may not specify a duration less than 10 minutes",
                    ));
                }
                if exp > 1 << 32 {
                    out.push(Cause::invalid(
                        &exp_path,
                        exp,
                        "may not specify a duration larger than 2^32 seconds",
                    ));
                }
            }
            // Upstream reports the token's path at the projected volume's `path`.
            let target = str_of(&token["path"]);
            let target_path = format!("{path}.path");
            if target.is_empty() {
                out.push(Cause::required(&target_path, ""));
            } else {
                local_non_reserved_path(target, &target_path, out);
            }
        }
        if count > 1 {
            out.push(Cause::forbidden(
                &src_path,
                "may not specify more than 1 volume type per source",
            ));
        }
    }
}

/// `fieldpath.SplitMaybeSubscriptedPath`: `metadata.labels['key']` → (path, key).
fn split_subscripted(field_path: &str) -> Option<(&str, &str)> {
    let inner = field_path.strip_suffix("']")?;
    let (path, subscript) = inner.split_once("['")?;
    (!path.is_empty()).then_some((path, subscript))
}

/// `podshelper.ConvertDownwardAPIFieldLabel` for v1: the internal field path.
fn convert_field_label(label: &str) -> Result<&str, String> {
    if let Some((path, _)) = split_subscripted(label) {
        return match path {
            "metadata.annotations" | "metadata.labels" => Ok(label),
            _ => Err(format!("field label does not support subscript: {label}")),
        };
    }
    match label {
        "metadata.annotations"
        | "metadata.labels"
        | "metadata.name"
        | "metadata.namespace"
        | "metadata.uid"
        | "spec.nodeName"
        | "spec.restartPolicy"
        | "spec.serviceAccountName"
        | "spec.schedulerName"
        | "status.phase"
        | "status.hostIP"
        | "status.hostIPs"
        | "status.podIP"
        | "status.podIPs" => Ok(label),
        "spec.host" => Ok("spec.nodeName"),
        _ => Err(format!("field label not supported: {label}")),
    }
}

/// `validateObjectFieldSelector` against the allowed (sorted) field paths. An empty
/// `apiVersion` is defaulted to `v1`, as upstream's defaulting does.
pub(crate) fn object_field_selector(
    fs: &Value,
    allowed: &[&str],
    path: &str,
    out: &mut Vec<Cause>,
) {
    let field_path = str_of(&fs["fieldPath"]);
    let fp_path = format!("{path}.fieldPath");
    if field_path.is_empty() {
        out.push(Cause::required(&fp_path, ""));
        return;
    }
    let version = match str_of(&fs["apiVersion"]) {
        "" => "v1",
        v => v,
    };
    let converted = if version == "v1" {
        convert_field_label(field_path)
    } else {
        Err(format!("unsupported pod version: {version}"))
    };
    let internal = match converted {
        Ok(p) => p,
        Err(e) => {
            out.push(Cause::invalid(
                &fp_path,
                field_path,
                &format!("error converting fieldPath: {e}"),
            ));
            return;
        }
    };
    match split_subscripted(internal) {
        Some(("metadata.annotations", key)) => label_name(&key.to_lowercase(), path, out),
        Some(("metadata.labels", key)) => label_name(key, path, out),
        Some((other, _)) => out.push(Cause::invalid(path, other, "does not support subscript")),
        None if !allowed.contains(&internal) => {
            out.push(Cause::not_supported(&fp_path, internal, allowed));
        }
        None => {}
    }
}

/// `validateContainerResourceFieldSelector`; `volume` requires `containerName`.
pub(crate) fn container_resource_selector(
    fs: &Value,
    path: &str,
    volume: bool,
    out: &mut Vec<Cause>,
) {
    let resource = str_of(&fs["resource"]);
    if volume && str_of(&fs["containerName"]).is_empty() {
        out.push(Cause::required(&format!("{path}.containerName"), ""));
    } else if resource.is_empty() {
        out.push(Cause::required(&format!("{path}.resource"), ""));
    } else if !RESOURCE_FIELD_PATHS.contains(&resource)
        && !resource.starts_with("requests.hugepages-")
        && !resource.starts_with("limits.hugepages-")
    {
        out.push(Cause::not_supported(
            &format!("{path}.resource"),
            resource,
            RESOURCE_FIELD_PATHS,
        ));
    }
    resource_divisor(resource, &fs["divisor"], path, out);
}

/// `validateContainerResourceDivisor`.
fn resource_divisor(resource: &str, divisor: &Value, path: &str, out: &mut Vec<Cause>) {
    let raw = match divisor {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return,
    };
    let divisor_path = format!("{path}.divisor");
    let Some(q) = Quantity::parse(&raw) else {
        out.push(Cause::invalid(
            &divisor_path,
            raw.as_str(),
            quantity::FORMAT_ERROR,
        ));
        return;
    };
    let canonical = q.canonical();
    if canonical == "0" {
        return;
    }
    const SIZES: &[&str] = &[
        "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei",
    ];
    const SIZES_TEXT: &str = "1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei";
    let ok = |allowed: &[&str]| allowed.contains(&canonical.as_str());
    let problem = match resource {
        "limits.cpu" | "requests.cpu" if !ok(&["1m", "1"]) => {
            Some("only divisor's values 1m and 1 are supported with the cpu resource".to_string())
        }
        "limits.memory" | "requests.memory" if !ok(SIZES) => Some(format!(
            "only divisor's values {SIZES_TEXT} are supported with the memory resource"
        )),
        "limits.ephemeral-storage" | "requests.ephemeral-storage" if !ok(SIZES) => Some(format!(
            "only divisor's values {SIZES_TEXT} are supported with the local ephemeral storage resource"
        )),
        _ => None,
    };
    if let Some(msg) = problem {
        out.push(Cause::invalid(&divisor_path, resource, &msg));
    }
    if (resource.starts_with("requests.hugepages-") || resource.starts_with("limits.hugepages-"))
        && !ok(SIZES)
    {
        out.push(Cause::invalid(
            &divisor_path,
            resource,
            &format!(
                "only divisor's values {SIZES_TEXT} are supported with the hugepages resource"
            ),
        ));
    }
}
