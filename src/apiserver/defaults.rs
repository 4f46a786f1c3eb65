//! Defaulting of built-in types, as upstream's `SetDefaults_*` functions (the
//! `pkg/apis/<group>/v1/defaults.go` files and the generated defaulters that recurse
//! into embedded pod templates) fill in what a client left out.
//!
//! Upstream defaults every object it decodes; kelp does it on every create and update
//! (so a patch or replace that drops a defaulted field gets it back), before
//! validation. Only fields the client did not set are touched.

use serde_json::{Value, json};

use crate::api::ResourceInfo;

/// Sets `obj[field] = value` when `obj` is an object without `field` (or with null).
fn set(obj: &mut Value, field: &str, value: Value) {
    if let Some(o) = obj.as_object_mut()
        && o.get(field).is_none_or(Value::is_null)
    {
        o.insert(field.into(), value);
    }
}

/// [`set`] for a field Go keeps as a plain value rather than a pointer, where the
/// zero value (`""`, `0`) means "not set" and is defaulted too.
fn set_zero(obj: &mut Value, field: &str, value: Value) {
    if let Some(o) = obj.as_object_mut() {
        let unset = match o.get(field) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Number(n)) => n.as_f64() == Some(0.0),
            _ => false,
        };
        if unset {
            o.insert(field.into(), value);
        }
    }
}

/// The object at `obj[field]`, created when absent or null; `None` when `obj` is not
/// an object or `obj[field]` is something else.
fn child<'a>(obj: &'a mut Value, field: &str) -> Option<&'a mut Value> {
    let o = obj.as_object_mut()?;
    let v = o.entry(field).or_insert(Value::Null);
    if v.is_null() {
        *v = json!({});
    }
    v.is_object().then_some(v)
}

/// Every element of the array `obj[field]`, if it is one.
fn each(obj: &mut Value, field: &str, mut f: impl FnMut(&mut Value)) {
    if let Some(items) = obj.get_mut(field).and_then(Value::as_array_mut) {
        items.iter_mut().for_each(&mut f);
    }
}

/// Fills in `obj`'s defaults for its kind; kinds without defaults are left alone.
pub fn apply(info: &ResourceInfo, obj: &mut Value) {
    let spec_of = |obj: &mut Value| obj.get_mut("spec").filter(|s| s.is_object()).is_some();
    match (info.group.as_str(), info.kind.as_str()) {
        ("", "Pod") => {
            if let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) {
                pod_spec(spec);
                set(spec, "enableServiceLinks", json!(true));
                each(spec, "containers", requests_from_limits);
                each(spec, "initContainers", requests_from_limits);
            }
        }
        ("", "PodTemplate") => template(obj.get_mut("template")),
        ("", "ReplicationController") => {
            let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) else {
                return;
            };
            set(spec, "replicas", json!(1));
            template(spec.get_mut("template"));
            // the selector and the controller's labels default to the template's
            let labels = spec["template"]["metadata"]["labels"].clone();
            if labels.as_object().is_some_and(|l| !l.is_empty()) {
                if spec["selector"].as_object().is_none_or(|s| s.is_empty()) {
                    spec["selector"] = labels.clone();
                }
                if obj["metadata"]["labels"]
                    .as_object()
                    .is_none_or(|l| l.is_empty())
                    && let Some(meta) = child(obj, "metadata")
                {
                    meta["labels"] = labels;
                }
            }
        }
        ("", "PersistentVolumeClaim") => {
            if let Some(spec) = child(obj, "spec") {
                set(spec, "volumeMode", json!("Filesystem"));
            }
            if let Some(status) = child(obj, "status") {
                set(status, "phase", json!("Pending"));
            }
        }
        ("", "PersistentVolume") => {
            if let Some(spec) = child(obj, "spec") {
                set_zero(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
                set(spec, "volumeMode", json!("Filesystem"));
            }
            if let Some(status) = child(obj, "status") {
                set(status, "phase", json!("Pending"));
            }
        }
        ("", "Endpoints") => each(obj, "subsets", |s| each(s, "ports", tcp)),
        ("", "LimitRange") => {
            if let Some(spec) = obj.get_mut("spec") {
                each(spec, "limits", limit_range_item);
            }
        }
        ("discovery.k8s.io", "EndpointSlice") => each(obj, "ports", tcp),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            crate::apiserver::crd::set_defaults(obj)
        }
        ("apps", "Deployment") if spec_of(obj) => {
            let spec = &mut obj["spec"];
            set(spec, "replicas", json!(1));
            if let Some(strategy) = child(spec, "strategy") {
                set_zero(strategy, "type", json!("RollingUpdate"));
                if strategy["type"] == "RollingUpdate"
                    && let Some(ru) = child(strategy, "rollingUpdate")
                {
                    set(ru, "maxUnavailable", json!("25%"));
                    set(ru, "maxSurge", json!("25%"));
                }
            }
            set(spec, "revisionHistoryLimit", json!(10));
            set(spec, "progressDeadlineSeconds", json!(600));
            template(spec.get_mut("template"));
        }
        ("apps", "ReplicaSet") if spec_of(obj) => {
            let spec = &mut obj["spec"];
            set(spec, "replicas", json!(1));
            template(spec.get_mut("template"));
        }
        ("apps", "StatefulSet") if spec_of(obj) => {
            let spec = &mut obj["spec"];
            set_zero(spec, "podManagementPolicy", json!("OrderedReady"));
            if let Some(strategy) = child(spec, "updateStrategy") {
                set_zero(strategy, "type", json!("RollingUpdate"));
                if strategy["type"] == "RollingUpdate"
                    && let Some(ru) = child(strategy, "rollingUpdate")
                {
                    set(ru, "partition", json!(0));
                }
            }
            if let Some(policy) = child(spec, "persistentVolumeClaimRetentionPolicy") {
                set(policy, "whenDeleted", json!("Retain"));
                set(policy, "whenScaled", json!("Retain"));
            }
            set(spec, "replicas", json!(1));
            set(spec, "revisionHistoryLimit", json!(10));
            each(spec, "volumeClaimTemplates", |pvc| {
                if let Some(s) = child(pvc, "spec") {
                    set(s, "volumeMode", json!("Filesystem"));
                }
                if let Some(status) = child(pvc, "status") {
                    set(status, "phase", json!("Pending"));
                }
            });
            template(spec.get_mut("template"));
        }
        ("apps", "DaemonSet") if spec_of(obj) => {
            let spec = &mut obj["spec"];
            if let Some(strategy) = child(spec, "updateStrategy") {
                set_zero(strategy, "type", json!("RollingUpdate"));
                if strategy["type"] == "RollingUpdate"
                    && let Some(ru) = child(strategy, "rollingUpdate")
                {
                    set(ru, "maxUnavailable", json!(1));
                    set(ru, "maxSurge", json!(0));
                }
            }
            set(spec, "revisionHistoryLimit", json!(10));
            template(spec.get_mut("template"));
        }
        ("batch", "Job") if spec_of(obj) => {
            let spec = &mut obj["spec"];
            if spec["completions"].is_null() && spec["parallelism"].is_null() {
                spec["completions"] = json!(1);
            }
            set(spec, "parallelism", json!(1));
            let per_index = !spec["backoffLimitPerIndex"].is_null();
            set(
                spec,
                "backoffLimit",
                json!(if per_index { i32::MAX } else { 6 }),
            );
            set(spec, "completionMode", json!("NonIndexed"));
            set(spec, "suspend", json!(false));
            let replacement = if spec["podFailurePolicy"].is_null() {
                "TerminatingOrFailed"
            } else {
                "Failed"
            };
            set(spec, "podReplacementPolicy", json!(replacement));
            template(spec.get_mut("template"));
        }
        ("batch", "CronJob") if spec_of(obj) => {
            let spec = &mut obj["spec"];
            set_zero(spec, "concurrencyPolicy", json!("Allow"));
            set(spec, "suspend", json!(false));
            set(spec, "successfulJobsHistoryLimit", json!(3));
            set(spec, "failedJobsHistoryLimit", json!(1));
            if let Some(job) = spec.get_mut("jobTemplate").and_then(|j| j.get_mut("spec")) {
                template(job.get_mut("template"));
            }
        }
        ("networking.k8s.io", "NetworkPolicy") if spec_of(obj) => {
            let spec = &mut obj["spec"];
            for rules in ["ingress", "egress"] {
                each(spec, rules, |rule| each(rule, "ports", tcp));
            }
            if spec["policyTypes"].as_array().is_none_or(|t| t.is_empty()) {
                let mut types = vec![json!("Ingress")];
                if spec["egress"].as_array().is_some_and(|e| !e.is_empty()) {
                    types.push(json!("Egress"));
                }
                spec["policyTypes"] = Value::Array(types);
            }
        }
        ("autoscaling", "HorizontalPodAutoscaler") if spec_of(obj) => {
            let spec = &mut obj["spec"];
            set(spec, "minReplicas", json!(1));
            if info.version == "v2" && spec["metrics"].as_array().is_none_or(|m| m.is_empty()) {
                spec["metrics"] = json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]);
            }
        }
        ("scheduling.k8s.io", "PriorityClass") => {
            set(obj, "preemptionPolicy", json!("PreemptLowerPriority"));
        }
        ("storage.k8s.io", "StorageClass") => {
            set(obj, "reclaimPolicy", json!("Delete"));
            set(obj, "volumeBindingMode", json!("Immediate"));
        }
        ("storage.k8s.io", "CSIDriver") => {
            if let Some(spec) = child(obj, "spec") {
                for (f, v) in [
                    ("attachRequired", json!(true)),
                    ("podInfoOnMount", json!(false)),
                    ("storageCapacity", json!(false)),
                    ("fsGroupPolicy", json!("ReadWriteOnceWithFSType")),
                    ("requiresRepublish", json!(false)),
                    ("volumeLifecycleModes", json!(["Persistent"])),
                    ("seLinuxMount", json!(false)),
                ] {
                    set(spec, f, v);
                }
            }
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            each(obj, "subjects", |s| {
                let group = match s["kind"].as_str() {
                    Some("User" | "Group") => "rbac.authorization.k8s.io",
                    _ => "",
                };
                if s["apiGroup"].as_str().is_none_or(str::is_empty) && !group.is_empty() {
                    s["apiGroup"] = json!(group);
                }
            });
        }
        _ => {}
    }
}

/// A pod template's pod spec.
fn template(t: Option<&mut Value>) {
    if let Some(spec) = t.and_then(|t| t.get_mut("spec")).filter(|s| s.is_object()) {
        pod_spec(spec);
    }
}

/// `SetDefaults_PodSpec` and what the generated defaulters reach from it.
pub fn pod_spec(spec: &mut Value) {
    set_zero(spec, "restartPolicy", json!("Always"));
    set(spec, "terminationGracePeriodSeconds", json!(30));
    set_zero(spec, "dnsPolicy", json!("ClusterFirst"));
    set(spec, "securityContext", json!({}));
    set_zero(spec, "schedulerName", json!("default-scheduler"));
    let host_network = spec["hostNetwork"] == true;
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        each(spec, list, |c| container(c, host_network));
    }
    each(spec, "volumes", volume);
}

fn container(c: &mut Value, host_network: bool) {
    if c["imagePullPolicy"].as_str().is_none_or(str::is_empty) {
        let image = c["image"].as_str().unwrap_or("");
        let last = image.rsplit('/').next().unwrap_or("");
        let latest = !image.contains('@') && (!last.contains(':') || last.ends_with(":latest"));
        c["imagePullPolicy"] = json!(if latest { "Always" } else { "IfNotPresent" });
    }
    set_zero(c, "terminationMessagePath", json!("/dev/termination-log"));
    set_zero(c, "terminationMessagePolicy", json!("File"));
    set(c, "resources", json!({}));
    each(c, "ports", |p| {
        tcp(p);
        if host_network && p["hostPort"].is_null() {
            p["hostPort"] = p["containerPort"].clone();
        }
    });
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe).filter(|p| p.is_object()) {
            for (field, value) in [
                ("timeoutSeconds", json!(1)),
                ("periodSeconds", json!(10)),
                ("successThreshold", json!(1)),
                ("failureThreshold", json!(3)),
            ] {
                set_zero(p, field, value);
            }
            http_get(p.get_mut("httpGet"));
        }
    }
    if let Some(lifecycle) = c.get_mut("lifecycle") {
        for hook in ["postStart", "preStop"] {
            http_get(lifecycle.get_mut(hook).and_then(|h| h.get_mut("httpGet")));
        }
    }
    each(c, "env", |e| {
        if let Some(f) = e
            .get_mut("valueFrom")
            .and_then(|v| v.get_mut("fieldRef"))
            .filter(|f| f.is_object())
        {
            set_zero(f, "apiVersion", json!("v1"));
        }
    });
}

fn http_get(h: Option<&mut Value>) {
    if let Some(h) = h.filter(|h| h.is_object()) {
        if h["path"].as_str().is_none_or(str::is_empty) {
            h["path"] = json!("/");
        }
        set_zero(h, "scheme", json!("HTTP"));
    }
}

/// `SetDefaults_Volume` and the volume sources' own defaults.
fn volume(v: &mut Value) {
    let Some(o) = v.as_object() else {
        return;
    };
    if o.keys().all(|k| k == "name") {
        v["emptyDir"] = json!({});
        return;
    }
    for source in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(s) = v.get_mut(source).filter(|s| s.is_object()) {
            set(s, "defaultMode", json!(420));
        }
    }
    let field_refs = |items: &mut Value| {
        each(items, "items", |i| {
            if let Some(f) = i.get_mut("fieldRef").filter(|f| f.is_object()) {
                set_zero(f, "apiVersion", json!("v1"));
            }
        })
    };
    if let Some(d) = v.get_mut("downwardAPI") {
        field_refs(d);
    }
    if let Some(h) = v.get_mut("hostPath").filter(|h| h.is_object()) {
        set(h, "type", json!(""));
    }
    if let Some(p) = v.get_mut("projected") {
        each(p, "sources", |s| {
            if let Some(t) = s.get_mut("serviceAccountToken").filter(|t| t.is_object()) {
                set(t, "expirationSeconds", json!(3600));
            }
            if let Some(d) = s.get_mut("downwardAPI") {
                field_refs(d);
            }
        });
    }
}

/// A port without a protocol is TCP.
fn tcp(p: &mut Value) {
    set_zero(p, "protocol", json!("TCP"));
}

/// `SetDefaults_Pod`: a container with limits but no requests requests its limits.
fn requests_from_limits(c: &mut Value) {
    let limits = c["resources"]["limits"].clone();
    let Some(limits) = limits.as_object().filter(|l| !l.is_empty()) else {
        return;
    };
    let Some(resources) = child(c, "resources") else {
        return;
    };
    let Some(requests) = child(resources, "requests") else {
        return;
    };
    for (k, v) in limits {
        set(requests, k, v.clone());
    }
}

/// `SetDefaults_LimitRangeItem`: a container item's default limits are its max, and
/// its default requests its default limits, else its min.
fn limit_range_item(item: &mut Value) {
    if item["type"] != "Container" {
        return;
    }
    let max = item["max"].as_object().cloned().unwrap_or_default();
    if !max.is_empty()
        && let Some(default) = child(item, "default")
    {
        for (k, v) in &max {
            set(default, k, v.clone());
        }
    }
    let default = item["default"].as_object().cloned().unwrap_or_default();
    let min = item["min"].as_object().cloned().unwrap_or_default();
    if (!default.is_empty() || !min.is_empty())
        && let Some(req) = child(item, "defaultRequest")
    {
        for (k, v) in default.iter().chain(min.iter()) {
            set(req, k, v.clone());
        }
    }
}

#[cfg(test)]
mod tests;
