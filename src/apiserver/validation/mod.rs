//! Per-kind spec validation for built-in resources, mirroring kube-apiserver v1.33
//! (`pkg/apis/{core,apps,batch,rbac,networking,policy,autoscaling,scheduling,storage,
//! node,coordination}/validation`): field paths, error types and detail texts match
//! upstream so a 422 reads the same.
//!
//! Start at [`validate`]; it dispatches on group and kind. Metadata (name, labels)
//! is checked by the strategy, not here. Objects are validated as stored JSON, after
//! whatever defaulting the caller has done: optional fields that upstream defaults
//! (`protocol`, `restartPolicy`, `dnsPolicy`, `type`, a probe's thresholds, a volume
//! file's `defaultMode`) are accepted when absent.
//!
//! A pod spec (`pod`) is shared by Pods and every pod template; its volumes, probes
//! and lifecycle hooks, security contexts and scheduling constraints have modules of
//! their own. The other groups have one module each (`rbac`, `networking`, `policy`,
//! `autoscaling`, `persistent` for PVs and claims, `quota`, `limit_range`, `cluster` for the small
//! cluster-wide kinds); `net` holds the sloppy IP/CIDR parsing legacy fields accept.

mod affinity;
mod apps;
mod autoscaling;
mod batch;
mod cluster;
mod core;
mod limit_range;
mod net;
mod networking;
mod persistent;
mod pod;
mod policy;
mod probes;
pub mod quantity;
mod quota;
mod rbac;
mod resource_names;
mod security;
mod selector;
mod volumes;

use serde_json::Value;

use crate::api::goformat::quote;
use crate::api::status::{BadValue, Cause};
use crate::api::validation as names;

/// Field-level problems with `obj` (of `group`/`kind`), in upstream's order; `old` is
/// the stored object on update. Kinds without rules here yield no causes.
pub fn validate(group: &str, kind: &str, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    match (group, kind) {
        ("", "Pod") => pod::validate_pod(obj, old),
        ("", "PodTemplate") => pod::validate_pod_template_spec(&obj["template"], "template"),
        ("", "Service") => core::validate_service(obj, old),
        ("", "ConfigMap") => core::validate_config_map(obj),
        ("", "Secret") => core::validate_secret(obj),
        ("", "Namespace") => core::validate_namespace(obj),
        ("", "PersistentVolumeClaim") => persistent::validate_persistent_volume_claim(obj, old),
        ("", "PersistentVolume") => persistent::validate_persistent_volume(obj, old),
        ("", "ReplicationController") => apps::validate_replication_controller(obj),
        ("", "ResourceQuota") => quota::validate_resource_quota(obj, old),
        ("", "LimitRange") => limit_range::validate_limit_range(obj),
        ("apps", "Deployment") => apps::validate_deployment(obj, old),
        ("apps", "ReplicaSet") => apps::validate_replica_set(obj, old),
        ("apps", "StatefulSet") => apps::validate_stateful_set(obj, old),
        ("apps", "DaemonSet") => apps::validate_daemon_set(obj, old),
        ("batch", "Job") => batch::validate_job(obj, old),
        ("batch", "CronJob") => batch::validate_cron_job(obj),
        ("rbac.authorization.k8s.io", "Role") => rbac::validate_role(obj),
        ("rbac.authorization.k8s.io", "ClusterRole") => rbac::validate_cluster_role(obj),
        ("rbac.authorization.k8s.io", "RoleBinding") => rbac::validate_role_binding(obj, old),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            rbac::validate_cluster_role_binding(obj, old)
        }
        ("networking.k8s.io", "Ingress") => networking::validate_ingress(obj, old),
        ("networking.k8s.io", "IngressClass") => networking::validate_ingress_class(obj, old),
        ("networking.k8s.io", "NetworkPolicy") => networking::validate_network_policy(obj),
        ("scheduling.k8s.io", "PriorityClass") => cluster::validate_priority_class(obj, old),
        ("storage.k8s.io", "StorageClass") => cluster::validate_storage_class(obj, old),
        ("node.k8s.io", "RuntimeClass") => cluster::validate_runtime_class(obj, old),
        ("coordination.k8s.io", "Lease") => cluster::validate_lease(obj),
        ("autoscaling", "HorizontalPodAutoscaler") => {
            autoscaling::validate_horizontal_pod_autoscaler(obj, old)
        }
        ("policy", "PodDisruptionBudget") => policy::validate_pod_disruption_budget(obj),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            crate::apiserver::crd::validate(obj, old)
        }
        _ => Vec::new(),
    }
}

/// Upstream `isNegativeErrorMsg`.
pub(crate) const NEGATIVE_ERROR: &str = "must be greater than or equal to 0";
/// Upstream `fieldImmutableErrorMsg`.
pub(crate) const IMMUTABLE_ERROR: &str = "field is immutable";
/// Upstream `validation.IsValidPortNum`'s message.
pub(crate) const PORT_RANGE_ERROR: &str = "must be between 1 and 65535, inclusive";
/// Upstream `isNotPositiveErrorMsg`.
pub(crate) const NOT_POSITIVE_ERROR: &str = "must be greater than zero";

/// Upstream `validation.InclusiveRangeError`.
pub(crate) fn inclusive_range_error(lo: i64, hi: i64) -> String {
    format!("must be between {lo} and {hi}, inclusive")
}

/// The value of a field error whose upstream value is a Go struct (printed there with
/// `%#v`, pointer fields as memory addresses): the type name with the fields elided,
/// since neither the addresses nor the internal field layout can be reproduced.
pub(crate) fn go_struct(type_name: &str) -> BadValue {
    BadValue::Raw(format!("{type_name}{{...}}"))
}

/// The value of an optional scalar field as upstream prints a pointer to it: the value
/// (strings quoted), or `null` when unset.
pub(crate) fn scalar_or_null(v: &Value) -> BadValue {
    match v {
        Value::String(s) => BadValue::Str(s.clone()),
        Value::Bool(b) => BadValue::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map_or_else(|| BadValue::Raw(n.to_string()), BadValue::Int),
        Value::Null => BadValue::Null,
        other => BadValue::Raw(other.to_string()),
    }
}

/// Upstream `validation.IsValidUserID` / `IsValidGroupID` (the same range).
pub(crate) fn is_valid_id(id: i64) -> Vec<String> {
    if (0..=i64::from(i32::MAX)).contains(&id) {
        Vec::new()
    } else {
        vec![inclusive_range_error(0, i64::from(i32::MAX))]
    }
}

/// `ValidateLabelName` (a qualified name), one `Invalid` per problem.
pub(crate) fn label_name(value: &str, path: &str, out: &mut Vec<Cause>) {
    for msg in names::is_qualified_name(value) {
        out.push(Cause::invalid(path, value, &msg));
    }
}

/// `path.Index(i)`.
pub(crate) fn idx(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// `path.Key(k)`.
pub(crate) fn key(path: &str, k: &str) -> String {
    format!("{path}[{k}]")
}

pub(crate) fn items(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

pub(crate) fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A string map (labels, data) as sorted pairs; non-string values are skipped.
pub(crate) fn string_map(v: &Value) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = v
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Go's `%#v` of a `map[string]string` (keys sorted as Go's fmt does); `None` is nil.
pub(crate) fn go_string_map(v: &Value) -> String {
    if !v.is_object() {
        return "map[string]string(nil)".to_string();
    }
    let pairs: Vec<String> = string_map(v)
        .into_iter()
        .map(|(k, v)| format!("{}:{}", quote(k), quote(v)))
        .collect();
    format!("map[string]string{{{}}}", pairs.join(", "))
}

/// `ValidateNonnegativeField` for an optional integer field.
pub(crate) fn nonnegative(v: &Value, path: &str, out: &mut Vec<Cause>) {
    if let Some(n) = v.as_i64()
        && n < 0
    {
        out.push(Cause::invalid(path, n, NEGATIVE_ERROR));
    }
}

/// `ValidateDNS1123Label`: one `Invalid` per problem.
pub(crate) fn dns1123_label(value: &str, path: &str, out: &mut Vec<Cause>) {
    for msg in names::is_dns1123_label(value) {
        out.push(Cause::invalid(path, value, &msg));
    }
}

/// `unversionedvalidation.ValidateLabels`.
pub(crate) fn validate_labels(labels: &Value, path: &str, out: &mut Vec<Cause>) {
    for (k, v) in string_map(labels) {
        for msg in names::is_qualified_name(k) {
            out.push(Cause::invalid(path, k, &msg));
        }
        for msg in names::is_valid_label_value(v) {
            out.push(Cause::invalid(path, v, &msg));
        }
    }
}

/// Upstream `IsValidPortNum`.
pub(crate) fn is_valid_port_num(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        Vec::new()
    } else {
        vec![PORT_RANGE_ERROR.to_string()]
    }
}

/// Upstream `IsValidPortName` (an IANA_SVC_NAME).
pub(crate) fn is_valid_port_name(port: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if port.len() > 15 {
        errs.push(names::max_len_error(15));
    }
    if port.is_empty()
        || !port
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !port.bytes().any(|b| b.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".into());
    }
    if port.contains("--") {
        errs.push("must not contain consecutive hyphens".into());
    }
    if port.starts_with('-') || port.ends_with('-') {
        errs.push("must not begin or end with a hyphen".into());
    }
    errs
}

/// Upstream `hasChDirPrefix`.
fn has_chdir_prefix(value: &str) -> Option<&'static str> {
    match value {
        "." => Some("must not be '.'"),
        ".." => Some("must not be '..'"),
        v if v.starts_with("..") => Some("must not start with '..'"),
        _ => None,
    }
}

/// Upstream `IsConfigMapKey` (also used for Secret keys).
pub(crate) fn is_config_map_key(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > names::DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(names::max_len_error(names::DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if value.is_empty()
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        errs.push(names::regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            "[-._a-zA-Z0-9]+",
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    errs.extend(has_chdir_prefix(value).map(String::from));
    errs
}

/// Upstream `IsEnvVarName`, the strict rule used before `RelaxedEnvironmentVariableValidation`.
pub fn is_env_var_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let mut bytes = value.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'.' | b'_'));
    if !first_ok || !bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')) {
        errs.push(names::regex_error(
            "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
            "[-._a-zA-Z][-._a-zA-Z0-9]*",
            &["my.env-name", "MY_ENV.NAME", "MyEnvName1"],
        ));
    }
    errs.extend(has_chdir_prefix(value).map(String::from));
    errs
}

/// Upstream `IsRelaxedEnvVarName`: the v1.33 default (the feature gate is beta, on).
pub fn is_relaxed_env_var_name(value: &str) -> Vec<String> {
    if value.is_empty() {
        return vec![format!(
            "environment variable name {}",
            names::empty_error()
        )];
    }
    if value.chars().any(|c| !(' '..='~').contains(&c) || c == '=') {
        return vec![
            "a valid environment variable name must consist only of printable ASCII characters other than '='"
                .to_string(),
        ];
    }
    Vec::new()
}

/// A quantity written as a string (`"500m"`) or a bare number (`2`), as the API
/// accepts both; `None` for anything else.
pub(crate) fn quantity_of(v: &Value) -> Option<quantity::Quantity> {
    match v {
        Value::String(s) => quantity::Quantity::parse(s),
        Value::Number(n) => quantity::Quantity::parse(&n.to_string()),
        _ => None,
    }
}

/// Rewrites the resource quantities of a pod spec (container resources, pod overhead
/// and resources, `emptyDir` size limits, downward-API divisors) into a form equal for
/// equal quantities, so that comparing specs with [`same`] compares quantities as
/// upstream's semantic equality does: `1` and `1000m` are the same CPU.
pub(crate) fn normalize_quantities(spec: &mut Value) {
    fn quantity(v: Option<&mut Value>) {
        let Some(v) = v else {
            return;
        };
        let q = quantity_of(v);
        if let Some(q) = q {
            *v = Value::String(q.comparable());
        }
    }
    fn list(v: Option<&mut Value>) {
        if let Some(m) = v.and_then(Value::as_object_mut) {
            m.values_mut().for_each(|q| quantity(Some(q)));
        }
    }
    fn requirements(v: Option<&mut Value>) {
        if let Some(v) = v {
            list(v.get_mut("limits"));
            list(v.get_mut("requests"));
        }
    }
    fn each(v: Option<&mut Value>, f: impl FnMut(&mut Value)) {
        if let Some(a) = v.and_then(Value::as_array_mut) {
            a.iter_mut().for_each(f);
        }
    }
    fn divisor(field_ref: Option<&mut Value>) {
        quantity(field_ref.and_then(|r| r.get_mut("divisor")));
    }
    fn files(source: Option<&mut Value>) {
        each(source.and_then(|s| s.get_mut("items")), |f| {
            divisor(f.get_mut("resourceFieldRef"));
        });
    }
    for containers in ["containers", "initContainers", "ephemeralContainers"] {
        each(spec.get_mut(containers), |c| {
            requirements(c.get_mut("resources"));
            each(c.get_mut("env"), |e| {
                divisor(
                    e.get_mut("valueFrom")
                        .and_then(|f| f.get_mut("resourceFieldRef")),
                );
            });
        });
    }
    list(spec.get_mut("overhead"));
    requirements(spec.get_mut("resources"));
    each(spec.get_mut("volumes"), |v| {
        quantity(v.get_mut("emptyDir").and_then(|e| e.get_mut("sizeLimit")));
        files(v.get_mut("downwardAPI"));
        each(
            v.get_mut("projected").and_then(|p| p.get_mut("sources")),
            |s| files(s.get_mut("downwardAPI")),
        );
    });
}

/// Rewrites a resource list's quantities into a form equal for equal quantities (see
/// [`normalize_quantities`]).
pub(crate) fn normalize_resource_list(list: &mut Value) {
    if let Some(m) = list.as_object_mut() {
        for q in m.values_mut() {
            if let Some(n) = quantity_of(q) {
                *q = Value::String(n.comparable());
            }
        }
    }
}

/// Whether two optional JSON values are equal, counting absent, `null`, `{}` and `[]`
/// as the same (Go's zero value after decoding).
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    fn empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Object(m) => m.is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => false,
        }
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.iter()
                .all(|(k, v)| same(v, y.get(k).unwrap_or(&Value::Null)))
                && y.iter()
                    .all(|(k, v)| same(v, x.get(k).unwrap_or(&Value::Null)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => a == b || (empty(a) && empty(b)),
    }
}

#[cfg(test)]
mod tests;
