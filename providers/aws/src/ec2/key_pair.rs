//! `aws_key_pair`: an SSH public key EC2 puts on the instances that name it.

use aws_sdk_ec2::types::{KeyPairInfo, ResourceType as Kind};
use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::ec2::{region, tag_spec, update_tags, TOKEN_TAG};
use crate::util::{attr_err, err_code, opt_str, s, sdk_err, tags_of, tags_value};
use crate::Clients;

pub(crate) struct KeyPairType;

fn key_value(k: &KeyPairInfo, keep: &Value, region: &str, account: Option<&str>) -> Value {
    let name = k.key_name().unwrap_or_default();
    Value::map([
        ("id", Value::string(name)),
        ("key_name", Value::string(name)),
        ("key_name_prefix", keep.get_attr("key_name_prefix").clone()),
        ("public_key", keep.get_attr("public_key").clone()),
        ("key_pair_id", opt_str(k.key_pair_id())),
        ("fingerprint", opt_str(k.key_fingerprint())),
        ("key_type", opt_str(k.key_type().map(|t| t.as_str()))),
        (
            "arn",
            match account {
                Some(acct) => Value::string(format!("arn:aws:ec2:{region}:{acct}:key-pair/{name}")),
                None => Value::Null,
            },
        ),
        ("tags", tags_value(k.tags())),
    ])
}

/// Key pairs by name, in one call; when AWS refuses the batch because one is
/// gone, each is asked for alone.
async fn describe(c: &Clients, names: &[String]) -> Result<Vec<KeyPairInfo>, AttrDiagnostic> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let gone = |code: &Option<String>| code.as_deref().is_some_and(|c| c.contains("NotFound"));
    match c
        .ec2
        .describe_key_pairs()
        .set_key_names(Some(names.to_vec()))
        .send()
        .await
    {
        Ok(o) => Ok(o.key_pairs().to_vec()),
        Err(e) if gone(&err_code(&e)) && names.len() > 1 => {
            let mut out = Vec::new();
            for n in names {
                match c.ec2.describe_key_pairs().key_names(n).send().await {
                    Ok(o) => out.extend(o.key_pairs().iter().cloned()),
                    Err(e) if gone(&err_code(&e)) => {}
                    Err(e) => return Err(sdk_err("DescribeKeyPairs", e)),
                }
            }
            Ok(out)
        }
        Err(e) if gone(&err_code(&e)) => Ok(Vec::new()),
        Err(e) => Err(sdk_err("DescribeKeyPairs", e)),
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for KeyPairType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("An EC2 key pair (its public key). Refresh is one DescribeKeyPairs call for all of them.")
            .attr(
                "key_name",
                Attribute::optional_computed(Str, "Name (default: generated from key_name_prefix).")
                    .force_new(),
            )
            .attr(
                "key_name_prefix",
                Attribute::optional(Str, "Prefix of a generated name.").force_new(),
            )
            .attr(
                "public_key",
                Attribute::required(Str, "The public key (OpenSSH format).").force_new(),
            )
            .attr("tags", crate::schema::tags())
            .attr("id", Attribute::computed(Str, "The name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("key_pair_id", Attribute::computed(Str, "Key pair id."))
            .attr("fingerprint", Attribute::computed(Str, "Fingerprint."))
            .attr("key_type", Attribute::computed(Str, "rsa or ed25519."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        if crate::util::both_set(config, "key_name", "key_name_prefix") {
            return vec![attr_err(
                "key_name_prefix",
                "Conflicting arguments",
                "set `key_name` or `key_name_prefix`, not both",
            )];
        }
        Vec::new()
    }

    fn plan(
        &self,
        schema: &Schema,
        req: &iac_provider::PlanRequest<'_>,
    ) -> iac_provider::PlanResponse {
        crate::kit::aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        let name = s(planned, "key_name").unwrap_or_else(|| {
            let suffix: String = token
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(26)
                .collect();
            format!(
                "{}{suffix}",
                s(planned, "key_name_prefix").unwrap_or_else(|| "terraform-".into())
            )
        });
        let r = c
            .ec2
            .import_key_pair()
            .key_name(&name)
            .public_key_material(aws_sdk_ec2::primitives::Blob::new(
                s(planned, "public_key").unwrap_or_default().into_bytes(),
            ))
            .tag_specifications(tag_spec(Kind::KeyPair, &tags_of(planned), token))
            .send()
            .await;
        match r {
            Ok(_) => {}
            Err(e) if err_code(&e).is_some_and(|c| c.contains("Duplicate")) => {
                let found = describe(c, std::slice::from_ref(&name))
                    .await
                    .map_err(|d| vec![d])?;
                let ours = found.first().is_some_and(|k| {
                    k.tags()
                        .iter()
                        .any(|t| t.key() == Some(TOKEN_TAG) && t.value() == Some(token))
                });
                if !ours {
                    return Err(vec![attr_err(
                        "key_name",
                        "Key pair already exists",
                        format!("a key pair named \"{name}\" exists and was not created by this plan; import it (iac import aws_key_pair.NAME {name}), or choose another name"),
                    )]);
                }
            }
            Err(e) => return Err(vec![sdk_err("ImportKeyPair", e)]),
        }
        let found = describe(c, &[name]).await.map_err(|d| vec![d])?;
        let account = c.account_id().await;
        Ok(found
            .first()
            .map(|k| key_value(k, planned, &region(c), account.as_deref())))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let id = s(prior, "key_pair_id").unwrap_or_default();
        update_tags(c, &id, prior, planned)
            .await
            .map_err(|d| vec![d])?;
        let found = describe(c, &[s(prior, "key_name").unwrap_or_default()])
            .await
            .map_err(|d| vec![d])?;
        let account = c.account_id().await;
        Ok(found
            .first()
            .map(|k| key_value(k, planned, &region(c), account.as_deref())))
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .ec2
            .delete_key_pair()
            .key_name(s(prior, "key_name").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteKeyPair", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let names: Vec<String> = current
            .iter()
            .map(|v| s(v, "key_name").or_else(|| s(v, "id")).unwrap_or_default())
            .collect();
        let account = c.account_id().await;
        let region = region(c);
        match describe(c, &names).await {
            Ok(found) => current
                .iter()
                .zip(&names)
                .map(|(v, n)| {
                    Ok(found
                        .iter()
                        .find(|k| k.key_name() == Some(n.as_str()))
                        .map(|k| key_value(k, v, &region, account.as_deref())))
                })
                .collect(),
            Err(d) => current.iter().map(|_| Err(d.clone())).collect(),
        }
    }
}
