//! The one error type of the PKI boundary; every variant names the file involved.

use std::io;
use std::path::PathBuf;

/// Why the PKI could not be loaded, created or written.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("creating directory {}: {source}", .path.display())]
    CreateDir { path: PathBuf, source: io::Error },

    #[error("reading {}: {source}", .path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("writing {}: {source}", .path.display())]
    Write { path: PathBuf, source: io::Error },

    #[error("{} is not a valid PEM certificate: {reason}", .path.display())]
    InvalidCert { path: PathBuf, reason: String },

    #[error("{} is not a valid PEM private key: {reason}", .path.display())]
    InvalidKey { path: PathBuf, reason: String },

    /// A CA's key does not belong to its certificate. Never repaired automatically:
    /// a new CA would silently invalidate every kubeconfig handed out.
    #[error("{} does not hold the private key of {}", .key.display(), .cert.display())]
    KeyMismatch { cert: PathBuf, key: PathBuf },

    /// Half of a CA is missing; see [`PkiError::KeyMismatch`] for why kelp does not
    /// make a new one on its own.
    #[error(
        "{} exists but {} is missing: restore it, or remove both to create a new CA \
         (every kubeconfig and client certificate must then be replaced)",
        .present.display(),
        .missing.display()
    )]
    IncompleteCa { present: PathBuf, missing: PathBuf },

    #[error("issuing {}: {source}", .path.display())]
    Issue { path: PathBuf, source: rcgen::Error },

    #[error("invalid serving DNS name {name:?}: {reason}")]
    InvalidSan { name: String, reason: String },

    #[error("building the TLS server config from {}: {reason}", .path.display())]
    Tls { path: PathBuf, reason: String },

    #[error("encoding kubeconfig {}: {source}", .path.display())]
    Kubeconfig {
        path: PathBuf,
        source: serde_yaml::Error,
    },
}
