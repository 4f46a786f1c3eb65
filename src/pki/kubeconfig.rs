//! The admin kubeconfig: one cluster, user and context, all named `default` (as k3s
//! writes it), with every credential inline so the file stands alone.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;

use super::files::{create_dir_all, parent_dir, write_atomic};
use super::{Pki, PkiError};

const NAME: &str = "default";

#[derive(Serialize)]
struct Kubeconfig<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    clusters: Vec<Named<Cluster<'a>>>,
    users: Vec<Named<User>>,
    contexts: Vec<Named<Context<'a>>>,
    #[serde(rename = "current-context")]
    current_context: &'a str,
}

#[derive(Serialize)]
struct Named<T> {
    name: &'static str,
    #[serde(flatten)]
    item: T,
}

#[derive(Serialize)]
struct Cluster<'a> {
    cluster: ClusterSpec<'a>,
}

#[derive(Serialize)]
struct ClusterSpec<'a> {
    server: &'a str,
    #[serde(rename = "certificate-authority-data")]
    certificate_authority_data: String,
}

#[derive(Serialize)]
struct User {
    user: UserSpec,
}

#[derive(Serialize)]
struct UserSpec {
    #[serde(rename = "client-certificate-data")]
    client_certificate_data: String,
    #[serde(rename = "client-key-data")]
    client_key_data: String,
}

#[derive(Serialize)]
struct Context<'a> {
    context: ContextSpec<'a>,
}

#[derive(Serialize)]
struct ContextSpec<'a> {
    cluster: &'a str,
    user: &'a str,
}

/// Writes an admin kubeconfig for `server_url` to `path` with permission bits `mode`
/// (e.g. `0o600`): the server CA, and the `system:admin` client certificate and key.
/// The file is replaced atomically; its directory is created if missing.
pub fn write_kubeconfig(
    path: &Path,
    mode: u32,
    server_url: &str,
    pki: &Pki,
) -> Result<(), PkiError> {
    let config = Kubeconfig {
        api_version: "v1",
        kind: "Config",
        clusters: vec![Named {
            name: NAME,
            item: Cluster {
                cluster: ClusterSpec {
                    server: server_url,
                    certificate_authority_data: BASE64.encode(pki.server_ca_pem()),
                },
            },
        }],
        users: vec![Named {
            name: NAME,
            item: User {
                user: UserSpec {
                    client_certificate_data: BASE64.encode(pki.admin().cert_pem()),
                    client_key_data: BASE64.encode(pki.admin().key_pem()),
                },
            },
        }],
        contexts: vec![Named {
            name: NAME,
            item: Context {
                context: ContextSpec {
                    cluster: NAME,
                    user: NAME,
                },
            },
        }],
        current_context: NAME,
    };
    let yaml = serde_yaml::to_string(&config).map_err(|source| PkiError::Kubeconfig {
        path: path.to_path_buf(),
        source,
    })?;
    create_dir_all(parent_dir(path))?;
    write_atomic(path, yaml.as_bytes(), mode)
}
