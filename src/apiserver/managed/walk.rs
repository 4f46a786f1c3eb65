//! Typed walks over objects: the field set of an apply configuration, the merge of a
//! configuration into a live object, the comparison of two objects, and the removal of
//! fields.

use serde_json::{Map, Value};

use super::fieldset::{self, Element, FieldSet};
use super::types::{Schema, Shape, TypeRef};

/// Why an object cannot be walked: a malformed associative list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkError(pub String);

/// Upstream fills a missing key field from its default; these are the defaulted key
/// fields of the built-in associative lists (ports by containerPort/port and protocol).
fn key_default(name: &str) -> Option<Value> {
    (name == "protocol").then(|| Value::String("TCP".into()))
}

/// The key element of an associative list item.
fn item_key(
    item: &Value,
    keys: &[String],
    path: &[Element],
    index: usize,
) -> Result<Element, WalkError> {
    let Value::Object(obj) = item else {
        return Err(WalkError(format!(
            "{}: element {index}: expected an object, got {}",
            fieldset::path_string(path),
            type_name(item)
        )));
    };
    let mut fields = Map::new();
    for k in keys {
        match obj
            .get(k)
            .filter(|v| !v.is_null())
            .cloned()
            .or_else(|| key_default(k))
        {
            Some(v) => {
                fields.insert(k.clone(), v);
            }
            None => {
                return Err(WalkError(format!(
                    "{}: element {index}: associative list with keys has an element that omits key field {k:?} (and doesn't have default value)",
                    fieldset::path_string(path)
                )));
            }
        }
    }
    Ok(fieldset::key(&fields))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

/// The items of an associative list by key, refusing duplicate keys.
fn keyed<'v>(
    items: &'v [Value],
    keys: &[String],
    path: &[Element],
) -> Result<Vec<(Element, &'v Value)>, WalkError> {
    let mut out: Vec<(Element, &Value)> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let k = item_key(item, keys, path, i)?;
        if out.iter().any(|(seen, _)| *seen == k) {
            let mut p = path.to_vec();
            p.push(k);
            return Err(WalkError(format!(
                "{}: duplicate entries for key {}",
                fieldset::path_string(path),
                fieldset::path_string(&p[path.len()..])
            )));
        }
        out.push((k, item));
    }
    Ok(out)
}

/// The fields an apply configuration sets: its leaves, and the elements of its
/// associative lists and sets.
pub fn to_set(schema: &Schema, cfg: &Value) -> Result<FieldSet, WalkError> {
    let mut set = FieldSet::new();
    let mut path = Vec::new();
    walk_set(schema, schema.root(), cfg, &mut path, &mut set)?;
    Ok(set)
}

fn walk_set(
    schema: &Schema,
    ty: TypeRef,
    v: &Value,
    path: &mut Vec<Element>,
    set: &mut FieldSet,
) -> Result<(), WalkError> {
    match schema.shape(ty, v) {
        Shape::Atomic => set.insert(path),
        Shape::Fields { schema, ty, .. } => {
            let obj = v.as_object().expect("shape says object");
            if obj.is_empty() && !path.is_empty() {
                set.insert(path);
            }
            for (k, child) in obj {
                path.push(fieldset::field(k));
                walk_set(schema, schema.field(ty, k), child, path, set)?;
                path.pop();
            }
        }
        Shape::Set => {
            for item in v.as_array().expect("shape says list") {
                path.push(fieldset::value(item));
                set.insert(path);
                path.pop();
            }
        }
        Shape::Assoc { schema, elem, keys } => {
            let items = v.as_array().expect("shape says list");
            for (k, item) in keyed(items, keys, path)? {
                path.push(k);
                set.insert(path);
                walk_set(schema, elem, item, path, set)?;
                path.pop();
            }
        }
    }
    Ok(())
}

/// `live` with `cfg` merged in: objects key by key, associative lists by key, sets as
/// a union, everything else replaced. A `null` in `cfg` removes the field.
pub fn merge(schema: &Schema, live: Option<&Value>, cfg: &Value) -> Result<Value, WalkError> {
    merge_at(schema, schema.root(), live, cfg, &mut Vec::new())
}

fn merge_at(
    schema: &Schema,
    ty: TypeRef,
    live: Option<&Value>,
    cfg: &Value,
    path: &mut Vec<Element>,
) -> Result<Value, WalkError> {
    match schema.shape(ty, cfg) {
        Shape::Atomic => Ok(cfg.clone()),
        Shape::Fields { schema, ty, .. } => {
            let mut out = match live {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            };
            for (k, c) in cfg.as_object().expect("shape says object") {
                if c.is_null() {
                    out.remove(k);
                    continue;
                }
                path.push(fieldset::field(k));
                let merged = merge_at(schema, schema.field(ty, k), out.get(k), c, path)?;
                path.pop();
                out.insert(k.clone(), merged);
            }
            Ok(Value::Object(out))
        }
        Shape::Set => {
            let mut out: Vec<Value> = match live {
                Some(Value::Array(items)) => items.clone(),
                _ => Vec::new(),
            };
            for item in cfg.as_array().expect("shape says list") {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            Ok(Value::Array(out))
        }
        Shape::Assoc { schema, elem, keys } => {
            let cfg_items = keyed(cfg.as_array().expect("shape says list"), keys, path)?;
            let live_items: Vec<(Element, &Value)> = match live {
                // a live list that is not keyable is replaced
                Some(Value::Array(items)) => keyed(items, keys, path).unwrap_or_default(),
                _ => Vec::new(),
            };
            let mut out = Vec::with_capacity(live_items.len() + cfg_items.len());
            for (k, l) in &live_items {
                match cfg_items.iter().find(|(ck, _)| ck == k) {
                    Some((_, c)) => {
                        path.push(k.clone());
                        out.push(merge_at(schema, elem, Some(l), c, path)?);
                        path.pop();
                    }
                    None => out.push((*l).clone()),
                }
            }
            for (k, c) in &cfg_items {
                if !live_items.iter().any(|(lk, _)| lk == k) {
                    path.push(k.clone());
                    out.push(merge_at(schema, elem, None, c, path)?);
                    path.pop();
                }
            }
            Ok(Value::Array(out))
        }
    }
}

/// What changed from `old` to `new`.
#[derive(Debug, Default)]
pub struct Comparison {
    pub added: FieldSet,
    pub removed: FieldSet,
    pub modified: FieldSet,
}

impl Comparison {
    pub fn is_same(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.modified.is_empty()
    }
}

/// Compares two versions of an object. A new (or removed) object node is itself added
/// (removed) when its shape makes it a member; its leaves always are.
pub fn compare(schema: &Schema, old: Option<&Value>, new: Option<&Value>) -> Comparison {
    let mut c = Comparison::default();
    cmp(schema, schema.root(), old, new, &mut Vec::new(), &mut c);
    c
}

fn cmp(
    schema: &Schema,
    ty: TypeRef,
    old: Option<&Value>,
    new: Option<&Value>,
    path: &mut Vec<Element>,
    c: &mut Comparison,
) {
    let (o, n) = (old.filter(|v| !v.is_null()), new.filter(|v| !v.is_null()));
    // equal values differ nowhere: an update walks only the parts it changed
    if let (Some(a), Some(b)) = (o, n)
        && a == b
    {
        return;
    }
    let probe = match (o, n) {
        (_, Some(v)) | (Some(v), None) => v,
        (None, None) => return,
    };
    let shape = schema.shape(ty, probe);
    // a value whose type changed is compared as a whole
    let same_kind = match (o, n) {
        (Some(a), Some(b)) => a.is_object() == b.is_object() && a.is_array() == b.is_array(),
        _ => true,
    };
    let mark = |set: &mut FieldSet, path: &[Element]| {
        if !path.is_empty() {
            set.insert(path)
        }
    };
    match shape {
        Shape::Fields {
            schema,
            ty,
            members,
        } if same_kind => {
            let (om, nm) = (o.and_then(Value::as_object), n.and_then(Value::as_object));
            match (om, nm) {
                (None, Some(m)) if members || m.is_empty() => mark(&mut c.added, path),
                (Some(m), None) if members || m.is_empty() => mark(&mut c.removed, path),
                _ => {}
            }
            let empty = Map::new();
            let (om, nm) = (om.unwrap_or(&empty), nm.unwrap_or(&empty));
            for (k, ov) in om {
                path.push(fieldset::field(k));
                cmp(schema, schema.field(ty, k), Some(ov), nm.get(k), path, c);
                path.pop();
            }
            for (k, nv) in nm {
                if !om.contains_key(k) {
                    path.push(fieldset::field(k));
                    cmp(schema, schema.field(ty, k), None, Some(nv), path, c);
                    path.pop();
                }
            }
        }
        Shape::Set if same_kind => {
            let empty = Vec::new();
            let oi = o.and_then(Value::as_array).unwrap_or(&empty);
            let ni = n.and_then(Value::as_array).unwrap_or(&empty);
            for item in oi {
                if !ni.contains(item) {
                    path.push(fieldset::value(item));
                    c.removed.insert(path);
                    path.pop();
                }
            }
            for item in ni {
                if !oi.contains(item) {
                    path.push(fieldset::value(item));
                    c.added.insert(path);
                    path.pop();
                }
            }
        }
        Shape::Assoc { schema, elem, keys } if same_kind => {
            let empty = Vec::new();
            let oi = o.and_then(Value::as_array).unwrap_or(&empty);
            let ni = n.and_then(Value::as_array).unwrap_or(&empty);
            let (Ok(ok), Ok(nk)) = (keyed(oi, keys, path), keyed(ni, keys, path)) else {
                // not keyable (written before validation existed): compare whole
                atomic_cmp(o, n, path, c);
                return;
            };
            for (k, ov) in &ok {
                let nv = nk.iter().find(|(x, _)| x == k).map(|(_, v)| *v);
                path.push(k.clone());
                if nv.is_none() {
                    c.removed.insert(path);
                }
                cmp(schema, elem, Some(ov), nv, path, c);
                path.pop();
            }
            for (k, nv) in &nk {
                if !ok.iter().any(|(x, _)| x == k) {
                    path.push(k.clone());
                    c.added.insert(path);
                    cmp(schema, elem, None, Some(nv), path, c);
                    path.pop();
                }
            }
        }
        _ => atomic_cmp(o, n, path, c),
    }
}

fn atomic_cmp(o: Option<&Value>, n: Option<&Value>, path: &[Element], c: &mut Comparison) {
    if path.is_empty() {
        return;
    }
    match (o, n) {
        (None, Some(_)) => c.added.insert(path),
        (Some(_), None) => c.removed.insert(path),
        (Some(a), Some(b)) if a != b => c.modified.insert(path),
        _ => {}
    }
}

/// Removes from `obj` every member of `remove`, except what `keep` still owns: a list
/// element or object that `keep` owns something under stays, with only the removed
/// fields gone.
pub fn remove(schema: &Schema, obj: &mut Value, remove: &FieldSet, keep: &FieldSet) {
    remove_at(schema, schema.root(), obj, remove, keep, &mut Vec::new());
}

fn remove_at(
    schema: &Schema,
    ty: TypeRef,
    v: &mut Value,
    remove: &FieldSet,
    keep: &FieldSet,
    path: &mut Vec<Element>,
) {
    let doomed = |path: &[Element]| remove.contains(path) && !keep.has_prefix(path);
    let below = |path: &[Element]| remove.below(path).is_some_and(|s| !s.is_empty());
    match schema.shape(ty, v) {
        Shape::Atomic => {}
        Shape::Fields { schema, ty, .. } => {
            let obj = v.as_object_mut().expect("shape says object");
            let names: Vec<String> = obj.keys().cloned().collect();
            for k in names {
                path.push(fieldset::field(&k));
                if doomed(path) {
                    obj.remove(&k);
                } else if below(path)
                    && let Some(child) = obj.get_mut(&k)
                {
                    remove_at(schema, schema.field(ty, &k), child, remove, keep, path);
                }
                path.pop();
            }
        }
        Shape::Set => {
            let items = v.as_array_mut().expect("shape says list");
            items.retain(|item| {
                path.push(fieldset::value(item));
                let gone = doomed(path);
                path.pop();
                !gone
            });
        }
        Shape::Assoc { schema, elem, keys } => {
            let items = v.as_array_mut().expect("shape says list");
            let mut out = Vec::with_capacity(items.len());
            for (i, mut item) in std::mem::take(items).into_iter().enumerate() {
                let Ok(k) = item_key(&item, keys, path, i) else {
                    out.push(item);
                    continue;
                };
                path.push(k);
                if doomed(path) {
                    path.pop();
                    continue;
                }
                if below(path) {
                    // an element that stays keeps its key fields
                    let key_fields: Vec<(String, Value)> = keys
                        .iter()
                        .filter_map(|k| item.get(k).map(|v| (k.clone(), v.clone())))
                        .collect();
                    remove_at(schema, elem, &mut item, remove, keep, path);
                    if let Some(o) = item.as_object_mut() {
                        for (k, v) in key_fields {
                            o.insert(k, v);
                        }
                    }
                }
                path.pop();
                out.push(item);
            }
            *items = out;
        }
    }
}
