//! Data sources computed from the configured region, without a call: `aws_region`
//! and `aws_partition`. Descriptions and endpoints are the Terraform AWS
//! provider's (tests/it/testdata/terraform/regions.txt, made by
//! scripts/terraform-golden.sh).

use iac_provider::AttrDiagnostic;
use iac_value::Value;

use crate::util::{attr_err, s};

/// Every region iac knows, with AWS's description of it.
const REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-central-1", "Middle East (UAE)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
];

/// The partition of a region: its name, DNS suffix and reverse DNS prefix.
pub fn partition_of(region: &str) -> (&'static str, &'static str, &'static str) {
    if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn", "cn.com.amazonaws")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com", "com.amazonaws")
    } else {
        ("aws", "amazonaws.com", "com.amazonaws")
    }
}

pub fn read_data(
    type_name: &str,
    configured_region: &str,
    config: &Value,
) -> Result<Value, Vec<AttrDiagnostic>> {
    match type_name {
        "aws_region" => {
            let name = s(config, "region")
                .or_else(|| s(config, "name"))
                .unwrap_or_else(|| configured_region.to_string());
            let Some((_, description)) = REGIONS.iter().find(|(r, _)| *r == name) else {
                return Err(vec![attr_err(
                    "name",
                    "no matching region found",
                    format!("\"{name}\" is not a region iac knows"),
                )]);
            };
            let (_, dns_suffix, _) = partition_of(&name);
            let endpoint = format!("ec2.{name}.{dns_suffix}");
            if let Some(want) = s(config, "endpoint") {
                if want != endpoint {
                    return Err(vec![attr_err(
                        "endpoint",
                        "no matching region found",
                        format!("the endpoint of {name} is {endpoint}, not {want}"),
                    )]);
                }
            }
            Ok(Value::map([
                ("name", Value::string(&name)),
                ("region", Value::string(&name)),
                ("id", Value::string(&name)),
                ("endpoint", Value::string(endpoint)),
                ("description", Value::string(*description)),
            ]))
        }
        _ => {
            let (partition, dns_suffix, reverse) = partition_of(configured_region);
            Ok(Value::map([
                ("partition", Value::string(partition)),
                ("id", Value::string(partition)),
                ("dns_suffix", Value::string(dns_suffix)),
                ("reverse_dns_prefix", Value::string(reverse)),
            ]))
        }
    }
}
