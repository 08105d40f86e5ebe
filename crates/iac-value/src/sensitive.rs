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

    /// Equality that sees through redaction and ignores sensitivity marks: a
    /// redacted value equals a plaintext value whose fingerprint matches, and two
    /// redactions are equal when they share a fingerprint or a derivation.
    pub fn equivalent(&self, a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Redacted(x), Value::Redacted(y)) => same_redaction(x, y),
            (Value::Redacted(r), other) | (other, Value::Redacted(r)) => {
                let other = other.unmarked();
                match Redaction::parse(r).fingerprint {
                    Some(fp) => {
                        other.is_wholly_known() && !other.is_null() && self.fingerprint(other) == fp
                    }
                    None => false,
                }
            }
            (Value::Sensitive(x), y) | (y, Value::Sensitive(x)) => self.equivalent(x, y),
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

    /// The value with every sensitive part replaced by its fingerprint
    /// (`Value::Redacted`): what a later run, which holds no plaintext, will see.
    pub fn redact(&self, v: &Value) -> Value {
        match v {
            Value::Sensitive(inner) if inner.is_wholly_known() && !inner.is_null() => {
                Value::Redacted(self.fingerprint(inner))
            }
            Value::Sensitive(inner) => self.redact(inner).sensitive(),
            Value::List(items) => Value::List(items.iter().map(|i| self.redact(i)).collect()),
            Value::Set(items) => Value::Set(items.iter().map(|i| self.redact(i)).collect()),
            Value::Map(m) => {
                Value::Map(m.iter().map(|(k, i)| (k.clone(), self.redact(i))).collect())
            }
            v => v.clone(),
        }
    }

    /// The result of an operation (a function call, a template) on arguments of
    /// which some are redacted: the plaintext cannot be computed, but the same
    /// operation on the same inputs gives the same derivation, so an unchanged
    /// result is still recognised. Sensitive plaintext arguments enter only by
    /// their fingerprints.
    pub fn derive(&self, op: &str, args: &[Value]) -> Value {
        use sha2::Digest;
        let canonical: Vec<serde_json::Value> = args.iter().map(|a| self.canonical(a)).collect();
        let text = serde_json::json!([op, canonical]).to_string();
        let digest = sha2::Sha256::digest(text.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Value::Redacted(format!("{DERIVED}{hex}"))
    }

    fn canonical(&self, v: &Value) -> serde_json::Value {
        use serde_json::Value as Json;
        match v {
            Value::Redacted(r) => {
                let r = Redaction::parse(r);
                Json::String(format!(
                    "$redacted:{}",
                    r.fingerprint.or(r.derived).unwrap_or("")
                ))
            }
            Value::Sensitive(inner) if inner.is_wholly_known() => {
                Json::String(format!("$redacted:{}", self.fingerprint(inner)))
            }
            Value::Sensitive(inner) => self.canonical(inner),
            Value::List(items) | Value::Set(items) => {
                Json::Array(items.iter().map(|i| self.canonical(i)).collect())
            }
            Value::Map(m) => Json::Object(
                m.iter()
                    .map(|(k, i)| (k.clone(), self.canonical(i)))
                    .collect(),
            ),
            v => to_json(v, &JsonOptions::Omit),
        }
    }
}

impl Fingerprinter {
    /// Carries the marks of an instance's configuration onto the value its provider
    /// returned. `config` is the configuration with every secret redacted
    /// ([`Fingerprinter::redact`]): where it holds a secret, the returned value is
    /// marked sensitive too, whatever the schema says, so a value that came from a
    /// sensitive variable never reaches state in plaintext. With `for_state`, a
    /// secret derived from other secrets also keeps its derivation beside its
    /// fingerprint, so a later plan, which cannot compute the plaintext, still
    /// recognises it as unchanged.
    pub fn carry_config_marks(&self, new: Value, config: &Value, for_state: bool) -> Value {
        match (new, config) {
            (n, _) if n.is_null() || n.is_unknown() => n,
            (n, Value::Redacted(r)) => {
                let derived = Redaction::parse(r).derived;
                match (for_state, derived) {
                    (true, Some(d)) => {
                        let fp = match &n {
                            Value::Redacted(nr) => {
                                Redaction::parse(nr).fingerprint.map(String::from)
                            }
                            other if other.is_wholly_known() => Some(self.fingerprint(other)),
                            _ => None,
                        };
                        Value::Redacted(Redaction::join(fp.as_deref(), Some(d)))
                    }
                    _ => n.sensitive(),
                }
            }
            (n, Value::Sensitive(inner)) => {
                self.carry_config_marks(n, inner, for_state).sensitive()
            }
            (Value::Sensitive(n), c) => self.carry_config_marks(*n, c, for_state).sensitive(),
            (Value::Map(mut m), Value::Map(c)) => {
                for (k, v) in m.iter_mut() {
                    if let Some(cv) = c.get(k) {
                        *v = self.carry_config_marks(
                            std::mem::replace(v, Value::Null),
                            cv,
                            for_state,
                        );
                    }
                }
                Value::Map(m)
            }
            (Value::List(items), Value::List(c) | Value::Set(c)) if items.len() == c.len() => {
                Value::List(
                    items
                        .into_iter()
                        .zip(c)
                        .map(|(i, cv)| self.carry_config_marks(i, cv, for_state))
                        .collect(),
                )
            }
            (n, _) => n,
        }
    }

    /// A refreshed value for state: parts equal to what state held keep state's
    /// form (and any derivation), and parts that were secret stay marked secret.
    pub fn refreshed(&self, before: &Value, after: Value) -> Value {
        if self.equivalent(before, &after) {
            return before.clone();
        }
        match (before, after) {
            (Value::Map(b), Value::Map(mut a)) => {
                for (k, v) in a.iter_mut() {
                    if let Some(bv) = b.get(k) {
                        *v = self.refreshed(bv, std::mem::replace(v, Value::Null));
                    }
                }
                Value::Map(a)
            }
            (Value::List(b), Value::List(a)) if a.len() == b.len() => Value::List(
                b.iter()
                    .zip(a)
                    .map(|(bv, av)| self.refreshed(bv, av))
                    .collect(),
            ),
            (b, a) if b.is_marked() && !a.is_null() => a.sensitive(),
            (_, a) => a,
        }
    }
}

const DERIVED: &str = "derived-sha256:";

/// What a redaction (`Value::Redacted`) knows of its plaintext: the salted
/// fingerprint of the plaintext, the derivation of the expression that computed
/// it from other secrets, or both (written space-separated, fingerprint first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redaction<'a> {
    pub fingerprint: Option<&'a str>,
    pub derived: Option<&'a str>,
}

impl<'a> Redaction<'a> {
    pub fn parse(s: &'a str) -> Redaction<'a> {
        let mut r = Redaction {
            fingerprint: None,
            derived: None,
        };
        for part in s.split(' ') {
            if part.starts_with(DERIVED) {
                r.derived = Some(part);
            } else if !part.is_empty() {
                r.fingerprint = Some(part);
            }
        }
        r
    }

    pub fn join(fingerprint: Option<&str>, derived: Option<&str>) -> String {
        match (fingerprint, derived) {
            (Some(f), Some(d)) => format!("{f} {d}"),
            (Some(x), None) | (None, Some(x)) => x.to_string(),
            (None, None) => String::new(),
        }
    }
}

fn same_redaction(a: &str, b: &str) -> bool {
    let (x, y) = (Redaction::parse(a), Redaction::parse(b));
    match (x.fingerprint, y.fingerprint) {
        (Some(p), Some(q)) => p == q,
        _ => matches!((x.derived, y.derived), (Some(p), Some(q)) if p == q),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp() -> Fingerprinter {
        Fingerprinter::new("salt".into())
    }

    fn creds(password: Value) -> Value {
        Value::map([("username", Value::string("admin")), ("password", password)])
    }

    #[test]
    fn a_derivation_is_the_same_from_plaintext_and_from_its_fingerprint() {
        let f = fp();
        let secret = Value::string("hunter2").sensitive();
        let redacted = f.redact(&secret);
        assert!(matches!(redacted, Value::Redacted(_)));
        let from_plain = f.derive("jsonencode", &[creds(secret)]);
        let from_state = f.derive("jsonencode", &[creds(redacted)]);
        assert_eq!(from_plain, from_state);
        let other = f.derive("jsonencode", &[creds(Value::string("other").sensitive())]);
        assert_ne!(from_plain, other);
        // The plaintext is not recoverable from the derivation's text.
        let Value::Redacted(text) = &from_plain else {
            panic!("a redaction")
        };
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn redactions_match_by_fingerprint_or_by_derivation() {
        let f = fp();
        let plain = Value::string("{\"p\":\"x\"}");
        let fingerprint = f.fingerprint(&plain);
        let stored = Value::Redacted(Redaction::join(
            Some(&fingerprint),
            Some("derived-sha256:abc"),
        ));
        assert!(f.equivalent(&stored, &Value::Redacted("derived-sha256:abc".into())));
        assert!(!f.equivalent(&stored, &Value::Redacted("derived-sha256:abd".into())));
        assert!(f.equivalent(&stored, &plain.clone().sensitive()));
        assert!(f.equivalent(&stored, &plain));
        // Two fingerprints that differ are different values, whatever the derivations say.
        let other = Value::Redacted(Redaction::join(
            Some("pbkdf2-x"),
            Some("derived-sha256:abc"),
        ));
        assert!(!f.equivalent(&stored, &other));
        // A mark alone is no difference.
        assert!(f.equivalent(&Value::string("a").sensitive(), &Value::string("a")));
    }

    #[test]
    fn configuration_marks_carry_onto_what_a_provider_returns() {
        let f = fp();
        let config = Value::map([
            ("username", f.redact(&Value::string("admin").sensitive())),
            ("secret_string", Value::Redacted("derived-sha256:d1".into())),
            ("name", Value::string("app")),
        ]);
        let new = Value::map([
            ("username", Value::string("admin")),
            ("secret_string", Value::string("{}").sensitive()),
            ("name", Value::string("app")),
            ("id", Value::string("i-1")),
        ]);
        let stored = f.carry_config_marks(new.clone(), &config, true);
        assert!(stored.get_attr("username").is_marked());
        assert_eq!(stored.get_attr("name"), &Value::string("app"));
        assert_eq!(stored.get_attr("id"), &Value::string("i-1"));
        let Value::Redacted(r) = stored.get_attr("secret_string") else {
            panic!("a redaction")
        };
        let r = Redaction::parse(r);
        assert_eq!(r.derived, Some("derived-sha256:d1"));
        assert_eq!(
            r.fingerprint,
            Some(f.fingerprint(&Value::string("{}")).as_str())
        );
        // In memory the plaintext stays, marked.
        let live = f.carry_config_marks(new, &config, false);
        assert_eq!(
            live.get_attr("secret_string").unmarked(),
            &Value::string("{}")
        );
        assert!(live.get_attr("username").is_marked());
    }

    #[test]
    fn a_refresh_keeps_what_did_not_change_and_the_marks_of_what_did() {
        let f = fp();
        let before = Value::map([
            (
                "a",
                Value::Redacted(Redaction::join(
                    Some(&f.fingerprint(&Value::string("x"))),
                    Some("derived-sha256:1"),
                )),
            ),
            ("b", f.redact(&Value::string("y").sensitive())),
            ("c", Value::string("z")),
        ]);
        let after = Value::map([
            ("a", Value::string("x")),
            ("b", Value::string("changed")),
            ("c", Value::string("z2")),
        ]);
        let r = f.refreshed(&before, after);
        assert_eq!(r.get_attr("a"), before.get_attr("a"));
        assert_eq!(r.get_attr("b"), &Value::string("changed").sensitive());
        assert_eq!(r.get_attr("c"), &Value::string("z2"));
    }
}
