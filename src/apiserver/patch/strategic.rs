//! `application/strategic-merge-patch+json`, applied as apimachinery's
//! `StrategicMergeMapPatch` applies it on the server (merging parallel lists, ignoring
//! unmatched nulls).
//!
//! A patch is a JSON object merged into the document member by member, as in a merge
//! patch, except that lists with `patchStrategy: merge` merge element-wise (by merge key,
//! or as a set for primitives), and these directives steer the merge:
//! - `$patch: replace` / `$patch: delete` in an object replaces it with the rest of the
//!   patch object / empties it; in a list element, `delete` removes the element with
//!   that key and `replace` makes the list's other patch elements the whole list;
//! - `$retainKeys: [..]` drops the document's members not named;
//! - `$deleteFromPrimitiveList/<field>: [..]` removes those values from `<field>`;
//! - `$setElementOrder/<field>: [..]` orders the merged `<field>`: the named elements in
//!   that order, the document's other elements kept where they were relative to them;
//! - `null` deletes a member.
//!
//! Without `$setElementOrder`, elements of a merged list that the patch names come first,
//! in patch order, interleaved with the document's other elements by their old positions
//! (so a new element lands at the front).

use serde_json::{Map, Value};

use super::schema::{FieldMeta, MergeSchema, Strategy};
use super::{PatchError, compact};

const DIRECTIVE: &str = "$patch";
const DELETE: &str = "delete";
const REPLACE: &str = "replace";
const MERGE: &str = "merge";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";

type Object = Map<String, Value>;

/// Applies a strategic merge patch to `doc`, looking up list strategies in `schema`.
pub fn strategic_merge_patch(
    doc: &Value,
    patch: &[u8],
    schema: &dyn MergeSchema,
) -> Result<Value, PatchError> {
    let patch: Value = serde_json::from_slice(patch).map_err(|e| PatchError::Decode {
        message: e.to_string(),
    })?;
    let patch = match patch {
        Value::Object(patch) => patch,
        // Decodes to a nil map upstream: nothing to merge.
        Value::Null => Object::new(),
        other => {
            return Err(PatchError::Decode {
                message: format!(
                    "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    value_kind(&other).go_json_name()
                ),
            });
        }
    };
    let Value::Object(original) = doc else {
        return Err(PatchError::InvalidDocument);
    };
    let mut merger = Merger {
        schema,
        path: Vec::new(),
    };
    Ok(Value::Object(merger.merge_map(original.clone(), patch)?))
}

/// The JSON type of a value, as Go's decoder (which keeps integers as int64) sees it;
/// values of different kinds never merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    String,
    List,
    Map,
}

impl Kind {
    fn go_type(self) -> &'static str {
        match self {
            Kind::Null => "<nil>",
            Kind::Bool => "bool",
            Kind::Int => "int64",
            Kind::Float => "float64",
            Kind::String => "string",
            Kind::List => "[]interface {}",
            Kind::Map => "map[string]interface {}",
        }
    }

    fn go_json_name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "bool",
            Kind::Int | Kind::Float => "number",
            Kind::String => "string",
            Kind::List => "array",
            Kind::Map => "object",
        }
    }
}

fn value_kind(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(n) if n.as_i64().is_some() => Kind::Int,
        Value::Number(_) => Kind::Float,
        Value::String(_) => Kind::String,
        Value::Array(_) => Kind::List,
        Value::Object(_) => Kind::Map,
    }
}

fn bad_arg_type(expected: Kind, actual: &Value) -> String {
    format!(
        "expected a {}, but received a {}",
        expected.go_type(),
        value_kind(actual).go_type()
    )
}

/// The field named after `prefix/` in a directive key, e.g. `env` in
/// `$setElementOrder/env`.
fn directive_field<'k>(key: &'k str, prefix: &str) -> Option<&'k str> {
    key.split_once('/')
        .filter(|(head, _)| *head == prefix)
        .map(|(_, field)| field)
}

/// The value of `key` in an element of a merging list (Go's `nil` when absent).
fn key_value<'v>(item: &'v Value, key: &str, kind: Kind) -> Option<&'v Value> {
    match kind {
        Kind::Map => item.as_object().and_then(|m| m.get(key)),
        _ => Some(item),
    }
}

/// Position of `item` in `list`, matching maps by merge key and primitives by value.
fn index_of(list: &[Value], item: &Value, key: &str, kind: Kind) -> Option<usize> {
    let wanted = key_value(item, key, kind);
    list.iter().position(|v| key_value(v, key, kind) == wanted)
}

struct Merger<'s> {
    schema: &'s dyn MergeSchema,
    /// Field names from the root to the object being merged.
    path: Vec<String>,
}

impl Merger<'_> {
    fn meta(&self, field: &str) -> FieldMeta {
        let path: Vec<&str> = self
            .path
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(field))
            .collect();
        self.schema.field(&path)
    }

    /// The dotted path of the current object, for errors.
    fn here(&self) -> String {
        self.path.join(".")
    }

    fn merge_error(&self, message: String) -> PatchError {
        PatchError::Merge {
            path: self.here(),
            message,
        }
    }

    fn no_merge_key(&self, map: &Value, key: &str) -> PatchError {
        PatchError::NoMergeKey {
            path: self.here(),
            map: compact(map),
            key: key.to_string(),
        }
    }

    /// Runs `f` one field deeper.
    fn within<T>(&mut self, field: &str, f: impl FnOnce(&mut Self) -> T) -> T {
        self.path.push(field.to_string());
        let out = f(self);
        self.path.pop();
        out
    }

    fn merge_map(&mut self, mut original: Object, mut patch: Object) -> Result<Object, PatchError> {
        if let Some(directive) = patch.get(DIRECTIVE).cloned() {
            return match directive.as_str() {
                Some(REPLACE) => {
                    patch.remove(DIRECTIVE);
                    Ok(patch)
                }
                Some(DELETE) => Ok(Object::new()),
                _ => Err(PatchError::UnknownDirective {
                    path: self.here(),
                    directive: directive
                        .as_str()
                        .map_or_else(|| compact(&directive), str::to_string),
                    map: compact(&Value::Object(patch)),
                }),
            };
        }
        self.apply_retain_keys(&mut original, &mut patch)?;
        self.merge_ordered_lists(&mut original, &mut patch)?;

        for (key, patch_value) in patch {
            let (key, is_delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
                let field = directive_field(&key, DELETE_FROM_PRIMITIVE_LIST)
                    .ok_or_else(|| PatchError::BadPrimitiveList { path: self.here() })?;
                (field.to_string(), true)
            } else {
                (key, false)
            };
            if patch_value.is_null() {
                original.remove(&key);
                continue;
            }
            let Some(current) = original.get_mut(&key) else {
                if !is_delete_list {
                    insert_cleaned(&mut original, key, patch_value);
                }
                continue;
            };
            if value_kind(current) != value_kind(&patch_value) {
                if !is_delete_list {
                    insert_cleaned(&mut original, key, patch_value);
                }
                continue;
            }
            let merged = match (std::mem::take(current), patch_value) {
                (Value::Object(o), Value::Object(p)) => {
                    if self.meta(&key).strategy == Strategy::Replace {
                        Value::Object(p)
                    } else {
                        Value::Object(self.within(&key, |m| m.merge_map(o, p))?)
                    }
                }
                (Value::Array(o), Value::Array(p)) => {
                    let meta = self.meta(&key);
                    Value::Array(self.within(&key, |m| m.merge_list(o, p, meta, is_delete_list))?)
                }
                (_, p) => p,
            };
            original.insert(key, merged);
        }
        Ok(original)
    }

    /// `$retainKeys`: the patch may only set the named fields; the document keeps only
    /// those.
    fn apply_retain_keys(
        &self,
        original: &mut Object,
        patch: &mut Object,
    ) -> Result<(), PatchError> {
        let Some(retain) = patch.remove(RETAIN_KEYS) else {
            return Ok(());
        };
        let bad = || PatchError::BadRetainKeys { path: self.here() };
        let Value::Array(retain) = retain else {
            return Err(bad());
        };
        let named = |k: &str| retain.iter().any(|r| r.as_str() == Some(k));
        for (k, v) in patch.iter() {
            if v.is_null()
                || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
                || k.starts_with(SET_ELEMENT_ORDER)
            {
                continue;
            }
            if !named(k) {
                return Err(bad());
            }
        }
        original.retain(|k, _| named(k));
        Ok(())
    }

    /// Merges every list that has a `$setElementOrder/<field>` and orders the result;
    /// the list is then gone from `patch`.
    fn merge_ordered_lists(
        &mut self,
        original: &mut Object,
        patch: &mut Object,
    ) -> Result<(), PatchError> {
        let keys: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
            .cloned()
            .collect();
        for key in keys {
            let order = patch.remove(&key).unwrap_or_default();
            let Value::Array(order) = order else {
                return Err(self.merge_error(bad_arg_type(Kind::List, &order)));
            };
            let field = directive_field(&key, SET_ELEMENT_ORDER)
                .ok_or_else(|| PatchError::BadSetElementOrder { path: self.here() })?
                .to_string();
            let original_list = match original.get(&field) {
                None => None,
                Some(Value::Array(list)) => Some(list.clone()),
                Some(other) => return Err(self.merge_error(bad_arg_type(Kind::List, other))),
            };
            let patch_list = match patch.remove(&field) {
                None => None,
                Some(Value::Array(list)) => Some(list),
                Some(other) => return Err(self.merge_error(bad_arg_type(Kind::List, &other))),
            };
            let meta = self.meta(&field);
            let key_name = meta.merge_key.unwrap_or("");
            self.within(&field, |m| {
                m.validate_order(patch_list.as_deref().unwrap_or_default(), &order, key_name)
            })?;
            let merged = match (&original_list, &patch_list) {
                (Some(o), None) => o.clone(),
                (None, Some(p)) => match remove_directives(Value::Array(p.clone())) {
                    Some(Value::Array(list)) => list,
                    _ => Vec::new(),
                },
                (Some(o), Some(p)) => {
                    self.within(&field, |m| m.merge_list(o.clone(), p.clone(), meta, false))?
                }
                (None, None) => continue,
            };
            let merged_in_place =
                original_list.is_some() && meta.strategy == Strategy::Merge && !key_name.is_empty();
            let original_list = original_list.unwrap_or_default();
            let patch_list = patch_list.unwrap_or_default();
            let server_order = if merged_in_place && !patch_list.is_empty() {
                server_order_after_merge(&original_list, &patch_list, key_name)
            } else {
                original_list.clone()
            };
            let both = self.within(&field, |m| -> Result<Vec<Value>, PatchError> {
                let (named, server_only) = m.partition(merged, &order, key_name)?;
                let kind = m.element_kind(&[&original_list, &patch_list])?;
                m.normalize_order(named, server_only, &order, &server_order, key_name, kind)
            })?;
            original.insert(field, Value::Array(both));
        }
        Ok(())
    }

    /// Upstream's check that the patch list is consistent with its `$setElementOrder`:
    /// the patch's elements (deletions and directives aside) appear in it, in order.
    fn validate_order(
        &self,
        patch_list: &[Value],
        order: &[Value],
        key: &str,
    ) -> Result<(), PatchError> {
        if order.is_empty() || patch_list.is_empty() {
            return Ok(());
        }
        let kept: Vec<&Value> = if key.is_empty() {
            patch_list.iter().collect()
        } else {
            let mut kept = Vec::new();
            for item in patch_list {
                let m = item
                    .as_object()
                    .ok_or_else(|| self.merge_error(bad_arg_type(Kind::Map, item)))?;
                if m.get(DIRECTIVE).and_then(Value::as_str) != Some(DELETE) {
                    kept.push(item);
                }
            }
            kept
        };
        let (mut p, mut o) = (0, 0);
        while p < kept.len() && o < order.len() {
            if kept[p]
                .as_object()
                .is_some_and(|m| m.contains_key(DIRECTIVE))
            {
                p += 1;
                continue;
            }
            if self.same_key(kept[p], &order[o], key)? {
                p += 1;
            }
            o += 1;
        }
        if p < kept.len() && o >= order.len() {
            return Err(self.merge_error(format!(
                "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}\n",
                compact(&Value::Array(patch_list.to_vec())),
                compact(&Value::Array(order.to_vec())),
            )));
        }
        Ok(())
    }

    fn same_key(&self, left: &Value, right: &Value, key: &str) -> Result<bool, PatchError> {
        if key.is_empty() {
            return Ok(left == right);
        }
        let value = |v: &Value| -> Result<Value, PatchError> {
            let m = v
                .as_object()
                .ok_or_else(|| self.merge_error(bad_arg_type(Kind::Map, v)))?;
            m.get(key).cloned().ok_or_else(|| self.no_merge_key(v, key))
        };
        Ok(value(left)? == value(right)?)
    }

    fn merge_list(
        &mut self,
        original: Vec<Value>,
        patch: Vec<Value>,
        meta: FieldMeta,
        is_delete_list: bool,
    ) -> Result<Vec<Value>, PatchError> {
        // A deletion list applies whatever the field's strategy.
        if meta.strategy != Strategy::Merge && !is_delete_list {
            return Ok(patch);
        }
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        let key = meta.merge_key.unwrap_or("");
        let kind = self.element_kind(&[&original, &patch])?;
        let (original, patch, merged) = if kind != Kind::Map {
            if is_delete_list {
                return Ok(original
                    .into_iter()
                    .filter(|v| !patch.contains(v))
                    .collect());
            }
            let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
            for v in original.iter().chain(&patch) {
                if !merged.contains(v) {
                    merged.push(v.clone());
                }
            }
            (original, patch, merged)
        } else {
            if key.is_empty() {
                return Err(self.merge_error(format!(
                    "cannot merge lists without merge key for {}",
                    self.here()
                )));
            }
            let (original, patch) = self.apply_list_directives(original, patch, key)?;
            let merged = self.merge_elements(original.clone(), &patch, key)?;
            (original, patch, merged)
        };
        let (named, server_only) = self.partition(merged, &patch, key)?;
        self.normalize_order(named, server_only, &patch, &original, key, kind)
    }

    /// Handles list elements carrying `$patch`; returns the document list after
    /// deletions and the patch elements left to merge.
    fn apply_list_directives(
        &self,
        mut original: Vec<Value>,
        patch: Vec<Value>,
        key: &str,
    ) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
        let mut plain = Vec::with_capacity(patch.len());
        let mut replace = false;
        for item in patch {
            let Some(directive) = item.get(DIRECTIVE) else {
                plain.push(item);
                continue;
            };
            match directive.as_str() {
                Some(DELETE) => {
                    let Some(wanted) = item.get(key) else {
                        return Err(self.no_merge_key(&item, key));
                    };
                    self.find_by_key(&original, key, wanted)?;
                    original.retain(|o| o.get(key) != Some(wanted));
                }
                // Keep going: the other `$patch` elements must still be removed.
                Some(REPLACE) => replace = true,
                Some(MERGE) => {
                    return Err(self
                        .merge_error("merging lists cannot yet be specified in the patch".into()));
                }
                _ => {
                    return Err(PatchError::UnknownDirective {
                        path: self.here(),
                        directive: directive
                            .as_str()
                            .map_or_else(|| compact(directive), str::to_string),
                        map: compact(&item),
                    });
                }
            }
        }
        if replace {
            return Ok((plain, Vec::new()));
        }
        Ok((original, plain))
    }

    /// Merges each patch element into the document element with the same key, or
    /// appends it.
    fn merge_elements(
        &mut self,
        mut original: Vec<Value>,
        patch: &[Value],
        key: &str,
    ) -> Result<Vec<Value>, PatchError> {
        for item in patch {
            let Some(wanted) = item.get(key) else {
                return Err(self.no_merge_key(item, key));
            };
            let patch_map = item.as_object().cloned().unwrap_or_default();
            match self.find_by_key(&original, key, wanted)? {
                Some(i) => {
                    let current = match std::mem::take(&mut original[i]) {
                        Value::Object(m) => m,
                        _ => Object::new(),
                    };
                    original[i] = Value::Object(self.merge_map(current, patch_map)?);
                }
                None => original.push(item.clone()),
            }
        }
        Ok(original)
    }

    /// Index of the first element whose `key` is `wanted`; every element must be a map.
    fn find_by_key(
        &self,
        list: &[Value],
        key: &str,
        wanted: &Value,
    ) -> Result<Option<usize>, PatchError> {
        for (i, v) in list.iter().enumerate() {
            let m = v
                .as_object()
                .ok_or_else(|| self.merge_error(format!("value for key {i} is not a map")))?;
            if m.get(key) == Some(wanted) {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// Splits `merged` into the elements `by` names and the rest.
    fn partition(
        &self,
        merged: Vec<Value>,
        by: &[Value],
        key: &str,
    ) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
        let mut named = Vec::with_capacity(merged.len());
        let mut rest = Vec::new();
        for v in merged {
            let found = if key.is_empty() {
                by.contains(&v)
            } else {
                let m = v
                    .as_object()
                    .ok_or_else(|| self.merge_error(bad_arg_type(Kind::Map, &v)))?;
                let wanted = m.get(key).ok_or_else(|| self.no_merge_key(&v, key))?;
                self.find_by_key(by, key, wanted)?.is_some()
            };
            if found { named.push(v) } else { rest.push(v) }
        }
        Ok((named, rest))
    }

    /// The one kind all elements share (upstream's `sliceElementType`).
    fn element_kind(&self, lists: &[&[Value]]) -> Result<Kind, PatchError> {
        let not_identical = || {
            let all = lists.iter().map(|l| Value::Array(l.to_vec())).collect();
            self.merge_error(format!(
                "list element types are not identical: {}",
                compact(&Value::Array(all))
            ))
        };
        let mut kind = None;
        for v in lists.iter().flat_map(|l| l.iter()) {
            let k = value_kind(v);
            match kind {
                None if k == Kind::List => {
                    return Err(PatchError::ListOfLists { path: self.here() });
                }
                // Upstream cannot type a null element (it panics on a leading one).
                None if k == Kind::Null => return Err(not_identical()),
                None => kind = Some(k),
                Some(prev) if prev != k => return Err(not_identical()),
                Some(_) => {}
            }
        }
        kind.ok_or_else(|| self.merge_error("no elements in any of the given slices".into()))
    }

    /// Orders `named` by `named_order` and `server_only` by `server_order`, then
    /// interleaves them, keeping each one's relative order (upstream's
    /// `normalizeElementOrder`).
    fn normalize_order(
        &self,
        named: Vec<Value>,
        server_only: Vec<Value>,
        named_order: &[Value],
        server_order: &[Value],
        key: &str,
        kind: Kind,
    ) -> Result<Vec<Value>, PatchError> {
        let named = self.sort_by_order(named, named_order, key, kind)?;
        let server_only = self.sort_by_order(server_only, server_order, key, kind)?;
        Ok(interleave(server_only, named, server_order, key, kind))
    }

    /// Stable-sorts `items` by their position in `order`; elements carrying
    /// `$patch: delete` go last.
    fn sort_by_order(
        &self,
        items: Vec<Value>,
        order: &[Value],
        key: &str,
        kind: Kind,
    ) -> Result<Vec<Value>, PatchError> {
        let mut deleted = Vec::new();
        let mut items = items;
        if kind == Kind::Map {
            for v in items.iter().chain(order) {
                let m = v
                    .as_object()
                    .ok_or_else(|| self.merge_error(bad_arg_type(Kind::Map, v)))?;
                if !m.contains_key(key) {
                    return Err(self.no_merge_key(v, key));
                }
            }
            let (kept, del): (Vec<Value>, Vec<Value>) = items
                .into_iter()
                .partition(|v| v.get(DIRECTIVE).and_then(Value::as_str) != Some(DELETE));
            items = kept;
            deleted = del;
        }
        // Every element is in `order` here; one that is not would go last (upstream's
        // comparator is not a strict order for those).
        items.sort_by_key(|v| index_of(order, v, key, kind).unwrap_or(usize::MAX));
        items.extend(deleted);
        Ok(items)
    }
}

/// The document list as upstream sees it when ordering by `$setElementOrder` after
/// merging: its merge removes `$patch: delete` elements by shifting the rest left in
/// place and appends new elements into the slots that frees, all in the array the
/// document list still views (with its old length). The window this leaves is the same
/// whatever the array's capacity, so it can be replayed from the merge keys alone.
/// (Without it, an element that replaces a deleted one would sort before the
/// document's other elements instead of after them.)
fn server_order_after_merge(original: &[Value], patch: &[Value], key: &str) -> Vec<Value> {
    let n = original.len();
    let mut window: Vec<Option<&Value>> = original.iter().map(|v| v.get(key)).collect();
    let mut len = n;
    let mut replace = false;
    for item in patch {
        match item.get(DIRECTIVE).and_then(Value::as_str) {
            Some(DELETE) => {
                let Some(wanted) = item.get(key) else {
                    continue;
                };
                while let Some(i) = window[..len].iter().position(|w| *w == Some(wanted)) {
                    // Go's `append(s[:i], s[i+1:]...)`: the last slot keeps its value.
                    for j in i..len - 1 {
                        window[j] = window[j + 1];
                    }
                    len -= 1;
                }
            }
            Some(REPLACE) => replace = true,
            _ => {}
        }
    }
    if !replace {
        for item in patch.iter().filter(|i| i.get(DIRECTIVE).is_none()) {
            let wanted = item.get(key);
            if wanted.is_some() && window[..len].contains(&wanted) {
                continue;
            }
            if len == n {
                break;
            }
            window[len] = wanted;
            len += 1;
        }
    }
    window
        .into_iter()
        .map(|k| {
            let mut m = Object::new();
            if let Some(k) = k {
                m.insert(key.to_string(), k.clone());
            }
            Value::Object(m)
        })
        .collect()
}

/// Upstream's `mergeSortedSlice`: walks both lists, taking the server-only element
/// first only when both are in `server_order` and it came first there.
fn interleave(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    key: &str,
    kind: Kind,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (index_of(server_order, l, key, kind), index_of(server_order, r, key, kind)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

/// Stores a value the document did not have (or had with another type): nulls and
/// objects carrying `$patch` are dropped first, as upstream does.
fn insert_cleaned(original: &mut Object, key: String, mut value: Value) {
    discard_nulls(&mut value);
    match remove_directives(value) {
        Some(v) => {
            original.insert(key, v);
        }
        None => {
            original.remove(&key);
        }
    }
}

fn discard_nulls(value: &mut Value) {
    match value {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(discard_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

/// Drops objects carrying `$patch`, recursively; `None` if `value` itself is one.
fn remove_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(m) if m.contains_key(DIRECTIVE) => None,
        Value::Object(m) => Some(Value::Object(
            m.into_iter()
                .filter_map(|(k, v)| remove_directives(v).map(|v| (k, v)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}
