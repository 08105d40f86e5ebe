//! Secrets Manager: secrets, their values (versions), and data sources. A value
//! goes to Secrets Manager and nowhere else: the version resource keeps the
//! version id AWS gives it, and state keeps a salted fingerprint of the value
//! (the engine's doing), which is how a later plan knows whether it changed.

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::{SecretListEntry, Tag};
use base64::Engine as _;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic};
use iac_value::Value;

use crate::ec2::TOKEN_TAG;
use crate::util::{attr_err, err_code, opt_str, plaintext, s, same, sdk_err, tag_map, tags_of};

fn tags_value(tags: &[Tag]) -> Value {
    tag_map(tags.iter().map(|t| (t.key(), t.value())))
}
use crate::Clients;

fn not_found(code: Option<String>) -> bool {
    code.is_some_and(|c| c.contains("ResourceNotFound"))
}

fn sm_tags(v: &Value, token: Option<&str>) -> Vec<Tag> {
    let mut out: Vec<Tag> = tags_of(v)
        .into_iter()
        .map(|(k, x)| Tag::builder().key(k).value(x).build())
        .collect();
    if let Some(t) = token {
        out.push(Tag::builder().key(TOKEN_TAG).value(t).build());
    }
    out
}

/// A client request token (32 to 64 characters) from the plan's token, so a
/// retried PutSecretValue is recognised by Secrets Manager as the same one.
fn request_token(token: &str) -> String {
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

/// A secret as state records it, from whichever API described it.
fn secret_value(
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

fn entry_value(e: &SecretListEntry, keep: &Value) -> Value {
    secret_value(
        e.arn(),
        e.name(),
        e.description(),
        e.kms_key_id(),
        e.tags(),
        keep,
    )
}

/// Every secret, by ARN: one call per hundred secrets, with each one's versions.
async fn list_all(c: &Clients) -> Result<BTreeMap<String, SecretListEntry>, AttrDiagnostic> {
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

async fn describe(
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

fn described_value(
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

async fn create_secret(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let name = match s(p, "name") {
        Some(n) => n,
        None => {
            let suffix: String = token
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(12)
                .collect();
            format!(
                "{}{suffix}",
                s(p, "name_prefix").unwrap_or_else(|| "iac-".into())
            )
        }
    };
    let r = c
        .secrets
        .create_secret()
        .name(&name)
        .set_description(s(p, "description"))
        .set_kms_key_id(s(p, "kms_key_id"))
        .set_tags(Some(sm_tags(p, Some(token))))
        .send()
        .await;
    match r {
        Ok(_) => {}
        Err(e) if err_code(&e).is_some_and(|c| c.contains("ResourceExists")) => {
            let d = describe(c, &name).await.map_err(|d| vec![d])?;
            let ours = d.as_ref().is_some_and(|d| {
                d.tags()
                    .iter()
                    .any(|t| t.key() == Some(TOKEN_TAG) && t.value() == Some(token))
            });
            if !ours {
                return Err(vec![attr_err(
                    "name",
                    "Secret already exists",
                    format!("a secret named \"{name}\" exists (or is scheduled for deletion) and was not created by this plan; import it, or choose another name"),
                )]);
            }
        }
        Err(e) => return Err(vec![sdk_err("CreateSecret", e)]),
    }
    let d = describe(c, &name).await.map_err(|d| vec![d])?;
    Ok(d.map(|d| described_value(&d, p)))
}

async fn update_secret(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let arn = s(old, "arn").unwrap_or_default();
    if !same(old.get_attr("description"), p.get_attr("description"))
        || !same(old.get_attr("kms_key_id"), p.get_attr("kms_key_id"))
    {
        c.secrets
            .update_secret()
            .secret_id(&arn)
            .description(s(p, "description").unwrap_or_default())
            .set_kms_key_id(s(p, "kms_key_id"))
            .send()
            .await
            .map_err(|e| vec![sdk_err("UpdateSecret", e)])?;
    }
    let (was, now) = (tags_of(old), tags_of(p));
    if was != now {
        let gone: Vec<String> = was
            .keys()
            .filter(|k| !now.contains_key(*k))
            .cloned()
            .collect();
        if !gone.is_empty() {
            c.secrets
                .untag_resource()
                .secret_id(&arn)
                .set_tag_keys(Some(gone))
                .send()
                .await
                .map_err(|e| vec![sdk_err("UntagResource", e)])?;
        }
        let add = sm_tags(p, None);
        if !add.is_empty() {
            c.secrets
                .tag_resource()
                .secret_id(&arn)
                .set_tags(Some(add))
                .send()
                .await
                .map_err(|e| vec![sdk_err("TagResource", e)])?;
        }
    }
    let d = describe(c, &arn).await.map_err(|d| vec![d])?;
    Ok(d.map(|d| described_value(&d, p)))
}

async fn delete_secret(c: &Clients, old: &Value) -> ApplyResult {
    let arn = s(old, "arn").unwrap_or_default();
    let window = old
        .get_attr("recovery_window_in_days")
        .as_f64()
        .map(|n| n as i64);
    let mut req = c.secrets.delete_secret().secret_id(&arn);
    req = match window {
        Some(0) => req.force_delete_without_recovery(true),
        Some(n) => req.recovery_window_in_days(n),
        None => req,
    };
    match req.send().await {
        Ok(_) => Ok(None),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(vec![sdk_err("DeleteSecret", e)]),
    }
}

fn version_value(arn: &str, version_id: &str, stages: &[String], keep: &Value) -> Value {
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
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    )
}

fn stages_of(v: &Value) -> Vec<String> {
    v.get_attr("version_stages")
        .as_list()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

async fn create_version(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let secret_id = s(p, "secret_id").unwrap_or_default();
    let text = plaintext(p, "secret_string").map_err(|d| vec![d])?;
    let binary = plaintext(p, "secret_binary").map_err(|d| vec![d])?;
    if text.is_none() && binary.is_none() {
        return Err(vec![attr_err(
            "secret_string",
            "Missing value",
            "set secret_string or secret_binary",
        )]);
    }
    let mut req = c
        .secrets
        .put_secret_value()
        .secret_id(&secret_id)
        .client_request_token(request_token(token))
        .set_secret_string(text);
    if let Some(b) = binary {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b.as_bytes())
            .map_err(|_| vec![attr_err("secret_binary", "Invalid base64", "")])?;
        req = req.secret_binary(Blob::new(bytes));
    }
    let stages = stages_of(p);
    if !stages.is_empty() {
        req = req.set_version_stages(Some(stages));
    }
    let out = req
        .send()
        .await
        .map_err(|e| vec![sdk_err("PutSecretValue", e)])?;
    let arn = out.arn().unwrap_or_default().to_string();
    let vid = out.version_id().unwrap_or_default().to_string();
    let stages = out.version_stages().to_vec();
    Ok(Some(version_value(&arn, &vid, &stages, p)))
}

async fn update_version(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    // Only the labels can change in place.
    let arn = s(old, "arn").unwrap_or_default();
    let vid = s(old, "version_id").unwrap_or_default();
    let (was, now) = (stages_of(old), stages_of(p));
    let holders = match describe(c, &arn).await.map_err(|d| vec![d])? {
        Some(d) => d.version_ids_to_stages().cloned().unwrap_or_default(),
        None => Default::default(),
    };
    for label in now.iter().filter(|l| !was.contains(l)) {
        let from = holders
            .iter()
            .find(|(v, st)| *v != &vid && st.contains(label))
            .map(|(v, _)| v.clone());
        c.secrets
            .update_secret_version_stage()
            .secret_id(&arn)
            .version_stage(label)
            .move_to_version_id(&vid)
            .set_remove_from_version_id(from)
            .send()
            .await
            .map_err(|e| vec![sdk_err("UpdateSecretVersionStage", e)])?;
    }
    for label in was.iter().filter(|l| !now.contains(l)) {
        c.secrets
            .update_secret_version_stage()
            .secret_id(&arn)
            .version_stage(label)
            .remove_from_version_id(&vid)
            .send()
            .await
            .map_err(|e| vec![sdk_err("UpdateSecretVersionStage", e)])?;
    }
    Ok(Some(version_value(&arn, &vid, &now, p)))
}

async fn delete_version(c: &Clients, old: &Value) -> ApplyResult {
    // A version cannot be deleted; it is retired by taking its labels away.
    // AWSCURRENT stays until another version takes it (as in Terraform).
    let arn = s(old, "arn").unwrap_or_default();
    let vid = s(old, "version_id").unwrap_or_default();
    let Some(d) = describe(c, &arn).await.map_err(|d| vec![d])? else {
        return Ok(None);
    };
    let labels = d
        .version_ids_to_stages()
        .and_then(|m| m.get(&vid).cloned())
        .unwrap_or_default();
    for label in labels.iter().filter(|l| *l != "AWSCURRENT") {
        match c
            .secrets
            .update_secret_version_stage()
            .secret_id(&arn)
            .version_stage(label)
            .remove_from_version_id(&vid)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(err_code(&e)) => {}
            Err(e) => return Err(vec![sdk_err("UpdateSecretVersionStage", e)]),
        }
    }
    Ok(None)
}

pub async fn apply(c: &Clients, req: ApplyRequest<'_>) -> ApplyResult {
    match (req.type_name, req.prior, req.planned) {
        ("aws_secretsmanager_secret", None, Some(p)) => {
            create_secret(c, p, req.idempotency_token).await
        }
        ("aws_secretsmanager_secret", Some(old), Some(p)) => update_secret(c, old, p).await,
        ("aws_secretsmanager_secret", Some(old), None) => delete_secret(c, old).await,
        ("aws_secretsmanager_secret_version", None, Some(p)) => {
            create_version(c, p, req.idempotency_token).await
        }
        ("aws_secretsmanager_secret_version", Some(old), Some(p)) => {
            update_version(c, old, p).await
        }
        ("aws_secretsmanager_secret_version", Some(old), None) => delete_version(c, old).await,
        (t, _, _) => Err(vec![AttrDiagnostic::error(
            Vec::new(),
            "Unsupported operation",
            t.to_string(),
        )]),
    }
}

/// Secrets and versions from one listing of the account's secrets.
pub async fn read(
    c: &Clients,
    type_name: &str,
    current: &[Value],
) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
    let all = match list_all(c).await {
        Ok(a) => a,
        Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
    };
    let by_name: BTreeMap<&str, &SecretListEntry> =
        all.values().filter_map(|e| Some((e.name()?, e))).collect();
    let mut results: Vec<Option<Value>> = current
        .iter()
        .map(|v| {
            let id = s(v, "id").unwrap_or_default();
            match type_name {
                "aws_secretsmanager_secret" => all
                    .get(&id)
                    .or_else(|| by_name.get(id.as_str()).copied())
                    .map(|e| entry_value(e, v)),
                "aws_secretsmanager_secret_version" => {
                    let (arn, vid) = id.split_once('|').unwrap_or((id.as_str(), ""));
                    let entry = all.get(arn).or_else(|| by_name.get(arn).copied());
                    entry.and_then(|e| {
                        let stages = e.secret_versions_to_stages()?.get(vid)?;
                        let mut keep = v.clone();
                        if keep.get_attr("secret_id").is_null() {
                            // An import: the secret is named by its ARN.
                            crate::util::set(&mut keep, "secret_id", opt_str(e.arn()));
                        }
                        Some(version_value(e.arn().unwrap_or(arn), vid, stages, &keep))
                    })
                }
                _ => None,
            }
        })
        .collect();
    // An imported version: read its value once, so state gets its fingerprint
    // (the value itself is never stored) and a later plan can compare.
    if type_name == "aws_secretsmanager_secret_version" {
        for (v, r) in current.iter().zip(results.iter_mut()) {
            let stub = v.as_map().is_some_and(|m| m.len() == 1);
            let Some(found) = r.as_mut().filter(|_| stub) else {
                continue;
            };
            let arn = s(found, "arn").unwrap_or_default();
            let vid = s(found, "version_id").unwrap_or_default();
            match c
                .secrets
                .get_secret_value()
                .secret_id(&arn)
                .version_id(&vid)
                .send()
                .await
            {
                Ok(out) => {
                    if let Some(t) = out.secret_string() {
                        crate::util::set(
                            found,
                            "secret_string",
                            Value::String(t.to_string()).sensitive(),
                        );
                    }
                }
                Err(e) => {
                    let d = sdk_err("GetSecretValue", e);
                    return current.iter().map(|_| Err(d.clone())).collect();
                }
            }
        }
    }
    results.into_iter().map(Ok).collect()
}

pub async fn read_data(
    c: &Clients,
    type_name: &str,
    config: &Value,
) -> Result<Value, Vec<AttrDiagnostic>> {
    match type_name {
        "aws_secretsmanager_secret" => {
            let id = s(config, "arn")
                .or_else(|| s(config, "name"))
                .ok_or_else(|| vec![attr_err("arn", "Missing secret", "set arn or name")])?;
            let d = describe(c, &id)
                .await
                .map_err(|d| vec![d])?
                .ok_or_else(|| {
                    vec![attr_err(
                        "arn",
                        "Secret not found",
                        format!("no secret \"{id}\""),
                    )]
                })?;
            Ok(described_value(&d, &Value::Null))
        }
        "aws_secretsmanager_secret_version" => {
            let secret_id = s(config, "secret_id").unwrap_or_default();
            let out = c
                .secrets
                .get_secret_value()
                .secret_id(&secret_id)
                .set_version_id(s(config, "version_id"))
                .set_version_stage(s(config, "version_stage"))
                .send()
                .await
                .map_err(|e| vec![sdk_err("GetSecretValue", e)])?;
            let arn = out.arn().unwrap_or_default().to_string();
            let vid = out.version_id().unwrap_or_default().to_string();
            let text = out
                .secret_string()
                .map(|t| Value::String(t.to_string()).sensitive())
                .unwrap_or(Value::Null);
            let binary = out
                .secret_binary()
                .map(|b| {
                    Value::String(base64::engine::general_purpose::STANDARD.encode(b.as_ref()))
                        .sensitive()
                })
                .unwrap_or(Value::Null);
            let mut st: Vec<Value> = out
                .version_stages()
                .iter()
                .map(|x| Value::String(x.clone()))
                .collect();
            st.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            Ok(Value::Map(
                [
                    ("secret_id", Value::String(secret_id)),
                    ("version_id", Value::String(vid.clone())),
                    ("version_stage", config.get_attr("version_stage").clone()),
                    ("secret_string", text),
                    ("secret_binary", binary),
                    ("arn", Value::String(arn.clone())),
                    ("id", Value::String(format!("{arn}|{vid}"))),
                    ("version_stages", Value::Set(st)),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            ))
        }
        t => Err(vec![AttrDiagnostic::error(
            Vec::new(),
            "Unknown data source",
            t.to_string(),
        )]),
    }
}
