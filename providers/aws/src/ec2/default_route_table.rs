//! `aws_default_route_table`: adopts a VPC's main route table (AWS makes it with
//! the VPC and never lets it be deleted) and manages its inline routes and tags.
//! As with `aws_route_table`, no `route` blocks leaves the routes alone (for
//! `aws_route` resources). Destroy only forgets it.

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting,
    PlanRequest, PlanResponse, Schema,
};
use iac_value::Value;

use crate::ec2::update_tags;
use crate::kit::aws_plan;
use crate::net::{describe_rt, rt_value, sync_routes};
use crate::schema::{inline_route, tags};
use crate::util::{s, sdk_err, set};
use crate::Clients;

pub(crate) struct DefaultRouteTableType;

fn value(c: &Clients, t: &aws_sdk_ec2::types::RouteTable) -> Value {
    let mut v = rt_value(c, t);
    set(
        &mut v,
        "default_route_table_id",
        Value::string(t.route_table_id().unwrap_or_default()),
    );
    v
}

fn routes_given(config: &Value) -> bool {
    config
        .get_attr("route")
        .as_list()
        .is_some_and(|l| !l.is_empty())
        || config.get_attr("route").is_unknown()
}

#[async_trait::async_trait]
impl ResourceType<Clients> for DefaultRouteTableType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("A VPC's main route table, adopted. Refresh reads 1,000 tables per DescribeRouteTables call.")
            .attr(
                "default_route_table_id",
                Attribute::required(Str, "The main route table (aws_vpc.x.default_route_table_id).").force_new(),
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
            .attr("id", Attribute::computed(Str, "Route table id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("owner_id", Attribute::computed(Str, "Owning account."))
            .attr("vpc_id", Attribute::computed(Str, "VPC."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        if !routes_given(req.config) {
            let keep = req
                .prior
                .map(|p| p.get_attr("route").clone())
                .unwrap_or(Value::Unknown);
            set(&mut r.planned, "route", keep);
        }
        r
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let id = s(p, "default_route_table_id").unwrap_or_default();
        let have = value(c, &describe_rt(c, &id).await.map_err(|d| vec![d])?);
        if routes_given(p) {
            sync_routes(c, &id, have.get_attr("route"), p.get_attr("route"))
                .await
                .map_err(|d| vec![d])?;
        }
        update_tags(c, &id, &have, p).await.map_err(|d| vec![d])?;
        Ok(Some(value(
            c,
            &describe_rt(c, &id).await.map_err(|d| vec![d])?,
        )))
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
        if routes_given(p) {
            sync_routes(c, &id, old.get_attr("route"), p.get_attr("route"))
                .await
                .map_err(|d| vec![d])?;
        }
        Ok(Some(value(
            c,
            &describe_rt(c, &id).await.map_err(|d| vec![d])?,
        )))
    }

    /// Only forgotten: the main table goes with its VPC.
    async fn delete(
        &self,
        _: &Clients,
        _: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        Ok(())
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids: Vec<String> = current
            .iter()
            .map(|v| {
                s(v, "id")
                    .or_else(|| s(v, "default_route_table_id"))
                    .unwrap_or_default()
            })
            .collect();
        let mut out = Vec::with_capacity(current.len());
        let mut found: std::collections::BTreeMap<String, Value> = Default::default();
        for chunk in ids.chunks(1000) {
            let ask: Vec<String> = chunk.iter().filter(|i| !i.is_empty()).cloned().collect();
            if ask.is_empty() {
                continue;
            }
            match c
                .ec2
                .describe_route_tables()
                .set_route_table_ids(Some(ask.clone()))
                .send()
                .await
            {
                Ok(o) => {
                    for t in o.route_tables() {
                        found.insert(
                            t.route_table_id().unwrap_or_default().to_string(),
                            value(c, t),
                        );
                    }
                }
                Err(e) if crate::util::err_code(&e).is_some_and(|c| c.ends_with(".NotFound")) => {
                    for one in &ask {
                        if let Ok(t) = describe_rt(c, one).await {
                            found.insert(one.clone(), value(c, &t));
                        }
                    }
                }
                Err(e) => {
                    let d = sdk_err("DescribeRouteTables", e);
                    return current.iter().map(|_| Err(d.clone())).collect();
                }
            }
        }
        for id in &ids {
            out.push(Ok(found.get(id).cloned()));
        }
        out
    }
}
