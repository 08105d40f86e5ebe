//! `instance_requirements`: attribute-based instance type selection, as a launch
//! template (EC2) and an autoscaling group's overrides (Auto Scaling) take it.
//! The block is the same in both; the two SDKs have a type each for it, so the
//! configuration goes through one neutral form (`Requirements`) both ways.

use iac_provider::{AttrType, Attribute, Nesting, Schema};
use iac_value::Value;

use crate::schema::nested;
use crate::util::{first, int, s, strings};

/// A `{ min, max }` block: `None` when not written.
type Range<T> = Option<(Option<T>, Option<T>)>;

/// The block, whichever service it goes to.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Requirements {
    vcpu_count: Range<i32>,
    memory_mib: Range<i32>,
    memory_gib_per_vcpu: Range<f64>,
    network_interface_count: Range<i32>,
    total_local_storage_gb: Range<f64>,
    baseline_ebs_bandwidth_mbps: Range<i32>,
    accelerator_count: Range<i32>,
    accelerator_total_memory_mib: Range<i32>,
    network_bandwidth_gbps: Range<f64>,
    accelerator_manufacturers: Vec<String>,
    accelerator_names: Vec<String>,
    accelerator_types: Vec<String>,
    allowed_instance_types: Vec<String>,
    cpu_manufacturers: Vec<String>,
    excluded_instance_types: Vec<String>,
    instance_generations: Vec<String>,
    local_storage_types: Vec<String>,
    bare_metal: Option<String>,
    burstable_performance: Option<String>,
    local_storage: Option<String>,
    max_spot_price_as_percentage_of_optimal_on_demand_price: Option<i32>,
    on_demand_max_price_percentage_over_lowest_price: Option<i32>,
    spot_max_price_percentage_over_lowest_price: Option<i32>,
    require_hibernate_support: Option<bool>,
}

const RANGES: [(&str, &str, bool); 9] = [
    ("vcpu_count", "Virtual CPUs.", true),
    ("memory_mib", "Memory in MiB.", true),
    (
        "memory_gib_per_vcpu",
        "Memory per virtual CPU in GiB.",
        false,
    ),
    ("network_interface_count", "Network interfaces.", false),
    ("total_local_storage_gb", "Instance store in GB.", false),
    (
        "baseline_ebs_bandwidth_mbps",
        "Baseline EBS bandwidth in Mbps.",
        false,
    ),
    (
        "accelerator_count",
        "Accelerators (GPUs, FPGAs, Inferentia).",
        false,
    ),
    (
        "accelerator_total_memory_mib",
        "Accelerator memory in MiB.",
        false,
    ),
    (
        "network_bandwidth_gbps",
        "Network bandwidth in Gbps.",
        false,
    ),
];

const SETS: [(&str, &str); 8] = [
    (
        "accelerator_manufacturers",
        "amazon-web-services, amd, nvidia or xilinx.",
    ),
    (
        "accelerator_names",
        "a100, v100, k80, t4, m60, radeon-pro-v520, vu9p ...",
    ),
    ("accelerator_types", "gpu, fpga or inference."),
    (
        "allowed_instance_types",
        "Instance types (wildcards allowed) to choose among; not with excluded_instance_types.",
    ),
    ("cpu_manufacturers", "intel, amd or amazon-web-services."),
    (
        "excluded_instance_types",
        "Instance types (wildcards allowed) never to choose.",
    ),
    ("instance_generations", "current or previous."),
    ("local_storage_types", "hdd or ssd."),
];

/// The block's schema (the same under a launch template and a group's override).
pub(crate) fn schema() -> Schema {
    use AttrType::{Bool, Number, Set, String as Str};
    let opt = Attribute::optional;
    let mut s = Schema::new(
        "Attribute-based instance type selection: the instance types with these attributes.",
    );
    for (name, what, required) in RANGES {
        let min = if required {
            Attribute::required(Number, "At least this many.")
        } else {
            opt(Number, "At least this many.")
        };
        let range = Schema::new(what)
            .attr("min", min)
            .attr("max", opt(Number, "At most this many."));
        s = s.block(
            name,
            nested(Nesting::List, usize::from(required), Some(1), range),
        );
    }
    for (name, what) in SETS {
        s = s.attr(name, opt(Set(Box::new(Str)), what));
    }
    s.attr("bare_metal", opt(Str, "included, excluded or required."))
        .attr(
            "burstable_performance",
            opt(Str, "included, excluded or required."),
        )
        .attr("local_storage", opt(Str, "included, excluded or required."))
        .attr(
            "max_spot_price_as_percentage_of_optimal_on_demand_price",
            opt(
                Number,
                "Spot price ceiling, as a percentage of the optimal On-Demand price.",
            ),
        )
        .attr(
            "on_demand_max_price_percentage_over_lowest_price",
            opt(
                Number,
                "On-Demand price protection, in percent over the cheapest match.",
            ),
        )
        .attr(
            "spot_max_price_percentage_over_lowest_price",
            opt(
                Number,
                "Spot price protection, in percent over the cheapest match.",
            ),
        )
        .attr(
            "require_hibernate_support",
            opt(Bool, "Only types that can hibernate."),
        )
}

fn range_i(v: &Value, k: &str) -> Range<i32> {
    let b = first(v, k);
    b.as_map().map(|_| (int(&b, "min"), int(&b, "max")))
}

fn range_f(v: &Value, k: &str) -> Range<f64> {
    let b = first(v, k);
    b.as_map()
        .map(|_| (b.get_attr("min").as_f64(), b.get_attr("max").as_f64()))
}

fn range_value<T: Copy + Into<f64>>(r: &Range<T>) -> Value {
    let n = |x: Option<T>| x.map_or(Value::Null, |x| Value::num(x.into()));
    Value::List(
        r.iter()
            .map(|(min, max)| Value::map([("min", n(*min)), ("max", n(*max))]))
            .collect(),
    )
}

fn set_value(items: &[String]) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::set(items.iter().map(Value::string).collect())
    }
}

impl Requirements {
    /// The first `instance_requirements` block of `v`, if it has one.
    pub(crate) fn of(v: &Value) -> Option<Requirements> {
        let b = first(v, "instance_requirements");
        b.as_map()?;
        let b = &b;
        Some(Requirements {
            vcpu_count: range_i(b, "vcpu_count"),
            memory_mib: range_i(b, "memory_mib"),
            memory_gib_per_vcpu: range_f(b, "memory_gib_per_vcpu"),
            network_interface_count: range_i(b, "network_interface_count"),
            total_local_storage_gb: range_f(b, "total_local_storage_gb"),
            baseline_ebs_bandwidth_mbps: range_i(b, "baseline_ebs_bandwidth_mbps"),
            accelerator_count: range_i(b, "accelerator_count"),
            accelerator_total_memory_mib: range_i(b, "accelerator_total_memory_mib"),
            network_bandwidth_gbps: range_f(b, "network_bandwidth_gbps"),
            accelerator_manufacturers: strings(b, "accelerator_manufacturers"),
            accelerator_names: strings(b, "accelerator_names"),
            accelerator_types: strings(b, "accelerator_types"),
            allowed_instance_types: strings(b, "allowed_instance_types"),
            cpu_manufacturers: strings(b, "cpu_manufacturers"),
            excluded_instance_types: strings(b, "excluded_instance_types"),
            instance_generations: strings(b, "instance_generations"),
            local_storage_types: strings(b, "local_storage_types"),
            bare_metal: s(b, "bare_metal"),
            burstable_performance: s(b, "burstable_performance"),
            local_storage: s(b, "local_storage"),
            max_spot_price_as_percentage_of_optimal_on_demand_price: int(
                b,
                "max_spot_price_as_percentage_of_optimal_on_demand_price",
            ),
            on_demand_max_price_percentage_over_lowest_price: int(
                b,
                "on_demand_max_price_percentage_over_lowest_price",
            ),
            spot_max_price_percentage_over_lowest_price: int(
                b,
                "spot_max_price_percentage_over_lowest_price",
            ),
            require_hibernate_support: b.get_attr("require_hibernate_support").as_bool(),
        })
    }

    /// The `instance_requirements` attribute's value: one block, or none.
    pub(crate) fn value(r: Option<&Requirements>) -> Value {
        let Some(r) = r else {
            return Value::List(Vec::new());
        };
        let n = |x: Option<i32>| x.map_or(Value::Null, |x| Value::num(f64::from(x)));
        let text = |x: &Option<String>| x.clone().map_or(Value::Null, Value::String);
        Value::List(vec![Value::map([
            ("vcpu_count", range_value(&r.vcpu_count)),
            ("memory_mib", range_value(&r.memory_mib)),
            ("memory_gib_per_vcpu", range_value(&r.memory_gib_per_vcpu)),
            (
                "network_interface_count",
                range_value(&r.network_interface_count),
            ),
            (
                "total_local_storage_gb",
                range_value(&r.total_local_storage_gb),
            ),
            (
                "baseline_ebs_bandwidth_mbps",
                range_value(&r.baseline_ebs_bandwidth_mbps),
            ),
            ("accelerator_count", range_value(&r.accelerator_count)),
            (
                "accelerator_total_memory_mib",
                range_value(&r.accelerator_total_memory_mib),
            ),
            (
                "network_bandwidth_gbps",
                range_value(&r.network_bandwidth_gbps),
            ),
            (
                "accelerator_manufacturers",
                set_value(&r.accelerator_manufacturers),
            ),
            ("accelerator_names", set_value(&r.accelerator_names)),
            ("accelerator_types", set_value(&r.accelerator_types)),
            (
                "allowed_instance_types",
                set_value(&r.allowed_instance_types),
            ),
            ("cpu_manufacturers", set_value(&r.cpu_manufacturers)),
            (
                "excluded_instance_types",
                set_value(&r.excluded_instance_types),
            ),
            ("instance_generations", set_value(&r.instance_generations)),
            ("local_storage_types", set_value(&r.local_storage_types)),
            ("bare_metal", text(&r.bare_metal)),
            ("burstable_performance", text(&r.burstable_performance)),
            ("local_storage", text(&r.local_storage)),
            (
                "max_spot_price_as_percentage_of_optimal_on_demand_price",
                n(r.max_spot_price_as_percentage_of_optimal_on_demand_price),
            ),
            (
                "on_demand_max_price_percentage_over_lowest_price",
                n(r.on_demand_max_price_percentage_over_lowest_price),
            ),
            (
                "spot_max_price_percentage_over_lowest_price",
                n(r.spot_max_price_percentage_over_lowest_price),
            ),
            (
                "require_hibernate_support",
                r.require_hibernate_support.map_or(Value::Null, Value::Bool),
            ),
        ])])
    }
}

/// The enum values of a list as the SDK's type (`None` when empty).
fn enums<T: for<'a> From<&'a str>>(items: &[String]) -> Option<Vec<T>> {
    (!items.is_empty()).then(|| items.iter().map(|x| T::from(x.as_str())).collect())
}

fn texts<T: AsRef<str>>(items: &[T]) -> Vec<String> {
    items.iter().map(|x| x.as_ref().to_string()).collect()
}

fn list(items: &[String]) -> Option<Vec<String>> {
    (!items.is_empty()).then(|| items.to_vec())
}

/// Fills a builder's range from a `Range`, and reads one back, for each of the
/// range types (they differ by name and number type only).
macro_rules! range {
    ($ty:ty, $r:expr) => {
        $r.map(|(min, max)| <$ty>::builder().set_min(min).set_max(max).build())
    };
}
macro_rules! back {
    ($x:expr) => {
        $x.map(|x| (x.min(), x.max()))
    };
}

/// A conversion each way between `Requirements` and one SDK's form. The two
/// SDKs name the fields and the range types alike (but for the vCPU range's),
/// so one body serves both.
macro_rules! sdk_forms {
    ($doc:literal, $to:ident, $from:ident, $req:ty, $resp:ty, $($m:ident)::+, $vcpu:ident) => {
        #[doc = $doc]
        pub(crate) fn $to(r: &Requirements) -> $req {
            use $($m)::+ as t;
            <$req>::builder()
                .set_v_cpu_count(range!(t::$vcpu, r.vcpu_count))
                .set_memory_mib(range!(t::MemoryMiBRequest, r.memory_mib))
                .set_memory_gib_per_v_cpu(range!(t::MemoryGiBPerVCpuRequest, r.memory_gib_per_vcpu))
                .set_network_interface_count(range!(
                    t::NetworkInterfaceCountRequest,
                    r.network_interface_count
                ))
                .set_total_local_storage_gb(range!(
                    t::TotalLocalStorageGbRequest,
                    r.total_local_storage_gb
                ))
                .set_baseline_ebs_bandwidth_mbps(range!(
                    t::BaselineEbsBandwidthMbpsRequest,
                    r.baseline_ebs_bandwidth_mbps
                ))
                .set_accelerator_count(range!(t::AcceleratorCountRequest, r.accelerator_count))
                .set_accelerator_total_memory_mib(range!(
                    t::AcceleratorTotalMemoryMiBRequest,
                    r.accelerator_total_memory_mib
                ))
                .set_network_bandwidth_gbps(range!(
                    t::NetworkBandwidthGbpsRequest,
                    r.network_bandwidth_gbps
                ))
                .set_accelerator_manufacturers(enums(&r.accelerator_manufacturers))
                .set_accelerator_names(enums(&r.accelerator_names))
                .set_accelerator_types(enums(&r.accelerator_types))
                .set_allowed_instance_types(list(&r.allowed_instance_types))
                .set_cpu_manufacturers(enums(&r.cpu_manufacturers))
                .set_excluded_instance_types(list(&r.excluded_instance_types))
                .set_instance_generations(enums(&r.instance_generations))
                .set_local_storage_types(enums(&r.local_storage_types))
                .set_bare_metal(r.bare_metal.as_deref().map(t::BareMetal::from))
                .set_burstable_performance(
                    r.burstable_performance
                        .as_deref()
                        .map(t::BurstablePerformance::from),
                )
                .set_local_storage(r.local_storage.as_deref().map(t::LocalStorage::from))
                .set_max_spot_price_as_percentage_of_optimal_on_demand_price(
                    r.max_spot_price_as_percentage_of_optimal_on_demand_price,
                )
                .set_on_demand_max_price_percentage_over_lowest_price(
                    r.on_demand_max_price_percentage_over_lowest_price,
                )
                .set_spot_max_price_percentage_over_lowest_price(
                    r.spot_max_price_percentage_over_lowest_price,
                )
                .set_require_hibernate_support(r.require_hibernate_support)
                .build()
        }

        pub(crate) fn $from(x: &$resp) -> Requirements {
            Requirements {
                vcpu_count: back!(x.v_cpu_count()),
                memory_mib: back!(x.memory_mib()),
                memory_gib_per_vcpu: back!(x.memory_gib_per_v_cpu()),
                network_interface_count: back!(x.network_interface_count()),
                total_local_storage_gb: back!(x.total_local_storage_gb()),
                baseline_ebs_bandwidth_mbps: back!(x.baseline_ebs_bandwidth_mbps()),
                accelerator_count: back!(x.accelerator_count()),
                accelerator_total_memory_mib: back!(x.accelerator_total_memory_mib()),
                network_bandwidth_gbps: back!(x.network_bandwidth_gbps()),
                accelerator_manufacturers: texts(x.accelerator_manufacturers()),
                accelerator_names: texts(x.accelerator_names()),
                accelerator_types: texts(x.accelerator_types()),
                allowed_instance_types: texts(x.allowed_instance_types()),
                cpu_manufacturers: texts(x.cpu_manufacturers()),
                excluded_instance_types: texts(x.excluded_instance_types()),
                instance_generations: texts(x.instance_generations()),
                local_storage_types: texts(x.local_storage_types()),
                bare_metal: x.bare_metal().map(|v| v.as_str().to_string()),
                burstable_performance: x.burstable_performance().map(|v| v.as_str().to_string()),
                local_storage: x.local_storage().map(|v| v.as_str().to_string()),
                max_spot_price_as_percentage_of_optimal_on_demand_price: x
                    .max_spot_price_as_percentage_of_optimal_on_demand_price(),
                on_demand_max_price_percentage_over_lowest_price: x
                    .on_demand_max_price_percentage_over_lowest_price(),
                spot_max_price_percentage_over_lowest_price: x
                    .spot_max_price_percentage_over_lowest_price(),
                require_hibernate_support: x.require_hibernate_support(),
            }
        }
    };
}

sdk_forms!(
    "As a launch template version's data takes it (and, `from_ec2`, holds it).",
    ec2,
    from_ec2,
    aws_sdk_ec2::types::InstanceRequirementsRequest,
    aws_sdk_ec2::types::InstanceRequirements,
    aws_sdk_ec2::types,
    VCpuCountRangeRequest
);
sdk_forms!(
    "As an autoscaling group's override takes and holds it (one type both ways).",
    autoscaling,
    from_autoscaling,
    aws_sdk_autoscaling::types::InstanceRequirements,
    aws_sdk_autoscaling::types::InstanceRequirements,
    aws_sdk_autoscaling::types,
    VCpuCountRequest
);

#[cfg(test)]
mod tests {
    use super::*;

    /// A block as written comes back as the same value through the Auto
    /// Scaling type (which is both its request and its answer), every field set.
    #[test]
    fn a_written_block_comes_back_the_same() {
        let range = |min: f64, max: f64| {
            Value::List(vec![Value::map([
                ("min", Value::num(min)),
                ("max", Value::num(max)),
            ])])
        };
        let set = |xs: &[&str]| Value::set(xs.iter().map(|x| Value::string(*x)).collect());
        let written = Value::List(vec![Value::map([
            ("vcpu_count", range(2.0, 8.0)),
            ("memory_mib", range(4096.0, 16384.0)),
            ("memory_gib_per_vcpu", range(0.5, 4.0)),
            ("network_interface_count", range(1.0, 4.0)),
            ("total_local_storage_gb", range(0.5, 100.5)),
            ("baseline_ebs_bandwidth_mbps", range(10.0, 1000.0)),
            ("accelerator_count", range(0.0, 1.0)),
            ("accelerator_total_memory_mib", range(0.0, 1024.0)),
            ("network_bandwidth_gbps", range(0.5, 25.0)),
            ("accelerator_manufacturers", set(&["nvidia"])),
            ("accelerator_names", set(&["t4"])),
            ("accelerator_types", set(&["gpu"])),
            ("allowed_instance_types", Value::Null),
            ("cpu_manufacturers", set(&["amd", "intel"])),
            ("excluded_instance_types", set(&["t2.*"])),
            ("instance_generations", set(&["current"])),
            ("local_storage_types", set(&["ssd"])),
            ("bare_metal", Value::string("excluded")),
            ("burstable_performance", Value::string("included")),
            ("local_storage", Value::string("required")),
            (
                "max_spot_price_as_percentage_of_optimal_on_demand_price",
                Value::Null,
            ),
            (
                "on_demand_max_price_percentage_over_lowest_price",
                Value::num(20),
            ),
            (
                "spot_max_price_percentage_over_lowest_price",
                Value::num(50),
            ),
            ("require_hibernate_support", Value::Bool(false)),
        ])]);
        let config = Value::map([("instance_requirements", written.clone())]);
        let r = Requirements::of(&config).expect("a block");
        let back = from_autoscaling(&autoscaling(&r));
        assert_eq!(back, r);
        assert_eq!(Requirements::value(Some(&back)), written);
        assert_eq!(Requirements::value(None), Value::List(vec![]));
        assert_eq!(
            Requirements::of(&Value::map([(
                "instance_requirements",
                Value::List(vec![])
            )])),
            None
        );
    }
}
