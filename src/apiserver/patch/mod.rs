//! Patch application: the three body formats of `PATCH` as pure functions on
//! [`serde_json::Value`]. Start at [`strategic_merge_patch`], the one `kubectl apply`
//! sends; [`json_patch`] (RFC 6902) and [`merge_patch`] (RFC 7386) are the other two.
//!
//! Each function behaves like the library kube-apiserver calls for that content type,
//! quirks included, because clients were written against those: evanphx/json-patch v4
//! for the RFC formats, apimachinery's `strategicpatch` for strategic merge patches.
//! Which lists merge, and by which key, is answered by a [`MergeSchema`]: upstream reads
//! the `patchStrategy`/`patchMergeKey` struct tags of the Go types, kelp keeps the same
//! facts in tables ([`BuiltinSchema::for_kind`]). Custom resources get no strategic
//! merge patch upstream (415); [`PlainSchema`] (every list atomic) is there for callers
//! that want one anyway.
//!
//! Architecture Invariant: nothing here looks at kinds, versions or the store; the input
//! document is never modified, a new one is returned. Applying a patch is only the first
//! step of a `PATCH`: the caller still decodes, defaults and validates the result, which
//! upstream does by converting it into the typed object (dropping `null`s and rejecting
//! unknown fields under `fieldValidation=Strict`).

mod json;
mod schema;
mod strategic;

#[cfg(test)]
mod builtin_tests;
#[cfg(test)]
mod json_tests;
#[cfg(test)]
mod strategic_tests;

pub use json::{MAX_JSON_PATCH_OPERATIONS, json_patch, merge_patch};
pub use schema::{BuiltinSchema, FieldMeta, MergeSchema, PlainSchema, Strategy};
pub use strategic::strategic_merge_patch;

/// Why a patch could not be applied. The `Display` text is upstream's message for the
/// same failure; [`PatchError::code`] is the HTTP status upstream answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The body is not JSON, or not JSON of the shape the patch type needs. 400.
    #[error("{message}")]
    Decode { message: String },
    /// A JSON patch with more operations than upstream accepts. 413.
    #[error("The allowed maximum operations in a JSON patch is {max}, got {got}")]
    TooManyOperations { max: usize, got: usize },
    /// A JSON patch operation does not apply (missing path, bad index, unknown op). 422.
    #[error("{message}")]
    Apply { path: String, message: String },
    /// A JSON patch `test` operation found a different value. 422.
    #[error("testing value {path} failed: test failed")]
    TestFailed { path: String },
    /// The document to patch is not a JSON object. 400.
    #[error("invalid JSON document")]
    InvalidDocument,
    /// `$deleteFromPrimitiveList…` without a `/field`. 400.
    #[error("invalid patch format of primitive list")]
    BadPrimitiveList { path: String },
    /// `$retainKeys` is not a list, or the patch sets a field it does not name. 400.
    #[error("invalid patch format of retainKeys")]
    BadRetainKeys { path: String },
    /// `$setElementOrder…` without a `/field`. 400.
    #[error("invalid patch format of setElementOrder list")]
    BadSetElementOrder { path: String },
    /// A merging list whose elements are lists. 422.
    #[error("lists of lists are not supported")]
    ListOfLists { path: String },
    /// An element of a merging list lacks the merge key. 500, as upstream (kubectl
    /// prints `Error from server: map: … does not contain declared merge key: name`).
    #[error("map: {map} does not contain declared merge key: {key}")]
    NoMergeKey {
        path: String,
        map: String,
        key: String,
    },
    /// A `$patch` directive other than `replace`/`delete` (or `merge` in a list). 500.
    #[error("unknown patch type: {directive} in map: {map}")]
    UnknownDirective {
        path: String,
        directive: String,
        map: String,
    },
    /// Any other strategic-merge failure (mismatched types, `$setElementOrder` that
    /// contradicts the patch list, …). 500, as upstream returns these unclassified.
    #[error("{message}")]
    Merge { path: String, message: String },
}

impl PatchError {
    /// The HTTP status kube-apiserver answers with for this failure.
    pub fn code(&self) -> u16 {
        match self {
            PatchError::Decode { .. }
            | PatchError::InvalidDocument
            | PatchError::BadPrimitiveList { .. }
            | PatchError::BadRetainKeys { .. }
            | PatchError::BadSetElementOrder { .. } => 400,
            PatchError::TooManyOperations { .. } => 413,
            PatchError::Apply { .. } | PatchError::TestFailed { .. } => 422,
            PatchError::ListOfLists { .. } => 422,
            PatchError::NoMergeKey { .. }
            | PatchError::UnknownDirective { .. }
            | PatchError::Merge { .. } => 500,
        }
    }
}

/// The `Content-Type` of a `PATCH` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902): [`json_patch`].
    Json,
    /// `application/merge-patch+json` (RFC 7386): [`merge_patch`].
    Merge,
    /// `application/strategic-merge-patch+json`: [`strategic_merge_patch`].
    StrategicMerge,
    /// `application/apply-patch+yaml`: server-side apply, not handled in this module.
    Apply,
}

impl PatchType {
    /// Every patch type.
    pub const ALL: [PatchType; 4] = [
        PatchType::Json,
        PatchType::Merge,
        PatchType::StrategicMerge,
        PatchType::Apply,
    ];

    /// Parses a `Content-Type` header value; parameters (`; charset=utf-8`) are ignored.
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        PatchType::ALL
            .into_iter()
            .find(|t| t.content_type().eq_ignore_ascii_case(media))
    }

    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// Compact JSON of a value, for error messages (upstream prints Go's `%v` here).
fn compact(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
