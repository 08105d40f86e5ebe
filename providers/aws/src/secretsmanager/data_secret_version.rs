//! Data source `aws_secretsmanager_secret_version`: a secret's value (sensitive:
//! shown and stored only as a fingerprint).

use base64::Engine as _;
use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::schema::string_set;
use crate::util::{s, sdk_err};
use crate::Clients;

pub(crate) struct SecretVersionData;

#[async_trait::async_trait]
impl DataSourceType<Clients> for SecretVersionData {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("Reads a secret's value (sensitive: shown and stored only as a fingerprint).")
            .attr(
                "secret_id",
                Attribute::required(Str, "ARN or name of the secret."),
            )
            .attr(
                "version_id",
                Attribute::optional_computed(Str, "A version id."),
            )
            .attr(
                "version_stage",
                Attribute::optional(Str, "A staging label (default AWSCURRENT)."),
            )
            .attr(
                "secret_string",
                Attribute::computed(Str, "The value.").sensitive(),
            )
            .attr(
                "secret_binary",
                Attribute::computed(Str, "The value, base64.").sensitive(),
            )
            .attr("arn", Attribute::computed(Str, "ARN of the secret."))
            .attr(
                "created_date",
                Attribute::computed(Str, "When the version was made (RFC 3339)."),
            )
            .attr("id", Attribute::computed(Str, "secret ARN|version id."))
            .attr(
                "version_stages",
                Attribute::computed(string_set(), "Labels of the version."),
            )
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
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
                ("created_date", super::date(out.created_date())),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        ))
    }
}
