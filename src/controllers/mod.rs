//! Controllers: components that drive the cluster towards what its objects (or files)
//! say, each a kube-rs client of the API server (in-process, through
//! [`crate::apiserver::client`]), never touching the store. [`images`] is not one: it
//! reads the auto-deployed manifests, as [`manifests`] does, for the images they need
//! (`kelp airgap list-images`).

pub mod images;
pub mod manifests;
