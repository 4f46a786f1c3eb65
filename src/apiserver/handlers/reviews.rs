//! Virtual resources answered without the store: `kubectl auth whoami`
//! (SelfSubjectReview) and `kubectl auth can-i` (SelfSubjectAccessReview).

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

use crate::api::ResourceInfo;
use crate::api::status::ApiError;
use crate::apiserver::request::{ResourceRequest, Verb};
use crate::apiserver::{ApiServer, Body};

use super::{check_type, decode_body, ok_json};

/// `kubectl auth whoami`: a virtual resource answering with the caller's identity.
pub(super) fn self_subject_review(
    info: &ResourceInfo,
    r: &ResourceRequest,
    user: &crate::pki::Identity,
) -> Result<Response<Body>, ApiError> {
    if r.verb != Verb::Create || r.name.is_some() {
        return Err(ApiError::method_not_supported(
            &info.group_resource(),
            r.verb.as_str(),
        ));
    }
    let mut groups = user.groups.clone();
    groups.push("system:authenticated".into());
    Ok(ok_json(
        StatusCode::CREATED,
        &json!({
            "kind": "SelfSubjectReview",
            "apiVersion": info.api_version(),
            "metadata": {"creationTimestamp": null},
            "status": {"userInfo": {"username": user.user, "groups": groups}},
        }),
    ))
}

/// `kubectl auth can-i`: answers with what the authorizer would decide.
pub(super) fn self_subject_access_review(
    api: &ApiServer,
    info: &ResourceInfo,
    r: &ResourceRequest,
    req: &Request<Bytes>,
    user: &crate::pki::Identity,
) -> Result<Response<Body>, ApiError> {
    if r.verb != Verb::Create || r.name.is_some() {
        return Err(ApiError::method_not_supported(
            &info.group_resource(),
            r.verb.as_str(),
        ));
    }
    let mut review = decode_body(req)?;
    check_type(info, &review)?;
    let attrs = &review["spec"]["resourceAttributes"];
    let verb = match attrs["verb"].as_str().unwrap_or("") {
        "get" => Verb::Get,
        "list" => Verb::List,
        "watch" => Verb::Watch,
        "create" => Verb::Create,
        "update" => Verb::Update,
        "patch" => Verb::Patch,
        "delete" => Verb::Delete,
        "deletecollection" => Verb::DeleteCollection,
        _ => Verb::Get,
    };
    let asked = ResourceRequest {
        verb,
        group: attrs["group"].as_str().unwrap_or("").to_string(),
        version: attrs["version"].as_str().unwrap_or("").to_string(),
        namespace: attrs["namespace"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        resource: attrs["resource"].as_str().unwrap_or("").to_string(),
        name: attrs["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        subresource: attrs["subresource"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map(str::to_string),
    };
    let decision = api.inner.authorizer.authorize(user, verb, &asked);
    review["status"] = match decision {
        Ok(()) => json!({"allowed": true}),
        Err(reason) => json!({"allowed": false, "reason": reason}),
    };
    review["metadata"] = json!({"creationTimestamp": null});
    Ok(ok_json(StatusCode::CREATED, &review))
}
