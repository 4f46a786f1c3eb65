//! kelp: a Kubernetes distribution for the edge in one binary.
//!
//! The binary (`src/main.rs`) only parses the command line; everything else lives in
//! these modules. Start at [`server`], the composition root, and [`store`], the MVCC
//! key-value store every Kubernetes object will live in.

pub mod api;
pub mod apiserver;
pub mod checkconfig;
pub mod controllers;
pub mod pki;
pub mod raft;
pub mod server;
pub mod store;
