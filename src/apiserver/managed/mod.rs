//! Field management: `metadata.managedFields` and server-side apply, with upstream's
//! semantics (structured-merge-diff as kube-apiserver wires it).
//!
//! Every create, update and patch credits the fields it changed to its field manager
//! ([`track_update`], operation `Update`); an apply ([`apply`], operation `Apply`)
//! merges a configuration into the live object, owns exactly the fields the
//! configuration names, removes the fields it owned before and no longer names (unless
//! another manager owns them too), and refuses with a 409 to change a field another
//! manager owns, unless forced (then the field changes hands).
//!
//! Architecture Invariant: pure functions of (schema, objects, manager, time); the
//! caller decides the time before proposing, so the store's apply stays deterministic.

mod fieldset;
mod types;
mod walk;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value, json};

use crate::api::status::{ApiError, Cause};

pub use fieldset::{Element, FieldSet, path_string};
pub use types::Schema;

/// The operation a managedFields entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// Which fields of an object a request can change, for what it is credited with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole object.
    Whole,
    /// The main resource of a kind with a status subresource: `status` is reset.
    AllButStatus,
    /// The status subresource: only `status`.
    Status,
}

/// The field manager of one write, with what its entry records.
#[derive(Debug, Clone)]
pub struct Manager {
    pub name: String,
    pub operation: Operation,
    /// `apps/v1`.
    pub api_version: String,
    /// `status` for writes through the status subresource.
    pub subresource: Option<String>,
    /// RFC 3339, decided before proposing.
    pub time: String,
    pub scope: Scope,
    pub schema: std::sync::Arc<Schema>,
}

/// Longest field manager name upstream accepts.
pub const MAX_MANAGER_LEN: usize = 128;

/// The manager name of a request without `fieldManager`: the User-Agent up to its
/// first `/` (`kubectl/v1.33.0 (linux/amd64) …` → `kubectl`), as upstream.
pub fn manager_from_user_agent(user_agent: &str) -> String {
    let prefix = user_agent.split('/').next().unwrap_or("");
    let name: String = prefix.chars().take(MAX_MANAGER_LEN).collect();
    if name.is_empty() {
        "unknown".into()
    } else {
        name
    }
}

/// One managedFields entry.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    manager: String,
    operation: Operation,
    api_version: String,
    time: Option<String>,
    subresource: String,
    set: FieldSet,
}

impl Entry {
    /// Whether this is the entry `m` writes: same manager, operation and subresource,
    /// and for updates the same apiVersion (upstream's manager identifier).
    fn is(&self, m: &Manager) -> bool {
        self.manager == m.name
            && self.operation == m.operation
            && self.subresource == m.subresource.as_deref().unwrap_or("")
            && (m.operation == Operation::Apply || self.api_version == m.api_version)
    }

    fn identity(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            s.push_str(&format!(" with subresource {:?}", self.subresource));
        }
        if self.operation == Operation::Update {
            s.push_str(&format!(" using {}", self.api_version));
            if let Some(t) = &self.time {
                s.push_str(&format!(" at {t}"));
            }
        }
        s
    }
}

fn managed_fields(obj: &Value) -> Option<&Vec<Value>> {
    obj.get("metadata")?.get("managedFields")?.as_array()
}

fn decode(list: &[Value]) -> Result<Vec<Entry>, String> {
    let mut out = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        let Value::Object(o) = e else {
            return Err(format!("managedFields[{i}]: expected an object"));
        };
        let s = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let operation = match o.get("operation").and_then(Value::as_str) {
            Some("Apply") => Operation::Apply,
            Some("Update") | None => Operation::Update,
            Some(other) => {
                return Err(format!(
                    "managedFields[{i}]: invalid operation {other:?}: must be Apply or Update"
                ));
            }
        };
        let set = match o.get("fieldsV1") {
            None | Some(Value::Null) => FieldSet::new(),
            Some(v) => {
                match o.get("fieldsType").and_then(Value::as_str) {
                    Some("FieldsV1") | None => {}
                    Some(other) => {
                        return Err(format!(
                            "managedFields[{i}]: invalid fieldsType {other:?}: must be FieldsV1"
                        ));
                    }
                }
                FieldSet::from_fields_v1(v).map_err(|e| format!("managedFields[{i}]: {e}"))?
            }
        };
        out.push(Entry {
            manager: s("manager"),
            operation,
            api_version: s("apiVersion"),
            time: o.get("time").and_then(Value::as_str).map(str::to_string),
            subresource: s("subresource"),
            set,
        });
    }
    Ok(out)
}

/// Writes `entries` into `obj` in upstream's order (operation, time, manager,
/// apiVersion, subresource); no entries, no key.
fn encode(obj: &mut Value, mut entries: Vec<Entry>) {
    entries.retain(|e| !e.set.is_empty());
    entries.sort_by(|a, b| {
        (
            a.operation.as_str(),
            a.time.as_deref().unwrap_or(""),
            &a.manager,
            &a.api_version,
            &a.subresource,
        )
            .cmp(&(
                b.operation.as_str(),
                b.time.as_deref().unwrap_or(""),
                &b.manager,
                &b.api_version,
                &b.subresource,
            ))
    });
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if entries.is_empty() {
        meta.remove("managedFields");
        return;
    }
    let list: Vec<Value> = entries
        .into_iter()
        .map(|e| {
            let mut o = Map::new();
            o.insert("manager".into(), json!(e.manager));
            o.insert("operation".into(), json!(e.operation.as_str()));
            o.insert("apiVersion".into(), json!(e.api_version));
            if let Some(t) = e.time {
                o.insert("time".into(), json!(t));
            }
            o.insert("fieldsType".into(), json!("FieldsV1"));
            o.insert("fieldsV1".into(), e.set.to_fields_v1());
            if !e.subresource.is_empty() {
                o.insert("subresource".into(), json!(e.subresource));
            }
            Value::Object(o)
        })
        .collect();
    meta.insert("managedFields".into(), Value::Array(list));
}

/// Upstream keeps at most this many `Update` entries; older ones are merged into one
/// `ancient-changes` entry.
const MAX_UPDATE_MANAGERS: usize = 10;

fn cap_update_entries(entries: &mut Vec<Entry>) {
    let updates = |entries: &[Entry]| {
        entries
            .iter()
            .filter(|e| e.operation == Operation::Update)
            .count()
    };
    while updates(entries) > MAX_UPDATE_MANAGERS {
        // the oldest update entry goes into the bucket of its apiVersion
        let Some(oldest) = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.operation == Operation::Update && e.manager != ANCIENT)
            .min_by(|(_, a), (_, b)| a.time.cmp(&b.time))
            .map(|(i, _)| i)
        else {
            return;
        };
        let e = entries.remove(oldest);
        match entries.iter_mut().find(|b| {
            b.manager == ANCIENT
                && b.operation == Operation::Update
                && b.api_version == e.api_version
        }) {
            Some(bucket) => {
                bucket.set.union_with(&e.set);
                bucket.time = e.time;
            }
            None => entries.push(Entry {
                manager: ANCIENT.into(),
                ..e
            }),
        }
    }
}

const ANCIENT: &str = "ancient-changes";

/// `metadata` fields nobody owns (upstream's strip set), removed from `set` in place.
fn strip(set: &mut FieldSet) {
    static IGNORED: std::sync::LazyLock<Vec<Vec<Element>>> = std::sync::LazyLock::new(|| {
        [
            &["f:apiVersion"][..],
            &["f:kind"],
            &["f:metadata"],
            &["f:metadata", "f:name"],
            &["f:metadata", "f:namespace"],
            &["f:metadata", "f:creationTimestamp"],
            &["f:metadata", "f:selfLink"],
            &["f:metadata", "f:uid"],
            &["f:metadata", "f:generation"],
            &["f:metadata", "f:managedFields"],
            &["f:metadata", "f:resourceVersion"],
        ]
        .iter()
        .map(|p| p.iter().map(|s| s.to_string()).collect())
        .collect()
    });
    for path in IGNORED.iter() {
        set.remove_member(path);
    }
}

/// The part of `set` a write in `scope` is credited with.
fn scoped(mut set: FieldSet, scope: Scope) -> FieldSet {
    strip(&mut set);
    match scope {
        Scope::Whole => {}
        Scope::AllButStatus => set.remove_subtree(&["f:status".to_string()]),
        Scope::Status => set.retain_top("f:status"),
    }
    set
}

/// What a comparison says a write added or changed.
fn changed_by(cmp: walk::Comparison, scope: Scope) -> (FieldSet, FieldSet) {
    let mut changed = cmp.added;
    changed.union_with(&cmp.modified);
    (scoped(changed, scope), cmp.removed)
}

fn walk_error(e: walk::WalkError) -> ApiError {
    ApiError::bad_request(e.0)
}

/// Credits a create (`live` is `None`), update or non-apply patch to `m`: the fields
/// it added or changed become its own, and are taken from every other manager; fields
/// it removed leave every set. `new` gets the resulting managedFields.
///
/// As upstream, managedFields sent in `new` replace the live ones when they decode and
/// are not empty (a `[{}]` clears them); through a subresource they are ignored.
pub fn track_update(m: &Manager, live: Option<&Value>, new: &mut Value) {
    let from_new = if m.subresource.is_none() {
        managed_fields(new)
            .filter(|l| !l.is_empty())
            .and_then(|l| decode(l).ok())
    } else {
        None
    };
    let mut entries = match from_new {
        Some(e) => e,
        None => live
            .and_then(managed_fields)
            .and_then(|l| decode(l).ok())
            .unwrap_or_default(),
    };
    let schema = &m.schema;
    let (changed, removed) = changed_by(walk::compare(schema, live, Some(new)), m.scope);
    if !changed.is_empty() || !removed.is_empty() {
        for e in entries.iter_mut().filter(|e| !e.is(m)) {
            e.set.subtract(&changed);
            e.set.subtract(&removed);
        }
        match entries.iter_mut().find(|e| e.is(m)) {
            Some(e) => {
                e.set.subtract(&removed);
                e.set.union_with(&changed);
                e.time = Some(m.time.clone());
            }
            None => entries.push(Entry {
                manager: m.name.clone(),
                operation: Operation::Update,
                api_version: m.api_version.clone(),
                time: Some(m.time.clone()),
                subresource: m.subresource.clone().unwrap_or_default(),
                set: changed,
            }),
        }
        cap_update_entries(&mut entries);
    }
    encode(new, entries);
}

/// Server-side apply of `cfg` (the decoded apply patch) to `live` (`None`: create on
/// apply; the caller passes an object holding the name and namespace). Returns the
/// new object with its managedFields, or a 409 listing conflicts when `force` is off.
pub fn apply(
    m: &Manager,
    live: Option<&Value>,
    cfg: &Value,
    force: bool,
) -> Result<Value, ApiError> {
    if managed_fields(cfg).is_some() {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    let mut entries = match live.and_then(managed_fields) {
        Some(l) => decode(l)
            .map_err(|e| ApiError::internal(&format!("failed to decode managed fields: {e}")))?,
        None => Vec::new(),
    };
    let schema = &m.schema;
    let cfg_set = scoped(walk::to_set(schema, cfg).map_err(walk_error)?, m.scope);
    let mut merged = walk::merge(schema, live, cfg).map_err(walk_error)?;

    let me = match entries.iter().position(|e| e.is(m)) {
        Some(i) => i,
        None => {
            entries.push(Entry {
                manager: m.name.clone(),
                operation: Operation::Apply,
                api_version: m.api_version.clone(),
                time: None,
                subresource: m.subresource.clone().unwrap_or_default(),
                set: FieldSet::new(),
            });
            entries.len() - 1
        }
    };
    let last = std::mem::replace(&mut entries[me].set, cfg_set.clone());
    let set_changed = last != cfg_set || entries[me].api_version != m.api_version;
    entries[me].api_version = m.api_version.clone();

    // fields this manager no longer applies go, unless someone still owns them
    let to_remove = last.difference(&cfg_set);
    if !to_remove.is_empty() {
        let mut keep = FieldSet::new();
        for e in &entries {
            keep.union_with(&e.set);
        }
        walk::remove(schema, &mut merged, &to_remove, &keep);
    }

    let cmp = walk::compare(schema, live, Some(&merged));
    let same = cmp.is_same();
    let (touched, removed) = changed_by(cmp, m.scope);
    let mut conflicts: Vec<(usize, FieldSet)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if i == me {
            continue;
        }
        let c = e.set.intersection(&touched);
        if !c.is_empty() {
            conflicts.push((i, c));
        }
    }
    if !force && !conflicts.is_empty() {
        return Err(conflict_error(&entries, &conflicts));
    }
    for (i, c) in &conflicts {
        entries[*i].set.subtract(c);
    }
    if !removed.is_empty() {
        for (i, e) in entries.iter_mut().enumerate() {
            if i != me {
                e.set.subtract(&removed);
            }
        }
    }
    if set_changed || !same || entries[me].time.is_none() {
        entries[me].time = Some(m.time.clone());
    }
    encode(&mut merged, entries);
    Ok(merged)
}

/// Upstream's apply conflict: `Apply failed with 1 conflict: conflict with "x" using
/// v1: .data.a`, one cause per field.
fn conflict_error(entries: &[Entry], conflicts: &[(usize, FieldSet)]) -> ApiError {
    let mut causes = Vec::new();
    let mut lines = Vec::new();
    let mut count = 0;
    for (i, set) in conflicts {
        let who = entries[*i].identity();
        let paths: Vec<String> = set.members().iter().map(|p| path_string(p)).collect();
        count += paths.len();
        lines.push(format!("conflicts with {who}:"));
        for p in &paths {
            causes.push(Cause::new(
                "FieldManagerConflict",
                format!("conflict with {who}"),
                p.clone(),
            ));
            lines.push(format!("- {p}"));
        }
    }
    let message = if count == 1 {
        format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            entries[conflicts[0].0].identity(),
            causes[0].field
        )
    } else {
        format!("Apply failed with {count} conflicts: {}", lines.join("\n"))
    };
    ApiError::apply_conflict(message, causes)
}
