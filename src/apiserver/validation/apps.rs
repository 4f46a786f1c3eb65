//! Deployment, ReplicaSet, StatefulSet and DaemonSet rules (upstream
//! `pkg/apis/apps/validation`): selector required and matching the template, the
//! template validated as a pod template, selector immutable on update.

use serde_json::Value;

use super::pod::validate_pod_template_spec;
use super::{IMMUTABLE_ERROR, go_string_map, nonnegative, same, selector, str_of};
use crate::api::status::{BadValue, Cause};

/// Selector required, valid, non-empty (`empty selector is invalid for <what>`).
fn validate_selector(spec: &Value, what: &str, out: &mut Vec<Cause>) {
    let sel = &spec["selector"];
    if !sel.is_object() {
        out.push(Cause::required("spec.selector", ""));
        return;
    }
    selector::validate(sel, "spec.selector", out);
    if selector::is_empty(sel) {
        out.push(Cause::invalid(
            "spec.selector",
            BadValue::Raw(selector::go_syntax(sel)),
            &format!("empty selector is invalid for {what}"),
        ));
    }
}

/// `ValidatePodTemplateSpecForReplicaSet` (also used, with the same texts, by the
/// other workloads): labels match, pod template rules, restartPolicy Always.
fn validate_template(spec: &Value, kind: &str, out: &mut Vec<Cause>) {
    let template = &spec["template"];
    if !template.is_object() {
        out.push(Cause::required("spec.template", ""));
        return;
    }
    let sel = &spec["selector"];
    let labels = &template["metadata"]["labels"];
    let mismatch = sel.is_object() && !selector::is_empty(sel) && !selector::matches(sel, labels);
    template_rules(template, mismatch, kind, out);
}

/// What every workload's pod template must satisfy (upstream's
/// `ValidatePodTemplateSpecForReplicaSet` and relatives): labels its selector
/// matches (`mismatch` says they do not), a valid pod template, `restartPolicy:
/// Always`, and no `activeDeadlineSeconds` (but in StatefulSets).
fn template_rules(template: &Value, mismatch: bool, kind: &str, out: &mut Vec<Cause>) {
    if mismatch {
        out.push(Cause::invalid(
            "spec.template.metadata.labels",
            BadValue::Raw(go_string_map(&template["metadata"]["labels"])),
            "`selector` does not match template `labels`",
        ));
    }
    out.extend(validate_pod_template_spec(template, "spec.template"));
    let restart = &template["spec"]["restartPolicy"];
    if let Some(policy) = restart.as_str()
        && policy != "Always"
    {
        out.push(Cause::not_supported(
            "spec.template.spec.restartPolicy",
            policy,
            &["Always"],
        ));
    }
    if kind != "StatefulSet" && !template["spec"]["activeDeadlineSeconds"].is_null() {
        out.push(Cause::forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            &format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
}

fn selector_immutable(obj: &Value, old: Option<&Value>, out: &mut Vec<Cause>) {
    if let Some(old) = old {
        let (new_sel, old_sel) = (&obj["spec"]["selector"], &old["spec"]["selector"]);
        if !same(new_sel, old_sel) {
            out.push(Cause::invalid(
                "spec.selector",
                BadValue::Raw(selector::go_syntax(new_sel)),
                IMMUTABLE_ERROR,
            ));
        }
    }
}

/// A strategy `type` that is set but not one of `allowed`.
fn strategy_type(v: &Value, path: &str, allowed: &[&str], out: &mut Vec<Cause>) {
    if let Some(t) = v["type"].as_str()
        && !allowed.contains(&t)
    {
        out.push(Cause::not_supported(path, t, allowed));
    }
}

pub(crate) fn validate_deployment(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    nonnegative(&spec["replicas"], "spec.replicas", &mut out);
    validate_selector(spec, "deployment", &mut out);
    validate_template(spec, "ReplicaSet", &mut out);
    let strategy = &spec["strategy"];
    strategy_type(
        strategy,
        "spec.strategy",
        &["Recreate", "RollingUpdate"],
        &mut out,
    );
    if str_of(&strategy["type"]) == "Recreate" && !strategy["rollingUpdate"].is_null() {
        out.push(Cause::forbidden(
            "spec.strategy.rollingUpdate",
            "may not be specified when strategy `type` is 'Recreate'",
        ));
    }
    nonnegative(&spec["minReadySeconds"], "spec.minReadySeconds", &mut out);
    nonnegative(
        &spec["revisionHistoryLimit"],
        "spec.revisionHistoryLimit",
        &mut out,
    );
    if let Some(deadline) = spec["progressDeadlineSeconds"].as_i64() {
        nonnegative(
            &spec["progressDeadlineSeconds"],
            "spec.progressDeadlineSeconds",
            &mut out,
        );
        if let Some(min) = spec["minReadySeconds"].as_i64()
            && deadline <= min
        {
            out.push(Cause::invalid(
                "spec.progressDeadlineSeconds",
                deadline,
                "must be greater than minReadySeconds",
            ));
        }
    }
    selector_immutable(obj, old, &mut out);
    out
}

pub(crate) fn validate_replica_set(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    nonnegative(&spec["replicas"], "spec.replicas", &mut out);
    nonnegative(&spec["minReadySeconds"], "spec.minReadySeconds", &mut out);
    // Upstream says "deployment" here too.
    validate_selector(spec, "deployment", &mut out);
    validate_template(spec, "ReplicaSet", &mut out);
    selector_immutable(obj, old, &mut out);
    out
}

pub(crate) fn validate_daemon_set(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    validate_selector(spec, "daemonset", &mut out);
    validate_template(spec, "DaemonSet", &mut out);
    nonnegative(&spec["minReadySeconds"], "spec.minReadySeconds", &mut out);
    nonnegative(
        &spec["templateGeneration"],
        "spec.templateGeneration",
        &mut out,
    );
    strategy_type(
        &spec["updateStrategy"],
        "spec.updateStrategy",
        &["OnDelete", "RollingUpdate"],
        &mut out,
    );
    nonnegative(
        &spec["revisionHistoryLimit"],
        "spec.revisionHistoryLimit",
        &mut out,
    );
    selector_immutable(obj, old, &mut out);
    out
}

pub(crate) fn validate_stateful_set(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    if let Some(policy) = spec["podManagementPolicy"].as_str()
        && !["OrderedReady", "Parallel"].contains(&policy)
    {
        out.push(Cause::invalid(
            "spec.podManagementPolicy",
            policy,
            "must be 'OrderedReady' or 'Parallel'",
        ));
    }
    if let Some(t) = spec["updateStrategy"]["type"].as_str()
        && !["RollingUpdate", "OnDelete"].contains(&t)
    {
        out.push(Cause::invalid(
            "spec.updateStrategy",
            t,
            "must be 'RollingUpdate' or 'OnDelete'",
        ));
    }
    // serviceName is optional; when set it must be a valid Service name (DNS-1035).
    let service = str_of(&spec["serviceName"]);
    if !service.is_empty() {
        for msg in crate::api::validation::is_dns1035_label(service) {
            out.push(Cause::invalid("spec.serviceName", service, &msg));
        }
    }
    nonnegative(&spec["replicas"], "spec.replicas", &mut out);
    nonnegative(&spec["minReadySeconds"], "spec.minReadySeconds", &mut out);
    validate_selector(spec, "statefulset", &mut out);
    validate_template(spec, "StatefulSet", &mut out);
    if let Some(old) = old {
        // Only these spec fields may change (upstream `ValidateStatefulSetUpdate`).
        let mutable = [
            "replicas",
            "ordinals",
            "template",
            "updateStrategy",
            "persistentVolumeClaimRetentionPolicy",
            "minReadySeconds",
        ];
        let strip = |s: &Value| {
            let mut s = s.clone();
            if let Some(m) = s.as_object_mut() {
                m.retain(|k, _| !mutable.contains(&k.as_str()));
            }
            s
        };
        if !same(&strip(spec), &strip(&old["spec"])) {
            out.push(Cause::forbidden(
                "spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            ));
        }
    }
    out
}

/// Upstream `ValidateReplicationControllerSpec`: the selector is a plain label map,
/// required, and must match the template's labels.
pub(crate) fn validate_replication_controller(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    nonnegative(&spec["minReadySeconds"], "spec.minReadySeconds", &mut out);
    let sel = &spec["selector"];
    let selector_empty = sel.as_object().is_none_or(|m| m.is_empty());
    if selector_empty {
        out.push(Cause::required("spec.selector", ""));
    }
    nonnegative(&spec["replicas"], "spec.replicas", &mut out);
    let template = &spec["template"];
    if !template.is_object() {
        out.push(Cause::required("spec.template", ""));
        return out;
    }
    let labels = &template["metadata"]["labels"];
    let matches = super::string_map(sel)
        .into_iter()
        .all(|(k, v)| labels[k].as_str() == Some(v));
    template_rules(
        template,
        !selector_empty && !matches,
        "ReplicationController",
        &mut out,
    );
    out
}
