//! Optional encryption of state at rest: AES-256-GCM over the whole snapshot
//! (and each journal record), with a key given directly or derived from a
//! passphrase. An encrypted document says so in a small JSON envelope, so a
//! reader without the key gets a clear error instead of a parse failure.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use rand::RngCore;
use serde_json::{json, Value as Json};
use std::sync::{Arc, Mutex};

use crate::StateError;

/// Rounds of PBKDF2-HMAC-SHA256 for a passphrase (OWASP's figure for 2023).
pub const PASSPHRASE_ROUNDS: u32 = 600_000;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A key derived from a passphrase under one salt.
#[derive(Clone)]
struct Derived {
    salt: Vec<u8>,
    rounds: u32,
    key: [u8; 32],
}

/// Where the key comes from.
#[derive(Clone)]
enum KeySource {
    Raw([u8; 32]),
    /// Derivation is slow on purpose, so it happens at most once per salt: the
    /// key of the first envelope opened is also used for writing.
    Passphrase {
        passphrase: String,
        derived: Arc<Mutex<Vec<Derived>>>,
    },
}

/// A key for sealing and opening state documents.
#[derive(Clone)]
pub struct StateCipher {
    source: KeySource,
}

impl std::fmt::Debug for StateCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateCipher(..)")
    }
}

fn derive(passphrase: &str, salt: &[u8], rounds: u32) -> [u8; 32] {
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(passphrase.as_bytes(), salt, rounds, &mut key);
    key
}

impl StateCipher {
    /// A cipher from a base64 key of 32 bytes.
    pub fn from_key(b64: &str) -> Result<StateCipher, StateError> {
        let bytes = B64.decode(b64.trim()).map_err(|_| {
            StateError::Refused(
                "the state encryption key is not base64 (make one with: head -c 32 /dev/urandom | base64)".into(),
            )
        })?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            StateError::Refused(
                "the state encryption key must be 32 bytes, base64-encoded (make one with: head -c 32 /dev/urandom | base64)".into(),
            )
        })?;
        Ok(StateCipher {
            source: KeySource::Raw(key),
        })
    }

    /// A cipher from a passphrase, with a fresh salt for what it writes.
    pub fn from_passphrase(passphrase: &str) -> Result<StateCipher, StateError> {
        if passphrase.chars().count() < 12 {
            return Err(StateError::Refused(
                "the state passphrase must be at least 12 characters".into(),
            ));
        }
        Ok(StateCipher {
            source: KeySource::Passphrase {
                passphrase: passphrase.to_string(),
                derived: Arc::default(),
            },
        })
    }

    /// The passphrase's key under a salt, derived once.
    fn key_for(&self, salt: &[u8], rounds: u32) -> [u8; 32] {
        match &self.source {
            KeySource::Raw(k) => *k,
            KeySource::Passphrase {
                passphrase,
                derived,
            } => {
                let mut d = derived.lock().expect("not poisoned");
                if let Some(x) = d.iter().find(|x| x.salt == salt && x.rounds == rounds) {
                    return x.key;
                }
                let key = derive(passphrase, salt, rounds);
                d.push(Derived {
                    salt: salt.to_vec(),
                    rounds,
                    key,
                });
                key
            }
        }
    }

    /// The key and kdf description to write with.
    fn write_key(&self) -> ([u8; 32], Json) {
        match &self.source {
            KeySource::Raw(k) => (*k, Json::Null),
            KeySource::Passphrase { derived, .. } => {
                let first = derived.lock().expect("not poisoned").first().cloned();
                let (salt, rounds) = match first {
                    Some(d) => (d.salt, d.rounds),
                    None => {
                        let mut salt = vec![0u8; 16];
                        rand::rngs::OsRng.fill_bytes(&mut salt);
                        (salt, PASSPHRASE_ROUNDS)
                    }
                };
                let key = self.key_for(&salt, rounds);
                (
                    key,
                    json!({"name": "pbkdf2-sha256", "rounds": rounds, "salt": B64.encode(&salt)}),
                )
            }
        }
    }

    /// Encrypts a document into its envelope.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let (key, kdf) = self.write_key();
        let cipher = Aes256Gcm::new((&key).into());
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .expect("AES-GCM encryption of an in-memory buffer does not fail");
        let env = json!({
            "iac_encrypted_state": 1,
            "cipher": "AES-256-GCM",
            "kdf": kdf,
            "nonce": B64.encode(nonce),
            "ciphertext": B64.encode(ct),
        });
        let mut out = serde_json::to_vec(&env).expect("JSON of strings");
        out.push(b'\n');
        out
    }

    /// Decrypts an envelope.
    pub fn open(&self, env: &Json, what: &str) -> Result<Vec<u8>, StateError> {
        let field = |k: &str| {
            env.get(k)
                .and_then(Json::as_str)
                .and_then(|s| B64.decode(s).ok())
                .ok_or_else(|| StateError::Parse {
                    path: what.to_string(),
                    message: format!("the encrypted envelope has no valid {k}"),
                })
        };
        let nonce = field("nonce")?;
        let ct = field("ciphertext")?;
        if nonce.len() != 12 {
            return Err(StateError::Parse {
                path: what.to_string(),
                message: "the encrypted envelope's nonce is not 12 bytes".into(),
            });
        }
        let passphrase = matches!(self.source, KeySource::Passphrase { .. });
        let key = match (env.get("kdf").filter(|k| !k.is_null()), passphrase) {
            (Some(kdf), true) => {
                let salt = kdf
                    .get("salt")
                    .and_then(Json::as_str)
                    .and_then(|s| B64.decode(s).ok())
                    .unwrap_or_default();
                let rounds = kdf
                    .get("rounds")
                    .and_then(Json::as_u64)
                    .unwrap_or(PASSPHRASE_ROUNDS as u64) as u32;
                self.key_for(&salt, rounds)
            }
            (Some(_), false) => {
                return Err(StateError::Refused(format!(
                    "{what} was encrypted with a passphrase; set IAC_STATE_PASSPHRASE (not IAC_STATE_ENCRYPTION_KEY) to read it"
                )))
            }
            (None, true) => {
                return Err(StateError::Refused(format!(
                    "{what} was encrypted with a key; set IAC_STATE_ENCRYPTION_KEY (not IAC_STATE_PASSPHRASE) to read it"
                )))
            }
            (None, false) => self.key_for(&[], 0),
        };
        let cipher = Aes256Gcm::new((&key).into());
        cipher
            .decrypt(Nonce::from_slice(&nonce), ct.as_ref())
            .map_err(|_| {
                StateError::Refused(format!(
                    "{what} cannot be decrypted: the key or passphrase is wrong, or the file was altered"
                ))
            })
    }
}

/// Whether a JSON document is an encrypted envelope.
pub fn is_envelope(j: &Json) -> bool {
    j.get("iac_encrypted_state").is_some()
}

/// Whether stored bytes are an encrypted envelope (not a plain document).
pub(crate) fn is_sealed(bytes: &[u8]) -> bool {
    bytes
        .trim_ascii_start()
        .starts_with(b"{\"iac_encrypted_state\"")
}

/// Turns stored bytes into the plain document: opens an envelope with the
/// cipher, refuses one without it, passes plaintext through (uncopied).
pub fn unseal<'b>(
    bytes: &'b [u8],
    cipher: Option<&StateCipher>,
    what: &str,
) -> Result<std::borrow::Cow<'b, [u8]>, StateError> {
    if !is_sealed(bytes) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let env: Json = serde_json::from_slice(bytes).map_err(|e| StateError::Parse {
        path: what.to_string(),
        message: e.to_string(),
    })?;
    match cipher {
        Some(c) => c.open(&env, what).map(std::borrow::Cow::Owned),
        None => Err(StateError::Refused(format!(
            "{what} is encrypted; set IAC_STATE_ENCRYPTION_KEY (or IAC_STATE_PASSPHRASE) to the key it was written with"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_with_a_key_and_refuses_others() {
        let key = B64.encode([7u8; 32]);
        let c = StateCipher::from_key(&key).unwrap();
        let sealed = c.seal(b"{\"serial\": 1}");
        assert!(!String::from_utf8_lossy(&sealed).contains("serial"));
        assert_eq!(
            &*unseal(&sealed, Some(&c), "s").unwrap(),
            b"{\"serial\": 1}"
        );
        let other = StateCipher::from_key(&B64.encode([8u8; 32])).unwrap();
        let e = unseal(&sealed, Some(&other), "s").unwrap_err().to_string();
        assert!(e.contains("cannot be decrypted"), "{e}");
        let e = unseal(&sealed, None, "s").unwrap_err().to_string();
        assert!(
            e.contains("is encrypted; set IAC_STATE_ENCRYPTION_KEY"),
            "{e}"
        );
        // Plaintext passes through (so an existing state can be encrypted on its next write).
        assert_eq!(&*unseal(b"{\"a\":1}", Some(&c), "s").unwrap(), b"{\"a\":1}");
        assert!(StateCipher::from_key("c2hvcnQ=").is_err());
    }

    #[test]
    fn a_passphrase_opens_what_another_salt_sealed() {
        let a = StateCipher::from_passphrase("correct horse battery").unwrap();
        let sealed = a.seal(b"plain");
        let b = StateCipher::from_passphrase("correct horse battery").unwrap();
        assert_eq!(&*unseal(&sealed, Some(&b), "s").unwrap(), b"plain");
        let wrong = StateCipher::from_passphrase("incorrect horse battery").unwrap();
        assert!(unseal(&sealed, Some(&wrong), "s").is_err());
        assert!(StateCipher::from_passphrase("short").is_err());
    }
}
