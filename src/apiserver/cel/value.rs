//! A JSON value as the CEL value its schema node makes it (upstream's
//! `UnstructuredToVal`): `integer` stays int, `number` is always double, objects with
//! `properties` are maps keyed by their (escaped) property names, `additionalProperties`
//! are maps of every key, `format: byte` strings are bytes. Values borrow the JSON.

use std::collections::HashMap;

use cel::common::types::{
    CelBool, CelBytes, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt,
};
use cel::common::value::Val;
use serde_json::Value;

use super::schema::{self, SERVER_FIELDS};

/// `v` as `node` types it; `root` adds `apiVersion`, `kind` and `metadata.name` /
/// `metadata.generateName`, which upstream shows every rule at the resource root.
pub fn to_val<'v>(v: &'v Value, node: &Value, root: bool) -> Box<dyn Val + 'v> {
    match v {
        Value::Null => Box::new(CelNull),
        Value::Bool(b) => Box::new(CelBool::from(*b)),
        Value::Number(n) => number(n, node),
        Value::String(s) => string(s, node),
        Value::Array(items) => {
            let item_schema = node.get("items").unwrap_or(&Value::Null);
            let list: Vec<Box<dyn Val + 'v>> = items
                .iter()
                .map(|i| to_val(i, item_schema, false))
                .collect();
            Box::new(CelList::from(list))
        }
        Value::Object(o) => {
            let mut map: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> = HashMap::new();
            let props = node.get("properties").and_then(Value::as_object);
            let additional = node.get("additionalProperties").filter(|a| a.is_object());
            let open = schema::preserves(node) || schema::embedded(node);
            for (k, child) in o {
                if root && SERVER_FIELDS.contains(&k.as_str()) {
                    if let Some(val) = server_field(k, child) {
                        map.insert(CelMapKey::from(k.as_str()), val);
                    }
                    continue;
                }
                if let Some(s) = props.and_then(|p| p.get(k)) {
                    // a property whose name CEL cannot spell is not visible
                    if let Some(name) = schema::escape(k) {
                        map.insert(CelMapKey::from(name), to_val(child, s, false));
                    }
                } else if let Some(s) = additional {
                    map.insert(CelMapKey::from(k.as_str()), to_val(child, s, false));
                } else if open {
                    map.insert(
                        CelMapKey::from(k.as_str()),
                        to_val(child, &Value::Null, false),
                    );
                }
            }
            Box::new(CelMap::from(map))
        }
    }
}

/// `apiVersion`, `kind`, and of `metadata` only `name` and `generateName`.
fn server_field<'v>(k: &str, v: &'v Value) -> Option<Box<dyn Val + 'v>> {
    match k {
        "metadata" => {
            let o = v.as_object()?;
            let mut map: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> = HashMap::new();
            for f in ["name", "generateName"] {
                if let Some((key, Value::String(s))) = o.get_key_value(f) {
                    map.insert(
                        CelMapKey::from(key.as_str()),
                        Box::new(CelString::from(s.as_str())),
                    );
                }
            }
            Some(Box::new(CelMap::from(map)))
        }
        _ => v
            .as_str()
            .map(|s| Box::new(CelString::from(s)) as Box<dyn Val + 'v>),
    }
}

fn number<'v>(n: &serde_json::Number, node: &Value) -> Box<dyn Val + 'v> {
    let double = node.get("type").and_then(Value::as_str) == Some("number");
    if !double {
        if let Some(i) = n.as_i64() {
            return Box::new(CelInt::from(i));
        }
        if let Some(u) = n.as_u64() {
            return Box::new(CelUInt::from(u));
        }
    }
    Box::new(CelDouble::from(n.as_f64().unwrap_or_default()))
}

fn string<'v>(s: &'v str, node: &Value) -> Box<dyn Val + 'v> {
    if node.get("format").and_then(Value::as_str) == Some("byte") {
        use base64::Engine;
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s) {
            return Box::new(CelBytes::from(bytes));
        }
    }
    Box::new(CelString::from(s))
}
