//! The service-account token key: signs and verifies the JWTs the API server issues
//! for service accounts (`TokenRequest`), and publishes its public half as a JWK set.
//!
//! Tokens are compact JWS with ES256 (ECDSA P-256, SHA-256; RFC 7518 §3.4) and a
//! `kid` that is the unpadded base64url SHA-256 of the public key's
//! SubjectPublicKeyInfo, as kube-apiserver derives key ids. The key lives in
//! `<pki-dir>/service-account.key` (PEM PKCS#8, mode 0600), created on first start
//! and reused after, so tokens survive restarts.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rcgen::{KeyPair, PublicKeyData as _};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _};
use serde_json::{Value, json};

use super::PkiError;
use super::files;

/// The key file's name in the PKI directory.
pub const KEY_FILE: &str = "service-account.key";

/// Why a bearer token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// Not a JWT signed by this key (another kind of token, or another issuer's).
    NotOurs,
    /// Ours, but not valid: a bad signature or a malformed part.
    Invalid(String),
}

/// The signing key of service-account tokens.
pub struct ServiceAccountKey {
    pair: EcdsaKeyPair,
    kid: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl ServiceAccountKey {
    /// Loads the key from `dir`, creating it (mode 0600) when absent.
    pub fn load_or_create(dir: &Path) -> Result<ServiceAccountKey, PkiError> {
        let path = dir.join(KEY_FILE);
        let key = match files::read_optional(&path)? {
            Some(bytes) => files::parse_key(&path, &bytes)?.pair,
            None => {
                let pair = KeyPair::generate().map_err(|e| PkiError::InvalidKey {
                    path: path.clone(),
                    reason: format!("generating: {e}"),
                })?;
                files::write_atomic(&path, pair.serialize_pem().as_bytes(), 0o600)?;
                pair
            }
        };
        Self::from_pair(&key).map_err(|reason| PkiError::InvalidKey { path, reason })
    }

    fn from_pair(key: &KeyPair) -> Result<ServiceAccountKey, String> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &key.serialize_der(),
            &rng,
        )
        .map_err(|e| format!("not an ECDSA P-256 key: {e}"))?;
        let digest = ring::digest::digest(&ring::digest::SHA256, &key.subject_public_key_info());
        Ok(ServiceAccountKey {
            pair,
            kid: B64.encode(digest.as_ref()),
            rng,
        })
    }

    /// The key id tokens carry in their header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A compact JWS of `claims`.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "ES256", "kid": self.kid});
        let mut input = B64.encode(serde_json::to_vec(&header).expect("JSON"));
        input.push('.');
        input.push_str(&B64.encode(serde_json::to_vec(claims).expect("JSON")));
        let sig = self
            .pair
            .sign(&self.rng, input.as_bytes())
            .expect("ECDSA signing does not fail with a valid key");
        input.push('.');
        input.push_str(&B64.encode(sig.as_ref()));
        input
    }

    /// The claims of `token` if this key signed it. Checks the signature only: the
    /// caller checks issuer, audience, times and the objects it is bound to.
    pub fn verify(&self, token: &str) -> Result<Value, VerifyError> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::NotOurs);
        };
        let header: Value = B64
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(VerifyError::NotOurs)?;
        if header["kid"] != self.kid.as_str() {
            return Err(VerifyError::NotOurs);
        }
        if header["alg"] != "ES256" {
            return Err(VerifyError::Invalid(format!(
                "unexpected signing algorithm {}",
                header["alg"]
            )));
        }
        let sig = B64
            .decode(s)
            .map_err(|_| VerifyError::Invalid("malformed signature".into()))?;
        let public = signature::UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_FIXED,
            self.pair.public_key().as_ref(),
        );
        let signed = &token[..h.len() + 1 + p.len()];
        public
            .verify(signed.as_bytes(), &sig)
            .map_err(|_| VerifyError::Invalid("invalid signature".into()))?;
        B64.decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(Value::is_object)
            .ok_or_else(|| VerifyError::Invalid("malformed claims".into()))
    }

    /// The public key as a JWK set (`/openid/v1/jwks`).
    pub fn jwks(&self) -> Value {
        // an uncompressed P-256 point: 0x04, then X and Y, 32 bytes each
        let point = self.pair.public_key().as_ref();
        json!({"keys": [{
            "use": "sig",
            "kty": "EC",
            "kid": self.kid,
            "crv": "P-256",
            "alg": "ES256",
            "x": B64.encode(&point[1..33]),
            "y": B64.encode(&point[33..65]),
        }]})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_refuses_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let key = ServiceAccountKey::load_or_create(dir.path()).unwrap();
        let claims = json!({"sub": "system:serviceaccount:d:x", "exp": 1});
        let token = key.sign(&claims);
        assert_eq!(key.verify(&token), Ok(claims));

        // the same key after a restart
        let again = ServiceAccountKey::load_or_create(dir.path()).unwrap();
        assert_eq!(again.kid(), key.kid());
        assert!(again.verify(&token).is_ok());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        // changed claims, a changed signature, another key, not a JWT at all
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            B64.encode(br#"{"sub":"system:serviceaccount:d:admin"}"#),
            parts[2]
        );
        assert!(matches!(key.verify(&forged), Err(VerifyError::Invalid(_))));
        let mut sig = B64.decode(parts[2]).unwrap();
        sig[5] ^= 1;
        let bad_sig = format!("{}.{}.{}", parts[0], parts[1], B64.encode(&sig));
        assert!(matches!(key.verify(&bad_sig), Err(VerifyError::Invalid(_))));
        let other_dir = tempfile::tempdir().unwrap();
        let other = ServiceAccountKey::load_or_create(other_dir.path()).unwrap();
        assert_eq!(other.verify(&token), Err(VerifyError::NotOurs));
        for t in ["", "abc", "a.b", "a.b.c", "a.b.c.d", "static-token-123"] {
            assert_eq!(key.verify(t), Err(VerifyError::NotOurs), "{t}");
        }

        let jwks = key.jwks();
        assert_eq!(jwks["keys"][0]["kid"], key.kid());
        assert_eq!(
            B64.decode(jwks["keys"][0]["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
    }

    #[test]
    fn a_damaged_key_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        let err = ServiceAccountKey::load_or_create(dir.path()).unwrap_err();
        assert!(err.to_string().contains(KEY_FILE), "{err}");
    }
}
