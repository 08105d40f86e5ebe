//! `aws_secretsmanager_secret`: a secret (its value is a version).

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
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
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The ARN."))
            .attr("arn", Attribute::computed(Str, "ARN."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        crate::kit::aws_plan(schema, req)
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
        current
            .iter()
            .map(|v| {
                let id = s(v, "id").unwrap_or_default();
                Ok(listing.find(&id).map(|e| entry_value(e, v)))
            })
            .collect()
    }
}
