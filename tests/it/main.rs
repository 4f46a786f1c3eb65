//! Integration and end-to-end tests, one binary (`cargo test --test it`).

mod cel;
mod cli;
mod cluster;
mod corruption;
mod crash;
mod kubectl;
mod python;
mod serving;
mod support;
mod systemd;
