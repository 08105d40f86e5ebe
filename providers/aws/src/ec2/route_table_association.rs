//! `aws_route_table_association`: a subnet (or gateway) on a route table; every
//! argument replaces it. Refresh reads the tables of all associations in one call.

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::kit::aws_plan;
use crate::Clients;

pub(crate) struct RouteTableAssociationType;

#[async_trait::async_trait]
impl ResourceType<Clients> for RouteTableAssociationType {
    fn schema(&self) -> Schema {
        Schema::new("Associates a subnet, or an internet or virtual private gateway (an edge association), with a route table.")
            .attr(
                "subnet_id",
                Attribute::optional(AttrType::String, "Subnet.").force_new(),
            )
            .attr(
                "gateway_id",
                Attribute::optional(
                    AttrType::String,
                    "Internet or virtual private gateway: its incoming traffic is routed by the table.",
                )
                .force_new(),
            )
            .attr(
                "route_table_id",
                Attribute::required(AttrType::String, "Route table.").force_new(),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "Association id."),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let subnet = config.get_attr("subnet_id");
        let gateway = config.get_attr("gateway_id");
        match (subnet.is_null(), gateway.is_null()) {
            (true, true) => vec![crate::util::attr_err(
                "subnet_id",
                "Nothing to associate",
                "set subnet_id, or gateway_id for an edge association",
            )],
            (false, false) => vec![crate::util::attr_err(
                "gateway_id",
                "Conflicting arguments",
                "set subnet_id or gateway_id, not both",
            )],
            _ => Vec::new(),
        }
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let _ = req;
        crate::net::create_assoc(c, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        crate::net::delete_assoc(c, old).await.map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        crate::net::read_assocs(c, current).await
    }
}
