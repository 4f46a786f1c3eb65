//! Per-kind behaviour on top of the generic registry: defaults, what an update may
//! change, validation, selectable fields and graceful deletion — upstream's
//! `RESTCreateStrategy`/`RESTUpdateStrategy` per resource, kept small and pure.

use serde_json::{Value, json};

use crate::api::ResourceInfo;
use crate::api::status::Cause;
use crate::api::validation;

use super::registry::meta_str;

fn kind(info: &ResourceInfo) -> (&str, &str) {
    (info.group.as_str(), info.kind.as_str())
}

pub fn has_status_subresource(info: &ResourceInfo) -> bool {
    info.subresource("status").is_some()
}

/// Whether this kind counts spec changes in `metadata.generation`.
fn has_generation(obj: &Value) -> bool {
    obj.get("spec").is_some()
}

pub fn prepare_for_create(info: &ResourceInfo, obj: &mut Value) {
    if has_generation(obj) {
        obj["metadata"]["generation"] = json!(1);
    }
    match kind(info) {
        ("", "Namespace") => {
            obj["spec"] = json!({"finalizers": ["kubernetes"]});
            obj["status"] = json!({"phase": "Active"});
        }
        ("", "Pod") => {
            let qos = pod_qos_class(&obj["spec"]);
            obj["status"] = json!({"phase": "Pending", "qosClass": qos});
        }
        ("batch", "Job") => generate_job_selector(obj),
        ("", "Secret") => {
            if obj.get("type").is_none() {
                obj["type"] = json!("Opaque");
            }
        }
        ("", "ServiceAccount") | ("", "ConfigMap") => {}
        _ => {
            if has_status_subresource(info) && obj.get("status").is_some() {
                obj["status"] = json!({});
            }
        }
    }
}

/// Upstream's `generateSelector`: unless `spec.manualSelector` is true, a Job selects
/// its pods by its own uid, and its template carries those labels and its name.
fn generate_job_selector(obj: &mut Value) {
    if obj["spec"]["manualSelector"] == true || !obj["spec"].is_object() {
        return;
    }
    let uid = obj["metadata"]["uid"].clone();
    let name = obj["metadata"]["name"].clone();
    let template = &mut obj["spec"]["template"];
    if !template.is_object() {
        return;
    }
    if !template["metadata"].is_object() {
        template["metadata"] = json!({});
    }
    if !template["metadata"]["labels"].is_object() {
        template["metadata"]["labels"] = json!({});
    }
    let labels = &mut template["metadata"]["labels"];
    for (k, v) in [
        ("batch.kubernetes.io/controller-uid", &uid),
        ("batch.kubernetes.io/job-name", &name),
        ("controller-uid", &uid),
        ("job-name", &name),
    ] {
        if labels[k].is_null() {
            labels[k] = v.clone();
        }
    }
    if obj["spec"]["selector"].is_null() {
        obj["spec"]["selector"] =
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
    }
}

/// Carries over what an update may not change, and the part another endpoint owns
/// (status through the main resource, everything but status through `/status`).
pub fn prepare_for_update(
    info: &ResourceInfo,
    subresource: Option<&str>,
    new: &mut Value,
    old: &Value,
) {
    // the binding and approval subresources change only what their handlers set
    if matches!(subresource, Some("binding" | "approval")) {
        return;
    }
    if subresource == Some("status") {
        let status = new.get("status").cloned();
        *new = old.clone();
        match status {
            Some(s) => new["status"] = s,
            None => {
                if let Some(o) = new.as_object_mut() {
                    o.remove("status");
                }
            }
        }
        return;
    }
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        match old["metadata"].get(field) {
            Some(v) => new["metadata"][field] = v.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(field);
                }
            }
        }
    }
    if has_status_subresource(info) {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(o) = new.as_object_mut() {
                    o.remove("status");
                }
            }
        }
    }
    if has_generation(new) && new.get("spec") != old.get("spec") {
        let generation = old["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        new["metadata"]["generation"] = json!(generation);
    }
}

/// Upstream's `GetPodQOS` (without pod-level resources): BestEffort when no container
/// requests or limits CPU or memory, Guaranteed when every container limits both
/// and the requests equal the limits, Burstable otherwise. Only positive quantities
/// count; requests default from limits before this runs.
pub fn pod_qos_class(spec: &Value) -> &'static str {
    use std::collections::BTreeMap;
    let quantity = |v: &Value| {
        super::validation::quantity_of(v)
            .map(|q| q.nanos())
            .filter(|n| *n > 0)
    };
    let mut requests: BTreeMap<&str, i128> = BTreeMap::new();
    let mut limits: BTreeMap<&str, i128> = BTreeMap::new();
    let mut guaranteed = true;
    let containers = ["containers", "initContainers"]
        .into_iter()
        .flat_map(|f| spec[f].as_array().into_iter().flatten());
    for c in containers {
        for name in ["cpu", "memory"] {
            if let Some(n) = quantity(&c["resources"]["requests"][name]) {
                *requests.entry(name).or_default() += n;
            }
        }
        let mut limited = 0;
        for name in ["cpu", "memory"] {
            if let Some(n) = quantity(&c["resources"]["limits"][name]) {
                *limits.entry(name).or_default() += n;
                limited += 1;
            }
        }
        if limited < 2 {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed && requests == limits {
        return "Guaranteed";
    }
    "Burstable"
}

/// Field-level problems with the object, as upstream reports them in a 422.
pub fn validate(info: &ResourceInfo, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut causes = Vec::new();
    let name = meta_str(obj, "name").unwrap_or("");
    let name_errors = match kind(info) {
        ("", "Namespace") => validation::is_dns1123_label(name),
        // RBAC and a few others accept any path segment
        ("rbac.authorization.k8s.io", _) => path_segment_errors(name),
        _ => validation::is_dns1123_subdomain(name),
    };
    for e in name_errors {
        causes.push(Cause::invalid("metadata.name", name, &e));
    }
    if let Some(labels) = obj["metadata"].get("labels").and_then(Value::as_object) {
        for (k, v) in labels {
            for e in validation::is_qualified_name(k) {
                causes.push(Cause::invalid("metadata.labels", k.as_str(), &e));
            }
            match v.as_str() {
                Some(v) => {
                    for e in validation::is_valid_label_value(v) {
                        causes.push(Cause::invalid("metadata.labels", v, &e));
                    }
                }
                None => causes.push(Cause::invalid(
                    "metadata.labels",
                    k.as_str(),
                    "must be a string",
                )),
            }
        }
    }
    // the kind's own rules (src/apiserver/validation): spec fields, update rules
    causes.extend(super::validation::validate(
        &info.group,
        &info.kind,
        obj,
        old,
    ));
    if let (("", "ConfigMap" | "Secret"), Some(old)) = (kind(info), old)
        && old.get("immutable") == Some(&json!(true))
    {
        for field in ["data", "binaryData", "stringData"] {
            if obj.get(field) != old.get(field) {
                causes.push(Cause::forbidden(
                    field,
                    "field is immutable when `immutable` is set",
                ));
            }
        }
        if obj.get("immutable") != Some(&json!(true)) {
            causes.push(Cause::forbidden(
                "immutable",
                "field is immutable when `immutable` is set",
            ));
        }
    }
    causes
}

fn path_segment_errors(name: &str) -> Vec<String> {
    if name == "." || name == ".." {
        return vec![format!("may not be '{name}'")];
    }
    if name.contains('/') || name.contains('%') {
        return vec!["may not contain '/' or '%'".into()];
    }
    vec![]
}

/// The fields a field selector may use for this resource (beyond
/// `metadata.name` and `metadata.namespace`, which every resource has).
pub fn selectable_fields(info: &ResourceInfo) -> &'static [&'static str] {
    match kind(info) {
        ("", "Pod") => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        ("", "Secret") => &["type"],
        ("", "Node") => &["spec.unschedulable"],
        ("", "Namespace") => &["status.phase"],
        // events.k8s.io Events are stored as core Events: their selectors are renamed
        // to the core fields (events_api_field) and match on the stored object
        ("", "Event") | ("events.k8s.io", "Event") => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        ("", "ReplicationController") => &["status.replicas"],
        ("apps", "ReplicaSet") => &["status.replicas"],
        ("batch", "Job") => &["status.successful"],
        ("certificates.k8s.io", "CertificateSigningRequest") => &["spec.signerName"],
        _ => &[],
    }
}

/// The core Event field an events.k8s.io/v1 field selector label stands for (upstream's
/// field label conversion for events.k8s.io), `None` for a label it does not support.
pub fn events_api_field(label: &str) -> Option<&'static str> {
    Some(match label {
        "regarding.kind" => "involvedObject.kind",
        "regarding.namespace" => "involvedObject.namespace",
        "regarding.name" => "involvedObject.name",
        "regarding.uid" => "involvedObject.uid",
        "regarding.apiVersion" => "involvedObject.apiVersion",
        "regarding.resourceVersion" => "involvedObject.resourceVersion",
        "regarding.fieldPath" => "involvedObject.fieldPath",
        "reportingController" => "reportingComponent",
        "reason" => "reason",
        "source" => "source",
        "type" => "type",
        "metadata.namespace" => "metadata.namespace",
        "metadata.name" => "metadata.name",
        _ => return None,
    })
}

/// The value of a selectable field as a string; an absent field selects as "".
pub fn field_value(obj: &Value, field: &str) -> Option<String> {
    if field == "source" {
        // an Event's `source` selects on its component, else the reporting
        // controller (upstream's EventToSelectableFields)
        let component = obj["source"]["component"].as_str().unwrap_or("");
        let reporting = obj["reportingComponent"].as_str().unwrap_or("");
        return Some(
            if component.is_empty() {
                reporting
            } else {
                component
            }
            .to_string(),
        );
    }
    let mut v = obj;
    for part in field.split('.') {
        match v.get(part) {
            Some(next) => v = next,
            None => return Some(String::new()),
        }
    }
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// `Some(seconds)` when deleting this object waits for its grace period (a pod bound
/// to a node: the kubelet finishes the deletion); `None` deletes at once.
pub fn deletion_grace(info: &ResourceInfo, obj: &Value, requested: Option<i64>) -> Option<i64> {
    if kind(info) != ("", "Pod") {
        return None;
    }
    let bound = obj["spec"]
        .get("nodeName")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let phase = obj["status"].get("phase").and_then(Value::as_str);
    if !bound || matches!(phase, Some("Succeeded" | "Failed")) {
        return None;
    }
    let grace = requested
        .or_else(|| obj["spec"]["terminationGracePeriodSeconds"].as_i64())
        .unwrap_or(30);
    (grace > 0).then_some(grace)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::pod_qos_class;

    #[test]
    fn qos_classes_as_upstream_computes_them() {
        let spec = |resources: serde_json::Value| {
            json!({"containers": [{"name": "a", "resources": resources},
                {"name": "b", "resources": {"limits": {"cpu": "1", "memory": "1Gi"},
                    "requests": {"cpu": "1", "memory": "1Gi"}}}]})
        };
        let cases = [
            (json!({"containers": [{"name": "a"}]}), "BestEffort"),
            // zero quantities do not count
            (
                json!({"containers": [{"name": "a", "resources": {"requests": {"cpu": "0"}}}]}),
                "BestEffort",
            ),
            (
                spec(json!({"limits": {"cpu": "500m", "memory": "64Mi"},
                "requests": {"cpu": "0.5", "memory": "64Mi"}})),
                "Guaranteed",
            ),
            (
                spec(json!({"limits": {"cpu": "1", "memory": "64Mi"},
                "requests": {"cpu": "100m", "memory": "64Mi"}})),
                "Burstable",
            ),
            (spec(json!({"requests": {"memory": "64Mi"}})), "Burstable"),
            (
                spec(json!({"limits": {"cpu": "1"}, "requests": {"cpu": "1"}})),
                "Burstable",
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(pod_qos_class(&spec), want, "{spec}");
        }
    }
}
