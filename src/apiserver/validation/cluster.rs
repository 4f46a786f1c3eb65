//! Small cluster-infrastructure kinds: PriorityClass (`pkg/apis/scheduling`),
//! StorageClass (`pkg/apis/storage`), RuntimeClass (`pkg/apis/node`) and Lease
//! (`pkg/apis/coordination`), with their update rules.

use serde_json::Value;

use super::{IMMUTABLE_ERROR, dns1123_label, label_name, same, scalar_or_null, str_of};
use crate::api::status::Cause;

/// Upstream `scheduling.HighestUserDefinablePriority`.
const HIGHEST_USER_PRIORITY: i64 = 1_000_000_000;
/// Upstream's system priority classes: name, value (neither is a global default).
const SYSTEM_PRIORITY_CLASSES: &[(&str, i64)] = &[
    ("system-node-critical", 2_000_001_000),
    ("system-cluster-critical", 2_000_000_000),
];

/// Upstream `IsKnownSystemPriorityClass`'s error, if `name` is not one of them as is.
fn system_priority_class_error(name: &str, value: i64, global_default: bool) -> Option<String> {
    let Some((_, want)) = SYSTEM_PRIORITY_CLASSES.iter().find(|(n, _)| *n == name) else {
        return Some(format!("{name} is not a known system priority class"));
    };
    if value != *want {
        return Some(format!("value of {name} PriorityClass must be {want}"));
    }
    if global_default {
        return Some(format!(
            "globalDefault of {name} PriorityClass must be false"
        ));
    }
    None
}

pub(crate) fn validate_priority_class(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let value = obj["value"].as_i64().unwrap_or(0);
    let policy = &obj["preemptionPolicy"];
    if let Some(old) = old {
        // Upstream's update validation checks only what may not change.
        if value != old["value"].as_i64().unwrap_or(0) {
            out.push(Cause::forbidden(
                "value",
                "may not be changed in an update.",
            ));
        }
        if policy != &old["preemptionPolicy"] {
            out.push(Cause::invalid(
                "preemptionPolicy",
                scalar_or_null(policy),
                IMMUTABLE_ERROR,
            ));
        }
        return out;
    }
    let name = str_of(&obj["metadata"]["name"]);
    if name.starts_with("system-") {
        let global = obj["globalDefault"].as_bool().unwrap_or(false);
        if let Some(err) = system_priority_class_error(name, value, global) {
            out.push(Cause::forbidden(
                "metadata.name",
                &format!(
                    "priority class names with 'system-' prefix are reserved for system use only. error: {err}"
                ),
            ));
        }
    } else if value > HIGHEST_USER_PRIORITY {
        out.push(Cause::forbidden(
            "value",
            &format!("maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"),
        ));
    }
    match policy.as_str() {
        None | Some("PreemptLowerPriority" | "Never") => {}
        Some("") => out.push(Cause::required("preemptionPolicy", "")),
        Some(p) => out.push(Cause::not_supported(
            "preemptionPolicy",
            p,
            &["PreemptLowerPriority", "Never"],
        )),
    }
    out
}

const MAX_PARAMETERS: usize = 512;
const MAX_PARAMETERS_SIZE: usize = 256 * 1024;

pub(crate) fn validate_storage_class(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let provisioner = str_of(&obj["provisioner"]);
    if provisioner.is_empty() {
        out.push(Cause::required("provisioner", ""));
    } else {
        // Upstream checks the lower-cased name (and reports it so).
        label_name(&provisioner.to_lowercase(), "provisioner", &mut out);
    }
    if let Some(params) = obj["parameters"].as_object() {
        if params.len() > MAX_PARAMETERS {
            out.push(Cause::too_long("parameters", MAX_PARAMETERS));
        } else {
            let mut keys: Vec<&String> = params.keys().collect();
            keys.sort();
            if keys.first().is_some_and(|k| k.is_empty()) {
                out.push(Cause::invalid("parameters", "", "field can not be empty."));
            }
            let size: usize = params.iter().map(|(k, v)| k.len() + str_of(v).len()).sum();
            if size > MAX_PARAMETERS_SIZE {
                out.push(Cause::too_long("parameters", MAX_PARAMETERS_SIZE));
            }
        }
    }
    if let Some(policy) = obj["reclaimPolicy"].as_str()
        && !policy.is_empty()
        && !["Delete", "Retain"].contains(&policy)
    {
        out.push(Cause::not_supported(
            "reclaimPolicy",
            policy,
            &["Delete", "Retain"],
        ));
    }
    let modes = ["Immediate", "WaitForFirstConsumer"];
    match obj["volumeBindingMode"].as_str() {
        None => out.push(Cause::required("volumeBindingMode", "")),
        Some(m) if !modes.contains(&m) => {
            out.push(Cause::not_supported("volumeBindingMode", m, &modes));
        }
        Some(_) => {}
    }
    if let Some(old) = old {
        if !same(&obj["parameters"], &old["parameters"]) {
            out.push(Cause::forbidden(
                "parameters",
                "updates to parameters are forbidden.",
            ));
        }
        if str_of(&obj["provisioner"]) != str_of(&old["provisioner"]) {
            out.push(Cause::forbidden(
                "provisioner",
                "updates to provisioner are forbidden.",
            ));
        }
        if str_of(&obj["reclaimPolicy"]) != str_of(&old["reclaimPolicy"]) {
            out.push(Cause::forbidden(
                "reclaimPolicy",
                "updates to reclaimPolicy are forbidden.",
            ));
        }
        if obj["volumeBindingMode"] != old["volumeBindingMode"] {
            out.push(Cause::invalid(
                "volumeBindingMode",
                scalar_or_null(&obj["volumeBindingMode"]),
                IMMUTABLE_ERROR,
            ));
        }
    }
    out
}

pub(crate) fn validate_runtime_class(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let handler = str_of(&obj["handler"]);
    dns1123_label(handler, "handler", &mut out);
    super::validate_labels(
        &obj["scheduling"]["nodeSelector"],
        "scheduling.nodeSelector",
        &mut out,
    );
    if let Some(old) = old
        && handler != str_of(&old["handler"])
    {
        out.push(Cause::invalid("handler", handler, IMMUTABLE_ERROR));
    }
    out
}

pub(crate) fn validate_lease(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    if let Some(d) = spec["leaseDurationSeconds"].as_i64()
        && d <= 0
    {
        out.push(Cause::invalid(
            "spec.leaseDurationSeconds",
            d,
            "must be greater than 0",
        ));
    }
    if let Some(t) = spec["leaseTransitions"].as_i64()
        && t < 0
    {
        out.push(Cause::invalid(
            "spec.leaseTransitions",
            t,
            "must be greater than or equal to 0",
        ));
    }
    let strategy = spec["strategy"].as_str();
    if let Some(s) = strategy {
        // Upstream nests `strategy` twice in this path.
        let p = "spec.strategy.strategy";
        if !s.contains('/') {
            if s != "OldestEmulationVersion" {
                out.push(Cause::not_supported(p, s, &["OldestEmulationVersion"]));
            }
        } else {
            label_name(s, p, &mut out);
        }
    }
    if !str_of(&spec["preferredHolder"]).is_empty() && strategy.is_none_or(str::is_empty) {
        out.push(Cause::forbidden(
            "spec.preferredHolder",
            "may only be specified if `strategy` is defined",
        ));
    }
    out
}
