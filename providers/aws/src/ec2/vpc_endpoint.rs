//! `aws_vpc_endpoint`: a private way from a VPC to an AWS service, either a
//! Gateway endpoint (S3 and DynamoDB, reached through route tables) or an
//! Interface endpoint (network interfaces in subnets, with security groups and
//! private DNS). Route tables, subnets, security groups and the policy change in
//! place with ModifyVpcEndpoint; the VPC, service and type replace it. Refresh
//! reads 200 endpoints per DescribeVpcEndpoints call.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    DnsOptionsSpecification, DnsRecordIpType, IpAddressType, ResourceType as Kind,
    SubnetConfiguration, VpcEndpoint, VpcEndpointType as EndpointKind,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use crate::ec2::{classify, region, tag_spec, update_tags, BatchRead, ReadErr};
use crate::kit::aws_plan_with;
use crate::schema::{nested, tags};
use crate::util::{first, opt_str, s, sdk_err, set, strings, tags_of, tags_value};
use crate::Clients;

pub(crate) struct VpcEndpointType;

fn str_set(items: &[String]) -> Value {
    Value::set(items.iter().map(Value::string).collect())
}

fn endpoint_value(c: &Clients, e: &VpcEndpoint, keep: &Value) -> Value {
    let id = e.vpc_endpoint_id().unwrap_or_default();
    let owner = e.owner_id().unwrap_or_default();
    let groups: Vec<String> = e
        .groups()
        .iter()
        .filter_map(|g| g.group_id().map(String::from))
        .collect();
    let dns: Vec<Value> = e
        .dns_entries()
        .iter()
        .map(|d| {
            Value::map([
                ("dns_name", opt_str(d.dns_name())),
                ("hosted_zone_id", opt_str(d.hosted_zone_id())),
            ])
        })
        .collect();
    let policy = match e.policy_document() {
        Some(p) => crate::iam::document_value(Some(p), keep, "policy"),
        None => Value::Null,
    };
    // As written where AWS's answer leaves it out (moto keeps no DNS options).
    let dns_options = match e.dns_options() {
        Some(o) if o.dns_record_ip_type().is_some() => Value::List(vec![Value::map([
            (
                "dns_record_ip_type",
                opt_str(o.dns_record_ip_type().map(|t| t.as_str())),
            ),
            (
                "private_dns_only_for_inbound_resolver_endpoint",
                o.private_dns_only_for_inbound_resolver_endpoint()
                    .map_or(Value::Null, Value::Bool),
            ),
        ])]),
        _ => crate::util::known(keep.get_attr("dns_options")),
    };
    Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::string(format!(
                "arn:aws:ec2:{}:{owner}:vpc-endpoint/{id}",
                region(c)
            )),
        ),
        ("owner_id", Value::string(owner)),
        ("vpc_id", opt_str(e.vpc_id())),
        ("service_name", opt_str(e.service_name())),
        (
            "vpc_endpoint_type",
            opt_str(e.vpc_endpoint_type().map(|t| t.as_str())),
        ),
        ("state", opt_str(e.state().map(|st| st.as_str()))),
        ("policy", policy),
        (
            "private_dns_enabled",
            e.private_dns_enabled().map_or(Value::Null, Value::Bool),
        ),
        (
            "ip_address_type",
            match e.ip_address_type() {
                Some(t) => Value::string(t.as_str()),
                None => crate::util::known(keep.get_attr("ip_address_type")),
            },
        ),
        ("route_table_ids", str_set(e.route_table_ids())),
        ("subnet_ids", str_set(e.subnet_ids())),
        ("security_group_ids", str_set(&groups)),
        ("network_interface_ids", str_set(e.network_interface_ids())),
        ("dns_entry", Value::List(dns)),
        ("dns_options", dns_options),
        (
            "subnet_configuration",
            crate::util::known(keep.get_attr("subnet_configuration")),
        ),
        (
            "requester_managed",
            e.requester_managed().map_or(Value::Null, Value::Bool),
        ),
        ("auto_accept", keep.get_attr("auto_accept").clone()),
        ("tags", tags_value(e.tags())),
    ])
}

async fn describe(c: &Clients, ids: &[String]) -> Result<Vec<VpcEndpoint>, ReadErr> {
    c.ec2
        .describe_vpc_endpoints()
        .set_vpc_endpoint_ids(Some(ids.to_vec()))
        .send()
        .await
        .map(|o| o.vpc_endpoints().to_vec())
        .map_err(|e| classify("DescribeVpcEndpoints", e))
}

/// The prefix lists of the Gateway endpoints' services, by service name, with
/// their ranges: one DescribePrefixLists call for all of them.
async fn prefix_lists(
    c: &Clients,
    endpoints: &[VpcEndpoint],
) -> Result<BTreeMap<String, (String, Vec<String>)>, ReadErr> {
    let mut names: Vec<String> = endpoints
        .iter()
        .filter(|e| e.vpc_endpoint_type().map(|t| t.as_str()) == Some("Gateway"))
        .filter_map(|e| e.service_name().map(String::from))
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(BTreeMap::new());
    }
    let out = c
        .ec2
        .describe_prefix_lists()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("prefix-list-name")
                .set_values(Some(names))
                .build(),
        )
        .send()
        .await
        .map_err(|e| classify("DescribePrefixLists", e))?;
    Ok(out
        .prefix_lists()
        .iter()
        .filter_map(|l| {
            Some((
                l.prefix_list_name()?.to_string(),
                (l.prefix_list_id()?.to_string(), l.cidrs().to_vec()),
            ))
        })
        .collect())
}

/// Endpoints as state has them, with their services' prefix lists.
async fn values(
    c: &Clients,
    endpoints: &[VpcEndpoint],
    keep: &(dyn Fn(&str) -> Value + Sync),
) -> Result<Vec<(String, Value)>, ReadErr> {
    let lists = prefix_lists(c, endpoints).await?;
    Ok(endpoints
        .iter()
        // A deleted endpoint lingers as "deleted" for a while: it is gone.
        .filter(|e| {
            e.state()
                .is_none_or(|st| !st.as_str().eq_ignore_ascii_case("deleted"))
        })
        .map(|e| {
            let id = e.vpc_endpoint_id().unwrap_or_default();
            let mut v = endpoint_value(c, e, &keep(id));
            let list = e.service_name().and_then(|n| lists.get(n));
            set(
                &mut v,
                "prefix_list_id",
                opt_str(list.map(|l| l.0.as_str())),
            );
            set(
                &mut v,
                "cidr_blocks",
                list.map_or(Value::Null, |l| {
                    Value::List(l.1.iter().map(Value::string).collect())
                }),
            );
            (id.to_string(), v)
        })
        .collect())
}

async fn read_one(c: &Clients, id: &str, keep: &Value) -> ApplyResult {
    let err = |e| crate::ec2::vanished(e, "VPC endpoint");
    let found = describe(c, &[id.to_string()]).await.map_err(err)?;
    let v = values(c, &found, &|_| keep.clone()).await.map_err(err)?;
    Ok(v.into_iter().next().map(|(_, v)| v))
}

/// The DNS options block as the request takes it.
fn dns_options(p: &Value) -> Option<DnsOptionsSpecification> {
    let o = first(p, "dns_options");
    (!o.is_null()).then(|| {
        DnsOptionsSpecification::builder()
            .set_dns_record_ip_type(
                s(&o, "dns_record_ip_type").map(|t| DnsRecordIpType::from(t.as_str())),
            )
            .set_private_dns_only_for_inbound_resolver_endpoint(
                o.get_attr("private_dns_only_for_inbound_resolver_endpoint")
                    .as_bool(),
            )
            .build()
    })
}

fn subnet_configurations(p: &Value) -> Option<Vec<SubnetConfiguration>> {
    let items: Vec<SubnetConfiguration> = p
        .get_attr("subnet_configuration")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|sc| {
            SubnetConfiguration::builder()
                .set_subnet_id(s(sc, "subnet_id"))
                .set_ipv4(s(sc, "ipv4"))
                .set_ipv6(s(sc, "ipv6"))
                .build()
        })
        .collect();
    (!items.is_empty()).then_some(items)
}

/// What changes in place: the difference of each set, and the policy.
async fn modify(c: &Clients, id: &str, old: &Value, p: &Value) -> Result<(), AttrDiagnostic> {
    let diff = |k: &str| {
        let (was, now) = (strings(old, k), strings(p, k));
        let add: Vec<String> = now.iter().filter(|x| !was.contains(x)).cloned().collect();
        let remove: Vec<String> = was.iter().filter(|x| !now.contains(x)).cloned().collect();
        (
            (!add.is_empty()).then_some(add),
            (!remove.is_empty()).then_some(remove),
        )
    };
    let (add_rt, remove_rt) = diff("route_table_ids");
    let (add_sn, remove_sn) = diff("subnet_ids");
    let (add_sg, remove_sg) = diff("security_group_ids");
    let policy_changed = !crate::util::same(old.get_attr("policy"), p.get_attr("policy"))
        && s(p, "policy").is_some();
    let dns_changed = old.get_attr("private_dns_enabled") != p.get_attr("private_dns_enabled")
        && p.get_attr("private_dns_enabled").as_bool().is_some();
    let options_changed = old.get_attr("dns_options") != p.get_attr("dns_options")
        || old.get_attr("ip_address_type") != p.get_attr("ip_address_type")
        || old.get_attr("subnet_configuration") != p.get_attr("subnet_configuration");
    let any = [
        &add_rt, &remove_rt, &add_sn, &remove_sn, &add_sg, &remove_sg,
    ]
    .iter()
    .any(|x| x.is_some());
    if !any && !policy_changed && !dns_changed && !options_changed {
        return Ok(());
    }
    c.ec2
        .modify_vpc_endpoint()
        .vpc_endpoint_id(id)
        .set_add_route_table_ids(add_rt)
        .set_remove_route_table_ids(remove_rt)
        .set_add_subnet_ids(add_sn)
        .set_remove_subnet_ids(remove_sn)
        .set_add_security_group_ids(add_sg)
        .set_remove_security_group_ids(remove_sg)
        .set_policy_document(if policy_changed { s(p, "policy") } else { None })
        .set_private_dns_enabled(if dns_changed {
            p.get_attr("private_dns_enabled").as_bool()
        } else {
            None
        })
        .set_dns_options(if options_changed {
            dns_options(p)
        } else {
            None
        })
        .set_ip_address_type(if options_changed {
            s(p, "ip_address_type").map(|t| IpAddressType::from(t.as_str()))
        } else {
            None
        })
        .set_subnet_configurations(if options_changed {
            subnet_configurations(p)
        } else {
            None
        })
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err("ModifyVpcEndpoint", e))
}

#[async_trait::async_trait]
impl BatchRead for VpcEndpointType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        prior: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        let found = describe(c, ids).await?;
        values(c, &found, &|id| {
            prior.get(id).map_or(Value::Null, |v| (*v).clone())
        })
        .await
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for VpcEndpointType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, List, Map, Set, String as Str};
        let strs = || Set(Box::new(Str));
        let oc = Attribute::optional_computed;
        Schema::new("A VPC endpoint: a private way to an AWS service, through route tables (Gateway: S3, DynamoDB) or interfaces in subnets (Interface). Refresh reads 200 per DescribeVpcEndpoints call.")
            .attr("vpc_id", Attribute::required(Str, "The VPC.").force_new())
            .attr("service_name", Attribute::optional(Str, "The service, such as com.amazonaws.us-east-1.s3.").force_new())
            .attr("vpc_endpoint_type", Attribute::optional(Str, "Gateway (default) or Interface.").force_new())
            .attr("auto_accept", Attribute::optional(Bool, "Accept the endpoint on a service of this account."))
            .attr("policy", oc(Str, "Access policy (JSON; default: full access); changed in place."))
            .attr("private_dns_enabled", oc(Bool, "Private DNS names for the service (Interface)."))
            .attr("ip_address_type", oc(Str, "ipv4, dualstack or ipv6 (Interface)."))
            .attr("route_table_ids", oc(strs(), "Route tables that route to it (Gateway); changed in place."))
            .attr("subnet_ids", oc(strs(), "Subnets it has interfaces in (Interface); changed in place."))
            .attr("security_group_ids", oc(strs(), "Security groups of its interfaces (Interface); changed in place."))
            .block(
                "dns_options",
                nested(
                    Nesting::List,
                    0,
                    Some(1),
                    Schema::new("DNS records of an Interface endpoint.")
                        .attr("dns_record_ip_type", oc(Str, "ipv4, dualstack, ipv6 or service-defined."))
                        .attr(
                            "private_dns_only_for_inbound_resolver_endpoint",
                            Attribute::optional(Bool, "Private DNS only for the Route 53 inbound resolver."),
                        ),
                ),
            )
            .block(
                "subnet_configuration",
                nested(
                    Nesting::Set,
                    0,
                    None,
                    Schema::new("Fixed addresses of the endpoint's interface in a subnet.")
                        .attr("subnet_id", Attribute::optional(Str, "The subnet."))
                        .attr("ipv4", Attribute::optional(Str, "IPv4 address."))
                        .attr("ipv6", Attribute::optional(Str, "IPv6 address.")),
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "Endpoint id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("owner_id", Attribute::computed(Str, "Owning account."))
            .attr("state", Attribute::computed(Str, "available, pending, ..."))
            .attr("network_interface_ids", Attribute::computed(strs(), "Its interfaces (Interface)."))
            .attr("requester_managed", Attribute::computed(Bool, "Whether AWS manages it for you."))
            .attr("prefix_list_id", Attribute::computed(Str, "The service's prefix list (Gateway)."))
            .attr("cidr_blocks", Attribute::computed(List(Box::new(Str)), "The prefix list's ranges (Gateway)."))
            .attr(
                "dns_entry",
                Attribute::computed(
                    List(Box::new(Map(Box::new(Str)))),
                    "DNS names of an Interface endpoint: each a dns_name and a hosted_zone_id.",
                ),
            )
    }

    /// The type defaults to Gateway, as in AWS, before what replaces is decided.
    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let unset = req.config.get_attr("vpc_endpoint_type").is_null();
        aws_plan_with(
            schema,
            req,
            &|planned| {
                if unset {
                    set(planned, "vpc_endpoint_type", Value::string("Gateway"));
                }
            },
            &|_, _| {},
        )
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        let kind = s(p, "vpc_endpoint_type").unwrap_or_else(|| "Gateway".into());
        let non_empty = |k: &str| Some(strings(p, k)).filter(|v| !v.is_empty());
        let out = c
            .ec2
            .create_vpc_endpoint()
            .set_vpc_id(s(p, "vpc_id"))
            .set_service_name(s(p, "service_name"))
            .vpc_endpoint_type(EndpointKind::from(kind.as_str()))
            .set_policy_document(s(p, "policy"))
            .set_private_dns_enabled(p.get_attr("private_dns_enabled").as_bool())
            .set_route_table_ids(non_empty("route_table_ids"))
            .set_subnet_ids(non_empty("subnet_ids"))
            .set_security_group_ids(non_empty("security_group_ids"))
            .set_ip_address_type(s(p, "ip_address_type").map(|t| IpAddressType::from(t.as_str())))
            .set_dns_options(dns_options(p))
            .set_subnet_configurations(subnet_configurations(p))
            // AWS's own guard: the same token again returns the first endpoint.
            .client_token(token)
            .tag_specifications(tag_spec(Kind::VpcEndpoint, &tags_of(p), token))
            .send()
            .await
            .map_err(|e| vec![sdk_err("CreateVpcEndpoint", e)])?;
        let id = out
            .vpc_endpoint()
            .and_then(|e| e.vpc_endpoint_id())
            .unwrap_or_default()
            .to_string();
        read_one(c, &id, p).await
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let id = s(old, "id").unwrap_or_default();
        modify(c, &id, old, p).await.map_err(|d| vec![d])?;
        update_tags(c, &id, old, p).await.map_err(|d| vec![d])?;
        read_one(c, &id, p).await
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        // Gone already is done; any other failure (reported per endpoint) is not.
        let gone = |code: Option<&str>| code.is_some_and(|c| c == "InvalidVpcEndpointId.NotFound");
        let out = c
            .ec2
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(s(old, "id").unwrap_or_default())
            .send()
            .await;
        match out {
            Ok(o) => match o.unsuccessful().iter().find_map(|u| u.error()) {
                Some(e) if !gone(e.code()) => Err(vec![AttrDiagnostic::error(
                    Vec::new(),
                    "DeleteVpcEndpoints failed",
                    format!(
                        "{}: {}",
                        e.code().unwrap_or_default(),
                        e.message().unwrap_or_default()
                    ),
                )]),
                _ => Ok(()),
            },
            Err(e) if gone(crate::util::err_code(&e).as_deref()) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteVpcEndpoints", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        crate::ec2::read_in_batches(c, self, current).await
    }
}
