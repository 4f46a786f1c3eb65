//! PodDisruptionBudget rules (upstream `pkg/apis/policy/validation`): at most one of
//! `minAvailable` and `maxUnavailable`, each a non-negative integer or a percentage
//! up to 100%, a valid selector and eviction policy.

use serde_json::Value;

use super::{NEGATIVE_ERROR, go_struct, selector};
use crate::api::goformat::quote;
use crate::api::status::{BadValue, Cause};
use crate::api::validation as names;

/// Go's `%#v` of an `intstr.IntOrString` (as upstream prints it in field errors).
pub(crate) fn int_or_string_go_syntax(v: &Value) -> BadValue {
    BadValue::Raw(match v {
        Value::String(s) => format!(
            "intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}",
            quote(s)
        ),
        other => format!(
            "intstr.IntOrString{{Type:0, IntVal:{}, StrVal:\"\"}}",
            other.as_i64().unwrap_or(0)
        ),
    })
}

/// `[0-9]+%`: the number, if `s` is a percentage.
fn percent(s: &str) -> Option<u64> {
    let digits = s.strip_suffix('%')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// Upstream `ValidatePositiveIntOrPercent` and `IsNotMoreThan100Percent`.
pub(crate) fn positive_int_or_percent(v: &Value, path: &str, out: &mut Vec<Cause>) {
    match v {
        Value::String(s) => match percent(s) {
            None => out.push(Cause::invalid(
                path,
                int_or_string_go_syntax(v),
                &names::regex_error(
                    "a valid percent string must be a numeric string followed by an ending '%'",
                    "[0-9]+%",
                    &["1%", "93%"],
                ),
            )),
            Some(p) if p > 100 => out.push(Cause::invalid(
                path,
                int_or_string_go_syntax(v),
                "must not be greater than 100%",
            )),
            Some(_) => {}
        },
        Value::Number(n) => {
            let n = n.as_i64().unwrap_or(0);
            if n < 0 {
                out.push(Cause::invalid(path, n, NEGATIVE_ERROR));
            }
        }
        _ => {}
    }
}

pub(crate) fn validate_pod_disruption_budget(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let spec = &obj["spec"];
    let (min, max) = (&spec["minAvailable"], &spec["maxUnavailable"]);
    if !min.is_null() && !max.is_null() {
        out.push(Cause::invalid(
            "spec",
            go_struct("policy.PodDisruptionBudgetSpec"),
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    positive_int_or_percent(min, "spec.minAvailable", &mut out);
    positive_int_or_percent(max, "spec.maxUnavailable", &mut out);
    if spec["selector"].is_object() {
        selector::validate(&spec["selector"], "spec.selector", &mut out);
    }
    if let Some(policy) = spec["unhealthyPodEvictionPolicy"].as_str()
        && !["AlwaysAllow", "IfHealthyBudget"].contains(&policy)
    {
        out.push(Cause::not_supported(
            "spec.unhealthyPodEvictionPolicy",
            policy,
            &["AlwaysAllow", "IfHealthyBudget"],
        ));
    }
    out
}
