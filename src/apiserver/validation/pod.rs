//! Pod, pod template and pod spec rules (upstream `ValidatePodSpec`,
//! `ValidatePodTemplateSpec`, `ValidatePodUpdate` in `pkg/apis/core/validation`).

use std::collections::HashSet;

use serde_json::Value;

use super::affinity::{validate_affinity, validate_topology_spread_constraints};
use super::probes::{Probe, validate_lifecycle, validate_probe};
use super::quantity::{self, Quantity};
use super::resource_names::overcommit_allowed;
use super::security::{validate_pod_security_context, validate_security_context};
use super::volumes::{container_resource_selector, object_field_selector, validate_volumes};
use super::{
    dns1123_label, idx, is_config_map_key, is_relaxed_env_var_name, is_valid_port_name,
    is_valid_port_num, items, key, label_name, normalize_quantities, same, str_of, validate_labels,
};
use crate::api::status::Cause;
use crate::api::validation as names;

/// Upstream `validEnvDownwardAPIFieldPathExpressions`, sorted.
const ENV_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/// What a container validation needs from its pod spec.
struct PodContext<'a> {
    volumes: HashSet<&'a str>,
    /// `terminationGracePeriodSeconds` (a sleep hook may not exceed it).
    grace: Option<i64>,
    /// `hostUsers`, true unless set false.
    host_users: bool,
}

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
    let ctx = PodContext {
        volumes: validate_volumes(&spec["volumes"], &format!("{path}.volumes"), out),
        grace: spec["terminationGracePeriodSeconds"].as_i64(),
        host_users: spec["hostUsers"] != false,
    };
    let containers = items(&spec["containers"]);
    let containers_path = format!("{path}.containers");
    if containers.is_empty() {
        out.push(Cause::required(&containers_path, ""));
    }
    let mut seen = HashSet::new();
    for (i, c) in containers.iter().enumerate() {
        let c_path = idx(&containers_path, i);
        validate_container(c, &c_path, &ctx, out);
        let name = str_of(&c["name"]);
        if !seen.insert(name) {
            out.push(Cause::duplicate(&format!("{c_path}.name"), name));
        }
        // Allowed for regular containers (and sidecars), forbidden for init containers.
        container_hooks(c, &c_path, &ctx, out);
        if !c["restartPolicy"].is_null() {
            out.push(Cause::forbidden(
                &format!("{c_path}.restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    // Host ports may not repeat across the containers, which run together.
    host_port_conflicts(containers, &containers_path, out);
    // Init container names must not repeat any container's name.
    let mut seen: HashSet<&str> = containers.iter().map(|c| str_of(&c["name"])).collect();
    let init_path = format!("{path}.initContainers");
    for (i, c) in items(&spec["initContainers"]).iter().enumerate() {
        let c_path = idx(&init_path, i);
        validate_container(c, &c_path, &ctx, out);
        let mut restart_always = false;
        if let Some(policy) = c["restartPolicy"].as_str() {
            restart_always = policy == "Always";
            if !restart_always {
                out.push(Cause::not_supported(
                    &format!("{c_path}.restartPolicy"),
                    policy,
                    &["Always"],
                ));
            }
        }
        let name = str_of(&c["name"]);
        if seen.contains(name) {
            out.push(Cause::duplicate(&format!("{c_path}.name"), name));
        } else if !name.is_empty() {
            seen.insert(name);
        }
        // Init containers run one by one: each is checked alone (and, as upstream
        // does, reported as the list's first).
        host_port_conflicts(std::slice::from_ref(c), &init_path, out);
        if restart_always {
            container_hooks(c, &c_path, &ctx, out);
        } else {
            for field in [
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ] {
                if !c[field].is_null() {
                    out.push(Cause::forbidden(
                        &format!("{c_path}.{field}"),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    host_network_ports(spec, &containers_path, out);
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
    validate_pod_security_context(spec, path, out);
    validate_affinity(&spec["affinity"], &format!("{path}.affinity"), out);
    let gates_path = format!("{path}.readinessGates");
    for (i, gate) in items(&spec["readinessGates"]).iter().enumerate() {
        let condition = str_of(&gate["conditionType"]);
        label_name(
            condition,
            &format!("{}.conditionType", idx(&gates_path, i)),
            out,
        );
    }
    let gates_path = format!("{path}.schedulingGates");
    let mut gates = HashSet::new();
    for (i, gate) in items(&spec["schedulingGates"]).iter().enumerate() {
        let name = str_of(&gate["name"]);
        let gate_path = idx(&gates_path, i);
        label_name(name, &gate_path, out);
        if !gates.insert(name) {
            out.push(Cause::duplicate(&gate_path, name));
        }
    }
    validate_topology_spread_constraints(
        &spec["topologySpreadConstraints"],
        &format!("{path}.topologySpreadConstraints"),
        out,
    );
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

/// `checkHostPortConflicts`: a `protocol/hostIP/hostPort` used twice in `containers`.
fn host_port_conflicts(containers: &[Value], path: &str, out: &mut Vec<Cause>) {
    let mut used = HashSet::new();
    for (ci, c) in containers.iter().enumerate() {
        let ports_path = format!("{}.ports", idx(path, ci));
        for (pi, p) in items(&c["ports"]).iter().enumerate() {
            let port = p["hostPort"].as_i64().unwrap_or(0);
            if port == 0 {
                continue;
            }
            let key_ = format!("{}/{}/{port}", str_of(&p["protocol"]), str_of(&p["hostIP"]));
            if used.contains(&key_) {
                out.push(Cause::duplicate(
                    &format!("{}.hostPort", idx(&ports_path, pi)),
                    key_,
                ));
            } else {
                used.insert(key_);
            }
        }
    }
}

/// `validatePodHostNetworkDeps`: with `hostNetwork`, a container's host port (when
/// set; defaulting fills it in) must be its container port.
fn host_network_ports(spec: &Value, path: &str, out: &mut Vec<Cause>) {
    if spec["hostNetwork"] != true {
        return;
    }
    for (ci, c) in items(&spec["containers"]).iter().enumerate() {
        let ports_path = format!("{}.ports", idx(path, ci));
        for (pi, p) in items(&c["ports"]).iter().enumerate() {
            let host = p["hostPort"].as_i64().unwrap_or(0);
            if host != 0 && host != p["containerPort"].as_i64().unwrap_or(0) {
                out.push(Cause::invalid(
                    &format!("{}.hostPort", idx(&ports_path, pi)),
                    host,
                    "must match `containerPort` when `hostNetwork` is true",
                ));
            }
        }
    }
}

/// The lifecycle hooks and probes of a container that may have them.
fn container_hooks(c: &Value, path: &str, ctx: &PodContext, out: &mut Vec<Cause>) {
    let lifecycle = &c["lifecycle"];
    if !lifecycle.is_null() {
        validate_lifecycle(lifecycle, ctx.grace, &format!("{path}.lifecycle"), out);
    }
    for (kind, field) in Probe::ALL {
        let probe = &c[field];
        if !probe.is_null() {
            validate_probe(probe, kind, ctx.grace, &format!("{path}.{field}"), out);
        }
    }
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

/// `validateContainerCommon`: what every kind of container must satisfy.
fn validate_container(c: &Value, path: &str, ctx: &PodContext, out: &mut Vec<Cause>) {
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
    validate_env_from(&c["envFrom"], &format!("{path}.envFrom"), out);
    validate_volume_mounts(
        &c["volumeMounts"],
        &format!("{path}.volumeMounts"),
        &ctx.volumes,
        out,
    );
    one_of(
        &c["imagePullPolicy"],
        &format!("{path}.imagePullPolicy"),
        &["Always", "IfNotPresent", "Never"],
        out,
    );
    validate_resources(&c["resources"], &format!("{path}.resources"), out);
    validate_security_context(
        &c["securityContext"],
        &format!("{path}.securityContext"),
        ctx.host_users,
        out,
    );
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

/// `ValidateEnv`: names (the relaxed rule) and `valueFrom`.
fn validate_env(env: &Value, path: &str, out: &mut Vec<Cause>) {
    for (i, e) in items(env).iter().enumerate() {
        let e_path = idx(path, i);
        let name_path = format!("{e_path}.name");
        let name = str_of(&e["name"]);
        if name.is_empty() {
            out.push(Cause::required(&name_path, ""));
        } else {
            for m in is_relaxed_env_var_name(name) {
                out.push(Cause::invalid(&name_path, name, &m));
            }
        }
        validate_env_value_from(e, &format!("{e_path}.valueFrom"), out);
    }
}

/// `validateEnvVarValueFrom`: exactly one source, and no `value` beside it.
fn validate_env_value_from(e: &Value, path: &str, out: &mut Vec<Cause>) {
    let from = &e["valueFrom"];
    if from.is_null() {
        return;
    }
    let mut count = 0;
    if !from["fieldRef"].is_null() {
        count += 1;
        object_field_selector(
            &from["fieldRef"],
            ENV_FIELD_PATHS,
            &format!("{path}.fieldRef"),
            out,
        );
    }
    if !from["resourceFieldRef"].is_null() {
        count += 1;
        container_resource_selector(
            &from["resourceFieldRef"],
            &format!("{path}.resourceFieldRef"),
            false,
            out,
        );
    }
    for field in ["configMapKeyRef", "secretKeyRef"] {
        let selector = &from[field];
        if selector.is_null() {
            continue;
        }
        count += 1;
        let p = format!("{path}.{field}");
        let name = str_of(&selector["name"]);
        for msg in names::is_dns1123_subdomain(name) {
            out.push(Cause::invalid(&format!("{p}.name"), name, &msg));
        }
        let key_ = str_of(&selector["key"]);
        let key_path = format!("{p}.key");
        if key_.is_empty() {
            out.push(Cause::required(&key_path, ""));
        } else {
            for msg in is_config_map_key(key_) {
                out.push(Cause::invalid(&key_path, key_, &msg));
            }
        }
    }
    if count == 0 {
        out.push(Cause::invalid(
            path,
            "",
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        ));
    } else if !str_of(&e["value"]).is_empty() {
        out.push(Cause::invalid(
            path,
            "",
            "may not be specified when `value` is not empty",
        ));
    } else if count > 1 {
        out.push(Cause::invalid(
            path,
            "",
            "may not have more than one field specified at a time",
        ));
    }
}

/// `ValidateEnvFrom`: a valid prefix and exactly one of `configMapRef`, `secretRef`.
fn validate_env_from(list: &Value, path: &str, out: &mut Vec<Cause>) {
    for (i, e) in items(list).iter().enumerate() {
        let e_path = idx(path, i);
        let prefix = str_of(&e["prefix"]);
        if !prefix.is_empty() {
            for m in is_relaxed_env_var_name(prefix) {
                out.push(Cause::invalid(&format!("{e_path}.prefix"), prefix, &m));
            }
        }
        let mut count = 0;
        for field in ["configMapRef", "secretRef"] {
            let source = &e[field];
            if source.is_null() {
                continue;
            }
            count += 1;
            let name_path = format!("{e_path}.{field}.name");
            let name = str_of(&source["name"]);
            if name.is_empty() {
                out.push(Cause::required(&name_path, ""));
            } else {
                // Validated as a name prefix: a trailing dash is allowed.
                let masked = match name.strip_suffix('-') {
                    Some(rest) => format!("{rest}a"),
                    None => name.to_string(),
                };
                for msg in names::is_dns1123_subdomain(&masked) {
                    out.push(Cause::invalid(&name_path, name, &msg));
                }
            }
        }
        // Upstream reports these at the list's path, unindexed.
        if count == 0 {
            out.push(Cause::invalid(
                path,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            ));
        } else if count > 1 {
            out.push(Cause::invalid(
                path,
                "",
                "may not have more than one field specified at a time",
            ));
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
    // Quantities compare by value (`1` is `1000m`), as upstream's semantic equality.
    let mut old_normal = old.clone();
    normalize_quantities(&mut munged);
    normalize_quantities(&mut old_normal);
    if !same(&munged, &old_normal) {
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
