//! `data "aws_vpc_endpoint_service"`: an AWS service (or an endpoint service)
//! a VPC endpoint can reach, by its short name (`service = "s3"`), its full
//! name, its type, tags or filters, as the VPC module's endpoints look them up.
//! Exactly one must match: S3 has a Gateway and an Interface service, so
//! `service_type` tells them apart.

use aws_sdk_ec2::types::{Filter, ServiceDetail};
use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::lookups::{exactly_one, filter_block, filters};
use crate::util::{attr_err, opt_str, s, sdk_err, tags_value};
use crate::Clients;

pub(crate) struct VpcEndpointServiceData;

fn strings<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    Value::set(items.map(Value::string).collect())
}

fn value(c: &Clients, d: &ServiceDetail, config: &Value) -> Value {
    let name = d.service_name().unwrap_or_default();
    let region = super::region(c);
    let service_type = d
        .service_type()
        .first()
        .and_then(|t| t.service_type())
        .map(|t| t.as_str());
    Value::map([
        ("id", Value::string(d.service_id().unwrap_or(name))),
        ("service", config.get_attr("service").clone()),
        ("service_name", Value::string(name)),
        ("service_id", opt_str(d.service_id())),
        ("service_type", opt_str(service_type)),
        (
            "arn",
            Value::string(format!(
                "arn:aws:ec2:{region}:{}:vpc-endpoint-service/{}",
                d.owner().unwrap_or_default(),
                d.service_id().unwrap_or_default()
            )),
        ),
        (
            "acceptance_required",
            d.acceptance_required().map_or(Value::Null, Value::Bool),
        ),
        (
            "availability_zones",
            strings(d.availability_zones().iter().map(String::as_str)),
        ),
        (
            "base_endpoint_dns_names",
            strings(d.base_endpoint_dns_names().iter().map(String::as_str)),
        ),
        (
            "manages_vpc_endpoints",
            d.manages_vpc_endpoints().map_or(Value::Null, Value::Bool),
        ),
        ("owner", opt_str(d.owner())),
        ("private_dns_name", opt_str(d.private_dns_name())),
        (
            "private_dns_names",
            strings(
                d.private_dns_names()
                    .iter()
                    .filter_map(|n| n.private_dns_name()),
            ),
        ),
        ("region", Value::string(region)),
        (
            "supported_ip_address_types",
            strings(d.supported_ip_address_types().iter().map(|t| t.as_str())),
        ),
        (
            "vpc_endpoint_policy_supported",
            d.vpc_endpoint_policy_supported()
                .map_or(Value::Null, Value::Bool),
        ),
        (
            "service_regions",
            config.get_attr("service_regions").clone(),
        ),
        ("tags", tags_value(d.tags())),
        ("filter", config.get_attr("filter").clone()),
    ])
}

#[async_trait::async_trait]
impl DataSourceType<Clients> for VpcEndpointServiceData {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Map, Set, String as Str};
        let c = |d: &'static str| Attribute::computed(Str, d);
        let strs = || Set(Box::new(Str));
        Schema::new("Finds one VPC endpoint service: an AWS service by short or full name, or an endpoint service (exactly one must match).")
            .attr("service", Attribute::optional(Str, "An AWS service's short name, such as s3 or ssm."))
            .attr("service_name", Attribute::optional_computed(Str, "The full name, such as com.amazonaws.us-east-1.s3."))
            .attr("service_type", Attribute::optional_computed(Str, "Gateway or Interface."))
            .attr("service_regions", Attribute::optional(strs(), "Regions the service is offered from (only this region's are read)."))
            .attr("tags", Attribute::optional_computed(Map(Box::new(Str)), "Tags to match; the service's tags."))
            .block("filter", filter_block())
            .attr("id", c("The service id (or name)."))
            .attr("service_id", c("The service id."))
            .attr("arn", c("ARN."))
            .attr("acceptance_required", Attribute::computed(Bool, "Whether an endpoint needs the owner's acceptance."))
            .attr("availability_zones", Attribute::computed(strs(), "Zones it is offered in."))
            .attr("base_endpoint_dns_names", Attribute::computed(strs(), "Base DNS names."))
            .attr("manages_vpc_endpoints", Attribute::computed(Bool, "Whether the service manages its endpoints."))
            .attr("owner", c("Owning account (amazon for AWS services)."))
            .attr("private_dns_name", c("Private DNS name."))
            .attr("private_dns_names", Attribute::computed(strs(), "Private DNS names."))
            .attr("region", c("The region."))
            .attr("supported_ip_address_types", Attribute::computed(strs(), "ipv4, ipv6."))
            .attr("vpc_endpoint_policy_supported", Attribute::computed(Bool, "Whether endpoints take a policy."))
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let name = match (s(config, "service"), s(config, "service_name")) {
            (Some(_), Some(_)) => {
                return Err(vec![attr_err(
                    "service",
                    "Conflicting arguments",
                    "give service (a short name) or service_name (a full one), not both",
                )])
            }
            (Some(short), None) => Some(format!("com.amazonaws.{}.{short}", super::region(c))),
            (None, full) => full,
        };
        // By name with ServiceNames (as Terraform asks); the type is told apart
        // here, among the few services of one name.
        let mut wanted = filters(config, &[]);
        if let Some(tags) = config.get_attr("tags").as_map() {
            for (k, v) in tags.iter() {
                if let Some(v) = v.as_str() {
                    wanted.push(Filter::builder().name(format!("tag:{k}")).values(v).build());
                }
            }
        }
        let out = c
            .ec2
            .describe_vpc_endpoint_services()
            .set_service_names(name.clone().map(|n| vec![n]))
            .set_filters((!wanted.is_empty()).then_some(wanted))
            .send()
            .await
            .map_err(|e| vec![sdk_err("DescribeVpcEndpointServices", e)])?;
        let wanted_type = s(config, "service_type");
        let found: Vec<ServiceDetail> = out
            .service_details()
            .iter()
            .filter(|d| name.as_deref().is_none_or(|n| d.service_name() == Some(n)))
            .filter(|d| {
                wanted_type.as_deref().is_none_or(|t| {
                    d.service_type()
                        .iter()
                        .any(|x| x.service_type().map(|y| y.as_str()) == Some(t))
                })
            })
            .cloned()
            .collect();
        let d = exactly_one(found, "VPC endpoint service")?;
        Ok(value(c, &d, config))
    }
}
