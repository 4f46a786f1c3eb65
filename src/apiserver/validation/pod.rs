//! Pod, pod template and pod spec rules (upstream `ValidatePodSpec`,
//! `ValidatePodTemplateSpec`, `ValidatePodUpdate` in `pkg/apis/core/validation`).

use std::collections::HashSet;

use serde_json::Value;

use super::quantity::{self, Quantity};
use super::{
    dns1123_label, idx, is_relaxed_env_var_name, is_valid_port_name, is_valid_port_num, items, key,
    same, str_of, validate_labels,
};
use crate::api::status::Cause;
use crate::api::validation as names;

const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

/// The fields a pod update may change, as upstream lists them in its message.
pub(crate) const UPDATABLE_POD_SPEC_FIELDS: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// `ValidatePod` / `ValidatePodUpdate` for the spec.
pub(crate) fn validate_pod(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    validate_pod_spec(&obj["spec"], "spec", &mut out);
    for list in ["containers", "initContainers"] {
        let path = format!("spec.{list}");
        for (i, c) in items(&obj["spec"][list]).iter().enumerate() {
            let image = str_of(&c["image"]);
            if image.len() != image.trim().len() {
                out.push(Cause::invalid(
                    &format!("{}.image", idx(&path, i)),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
    if let Some(old) = old {
        validate_pod_spec_update(&obj["spec"], &old["spec"], &mut out);
    }
    out
}

/// `ValidatePodTemplateSpec` at `path` (e.g. `spec.template`).
pub(crate) fn validate_pod_template_spec(template: &Value, path: &str) -> Vec<Cause> {
    let mut out = Vec::new();
    // Upstream validates template labels at `<path>.labels`, not `.metadata.labels`.
    validate_labels(
        &template["metadata"]["labels"],
        &format!("{path}.labels"),
        &mut out,
    );
    let spec_path = format!("{path}.spec");
    validate_pod_spec(&template["spec"], &spec_path, &mut out);
    if !items(&template["spec"]["ephemeralContainers"]).is_empty() {
        out.push(Cause::forbidden(
            &format!("{spec_path}.ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    out
}

/// `ValidatePodSpec` (the parts implemented) at `path`.
pub(crate) fn validate_pod_spec(spec: &Value, path: &str, out: &mut Vec<Cause>) {
    let volumes = validate_volumes(&spec["volumes"], &format!("{path}.volumes"), out);
    let containers = items(&spec["containers"]);
    let containers_path = format!("{path}.containers");
    if containers.is_empty() {
        out.push(Cause::required(&containers_path, ""));
    }
    let mut seen = HashSet::new();
    for (i, c) in containers.iter().enumerate() {
        validate_container(c, &idx(&containers_path, i), &volumes, &mut seen, out);
    }
    // Init container names must not repeat any container's name.
    let mut seen: HashSet<&str> = containers.iter().map(|c| str_of(&c["name"])).collect();
    let init_path = format!("{path}.initContainers");
    for (i, c) in items(&spec["initContainers"]).iter().enumerate() {
        validate_container(c, &idx(&init_path, i), &volumes, &mut seen, out);
    }
    one_of(
        &spec["restartPolicy"],
        &format!("{path}.restartPolicy"),
        &["Always", "OnFailure", "Never"],
        out,
    );
    one_of(
        &spec["dnsPolicy"],
        &format!("{path}.dnsPolicy"),
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        out,
    );
    validate_labels(&spec["nodeSelector"], &format!("{path}.nodeSelector"), out);
    for (field, value) in [
        ("serviceAccountName", &spec["serviceAccountName"]),
        ("nodeName", &spec["nodeName"]),
    ] {
        let v = str_of(value);
        if !v.is_empty() {
            for msg in names::is_dns1123_subdomain(v) {
                out.push(Cause::invalid(&format!("{path}.{field}"), v, &msg));
            }
        }
    }
    if let Some(ads) = spec["activeDeadlineSeconds"].as_i64()
        && !(1..=i64::from(i32::MAX)).contains(&ads)
    {
        out.push(Cause::invalid(
            &format!("{path}.activeDeadlineSeconds"),
            ads,
            "must be between 1 and 2147483647, inclusive",
        ));
    }
    for field in ["hostname", "subdomain"] {
        let v = str_of(&spec[field]);
        if !v.is_empty() {
            dns1123_label(v, &format!("{path}.{field}"), out);
        }
    }
    validate_tolerations(&spec["tolerations"], &format!("{path}.tolerations"), out);
}

/// A string enum that defaulting fills in: absent is fine, `""` is Required, anything
/// else outside `allowed` is NotSupported.
pub(crate) fn one_of(v: &Value, path: &str, allowed: &[&str], out: &mut Vec<Cause>) {
    match v.as_str() {
        None => {}
        Some("") => out.push(Cause::required(path, "")),
        Some(s) if allowed.contains(&s) => {}
        Some(s) => out.push(Cause::not_supported(path, s, allowed)),
    }
}

/// `ValidateVolumes`: returns the names that are valid mount targets.
fn validate_volumes<'a>(volumes: &'a Value, path: &str, out: &mut Vec<Cause>) -> HashSet<&'a str> {
    let mut all = HashSet::new();
    for (i, v) in items(volumes).iter().enumerate() {
        let name = str_of(&v["name"]);
        let name_path = format!("{}.name", idx(path, i));
        if name.is_empty() {
            out.push(Cause::required(&name_path, ""));
        } else {
            dns1123_label(name, &name_path, out);
        }
        if !all.insert(name) {
            out.push(Cause::duplicate(&name_path, name));
        }
    }
    all
}

fn validate_container<'a>(
    c: &'a Value,
    path: &str,
    volumes: &HashSet<&str>,
    seen: &mut HashSet<&'a str>,
    out: &mut Vec<Cause>,
) {
    let name = str_of(&c["name"]);
    let name_path = format!("{path}.name");
    if name.is_empty() {
        out.push(Cause::required(&name_path, ""));
    } else {
        dns1123_label(name, &name_path, out);
    }
    if str_of(&c["image"]).is_empty() {
        out.push(Cause::required(&format!("{path}.image"), ""));
    }
    one_of(
        &c["terminationMessagePolicy"],
        &format!("{path}.terminationMessagePolicy"),
        &["File", "FallbackToLogsOnError"],
        out,
    );
    validate_container_ports(&c["ports"], &format!("{path}.ports"), out);
    validate_env(&c["env"], &format!("{path}.env"), out);
    one_of(
        &c["imagePullPolicy"],
        &format!("{path}.imagePullPolicy"),
        &["Always", "IfNotPresent", "Never"],
        out,
    );
    if !seen.insert(name) {
        out.push(Cause::duplicate(&name_path, name));
    }
    validate_volume_mounts(
        &c["volumeMounts"],
        &format!("{path}.volumeMounts"),
        volumes,
        out,
    );
    validate_resources(&c["resources"], &format!("{path}.resources"), out);
}

fn validate_container_ports(ports: &Value, path: &str, out: &mut Vec<Cause>) {
    let mut names = HashSet::new();
    for (i, p) in items(ports).iter().enumerate() {
        let p_path = idx(path, i);
        let name = str_of(&p["name"]);
        if !name.is_empty() {
            let msgs = is_valid_port_name(name);
            let name_path = format!("{p_path}.name");
            if !msgs.is_empty() {
                for m in msgs {
                    out.push(Cause::invalid(&name_path, name, &m));
                }
            } else if !names.insert(name) {
                out.push(Cause::duplicate(&name_path, name));
            }
        }
        let port = p["containerPort"].as_i64().unwrap_or(0);
        if port == 0 {
            out.push(Cause::required(&format!("{p_path}.containerPort"), ""));
        } else {
            for m in is_valid_port_num(port) {
                out.push(Cause::invalid(&format!("{p_path}.containerPort"), port, &m));
            }
        }
        if let Some(host) = p["hostPort"].as_i64()
            && host != 0
        {
            for m in is_valid_port_num(host) {
                out.push(Cause::invalid(&format!("{p_path}.hostPort"), host, &m));
            }
        }
        one_of(
            &p["protocol"],
            &format!("{p_path}.protocol"),
            PROTOCOLS,
            out,
        );
    }
}

fn validate_env(env: &Value, path: &str, out: &mut Vec<Cause>) {
    for (i, e) in items(env).iter().enumerate() {
        let name_path = format!("{}.name", idx(path, i));
        let name = str_of(&e["name"]);
        if name.is_empty() {
            out.push(Cause::required(&name_path, ""));
        }
        for m in is_relaxed_env_var_name(name) {
            out.push(Cause::invalid(&name_path, name, &m));
        }
    }
}

fn validate_volume_mounts(
    mounts: &Value,
    path: &str,
    volumes: &HashSet<&str>,
    out: &mut Vec<Cause>,
) {
    let mut points = HashSet::new();
    for (i, m) in items(mounts).iter().enumerate() {
        let m_path = idx(path, i);
        let name = str_of(&m["name"]);
        if name.is_empty() {
            out.push(Cause::required(&format!("{m_path}.name"), ""));
        }
        if !volumes.contains(name) {
            out.push(Cause::not_found(&format!("{m_path}.name"), name));
        }
        let mount_path = str_of(&m["mountPath"]);
        if mount_path.is_empty() {
            out.push(Cause::required(&format!("{m_path}.mountPath"), ""));
        }
        if !points.insert(mount_path) {
            out.push(Cause::invalid(
                &format!("{m_path}.mountPath"),
                mount_path,
                "must be unique",
            ));
        }
    }
}

/// Native resources (no domain, or a `kubernetes.io` one) other than hugepages may be
/// overcommitted (upstream `IsOvercommitAllowed`).
fn overcommit_allowed(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    native && !name.starts_with("hugepages-")
}

fn parse_resources<'a>(
    list: &'a Value,
    path: &str,
    out: &mut Vec<Cause>,
) -> Vec<(&'a str, Option<Quantity>)> {
    let mut parsed = Vec::new();
    let mut entries: Vec<(&String, &Value)> = list
        .as_object()
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    entries.sort_by_key(|(k, _)| *k);
    for (name, v) in entries {
        let p = key(path, name);
        for m in names::is_qualified_name(name) {
            out.push(Cause::invalid(&p, name.as_str(), &m));
        }
        let raw = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let q = Quantity::parse(&raw);
        match q {
            None => out.push(Cause::invalid(&p, raw.as_str(), quantity::FORMAT_ERROR)),
            Some(q) if q.is_negative() => {
                out.push(Cause::invalid(&p, q.canonical(), super::NEGATIVE_ERROR));
            }
            Some(_) => {}
        }
        parsed.push((name.as_str(), q));
    }
    parsed
}

/// `ValidateResourceRequirements`: names, non-negative quantities, requests ≤ limits.
fn validate_resources(res: &Value, path: &str, out: &mut Vec<Cause>) {
    let lim_path = format!("{path}.limits");
    let req_path = format!("{path}.requests");
    let limits = parse_resources(&res["limits"], &lim_path, out);
    let requests = parse_resources(&res["requests"], &req_path, out);
    for (name, req) in requests {
        let limit = limits.iter().find(|(n, _)| *n == name);
        match (req, limit) {
            (Some(req), Some((_, Some(lim)))) => {
                if req != *lim && !overcommit_allowed(name) {
                    out.push(Cause::invalid(
                        &req_path,
                        req.canonical(),
                        &format!("must be equal to {name} limit of {}", lim.canonical()),
                    ));
                } else if req > *lim {
                    out.push(Cause::invalid(
                        &req_path,
                        req.canonical(),
                        &format!(
                            "must be less than or equal to {name} limit of {}",
                            lim.canonical()
                        ),
                    ));
                }
            }
            (_, None) if !overcommit_allowed(name) => out.push(Cause::required(
                &lim_path,
                "Limit must be set for non overcommitable resources",
            )),
            _ => {}
        }
    }
}

fn validate_tolerations(tolerations: &Value, path: &str, out: &mut Vec<Cause>) {
    for (i, t) in items(tolerations).iter().enumerate() {
        let t_path = idx(path, i);
        let key_ = str_of(&t["key"]);
        let op = str_of(&t["operator"]);
        let effect = str_of(&t["effect"]);
        if !key_.is_empty() {
            for m in names::is_qualified_name(key_) {
                out.push(Cause::invalid(&format!("{t_path}.key"), key_, &m));
            }
        }
        if key_.is_empty() && op != "Exists" {
            out.push(Cause::invalid(
                &format!("{t_path}.operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if !t["tolerationSeconds"].is_null() && effect != "NoExecute" {
            out.push(Cause::invalid(
                &format!("{t_path}.effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                let value = str_of(&t["value"]);
                let errs = names::is_valid_label_value(value);
                if !errs.is_empty() {
                    out.push(Cause::invalid(
                        &format!("{t_path}.operator"),
                        value,
                        &errs.join(";"),
                    ));
                }
            }
            "Exists" => {}
            other => out.push(Cause::not_supported(
                &format!("{t_path}.operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect)
        {
            out.push(Cause::not_supported(
                &format!("{t_path}.effect"),
                effect,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ));
        }
    }
}

/// `ValidatePodUpdate`'s spec rules: everything but the listed fields is immutable.
fn validate_pod_spec_update(new: &Value, old: &Value, out: &mut Vec<Cause>) {
    let ads_path = "spec.activeDeadlineSeconds";
    if let Some(old_ads) = old["activeDeadlineSeconds"].as_i64() {
        match new["activeDeadlineSeconds"].as_i64() {
            None => out.push(Cause::invalid(
                ads_path,
                crate::api::status::BadValue::Null,
                "must not update from a positive integer to nil value",
            )),
            Some(n) if n > old_ads => out.push(Cause::invalid(
                ads_path,
                n,
                "must be less than or equal to previous value",
            )),
            _ => {}
        }
    }
    for list in ["containers", "initContainers"] {
        if items(&new[list]).len() != items(&old[list]).len() {
            out.push(Cause::forbidden(
                &format!("spec.{list}"),
                "pod updates may not add or remove containers",
            ));
            return;
        }
    }
    // Munge the updatable fields back to the old values, then compare.
    let mut munged = new.clone();
    for list in ["containers", "initContainers"] {
        if let Some(cs) = munged[list].as_array_mut() {
            for (c, o) in cs.iter_mut().zip(items(&old[list])) {
                c["image"] = o["image"].clone();
            }
        }
    }
    munged["activeDeadlineSeconds"] = old["activeDeadlineSeconds"].clone();
    munged["tolerations"] = old["tolerations"].clone();
    let old_grace = old["terminationGracePeriodSeconds"].as_i64();
    let new_grace = new["terminationGracePeriodSeconds"].as_i64();
    if old_grace.is_some_and(|g| g < 0) && new_grace == Some(1) {
        munged["terminationGracePeriodSeconds"] = old["terminationGracePeriodSeconds"].clone();
    }
    // Ephemeral containers change through their own subresource.
    munged["ephemeralContainers"] = old["ephemeralContainers"].clone();
    if !same(&munged, old) {
        out.push(Cause::forbidden(
            "spec",
            &format!("pod updates may not change fields other than {UPDATABLE_POD_SPEC_FIELDS}"),
        ));
    }
    // Only additions to tolerations: every old one must still be there (seconds may change).
    let strip = |t: &Value| {
        let mut t = t.clone();
        if let Some(m) = t.as_object_mut() {
            m.remove("tolerationSeconds");
        }
        t
    };
    let new_t: Vec<Value> = items(&new["tolerations"]).iter().map(strip).collect();
    for t in items(&old["tolerations"]) {
        let t = strip(t);
        if !new_t.iter().any(|n| same(n, &t)) {
            out.push(Cause::forbidden(
                "spec.tolerations",
                "existing toleration can not be modified except its tolerationSeconds",
            ));
        }
    }
}
