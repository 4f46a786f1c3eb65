//! Ingress, IngressClass and NetworkPolicy rules (upstream
//! `pkg/apis/networking/validation`): ingress hosts, paths and backends, TLS hosts;
//! the ingress class's controller and parameters; network policy ports, peers,
//! `ipBlock` CIDRs and policy types.

use serde_json::Value;

use super::net::{contains, legacy_cidr, parse_cidr_sloppy, parse_ip_sloppy};
use super::rbac::path_segment_name;
use super::{IMMUTABLE_ERROR, idx, is_valid_port_name, is_valid_port_num, items, selector, str_of};
use crate::api::goformat::quote;
use crate::api::status::{BadValue, Cause};
use crate::api::validation as names;

const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
const MAX_CONTROLLER_LEN: usize = 250;
const INVALID_PATH_SEQUENCES: &[&str] = &["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES: &[&str] = &["/..", "/."];

/// Upstream `IsWildcardDNS1123Subdomain`.
pub(crate) fn is_wildcard_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > names::DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(names::max_len_error(names::DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    // The regex alone: the length is checked above, for the whole value.
    let too_long = names::max_len_error(names::DNS1123_SUBDOMAIN_MAX_LENGTH);
    let ok = value.strip_prefix("*.").is_some_and(|rest| {
        names::is_dns1123_subdomain(rest)
            .iter()
            .all(|e| *e == too_long)
    });
    if !ok {
        errs.push(names::regex_error(
            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
            r"\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
            &["*.example.com"],
        ));
    }
    errs
}

/// A host that is a wildcard or plain DNS-1123 subdomain.
fn host_name(host: &str, path: &str, out: &mut Vec<Cause>) {
    let errs = if host.contains('*') {
        is_wildcard_dns1123_subdomain(host)
    } else {
        names::is_dns1123_subdomain(host)
    };
    for msg in errs {
        out.push(Cause::invalid(path, host, &msg));
    }
}

/// Upstream `IngressValidationOptions`, relaxed on update for stored bad data.
#[derive(Default, Clone, Copy)]
struct IngressOpts {
    allow_invalid_secret_name: bool,
    allow_invalid_wildcard_host_rule: bool,
}

pub(crate) fn validate_ingress(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let opts = old.map_or_else(IngressOpts::default, |old| IngressOpts {
        allow_invalid_secret_name: items(&old["spec"]["tls"])
            .iter()
            .any(|t| !tls_secret_name(str_of(&t["secretName"])).is_empty()),
        allow_invalid_wildcard_host_rule: items(&old["spec"]["rules"]).iter().any(|r| {
            let mut errs = Vec::new();
            str_of(&r["host"]).contains('*') && {
                rule_value(r, "", IngressOpts::default(), &mut errs);
                !errs.is_empty()
            }
        }),
    });
    ingress_spec(&obj["spec"], opts, &mut out);
    if old.is_none() {
        let annotation = &obj["metadata"]["annotations"][INGRESS_CLASS_ANNOTATION];
        let class = &obj["spec"]["ingressClassName"];
        if let (Some(a), Some(c)) = (annotation.as_str(), class.as_str())
            && a != c
        {
            out.push(Cause::invalid(
                &format!("annotations.{INGRESS_CLASS_ANNOTATION}"),
                a,
                "must match `ingressClassName` when both are specified",
            ));
        }
    }
    out
}

fn tls_secret_name(name: &str) -> Vec<String> {
    if name.is_empty() {
        Vec::new()
    } else {
        names::is_dns1123_subdomain(name)
    }
}

fn ingress_spec(spec: &Value, opts: IngressOpts, out: &mut Vec<Cause>) {
    let rules = items(&spec["rules"]);
    let default_backend = &spec["defaultBackend"];
    if rules.is_empty() && !default_backend.is_object() {
        let value = if spec["rules"].is_array() {
            "[]networking.IngressRule{}"
        } else {
            "[]networking.IngressRule(nil)"
        };
        out.push(Cause::invalid(
            "spec",
            BadValue::Raw(value.into()),
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if default_backend.is_object() {
        backend(default_backend, "spec.defaultBackend", out);
    }
    for (i, rule) in rules.iter().enumerate() {
        let p = idx("spec.rules", i);
        let host = str_of(&rule["host"]);
        let host_path = format!("{p}.host");
        if !host.is_empty() {
            if parse_ip_sloppy(host).is_some() {
                out.push(Cause::invalid(
                    &host_path,
                    host,
                    "must be a DNS name, not an IP address",
                ));
            }
            host_name(host, &host_path, out);
        }
        if !host.contains('*') || !opts.allow_invalid_wildcard_host_rule {
            rule_value(rule, &p, opts, out);
        }
    }
    for (t, tls) in items(&spec["tls"]).iter().enumerate() {
        let p = idx("spec.tls", t);
        for (i, host) in items(&tls["hosts"]).iter().enumerate() {
            host_name(str_of(host), &idx(&format!("{p}.hosts"), i), out);
        }
        if !opts.allow_invalid_secret_name {
            let name = str_of(&tls["secretName"]);
            for msg in tls_secret_name(name) {
                out.push(Cause::invalid(&format!("{p}.secretName"), name, &msg));
            }
        }
    }
    if let Some(class) = spec["ingressClassName"].as_str() {
        for msg in names::is_dns1123_subdomain(class) {
            out.push(Cause::invalid("spec.ingressClassName", class, &msg));
        }
    }
}

/// `validateIngressRuleValue`: the rule's `http` paths.
fn rule_value(rule: &Value, path: &str, _opts: IngressOpts, out: &mut Vec<Cause>) {
    let http = &rule["http"];
    if !http.is_object() {
        return;
    }
    let http_path = format!("{path}.http");
    let paths = items(&http["paths"]);
    if paths.is_empty() {
        out.push(Cause::required(&format!("{http_path}.paths"), ""));
    }
    for (i, p) in paths.iter().enumerate() {
        http_ingress_path(p, &idx(&format!("{http_path}.paths"), i), out);
    }
}

fn http_ingress_path(p: &Value, path: &str, out: &mut Vec<Cause>) {
    let Some(path_type) = p["pathType"].as_str() else {
        out.push(Cause::required(
            &format!("{path}.pathType"),
            "pathType must be specified",
        ));
        return;
    };
    let value = str_of(&p["path"]);
    let value_path = format!("{path}.path");
    match path_type {
        "Exact" | "Prefix" => {
            if !value.starts_with('/') {
                out.push(Cause::invalid(
                    &value_path,
                    value,
                    "must be an absolute path",
                ));
            }
            for seq in INVALID_PATH_SEQUENCES {
                if value.contains(seq) {
                    out.push(Cause::invalid(
                        &value_path,
                        value,
                        &format!("must not contain '{seq}'"),
                    ));
                }
            }
            for suffix in INVALID_PATH_SUFFIXES {
                if value.ends_with(suffix) {
                    out.push(Cause::invalid(
                        &value_path,
                        value,
                        &format!("cannot end with '{suffix}'"),
                    ));
                }
            }
        }
        "ImplementationSpecific" => {
            if !value.is_empty() && !value.starts_with('/') {
                out.push(Cause::invalid(
                    &value_path,
                    value,
                    "must be an absolute path",
                ));
            }
        }
        other => out.push(Cause::not_supported(
            &format!("{path}.pathType"),
            other,
            &["Exact", "ImplementationSpecific", "Prefix"],
        )),
    }
    backend(&p["backend"], &format!("{path}.backend"), out);
}

/// `validateIngressBackend`: a service (name and port name XOR number) or a resource.
fn backend(b: &Value, path: &str, out: &mut Vec<Cause>) {
    let (resource, service) = (&b["resource"], &b["service"]);
    match (resource.is_object(), service.is_object()) {
        (true, true) => out.push(Cause::invalid(
            path,
            "",
            "cannot set both resource and service backends",
        )),
        (true, false) => typed_local_object_reference(resource, &format!("{path}.resource"), out),
        (false, true) => {
            let name = str_of(&service["name"]);
            let name_path = format!("{path}.service.name");
            if name.is_empty() {
                out.push(Cause::required(&name_path, ""));
            } else {
                for msg in names::is_dns1035_label(name) {
                    out.push(Cause::invalid(&name_path, name, &msg));
                }
            }
            let port = &service["port"];
            let port_name = str_of(&port["name"]);
            let number = port["number"].as_i64().unwrap_or(0);
            match (port_name.is_empty(), number == 0) {
                (false, false) => out.push(Cause::invalid(
                    path,
                    "",
                    "cannot set both port name & port number",
                )),
                (false, true) => {
                    for msg in is_valid_port_name(port_name) {
                        out.push(Cause::invalid(
                            &format!("{path}.service.port.name"),
                            port_name,
                            &msg,
                        ));
                    }
                }
                (true, false) => {
                    for msg in is_valid_port_num(number) {
                        out.push(Cause::invalid(
                            &format!("{path}.service.port.number"),
                            number,
                            &msg,
                        ));
                    }
                }
                (true, true) => out.push(Cause::required(path, "port name or number is required")),
            }
        }
        (false, false) => out.push(Cause::invalid(
            path,
            "",
            "resource or service backend is required",
        )),
    }
}

/// `apiGroup` (optional), `kind` and `name` of a local object reference.
fn typed_local_object_reference(r: &Value, path: &str, out: &mut Vec<Cause>) {
    if let Some(group) = r["apiGroup"].as_str() {
        for msg in names::is_dns1123_subdomain(group) {
            out.push(Cause::invalid(&format!("{path}.apiGroup"), group, &msg));
        }
    }
    for field in ["kind", "name"] {
        let v = str_of(&r[field]);
        let p = format!("{path}.{field}");
        if v.is_empty() {
            out.push(Cause::required(&p, ""));
        } else {
            for msg in path_segment_name(v) {
                out.push(Cause::invalid(&p, v, &msg));
            }
        }
    }
}

/// Upstream `IsDomainPrefixedPath`.
fn domain_prefixed_path(value: &str, path: &str, out: &mut Vec<Cause>) {
    if value.is_empty() {
        out.push(Cause::required(path, ""));
        return;
    }
    let Some((host, rest)) = value
        .split_once('/')
        .filter(|(h, r)| !h.is_empty() && !r.is_empty())
    else {
        out.push(Cause::invalid(
            path,
            value,
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        ));
        return;
    };
    for msg in names::is_dns1123_subdomain(host) {
        out.push(Cause::invalid(path, host, &msg));
    }
    let http_path_char = |b: u8| b.is_ascii_alphanumeric() || b"/-._~%!$&'()*+,;=:".contains(&b);
    if !rest.bytes().all(http_path_char) {
        out.push(Cause::invalid(
            path,
            rest,
            &names::regex_error("Invalid path", r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+", &[]),
        ));
    }
}

pub(crate) fn validate_ingress_class(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    let controller = str_of(&spec["controller"]);
    if let Some(old) = old
        && controller != str_of(&old["spec"]["controller"])
    {
        out.push(Cause::invalid(
            "spec.controller",
            controller,
            IMMUTABLE_ERROR,
        ));
    }
    if controller.is_empty() {
        out.push(Cause::required("spec.controller", ""));
    } else {
        if controller.len() > MAX_CONTROLLER_LEN {
            out.push(Cause::too_long("spec.controller", MAX_CONTROLLER_LEN));
        }
        domain_prefixed_path(controller, "spec.controller", &mut out);
    }
    let params = &spec["parameters"];
    if params.is_object() {
        class_parameters(params, "spec.parameters", &mut out);
    }
    out
}

/// `validateIngressClassParametersReference`.
fn class_parameters(p: &Value, path: &str, out: &mut Vec<Cause>) {
    if let Some(group) = p["apiGroup"].as_str() {
        for msg in names::is_dns1123_subdomain(group) {
            out.push(Cause::invalid(&format!("{path}.apiGroup"), group, &msg));
        }
    }
    for field in ["kind", "name"] {
        let v = str_of(&p[field]);
        let fp = format!("{path}.{field}");
        if v.is_empty() {
            out.push(Cause::required(&fp, ""));
        } else {
            for msg in path_segment_name(v) {
                out.push(Cause::invalid(&fp, v, &msg));
            }
        }
    }
    let Some(scope) = p["scope"].as_str() else {
        out.push(Cause::required(&format!("{path}.scope"), ""));
        return;
    };
    let ns_path = format!("{path}.namespace");
    match scope {
        "Namespace" => match p["namespace"].as_str() {
            None => out.push(Cause::required(
                &ns_path,
                "`parameters.scope` is set to 'Namespace'",
            )),
            Some(ns) => {
                for msg in names::is_dns1123_label(ns) {
                    out.push(Cause::invalid(&ns_path, ns, &msg));
                }
            }
        },
        "Cluster" => {
            if !p["namespace"].is_null() {
                out.push(Cause::forbidden(
                    &ns_path,
                    "`parameters.scope` is set to 'Cluster'",
                ));
            }
        }
        other => out.push(Cause::not_supported(
            &format!("{path}.scope"),
            other,
            &["Cluster", "Namespace"],
        )),
    }
}

pub(crate) fn validate_network_policy(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    selector::validate(&spec["podSelector"], "spec.podSelector", &mut out);
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in items(&spec[dir]).iter().enumerate() {
            let rule_path = idx(&format!("spec.{dir}"), i);
            for (j, port) in items(&rule["ports"]).iter().enumerate() {
                policy_port(port, &idx(&format!("{rule_path}.ports"), j), &mut out);
            }
            for (j, peer) in items(&rule[peers]).iter().enumerate() {
                policy_peer(peer, &idx(&format!("{rule_path}.{peers}"), j), &mut out);
            }
        }
    }
    let types = items(&spec["policyTypes"]);
    if types.len() > 2 {
        let listed: Vec<String> = types.iter().map(|t| quote(str_of(t))).collect();
        out.push(Cause::invalid(
            "spec.policyTypes",
            BadValue::Raw(format!("[]networking.PolicyType{{{}}}", listed.join(", "))),
            "may not specify more than two policyTypes",
        ));
        return out;
    }
    for (i, t) in types.iter().enumerate() {
        let t = str_of(t);
        if t != "Ingress" && t != "Egress" {
            out.push(Cause::not_supported(
                &idx("spec.policyTypes", i),
                t,
                &["Ingress", "Egress"],
            ));
        }
    }
    out
}

/// `ValidateNetworkPolicyPort`.
fn policy_port(port: &Value, path: &str, out: &mut Vec<Cause>) {
    if let Some(proto) = port["protocol"].as_str()
        && !["TCP", "UDP", "SCTP"].contains(&proto)
    {
        out.push(Cause::not_supported(
            &format!("{path}.protocol"),
            proto,
            &["TCP", "UDP", "SCTP"],
        ));
    }
    let end_path = format!("{path}.endPort");
    let end = port["endPort"].as_i64();
    match &port["port"] {
        Value::Number(n) => {
            let n = n.as_i64().unwrap_or(0);
            for msg in is_valid_port_num(n) {
                out.push(Cause::invalid(&format!("{path}.port"), n, &msg));
            }
            if let Some(end) = end {
                if end < n {
                    out.push(Cause::invalid(
                        &end_path,
                        end,
                        "must be greater than or equal to `port`",
                    ));
                }
                for msg in is_valid_port_num(end) {
                    out.push(Cause::invalid(&end_path, end, &msg));
                }
            }
        }
        Value::String(s) => {
            if let Some(end) = end {
                out.push(Cause::invalid(
                    &end_path,
                    end,
                    "may not be specified when `port` is non-numeric",
                ));
            }
            for msg in is_valid_port_name(s) {
                out.push(Cause::invalid(&format!("{path}.port"), s.as_str(), &msg));
            }
        }
        _ => {
            if let Some(end) = end {
                out.push(Cause::invalid(
                    &end_path,
                    end,
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
}

/// `ValidateNetworkPolicyPeer`: exactly one kind of peer, or pod and namespace
/// selectors together.
fn policy_peer(peer: &Value, path: &str, out: &mut Vec<Cause>) {
    let mut count = 0;
    for sel in ["podSelector", "namespaceSelector"] {
        if peer[sel].is_object() {
            count += 1;
            selector::validate(&peer[sel], &format!("{path}.{sel}"), out);
        }
    }
    let ip_block = &peer["ipBlock"];
    if ip_block.is_object() {
        count += 1;
        validate_ip_block(ip_block, &format!("{path}.ipBlock"), out);
    }
    if count == 0 {
        out.push(Cause::required(path, "must specify a peer"));
    } else if count > 1 && ip_block.is_object() {
        out.push(Cause::forbidden(
            path,
            "may not specify both ipBlock and another peer",
        ));
    }
}

/// `ValidateIPBlock`: a CIDR, and `except` CIDRs strictly inside it.
fn validate_ip_block(b: &Value, path: &str, out: &mut Vec<Cause>) {
    let cidr = str_of(&b["cidr"]);
    let cidr_path = format!("{path}.cidr");
    if cidr.is_empty() {
        out.push(Cause::required(&cidr_path, ""));
        return;
    }
    legacy_cidr(cidr, &cidr_path, out);
    let Some(net) = parse_cidr_sloppy(cidr) else {
        return;
    };
    for (i, except) in items(&b["except"]).iter().enumerate() {
        let except = str_of(except);
        let p = idx(&format!("{path}.except"), i);
        legacy_cidr(except, &p, out);
        let Some(inner) = parse_cidr_sloppy(except) else {
            continue;
        };
        if !contains(net, inner.0) || net.1 >= inner.1 {
            out.push(Cause::invalid(
                &p,
                except,
                "must be a strict subset of `cidr`",
            ));
        }
    }
}
