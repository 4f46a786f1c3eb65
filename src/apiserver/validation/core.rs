//! Service, ConfigMap, Secret and Namespace rules (upstream `ValidateService`,
//! `ValidateConfigMap`, `ValidateSecret`, `ValidateNamespace`).

use std::collections::HashSet;

use base64::Engine as _;
use serde_json::Value;

use super::pod::one_of;
use super::{
    dns1123_label, idx, is_config_map_key, is_valid_port_name, is_valid_port_num, items, key,
    str_of, validate_labels,
};
use crate::api::status::Cause;
use crate::api::validation as names;

/// Upstream `core.MaxSecretSize`, also the ConfigMap limit.
pub(crate) const MAX_SECRET_SIZE: usize = 1024 * 1024;

const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

pub(crate) fn validate_service(obj: &Value, _old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    let ty = spec["type"].as_str().unwrap_or("ClusterIP");
    let headless = str_of(&spec["clusterIP"]) == "None";
    let ports = items(&spec["ports"]);
    if ports.is_empty() && !headless && ty != "ExternalName" {
        out.push(Cause::required("spec.ports", ""));
    }
    if ty == "ExternalName" {
        let name = str_of(&spec["externalName"]);
        if name.is_empty() {
            out.push(Cause::required("spec.externalName", ""));
        } else {
            for msg in names::is_dns1123_subdomain(name.strip_suffix('.').unwrap_or(name)) {
                out.push(Cause::invalid("spec.externalName", name, &msg));
            }
        }
    }
    let mut port_names = HashSet::new();
    for (i, p) in ports.iter().enumerate() {
        validate_service_port(
            p,
            ports.len() > 1,
            &mut port_names,
            &idx("spec.ports", i),
            &mut out,
        );
    }
    validate_labels(&spec["selector"], "spec.selector", &mut out);
    one_of(
        &spec["sessionAffinity"],
        "spec.sessionAffinity",
        &["ClientIP", "None"],
        &mut out,
    );
    one_of(&spec["type"], "spec.type", SERVICE_TYPES, &mut out);
    if ty == "ClusterIP" {
        for (i, p) in ports.iter().enumerate() {
            if p["nodePort"].as_i64().is_some_and(|n| n != 0) {
                out.push(Cause::forbidden(
                    &format!("{}.nodePort", idx("spec.ports", i)),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    out
}

fn validate_service_port<'a>(
    p: &'a Value,
    require_name: bool,
    names_seen: &mut HashSet<&'a str>,
    path: &str,
    out: &mut Vec<Cause>,
) {
    let name = str_of(&p["name"]);
    let name_path = format!("{path}.name");
    if require_name && name.is_empty() {
        out.push(Cause::required(&name_path, ""));
    } else if !name.is_empty() {
        dns1123_label(name, &name_path, out);
        if !names_seen.insert(name) {
            out.push(Cause::duplicate(&name_path, name));
        }
    }
    let port = p["port"].as_i64().unwrap_or(0);
    for m in is_valid_port_num(port) {
        out.push(Cause::invalid(&format!("{path}.port"), port, &m));
    }
    one_of(
        &p["protocol"],
        &format!("{path}.protocol"),
        &["SCTP", "TCP", "UDP"],
        out,
    );
    let target_path = format!("{path}.targetPort");
    match &p["targetPort"] {
        // Absent or 0 is defaulted to `port`.
        Value::Number(n) if n.as_i64() != Some(0) => {
            let n = n.as_i64().unwrap_or(-1);
            for m in is_valid_port_num(n) {
                out.push(Cause::invalid(&target_path, n, &m));
            }
        }
        Value::String(s) => {
            for m in is_valid_port_name(s) {
                out.push(Cause::invalid(&target_path, s.as_str(), &m));
            }
        }
        _ => {}
    }
}

fn sorted_keys(v: &Value) -> Vec<(&str, &Value)> {
    let mut keys: Vec<(&str, &Value)> = v
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default();
    keys.sort_by_key(|(k, _)| *k);
    keys
}

/// The decoded length of a base64 `[]byte` field (its string length if not base64).
fn byte_len(v: &Value) -> usize {
    let s = str_of(v);
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_or(s.len(), |b| b.len())
}

pub(crate) fn validate_config_map(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let mut total = 0;
    for (bag, other, other_name) in [
        ("data", "binaryData", "binaryData"),
        ("binaryData", "data", "data"),
    ] {
        for (k, v) in sorted_keys(&obj[bag]) {
            let p = key(bag, k);
            for m in is_config_map_key(k) {
                out.push(Cause::invalid(&p, k, &m));
            }
            if obj[other].get(k).is_some() {
                out.push(Cause::invalid(
                    &p,
                    k,
                    &format!("duplicate of key present in {other_name}"),
                ));
            }
            total += if bag == "data" {
                str_of(v).len()
            } else {
                byte_len(v)
            };
        }
    }
    if total > MAX_SECRET_SIZE {
        // Upstream passes an empty path: the error is about the whole object.
        out.push(Cause::too_long("", MAX_SECRET_SIZE));
    }
    out
}

pub(crate) fn validate_secret(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    // `stringData` is merged into `data` before validation upstream.
    let mut data: Vec<(&str, usize)> = sorted_keys(&obj["data"])
        .into_iter()
        .map(|(k, v)| (k, byte_len(v)))
        .collect();
    for (k, v) in sorted_keys(&obj["stringData"]) {
        data.retain(|(d, _)| *d != k);
        data.push((k, str_of(v).len()));
    }
    data.sort();
    let mut total = 0;
    for (k, len) in &data {
        for m in is_config_map_key(k) {
            out.push(Cause::invalid(&key("data", k), *k, &m));
        }
        total += len;
    }
    if total > MAX_SECRET_SIZE {
        out.push(Cause::too_long("data", MAX_SECRET_SIZE));
    }
    let has = |k: &str| data.iter().any(|(d, _)| *d == k);
    let content = |k: &str| -> Option<Vec<u8>> {
        if let Some(s) = obj["stringData"].get(k).and_then(Value::as_str) {
            return Some(s.as_bytes().to_vec());
        }
        obj["data"].get(k).and_then(Value::as_str).map(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .unwrap_or_default()
        })
    };
    match str_of(&obj["type"]) {
        "kubernetes.io/service-account-token" => {
            let name = &obj["metadata"]["annotations"]["kubernetes.io/service-account.name"];
            if str_of(name).is_empty() {
                out.push(Cause::required(
                    "metadata.annotations[kubernetes.io/service-account.name]",
                    "",
                ));
            }
        }
        ty @ ("kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson") => {
            let k = if ty == "kubernetes.io/dockercfg" {
                ".dockercfg"
            } else {
                ".dockerconfigjson"
            };
            match content(k) {
                None => out.push(Cause::required(&key("data", k), "")),
                Some(bytes) => {
                    if let Err(e) = serde_json::from_slice::<serde_json::Map<String, Value>>(&bytes)
                    {
                        out.push(Cause::invalid(
                            &key("data", k),
                            "<secret contents redacted>",
                            &go_json_error(&e),
                        ));
                    }
                }
            }
        }
        // Username or password may be empty, but one of them must be present.
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            out.push(Cause::required("data[username]", ""));
            out.push(Cause::required("data[password]", ""));
        }
        "kubernetes.io/ssh-auth" if content("ssh-privatekey").is_none_or(|b| b.is_empty()) => {
            out.push(Cause::required("data[ssh-privatekey]", ""));
        }
        "kubernetes.io/tls" => {
            for k in ["tls.crt", "tls.key"] {
                if !has(k) {
                    out.push(Cause::required(&key("data", k), ""));
                }
            }
        }
        _ => {}
    }
    out
}

/// An approximation of Go's `encoding/json` error text for the common cases.
fn go_json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        "unexpected end of JSON input".to_string()
    } else if e.is_data() {
        "json: cannot unmarshal value into Go value of type map[string]interface {}".to_string()
    } else {
        format!("invalid character looking for beginning of value ({e})")
    }
}

pub(crate) fn validate_namespace(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    for f in items(&obj["spec"]["finalizers"]) {
        let name = str_of(f);
        for m in names::is_qualified_name(name) {
            out.push(Cause::invalid("spec.finalizers", name, &m));
        }
        let standard = ["kubernetes", "orphan", "foregroundDeletion"].contains(&name);
        if !name.contains('/') && !standard {
            out.push(Cause::invalid(
                "spec.finalizers",
                name,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    out
}
