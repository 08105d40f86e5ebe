//! `aws_internet_gateway`, attached to a VPC (a new `vpc_id` detaches and attaches).
//! Refresh reads 200 gateways per DescribeInternetGateways call.

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use std::collections::BTreeMap;

use crate::ec2::{BatchRead, ReadErr};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::Clients;

#[async_trait::async_trait]
impl BatchRead for InternetGatewayType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        _: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        crate::net::read_igws(c, ids).await
    }
}

pub(crate) struct InternetGatewayType;

#[async_trait::async_trait]
impl ResourceType<Clients> for InternetGatewayType {
    fn schema(&self) -> Schema {
        Schema::new("An internet gateway, attached to a VPC.")
            .attr(
                "vpc_id",
                Attribute::optional(
                    AttrType::String,
                    "VPC to attach to; changed by detach and attach.",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(AttrType::String, "Gateway id."))
            .attr("arn", Attribute::computed(AttrType::String, "ARN."))
            .attr(
                "owner_id",
                Attribute::computed(AttrType::String, "Owning account."),
            )
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let _ = req;
        crate::net::create_igw(c, p, req.idempotency_token)
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
        crate::net::update_igw(c, old, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        crate::net::delete_igw(c, old).await.map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        crate::ec2::read_in_batches(c, self, current).await
    }
}
