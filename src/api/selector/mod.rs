//! Label and field selectors, parsed and matched like upstream's `labels` and
//! `fields` packages. Start at [`Selector`] (labels) and [`FieldSelector`].

pub mod fields;
pub mod labels;
mod parser;

pub use fields::{FieldOperator, FieldRequirement, FieldSelector, FieldSelectorError};
pub use labels::{
    LabelSelector, LabelSelectorError, LabelSelectorRequirement, Operator, Requirement, Selector,
};
