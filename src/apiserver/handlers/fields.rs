//! Field validation of request bodies (`fieldValidation=Strict|Warn|Ignore`): wrong
//! value types, unknown and duplicate fields, and custom resources against their
//! CRD's structural schema.

use bytes::Bytes;
use http::Request;
use serde_json::Value;

use crate::api::ResourceInfo;
use crate::api::status::ApiError;
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
/// schema); returns the object to store and the warnings for the response.
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
    warnings.extend(custom_rules(
        api.custom_schema(info).as_ref(),
        info,
        &mut obj,
        mode,
    )?);
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

/// A custom resource against its CRD's schema: unknown fields pruned (a 400 under
/// Strict, warnings under Warn), defaults filled in, then validated (422).
pub(super) fn custom_rules(
    schema: Option<&Value>,
    info: &ResourceInfo,
    obj: &mut Value,
    mode: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let Some(schema) = schema else {
        return Ok(vec![]);
    };
    let pruned = crate::apiserver::structural::prune(schema, obj);
    let warnings = under_mode(mode, "unknown", &pruned)?;
    crate::apiserver::structural::default(schema, obj);
    let causes = crate::apiserver::structural::validate(schema, obj);
    if !causes.is_empty() {
        let name = meta_str(obj, "name").unwrap_or("").to_string();
        return Err(ApiError::invalid(&info.group_kind(), &name, causes));
    }
    Ok(warnings)
}
