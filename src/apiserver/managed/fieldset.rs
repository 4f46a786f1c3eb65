//! Sets of field paths, as `metadata.managedFields[].fieldsV1` spells them.
//!
//! A path is a list of elements, each already in its FieldsV1 spelling: `f:name` (a
//! field of an object), `k:{"name":"web"}` (an element of an associative list, by its
//! key fields), `v:"x"` (an element of a set) or `i:0` (an element by index). A set is
//! a trie of elements whose nodes may themselves be members: in FieldsV1 a member leaf
//! is `{}`, and a member node with children carries a `"."` entry.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One path element in its FieldsV1 spelling.
pub type Element = String;

/// `f:NAME`.
pub fn field(name: &str) -> Element {
    format!("f:{name}")
}

/// `k:{...}`: the key fields of an associative list element, JSON with sorted keys.
pub fn key(fields: &Map<String, Value>) -> Element {
    // serde_json's Map is a BTreeMap here (no `preserve_order`): keys come out sorted,
    // as upstream's FieldList is.
    format!("k:{}", Value::Object(fields.clone()))
}

/// `v:VALUE`: an element of a set.
pub fn value(v: &Value) -> Element {
    format!("v:{v}")
}

/// A set of paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    children: BTreeMap<Element, Node>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Node {
    member: bool,
    set: FieldSet,
}

impl FieldSet {
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    /// Whether the set has no member.
    pub fn is_empty(&self) -> bool {
        self.children
            .values()
            .all(|n| !n.member && n.set.is_empty())
    }

    /// Adds `path` as a member.
    pub fn insert(&mut self, path: &[Element]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let node = self.children.entry(first.clone()).or_default();
        if rest.is_empty() {
            node.member = true;
        } else {
            node.set.insert(rest);
        }
    }

    /// Whether `path` is a member.
    pub fn contains(&self, path: &[Element]) -> bool {
        match path.split_first() {
            None => false,
            Some((first, rest)) => self.children.get(first).is_some_and(|n| {
                if rest.is_empty() {
                    n.member
                } else {
                    n.set.contains(rest)
                }
            }),
        }
    }

    /// Whether `path` or anything below it is a member.
    pub fn has_prefix(&self, path: &[Element]) -> bool {
        match path.split_first() {
            None => !self.is_empty(),
            Some((first, rest)) => self.children.get(first).is_some_and(|n| {
                if rest.is_empty() {
                    n.member || !n.set.is_empty()
                } else {
                    n.set.has_prefix(rest)
                }
            }),
        }
    }

    /// The members below `path` (not `path` itself), as a set rooted there.
    pub fn below(&self, path: &[Element]) -> Option<&FieldSet> {
        match path.split_first() {
            None => Some(self),
            Some((first, rest)) => self.children.get(first)?.set.below(rest),
        }
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.union_with(other);
        out
    }

    pub fn union_with(&mut self, other: &FieldSet) {
        for (e, n) in &other.children {
            let mine = self.children.entry(e.clone()).or_default();
            mine.member |= n.member;
            mine.set.union_with(&n.set);
        }
    }

    /// The members of `self` that are not members of `other` (exact paths: removing a
    /// node does not remove its children).
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet::new();
        for (e, n) in &self.children {
            let (member, set) = match other.children.get(e) {
                Some(o) => (n.member && !o.member, n.set.difference(&o.set)),
                None => (n.member, n.set.clone()),
            };
            if member || !set.is_empty() {
                out.children.insert(e.clone(), Node { member, set });
            }
        }
        out
    }

    /// Removes every member of `other` from `self`, in place (exact paths, as
    /// [`FieldSet::difference`]); costs O(`other`), not O(`self`).
    pub fn subtract(&mut self, other: &FieldSet) {
        for (e, o) in &other.children {
            let Some(n) = self.children.get_mut(e) else {
                continue;
            };
            if o.member {
                n.member = false;
            }
            if !o.set.children.is_empty() {
                n.set.subtract(&o.set);
            }
            if !n.member && n.set.children.is_empty() {
                self.children.remove(e);
            }
        }
    }

    /// Removes `path` as a member, keeping what is below it.
    pub fn remove_member(&mut self, path: &[Element]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if let Some(n) = self.children.get_mut(first) {
            if rest.is_empty() {
                n.member = false;
            } else {
                n.set.remove_member(rest);
            }
            if !n.member && n.set.children.is_empty() {
                self.children.remove(first);
            }
        }
    }

    /// Keeps only the subtree under the top-level element `e` (and `e` itself).
    pub fn retain_top(&mut self, e: &str) {
        let kept = self.children.remove_entry(e);
        self.children.clear();
        if let Some((k, v)) = kept {
            self.children.insert(k, v);
        }
    }

    /// The members of both.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet::new();
        for (e, n) in &self.children {
            if let Some(o) = other.children.get(e) {
                let member = n.member && o.member;
                let set = n.set.intersection(&o.set);
                if member || !set.is_empty() {
                    out.children.insert(e.clone(), Node { member, set });
                }
            }
        }
        out
    }

    /// Removes `path` and everything below it.
    pub fn remove_subtree(&mut self, path: &[Element]) {
        let Some((first, rest)) = path.split_first() else {
            self.children.clear();
            return;
        };
        if rest.is_empty() {
            self.children.remove(first);
        } else if let Some(n) = self.children.get_mut(first) {
            n.set.remove_subtree(rest);
            if !n.member && n.set.is_empty() {
                self.children.remove(first);
            }
        }
    }

    /// Every member, in order.
    pub fn members(&self) -> Vec<Vec<Element>> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Vec<Element>, out: &mut Vec<Vec<Element>>) {
        for (e, n) in &self.children {
            prefix.push(e.clone());
            if n.member {
                out.push(prefix.clone());
            }
            n.set.collect(prefix, out);
            prefix.pop();
        }
    }

    /// The FieldsV1 form.
    pub fn to_fields_v1(&self) -> Value {
        let mut map = Map::new();
        for (e, n) in &self.children {
            if !n.member && n.set.is_empty() {
                continue;
            }
            let mut inner = match n.set.to_fields_v1() {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            if n.member && !inner.is_empty() {
                inner.insert(".".into(), Value::Object(Map::new()));
            }
            map.insert(e.clone(), Value::Object(inner));
        }
        Value::Object(map)
    }

    /// Parses a FieldsV1 value.
    pub fn from_fields_v1(v: &Value) -> Result<FieldSet, String> {
        let Value::Object(map) = v else {
            return Err("expected an object".into());
        };
        let mut out = FieldSet::new();
        for (e, child) in map {
            if e == "." {
                continue;
            }
            if !["f:", "k:", "v:", "i:"].iter().any(|p| e.starts_with(p)) {
                return Err(format!("unknown path element {e:?}"));
            }
            let Value::Object(inner) = child else {
                return Err(format!("{e}: expected an object"));
            };
            let set = FieldSet::from_fields_v1(child)?;
            let member = inner.is_empty() || inner.contains_key(".");
            out.children.insert(e.clone(), Node { member, set });
        }
        Ok(out)
    }
}

/// A path as upstream prints it in conflict messages: `.spec.containers[name="web"].image`.
pub fn path_string(path: &[Element]) -> String {
    let mut out = String::new();
    for e in path {
        if let Some(name) = e.strip_prefix("f:") {
            out.push('.');
            out.push_str(name);
        } else if let Some(k) = e.strip_prefix("k:") {
            let fields: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
            let parts: Vec<String> = fields.iter().map(|(n, v)| format!("{n}={v}")).collect();
            out.push('[');
            out.push_str(&parts.join(","));
            out.push(']');
        } else if let Some(v) = e.strip_prefix("v:") {
            out.push_str(&format!("[={v}]"));
        } else if let Some(i) = e.strip_prefix("i:") {
            out.push_str(&format!("[{i}]"));
        }
    }
    out
}
