//! The subresources that are not the object itself: `scale` (workloads and custom
//! resources), `pods/binding`, `pods/eviction` and CSR `approval`. (`status` is served
//! by the ordinary verbs.)

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::{Value, json};

use crate::api::status::{ApiError, Cause};
use crate::api::{GroupKind, ResourceInfo, Selector};
use crate::apiserver::registry::{DeleteOutcome, WriteOptions, meta_str};
use crate::apiserver::request::{ResourceRequest, Verb};
use crate::apiserver::{ApiServer, Body};

use super::{Query, check_type, decode_body, default_type, dry_run, field_manager, ok_json};
use crate::apiserver::managed::Operation;

/// Serves `r.subresource` (not `status`) of `name`.
pub async fn serve(
    api: &ApiServer,
    info: &ResourceInfo,
    r: &ResourceRequest,
    req: &Request<Bytes>,
    query: &Query,
    namespace: Option<&str>,
) -> Result<Response<Body>, ApiError> {
    let sub = r.subresource.as_deref().unwrap_or("");
    let not_allowed = || {
        ApiError::method_not_supported(
            &crate::api::GroupResource::new(info.group.clone(), format!("{}/{sub}", info.plural)),
            r.verb.as_str(),
        )
    };
    let Some(name) = r.name.as_deref() else {
        return Err(not_allowed());
    };
    match (sub, r.verb) {
        ("scale", Verb::Get | Verb::Update | Verb::Patch) => {
            scale(api, info, r.verb, req, query, namespace, name).await
        }
        ("binding", Verb::Create) if is_pod(info) => {
            binding(api, info, req, query, namespace, name).await
        }
        ("eviction", Verb::Create) if is_pod(info) => {
            eviction(api, info, req, query, namespace, name).await
        }
        ("approval", Verb::Get | Verb::Update | Verb::Patch) => {
            approval(api, info, r.verb, req, query, name).await
        }
        ("token", Verb::Create) if info.group.is_empty() && info.kind == "ServiceAccount" => {
            let body = decode_named(
                req,
                info,
                ("authentication.k8s.io", "v1", "TokenRequest"),
                name,
            )?;
            let dry_run = super::dry_run(query, "CreateOptions")?;
            crate::apiserver::serviceaccount::token_request(
                api,
                namespace.unwrap_or("default"),
                name,
                &body,
                dry_run,
            )
            .await
        }
        ("scale" | "binding" | "eviction" | "approval" | "token", _) => Err(not_allowed()),
        _ => Err(not_allowed().with_message(format!(
            "the {}/{sub} subresource is not implemented yet",
            info.plural
        ))),
    }
}

fn is_pod(info: &ResourceInfo) -> bool {
    info.group.is_empty() && info.kind == "Pod"
}

fn success(code: u16) -> Response<Body> {
    ok_json(
        StatusCode::from_u16(code).unwrap_or(StatusCode::OK),
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code}),
    )
}

fn options(
    api: &ApiServer,
    info: &ResourceInfo,
    req: &Request<Bytes>,
    query: &Query,
    sub: &str,
    options_kind: &str,
) -> Result<WriteOptions, ApiError> {
    let mut m = field_manager(api, info, req, query, None, Operation::Update, options_kind)?;
    m.subresource = Some(sub.to_string());
    Ok(WriteOptions {
        dry_run: dry_run(query, options_kind)?,
        manager: Some(m),
    })
}

/// Where a kind keeps its replica counts and selector.
struct ScalePaths {
    spec: Vec<String>,
    status: Vec<String>,
    /// For custom resources: a path to a string selector.
    selector: Option<Vec<String>>,
}

fn dotted(path: &str) -> Vec<String> {
    path.trim_start_matches('.')
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn scale_paths(api: &ApiServer, info: &ResourceInfo) -> Option<ScalePaths> {
    let builtin = matches!(
        (info.group.as_str(), info.kind.as_str()),
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet") | ("", "ReplicationController")
    );
    if builtin {
        return Some(ScalePaths {
            spec: dotted("spec.replicas"),
            status: dotted("status.replicas"),
            selector: None,
        });
    }
    let crds = api.inner.crds.read().expect("poisoned");
    let c = crds.iter().find(|c| {
        c["spec"]["group"] == info.group.as_str()
            && c["spec"]["names"]["plural"] == info.plural.as_str()
    })?;
    let version = c["spec"]["versions"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == info.version.as_str())?;
    let s = version["subresources"].get("scale")?;
    Some(ScalePaths {
        spec: dotted(s["specReplicasPath"].as_str()?),
        status: dotted(s["statusReplicasPath"].as_str()?),
        selector: s["labelSelectorPath"].as_str().map(dotted),
    })
}

fn at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, k| v.get(k))
}

fn set_at(obj: &mut Value, path: &[String], value: Value) {
    let mut v = obj;
    for (i, k) in path.iter().enumerate() {
        if !v.is_object() {
            *v = json!({});
        }
        if i + 1 == path.len() {
            v[k.as_str()] = value;
            return;
        }
        v = &mut v[k.as_str()];
    }
}

/// The `autoscaling/v1` Scale of an object.
fn to_scale(info: &ResourceInfo, paths: &ScalePaths, obj: &Value) -> Value {
    let meta = &obj["metadata"];
    let mut m = serde_json::Map::new();
    for k in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = meta.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    let spec_replicas = at(obj, &paths.spec).and_then(Value::as_i64).unwrap_or(
        // upstream's workload default
        if paths.selector.is_none() { 1 } else { 0 },
    );
    let mut status = json!({
        "replicas": at(obj, &paths.status).and_then(Value::as_i64).unwrap_or(0),
    });
    let selector = match &paths.selector {
        Some(p) => at(obj, p).and_then(Value::as_str).map(str::to_string),
        None if info.kind == "ReplicationController" => {
            obj["spec"]["selector"].as_object().map(|m| {
                let mut parts: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                    .collect();
                parts.sort();
                parts.join(",")
            })
        }
        None => Selector::from_label_selector_json(&obj["spec"]["selector"])
            .ok()
            .map(|s| s.to_string()),
    };
    if let Some(s) = selector.filter(|s| !s.is_empty()) {
        status["selector"] = json!(s);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": m,
        "spec": {"replicas": spec_replicas},
        "status": status,
    })
}

async fn scale(
    api: &ApiServer,
    info: &ResourceInfo,
    verb: Verb,
    req: &Request<Bytes>,
    query: &Query,
    namespace: Option<&str>,
    name: &str,
) -> Result<Response<Body>, ApiError> {
    let Some(paths) = scale_paths(api, info) else {
        return Err(super::path_not_found(
            "the server could not find the requested resource",
        ));
    };
    let registry = &api.inner.registry;
    if verb == Verb::Get {
        let obj = registry.get(info, namespace, name).await?;
        return Ok(ok_json(StatusCode::OK, &to_scale(info, &paths, &obj)));
    }
    let kind = if verb == Verb::Patch {
        "PatchOptions"
    } else {
        "UpdateOptions"
    };
    let opts = options(api, info, req, query, "scale", kind)?;
    let body = req.body().clone();
    let content_type = super::content_type(req).to_string();
    let put: Option<Value> = if verb == Verb::Update {
        let s = decode_body(req)?;
        let scale_info = ResourceInfo {
            group: "autoscaling".into(),
            version: "v1".into(),
            kind: "Scale".into(),
            ..info.clone()
        };
        check_type(&scale_info, &s)?;
        Some(s)
    } else {
        None
    };
    let updated = registry
        .update(info, namespace, name, None, &opts, |old| {
            let current = to_scale(info, &paths, old);
            let wanted = match &put {
                Some(s) => s.clone(),
                None => {
                    // Scale has no lists: a strategic merge patch is a merge patch
                    let ct = content_type.replace("strategic-merge-patch", "merge-patch");
                    super::apply_patch(&ct, "autoscaling", "Scale", &current, &body)?
                }
            };
            if let Some(rv) = meta_str(&wanted, "resourceVersion").filter(|rv| !rv.is_empty())
                && Some(rv) != meta_str(old, "resourceVersion")
            {
                return Err(ApiError::conflict(
                    &info.group_resource(),
                    name,
                    crate::api::status::OPTIMISTIC_LOCK_MESSAGE,
                ));
            }
            let replicas = &wanted["spec"]["replicas"];
            let n = match replicas {
                Value::Null => 0,
                v => v
                    .as_i64()
                    .filter(|n| i32::try_from(*n).is_ok())
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("spec.replicas: invalid value {v}"))
                    })?,
            };
            if n < 0 {
                return Err(ApiError::invalid(
                    &GroupKind::new("autoscaling", "Scale"),
                    name,
                    vec![Cause::invalid(
                        "spec.replicas",
                        n,
                        "must be greater than or equal to 0",
                    )],
                ));
            }
            let mut new = old.clone();
            set_at(&mut new, &paths.spec, json!(n));
            Ok(new)
        })
        .await?;
    Ok(ok_json(StatusCode::OK, &to_scale(info, &paths, &updated)))
}

/// A subresource's body: of `(group, version, kind)`, naming the object of the URL
/// (or no object).
fn decode_named(
    req: &Request<Bytes>,
    info: &ResourceInfo,
    (group, version, kind): (&str, &str, &str),
    name: &str,
) -> Result<Value, ApiError> {
    let mut body = decode_body(req)?;
    let body_info = ResourceInfo {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        ..info.clone()
    };
    default_type(&body_info, &mut body);
    check_type(&body_info, &body)?;
    if let Some(n) = meta_str(&body, "name").filter(|n| *n != name) {
        return Err(ApiError::bad_request(format!(
            "name in URL does not match name in {kind} object ({n} != {name})"
        )));
    }
    Ok(body)
}

async fn binding(
    api: &ApiServer,
    info: &ResourceInfo,
    req: &Request<Bytes>,
    query: &Query,
    namespace: Option<&str>,
    name: &str,
) -> Result<Response<Body>, ApiError> {
    let b = decode_named(req, info, ("", "v1", "Binding"), name)?;
    let target = &b["target"];
    let node = target["name"].as_str().unwrap_or("");
    let kind_ok = matches!(target["kind"].as_str(), None | Some("") | Some("Node"));
    if node.is_empty() || !kind_ok {
        let cause = if node.is_empty() {
            Cause::required("target.name", "")
        } else {
            Cause::not_supported(
                "target.kind",
                target["kind"].as_str().unwrap_or(""),
                &["Node"],
            )
        };
        return Err(ApiError::invalid(
            &GroupKind::new("", "Binding"),
            name,
            vec![cause],
        ));
    }
    let opts = options(api, info, req, query, "binding", "CreateOptions")?;
    let annotations = b["metadata"]["annotations"].as_object().cloned();
    let now = crate::apiserver::registry::now_rfc3339();
    api.inner
        .registry
        .update(info, namespace, name, Some("binding"), &opts, |old| {
            if meta_str(old, "deletionTimestamp").is_some() {
                return Err(ApiError::conflict(
                    &info.group_resource(),
                    name,
                    &format!("pod {name} is being deleted, cannot be assigned to a host"),
                ));
            }
            if let Some(current) = old["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) {
                return Err(ApiError::conflict(
                    &info.group_resource(),
                    name,
                    &format!("pod {name} is already assigned to node {current:?}"),
                ));
            }
            let mut new = old.clone();
            new["spec"]["nodeName"] = json!(node);
            if let Some(a) = &annotations {
                for (k, v) in a {
                    new["metadata"]["annotations"][k] = v.clone();
                }
            }
            set_condition(&mut new, "PodScheduled", "True", &now);
            Ok(new)
        })
        .await?;
    Ok(success(201))
}

/// Sets a pod condition, keeping its transition time when the status is unchanged.
fn set_condition(pod: &mut Value, kind: &str, status: &str, now: &str) {
    if !pod["status"].is_object() {
        pod["status"] = json!({});
    }
    if !pod["status"]["conditions"].is_array() {
        pod["status"]["conditions"] = json!([]);
    }
    let conditions = pod["status"]["conditions"]
        .as_array_mut()
        .expect("just made");
    match conditions.iter_mut().find(|c| c["type"] == kind) {
        Some(c) if c["status"] == status => {}
        Some(c) => {
            c["status"] = json!(status);
            c["lastTransitionTime"] = json!(now);
        }
        None => conditions.push(json!({
            "type": kind,
            "status": status,
            "lastProbeTime": null,
            "lastTransitionTime": now,
        })),
    }
}

async fn eviction(
    api: &ApiServer,
    info: &ResourceInfo,
    req: &Request<Bytes>,
    query: &Query,
    namespace: Option<&str>,
    name: &str,
) -> Result<Response<Body>, ApiError> {
    let e = decode_named(req, info, ("policy", "v1", "Eviction"), name)?;
    let registry = &api.inner.registry;
    let pod = registry.get(info, namespace, name).await?;
    let mut opts = super::delete_options_from(&e["deleteOptions"], query)?;
    opts.dry_run |= dry_run(query, "CreateOptions")?;
    let terminal = matches!(
        pod["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    );
    if !terminal && meta_str(&pod, "deletionTimestamp").is_none() {
        check_disruption_budget(api, &pod, namespace.unwrap_or("default"), opts.dry_run).await?;
    }
    match registry.delete(info, namespace, name, &opts).await {
        Ok(DeleteOutcome::Deleted(_) | DeleteOutcome::Pending(_)) => Ok(success(201)),
        Err(e) => Err(e),
    }
}

/// Refuses an eviction its PodDisruptionBudget does not allow, and spends one of the
/// allowed disruptions otherwise (upstream's eviction REST).
async fn check_disruption_budget(
    api: &ApiServer,
    pod: &Value,
    namespace: &str,
    dry_run: bool,
) -> Result<(), ApiError> {
    let Some(pdb_info) = api.resource("policy", "v1", "poddisruptionbudgets") else {
        return Ok(());
    };
    let registry = &api.inner.registry;
    let listed = registry
        .list(&pdb_info, Some(namespace), &Default::default())
        .await?;
    let labels = crate::apiserver::registry::labels(pod);
    let matching: Vec<&Value> = listed
        .items
        .iter()
        .filter(|p| {
            Selector::from_label_selector_json(&p["spec"]["selector"])
                .is_ok_and(|s| !s.is_everything() && s.matches(&labels))
        })
        .collect();
    let pdb = match matching[..] {
        [] => return Ok(()),
        [one] => one,
        _ => {
            return Err(ApiError::internal(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            ));
        }
    };
    let pdb_name = meta_str(pdb, "name").unwrap_or("").to_string();
    let refuse = |reason: String| {
        ApiError::too_many_requests(0)
            .with_message("Cannot evict pod as it would violate the pod's disruption budget.")
            .with_cause(Cause::new("DisruptionBudget", reason, ""))
    };
    let generation = pdb["metadata"]["generation"].as_i64().unwrap_or(0);
    let observed = pdb["status"]["observedGeneration"].as_i64().unwrap_or(0);
    if observed < generation || pdb["status"].get("disruptionsAllowed").is_none() {
        return Err(refuse(format!(
            "The disruption budget {pdb_name} is still being processed by the server."
        )));
    }
    let allowed = pdb["status"]["disruptionsAllowed"].as_i64().unwrap_or(0);
    if allowed <= 0 {
        let desired = pdb["status"]["desiredHealthy"].as_i64().unwrap_or(0);
        let current = pdb["status"]["currentHealthy"].as_i64().unwrap_or(0);
        return Err(refuse(format!(
            "The disruption budget {pdb_name} needs {desired} healthy pods and has {current} currently"
        )));
    }
    if dry_run {
        return Ok(());
    }
    let pod_name = meta_str(pod, "name").unwrap_or("").to_string();
    let now = crate::apiserver::registry::now_rfc3339();
    registry
        .update(
            &pdb_info,
            Some(namespace),
            &pdb_name,
            Some("status"),
            &WriteOptions::default(),
            |old| {
                let left = old["status"]["disruptionsAllowed"].as_i64().unwrap_or(0);
                if left <= 0 {
                    return Err(refuse(format!(
                        "The disruption budget {pdb_name} does not allow more disruptions"
                    )));
                }
                let mut new = old.clone();
                new["status"]["disruptionsAllowed"] = json!(left - 1);
                new["status"]["disruptedPods"][pod_name.as_str()] = json!(now);
                Ok(new)
            },
        )
        .await?;
    Ok(())
}

async fn approval(
    api: &ApiServer,
    info: &ResourceInfo,
    verb: Verb,
    req: &Request<Bytes>,
    query: &Query,
    name: &str,
) -> Result<Response<Body>, ApiError> {
    let registry = &api.inner.registry;
    if verb == Verb::Get {
        let obj = registry.get(info, None, name).await?;
        return Ok(ok_json(StatusCode::OK, &obj));
    }
    let kind = if verb == Verb::Patch {
        "PatchOptions"
    } else {
        "UpdateOptions"
    };
    let opts = options(api, info, req, query, "approval", kind)?;
    let put = if verb == Verb::Update {
        let obj = decode_body(req)?;
        check_type(info, &obj)?;
        Some(obj)
    } else {
        None
    };
    let body = req.body().clone();
    let content_type = super::content_type(req).to_string();
    let updated = registry
        .update(info, None, name, Some("approval"), &opts, |old| {
            let wanted = match &put {
                Some(o) => o.clone(),
                None => super::apply_patch(&content_type, &info.group, &info.kind, old, &body)?,
            };
            let conditions = wanted["status"]["conditions"].clone();
            let causes = approval_causes(&conditions, &old["status"]["conditions"]);
            if !causes.is_empty() {
                return Err(ApiError::invalid(&info.group_kind(), name, causes));
            }
            let mut new = old.clone();
            if !new["status"].is_object() {
                new["status"] = json!({});
            }
            new["status"]["conditions"] = conditions;
            if let Some(rv) = meta_str(&wanted, "resourceVersion") {
                new["metadata"]["resourceVersion"] = json!(rv);
            }
            Ok(new)
        })
        .await?;
    Ok(ok_json(StatusCode::OK, &updated))
}

/// Upstream's CSR condition rules: known types, a status, Approved and Denied
/// exclusive, and neither removed once set.
fn approval_causes(conditions: &Value, old: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let list = conditions.as_array().cloned().unwrap_or_default();
    let has = |l: &[Value], t: &str| l.iter().any(|c| c["type"] == t);
    for (i, c) in list.iter().enumerate() {
        let t = c["type"].as_str().unwrap_or("");
        if t.is_empty() {
            causes.push(Cause::required(&format!("status.conditions[{i}].type"), ""));
        }
        match c["status"].as_str() {
            Some("True" | "False" | "Unknown") => {}
            Some(other) => causes.push(Cause::not_supported(
                &format!("status.conditions[{i}].status"),
                other,
                &["False", "True", "Unknown"],
            )),
            None => causes.push(Cause::required(
                &format!("status.conditions[{i}].status"),
                "",
            )),
        }
    }
    if has(&list, "Approved") && has(&list, "Denied") {
        causes.push(Cause::invalid(
            "status.conditions",
            crate::api::status::BadValue::Raw("[Approved Denied]".into()),
            "Approved and Denied conditions are mutually exclusive",
        ));
    }
    let old = old.as_array().cloned().unwrap_or_default();
    for t in ["Approved", "Denied"] {
        if has(&old, t) && !has(&list, t) {
            causes.push(Cause::forbidden(
                "status.conditions",
                &format!("updates may not remove a condition of type {t:?}"),
            ));
        }
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_conditions_follow_upstreams_rules() {
        let ok = json!([{"type": "Approved", "status": "True"}]);
        assert!(approval_causes(&ok, &json!(null)).is_empty());
        let both =
            json!([{"type": "Approved", "status": "True"}, {"type": "Denied", "status": "True"}]);
        assert_eq!(approval_causes(&both, &json!(null)).len(), 1);
        let removed = json!([]);
        assert_eq!(approval_causes(&removed, &ok).len(), 1);
        let bad = json!([{"type": "Approved", "status": "Yes"}]);
        assert_eq!(
            approval_causes(&bad, &json!(null))[0].reason_type,
            "FieldValueNotSupported"
        );
    }

    #[test]
    fn set_at_creates_missing_objects() {
        let mut v = json!({"spec": 1});
        set_at(&mut v, &dotted(".spec.scale.replicas"), json!(3));
        assert_eq!(v, json!({"spec": {"scale": {"replicas": 3}}}));
    }

    #[test]
    fn pod_conditions_keep_transition_time_when_unchanged() {
        let mut pod = json!({"status": {}});
        set_condition(&mut pod, "PodScheduled", "True", "t1");
        set_condition(&mut pod, "PodScheduled", "True", "t2");
        assert_eq!(pod["status"]["conditions"][0]["lastTransitionTime"], "t1");
        assert_eq!(pod["status"]["conditions"].as_array().unwrap().len(), 1);
    }
}
