//! ResourceQuota rules (upstream `ValidateResourceQuotaSpec` and
//! `ValidateResourceQuotaUpdate`): hard resource names and quantities, scopes that
//! fit the resources and do not conflict, the scope selector, immutable scopes.

use serde_json::Value;

use super::resource_names::{STANDARD_RESOURCES, is_extended, quota_hugepages, resource_name};
use super::{IMMUTABLE_ERROR, NEGATIVE_ERROR, go_struct, items, key, str_of};
use crate::api::goformat::{quote, string_slice_go_syntax};
use crate::api::status::{BadValue, Cause};

/// Upstream `standardQuotaResources` (the standard ones but plain `storage`).
const QUOTA_RESOURCES_EXCLUDED: &[&str] = &["storage"];
/// Upstream `integerResources`.
const INTEGER_RESOURCES: &[&str] = &[
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
];
/// Upstream `standardResourceQuotaScopes`.
const SCOPES: &[&str] = &[
    "Terminating",
    "NotTerminating",
    "BestEffort",
    "NotBestEffort",
    "PriorityClass",
    "CrossNamespacePodAffinity",
    "VolumeAttributesClass",
];
const POD_COMPUTE: &[&str] = &[
    "cpu",
    "memory",
    "limits.cpu",
    "limits.memory",
    "requests.cpu",
    "requests.memory",
];
const CONFLICTING: &[(&str, &str)] = &[
    ("BestEffort", "NotBestEffort"),
    ("Terminating", "NotTerminating"),
];
/// Scopes whose selector requirement must be `Exists`.
const EXISTS_ONLY: &[&str] = &[
    "BestEffort",
    "NotBestEffort",
    "Terminating",
    "NotTerminating",
    "CrossNamespacePodAffinity",
];

fn is_standard_quota_resource(name: &str) -> bool {
    (STANDARD_RESOURCES.contains(&name) && !QUOTA_RESOURCES_EXCLUDED.contains(&name))
        || quota_hugepages(name)
}

/// Upstream `IsResourceQuotaScopeValidForResource`.
fn scope_fits(scope: &str, resource: &str) -> bool {
    match scope {
        "Terminating"
        | "NotTerminating"
        | "NotBestEffort"
        | "PriorityClass"
        | "CrossNamespacePodAffinity" => resource == "pods" || POD_COMPUTE.contains(&resource),
        "BestEffort" => resource == "pods",
        _ => true,
    }
}

/// `ValidateResourceQuotaResourceName` (with `validateResourceName`).
fn quota_resource_name(name: &str, path: &str, out: &mut Vec<Cause>) {
    resource_name(name, path, out);
    if !name.contains('/') && !is_standard_quota_resource(name) {
        out.push(Cause::invalid(
            path,
            name,
            "must be a standard resource for quota",
        ));
    }
}

/// `ValidateResourceQuantityValue`.
fn quantity_value(resource: &str, v: &Value, path: &str, out: &mut Vec<Cause>) {
    let Some(q) = super::quantity_of(v) else {
        out.push(Cause::invalid(
            path,
            v.as_str().unwrap_or_default(),
            super::quantity::FORMAT_ERROR,
        ));
        return;
    };
    if q.is_negative() {
        out.push(Cause::invalid(path, q.canonical(), NEGATIVE_ERROR));
    }
    let integer = INTEGER_RESOURCES.contains(&resource) || is_extended(resource);
    if integer && q.nanos() % 1_000_000_000 != 0 {
        out.push(Cause::invalid(
            path,
            go_struct("resource.Quantity"),
            "must be an integer",
        ));
    }
}

fn scopes_value(scopes: &Value) -> BadValue {
    let listed: Vec<String> = items(scopes).iter().map(|s| quote(str_of(s))).collect();
    BadValue::Raw(format!(
        "[]core.ResourceQuotaScope{{{}}}",
        listed.join(", ")
    ))
}

pub(crate) fn validate_resource_quota(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    let mut hard: Vec<(&String, &Value)> = spec["hard"]
        .as_object()
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    hard.sort_by_key(|(k, _)| *k);
    for (name, v) in &hard {
        let p = key("spec.hard", name);
        quota_resource_name(name, &p, &mut out);
        quantity_value(name, v, &p, &mut out);
    }
    let standard_hard: Vec<&str> = hard
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| is_standard_quota_resource(k))
        .collect();
    let scopes = items(&spec["scopes"]);
    if !scopes.is_empty() {
        let value = scopes_value(&spec["scopes"]);
        for scope in scopes {
            let scope = str_of(scope);
            if !SCOPES.contains(&scope) {
                out.push(Cause::invalid(
                    "spec.scopes",
                    value.clone(),
                    "unsupported scope",
                ));
            }
            for r in &standard_hard {
                if !scope_fits(scope, r) {
                    out.push(Cause::invalid(
                        "spec.scopes",
                        value.clone(),
                        "unsupported scope applied to resource",
                    ));
                }
            }
        }
        let has = |s: &str| scopes.iter().any(|x| str_of(x) == s);
        for (a, b) in CONFLICTING {
            if has(a) && has(b) {
                out.push(Cause::invalid(
                    "spec.scopes",
                    value.clone(),
                    "conflicting scopes",
                ));
            }
        }
    }
    if spec["scopeSelector"].is_object() {
        scope_selector(spec, &standard_hard, &mut out);
    }
    if let Some(old) = old {
        fn set(v: &Value) -> Vec<&str> {
            let mut s: Vec<&str> = items(v).iter().map(str_of).collect();
            s.sort_unstable();
            s.dedup();
            s
        }
        if set(&spec["scopes"]) != set(&old["spec"]["scopes"]) {
            let value = if spec["scopes"].is_array() {
                scopes_value(&spec["scopes"])
            } else {
                BadValue::Raw("[]core.ResourceQuotaScope(nil)".into())
            };
            out.push(Cause::invalid("spec.scopes", value, IMMUTABLE_ERROR));
        }
    }
    out
}

/// `validateScopedResourceSelectorRequirement`.
fn scope_selector(spec: &Value, standard_hard: &[&str], out: &mut Vec<Cause>) {
    let base = "spec.scopeSelector.matchExpressions";
    let reqs = items(&spec["scopeSelector"]["matchExpressions"]);
    for req in reqs {
        let scope = str_of(&req["scopeName"]);
        if !SCOPES.contains(&scope) {
            out.push(Cause::invalid(
                &format!("{base}.scopeName"),
                scope,
                "unsupported scope",
            ));
        }
        for r in standard_hard {
            if !scope_fits(scope, r) {
                out.push(Cause::invalid(
                    base,
                    go_struct("core.ScopeSelector"),
                    "unsupported scope applied to resource",
                ));
            }
        }
        let op = str_of(&req["operator"]);
        if EXISTS_ONLY.contains(&scope) && op != "Exists" {
            out.push(Cause::invalid(
                &format!("{base}.operator"),
                op,
                "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
            ));
        }
        let values = items(&req["values"]);
        match op {
            "In" | "NotIn" => {
                if values.is_empty() {
                    out.push(Cause::required(
                        &format!("{base}.values"),
                        "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    let listed: Vec<String> =
                        values.iter().map(|v| str_of(v).to_string()).collect();
                    out.push(Cause::invalid(
                        &format!("{base}.values"),
                        BadValue::Raw(string_slice_go_syntax(Some(&listed))),
                        "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
                    ));
                }
            }
            _ => out.push(Cause::invalid(
                &format!("{base}.operator"),
                op,
                "not a valid selector operator",
            )),
        }
    }
    let has = |s: &str| reqs.iter().any(|r| str_of(&r["scopeName"]) == s);
    for (a, b) in CONFLICTING {
        if has(a) && has(b) {
            // Upstream reports the `scopes` list here, not the selector.
            let value = if spec["scopes"].is_array() {
                scopes_value(&spec["scopes"])
            } else {
                BadValue::Raw("[]core.ResourceQuotaScope(nil)".into())
            };
            out.push(Cause::invalid(base, value, "conflicting scopes"));
        }
    }
}
