//! `aws_route_table` with inline routes (omitted `route` blocks leave the routes
//! alone). Refresh reads 200 tables per DescribeRouteTables call.

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting,
    PlanRequest, PlanResponse, Schema,
};
use iac_value::Value;

use std::collections::BTreeMap;

use crate::ec2::{BatchRead, ReadErr};
use crate::kit::aws_plan_with;
use crate::schema::inline_route;
use crate::schema::tags;
use crate::util::set;
use crate::Clients;

#[async_trait::async_trait]
impl BatchRead for RouteTableType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        _: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        crate::net::read_rts(c, ids).await
    }
}

pub(crate) struct RouteTableType;

#[async_trait::async_trait]
impl ResourceType<Clients> for RouteTableType {
    fn schema(&self) -> Schema {
        Schema::new("A route table with inline routes; omitted routes are left alone.")
            .attr(
                "vpc_id",
                Attribute::required(AttrType::String, "VPC.").force_new(),
            )
            .block(
                "route",
                NestedBlock {
                    nesting: Nesting::Set,
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                    block: inline_route(),
                },
            )
            .attr("tags", tags())
            .attr(
                "id",
                Attribute::computed(AttrType::String, "Route table id."),
            )
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
                let omitted = config
                    .get_attr("route")
                    .as_list()
                    .is_none_or(|l| l.is_empty());
                if omitted {
                    let keep = prior
                        .map(|p| p.get_attr("route").clone())
                        .unwrap_or(Value::Unknown);
                    set(planned, "route", keep);
                }
            },
            &|_, _| {},
        )
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let _ = req;
        crate::net::create_rt(c, p, req.idempotency_token)
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
        crate::net::update_rt(c, old, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        crate::net::delete_rt(c, old).await.map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        crate::ec2::read_in_batches(c, self, current).await
    }
}
