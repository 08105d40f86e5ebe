//! Data source `aws_secretsmanager_secret`: a secret by ARN or name (not its value).

use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::*;
use crate::util::{attr_err, s};
use crate::Clients;

pub(crate) struct SecretData;

#[async_trait::async_trait]
impl DataSourceType<Clients> for SecretData {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("Looks up a secret by ARN or name (not its value).")
            .attr("arn", Attribute::optional_computed(Str, "ARN."))
            .attr("name", Attribute::optional_computed(Str, "Name."))
            .attr("id", Attribute::computed(Str, "The ARN."))
            .attr("description", Attribute::computed(Str, "Description."))
            .attr("kms_key_id", Attribute::computed(Str, "KMS key."))
            .attr(
                "tags",
                Attribute::computed(AttrType::Map(Box::new(Str)), "Tags."),
            )
            .attr(
                "created_date",
                Attribute::computed(Str, "When it was made (RFC 3339)."),
            )
            .attr(
                "last_changed_date",
                Attribute::computed(Str, "When it last changed (RFC 3339)."),
            )
            .attr(
                "policy",
                Attribute::computed(
                    Str,
                    "Its resource policy, as normalised JSON (\"\" when it has none).",
                ),
            )
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
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
        let arn = d.arn().unwrap_or_default().to_string();
        let policy = c
            .secrets
            .get_resource_policy()
            .secret_id(&arn)
            .send()
            .await
            .map_err(|e| vec![crate::util::sdk_err("GetResourcePolicy", e)])?;
        let mut v = described_value(&d, &Value::Null);
        crate::util::set(&mut v, "created_date", date(d.created_date()));
        crate::util::set(&mut v, "last_changed_date", date(d.last_changed_date()));
        crate::util::set(
            &mut v,
            "policy",
            Value::string(
                policy
                    .resource_policy()
                    .map(crate::util::normalized_json)
                    .unwrap_or_default(),
            ),
        );
        Ok(v)
    }
}
