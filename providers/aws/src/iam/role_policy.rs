//! `aws_iam_role_policy`: a policy written inline in a role. Its id is
//! `ROLE:NAME`, as Terraform's (and what `iac import` takes).

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use super::*;
use crate::kit::aws_plan;
use crate::util::{attr_err, err_code, s, sdk_err};
use crate::Clients;

pub(crate) struct RolePolicyType;

fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once(':')
}

async fn read_one(c: &Clients, role: &str, name: &str, keep: &Value) -> ApplyResult {
    match c
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
    {
        Ok(o) => Ok(Some(Value::map([
            ("id", Value::string(format!("{role}:{name}"))),
            ("role", Value::string(o.role_name())),
            ("name", Value::string(o.policy_name())),
            ("name_prefix", keep.get_attr("name_prefix").clone()),
            (
                "policy",
                document_value(Some(o.policy_document()), keep, "policy"),
            ),
        ]))),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(vec![sdk_err("GetRolePolicy", e)]),
    }
}

/// Putting an inline policy is idempotent: a retried create writes the same one.
async fn put(c: &Clients, p: &Value, name: &str) -> ApplyResult {
    let role = s(p, "role").unwrap_or_default();
    c.iam
        .put_role_policy()
        .role_name(&role)
        .policy_name(name)
        .policy_document(s(p, "policy").unwrap_or_default())
        .send()
        .await
        .map_err(|e| vec![sdk_err("PutRolePolicy", e)])?;
    read_one(c, &role, name, p).await
}

#[async_trait::async_trait]
impl ResourceType<Clients> for RolePolicyType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new(
            "An inline policy of an IAM role. IAM has no batch read: refresh is one GetRolePolicy per policy.",
        )
        .attr(
            "role",
            Attribute::required(Str, "Name of the role.").force_new(),
        )
        .attr(
            "name",
            Attribute::optional_computed(Str, "Name (default: generated from name_prefix).")
                .force_new(),
        )
        .attr(
            "name_prefix",
            Attribute::optional(Str, "Prefix of a generated name.").force_new(),
        )
        .attr(
            "policy",
            Attribute::required(Str, "The policy document (JSON). Compared as JSON."),
        )
        .attr("id", Attribute::computed(Str, "ROLE:NAME."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = validate_document(config, "policy");
        if crate::util::both_set(config, "name", "name_prefix") {
            out.push(attr_err(
                "name_prefix",
                "Conflicting arguments",
                "set `name` or `name_prefix`, not both",
            ));
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        keep_equivalent_documents(req.prior, &mut r, &["policy"]);
        r
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        put(c, planned, &name_for(planned, req.idempotency_token)).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        put(c, planned, &s(prior, "name").unwrap_or_default()).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .iam
            .delete_role_policy()
            .role_name(s(prior, "role").unwrap_or_default())
            .policy_name(s(prior, "name").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(err_code(&e)) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteRolePolicy", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let id = s(v, "id").unwrap_or_default();
            let Some((role, name)) = split_id(&id) else {
                out.push(Err(attr_err(
                    "id",
                    "Invalid id",
                    format!("\"{id}\" is not ROLE:NAME"),
                )));
                continue;
            };
            out.push(
                read_one(c, role, name, v)
                    .await
                    .map_err(|mut d| d.remove(0)),
            );
        }
        out
    }
}
