//! The apiserver's rustls `ServerConfig`: serving leaf, ALPN, optional client certs.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use super::PkiError;
use super::files::{CertFile, KeyFile};

/// The crypto provider for everything in kelp's PKI. Named explicitly rather than taken
/// from the process default, which panics when a dependency enables a second provider.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Serves `leaf`; a client may present a certificate, which must then chain to
/// `client_ca`, or none (bearer tokens, service-account tokens, anonymous).
pub(crate) fn server_config(
    leaf: &CertFile,
    key: &KeyFile,
    leaf_path: &Path,
    client_ca: &CertFile,
    client_ca_path: &Path,
) -> Result<Arc<ServerConfig>, PkiError> {
    let tls_err = |path: &Path, reason: String| PkiError::Tls {
        path: path.to_path_buf(),
        reason,
    };
    let mut roots = RootCertStore::empty();
    roots
        .add(client_ca.der.clone())
        .map_err(|e| tls_err(client_ca_path, e.to_string()))?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .allow_unauthenticated()
        .build()
        .map_err(|e| tls_err(client_ca_path, e.to_string()))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(leaf_path, e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![leaf.der.clone()], key.der.clone_key().into())
        .map_err(|e| tls_err(leaf_path, e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
