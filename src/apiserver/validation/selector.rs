//! `metav1.LabelSelector` in JSON form: validation (`ValidateLabelSelector`),
//! matching against labels, and Go's `%#v` rendering used in error values.

use serde_json::Value;

use super::{go_string_map, idx, items, str_of, validate_labels};
use crate::api::goformat::{quote, string_slice_go_syntax};
use crate::api::status::Cause;
use crate::api::validation as names;

/// Whether the selector has neither `matchLabels` nor `matchExpressions`.
pub(crate) fn is_empty(sel: &Value) -> bool {
    sel["matchLabels"].as_object().is_none_or(|m| m.is_empty())
        && items(&sel["matchExpressions"]).is_empty()
}

/// Upstream `ValidateLabelSelector` (with `AllowInvalidLabelValueInSelector` false).
pub(crate) fn validate(sel: &Value, path: &str, out: &mut Vec<Cause>) {
    validate_labels(&sel["matchLabels"], &format!("{path}.matchLabels"), out);
    let exprs = format!("{path}.matchExpressions");
    for (i, req) in items(&sel["matchExpressions"]).iter().enumerate() {
        let p = idx(&exprs, i);
        let values = items(&req["values"]);
        match str_of(&req["operator"]) {
            "In" | "NotIn" => {
                if values.is_empty() {
                    out.push(Cause::required(
                        &format!("{p}.values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    out.push(Cause::forbidden(
                        &format!("{p}.values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            op => out.push(Cause::invalid(
                &format!("{p}.operator"),
                op,
                "not a valid selector operator",
            )),
        }
        let key = str_of(&req["key"]);
        for msg in names::is_qualified_name(key) {
            out.push(Cause::invalid(&format!("{p}.key"), key, &msg));
        }
        let values_path = format!("{p}.values");
        for (vi, value) in values.iter().enumerate() {
            let value = str_of(value);
            for msg in names::is_valid_label_value(value) {
                out.push(Cause::invalid(&idx(&values_path, vi), value, &msg));
            }
        }
    }
}

/// Whether a (valid) selector matches `labels`; an empty selector matches everything.
pub(crate) fn matches(sel: &Value, labels: &Value) -> bool {
    let get = |k: &str| labels.get(k).and_then(Value::as_str);
    let labels_ok = sel["matchLabels"]
        .as_object()
        .is_none_or(|m| m.iter().all(|(k, v)| get(k) == v.as_str()));
    labels_ok
        && items(&sel["matchExpressions"]).iter().all(|req| {
            let have = get(str_of(&req["key"]));
            let mut values = items(&req["values"]).iter().filter_map(Value::as_str);
            match str_of(&req["operator"]) {
                "In" => have.is_some_and(|h| values.any(|v| v == h)),
                "NotIn" => have.is_none_or(|h| values.all(|v| v != h)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            }
        })
}

/// Go's `%#v` of a `metav1.LabelSelector` value, as upstream prints it in
/// `field.Invalid(spec.selector, …)`.
pub(crate) fn go_syntax(sel: &Value) -> String {
    let exprs = match sel["matchExpressions"].as_array() {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let reqs: Vec<String> = list
                .iter()
                .map(|r| {
                    let values: Option<Vec<String>> = r["values"].as_array().map(|v| {
                        v.iter()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect()
                    });
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        quote(str_of(&r["key"])),
                        quote(str_of(&r["operator"])),
                        string_slice_go_syntax(values.as_deref())
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", reqs.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{exprs}}}",
        go_string_map(&sel["matchLabels"])
    )
}
