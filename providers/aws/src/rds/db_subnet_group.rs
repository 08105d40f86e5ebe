//! `aws_db_subnet_group`: the subnets an RDS database may be placed in.

use std::collections::BTreeMap;

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::*;
use crate::schema::{string_set, tags};
use crate::util::{err_code, s, sdk_err};
use crate::Clients;

pub(crate) struct DbSubnetGroupType;

#[async_trait::async_trait]
impl ResourceType<Clients> for DbSubnetGroupType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("The subnets an RDS database may be placed in.")
            .attr(
                "name",
                Attribute::optional_computed(
                    Str,
                    "Name of the group, lower case (default: generated from name_prefix).",
                )
                .force_new(),
            )
            .attr(
                "name_prefix",
                Attribute::optional(Str, "Prefix of a generated name.").force_new(),
            )
            .attr(
                "description",
                Attribute::optional_computed(Str, "Description (default \"Managed by iac\")."),
            )
            .attr(
                "subnet_ids",
                Attribute::required(string_set(), "Subnets, in at least two availability zones."),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("vpc_id", Attribute::computed(Str, "VPC of the subnets."))
            .attr(
                "supported_network_types",
                Attribute::computed(
                    AttrType::Set(Box::new(Str)),
                    "IPV4, and DUAL when every subnet has an IPv6 block.",
                ),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        if crate::util::both_set(config, "name", "name_prefix") {
            return vec![crate::util::attr_err(
                "name_prefix",
                "Conflicting arguments",
                "set `name` or `name_prefix`, not both",
            )];
        }
        Vec::new()
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        create_group(c, planned, req.idempotency_token).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        update_group(c, prior, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .rds
            .delete_db_subnet_group()
            .db_subnet_group_name(s(prior, "name").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteDBSubnetGroup", e)]),
        }
    }

    /// Subnet groups by listing them: one or a few calls however many there are.
    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids = ids_of(current);
        let fail = |d: AttrDiagnostic| current.iter().map(|_| Err(d.clone())).collect();
        let mut found: BTreeMap<String, Value> = BTreeMap::new();
        let mut pages = c.rds.describe_db_subnet_groups().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(p) => p,
                Err(e) => return fail(sdk_err("DescribeDBSubnetGroups", e)),
            };
            for g in page.db_subnet_groups() {
                let name = g.db_subnet_group_name().unwrap_or_default().to_string();
                if !ids.contains(&name) {
                    continue;
                }
                let tags = match group_tags(c, g.db_subnet_group_arn()).await {
                    Ok(t) => t,
                    Err(d) => return fail(d),
                };
                found.insert(name, group_value(g, &Value::Null, tags));
            }
        }
        results(&ids, &found)
    }
}
