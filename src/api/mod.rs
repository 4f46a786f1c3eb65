//! The Kubernetes API vocabulary: names, errors, selectors and the resource table.
//!
//! Pure data and functions — no IO, no runtime — so every module may use it. What it
//! owns:
//!
//! - [`status`]: [`ApiError`], every failed request as upstream's `metav1.Status`,
//!   byte for byte.
//! - [`selector`]: label selectors ([`Selector`], string syntax and
//!   `metav1.LabelSelector`) and field selectors ([`FieldSelector`]).
//! - [`resources`]: the built-in resource table ([`ResourceTable`]) and the discovery
//!   documents built from it ([`resources::discovery`]).
//! - [`gvk`]: [`GroupResource`] and [`GroupKind`].
//! - [`validation`]: label-key, label-value and DNS name checks with upstream's texts.
//! - [`json`]: JSON bytes with Go's escaping, for anything compared byte for byte.
//!
//! Start at [`ApiError`] for how failures reach clients and at
//! [`resources::builtin_resources`] for what kelp serves. Upstream messages are
//! reproduced from Kubernetes v1.33 (`k8s.io/apimachinery`, `k8s.io/apiserver`).

pub mod goformat;
pub mod gvk;
pub mod json;
pub mod resources;
pub mod selector;
pub mod status;
pub mod validation;

pub use gvk::{GroupKind, GroupResource};
pub use resources::{ResourceInfo, ResourceTable, SubresourceInfo, builtin_resources};
pub use selector::{FieldSelector, FieldSelectorError, LabelSelectorError, Selector};
pub use status::{ApiError, Cause, StatusReason};
