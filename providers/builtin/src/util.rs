//! What the built-in types share.

use iac_provider::{AttrType, Attribute};
use iac_value::Value;

pub(crate) fn set(v: &mut Value, name: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(name.to_string(), x);
    }
}

pub(crate) fn num_attr(v: &Value, name: &str, default: f64) -> f64 {
    v.get_attr(name).as_f64().unwrap_or(default)
}

pub(crate) fn keepers() -> Attribute {
    Attribute::optional(
        AttrType::Map(Box::new(AttrType::String)),
        "Arbitrary values; a change replaces the resource.",
    )
    .force_new()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
