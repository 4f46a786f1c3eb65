//! Reading certificates back: the Kubernetes identity a client certificate carries, and
//! whether a stored leaf still fits (key, issuer, names, remaining lifetime).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use super::files::{CertFile, KeyFile};

/// A leaf this close to expiry is re-issued at startup.
pub(crate) const RENEW_BEFORE: Duration = Duration::days(90);

/// Who a client certificate says its holder is, by the Kubernetes convention: the
/// subject's common name is the user, every organization is a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    pub groups: Vec<String>,
}

/// The identity in a client certificate (DER). `None` if it does not parse, has no or an
/// empty common name, or a name that is not a string.
///
/// This does not verify anything: pass only a certificate the TLS layer has already
/// verified against the client CA (what `Pki::server_tls_config` does).
pub fn identity_from_client_cert(cert_der: &[u8]) -> Option<Identity> {
    let (rest, cert) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    identity_of(&cert)
}

fn identity_of(cert: &X509Certificate<'_>) -> Option<Identity> {
    let subject = cert.subject();
    // With several CNs Go's crypto/x509 keeps the last, and Kubernetes reads that one.
    let user = subject.iter_common_name().last()?.as_str().ok()?;
    if user.is_empty() {
        return None;
    }
    let groups = subject
        .iter_organization()
        .map(|o| o.as_str().map(str::to_owned))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some(Identity {
        user: user.to_owned(),
        groups,
    })
}

/// What a stored leaf must still carry to be kept.
pub(crate) enum Want<'a> {
    /// A serving certificate: at least these names.
    Names {
        dns: &'a [String],
        ips: &'a [IpAddr],
    },
    /// A client certificate: exactly this identity.
    Subject(&'a Identity),
}

/// Whether `key` is the private half of the certificate's public key.
pub(crate) fn key_matches(cert: &CertFile, key: &KeyFile) -> bool {
    x509_parser::parse_x509_certificate(&cert.der)
        .map(|(_, c)| c.public_key().subject_public_key.data.as_ref() == key.pair.public_key_raw())
        .unwrap_or(false)
}

/// Whether the certificate says it is a CA (basic constraints `cA`).
pub(crate) fn is_ca(cert: &CertFile) -> bool {
    x509_parser::parse_x509_certificate(&cert.der)
        .map(|(_, c)| c.is_ca())
        .unwrap_or(false)
}

/// Whole days until the certificate expires (negative once it has).
pub(crate) fn days_left(cert: &CertFile, now: OffsetDateTime) -> Option<i64> {
    let (_, c) = x509_parser::parse_x509_certificate(&cert.der).ok()?;
    Some((c.validity().not_after.timestamp() - now.unix_timestamp()) / 86_400)
}

/// Why the stored leaf must be re-issued, or `None` to keep it.
pub(crate) fn reissue_reason(
    leaf: &CertFile,
    key: &KeyFile,
    ca: &CertFile,
    want: &Want<'_>,
    now: OffsetDateTime,
) -> Option<String> {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(&leaf.der) else {
        return Some("it does not parse".into());
    };
    let Ok((_, ca_cert)) = x509_parser::parse_x509_certificate(&ca.der) else {
        return Some("the CA does not parse".into());
    };
    if cert.public_key().subject_public_key.data.as_ref() != key.pair.public_key_raw() {
        return Some("its key file does not match it".into());
    }
    if cert.verify_signature(Some(ca_cert.public_key())).is_err() {
        return Some("it was not signed by the current CA".into());
    }
    let left = cert.validity().not_after.timestamp() - now.unix_timestamp();
    if left < RENEW_BEFORE.whole_seconds() {
        return Some(format!("it expires in {} days", left / 86_400));
    }
    match want {
        Want::Names { dns, ips } => {
            let missing = missing_names(&cert, dns, ips);
            if !missing.is_empty() {
                return Some(format!("it lacks {}", missing.join(", ")));
            }
        }
        Want::Subject(identity) => {
            if identity_of(&cert).as_ref() != Some(*identity) {
                return Some("its subject changed".into());
            }
        }
    }
    None
}

/// Required names the certificate does not list among its SANs.
fn missing_names(cert: &X509Certificate<'_>, dns: &[String], ips: &[IpAddr]) -> Vec<String> {
    let mut have_dns = BTreeSet::new();
    let mut have_ips = BTreeSet::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => {
                    have_dns.insert(d.to_ascii_lowercase());
                }
                GeneralName::IPAddress(octets) => {
                    if let Some(ip) = ip_from_octets(octets) {
                        have_ips.insert(ip);
                    }
                }
                _ => {}
            }
        }
    }
    let missing_dns = dns
        .iter()
        .filter(|d| !have_dns.contains(&d.to_ascii_lowercase()))
        .cloned();
    let missing_ips = ips
        .iter()
        .filter(|ip| !have_ips.contains(*ip))
        .map(IpAddr::to_string);
    missing_dns.chain(missing_ips).collect()
}

fn ip_from_octets(octets: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(octets) {
        Some(IpAddr::V4(Ipv4Addr::from(v4)))
    } else if let Ok(v6) = <[u8; 16]>::try_from(octets) {
        Some(IpAddr::V6(Ipv6Addr::from(v6)))
    } else {
        None
    }
}
