//! CustomResourceDefinitions: serving their resources.
//!
//! A CRD is stored like any object. After every CRD write the API server re-reads
//! all CRDs ([`ApiServer::sync_crds`]), rebuilds its resource table from the
//! built-ins plus every served version, and marks new CRDs `NamesAccepted` and
//! `Established` — the work upstream's apiextensions controllers do, done in-line so
//! that a CRD is served as soon as its create returns.

use serde_json::{Value, json};

use crate::api::status::{ApiError, BadValue, Cause};
use crate::api::validation;
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

/// Upstream's `ValidateCustomResourceDefinition` (and its update checks when `old` is
/// the stored CRD), in upstream's order and words, for what kelp serves: the name,
/// group, scope, versions and their schemas' roots, names, conversion and stored
/// versions. Runs after [`set_defaults`].
pub fn validate(crd: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut causes = Vec::new();
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or("");
    let names = &spec["names"];
    let plural = names["plural"].as_str().unwrap_or("");
    let name = crd["metadata"]["name"].as_str().unwrap_or("");
    if name != format!("{plural}.{group}") {
        causes.push(Cause::invalid(
            "metadata.name",
            name,
            "must be spec.names.plural+\".\"+spec.group",
        ));
    }
    // the group: one of three, as upstream's if / else-if
    let group_errs = validation::is_dns1123_subdomain(group);
    if group.is_empty() {
        causes.push(Cause::required("spec.group", ""));
    } else if !group_errs.is_empty() {
        let errs = group_errs;
        causes.push(Cause::invalid("spec.group", group, &errs.join(",")));
    } else if group.split('.').count() < 2 {
        causes.push(Cause::invalid(
            "spec.group",
            group,
            "should be a domain with at least one dot",
        ));
    }
    match spec["scope"].as_str().unwrap_or("") {
        "" => causes.push(Cause::required("spec.scope", "")),
        "Namespaced" | "Cluster" => {}
        other => causes.push(Cause::not_supported(
            "spec.scope",
            other,
            &["Cluster", "Namespaced"],
        )),
    }
    let versions = spec["versions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let version_name = |v: &Value| v["name"].as_str().unwrap_or("").to_string();
    for (i, v) in versions.iter().enumerate() {
        if v["schema"]
            .get("openAPIV3Schema")
            .is_none_or(Value::is_null)
        {
            causes.push(Cause::required(
                &format!("spec.versions[{i}].schema.openAPIV3Schema"),
                "schemas are required",
            ));
        }
    }
    for (i, v) in versions.iter().enumerate() {
        let errs = validation::is_dns1035_label(&version_name(v));
        if !errs.is_empty() {
            causes.push(Cause::invalid(
                &format!("spec.versions[{i}].name"),
                version_name(v),
                &errs.join(","),
            ));
        }
    }
    // the schemas' roots: one path when every version has the same schema (upstream
    // moves it to spec.validation then), each version's otherwise
    let schemas: Vec<&Value> = versions
        .iter()
        .filter_map(|v| v["schema"].get("openAPIV3Schema").filter(|s| !s.is_null()))
        .collect();
    let same = schemas.len() == versions.len() && schemas.windows(2).all(|w| w[0] == w[1]);
    if same && let Some(schema) = schemas.first() {
        schema_root(schema, "spec.validation.openAPIV3Schema", &mut causes);
        causes.extend(super::cel::check_schema(
            schema,
            "spec.validation.openAPIV3Schema",
        ));
    } else {
        for (i, v) in versions.iter().enumerate() {
            if let Some(schema) = v["schema"].get("openAPIV3Schema").filter(|s| !s.is_null()) {
                let path = format!("spec.versions[{i}].schema.openAPIV3Schema");
                schema_root(schema, &path, &mut causes);
                causes.extend(super::cel::check_schema(schema, &path));
            }
        }
    }
    let unique: std::collections::BTreeSet<String> = versions.iter().map(version_name).collect();
    if unique.len() != versions.len() {
        causes.push(Cause::invalid(
            "spec.versions",
            BadValue::Raw(VERSIONS_VALUE.into()),
            "must contain unique version names",
        ));
    }
    let storage = versions.iter().filter(|v| v["storage"] == true).count();
    if storage != 1 {
        causes.push(Cause::invalid(
            "spec.versions",
            BadValue::Raw(VERSIONS_VALUE.into()),
            "must have exactly one version marked as storage version",
        ));
    }
    // upstream's internal spec.version is the first version's name
    if let Some(first) = versions.first() {
        let errs = validation::is_dns1035_label(&version_name(first));
        if !errs.is_empty() {
            causes.push(Cause::invalid(
                "spec.version",
                version_name(first),
                &errs.join(","),
            ));
        }
    }
    for field in ["plural", "singular", "kind", "listKind"] {
        if names[field].as_str().unwrap_or("").is_empty() {
            causes.push(Cause::required(&format!("spec.names.{field}"), ""));
        }
    }
    validate_names(names, &mut causes);
    validate_conversion(spec, &mut causes);
    stored_versions(crd, versions, &mut causes);
    if let Some(old) = old {
        let established = is_established(old);
        let immutable = [
            (
                "spec.scope",
                &spec["scope"],
                &old["spec"]["scope"],
                established,
            ),
            (
                "spec.names.kind",
                &names["kind"],
                &old["spec"]["names"]["kind"],
                established,
            ),
            ("spec.group", &spec["group"], &old["spec"]["group"], true),
            (
                "spec.names.plural",
                &names["plural"],
                &old["spec"]["names"]["plural"],
                true,
            ),
        ];
        for (field, new, was, applies) in immutable {
            if applies && new != was {
                causes.push(Cause::invalid(
                    field,
                    new.as_str().unwrap_or(""),
                    "field is immutable",
                ));
            }
        }
    }
    causes
}

/// How upstream prints `spec.versions` as an invalid value (a Go struct dump); kelp
/// names the type and leaves the dump out.
const VERSIONS_VALUE: &str = "[]apiextensions.CustomResourceDefinitionVersion{...}";

/// The structural checks on a schema's root that decide what kelp can serve.
fn schema_root(schema: &Value, path: &str, causes: &mut Vec<Cause>) {
    match schema["type"].as_str().unwrap_or("") {
        "" => causes.push(Cause::required(
            &format!("{path}.type"),
            "must not be empty at the root",
        )),
        "object" => {}
        other => causes.push(Cause::invalid(
            &format!("{path}.type"),
            other,
            "must be object at the root",
        )),
    }
    let props = &schema["properties"];
    for field in ["kind", "apiVersion"] {
        if let Some(t) = props[field].get("type").and_then(Value::as_str)
            && t != "string"
        {
            causes.push(Cause::invalid(
                &format!("{path}.properties[{field}].type"),
                t,
                "must be string",
            ));
        }
    }
    if let Some(meta) = props.get("metadata").and_then(Value::as_object) {
        if let Some(t) = meta.get("type").and_then(Value::as_str)
            && t != "object"
        {
            causes.push(Cause::invalid(
                &format!("{path}.properties[metadata].type"),
                t,
                "must be object",
            ));
        }
        let other_fields = meta["properties"]
            .as_object()
            .is_some_and(|p| p.keys().any(|k| k != "name" && k != "generateName"));
        let other_keywords = meta.keys().any(|k| {
            !matches!(
                k.as_str(),
                "type" | "properties" | "default" | "description" | "title"
            )
        });
        if other_fields || other_keywords {
            causes.push(Cause::forbidden(
                &format!("{path}.properties[metadata]"),
                "must not specify anything other than name and generateName, but metadata is implicitly specified",
            ));
        }
    }
}

fn validate_names(names: &Value, causes: &mut Vec<Cause>) {
    let label = |field: &str, causes: &mut Vec<Cause>| {
        let v = names[field].as_str().unwrap_or("");
        let errs = validation::is_dns1035_label(v);
        if !v.is_empty() && !errs.is_empty() {
            causes.push(Cause::invalid(
                &format!("spec.names.{field}"),
                v,
                &errs.join(","),
            ));
        }
    };
    label("plural", causes);
    label("singular", causes);
    for field in ["kind", "listKind"] {
        let v = names[field].as_str().unwrap_or("");
        let errs = validation::is_dns1035_label(&v.to_lowercase());
        if !v.is_empty() && !errs.is_empty() {
            causes.push(Cause::invalid(
                &format!("spec.names.{field}"),
                v,
                &format!(
                    "may have mixed case, but should otherwise match: {}",
                    errs.join(",")
                ),
            ));
        }
    }
    let each = |field: &str, causes: &mut Vec<Cause>| {
        for (i, v) in names[field].as_array().into_iter().flatten().enumerate() {
            let v = v.as_str().unwrap_or("");
            let errs = validation::is_dns1035_label(v);
            if !errs.is_empty() {
                causes.push(Cause::invalid(
                    &format!("spec.names.{field}[{i}]"),
                    v,
                    &errs.join(","),
                ));
            }
        }
    };
    each("shortNames", causes);
    let kind = names["kind"].as_str().unwrap_or("");
    if !kind.is_empty() && names["listKind"].as_str() == Some(kind) {
        causes.push(Cause::invalid(
            "spec.names.listKind",
            kind,
            "kind and listKind may not be the same",
        ));
    }
    each("categories", causes);
}

/// `spec.conversion`, with upstream's internal field names in the paths
/// (`webhookClientConfig`, `conversionReviewVersions`).
fn validate_conversion(spec: &Value, causes: &mut Vec<Cause>) {
    let conversion = &spec["conversion"];
    let strategy = conversion["strategy"].as_str().unwrap_or("");
    if strategy != "None" && spec["preserveUnknownFields"] == true {
        causes.push(Cause::invalid(
            "spec.conversion.strategy",
            strategy,
            "must be None if spec.preserveUnknownFields is true",
        ));
    }
    match strategy {
        "" => causes.push(Cause::required("spec.conversion.strategy", "")),
        "None" | "Webhook" => {}
        other => causes.push(Cause::not_supported(
            "spec.conversion.strategy",
            other,
            &["None", "Webhook"],
        )),
    }
    let webhook = &conversion["webhook"];
    let client = webhook.get("clientConfig").filter(|c| !c.is_null());
    let review = webhook
        .get("conversionReviewVersions")
        .and_then(Value::as_array);
    if strategy != "Webhook" {
        if client.is_some() {
            causes.push(Cause::forbidden(
                "spec.conversion.webhookClientConfig",
                "should not be set when strategy is not set to Webhook",
            ));
        }
        if review.is_some_and(|r| !r.is_empty()) {
            causes.push(Cause::forbidden(
                "spec.conversion.conversionReviewVersions",
                "should not be set when strategy is not set to Webhook",
            ));
        }
        return;
    }
    match client {
        None => causes.push(Cause::required(
            "spec.conversion.webhookClientConfig",
            "required when strategy is set to Webhook",
        )),
        Some(c) => {
            let url = c.get("url").is_some_and(|u| !u.is_null());
            let service = c.get("service").is_some_and(|s| !s.is_null());
            if url == service {
                causes.push(Cause::required(
                    "spec.conversion.webhookClientConfig",
                    "exactly one of url or service is required",
                ));
            }
        }
    }
    let review: Vec<&str> = review
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap_or(""))
        .collect();
    let path = "spec.conversion.conversionReviewVersions";
    if review.is_empty() {
        causes.push(Cause::required(path, ""));
        return;
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, v) in review.iter().enumerate() {
        if !seen.insert(*v) {
            causes.push(Cause::invalid(
                &format!("{path}[{i}]"),
                *v,
                "duplicate version",
            ));
            continue;
        }
        let errs = validation::is_dns1035_label(v);
        if !errs.is_empty() {
            causes.push(Cause::invalid(&format!("{path}[{i}]"), *v, &errs.join(",")));
        }
    }
    if !review.iter().any(|v| *v == "v1" || *v == "v1beta1") {
        let quoted: Vec<String> = review
            .iter()
            .map(|v| crate::api::goformat::quote(v))
            .collect();
        causes.push(Cause::invalid(
            path,
            BadValue::Raw(format!("[]string{{{}}}", quoted.join(", "))),
            "must include at least one of v1, v1beta1",
        ));
    }
}

/// `status.storedVersions`: each must still be a version (objects may be stored at
/// it), and the storage version must be one of them.
fn stored_versions(crd: &Value, versions: &[Value], causes: &mut Vec<Cause>) {
    let Some(stored) = crd["status"]["storedVersions"].as_array() else {
        // a new CRD: the server records the storage version when it establishes it
        return;
    };
    if stored.is_empty() {
        causes.push(Cause::invalid(
            "status.storedVersions",
            BadValue::Raw("[]string{}".into()),
            "must have at least one stored version",
        ));
        return;
    }
    for (i, v) in stored.iter().enumerate() {
        let v = v.as_str().unwrap_or("");
        if !versions.iter().any(|s| s["name"] == v) {
            causes.push(Cause::invalid(
                &format!("status.storedVersions[{i}]"),
                v,
                &format!(
                    "missing from spec.versions; {v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in {v} and removes {v} from status.storedVersions"
                ),
            ));
        }
    }
}

/// Upstream's v1 defaults: singular and listKind from kind, conversion `None`.
pub fn set_defaults(crd: &mut Value) {
    let Some(spec) = crd.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(names) = spec.get_mut("names").and_then(Value::as_object_mut) {
        let kind = names
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let empty = |n: &serde_json::Map<String, Value>, k: &str| {
            n.get(k).and_then(Value::as_str).is_none_or(str::is_empty)
        };
        if empty(names, "singular") && !kind.is_empty() {
            names.insert("singular".into(), json!(kind.to_lowercase()));
        }
        if empty(names, "listKind") && !kind.is_empty() {
            names.insert("listKind".into(), json!(format!("{kind}List")));
        }
    }
    if spec.get("conversion").is_none_or(Value::is_null) {
        spec.insert("conversion".into(), json!({"strategy": "None"}));
    }
    if let Some(port) = spec
        .get_mut("conversion")
        .and_then(|c| c.get_mut("webhook"))
        .and_then(|w| w.get_mut("clientConfig"))
        .and_then(|c| c.get_mut("service"))
        .and_then(Value::as_object_mut)
    {
        port.entry("port").or_insert(json!(443));
    }
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

/// The storage version, when `status.storedVersions` does not list it yet.
pub fn unrecorded_storage_version(crd: &Value) -> Option<String> {
    let storage = super::conversion::storage_version(crd)?;
    let recorded = crd["status"]["storedVersions"]
        .as_array()
        .is_some_and(|s| s.iter().any(|v| v == storage));
    (!recorded).then(|| storage.to_string())
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
                }, {"name": "v0", "served": false, "storage": false,
                    "schema": {"openAPIV3Schema": {"type": "object"}}}],
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
        let mut good = crd();
        set_defaults(&mut good);
        assert_eq!(validate(&good, None), vec![]);
        let mut bad = good.clone();
        bad["metadata"]["name"] = json!("widgets");
        bad["spec"]["group"] = json!("example");
        assert_eq!(validate(&bad, None).len(), 2);
        let cols = printer_columns(&crd(), "v1").unwrap();
        assert_eq!(cols[0].json_path, ".spec.size");
        let obj = json!({"spec": {"size": 3, "list": [{"a": 1}]}});
        assert_eq!(json_path(&obj, ".spec.size"), Some(&json!(3)));
        assert_eq!(json_path(&obj, ".spec.list[0].a"), Some(&json!(1)));
        assert!(is_established(
            &json!({"status": accepted_status(&crd(), "t")})
        ));
    }

    fn messages(crd: &Value, old: Option<&Value>) -> Vec<String> {
        validate(crd, old)
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn conversion_names_and_stored_versions_as_upstream() {
        let mut c = crd();
        set_defaults(&mut c);
        assert_eq!(c["spec"]["conversion"], json!({"strategy": "None"}));
        assert_eq!(c["spec"]["names"]["listKind"], "WidgetList");

        let mut webhook = c.clone();
        webhook["spec"]["conversion"] = json!({"strategy": "Webhook", "webhook": {
            "conversionReviewVersions": ["v2"]}});
        assert_eq!(
            messages(&webhook, None),
            vec![
                "spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook",
                "spec.conversion.conversionReviewVersions: Invalid value: []string{\"v2\"}: must include at least one of v1, v1beta1",
            ]
        );
        let mut none = c.clone();
        none["spec"]["conversion"] = json!({"strategy": "None", "webhook": {
            "clientConfig": {"url": "https://x"}}});
        assert_eq!(
            messages(&none, None),
            vec![
                "spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook"
            ]
        );
        let mut names = c.clone();
        names["spec"]["names"]["listKind"] = json!("Widget");
        names["spec"]["names"]["shortNames"] = json!(["W"]);
        let got = messages(&names, None);
        assert!(
            got[0].starts_with("spec.names.shortNames[0]: Invalid value: \"W\": a DNS-1035 label"),
            "{got:?}"
        );
        assert_eq!(
            got[1],
            "spec.names.listKind: Invalid value: \"Widget\": kind and listKind may not be the same"
        );

        // updates: the group and plural never change; a stored version stays listed
        let mut old = c.clone();
        old["status"] = accepted_status(&c, "t");
        let mut moved = old.clone();
        moved["spec"]["group"] = json!("other.com");
        moved["metadata"]["name"] = json!("widgets.other.com");
        assert!(
            messages(&moved, Some(&old)).contains(
                &"spec.group: Invalid value: \"other.com\": field is immutable".to_string()
            )
        );
        let mut dropped = old.clone();
        dropped["spec"]["versions"] = json!([{"name": "v2", "served": true, "storage": true,
            "schema": {"openAPIV3Schema": {"type": "object"}}}]);
        let got = messages(&dropped, Some(&old));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("status.storedVersions[0]: Invalid value: \"v1\": missing from spec.versions; v1 was previously a storage version"), "{got:?}");
    }
}
