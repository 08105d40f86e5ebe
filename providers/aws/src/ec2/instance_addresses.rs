//! `secondary_private_ips` of `aws_instance`: further private IPv4 addresses on
//! the instance's primary network interface. Assigned after launch and changed in
//! place (`AssignPrivateIpAddresses`, `UnassignPrivateIpAddresses`), read from the
//! interface as `DescribeInstances` gives it; not written, it is what AWS has.

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

/// Makes the interface hold what `p` writes (nothing when it writes nothing).
/// Whether it changed anything.
pub(crate) async fn apply(c: &Clients, i: &Instance, p: &Value) -> Result<bool, AttrDiagnostic> {
    let written = p.get_attr("secondary_private_ips");
    if written.is_null() || !written.is_wholly_known() {
        return Ok(false);
    }
    let Some(eni) = primary(i).and_then(|n| n.network_interface_id()) else {
        return Ok(false);
    };
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
    Ok(!new.is_empty() || !gone.is_empty())
}
