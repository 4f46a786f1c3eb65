//! Custom resources against their CRD's structural schema, in upstream's order:
//! [`prune`] drops fields the schema does not name (unless
//! `x-kubernetes-preserve-unknown-fields`), [`default`] fills `default`s, [`validate`]
//! checks types and value constraints with upstream's messages. `apiVersion`, `kind`
//! and `metadata` are the API server's, never pruned or checked here.
//!
//! `x-kubernetes-validations` (CEL rules) are `super::cel`'s. Not covered: `format`
//! checks other than the integer widths; such schemas are accepted and those formats
//! are not enforced.

use serde_json::{Map, Value};

use crate::api::status::{BadValue, Cause};

const SERVER_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

fn preserves(schema: &Value) -> bool {
    schema
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true)
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// Removes unknown fields; returns their paths (`spec.bogus`), as strict field
/// validation reports them.
pub fn prune(schema: &Value, obj: &mut Value) -> Vec<String> {
    let mut pruned = Vec::new();
    prune_at(schema, obj, "", true, &mut pruned);
    pruned
}

fn prune_at(schema: &Value, v: &mut Value, path: &str, root: bool, out: &mut Vec<String>) {
    if schema
        .get("x-kubernetes-embedded-resource")
        .and_then(Value::as_bool)
        == Some(true)
    {
        // an embedded object keeps its own apiVersion, kind and metadata
        return prune_fields(schema, v, path, true, out);
    }
    match v {
        Value::Object(_) => prune_fields(schema, v, path, root, out),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    prune_at(item_schema, item, &format!("{path}[{i}]"), false, out);
                }
            }
        }
        _ => {}
    }
}

fn prune_fields(schema: &Value, v: &mut Value, path: &str, root: bool, out: &mut Vec<String>) {
    let Value::Object(obj) = v else { return };
    let props = schema.get("properties").and_then(Value::as_object);
    let additional = schema.get("additionalProperties").filter(|a| a.is_object());
    let keys: Vec<String> = obj.keys().cloned().collect();
    for k in keys {
        if root && SERVER_FIELDS.contains(&k.as_str()) {
            continue;
        }
        let child_path = join(path, &k);
        let child_schema = props.and_then(|p| p.get(&k)).or(additional);
        match child_schema {
            Some(s) => {
                if let Some(child) = obj.get_mut(&k) {
                    prune_at(s, child, &child_path, false, out);
                }
            }
            None if preserves(schema) => {}
            None => {
                obj.remove(&k);
                out.push(child_path);
            }
        }
    }
}

/// Fills in `default` values of missing fields, in objects that exist.
pub fn default(schema: &Value, obj: &mut Value) {
    match obj {
        Value::Object(o) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, s) in props {
                    if !o.contains_key(k)
                        && let Some(d) = s.get("default")
                    {
                        o.insert(k.clone(), d.clone());
                    }
                    if let Some(child) = o.get_mut(k) {
                        default(s, child);
                    }
                }
            }
            if let Some(a) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                let named = schema.get("properties").and_then(Value::as_object);
                for (k, child) in o.iter_mut() {
                    if named.is_none_or(|n| !n.contains_key(k)) {
                        default(a, child);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for item in items {
                    default(s, item);
                }
            }
        }
        _ => {}
    }
}

/// Field-level problems, as upstream's schema validation words them.
pub fn validate(schema: &Value, obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    validate_at(schema, obj, "", true, &mut causes);
    causes
}

fn bad(v: &Value) -> BadValue {
    match v {
        Value::String(s) => BadValue::Str(s.clone()),
        Value::Number(n) if n.is_i64() => BadValue::Int(n.as_i64().unwrap_or_default()),
        Value::Bool(b) => BadValue::Bool(*b),
        Value::Null => BadValue::Null,
        other => BadValue::Raw(other.to_string()),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn validate_at(schema: &Value, v: &Value, path: &str, root: bool, out: &mut Vec<Cause>) {
    let shown = if path.is_empty() { "<root>" } else { path };
    if v.is_null() {
        if schema.get("nullable").and_then(Value::as_bool) != Some(true) && !root {
            let want = schema.get("type").and_then(Value::as_str).unwrap_or("");
            if !want.is_empty() {
                out.push(Cause::invalid(
                    shown,
                    BadValue::Null,
                    &format!("{shown} in body must be of type {want}: \"null\""),
                ));
            }
        }
        return;
    }
    let int_or_string = schema
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        == Some(true);
    if let Some(want) = schema.get("type").and_then(Value::as_str) {
        let got = type_name(v);
        let ok = match want {
            "number" => matches!(got, "number" | "integer"),
            "integer" => got == "integer",
            other => got == other,
        };
        let int_or_string_ok = int_or_string && matches!(got, "integer" | "string");
        if !(ok || int_or_string_ok) {
            out.push(Cause::new(
                "FieldValueTypeInvalid",
                format!(
                    "Invalid value: {}: {shown} in body must be of type {want}: \"{got}\"",
                    bad(v)
                ),
                shown,
            ));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        let supported: Vec<String> = allowed.iter().map(|a| bad(a).to_string()).collect();
        out.push(Cause::new(
            "FieldValueNotSupported",
            format!(
                "Unsupported value: {}: supported values: {}",
                bad(v),
                supported.join(", ")
            ),
            shown,
        ));
    }
    match v {
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or_default();
            let num = |k: &str| schema.get(k).and_then(Value::as_f64);
            let flag = |k: &str| schema.get(k).and_then(Value::as_bool) == Some(true);
            let shown_num = |f: f64| {
                if f.fract() == 0.0 {
                    format!("{}", f as i64)
                } else {
                    format!("{f}")
                }
            };
            if let Some(min) = num("minimum") {
                let exclusive = flag("exclusiveMinimum");
                if x < min || (exclusive && x == min) {
                    let op = if exclusive {
                        "greater than"
                    } else {
                        "greater than or equal to"
                    };
                    out.push(Cause::invalid(
                        shown,
                        bad(v),
                        &format!("{shown} in body should be {op} {}", shown_num(min)),
                    ));
                }
            }
            if let Some(max) = num("maximum") {
                let exclusive = flag("exclusiveMaximum");
                if x > max || (exclusive && x == max) {
                    let op = if exclusive {
                        "less than"
                    } else {
                        "less than or equal to"
                    };
                    out.push(Cause::invalid(
                        shown,
                        bad(v),
                        &format!("{shown} in body should be {op} {}", shown_num(max)),
                    ));
                }
            }
            if let Some(m) = num("multipleOf").filter(|m| *m > 0.0)
                && (x / m).fract() != 0.0
            {
                out.push(Cause::invalid(
                    shown,
                    bad(v),
                    &format!("{shown} in body should be a multiple of {}", shown_num(m)),
                ));
            }
            let format = schema.get("format").and_then(Value::as_str);
            let bits = match format {
                Some("int32") => Some((i32::MIN as f64, i32::MAX as f64)),
                _ => None,
            };
            if let Some((lo, hi)) = bits
                && (x < lo || x > hi)
            {
                out.push(Cause::invalid(
                    shown,
                    bad(v),
                    &format!(
                        "{shown} in body must be of type int32: \"{}\"",
                        shown_num(x)
                    ),
                ));
            }
        }
        Value::String(s) => {
            let len = s.chars().count();
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                && len as u64 > max
            {
                out.push(Cause::new(
                    "FieldValueTooLong",
                    format!("Too long: may not be more than {max} bytes"),
                    shown,
                ));
            }
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                && (len as u64) < min
            {
                out.push(Cause::invalid(
                    shown,
                    bad(v),
                    &format!("{shown} in body should be at least {min} chars long"),
                ));
            }
            if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
                match regex::Regex::new(p) {
                    Ok(re) if !re.is_match(s) => out.push(Cause::invalid(
                        shown,
                        bad(v),
                        &format!("{shown} in body should match '{p}'"),
                    )),
                    _ => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                && items.len() as u64 > max
            {
                out.push(Cause::new(
                    "FieldValueTooMany",
                    format!("Too many: {}: must have at most {max} items", items.len()),
                    shown,
                ));
            }
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                out.push(Cause::invalid(
                    shown,
                    BadValue::Raw(Value::Array(items.clone()).to_string()),
                    &format!("{shown} in body should have at least {min} items"),
                ));
            }
            let list_type = schema.get("x-kubernetes-list-type").and_then(Value::as_str);
            if list_type == Some("set")
                || schema.get("uniqueItems").and_then(Value::as_bool) == Some(true)
            {
                for (i, item) in items.iter().enumerate() {
                    if items[..i].contains(item) {
                        out.push(Cause::duplicate(&format!("{shown}[{i}]"), bad(item)));
                    }
                }
            }
            if list_type == Some("map")
                && let Some(keys) = schema
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
            {
                let key_of = |item: &Value| -> Value {
                    Value::Array(
                        keys.iter()
                            .map(|k| {
                                item.get(k.as_str().unwrap_or(""))
                                    .cloned()
                                    .unwrap_or(Value::Null)
                            })
                            .collect(),
                    )
                };
                for (i, item) in items.iter().enumerate() {
                    let k = key_of(item);
                    if items[..i].iter().any(|o| key_of(o) == k) {
                        let mut shown_key = Map::new();
                        for (name, value) in keys.iter().zip(k.as_array().into_iter().flatten()) {
                            shown_key.insert(name.as_str().unwrap_or("").into(), value.clone());
                        }
                        out.push(Cause::duplicate(
                            &format!("{shown}[{i}]"),
                            BadValue::Raw(Value::Object(shown_key).to_string()),
                        ));
                    }
                }
            }
            if let Some(s) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    validate_at(s, item, &format!("{path}[{i}]"), false, out);
                }
            }
        }
        Value::Object(o) => {
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for r in required.iter().filter_map(Value::as_str) {
                    if !o.contains_key(r) {
                        out.push(Cause::required(&join(path, r), ""));
                    }
                }
            }
            let count = o.len() as u64;
            if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64)
                && count > max
            {
                out.push(Cause::new(
                    "FieldValueTooMany",
                    format!("Too many: {count}: must have at most {max} items"),
                    shown,
                ));
            }
            if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
                && count < min
            {
                out.push(Cause::invalid(
                    shown,
                    BadValue::Raw(format!("{count}")),
                    &format!("{shown} in body should have at least {min} properties"),
                ));
            }
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (k, child) in o {
                if root && SERVER_FIELDS.contains(&k.as_str()) {
                    continue;
                }
                if let Some(s) = props.and_then(|p| p.get(k)).or(additional) {
                    validate_at(s, child, &join(path, k), false, out);
                }
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "required": ["size"],
                    "properties": {
                        "size": {"type": "integer", "minimum": 1, "maximum": 10},
                        "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                        "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5},
                        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2,
                            "x-kubernetes-list-type": "set"},
                        "ports": {"type": "array", "x-kubernetes-list-type": "map",
                            "x-kubernetes-list-map-keys": ["port"],
                            "items": {"type": "object", "properties": {
                                "port": {"type": "integer"}, "name": {"type": "string"}}}},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "port": {"x-kubernetes-int-or-string": true},
                    },
                },
                "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
            },
        })
    }

    #[test]
    fn prunes_unknown_fields_but_keeps_preserved_and_server_fields() {
        let mut obj = json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "a"},
            "spec": {"size": 1, "bogus": 1, "free": {"any": {"thing": 1}},
                "ports": [{"port": 1, "extra": true}]},
            "top": 1});
        let pruned = prune(&schema(), &mut obj);
        assert_eq!(pruned, ["spec.bogus", "spec.ports[0].extra", "top"]);
        assert_eq!(obj["spec"]["free"]["any"]["thing"], 1);
        assert_eq!(obj["metadata"]["name"], "a");
    }

    #[test]
    fn defaults_fill_missing_fields_of_existing_objects() {
        let mut obj = json!({"spec": {"size": 1}});
        default(&schema(), &mut obj);
        assert_eq!(obj["spec"]["color"], "red");
        let mut none = json!({});
        default(&schema(), &mut none);
        assert!(none.get("spec").is_none(), "spec has no default");
    }

    #[test]
    fn validation_messages_are_upstreams() {
        let lines = |obj: Value| -> Vec<String> {
            validate(&schema(), &obj)
                .iter()
                .map(Cause::to_line)
                .collect()
        };
        assert!(
            lines(json!({"spec": {"size": 3, "port": "http", "labels": {"a": "b"}}})).is_empty()
        );
        assert_eq!(
            lines(json!({"spec": {"size": "big"}})),
            [
                r#"spec.size: Invalid value: "big": spec.size in body must be of type integer: "string""#
            ]
        );
        assert_eq!(lines(json!({"spec": {}})), ["spec.size: Required value"]);
        assert_eq!(
            lines(json!({"spec": {"size": 0}})),
            ["spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"]
        );
        assert_eq!(
            lines(json!({"spec": {"size": 1, "color": "pink"}})),
            [r#"spec.color: Unsupported value: "pink": supported values: "red", "blue""#]
        );
        assert_eq!(
            lines(json!({"spec": {"size": 1, "name": "ABC"}})),
            [r#"spec.name: Invalid value: "ABC": spec.name in body should match '^[a-z]+$'"#]
        );
        assert_eq!(
            lines(json!({"spec": {"size": 1, "tags": ["a", "a", "b"]}})),
            [
                "spec.tags: Too many: 3: must have at most 2 items",
                r#"spec.tags[1]: Duplicate value: "a""#
            ]
        );
        assert_eq!(
            lines(json!({"spec": {"size": 1, "ports": [{"port": 1}, {"port": 1}]}})),
            [r#"spec.ports[1]: Duplicate value: {"port":1}"#]
        );
        assert_eq!(
            lines(json!({"spec": {"size": 1, "labels": {"a": 1}}})),
            [
                r#"spec.labels.a: Invalid value: 1: spec.labels.a in body must be of type string: "integer""#
            ]
        );
    }
}
