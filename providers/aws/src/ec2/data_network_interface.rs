//! `data "aws_network_interface"`: one existing network interface, by id or by
//! filters (the interface a load balancer or an endpoint made, found by its
//! description, is the usual case), with what Terraform's data source reads.
//! Exactly one must match.

use aws_sdk_ec2::types::NetworkInterface;
use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::lookups::{exactly_one, filter_block, filters};
use crate::util::{opt_str, s, sdk_err, tags_value};
use crate::Clients;

pub(crate) struct NetworkInterfaceData;

fn strings<'a>(items: impl Iterator<Item = &'a str>) -> Vec<Value> {
    items.map(Value::string).collect()
}

fn value(c: &Clients, n: &NetworkInterface, config: &Value) -> Value {
    let id = n.network_interface_id().unwrap_or_default();
    let owner = n.owner_id().unwrap_or_default();
    let association = n.association().map_or(Value::List(Vec::new()), |a| {
        Value::List(vec![Value::map([
            ("allocation_id", opt_str(a.allocation_id())),
            ("association_id", opt_str(a.association_id())),
            ("carrier_ip", opt_str(a.carrier_ip())),
            ("customer_owned_ip", opt_str(a.customer_owned_ip())),
            ("ip_owner_id", opt_str(a.ip_owner_id())),
            ("public_dns_name", opt_str(a.public_dns_name())),
            ("public_ip", opt_str(a.public_ip())),
        ])])
    });
    let attachment = n.attachment().map_or(Value::List(Vec::new()), |a| {
        Value::List(vec![Value::map([
            ("attachment_id", opt_str(a.attachment_id())),
            (
                "device_index",
                a.device_index()
                    .map_or(Value::Null, |i| Value::num(f64::from(i))),
            ),
            ("instance_id", opt_str(a.instance_id())),
            ("instance_owner_id", opt_str(a.instance_owner_id())),
        ])])
    });
    Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::String(format!(
                "arn:aws:ec2:{}:{owner}:network-interface/{id}",
                super::region(c)
            )),
        ),
        ("association", association),
        ("attachment", attachment),
        ("availability_zone", opt_str(n.availability_zone())),
        ("description", opt_str(n.description())),
        (
            "interface_type",
            opt_str(n.interface_type().map(|t| t.as_str())),
        ),
        (
            "ipv6_addresses",
            Value::set(strings(
                n.ipv6_addresses().iter().filter_map(|a| a.ipv6_address()),
            )),
        ),
        ("mac_address", opt_str(n.mac_address())),
        ("outpost_arn", opt_str(n.outpost_arn())),
        ("owner_id", opt_str(n.owner_id())),
        ("private_dns_name", opt_str(n.private_dns_name())),
        ("private_ip", opt_str(n.private_ip_address())),
        (
            "private_ips",
            Value::List(strings(
                n.private_ip_addresses()
                    .iter()
                    .filter_map(|a| a.private_ip_address()),
            )),
        ),
        ("requester_id", opt_str(n.requester_id())),
        (
            "security_groups",
            Value::set(strings(n.groups().iter().filter_map(|g| g.group_id()))),
        ),
        ("subnet_id", opt_str(n.subnet_id())),
        ("vpc_id", opt_str(n.vpc_id())),
        ("tags", tags_value(n.tag_set())),
        ("filter", config.get_attr("filter").clone()),
    ])
}

#[async_trait::async_trait]
impl DataSourceType<Clients> for NetworkInterfaceData {
    fn schema(&self) -> Schema {
        use AttrType::{Dynamic, List, Map, Set, String as Str};
        let c = |d: &'static str| Attribute::computed(Str, d);
        // A list of (at most one) object, as Terraform's data source has them.
        let objects = || List(Box::new(Dynamic));
        Schema::new("Finds one network interface, by id or filters (exactly one must match).")
            .attr("id", Attribute::optional_computed(Str, "Interface id."))
            .attr(
                "tags",
                Attribute::optional_computed(
                    Map(Box::new(Str)),
                    "Tags to match; the interface's tags.",
                ),
            )
            .block("filter", filter_block())
            .attr("arn", c("ARN."))
            .attr(
                "association",
                Attribute::computed(
                    objects(),
                    "Its Elastic IP, if any: allocation_id, association_id, carrier_ip, customer_owned_ip, ip_owner_id, public_dns_name, public_ip.",
                ),
            )
            .attr(
                "attachment",
                Attribute::computed(
                    objects(),
                    "What it is attached to, if anything: attachment_id, device_index, instance_id, instance_owner_id.",
                ),
            )
            .attr("availability_zone", c("Zone."))
            .attr("description", c("Description."))
            .attr(
                "interface_type",
                c("interface, efa, network_load_balancer, vpc_endpoint, ..."),
            )
            .attr(
                "ipv6_addresses",
                Attribute::computed(Set(Box::new(Str)), "IPv6 addresses."),
            )
            .attr("mac_address", c("MAC address."))
            .attr("outpost_arn", c("The Outpost, for an interface on one."))
            .attr("owner_id", c("Owning account."))
            .attr("private_dns_name", c("Private DNS name."))
            .attr("private_ip", c("Primary private address."))
            .attr(
                "private_ips",
                Attribute::computed(List(Box::new(Str)), "Every private address."),
            )
            .attr(
                "requester_id",
                c("The service that made it (a load balancer's, an endpoint's)."),
            )
            .attr(
                "security_groups",
                Attribute::computed(Set(Box::new(Str)), "Security group ids."),
            )
            .attr("subnet_id", c("Subnet."))
            .attr("vpc_id", c("VPC."))
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let mut wanted = filters(config, &[]);
        if let Some(tags) = config.get_attr("tags").as_map() {
            for (k, v) in tags.iter() {
                if let Some(v) = v.as_str() {
                    wanted.push(
                        aws_sdk_ec2::types::Filter::builder()
                            .name(format!("tag:{k}"))
                            .values(v)
                            .build(),
                    );
                }
            }
        }
        let mut req = c
            .ec2
            .describe_network_interfaces()
            .set_filters((!wanted.is_empty()).then_some(wanted));
        if let Some(id) = s(config, "id") {
            req = req.network_interface_ids(id);
        }
        let out = req
            .send()
            .await
            .map_err(|e| vec![sdk_err("DescribeNetworkInterfaces", e)])?;
        let n = exactly_one(out.network_interfaces().to_vec(), "network interface")?;
        Ok(value(c, &n, config))
    }
}
