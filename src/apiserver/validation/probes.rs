//! Probes and lifecycle hooks (upstream `validateProbe`, `validateLivenessProbe` and
//! its siblings, `validateHandler`, `validateLifecycle` and the action validators).
//!
//! Probes are checked after defaulting: upstream sets `timeoutSeconds`,
//! `periodSeconds`, `successThreshold` and `failureThreshold` when they are zero, and
//! an `httpGet`'s empty `path` and `scheme`, so those read as defaulted here when
//! absent or zero.

use serde_json::Value;

use super::{is_valid_port_name, is_valid_port_num, items, nonnegative, str_of};
use crate::api::status::Cause;
use crate::api::validation as names;

const MORE_THAN_ONE: &str = "may not specify more than 1 handler type";
const HTTP_SCHEMES: &[&str] = &["HTTP", "HTTPS"];

/// Which probe: the rules after `validateProbe` differ.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    Liveness,
    Readiness,
    Startup,
}

impl Probe {
    pub(crate) const ALL: [(Probe, &'static str); 3] = [
        (Probe::Liveness, "livenessProbe"),
        (Probe::Readiness, "readinessProbe"),
        (Probe::Startup, "startupProbe"),
    ];
}

/// `validateLivenessProbe` / `validateReadinessProbe` / `validateStartupProbe` for a
/// probe that is set; `grace` is the pod's `terminationGracePeriodSeconds`.
pub(crate) fn validate_probe(
    probe: &Value,
    kind: Probe,
    grace: Option<i64>,
    path: &str,
    out: &mut Vec<Cause>,
) {
    validate_handler(
        probe,
        &["exec", "httpGet", "tcpSocket", "grpc"],
        grace,
        path,
        out,
    );
    for field in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        nonnegative(&probe[field], &format!("{path}.{field}"), out);
    }
    let grace_path = format!("{path}.terminationGracePeriodSeconds");
    let probe_grace = probe["terminationGracePeriodSeconds"].as_i64();
    if let Some(g) = probe_grace
        && g <= 0
    {
        out.push(Cause::invalid(&grace_path, g, "must be greater than 0"));
    }
    match kind {
        Probe::Liveness | Probe::Startup => {
            // Zero (or absent) is defaulted to 1.
            let threshold = probe["successThreshold"].as_i64().unwrap_or(0);
            if threshold != 0 && threshold != 1 {
                out.push(Cause::invalid(
                    &format!("{path}.successThreshold"),
                    threshold,
                    "must be 1",
                ));
            }
        }
        Probe::Readiness => {
            if let Some(g) = probe_grace {
                out.push(Cause::invalid(
                    &grace_path,
                    g,
                    "must not be set for readinessProbes",
                ));
            }
        }
    }
}

/// `validateLifecycle`: `postStart` and `preStop`, each a handler.
pub(crate) fn validate_lifecycle(
    lifecycle: &Value,
    grace: Option<i64>,
    path: &str,
    out: &mut Vec<Cause>,
) {
    for hook in ["postStart", "preStop"] {
        let handler = &lifecycle[hook];
        if !handler.is_null() {
            validate_handler(
                handler,
                &["exec", "httpGet", "tcpSocket", "sleep"],
                grace,
                &format!("{path}.{hook}"),
                out,
            );
        }
    }
}

/// `validateHandler`: exactly one of `kinds` (in upstream's order), validated.
fn validate_handler(
    handler: &Value,
    kinds: &[&str],
    grace: Option<i64>,
    path: &str,
    out: &mut Vec<Cause>,
) {
    let mut count = 0;
    for kind in kinds {
        let action = &handler[*kind];
        if action.is_null() {
            continue;
        }
        let p = format!("{path}.{kind}");
        if count > 0 {
            out.push(Cause::forbidden(&p, MORE_THAN_ONE));
            continue;
        }
        count += 1;
        match *kind {
            "exec" if items(&action["command"]).is_empty() => {
                out.push(Cause::required(&format!("{p}.command"), ""));
            }
            "httpGet" => validate_http_get(action, &p, out),
            "tcpSocket" => port_num_or_name(&action["port"], &format!("{p}.port"), out),
            "grpc" => {
                let port = action["port"].as_i64().unwrap_or(0);
                for msg in is_valid_port_num(port) {
                    out.push(Cause::invalid(&format!("{p}.port"), port, &msg));
                }
            }
            "sleep" => validate_sleep(action, grace, &p, out),
            _ => {}
        }
    }
    if count == 0 {
        out.push(Cause::required(path, "must specify a handler type"));
    }
}

/// `validateHTTPGetAction`. An empty `path` or `scheme` is defaulted (to `/`, `HTTP`),
/// so neither is reported as missing.
fn validate_http_get(action: &Value, path: &str, out: &mut Vec<Cause>) {
    port_num_or_name(&action["port"], &format!("{path}.port"), out);
    let scheme = str_of(&action["scheme"]);
    if !scheme.is_empty() && !HTTP_SCHEMES.contains(&scheme) {
        out.push(Cause::not_supported(
            &format!("{path}.scheme"),
            scheme,
            HTTP_SCHEMES,
        ));
    }
    let headers_path = format!("{path}.httpHeaders");
    for header in items(&action["httpHeaders"]) {
        let name = str_of(&header["name"]);
        for msg in is_http_header_name(name) {
            out.push(Cause::invalid(&headers_path, name, &msg));
        }
    }
}

/// Upstream `IsHTTPHeaderName`.
fn is_http_header_name(value: &str) -> Vec<String> {
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Vec::new()
    } else {
        vec![names::regex_error(
            "a valid HTTP header must consist of alphanumeric characters or '-'",
            "[-A-Za-z0-9]+",
            &["X-Header-Name"],
        )]
    }
}

/// `ValidatePortNumOrName` for an int-or-string port; an absent one is the int 0.
pub(crate) fn port_num_or_name(port: &Value, path: &str, out: &mut Vec<Cause>) {
    match port {
        Value::String(name) => {
            for msg in is_valid_port_name(name) {
                out.push(Cause::invalid(path, name.as_str(), &msg));
            }
        }
        Value::Number(_) | Value::Null => {
            let n = port.as_i64().unwrap_or(0);
            for msg in is_valid_port_num(n) {
                out.push(Cause::invalid(path, n, &msg));
            }
        }
        _ => {}
    }
}

/// `validateSleepAction` with `PodLifecycleSleepActionAllowZero` (on in v1.33): at most
/// the pod's grace period, zero allowed.
fn validate_sleep(action: &Value, grace: Option<i64>, path: &str, out: &mut Vec<Cause>) {
    let seconds = action["seconds"].as_i64().unwrap_or(0);
    if let Some(grace) = grace
        && (seconds < 0 || seconds > grace)
    {
        out.push(Cause::invalid(
            path,
            seconds,
            &format!("must be non-negative and less than terminationGracePeriodSeconds ({grace})"),
        ));
    }
}
