//! Job and CronJob rules (upstream `pkg/apis/batch/validation`), with a parser for
//! the standard cron syntax that reports robfig/cron's error texts.

use serde_json::Value;

use super::pod::validate_pod_template_spec;
use super::{
    IMMUTABLE_ERROR, go_string_map, go_struct, nonnegative, normalize_quantities, same,
    scalar_or_null, selector, str_of,
};
use crate::api::status::{BadValue, Cause};

pub(crate) fn validate_job(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = validate_job_spec(&obj["spec"], "spec");
    if let Some(old) = old {
        validate_job_spec_update(&obj["spec"], old, &mut out);
    }
    out
}

/// `ValidateJobSpecUpdate`'s immutability rules, for a Job updated from `old`.
fn validate_job_spec_update(spec: &Value, old: &Value, out: &mut Vec<Cause>) {
    let old_spec = &old["spec"];
    validate_completions_update(spec, old_spec, out);
    let (new_sel, old_sel) = (&spec["selector"], &old_spec["selector"]);
    if !same(new_sel, old_sel) {
        out.push(Cause::invalid(
            "spec.selector",
            BadValue::Raw(selector::go_syntax(new_sel)),
            IMMUTABLE_ERROR,
        ));
    }
    // A suspended Job that never started may change where its pods will run.
    let mutable_scheduling = old_spec["suspend"] == true && old["status"]["startTime"].is_null();
    let mut new_template = spec["template"].clone();
    let mut old_template = old_spec["template"].clone();
    if mutable_scheduling {
        allow_scheduling_changes(&mut old_template, &new_template);
    }
    for t in [&mut new_template, &mut old_template] {
        if let Some(s) = t.get_mut("spec") {
            normalize_quantities(s);
        }
    }
    if !same(&new_template, &old_template) {
        out.push(Cause::invalid(
            "spec.template",
            go_struct("core.PodTemplateSpec"),
            IMMUTABLE_ERROR,
        ));
    }
    for field in [
        "completionMode",
        "podFailurePolicy",
        "backoffLimitPerIndex",
        "managedBy",
        "successPolicy",
    ] {
        let (new, old) = (&spec[field], &old_spec[field]);
        if !same(new, old) {
            let value = match field {
                "podFailurePolicy" if !new.is_null() => go_struct("batch.PodFailurePolicy"),
                "successPolicy" if !new.is_null() => go_struct("batch.SuccessPolicy"),
                _ => scalar_or_null(new),
            };
            out.push(Cause::invalid(
                &format!("spec.{field}"),
                value,
                IMMUTABLE_ERROR,
            ));
        }
    }
}

/// `validateCompletions` with elastic Indexed Jobs (GA): an Indexed Job may change
/// `completions` together with `parallelism`; any other Job may not change it.
fn validate_completions_update(spec: &Value, old_spec: &Value, out: &mut Vec<Cause>) {
    let (new, old) = (&spec["completions"], &old_spec["completions"]);
    if spec["completionMode"] != "Indexed" {
        if !same(new, old) {
            out.push(Cause::invalid(
                "spec.completions",
                scalar_or_null(new),
                IMMUTABLE_ERROR,
            ));
        }
        return;
    }
    // An Indexed Job without completions is already invalid.
    if same(new, old) || new.is_null() {
        return;
    }
    if *new != spec["parallelism"] {
        out.push(Cause::invalid(
            "spec.completions",
            scalar_or_null(new),
            "can only be modified in tandem with spec.parallelism",
        ));
    }
}

/// Upstream `validatePodTemplateUpdate`'s munging: the old template takes the new
/// one's node affinity, node selector, tolerations, scheduling gates, labels and
/// annotations, so that only other changes count.
fn allow_scheduling_changes(old: &mut Value, new: &Value) {
    let Some(o) = old.as_object_mut() else {
        return;
    };
    let meta = o
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(m) = meta.as_object_mut() {
        for field in ["labels", "annotations"] {
            m.insert(field.into(), new["metadata"][field].clone());
        }
    }
    let spec = o
        .entry("spec")
        .or_insert_with(|| Value::Object(Default::default()));
    let Some(s) = spec.as_object_mut() else {
        return;
    };
    for field in ["nodeSelector", "tolerations", "schedulingGates"] {
        s.insert(field.into(), new["spec"][field].clone());
    }
    let node_affinity = &new["spec"]["affinity"]["nodeAffinity"];
    if !s.get("affinity").is_some_and(Value::is_object) {
        s.insert("affinity".into(), Value::Object(Default::default()));
    }
    if let Some(affinity) = s.get_mut("affinity").and_then(Value::as_object_mut) {
        // An affinity left with nothing in it reads as none, as upstream clears it.
        match node_affinity {
            Value::Null => affinity.remove("nodeAffinity"),
            v => affinity.insert("nodeAffinity".into(), v.clone()),
        };
    }
}

/// `validateJobSpec` at `path` (`spec`, or `spec.jobTemplate.spec` in a CronJob).
fn validate_job_spec(spec: &Value, path: &str) -> Vec<Cause> {
    let mut out = Vec::new();
    for field in [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
    ] {
        nonnegative(&spec[field], &format!("{path}.{field}"), &mut out);
    }
    let template = &spec["template"];
    let sel = &spec["selector"];
    if sel.is_object() {
        selector::validate(sel, &format!("{path}.selector"), &mut out);
        let labels = &template["metadata"]["labels"];
        if !selector::is_empty(sel) && !selector::matches(sel, labels) {
            out.push(Cause::invalid(
                &format!("{path}.template.metadata.labels"),
                BadValue::Raw(go_string_map(labels)),
                "`selector` does not match template `labels`",
            ));
        }
    }
    let template_path = format!("{path}.template");
    out.extend(validate_pod_template_spec(template, &template_path));
    // An absent restartPolicy is defaulted to Always, which a Job may not use.
    let restart = template["spec"]["restartPolicy"]
        .as_str()
        .unwrap_or("Always");
    if restart != "OnFailure" && restart != "Never" {
        out.push(Cause::not_supported(
            &format!("{template_path}.spec.restartPolicy"),
            restart,
            &["OnFailure", "Never"],
        ));
    }
    out
}

pub(crate) fn validate_cron_job(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    let schedule = str_of(&spec["schedule"]);
    if schedule.is_empty() {
        out.push(Cause::required("spec.schedule", ""));
    } else {
        if let Err(e) = parse_standard(schedule) {
            out.push(Cause::invalid("spec.schedule", schedule, &e));
        }
        if schedule.contains("TZ") {
            out.push(Cause::invalid(
                "spec.schedule",
                schedule,
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ));
        }
    }
    if let Some(policy) = spec["concurrencyPolicy"].as_str() {
        let allowed = ["Allow", "Forbid", "Replace"];
        if !allowed.contains(&policy) {
            out.push(Cause::not_supported(
                "spec.concurrencyPolicy",
                policy,
                &allowed,
            ));
        }
    }
    nonnegative(
        &spec["startingDeadlineSeconds"],
        "spec.startingDeadlineSeconds",
        &mut out,
    );
    nonnegative(
        &spec["successfulJobsHistoryLimit"],
        "spec.successfulJobsHistoryLimit",
        &mut out,
    );
    nonnegative(
        &spec["failedJobsHistoryLimit"],
        "spec.failedJobsHistoryLimit",
        &mut out,
    );
    out.extend(validate_job_spec(
        &spec["jobTemplate"]["spec"],
        "spec.jobTemplate.spec",
    ));
    out
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// robfig/cron's `ParseStandard`: five fields or a descriptor; `Err` has its text.
pub(crate) fn parse_standard(spec: &str) -> Result<(), String> {
    if let Some(desc) = spec.strip_prefix('@') {
        return match desc {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(())
            }
            d if d.starts_with("every ") => Ok(()),
            _ => Err(format!("unrecognized descriptor: {spec}")),
        };
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    let bounds: [(u32, u32, &[&str], u32); 5] = [
        (0, 59, &[], 0),
        (0, 23, &[], 0),
        (1, 31, &[], 0),
        (1, 12, MONTHS, 1),
        (0, 6, DAYS, 0),
    ];
    for (field, (min, max, names, base)) in fields.iter().zip(bounds) {
        for expr in field.split(',') {
            parse_range(expr, min, max, names, base)?;
        }
    }
    Ok(())
}

fn parse_int_or_name(s: &str, names: &[&str], base: u32) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + base);
    }
    match s.parse::<i64>() {
        Ok(n) if n < 0 => Err(format!("negative number ({n}) not allowed: {s}")),
        Ok(n) => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
        Err(_) => Err(format!(
            "failed to parse int from {s}: strconv.Atoi: parsing {}: invalid syntax",
            crate::api::goformat::quote(s)
        )),
    }
}

fn parse_range(expr: &str, min: u32, max: u32, names: &[&str], base: u32) -> Result<(), String> {
    let parts: Vec<&str> = expr.split('/').collect();
    let bounds: Vec<&str> = parts[0].split('-').collect();
    let (start, end) = if bounds[0] == "*" || bounds[0] == "?" {
        (min, max)
    } else {
        let start = parse_int_or_name(bounds[0], names, base)?;
        let end = match bounds.len() {
            1 => start,
            2 => parse_int_or_name(bounds[1], names, base)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        (start, end)
    };
    match parts.len() {
        1 | 2 => {}
        _ => return Err(format!("too many slashes: {expr}")),
    }
    if parts.len() == 2 {
        let step = parse_int_or_name(parts[1], &[], 0)?;
        if step == 0 {
            return Err(format!("step of range should be a positive number: {expr}"));
        }
    }
    if start < min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({min}): {expr}"
        ));
    }
    if end > max {
        return Err(format!(
            "end of range ({end}) above maximum ({max}): {expr}"
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    Ok(())
}
