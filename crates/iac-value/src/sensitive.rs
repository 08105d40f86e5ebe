//! Salted, slow fingerprints of sensitive values: enough to tell whether a secret
//! changed, not enough to recover or cheaply guess it.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;

use crate::{to_json, JsonOptions, Value};

/// PBKDF2-HMAC-SHA256 rounds. Slow enough to make guessing expensive, fast enough
/// for the handful of secrets a plan compares.
const ROUNDS: u32 = 20_000;

/// A fresh random salt, stored with the state (one per lineage).
pub fn new_salt() -> String {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes);
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

fn fill_random(buf: &mut [u8]) {
    use std::io::Read;
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        if f.read_exact(buf).is_ok() {
            return;
        }
    }
    // Fallback: time and address entropy hashed; only used where /dev/urandom is missing.
    use sha2::Digest;
    let seed = format!("{:?}{:p}", std::time::SystemTime::now(), buf);
    let h = sha2::Sha256::digest(seed.as_bytes());
    for (b, x) in buf.iter_mut().zip(h.iter().cycle()) {
        *b = *x;
    }
}

/// The fingerprint of a plaintext value under a salt.
pub fn fingerprint(salt: &str, value: &Value) -> String {
    let plain = to_json(&value.clone().unmark_deep().0, &JsonOptions::Omit).to_string();
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(plain.as_bytes(), salt.as_bytes(), ROUNDS, &mut out);
    format!(
        "pbkdf2-sha256:{ROUNDS}:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
    )
}

/// Computes fingerprints under one salt, caching them (a plan may compare the same secret often).
pub struct Fingerprinter {
    salt: String,
    cache: Mutex<HashMap<String, String>>,
}

impl Fingerprinter {
    pub fn new(salt: String) -> Fingerprinter {
        Fingerprinter {
            salt,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn salt(&self) -> &str {
        &self.salt
    }

    pub fn fingerprint(&self, value: &Value) -> String {
        let key = to_json(&value.clone().unmark_deep().0, &JsonOptions::Omit).to_string();
        if let Some(fp) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return fp;
        }
        let fp = fingerprint(&self.salt, value);
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, fp.clone());
        }
        fp
    }

    /// Equality that sees through redaction: a redacted value equals a plaintext
    /// value whose fingerprint matches.
    pub fn equivalent(&self, a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Redacted(x), Value::Redacted(y)) => x == y,
            (Value::Redacted(fp), other) | (other, Value::Redacted(fp)) => {
                other.is_wholly_known() && !other.is_null() && self.fingerprint(other) == *fp
            }
            (Value::Sensitive(x), Value::Sensitive(y)) => self.equivalent(x, y),
            (Value::Sensitive(_), _) | (_, Value::Sensitive(_)) => false,
            (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| self.equivalent(p, q))
            }
            (Value::List(x), Value::Set(y)) | (Value::Set(y), Value::List(x)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| self.equivalent(p, q))
            }
            (Value::Map(x), Value::Map(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((k1, v1), (k2, v2))| k1 == k2 && self.equivalent(v1, v2))
            }
            _ => a == b,
        }
    }
}
