//! File IO for the PKI: atomic writes with the final mode from the first byte, and
//! loading PEM certificates and keys with errors that name the file.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::KeyPair;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};

use super::PkiError;

/// Mode of private key files.
pub(crate) const KEY_MODE: u32 = 0o600;
/// Mode of certificate files: public material.
pub(crate) const CERT_MODE: u32 = 0o644;
/// Mode of the directory holding the PKI.
pub(crate) const DIR_MODE: u32 = 0o700;

/// A certificate as read from (or written to) disk.
#[derive(Clone)]
pub(crate) struct CertFile {
    pub pem: String,
    pub der: CertificateDer<'static>,
}

impl CertFile {
    pub(crate) fn from_issued(cert: &rcgen::Certificate) -> Self {
        CertFile {
            pem: cert.pem(),
            der: cert.der().clone(),
        }
    }
}

/// A private key as read from (or written to) disk.
pub(crate) struct KeyFile {
    pub pem: String,
    pub der: PrivatePkcs8KeyDer<'static>,
    pub pair: KeyPair,
}

impl KeyFile {
    pub(crate) fn from_pair(pair: KeyPair) -> Self {
        KeyFile {
            pem: pair.serialize_pem(),
            der: PrivatePkcs8KeyDer::from(pair.serialize_der()),
            pair,
        }
    }
}

/// Creates `dir` and missing parents with mode 0700 (an existing directory is left as is).
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), PkiError> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|source| PkiError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })
}

/// Creates `dir` and missing parents with the default mode (for a kubeconfig's directory).
pub(crate) fn create_dir_all(dir: &Path) -> Result<(), PkiError> {
    fs::create_dir_all(dir).map_err(|source| PkiError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// Reads a file, `None` if it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, PkiError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PkiError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Parses the first certificate of a PEM file and checks it is well-formed X.509.
pub(crate) fn parse_cert(path: &Path, bytes: &[u8]) -> Result<CertFile, PkiError> {
    let invalid = |reason: String| PkiError::InvalidCert {
        path: path.to_path_buf(),
        reason,
    };
    let pem = std::str::from_utf8(bytes)
        .map_err(|_| invalid("not UTF-8 text".into()))?
        .to_owned();
    let der = CertificateDer::from_pem_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    x509_parser::parse_x509_certificate(&der).map_err(|e| invalid(e.to_string()))?;
    Ok(CertFile { pem, der })
}

/// Parses a PEM private key that rcgen can sign with.
pub(crate) fn parse_key(path: &Path, bytes: &[u8]) -> Result<KeyFile, PkiError> {
    let invalid = |reason: String| PkiError::InvalidKey {
        path: path.to_path_buf(),
        reason,
    };
    let pem = std::str::from_utf8(bytes).map_err(|_| invalid("not UTF-8 text".into()))?;
    let pair = KeyPair::from_pem(pem).map_err(|e| invalid(e.to_string()))?;
    Ok(KeyFile {
        pem: pem.to_owned(),
        der: PrivatePkcs8KeyDer::from(pair.serialize_der()),
        pair,
    })
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory,
/// created with `mode` (never more permissive, whatever the umask), fsynced, renamed
/// over `path`, and the directory fsynced so the rename survives a power cut.
pub(crate) fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
    let err = |source| PkiError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have cleared bits that were asked for; the file is not yet
        // visible under its final name, and this only widens up to `mode`.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    let dir = parent_dir(path);
    File::open(dir).and_then(|d| d.sync_all()).map_err(err)
}

/// The directory `path` lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    parent_dir(path).join(format!(".{name}.tmp-{}-{nanos}", std::process::id()))
}
