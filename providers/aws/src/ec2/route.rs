//! `aws_route`: one route in a route table (to an internet or NAT gateway, an
//! interface, a peering connection, a transit gateway, ...). Its id is
//! `r-TABLE` followed by the CRC-32 of the destination, as Terraform's; `iac
//! import` takes Terraform's `TABLE_DESTINATION`.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Route;
use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::iam::policy_document::crc32;
use crate::util::{attr_err, err_code, opt_str, s, same, sdk_err};
use crate::Clients;

pub(crate) struct RouteType;

/// Where a route can send traffic, by Terraform's argument names.
pub(crate) const TARGETS: [&str; 9] = [
    "gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
    "vpc_endpoint_id",
    "egress_only_gateway_id",
    "carrier_gateway_id",
    "local_gateway_id",
];

const DESTINATIONS: [&str; 3] = [
    "destination_cidr_block",
    "destination_ipv6_cidr_block",
    "destination_prefix_list_id",
];

fn destination(v: &Value) -> Option<(&'static str, String)> {
    DESTINATIONS.iter().find_map(|d| s(v, d).map(|x| (*d, x)))
}

fn route_id(table: &str, dest: &str) -> String {
    format!("r-{table}{}", crc32(dest.as_bytes()))
}

pub(crate) fn target_of(r: &Route, name: &str) -> Option<String> {
    match name {
        "gateway_id" => r
            .gateway_id()
            .filter(|g| *g != "local" && !g.starts_with("vpce-"))
            .map(String::from),
        "nat_gateway_id" => r.nat_gateway_id().map(String::from),
        "network_interface_id" => r.network_interface_id().map(String::from),
        "transit_gateway_id" => r.transit_gateway_id().map(String::from),
        "vpc_peering_connection_id" => r.vpc_peering_connection_id().map(String::from),
        "egress_only_gateway_id" => r.egress_only_internet_gateway_id().map(String::from),
        "carrier_gateway_id" => r.carrier_gateway_id().map(String::from),
        "local_gateway_id" => r.local_gateway_id().map(String::from),
        // An endpoint route shows as a gateway id starting with vpce-.
        "vpc_endpoint_id" => r
            .gateway_id()
            .filter(|g| g.starts_with("vpce-"))
            .map(String::from),
        _ => None,
    }
}

fn route_value(table: &str, r: &Route) -> Value {
    let (dname, dest) = match (
        r.destination_cidr_block(),
        r.destination_ipv6_cidr_block(),
        r.destination_prefix_list_id(),
    ) {
        (Some(d), _, _) => ("destination_cidr_block", d),
        (_, Some(d), _) => ("destination_ipv6_cidr_block", d),
        (_, _, Some(d)) => ("destination_prefix_list_id", d),
        _ => ("destination_cidr_block", ""),
    };
    let mut entries: Vec<(&str, Value)> = vec![
        ("id", Value::string(route_id(table, dest))),
        ("route_table_id", Value::string(table)),
        ("origin", opt_str(r.origin().map(|o| o.as_str()))),
        ("state", opt_str(r.state().map(|o| o.as_str()))),
        ("instance_id", opt_str(r.instance_id())),
        ("instance_owner_id", opt_str(r.instance_owner_id())),
    ];
    for d in DESTINATIONS {
        entries.push((
            d,
            if d == dname {
                Value::string(dest)
            } else {
                Value::Null
            },
        ));
    }
    for t in TARGETS {
        let v = match target_of(r, t) {
            Some(x) => Value::string(x),
            None => Value::Null,
        };
        entries.push((t, v));
    }
    Value::map(entries)
}

/// The routes of the tables named, one call for all of them.
async fn tables(
    c: &Clients,
    ids: Vec<String>,
) -> Result<BTreeMap<String, Vec<Route>>, AttrDiagnostic> {
    let mut out = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let r = c
        .ec2
        .describe_route_tables()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("route-table-id")
                .set_values(Some(ids))
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeRouteTables", e))?;
    for t in r.route_tables() {
        out.insert(
            t.route_table_id().unwrap_or_default().to_string(),
            t.routes().to_vec(),
        );
    }
    Ok(out)
}

fn find<'r>(routes: &'r [Route], dname: &str, dest: &str) -> Option<&'r Route> {
    routes.iter().find(|r| match dname {
        "destination_ipv6_cidr_block" => r.destination_ipv6_cidr_block() == Some(dest),
        "destination_prefix_list_id" => r.destination_prefix_list_id() == Some(dest),
        _ => r.destination_cidr_block() == Some(dest),
    })
}

async fn read_one(c: &Clients, table: &str, keep: &Value) -> ApplyResult {
    let Some((dname, dest)) = destination(keep) else {
        return Ok(None);
    };
    let t = tables(c, vec![table.to_string()])
        .await
        .map_err(|d| vec![d])?;
    Ok(t.get(table)
        .and_then(|routes| find(routes, dname, &dest))
        .map(|r| route_value(table, r)))
}

macro_rules! with_route {
    ($req:expr, $p:expr) => {
        $req.route_table_id(s($p, "route_table_id").unwrap_or_default())
            .set_destination_cidr_block(s($p, "destination_cidr_block"))
            .set_destination_ipv6_cidr_block(s($p, "destination_ipv6_cidr_block"))
            .set_destination_prefix_list_id(s($p, "destination_prefix_list_id"))
            .set_gateway_id(s($p, "gateway_id"))
            .set_nat_gateway_id(s($p, "nat_gateway_id"))
            .set_network_interface_id(s($p, "network_interface_id"))
            .set_transit_gateway_id(s($p, "transit_gateway_id"))
            .set_vpc_peering_connection_id(s($p, "vpc_peering_connection_id"))
            .set_vpc_endpoint_id(s($p, "vpc_endpoint_id"))
            .set_egress_only_internet_gateway_id(s($p, "egress_only_gateway_id"))
            .set_carrier_gateway_id(s($p, "carrier_gateway_id"))
            .set_local_gateway_id(s($p, "local_gateway_id"))
    };
}

#[async_trait::async_trait]
impl ResourceType<Clients> for RouteType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        let mut s = Schema::new(
            "One route of a route table. Refresh is one DescribeRouteTables call for every table involved.",
        )
        .attr("route_table_id", Attribute::required(Str, "The table.").force_new());
        for (d, about) in DESTINATIONS.iter().zip([
            "IPv4 destination.",
            "IPv6 destination.",
            "Prefix list destination.",
        ]) {
            s = s.attr(d, Attribute::optional(Str, about).force_new());
        }
        for (t, about) in TARGETS.iter().zip([
            "Internet (or virtual private) gateway.",
            "NAT gateway.",
            "Network interface.",
            "Transit gateway.",
            "VPC peering connection.",
            "Gateway Load Balancer endpoint.",
            "Egress-only internet gateway (IPv6).",
            "Carrier gateway.",
            "Outpost local gateway.",
        ]) {
            s = s.attr(t, Attribute::optional(Str, about));
        }
        s.attr(
            "id",
            Attribute::computed(Str, "r-TABLE and a hash of the destination."),
        )
        .attr("origin", Attribute::computed(Str, "How it was made."))
        .attr("state", Attribute::computed(Str, "active or blackhole."))
        .attr(
            "instance_id",
            Attribute::computed(Str, "Instance behind the interface."),
        )
        .attr("instance_owner_id", Attribute::computed(Str, "Its owner."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        let dests = DESTINATIONS
            .iter()
            .filter(|d| !config.get_attr(d).is_null())
            .count();
        if dests != 1 {
            out.push(attr_err(
                "destination_cidr_block",
                "One destination",
                "set exactly one of destination_cidr_block, destination_ipv6_cidr_block and destination_prefix_list_id",
            ));
        }
        let targets = TARGETS
            .iter()
            .filter(|t| !config.get_attr(t).is_null())
            .count();
        if targets != 1 {
            out.push(attr_err(
                "gateway_id",
                "One target",
                format!("set exactly one target: {}", TARGETS.join(", ")),
            ));
        }
        if !config.get_attr("instance_id").is_null() {
            out.push(attr_err(
                "instance_id",
                "Removed argument",
                "route to the instance's network_interface_id",
            ));
        }
        out
    }

    async fn create(&self, c: &Clients, planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let table = s(planned, "route_table_id").unwrap_or_default();
        match with_route!(c.ec2.create_route(), planned).send().await {
            Ok(_) => {}
            Err(e) if err_code(&e).as_deref() == Some("RouteAlreadyExists") => {
                // An earlier attempt of this create made it, if it goes where this one says.
                let have = read_one(c, &table, planned).await?;
                let same_target = have.as_ref().is_some_and(|h| {
                    TARGETS.iter().all(|t| {
                        planned.get_attr(t).is_null() || same(h.get_attr(t), planned.get_attr(t))
                    })
                });
                if !same_target {
                    let (_, dest) = destination(planned).unwrap_or_default();
                    return Err(vec![attr_err(
                        "destination_cidr_block",
                        "Route already exists",
                        format!("route table {table} already has a route to {dest}, going elsewhere; import it (iac import aws_route.NAME {table}_{dest}) or remove it"),
                    )]);
                }
            }
            Err(e) => return Err(vec![sdk_err("CreateRoute", e)]),
        }
        read_one(c, &table, planned).await
    }

    async fn update(
        &self,
        c: &Clients,
        _: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let table = s(planned, "route_table_id").unwrap_or_default();
        with_route!(c.ec2.replace_route(), planned)
            .send()
            .await
            .map_err(|e| vec![sdk_err("ReplaceRoute", e)])?;
        read_one(c, &table, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let r = c
            .ec2
            .delete_route()
            .route_table_id(s(prior, "route_table_id").unwrap_or_default())
            .set_destination_cidr_block(s(prior, "destination_cidr_block"))
            .set_destination_ipv6_cidr_block(s(prior, "destination_ipv6_cidr_block"))
            .set_destination_prefix_list_id(s(prior, "destination_prefix_list_id"))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteRoute", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        // An import names TABLE_DESTINATION; state has the table and destination.
        let keys: Vec<Value> = current
            .iter()
            .map(|v| {
                if !v.get_attr("route_table_id").is_null() {
                    return v.clone();
                }
                let id = s(v, "id").unwrap_or_default();
                let (table, dest) = id.split_once('_').unwrap_or((id.as_str(), ""));
                let dname = if dest.starts_with("pl-") {
                    "destination_prefix_list_id"
                } else if dest.contains(':') {
                    "destination_ipv6_cidr_block"
                } else {
                    "destination_cidr_block"
                };
                Value::map([
                    ("route_table_id", Value::string(table)),
                    (dname, Value::string(dest)),
                ])
            })
            .collect();
        let ids: Vec<String> = keys
            .iter()
            .filter_map(|k| s(k, "route_table_id"))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let found = match tables(c, ids).await {
            Ok(t) => t,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        keys.iter()
            .map(|k| {
                let table = s(k, "route_table_id").unwrap_or_default();
                let Some((dname, dest)) = destination(k) else {
                    return Ok(None);
                };
                Ok(found
                    .get(&table)
                    .and_then(|routes| find(routes, dname, &dest))
                    .map(|r| route_value(&table, r)))
            })
            .collect()
    }
}
