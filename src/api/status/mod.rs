//! [`ApiError`]: every API failure, serialized as the `metav1.Status` upstream sends.
//!
//! Constructors mirror `k8s.io/apimachinery/pkg/api/errors` (`NewNotFound`,
//! `NewConflict`, `NewInvalid`, …) message for message; [`ApiError::to_json`] writes
//! the fields in upstream's order and omits what upstream's `omitempty` omits, so the
//! bytes match a real apiserver's. Storage errors are translated into this type in one
//! place, in the apiserver.

mod cause;

pub use cause::{BadValue, Cause};

use crate::api::goformat::{aggregate, quote};
use crate::api::gvk::{GroupKind, GroupResource};
use serde::Serialize;
use serde::ser::Serializer;
use std::fmt;

/// Upstream's message for a failed compare-and-swap on update
/// (`storage.OptimisticLockErrorMsg`), used with [`ApiError::conflict`].
pub const OPTIMISTIC_LOCK_MESSAGE: &str =
    "the object has been modified; please apply your changes to the latest version and try again";

/// `metav1.StatusReason`: the machine-readable failure class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusReason {
    Unauthorized,
    Forbidden,
    NotFound,
    AlreadyExists,
    Conflict,
    Gone,
    Invalid,
    ServerTimeout,
    Timeout,
    TooManyRequests,
    BadRequest,
    MethodNotAllowed,
    NotAcceptable,
    RequestEntityTooLarge,
    UnsupportedMediaType,
    InternalError,
    Expired,
    ServiceUnavailable,
    /// `StatusReasonUnknown` (`""`, omitted on the wire): what upstream answers for a
    /// plain Go error that is no `StatusError`.
    Unknown,
}

impl StatusReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden => "Forbidden",
            Self::NotFound => "NotFound",
            Self::AlreadyExists => "AlreadyExists",
            Self::Conflict => "Conflict",
            Self::Gone => "Gone",
            Self::Invalid => "Invalid",
            Self::ServerTimeout => "ServerTimeout",
            Self::Timeout => "Timeout",
            Self::TooManyRequests => "TooManyRequests",
            Self::BadRequest => "BadRequest",
            Self::MethodNotAllowed => "MethodNotAllowed",
            Self::NotAcceptable => "NotAcceptable",
            Self::RequestEntityTooLarge => "RequestEntityTooLarge",
            Self::UnsupportedMediaType => "UnsupportedMediaType",
            Self::InternalError => "InternalError",
            Self::Expired => "Expired",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::Unknown => "",
        }
    }
}

impl fmt::Display for StatusReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `metav1.StatusDetails`, in upstream's field order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StatusDetails {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// The plural resource for most errors; the Kind for `Invalid`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
    #[serde(rename = "retryAfterSeconds", skip_serializing_if = "is_zero")]
    pub retry_after_seconds: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl StatusDetails {
    fn for_resource(resource: &GroupResource, name: &str) -> Self {
        Self {
            name: name.to_string(),
            group: resource.group.clone(),
            kind: resource.resource.clone(),
            ..Self::default()
        }
    }
}

/// A failed API request: the HTTP code and the `metav1.Status` body to send.
///
/// `details` is `None` where upstream leaves it nil (no `details` key) and
/// `Some(StatusDetails::default())` where upstream sends `"details":{}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    code: u16,
    reason: StatusReason,
    message: String,
    /// Boxed: errors travel in `Result`s everywhere, and should stay small.
    details: Option<Box<StatusDetails>>,
}

impl ApiError {
    fn new(
        code: u16,
        reason: StatusReason,
        message: String,
        details: Option<StatusDetails>,
    ) -> Self {
        Self {
            code,
            reason,
            message,
            details: details.map(Box::new),
        }
    }

    /// 404: `pods "x" not found`.
    pub fn not_found(resource: &GroupResource, name: &str) -> Self {
        Self::new(
            404,
            StatusReason::NotFound,
            format!("{resource} {} not found", quote(name)),
            Some(StatusDetails::for_resource(resource, name)),
        )
    }

    /// 409: `services "x" already exists`.
    pub fn already_exists(resource: &GroupResource, name: &str) -> Self {
        Self::new(
            409,
            StatusReason::AlreadyExists,
            format!("{resource} {} already exists", quote(name)),
            Some(StatusDetails::for_resource(resource, name)),
        )
    }

    /// 409: `Operation cannot be fulfilled on configmaps "x": <msg>`; use
    /// [`OPTIMISTIC_LOCK_MESSAGE`] for a stale resourceVersion.
    pub fn conflict(resource: &GroupResource, name: &str, msg: &str) -> Self {
        Self::new(
            409,
            StatusReason::Conflict,
            format!(
                "Operation cannot be fulfilled on {resource} {}: {msg}",
                quote(name)
            ),
            Some(StatusDetails::for_resource(resource, name)),
        )
    }

    /// 409 from server-side apply: `Apply failed with 1 conflict: …`, one
    /// `FieldManagerConflict` cause per conflicting field, and no name or kind in the
    /// details (as upstream's `NewApplyConflict`).
    pub fn apply_conflict(message: String, causes: Vec<Cause>) -> Self {
        let details = StatusDetails {
            causes,
            ..StatusDetails::default()
        };
        Self::new(409, StatusReason::Conflict, message, Some(details))
    }

    /// 422: `ConfigMap "x" is invalid: <causes>`; one cause is inlined, several are
    /// bracketed (`[a, b]`), duplicates are dropped from the message (not the causes).
    /// `details.kind` is the Kind here, not the resource.
    pub fn invalid(kind: &GroupKind, name: &str, causes: Vec<Cause>) -> Self {
        let lines: Vec<String> = causes.iter().map(Cause::to_line).collect();
        let message = match aggregate(&lines) {
            None => format!("{kind} {} is invalid", quote(name)),
            Some(joined) => format!("{kind} {} is invalid: {joined}", quote(name)),
        };
        let details = StatusDetails {
            name: name.to_string(),
            group: kind.group.clone(),
            kind: kind.kind.clone(),
            causes,
            ..StatusDetails::default()
        };
        Self::new(422, StatusReason::Invalid, message, Some(details))
    }

    /// 400 with `msg` as the message and no details.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(400, StatusReason::BadRequest, msg.into(), None)
    }

    /// 403: `pods "x" is forbidden: <reason>` (`pods is forbidden: …` without a name,
    /// `forbidden: …` for a non-resource request with an empty `resource`).
    pub fn forbidden(resource: &GroupResource, name: &str, reason: &str) -> Self {
        let message = if resource.is_empty() {
            format!("forbidden: {reason}")
        } else if name.is_empty() {
            format!("{resource} is forbidden: {reason}")
        } else {
            format!("{resource} {} is forbidden: {reason}", quote(name))
        };
        Self::new(
            403,
            StatusReason::Forbidden,
            message,
            Some(StatusDetails::for_resource(resource, name)),
        )
    }

    /// 401 as the authentication filter sends it (message `Unauthorized`).
    pub fn unauthorized() -> Self {
        Self::new(
            401,
            StatusReason::Unauthorized,
            "Unauthorized".to_string(),
            None,
        )
    }

    /// 410 with reason `Gone` (upstream `NewGone`, deprecated there in favour of
    /// [`ApiError::expired`]).
    pub fn gone(msg: impl Into<String>) -> Self {
        Self::new(410, StatusReason::Gone, msg.into(), None)
    }

    /// 410 with reason `Expired`: the requested resourceVersion is no longer available.
    pub fn expired(msg: impl Into<String>) -> Self {
        Self::new(410, StatusReason::Expired, msg.into(), None)
    }

    /// 410 `Expired`: `too old resource version: <requested> (<oldest>)`, as the watch
    /// cache says it.
    pub fn too_old_resource_version(requested: u64, oldest: u64) -> Self {
        Self::expired(format!("too old resource version: {requested} ({oldest})"))
    }

    /// 429 with `details.retryAfterSeconds` (`"details":{}` when 0). The message is
    /// upstream's throttling text; replace it with [`ApiError::with_message`].
    pub fn too_many_requests(retry_after_secs: u32) -> Self {
        Self::new(
            429,
            StatusReason::TooManyRequests,
            "Too many requests, please try again later.".to_string(),
            Some(StatusDetails {
                retry_after_seconds: retry_after_secs,
                ..StatusDetails::default()
            }),
        )
    }

    /// 413: `Request entity too large: <msg>`.
    pub fn request_entity_too_large(msg: &str) -> Self {
        Self::new(
            413,
            StatusReason::RequestEntityTooLarge,
            format!("Request entity too large: {msg}"),
            None,
        )
    }

    /// 405: `<action> is not supported on resources of kind "pods"`.
    pub fn method_not_supported(resource: &GroupResource, action: &str) -> Self {
        Self::new(
            405,
            StatusReason::MethodNotAllowed,
            format!(
                "{action} is not supported on resources of kind {}",
                quote(&resource.to_string())
            ),
            Some(StatusDetails::for_resource(resource, "")),
        )
    }

    /// 406: `only the following media types are accepted: a, b`.
    pub fn not_acceptable(accepted: &[&str]) -> Self {
        Self::new(
            406,
            StatusReason::NotAcceptable,
            format!(
                "only the following media types are accepted: {}",
                accepted.join(", ")
            ),
            None,
        )
    }

    /// 415: `the body of the request was in an unknown format - accepted media types include: a, b`.
    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        Self::new(
            415,
            StatusReason::UnsupportedMediaType,
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
            None,
        )
    }

    /// 504: `Timeout: <msg>` with `details.retryAfterSeconds` (`"details":{}` when 0).
    pub fn timeout(msg: &str, retry_after_secs: u32) -> Self {
        Self::new(
            504,
            StatusReason::Timeout,
            format!("Timeout: {msg}"),
            Some(StatusDetails {
                retry_after_seconds: retry_after_secs,
                ..StatusDetails::default()
            }),
        )
    }

    /// 500 `ServerTimeout`: `The <operation> operation against <resource> could not be
    /// completed at this time, please try again.`
    pub fn server_timeout(
        resource: &GroupResource,
        operation: &str,
        retry_after_secs: u32,
    ) -> Self {
        Self::new(
            500,
            StatusReason::ServerTimeout,
            format!(
                "The {operation} operation against {resource} could not be completed at this time, please try again."
            ),
            Some(StatusDetails {
                retry_after_seconds: retry_after_secs,
                ..StatusDetails::for_resource(resource, operation)
            }),
        )
    }

    /// 500: `Internal error occurred: <msg>`, with `msg` as the single cause.
    /// A plain error's Status, as upstream's `ErrorToAPIStatus` makes it from an error
    /// that is no `StatusError`: code 500, no reason, the error's text as the message.
    pub fn plain(msg: &str) -> Self {
        Self::new(500, StatusReason::Unknown, msg.to_string(), None)
    }

    pub fn internal(msg: &str) -> Self {
        Self::new(
            500,
            StatusReason::InternalError,
            format!("Internal error occurred: {msg}"),
            Some(StatusDetails {
                causes: vec![Cause {
                    message: msg.to_string(),
                    ..Cause::default()
                }],
                ..StatusDetails::default()
            }),
        )
    }

    /// 503 with `msg` as the message.
    pub fn service_unavailable(msg: impl Into<String>) -> Self {
        Self::new(503, StatusReason::ServiceUnavailable, msg.into(), None)
    }

    /// Replaces the message (e.g. a 429 with a specific reason).
    pub fn with_message(mut self, msg: impl Into<String>) -> Self {
        self.message = msg.into();
        self
    }

    /// Appends a cause, creating `details` if needed.
    pub fn with_cause(mut self, cause: Cause) -> Self {
        self.details
            .get_or_insert_with(Box::default)
            .causes
            .push(cause);
        self
    }

    /// Sets `details.retryAfterSeconds`, creating `details` if needed.
    pub fn with_retry_after(mut self, secs: u32) -> Self {
        self.details
            .get_or_insert_with(Box::default)
            .retry_after_seconds = secs;
        self
    }

    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        self.code
    }

    pub fn reason(&self) -> StatusReason {
        self.reason
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn details(&self) -> Option<&StatusDetails> {
        self.details.as_deref()
    }

    /// Seconds for a `Retry-After` header; upstream sets the header whenever
    /// `details.retryAfterSeconds` is positive.
    pub fn retry_after_seconds(&self) -> Option<u32> {
        self.details
            .as_ref()
            .map(|d| d.retry_after_seconds)
            .filter(|s| *s > 0)
    }

    /// The `metav1.Status` body, byte for byte as upstream writes it (without the
    /// trailing newline Go's encoder adds; see [`crate::api::json`]).
    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings, numbers and Vecs of such cannot fail to serialize.
        crate::api::json::to_vec(self).expect("Status always serializes")
    }
}

#[derive(Serialize)]
struct EmptyObject {}

#[derive(Serialize)]
struct StatusWire<'a> {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    metadata: EmptyObject,
    status: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a StatusDetails>,
    code: u16,
}

/// Serializes as the `metav1.Status` object, so an error can be embedded (e.g. in a
/// watch `ERROR` event).
impl Serialize for ApiError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StatusWire {
            kind: "Status",
            api_version: "v1",
            metadata: EmptyObject {},
            status: "Failure",
            message: &self.message,
            reason: self.reason.as_str(),
            details: self.details.as_deref(),
            code: self.code,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(resource: &str) -> GroupResource {
        GroupResource::new("", resource)
    }

    fn json(err: &ApiError) -> String {
        String::from_utf8(err.to_json()).unwrap()
    }

    /// The exact 409 from FACTS.md, as a real apiserver sends it.
    #[test]
    fn already_exists_matches_upstream_bytes() {
        let err = ApiError::already_exists(&core("services"), "x");
        assert_eq!(
            json(&err),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services \"x\" already exists","reason":"AlreadyExists","details":{"name":"x","kind":"services"},"code":409}"#
        );
        assert_eq!(err.code(), 409);
        assert_eq!(err.reason(), StatusReason::AlreadyExists);
        assert_eq!(err.to_string(), "services \"x\" already exists");
    }

    #[test]
    fn every_constructor_matches_upstream_bytes() {
        const HEAD: &str =
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","#;
        let apps = GroupResource::new("apps", "deployments");
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (
                ApiError::plain("map: {} does not contain declared merge key: name"),
                500,
                r#""message":"map: {} does not contain declared merge key: name","code":500}"#,
            ),
            (
                ApiError::not_found(&apps, "web"),
                404,
                r#""message":"deployments.apps \"web\" not found","reason":"NotFound","details":{"name":"web","group":"apps","kind":"deployments"},"code":404}"#,
            ),
            (
                ApiError::not_found(&core("pods"), "p"),
                404,
                r#""message":"pods \"p\" not found","reason":"NotFound","details":{"name":"p","kind":"pods"},"code":404}"#,
            ),
            (
                ApiError::conflict(&core("configmaps"), "x", OPTIMISTIC_LOCK_MESSAGE),
                409,
                r#""message":"Operation cannot be fulfilled on configmaps \"x\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"x","kind":"configmaps"},"code":409}"#,
            ),
            (
                ApiError::invalid(
                    &GroupKind::new("", "ConfigMap"),
                    "x",
                    vec![Cause::invalid(
                        "data",
                        "a b",
                        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                    )],
                ),
                422,
                r#""message":"ConfigMap \"x\" is invalid: data: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'","reason":"Invalid","details":{"name":"x","kind":"ConfigMap","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'","field":"data"}]},"code":422}"#,
            ),
            (
                ApiError::invalid(
                    &GroupKind::new("apps", "Deployment"),
                    "web",
                    vec![
                        Cause::required("spec.selector", ""),
                        Cause::invalid("spec.replicas", -1, "must be greater than or equal to 0"),
                    ],
                ),
                422,
                r#""message":"Deployment.apps \"web\" is invalid: [spec.selector: Required value, spec.replicas: Invalid value: -1: must be greater than or equal to 0]","reason":"Invalid","details":{"name":"web","group":"apps","kind":"Deployment","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"spec.selector"},{"reason":"FieldValueInvalid","message":"Invalid value: -1: must be greater than or equal to 0","field":"spec.replicas"}]},"code":422}"#,
            ),
            (
                ApiError::invalid(&GroupKind::new("", "Pod"), "p", vec![]),
                422,
                r#""message":"Pod \"p\" is invalid","reason":"Invalid","details":{"name":"p","kind":"Pod"},"code":422}"#,
            ),
            (
                ApiError::bad_request("the server rejected our request"),
                400,
                r#""message":"the server rejected our request","reason":"BadRequest","code":400}"#,
            ),
            (
                ApiError::forbidden(
                    &core("pods"),
                    "",
                    "User \"system:serviceaccount:default:default\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"",
                ),
                403,
                r#""message":"pods is forbidden: User \"system:serviceaccount:default:default\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"kind":"pods"},"code":403}"#,
            ),
            (
                ApiError::forbidden(&apps, "web", "no"),
                403,
                r#""message":"deployments.apps \"web\" is forbidden: no","reason":"Forbidden","details":{"name":"web","group":"apps","kind":"deployments"},"code":403}"#,
            ),
            (
                ApiError::forbidden(
                    &GroupResource::default(),
                    "",
                    "User \"bob\" cannot get path \"/x\"",
                ),
                403,
                r#""message":"forbidden: User \"bob\" cannot get path \"/x\"","reason":"Forbidden","details":{},"code":403}"#,
            ),
            (
                ApiError::unauthorized(),
                401,
                r#""message":"Unauthorized","reason":"Unauthorized","code":401}"#,
            ),
            (
                ApiError::gone("gone away"),
                410,
                r#""message":"gone away","reason":"Gone","code":410}"#,
            ),
            (
                ApiError::too_old_resource_version(5, 10),
                410,
                r#""message":"too old resource version: 5 (10)","reason":"Expired","code":410}"#,
            ),
            (
                ApiError::too_many_requests(3),
                429,
                r#""message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429}"#,
            ),
            (
                ApiError::too_many_requests(0)
                    .with_message(
                        "Cannot evict pod as it would violate the pod's disruption budget.",
                    )
                    .with_cause(Cause::new(
                        "DisruptionBudget",
                        "The disruption budget pdb needs 1 healthy pods and has 1 currently",
                        "",
                    )),
                429,
                r#""message":"Cannot evict pod as it would violate the pod's disruption budget.","reason":"TooManyRequests","details":{"causes":[{"reason":"DisruptionBudget","message":"The disruption budget pdb needs 1 healthy pods and has 1 currently"}]},"code":429}"#,
            ),
            (
                ApiError::request_entity_too_large("limit is 3145728"),
                413,
                r#""message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}"#,
            ),
            (
                ApiError::method_not_supported(&core("pods"), "deletecollection"),
                405,
                r#""message":"deletecollection is not supported on resources of kind \"pods\"","reason":"MethodNotAllowed","details":{"kind":"pods"},"code":405}"#,
            ),
            (
                ApiError::not_acceptable(&["application/json", "application/yaml"]),
                406,
                r#""message":"only the following media types are accepted: application/json, application/yaml","reason":"NotAcceptable","code":406}"#,
            ),
            (
                ApiError::unsupported_media_type(&["application/json"]),
                415,
                r#""message":"the body of the request was in an unknown format - accepted media types include: application/json","reason":"UnsupportedMediaType","code":415}"#,
            ),
            (
                ApiError::timeout("request did not complete within 60s", 0),
                504,
                r#""message":"Timeout: request did not complete within 60s","reason":"Timeout","details":{},"code":504}"#,
            ),
            (
                ApiError::server_timeout(&core("pods"), "create", 2),
                500,
                r#""message":"The create operation against pods could not be completed at this time, please try again.","reason":"ServerTimeout","details":{"name":"create","kind":"pods","retryAfterSeconds":2},"code":500}"#,
            ),
            (
                ApiError::internal("boom"),
                500,
                r#""message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}"#,
            ),
            (
                ApiError::service_unavailable("not ready"),
                503,
                r#""message":"not ready","reason":"ServiceUnavailable","code":503}"#,
            ),
            (
                // Go's encoder escapes <, > and & in strings.
                ApiError::bad_request("unable to parse requirement: <nil>: a & b"),
                400,
                r#""message":"unable to parse requirement: \u003cnil\u003e: a \u0026 b","reason":"BadRequest","code":400}"#,
            ),
        ];
        for (err, code, tail) in cases {
            assert_eq!(err.code(), code, "{err:?}");
            assert_eq!(json(&err), format!("{HEAD}{tail}"), "{err:?}");
        }
    }

    #[test]
    fn invalid_message_drops_duplicate_lines_but_keeps_causes() {
        let cause = Cause::required("metadata.name", "name or generateName is required");
        let err = ApiError::invalid(&GroupKind::new("", "Pod"), "", vec![cause.clone(), cause]);
        assert_eq!(
            err.message(),
            "Pod \"\" is invalid: metadata.name: Required value: name or generateName is required"
        );
        assert_eq!(err.details().unwrap().causes.len(), 2);
    }

    #[test]
    fn retry_after_is_reported_only_when_positive() {
        assert_eq!(ApiError::too_many_requests(0).retry_after_seconds(), None);
        assert_eq!(
            ApiError::too_many_requests(7).retry_after_seconds(),
            Some(7)
        );
        assert_eq!(
            ApiError::internal("x")
                .with_retry_after(1)
                .retry_after_seconds(),
            Some(1)
        );
        assert_eq!(ApiError::unauthorized().retry_after_seconds(), None);
    }
}
