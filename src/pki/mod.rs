//! kelp's PKI: owns the cluster's two certificate authorities (one signs serving
//! certificates, the other client certificates), the apiserver's serving certificate,
//! the built-in client certificates, the rustls server config made from them, and the
//! admin kubeconfig. Start at [`Pki::ensure`].
//!
//! Files under the PKI directory (kelp uses `<data-dir>/server/tls`, mode 0700); keys
//! are mode 0600 from creation, certificates 0644, every write atomic:
//!
//! | stem                     | what                                               |
//! |--------------------------|----------------------------------------------------|
//! | `server-ca`              | CA of serving certificates, 10 years               |
//! | `client-ca`              | CA of client certificates, 10 years                |
//! | `serving-kube-apiserver` | apiserver serving leaf, 1 year                     |
//! | `client-admin`           | `system:admin` in `system:masters`, 1 year         |
//! | `client-kelp-controller` | `system:kelp-controller` in `system:masters`       |
//!
//! each as `<stem>.crt` and `<stem>.key` (PEM, PKCS#8 keys, ECDSA P-256); and
//! `service-account.key`, the key that signs service-account tokens ([`ServiceAccountKey`]).
//!
//! Architecture Invariant: a CA is created only when both of its files are absent, and
//! never replaced by kelp on its own, because every kubeconfig handed out trusts it.
//! Leaves are cheap: one that no longer fits (missing, wrong key, other issuer, a name
//! now required, less than 90 days left) is re-issued at startup by the same CA.

mod error;
mod files;
mod inspect;
mod issue;
mod kubeconfig;
mod satoken;
mod tls;

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{Issuer, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::OffsetDateTime;

pub use error::PkiError;
pub use inspect::{Identity, identity_from_client_cert};
pub use kubeconfig::write_kubeconfig;
pub use satoken::{ServiceAccountKey, VerifyError};

use files::{CertFile, KeyFile};
use inspect::Want;

/// The user of the admin client certificate (and so of the admin kubeconfig).
pub const ADMIN_USER: &str = "system:admin";
/// The user of kelp's in-process components.
pub const CONTROLLER_USER: &str = "system:kelp-controller";
/// The group Kubernetes authorizes for everything.
pub const MASTERS_GROUP: &str = "system:masters";

const SERVER_CA: &str = "server-ca";
const CLIENT_CA: &str = "client-ca";
const SERVING: &str = "serving-kube-apiserver";
const ADMIN: &str = "client-admin";
const CONTROLLER: &str = "client-kelp-controller";

/// Names the apiserver's serving certificate must carry besides the built-in ones
/// (`kubernetes`, `kubernetes.default`, `kubernetes.default.svc`,
/// `kubernetes.default.svc.<cluster_domain>`, `localhost`, `127.0.0.1`, `::1`).
/// The caller adds node IPs, the `kubernetes` Service IP and any `--tls-san`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServingSans {
    pub ips: Vec<IpAddr>,
    pub dns: Vec<String>,
    /// e.g. `cluster.local`.
    pub cluster_domain: String,
}

impl ServingSans {
    /// Every DNS name and IP the serving leaf must carry, lowercased and de-duplicated
    /// in a stable order.
    fn required(&self) -> Result<(Vec<String>, Vec<IpAddr>), PkiError> {
        let domain = self.cluster_domain.trim_end_matches('.');
        let builtin = [
            "kubernetes".to_owned(),
            "kubernetes.default".to_owned(),
            "kubernetes.default.svc".to_owned(),
            format!("kubernetes.default.svc.{domain}"),
            "localhost".to_owned(),
        ];
        let mut dns: Vec<String> = Vec::new();
        for name in builtin.iter().chain(&self.dns) {
            let name = name.to_ascii_lowercase();
            check_dns_name(&name)?;
            if !dns.contains(&name) {
                dns.push(name);
            }
        }
        let mut ips = vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ];
        for ip in &self.ips {
            if !ips.contains(ip) {
                ips.push(*ip);
            }
        }
        Ok((dns, ips))
    }
}

/// Rejects what would make a certificate that clients refuse to parse. A leading `*.`
/// wildcard is allowed.
fn check_dns_name(name: &str) -> Result<(), PkiError> {
    let bare = name.strip_prefix("*.").unwrap_or(name);
    rustls::pki_types::DnsName::try_from(bare)
        .map(drop)
        .map_err(|e| PkiError::InvalidSan {
            name: name.to_owned(),
            reason: e.to_string(),
        })
}

/// A certificate with its private key, as PEM and DER.
pub struct KeyedCert {
    cert: CertFile,
    key: KeyFile,
}

impl KeyedCert {
    pub fn cert_pem(&self) -> &str {
        &self.cert.pem
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert.der
    }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    pub fn key_pem(&self) -> &str {
        &self.key.pem
    }

    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        self.key.der.clone_key().into()
    }
}

impl fmt::Debug for KeyedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedCert").finish_non_exhaustive()
    }
}

/// The loaded PKI. CA keys are not kept: they are needed only while [`Pki::ensure`]
/// issues leaves.
pub struct Pki {
    dir: PathBuf,
    server_ca: CertFile,
    client_ca: CertFile,
    serving: KeyedCert,
    admin: KeyedCert,
    controller: KeyedCert,
    tls: Arc<ServerConfig>,
}

impl fmt::Debug for Pki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pki")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// A CA ready to sign.
struct Ca {
    cert: CertFile,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    /// Loads the PKI from `dir`, creating what is missing (the directory with mode
    /// 0700) and re-issuing leaves that no longer fit (see the module docs).
    pub fn ensure(dir: &Path, sans: &ServingSans) -> Result<Pki, PkiError> {
        Self::ensure_at(dir, sans, OffsetDateTime::now_utc())
    }

    /// [`Pki::ensure`] as if the clock read `now`.
    fn ensure_at(dir: &Path, sans: &ServingSans, now: OffsetDateTime) -> Result<Pki, PkiError> {
        let (dns, ips) = sans.required()?;
        files::create_private_dir(dir)?;
        let server_ca = load_or_create_ca(dir, SERVER_CA, "kelp-server-ca", now)?;
        let client_ca = load_or_create_ca(dir, CLIENT_CA, "kelp-client-ca", now)?;

        let serving = ensure_leaf(
            dir,
            SERVING,
            &server_ca,
            Want::Names {
                dns: &dns,
                ips: &ips,
            },
            now,
            || issue::serving_leaf(&server_ca.issuer, &dns, &ips, now),
        )?;
        let admin = ensure_client(dir, ADMIN, &client_ca, ADMIN_USER, now)?;
        let controller = ensure_client(dir, CONTROLLER, &client_ca, CONTROLLER_USER, now)?;

        let tls = tls::server_config(
            &serving.cert,
            &serving.key,
            &pair_paths(dir, SERVING).0,
            &client_ca.cert,
            &pair_paths(dir, CLIENT_CA).0,
        )?;
        Ok(Pki {
            dir: dir.to_path_buf(),
            server_ca: server_ca.cert,
            client_ca: client_ca.cert,
            serving,
            admin,
            controller,
            tls,
        })
    }

    /// The directory the PKI lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA clients trust for the apiserver (a kubeconfig's
    /// `certificate-authority-data`).
    pub fn server_ca_pem(&self) -> &str {
        &self.server_ca.pem
    }

    pub fn server_ca_der(&self) -> &CertificateDer<'static> {
        &self.server_ca.der
    }

    /// The CA client certificates must chain to.
    pub fn client_ca_pem(&self) -> &str {
        &self.client_ca.pem
    }

    pub fn client_ca_der(&self) -> &CertificateDer<'static> {
        &self.client_ca.der
    }

    /// The apiserver's serving certificate and key.
    pub fn serving(&self) -> &KeyedCert {
        &self.serving
    }

    /// `system:admin` in `system:masters`: the admin kubeconfig's credentials.
    pub fn admin(&self) -> &KeyedCert {
        &self.admin
    }

    /// `system:kelp-controller` in `system:masters`: kelp's own components.
    pub fn controller(&self) -> &KeyedCert {
        &self.controller
    }

    /// TLS for the apiserver: the serving leaf, ALPN `h2` and `http/1.1`, and client
    /// certificates optional but, when presented, verified against the client CA. Read
    /// the verified client's [`Identity`] with [`identity_from_client_cert`] on the
    /// connection's first peer certificate.
    pub fn server_tls_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.tls)
    }
}

fn pair_paths(dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{stem}.crt")),
        dir.join(format!("{stem}.key")),
    )
}

fn load_or_create_ca(
    dir: &Path,
    stem: &str,
    cn_prefix: &str,
    now: OffsetDateTime,
) -> Result<Ca, PkiError> {
    let (crt_path, key_path) = pair_paths(dir, stem);
    let crt = files::read_optional(&crt_path)?;
    let key = files::read_optional(&key_path)?;
    let (cert, key) = match (crt, key) {
        (Some(crt), Some(key)) => {
            let cert = files::parse_cert(&crt_path, &crt)?;
            let key = files::parse_key(&key_path, &key)?;
            if !inspect::is_ca(&cert) {
                return Err(PkiError::InvalidCert {
                    path: crt_path,
                    reason: "not a CA certificate".into(),
                });
            }
            if !inspect::key_matches(&cert, &key) {
                return Err(PkiError::KeyMismatch {
                    cert: crt_path,
                    key: key_path,
                });
            }
            if let Some(days) = inspect::days_left(&cert, now)
                && days < inspect::RENEW_BEFORE.whole_days()
            {
                tracing::warn!(
                    cert = %crt_path.display(),
                    "CA expires in {days} days; kelp does not rotate CAs yet"
                );
            }
            (cert, key)
        }
        (None, None) => {
            let (cert, key) = issue::new_ca(cn_prefix, now).map_err(|source| PkiError::Issue {
                path: crt_path.clone(),
                source,
            })?;
            // Key first: a crash in between leaves a lone key, reported, not replaced.
            files::write_atomic(&key_path, key.pem.as_bytes(), files::KEY_MODE)?;
            files::write_atomic(&crt_path, cert.pem.as_bytes(), files::CERT_MODE)?;
            tracing::info!(cert = %crt_path.display(), "created CA");
            (cert, key)
        }
        (Some(_), None) => {
            return Err(PkiError::IncompleteCa {
                present: crt_path,
                missing: key_path,
            });
        }
        (None, Some(_)) => {
            return Err(PkiError::IncompleteCa {
                present: key_path,
                missing: crt_path,
            });
        }
    };
    let issuer =
        Issuer::from_ca_cert_der(&cert.der, key.pair).map_err(|e| PkiError::InvalidCert {
            path: crt_path,
            reason: e.to_string(),
        })?;
    Ok(Ca { cert, issuer })
}

fn ensure_client(
    dir: &Path,
    stem: &str,
    ca: &Ca,
    user: &str,
    now: OffsetDateTime,
) -> Result<KeyedCert, PkiError> {
    let identity = Identity {
        user: user.to_owned(),
        groups: vec![MASTERS_GROUP.to_owned()],
    };
    ensure_leaf(dir, stem, ca, Want::Subject(&identity), now, || {
        issue::client_leaf(&ca.issuer, user, MASTERS_GROUP, now)
    })
}

/// Loads the leaf `stem`, or issues it with `issue` when it is missing or no longer
/// fits `want`. A file that exists but does not parse is an error, not a reason to
/// overwrite it.
fn ensure_leaf(
    dir: &Path,
    stem: &str,
    ca: &Ca,
    want: Want<'_>,
    now: OffsetDateTime,
    issue: impl FnOnce() -> Result<(CertFile, KeyFile), rcgen::Error>,
) -> Result<KeyedCert, PkiError> {
    let (crt_path, key_path) = pair_paths(dir, stem);
    let crt = files::read_optional(&crt_path)?;
    let key = files::read_optional(&key_path)?;
    let reason = match (crt, key) {
        (Some(crt), Some(key)) => {
            let cert = files::parse_cert(&crt_path, &crt)?;
            let key = files::parse_key(&key_path, &key)?;
            match inspect::reissue_reason(&cert, &key, &ca.cert, &want, now) {
                None => return Ok(KeyedCert { cert, key }),
                Some(reason) => reason,
            }
        }
        (None, None) => "it did not exist".to_owned(),
        (None, Some(_)) => "its certificate was missing".to_owned(),
        (Some(_), None) => "its key was missing".to_owned(),
    };
    let (cert, key) = issue().map_err(|source| PkiError::Issue {
        path: crt_path.clone(),
        source,
    })?;
    // Key first: a crash in between leaves a mismatched pair, re-issued next start.
    files::write_atomic(&key_path, key.pem.as_bytes(), files::KEY_MODE)?;
    files::write_atomic(&crt_path, cert.pem.as_bytes(), files::CERT_MODE)?;
    tracing::info!(cert = %crt_path.display(), "issued certificate: {reason}");
    Ok(KeyedCert { cert, key })
}
