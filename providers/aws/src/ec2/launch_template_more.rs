//! More of what a launch template version holds: placement, CPU, credits,
//! hibernation, enclaves, maintenance, private DNS names, Spot market options,
//! capacity reservations, licenses, kernel and RAM disk, stop protection, and
//! security groups by name. Each goes into the version's data as written and is
//! read back from it.

use crate::instance_requirements::Requirements;
use aws_sdk_ec2::types::builders::RequestLaunchTemplateDataBuilder;
use aws_sdk_ec2::types::{
    CapacityReservationTarget, CreditSpecificationRequest,
    LaunchTemplateCapacityReservationSpecificationRequest, LaunchTemplateCpuOptionsRequest,
    LaunchTemplateEnclaveOptionsRequest, LaunchTemplateHibernationOptionsRequest,
    LaunchTemplateInstanceMaintenanceOptionsRequest, LaunchTemplateInstanceMarketOptionsRequest,
    LaunchTemplateLicenseConfigurationRequest, LaunchTemplatePlacementRequest,
    LaunchTemplatePrivateDnsNameOptionsRequest, LaunchTemplateSpotMarketOptionsRequest,
    ResponseLaunchTemplateData,
};
use iac_provider::{AttrType, Attribute, Nesting, Schema};
use iac_value::Value;

use crate::schema::nested;
use crate::util::{first, int, int_value as num, opt_str, s, strings};

/// The data names this module adds (a change to any is a new version).
pub(crate) const DATA: [&str; 15] = [
    "kernel_id",
    "ram_disk_id",
    "disable_api_stop",
    "security_group_names",
    "placement",
    "cpu_options",
    "credit_specification",
    "hibernation_options",
    "enclave_options",
    "maintenance_options",
    "private_dns_name_options",
    "instance_market_options",
    "capacity_reservation_specification",
    "license_specification",
    "instance_requirements",
];

pub(crate) fn schema(s: Schema) -> Schema {
    use AttrType::{Bool, Number, Set, String as Str};
    let opt = Attribute::optional;
    let one = |schema| nested(Nesting::List, 0, Some(1), schema);
    let placement = Schema::new("Where instances are placed.")
        .attr("availability_zone", opt(Str, "Zone."))
        .attr("group_name", opt(Str, "Placement group."))
        .attr("tenancy", opt(Str, "default, dedicated or host."))
        .attr("host_id", opt(Str, "Dedicated host."))
        .attr("affinity", opt(Str, "default or host."))
        .attr(
            "partition_number",
            opt(Number, "Partition of a partition placement group."),
        )
        .attr("spread_domain", opt(Str, "Reserved."))
        .attr("host_resource_group_arn", opt(Str, "Host resource group."));
    let cpu = Schema::new("CPU cores and threads.")
        .attr("core_count", opt(Number, "Cores."))
        .attr("threads_per_core", opt(Number, "Threads per core."))
        .attr("amd_sev_snp", opt(Str, "enabled or disabled."));
    let credit = Schema::new("CPU credits of burstable (T) types.")
        .attr("cpu_credits", opt(Str, "standard or unlimited."));
    let hibernation = Schema::new("Hibernation support.").attr(
        "configured",
        Attribute::required(Bool, "Launch ready to hibernate."),
    );
    let enclave = Schema::new("Nitro Enclaves.").attr("enabled", opt(Bool, "Enable them."));
    let maintenance =
        Schema::new("Maintenance.").attr("auto_recovery", opt(Str, "default or disabled."));
    let dns = Schema::new("Private DNS names of the instances.")
        .attr(
            "enable_resource_name_dns_a_record",
            opt(Bool, "Answer A records for the instance name."),
        )
        .attr(
            "enable_resource_name_dns_aaaa_record",
            opt(Bool, "Answer AAAA records for the instance name."),
        )
        .attr("hostname_type", opt(Str, "ip-name or resource-name."));
    let spot = Schema::new("Spot options.")
        .attr(
            "block_duration_minutes",
            opt(Number, "Defined duration (retired by AWS)."),
        )
        .attr(
            "instance_interruption_behavior",
            opt(Str, "hibernate, stop or terminate."),
        )
        .attr("max_price", opt(Str, "Highest price per hour."))
        .attr("spot_instance_type", opt(Str, "one-time or persistent."))
        .attr("valid_until", opt(Str, "RFC 3339 time the request ends."));
    let market = Schema::new("Spot instead of On-Demand.")
        .attr("market_type", opt(Str, "spot."))
        .block("spot_options", one(spot));
    let target = Schema::new("A capacity reservation to use.")
        .attr("capacity_reservation_id", opt(Str, "Reservation."))
        .attr(
            "capacity_reservation_resource_group_arn",
            opt(Str, "Reservation group."),
        );
    let reservation = Schema::new("Capacity reservations.")
        .attr("capacity_reservation_preference", opt(Str, "open or none."))
        .block("capacity_reservation_target", one(target));
    let license = Schema::new("A license configuration.").attr(
        "license_configuration_arn",
        Attribute::required(Str, "License Manager configuration."),
    );
    s.attr("kernel_id", opt(Str, "Kernel."))
        .attr("ram_disk_id", opt(Str, "RAM disk."))
        .attr("disable_api_stop", opt(Bool, "Stop protection."))
        .attr(
            "security_group_names",
            opt(Set(Box::new(Str)), "Security groups by name (default VPC)."),
        )
        .block("placement", one(placement))
        .block("cpu_options", one(cpu))
        .block("credit_specification", one(credit))
        .block("hibernation_options", one(hibernation))
        .block("enclave_options", one(enclave))
        .block("maintenance_options", one(maintenance))
        .block("private_dns_name_options", one(dns))
        .block("instance_market_options", one(market))
        .block("capacity_reservation_specification", one(reservation))
        .block(
            "license_specification",
            nested(Nesting::Set, 0, None, license),
        )
        .block(
            "instance_requirements",
            one(crate::instance_requirements::schema()),
        )
}

fn b(v: &Value, k: &str) -> Option<bool> {
    v.get_attr(k).as_bool()
}

/// Adds the settings this module knows to a version's data.
pub(crate) fn request(
    mut d: RequestLaunchTemplateDataBuilder,
    p: &Value,
) -> RequestLaunchTemplateDataBuilder {
    d = d
        .set_kernel_id(s(p, "kernel_id"))
        .set_ram_disk_id(s(p, "ram_disk_id"))
        .set_disable_api_stop(b(p, "disable_api_stop"));
    let names = strings(p, "security_group_names");
    if !names.is_empty() {
        d = d.set_security_groups(Some(names));
    }
    let x = first(p, "placement");
    if !x.is_null() {
        d = d.placement(
            LaunchTemplatePlacementRequest::builder()
                .set_availability_zone(s(&x, "availability_zone"))
                .set_group_name(s(&x, "group_name"))
                .set_tenancy(s(&x, "tenancy").map(|t| t.as_str().into()))
                .set_host_id(s(&x, "host_id"))
                .set_affinity(s(&x, "affinity"))
                .set_partition_number(int(&x, "partition_number"))
                .set_spread_domain(s(&x, "spread_domain"))
                .set_host_resource_group_arn(s(&x, "host_resource_group_arn"))
                .build(),
        );
    }
    let x = first(p, "cpu_options");
    if !x.is_null() {
        d = d.cpu_options(
            LaunchTemplateCpuOptionsRequest::builder()
                .set_core_count(int(&x, "core_count"))
                .set_threads_per_core(int(&x, "threads_per_core"))
                .set_amd_sev_snp(s(&x, "amd_sev_snp").map(|a| a.as_str().into()))
                .build(),
        );
    }
    let x = first(p, "credit_specification");
    if !x.is_null() {
        d = d.credit_specification(
            CreditSpecificationRequest::builder()
                .cpu_credits(s(&x, "cpu_credits").unwrap_or_default())
                .build(),
        );
    }
    let x = first(p, "hibernation_options");
    if !x.is_null() {
        d = d.hibernation_options(
            LaunchTemplateHibernationOptionsRequest::builder()
                .set_configured(b(&x, "configured"))
                .build(),
        );
    }
    let x = first(p, "enclave_options");
    if !x.is_null() {
        d = d.enclave_options(
            LaunchTemplateEnclaveOptionsRequest::builder()
                .set_enabled(b(&x, "enabled"))
                .build(),
        );
    }
    let x = first(p, "maintenance_options");
    if !x.is_null() {
        d = d.maintenance_options(
            LaunchTemplateInstanceMaintenanceOptionsRequest::builder()
                .set_auto_recovery(s(&x, "auto_recovery").map(|a| a.as_str().into()))
                .build(),
        );
    }
    let x = first(p, "private_dns_name_options");
    if !x.is_null() {
        d = d.private_dns_name_options(
            LaunchTemplatePrivateDnsNameOptionsRequest::builder()
                .set_enable_resource_name_dns_a_record(b(&x, "enable_resource_name_dns_a_record"))
                .set_enable_resource_name_dns_aaaa_record(b(
                    &x,
                    "enable_resource_name_dns_aaaa_record",
                ))
                .set_hostname_type(s(&x, "hostname_type").map(|h| h.as_str().into()))
                .build(),
        );
    }
    let x = first(p, "instance_market_options");
    if !x.is_null() {
        let spot = first(&x, "spot_options");
        d = d.instance_market_options(
            LaunchTemplateInstanceMarketOptionsRequest::builder()
                .set_market_type(s(&x, "market_type").map(|m| m.as_str().into()))
                .set_spot_options((!spot.is_null()).then(|| {
                    LaunchTemplateSpotMarketOptionsRequest::builder()
                        .set_block_duration_minutes(int(&spot, "block_duration_minutes"))
                        .set_instance_interruption_behavior(
                            s(&spot, "instance_interruption_behavior").map(|v| v.as_str().into()),
                        )
                        .set_max_price(s(&spot, "max_price"))
                        .set_spot_instance_type(
                            s(&spot, "spot_instance_type").map(|v| v.as_str().into()),
                        )
                        .set_valid_until(s(&spot, "valid_until").and_then(|t| {
                            aws_sdk_ec2::primitives::DateTime::from_str(
                                &t,
                                aws_sdk_ec2::primitives::DateTimeFormat::DateTime,
                            )
                            .ok()
                        }))
                        .build()
                }))
                .build(),
        );
    }
    let x = first(p, "capacity_reservation_specification");
    if !x.is_null() {
        let t = first(&x, "capacity_reservation_target");
        d = d.capacity_reservation_specification(
            LaunchTemplateCapacityReservationSpecificationRequest::builder()
                .set_capacity_reservation_preference(
                    s(&x, "capacity_reservation_preference").map(|v| v.as_str().into()),
                )
                .set_capacity_reservation_target((!t.is_null()).then(|| {
                    CapacityReservationTarget::builder()
                        .set_capacity_reservation_id(s(&t, "capacity_reservation_id"))
                        .set_capacity_reservation_resource_group_arn(s(
                            &t,
                            "capacity_reservation_resource_group_arn",
                        ))
                        .build()
                }))
                .build(),
        );
    }
    if let Some(r) = Requirements::of(p) {
        d = d.instance_requirements(crate::instance_requirements::ec2(&r));
    }
    for l in p
        .get_attr("license_specification")
        .as_list()
        .unwrap_or_default()
    {
        d = d.license_specifications(
            LaunchTemplateLicenseConfigurationRequest::builder()
                .set_license_configuration_arn(s(l, "license_configuration_arn"))
                .build(),
        );
    }
    d
}

fn boolean(x: Option<bool>) -> Value {
    x.map(Value::Bool).unwrap_or(Value::Null)
}

fn one(v: Option<Value>) -> Value {
    Value::List(v.into_iter().collect())
}

/// The settings this module knows, as a version's data holds them.
pub(crate) fn response(d: &ResponseLaunchTemplateData) -> Vec<(&'static str, Value)> {
    let names: Vec<Value> = d.security_groups().iter().map(Value::string).collect();
    vec![
        ("kernel_id", opt_str(d.kernel_id())),
        ("ram_disk_id", opt_str(d.ram_disk_id())),
        ("disable_api_stop", boolean(d.disable_api_stop())),
        (
            "security_group_names",
            if names.is_empty() { Value::Null } else { Value::set(names) },
        ),
        (
            "placement",
            one(d.placement().map(|x| {
                Value::map([
                    ("availability_zone", opt_str(x.availability_zone())),
                    ("group_name", opt_str(x.group_name())),
                    ("tenancy", opt_str(x.tenancy().map(|t| t.as_str()))),
                    ("host_id", opt_str(x.host_id())),
                    ("affinity", opt_str(x.affinity())),
                    ("partition_number", num(x.partition_number())),
                    ("spread_domain", opt_str(x.spread_domain())),
                    ("host_resource_group_arn", opt_str(x.host_resource_group_arn())),
                ])
            })),
        ),
        (
            "cpu_options",
            one(d.cpu_options().map(|x| {
                Value::map([
                    ("core_count", num(x.core_count())),
                    ("threads_per_core", num(x.threads_per_core())),
                    ("amd_sev_snp", opt_str(x.amd_sev_snp().map(|a| a.as_str()))),
                ])
            })),
        ),
        (
            "credit_specification",
            one(d
                .credit_specification()
                .map(|x| Value::map([("cpu_credits", opt_str(x.cpu_credits()))]))),
        ),
        (
            "hibernation_options",
            one(d
                .hibernation_options()
                .map(|x| Value::map([("configured", boolean(x.configured()))]))),
        ),
        (
            "enclave_options",
            one(d
                .enclave_options()
                .map(|x| Value::map([("enabled", boolean(x.enabled()))]))),
        ),
        (
            "maintenance_options",
            one(d.maintenance_options().map(|x| {
                Value::map([("auto_recovery", opt_str(x.auto_recovery().map(|a| a.as_str())))])
            })),
        ),
        (
            "private_dns_name_options",
            one(d.private_dns_name_options().map(|x| {
                Value::map([
                    (
                        "enable_resource_name_dns_a_record",
                        boolean(x.enable_resource_name_dns_a_record()),
                    ),
                    (
                        "enable_resource_name_dns_aaaa_record",
                        boolean(x.enable_resource_name_dns_aaaa_record()),
                    ),
                    ("hostname_type", opt_str(x.hostname_type().map(|h| h.as_str()))),
                ])
            })),
        ),
        (
            "instance_market_options",
            one(d.instance_market_options().map(|x| {
                Value::map([
                    ("market_type", opt_str(x.market_type().map(|m| m.as_str()))),
                    (
                        "spot_options",
                        one(x.spot_options().map(|o| {
                            Value::map([
                                ("block_duration_minutes", num(o.block_duration_minutes())),
                                (
                                    "instance_interruption_behavior",
                                    opt_str(o.instance_interruption_behavior().map(|v| v.as_str())),
                                ),
                                ("max_price", opt_str(o.max_price())),
                                (
                                    "spot_instance_type",
                                    opt_str(o.spot_instance_type().map(|v| v.as_str())),
                                ),
                                (
                                    "valid_until",
                                    opt_str(
                                        o.valid_until()
                                            .and_then(|t| {
                                                t.fmt(aws_sdk_ec2::primitives::DateTimeFormat::DateTime).ok()
                                            })
                                            .as_deref(),
                                    ),
                                ),
                            ])
                        })),
                    ),
                ])
            })),
        ),
        (
            "capacity_reservation_specification",
            one(d.capacity_reservation_specification().map(|x| {
                Value::map([
                    (
                        "capacity_reservation_preference",
                        opt_str(x.capacity_reservation_preference().map(|v| v.as_str())),
                    ),
                    (
                        "capacity_reservation_target",
                        one(x.capacity_reservation_target().map(|t| {
                            Value::map([
                                ("capacity_reservation_id", opt_str(t.capacity_reservation_id())),
                                (
                                    "capacity_reservation_resource_group_arn",
                                    opt_str(t.capacity_reservation_resource_group_arn()),
                                ),
                            ])
                        })),
                    ),
                ])
            })),
        ),
        (
            "license_specification",
            Value::set(
                d.license_specifications()
                    .iter()
                    .map(|l| {
                        Value::map([(
                            "license_configuration_arn",
                            opt_str(l.license_configuration_arn()),
                        )])
                    })
                    .collect(),
            ),
        ),
        (
            "instance_requirements",
            Requirements::value(
                d.instance_requirements()
                    .map(crate::instance_requirements::from_ec2)
                    .as_ref(),
            ),
        ),
    ]
}
