//! Security contexts (upstream `validatePodSpecSecurityContext` and
//! `ValidateSecurityContext`), with the seccomp and AppArmor profile checks they share.
//!
//! In the v1 JSON the pod's `hostPID` and `shareProcessNamespace` sit on the spec;
//! upstream keeps them in the internal pod security context and reports them there.

use std::collections::HashSet;

use serde_json::Value;

use super::volumes::local_descending_path;
use super::{go_struct, idx, is_valid_id, items, str_of};
use crate::api::status::{BadValue, Cause};

const SECCOMP_TYPES: &[&str] = &["Localhost", "RuntimeDefault", "Unconfined"];
const APPARMOR_TYPES: &[&str] = &["Localhost", "RuntimeDefault", "Unconfined"];
const PROC_MOUNT_TYPES: &[&str] = &["Default", "Unmasked"];
/// Upstream `validFSGroupChangePolicies`, sorted.
const FS_GROUP_CHANGE_POLICIES: &[&str] = &["Always", "OnRootMismatch"];
/// Upstream `validSupplementalGroupsPolicies`, sorted.
const SUPPLEMENTAL_GROUPS_POLICIES: &[&str] = &["Merge", "Strict"];
const SYSCTL_MAX_LENGTH: usize = 253;
const SYSCTL_REGEX: &str =
    r"^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$";

/// A user or group id field outside 0..=2^31-1.
fn id(v: &Value, path: &str, out: &mut Vec<Cause>) {
    if let Some(n) = v.as_i64() {
        for msg in is_valid_id(n) {
            out.push(Cause::invalid(path, n, &msg));
        }
    }
}

/// A set string enum field outside `allowed`.
fn enum_field(v: &Value, path: &str, allowed: &[&str], out: &mut Vec<Cause>) {
    if let Some(s) = v.as_str()
        && !allowed.contains(&s)
    {
        out.push(Cause::not_supported(path, s, allowed));
    }
}

/// `validatePodSpecSecurityContext` for the pod spec `spec` at `path`.
pub(crate) fn validate_pod_security_context(spec: &Value, path: &str, out: &mut Vec<Cause>) {
    // Upstream's internal pod security context always exists (it holds `hostPID`).
    let sc = &spec["securityContext"];
    let p = format!("{path}.securityContext");
    id(&sc["fsGroup"], &format!("{p}.fsGroup"), out);
    id(&sc["runAsUser"], &format!("{p}.runAsUser"), out);
    id(&sc["runAsGroup"], &format!("{p}.runAsGroup"), out);
    let groups_path = format!("{p}.supplementalGroups");
    for (g, gid) in items(&sc["supplementalGroups"]).iter().enumerate() {
        id(gid, &idx(&groups_path, g), out);
    }
    if spec["shareProcessNamespace"] == true && spec["hostPID"] == true {
        out.push(Cause::invalid(
            &format!("{p}.shareProcessNamespace"),
            true,
            "ShareProcessNamespace and HostPID cannot both be enabled",
        ));
    }
    validate_sysctls(&sc["sysctls"], &format!("{p}.sysctls"), out);
    enum_field(
        &sc["fsGroupChangePolicy"],
        &format!("{p}.fsGroupChangePolicy"),
        FS_GROUP_CHANGE_POLICIES,
        out,
    );
    seccomp_profile(&sc["seccompProfile"], &format!("{p}.seccompProfile"), out);
    apparmor_profile(&sc["appArmorProfile"], &format!("{p}.appArmorProfile"), out);
    enum_field(
        &sc["supplementalGroupsPolicy"],
        &format!("{p}.supplementalGroupsPolicy"),
        SUPPLEMENTAL_GROUPS_POLICIES,
        out,
    );
}

/// `validateSysctls`, without the host-namespace check.
fn validate_sysctls(sysctls: &Value, path: &str, out: &mut Vec<Cause>) {
    let mut seen = HashSet::new();
    for (i, s) in items(sysctls).iter().enumerate() {
        let name = str_of(&s["name"]);
        let name_path = format!("{}.name", idx(path, i));
        if name.is_empty() {
            out.push(Cause::required(&name_path, ""));
        } else if !is_valid_sysctl_name(name) {
            out.push(Cause::invalid(
                &name_path,
                name,
                &format!(
                    "must have at most {SYSCTL_MAX_LENGTH} characters and match regex {SYSCTL_REGEX}"
                ),
            ));
        } else if seen.contains(name) {
            out.push(Cause::duplicate(&name_path, name));
        }
        seen.insert(name);
    }
}

/// Upstream `IsValidSysctlName`: dot- or slash-separated segments of
/// `[a-z0-9]([-_a-z0-9]*[a-z0-9])?`.
fn is_valid_sysctl_name(name: &str) -> bool {
    let segment_ok = |seg: &str| {
        let b = seg.as_bytes();
        !b.is_empty()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_'))
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
    };
    name.len() <= SYSCTL_MAX_LENGTH && name.split(['.', '/']).all(segment_ok)
}

/// `ValidateSecurityContext` for a container's `sc` at `path`; `host_users` is the
/// pod's `hostUsers` (true unless set false).
pub(crate) fn validate_security_context(
    sc: &Value,
    path: &str,
    host_users: bool,
    out: &mut Vec<Cause>,
) {
    if sc.is_null() {
        return;
    }
    id(&sc["runAsUser"], &format!("{path}.runAsUser"), out);
    id(&sc["runAsGroup"], &format!("{path}.runAsGroup"), out);
    if let Some(proc_mount) = sc["procMount"].as_str() {
        let p = format!("{path}.procMount");
        if !PROC_MOUNT_TYPES.contains(&proc_mount) {
            out.push(Cause::not_supported(&p, proc_mount, PROC_MOUNT_TYPES));
        }
        if host_users && proc_mount == "Unmasked" {
            out.push(Cause::invalid(
                &p,
                proc_mount,
                "`hostUsers` must be false to use `Unmasked`",
            ));
        }
    }
    seccomp_profile(
        &sc["seccompProfile"],
        &format!("{path}.seccompProfile"),
        out,
    );
    if sc["allowPrivilegeEscalation"] == false {
        if sc["privileged"] == true {
            out.push(Cause::invalid(
                path,
                go_struct("core.SecurityContext"),
                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
            ));
        }
        for cap in items(&sc["capabilities"]["add"]) {
            if cap == "CAP_SYS_ADMIN" {
                out.push(Cause::invalid(
                    path,
                    go_struct("core.SecurityContext"),
                    "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
                ));
            }
        }
    }
    apparmor_profile(
        &sc["appArmorProfile"],
        &format!("{path}.appArmorProfile"),
        out,
    );
}

/// `validateSeccompProfileField`.
fn seccomp_profile(profile: &Value, path: &str, out: &mut Vec<Cause>) {
    if profile.is_null() {
        return;
    }
    let kind = str_of(&profile["type"]);
    let type_path = format!("{path}.type");
    match kind {
        "Localhost" | "RuntimeDefault" | "Unconfined" => {}
        "" => out.push(Cause::required(
            &type_path,
            "type is required when seccompProfile is set",
        )),
        other => out.push(Cause::not_supported(&type_path, other, SECCOMP_TYPES)),
    }
    let local = &profile["localhostProfile"];
    let local_path = format!("{path}.localhostProfile");
    if kind == "Localhost" {
        match local.as_str() {
            None => out.push(Cause::required(
                &local_path,
                "must be set when seccomp type is Localhost",
            )),
            Some(p) => local_descending_path(p, &local_path, out),
        }
    } else if !local.is_null() {
        out.push(Cause::invalid(
            &local_path,
            go_struct("core.SeccompProfile"),
            "can only be set when seccomp type is Localhost",
        ));
    }
}

/// `ValidateAppArmorProfileField`.
fn apparmor_profile(profile: &Value, path: &str, out: &mut Vec<Cause>) {
    if profile.is_null() {
        return;
    }
    let local = &profile["localhostProfile"];
    let local_path = format!("{path}.localhostProfile");
    match str_of(&profile["type"]) {
        "Localhost" => match local.as_str() {
            None => out.push(Cause::required(
                &local_path,
                "must be set when AppArmor type is Localhost",
            )),
            Some(p) => {
                let trimmed = p.trim();
                if trimmed != p {
                    out.push(Cause::invalid(
                        &local_path,
                        p,
                        "must not be padded with whitespace",
                    ));
                } else if trimmed.is_empty() {
                    out.push(Cause::required(
                        &local_path,
                        "must be set when AppArmor type is Localhost",
                    ));
                }
                // PATH_MAX - 1
                if p.len() > 4095 {
                    out.push(Cause::too_long(&local_path, 4095));
                }
            }
        },
        "RuntimeDefault" | "Unconfined" => {
            if !local.is_null() {
                let value = local
                    .as_str()
                    .map_or(BadValue::Null, |s| BadValue::Str(s.to_string()));
                out.push(Cause::invalid(
                    &local_path,
                    value,
                    "can only be set when AppArmor type is Localhost",
                ));
            }
        }
        "" => out.push(Cause::required(
            &format!("{path}.type"),
            "type is required when appArmorProfile is set",
        )),
        other => out.push(Cause::not_supported(
            &format!("{path}.type"),
            other,
            APPARMOR_TYPES,
        )),
    }
}
