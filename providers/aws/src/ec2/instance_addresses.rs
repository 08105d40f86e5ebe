//! The further addresses of `aws_instance`'s primary network interface:
//! `secondary_private_ips` (private IPv4) and, in a dual-stack subnet,
//! `ipv6_addresses` or `ipv6_address_count` (IPv6). Assigned after launch and
//! changed in place (`Assign`/`Unassign` `PrivateIpAddresses` and
//! `Ipv6Addresses`), read from the interface as `DescribeInstances` gives it;
//! not written, they are what AWS has.

use aws_sdk_ec2::types::Instance;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::util::{sdk_err, strings};
use crate::Clients;

pub(crate) fn schema(s: Schema) -> Schema {
    s.attr(
        "secondary_private_ips",
        Attribute::optional_computed(
            AttrType::Set(Box::new(AttrType::String)),
            "Further private IPv4 addresses on the primary network interface (in its subnet).",
        ),
    )
    .attr(
        "ipv6_addresses",
        Attribute::optional_computed(
            AttrType::List(Box::new(AttrType::String)),
            "IPv6 addresses of the primary network interface, from the subnet's IPv6 block (not with ipv6_address_count); changed in place.",
        ),
    )
    .attr(
        "ipv6_address_count",
        Attribute::optional_computed(
            AttrType::Number,
            "How many IPv6 addresses AWS gives the primary network interface from the subnet's block (not with ipv6_addresses); changed in place.",
        ),
    )
}

/// The IPv6 addresses of the primary interface, as AWS lists them.
fn ipv6(i: &Instance) -> Vec<String> {
    primary(i)
        .map(|n| n.ipv6_addresses())
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a.ipv6_address().map(String::from))
        .collect()
}

/// A count written changes the addresses AWS picks: unknown until the apply;
/// addresses written give the count.
pub(crate) fn plan(prior: Option<&Value>, config: &Value, planned: &mut Value) {
    if let Some(list) = config.get_attr("ipv6_addresses").as_list() {
        crate::util::set(planned, "ipv6_address_count", Value::num(list.len()));
        return;
    }
    let count = config.get_attr("ipv6_address_count");
    if !count.is_null() {
        let had = prior.map(|p| p.get_attr("ipv6_address_count"));
        if had != Some(count) {
            crate::util::set(planned, "ipv6_addresses", Value::Unknown);
        }
    }
}

fn primary(i: &Instance) -> Option<&aws_sdk_ec2::types::InstanceNetworkInterface> {
    i.network_interfaces()
        .iter()
        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0))
}

/// The secondary addresses of the primary interface, sorted.
fn secondary(i: &Instance) -> Vec<String> {
    let mut ips: Vec<String> = primary(i)
        .map(|n| n.private_ip_addresses())
        .unwrap_or_default()
        .iter()
        .filter(|a| a.primary() != Some(true))
        .filter_map(|a| a.private_ip_address().map(String::from))
        .collect();
    ips.sort();
    ips
}

pub(crate) fn read(i: &Instance) -> Value {
    Value::set(secondary(i).into_iter().map(Value::String).collect())
}

/// `ipv6_addresses` and `ipv6_address_count` as the interface has them (in the
/// order written, when they are the ones written: AWS's order is not).
pub(crate) fn read_ipv6(i: &Instance, keep: &Value, v: &mut Value) {
    let mut ips = ipv6(i);
    let written: Vec<String> = keep
        .get_attr("ipv6_addresses")
        .as_list()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let mut a = ips.clone();
    let mut b = written.clone();
    a.sort();
    b.sort();
    if a == b {
        ips = written;
    }
    crate::util::set(v, "ipv6_address_count", Value::num(ips.len()));
    crate::util::set(
        v,
        "ipv6_addresses",
        Value::List(ips.into_iter().map(Value::String).collect()),
    );
}

/// Makes the interface hold what `p` writes (nothing when it writes nothing).
/// Whether it changed anything.
pub(crate) async fn apply(c: &Clients, i: &Instance, p: &Value) -> Result<bool, AttrDiagnostic> {
    let Some(eni) = primary(i).and_then(|n| n.network_interface_id()) else {
        return Ok(false);
    };
    let v6 = apply_ipv6(c, i, eni, p).await?;
    let written = p.get_attr("secondary_private_ips");
    if written.is_null() || !written.is_wholly_known() {
        return Ok(v6);
    }
    let want = strings(p, "secondary_private_ips");
    let have = secondary(i);
    let new: Vec<String> = want.iter().filter(|a| !have.contains(a)).cloned().collect();
    let gone: Vec<String> = have.iter().filter(|a| !want.contains(a)).cloned().collect();
    if !gone.is_empty() {
        c.ec2
            .unassign_private_ip_addresses()
            .network_interface_id(eni)
            .set_private_ip_addresses(Some(gone.clone()))
            .send()
            .await
            .map_err(|e| sdk_err("UnassignPrivateIpAddresses", e))?;
    }
    if !new.is_empty() {
        c.ec2
            .assign_private_ip_addresses()
            .network_interface_id(eni)
            .set_private_ip_addresses(Some(new.clone()))
            .send()
            .await
            .map_err(|e| sdk_err("AssignPrivateIpAddresses", e))?;
    }
    Ok(v6 || !new.is_empty() || !gone.is_empty())
}

/// The interface's IPv6 addresses as written: the addresses themselves, or how
/// many (new ones picked by AWS; the last ones given back when fewer).
async fn apply_ipv6(
    c: &Clients,
    i: &Instance,
    eni: &str,
    p: &Value,
) -> Result<bool, AttrDiagnostic> {
    let have = ipv6(i);
    let (new, gone, more): (Vec<String>, Vec<String>, i32) =
        if let Some(list) = p.get_attr("ipv6_addresses").as_list() {
            if !p.get_attr("ipv6_addresses").is_wholly_known() {
                return Ok(false);
            }
            let want: Vec<String> = list
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
            (
                want.iter().filter(|a| !have.contains(a)).cloned().collect(),
                have.iter().filter(|a| !want.contains(a)).cloned().collect(),
                0,
            )
        } else if let Some(n) = p.get_attr("ipv6_address_count").as_f64() {
            let n = n as usize;
            if n >= have.len() {
                (Vec::new(), Vec::new(), (n - have.len()) as i32)
            } else {
                (Vec::new(), have[n..].to_vec(), 0)
            }
        } else {
            return Ok(false);
        };
    if !gone.is_empty() {
        c.ec2
            .unassign_ipv6_addresses()
            .network_interface_id(eni)
            .set_ipv6_addresses(Some(gone.clone()))
            .send()
            .await
            .map_err(|e| sdk_err("UnassignIpv6Addresses", e))?;
    }
    if !new.is_empty() || more > 0 {
        c.ec2
            .assign_ipv6_addresses()
            .network_interface_id(eni)
            .set_ipv6_addresses((!new.is_empty()).then_some(new.clone()))
            .set_ipv6_address_count((more > 0).then_some(more))
            .send()
            .await
            .map_err(|e| sdk_err("AssignIpv6Addresses", e))?;
    }
    Ok(!new.is_empty() || !gone.is_empty() || more > 0)
}
