//! `aws_lb`'s `subnet_mapping` blocks: a subnet each, and for a network load
//! balancer the fixed addresses it has there (an Elastic IP by `allocation_id`,
//! a `private_ipv4_address`, an `ipv6_address`). As in Terraform, an address is
//! given when the load balancer is made; another address for a subnet replaces
//! the load balancer, since AWS cannot change one in place.

use aws_sdk_elasticloadbalancingv2 as elb;
use elb::types::{LoadBalancer, SubnetMapping};
use iac_provider::AttrDiagnostic;
use iac_value::Value;

use crate::util::{attr_err, opt_str, s};

/// The fixed addresses a mapping can name.
pub(crate) const ADDRESSES: &[&str] = &["allocation_id", "private_ipv4_address", "ipv6_address"];

fn mappings(v: &Value) -> &[Value] {
    v.get_attr("subnet_mapping").as_list().unwrap_or(&[])
}

/// The written mapping of a subnet, if any.
fn mapping_of<'a>(v: &'a Value, subnet: &str) -> Option<&'a Value> {
    mappings(v)
        .iter()
        .find(|m| m.get_attr("subnet_id").as_str() == Some(subnet))
}

/// One mapping as plans and state hold it: the subnet and its three addresses.
pub(crate) fn value(subnet: &str, addresses: [Value; 3]) -> Value {
    let [allocation, private, ipv6] = addresses;
    Value::map([
        ("subnet_id", Value::string(subnet)),
        ("allocation_id", allocation),
        ("private_ipv4_address", private),
        ("ipv6_address", ipv6),
        // iac's load balancers are in AWS Regions, never on an Outpost.
        ("outpost_id", Value::Null),
    ])
}

/// The mapping of each subnet as planned: the written one's addresses, null for
/// a subnet named only in `subnets`.
pub(crate) fn planned(config: &Value, subnets: &[String]) -> Value {
    Value::set(
        subnets
            .iter()
            .map(|sn| {
                let written = mapping_of(config, sn);
                let get = |k: &str| written.map_or(Value::Null, |m| m.get_attr(k).clone());
                value(
                    sn,
                    [get(ADDRESSES[0]), get(ADDRESSES[1]), get(ADDRESSES[2])],
                )
            })
            .collect(),
    )
}

/// Whether a subnet both have is given another address: that replaces.
pub(crate) fn readdressed(prior: &Value, planned: &Value) -> bool {
    mappings(planned).iter().any(|m| {
        let Some(sn) = m.get_attr("subnet_id").as_str() else {
            return false;
        };
        let Some(before) = mapping_of(prior, sn) else {
            return false;
        };
        ADDRESSES.iter().any(|k| {
            let want = m.get_attr(k);
            want.is_wholly_known() && want != before.get_attr(k)
        })
    })
}

/// A network load balancer's addresses are read back from its zones. What the
/// configuration leaves out of a mapping is AWS's to choose and not reported;
/// an answer without addresses (moto keeps none) keeps the written ones. With
/// no mappings to go by (a data source, an import) AWS's are reported.
pub(crate) fn read(lb: &LoadBalancer, keep: &Value) -> Value {
    let by_config = !mappings(keep).is_empty();
    Value::set(
        lb.availability_zones()
            .iter()
            .filter_map(|z| {
                let sn = z.subnet_id()?;
                let a = z.load_balancer_addresses().first();
                let aws = [
                    opt_str(a.and_then(|a| a.allocation_id())),
                    opt_str(a.and_then(|a| a.private_ipv4_address())),
                    opt_str(a.and_then(|a| a.ipv6_address())),
                ];
                if !by_config {
                    return Some(value(sn, aws));
                }
                let kept = mapping_of(keep, sn);
                let [x, y, z] = aws;
                let pick = |k: &str, got: Value| match kept.map(|m| m.get_attr(k)) {
                    Some(w) if !w.is_null() => {
                        if got.is_null() {
                            w.clone()
                        } else {
                            got
                        }
                    }
                    _ => Value::Null,
                };
                Some(value(
                    sn,
                    [
                        pick(ADDRESSES[0], x),
                        pick(ADDRESSES[1], y),
                        pick(ADDRESSES[2], z),
                    ],
                ))
            })
            .collect(),
    )
}

/// The mappings to send when any names an address (else the subnets will do).
pub(crate) fn sdk(p: &Value, subnets: &[String]) -> Option<Vec<SubnetMapping>> {
    let any = mappings(p)
        .iter()
        .any(|m| ADDRESSES.iter().any(|k| !m.get_attr(k).is_null()));
    any.then(|| {
        subnets
            .iter()
            .map(|sn| {
                let m = mapping_of(p, sn).cloned().unwrap_or(Value::Null);
                SubnetMapping::builder()
                    .subnet_id(sn)
                    .set_allocation_id(s(&m, "allocation_id"))
                    .set_private_ipv4_address(s(&m, "private_ipv4_address"))
                    .set_ipv6_address(s(&m, "ipv6_address"))
                    .build()
            })
            .collect()
    })
}

/// Fixed addresses are a network load balancer's only.
pub(crate) fn validate(config: &Value) -> Vec<AttrDiagnostic> {
    let kind = config.get_attr("load_balancer_type");
    let network = kind.as_str() == Some("network") || kind.is_unknown();
    let mut out = Vec::new();
    for m in mappings(config) {
        for k in ADDRESSES {
            if !m.get_attr(k).is_null() && !network {
                let d = attr_err(
                    "subnet_mapping",
                    "Address on an application load balancer",
                    format!("`{k}` in subnet_mapping gives a network load balancer a fixed address in that subnet; an application load balancer's addresses are AWS's (set load_balancer_type = \"network\")"),
                );
                out.push(d);
            }
        }
    }
    out
}
