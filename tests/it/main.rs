//! Integration and end-to-end tests, one binary (`cargo test --test it`).

mod corruption;
mod cli;
mod crash;
mod support;
