//! Server-side printing: `meta.k8s.io/v1` Tables, which `kubectl get` asks for and
//! prints as they come. Columns follow upstream's (v1.33) printers
//! (pkg/printers/internalversion) for the kinds that have them, per kind in
//! [`kinds`]; any other kind (LimitRange, Role, ClusterRole, …) gets upstream's
//! default: Name and Created At.
//!
//! Like upstream's server, rows always carry the wide (`-o wide`) cells; kubectl
//! hides the priority-1 columns unless asked.

mod kinds;
#[cfg(test)]
mod tests;

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::api::ResourceInfo;

use super::crd::PrinterColumn;
use super::registry::meta_str;

struct Column {
    name: &'static str,
    kind: &'static str,
    format: &'static str,
    description: &'static str,
    priority: u8,
}

const fn col(name: &'static str, kind: &'static str, priority: u8) -> Column {
    Column {
        name,
        kind,
        format: "",
        description: "",
        priority,
    }
}

const NAME: Column = Column {
    name: "Name",
    kind: "string",
    format: "name",
    description: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    priority: 0,
};
const AGE: Column = Column {
    name: "Age",
    kind: "string",
    format: "",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    priority: 0,
};
const CREATED_AT: Column = Column {
    name: "Created At",
    kind: "date",
    ..AGE
};

/// Go's `duration.HumanDuration`, as kubectl's AGE column shows it.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// Go's `duration.HumanDuration` of a signed number of whole seconds: a little
/// clock skew reads as `0s`, anything further in the future as `<invalid>`.
fn human_signed(secs: i64) -> String {
    if secs < -1 {
        "<invalid>".into()
    } else if secs < 0 {
        "0s".into()
    } else {
        human_duration(Duration::from_secs(secs as u64))
    }
}

/// The time ages are counted to: the clock, or in unit tests the instant their
/// fixtures were made from (so a slow run cannot turn `45s` into `46s`).
fn now() -> SystemTime {
    #[cfg(test)]
    if let Some(t) = tests::NOW.with(std::cell::Cell::get) {
        return t;
    }
    SystemTime::now()
}

/// Whole seconds from `from` to `to`, truncated toward zero as Go's
/// `int(d.Seconds())` is.
fn secs_between(from: SystemTime, to: SystemTime) -> i64 {
    match to.duration_since(from) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// A `metav1.Time` or `MicroTime`; `None` when unset (Go's zero time).
fn time(v: &Value) -> Option<SystemTime> {
    v.as_str().and_then(|s| humantime::parse_rfc3339(s).ok())
}

/// Upstream's `translateTimestampSince`.
fn since(v: &Value) -> String {
    match time(v) {
        Some(t) => human_signed(secs_between(t, now())),
        None => "<unknown>".into(),
    }
}

fn age(obj: &Value) -> String {
    since(&obj["metadata"]["creationTimestamp"])
}

fn count(v: &Value) -> usize {
    v.as_object().map_or(0, |m| m.len())
}

/// A string field, `""` when unset (a Go string's zero value).
fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A string field, or `fallback` when unset or empty.
fn text_or<'a>(v: &'a Value, fallback: &'a str) -> &'a str {
    match v.as_str() {
        Some(s) if !s.is_empty() => s,
        _ => fallback,
    }
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn items(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// `Quantity.String()`: the canonical form (`1024Mi` → `1Gi`); an unset quantity
/// is zero.
fn quantity(v: &Value) -> String {
    let raw = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return "0".into(),
    };
    super::validation::quantity::Quantity::parse(&raw).map_or(raw, |q| q.canonical())
}

/// A `*resource.Quantity` that may be nil: Go prints a nil one as `<nil>`.
fn quantity_ptr(v: &Value) -> String {
    if v.is_null() {
        "<nil>".into()
    } else {
        quantity(v)
    }
}

/// `IntOrString.String()`.
fn int_or_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "0".into(),
    }
}

/// `labels.FormatLabels`: `k=v` pairs sorted by key, or `<none>`.
fn format_labels(v: &Value) -> String {
    let pairs: Vec<String> = v
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", text(v))).collect())
        .unwrap_or_default();
    join_or_none(pairs)
}

/// A `LabelSelector` as `labels.Selector.String()` prints it: requirements sorted
/// by key, `""` when it selects everything (or nothing).
fn label_selector(v: &Value) -> String {
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(m) = v["matchLabels"].as_object() {
        for (k, val) in m {
            reqs.push((k.clone(), format!("{k}={}", text(val))));
        }
    }
    for e in items(&v["matchExpressions"]) {
        let key = text(&e["key"]).to_string();
        let mut values: Vec<&str> = items(&e["values"]).iter().map(text).collect();
        values.sort_unstable();
        values.dedup();
        let req = match text(&e["operator"]) {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.clone(),
            "DoesNotExist" => format!("!{key}"),
            _ => return "<error>".into(),
        };
        reqs.push((key, req));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    let reqs: Vec<String> = reqs.into_iter().map(|(_, r)| r).collect();
    reqs.join(",")
}

/// `metav1.FormatLabelSelector`: [`label_selector`], or `<none>`.
fn format_label_selector(v: &Value) -> String {
    let out = label_selector(v);
    if out.is_empty() { "<none>".into() } else { out }
}

/// Upstream's `layoutContainerCells`: container names and images, comma-joined.
fn containers(pod_spec: &Value) -> (String, String) {
    let cs = items(&pod_spec["containers"]);
    let names: Vec<&str> = cs.iter().map(|c| text(&c["name"])).collect();
    let images: Vec<&str> = cs.iter().map(|c| text(&c["image"])).collect();
    (names.join(","), images.join(","))
}

fn join_or_none(items: Vec<String>) -> String {
    if items.is_empty() {
        "<none>".into()
    } else {
        items.join(",")
    }
}

/// The default columns upstream gives a kind without a printer (and custom
/// resources without `additionalPrinterColumns`).
fn default_columns() -> Vec<Column> {
    vec![NAME, CREATED_AT]
}

fn default_cells(obj: &Value) -> Vec<Value> {
    let created = match &obj["metadata"]["creationTimestamp"] {
        Value::Null => json!("0001-01-01T00:00:00Z"),
        v => v.clone(),
    };
    vec![json!(text(&obj["metadata"]["name"])), created]
}

fn columns(info: &ResourceInfo) -> Vec<Column> {
    match kinds::printer(&info.group, &info.kind) {
        Some((cols, _)) => cols,
        None => default_columns(),
    }
}

fn cells(info: &ResourceInfo, obj: &Value) -> Vec<Value> {
    match kinds::printer(&info.group, &info.kind) {
        Some((_, cells)) => cells(obj),
        None => default_cells(obj),
    }
}

fn partial_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or(json!({})),
    })
}

/// How a resource prints: its built-in columns, or a custom resource's
/// `additionalPrinterColumns`.
#[derive(Clone, Copy)]
pub struct Printer<'a> {
    pub info: &'a ResourceInfo,
    pub custom: Option<&'a [PrinterColumn]>,
}

impl<'a> Printer<'a> {
    pub fn builtin(info: &'a ResourceInfo) -> Self {
        Printer { info, custom: None }
    }

    fn definitions(&self) -> Value {
        let def = |name: &str, kind: &str, format: &str, description: &str, priority: i64| {
            json!({
                "name": name,
                "type": kind,
                "format": format,
                "description": description,
                "priority": priority,
            })
        };
        match self.custom {
            Some(cols) => {
                let mut out = vec![def(NAME.name, NAME.kind, NAME.format, NAME.description, 0)];
                out.extend(
                    cols.iter()
                        .map(|c| def(&c.name, &c.kind, &c.format, &c.description, c.priority)),
                );
                Value::Array(out)
            }
            None => Value::Array(
                columns(self.info)
                    .into_iter()
                    .map(|c| def(c.name, c.kind, c.format, c.description, c.priority as i64))
                    .collect(),
            ),
        }
    }

    fn cells(&self, obj: &Value) -> Vec<Value> {
        match self.custom {
            Some(cols) => {
                let mut out = vec![json!(meta_str(obj, "name").unwrap_or(""))];
                out.extend(
                    cols.iter()
                        .map(|c| match super::crd::json_path(obj, &c.json_path) {
                            Some(v) if c.kind == "date" => v.clone(),
                            Some(Value::String(s)) => json!(s),
                            Some(Value::Null) | None => Value::Null,
                            Some(v) => v.clone(),
                        }),
                );
                out
            }
            None => cells(self.info, obj),
        }
    }

    /// One row, for a watch event or a list.
    pub fn row(&self, obj: &Value, include_object: bool) -> Value {
        let mut r = json!({ "cells": self.cells(obj) });
        if include_object {
            r["object"] = partial_metadata(obj);
        }
        r
    }

    /// A Table of `objects`. `metadata` is the list metadata (resourceVersion,
    /// continue).
    pub fn table(&self, objects: &[Value], metadata: Value, include_object: bool) -> Value {
        json!({
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": metadata,
            "columnDefinitions": self.definitions(),
            "rows": objects.iter().map(|o| self.row(o, include_object)).collect::<Vec<_>>(),
        })
    }

    /// A Table holding one row, as watch events carry.
    pub fn event_table(&self, obj: &Value, include_object: bool) -> Value {
        self.table(
            std::slice::from_ref(obj),
            json!({"resourceVersion": meta_str(obj, "resourceVersion").unwrap_or("")}),
            include_object,
        )
    }
}
