//! `aws_subnet`: a subnet of a VPC. Refresh reads 200 subnets per DescribeSubnets call.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType as Kind};

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::{
    adopted_id, delete_with_retry, read_in_batches, tag_spec, update_tags, BatchRead, ReadErr,
};
use crate::ec2::{classify, flag, leaving};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, opt_str, s, sdk_err, set, tags_of, tags_value};
use crate::Clients;

pub(crate) fn subnet_value(s_: &aws_sdk_ec2::types::Subnet, keep: &Value) -> Value {
    Value::map([
        ("id", opt_str(s_.subnet_id())),
        ("arn", opt_str(s_.subnet_arn())),
        ("vpc_id", opt_str(s_.vpc_id())),
        ("cidr_block", opt_str(s_.cidr_block())),
        ("availability_zone", opt_str(s_.availability_zone())),
        ("availability_zone_id", opt_str(s_.availability_zone_id())),
        ("owner_id", opt_str(s_.owner_id())),
        (
            "map_public_ip_on_launch",
            flag(
                s_.map_public_ip_on_launch(),
                keep.get_attr("map_public_ip_on_launch"),
            ),
        ),
        (
            "enable_resource_name_dns_a_record_on_launch",
            flag(
                s_.private_dns_name_options_on_launch()
                    .and_then(|o| o.enable_resource_name_dns_a_record()),
                keep.get_attr("enable_resource_name_dns_a_record_on_launch"),
            ),
        ),
        ("tags", tags_value(s_.tags())),
    ])
}

/// `aws_subnet` as AWS has it: the settings every subnet has, and its IPv6
/// block (the associated one) and whether instances get an IPv6 address.
pub(crate) fn value(s_: &aws_sdk_ec2::types::Subnet, keep: &Value) -> Value {
    let mut v = subnet_value(s_, keep);
    let assoc = s_.ipv6_cidr_block_association_set().iter().find(|a| {
        !leaving(
            a.ipv6_cidr_block_state()
                .and_then(|st| st.state())
                .map(|st| st.as_str()),
        )
    });
    set(
        &mut v,
        "ipv6_cidr_block",
        opt_str(assoc.and_then(|a| a.ipv6_cidr_block())),
    );
    set(
        &mut v,
        "ipv6_cidr_block_association_id",
        opt_str(assoc.and_then(|a| a.association_id())),
    );
    set(
        &mut v,
        "assign_ipv6_address_on_creation",
        flag(
            s_.assign_ipv6_address_on_creation(),
            keep.get_attr("assign_ipv6_address_on_creation"),
        ),
    );
    crate::ec2::subnet_launch::read(s_, keep, &mut v);
    v
}

async fn read_back(c: &Clients, id: &str, p: &Value) -> Result<Value, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_subnets()
        .subnet_ids(id)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeSubnets", e))?;
    Ok(match out.subnets().first() {
        Some(sn) => value(sn, p),
        None => p.clone(),
    })
}

/// The IPv6 block, from `old` (the subnet as it is) to `p`: the old association
/// removed, the new block associated.
pub(crate) async fn move_ipv6_block(
    c: &Clients,
    id: &str,
    old: &Value,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let want = p.get_attr("ipv6_cidr_block");
    if old.get_attr("ipv6_cidr_block") == want {
        return Ok(());
    }
    if let Some(assoc) = s(old, "ipv6_cidr_block_association_id") {
        c.ec2
            .disassociate_subnet_cidr_block()
            .association_id(assoc)
            .send()
            .await
            .map_err(|e| sdk_err("DisassociateSubnetCidrBlock", e))?;
    }
    if let Some(block) = want.as_str() {
        c.ec2
            .associate_subnet_cidr_block()
            .subnet_id(id)
            .ipv6_cidr_block(block)
            .send()
            .await
            .map_err(|e| sdk_err("AssociateSubnetCidrBlock", e))?;
    }
    Ok(())
}

/// `assign_ipv6_address_on_creation`, when it differs from what the subnet has.
pub(crate) async fn set_assign_ipv6(
    c: &Clients,
    id: &str,
    was: bool,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let want = p
        .get_attr("assign_ipv6_address_on_creation")
        .as_bool()
        .unwrap_or(false);
    if want != was {
        c.ec2
            .modify_subnet_attribute()
            .subnet_id(id)
            .assign_ipv6_address_on_creation(AttributeBooleanValue::builder().value(want).build())
            .send()
            .await
            .map_err(|e| sdk_err("ModifySubnetAttribute", e))?;
    }
    Ok(())
}

/// `enable_resource_name_dns_a_record_on_launch`, when it differs from what the
/// subnet has (`old`; none on create: AWS's default, false).
pub(crate) async fn set_dns_a_record(
    c: &Clients,
    id: &str,
    old: Option<&Value>,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let key = "enable_resource_name_dns_a_record_on_launch";
    let want = p.get_attr(key).as_bool().unwrap_or(false);
    let was = old.and_then(|o| o.get_attr(key).as_bool()).unwrap_or(false);
    if want != was {
        c.ec2
            .modify_subnet_attribute()
            .subnet_id(id)
            .enable_resource_name_dns_a_record_on_launch(
                AttributeBooleanValue::builder().value(want).build(),
            )
            .send()
            .await
            .map_err(|e| sdk_err("ModifySubnetAttribute", e))?;
    }
    Ok(())
}

async fn create_subnet(
    c: &Clients,
    p: &Value,
    token: &str,
) -> Result<Option<Value>, AttrDiagnostic> {
    let adopted = match adopted_id(c, token, "subnet").await? {
        Some(id) => {
            let out = c
                .ec2
                .describe_subnets()
                .subnet_ids(id)
                .send()
                .await
                .map_err(|e| sdk_err("DescribeSubnets", e))?;
            out.subnets().first().cloned()
        }
        None => None,
    };
    let subnet = match adopted {
        Some(sn) => sn,
        None => {
            let out = c
                .ec2
                .create_subnet()
                .set_vpc_id(s(p, "vpc_id"))
                .set_cidr_block(s(p, "cidr_block"))
                .set_availability_zone(s(p, "availability_zone"))
                .set_availability_zone_id(s(p, "availability_zone_id"))
                .set_ipv6_cidr_block(s(p, "ipv6_cidr_block"))
                .tag_specifications(tag_spec(Kind::Subnet, &tags_of(p), token))
                .send()
                .await
                .map_err(|e| sdk_err("CreateSubnet", e))?;
            out.subnet().cloned().ok_or_else(|| {
                AttrDiagnostic::error(Vec::new(), "CreateSubnet returned no subnet", "")
            })?
        }
    };
    let id = subnet.subnet_id().unwrap_or_default().to_string();
    if let Some(b) = p.get_attr("map_public_ip_on_launch").as_bool() {
        c.ec2
            .modify_subnet_attribute()
            .subnet_id(&id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(b).build())
            .send()
            .await
            .map_err(|e| sdk_err("ModifySubnetAttribute", e))?;
    }
    set_dns_a_record(c, &id, None, p).await?;
    crate::ec2::subnet_launch::apply(c, &id, &value(&subnet, &Value::Null), p).await?;
    // The IPv6 block was asked for at creation; only the flag may be left to set.
    let assigned = subnet.assign_ipv6_address_on_creation().unwrap_or(false);
    set_assign_ipv6(c, &id, assigned, p).await?;
    read_back(c, &id, p).await.map(Some)
}

async fn update_subnet(
    c: &Clients,
    old: &Value,
    p: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    update_tags(c, &id, old, p).await?;
    let want = p
        .get_attr("map_public_ip_on_launch")
        .as_bool()
        .unwrap_or(false);
    if old
        .get_attr("map_public_ip_on_launch")
        .as_bool()
        .unwrap_or(false)
        != want
    {
        c.ec2
            .modify_subnet_attribute()
            .subnet_id(&id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(want).build())
            .send()
            .await
            .map_err(|e| sdk_err("ModifySubnetAttribute", e))?;
    }
    set_dns_a_record(c, &id, Some(old), p).await?;
    crate::ec2::subnet_launch::apply(c, &id, old, p).await?;
    move_ipv6_block(c, &id, old, p).await?;
    let was = old
        .get_attr("assign_ipv6_address_on_creation")
        .as_bool()
        .unwrap_or(false);
    set_assign_ipv6(c, &id, was, p).await?;
    read_back(c, &id, p).await.map(Some)
}

pub(crate) struct SubnetType;

#[async_trait::async_trait]
impl BatchRead for SubnetType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        prior: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        let null = Value::Null;
        let keep = |id: &str| *prior.get(id).unwrap_or(&&null);
        let out = c
            .ec2
            .describe_subnets()
            .set_subnet_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| classify("DescribeSubnets", e))?;
        Ok(out
            .subnets()
            .iter()
            .map(|sn| {
                (
                    sn.subnet_id().unwrap_or_default().to_string(),
                    value(sn, keep(sn.subnet_id().unwrap_or_default())),
                )
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for SubnetType {
    fn schema(&self) -> Schema {
        crate::ec2::subnet_launch::schema(Schema::new("A subnet of a VPC.")
            .attr(
                "vpc_id",
                Attribute::required(AttrType::String, "VPC id.").force_new(),
            )
            .attr(
                "cidr_block",
                Attribute::required(AttrType::String, "IPv4 CIDR block.").force_new(),
            )
            .attr(
                "availability_zone",
                Attribute::optional_computed(AttrType::String, "Availability zone.").force_new(),
            )
            .attr(
                "map_public_ip_on_launch",
                Attribute::optional(
                    AttrType::Bool,
                    "Give instances a public IP (default false).",
                ),
            )
            .attr(
                "ipv6_cidr_block",
                Attribute::optional(
                    AttrType::String,
                    "An IPv6 /64 of the VPC's block (dual stack); changed in place.",
                ),
            )
            .attr(
                "assign_ipv6_address_on_creation",
                Attribute::optional(
                    AttrType::Bool,
                    "Give instances an IPv6 address (default false).",
                ),
            )
            .attr(
                "ipv6_cidr_block_association_id",
                Attribute::computed(AttrType::String, "The association of the IPv6 block."),
            )
            .attr(
                "enable_resource_name_dns_a_record_on_launch",
                Attribute::optional(
                    AttrType::Bool,
                    "Give instances a DNS A record of their resource name (default false).",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(AttrType::String, "Subnet id."))
            .attr("arn", Attribute::computed(AttrType::String, "ARN."))
            .attr(
                "availability_zone_id",
                Attribute::optional_computed(
                    AttrType::String,
                    "The zone by id (use1-az1), the same zone in every account (not with availability_zone).",
                )
                .force_new(),
            )
            .attr("owner_id", Attribute::computed(AttrType::String, "The account that owns the subnet.")))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();

        if crate::util::both_set(config, "availability_zone", "availability_zone_id") {
            out.push(attr_err(
                "availability_zone_id",
                "Conflicting arguments",
                "give the zone by name (availability_zone) or by id (availability_zone_id), not both",
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

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        create_subnet(c, p, req.idempotency_token)
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
        update_subnet(c, old, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        delete_with_retry(c, "subnet", s(old, "id").unwrap_or_default())
            .await
            .map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        read_in_batches(c, self, current).await
    }
}
