//! HorizontalPodAutoscaler (autoscaling/v2) rules (upstream
//! `pkg/apis/autoscaling/validation`): replica bounds, the scale target, each metric's
//! one source and its target, and the scaling behavior.
//!
//! Upstream defaults a behavior's missing `policies`, `selectPolicy` and
//! `stabilizationWindowSeconds`; kelp does not, so absent ones are accepted here (an
//! explicitly empty `policies` list is still refused, as upstream does).

use serde_json::Value;

use super::rbac::path_segment_name;
use super::resource_names::container_resource_name;
use super::{dns1123_label, go_struct, idx, items, quantity_of, str_of};
use crate::api::status::Cause;

const MAX_PERIOD_SECONDS: i64 = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS: i64 = 3600;
/// Upstream `validMetricSourceTypes`, sorted.
const METRIC_SOURCE_TYPES: &[&str] = &[
    "ContainerResource",
    "External",
    "Object",
    "Pods",
    "Resource",
];

pub(crate) fn validate_horizontal_pod_autoscaler(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    // HPAScaleToZero is alpha (off); a stored zero stays allowed.
    let old_zero = old.is_some_and(|o| o["spec"]["minReplicas"].as_i64() == Some(0));
    let lower = if old_zero { 0 } else { 1 };
    let min = spec["minReplicas"].as_i64();
    if let Some(min) = min
        && min < lower
    {
        out.push(Cause::invalid(
            "spec.minReplicas",
            min,
            &format!("must be greater than or equal to {lower}"),
        ));
    }
    let max = spec["maxReplicas"].as_i64().unwrap_or(0);
    if max < 1 {
        out.push(Cause::invalid(
            "spec.maxReplicas",
            max,
            "must be greater than 0",
        ));
    }
    if min.is_some_and(|min| max < min) {
        out.push(Cause::invalid(
            "spec.maxReplicas",
            max,
            "must be greater than or equal to `minReplicas`",
        ));
    }
    object_reference(&spec["scaleTargetRef"], "spec.scaleTargetRef", &mut out);
    let metrics = items(&spec["metrics"]);
    for (i, m) in metrics.iter().enumerate() {
        metric_spec(m, &idx("spec.metrics", i), &mut out);
    }
    let scales_on_object = metrics
        .iter()
        .any(|m| matches!(str_of(&m["type"]), "Object" | "External"));
    if min == Some(0) && !scales_on_object {
        out.push(Cause::forbidden(
            "spec.metrics",
            "must specify at least one Object or External metric to support scaling to zero replicas",
        ));
    }
    let behavior = &spec["behavior"];
    if behavior.is_object() {
        for dir in ["scaleUp", "scaleDown"] {
            if behavior[dir].is_object() {
                scaling_rules(&behavior[dir], &format!("spec.behavior.{dir}"), &mut out);
            }
        }
    }
    out
}

/// `ValidateCrossVersionObjectReference`: kind and name, each a path segment.
fn object_reference(r: &Value, path: &str, out: &mut Vec<Cause>) {
    for field in ["kind", "name"] {
        let v = str_of(&r[field]);
        let p = format!("{path}.{field}");
        if v.is_empty() {
            out.push(Cause::required(&p, ""));
        }
        for msg in path_segment_name(v) {
            out.push(Cause::invalid(&p, v, &msg));
        }
    }
}

/// `validateMetricSpec`: a known type and exactly its source.
fn metric_spec(m: &Value, path: &str, out: &mut Vec<Cause>) {
    let ty = str_of(&m["type"]);
    let type_path = format!("{path}.type");
    if ty.is_empty() {
        out.push(Cause::required(
            &type_path,
            "must specify a metric source type",
        ));
    }
    if !METRIC_SOURCE_TYPES.contains(&ty) {
        out.push(Cause::not_supported(&type_path, ty, METRIC_SOURCE_TYPES));
    }
    // Only the first source present is validated in depth, in upstream's order.
    let mut present: Vec<&str> = Vec::new();
    for field in [
        "object",
        "external",
        "pods",
        "resource",
        "containerResource",
    ] {
        let src = &m[field];
        if !src.is_object() {
            continue;
        }
        present.push(field);
        if present.len() > 1 {
            continue;
        }
        let p = format!("{path}.{field}");
        match field {
            "object" => object_source(src, &p, out),
            "external" => external_source(src, &p, out),
            "pods" => pods_source(src, &p, out),
            "resource" => resource_source(src, false, &p, out),
            _ => resource_source(src, true, &p, out),
        }
    }
    let expected = match ty {
        "Object" => "object",
        "Pods" => "pods",
        "Resource" => "resource",
        "ContainerResource" => "containerResource",
        "External" => "external",
        _ => {
            // Upstream's switch reports an unknown type a second time.
            out.push(Cause::not_supported(&type_path, ty, METRIC_SOURCE_TYPES));
            ""
        }
    };
    if !expected.is_empty() && !present.contains(&expected) {
        out.push(Cause::required(
            &format!("{path}.{expected}"),
            "must populate information for the given metric source",
        ));
    }
    if present.len() != 1 {
        // Upstream ranges over a set here, in no fixed order; kelp sorts.
        let mut others: Vec<&str> = present.into_iter().filter(|f| *f != expected).collect();
        others.sort_unstable();
        for f in others {
            out.push(Cause::forbidden(
                &format!("{path}.{f}"),
                "must populate the given metric source only",
            ));
        }
    }
}

fn metric_identifier(id: &Value, path: &str, out: &mut Vec<Cause>) {
    let name = str_of(&id["name"]);
    let p = format!("{path}.name");
    if name.is_empty() {
        out.push(Cause::required(&p, "must specify a metric name"));
    } else {
        for msg in path_segment_name(name) {
            out.push(Cause::invalid(&p, name, &msg));
        }
    }
}

/// `validateMetricTarget`.
fn metric_target(t: &Value, path: &str, out: &mut Vec<Cause>) {
    let ty = str_of(&t["type"]);
    if ty.is_empty() {
        out.push(Cause::required(
            &format!("{path}.type"),
            "must specify a metric target type",
        ));
    }
    if !["Utilization", "Value", "AverageValue"].contains(&ty) {
        out.push(Cause::invalid(
            &format!("{path}.type"),
            ty,
            "must be either Utilization, Value, or AverageValue",
        ));
    }
    for field in ["value", "averageValue"] {
        let v = &t[field];
        if !v.is_null() && quantity_of(v).is_none_or(|q| q.nanos() <= 0) {
            out.push(Cause::invalid(
                &format!("{path}.{field}"),
                go_struct("resource.Quantity"),
                "must be positive",
            ));
        }
    }
    if let Some(u) = t["averageUtilization"].as_i64()
        && u < 1
    {
        out.push(Cause::invalid(
            &format!("{path}.averageUtilization"),
            u,
            "must be greater than 0",
        ));
    }
}

fn object_source(src: &Value, path: &str, out: &mut Vec<Cause>) {
    object_reference(
        &src["describedObject"],
        &format!("{path}.describedObject"),
        out,
    );
    metric_identifier(&src["metric"], &format!("{path}.metric"), out);
    let target = &src["target"];
    metric_target(target, &format!("{path}.target"), out);
    if target["value"].is_null() && target["averageValue"].is_null() {
        out.push(Cause::required(
            &format!("{path}.target.averageValue"),
            "must set either a target value or averageValue",
        ));
    }
}

fn external_source(src: &Value, path: &str, out: &mut Vec<Cause>) {
    metric_identifier(&src["metric"], &format!("{path}.metric"), out);
    let target = &src["target"];
    metric_target(target, &format!("{path}.target"), out);
    let (value, average) = (target["value"].is_null(), target["averageValue"].is_null());
    if value && average {
        out.push(Cause::required(
            &format!("{path}.target.averageValue"),
            "must set either a target value for metric or a per-pod target",
        ));
    }
    if !value && !average {
        out.push(Cause::forbidden(
            &format!("{path}.target.value"),
            "may not set both a target value for metric and a per-pod target",
        ));
    }
}

fn pods_source(src: &Value, path: &str, out: &mut Vec<Cause>) {
    metric_identifier(&src["metric"], &format!("{path}.metric"), out);
    let target = &src["target"];
    metric_target(target, &format!("{path}.target"), out);
    if target["averageValue"].is_null() {
        out.push(Cause::required(
            &format!("{path}.target.averageValue"),
            "must specify a positive target averageValue",
        ));
    }
}

/// `validateResourceSource` and (with a container) `validateContainerResourceSource`.
fn resource_source(src: &Value, container: bool, path: &str, out: &mut Vec<Cause>) {
    let name = str_of(&src["name"]);
    let name_path = format!("{path}.name");
    if name.is_empty() {
        out.push(Cause::required(&name_path, "must specify a resource name"));
    } else if container {
        container_resource_name(name, &name_path, out);
    }
    if container {
        let c = str_of(&src["container"]);
        let c_path = format!("{path}.container");
        if c.is_empty() {
            out.push(Cause::required(&c_path, "must specify a container"));
        } else {
            dns1123_label(c, &c_path, out);
        }
    }
    let target = &src["target"];
    metric_target(target, &format!("{path}.target"), out);
    let (util, average) = (
        target["averageUtilization"].is_null(),
        target["averageValue"].is_null(),
    );
    if util && average {
        out.push(Cause::required(
            &format!("{path}.target.averageUtilization"),
            "must set either a target raw value or a target utilization",
        ));
    }
    if !util && !average {
        out.push(Cause::forbidden(
            &format!("{path}.target.averageValue"),
            "may not set both a target raw value and a target utilization",
        ));
    }
}

/// `validateScalingRules`.
fn scaling_rules(rules: &Value, path: &str, out: &mut Vec<Cause>) {
    if let Some(w) = rules["stabilizationWindowSeconds"].as_i64() {
        let p = format!("{path}.stabilizationWindowSeconds");
        if w < 0 {
            out.push(Cause::invalid(
                &p,
                w,
                "must be greater than or equal to zero",
            ));
        }
        if w > MAX_STABILIZATION_WINDOW_SECONDS {
            out.push(Cause::invalid(
                &p,
                w,
                &format!("must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"),
            ));
        }
    }
    if let Some(s) = rules["selectPolicy"].as_str()
        && !["Disabled", "Max", "Min"].contains(&s)
    {
        out.push(Cause::not_supported(
            &format!("{path}.selectPolicy"),
            s,
            &["Disabled", "Max", "Min"],
        ));
    }
    let policies_path = format!("{path}.policies");
    if rules["policies"].as_array().is_some_and(Vec::is_empty) {
        out.push(Cause::required(
            &policies_path,
            "must specify at least one Policy",
        ));
    }
    for (i, p) in items(&rules["policies"]).iter().enumerate() {
        let pp = idx(&policies_path, i);
        let ty = str_of(&p["type"]);
        if ty != "Pods" && ty != "Percent" {
            out.push(Cause::not_supported(
                &format!("{pp}.type"),
                ty,
                &["Percent", "Pods"],
            ));
        }
        let value = p["value"].as_i64().unwrap_or(0);
        if value <= 0 {
            out.push(Cause::invalid(
                &format!("{pp}.value"),
                value,
                "must be greater than zero",
            ));
        }
        let period = p["periodSeconds"].as_i64().unwrap_or(0);
        let period_path = format!("{pp}.periodSeconds");
        if period <= 0 {
            out.push(Cause::invalid(
                &period_path,
                period,
                "must be greater than zero",
            ));
        }
        if period > MAX_PERIOD_SECONDS {
            out.push(Cause::invalid(
                &period_path,
                period,
                &format!("must be less than or equal to {MAX_PERIOD_SECONDS}"),
            ));
        }
    }
}
