//! Resource verbs: decoding requests, calling the registry, encoding answers (JSON or
//! Table), as upstream's `endpoints/handlers` do.

use std::collections::BTreeMap;

use base64::Engine as _;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::{Value, json};

use crate::api::GroupKind;
use crate::api::status::{ApiError, Cause};
use crate::api::{FieldSelector, ResourceInfo, Selector};

use super::managed::Operation;
use super::registry::{
    DeleteOptions, DeleteOutcome, Filter, ListOptions, WriteOptions, meta_str, prefix,
};
use super::request::{ResourceRequest, Verb};
use super::watch_cache::Freshness;
use super::{ApiServer, Body, json_response, path_not_found, strategy, table, watch};

mod fields;
mod patching;
mod reviews;
mod subresources;

use fields::decode_object;
use patching::{ObjectRef, apply_patch, field_manager, patch};
use reviews::{self_subject_access_review, self_subject_review};

pub type Query = BTreeMap<String, String>;

/// How the client wants objects back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Json,
    /// `meta.k8s.io/v1` Table; `true` includes each row's object metadata.
    Table(bool),
}

pub fn output(req: &Request<Bytes>, query: &Query) -> Output {
    let accept = req
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let first = accept.split(',').next().unwrap_or("");
    if first.contains("as=Table") && first.contains("g=meta.k8s.io") {
        let include = query.get("includeObject").map(String::as_str) != Some("None");
        Output::Table(include)
    } else {
        Output::Json
    }
}

fn ok_json(status: StatusCode, v: &Value) -> Response<Body> {
    json_response(
        status,
        crate::api::json::to_vec(v).expect("JSON values serialize"),
    )
}

/// The `dryRun` query parameter of a write whose options are `options_kind`
/// (`CreateOptions`, …): only `All` is known; anything else is upstream's 422 on the
/// options.
fn dry_run(query: &Query, options_kind: &str) -> Result<bool, ApiError> {
    match query.get("dryRun").map(String::as_str) {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(bad_dry_run(options_kind, &[other])),
    }
}

/// Upstream's `ValidateDryRun` failure on `<options_kind>.meta.k8s.io`.
fn bad_dry_run(options_kind: &str, values: &[&str]) -> ApiError {
    let shown: Vec<String> = values
        .iter()
        .map(|v| crate::api::goformat::quote(v))
        .collect();
    ApiError::invalid(
        &GroupKind::new("meta.k8s.io", options_kind),
        "",
        vec![Cause::not_supported(
            "dryRun",
            crate::api::status::BadValue::Raw(format!("[]string{{{}}}", shown.join(", "))),
            &["All"],
        )],
    )
}

/// The request's media type without parameters (`application/json`), `""` if none.
fn content_type(req: &Request<Bytes>) -> &str {
    req.headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
}

/// Decodes a request body (JSON, or YAML when the content type says so).
fn decode_body(req: &Request<Bytes>) -> Result<Value, ApiError> {
    let ct = content_type(req);
    let body = req.body();
    if ct.starts_with("application/yaml") {
        serde_yaml::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: yaml: {e}")))
    } else if ct.starts_with("application/json") || ct.is_empty() {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })
    } else if super::protobuf::is_protobuf(ct) {
        super::protobuf::decode_to_json(body).map_err(|e| ApiError::bad_request(e.to_string()))
    } else {
        Err(ApiError::unsupported_media_type(&[
            "application/json",
            "application/yaml",
            super::protobuf::CONTENT_TYPE,
        ]))
    }
}

/// Adds `Warning: 299 - "..."` headers, as upstream sends for field warnings.
fn with_warnings(mut resp: Response<Body>, warnings: &[String]) -> Response<Body> {
    for w in warnings {
        let escaped = w.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(v) = http::HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            resp.headers_mut().append(http::header::WARNING, v);
        }
    }
    resp
}

/// The body must be an object of this resource's kind and apiVersion.
/// As upstream's decoder does for built-in types, a body that leaves out `kind` or
/// `apiVersion` takes the endpoint's (the Python client's models often do); custom
/// resources must name both.
fn default_type(info: &ResourceInfo, obj: &mut Value) {
    if super::openapi::builtin_kind(&info.group, &info.version, &info.kind).is_none() {
        return;
    }
    let Some(o) = obj.as_object_mut() else {
        return;
    };
    let missing = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k).and_then(Value::as_str).is_none_or(str::is_empty)
    };
    if missing(o, "kind") {
        o.insert("kind".into(), json!(info.kind));
    }
    if missing(o, "apiVersion") {
        o.insert("apiVersion".into(), json!(info.api_version()));
    }
}

fn check_type(info: &ResourceInfo, obj: &Value) -> Result<(), ApiError> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    }
    let want = info.api_version();
    match obj.get("apiVersion").and_then(Value::as_str) {
        Some(v) if v == want => {}
        Some(v) => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({want})"
            )));
        }
        None => {
            return Err(ApiError::bad_request(format!(
                "Object 'apiVersion' is missing in '{}'",
                String::from_utf8_lossy(&serde_json::to_vec(obj).unwrap_or_default())
            )));
        }
    }
    match obj.get("kind").and_then(Value::as_str) {
        Some(k) if k == info.kind => Ok(()),
        Some(k) => Err(ApiError::bad_request(format!(
            "the kind in the data ({k}) does not match the expected kind ({})",
            info.kind
        ))),
        None => Err(ApiError::bad_request(format!(
            "Object 'Kind' is missing in '{}'",
            String::from_utf8_lossy(&serde_json::to_vec(obj).unwrap_or_default())
        ))),
    }
}

fn render(printer: table::Printer, out: Output, obj: &Value, status: StatusCode) -> Response<Body> {
    match out {
        Output::Json => ok_json(status, obj),
        Output::Table(include) => {
            let rv = meta_str(obj, "resourceVersion").unwrap_or("");
            ok_json(
                status,
                &printer.table(
                    std::slice::from_ref(obj),
                    json!({"resourceVersion": rv}),
                    include,
                ),
            )
        }
    }
}

/// Resource requests, with CRD writes followed by serving what they define.
pub async fn resource(
    api: &ApiServer,
    req: Request<Bytes>,
    r: ResourceRequest,
    query: Query,
    user: &crate::pki::Identity,
) -> Result<Response<Body>, ApiError> {
    let is_crd = r.group == "apiextensions.k8s.io"
        && r.resource == "customresourcedefinitions"
        && r.verb.is_mutating();
    let is_namespace_delete = r.group.is_empty()
        && r.resource == "namespaces"
        && r.verb == Verb::Delete
        && r.subresource.is_none();
    if is_namespace_delete && !dry_run(&query, "DeleteOptions")? {
        let name = r.name.clone().unwrap_or_default();
        let info = api
            .resource("", "v1", "namespaces")
            .expect("namespaces are built in");
        let obj = match super::namespace::delete(api, &name).await? {
            DeleteOutcome::Deleted(o) | DeleteOutcome::Pending(o) => o,
        };
        return Ok(render(
            table::Printer::builtin(&info),
            output(&req, &query),
            &obj,
            StatusCode::OK,
        ));
    }
    if !is_crd {
        let ns = r.namespace.clone();
        let changes_existing = matches!(r.verb, Verb::Update | Verb::Patch | Verb::Delete);
        let resp = resource_verbs(api, req, r, query, user).await?;
        // a change in a terminating namespace may have released what held it
        if let Some(ns) = ns.filter(|_| changes_existing)
            && super::namespace::is_terminating(api, &ns).await?
        {
            super::namespace::sweep(api, &ns).await?;
        }
        return Ok(resp);
    }
    // deleting a CRD deletes its custom resources first (upstream's
    // customresourcecleanup finalizer)
    if r.verb == Verb::Delete
        && !dry_run(&query, "DeleteOptions")?
        && let Some(name) = &r.name
    {
        let crds = api.inner.crds.read().expect("poisoned").clone();
        if let Some(c) = crds
            .iter()
            .find(|c| meta_str(c, "name") == Some(name.as_str()))
            && let Some(info) = super::crd::resource_infos(c).first()
        {
            api.inner.registry.delete_all(info).await?;
        }
    }
    let resp = resource_verbs(api, req, r, query, user).await?;
    api.sync_crds().await?;
    Ok(resp)
}

async fn resource_verbs(
    api: &ApiServer,
    req: Request<Bytes>,
    r: ResourceRequest,
    query: Query,
    user: &crate::pki::Identity,
) -> Result<Response<Body>, ApiError> {
    let Some(info) = api.resource(&r.group, &r.version, &r.resource) else {
        return Err(path_not_found(
            "the server could not find the requested resource",
        ));
    };
    if info.group == "authentication.k8s.io" && info.plural == "selfsubjectreviews" {
        return self_subject_review(&info, &r, user);
    }
    if info.group == "authorization.k8s.io" && info.plural == "selfsubjectaccessreviews" {
        return self_subject_access_review(api, &info, &r, &req, user);
    }
    let namespace = if info.namespaced {
        r.namespace.as_deref()
    } else {
        if r.namespace.is_some() {
            return Err(path_not_found(
                "the server could not find the requested resource",
            ));
        }
        None
    };
    if let Some(sub) = &r.subresource {
        if info.subresource(sub).is_none() {
            return Err(path_not_found(
                "the server could not find the requested resource",
            ));
        }
        if sub != "status" {
            if info.namespaced && namespace.is_none() {
                return Err(path_not_found(
                    "the server could not find the requested resource",
                ));
            }
            return subresources::serve(api, &info, &r, &req, &query, namespace).await;
        }
    }
    // a namespaced object needs its namespace, except for lists across namespaces
    let needs_ns =
        info.namespaced && !matches!(r.verb, Verb::List | Verb::Watch) && namespace.is_none();
    if needs_ns {
        return Err(path_not_found(
            "the server could not find the requested resource",
        ));
    }
    let out = output(&req, &query);
    let custom = api.printer_columns(&info);
    let printer = table::Printer {
        info: &info,
        custom: custom.as_deref(),
    };
    let registry = &api.inner.registry;
    let sub = r.subresource.as_deref();
    match (r.verb, r.name.as_deref()) {
        (Verb::Get, Some(name)) => {
            // resourceVersion: "" and "0" read the latest; a revision must not be in
            // the future (kelp has one up-to-date copy, so any other is served as
            // at least as new as asked)
            match query.get("resourceVersion").map(String::as_str) {
                None | Some("" | "0") => {}
                Some(rv) => match rv.parse::<i64>() {
                    Ok(n) if n > 0 => not_newer_than_store(api, n).await?,
                    _ => {
                        return Err(ApiError::bad_request(format!(
                            "invalid resource version: {rv}"
                        )));
                    }
                },
            }
            let obj = registry.get(&info, namespace, name).await?;
            Ok(render(printer, out, &obj, StatusCode::OK))
        }
        (Verb::List, None) => list(api, printer, namespace, &query, out).await,
        (Verb::Watch, name) => {
            let filter = filter(&info, &query, name)?;
            let custom = custom.clone();
            watch::serve(api, info, custom, namespace, filter, &query, out).await
        }
        (Verb::Create, None) => {
            let (obj, warnings) = decode_object(api, &info, &req, &query)?;
            let opts = WriteOptions {
                dry_run: dry_run(&query, "CreateOptions")?,
                manager: Some(field_manager(
                    api,
                    &info,
                    &req,
                    &query,
                    None,
                    Operation::Update,
                    "CreateOptions",
                )?),
            };
            let created = registry.create(&info, namespace, obj, &opts).await?;
            Ok(with_warnings(
                render(printer, out, &created, StatusCode::CREATED),
                &warnings,
            ))
        }
        (Verb::Update, Some(name)) => {
            let (obj, warnings) = decode_object(api, &info, &req, &query)?;
            let opts = WriteOptions {
                dry_run: dry_run(&query, "UpdateOptions")?,
                manager: Some(field_manager(
                    api,
                    &info,
                    &req,
                    &query,
                    sub,
                    Operation::Update,
                    "UpdateOptions",
                )?),
            };
            let custom = fields::custom_schema(api, &info);
            let updated = registry
                .update(&info, namespace, name, sub, &opts, |old| {
                    fields::validate_custom(custom.as_ref(), &info, &obj, Some(old))?;
                    Ok(obj.clone())
                })
                .await?;
            Ok(with_warnings(
                render(printer, out, &updated, StatusCode::OK),
                &warnings,
            ))
        }
        (Verb::Patch, Some(name)) => {
            let target = ObjectRef {
                namespace,
                name,
                subresource: sub,
            };
            let (patched, status) = patch(api, &info, target, &req, &query).await?;
            Ok(render(printer, out, &patched, status))
        }
        (Verb::Delete, Some(name)) => {
            let opts = delete_options(&req, &query)?;
            match registry.delete(&info, namespace, name, &opts).await? {
                DeleteOutcome::Pending(obj) => Ok(render(printer, out, &obj, StatusCode::OK)),
                DeleteOutcome::Deleted(obj) if info.kind == "Pod" && info.group.is_empty() => {
                    Ok(render(printer, out, &obj, StatusCode::OK))
                }
                DeleteOutcome::Deleted(obj) => {
                    Ok(ok_json(StatusCode::OK, &success_status(&info, &obj)))
                }
            }
        }
        (Verb::DeleteCollection, None) => {
            let opts = delete_options(&req, &query)?;
            let filter = filter(&info, &query, None)?;
            let listed = registry
                .list(
                    &info,
                    namespace,
                    &ListOptions {
                        filter,
                        ..Default::default()
                    },
                )
                .await?;
            let mut deleted = Vec::new();
            for obj in listed.items {
                let name = meta_str(&obj, "name").unwrap_or("").to_string();
                let ns = meta_str(&obj, "namespace").map(str::to_string);
                match registry.delete(&info, ns.as_deref(), &name, &opts).await {
                    Ok(DeleteOutcome::Deleted(o) | DeleteOutcome::Pending(o)) => deleted.push(o),
                    Err(e) if e.code() == 404 => {}
                    Err(e) => return Err(e),
                }
            }
            let rv = registry.revision().await?;
            Ok(ok_json(
                StatusCode::OK,
                &list_object(&info, deleted, rv, None, None),
            ))
        }
        _ => Err(ApiError::method_not_supported(
            &info.group_resource(),
            r.verb.as_str(),
        )),
    }
}

fn success_status(info: &ResourceInfo, obj: &Value) -> Value {
    let mut details = serde_json::Map::new();
    details.insert("name".into(), json!(meta_str(obj, "name").unwrap_or("")));
    if !info.group.is_empty() {
        details.insert("group".into(), json!(info.group));
    }
    details.insert("kind".into(), json!(info.plural));
    details.insert("uid".into(), json!(meta_str(obj, "uid").unwrap_or("")));
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    })
}

fn delete_options(req: &Request<Bytes>, query: &Query) -> Result<DeleteOptions, ApiError> {
    let body: Value = if req.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(req.body())
            .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?
    };
    delete_options_from(&body, query)
}

/// DeleteOptions from the query and a decoded body (`null` for none).
fn delete_options_from(body: &Value, query: &Query) -> Result<DeleteOptions, ApiError> {
    let mut opts = DeleteOptions {
        dry_run: dry_run(query, "DeleteOptions")?,
        ..Default::default()
    };
    if let Some(g) = query.get("gracePeriodSeconds") {
        opts.grace_period_seconds = Some(
            g.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid gracePeriodSeconds: {g}")))?,
        );
    }
    if let Some(g) = body.get("gracePeriodSeconds").and_then(Value::as_i64) {
        opts.grace_period_seconds = Some(g);
    }
    if let Some(values) = body.get("dryRun").and_then(Value::as_array) {
        let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        if values.iter().any(|v| *v != "All") {
            return Err(bad_dry_run("DeleteOptions", &values));
        }
        opts.dry_run |= !values.is_empty();
    }
    if let Some(p) = body.get("preconditions") {
        opts.precondition_uid = p.get("uid").and_then(Value::as_str).map(str::to_string);
        opts.precondition_rv = p
            .get("resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    // upstream reads DeleteOptions from the body, or from the query when there is none
    let (orphan, policy) = if body.is_null() {
        (
            query.get("orphanDependents").map(|v| json!(v)),
            query.get("propagationPolicy").map(|v| json!(v)),
        )
    } else {
        (
            body.get("orphanDependents")
                .filter(|v| !v.is_null())
                .cloned(),
            body.get("propagationPolicy")
                .filter(|v| !v.is_null())
                .cloned(),
        )
    };
    let mut causes = Vec::new();
    if let Some(policy) = &policy {
        let shown = policy
            .as_str()
            .map_or_else(|| policy.to_string(), str::to_string);
        if orphan.is_some() {
            causes.push(Cause::invalid(
                "propagationPolicy",
                shown.as_str(),
                "orphanDependents and deletionPropagation cannot be both set",
            ));
        }
        if !matches!(
            policy.as_str(),
            Some("Orphan" | "Background" | "Foreground")
        ) {
            causes.push(Cause::not_supported(
                "propagationPolicy",
                shown.as_str(),
                &["Foreground", "Background", "Orphan", "nil"],
            ));
        }
    }
    if !causes.is_empty() {
        return Err(ApiError::invalid(
            &GroupKind::new("meta.k8s.io", "DeleteOptions"),
            "",
            causes,
        ));
    }
    Ok(opts)
}

/// Label and field selectors from the query (and `metadata.name` for a watch of one
/// object), checked against what this resource can select on.
pub fn filter(info: &ResourceInfo, query: &Query, name: Option<&str>) -> Result<Filter, ApiError> {
    let labels = match query.get("labelSelector").filter(|s| !s.is_empty()) {
        Some(s) => Some(
            Selector::parse(s)
                .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?,
        ),
        None => None,
    };
    let mut fields = match query.get("fieldSelector").filter(|s| !s.is_empty()) {
        Some(s) => {
            let mut f =
                FieldSelector::parse(s).map_err(|e| ApiError::bad_request(e.to_string()))?;
            if info.group == "events.k8s.io" && info.kind == "Event" {
                // its own labels, renamed to the stored core Event's fields
                let labels: Vec<String> =
                    f.requirements().iter().map(|r| r.field.clone()).collect();
                for label in labels {
                    let core = strategy::events_api_field(&label).ok_or_else(|| {
                        ApiError::bad_request(format!("field label not supported: {label}"))
                    })?;
                    f.rename_field(&label, core);
                }
            }
            let mut allowed = vec!["metadata.name", "metadata.namespace"];
            allowed.extend_from_slice(strategy::selectable_fields(info));
            f.check_fields(&allowed)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            Some(f)
        }
        None => None,
    };
    if let Some(name) = name {
        let by_name = FieldSelector::one_term_equal("metadata.name", name);
        fields = Some(match fields {
            None => by_name,
            Some(f) => {
                let joined = format!("{},metadata.name={name}", selector_string(&f));
                FieldSelector::parse(&joined).map_err(|e| ApiError::bad_request(e.to_string()))?
            }
        });
    }
    Ok(Filter { labels, fields })
}

fn selector_string(f: &FieldSelector) -> String {
    f.to_string()
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    v: String,
    rv: i64,
    start: String,
}

fn encode_continue(info: &ResourceInfo, namespace: Option<&str>, key: &[u8], rv: i64) -> String {
    let p = prefix(info, namespace);
    let start = String::from_utf8_lossy(&key[p.len().min(key.len())..]).into_owned();
    let token = ContinueToken {
        v: "meta.k8s.io/v1".into(),
        rv,
        start,
    };
    base64::engine::general_purpose::URL_SAFE
        .encode(serde_json::to_vec(&token).expect("serializes"))
}

fn decode_continue(
    info: &ResourceInfo,
    namespace: Option<&str>,
    token: &str,
) -> Result<(Vec<u8>, i64), ApiError> {
    let invalid = |why: &str| ApiError::bad_request(format!("continue key is not valid: {why}"));
    let bytes = base64::engine::general_purpose::URL_SAFE
        .decode(token)
        .map_err(|_| invalid("illegal base64 data"))?;
    let t: ContinueToken = serde_json::from_slice(&bytes).map_err(|_| invalid("invalid JSON"))?;
    if t.v != "meta.k8s.io/v1" {
        return Err(invalid(
            "incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        ));
    }
    if t.rv <= 0 {
        return Err(invalid(
            "incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        ));
    }
    if t.start.contains("..") || t.start.starts_with('/') {
        return Err(invalid("path traversal attempt detected"));
    }
    let mut key = prefix(info, namespace);
    key.extend_from_slice(t.start.as_bytes());
    Ok((key, t.rv))
}

/// A list from the watch cache, streamed: each item's JSON is the cache's own bytes,
/// written out in chunks rather than copied into one buffer.
fn cached_list_response(info: &ResourceInfo, revision: i64, items: Vec<Bytes>) -> Response<Body> {
    let head = format!(
        "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{{\"resourceVersion\":\"{}\"}},\"items\":[",
        info.kind,
        info.api_version(),
        revision
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(super::body::json_array(head.into(), items, b"]}\n"))
        .expect("valid response")
}

pub fn list_object(
    info: &ResourceInfo,
    items: Vec<Value>,
    rv: i64,
    cont: Option<String>,
    remaining: Option<i64>,
) -> Value {
    let mut metadata = serde_json::Map::new();
    metadata.insert("resourceVersion".into(), json!(rv.to_string()));
    if let Some(c) = cont {
        metadata.insert("continue".into(), json!(c));
    }
    if let Some(r) = remaining {
        metadata.insert("remainingItemCount".into(), json!(r));
    }
    json!({
        "kind": format!("{}List", info.kind),
        "apiVersion": info.api_version(),
        "metadata": metadata,
        "items": items,
    })
}

/// Upstream's answer to a read "not older than" a revision the store has not reached:
/// 504 `Too large resource version` (the watch cache's, after it waited; here the
/// store is the one up-to-date copy, so there is nothing to wait for).
async fn not_newer_than_store(api: &ApiServer, rv: i64) -> Result<(), ApiError> {
    let current = api.inner.registry.revision().await?;
    if rv > current {
        return Err(ApiError::timeout(
            &format!("Too large resource version: {rv}, current: {current}"),
            1,
        )
        .with_cause(crate::api::status::Cause {
            reason_type: "ResourceVersionTooLarge".into(),
            message: "Too large resource version".into(),
            field: String::new(),
        }));
    }
    Ok(())
}

/// Parses `resourceVersion`/`resourceVersionMatch` for a list: the exact revision to
/// read at, if one is required.
fn list_revision(query: &Query) -> Result<Option<i64>, ApiError> {
    let rv = query
        .get("resourceVersion")
        .map(String::as_str)
        .unwrap_or("");
    let rv_match = query
        .get("resourceVersionMatch")
        .map(String::as_str)
        .unwrap_or("");
    let parsed = if rv.is_empty() {
        None
    } else {
        Some(rv.parse::<i64>().map_err(|_| {
            ApiError::bad_request(format!("invalid resource version: {rv}"))
                .with_message(format!("resourceVersion: Invalid value: \"{rv}\": strconv.ParseUint: parsing \"{rv}\": invalid syntax"))
        })?)
    };
    match (rv_match, parsed) {
        ("", _) | ("NotOlderThan", Some(_)) => Ok(None),
        ("Exact", Some(r)) if r > 0 => Ok(Some(r)),
        ("Exact" | "NotOlderThan", _) => Err(ApiError::bad_request("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided".to_string())),
        (other, _) => Err(ApiError::bad_request(format!(
            "resourceVersionMatch: Unsupported value: \"{other}\": supported values: \"Exact\", \"NotOlderThan\", \"\""
        ))),
    }
}

async fn list(
    api: &ApiServer,
    printer: table::Printer<'_>,
    namespace: Option<&str>,
    query: &Query,
    out: Output,
) -> Result<Response<Body>, ApiError> {
    let info = printer.info;
    let filter = filter(info, query, None)?;
    let limit = match query.get("limit").filter(|l| !l.is_empty()) {
        Some(l) => l
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("invalid limit: {l}")))?
            .max(0) as usize,
        None => 0,
    };
    let continue_from = match query.get("continue").filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_continue(info, namespace, c)?),
        None => None,
    };
    let exact_revision = list_revision(query)?;
    // as upstream: the watch cache serves lists without continue or an exact
    // revision, and without limit unless resourceVersion=0 (where the limit is
    // ignored); pages and exact revisions are read from the store
    let rv = query
        .get("resourceVersion")
        .map(String::as_str)
        .unwrap_or("");
    if let Ok(n) = rv.parse::<i64>()
        && exact_revision.is_none()
        && continue_from.is_none()
    {
        not_newer_than_store(api, n).await?;
    }
    if (limit == 0 || rv == "0") && continue_from.is_none() && exact_revision.is_none() {
        let freshness = match rv {
            "" => Freshness::Consistent,
            "0" => Freshness::Any,
            rv => Freshness::AtLeast(rv.parse().unwrap_or(0)),
        };
        if let Some(cached) = api
            .inner
            .watch_caches
            .list(info, namespace, &filter, freshness)
            .await
        {
            let converter = api.inner.registry.conversions().for_resource(info);
            return Ok(match out {
                Output::Json => {
                    let items = match &converter {
                        Some(c) => cached
                            .items
                            .iter()
                            .map(|o| c.bytes_to_request(&o.json))
                            .collect::<Result<Vec<_>, _>>()?,
                        None => cached.items.iter().map(|o| o.json.clone()).collect(),
                    };
                    cached_list_response(info, cached.revision, items)
                }
                Output::Table(include) => {
                    let mut items: Vec<Value> = cached.items.iter().map(|o| o.value()).collect();
                    if let Some(c) = &converter {
                        for item in &mut items {
                            c.to_request(item)?;
                        }
                    }
                    let metadata = json!({"resourceVersion": cached.revision.to_string()});
                    ok_json(StatusCode::OK, &printer.table(&items, metadata, include))
                }
            });
        }
    }
    let result = api
        .inner
        .registry
        .list(
            info,
            namespace,
            &ListOptions {
                filter,
                limit,
                continue_from,
                exact_revision,
            },
        )
        .await?;
    let cont = result
        .continue_at
        .map(|(key, rv)| encode_continue(info, namespace, &key, rv));
    match out {
        Output::Json => Ok(ok_json(
            StatusCode::OK,
            &list_object(info, result.items, result.revision, cont, result.remaining),
        )),
        Output::Table(include) => {
            let mut metadata = serde_json::Map::new();
            metadata.insert("resourceVersion".into(), json!(result.revision.to_string()));
            if let Some(c) = cont {
                metadata.insert("continue".into(), json!(c));
            }
            if let Some(r) = result.remaining {
                metadata.insert("remainingItemCount".into(), json!(r));
            }
            Ok(ok_json(
                StatusCode::OK,
                &printer.table(&result.items, Value::Object(metadata), include),
            ))
        }
    }
}
