//! `aws_secretsmanager_secret`: a secret (its value is a version), and its
//! replicas in other regions (`replica` blocks: added, removed and moved to
//! another key in place, removed before the secret is deleted).

use iac_provider::kit::ResourceType;
use std::collections::BTreeMap;

use aws_sdk_secretsmanager::types::{ReplicaRegionType, ReplicationStatusType};
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting,
    PlanRequest, PlanResponse, Schema,
};
use iac_value::Value;

use super::*;
use crate::schema::{num, tags};
use crate::util::s;
use crate::Clients;

pub(crate) struct Secret;

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
        .set_add_replica_regions(Some(replica_regions(&replicas(p))).filter(|r| !r.is_empty()))
        .set_force_overwrite_replica_secret(p.get_attr("force_overwrite_replica_secret").as_bool())
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
    Ok(d.map(|d| value(&d, p)))
}

/// The replicas written: (region, KMS key) by region.
fn replicas(p: &Value) -> BTreeMap<String, Option<String>> {
    p.get_attr("replica")
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((s(r, "region")?, s(r, "kms_key_id"))))
        .collect()
}

fn replica_regions(r: &BTreeMap<String, Option<String>>) -> Vec<ReplicaRegionType> {
    r.iter()
        .map(|(region, key)| {
            ReplicaRegionType::builder()
                .region(region)
                .set_kms_key_id(key.clone())
                .build()
        })
        .collect()
}

/// The replicas as AWS reports them, with the key only where one was written
/// (AWS's default key otherwise), in region order.
fn replicas_value(status: &[ReplicationStatusType], keep: &Value) -> Value {
    let written = replicas(keep);
    let mut items: Vec<Value> = status
        .iter()
        .map(|r| {
            let region = r.region().unwrap_or_default().to_string();
            let key = match written.get(&region) {
                Some(Some(_)) => opt_str(r.kms_key_id()),
                _ => Value::Null,
            };
            Value::map([
                ("region", Value::String(region)),
                ("kms_key_id", key),
                ("status", opt_str(r.status().map(|x| x.as_str()))),
                ("status_message", opt_str(r.status_message())),
                ("last_accessed_date", date(r.last_accessed_date())),
            ])
        })
        .collect();
    items.sort_by(|a, b| {
        a.get_attr("region")
            .as_str()
            .cmp(&b.get_attr("region").as_str())
    });
    Value::Set(items)
}

/// The secret as `DescribeSecret` has it, with its replicas.
fn value(
    d: &aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput,
    keep: &Value,
) -> Value {
    with_replicas(described_value(d, keep), d.replication_status(), keep)
}

/// The secret's value with its replicas (and what only state holds).
fn with_replicas(mut v: Value, status: &[ReplicationStatusType], keep: &Value) -> Value {
    crate::util::set(&mut v, "replica", replicas_value(status, keep));
    crate::util::set(
        &mut v,
        "force_overwrite_replica_secret",
        keep.get_attr("force_overwrite_replica_secret").clone(),
    );
    v
}

/// Replicas to add (new regions, or a region whose key changed) and regions to
/// remove, from what the secret has (`old`) to what is written (`p`).
async fn update_replicas(
    c: &Clients,
    arn: &str,
    old: &Value,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let (was, now) = (replicas(old), replicas(p));
    // What AWS chose for a key not written is not a change.
    let moved = |r: &String| match (was.get(r), now.get(r)) {
        (Some(a), Some(Some(b))) => a.as_ref() != Some(b),
        _ => false,
    };
    let gone: Vec<String> = was
        .keys()
        .filter(|r| !now.contains_key(*r) || moved(r))
        .cloned()
        .collect();
    let add: BTreeMap<String, Option<String>> = now
        .iter()
        .filter(|(r, _)| !was.contains_key(*r) || moved(r))
        .map(|(r, k)| (r.clone(), k.clone()))
        .collect();
    if !gone.is_empty() {
        c.secrets
            .remove_regions_from_replication()
            .secret_id(arn)
            .set_remove_replica_regions(Some(gone))
            .send()
            .await
            .map_err(|e| sdk_err("RemoveRegionsFromReplication", e))?;
    }
    if !add.is_empty() {
        c.secrets
            .replicate_secret_to_regions()
            .secret_id(arn)
            .set_add_replica_regions(Some(replica_regions(&add)))
            .set_force_overwrite_replica_secret(
                p.get_attr("force_overwrite_replica_secret").as_bool(),
            )
            .send()
            .await
            .map_err(|e| sdk_err("ReplicateSecretToRegions", e))?;
    }
    Ok(())
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
    update_replicas(c, &arn, old, p)
        .await
        .map_err(|d| vec![d])?;
    let d = describe(c, &arn).await.map_err(|d| vec![d])?;
    Ok(d.map(|d| value(&d, p)))
}

async fn delete_secret(c: &Clients, old: &Value) -> ApplyResult {
    let arn = s(old, "arn").unwrap_or_default();
    // A secret with replicas cannot be deleted: they go first.
    let regions: Vec<String> = replicas(old).into_keys().collect();
    if !regions.is_empty() {
        match c
            .secrets
            .remove_regions_from_replication()
            .secret_id(&arn)
            .set_remove_replica_regions(Some(regions))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(err_code(&e)) => return Ok(None),
            Err(e) => return Err(vec![sdk_err("RemoveRegionsFromReplication", e)]),
        }
    }
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

#[async_trait::async_trait]
impl ResourceType<Clients> for Secret {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("A Secrets Manager secret (its value is a aws_secretsmanager_secret_version).")
            .attr(
                "name",
                Attribute::optional_computed(Str, "Name (generated from name_prefix when unset).")
                    .force_new(),
            )
            .attr(
                "name_prefix",
                Attribute::optional(Str, "Prefix of a generated name.").force_new(),
            )
            .attr("description", Attribute::optional(Str, "Description."))
            .attr(
                "kms_key_id",
                Attribute::optional(
                    Str,
                    "KMS key that encrypts the value (default: aws/secretsmanager).",
                ),
            )
            .attr(
                "recovery_window_in_days",
                Attribute::optional(
                    num(),
                    "Days a deleted secret can be restored (7-30, default 30; 0 deletes at once).",
                ),
            )
            .attr(
                "force_overwrite_replica_secret",
                Attribute::optional(
                    AttrType::Bool,
                    "Overwrite a secret of the same name in a replica's region (default false).",
                ),
            )
            .block(
                "replica",
                NestedBlock {
                    nesting: Nesting::Set,
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                    block: Schema::new("A copy of the secret kept in another region.")
                        .attr("region", Attribute::required(Str, "The region."))
                        .attr(
                            "kms_key_id",
                            Attribute::optional(
                                Str,
                                "KMS key in that region (default: its aws/secretsmanager); a new one moves the replica.",
                            ),
                        )
                        .attr("status", Attribute::computed(Str, "InSync, Failed or InProgress."))
                        .attr("status_message", Attribute::computed(Str, "Why, when it failed."))
                        .attr(
                            "last_accessed_date",
                            Attribute::computed(Str, "When the replica was last read (a day's precision)."),
                        ),
                },
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The ARN."))
            .attr("arn", Attribute::computed(Str, "ARN."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = crate::kit::aws_plan(schema, req);
        plan_replicas(req.prior, &mut r.planned);
        r
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        create_secret(c, planned, req.idempotency_token).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        update_secret(c, prior, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        delete_secret(c, prior).await.map(|_| ())
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        // One listing of the account's secrets serves every secret in state.
        let listing = match Listing::read(c).await {
            Ok(l) => l,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let id = s(v, "id").unwrap_or_default();
            let Some(e) = listing.find(&id) else {
                out.push(Ok(None));
                continue;
            };
            // The listing has no replicas: a secret that has some is described.
            if replicas(v).is_empty() {
                out.push(Ok(Some(with_replicas(entry_value(e, v), &[], v))));
            } else {
                out.push(describe(c, &id).await.map(|d| d.map(|d| value(&d, v))));
            }
        }
        out
    }
}

/// A replica's computed values carry over from the prior one of its region
/// (the set's elements are matched by region, not by position); a new one's
/// are known after the apply.
fn plan_replicas(prior: Option<&Value>, planned: &mut Value) {
    let before: BTreeMap<String, Value> = prior
        .and_then(|p| p.get_attr("replica").as_list())
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((s(r, "region")?, r.clone())))
        .collect();
    let Some(items) = planned.get_attr("replica").as_list().map(|l| l.to_vec()) else {
        return;
    };
    let items: Vec<Value> = items
        .into_iter()
        .map(|mut item| {
            let region = s(&item, "region").unwrap_or_default();
            let same_key = before.get(&region).is_some_and(|b| {
                item.get_attr("kms_key_id").is_null()
                    || b.get_attr("kms_key_id") == item.get_attr("kms_key_id")
            });
            for k in ["status", "status_message", "last_accessed_date"] {
                let v = match before.get(&region) {
                    Some(b) if same_key => b.get_attr(k).clone(),
                    _ => Value::Unknown,
                };
                crate::util::set(&mut item, k, v);
            }
            if same_key && item.get_attr("kms_key_id").is_null() {
                if let Some(b) = before.get(&region) {
                    crate::util::set(&mut item, "kms_key_id", b.get_attr("kms_key_id").clone());
                }
            }
            item
        })
        .collect();
    crate::util::set(planned, "replica", Value::Set(items));
}
