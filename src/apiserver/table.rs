//! Server-side printing: `meta.k8s.io/v1` Tables, which `kubectl get` asks for and
//! prints as they come. Columns follow upstream's printers
//! (pkg/printers/internalversion) for the kinds that have them; any other kind gets
//! upstream's default: Name and Created At.

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

fn age(obj: &Value) -> String {
    let Some(ts) = meta_str(obj, "creationTimestamp") else {
        return "<unknown>".into();
    };
    match humantime::parse_rfc3339(ts) {
        Ok(t) => human_duration(SystemTime::now().duration_since(t).unwrap_or_default()),
        Err(_) => "<unknown>".into(),
    }
}

fn count(v: Option<&Value>) -> usize {
    v.and_then(Value::as_object).map_or(0, |m| m.len())
}

fn s(v: &Value) -> Value {
    match v {
        Value::Null => json!("<none>"),
        v => v.clone(),
    }
}

fn columns(info: &ResourceInfo) -> Vec<Column> {
    match (info.group.as_str(), info.kind.as_str()) {
        ("", "Namespace") => vec![NAME, col("Status", "string", 0), AGE],
        ("", "ConfigMap") => vec![NAME, col("Data", "integer", 0), AGE],
        ("", "Secret") => vec![
            NAME,
            col("Type", "string", 0),
            col("Data", "integer", 0),
            AGE,
        ],
        ("", "ServiceAccount") => vec![NAME, col("Secrets", "string", 0), AGE],
        ("", "Pod") => vec![
            NAME,
            col("Ready", "string", 0),
            col("Status", "string", 0),
            col("Restarts", "string", 0),
            AGE,
            col("IP", "string", 1),
            col("Node", "string", 1),
            col("Nominated Node", "string", 1),
            col("Readiness Gates", "string", 1),
        ],
        ("", "Node") => vec![
            NAME,
            col("Status", "string", 0),
            col("Roles", "string", 0),
            AGE,
            col("Version", "string", 0),
        ],
        ("coordination.k8s.io", "Lease") => vec![NAME, col("Holder", "string", 0), AGE],
        ("", "Service") => vec![
            NAME,
            col("Type", "string", 0),
            col("Cluster-IP", "string", 0),
            col("External-IP", "string", 0),
            col("Port(s)", "string", 0),
            AGE,
            col("Selector", "string", 1),
        ],
        ("", "Endpoints") => vec![NAME, col("Endpoints", "string", 0), AGE],
        ("apps", "Deployment") => vec![
            NAME,
            col("Ready", "string", 0),
            col("Up-to-date", "string", 0),
            col("Available", "string", 0),
            AGE,
            col("Containers", "string", 1),
            col("Images", "string", 1),
            col("Selector", "string", 1),
        ],
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            vec![NAME, col("Created At", "date", 0)]
        }
        _ => vec![NAME, col("Created At", "date", 0)],
    }
}

fn cells(info: &ResourceInfo, obj: &Value) -> Vec<Value> {
    let name = json!(meta_str(obj, "name").unwrap_or(""));
    match (info.group.as_str(), info.kind.as_str()) {
        ("", "Namespace") => vec![name, s(&obj["status"]["phase"]), json!(age(obj))],
        ("", "ConfigMap") => vec![
            name,
            json!(count(obj.get("data")) + count(obj.get("binaryData"))),
            json!(age(obj)),
        ],
        ("", "Secret") => vec![
            name,
            s(&obj["type"]),
            json!(count(obj.get("data"))),
            json!(age(obj)),
        ],
        ("", "ServiceAccount") => vec![
            name,
            json!(
                obj.get("secrets")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
            ),
            json!(age(obj)),
        ],
        ("", "Pod") => pod_cells(obj, name),
        ("", "Node") => vec![
            name,
            json!(node_status(obj)),
            json!("<none>"),
            json!(age(obj)),
            s(&obj["status"]["nodeInfo"]["kubeletVersion"]),
        ],
        ("coordination.k8s.io", "Lease") => {
            vec![name, s(&obj["spec"]["holderIdentity"]), json!(age(obj))]
        }
        ("", "Service") => service_cells(obj, name),
        ("", "Endpoints") => vec![name, json!(endpoints(obj)), json!(age(obj))],
        ("apps", "Deployment") => deployment_cells(obj, name),
        _ => vec![name, s(&obj["metadata"]["creationTimestamp"])],
    }
}

fn join_or_none(items: Vec<String>) -> String {
    if items.is_empty() {
        "<none>".into()
    } else {
        items.join(",")
    }
}

fn service_cells(obj: &Value, name: Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let ty = spec["type"].as_str().unwrap_or("ClusterIP");
    let cluster_ip = match spec["clusterIP"].as_str() {
        Some(ip) if !ip.is_empty() => ip.to_string(),
        _ => "<none>".into(),
    };
    let mut external: Vec<String> = spec["externalIPs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(ing) = obj["status"]["loadBalancer"]["ingress"].as_array() {
        for i in ing {
            if let Some(v) = i["ip"].as_str().or_else(|| i["hostname"].as_str()) {
                external.push(v.to_string());
            }
        }
    }
    let external = match ty {
        "ExternalName" => spec["externalName"]
            .as_str()
            .unwrap_or("<none>")
            .to_string(),
        "LoadBalancer" if external.is_empty() => "<pending>".into(),
        _ => join_or_none(external),
    };
    let ports: Vec<String> = spec["ports"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let proto = p["protocol"].as_str().unwrap_or("TCP");
                    match p["nodePort"].as_u64() {
                        Some(np) => format!("{}:{np}/{proto}", p["port"]),
                        None => format!("{}/{proto}", p["port"]),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let selector: Vec<String> = spec["selector"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    vec![
        name,
        json!(ty),
        json!(cluster_ip),
        json!(external),
        json!(join_or_none(ports)),
        json!(age(obj)),
        json!(join_or_none(selector)),
    ]
}

fn endpoints(obj: &Value) -> String {
    let mut out = Vec::new();
    for subset in obj["subsets"].as_array().into_iter().flatten() {
        let ports: Vec<u64> = subset["ports"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["port"].as_u64()).collect())
            .unwrap_or_default();
        for addr in subset["addresses"].as_array().into_iter().flatten() {
            let ip = addr["ip"].as_str().unwrap_or("");
            if ports.is_empty() {
                out.push(ip.to_string());
            }
            for p in &ports {
                out.push(format!("{ip}:{p}"));
            }
        }
    }
    // upstream shows at most three, then "+ N more..."
    if out.len() > 3 {
        let more = out.len() - 3;
        out.truncate(3);
        return format!("{} + {more} more...", out.join(","));
    }
    join_or_none(out)
}

fn deployment_cells(obj: &Value, name: Value) -> Vec<Value> {
    let want = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let st = &obj["status"];
    let n = |f: &str| st[f].as_i64().unwrap_or(0);
    let containers = obj["spec"]["template"]["spec"]["containers"].as_array();
    let names: Vec<String> = containers
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let images: Vec<String> = containers
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["image"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let selector: Vec<String> = obj["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    vec![
        name,
        json!(format!("{}/{want}", n("readyReplicas"))),
        json!(n("updatedReplicas")),
        json!(n("availableReplicas")),
        json!(age(obj)),
        json!(join_or_none(names)),
        json!(join_or_none(images)),
        json!(join_or_none(selector)),
    ]
}

fn node_status(obj: &Value) -> String {
    let ready = obj["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .map(|c| c["status"] == "True");
    let mut status = match ready {
        Some(true) => "Ready".to_string(),
        _ => "NotReady".to_string(),
    };
    if obj["spec"]["unschedulable"] == json!(true) {
        status.push_str(",SchedulingDisabled");
    }
    status
}

fn pod_cells(obj: &Value, name: Value) -> Vec<Value> {
    let containers = obj["spec"]["containers"].as_array().map_or(0, Vec::len);
    let statuses = obj["status"]["containerStatuses"].as_array();
    let ready = statuses.map_or(0, |st| {
        st.iter().filter(|c| c["ready"] == json!(true)).count()
    });
    let restarts: i64 = statuses.map_or(0, |st| {
        st.iter().filter_map(|c| c["restartCount"].as_i64()).sum()
    });
    let mut reason = obj["status"]["reason"]
        .as_str()
        .or_else(|| obj["status"]["phase"].as_str())
        .unwrap_or("Unknown")
        .to_string();
    if let Some(st) = statuses {
        for c in st {
            if let Some(r) = c["state"]["waiting"]["reason"].as_str() {
                reason = r.to_string();
            } else if let Some(r) = c["state"]["terminated"]["reason"].as_str() {
                reason = r.to_string();
            }
        }
    }
    if meta_str(obj, "deletionTimestamp").is_some() {
        reason = "Terminating".into();
    }
    let or_none = |v: &Value| match v.as_str() {
        Some(s) if !s.is_empty() => json!(s),
        _ => json!("<none>"),
    };
    vec![
        name,
        json!(format!("{ready}/{containers}")),
        json!(reason),
        json!(restarts.to_string()),
        json!(age(obj)),
        or_none(&obj["status"]["podIP"]),
        or_none(&obj["spec"]["nodeName"]),
        or_none(&obj["status"]["nominatedNodeName"]),
        json!("<none>"),
    ]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_go() {
        let cases = [
            (0, "0s"),
            (119, "119s"),
            (120, "2m"),
            (125, "2m5s"),
            (600, "10m"),
            (179 * 60, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 60, "3h1m"),
            (8 * 3600, "8h"),
            (47 * 3600, "47h"),
            (48 * 3600, "2d"),
            (49 * 3600, "2d1h"),
            (8 * 86400, "8d"),
            (2 * 365 * 86400, "2y"),
            (2 * 365 * 86400 + 86400, "2y1d"),
            (9 * 365 * 86400, "9y"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(Duration::from_secs(secs)), want, "{secs}s");
        }
    }
}
