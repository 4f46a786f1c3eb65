//! Field validation of request bodies (`fieldValidation=Strict|Warn|Ignore`): wrong
//! value types, unknown and duplicate fields, and custom resources against their
//! CRD's structural schema.

use std::sync::Arc;

use bytes::Bytes;
use http::Request;
use serde_json::Value;

use crate::api::ResourceInfo;
use crate::api::status::{ApiError, Cause};
use crate::apiserver::ApiServer;
use crate::apiserver::registry::meta_str;

use super::{Query, check_type, content_type, decode_body, default_type};

/// `fieldValidation`: what to do with fields the kind does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldValidation {
    Strict,
    Warn,
    Ignore,
}

pub(super) fn field_validation(query: &Query) -> Result<FieldValidation, ApiError> {
    match query.get("fieldValidation").map(String::as_str) {
        Some("Strict") => Ok(FieldValidation::Strict),
        // upstream's default is Warn
        None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
        Some("Ignore") => Ok(FieldValidation::Ignore),
        Some(other) => Err(ApiError::bad_request(format!(
            "fieldValidation: Unsupported value: \"{other}\": supported values: \"Ignore\", \"Strict\", \"Warn\""
        ))),
    }
}

/// Field problems of one kind (`unknown`, `duplicate`) under `mode`: a 400
/// (`strict decoding error: unknown field "spec.x", …`) under Strict, the messages as
/// warnings under Warn, nothing under Ignore.
pub(super) fn under_mode(
    mode: FieldValidation,
    problem: &str,
    fields: &[String],
) -> Result<Vec<String>, ApiError> {
    let messages: Vec<String> = fields
        .iter()
        .map(|f| format!("{problem} field \"{f}\""))
        .collect();
    match mode {
        FieldValidation::Ignore => Ok(vec![]),
        FieldValidation::Warn => Ok(messages),
        FieldValidation::Strict if messages.is_empty() => Ok(vec![]),
        FieldValidation::Strict => Err(ApiError::bad_request(format!(
            "strict decoding error: {}",
            messages.join(", ")
        ))),
    }
}

/// Decodes the body as its kind's type: wrong value types are a 400; unknown fields
/// are a 400 (Strict) or warnings (Warn), returned for the response's headers.
pub(super) fn check_fields(
    info: &ResourceInfo,
    obj: &Value,
    mode: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let unknown = match crate::apiserver::typed::check(&info.group, &info.version, &info.kind, obj)
    {
        Ok(crate::apiserver::typed::Checked::Untyped) => return Ok(vec![]),
        Ok(crate::apiserver::typed::Checked::Unknown(u)) => u,
        Err(e) => {
            return Err(ApiError::bad_request(format!(
                "{kind} in version \"{v}\" cannot be handled as a {kind}: {e}",
                kind = info.kind,
                v = info.version
            )));
        }
    };
    under_mode(mode, "unknown", &unknown)
}

/// The body of a create or update: decoded, of this resource's kind, checked under
/// the request's field validation (duplicate and unknown fields, a custom resource's
/// schema); returns the object to store and the warnings for the response. An
/// update's custom resource is pruned and defaulted here and validated against the
/// stored object later ([`validate_custom`]), as its transition rules need it.
pub(super) fn decode_object(
    api: &ApiServer,
    info: &ResourceInfo,
    req: &Request<Bytes>,
    query: &Query,
) -> Result<(Value, Vec<String>), ApiError> {
    let mut obj = decode_body(req)?;
    default_type(info, &mut obj);
    check_type(info, &obj)?;
    let mode = field_validation(query)?;
    let mut warnings = check_duplicates(req, mode)?;
    warnings.extend(check_fields(info, &obj, mode)?);
    let custom = custom_schema(api, info);
    if req.method() == http::Method::PUT {
        warnings.extend(prune_and_default(custom.as_ref(), &mut obj, mode)?);
    } else {
        warnings.extend(custom_rules(custom.as_ref(), info, &mut obj, None, mode)?);
    }
    Ok((obj, warnings))
}

/// Fields a JSON body names twice: a 400 under Strict, warnings under Warn (the
/// decoder keeps the last value, as upstream's does).
fn check_duplicates(req: &Request<Bytes>, mode: FieldValidation) -> Result<Vec<String>, ApiError> {
    let ct = content_type(req);
    if mode == FieldValidation::Ignore || !(ct.is_empty() || ct.contains("json")) {
        return Ok(vec![]);
    }
    under_mode(
        mode,
        "duplicate",
        &crate::api::json::duplicate_fields(req.body()),
    )
}

/// A custom resource's structural schema and compiled CEL rules.
pub(super) struct CustomSchema {
    pub(super) schema: Value,
    rules: Option<Arc<crate::apiserver::cel::Validator>>,
}

/// `None` for built-in resources.
pub(super) fn custom_schema(api: &ApiServer, info: &ResourceInfo) -> Option<CustomSchema> {
    Some(CustomSchema {
        schema: api.custom_schema(info)?,
        rules: api.cel_rules(info),
    })
}

/// A custom resource against its CRD's schema: unknown fields pruned (a 400 under
/// Strict, warnings under Warn), defaults filled in, then validated (422) against the
/// schema and its CEL rules; `old` is the stored object of an update or patch.
pub(super) fn custom_rules(
    custom: Option<&CustomSchema>,
    info: &ResourceInfo,
    obj: &mut Value,
    old: Option<&Value>,
    mode: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let warnings = prune_and_default(custom, obj, mode)?;
    validate_custom(custom, info, obj, old)?;
    Ok(warnings)
}

/// Unknown fields pruned (a 400 under Strict, warnings under Warn), defaults filled in.
fn prune_and_default(
    custom: Option<&CustomSchema>,
    obj: &mut Value,
    mode: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let Some(custom) = custom else {
        return Ok(vec![]);
    };
    let pruned = crate::apiserver::structural::prune(&custom.schema, obj);
    let warnings = under_mode(mode, "unknown", &pruned)?;
    crate::apiserver::structural::default(&custom.schema, obj);
    Ok(warnings)
}

/// Upstream's errors that keep CEL rules from running (the object is too wrong for
/// its rules to make sense of).
const BLOCKING: [&str; 5] = [
    "FieldValueNotSupported",
    "FieldValueRequired",
    "FieldValueTooLong",
    "FieldValueTooMany",
    "FieldValueTypeInvalid",
];

/// A pruned and defaulted custom resource against its schema, then (unless the
/// schema errors block them, as upstream) its CEL rules: a 422 with every cause.
pub(super) fn validate_custom(
    custom: Option<&CustomSchema>,
    info: &ResourceInfo,
    obj: &Value,
    old: Option<&Value>,
) -> Result<(), ApiError> {
    let Some(custom) = custom else {
        return Ok(());
    };
    let mut causes = crate::apiserver::structural::validate(&custom.schema, obj);
    if let Some(rules) = &custom.rules {
        if causes
            .iter()
            .any(|c| BLOCKING.contains(&c.reason_type.as_str()))
        {
            causes.push(Cause::invalid(
                "<nil>",
                "null",
                "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
            ));
        } else {
            causes.extend(rules.validate(obj, old));
        }
    }
    if !causes.is_empty() {
        let name = meta_str(obj, "name").unwrap_or("").to_string();
        return Err(ApiError::invalid(&info.group_kind(), &name, causes));
    }
    Ok(())
}
