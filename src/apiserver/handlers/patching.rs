//! `PATCH`: JSON, merge and strategic merge patches, server-side apply, and the field
//! manager every write is credited to.

use bytes::Bytes;
use http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::api::ResourceInfo;
use crate::api::status::{ApiError, Cause};
use crate::apiserver::managed::{self, Operation};
use crate::apiserver::registry::WriteOptions;
use crate::apiserver::{ApiServer, strategy};

use super::fields::{
    FieldValidation, check_fields, custom_rules, custom_schema, field_validation, under_mode,
};
use super::{Query, check_type, content_type, dry_run};

/// One object (or its subresource) a request addresses.
pub(super) struct ObjectRef<'a> {
    pub(super) namespace: Option<&'a str>,
    pub(super) name: &'a str,
    pub(super) subresource: Option<&'a str>,
}

pub(super) async fn patch(
    api: &ApiServer,
    info: &ResourceInfo,
    target: ObjectRef<'_>,
    req: &Request<Bytes>,
    query: &Query,
) -> Result<(Value, StatusCode), ApiError> {
    use crate::apiserver::patch::PatchType;
    let ObjectRef {
        namespace,
        name,
        subresource: sub,
    } = target;
    let ct = content_type(req).to_string();
    let is_apply = PatchType::from_content_type(&ct) == Some(PatchType::Apply);
    let force = crate::apiserver::request::query_bool(query, "force").unwrap_or(false);
    if force && !is_apply {
        return Err(options_invalid(
            "PatchOptions",
            Cause::forbidden("force", "may not be specified for non-apply patch"),
        ));
    }
    let operation = if is_apply {
        Operation::Apply
    } else {
        Operation::Update
    };
    let opts = WriteOptions {
        dry_run: dry_run(query, "PatchOptions")?,
        manager: Some(field_manager(
            api,
            info,
            req,
            query,
            sub,
            operation,
            "PatchOptions",
        )?),
    };
    let mode = field_validation(query)?;
    if is_apply {
        return server_side_apply(api, info, target, req.body(), mode, force, &opts).await;
    }
    let body = req.body().clone();
    let group = info.group.clone();
    let kind = info.kind.clone();
    let custom = custom_schema(api, info);
    let patched = api
        .inner
        .registry
        .update(info, namespace, name, sub, &opts, move |old| {
            let mut patched = apply_patch(&ct, &group, &kind, old, &body)?;
            custom_rules(custom.as_ref(), info, &mut patched, Some(old), mode)?;
            // the patched object must still be a valid object of its kind
            if mode == FieldValidation::Strict {
                check_fields(info, &patched, mode)?;
            } else {
                check_fields(info, &patched, FieldValidation::Ignore)?;
            }
            Ok(patched)
        })
        .await?;
    Ok((patched, StatusCode::OK))
}

/// `PATCH` with `application/apply-patch+yaml`: merges the configuration into the live
/// object (or creates it), as [`managed::apply`] decides.
async fn server_side_apply(
    api: &ApiServer,
    info: &ResourceInfo,
    target: ObjectRef<'_>,
    body: &[u8],
    mode: FieldValidation,
    force: bool,
    opts: &WriteOptions,
) -> Result<(Value, StatusCode), ApiError> {
    let ObjectRef {
        namespace,
        name,
        subresource: sub,
    } = target;
    let cfg: Value = serde_yaml::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    if !cfg.is_object() {
        return Err(ApiError::bad_request(
            "the apply configuration must be an object",
        ));
    }
    check_type(info, &cfg)?;
    // unknown fields fail a strict apply (kubectl sends fieldValidation=Strict)
    check_fields(info, &cfg, mode)?;
    let custom = custom_schema(api, info);
    let mut cfg = cfg;
    if let Some(custom) = &custom {
        let pruned = crate::apiserver::structural::prune(&custom.schema, &mut cfg);
        // an apply answers with no warnings; Strict refuses unknown fields
        under_mode(mode, "unknown", &pruned)?;
    }
    let m = opts.manager.as_ref().expect("apply has a manager");
    let registry = &api.inner.registry;
    for _ in 0..2 {
        let updated = registry
            .update(info, namespace, name, sub, opts, |old| {
                let mut merged = managed::apply(m, Some(old), &cfg, force)?;
                check_fields(info, &merged, FieldValidation::Ignore)?;
                custom_rules(
                    custom.as_ref(),
                    info,
                    &mut merged,
                    Some(old),
                    FieldValidation::Ignore,
                )?;
                Ok(merged)
            })
            .await;
        match updated {
            Ok(obj) => return Ok((obj, StatusCode::OK)),
            Err(e) if e.code() == 404 && sub.is_none() => {}
            Err(e) => return Err(e),
        }
        // create on apply: the configuration merged into an empty object
        let mut base = json!({"metadata": {"name": name}});
        if let Some(ns) = namespace.filter(|_| info.namespaced) {
            base["metadata"]["namespace"] = json!(ns);
        }
        let mut obj = managed::apply(m, None, &cfg, force)?;
        if let (Some(o), Some(b)) = (
            obj["metadata"].as_object_mut(),
            base["metadata"].as_object(),
        ) {
            for (k, v) in b {
                o.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        check_fields(info, &obj, FieldValidation::Ignore)?;
        custom_rules(
            custom.as_ref(),
            info,
            &mut obj,
            None,
            FieldValidation::Ignore,
        )?;
        match registry.create(info, namespace, obj, opts).await {
            Ok(created) => return Ok((created, StatusCode::CREATED)),
            // created meanwhile: apply to it
            Err(e)
                if e.code() == 409
                    && e.reason() == crate::api::status::StatusReason::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::conflict(
        &info.group_resource(),
        name,
        "the object has been modified; please apply your changes to the latest version and try again",
    ))
}

/// A 422 about the request's options (`PatchOptions.meta.k8s.io "" is invalid: …`).
fn options_invalid(kind: &str, cause: Cause) -> ApiError {
    ApiError::invalid(
        &crate::api::GroupKind::new("meta.k8s.io", kind),
        "",
        vec![cause],
    )
}

/// The field manager of a write: `?fieldManager=`, else the User-Agent's product name
/// (apply requires `fieldManager`), with the schema of the kind's fields.
pub(super) fn field_manager(
    api: &ApiServer,
    info: &ResourceInfo,
    req: &Request<Bytes>,
    query: &Query,
    sub: Option<&str>,
    operation: Operation,
    options_kind: &str,
) -> Result<managed::Manager, ApiError> {
    let name = match query.get("fieldManager").filter(|m| !m.is_empty()) {
        Some(m) => {
            if m.len() > managed::MAX_MANAGER_LEN {
                return Err(options_invalid(
                    options_kind,
                    Cause::too_long("fieldManager", managed::MAX_MANAGER_LEN),
                ));
            }
            if m.chars().any(|c| c.is_control()) {
                return Err(options_invalid(
                    options_kind,
                    Cause::invalid(
                        "fieldManager",
                        m.as_str(),
                        "must be composed of printable characters",
                    ),
                ));
            }
            m.clone()
        }
        None if operation == Operation::Apply => {
            return Err(options_invalid(
                options_kind,
                Cause::required("fieldManager", "is required for apply patch"),
            ));
        }
        None => managed::manager_from_user_agent(
            req.headers()
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        ),
    };
    let scope = if sub == Some("status") {
        managed::Scope::Status
    } else if strategy::has_status_subresource(info) {
        managed::Scope::AllButStatus
    } else {
        managed::Scope::Whole
    };
    Ok(managed::Manager {
        name,
        operation,
        api_version: info.api_version(),
        subresource: sub.map(str::to_string),
        time: crate::apiserver::registry::now_rfc3339(),
        scope,
        schema: api.field_schema(info),
    })
}

/// Applies a PATCH body of content type `ct` to the current object.
pub(super) fn apply_patch(
    ct: &str,
    group: &str,
    kind: &str,
    old: &Value,
    body: &[u8],
) -> Result<Value, ApiError> {
    use crate::apiserver::patch::{self, PatchType};
    let supported: Vec<&str> = PatchType::ALL.iter().map(|t| t.content_type()).collect();
    let patched = match PatchType::from_content_type(ct) {
        Some(PatchType::Json) => patch::json_patch(old, body),
        Some(PatchType::Merge) => patch::merge_patch(old, body),
        Some(PatchType::StrategicMerge) => match patch::BuiltinSchema::for_kind(group, kind) {
            Some(schema) => patch::strategic_merge_patch(old, body, schema),
            // upstream: custom resources do not support strategic merge patch
            None => {
                let custom: Vec<&str> = supported
                    .iter()
                    .copied()
                    .filter(|t| *t != PatchType::StrategicMerge.content_type())
                    .collect();
                return Err(ApiError::unsupported_media_type(&custom).with_message(format!(
                    "the body of the request was in an unknown format - accepted media types include: {}",
                    custom.join(", ")
                )));
            }
        },
        Some(PatchType::Apply) | None => {
            return Err(ApiError::unsupported_media_type(&supported));
        }
    };
    patched.map_err(|e| match e.code() {
        422 => ApiError::invalid(&crate::api::GroupKind::new(group, kind), "", vec![])
            .with_message(e.to_string()),
        413 => ApiError::request_entity_too_large(&e.to_string()),
        // upstream passes these merge errors on unclassified
        500 => ApiError::plain(&e.to_string()),
        _ => ApiError::bad_request(e.to_string()),
    })
}
