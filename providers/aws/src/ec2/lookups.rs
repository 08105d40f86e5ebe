//! Data sources that find one existing EC2 object: `aws_subnet` and
//! `aws_security_group`, by id, by their own arguments, by `filter` blocks and by
//! `tags`. Exactly one must match, as in Terraform.

use aws_sdk_ec2::types::Filter;
use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Nesting, Schema};
use iac_value::Value;

use crate::ec2::lookup_filters;
use crate::schema::nested;
use crate::util::{attr_err, opt_str, s, sdk_err, tags_value};
use crate::Clients;

pub(crate) struct SubnetData;
pub(crate) struct SecurityGroupData;

pub(crate) fn filter_block() -> iac_provider::NestedBlock {
    nested(
        Nesting::List,
        0,
        None,
        Schema::new("An EC2 API filter.")
            .attr(
                "name",
                Attribute::required(AttrType::String, "Filter name, such as tag:Name."),
            )
            .attr(
                "values",
                Attribute::required(
                    AttrType::Set(Box::new(AttrType::String)),
                    "Values to match.",
                ),
            ),
    )
}

pub(crate) fn filters(config: &Value, by_attr: &[(&str, &str)]) -> Vec<Filter> {
    let mut out = lookup_filters(config);
    for (attr, name) in by_attr {
        match config.get_attr(attr) {
            Value::Bool(b) => out.push(Filter::builder().name(*name).values(b.to_string()).build()),
            v => {
                if let Some(x) = v.as_str() {
                    out.push(Filter::builder().name(*name).values(x).build());
                }
            }
        }
    }
    out
}

pub(crate) fn exactly_one<T>(mut found: Vec<T>, what: &str) -> Result<T, Vec<AttrDiagnostic>> {
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(vec![attr_err(
            "filter",
            &format!("No matching {what}"),
            format!("no {what} matches; change the arguments or filters"),
        )]),
        n => Err(vec![attr_err(
            "filter",
            &format!("Several {what}s match"),
            format!("{n} {what}s match; a data source must find exactly one (narrow it with filter or tags)"),
        )]),
    }
}

#[async_trait::async_trait]
impl DataSourceType<Clients> for SubnetData {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Map, Number, String as Str};
        Schema::new("Finds one subnet.")
            .attr("id", Attribute::optional_computed(Str, "Subnet id."))
            .attr("vpc_id", Attribute::optional_computed(Str, "VPC."))
            .attr(
                "cidr_block",
                Attribute::optional_computed(Str, "IPv4 range."),
            )
            .attr(
                "availability_zone",
                Attribute::optional_computed(Str, "Zone."),
            )
            .attr(
                "availability_zone_id",
                Attribute::optional_computed(Str, "Zone id."),
            )
            .attr(
                "default_for_az",
                Attribute::optional_computed(Bool, "The zone's default subnet."),
            )
            .attr(
                "state",
                Attribute::optional_computed(Str, "available or pending."),
            )
            .attr(
                "tags",
                Attribute::optional_computed(
                    Map(Box::new(Str)),
                    "Tags to match; the subnet's tags.",
                ),
            )
            .block("filter", filter_block())
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("owner_id", Attribute::computed(Str, "Owning account."))
            .attr(
                "map_public_ip_on_launch",
                Attribute::computed(Bool, "Public addresses by default."),
            )
            .attr(
                "available_ip_address_count",
                Attribute::computed(Number, "Free addresses."),
            )
            .attr(
                "enable_resource_name_dns_a_record_on_launch",
                Attribute::computed(Bool, "Instances get a DNS A record of their resource name."),
            )
            .attr(
                "private_dns_hostname_type_on_launch",
                Attribute::computed(Str, "ip-name or resource-name: how instances are named."),
            )
            .attr(
                "enable_lni_at_device_index",
                Attribute::computed(
                    Number,
                    "Device index of the local network interface (0: none).",
                ),
            )
            .attr(
                "ipv6_cidr_block",
                Attribute::optional_computed(Str, "The IPv6 block to match; its IPv6 block."),
            )
            .attr(
                "ipv6_cidr_block_association_id",
                Attribute::computed(Str, "The association of the IPv6 block."),
            )
            .attr(
                "assign_ipv6_address_on_creation",
                Attribute::computed(Bool, "Instances get an IPv6 address."),
            )
            .attr(
                "ipv6_native",
                Attribute::computed(Bool, "An IPv6-only subnet."),
            )
            .attr(
                "enable_dns64",
                Attribute::computed(Bool, "DNS64 for IPv6-only traffic."),
            )
            .attr(
                "enable_resource_name_dns_aaaa_record_on_launch",
                Attribute::computed(
                    Bool,
                    "Instances get a DNS AAAA record of their resource name.",
                ),
            )
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let mut req = c.ec2.describe_subnets().set_filters(Some(filters(
            config,
            &[
                ("vpc_id", "vpc-id"),
                ("cidr_block", "cidr-block"),
                ("availability_zone", "availability-zone"),
                ("availability_zone_id", "availability-zone-id"),
                ("default_for_az", "default-for-az"),
                ("state", "state"),
            ],
        )));
        if let Some(id) = s(config, "id") {
            req = req.subnet_ids(id);
        }
        let out = req
            .send()
            .await
            .map_err(|e| vec![sdk_err("DescribeSubnets", e)])?;
        let v6_of = |sn: &aws_sdk_ec2::types::Subnet| {
            sn.ipv6_cidr_block_association_set()
                .iter()
                .find(|a| {
                    !crate::ec2::leaving(
                        a.ipv6_cidr_block_state()
                            .and_then(|st| st.state())
                            .map(|st| st.as_str()),
                    )
                })
                .cloned()
        };
        // Matched here: the IPv6 block is not a filter every EC2 endpoint takes.
        let want6 = s(config, "ipv6_cidr_block");
        let found: Vec<aws_sdk_ec2::types::Subnet> = out
            .subnets()
            .iter()
            .filter(|sn| {
                want6.as_deref().is_none_or(|w| {
                    v6_of(sn)
                        .and_then(|a| a.ipv6_cidr_block().map(String::from))
                        .as_deref()
                        == Some(w)
                })
            })
            .cloned()
            .collect();
        let sn = exactly_one(found, "subnet")?;
        let v6 = v6_of(&sn);
        let v6 = v6.as_ref();
        Ok(Value::map([
            ("id", opt_str(sn.subnet_id())),
            ("arn", opt_str(sn.subnet_arn())),
            ("vpc_id", opt_str(sn.vpc_id())),
            ("cidr_block", opt_str(sn.cidr_block())),
            ("availability_zone", opt_str(sn.availability_zone())),
            ("availability_zone_id", opt_str(sn.availability_zone_id())),
            (
                "default_for_az",
                sn.default_for_az().map(Value::Bool).unwrap_or(Value::Null),
            ),
            ("state", opt_str(sn.state().map(|x| x.as_str()))),
            ("owner_id", opt_str(sn.owner_id())),
            (
                "map_public_ip_on_launch",
                sn.map_public_ip_on_launch()
                    .map(Value::Bool)
                    .unwrap_or(Value::Null),
            ),
            (
                "available_ip_address_count",
                sn.available_ip_address_count()
                    .map(|n| Value::num(f64::from(n)))
                    .unwrap_or(Value::Null),
            ),
            (
                "enable_resource_name_dns_a_record_on_launch",
                Value::Bool(
                    sn.private_dns_name_options_on_launch()
                        .and_then(|o| o.enable_resource_name_dns_a_record())
                        .unwrap_or(false),
                ),
            ),
            (
                "private_dns_hostname_type_on_launch",
                opt_str(
                    sn.private_dns_name_options_on_launch()
                        .and_then(|o| o.hostname_type())
                        .map(|h| h.as_str()),
                ),
            ),
            (
                // As Terraform's provider: 0 when AWS gives none.
                "enable_lni_at_device_index",
                Value::num(f64::from(sn.enable_lni_at_device_index().unwrap_or(0))),
            ),
            (
                "ipv6_cidr_block",
                opt_str(v6.and_then(|a| a.ipv6_cidr_block())),
            ),
            (
                "ipv6_cidr_block_association_id",
                opt_str(v6.and_then(|a| a.association_id())),
            ),
            (
                "assign_ipv6_address_on_creation",
                Value::Bool(sn.assign_ipv6_address_on_creation().unwrap_or(false)),
            ),
            (
                "ipv6_native",
                Value::Bool(sn.ipv6_native().unwrap_or(false)),
            ),
            (
                "enable_dns64",
                Value::Bool(sn.enable_dns64().unwrap_or(false)),
            ),
            (
                "enable_resource_name_dns_aaaa_record_on_launch",
                Value::Bool(
                    sn.private_dns_name_options_on_launch()
                        .and_then(|o| o.enable_resource_name_dns_aaaa_record())
                        .unwrap_or(false),
                ),
            ),
            ("tags", tags_value(sn.tags())),
            ("filter", config.get_attr("filter").clone()),
        ]))
    }
}

#[async_trait::async_trait]
impl DataSourceType<Clients> for SecurityGroupData {
    fn schema(&self) -> Schema {
        use AttrType::{Map, String as Str};
        Schema::new("Finds one security group.")
            .attr("id", Attribute::optional_computed(Str, "Group id."))
            .attr("name", Attribute::optional_computed(Str, "Group name."))
            .attr("vpc_id", Attribute::optional_computed(Str, "VPC."))
            .attr(
                "tags",
                Attribute::optional_computed(
                    Map(Box::new(Str)),
                    "Tags to match; the group's tags.",
                ),
            )
            .block("filter", filter_block())
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("description", Attribute::computed(Str, "Description."))
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let mut req = c.ec2.describe_security_groups().set_filters(Some(filters(
            config,
            &[("name", "group-name"), ("vpc_id", "vpc-id")],
        )));
        if let Some(id) = s(config, "id") {
            req = req.group_ids(id);
        }
        let out = req
            .send()
            .await
            .map_err(|e| vec![sdk_err("DescribeSecurityGroups", e)])?;
        let g = exactly_one(out.security_groups().to_vec(), "security group")?;
        let id = g.group_id().unwrap_or_default();
        Ok(Value::map([
            ("id", Value::string(id)),
            ("name", opt_str(g.group_name())),
            ("vpc_id", opt_str(g.vpc_id())),
            ("description", opt_str(g.description())),
            (
                "arn",
                Value::string(format!(
                    "arn:aws:ec2:{}:{}:security-group/{id}",
                    crate::ec2::region(c),
                    g.owner_id().unwrap_or_default()
                )),
            ),
            ("tags", tags_value(g.tags())),
            ("filter", config.get_attr("filter").clone()),
        ]))
    }
}
