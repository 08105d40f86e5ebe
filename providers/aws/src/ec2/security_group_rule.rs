//! `aws_security_group_rule`: one rule of a group, managed on its own (every
//! argument replaces it). Refresh reads the groups of all rules in one call.

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::kit::aws_plan_with;
use crate::schema::strings;
use crate::Clients;

/// The arguments every security group rule has (inline or standalone).
pub(crate) fn rule() -> Schema {
    Schema::new("A security group rule.")
        .attr(
            "from_port",
            Attribute::required(AttrType::Number, "First port (or ICMP type)."),
        )
        .attr(
            "to_port",
            Attribute::required(AttrType::Number, "Last port (or ICMP code)."),
        )
        .attr(
            "protocol",
            Attribute::required(AttrType::String, "tcp, udp, icmp, or -1 for all."),
        )
        .attr(
            "cidr_blocks",
            Attribute::optional(strings(), "IPv4 ranges."),
        )
        .attr(
            "ipv6_cidr_blocks",
            Attribute::optional(strings(), "IPv6 ranges."),
        )
        .attr(
            "prefix_list_ids",
            Attribute::optional(
                strings(),
                "Managed prefix lists (such as a VPC endpoint's).",
            ),
        )
        .attr(
            "description",
            Attribute::optional(AttrType::String, "Description of the rule."),
        )
        .attr(
            "self",
            Attribute::optional(AttrType::Bool, "Allow the group's own members."),
        )
}

/// An inline rule of `aws_security_group`: a rule that may name other groups.
pub(crate) fn inline_rule() -> Schema {
    rule().attr(
        "security_groups",
        Attribute::optional(
            strings(),
            "Security groups whose members the rule allows (ids).",
        ),
    )
}

pub(crate) struct SecurityGroupRuleType;

#[async_trait::async_trait]
impl ResourceType<Clients> for SecurityGroupRuleType {
    fn schema(&self) -> Schema {
        rule()
            .attr(
                "type",
                Attribute::required(AttrType::String, "ingress or egress.").force_new(),
            )
            .attr(
                "security_group_id",
                Attribute::required(AttrType::String, "The group.").force_new(),
            )
            .attr(
                "source_security_group_id",
                Attribute::optional(AttrType::String, "A group whose members the rule allows."),
            )
            .attr("id", Attribute::computed(AttrType::String, "Rule id."))
            .attr(
                "security_group_rule_id",
                Attribute::computed(
                    AttrType::String,
                    "AWS's id of the rule (sgr-...), when it has a single source; empty when it has several.",
                ),
            )
            .force_all_new()
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan_with(schema, req, &crate::sg::plan_rule_fields, &|_, _| {})
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let _ = req;
        crate::sg::create_rule(c, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        crate::sg::delete_rule(c, old).await.map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        crate::sg::read_rules(c, current).await
    }
}
