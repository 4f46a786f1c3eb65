//! Scheduling constraints: affinity (upstream `validateAffinity` with its node selector
//! and pod affinity term validators) and `validateTopologySpreadConstraints`.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{NOT_POSITIVE_ERROR, idx, items, label_name, selector, str_of};
use crate::api::status::Cause;
use crate::api::validation as names;

const WEIGHT_ERROR: &str = "must be in the range 1-100";
const SCHEDULE_ACTIONS: &[&str] = &["DoNotSchedule", "ScheduleAnyway"];
const NODE_INCLUSION_POLICIES: &[&str] = &["Honor", "Ignore"];
const REQUIRED: &str = "requiredDuringSchedulingIgnoredDuringExecution";
const PREFERRED: &str = "preferredDuringSchedulingIgnoredDuringExecution";

/// `validateAffinity` for the pod spec's `affinity` at `path`.
pub(crate) fn validate_affinity(affinity: &Value, path: &str, out: &mut Vec<Cause>) {
    if affinity.is_null() {
        return;
    }
    let node = &affinity["nodeAffinity"];
    if !node.is_null() {
        let p = format!("{path}.nodeAffinity");
        let required = &node[REQUIRED];
        if !required.is_null() {
            node_selector(required, false, &format!("{p}.{REQUIRED}"), out);
        }
        let preferred_path = format!("{p}.{PREFERRED}");
        for (i, term) in items(&node[PREFERRED]).iter().enumerate() {
            let t_path = idx(&preferred_path, i);
            weight(&term["weight"], &format!("{t_path}.weight"), out);
            // Preferred terms may use any label value.
            node_selector_term(
                &term["preference"],
                true,
                &format!("{t_path}.preference"),
                out,
            );
        }
    }
    for kind in ["podAffinity", "podAntiAffinity"] {
        let pod = &affinity[kind];
        if pod.is_null() {
            continue;
        }
        let p = format!("{path}.{kind}");
        let required_path = format!("{p}.{REQUIRED}");
        for (i, term) in items(&pod[REQUIRED]).iter().enumerate() {
            pod_affinity_term(term, &idx(&required_path, i), out);
        }
        let preferred_path = format!("{p}.{PREFERRED}");
        for (i, term) in items(&pod[PREFERRED]).iter().enumerate() {
            let t_path = idx(&preferred_path, i);
            weight(&term["weight"], &format!("{t_path}.weight"), out);
            pod_affinity_term(
                &term["podAffinityTerm"],
                &format!("{t_path}.podAffinityTerm"),
                out,
            );
        }
    }
}

fn weight(v: &Value, path: &str, out: &mut Vec<Cause>) {
    let w = v.as_i64().unwrap_or(0);
    if !(1..=100).contains(&w) {
        out.push(Cause::invalid(path, w, WEIGHT_ERROR));
    }
}

/// `ValidateNodeSelector`: at least one term, each valid.
pub(crate) fn node_selector(
    ns: &Value,
    allow_invalid_values: bool,
    path: &str,
    out: &mut Vec<Cause>,
) {
    let terms_path = format!("{path}.nodeSelectorTerms");
    let terms = items(&ns["nodeSelectorTerms"]);
    if terms.is_empty() {
        out.push(Cause::required(
            &terms_path,
            "must have at least one node selector term",
        ));
        return;
    }
    for (i, term) in terms.iter().enumerate() {
        node_selector_term(term, allow_invalid_values, &idx(&terms_path, i), out);
    }
}

/// `ValidateNodeSelectorTerm`.
fn node_selector_term(term: &Value, allow_invalid_values: bool, path: &str, out: &mut Vec<Cause>) {
    let exprs_path = format!("{path}.matchExpressions");
    for (j, req) in items(&term["matchExpressions"]).iter().enumerate() {
        node_selector_requirement(req, allow_invalid_values, &idx(&exprs_path, j), out);
    }
    let fields_path = format!("{path}.matchFields");
    for (j, req) in items(&term["matchFields"]).iter().enumerate() {
        node_field_selector_requirement(req, &idx(&fields_path, j), out);
    }
}

/// `ValidateNodeSelectorRequirement`.
fn node_selector_requirement(
    req: &Value,
    allow_invalid_values: bool,
    path: &str,
    out: &mut Vec<Cause>,
) {
    let values = items(&req["values"]);
    let values_path = format!("{path}.values");
    match str_of(&req["operator"]) {
        "In" | "NotIn" => {
            if values.is_empty() {
                out.push(Cause::required(
                    &values_path,
                    "must be specified when `operator` is 'In' or 'NotIn'",
                ));
            }
        }
        "Exists" | "DoesNotExist" => {
            if !values.is_empty() {
                out.push(Cause::forbidden(
                    &values_path,
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                ));
            }
        }
        "Gt" | "Lt" => {
            if values.len() != 1 {
                out.push(Cause::required(
                    &values_path,
                    "must be specified single value when `operator` is 'Lt' or 'Gt'",
                ));
            }
        }
        op => out.push(Cause::invalid(
            &format!("{path}.operator"),
            op,
            "not a valid selector operator",
        )),
    }
    label_name(str_of(&req["key"]), &format!("{path}.key"), out);
    if !allow_invalid_values {
        for (i, value) in values.iter().enumerate() {
            let value = str_of(value);
            for msg in names::is_valid_label_value(value) {
                out.push(Cause::invalid(&idx(&values_path, i), value, &msg));
            }
        }
    }
}

/// `ValidateNodeFieldSelectorRequirement`: only `metadata.name`, with one value.
fn node_field_selector_requirement(req: &Value, path: &str, out: &mut Vec<Cause>) {
    let values = items(&req["values"]);
    let values_path = format!("{path}.values");
    match str_of(&req["operator"]) {
        "In" | "NotIn" => {
            if values.len() != 1 {
                out.push(Cause::required(
                    &values_path,
                    "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
                ));
            }
        }
        op => out.push(Cause::invalid(
            &format!("{path}.operator"),
            op,
            "not a valid selector operator",
        )),
    }
    let key = str_of(&req["key"]);
    if key != "metadata.name" {
        out.push(Cause::invalid(
            &format!("{path}.key"),
            key,
            "not a valid field selector key",
        ));
        return;
    }
    for (i, value) in values.iter().enumerate() {
        let value = str_of(value);
        for msg in names::is_dns1123_subdomain(value) {
            out.push(Cause::invalid(&idx(&values_path, i), value, &msg));
        }
    }
}

/// `validatePodAffinityTerm`.
fn pod_affinity_term(term: &Value, path: &str, out: &mut Vec<Cause>) {
    let label_selector = &term["labelSelector"];
    if label_selector.is_object() {
        selector::validate(label_selector, &format!("{path}.labelSelector"), out);
    }
    let ns_selector = &term["namespaceSelector"];
    if ns_selector.is_object() {
        selector::validate(ns_selector, &format!("{path}.namespaceSelector"), out);
    }
    // Upstream reports namespaces at `namespace`, unindexed.
    let ns_path = format!("{path}.namespace");
    for ns in items(&term["namespaces"]) {
        let ns = str_of(ns);
        for msg in names::is_dns1123_label(ns) {
            out.push(Cause::invalid(&ns_path, ns, &msg));
        }
    }
    match_and_mismatch_label_keys(term, label_selector, path, out);
    let key = str_of(&term["topologyKey"]);
    let key_path = format!("{path}.topologyKey");
    if key.is_empty() {
        out.push(Cause::required(&key_path, "can not be empty"));
    }
    label_name(key, &key_path, out);
}

fn strings(v: &Value) -> Vec<&str> {
    items(v).iter().map(str_of).collect()
}

/// `validateMatchLabelKeysAndMismatchLabelKeys`.
fn match_and_mismatch_label_keys(
    term: &Value,
    label_selector: &Value,
    path: &str,
    out: &mut Vec<Cause>,
) {
    let match_keys = strings(&term["matchLabelKeys"]);
    let mismatch_keys = strings(&term["mismatchLabelKeys"]);
    let has_selector = label_selector.is_object();
    for (field, keys) in [
        ("matchLabelKeys", &match_keys),
        ("mismatchLabelKeys", &mismatch_keys),
    ] {
        if keys.is_empty() {
            continue;
        }
        let keys_path = format!("{path}.{field}");
        if !has_selector {
            out.push(Cause::forbidden(
                &keys_path,
                "must not be specified when labelSelector is not set",
            ));
            continue;
        }
        for (i, key) in keys.iter().enumerate() {
            label_name(key, &idx(&keys_path, i), out);
        }
    }
    if has_selector {
        let positions: HashMap<&str, usize> = match_keys
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, i))
            .collect();
        let mut selector_keys: HashSet<&str> = label_selector["matchLabels"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for expr in items(&label_selector["matchExpressions"]) {
            let key = str_of(&expr["key"]);
            if let Some(i) = positions.get(key)
                && selector_keys.contains(key)
            {
                // Upstream indexes the term's path here, not matchLabelKeys.
                out.push(Cause::invalid(
                    &idx(path, *i),
                    key,
                    "exists in both matchLabelKeys and labelSelector",
                ));
            }
            selector_keys.insert(key);
        }
    }
    let mismatch: HashSet<&str> = mismatch_keys.iter().copied().collect();
    let match_path = format!("{path}.matchLabelKeys");
    for (i, key) in match_keys.iter().enumerate() {
        if mismatch.contains(key) {
            out.push(Cause::invalid(
                &idx(&match_path, i),
                *key,
                "exists in both matchLabelKeys and mismatchLabelKeys",
            ));
        }
    }
}

/// `validateTopologySpreadConstraints` at `path`.
pub(crate) fn validate_topology_spread_constraints(
    constraints: &Value,
    path: &str,
    out: &mut Vec<Cause>,
) {
    let list = items(constraints);
    for (i, c) in list.iter().enumerate() {
        let p = idx(path, i);
        let max_skew = c["maxSkew"].as_i64().unwrap_or(0);
        if max_skew <= 0 {
            out.push(Cause::invalid(
                &format!("{p}.maxSkew"),
                max_skew,
                NOT_POSITIVE_ERROR,
            ));
        }
        let key = str_of(&c["topologyKey"]);
        if key.is_empty() {
            out.push(Cause::required(
                &format!("{p}.topologyKey"),
                "can not be empty",
            ));
        }
        let action = str_of(&c["whenUnsatisfiable"]);
        if !SCHEDULE_ACTIONS.contains(&action) {
            out.push(Cause::not_supported(
                &format!("{p}.whenUnsatisfiable"),
                action,
                SCHEDULE_ACTIONS,
            ));
        }
        let repeated = list[i + 1..].iter().any(|other| {
            str_of(&other["topologyKey"]) == key && str_of(&other["whenUnsatisfiable"]) == action
        });
        if repeated {
            out.push(Cause::duplicate(
                &format!("{p}.{{topologyKey, whenUnsatisfiable}}"),
                format!("{{{key}, {action}}}"),
            ));
        }
        if let Some(min) = c["minDomains"].as_i64() {
            let min_path = format!("{p}.minDomains");
            if min <= 0 {
                out.push(Cause::invalid(&min_path, min, NOT_POSITIVE_ERROR));
            }
            if action != "DoNotSchedule" {
                out.push(Cause::invalid(
                    &min_path,
                    min,
                    &format!(
                        "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {action}"
                    ),
                ));
            }
        }
        for field in ["nodeAffinityPolicy", "nodeTaintsPolicy"] {
            if let Some(policy) = c[field].as_str()
                && !NODE_INCLUSION_POLICIES.contains(&policy)
            {
                out.push(Cause::not_supported(
                    &format!("{p}.{field}"),
                    policy,
                    NODE_INCLUSION_POLICIES,
                ));
            }
        }
        let label_selector = &c["labelSelector"];
        let match_keys = strings(&c["matchLabelKeys"]);
        if !match_keys.is_empty() {
            let keys_path = format!("{p}.matchLabelKeys");
            let mut selector_keys: HashSet<&str> = HashSet::new();
            if label_selector.is_object() {
                if let Some(m) = label_selector["matchLabels"].as_object() {
                    selector_keys.extend(m.keys().map(String::as_str));
                }
                for expr in items(&label_selector["matchExpressions"]) {
                    selector_keys.insert(str_of(&expr["key"]));
                }
            } else {
                out.push(Cause::forbidden(
                    &keys_path,
                    "must not be specified when labelSelector is not set",
                ));
            }
            for (j, key) in match_keys.iter().enumerate() {
                let key_path = idx(&keys_path, j);
                label_name(key, &key_path, out);
                if selector_keys.contains(key) {
                    out.push(Cause::invalid(
                        &key_path,
                        *key,
                        "exists in both matchLabelKeys and labelSelector",
                    ));
                }
            }
        }
        if label_selector.is_object() {
            selector::validate(label_selector, &format!("{p}.labelSelector"), out);
        }
    }
}
