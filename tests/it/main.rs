//! Integration and end-to-end tests, one binary (`cargo test --test it`).

mod corruption;
mod crash;
mod support;
