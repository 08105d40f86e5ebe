//! A launch template's `network_interfaces` blocks: every argument Terraform's
//! provider has for them (addresses and prefixes by list or count, the card
//! and interface type, connection tracking, ENA Express), sent in the version's
//! data and read back from it. A template holds them; they act when it launches.

use aws_sdk_ec2::types::{
    ConnectionTrackingSpecificationRequest, EnaSrdSpecificationRequest,
    EnaSrdUdpSpecificationRequest, InstanceIpv6AddressRequest, Ipv4PrefixSpecificationRequest,
    Ipv6PrefixSpecificationRequest, LaunchTemplateInstanceNetworkInterfaceSpecification,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest, PrivateIpAddressSpecification,
};
use iac_provider::{AttrType, Attribute, Nesting, Schema};
use iac_value::Value;

use crate::schema::nested;
use crate::util::{first, int, opt_str, s, strings};

fn strs() -> AttrType {
    AttrType::Set(Box::new(AttrType::String))
}

/// The schema of one `network_interfaces` block.
pub(crate) fn schema() -> Schema {
    use AttrType::{Bool, Number, String as Str};
    let opt = Attribute::optional;
    let flag = |about: &'static str| opt(Str, about);
    Schema::new("A network interface.")
        .attr(
            "associate_public_ip_address",
            flag("\"true\" or \"false\"."),
        )
        .attr(
            "associate_carrier_ip_address",
            flag("\"true\" or \"false\": a Wavelength carrier address."),
        )
        .attr("delete_on_termination", flag("\"true\" or \"false\"."))
        .attr(
            "primary_ipv6",
            flag("\"true\" or \"false\": the first IPv6 address is the primary one."),
        )
        .attr("device_index", opt(Number, "Position."))
        .attr(
            "network_card_index",
            opt(Number, "Network card (instances with several)."),
        )
        .attr(
            "network_interface_id",
            opt(Str, "An existing interface to attach."),
        )
        .attr(
            "interface_type",
            opt(Str, "interface (default), efa or efa-only."),
        )
        .attr("subnet_id", opt(Str, "Subnet."))
        .attr("description", opt(Str, "Description."))
        .attr("security_groups", opt(strs(), "Security groups."))
        .attr(
            "private_ip_address",
            opt(Str, "The primary private IPv4 address."),
        )
        .attr(
            "ipv4_addresses",
            opt(strs(), "Secondary private IPv4 addresses."),
        )
        .attr(
            "ipv4_address_count",
            opt(
                Number,
                "How many secondary private IPv4 addresses AWS picks.",
            ),
        )
        .attr("ipv6_addresses", opt(strs(), "IPv6 addresses."))
        .attr(
            "ipv6_address_count",
            opt(Number, "How many IPv6 addresses AWS picks."),
        )
        .attr(
            "ipv4_prefixes",
            opt(strs(), "IPv4 prefixes delegated to the interface."),
        )
        .attr(
            "ipv4_prefix_count",
            opt(Number, "How many IPv4 prefixes AWS picks."),
        )
        .attr(
            "ipv6_prefixes",
            opt(strs(), "IPv6 prefixes delegated to the interface."),
        )
        .attr(
            "ipv6_prefix_count",
            opt(Number, "How many IPv6 prefixes AWS picks."),
        )
        .block(
            "connection_tracking_specification",
            nested(
                Nesting::List,
                0,
                Some(1),
                Schema::new("Connection tracking timeouts, in seconds.")
                    .attr(
                        "tcp_established_timeout",
                        opt(Number, "Established TCP connections."),
                    )
                    .attr(
                        "udp_stream_timeout",
                        opt(Number, "UDP flows seen in both directions."),
                    )
                    .attr("udp_timeout", opt(Number, "Other UDP flows.")),
            ),
        )
        .block(
            "ena_srd_specification",
            nested(
                Nesting::List,
                0,
                Some(1),
                Schema::new("ENA Express.")
                    .attr(
                        "ena_srd_enabled",
                        opt(Bool, "ENA Express on the interface."),
                    )
                    .block(
                        "ena_srd_udp_specification",
                        nested(
                            Nesting::List,
                            0,
                            Some(1),
                            Schema::new("ENA Express for UDP.")
                                .attr("ena_srd_udp_enabled", opt(Bool, "On for UDP too.")),
                        ),
                    ),
            ),
        )
}

fn flag(n: &Value, k: &str) -> Option<bool> {
    match n.get_attr(k) {
        Value::String(x) => Some(x == "true"),
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn non_empty(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

/// One block as the version's request data.
pub(crate) fn request(n: &Value) -> LaunchTemplateInstanceNetworkInterfaceSpecificationRequest {
    let mut r = LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
        .set_associate_public_ip_address(flag(n, "associate_public_ip_address"))
        .set_associate_carrier_ip_address(flag(n, "associate_carrier_ip_address"))
        .set_delete_on_termination(flag(n, "delete_on_termination"))
        .set_primary_ipv6(flag(n, "primary_ipv6"))
        .set_device_index(int(n, "device_index"))
        .set_network_card_index(int(n, "network_card_index"))
        .set_network_interface_id(s(n, "network_interface_id"))
        .set_interface_type(s(n, "interface_type"))
        .set_subnet_id(s(n, "subnet_id"))
        .set_description(s(n, "description"))
        .set_groups(non_empty(strings(n, "security_groups")))
        .set_private_ip_address(s(n, "private_ip_address"))
        .set_secondary_private_ip_address_count(int(n, "ipv4_address_count"))
        .set_ipv6_address_count(int(n, "ipv6_address_count"))
        .set_ipv4_prefix_count(int(n, "ipv4_prefix_count"))
        .set_ipv6_prefix_count(int(n, "ipv6_prefix_count"));
    let secondary: Vec<PrivateIpAddressSpecification> = strings(n, "ipv4_addresses")
        .into_iter()
        .map(|a| {
            PrivateIpAddressSpecification::builder()
                .private_ip_address(a)
                .primary(false)
                .build()
        })
        .collect();
    if !secondary.is_empty() {
        r = r.set_private_ip_addresses(Some(secondary));
    }
    let v6: Vec<InstanceIpv6AddressRequest> = strings(n, "ipv6_addresses")
        .into_iter()
        .map(|a| {
            InstanceIpv6AddressRequest::builder()
                .ipv6_address(a)
                .build()
        })
        .collect();
    if !v6.is_empty() {
        r = r.set_ipv6_addresses(Some(v6));
    }
    for p in strings(n, "ipv4_prefixes") {
        r = r.ipv4_prefixes(
            Ipv4PrefixSpecificationRequest::builder()
                .ipv4_prefix(p)
                .build(),
        );
    }
    for p in strings(n, "ipv6_prefixes") {
        r = r.ipv6_prefixes(
            Ipv6PrefixSpecificationRequest::builder()
                .ipv6_prefix(p)
                .build(),
        );
    }
    let ct = first(n, "connection_tracking_specification");
    if !ct.is_null() {
        r = r.connection_tracking_specification(
            ConnectionTrackingSpecificationRequest::builder()
                .set_tcp_established_timeout(int(&ct, "tcp_established_timeout"))
                .set_udp_stream_timeout(int(&ct, "udp_stream_timeout"))
                .set_udp_timeout(int(&ct, "udp_timeout"))
                .build(),
        );
    }
    let srd = first(n, "ena_srd_specification");
    if !srd.is_null() {
        let udp = first(&srd, "ena_srd_udp_specification");
        let mut spec = EnaSrdSpecificationRequest::builder()
            .set_ena_srd_enabled(srd.get_attr("ena_srd_enabled").as_bool());
        if !udp.is_null() {
            spec = spec.ena_srd_udp_specification(
                EnaSrdUdpSpecificationRequest::builder()
                    .set_ena_srd_udp_enabled(udp.get_attr("ena_srd_udp_enabled").as_bool())
                    .build(),
            );
        }
        r = r.ena_srd_specification(spec.build());
    }
    r.build()
}

fn num(n: Option<i32>) -> Value {
    n.map_or(Value::Null, |n| Value::num(f64::from(n)))
}

fn bool_str(x: Option<bool>) -> Value {
    x.map_or(Value::Null, |v| {
        Value::string(if v { "true" } else { "false" })
    })
}

fn set_or_null(items: Vec<Value>) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::set(items)
    }
}

/// One block as the version holds it.
pub(crate) fn value(n: &LaunchTemplateInstanceNetworkInterfaceSpecification) -> Value {
    let secondary: Vec<Value> = n
        .private_ip_addresses()
        .iter()
        .filter(|a| a.primary() != Some(true))
        .filter_map(|a| a.private_ip_address().map(Value::string))
        .collect();
    let v6: Vec<Value> = n
        .ipv6_addresses()
        .iter()
        .filter_map(|a| a.ipv6_address().map(Value::string))
        .collect();
    let p4: Vec<Value> = n
        .ipv4_prefixes()
        .iter()
        .filter_map(|p| p.ipv4_prefix().map(Value::string))
        .collect();
    let p6: Vec<Value> = n
        .ipv6_prefixes()
        .iter()
        .filter_map(|p| p.ipv6_prefix().map(Value::string))
        .collect();
    let ct = n.connection_tracking_specification().map(|c| {
        Value::map([
            ("tcp_established_timeout", num(c.tcp_established_timeout())),
            ("udp_stream_timeout", num(c.udp_stream_timeout())),
            ("udp_timeout", num(c.udp_timeout())),
        ])
    });
    let srd = n.ena_srd_specification().map(|e| {
        let udp = e.ena_srd_udp_specification().map(|u| {
            Value::map([(
                "ena_srd_udp_enabled",
                u.ena_srd_udp_enabled().map_or(Value::Null, Value::Bool),
            )])
        });
        Value::map([
            (
                "ena_srd_enabled",
                e.ena_srd_enabled().map_or(Value::Null, Value::Bool),
            ),
            (
                "ena_srd_udp_specification",
                Value::List(udp.into_iter().collect()),
            ),
        ])
    });
    let groups: Vec<Value> = n.groups().iter().map(Value::string).collect();
    Value::map([
        (
            "associate_public_ip_address",
            bool_str(n.associate_public_ip_address()),
        ),
        (
            "associate_carrier_ip_address",
            bool_str(n.associate_carrier_ip_address()),
        ),
        ("delete_on_termination", bool_str(n.delete_on_termination())),
        ("primary_ipv6", bool_str(n.primary_ipv6())),
        ("device_index", num(n.device_index())),
        ("network_card_index", num(n.network_card_index())),
        ("network_interface_id", opt_str(n.network_interface_id())),
        ("interface_type", opt_str(n.interface_type())),
        ("subnet_id", opt_str(n.subnet_id())),
        ("description", opt_str(n.description())),
        ("security_groups", set_or_null(groups)),
        ("private_ip_address", opt_str(n.private_ip_address())),
        ("ipv4_addresses", set_or_null(secondary)),
        (
            "ipv4_address_count",
            num(n.secondary_private_ip_address_count()),
        ),
        ("ipv6_addresses", set_or_null(v6)),
        ("ipv6_address_count", num(n.ipv6_address_count())),
        ("ipv4_prefixes", set_or_null(p4)),
        ("ipv4_prefix_count", num(n.ipv4_prefix_count())),
        ("ipv6_prefixes", set_or_null(p6)),
        ("ipv6_prefix_count", num(n.ipv6_prefix_count())),
        (
            "connection_tracking_specification",
            Value::List(ct.into_iter().collect()),
        ),
        (
            "ena_srd_specification",
            Value::List(srd.into_iter().collect()),
        ),
    ])
}
