//! [`Cause`]: one field-level problem inside a Status, built like upstream's
//! `field.Error` (`field.Invalid`, `field.Required`, …) so messages match.

use crate::api::goformat::quote;
use serde::Serialize;
use std::fmt;

/// `metav1.StatusCause`: one field-level problem.
///
/// `message` is the error body without the field (upstream `ErrorBody()`), e.g.
/// `Invalid value: "x": must be ...`; the constructors below build it like upstream's
/// `field.Invalid`, `field.Required`, ….
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Cause {
    #[serde(rename = "reason", skip_serializing_if = "String::is_empty")]
    pub reason_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

/// The offending value in a field error, printed as Go's `fmt` would print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadValue {
    /// Printed quoted (`%q`).
    Str(String),
    /// Printed bare (`%v`).
    Int(i64),
    Bool(bool),
    /// A nil value: `null`.
    Null,
    /// Already rendered, printed as is (e.g. Go's `%#v` of a slice).
    Raw(String),
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Str(s) => f.write_str(&quote(s)),
            Self::Int(i) => write!(f, "{i}"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Null => f.write_str("null"),
            Self::Raw(s) => f.write_str(s),
        }
    }
}

impl From<&str> for BadValue {
    fn from(s: &str) -> Self {
        Self::Str(s.to_string())
    }
}
impl From<String> for BadValue {
    fn from(s: String) -> Self {
        Self::Str(s)
    }
}
impl From<i64> for BadValue {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}
impl From<i32> for BadValue {
    fn from(i: i32) -> Self {
        Self::Int(i.into())
    }
}
impl From<bool> for BadValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl Cause {
    pub fn new(
        reason_type: impl Into<String>,
        message: impl Into<String>,
        field: impl Into<String>,
    ) -> Self {
        Self {
            reason_type: reason_type.into(),
            message: message.into(),
            field: field.into(),
        }
    }

    fn with_value(
        reason_type: &str,
        title: &str,
        field: &str,
        value: &BadValue,
        detail: &str,
    ) -> Self {
        let mut message = format!("{title}: {value}");
        if !detail.is_empty() {
            message.push_str(": ");
            message.push_str(detail);
        }
        Self::new(reason_type, message, field)
    }

    fn without_value(reason_type: &str, title: &str, field: &str, detail: &str) -> Self {
        let message = if detail.is_empty() {
            title.to_string()
        } else {
            format!("{title}: {detail}")
        };
        Self::new(reason_type, message, field)
    }

    /// `field.Invalid`: `Invalid value: <value>: <detail>`.
    pub fn invalid(field: &str, value: impl Into<BadValue>, detail: &str) -> Self {
        Self::with_value(
            "FieldValueInvalid",
            "Invalid value",
            field,
            &value.into(),
            detail,
        )
    }

    /// `field.Required`: `Required value[: <detail>]`.
    pub fn required(field: &str, detail: &str) -> Self {
        Self::without_value("FieldValueRequired", "Required value", field, detail)
    }

    /// `field.Forbidden`: `Forbidden[: <detail>]`.
    pub fn forbidden(field: &str, detail: &str) -> Self {
        Self::without_value("FieldValueForbidden", "Forbidden", field, detail)
    }

    /// `field.Duplicate`: `Duplicate value: <value>`.
    pub fn duplicate(field: &str, value: impl Into<BadValue>) -> Self {
        Self::with_value(
            "FieldValueDuplicate",
            "Duplicate value",
            field,
            &value.into(),
            "",
        )
    }

    /// `field.NotFound`: `Not found: <value>`.
    pub fn not_found(field: &str, value: impl Into<BadValue>) -> Self {
        Self::with_value("FieldValueNotFound", "Not found", field, &value.into(), "")
    }

    /// `field.NotSupported`: `Unsupported value: <value>: supported values: "a", "b"`.
    pub fn not_supported(field: &str, value: impl Into<BadValue>, supported: &[&str]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::with_value(
            "FieldValueNotSupported",
            "Unsupported value",
            field,
            &value.into(),
            &detail,
        )
    }

    /// `field.TooLong`: `Too long: must have at most <max> bytes`.
    pub fn too_long(field: &str, max_bytes: usize) -> Self {
        let detail = format!("must have at most {max_bytes} bytes");
        Self::without_value("FieldValueTooLong", "Too long", field, &detail)
    }

    /// `field.TooMany`: `Too many: <actual>: must have at most <max> items`.
    pub fn too_many(field: &str, actual: usize, max: usize) -> Self {
        let detail = format!("must have at most {max} items");
        Self::with_value(
            "FieldValueTooMany",
            "Too many",
            field,
            &BadValue::Raw(actual.to_string()),
            &detail,
        )
    }

    /// `field.InternalError`: `Internal error: <detail>`.
    pub fn internal(field: &str, detail: &str) -> Self {
        Self::without_value("InternalError", "Internal error", field, detail)
    }

    /// The cause as one line, `<field>: <message>` (upstream `field.Error.Error()`).
    pub fn to_line(&self) -> String {
        format!("{}: {}", self.field, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_bodies_match_field_error_bodies() {
        let cases = [
            (
                Cause::invalid("a", "x", "bad"),
                "FieldValueInvalid",
                "Invalid value: \"x\": bad",
            ),
            (
                Cause::invalid("a", true, ""),
                "FieldValueInvalid",
                "Invalid value: true",
            ),
            (
                Cause::invalid("a", BadValue::Null, "d"),
                "FieldValueInvalid",
                "Invalid value: null: d",
            ),
            (
                Cause::required("a", ""),
                "FieldValueRequired",
                "Required value",
            ),
            (
                Cause::forbidden("a", "may not be set"),
                "FieldValueForbidden",
                "Forbidden: may not be set",
            ),
            (
                Cause::duplicate("a", "x"),
                "FieldValueDuplicate",
                "Duplicate value: \"x\"",
            ),
            (
                Cause::not_found("a", "x"),
                "FieldValueNotFound",
                "Not found: \"x\"",
            ),
            (
                Cause::not_supported(
                    "spec.restartPolicy",
                    "Sometimes",
                    &["Always", "Never", "OnFailure"],
                ),
                "FieldValueNotSupported",
                "Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\", \"OnFailure\"",
            ),
            (
                Cause::too_long("a", 10),
                "FieldValueTooLong",
                "Too long: must have at most 10 bytes",
            ),
            (
                Cause::too_many("a", 5, 3),
                "FieldValueTooMany",
                "Too many: 5: must have at most 3 items",
            ),
            (
                Cause::internal("a", "oops"),
                "InternalError",
                "Internal error: oops",
            ),
        ];
        for (cause, reason, message) in cases {
            assert_eq!(cause.reason_type, reason);
            assert_eq!(cause.message, message);
            assert!(cause.to_line().ends_with(&format!(": {message}")));
        }
    }
}
