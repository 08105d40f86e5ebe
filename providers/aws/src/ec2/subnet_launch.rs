//! What a subnet gives the instances launched in it, beyond addresses: the host
//! name type, AAAA records of resource names, DNS64 and the device index of a
//! local network interface. Shared by `aws_subnet` and `aws_default_subnet`.
//! Each is set with a ModifySubnetAttribute call of its own (EC2 takes one
//! attribute per call), only when written and different from what the subnet
//! has, and read back from DescribeSubnets.

use aws_sdk_ec2::types::{AttributeBooleanValue, HostnameType, Subnet};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::ec2::flag;
use crate::util::{int, s, sdk_err, set};
use crate::Clients;

pub(crate) fn schema(s: Schema) -> Schema {
    use AttrType::{Bool, Number, String as Str};
    s.attr(
        "private_dns_hostname_type_on_launch",
        Attribute::optional_computed(
            Str,
            "Host names of instances: ip-name or resource-name; changed in place.",
        ),
    )
    .attr(
        "enable_resource_name_dns_aaaa_record_on_launch",
        Attribute::optional(
            Bool,
            "Give instances a DNS AAAA record of their resource name (default false).",
        ),
    )
    .attr(
        "enable_dns64",
        Attribute::optional(
            Bool,
            "DNS64: answer IPv6-only clients with synthesized addresses of IPv4 names (default false).",
        ),
    )
    .attr(
        "enable_lni_at_device_index",
        Attribute::optional(
            Number,
            "Device index of a local network interface (Outposts); unset to turn it off.",
        ),
    )
}

/// These settings of a subnet as AWS reports them, into `v`; what it does not
/// report is `keep`'s.
pub(crate) fn read(sn: &Subnet, keep: &Value, v: &mut Value) {
    let options = sn.private_dns_name_options_on_launch();
    set(
        v,
        "private_dns_hostname_type_on_launch",
        match options.and_then(|o| o.hostname_type()) {
            Some(h) => Value::string(h.as_str()),
            None => keep.get_attr("private_dns_hostname_type_on_launch").clone(),
        },
    );
    set(
        v,
        "enable_resource_name_dns_aaaa_record_on_launch",
        flag(
            options.and_then(|o| o.enable_resource_name_dns_aaaa_record()),
            keep.get_attr("enable_resource_name_dns_aaaa_record_on_launch"),
        ),
    );
    set(
        v,
        "enable_dns64",
        flag(sn.enable_dns64(), keep.get_attr("enable_dns64")),
    );
    set(
        v,
        "enable_lni_at_device_index",
        match sn.enable_lni_at_device_index().filter(|i| *i > 0) {
            Some(i) => Value::num(f64::from(i)),
            None => match keep.get_attr("enable_lni_at_device_index") {
                Value::Number(_) if sn.enable_lni_at_device_index().is_some() => Value::Null,
                other => other.clone(),
            },
        },
    );
}

fn on(b: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(b).build()
}

/// Sets what `p` writes and the subnet (`was`, as read) does not have.
pub(crate) async fn apply(
    c: &Clients,
    id: &str,
    was: &Value,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let differs = |k: &str| !p.get_attr(k).is_null() && p.get_attr(k) != was.get_attr(k);
    let call = || c.ec2.modify_subnet_attribute().subnet_id(id);
    let mut calls = Vec::new();
    if differs("private_dns_hostname_type_on_launch") {
        calls.push(call().set_private_dns_hostname_type_on_launch(
            s(p, "private_dns_hostname_type_on_launch").map(|h| HostnameType::from(h.as_str())),
        ));
    }
    let flag_of = |k: &str| p.get_attr(k).as_bool() == Some(true);
    // A flag not written is false; it is turned off only if the subnet has it on.
    let flag_differs = |k: &str| flag_of(k) != (was.get_attr(k).as_bool() == Some(true));
    if flag_differs("enable_resource_name_dns_aaaa_record_on_launch") {
        calls.push(
            call().enable_resource_name_dns_aaaa_record_on_launch(on(flag_of(
                "enable_resource_name_dns_aaaa_record_on_launch",
            ))),
        );
    }
    if flag_differs("enable_dns64") {
        calls.push(call().enable_dns64(on(flag_of("enable_dns64"))));
    }
    let lni = int(p, "enable_lni_at_device_index");
    if lni != int(was, "enable_lni_at_device_index") {
        calls.push(match lni {
            Some(i) => call().enable_lni_at_device_index(i),
            None => call().disable_lni_at_device_index(on(true)),
        });
    }
    for req in calls {
        req.send()
            .await
            .map_err(|e| sdk_err("ModifySubnetAttribute", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::PrivateDnsNameOptionsOnLaunch;

    #[test]
    fn reported_settings_are_read_and_unreported_ones_kept() {
        let keep = Value::map([
            (
                "private_dns_hostname_type_on_launch",
                Value::string("resource-name"),
            ),
            ("enable_dns64", Value::Bool(true)),
            ("enable_lni_at_device_index", Value::num(1)),
        ]);
        let mut v = Value::map([("id", Value::string("subnet-1"))]);
        read(&Subnet::builder().build(), &keep, &mut v);
        assert_eq!(
            v.get_attr("private_dns_hostname_type_on_launch"),
            &Value::string("resource-name")
        );
        assert_eq!(v.get_attr("enable_dns64"), &Value::Bool(true));
        assert_eq!(v.get_attr("enable_lni_at_device_index"), &Value::num(1));
        assert_eq!(
            v.get_attr("enable_resource_name_dns_aaaa_record_on_launch"),
            &Value::Null
        );
        let sn = Subnet::builder()
            .private_dns_name_options_on_launch(
                PrivateDnsNameOptionsOnLaunch::builder()
                    .hostname_type(HostnameType::IpName)
                    .enable_resource_name_dns_aaaa_record(true)
                    .build(),
            )
            .enable_dns64(false)
            .enable_lni_at_device_index(0)
            .build();
        read(&sn, &keep, &mut v);
        assert_eq!(
            v.get_attr("private_dns_hostname_type_on_launch"),
            &Value::string("ip-name")
        );
        assert_eq!(
            v.get_attr("enable_resource_name_dns_aaaa_record_on_launch"),
            &Value::Bool(true)
        );
        assert_eq!(v.get_attr("enable_dns64"), &Value::Bool(false));
        assert_eq!(
            v.get_attr("enable_lni_at_device_index"),
            &Value::Null,
            "0 is off"
        );
    }
}
