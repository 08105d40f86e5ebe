//! `aws_subnet`: a subnet of a VPC. Refresh reads 200 subnets per DescribeSubnets call.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType as Kind};

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::classify;
use crate::ec2::{
    adopted_id, delete_with_retry, read_in_batches, tag_spec, update_tags, BatchRead, ReadErr,
};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, opt_str, s, sdk_err, set, tags_of, tags_value};
use crate::Clients;

pub(crate) fn subnet_value(s_: &aws_sdk_ec2::types::Subnet, keep: &Value) -> Value {
    let mpip = s_.map_public_ip_on_launch();
    let configured = keep.get_attr("map_public_ip_on_launch");
    let mut v = Value::map([
        ("id", opt_str(s_.subnet_id())),
        ("arn", opt_str(s_.subnet_arn())),
        ("vpc_id", opt_str(s_.vpc_id())),
        ("cidr_block", opt_str(s_.cidr_block())),
        ("availability_zone", opt_str(s_.availability_zone())),
        ("availability_zone_id", opt_str(s_.availability_zone_id())),
        ("owner_id", opt_str(s_.owner_id())),
        (
            "map_public_ip_on_launch",
            match (mpip, configured) {
                (Some(false), Value::Null) => Value::Null,
                (Some(b), _) => Value::Bool(b),
                (None, c) => c.clone(),
            },
        ),
        (
            "enable_resource_name_dns_a_record_on_launch",
            match (
                s_.private_dns_name_options_on_launch()
                    .and_then(|o| o.enable_resource_name_dns_a_record()),
                keep.get_attr("enable_resource_name_dns_a_record_on_launch"),
            ) {
                (Some(false) | None, Value::Null) => Value::Null,
                (Some(b), _) => Value::Bool(b),
                (None, c) => c.clone(),
            },
        ),
        ("tags", tags_value(s_.tags())),
    ]);
    ipv6_read(s_, keep, &mut v);
    v
}

/// The subnet's IPv6 block (the associated one), and whether instances get an
/// IPv6 address.
fn ipv6_read(s_: &aws_sdk_ec2::types::Subnet, keep: &Value, v: &mut Value) {
    // Not one on its way out (moto 5.2.5 writes the state in a form the SDK
    // does not know: anything but a leaving state counts).
    let assoc = s_.ipv6_cidr_block_association_set().iter().find(|a| {
        a.ipv6_cidr_block_state()
            .and_then(|st| st.state())
            .is_none_or(|st| {
                let st = st.as_str();
                !(st.contains("disassociat") || st.contains("fail"))
            })
    });
    set(
        v,
        "ipv6_cidr_block",
        opt_str(assoc.and_then(|a| a.ipv6_cidr_block())),
    );
    set(
        v,
        "ipv6_cidr_block_association_id",
        opt_str(assoc.and_then(|a| a.association_id())),
    );
    let assign = s_.assign_ipv6_address_on_creation();
    set(
        v,
        "assign_ipv6_address_on_creation",
        match (assign, keep.get_attr("assign_ipv6_address_on_creation")) {
            (Some(false) | None, Value::Null) => Value::Null,
            (Some(b), _) => Value::Bool(b),
            (None, c) => c.clone(),
        },
    );
}

/// The IPv6 block and `assign_ipv6_address_on_creation`, from `old` (the subnet
/// as it is; none on create) to `p`.
async fn ipv6_apply(
    c: &Clients,
    id: &str,
    old: Option<&Value>,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let was = old.map_or(&Value::Null, |o| o.get_attr("ipv6_cidr_block"));
    let want = p.get_attr("ipv6_cidr_block");
    if was != want {
        if let Some(assoc) = old.and_then(|o| s(o, "ipv6_cidr_block_association_id")) {
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
    }
    let key = "assign_ipv6_address_on_creation";
    let want = p.get_attr(key).as_bool().unwrap_or(false);
    let was = old.and_then(|o| o.get_attr(key).as_bool()).unwrap_or(false);
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
    let mut v = subnet_value(&subnet, p);
    if let Some(b) = p.get_attr("map_public_ip_on_launch").as_bool() {
        c.ec2
            .modify_subnet_attribute()
            .subnet_id(&id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(b).build())
            .send()
            .await
            .map_err(|e| sdk_err("ModifySubnetAttribute", e))?;
        set(&mut v, "map_public_ip_on_launch", Value::Bool(b));
    }
    set_dns_a_record(c, &id, None, p).await?;
    // The block was asked for at creation: only the flag may be left to set.
    let mut made = Value::map([("ipv6_cidr_block", p.get_attr("ipv6_cidr_block").clone())]);
    if let Value::Map(m) = &mut made {
        m.insert(
            "assign_ipv6_address_on_creation".into(),
            Value::Bool(subnet.assign_ipv6_address_on_creation().unwrap_or(false)),
        );
    }
    ipv6_apply(c, &id, Some(&made), p).await?;
    let out = c
        .ec2
        .describe_subnets()
        .subnet_ids(&id)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeSubnets", e))?;
    if let Some(sn) = out.subnets().first() {
        v = subnet_value(sn, p);
    }
    let key = "enable_resource_name_dns_a_record_on_launch";
    set(&mut v, key, p.get_attr(key).clone());
    if let Some(b) = p.get_attr("map_public_ip_on_launch").as_bool() {
        set(&mut v, "map_public_ip_on_launch", Value::Bool(b));
    }
    Ok(Some(v))
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
    ipv6_apply(c, &id, Some(old), p).await?;
    let out = c
        .ec2
        .describe_subnets()
        .subnet_ids(&id)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeSubnets", e))?;
    Ok(Some(match out.subnets().first() {
        Some(sn) => subnet_value(sn, p),
        None => p.clone(),
    }))
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
                    subnet_value(sn, keep(sn.subnet_id().unwrap_or_default())),
                )
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for SubnetType {
    fn schema(&self) -> Schema {
        Schema::new("A subnet of a VPC.")
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
            .attr("owner_id", Attribute::computed(AttrType::String, "The account that owns the subnet."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();

        if !config.get_attr("availability_zone").is_null()
            && !config.get_attr("availability_zone_id").is_null()
        {
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
