//! Secrets Manager: secrets, their values (versions), and data sources, one file
//! each. A value goes to Secrets Manager and nowhere else: the version resource
//! keeps the version id AWS gives it, and state keeps a salted fingerprint of the
//! value (the engine's doing), which is how a later plan knows whether it changed.

pub(crate) mod data_secret;
pub(crate) mod data_secret_version;
pub(crate) mod secret;
pub(crate) mod secret_policy;
pub(crate) mod secret_version;

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::{SecretListEntry, Tag};
use iac_provider::AttrDiagnostic;
use iac_value::Value;

use crate::ec2::TOKEN_TAG;
use crate::util::{attr_err, err_code, opt_str, plaintext, same, sdk_err, tag_map, tags_of};
use crate::Clients;

pub(crate) fn tags_value(tags: &[Tag]) -> Value {
    tag_map(tags.iter().map(|t| (t.key(), t.value())))
}

pub(crate) fn not_found(code: Option<String>) -> bool {
    code.is_some_and(|c| c.contains("ResourceNotFound"))
}

pub(crate) fn sm_tags(v: &Value, token: Option<&str>) -> Vec<Tag> {
    let mut out: Vec<Tag> = tags_of(v)
        .into_iter()
        .map(|(k, x)| Tag::builder().key(k).value(x).build())
        .collect();
    if let Some(t) = token {
        out.push(Tag::builder().key(TOKEN_TAG).value(t).build());
    }
    out
}

pub(crate) fn request_token(token: &str) -> String {
    let mut t: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    while t.len() < 32 {
        t.push('0');
    }
    t.truncate(64);
    t
}

pub(crate) fn secret_value(
    arn: Option<&str>,
    name: Option<&str>,
    description: Option<&str>,
    kms_key_id: Option<&str>,
    tags: &[Tag],
    keep: &Value,
) -> Value {
    Value::map([
        ("id", opt_str(arn)),
        ("arn", opt_str(arn)),
        ("name", opt_str(name)),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("description", opt_str(description)),
        ("kms_key_id", opt_str(kms_key_id)),
        (
            "recovery_window_in_days",
            keep.get_attr("recovery_window_in_days").clone(),
        ),
        ("tags", tags_value(tags)),
    ])
}

pub(crate) fn entry_value(e: &SecretListEntry, keep: &Value) -> Value {
    secret_value(
        e.arn(),
        e.name(),
        e.description(),
        e.kms_key_id(),
        e.tags(),
        keep,
    )
}

pub(crate) async fn list_all(
    c: &Clients,
) -> Result<BTreeMap<String, SecretListEntry>, AttrDiagnostic> {
    let mut out = BTreeMap::new();
    let mut pages = c
        .secrets
        .list_secrets()
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_err("ListSecrets", e))?;
        for e in page.secret_list() {
            // A secret scheduled for deletion is gone as far as a plan is concerned.
            if e.deleted_date().is_some() {
                continue;
            }
            if let Some(arn) = e.arn() {
                out.insert(arn.to_string(), e.clone());
            }
        }
    }
    Ok(out)
}

pub(crate) async fn describe(
    c: &Clients,
    id: &str,
) -> Result<
    Option<aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput>,
    AttrDiagnostic,
> {
    match c.secrets.describe_secret().secret_id(id).send().await {
        Ok(d) if d.deleted_date().is_some() => Ok(None),
        Ok(d) => Ok(Some(d)),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(sdk_err("DescribeSecret", e)),
    }
}

/// A Secrets Manager date as Terraform's provider writes it: RFC 3339, whole seconds.
pub(crate) fn date(t: Option<&aws_sdk_secretsmanager::primitives::DateTime>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::string(iac_value::time::rfc3339(t.secs().max(0) as u64))
    })
}

pub(crate) fn described_value(
    d: &aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput,
    keep: &Value,
) -> Value {
    secret_value(
        d.arn(),
        d.name(),
        d.description(),
        d.kms_key_id(),
        d.tags(),
        keep,
    )
}

pub(crate) fn version_value(arn: &str, version_id: &str, stages: &[String], keep: &Value) -> Value {
    let mut st: Vec<Value> = stages.iter().map(|x| Value::String(x.clone())).collect();
    st.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    Value::Map(
        [
            ("id", Value::String(format!("{arn}|{version_id}"))),
            ("arn", Value::String(arn.to_string())),
            ("secret_id", keep.get_attr("secret_id").clone()),
            ("version_id", Value::String(version_id.to_string())),
            ("version_stages", Value::Set(st)),
            // The value itself is never read back: state keeps what configuration gave.
            ("secret_string", keep.get_attr("secret_string").clone()),
            ("secret_binary", keep.get_attr("secret_binary").clone()),
            (
                "has_secret_string_wo",
                Value::Bool(keep.get_attr("has_secret_string_wo").as_bool() == Some(true)),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    )
}

pub(crate) fn stages_of(v: &Value) -> Vec<String> {
    v.get_attr("version_stages")
        .as_list()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The account's secrets from one listing, found by ARN or by name.
pub(crate) struct Listing {
    pub(crate) all: BTreeMap<String, SecretListEntry>,
}

impl Listing {
    pub(crate) async fn read(c: &Clients) -> Result<Listing, AttrDiagnostic> {
        Ok(Listing {
            all: list_all(c).await?,
        })
    }

    pub(crate) fn find(&self, id: &str) -> Option<&SecretListEntry> {
        self.all
            .get(id)
            .or_else(|| self.all.values().find(|e| e.name() == Some(id)))
    }
}
