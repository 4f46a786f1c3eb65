//! RFC 6902 JSON patch and RFC 7386 merge patch, applied the way evanphx/json-patch v4
//! (the library kube-apiserver uses) applies them, with its messages.
//!
//! Where v4 is more lenient than the RFCs, so is this: `replace` of a missing object
//! member adds it, `copy` from a missing member copies `null`, an operation without
//! `value` uses `null`, negative array indices count from the end, a `test` for `null`
//! passes on a missing member, and a path without a leading `/` still names its last
//! segment (`a/b` is `/b`). A merge patch that is `null` or a scalar is rejected.

use serde_json::{Map, Value};

use super::PatchError;

/// Upstream rejects JSON patches with more operations than this (413).
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// Applies an `application/json-patch+json` body to `doc`.
pub fn json_patch(doc: &Value, patch: &[u8]) -> Result<Value, PatchError> {
    let ops = decode_operations(patch)?;
    if ops.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooManyOperations {
            max: MAX_JSON_PATCH_OPERATIONS,
            got: ops.len(),
        });
    }
    let mut doc = doc.clone();
    for op in &ops {
        apply_operation(&mut doc, op)?;
    }
    Ok(doc)
}

/// Applies an `application/merge-patch+json` body to `doc`.
pub fn merge_patch(doc: &Value, patch: &[u8]) -> Result<Value, PatchError> {
    let bad_patch = || PatchError::Decode {
        message: "Invalid JSON Patch".into(),
    };
    let patch: Value = serde_json::from_slice(patch).map_err(|_| bad_patch())?;
    match (doc, patch) {
        (_, Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)) => Err(bad_patch()),
        (Value::Null, _) => Err(PatchError::InvalidDocument),
        (Value::Object(doc), Value::Object(patch)) => {
            let mut doc = doc.clone();
            merge_docs(&mut doc, patch);
            Ok(Value::Object(doc))
        }
        // Not an object on one side: the patch, without its nulls, is the result.
        (_, mut patch) => {
            prune_nulls(&mut patch);
            Ok(patch)
        }
    }
}

fn merge_docs(doc: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, mut value) in patch {
        if value.is_null() {
            doc.remove(&key);
            continue;
        }
        match doc.get_mut(&key) {
            Some(current) if !current.is_null() => {
                let current_value = std::mem::take(current);
                *current = merge_value(current_value, value);
            }
            _ => {
                prune_nulls(&mut value);
                doc.insert(key, value);
            }
        }
    }
}

fn merge_value(current: Value, patch: Value) -> Value {
    match (current, patch) {
        (Value::Object(mut current), Value::Object(patch)) => {
            merge_docs(&mut current, patch);
            Value::Object(current)
        }
        // v4 prunes only when the current value is not an object.
        (Value::Object(_), patch) => patch,
        (_, mut patch) => {
            prune_nulls(&mut patch);
            patch
        }
    }
}

/// Drops null members of objects, recursively; null array elements stay.
fn prune_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(prune_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(prune_nulls),
        _ => {}
    }
}

/// Go's name for the JSON kind of a value, as in `json: cannot unmarshal X into …`.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn decode_operations(patch: &[u8]) -> Result<Vec<Map<String, Value>>, PatchError> {
    let decode = |message: String| PatchError::Decode { message };
    let value: Value = serde_json::from_slice(patch).map_err(|e| decode(e.to_string()))?;
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => {
            return Err(decode(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                json_kind(&other)
            )));
        }
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(op) => Ok(op),
            // A null operation has no `op`: it fails as "Unexpected kind: unknown".
            Value::Null => Ok(Map::new()),
            other => Err(decode(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
                json_kind(&other)
            ))),
        })
        .collect()
}

/// A string member of an operation (`path`, `from`); `Err` is v4's reason.
fn string_field(op: &Map<String, Value>, name: &str, missing: &str) -> Result<String, String> {
    match op.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Null) => Err(format!("{missing}: missing value")),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into Go value of type string",
            json_kind(other)
        )),
    }
}

fn apply_operation(doc: &mut Value, op: &Map<String, Value>) -> Result<(), PatchError> {
    let kind = match op.get("op") {
        Some(Value::String(s)) => s.as_str(),
        _ => "unknown",
    };
    let path = string_field(op, "path", "operation missing path field");
    let from = string_field(op, "from", "operation, missing from field");
    // `"value": null` and a missing `value` differ only for `test`.
    let value = op.get("value");
    let err_path = path.clone().unwrap_or_default();
    let fail = |message: String| PatchError::Apply {
        path: err_path.clone(),
        message,
    };
    match kind {
        "add" => {
            let path = path
                .map_err(|_| fail("add operation failed to decode path: missing value".into()))?;
            let (con, key) = find_container(doc, &path).ok_or_else(|| {
                fail(format!(
                    "add operation does not apply: doc is missing path: \"{path}\": missing value"
                ))
            })?;
            add(con, &key, value.cloned().unwrap_or(Value::Null))
                .map_err(|e| fail(format!("error in add for path: '{path}': {e}")))
        }
        "remove" => {
            let path = path.map_err(|_| {
                fail("remove operation failed to decode path: missing value".into())
            })?;
            let (con, key) = find_container(doc, &path).ok_or_else(|| {
                fail(format!(
                    "remove operation does not apply: doc is missing path: \"{path}\": missing value"
                ))
            })?;
            remove(con, &key).map_err(|e| fail(format!("error in remove for path: '{path}': {e}")))
        }
        "replace" => {
            let path =
                path.map_err(|e| fail(format!("replace operation failed to decode path: {e}")))?;
            if path.is_empty() {
                return match value {
                    Some(v @ (Value::Object(_) | Value::Array(_))) => {
                        *doc = v.clone();
                        Ok(())
                    }
                    _ => Err(fail(
                        "replace operation value must be object or array".into(),
                    )),
                };
            }
            let (con, key) = find_container(doc, &path).ok_or_else(|| {
                fail(format!(
                    "replace operation does not apply: doc is missing path: {path}: missing value"
                ))
            })?;
            get(con, &key).map_err(|_| {
                fail(format!(
                    "replace operation does not apply: doc is missing key: {path}: missing value"
                ))
            })?;
            set(con, &key, value.cloned().unwrap_or(Value::Null))
                .map_err(|e| fail(format!("error in remove for path: '{path}': {e}")))
        }
        "move" => {
            let from =
                from.map_err(|e| fail(format!("move operation failed to decode from: {e}")))?;
            let (con, key) = find_container(doc, &from).ok_or_else(|| {
                fail(format!(
                    "move operation does not apply: doc is missing from path: {from}: missing value"
                ))
            })?;
            let moved = get(con, &key)
                .map_err(|e| fail(format!("error in move for path: '{key}': {e}")))?;
            remove(con, &key).map_err(|e| fail(format!("error in move for path: '{key}': {e}")))?;
            let path =
                path.map_err(|e| fail(format!("move operation failed to decode path: {e}")))?;
            let (con, key) = find_container(doc, &path).ok_or_else(|| {
                fail(format!(
                    "move operation does not apply: doc is missing destination path: {path}: missing value"
                ))
            })?;
            add(con, &key, moved.unwrap_or(Value::Null))
                .map_err(|e| fail(format!("error in move for path: '{path}': {e}")))
        }
        "copy" => {
            let from =
                from.map_err(|e| fail(format!("copy operation failed to decode from: {e}")))?;
            let (con, key) = find_container(doc, &from).ok_or_else(|| {
                fail(format!(
                    "copy operation does not apply: doc is missing from path: {from}: missing value"
                ))
            })?;
            let copied = get(con, &key)
                .map_err(|e| fail(format!("error in copy for from: '{from}': {e}")))?;
            let path = path
                .map_err(|_| fail("copy operation failed to decode path: missing value".into()))?;
            let (con, key) = find_container(doc, &path).ok_or_else(|| {
                fail(format!(
                    "copy operation does not apply: doc is missing destination path: {path}: missing value"
                ))
            })?;
            add(con, &key, copied.unwrap_or(Value::Null))
                .map_err(|e| fail(format!("error while adding value during copy: {e}")))
        }
        "test" => {
            let path =
                path.map_err(|e| fail(format!("test operation failed to decode path: {e}")))?;
            let failed = || PatchError::TestFailed { path: path.clone() };
            if path.is_empty() {
                return if value == Some(&*doc) {
                    Ok(())
                } else {
                    Err(failed())
                };
            }
            let (con, key) = find_container(doc, &path).ok_or_else(|| {
                fail(format!(
                    "test operation does not apply: is missing path: {path}: missing value"
                ))
            })?;
            let actual = get(con, &key)
                .map_err(|e| fail(format!("error in test for path: '{path}': {e}")))?;
            match (actual, value) {
                // v4 cannot tell a null member from a missing one.
                (None, None | Some(Value::Null)) => Ok(()),
                (Some(actual), Some(expected)) if &actual == expected => Ok(()),
                _ => Err(failed()),
            }
        }
        other => Err(fail(format!("Unexpected kind: {other}"))),
    }
}

/// RFC 6901 unescaping of one reference token.
fn decode_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The container holding the last segment of `path`, and that segment. As v4 does,
/// the part before the first `/` is ignored and null or scalar steps are "missing".
fn find_container<'a>(doc: &'a mut Value, path: &str) -> Option<(&'a mut Value, String)> {
    let parts: Vec<&str> = path.split('/').collect();
    let (last, walk) = parts.split_last()?;
    if walk.is_empty() {
        return None;
    }
    let mut cur = doc;
    for part in &walk[1..] {
        let part = decode_token(part);
        cur = match cur {
            Value::Object(map) => map.get_mut(&part)?,
            Value::Array(items) => {
                let idx = existing_index(&part, items.len()).ok()?;
                &mut items[idx]
            }
            _ => return None,
        };
    }
    if !(cur.is_object() || cur.is_array()) {
        return None;
    }
    Some((cur, decode_token(last)))
}

fn invalid_index(idx: i64) -> String {
    format!("Unable to access invalid index: {idx}: invalid index referenced")
}

fn atoi(key: &str) -> Result<i64, String> {
    key.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing \"{key}\": invalid syntax"))
}

/// The index `key` names in an array of `len` elements (negative counts from the end).
fn existing_index(key: &str, len: usize) -> Result<usize, String> {
    let mut idx = atoi(key)?;
    let len = len as i64;
    if idx < 0 {
        if idx < -len {
            return Err(invalid_index(idx));
        }
        idx += len;
    }
    if idx >= len {
        return Err(invalid_index(idx));
    }
    Ok(idx as usize)
}

/// The value at `key`; `None` for a missing or null member.
fn get(con: &Value, key: &str) -> Result<Option<Value>, String> {
    let found = match con {
        Value::Object(map) => map.get(key),
        Value::Array(items) => Some(&items[existing_index(key, items.len())?]),
        _ => None,
    };
    Ok(found.filter(|v| !v.is_null()).cloned())
}

fn add(con: &mut Value, key: &str, value: Value) -> Result<(), String> {
    match con {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
        }
        Value::Array(items) if key == "-" => items.push(value),
        Value::Array(items) => {
            let mut idx = atoi(key)
                .map_err(|e| format!("value was not a proper array index: '{key}': {e}"))?;
            let size = items.len() as i64 + 1;
            if idx >= size {
                return Err(invalid_index(idx));
            }
            if idx < 0 {
                if idx < -size {
                    return Err(invalid_index(idx));
                }
                idx += size;
            }
            items.insert(idx as usize, value);
        }
        _ => return Err("invalid state detected".into()),
    }
    Ok(())
}

fn remove(con: &mut Value, key: &str) -> Result<(), String> {
    match con {
        Value::Object(map) => map
            .remove(key)
            .map(drop)
            .ok_or_else(|| format!("Unable to remove nonexistent key: {key}: missing value")),
        Value::Array(items) => {
            let idx = existing_index(key, items.len())?;
            items.remove(idx);
            Ok(())
        }
        _ => Err("invalid state detected".into()),
    }
}

fn set(con: &mut Value, key: &str, value: Value) -> Result<(), String> {
    match con {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
        }
        Value::Array(items) => {
            let idx = existing_index(key, items.len())?;
            items[idx] = value;
        }
        _ => return Err("invalid state detected".into()),
    }
    Ok(())
}
