//! KMS: `aws_kms_key` and `aws_kms_alias`. A key is never deleted at once: destroy
//! schedules its deletion after `deletion_window_in_days` (default 30), as AWS and
//! Terraform do. Keys have no batch read (refresh is four calls per key: the key,
//! its rotation, its policy, its tags); aliases are read from one listing.

use aws_sdk_kms::types::{KeyMetadata, KeyState, Tag};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::TOKEN_TAG;
use crate::iam::{document_value, keep_equivalent_documents, validate_document};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, err_code, int, opt_str, s, same, sdk_err, tag_map, tags_of};
use crate::Clients;

pub(crate) struct KeyType;
pub(crate) struct AliasType;

fn kms_tags(v: &Value, token: Option<&str>) -> Vec<Tag> {
    let mut out: Vec<Tag> = tags_of(v)
        .into_iter()
        .filter_map(|(k, x)| Tag::builder().tag_key(k).tag_value(x).build().ok())
        .collect();
    if let Some(t) = token {
        out.extend(Tag::builder().tag_key(TOKEN_TAG).tag_value(t).build().ok());
    }
    out
}

async fn key_tags(c: &Clients, id: &str) -> Result<Vec<Tag>, AttrDiagnostic> {
    let r = c
        .kms
        .list_resource_tags()
        .key_id(id)
        .send()
        .await
        .map_err(|e| sdk_err("ListResourceTags", e))?;
    Ok(r.tags().to_vec())
}

fn gone(m: &KeyMetadata) -> bool {
    matches!(
        m.key_state(),
        Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)
    )
}

async fn read_key(c: &Clients, id: &str, keep: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let m = match c.kms.describe_key().key_id(id).send().await {
        Ok(o) => match o.key_metadata() {
            Some(m) if !gone(m) => m.clone(),
            _ => return Ok(None),
        },
        Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => return Ok(None),
        Err(e) => return Err(sdk_err("DescribeKey", e)),
    };
    let status = c.kms.get_key_rotation_status().key_id(id).send().await.ok();
    let rotation = status.as_ref().is_some_and(|o| o.key_rotation_enabled());
    // The period AWS reports while rotation is on; otherwise as written.
    let period = match status.as_ref().and_then(|o| o.rotation_period_in_days()) {
        Some(d) if rotation => Value::num(f64::from(d)),
        _ => keep.get_attr("rotation_period_in_days").clone(),
    };
    let policy = c
        .kms
        .get_key_policy()
        .key_id(id)
        .policy_name("default")
        .send()
        .await
        .map_err(|e| sdk_err("GetKeyPolicy", e))?;
    let tags = key_tags(c, id).await?;
    Ok(Some(Value::map([
        ("id", Value::string(m.key_id())),
        ("key_id", Value::string(m.key_id())),
        ("arn", opt_str(m.arn())),
        ("description", opt_str(m.description()).filter_empty()),
        ("key_usage", opt_str(m.key_usage().map(|u| u.as_str()))),
        (
            "customer_master_key_spec",
            opt_str(m.key_spec().map(|u| u.as_str())),
        ),
        ("is_enabled", Value::Bool(m.enabled())),
        ("enable_key_rotation", Value::Bool(rotation)),
        ("rotation_period_in_days", period),
        (
            "multi_region",
            Value::Bool(m.multi_region().unwrap_or(false)),
        ),
        ("policy", document_value(policy.policy(), keep, "policy")),
        (
            "deletion_window_in_days",
            keep.get_attr("deletion_window_in_days").clone(),
        ),
        (
            "bypass_policy_lockout_safety_check",
            keep.get_attr("bypass_policy_lockout_safety_check").clone(),
        ),
        (
            "tags",
            tag_map(
                tags.iter()
                    .map(|t| (Some(t.tag_key()), Some(t.tag_value()))),
            ),
        ),
    ])))
}

trait FilterEmpty {
    fn filter_empty(self) -> Value;
}

impl FilterEmpty for Value {
    fn filter_empty(self) -> Value {
        if self.as_str() == Some("") {
            Value::Null
        } else {
            self
        }
    }
}

/// The key an earlier attempt of this create made, found by its token tag.
async fn adopted(c: &Clients, token: &str) -> Result<Option<String>, AttrDiagnostic> {
    let mut marker: Option<String> = None;
    loop {
        let page = c
            .kms
            .list_keys()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| sdk_err("ListKeys", e))?;
        for k in page.keys() {
            let Some(id) = k.key_id() else { continue };
            if key_tags(c, id)
                .await?
                .iter()
                .any(|t| t.tag_key() == TOKEN_TAG && t.tag_value() == token)
            {
                return Ok(Some(id.to_string()));
            }
        }
        if !page.truncated() {
            return Ok(None);
        }
        marker = page.next_marker().map(String::from);
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for KeyType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, String as Str};
        Schema::new("A KMS key. KMS has no batch read: refresh is four calls per key.")
            .attr("description", Attribute::optional(Str, "Description."))
            .attr(
                "key_usage",
                Attribute::optional_computed(Str, "ENCRYPT_DECRYPT (default), SIGN_VERIFY, ...")
                    .force_new(),
            )
            .attr(
                "customer_master_key_spec",
                Attribute::optional_computed(Str, "SYMMETRIC_DEFAULT (default), RSA_2048, ...")
                    .force_new(),
            )
            .attr(
                "policy",
                Attribute::optional_computed(
                    Str,
                    "Key policy (JSON; default: the account may use it). Compared as JSON.",
                ),
            )
            .attr(
                "deletion_window_in_days",
                Attribute::optional(
                    Number,
                    "Days between destroy and deletion (7 to 30; default 30).",
                ),
            )
            .attr(
                "is_enabled",
                Attribute::optional_computed(Bool, "Usable (default true)."),
            )
            .attr(
                "enable_key_rotation",
                Attribute::optional_computed(Bool, "Automatic rotation (default false)."),
            )
            .attr(
                "rotation_period_in_days",
                Attribute::optional_computed(
                    AttrType::Number,
                    "Days between rotations, 90 to 2560 (AWS's default 365); changed in place.",
                ),
            )
            .attr(
                "multi_region",
                Attribute::optional_computed(Bool, "A multi-Region primary key.").force_new(),
            )
            .attr(
                "bypass_policy_lockout_safety_check",
                Attribute::optional(Bool, "Allow a policy that locks the account out."),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "Key id."))
            .attr("key_id", Attribute::computed(Str, "Key id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = validate_document(config, "policy");
        if let Some(d) = config.get_attr("deletion_window_in_days").as_f64() {
            if !(7.0..=30.0).contains(&d) {
                out.push(attr_err(
                    "deletion_window_in_days",
                    "Invalid deletion window",
                    "KMS waits 7 to 30 days before it deletes a key",
                ));
            }
        }
        if let Some(d) = config.get_attr("rotation_period_in_days").as_f64() {
            if !(90.0..=2560.0).contains(&d) {
                out.push(attr_err(
                    "rotation_period_in_days",
                    "Invalid rotation period",
                    "KMS rotates a key every 90 to 2560 days",
                ));
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        keep_equivalent_documents(req.prior, &mut r, &["policy"]);
        r
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        let id = match adopted(c, token).await.map_err(|d| vec![d])? {
            Some(id) => id,
            None => c
                .kms
                .create_key()
                .set_description(s(p, "description"))
                .set_key_usage(s(p, "key_usage").map(|u| u.as_str().into()))
                .set_key_spec(s(p, "customer_master_key_spec").map(|u| u.as_str().into()))
                .set_policy(s(p, "policy"))
                .set_multi_region(p.get_attr("multi_region").as_bool())
                .set_bypass_policy_lockout_safety_check(
                    p.get_attr("bypass_policy_lockout_safety_check").as_bool(),
                )
                .set_tags(Some(kms_tags(p, Some(token))))
                .send()
                .await
                .map_err(|e| vec![sdk_err("CreateKey", e)])?
                .key_metadata()
                .map(|m| m.key_id().to_string())
                .unwrap_or_default(),
        };
        if p.get_attr("enable_key_rotation").as_bool() == Some(true) {
            c.kms
                .enable_key_rotation()
                .key_id(&id)
                .set_rotation_period_in_days(int(p, "rotation_period_in_days"))
                .send()
                .await
                .map_err(|e| vec![sdk_err("EnableKeyRotation", e)])?;
        }
        if p.get_attr("is_enabled").as_bool() == Some(false) {
            c.kms
                .disable_key()
                .key_id(&id)
                .send()
                .await
                .map_err(|e| vec![sdk_err("DisableKey", e)])?;
        }
        read_key(c, &id, p).await.map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let id = s(prior, "key_id").unwrap_or_default();
        let changed = |k: &str| !p.get_attr(k).is_null() && !same(prior.get_attr(k), p.get_attr(k));
        if !same(prior.get_attr("description"), p.get_attr("description")) {
            c.kms
                .update_key_description()
                .key_id(&id)
                .description(s(p, "description").unwrap_or_default())
                .send()
                .await
                .map_err(|e| vec![sdk_err("UpdateKeyDescription", e)])?;
        }
        if changed("policy") {
            c.kms
                .put_key_policy()
                .key_id(&id)
                .policy_name("default")
                .policy(s(p, "policy").unwrap_or_default())
                .set_bypass_policy_lockout_safety_check(
                    p.get_attr("bypass_policy_lockout_safety_check").as_bool(),
                )
                .send()
                .await
                .map_err(|e| vec![sdk_err("PutKeyPolicy", e)])?;
        }
        // A new period is set by enabling rotation again with it.
        let on = p.get_attr("enable_key_rotation").as_bool() == Some(true);
        if changed("enable_key_rotation") || on && changed("rotation_period_in_days") {
            let r = if on {
                c.kms
                    .enable_key_rotation()
                    .key_id(&id)
                    .set_rotation_period_in_days(int(p, "rotation_period_in_days"))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_err("EnableKeyRotation", e))
            } else {
                c.kms
                    .disable_key_rotation()
                    .key_id(&id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_err("DisableKeyRotation", e))
            };
            r.map_err(|d| vec![d])?;
        }
        if changed("is_enabled") {
            let r = if p.get_attr("is_enabled").as_bool() == Some(true) {
                c.kms
                    .enable_key()
                    .key_id(&id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_err("EnableKey", e))
            } else {
                c.kms
                    .disable_key()
                    .key_id(&id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_err("DisableKey", e))
            };
            r.map_err(|d| vec![d])?;
        }
        if let Some((gone, _)) = crate::util::tag_change(prior, p) {
            if !gone.is_empty() {
                c.kms
                    .untag_resource()
                    .key_id(&id)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("UntagResource", e)])?;
            }
            let add = kms_tags(p, None);
            if !add.is_empty() {
                c.kms
                    .tag_resource()
                    .key_id(&id)
                    .set_tags(Some(add))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("TagResource", e)])?;
            }
        }
        read_key(c, &id, p).await.map_err(|d| vec![d])
    }

    /// Deletion is scheduled, never immediate.
    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .kms
            .schedule_key_deletion()
            .key_id(s(prior, "key_id").unwrap_or_default())
            .set_pending_window_in_days(int(prior, "deletion_window_in_days"))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if err_code(&e)
                    .is_some_and(|c| c.contains("NotFound") || c.contains("KMSInvalidState")) =>
            {
                Ok(())
            }
            Err(e) => Err(vec![sdk_err("ScheduleKeyDeletion", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let id = s(v, "key_id").or_else(|| s(v, "id")).unwrap_or_default();
            out.push(read_key(c, &id, v).await);
        }
        out
    }
}

async fn aliases(c: &Clients) -> Result<Vec<aws_sdk_kms::types::AliasListEntry>, AttrDiagnostic> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = c
            .kms
            .list_aliases()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| sdk_err("ListAliases", e))?;
        out.extend(page.aliases().iter().cloned());
        if !page.truncated() {
            return Ok(out);
        }
        marker = page.next_marker().map(String::from);
    }
}

fn alias_value(a: &aws_sdk_kms::types::AliasListEntry, keep: &Value, key_arn: Value) -> Value {
    Value::map([
        ("id", opt_str(a.alias_name())),
        ("name", opt_str(a.alias_name())),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("arn", opt_str(a.alias_arn())),
        (
            "target_key_id",
            // The configuration may name the key by id or ARN: keep its form.
            match (keep.get_attr("target_key_id").as_str(), a.target_key_id()) {
                (Some(k), Some(t)) if k == t || k.ends_with(&format!("/{t}")) => Value::string(k),
                (_, t) => opt_str(t),
            },
        ),
        ("target_key_arn", key_arn),
    ])
}

async fn read_alias(
    c: &Clients,
    name: &str,
    keep: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    let all = aliases(c).await?;
    let Some(a) = all.iter().find(|a| a.alias_name() == Some(name)) else {
        return Ok(None);
    };
    let arn = a
        .alias_arn()
        .zip(a.target_key_id())
        .map(|(al, k)| {
            let base = al.split(":alias/").next().unwrap_or_default();
            Value::string(format!("{base}:key/{k}"))
        })
        .unwrap_or(Value::Null);
    Ok(Some(alias_value(a, keep, arn)))
}

#[async_trait::async_trait]
impl ResourceType<Clients> for AliasType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("A KMS alias. Refresh reads every alias from one listing.")
            .attr(
                "name",
                Attribute::optional_computed(
                    Str,
                    "alias/NAME (default: generated from name_prefix).",
                )
                .force_new(),
            )
            .attr(
                "name_prefix",
                Attribute::optional(Str, "Prefix (alias/...) of a generated name.").force_new(),
            )
            .attr(
                "target_key_id",
                Attribute::required(Str, "The key, by id or ARN."),
            )
            .attr("id", Attribute::computed(Str, "The name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr(
                "target_key_arn",
                Attribute::computed(Str, "ARN of the key."),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        match config.get_attr("name").as_str() {
            Some(n) if !n.starts_with("alias/") || n.starts_with("alias/aws/") => vec![attr_err(
                "name",
                "Invalid alias name",
                format!("\"{n}\": an alias name begins with alias/ (and not alias/aws/, which AWS keeps)"),
            )],
            _ => Vec::new(),
        }
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let name = s(p, "name").unwrap_or_else(|| {
            let suffix: String = req
                .idempotency_token
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(26)
                .collect();
            format!(
                "{}{suffix}",
                s(p, "name_prefix").unwrap_or_else(|| "alias/terraform-".into())
            )
        });
        let target = s(p, "target_key_id").unwrap_or_default();
        match c
            .kms
            .create_alias()
            .alias_name(&name)
            .target_key_id(&target)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if err_code(&e).is_some_and(|c| c.contains("AlreadyExists")) => {
                // A retry finds its alias pointing at its key; anything else is not ours.
                let have = read_alias(c, &name, p).await.map_err(|d| vec![d])?;
                let ours = have.as_ref().is_some_and(|h| {
                    h.get_attr("target_key_id")
                        .as_str()
                        .is_some_and(|t| target.ends_with(t) || t.ends_with(&target))
                });
                if !ours {
                    return Err(vec![attr_err(
                        "name",
                        "Alias already exists",
                        format!("the alias {name} exists and points at another key; import it (iac import aws_kms_alias.NAME {name})"),
                    )]);
                }
            }
            Err(e) => return Err(vec![sdk_err("CreateAlias", e)]),
        }
        read_alias(c, &name, p).await.map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let name = s(prior, "name").unwrap_or_default();
        c.kms
            .update_alias()
            .alias_name(&name)
            .target_key_id(s(p, "target_key_id").unwrap_or_default())
            .send()
            .await
            .map_err(|e| vec![sdk_err("UpdateAlias", e)])?;
        read_alias(c, &name, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .kms
            .delete_alias()
            .alias_name(s(prior, "name").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteAlias", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let all = match aliases(c).await {
            Ok(a) => a,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        current
            .iter()
            .map(|v| {
                let name = s(v, "name").or_else(|| s(v, "id")).unwrap_or_default();
                Ok(all
                    .iter()
                    .find(|a| a.alias_name() == Some(name.as_str()))
                    .map(|a| {
                        let arn = a
                            .alias_arn()
                            .zip(a.target_key_id())
                            .map(|(al, k)| {
                                let base = al.split(":alias/").next().unwrap_or_default();
                                Value::string(format!("{base}:key/{k}"))
                            })
                            .unwrap_or(Value::Null);
                        alias_value(a, v, arn)
                    }))
            })
            .collect()
    }
}
