//! `aws_vpc` and `aws_default_vpc`. A VPC's default security group, network ACL
//! and main route table are attributes (`default_security_group_id`, ...), as in
//! Terraform. `aws_default_vpc` adopts the region's default VPC (making one with
//! `CreateDefaultVpc` where there is none) and, unless `force_destroy`, only
//! forgets it on destroy.
//!
//! Refresh reads 1,000 VPCs per `DescribeVpcs` call, and their defaults with one
//! `DescribeSecurityGroups`, `DescribeRouteTables` and `DescribeNetworkAcls` call
//! for all of them. The DNS settings take a `DescribeVpcAttribute` call per VPC
//! and setting, so refresh keeps them from state (import reads them).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, ResourceType as Kind, Tenancy, Vpc, VpcAttributeName,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::{adopted_id, classify, delete_with_retry, region, tag_spec, update_tags, ReadErr};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, opt_str, s, sdk_err, set, tags_of, tags_value};
use crate::Clients;

pub(crate) struct VpcType;
pub(crate) struct DefaultVpcType;

/// The settings set with `ModifyVpcAttribute`, one call each.
const SETTINGS: [(&str, VpcAttributeName); 3] = [
    ("enable_dns_support", VpcAttributeName::EnableDnsSupport),
    ("enable_dns_hostnames", VpcAttributeName::EnableDnsHostnames),
    (
        "enable_network_address_usage_metrics",
        VpcAttributeName::EnableNetworkAddressUsageMetrics,
    ),
];

/// What a VPC has that AWS made with it.
/// The VPC's IPv6 block: the association not on its way out.
fn ipv6_association(v: &Vpc) -> Option<&aws_sdk_ec2::types::VpcIpv6CidrBlockAssociation> {
    v.ipv6_cidr_block_association_set().iter().find(|a| {
        !crate::ec2::leaving(
            a.ipv6_cidr_block_state()
                .and_then(|st| st.state())
                .map(|st| st.as_str()),
        )
    })
}

const BORDER: &str = "ipv6_cidr_block_network_border_group";

/// The network border group of the VPC's IPv6 block (none without one). AWS
/// names it in every answer; one without it (moto drops it) keeps the group
/// asked for, else the region's, which is what AWS chooses when none is given.
fn border_group(
    c: &Clients,
    ipv6: Option<&aws_sdk_ec2::types::VpcIpv6CidrBlockAssociation>,
    keep: &Value,
) -> Value {
    let Some(a) = ipv6 else {
        return Value::Null;
    };
    match a.network_border_group() {
        Some(g) => Value::string(g),
        None => match keep.get_attr(BORDER) {
            Value::String(g) => Value::String(g.clone()),
            _ => Value::string(region(c)),
        },
    }
}

#[derive(Default, Clone)]
struct Defaults {
    security_group: Option<String>,
    route_table: Option<String>,
    network_acl: Option<String>,
}

fn vpc_value(c: &Clients, v: &Vpc, d: &Defaults, keep: &Value) -> Value {
    let id = v.vpc_id().unwrap_or_default();
    let owner = v.owner_id().unwrap_or_default();
    let ipv6 = ipv6_association(v);
    let mut out = Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::String(format!("arn:aws:ec2:{}:{owner}:vpc/{id}", region(c))),
        ),
        ("cidr_block", opt_str(v.cidr_block())),
        (
            "instance_tenancy",
            opt_str(v.instance_tenancy().map(|t| t.as_str())),
        ),
        ("owner_id", Value::string(owner)),
        ("dhcp_options_id", opt_str(v.dhcp_options_id())),
        (
            "default_security_group_id",
            opt_str(d.security_group.as_deref()),
        ),
        ("default_route_table_id", opt_str(d.route_table.as_deref())),
        ("main_route_table_id", opt_str(d.route_table.as_deref())),
        ("default_network_acl_id", opt_str(d.network_acl.as_deref())),
        (
            "ipv6_cidr_block",
            opt_str(ipv6.and_then(|a| a.ipv6_cidr_block())),
        ),
        (
            "ipv6_association_id",
            opt_str(ipv6.and_then(|a| a.association_id())),
        ),
        (
            "assign_generated_ipv6_cidr_block",
            keep.get_attr("assign_generated_ipv6_cidr_block").clone(),
        ),
        (BORDER, border_group(c, ipv6, keep)),
        ("force_destroy", keep.get_attr("force_destroy").clone()),
        ("tags", tags_value(v.tags())),
    ]);
    for (name, _) in SETTINGS {
        set(&mut out, name, keep.get_attr(name).clone());
    }
    out
}

/// The default security group, main route table and default network ACL of
/// each VPC: one call of each kind for all of them.
async fn defaults_of(
    c: &Clients,
    vpcs: &[String],
) -> Result<BTreeMap<String, Defaults>, AttrDiagnostic> {
    let mut out: BTreeMap<String, Defaults> = BTreeMap::new();
    if vpcs.is_empty() {
        return Ok(out);
    }
    let by_vpc = || {
        Filter::builder()
            .name("vpc-id")
            .set_values(Some(vpcs.to_vec()))
            .build()
    };
    let groups = c
        .ec2
        .describe_security_groups()
        .filters(by_vpc())
        .filters(
            Filter::builder()
                .name("group-name")
                .values("default")
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeSecurityGroups", e))?;
    for g in groups.security_groups() {
        if let (Some(v), Some(id)) = (g.vpc_id(), g.group_id()) {
            out.entry(v.to_string()).or_default().security_group = Some(id.to_string());
        }
    }
    let tables = c
        .ec2
        .describe_route_tables()
        .filters(by_vpc())
        .filters(
            Filter::builder()
                .name("association.main")
                .values("true")
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeRouteTables", e))?;
    for t in tables.route_tables() {
        if let (Some(v), Some(id)) = (t.vpc_id(), t.route_table_id()) {
            out.entry(v.to_string()).or_default().route_table = Some(id.to_string());
        }
    }
    let acls = c
        .ec2
        .describe_network_acls()
        .filters(by_vpc())
        .filters(Filter::builder().name("default").values("true").build())
        .send()
        .await
        .map_err(|e| sdk_err("DescribeNetworkAcls", e))?;
    for a in acls.network_acls() {
        if let (Some(v), Some(id)) = (a.vpc_id(), a.network_acl_id()) {
            out.entry(v.to_string()).or_default().network_acl = Some(id.to_string());
        }
    }
    Ok(out)
}

/// The DNS and metrics settings as AWS has them (one call per setting).
async fn read_settings(c: &Clients, id: &str, v: &mut Value) -> Result<(), AttrDiagnostic> {
    for (attr, name) in SETTINGS {
        let out = c
            .ec2
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(name)
            .send()
            .await
            .map_err(|e| sdk_err("DescribeVpcAttribute", e))?;
        let b = match attr {
            "enable_dns_support" => out.enable_dns_support().and_then(|x| x.value()),
            "enable_dns_hostnames" => out.enable_dns_hostnames().and_then(|x| x.value()),
            _ => out
                .enable_network_address_usage_metrics()
                .and_then(|x| x.value()),
        };
        set(v, attr, b.map(Value::Bool).unwrap_or(Value::Null));
    }
    Ok(())
}

async fn write_settings(
    c: &Clients,
    id: &str,
    prior: Option<&Value>,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    for (attr, _) in SETTINGS {
        let Some(want) = p.get_attr(attr).as_bool() else {
            continue;
        };
        if prior.and_then(|x| x.get_attr(attr).as_bool()) == Some(want) {
            continue;
        }
        let v = AttributeBooleanValue::builder().value(want).build();
        let call = c.ec2.modify_vpc_attribute().vpc_id(id);
        let call = match attr {
            "enable_dns_support" => call.enable_dns_support(v),
            "enable_dns_hostnames" => call.enable_dns_hostnames(v),
            _ => call.enable_network_address_usage_metrics(v),
        };
        call.send()
            .await
            .map_err(|e| sdk_err("ModifyVpcAttribute", e))?;
    }
    Ok(())
}

async fn describe(c: &Clients, ids: &[String]) -> Result<Vec<Vpc>, ReadErr> {
    let out = c
        .ec2
        .describe_vpcs()
        .set_vpc_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| classify("DescribeVpcs", e))?;
    Ok(out.vpcs().to_vec())
}

/// One VPC as state has it, with its settings read (a create, an import).
async fn read_full(c: &Clients, vpc: &Vpc, keep: &Value) -> Result<Value, AttrDiagnostic> {
    let id = vpc.vpc_id().unwrap_or_default().to_string();
    let d = defaults_of(c, std::slice::from_ref(&id)).await?;
    let mut v = vpc_value(c, vpc, d.get(&id).unwrap_or(&Defaults::default()), keep);
    read_settings(c, &id, &mut v).await?;
    Ok(v)
}

/// VPCs by id, 1,000 per call; ids that no longer exist are left out.
async fn read_many(c: &Clients, current: &[Value]) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
    let ids: Vec<String> = current
        .iter()
        .map(|v| s(v, "id").unwrap_or_default())
        .collect();
    let mut found: BTreeMap<String, Vpc> = BTreeMap::new();
    for chunk in ids.chunks(1000) {
        let mut ask: Vec<String> = chunk.iter().filter(|i| !i.is_empty()).cloned().collect();
        while !ask.is_empty() {
            match describe(c, &ask).await {
                Ok(list) => {
                    for v in list {
                        found.insert(v.vpc_id().unwrap_or_default().to_string(), v);
                    }
                    break;
                }
                // One missing id fails the call: drop the ids it names and ask again.
                Err(ReadErr::Missing(msg)) => {
                    let before = ask.len();
                    ask.retain(|i| !msg.contains(i.as_str()));
                    if ask.len() == before {
                        break;
                    }
                }
                Err(ReadErr::Other(d)) => return current.iter().map(|_| Err(d.clone())).collect(),
            }
        }
    }
    let present: Vec<String> = found.keys().cloned().collect();
    let defaults = match defaults_of(c, &present).await {
        Ok(d) => d,
        Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
    };
    let mut out = Vec::with_capacity(current.len());
    for (id, keep) in ids.iter().zip(current) {
        let Some(v) = found.get(id) else {
            out.push(Ok(None));
            continue;
        };
        let mut value = vpc_value(c, v, defaults.get(id).unwrap_or(&Defaults::default()), keep);
        // An import knows no settings yet: read them (refresh keeps state's).
        let read = if keep.get_attr("enable_dns_support").is_null() {
            read_settings(c, id, &mut value).await
        } else {
            Ok(())
        };
        out.push(read.map(|()| Some(value)));
    }
    out
}

fn common_schema(about: &'static str) -> Schema {
    use AttrType::{Bool, String as Str};
    Schema::new(about)
        .attr(
            "enable_dns_support",
            Attribute::optional_computed(Bool, "DNS resolution (AWS default true)."),
        )
        .attr(
            "enable_dns_hostnames",
            Attribute::optional_computed(
                Bool,
                "DNS hostnames (AWS default false; true for a default VPC).",
            ),
        )
        .attr(
            "enable_network_address_usage_metrics",
            Attribute::optional_computed(Bool, "Network address usage metrics (default false)."),
        )
        .attr(
            "assign_generated_ipv6_cidr_block",
            Attribute::optional(
                Bool,
                "An Amazon-provided /56 IPv6 block (its ipv6_cidr_block); added or removed in place.",
            ),
        )
        .attr(
            BORDER,
            Attribute::optional_computed(
                Str,
                "The network border group the IPv6 block is advertised from (default: the region; a Local Zone's group limits it there). Needs assign_generated_ipv6_cidr_block; a change replaces the block (disassociated, then a new one associated).",
            ),
        )
        .attr("tags", tags())
        .attr("id", Attribute::computed(Str, "VPC id."))
        .attr("arn", Attribute::computed(Str, "ARN."))
        .attr("owner_id", Attribute::computed(Str, "Owning account."))
        .attr(
            "dhcp_options_id",
            Attribute::computed(Str, "DHCP options set."),
        )
        .attr(
            "default_security_group_id",
            Attribute::computed(Str, "The security group AWS made with the VPC."),
        )
        .attr(
            "default_route_table_id",
            Attribute::computed(Str, "The main route table."),
        )
        .attr(
            "main_route_table_id",
            Attribute::computed(Str, "The main route table."),
        )
        .attr(
            "default_network_acl_id",
            Attribute::computed(Str, "The network ACL AWS made with the VPC."),
        )
        .attr(
            "ipv6_cidr_block",
            Attribute::computed(Str, "IPv6 block, if any."),
        )
        .attr(
            "ipv6_association_id",
            Attribute::computed(Str, "Association of the IPv6 block."),
        )
}

fn validate_common(config: &Value) -> Vec<AttrDiagnostic> {
    let mut out = Vec::new();
    if !config.get_attr(BORDER).is_null()
        && config
            .get_attr("assign_generated_ipv6_cidr_block")
            .is_null()
    {
        out.push(attr_err(
            BORDER,
            "Missing required argument",
            "ipv6_cidr_block_network_border_group needs assign_generated_ipv6_cidr_block: the group is that of an Amazon-provided IPv6 block",
        ));
    }
    if let Some(c) = config.get_attr("cidr_block").as_str() {
        let ok = c.split_once('/').is_some_and(|(ip, len)| {
            ip.parse::<std::net::Ipv4Addr>().is_ok() && len.parse::<u8>().is_ok_and(|l| l <= 32)
        });
        if !ok {
            out.push(attr_err(
                "cidr_block",
                "Invalid CIDR block",
                format!("\"{c}\" is not an IPv4 CIDR block such as 10.0.0.0/16"),
            ));
        }
    }
    out
}

/// Whether the Amazon-provided IPv6 block changes: asked for or no longer, or
/// wanted in another network border group.
fn ipv6_changes(old: &Value, p: &Value) -> bool {
    let flag = |v: &Value| v.get_attr("assign_generated_ipv6_cidr_block").as_bool() == Some(true);
    flag(old) != flag(p)
        || (flag(p)
            && matches!(p.get_attr(BORDER), Value::String(_))
            && p.get_attr(BORDER) != old.get_attr(BORDER))
}

/// An Amazon-provided IPv6 block asked for (associated), no longer
/// (disassociated), or in another border group (both, as Terraform does).
async fn ipv6_apply(c: &Clients, id: &str, old: &Value, p: &Value) -> Result<(), AttrDiagnostic> {
    if !ipv6_changes(old, p) {
        return Ok(());
    }
    if let Some(assoc) = s(old, "ipv6_association_id") {
        c.ec2
            .disassociate_vpc_cidr_block()
            .association_id(assoc)
            .send()
            .await
            .map_err(|e| sdk_err("DisassociateVpcCidrBlock", e))?;
    }
    if p.get_attr("assign_generated_ipv6_cidr_block").as_bool() == Some(true) {
        c.ec2
            .associate_vpc_cidr_block()
            .vpc_id(id)
            .amazon_provided_ipv6_cidr_block(true)
            .set_ipv6_cidr_block_network_border_group(s(p, BORDER))
            .send()
            .await
            .map_err(|e| sdk_err("AssociateVpcCidrBlock", e))?;
    }
    Ok(())
}

/// A change of the IPv6 block makes its values unknown until the apply; the
/// border group, not written, is AWS's choice for a new block.
fn plan_ipv6(prior: Option<&Value>, config: &Value, planned: &mut Value) {
    let wants = config
        .get_attr("assign_generated_ipv6_cidr_block")
        .as_bool()
        == Some(true);
    let unwritten = config.get_attr(BORDER).is_null();
    let Some(prior) = prior else {
        if unwritten {
            set(
                planned,
                BORDER,
                if wants { Value::Unknown } else { Value::Null },
            );
        }
        return;
    };
    if ipv6_changes(prior, config) {
        set(planned, "ipv6_cidr_block", Value::Unknown);
        set(planned, "ipv6_association_id", Value::Unknown);
        if unwritten {
            set(
                planned,
                BORDER,
                if wants { Value::Unknown } else { Value::Null },
            );
        }
    }
}

async fn update_common(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let id = s(old, "id").unwrap_or_default();
    update_tags(c, &id, old, p).await.map_err(|d| vec![d])?;
    ipv6_apply(c, &id, old, p).await.map_err(|d| vec![d])?;
    write_settings(c, &id, Some(old), p)
        .await
        .map_err(|d| vec![d])?;
    let list = describe(c, std::slice::from_ref(&id))
        .await
        .map_err(|e| match e {
            ReadErr::Missing(m) => vec![AttrDiagnostic::error(Vec::new(), "The VPC is gone", m)],
            ReadErr::Other(d) => vec![d],
        })?;
    let Some(vpc) = list.first() else {
        return Ok(None);
    };
    let d = defaults_of(c, std::slice::from_ref(&id))
        .await
        .map_err(|d| vec![d])?;
    let mut v = vpc_value(c, vpc, d.get(&id).unwrap_or(&Defaults::default()), p);
    for (attr, _) in SETTINGS {
        set(&mut v, attr, p.get_attr(attr).clone());
    }
    Ok(Some(v))
}

#[async_trait::async_trait]
impl ResourceType<Clients> for VpcType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        common_schema("A virtual private cloud. Refresh reads 1,000 VPCs per DescribeVpcs call, and their default security groups, main route tables and network ACLs with one call each.")
            .attr("cidr_block", Attribute::required(Str, "IPv4 CIDR block.").force_new())
            .attr(
                "instance_tenancy",
                Attribute::optional_computed(Str, "default or dedicated.").force_new(),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        validate_common(config)
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        plan_ipv6(req.prior, req.config, &mut r.planned);
        r
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        let adopted = match adopted_id(c, token, "vpc").await.map_err(|d| vec![d])? {
            Some(id) => describe(c, &[id])
                .await
                .ok()
                .and_then(|l| l.into_iter().next()),
            None => None,
        };
        let vpc = match adopted {
            Some(v) => v,
            None => {
                let out = c
                    .ec2
                    .create_vpc()
                    .set_cidr_block(s(p, "cidr_block"))
                    .set_amazon_provided_ipv6_cidr_block(
                        p.get_attr("assign_generated_ipv6_cidr_block").as_bool(),
                    )
                    .set_ipv6_cidr_block_network_border_group(s(p, BORDER))
                    .set_instance_tenancy(
                        s(p, "instance_tenancy").map(|t| Tenancy::from(t.as_str())),
                    )
                    .tag_specifications(tag_spec(Kind::Vpc, &tags_of(p), token))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("CreateVpc", e)])?;
                out.vpc().cloned().ok_or_else(|| {
                    vec![AttrDiagnostic::error(
                        Vec::new(),
                        "CreateVpc returned no VPC",
                        "",
                    )]
                })?
            }
        };
        let id = vpc.vpc_id().unwrap_or_default().to_string();
        write_settings(c, &id, None, p).await.map_err(|d| vec![d])?;
        read_full(c, &vpc, p).await.map(Some).map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        update_common(c, old, p).await
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        delete_with_retry(c, "vpc", s(old, "id").unwrap_or_default())
            .await
            .map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        read_many(c, current).await
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for DefaultVpcType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, String as Str};
        common_schema("The region's default VPC, adopted (made with CreateDefaultVpc if there is none). Destroy only forgets it, unless force_destroy.")
            .attr(
                "force_destroy",
                Attribute::optional(Bool, "Delete the default VPC on destroy (default false: only forget it)."),
            )
            .attr("cidr_block", Attribute::computed(Str, "IPv4 CIDR block."))
            .attr("instance_tenancy", Attribute::computed(Str, "Tenancy."))
            .attr("existing_default_vpc", Attribute::computed(Bool, "Whether the VPC existed before (false: iac made it)."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        validate_common(config)
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        plan_ipv6(req.prior, req.config, &mut r.planned);
        // A default VPC resolves DNS names and gives hosts names, as AWS makes it.
        for (k, d) in [("enable_dns_support", true), ("enable_dns_hostnames", true)] {
            if req.config.get_attr(k).is_null() && req.prior.is_none() {
                set(&mut r.planned, k, Value::Bool(d));
            }
        }
        r
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let found = c
            .ec2
            .describe_vpcs()
            .filters(Filter::builder().name("is-default").values("true").build())
            .send()
            .await
            .map_err(|e| vec![sdk_err("DescribeVpcs", e)])?;
        let (vpc, existing) = match found.vpcs().first() {
            Some(v) => (v.clone(), true),
            None => {
                let out = c
                    .ec2
                    .create_default_vpc()
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("CreateDefaultVpc", e)])?;
                let v = out.vpc().cloned().ok_or_else(|| {
                    vec![AttrDiagnostic::error(
                        Vec::new(),
                        "CreateDefaultVpc returned no VPC",
                        "",
                    )]
                })?;
                (v, false)
            }
        };
        let id = vpc.vpc_id().unwrap_or_default().to_string();
        let before = {
            let mut v = Value::Map(Default::default());
            read_settings(c, &id, &mut v).await.map_err(|d| vec![d])?;
            v
        };
        write_settings(c, &id, Some(&before), p)
            .await
            .map_err(|d| vec![d])?;
        // The Amazon IPv6 block as written; not written, the VPC's is left be.
        if !p.get_attr("assign_generated_ipv6_cidr_block").is_null() {
            let assoc = ipv6_association(&vpc);
            let was = Value::map([
                (
                    "assign_generated_ipv6_cidr_block",
                    Value::Bool(assoc.is_some()),
                ),
                (
                    "ipv6_association_id",
                    opt_str(assoc.and_then(|a| a.association_id())),
                ),
                (BORDER, border_group(c, assoc, p)),
            ]);
            ipv6_apply(c, &id, &was, p).await.map_err(|d| vec![d])?;
        }
        let had_tags = Value::map([("tags", tags_value(vpc.tags()))]);
        update_tags(c, &id, &had_tags, p)
            .await
            .map_err(|d| vec![d])?;
        let vpc = describe(c, std::slice::from_ref(&id))
            .await
            .ok()
            .and_then(|l| l.into_iter().next())
            .unwrap_or(vpc);
        let mut v = read_full(c, &vpc, p).await.map_err(|d| vec![d])?;
        set(&mut v, "existing_default_vpc", Value::Bool(existing));
        Ok(Some(v))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let r = update_common(c, old, p).await?;
        Ok(r.map(|mut v| {
            set(
                &mut v,
                "existing_default_vpc",
                old.get_attr("existing_default_vpc").clone(),
            );
            v
        }))
    }

    /// Only forgotten, as in Terraform, unless `force_destroy`.
    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        if old.get_attr("force_destroy").as_bool() != Some(true) {
            return Ok(());
        }
        delete_with_retry(c, "vpc", s(old, "id").unwrap_or_default())
            .await
            .map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        read_many(c, current)
            .await
            .into_iter()
            .zip(current)
            .map(|(r, keep)| {
                r.map(|o| {
                    o.map(|mut v| {
                        set(
                            &mut v,
                            "existing_default_vpc",
                            keep.get_attr("existing_default_vpc").clone(),
                        );
                        v
                    })
                })
            })
            .collect()
    }
}
