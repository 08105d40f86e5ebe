//! `aws_egress_only_internet_gateway`: outbound-only IPv6 access for a VPC (a
//! route's `egress_only_gateway_id`). A new `vpc_id` replaces it. Refresh reads
//! 200 gateways per DescribeEgressOnlyInternetGateways call.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{EgressOnlyInternetGateway, ResourceType as Kind};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::{adopted_id, classify, tag_spec, update_tags, BatchRead, ReadErr};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{deleted, opt_str, s, sdk_err, tags_of, tags_value};
use crate::Clients;

pub(crate) struct EgressOnlyInternetGatewayType;

fn gateway_value(g: &EgressOnlyInternetGateway) -> Value {
    Value::map([
        ("id", opt_str(g.egress_only_internet_gateway_id())),
        (
            "vpc_id",
            opt_str(g.attachments().first().and_then(|a| a.vpc_id())),
        ),
        ("tags", tags_value(g.tags())),
    ])
}

async fn describe(c: &Clients, ids: &[String]) -> Result<Vec<EgressOnlyInternetGateway>, ReadErr> {
    c.ec2
        .describe_egress_only_internet_gateways()
        .set_egress_only_internet_gateway_ids(Some(ids.to_vec()))
        .send()
        .await
        .map(|o| o.egress_only_internet_gateways().to_vec())
        .map_err(|e| classify("DescribeEgressOnlyInternetGateways", e))
}

async fn read_one(c: &Clients, id: &str) -> ApplyResult {
    let found = describe(c, &[id.to_string()])
        .await
        .map_err(|e| crate::ec2::vanished(e, "Egress-only internet gateway"))?;
    Ok(found.first().map(gateway_value))
}

#[async_trait::async_trait]
impl BatchRead for EgressOnlyInternetGatewayType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        _: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        Ok(describe(c, ids)
            .await?
            .iter()
            // A deleted gateway lingers detached for a while: it is gone.
            .filter(|g| !g.attachments().is_empty())
            .map(|g| {
                (
                    g.egress_only_internet_gateway_id()
                        .unwrap_or_default()
                        .to_string(),
                    gateway_value(g),
                )
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for EgressOnlyInternetGatewayType {
    fn schema(&self) -> Schema {
        Schema::new("An egress-only internet gateway: outbound IPv6 for a VPC's instances, nothing inbound. Refresh reads 200 per DescribeEgressOnlyInternetGateways call.")
            .attr(
                "vpc_id",
                Attribute::required(AttrType::String, "The VPC (a change replaces the gateway).")
                    .force_new(),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(AttrType::String, "Gateway id."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        if let Some(id) = adopted_id(c, token, "egress-only-internet-gateway")
            .await
            .map_err(|d| vec![d])?
        {
            return read_one(c, &id).await;
        }
        let out = c
            .ec2
            .create_egress_only_internet_gateway()
            .set_vpc_id(s(p, "vpc_id"))
            .client_token(token)
            .tag_specifications(tag_spec(
                Kind::EgressOnlyInternetGateway,
                &tags_of(p),
                token,
            ))
            .send()
            .await
            .map_err(|e| vec![sdk_err("CreateEgressOnlyInternetGateway", e)])?;
        let id = out
            .egress_only_internet_gateway()
            .and_then(|g| g.egress_only_internet_gateway_id())
            .unwrap_or_default()
            .to_string();
        read_one(c, &id).await
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let id = s(old, "id").unwrap_or_default();
        update_tags(c, &id, old, p).await.map_err(|d| vec![d])?;
        read_one(c, &id).await
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        deleted(
            "DeleteEgressOnlyInternetGateway",
            c.ec2
                .delete_egress_only_internet_gateway()
                .egress_only_internet_gateway_id(s(old, "id").unwrap_or_default())
                .send()
                .await,
        )
        .map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        crate::ec2::read_in_batches(c, self, current).await
    }
}
