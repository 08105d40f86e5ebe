//! IAM: roles, policies, inline role policies, policy attachments and instance
//! profiles, a file each, and the policy document data source (rendered locally).
//!
//! IAM is global and has no batch read: refresh reads each object with one call
//! (`GetRole`, `GetPolicy` and its default version, `GetRolePolicy`,
//! `GetInstanceProfile`; attachments with one `ListAttachedRolePolicies` per role).
//! Policy documents are compared as JSON, as Terraform does: a document AWS
//! returns in another layout (URL-encoded, keys reordered, whitespace) is the same
//! document, and state keeps the configuration's text.

pub(crate) mod access_key;
pub(crate) mod data_role;
pub(crate) mod instance_profile;
pub(crate) mod policy;
pub(crate) mod policy_attachment;
pub(crate) mod policy_document;
pub(crate) mod role;
pub(crate) mod role_policy;
pub(crate) mod user;

use aws_sdk_iam::types::Tag;
use iac_provider::{AttrDiagnostic, PlanResponse};
use iac_value::Value;

use crate::ec2::TOKEN_TAG;
use crate::util::{attr_err, tag_map, tags_of};

/// The error code IAM gives for an object that does not exist.
pub(crate) fn not_found(code: Option<String>) -> bool {
    code.is_some_and(|c| c == "NoSuchEntity")
}

pub(crate) fn exists(code: &Option<String>) -> bool {
    code.as_deref() == Some("EntityAlreadyExists")
}

pub(crate) fn iam_tags(v: &Value, token: Option<&str>) -> Vec<Tag> {
    let mut out: Vec<Tag> = tags_of(v)
        .into_iter()
        .filter_map(|(k, x)| Tag::builder().key(k).value(x).build().ok())
        .collect();
    if let Some(t) = token {
        out.extend(Tag::builder().key(TOKEN_TAG).value(t).build().ok());
    }
    out
}

/// Tags as the configuration sees them (iac's own creation tag left out).
pub(crate) fn tags_value(tags: &[Tag]) -> Value {
    tag_map(
        tags.iter()
            .map(|t| (Some(t.key()), Some(t.value())))
            .filter(|(k, _)| *k != Some(TOKEN_TAG)),
    )
}

pub(crate) fn has_token(tags: &[Tag], token: &str) -> bool {
    tags.iter()
        .any(|t| t.key() == TOKEN_TAG && t.value() == token)
}

pub(crate) use crate::util::name_for;

/// IAM returns policy documents URL-encoded (RFC 3986); this is the JSON text.
pub(crate) fn decode_document(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Two policy documents that mean the same: equal as JSON values, where a
/// one-element list and its element are the same (as IAM treats them).
pub(crate) fn same_document(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => equivalent(&x, &y),
        _ => a == b,
    }
}

fn equivalent(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Array(x), y) if x.len() == 1 && !y.is_array() => equivalent(&x[0], y),
        (x, J::Array(y)) if y.len() == 1 && !x.is_array() => equivalent(x, &y[0]),
        (J::Array(x), J::Array(y)) => {
            // Order does not matter in a policy's lists (actions, resources,
            // principals); statements keep theirs, and compare element by element.
            x.len() == y.len()
                && x.iter().all(|i| y.iter().any(|j| equivalent(i, j)))
                && y.iter().all(|j| x.iter().any(|i| equivalent(i, j)))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equivalent(v, w)))
        }
        (x, y) => x == y,
    }
}

/// A document as state keeps it: the prior text when AWS's is the same document
/// (so state does not flip between layouts), else AWS's text decoded.
pub(crate) fn document_value(aws: Option<&str>, keep: &Value, attr: &str) -> Value {
    let Some(doc) = aws.map(decode_document) else {
        return Value::Null;
    };
    match keep.get_attr(attr).as_str() {
        Some(k) if same_document(k, &doc) => Value::string(k),
        _ => Value::string(doc),
    }
}

/// After planning: a document the configuration writes differently but that means
/// what the prior one means is no change (and forces no replacement).
pub(crate) fn keep_equivalent_documents(
    prior: Option<&Value>,
    resp: &mut PlanResponse,
    attrs: &[&str],
) {
    let Some(prior) = prior else { return };
    for attr in attrs {
        let (Some(was), Some(now)) = (
            prior.get_attr(attr).as_str(),
            resp.planned.get_attr(attr).as_str(),
        ) else {
            continue;
        };
        if was != now && same_document(was, now) {
            crate::util::set(&mut resp.planned, attr, Value::string(was));
            resp.requires_replace
                .retain(|p| !matches!(p.first(), Some(iac_value::PathStep::Key(k)) if k == attr));
        }
    }
}

/// A document that is not JSON is refused at plan time (AWS would refuse it at
/// apply time, after other objects were already made).
pub(crate) fn validate_document(config: &Value, attr: &str) -> Vec<AttrDiagnostic> {
    match config.get_attr(attr).as_str() {
        Some(doc) if serde_json::from_str::<serde_json::Value>(doc).is_err() => {
            vec![attr_err(
                attr,
                "Invalid policy document",
                "the document is not valid JSON; write it with jsonencode(...) or data.aws_iam_policy_document",
            )]
        }
        _ => Vec::new(),
    }
}

/// ISO 8601 time as Terraform writes IAM's dates.
pub(crate) fn date(d: Option<&aws_sdk_iam::primitives::DateTime>) -> Value {
    // Whole seconds, as Terraform writes them (RFC 3339 without a fraction).
    match d.and_then(|d| {
        aws_sdk_iam::primitives::DateTime::from_secs(d.secs())
            .fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
            .ok()
    }) {
        Some(s) => Value::string(s),
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_compare_as_json() {
        assert!(same_document(
            r#"{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Effect":"Allow","Resource":"*"}]}"#,
            "{\n \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:*\"], \"Resource\": \"*\"}],\n \"Version\": \"2012-10-17\"}"
        ));
        assert!(!same_document(
            r#"{"Statement":[{"Action":"s3:*","Effect":"Allow"}]}"#,
            r#"{"Statement":[{"Action":"s3:*","Effect":"Deny"}]}"#
        ));
        assert!(same_document(
            r#"{"Action":["a","b"]}"#,
            r#"{"Action":["b","a"]}"#
        ));
    }

    #[test]
    fn url_encoded_documents_decode() {
        assert_eq!(
            decode_document("%7B%22Version%22%3A%222012-10-17%22%7D"),
            r#"{"Version":"2012-10-17"}"#
        );
        assert_eq!(decode_document("{\"a\":\"100%\"}"), "{\"a\":\"100%\"}");
    }
}
