//! `aws_secretsmanager_secret_policy`: a secret's resource policy (compared as
//! JSON), as Terraform has it. Import by the secret's ARN.

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use super::not_found;
use crate::iam::{document_value, keep_equivalent_documents, validate_document};
use crate::util::{err_code, s, sdk_err};
use crate::Clients;

pub(crate) struct SecretPolicy;

/// The secret a policy value is of: `secret_arn`, or the id an import gives.
fn secret_of(v: &Value) -> String {
    s(v, "secret_arn")
        .or_else(|| s(v, "id"))
        .unwrap_or_default()
}

async fn put(c: &Clients, p: &Value) -> ApplyResult {
    let secret = secret_of(p);
    c.secrets
        .put_resource_policy()
        .secret_id(&secret)
        .resource_policy(s(p, "policy").unwrap_or_default())
        .set_block_public_policy(p.get_attr("block_public_policy").as_bool())
        .send()
        .await
        .map_err(|e| vec![sdk_err("PutResourcePolicy", e)])?;
    read_one(c, &secret, p).await.map_err(|d| vec![d])
}

/// The policy of one secret; `None` when the secret or its policy is gone.
async fn read_one(
    c: &Clients,
    secret: &str,
    keep: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    match c
        .secrets
        .get_resource_policy()
        .secret_id(secret)
        .send()
        .await
    {
        Ok(o) => {
            let Some(policy) = o.resource_policy() else {
                return Ok(None);
            };
            let arn = o.arn().unwrap_or(secret);
            Ok(Some(Value::map([
                ("id", Value::string(arn)),
                ("secret_arn", Value::string(arn)),
                ("policy", document_value(Some(policy), keep, "policy")),
                // Not something AWS reads back: what was written stays.
                (
                    "block_public_policy",
                    keep.get_attr("block_public_policy").clone(),
                ),
            ])))
        }
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(sdk_err("GetResourcePolicy", e)),
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for SecretPolicy {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, String as Str};
        Schema::new("The resource policy of a Secrets Manager secret. Refresh is one GetResourcePolicy per secret (Secrets Manager has no batch read of policies).")
            .attr(
                "secret_arn",
                Attribute::required(Str, "ARN (or name) of the secret.").force_new(),
            )
            .attr(
                "policy",
                Attribute::required(Str, "The policy document (JSON). Compared as JSON."),
            )
            .attr(
                "block_public_policy",
                Attribute::optional(Bool, "Have Secrets Manager refuse a policy that grants broad access (checked when the policy is written)."),
            )
            .attr("id", Attribute::computed(Str, "The secret's ARN."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        validate_document(config, "policy")
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = crate::kit::aws_plan(schema, req);
        keep_equivalent_documents(req.prior, &mut r, &["policy"]);
        r
    }

    async fn create(&self, c: &Clients, planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        put(c, planned).await
    }

    async fn update(
        &self,
        c: &Clients,
        _: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        put(c, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .secrets
            .delete_resource_policy()
            .secret_id(secret_of(prior))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(err_code(&e)) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteResourcePolicy", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            out.push(read_one(c, &secret_of(v), v).await);
        }
        out
    }
}
