//! CustomResourceDefinitions: serving their resources.
//!
//! A CRD is stored like any object. After every CRD write the API server re-reads
//! all CRDs ([`ApiServer::sync_crds`]), rebuilds its resource table from the
//! built-ins plus every served version, and marks new CRDs `NamesAccepted` and
//! `Established` — the work upstream's apiextensions controllers do, done in-line so
//! that a CRD is served as soon as its create returns.

use serde_json::{Value, json};

use crate::api::status::{ApiError, Cause};
use crate::api::{GroupKind, ResourceInfo, ResourceTable, SubresourceInfo};

const VERBS: &[&str] = &[
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "create",
    "update",
    "watch",
];

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The resources a CRD serves, one per served version.
pub fn resource_infos(crd: &Value) -> Vec<ResourceInfo> {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let group = spec["group"].as_str().unwrap_or("").to_string();
    let kind = names["kind"].as_str().unwrap_or("").to_string();
    let plural = names["plural"].as_str().unwrap_or("").to_string();
    let singular = names["singular"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let namespaced = spec["scope"].as_str() != Some("Cluster");
    let mut verbs: Vec<String> = VERBS.iter().map(|v| v.to_string()).collect();
    verbs.sort();
    let mut out = Vec::new();
    for v in spec["versions"].as_array().into_iter().flatten() {
        if v["served"] != json!(true) {
            continue;
        }
        let mut subresources = Vec::new();
        if v["subresources"].get("status").is_some() {
            subresources.push(SubresourceInfo {
                name: "status".into(),
                group: String::new(),
                version: String::new(),
                kind: kind.clone(),
                verbs: vec!["get".into(), "patch".into(), "update".into()],
            });
        }
        if v["subresources"].get("scale").is_some() {
            subresources.push(SubresourceInfo {
                name: "scale".into(),
                group: "autoscaling".into(),
                version: "v1".into(),
                kind: "Scale".into(),
                verbs: vec!["get".into(), "patch".into(), "update".into()],
            });
        }
        out.push(ResourceInfo {
            group: group.clone(),
            version: v["name"].as_str().unwrap_or("").to_string(),
            kind: kind.clone(),
            plural: plural.clone(),
            singular: singular.clone(),
            namespaced,
            short_names: strings(&names["shortNames"]),
            categories: strings(&names["categories"]),
            verbs: verbs.clone(),
            subresources,
        });
    }
    out
}

/// Upstream's checks that matter for serving: the name, group, names, scope and
/// exactly one storage version.
pub fn validate(crd: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or("");
    let plural = spec["names"]["plural"].as_str().unwrap_or("");
    let name = crd["metadata"]["name"].as_str().unwrap_or("");
    if group.is_empty() {
        causes.push(Cause::required("spec.group", ""));
    } else if !group.contains('.') {
        causes.push(Cause::invalid(
            "spec.group",
            group,
            "should be a domain with at least one dot",
        ));
    }
    if plural.is_empty() {
        causes.push(Cause::required("spec.names.plural", ""));
    }
    if spec["names"]["kind"].as_str().unwrap_or("").is_empty() {
        causes.push(Cause::required("spec.names.kind", ""));
    }
    if name != format!("{plural}.{group}") {
        causes.push(Cause::invalid(
            "metadata.name",
            name,
            "must be spec.names.plural+\".\"+spec.group",
        ));
    }
    match spec["scope"].as_str() {
        Some("Namespaced" | "Cluster") => {}
        other => causes.push(Cause::not_supported(
            "spec.scope",
            other.unwrap_or(""),
            &["Cluster", "Namespaced"],
        )),
    }
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    if versions.is_empty() {
        causes.push(Cause::required(
            "spec.versions",
            "must have exactly one version marked as storage version",
        ));
    }
    let storage = versions
        .iter()
        .filter(|v| v["storage"] == json!(true))
        .count();
    if !versions.is_empty() && storage != 1 {
        causes.push(Cause::invalid(
            "spec.versions",
            storage as i64,
            "must have exactly one version marked as storage version",
        ));
    }
    causes
}

/// The invalid error for a CRD.
pub fn invalid(crd: &Value, causes: Vec<Cause>) -> ApiError {
    ApiError::invalid(
        &GroupKind::new("apiextensions.k8s.io", "CustomResourceDefinition"),
        crd["metadata"]["name"].as_str().unwrap_or(""),
        causes,
    )
}

/// The status a served CRD has: names accepted, established, its stored versions.
pub fn accepted_status(crd: &Value, now: &str) -> Value {
    let condition = |ty: &str, reason: &str, message: &str| {
        json!({
            "type": ty,
            "status": "True",
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        })
    };
    let mut names = crd["spec"]["names"].clone();
    if names.get("singular").is_none() {
        names["singular"] = json!(names["kind"].as_str().unwrap_or("").to_lowercase());
    }
    if names.get("listKind").is_none() {
        names["listKind"] = json!(format!("{}List", names["kind"].as_str().unwrap_or("")));
    }
    let stored: Vec<Value> = crd["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["storage"] == json!(true))
        .map(|v| v["name"].clone())
        .collect();
    json!({
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "acceptedNames": names,
        "storedVersions": stored,
    })
}

pub fn is_established(crd: &Value) -> bool {
    crd["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Established" && c["status"] == "True")
    })
}

/// The built-in table plus every served version of `crds`. A CRD whose group,
/// version and plural a built-in already serves is skipped.
pub fn table_with(crds: &[Value]) -> ResourceTable {
    let mut table = ResourceTable::builtin();
    for crd in crds {
        for info in resource_infos(crd) {
            let clash = table.resources().iter().any(|r| {
                r.group == info.group && r.version == info.version && r.plural == info.plural
            });
            if !clash {
                table.insert(info);
            }
        }
    }
    table
}

/// A custom resource's printer column.
#[derive(Debug, Clone)]
pub struct PrinterColumn {
    pub name: String,
    pub kind: String,
    pub format: String,
    pub description: String,
    pub priority: i64,
    pub json_path: String,
}

/// `additionalPrinterColumns` of a version, or `None` for the default (Name, Age).
pub fn printer_columns(crd: &Value, version: &str) -> Option<Vec<PrinterColumn>> {
    let v = crd["spec"]["versions"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == version)?;
    let cols = v["additionalPrinterColumns"].as_array()?;
    Some(
        cols.iter()
            .map(|c| PrinterColumn {
                name: c["name"].as_str().unwrap_or("").to_string(),
                kind: c["type"].as_str().unwrap_or("string").to_string(),
                format: c["format"].as_str().unwrap_or("").to_string(),
                description: c["description"].as_str().unwrap_or("").to_string(),
                priority: c["priority"].as_i64().unwrap_or(0),
                json_path: c["jsonPath"].as_str().unwrap_or("").to_string(),
            })
            .collect(),
    )
}

/// Evaluates the simple JSONPath of a printer column (`.spec.a.b`, `.items[0].x`).
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = obj;
    for part in path
        .trim_start_matches('.')
        .split('.')
        .filter(|p| !p.is_empty())
    {
        let (field, index) = match part.split_once('[') {
            Some((f, rest)) => (f, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !field.is_empty() {
            v = v.get(field)?;
        }
        if let Some(i) = index {
            v = v.get(i)?;
        }
    }
    Some(v)
}

/// The structural schema of a version (for OpenAPI).
pub fn schema(crd: &Value, version: &str) -> Option<Value> {
    crd["spec"]["versions"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == version)
        .and_then(|v| v["schema"].get("openAPIV3Schema").cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd() -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets", "shortNames": ["wd"]},
                "versions": [{
                    "name": "v1", "served": true, "storage": true,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }, {"name": "v0", "served": false, "storage": false}],
            },
        })
    }

    #[test]
    fn serves_each_served_version() {
        let infos = resource_infos(&crd());
        assert_eq!(infos.len(), 1);
        let w = &infos[0];
        assert_eq!(
            (w.group.as_str(), w.version.as_str(), w.plural.as_str()),
            ("example.com", "v1", "widgets")
        );
        assert_eq!(w.singular, "widget");
        assert!(w.namespaced && w.subresource("status").is_some());
        assert_eq!(w.short_names, vec!["wd"]);
        assert!(validate(&crd()).is_empty());
        let mut bad = crd();
        bad["metadata"]["name"] = json!("widgets");
        bad["spec"]["group"] = json!("example");
        assert_eq!(validate(&bad).len(), 2);
        let cols = printer_columns(&crd(), "v1").unwrap();
        assert_eq!(cols[0].json_path, ".spec.size");
        let obj = json!({"spec": {"size": 3, "list": [{"a": 1}]}});
        assert_eq!(json_path(&obj, ".spec.size"), Some(&json!(3)));
        assert_eq!(json_path(&obj, ".spec.list[0].a"), Some(&json!(1)));
        assert!(is_established(
            &json!({"status": accepted_status(&crd(), "t")})
        ));
    }
}
