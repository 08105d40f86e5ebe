//! Values to and from JSON, for state and plan files. Sensitive values are
//! written as `{"$sensitive": "<fingerprint>"}` (or `null`), never in plaintext.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::Number;

use crate::{Fingerprinter, Value};

/// The key of the object that stands for a sensitive value in JSON files.
pub const SENSITIVE_KEY: &str = "$sensitive";

pub enum JsonOptions<'a> {
    /// Sensitive values become `{"$sensitive": fingerprint}`; unknowns `{"$unknown": true}`.
    Fingerprint(&'a Fingerprinter),
    /// Sensitive values and unknowns become `null` (for output meant for people and tools).
    Omit,
}

/// The key of the object that stands for an unknown value in plan files.
pub const UNKNOWN_KEY: &str = "$unknown";

pub fn to_json(value: &Value, opts: &JsonOptions<'_>) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Unknown => match opts {
            JsonOptions::Fingerprint(_) => {
                let mut m = Map::new();
                m.insert(UNKNOWN_KEY.to_string(), Json::Bool(true));
                Json::Object(m)
            }
            JsonOptions::Omit => Json::Null,
        },
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number(n),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) | Value::Set(items) => {
            Json::Array(items.iter().map(|v| to_json(v, opts)).collect())
        }
        Value::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_json(v, opts)))
                .collect(),
        ),
        Value::Sensitive(inner) => match opts {
            JsonOptions::Fingerprint(fp) => {
                if inner.is_wholly_known() {
                    sensitive_marker(fp.fingerprint(inner))
                } else {
                    to_json(&Value::Unknown, opts)
                }
            }
            JsonOptions::Omit => Json::Null,
        },
        Value::Redacted(fp) => match opts {
            JsonOptions::Fingerprint(_) => sensitive_marker(fp.clone()),
            JsonOptions::Omit => Json::Null,
        },
    }
}

fn sensitive_marker(fp: String) -> Json {
    let mut m = Map::new();
    m.insert(SENSITIVE_KEY.to_string(), Json::String(fp));
    Json::Object(m)
}

/// A number as Terraform writes it in JSON: every digit its precision holds
/// (`1 / 3` has 155 of them), never with an exponent. An infinity has no JSON
/// form: null.
fn number(n: &Number) -> Json {
    if n.is_infinite() {
        return Json::Null;
    }
    if let Some(i) = n.to_i64() {
        return Json::Number(i.into());
    }
    n.to_string()
        .parse::<serde_json::Number>()
        .map(Json::Number)
        .unwrap_or(Json::Null)
}

/// A JSON number's text as Terraform reads it (512 bits).
fn parse_number(n: &serde_json::Number) -> Value {
    Value::Number(Number::parse(n.as_str()).unwrap_or_else(|| Number::literal(0.0)))
}

/// The key under which serde_json hands a number too long for 64 bits to a
/// visitor (its `arbitrary_precision` feature).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

pub fn from_json(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => parse_number(n),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(from_json).collect()),
        Json::Object(m) => {
            if m.len() == 1 {
                if let Some(Json::String(fp)) = m.get(SENSITIVE_KEY) {
                    return Value::Redacted(fp.clone());
                }
                if let Some(Json::Bool(true)) = m.get(UNKNOWN_KEY) {
                    return Value::Unknown;
                }
            }
            Value::Map(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

/// A value read straight from JSON text, without an intermediate
/// `serde_json::Value` tree (how state is loaded: most of a state file is
/// attribute values). Reads `{"$sensitive": ...}` and `{"$unknown": true}` as
/// [`from_json`] does.
pub struct JsonValue(pub Value);

impl<'de> serde::Deserialize<'de> for JsonValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<JsonValue, D::Error> {
        d.deserialize_any(ValueVisitor).map(JsonValue)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(Number::literal_int(n < 0, n.unsigned_abs())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(Number::literal_int(false, n)))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(Number::literal(n)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(JsonValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = BTreeMap::new();
        while let Some(k) = map.next_key::<String>()? {
            if k == NUMBER_TOKEN {
                let text: String = map.next_value()?;
                return Number::parse(&text)
                    .map(Value::num)
                    .ok_or_else(|| serde::de::Error::custom(format!("not a number: {text}")));
            }
            let JsonValue(v) = map.next_value()?;
            m.insert(k, v);
        }
        if m.len() == 1 {
            match m.iter().next() {
                Some((k, Value::String(fp))) if k == SENSITIVE_KEY => {
                    return Ok(Value::Redacted(fp.clone()))
                }
                Some((k, Value::Bool(true))) if k == UNKNOWN_KEY => return Ok(Value::Unknown),
                _ => {}
            }
        }
        Ok(Value::Map(m.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_never_reach_json_in_plaintext() {
        let fp = Fingerprinter::new("salt".into());
        let v = Value::map([
            ("pw", Value::string("hunter2").sensitive()),
            ("n", Value::num(2)),
        ]);
        let j = to_json(&v, &JsonOptions::Fingerprint(&fp));
        let text = j.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains(SENSITIVE_KEY));
        let back = from_json(&j);
        let pw = back.get_attr("pw");
        assert!(matches!(pw, Value::Redacted(_)));
        assert!(fp.equivalent(pw, &Value::string("hunter2").sensitive()));
        assert!(!fp.equivalent(pw, &Value::string("hunter3").sensitive()));
        assert_eq!(
            to_json(&v, &JsonOptions::Omit).to_string(),
            r#"{"n":2,"pw":null}"#
        );
    }
}
