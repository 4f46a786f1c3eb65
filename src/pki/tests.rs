use std::collections::BTreeMap;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore};
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::*;

const ALL_FILES: [&str; 10] = [
    "server-ca.crt",
    "server-ca.key",
    "client-ca.crt",
    "client-ca.key",
    "serving-kube-apiserver.crt",
    "serving-kube-apiserver.key",
    "client-admin.crt",
    "client-admin.key",
    "client-kelp-controller.crt",
    "client-kelp-controller.key",
];

fn sans() -> ServingSans {
    ServingSans {
        ips: vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5))],
        dns: vec!["node1.example".into()],
        cluster_domain: "cluster.local".into(),
    }
}

fn snapshot(dir: &Path) -> BTreeMap<&'static str, Vec<u8>> {
    ALL_FILES
        .iter()
        .map(|f| (*f, fs::read(dir.join(f)).unwrap()))
        .collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn roots(ca: &CertificateDer<'static>) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    Arc::new(roots)
}

fn verify_serving(
    pki: &Pki,
    ca: &CertificateDer<'static>,
    name: &str,
) -> Result<(), rustls::Error> {
    let verifier = WebPkiServerVerifier::builder_with_provider(roots(ca), tls::provider())
        .build()
        .unwrap();
    let name = ServerName::try_from(name.to_owned()).unwrap();
    verifier
        .verify_server_cert(pki.serving().cert_der(), &[], &name, &[], UnixTime::now())
        .map(drop)
}

fn verify_client(cert: &KeyedCert, ca: &CertificateDer<'static>) -> Result<(), rustls::Error> {
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(ca), tls::provider())
        .build()
        .unwrap();
    verifier
        .verify_client_cert(cert.cert_der(), &[], UnixTime::now())
        .map(drop)
}

#[test]
fn first_call_creates_every_file_with_private_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server/tls");
    Pki::ensure(&dir, &sans()).unwrap();

    assert_eq!(mode(&dir), 0o700);
    for file in ALL_FILES {
        let want = if file.ends_with(".key") { 0o600 } else { 0o644 };
        assert_eq!(mode(&dir.join(file)), want, "{file}");
    }
    let mut names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut want: Vec<_> = ALL_FILES.iter().map(|f| f.to_string()).collect();
    want.sort();
    assert_eq!(names, want, "no temporary files are left behind");
}

#[test]
fn cas_are_self_signed_and_distinct() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::ensure(tmp.path(), &sans()).unwrap();
    let (_, server_ca) = x509_parser::parse_x509_certificate(pki.server_ca_der()).unwrap();
    let (_, client_ca) = x509_parser::parse_x509_certificate(pki.client_ca_der()).unwrap();
    let cn = |c: &x509_parser::certificate::X509Certificate<'_>| {
        c.subject()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        cn(&server_ca).starts_with("kelp-server-ca@"),
        "{}",
        cn(&server_ca)
    );
    assert!(
        cn(&client_ca).starts_with("kelp-client-ca@"),
        "{}",
        cn(&client_ca)
    );
    assert!(server_ca.is_ca() && client_ca.is_ca());
    let years = (server_ca.validity().not_after.timestamp()
        - server_ca.validity().not_before.timestamp())
        / (365 * 86_400);
    assert_eq!(years, 10);
    assert_ne!(server_ca.public_key().raw, client_ca.public_key().raw);
}

#[test]
fn second_call_reuses_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let first = Pki::ensure(tmp.path(), &sans()).unwrap();
    let before = snapshot(tmp.path());
    let second = Pki::ensure(tmp.path(), &sans()).unwrap();
    assert_eq!(snapshot(tmp.path()), before);
    assert_eq!(first.server_ca_pem(), second.server_ca_pem());
    assert_eq!(first.admin().cert_pem(), second.admin().cert_pem());
    assert_eq!(first.admin().key_pem(), second.admin().key_pem());
    assert_eq!(first.serving().cert_der(), second.serving().cert_der());
}

#[test]
fn new_san_reissues_only_the_serving_leaf() {
    let tmp = tempfile::tempdir().unwrap();
    let old = Pki::ensure(tmp.path(), &sans()).unwrap();
    let before = snapshot(tmp.path());

    let mut more = sans();
    more.ips.push(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)));
    let new = Pki::ensure(tmp.path(), &more).unwrap();
    let after = snapshot(tmp.path());
    for file in ALL_FILES {
        let changed = before[file] != after[file];
        assert_eq!(changed, file.starts_with("serving-"), "{file}");
    }
    assert_eq!(old.server_ca_der(), new.server_ca_der());
    verify_serving(&new, new.server_ca_der(), "192.168.1.20").unwrap();
    assert!(verify_serving(&old, old.server_ca_der(), "192.168.1.20").is_err());

    // Dropping a name again does not re-issue: the leaf still carries every one needed.
    Pki::ensure(tmp.path(), &sans()).unwrap();
    assert_eq!(snapshot(tmp.path()), after);
}

#[test]
fn leaves_expiring_within_90_days_are_reissued_by_the_same_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let old = Pki::ensure_at(tmp.path(), &sans(), now - Duration::days(300)).unwrap();
    let before = snapshot(tmp.path());

    let new = Pki::ensure(tmp.path(), &sans()).unwrap();
    let after = snapshot(tmp.path());
    for file in ALL_FILES {
        let changed = before[file] != after[file];
        assert_eq!(changed, !file.contains("-ca."), "{file}");
    }
    assert_eq!(old.server_ca_der(), new.server_ca_der());
    assert_eq!(old.client_ca_der(), new.client_ca_der());
    verify_client(new.admin(), new.client_ca_der()).unwrap();
    let (_, leaf) = x509_parser::parse_x509_certificate(new.serving().cert_der()).unwrap();
    let days = (leaf.validity().not_after.timestamp() - now.unix_timestamp()) / 86_400;
    assert!((364..=365).contains(&days), "{days}");
}

#[test]
fn leaves_verify_against_their_own_ca_only() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::ensure(tmp.path(), &sans()).unwrap();
    for name in [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "localhost",
        "node1.example",
        "127.0.0.1",
        "::1",
        "10.0.0.5",
    ] {
        verify_serving(&pki, pki.server_ca_der(), name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(verify_serving(&pki, pki.server_ca_der(), "example.com").is_err());
    assert!(verify_serving(&pki, pki.client_ca_der(), "localhost").is_err());

    for cert in [pki.admin(), pki.controller()] {
        verify_client(cert, pki.client_ca_der()).unwrap();
        assert!(verify_client(cert, pki.server_ca_der()).is_err());
    }
    // A serving leaf is no client certificate (its EKU is serverAuth only).
    assert!(verify_client(pki.serving(), pki.server_ca_der()).is_err());
}

#[test]
fn identities_of_the_built_in_client_certs() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::ensure(tmp.path(), &sans()).unwrap();
    assert_eq!(
        identity_from_client_cert(pki.admin().cert_der()),
        Some(Identity {
            user: "system:admin".into(),
            groups: vec!["system:masters".into()],
        })
    );
    assert_eq!(
        identity_from_client_cert(pki.controller().cert_der()),
        Some(Identity {
            user: "system:kelp-controller".into(),
            groups: vec!["system:masters".into()],
        })
    );
    assert_eq!(identity_from_client_cert(b"not a certificate"), None);

    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    let no_cn = params.self_signed(&key).unwrap();
    assert_eq!(identity_from_client_cert(no_cn.der()), None);
}

#[test]
fn corrupt_files_are_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    Pki::ensure(tmp.path(), &sans()).unwrap();
    for file in [
        "serving-kube-apiserver.key",
        "client-ca.key",
        "client-admin.crt",
        "server-ca.crt",
    ] {
        let path = tmp.path().join(file);
        let good = fs::read(&path).unwrap();
        fs::write(&path, "-----BEGIN garbage\n").unwrap();
        let err = Pki::ensure(tmp.path(), &sans()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(path.to_str().unwrap()), "{file}: {msg}");
        if file.ends_with(".key") {
            assert!(
                matches!(err, PkiError::InvalidKey { .. }),
                "{file}: {err:?}"
            );
        } else {
            assert!(
                matches!(err, PkiError::InvalidCert { .. }),
                "{file}: {err:?}"
            );
        }
        assert_eq!(
            fs::read(&path).unwrap(),
            b"-----BEGIN garbage\n",
            "left as found"
        );
        fs::write(&path, good).unwrap();
    }
    Pki::ensure(tmp.path(), &sans()).unwrap();
}

#[test]
fn half_a_ca_is_an_error_and_a_foreign_ca_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    Pki::ensure(tmp.path(), &sans()).unwrap();
    let key = tmp.path().join("server-ca.key");
    let saved = fs::read(&key).unwrap();
    fs::remove_file(&key).unwrap();
    let err = Pki::ensure(tmp.path(), &sans()).unwrap_err();
    assert!(matches!(err, PkiError::IncompleteCa { .. }), "{err:?}");
    assert!(err.to_string().contains(key.to_str().unwrap()), "{err}");
    assert!(!key.exists(), "kelp does not make up a new CA key");

    fs::copy(tmp.path().join("client-ca.key"), &key).unwrap();
    let err = Pki::ensure(tmp.path(), &sans()).unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch { .. }), "{err:?}");

    fs::write(&key, saved).unwrap();
    Pki::ensure(tmp.path(), &sans()).unwrap();
}

#[test]
fn a_new_ca_reissues_the_leaves_it_signs() {
    let tmp = tempfile::tempdir().unwrap();
    let old = Pki::ensure(tmp.path(), &sans()).unwrap();
    fs::remove_file(tmp.path().join("server-ca.crt")).unwrap();
    fs::remove_file(tmp.path().join("server-ca.key")).unwrap();
    let new = Pki::ensure(tmp.path(), &sans()).unwrap();
    assert_ne!(old.server_ca_der(), new.server_ca_der());
    assert_ne!(old.serving().cert_der(), new.serving().cert_der());
    verify_serving(&new, new.server_ca_der(), "localhost").unwrap();
    assert_eq!(old.admin().cert_der(), new.admin().cert_der());
}

#[test]
fn a_missing_leaf_key_reissues_the_leaf() {
    let tmp = tempfile::tempdir().unwrap();
    let old = Pki::ensure(tmp.path(), &sans()).unwrap();
    fs::remove_file(tmp.path().join("client-admin.key")).unwrap();
    let new = Pki::ensure(tmp.path(), &sans()).unwrap();
    assert_ne!(old.admin().cert_der(), new.admin().cert_der());
    assert_eq!(mode(&tmp.path().join("client-admin.key")), 0o600);
    verify_client(new.admin(), new.client_ca_der()).unwrap();
}

#[test]
fn invalid_dns_san_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bad = sans();
    bad.dns.push("not a name".into());
    let err = Pki::ensure(tmp.path(), &bad).unwrap_err();
    assert!(matches!(err, PkiError::InvalidSan { ref name, .. } if name == "not a name"));

    let mut wildcard = sans();
    wildcard.dns.push("*.Apps.Example".into());
    let pki = Pki::ensure(tmp.path(), &wildcard).unwrap();
    verify_serving(&pki, pki.server_ca_der(), "x.apps.example").unwrap();
}

#[test]
fn required_names_include_the_builtin_ones_once() {
    let mut s = sans();
    s.dns.push("LOCALHOST".into());
    s.ips.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
    s.cluster_domain = "edge.local.".into();
    let (dns, ips) = s.required().unwrap();
    assert_eq!(
        dns,
        [
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.edge.local",
            "localhost",
            "node1.example",
        ]
    );
    assert_eq!(
        ips,
        [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
        ]
    );
}

#[test]
fn kubeconfig_has_the_expected_fields_and_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::ensure(&tmp.path().join("tls"), &sans()).unwrap();
    let path = tmp.path().join("etc/kelp/kelp.yaml");
    write_kubeconfig(&path, 0o600, "https://127.0.0.1:6443", &pki).unwrap();
    assert_eq!(mode(&path), 0o600);

    let doc: serde_yaml::Value = serde_yaml::from_slice(&fs::read(&path).unwrap()).unwrap();
    let b64 = |v: &serde_yaml::Value| {
        String::from_utf8(BASE64.decode(v.as_str().unwrap()).unwrap()).unwrap()
    };
    assert_eq!(doc["apiVersion"], "v1");
    assert_eq!(doc["kind"], "Config");
    assert_eq!(doc["current-context"], "default");
    let cluster = &doc["clusters"][0];
    assert_eq!(cluster["name"], "default");
    assert_eq!(cluster["cluster"]["server"], "https://127.0.0.1:6443");
    assert_eq!(
        b64(&cluster["cluster"]["certificate-authority-data"]),
        pki.server_ca_pem()
    );
    let user = &doc["users"][0];
    assert_eq!(user["name"], "default");
    assert_eq!(
        b64(&user["user"]["client-certificate-data"]),
        pki.admin().cert_pem()
    );
    assert_eq!(b64(&user["user"]["client-key-data"]), pki.admin().key_pem());
    let context = &doc["contexts"][0];
    assert_eq!(context["name"], "default");
    assert_eq!(context["context"]["cluster"], "default");
    assert_eq!(context["context"]["user"], "default");

    // Rewriting replaces the file whole, with the new mode, and leaves nothing else.
    write_kubeconfig(&path, 0o640, "https://10.0.0.5:6443", &pki).unwrap();
    assert_eq!(mode(&path), 0o640);
    let doc: serde_yaml::Value = serde_yaml::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        doc["clusters"][0]["cluster"]["server"],
        "https://10.0.0.5:6443"
    );
    let entries = fs::read_dir(path.parent().unwrap()).unwrap().count();
    assert_eq!(entries, 1);
}

/// What the test server saw on one connection.
type Seen = Result<(Option<Identity>, Option<Vec<u8>>), String>;

/// Serves TLS on 127.0.0.1 with the PKI's config; each connection is answered with the
/// client's identity and reported on the channel.
async fn start_server(pki: &Pki) -> (std::net::SocketAddr, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(pki.server_tls_config());
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let seen = match acceptor.accept(tcp).await {
                Ok(mut tls) => {
                    let (_, conn) = tls.get_ref();
                    let identity = conn
                        .peer_certificates()
                        .and_then(|certs| certs.first())
                        .and_then(|cert| identity_from_client_cert(cert));
                    let alpn = conn.alpn_protocol().map(<[u8]>::to_vec);
                    let reply = match &identity {
                        Some(id) => format!("{} {}\n", id.user, id.groups.join(",")),
                        None => "anonymous\n".to_owned(),
                    };
                    let _ = tls.write_all(reply.as_bytes()).await;
                    let _ = tls.shutdown().await;
                    Ok((identity, alpn))
                }
                Err(e) => Err(e.to_string()),
            };
            if tx.send(seen).await.is_err() {
                return;
            }
        }
    });
    (addr, rx)
}

/// Connects trusting the server CA, optionally presenting a client certificate, and
/// returns what the server replied.
async fn connect(
    addr: std::net::SocketAddr,
    ca: &CertificateDer<'static>,
    client: Option<(
        &CertificateDer<'static>,
        rustls::pki_types::PrivateKeyDer<'static>,
    )>,
) -> std::io::Result<String> {
    let builder = ClientConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(ca));
    let mut config = match client {
        Some((cert, key)) => builder
            .with_client_auth_cert(vec![cert.clone()], key)
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let connector = TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
    let mut tls = connector.connect(name, tcp).await?;
    let mut reply = String::new();
    tls.read_to_string(&mut reply).await?;
    Ok(reply)
}

#[tokio::test]
async fn tls_server_sees_client_cert_identity_and_admits_anonymous() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::ensure(tmp.path(), &sans()).unwrap();
    let (addr, mut seen) = start_server(&pki).await;
    let deadline = StdDuration::from_secs(20);
    let next = async |seen: &mut mpsc::Receiver<Seen>| {
        tokio::time::timeout(deadline, seen.recv())
            .await
            .expect("server reports the connection")
            .expect("server is running")
    };

    let admin = (pki.admin().cert_der(), pki.admin().key_der());
    let reply = tokio::time::timeout(deadline, connect(addr, pki.server_ca_der(), Some(admin)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reply, "system:admin system:masters\n");
    let (identity, alpn) = next(&mut seen).await.unwrap();
    assert_eq!(identity.unwrap().user, "system:admin");
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));

    let reply = tokio::time::timeout(deadline, connect(addr, pki.server_ca_der(), None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reply, "anonymous\n");
    let (identity, _) = next(&mut seen).await.unwrap();
    assert_eq!(identity, None);

    // A certificate from another CA is refused, not treated as anonymous.
    let other = tempfile::tempdir().unwrap();
    let stranger = Pki::ensure(other.path(), &sans()).unwrap();
    let forged = (stranger.admin().cert_der(), stranger.admin().key_der());
    let result = tokio::time::timeout(deadline, connect(addr, pki.server_ca_der(), Some(forged)))
        .await
        .unwrap();
    assert!(result.is_err(), "{result:?}");
    let err = next(&mut seen).await.unwrap_err();
    // UnknownIssuer, or BadSignature when both CAs were made in the same second and
    // so share a name.
    assert!(err.contains("invalid peer certificate"), "{err}");

    // The client side refuses a server whose CA it does not trust.
    let result = tokio::time::timeout(deadline, connect(addr, stranger.server_ca_der(), None))
        .await
        .unwrap();
    assert!(result.is_err(), "{result:?}");
}
