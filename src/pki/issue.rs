//! Issuing certificates with rcgen: the two CAs and the leaves they sign. All keys are
//! ECDSA P-256, which every Kubernetes client and rustls' ring provider handle.

use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
};
use time::{Duration, OffsetDateTime};

use super::files::{CertFile, KeyFile};

/// Certificates start this long before they are made, so that a node whose clock lags
/// (a Raspberry Pi without an RTC, before NTP) still accepts them.
const BACKDATE: Duration = Duration::hours(1);
pub(crate) const CA_LIFETIME: Duration = Duration::days(3650);
pub(crate) const LEAF_LIFETIME: Duration = Duration::days(365);

/// CN of the serving certificate, as kube-apiserver's own.
const SERVING_CN: &str = "kube-apiserver";

/// A new self-signed CA whose CN is `<cn_prefix>@<unix time>`, so that a re-created CA
/// is told apart from the old one in every error message.
pub(crate) fn new_ca(
    cn_prefix: &str,
    now: OffsetDateTime,
) -> Result<(CertFile, KeyFile), rcgen::Error> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = base_params(
        &format!("{cn_prefix}@{}", now.unix_timestamp()),
        now,
        CA_LIFETIME,
    );
    // Only leaves below: there are no intermediates in kelp's PKI.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key)?;
    Ok((CertFile::from_issued(&cert), KeyFile::from_pair(key)))
}

/// The apiserver's serving leaf for exactly these names.
pub(crate) fn serving_leaf(
    ca: &Issuer<'_, KeyPair>,
    dns: &[String],
    ips: &[IpAddr],
    now: OffsetDateTime,
) -> Result<(CertFile, KeyFile), rcgen::Error> {
    let mut params = base_params(SERVING_CN, now, LEAF_LIFETIME);
    for name in dns {
        params
            .subject_alt_names
            .push(SanType::DnsName(name.as_str().try_into()?));
    }
    params
        .subject_alt_names
        .extend(ips.iter().copied().map(SanType::IpAddress));
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf(params, ca)
}

/// A client leaf for user `user` in group `group` (CN and O).
pub(crate) fn client_leaf(
    ca: &Issuer<'_, KeyPair>,
    user: &str,
    group: &str,
    now: OffsetDateTime,
) -> Result<(CertFile, KeyFile), rcgen::Error> {
    let mut params = base_params(user, now, LEAF_LIFETIME);
    params
        .distinguished_name
        .push(DnType::OrganizationName, group);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    leaf(params, ca)
}

fn leaf(
    mut params: CertificateParams,
    ca: &Issuer<'_, KeyPair>,
) -> Result<(CertFile, KeyFile), rcgen::Error> {
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let cert = params.signed_by(&key, ca)?;
    Ok((CertFile::from_issued(&cert), KeyFile::from_pair(key)))
}

fn base_params(cn: &str, now: OffsetDateTime, lifetime: Duration) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.not_before = now - BACKDATE;
    params.not_after = now + lifetime;
    params
}
