//! Role, ClusterRole, RoleBinding and ClusterRoleBinding rules (upstream
//! `pkg/apis/rbac/validation`): policy rules need verbs and either resources or
//! non-resource URLs, bindings need a valid `roleRef` that never changes and
//! well-formed subjects.

use serde_json::Value;

use super::{idx, items, selector, str_of};
use crate::api::goformat::{quote, string_slice_go_syntax};
use crate::api::status::{BadValue, Cause};
use crate::api::validation as names;

const GROUP: &str = "rbac.authorization.k8s.io";

pub(crate) fn validate_role(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    rules(obj, true, &mut out);
    out
}

pub(crate) fn validate_cluster_role(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    rules(obj, false, &mut out);
    let agg = &obj["aggregationRule"];
    if agg.is_object() {
        let base = "aggregationRule.clusterRoleSelectors";
        let selectors = items(&agg["clusterRoleSelectors"]);
        if selectors.is_empty() {
            out.push(Cause::required(
                base,
                "at least one clusterRoleSelector required if aggregationRule is non-nil",
            ));
        }
        for (i, sel) in selectors.iter().enumerate() {
            let p = idx(base, i);
            let before = out.len();
            selector::validate(sel, &p, &mut out);
            // `LabelSelectorAsSelector` fails on what the validation above refused;
            // the selector it returns then is nil.
            if out.len() > before {
                out.push(Cause::invalid(
                    &p,
                    BadValue::Null,
                    "invalid label selector.",
                ));
            }
        }
    }
    out
}

fn rules(obj: &Value, namespaced: bool, out: &mut Vec<Cause>) {
    for (i, rule) in items(&obj["rules"]).iter().enumerate() {
        policy_rule(rule, namespaced, &idx("rules", i), out);
    }
}

fn strings(v: &Value) -> Vec<String> {
    items(v).iter().map(|s| str_of(s).to_string()).collect()
}

/// Upstream `ValidatePolicyRule`.
fn policy_rule(rule: &Value, namespaced: bool, path: &str, out: &mut Vec<Cause>) {
    let len = |f: &str| items(&rule[f]).len();
    if len("verbs") == 0 {
        out.push(Cause::required(
            &format!("{path}.verbs"),
            "verbs must contain at least one value",
        ));
    }
    if len("nonResourceURLs") > 0 {
        let urls_path = format!("{path}.nonResourceURLs");
        let urls = BadValue::Raw(string_slice_go_syntax(Some(&strings(
            &rule["nonResourceURLs"],
        ))));
        if namespaced {
            out.push(Cause::invalid(
                &urls_path,
                urls.clone(),
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        if len("apiGroups") > 0 || len("resources") > 0 || len("resourceNames") > 0 {
            out.push(Cause::invalid(
                &urls_path,
                urls,
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return;
    }
    if len("apiGroups") == 0 {
        out.push(Cause::required(
            &format!("{path}.apiGroups"),
            "resource rules must supply at least one api group",
        ));
    }
    if len("resources") == 0 {
        out.push(Cause::required(
            &format!("{path}.resources"),
            "resource rules must supply at least one resource",
        ));
    }
}

/// Upstream `path.IsValidPathSegmentName`, the RBAC name rule.
pub(crate) fn path_segment_name(name: &str) -> Vec<String> {
    if name == "." || name == ".." {
        return vec![format!("may not be '{name}'")];
    }
    let mut errs = Vec::new();
    for bad in ["/", "%"] {
        if name.contains(bad) {
            errs.push(format!("may not contain '{bad}'"));
        }
    }
    errs
}

pub(crate) fn validate_role_binding(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    binding(obj, old, true)
}

pub(crate) fn validate_cluster_role_binding(obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    binding(obj, old, false)
}

fn binding(obj: &Value, old: Option<&Value>, namespaced: bool) -> Vec<Cause> {
    let mut out = Vec::new();
    let role_ref = &obj["roleRef"];
    let group = str_of(&role_ref["apiGroup"]);
    if group != GROUP {
        out.push(Cause::not_supported("roleRef.apiGroup", group, &[GROUP]));
    }
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    let kind = str_of(&role_ref["kind"]);
    if !kinds.contains(&kind) {
        out.push(Cause::not_supported("roleRef.kind", kind, kinds));
    }
    let name = str_of(&role_ref["name"]);
    if name.is_empty() {
        out.push(Cause::required("roleRef.name", ""));
    }
    for msg in path_segment_name(name) {
        out.push(Cause::invalid("roleRef.name", name, &msg));
    }
    for (i, s) in items(&obj["subjects"]).iter().enumerate() {
        subject(s, namespaced, &idx("subjects", i), &mut out);
    }
    if let Some(old) = old {
        let fields = ["apiGroup", "kind", "name"];
        let changed = fields
            .iter()
            .any(|f| str_of(&role_ref[f]) != str_of(&old["roleRef"][f]));
        if changed {
            out.push(Cause::invalid(
                "roleRef",
                BadValue::Raw(role_ref_go_syntax(role_ref)),
                "cannot change roleRef",
            ));
        }
    }
    out
}

/// Go's `%#v` of an `rbac.RoleRef`.
fn role_ref_go_syntax(r: &Value) -> String {
    format!(
        "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
        quote(str_of(&r["apiGroup"])),
        quote(str_of(&r["kind"])),
        quote(str_of(&r["name"]))
    )
}

/// Upstream `ValidateRoleBindingSubject`.
fn subject(s: &Value, namespaced: bool, path: &str, out: &mut Vec<Cause>) {
    let name = str_of(&s["name"]);
    let name_path = format!("{path}.name");
    if name.is_empty() {
        out.push(Cause::required(&name_path, ""));
    }
    let group = str_of(&s["apiGroup"]);
    let group_path = format!("{path}.apiGroup");
    match str_of(&s["kind"]) {
        "ServiceAccount" => {
            if !name.is_empty() {
                for msg in names::is_dns1123_subdomain(name) {
                    out.push(Cause::invalid(&name_path, name, &msg));
                }
            }
            if !group.is_empty() {
                out.push(Cause::not_supported(&group_path, group, &[""]));
            }
            if !namespaced && str_of(&s["namespace"]).is_empty() {
                out.push(Cause::required(&format!("{path}.namespace"), ""));
            }
        }
        "User" | "Group" => {
            if group != GROUP {
                out.push(Cause::not_supported(&group_path, group, &[GROUP]));
            }
        }
        kind => out.push(Cause::not_supported(
            &format!("{path}.kind"),
            kind,
            &["ServiceAccount", "User", "Group"],
        )),
    }
}
