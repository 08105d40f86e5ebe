//! `aws_security_group`: a group with inline rules (rules not in the configuration
//! are removed; with no rule blocks at all, rules are left to standalone rules).
//! Shared with the default group and the rules: `crate::sg`.

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting,
    PlanRequest, PlanResponse, Schema,
};
use iac_value::Value;

use std::collections::BTreeMap;

use crate::ec2::{BatchRead, ReadErr};
use crate::kit::aws_plan_with;
use crate::schema::tags;
use crate::util::set;
use crate::Clients;

#[async_trait::async_trait]
impl BatchRead for SecurityGroupType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        _: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        crate::sg::read_groups(c, ids).await
    }
}

pub(crate) struct SecurityGroupType;

#[async_trait::async_trait]
impl ResourceType<Clients> for SecurityGroupType {
    fn schema(&self) -> Schema {
        Schema::new(
            "A security group with inline rules; rules not in the configuration are removed.",
        )
        .attr(
            "name",
            Attribute::optional_computed(AttrType::String, "Group name (default: generated from name_prefix).")
                .force_new(),
        )
        .attr(
            "name_prefix",
            Attribute::optional(AttrType::String, "Prefix of a generated name.").force_new(),
        )
        .attr(
            "revoke_rules_on_delete",
            Attribute::optional(
                AttrType::Bool,
                "Revoke every rule before deleting the group (breaks cycles of groups that reference each other).",
            ),
        )
        .attr(
            "description",
            Attribute::optional(
                AttrType::String,
                "Description (default \"Managed by iac\").",
            )
            .force_new(),
        )
        .attr(
            "vpc_id",
            Attribute::optional_computed(AttrType::String, "VPC of the group.").force_new(),
        )
        .block(
            "ingress",
            NestedBlock {
                nesting: Nesting::Set,
                min_items: 0,
                max_items: None,
                force_new: false,
                block: crate::ec2::security_group_rule::inline_rule(),
            },
        )
        .block(
            "egress",
            NestedBlock {
                nesting: Nesting::Set,
                min_items: 0,
                max_items: None,
                force_new: false,
                block: crate::ec2::security_group_rule::inline_rule(),
            },
        )
        .attr("tags", tags())
        .attr("id", Attribute::computed(AttrType::String, "Group id."))
        .attr("arn", Attribute::computed(AttrType::String, "ARN."))
        .attr(
            "owner_id",
            Attribute::computed(AttrType::String, "Owning account."),
        )
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan_with(
            schema,
            req,
            &|planned| {
                let (prior, config) = (req.prior, req.config);
                for k in ["ingress", "egress"] {
                    // No blocks at all: the rules are not managed here (standalone rules may own them).
                    let omitted = config.get_attr(k).as_list().is_none_or(|l| l.is_empty());
                    let rules = match (omitted, prior) {
                        (true, Some(p)) => p.get_attr(k).clone(),
                        (true, None) => Value::Unknown,
                        (false, _) => crate::sg::norm_rules(planned.get_attr(k)),
                    };
                    set(planned, k, rules);
                }
                if config.get_attr("description").is_null() {
                    set(planned, "description", Value::string("Managed by iac"));
                }
            },
            &|_, _| {},
        )
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let _ = req;
        crate::sg::create_group(c, p, req.idempotency_token)
            .await
            .map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        crate::sg::update_group(c, old, p)
            .await
            .map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        crate::sg::delete_group(c, old).await.map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        crate::ec2::read_in_batches(c, self, current).await
    }
}
