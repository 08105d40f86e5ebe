//! Internet gateways, route tables and route table associations.

use aws_sdk_ec2::types::{Filter, ResourceType, RouteOrigin};
use iac_provider::AttrDiagnostic;
use iac_value::Value;

use crate::ec2::{adopted_id, classify, region, tag_spec, update_tags, ReadErr};
use crate::util::{deleted, err_code, opt_str, s, sdk_err, set, tags_of, tags_value};
use crate::Clients;

// ---- Internet gateway ----

fn igw_value(c: &Clients, g: &aws_sdk_ec2::types::InternetGateway) -> Value {
    let id = g.internet_gateway_id().unwrap_or_default();
    let owner = g.owner_id().unwrap_or_default();
    Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::String(format!(
                "arn:aws:ec2:{}:{owner}:internet-gateway/{id}",
                region(c)
            )),
        ),
        ("owner_id", Value::string(owner)),
        (
            "vpc_id",
            opt_str(g.attachments().first().and_then(|a| a.vpc_id())),
        ),
        ("tags", tags_value(g.tags())),
    ])
}

async fn describe_igw(
    c: &Clients,
    id: &str,
) -> Result<aws_sdk_ec2::types::InternetGateway, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_internet_gateways()
        .internet_gateway_ids(id)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeInternetGateways", e))?;
    out.internet_gateways().first().cloned().ok_or_else(|| {
        AttrDiagnostic::error(Vec::new(), "Internet gateway vanished", id.to_string())
    })
}

pub async fn create_igw(
    c: &Clients,
    p: &Value,
    token: &str,
) -> Result<Option<Value>, AttrDiagnostic> {
    let id = match adopted_id(c, token, "internet-gateway").await? {
        Some(id) => id,
        None => {
            let out = c
                .ec2
                .create_internet_gateway()
                .tag_specifications(tag_spec(ResourceType::InternetGateway, &tags_of(p), token))
                .send()
                .await
                .map_err(|e| sdk_err("CreateInternetGateway", e))?;
            out.internet_gateway()
                .and_then(|g| g.internet_gateway_id())
                .unwrap_or_default()
                .to_string()
        }
    };
    let g = describe_igw(c, &id).await?;
    if let (Some(vpc), None) = (s(p, "vpc_id"), g.attachments().first()) {
        c.ec2
            .attach_internet_gateway()
            .internet_gateway_id(&id)
            .vpc_id(vpc)
            .send()
            .await
            .map_err(|e| sdk_err("AttachInternetGateway", e))?;
    }
    Ok(Some(igw_value(c, &describe_igw(c, &id).await?)))
}

async fn detach(c: &Clients, id: &str, vpc: &str) -> Result<(), AttrDiagnostic> {
    match c
        .ec2
        .detach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if err_code(&e)
                .is_some_and(|c| c.contains("NotFound") || c == "Gateway.NotAttached") =>
        {
            Ok(())
        }
        Err(e) => Err(sdk_err("DetachInternetGateway", e)),
    }
}

pub async fn update_igw(
    c: &Clients,
    old: &Value,
    p: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    update_tags(c, &id, old, p).await?;
    if old.get_attr("vpc_id") != p.get_attr("vpc_id") {
        if let Some(v) = s(old, "vpc_id") {
            detach(c, &id, &v).await?;
        }
        if let Some(v) = s(p, "vpc_id") {
            c.ec2
                .attach_internet_gateway()
                .internet_gateway_id(&id)
                .vpc_id(v)
                .send()
                .await
                .map_err(|e| sdk_err("AttachInternetGateway", e))?;
        }
    }
    Ok(Some(igw_value(c, &describe_igw(c, &id).await?)))
}

pub async fn delete_igw(c: &Clients, old: &Value) -> Result<(), AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    if let Some(v) = s(old, "vpc_id") {
        detach(c, &id, &v).await?;
    }
    deleted(
        "DeleteInternetGateway",
        c.ec2
            .delete_internet_gateway()
            .internet_gateway_id(&id)
            .send()
            .await,
    )
}

pub async fn read_igws(c: &Clients, ids: &[String]) -> Result<Vec<(String, Value)>, ReadErr> {
    let out = c
        .ec2
        .describe_internet_gateways()
        .set_internet_gateway_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| classify("DescribeInternetGateways", e))?;
    Ok(out
        .internet_gateways()
        .iter()
        .map(|g| {
            (
                g.internet_gateway_id().unwrap_or_default().to_string(),
                igw_value(c, g),
            )
        })
        .collect())
}

// ---- Route table ----

/// An inline route as the route block has it (every target, null where unset).
fn route_value(r: &aws_sdk_ec2::types::Route) -> Value {
    let mut entries: Vec<(&str, Value)> = vec![
        ("cidr_block", opt_str(r.destination_cidr_block())),
        ("ipv6_cidr_block", opt_str(r.destination_ipv6_cidr_block())),
        (
            "destination_prefix_list_id",
            opt_str(r.destination_prefix_list_id()),
        ),
    ];
    for t in crate::ec2::route::TARGETS {
        entries.push((t, opt_str(crate::ec2::route::target_of(r, t).as_deref())));
    }
    Value::map(entries)
}

pub(crate) fn rt_value(c: &Clients, t: &aws_sdk_ec2::types::RouteTable) -> Value {
    let id = t.route_table_id().unwrap_or_default();
    let owner = t.owner_id().unwrap_or_default();
    let routes: Vec<Value> = t
        .routes()
        .iter()
        // The local route, and a Gateway VPC endpoint's routes (the endpoint's
        // route_table_ids manage them), are not the table's own, as in Terraform.
        .filter(|r| {
            r.origin() != Some(&RouteOrigin::CreateRouteTable)
                && r.gateway_id() != Some("local")
                && !r.gateway_id().is_some_and(|g| g.starts_with("vpce-"))
        })
        .map(route_value)
        .collect();
    Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::String(format!(
                "arn:aws:ec2:{}:{owner}:route-table/{id}",
                region(c)
            )),
        ),
        ("owner_id", Value::string(owner)),
        ("vpc_id", opt_str(t.vpc_id())),
        ("route", Value::set(routes)),
        ("tags", tags_value(t.tags())),
    ])
}

pub(crate) async fn describe_rt(
    c: &Clients,
    id: &str,
) -> Result<aws_sdk_ec2::types::RouteTable, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_route_tables()
        .route_table_ids(id)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeRouteTables", e))?;
    out.route_tables()
        .first()
        .cloned()
        .ok_or_else(|| AttrDiagnostic::error(Vec::new(), "Route table vanished", id.to_string()))
}

pub(crate) async fn sync_routes(
    c: &Clients,
    id: &str,
    old: &Value,
    new: &Value,
) -> Result<(), AttrDiagnostic> {
    let list = |v: &Value| v.as_list().map(|l| l.to_vec()).unwrap_or_default();
    let (old, new) = (list(old), list(new));
    // Compare as the route block has them: every attribute, null where unset.
    let norm = |r: &Value| {
        let mut n = r.clone();
        for k in [
            "cidr_block",
            "ipv6_cidr_block",
            "destination_prefix_list_id",
        ]
        .into_iter()
        .chain(crate::ec2::route::TARGETS)
        {
            if n.get_attr(k).is_null() {
                set(&mut n, k, Value::Null);
            }
        }
        n
    };
    let (old, new): (Vec<Value>, Vec<Value>) = (
        old.iter().map(norm).collect(),
        new.iter().map(norm).collect(),
    );
    for r in old.iter().filter(|r| !new.contains(r)) {
        c.ec2
            .delete_route()
            .route_table_id(id)
            .set_destination_cidr_block(s(r, "cidr_block"))
            .set_destination_ipv6_cidr_block(s(r, "ipv6_cidr_block"))
            .set_destination_prefix_list_id(s(r, "destination_prefix_list_id"))
            .send()
            .await
            .map_err(|e| sdk_err("DeleteRoute", e))?;
    }
    for r in new.iter().filter(|r| !old.contains(r)) {
        c.ec2
            .create_route()
            .route_table_id(id)
            .set_destination_cidr_block(s(r, "cidr_block"))
            .set_destination_ipv6_cidr_block(s(r, "ipv6_cidr_block"))
            .set_destination_prefix_list_id(s(r, "destination_prefix_list_id"))
            .set_gateway_id(s(r, "gateway_id"))
            .set_nat_gateway_id(s(r, "nat_gateway_id"))
            .set_network_interface_id(s(r, "network_interface_id"))
            .set_transit_gateway_id(s(r, "transit_gateway_id"))
            .set_vpc_peering_connection_id(s(r, "vpc_peering_connection_id"))
            .set_vpc_endpoint_id(s(r, "vpc_endpoint_id"))
            .set_egress_only_internet_gateway_id(s(r, "egress_only_gateway_id"))
            .set_carrier_gateway_id(s(r, "carrier_gateway_id"))
            .set_local_gateway_id(s(r, "local_gateway_id"))
            .send()
            .await
            .map_err(|e| sdk_err("CreateRoute", e))?;
    }
    Ok(())
}

pub async fn create_rt(
    c: &Clients,
    p: &Value,
    token: &str,
) -> Result<Option<Value>, AttrDiagnostic> {
    let id = match adopted_id(c, token, "route-table").await? {
        Some(id) => id,
        None => {
            let out = c
                .ec2
                .create_route_table()
                .set_vpc_id(s(p, "vpc_id"))
                .tag_specifications(tag_spec(ResourceType::RouteTable, &tags_of(p), token))
                .send()
                .await
                .map_err(|e| sdk_err("CreateRouteTable", e))?;
            out.route_table()
                .and_then(|t| t.route_table_id())
                .unwrap_or_default()
                .to_string()
        }
    };
    if !p.get_attr("route").is_unknown() {
        let have = rt_value(c, &describe_rt(c, &id).await?);
        sync_routes(c, &id, have.get_attr("route"), p.get_attr("route")).await?;
    }
    Ok(Some(rt_value(c, &describe_rt(c, &id).await?)))
}

pub async fn update_rt(
    c: &Clients,
    old: &Value,
    p: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    update_tags(c, &id, old, p).await?;
    if !p.get_attr("route").is_unknown() {
        sync_routes(c, &id, old.get_attr("route"), p.get_attr("route")).await?;
    }
    Ok(Some(rt_value(c, &describe_rt(c, &id).await?)))
}

pub async fn delete_rt(c: &Clients, old: &Value) -> Result<(), AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    deleted(
        "DeleteRouteTable",
        c.ec2.delete_route_table().route_table_id(&id).send().await,
    )
}

pub async fn read_rts(c: &Clients, ids: &[String]) -> Result<Vec<(String, Value)>, ReadErr> {
    let out = c
        .ec2
        .describe_route_tables()
        .set_route_table_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| classify("DescribeRouteTables", e))?;
    Ok(out
        .route_tables()
        .iter()
        .map(|t| {
            (
                t.route_table_id().unwrap_or_default().to_string(),
                rt_value(c, t),
            )
        })
        .collect())
}

// ---- Association ----

pub async fn create_assoc(c: &Clients, p: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let out = c
        .ec2
        .associate_route_table()
        .set_route_table_id(s(p, "route_table_id"))
        .set_subnet_id(s(p, "subnet_id"))
        .set_gateway_id(s(p, "gateway_id"))
        .send()
        .await
        .map_err(|e| sdk_err("AssociateRouteTable", e))?;
    let mut v = p.clone();
    set(&mut v, "id", opt_str(out.association_id()));
    Ok(Some(v))
}

pub async fn delete_assoc(c: &Clients, old: &Value) -> Result<(), AttrDiagnostic> {
    deleted(
        "DisassociateRouteTable",
        c.ec2
            .disassociate_route_table()
            .set_association_id(s(old, "id"))
            .send()
            .await,
    )
}

/// Associations, read in one call by their ids.
/// An import id `subnet-.../rtb-...` or `igw-.../rtb-...` (Terraform's forms) as
/// the association it names.
async fn resolve_import(c: &Clients, v: &Value) -> Value {
    let Some((target, rt)) = s(v, "id").and_then(|id| {
        id.split_once('/')
            .map(|(a, b)| (a.to_string(), b.to_string()))
    }) else {
        return v.clone();
    };
    let Ok(out) = c
        .ec2
        .describe_route_tables()
        .route_table_ids(&rt)
        .send()
        .await
    else {
        return v.clone();
    };
    let subnet = target.starts_with("subnet-");
    let assoc = out
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .find(|a| {
            if subnet {
                a.subnet_id() == Some(target.as_str())
            } else {
                a.gateway_id() == Some(target.as_str())
            }
        })
        .and_then(|a| a.route_table_association_id().map(String::from));
    let (subnet_id, gateway_id) = if subnet {
        (Value::String(target), Value::Null)
    } else {
        (Value::Null, Value::String(target))
    };
    Value::map([
        (
            "id",
            assoc.map(Value::String).unwrap_or(Value::string("missing")),
        ),
        ("subnet_id", subnet_id),
        ("gateway_id", gateway_id),
        ("route_table_id", Value::String(rt)),
    ])
}

pub async fn read_assocs(
    c: &Clients,
    current: &[Value],
) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
    let mut resolved = Vec::with_capacity(current.len());
    for v in current {
        resolved.push(resolve_import(c, v).await);
    }
    let current = &resolved[..];
    let ids: Vec<String> = current.iter().filter_map(|v| s(v, "id")).collect();
    if ids.is_empty() {
        return current.iter().map(|_| Ok(None)).collect();
    }
    let out = c
        .ec2
        .describe_route_tables()
        .filters(
            Filter::builder()
                .name("association.route-table-association-id")
                .set_values(Some(ids))
                .build(),
        )
        .send()
        .await;
    let tables = match out {
        Ok(o) => o.route_tables().to_vec(),
        Err(e) => {
            let d = sdk_err("DescribeRouteTables", e);
            return current.iter().map(|_| Err(d.clone())).collect();
        }
    };
    current
        .iter()
        .map(|v| {
            let id = s(v, "id").unwrap_or_default();
            let found = tables.iter().find_map(|t| {
                t.associations()
                    .iter()
                    .find(|a| a.route_table_association_id() == Some(id.as_str()))
                    .map(|a| {
                        (
                            t.route_table_id().map(String::from),
                            a.subnet_id().map(String::from),
                            a.gateway_id().map(String::from),
                        )
                    })
            });
            Ok(found.map(|(rt, subnet, gateway)| {
                let mut x = v.clone();
                set(
                    &mut x,
                    "route_table_id",
                    rt.map(Value::String).unwrap_or(Value::Null),
                );
                set(
                    &mut x,
                    "subnet_id",
                    subnet.map(Value::String).unwrap_or(Value::Null),
                );
                set(
                    &mut x,
                    "gateway_id",
                    gateway.map(Value::String).unwrap_or(Value::Null),
                );
                x
            }))
        })
        .collect()
}
