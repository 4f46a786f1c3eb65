//! LimitRange rules (upstream `ValidateLimitRange`): limit types, resource names per
//! type, and the order min ≤ defaultRequest ≤ default ≤ max with ratios.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use super::quantity::{self, Quantity};
use super::resource_names::{container_resource_name, overcommit_allowed, resource_name};
use super::{go_struct, idx, items, key, label_name, str_of};
use crate::api::status::Cause;

const LIMIT_TYPES: &[&str] = &["Pod", "Container", "PersistentVolumeClaim"];

pub(crate) fn validate_limit_range(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let mut types = HashSet::new();
    for (i, limit) in items(&obj["spec"]["limits"]).iter().enumerate() {
        limit_item(limit, &idx("spec.limits", i), &mut types, &mut out);
    }
    out
}

/// The bag's quantities by resource name, each name checked for the limit type.
fn bag<'a>(
    limit: &'a Value,
    field: &str,
    ty: &str,
    path: &str,
    keys: &mut BTreeSet<&'a str>,
    out: &mut Vec<Cause>,
) -> BTreeMap<&'a str, Quantity> {
    let mut parsed = BTreeMap::new();
    let mut entries: Vec<(&String, &Value)> = limit[field]
        .as_object()
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    entries.sort_by_key(|(k, _)| *k);
    for (name, v) in entries {
        let p = key(&format!("{path}.{field}"), name);
        if matches!(ty, "Pod" | "Container") {
            container_resource_name(name, &p, out);
        } else {
            resource_name(name, &p, out);
        }
        keys.insert(name);
        match super::quantity_of(v) {
            Some(q) => {
                parsed.insert(name.as_str(), q);
            }
            None => out.push(Cause::invalid(
                &p,
                v.as_str().unwrap_or_default(),
                quantity::FORMAT_ERROR,
            )),
        }
    }
    parsed
}

fn limit_item<'a>(
    limit: &'a Value,
    path: &str,
    types: &mut HashSet<&'a str>,
    out: &mut Vec<Cause>,
) {
    let ty = str_of(&limit["type"]);
    let type_path = format!("{path}.type");
    let before = out.len();
    label_name(ty, &type_path, out);
    if out.len() == before && !ty.contains('/') && !LIMIT_TYPES.contains(&ty) {
        out.push(Cause::invalid(
            &type_path,
            ty,
            "must be a standard limit type or fully qualified",
        ));
    }
    if !types.insert(ty) {
        out.push(Cause::duplicate(&type_path, ty));
    }
    let mut keys = BTreeSet::new();
    let max = bag(limit, "max", ty, path, &mut keys, out);
    let min = bag(limit, "min", ty, path, &mut keys, out);
    let (mut default, mut default_request) = (BTreeMap::new(), BTreeMap::new());
    if ty == "Pod" {
        for field in ["default", "defaultRequest"] {
            if limit[field].as_object().is_some_and(|m| !m.is_empty()) {
                out.push(Cause::forbidden(
                    &format!("{path}.{field}"),
                    "may not be specified when `type` is 'Pod'",
                ));
            }
        }
    } else {
        default = bag(limit, "default", ty, path, &mut keys, out);
        default_request = bag(limit, "defaultRequest", ty, path, &mut keys, out);
    }
    if ty == "PersistentVolumeClaim"
        && limit["min"].get("storage").is_none()
        && limit["max"].get("storage").is_none()
    {
        out.push(Cause::required(
            &format!("{path}.limits"),
            "either minimum or maximum storage value is required, but neither was provided",
        ));
    }
    let ratios = bag(limit, "maxLimitRequestRatio", ty, path, &mut keys, out);
    let quantity_value = go_struct("resource.Quantity");
    for k in keys {
        let at = |field: &str| key(&format!("{path}.{field}"), k);
        let (mn, mx) = (min.get(k), max.get(k));
        let (d, dr, ratio) = (default.get(k), default_request.get(k), ratios.get(k));
        let s = Quantity::canonical;
        if let (Some(mn), Some(mx)) = (mn, mx)
            && mn > mx
        {
            out.push(Cause::invalid(
                &at("min"),
                quantity_value.clone(),
                &format!("min value {} is greater than max value {}", s(mn), s(mx)),
            ));
        }
        if let Some(dr) = dr {
            // {a} is the other bound, {b} the default request.
            let checks = [
                (
                    mn.filter(|mn| *mn > dr),
                    "min value {a} is greater than default request value {b}",
                ),
                (
                    mx.filter(|mx| dr > *mx),
                    "default request value {b} is greater than max value {a}",
                ),
                (
                    d.filter(|d| dr > *d),
                    "default request value {b} is greater than default limit value {a}",
                ),
            ];
            for (other, template) in checks {
                if let Some(other) = other {
                    let msg = template.replace("{a}", &s(other)).replace("{b}", &s(dr));
                    out.push(Cause::invalid(
                        &at("defaultRequest"),
                        quantity_value.clone(),
                        &msg,
                    ));
                }
            }
        }
        if let Some(d) = d {
            if let Some(mn) = mn.filter(|mn| *mn > d) {
                out.push(Cause::invalid(
                    &at("default"),
                    quantity_value.clone(),
                    &format!("min value {} is greater than default value {}", s(mn), s(d)),
                ));
            }
            if let Some(mx) = mx.filter(|mx| d > *mx) {
                out.push(Cause::invalid(
                    &at("default"),
                    quantity_value.clone(),
                    &format!("default value {} is greater than max value {}", s(d), s(mx)),
                ));
            }
        }
        if let Some(ratio) = ratio {
            if ratio.nanos() < 1_000_000_000 {
                out.push(Cause::invalid(
                    &at("maxLimitRequestRatio"),
                    quantity_value.clone(),
                    &format!("ratio {} is less than 1", s(ratio)),
                ));
            }
            if let (Some(mn), Some(mx)) = (mn, mx) {
                let limit = milli(mx) as f64 / milli(mn) as f64;
                if milli(ratio) as f64 / 1000.0 > limit {
                    out.push(Cause::invalid(
                        &at("maxLimitRequestRatio"),
                        quantity_value.clone(),
                        &format!("ratio {} is greater than max/min = {limit:.6}", s(ratio)),
                    ));
                }
            }
        }
        if let (Some(d), Some(dr)) = (d, dr)
            && !overcommit_allowed(k)
            && d != dr
        {
            out.push(Cause::invalid(
                &at("defaultRequest"),
                quantity_value.clone(),
                &format!(
                    "default value {} must equal to defaultRequest value {} in {k}",
                    s(d),
                    s(dr)
                ),
            ));
        }
    }
}

/// `Quantity.MilliValue()`: rounded up to a whole milli-unit.
fn milli(q: &Quantity) -> i128 {
    let n = q.nanos();
    n / 1_000_000 + i128::from(n % 1_000_000 > 0)
}
