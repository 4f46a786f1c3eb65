//! Controllers: components that drive the cluster towards what its objects (or files)
//! say, each a kube-rs client of the API server (in-process, through
//! [`crate::apiserver::client`]), never touching the store.

pub mod manifests;
