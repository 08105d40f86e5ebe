//! More of what `aws_instance` takes: CPU credits, automatic recovery, host
//! names, Nitro Enclaves, capacity reservations, placement (group, partition,
//! dedicated host, host resource group), instance store volumes, existing
//! network interfaces to launch with, and the Windows administrator password.
//!
//! Each goes into RunInstances as written. The blocks Terraform has as Optional
//! and Computed are, when left out, as AWS has them (the prior object's); read
//! back from DescribeInstances where AWS reports them there. CPU credits are
//! read for the whole batch with one DescribeInstanceCreditSpecifications call,
//! and only for burstable (T) instances that set them; the password takes one
//! GetPasswordData call per instance that asks for it (EC2 has no batch read).

use std::time::{Duration, Instant};

use aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, CapacityReservationPreference, CapacityReservationSpecification,
    CapacityReservationTarget, CreditSpecificationRequest, EnclaveOptionsRequest, HostnameType,
    Instance, InstanceAutoRecoveryState, InstanceCreditSpecificationRequest,
    InstanceMaintenanceOptionsRequest, Placement, PrivateDnsNameOptionsRequest, Tenancy,
};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Nesting, Schema};
use iac_value::{PathStep, Value};

use crate::schema::nested;
use crate::util::{first, int, int_value, opt_str, s, sdk_err, set, written};
use crate::Clients;

/// Blocks that are as AWS has them when the configuration leaves them out.
const KEPT_BLOCKS: [&str; 7] = [
    "ephemeral_block_device",
    "network_interface",
    "credit_specification",
    "maintenance_options",
    "private_dns_name_options",
    "enclave_options",
    "capacity_reservation_specification",
];

/// How long a new Windows instance may take to have its password (Terraform's
/// wait too).
const PASSWORD_WAIT: Duration = Duration::from_secs(15 * 60);

pub(crate) fn schema(s: Schema) -> Schema {
    use AttrType::{Bool, Number, String as Str};
    let opt = Attribute::optional;
    let opt_comp = Attribute::optional_computed;
    let one = |schema| nested(Nesting::List, 0, Some(1), schema);
    let credit = Schema::new("CPU credits of a burstable (T) instance; changed in place.")
        .attr("cpu_credits", opt(Str, "standard or unlimited."));
    let maintenance = Schema::new("Automatic recovery; changed in place.")
        .attr("auto_recovery", opt_comp(Str, "default or disabled."));
    let dns = Schema::new("The instance's host name; changed by stop, modify, start.")
        .attr("hostname_type", opt_comp(Str, "ip-name or resource-name."))
        .attr(
            "enable_resource_name_dns_a_record",
            opt_comp(
                Bool,
                "Answer DNS queries for the resource name with A records.",
            ),
        )
        .attr(
            "enable_resource_name_dns_aaaa_record",
            opt_comp(
                Bool,
                "Answer DNS queries for the resource name with AAAA records.",
            ),
        );
    let enclave = Schema::new("Nitro Enclaves.").attr(
        "enabled",
        opt_comp(Bool, "Enable them (a change replaces the instance).").force_new(),
    );
    let target = Schema::new("A reservation to launch into.")
        .attr("capacity_reservation_id", opt(Str, "The reservation."))
        .attr(
            "capacity_reservation_resource_group_arn",
            opt(Str, "A resource group of reservations."),
        );
    let reservation = Schema::new("Capacity reservations to use; changed by stop, modify, start.")
        .attr(
            "capacity_reservation_preference",
            opt(Str, "open or none (or give a target)."),
        )
        .block("capacity_reservation_target", one(target));
    let mut ephemeral = nested(
        Nesting::Set,
        0,
        None,
        Schema::new("An instance store volume (or a device of the image left out).")
            .attr(
                "device_name",
                Attribute::required(Str, "Device name, such as /dev/sdb."),
            )
            .attr("virtual_name", opt(Str, "ephemeral0 to ephemeral23."))
            .attr(
                "no_device",
                opt(Bool, "Leave out the image's mapping for this device."),
            ),
    );
    ephemeral.force_new = true;
    let mut interfaces = nested(
        Nesting::Set,
        0,
        None,
        Schema::new("An existing network interface (aws_network_interface) to launch with; a change replaces the instance.")
            .attr("device_index", Attribute::required(Number, "Device index (0 is the primary)."))
            .attr("network_interface_id", Attribute::required(Str, "The interface."))
            .attr(
                "delete_on_termination",
                opt(Bool, "Delete the interface with the instance (default false)."),
            )
            .attr("network_card_index", opt(Number, "Network card (default 0).")),
    );
    interfaces.force_new = true;
    s.block("credit_specification", one(credit))
        .block("network_interface", interfaces)
        .block("maintenance_options", one(maintenance))
        .block("private_dns_name_options", one(dns))
        .block("enclave_options", one(enclave))
        .block("capacity_reservation_specification", one(reservation))
        .block("ephemeral_block_device", ephemeral)
        .attr(
            "placement_group",
            opt_comp(Str, "Placement group (a change replaces the instance).").force_new(),
        )
        .attr(
            "placement_partition_number",
            opt_comp(Number, "Partition of a partition placement group.").force_new(),
        )
        .attr(
            "host_id",
            opt_comp(
                Str,
                "Dedicated host to run on (a change replaces the instance).",
            )
            .force_new(),
        )
        .attr(
            "host_resource_group_arn",
            opt_comp(
                Str,
                "Host resource group to launch into; changed by stop, modify, start.",
            ),
        )
        .attr(
            "get_password_data",
            opt(
                Bool,
                "Wait for and read the Windows administrator password.",
            ),
        )
        .attr(
            "enable_primary_ipv6",
            opt_comp(
                Bool,
                "Make the primary interface's first IPv6 address its primary IPv6 address (dual-stack and IPv6-only subnets); changed in place.",
            ),
        )
        .attr(
            "password_data",
            Attribute::computed(
                Str,
                "The Windows administrator password, encrypted with the key pair's public key \
                 (base64); decrypt with rsadecrypt().",
            ),
        )
}

pub(crate) fn validate(config: &Value, out: &mut Vec<AttrDiagnostic>) {
    let err = |path: Vec<PathStep>, summary: String, detail: &str| {
        AttrDiagnostic::error(path, summary, detail)
    };
    let key = |k: &str| PathStep::Key(k.into());
    let one_of = |block: &str, attr: &str, allowed: &[&str], out: &mut Vec<AttrDiagnostic>| {
        let b = first(config, block);
        if let Some(v) = b.get_attr(attr).as_str() {
            if !allowed.contains(&v) {
                out.push(err(
                    vec![key(block), PathStep::Index(0), key(attr)],
                    format!("\"{attr}\" cannot be \"{v}\""),
                    &format!("give one of: {}", allowed.join(", ")),
                ));
            }
        }
    };
    one_of(
        "credit_specification",
        "cpu_credits",
        &["standard", "unlimited"],
        out,
    );
    one_of(
        "maintenance_options",
        "auto_recovery",
        &["default", "disabled"],
        out,
    );
    one_of(
        "private_dns_name_options",
        "hostname_type",
        &["ip-name", "resource-name"],
        out,
    );
    one_of(
        "capacity_reservation_specification",
        "capacity_reservation_preference",
        &["open", "none"],
        out,
    );
    let spec = first(config, "capacity_reservation_specification");
    if spec.as_map().is_some() {
        let preference = !spec.get_attr("capacity_reservation_preference").is_null();
        let target = written(&spec, "capacity_reservation_target");
        if preference == target {
            out.push(err(
                vec![key("capacity_reservation_specification")],
                "A capacity_reservation_specification gives a preference or a target".into(),
                "set capacity_reservation_preference (open or none), or a capacity_reservation_target block, not both",
            ));
        }
        let t = first(&spec, "capacity_reservation_target");
        if !t.get_attr("capacity_reservation_id").is_null()
            && !t
                .get_attr("capacity_reservation_resource_group_arn")
                .is_null()
        {
            out.push(err(
                vec![key("capacity_reservation_specification")],
                "A capacity_reservation_target names one reservation or one group".into(),
                "give capacity_reservation_id or capacity_reservation_resource_group_arn, not both",
            ));
        }
    }
    if written(config, "network_interface") {
        // The interfaces carry the subnet, addresses and groups (Terraform's
        // conflicts).
        for k in [
            "subnet_id",
            "associate_public_ip_address",
            "private_ip",
            "secondary_private_ips",
            "vpc_security_group_ids",
            "security_groups",
            "ipv6_addresses",
            "ipv6_address_count",
            "source_dest_check",
            "enable_primary_ipv6",
        ] {
            if !config.get_attr(k).is_null() && !config.get_attr(k).is_unknown() {
                out.push(err(
                    vec![key(k)],
                    format!("\"{k}\" cannot be set together with network_interface"),
                    "the network interfaces carry the subnet, addresses and security groups: set them on the aws_network_interface",
                ));
            }
        }
        let items = config.get_attr("network_interface");
        let primary = items.as_list().unwrap_or_default().iter().any(|n| {
            n.get_attr("device_index").as_f64() == Some(0.0)
                || n.get_attr("device_index").is_unknown()
        });
        if !primary && !items.is_unknown() {
            out.push(err(
                vec![key("network_interface")],
                "No primary network interface".into(),
                "one network_interface needs device_index = 0: the instance's primary interface",
            ));
        }
    }
    if crate::util::both_set(config, "placement_group", "host_resource_group_arn") {
        out.push(err(
            vec![key("host_resource_group_arn")],
            "\"placement_group\" and \"host_resource_group_arn\" cannot both be set".into(),
            "an instance is placed in a placement group or on a host resource group's hosts",
        ));
    }
}

/// Burstable performance types (T2, T3, T3a, T4g ...): the only ones with CPU credits.
fn burstable(instance_type: Option<&str>) -> bool {
    instance_type.is_some_and(|t| {
        let mut c = t.chars();
        c.next() == Some('t') && c.next().is_some_and(|d| d.is_ascii_digit())
    })
}

/// Left out, the blocks are the prior object's (as AWS has them); and the
/// password is unknown until read whenever it is asked for anew.
pub(crate) fn plan(prior: Option<&Value>, config: &Value, planned: &mut Value) {
    crate::util::as_aws_has(prior, config, planned, &KEPT_BLOCKS);
    // A credit_specification block whose cpu_credits is null (a module's
    // `cpu_credits = local.t ? var.cpu_credits : null`) leaves the credits as
    // the instance has them, as Terraform's provider does.
    let written = first(config, "credit_specification");
    let had = prior
        .map(|p| first(p, "credit_specification"))
        .unwrap_or(Value::Null);
    if !written.is_null() && written.get_attr("cpu_credits").is_null() && !had.is_null() {
        set(planned, "credit_specification", Value::List(vec![had]));
    }
    // Written interfaces with Terraform's defaults filled in, as they read back.
    if let Some(items) = config
        .get_attr("network_interface")
        .as_list()
        .filter(|l| !l.is_empty())
    {
        let filled = items
            .iter()
            .map(|n| {
                let mut n = n.clone();
                for (k, default) in [
                    ("delete_on_termination", Value::Bool(false)),
                    ("network_card_index", Value::num(0)),
                ] {
                    if n.get_attr(k).is_null() {
                        set(&mut n, k, default);
                    }
                }
                n
            })
            .collect();
        set(planned, "network_interface", Value::set(filled));
    }
    let wants = config.get_attr("get_password_data").as_bool() == Some(true);
    let password = match prior {
        _ if !wants => Value::Null,
        Some(p) if p.get_attr("get_password_data").as_bool() == Some(true) => {
            p.get_attr("password_data").clone()
        }
        _ => Value::Unknown,
    };
    set(planned, "password_data", password);
}

/// Whether `p` writes `k` with another value than `old` has.
fn writes_new(old: &Value, p: &Value, k: &str) -> bool {
    written(p, k) && old.get_attr(k) != p.get_attr(k)
}

/// Whether a change needs the instance stopped first.
pub(crate) fn needs_stop(old: &Value, p: &Value) -> bool {
    let changed = |k: &str| writes_new(old, p, k);
    changed("private_dns_name_options")
        || changed("capacity_reservation_specification")
        || changed("host_resource_group_arn")
}

/// The placement RunInstances takes: zone, tenancy, group, partition and host.
pub(crate) fn placement(p: &Value) -> Option<Placement> {
    let b = Placement::builder()
        .set_availability_zone(s(p, "availability_zone"))
        .set_tenancy(s(p, "tenancy").map(|t| Tenancy::from(t.as_str())))
        .set_group_name(s(p, "placement_group"))
        .set_partition_number(int(p, "placement_partition_number"))
        .set_host_id(s(p, "host_id"))
        .set_host_resource_group_arn(s(p, "host_resource_group_arn"));
    let any = [
        "availability_zone",
        "tenancy",
        "placement_group",
        "placement_partition_number",
        "host_id",
        "host_resource_group_arn",
    ]
    .iter()
    .any(|k| !p.get_attr(k).is_null() && !p.get_attr(k).is_unknown());
    any.then(|| b.build())
}

fn reservation_spec(spec: &Value) -> CapacityReservationSpecification {
    let t = first(spec, "capacity_reservation_target");
    CapacityReservationSpecification::builder()
        .set_capacity_reservation_preference(
            s(spec, "capacity_reservation_preference")
                .map(|x| CapacityReservationPreference::from(x.as_str())),
        )
        .set_capacity_reservation_target(t.as_map().map(|_| {
            CapacityReservationTarget::builder()
                .set_capacity_reservation_id(s(&t, "capacity_reservation_id"))
                .set_capacity_reservation_resource_group_arn(s(
                    &t,
                    "capacity_reservation_resource_group_arn",
                ))
                .build()
        }))
        .build()
}

/// The launch settings of this module, added to a RunInstances request.
pub(crate) fn run_request(
    mut req: RunInstancesFluentBuilder,
    p: &Value,
) -> RunInstancesFluentBuilder {
    let credits = first(p, "credit_specification");
    if let Some(c) = s(&credits, "cpu_credits") {
        // As Terraform: only burstable types have credits (others would fail).
        if burstable(p.get_attr("instance_type").as_str()) {
            req = req
                .credit_specification(CreditSpecificationRequest::builder().cpu_credits(c).build());
        }
    }
    let m = first(p, "maintenance_options");
    if let Some(a) = s(&m, "auto_recovery") {
        req = req.maintenance_options(
            InstanceMaintenanceOptionsRequest::builder()
                .auto_recovery(InstanceAutoRecoveryState::from(a.as_str()))
                .build(),
        );
    }
    let d = first(p, "private_dns_name_options");
    if d.as_map().is_some() {
        req = req.private_dns_name_options(dns_request(&d));
    }
    let e = first(p, "enclave_options");
    if let Some(on) = e.get_attr("enabled").as_bool() {
        req = req.enclave_options(EnclaveOptionsRequest::builder().enabled(on).build());
    }
    let r = first(p, "capacity_reservation_specification");
    if r.as_map().is_some() {
        req = req.capacity_reservation_specification(reservation_spec(&r));
    }
    req
}

fn dns_request(d: &Value) -> PrivateDnsNameOptionsRequest {
    PrivateDnsNameOptionsRequest::builder()
        .set_hostname_type(s(d, "hostname_type").map(|h| HostnameType::from(h.as_str())))
        .set_enable_resource_name_dns_a_record(
            d.get_attr("enable_resource_name_dns_a_record").as_bool(),
        )
        .set_enable_resource_name_dns_aaaa_record(
            d.get_attr("enable_resource_name_dns_aaaa_record").as_bool(),
        )
        .build()
}

/// The written interfaces as RunInstances takes them (none when not written).
pub(crate) fn interfaces(
    p: &Value,
) -> Vec<aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification> {
    if !written(p, "network_interface") {
        return Vec::new();
    }
    let mut items: Vec<Value> = p
        .get_attr("network_interface")
        .as_list()
        .unwrap_or_default()
        .to_vec();
    items.sort_by_key(|n| int(n, "device_index"));
    items
        .iter()
        .map(|n| {
            aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
                .set_device_index(int(n, "device_index"))
                .set_network_interface_id(s(n, "network_interface_id"))
                .delete_on_termination(n.get_attr("delete_on_termination").as_bool() == Some(true))
                .set_network_card_index(int(n, "network_card_index").filter(|i| *i > 0))
                .build()
        })
        .collect()
}

/// Instance store volumes (and image devices left out) as block device mappings.
pub(crate) fn ephemeral_mappings(p: &Value) -> Vec<BlockDeviceMapping> {
    p.get_attr("ephemeral_block_device")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|d| {
            let none = d.get_attr("no_device").as_bool() == Some(true);
            BlockDeviceMapping::builder()
                .set_device_name(s(d, "device_name"))
                .set_virtual_name(s(d, "virtual_name").filter(|_| !none))
                .set_no_device(none.then(String::new))
                .build()
        })
        .collect()
}

/// This module's attributes of a described instance; what AWS does not report
/// there is `keep`'s (the configuration's or the prior object's).
pub(crate) fn read(i: &Instance, keep: &Value, v: &mut Value) {
    read_blocks(i, keep, v);
    read_placement(i, keep, v);
    read_interfaces(i, keep, v);
    let kept = |k: &str| keep.get_attr(k).clone();
    // Not reported by EC2 (the image's and the type's): as written.
    set(v, "ephemeral_block_device", kept("ephemeral_block_device"));
    set(v, "credit_specification", kept("credit_specification"));
    set(v, "get_password_data", kept("get_password_data"));
    set(v, "password_data", kept("password_data"));
}

/// The option blocks DescribeInstances reports.
fn read_blocks(i: &Instance, keep: &Value, v: &mut Value) {
    let kept = |k: &str| keep.get_attr(k).clone();
    let block = |pairs: Vec<(&str, Value)>| Value::List(vec![Value::map(pairs)]);
    set(
        v,
        "maintenance_options",
        match i.maintenance_options().and_then(|m| m.auto_recovery()) {
            Some(a) => block(vec![("auto_recovery", Value::string(a.as_str()))]),
            None => kept("maintenance_options"),
        },
    );
    set(
        v,
        "private_dns_name_options",
        match i.private_dns_name_options() {
            Some(d) => block(vec![
                (
                    "hostname_type",
                    opt_str(d.hostname_type().map(|h| h.as_str())),
                ),
                (
                    "enable_resource_name_dns_a_record",
                    d.enable_resource_name_dns_a_record()
                        .map_or(Value::Null, Value::Bool),
                ),
                (
                    "enable_resource_name_dns_aaaa_record",
                    d.enable_resource_name_dns_aaaa_record()
                        .map_or(Value::Null, Value::Bool),
                ),
            ]),
            None => kept("private_dns_name_options"),
        },
    );
    set(
        v,
        "enclave_options",
        match i.enclave_options().and_then(|e| e.enabled()) {
            Some(on) => block(vec![("enabled", Value::Bool(on))]),
            None => kept("enclave_options"),
        },
    );
    set(
        v,
        "capacity_reservation_specification",
        match i.capacity_reservation_specification() {
            Some(r) => {
                let target = r
                    .capacity_reservation_target()
                    .map_or(Value::List(vec![]), |t| {
                        block(vec![
                            (
                                "capacity_reservation_id",
                                opt_str(t.capacity_reservation_id()),
                            ),
                            (
                                "capacity_reservation_resource_group_arn",
                                opt_str(t.capacity_reservation_resource_group_arn()),
                            ),
                        ])
                    });
                // A target is reported with preference "open"; as written, it has none.
                let preference = match target.as_list().is_some_and(|l| !l.is_empty()) {
                    true => Value::Null,
                    false => opt_str(r.capacity_reservation_preference().map(|x| x.as_str())),
                };
                block(vec![
                    ("capacity_reservation_preference", preference),
                    ("capacity_reservation_target", target),
                ])
            }
            None => kept("capacity_reservation_specification"),
        },
    );
}

/// Placement group, partition, dedicated host and host resource group.
fn read_placement(i: &Instance, keep: &Value, v: &mut Value) {
    let kept = |k: &str| keep.get_attr(k).clone();
    let placement = i.placement();
    let or_kept = |x: Option<&str>, k: &str| match x.filter(|x| !x.is_empty()) {
        Some(x) => Value::string(x),
        None => kept(k),
    };
    set(
        v,
        "placement_group",
        or_kept(placement.and_then(|p| p.group_name()), "placement_group"),
    );
    set(
        v,
        "host_id",
        or_kept(placement.and_then(|p| p.host_id()), "host_id"),
    );
    set(
        v,
        "host_resource_group_arn",
        or_kept(
            placement.and_then(|p| p.host_resource_group_arn()),
            "host_resource_group_arn",
        ),
    );
    set(
        v,
        "placement_partition_number",
        match placement
            .and_then(|p| p.partition_number())
            .filter(|n| *n > 0)
        {
            Some(n) => int_value(Some(n)),
            None => kept("placement_partition_number"),
        },
    );
}

/// The interfaces it was launched with, and whether the primary has a primary
/// IPv6 address.
fn read_interfaces(i: &Instance, keep: &Value, v: &mut Value) {
    let kept = |k: &str| keep.get_attr(k).clone();
    // The interfaces it was launched with: those written (or the primary when
    // none are). One attached later (aws_network_interface_attachment) is not
    // the instance's own and must not look like a change to it.
    let launched: Vec<String> = kept("network_interface")
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|n| s(n, "network_interface_id"))
        .collect();
    let interfaces: Vec<Value> = i
        .network_interfaces()
        .iter()
        .filter(|n| match n.network_interface_id() {
            Some(id) if !launched.is_empty() => launched.iter().any(|l| l == id),
            _ => n.attachment().and_then(|a| a.device_index()) == Some(0),
        })
        .filter_map(|n| {
            let a = n.attachment()?;
            Some(Value::map([
                ("device_index", int_value(a.device_index())),
                ("network_interface_id", opt_str(n.network_interface_id())),
                (
                    "delete_on_termination",
                    Value::Bool(a.delete_on_termination() == Some(true)),
                ),
                (
                    "network_card_index",
                    Value::num(f64::from(a.network_card_index().unwrap_or(0))),
                ),
            ]))
        })
        .collect();
    set(
        v,
        "network_interface",
        if interfaces.is_empty() {
            kept("network_interface")
        } else {
            Value::set(interfaces)
        },
    );
    // Reported only once it is on: off (or not reported) is as written.
    let primary_ipv6 = i
        .network_interfaces()
        .iter()
        .filter(|n| n.attachment().and_then(|a| a.device_index()) == Some(0))
        .flat_map(|n| n.ipv6_addresses())
        .any(|a| a.is_primary_ipv6() == Some(true));
    set(
        v,
        "enable_primary_ipv6",
        if primary_ipv6 {
            Value::Bool(true)
        } else {
            kept("enable_primary_ipv6")
        },
    );
}

/// CPU credits (and, with `passwords`, the passwords) of a batch of described
/// instances: one DescribeInstanceCreditSpecifications call for the burstable
/// instances that set credits, one GetPasswordData call per instance that asks
/// for its password.
pub(crate) async fn fill(
    c: &Clients,
    values: &mut [&mut Value],
    passwords: bool,
) -> Result<(), AttrDiagnostic> {
    let ids: Vec<String> = values
        .iter()
        .filter(|v| {
            written(v, "credit_specification") && burstable(v.get_attr("instance_type").as_str())
        })
        .filter_map(|v| s(v, "id"))
        .collect();
    if !ids.is_empty() {
        let out = c
            .ec2
            .describe_instance_credit_specifications()
            .set_instance_ids(Some(ids))
            .send()
            .await
            .map_err(|e| sdk_err("DescribeInstanceCreditSpecifications", e))?;
        for spec in out.instance_credit_specifications() {
            let (Some(id), Some(credits)) = (spec.instance_id(), spec.cpu_credits()) else {
                continue;
            };
            if let Some(v) = values
                .iter_mut()
                .find(|v| v.get_attr("id").as_str() == Some(id))
            {
                let block =
                    Value::List(vec![Value::map([("cpu_credits", Value::string(credits))])]);
                set(v, "credit_specification", block);
            }
        }
    }
    for v in values.iter_mut().filter(|_| passwords) {
        if v.get_attr("get_password_data").as_bool() == Some(true) {
            let id = s(v, "id").unwrap_or_default();
            if let Some(data) = password(c, &id).await? {
                set(v, "password_data", Value::String(data));
            }
        }
    }
    Ok(())
}

/// The instance's encrypted password, if EC2 has it yet.
async fn password(c: &Clients, id: &str) -> Result<Option<String>, AttrDiagnostic> {
    let out = c
        .ec2
        .get_password_data()
        .instance_id(id)
        .send()
        .await
        .map_err(|e| sdk_err("GetPasswordData", e))?;
    Ok(out
        .password_data()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(String::from))
}

/// Waits for the password of a new instance (or one newly asked for), as
/// Terraform does; a Linux instance never has one, so this fails after the wait.
pub(crate) async fn wait_password(c: &Clients, v: &mut Value) -> Result<(), AttrDiagnostic> {
    if v.get_attr("get_password_data").as_bool() != Some(true) {
        set(v, "password_data", Value::Null);
        return Ok(());
    }
    let id = s(v, "id").unwrap_or_default();
    let start = Instant::now();
    loop {
        if let Some(data) = password(c, &id).await? {
            set(v, "password_data", Value::String(data));
            return Ok(());
        }
        if start.elapsed() > PASSWORD_WAIT {
            return Err(AttrDiagnostic::error(
                vec![PathStep::Key("get_password_data".into())],
                "The instance has no password data",
                format!(
                    "{id} had no Windows password after {} minutes (only Windows images make one); \
                     set get_password_data = false for other images",
                    PASSWORD_WAIT.as_secs() / 60
                ),
            ));
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// Changes made while the instance runs: credits and automatic recovery.
pub(crate) async fn update_live(
    c: &Clients,
    id: &str,
    old: &Value,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let changed = |k: &str| writes_new(old, p, k);
    if changed("credit_specification") && burstable(p.get_attr("instance_type").as_str()) {
        if let Some(credits) = s(&first(p, "credit_specification"), "cpu_credits") {
            c.ec2
                .modify_instance_credit_specification()
                .instance_credit_specifications(
                    InstanceCreditSpecificationRequest::builder()
                        .instance_id(id)
                        .cpu_credits(credits)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| sdk_err("ModifyInstanceCreditSpecification", e))?;
        }
    }
    if changed("enable_primary_ipv6") {
        if let Some(eni) = s(old, "primary_network_interface_id") {
            c.ec2
                .modify_network_interface_attribute()
                .network_interface_id(eni)
                .set_enable_primary_ipv6(p.get_attr("enable_primary_ipv6").as_bool())
                .send()
                .await
                .map_err(|e| sdk_err("ModifyNetworkInterfaceAttribute", e))?;
        }
    }
    if changed("maintenance_options") {
        if let Some(a) = s(&first(p, "maintenance_options"), "auto_recovery") {
            c.ec2
                .modify_instance_maintenance_options()
                .instance_id(id)
                .auto_recovery(InstanceAutoRecoveryState::from(a.as_str()))
                .send()
                .await
                .map_err(|e| sdk_err("ModifyInstanceMaintenanceOptions", e))?;
        }
    }
    Ok(())
}

/// Changes made while the instance is stopped (see [`needs_stop`]).
pub(crate) async fn update_stopped(
    c: &Clients,
    id: &str,
    old: &Value,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let changed = |k: &str| writes_new(old, p, k);
    if changed("private_dns_name_options") {
        let d = dns_request(&first(p, "private_dns_name_options"));
        c.ec2
            .modify_private_dns_name_options()
            .instance_id(id)
            .set_private_dns_hostname_type(d.hostname_type().cloned())
            .set_enable_resource_name_dns_a_record(d.enable_resource_name_dns_a_record())
            .set_enable_resource_name_dns_aaaa_record(d.enable_resource_name_dns_aaaa_record())
            .send()
            .await
            .map_err(|e| sdk_err("ModifyPrivateDnsNameOptions", e))?;
    }
    if changed("capacity_reservation_specification") {
        c.ec2
            .modify_instance_capacity_reservation_attributes()
            .instance_id(id)
            .capacity_reservation_specification(reservation_spec(&first(
                p,
                "capacity_reservation_specification",
            )))
            .send()
            .await
            .map_err(|e| sdk_err("ModifyInstanceCapacityReservationAttributes", e))?;
    }
    if changed("host_resource_group_arn") {
        c.ec2
            .modify_instance_placement()
            .instance_id(id)
            .set_host_resource_group_arn(s(p, "host_resource_group_arn"))
            .send()
            .await
            .map_err(|e| sdk_err("ModifyInstancePlacement", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burstable_types_are_the_t_family() {
        for t in ["t2.micro", "t3.nano", "t3a.large", "t4g.small"] {
            assert!(burstable(Some(t)), "{t}");
        }
        for t in ["m5.large", "c7g.xlarge", "trn1.2xlarge", ""] {
            assert!(!burstable(Some(t)), "{t}");
        }
        assert!(!burstable(None));
    }

    /// What DescribeInstances reports is read; what it leaves out is kept.
    #[test]
    fn reported_settings_are_read_and_the_rest_kept() {
        use aws_sdk_ec2::types::{
            CapacityReservationSpecificationResponse, CapacityReservationTargetResponse,
            EnclaveOptions, InstanceMaintenanceOptions, PrivateDnsNameOptionsResponse,
        };
        let keep = Value::map([
            ("placement_group", Value::string("kept-group")),
            (
                "maintenance_options",
                Value::List(vec![Value::map([(
                    "auto_recovery",
                    Value::string("disabled"),
                )])]),
            ),
            ("get_password_data", Value::Bool(false)),
        ]);
        let bare = Instance::builder().build();
        let mut v = Value::map([("id", Value::string("i-1"))]);
        read(&bare, &keep, &mut v);
        assert_eq!(v.get_attr("placement_group"), &Value::string("kept-group"));
        assert_eq!(
            v.get_attr("maintenance_options"),
            keep.get_attr("maintenance_options")
        );
        assert_eq!(v.get_attr("enclave_options"), &Value::Null);

        let full = Instance::builder()
            .maintenance_options(
                InstanceMaintenanceOptions::builder()
                    .auto_recovery(InstanceAutoRecoveryState::Default)
                    .build(),
            )
            .private_dns_name_options(
                PrivateDnsNameOptionsResponse::builder()
                    .hostname_type(HostnameType::ResourceName)
                    .enable_resource_name_dns_a_record(true)
                    .enable_resource_name_dns_aaaa_record(false)
                    .build(),
            )
            .enclave_options(EnclaveOptions::builder().enabled(true).build())
            .capacity_reservation_specification(
                CapacityReservationSpecificationResponse::builder()
                    .capacity_reservation_preference(CapacityReservationPreference::Open)
                    .capacity_reservation_target(
                        CapacityReservationTargetResponse::builder()
                            .capacity_reservation_id("cr-1")
                            .build(),
                    )
                    .build(),
            )
            .placement(
                Placement::builder()
                    .group_name("pg")
                    .partition_number(2)
                    .host_id("h-1")
                    .build(),
            )
            .build();
        read(&full, &keep, &mut v);
        let one = |pairs: Vec<(&str, Value)>| Value::List(vec![Value::map(pairs)]);
        assert_eq!(
            v.get_attr("maintenance_options"),
            &one(vec![("auto_recovery", Value::string("default"))])
        );
        assert_eq!(
            v.get_attr("private_dns_name_options"),
            &one(vec![
                ("hostname_type", Value::string("resource-name")),
                ("enable_resource_name_dns_a_record", Value::Bool(true)),
                ("enable_resource_name_dns_aaaa_record", Value::Bool(false)),
            ])
        );
        assert_eq!(
            v.get_attr("enclave_options"),
            &one(vec![("enabled", Value::Bool(true))])
        );
        assert_eq!(
            v.get_attr("capacity_reservation_specification"),
            &one(vec![
                ("capacity_reservation_preference", Value::Null),
                (
                    "capacity_reservation_target",
                    one(vec![
                        ("capacity_reservation_id", Value::string("cr-1")),
                        ("capacity_reservation_resource_group_arn", Value::Null),
                    ])
                ),
            ])
        );
        assert_eq!(v.get_attr("placement_group"), &Value::string("pg"));
        assert_eq!(v.get_attr("placement_partition_number"), &Value::num(2));
        assert_eq!(v.get_attr("host_id"), &Value::string("h-1"));
    }

    #[test]
    fn instance_store_volumes_and_left_out_devices_are_mapped() {
        let p = Value::map([(
            "ephemeral_block_device",
            Value::set(vec![
                Value::map([
                    ("device_name", Value::string("/dev/sdb")),
                    ("virtual_name", Value::string("ephemeral0")),
                    ("no_device", Value::Null),
                ]),
                Value::map([
                    ("device_name", Value::string("/dev/sdc")),
                    ("virtual_name", Value::string("ephemeral1")),
                    ("no_device", Value::Bool(true)),
                ]),
            ]),
        )]);
        let m = ephemeral_mappings(&p);
        let got: Vec<(Option<&str>, Option<&str>, Option<&str>)> = m
            .iter()
            .map(|b| (b.device_name(), b.virtual_name(), b.no_device()))
            .collect();
        assert_eq!(
            got,
            [
                (Some("/dev/sdb"), Some("ephemeral0"), None),
                (Some("/dev/sdc"), None, Some("")),
            ]
        );
        assert!(m.iter().all(|b| b.ebs().is_none()));
    }

    #[test]
    fn conflicting_settings_are_refused() {
        let mut out = Vec::new();
        let config = Value::map([
            ("placement_group", Value::string("pg")),
            (
                "host_resource_group_arn",
                Value::string("arn:aws:resource-groups:x"),
            ),
            (
                "capacity_reservation_specification",
                Value::List(vec![Value::map([
                    ("capacity_reservation_preference", Value::string("open")),
                    (
                        "capacity_reservation_target",
                        Value::List(vec![Value::map([(
                            "capacity_reservation_id",
                            Value::string("cr-1"),
                        )])]),
                    ),
                ])]),
            ),
            (
                "credit_specification",
                Value::List(vec![Value::map([("cpu_credits", Value::string("lots"))])]),
            ),
        ]);
        validate(&config, &mut out);
        let summaries: Vec<&str> = out.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(
            summaries,
            [
                "\"cpu_credits\" cannot be \"lots\"",
                "A capacity_reservation_specification gives a preference or a target",
                "\"placement_group\" and \"host_resource_group_arn\" cannot both be set",
            ]
        );
        let mut none = Vec::new();
        validate(
            &Value::map([("placement_group", Value::string("pg"))]),
            &mut none,
        );
        assert!(none.is_empty());
    }
}
