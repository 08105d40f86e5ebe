//! `mixed_instances_policy` of `aws_autoscaling_group`: several instance types
//! (with weights, each perhaps from its own launch template) and how capacity is
//! split between On-Demand and Spot. What the block leaves unwritten is AWS's
//! default, read back and kept (as Terraform's provider has these arguments:
//! optional and computed), so an unwritten `instances_distribution` is no change.

use crate::instance_requirements::Requirements;
use aws_sdk_autoscaling::types::{
    InstancesDistribution, LaunchTemplate, LaunchTemplateOverrides, LaunchTemplateSpecification,
    MixedInstancesPolicy,
};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Nesting, Schema};
use iac_value::Value;

use crate::schema::nested;
use crate::util::{attr_err, first, int, int_value, opt_str, s, set};

/// The block's schema, added to the group's.
pub(crate) fn schema(base: Schema) -> Schema {
    use AttrType::{Number, String as Str};
    let oc = Attribute::optional_computed;
    let distribution = Schema::new(
        "How capacity is split between On-Demand and Spot; what is not written is AWS's default.",
    )
    .attr(
        "on_demand_allocation_strategy",
        oc(Str, "prioritized (default: the overrides' order) or lowest-price."),
    )
    .attr(
        "on_demand_base_capacity",
        oc(Number, "Capacity always On-Demand (default 0)."),
    )
    .attr(
        "on_demand_percentage_above_base_capacity",
        oc(Number, "Percent On-Demand above the base (default 100)."),
    )
    .attr(
        "spot_allocation_strategy",
        oc(
            Str,
            "lowest-price (default), capacity-optimized, capacity-optimized-prioritized or price-capacity-optimized.",
        ),
    )
    .attr(
        "spot_instance_pools",
        oc(
            Number,
            "Spot pools to spread over with lowest-price (default 2).",
        ),
    )
    .attr(
        "spot_max_price",
        Attribute::optional(Str, "Most paid per Spot hour (default: the On-Demand price)."),
    );
    let spec = || {
        Schema::new("A launch template, by id or name.")
            .attr("launch_template_id", oc(Str, "Template id."))
            .attr("launch_template_name", oc(Str, "Template name."))
            .attr(
                "version",
                oc(Str, "Version: a number, $Latest or $Default (default)."),
            )
    };
    let over = Schema::new("An instance type the group may launch, in priority order.")
        .attr("instance_type", Attribute::optional(Str, "Instance type."))
        .attr(
            "weighted_capacity",
            Attribute::optional(Str, "Capacity units one such instance counts for (1-999)."),
        )
        .block(
            "launch_template_specification",
            nested(Nesting::List, 0, Some(1), spec()),
        )
        .block(
            "instance_requirements",
            nested(
                Nesting::List,
                0,
                Some(1),
                crate::instance_requirements::schema(),
            ),
        );
    let template = Schema::new("The launch template and the instance types that override its own.")
        .block(
            "launch_template_specification",
            nested(Nesting::List, 1, Some(1), spec()),
        )
        .block("override", nested(Nesting::List, 0, None, over));
    let policy = Schema::new("Instance types and purchase options (instead of launch_template).")
        .block(
            "instances_distribution",
            nested(Nesting::List, 0, Some(1), distribution),
        )
        .block(
            "launch_template",
            nested(Nesting::List, 1, Some(1), template),
        );
    base.block(
        "mixed_instances_policy",
        nested(Nesting::List, 0, Some(1), policy),
    )
}

/// An unwritten `instances_distribution` is AWS's: the prior's, or unknown on create.
pub(crate) fn plan_shape(prior: Option<&Value>, config: &Value, planned: &mut Value) {
    let written = first(config, "mixed_instances_policy");
    if written.is_null() || !first(&written, "instances_distribution").is_null() {
        return;
    }
    let mut policy = first(planned, "mixed_instances_policy");
    if policy.as_map().is_none() {
        return;
    }
    let held = prior
        .map(|p| {
            first(
                &first(p, "mixed_instances_policy"),
                "instances_distribution",
            )
        })
        .unwrap_or(Value::Null);
    let v = if held.is_null() {
        Value::Unknown
    } else {
        Value::List(vec![held])
    };
    set(&mut policy, "instances_distribution", v);
    set(planned, "mixed_instances_policy", Value::List(vec![policy]));
}

/// Exactly one way to launch: a template, a configuration or a mixed policy.
pub(crate) fn validate(config: &Value, out: &mut Vec<AttrDiagnostic>) {
    let written = [
        "launch_template",
        "launch_configuration",
        "mixed_instances_policy",
    ]
    .into_iter()
    .filter(|k| {
        let v = config.get_attr(k);
        !v.is_null() && v.as_list().is_none_or(|l| !l.is_empty())
    })
    .collect::<Vec<_>>();
    match written.as_slice() {
        [] => out.push(attr_err(
            "launch_template",
            "Nothing to launch",
            "set a launch_template block, a mixed_instances_policy block or launch_configuration",
        )),
        [_] => {}
        [a, b, ..] => out.push(attr_err(
            b,
            "Conflicting arguments",
            format!("set one of launch_template, launch_configuration and mixed_instances_policy, not both {a} and {b}"),
        )),
    }
    let policy = first(config, "mixed_instances_policy");
    let template = first(&policy, "launch_template");
    let mut specs = vec![first(&template, "launch_template_specification")];
    for o in template.get_attr("override").as_list().unwrap_or_default() {
        specs.push(first(o, "launch_template_specification"));
        let by_type = !o.get_attr("instance_type").is_null();
        if by_type && crate::util::written(o, "instance_requirements") {
            out.push(attr_err(
                "mixed_instances_policy",
                "Conflicting arguments",
                "an override names an instance_type or gives instance_requirements, not both",
            ));
        }
    }
    for spec in specs.iter().filter(|s| s.as_map().is_some()) {
        let id = spec.get_attr("launch_template_id");
        let name = spec.get_attr("launch_template_name");
        if !id.is_null() && !name.is_null() {
            out.push(attr_err(
                "mixed_instances_policy",
                "Conflicting arguments",
                "a launch_template_specification names its template by launch_template_id or launch_template_name, not both",
            ));
        } else if id.is_null() && name.is_null() {
            out.push(attr_err(
                "mixed_instances_policy",
                "Missing launch template",
                "a launch_template_specification needs launch_template_id or launch_template_name",
            ));
        }
    }
    let d = first(&policy, "instances_distribution");
    if let Some(p) = d
        .get_attr("on_demand_percentage_above_base_capacity")
        .as_f64()
    {
        if !(0.0..=100.0).contains(&p) {
            out.push(attr_err(
                "mixed_instances_policy",
                "Invalid percentage",
                format!("on_demand_percentage_above_base_capacity is {p}: expected 0 to 100"),
            ));
        }
    }
}

fn spec_sdk(v: &Value) -> Option<LaunchTemplateSpecification> {
    v.as_map()?;
    // By id when it is known (AWS takes one of the two).
    let id = s(v, "launch_template_id");
    Some(
        LaunchTemplateSpecification::builder()
            .set_launch_template_name(if id.is_some() {
                None
            } else {
                s(v, "launch_template_name")
            })
            .set_launch_template_id(id)
            .set_version(s(v, "version"))
            .build(),
    )
}

/// The policy as AWS takes it, from the planned group (none when not written).
pub(crate) fn to_sdk(p: &Value) -> Option<MixedInstancesPolicy> {
    let policy = first(p, "mixed_instances_policy");
    policy.as_map()?;
    let template = first(&policy, "launch_template");
    let overrides: Vec<LaunchTemplateOverrides> = template
        .get_attr("override")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|o| {
            LaunchTemplateOverrides::builder()
                .set_instance_type(s(o, "instance_type"))
                .set_weighted_capacity(s(o, "weighted_capacity"))
                .set_launch_template_specification(spec_sdk(&first(
                    o,
                    "launch_template_specification",
                )))
                .set_instance_requirements(
                    Requirements::of(o).map(|r| crate::instance_requirements::autoscaling(&r)),
                )
                .build()
        })
        .collect();
    let d = first(&policy, "instances_distribution");
    let distribution = d.as_map().map(|_| {
        InstancesDistribution::builder()
            .set_on_demand_allocation_strategy(s(&d, "on_demand_allocation_strategy"))
            .set_on_demand_base_capacity(int(&d, "on_demand_base_capacity"))
            .set_on_demand_percentage_above_base_capacity(int(
                &d,
                "on_demand_percentage_above_base_capacity",
            ))
            .set_spot_allocation_strategy(s(&d, "spot_allocation_strategy"))
            .set_spot_instance_pools(int(&d, "spot_instance_pools"))
            .set_spot_max_price(s(&d, "spot_max_price"))
            .build()
    });
    Some(
        MixedInstancesPolicy::builder()
            .launch_template(
                LaunchTemplate::builder()
                    .set_launch_template_specification(spec_sdk(&first(
                        &template,
                        "launch_template_specification",
                    )))
                    .set_overrides((!overrides.is_empty()).then_some(overrides))
                    .build(),
            )
            .set_instances_distribution(distribution)
            .build(),
    )
}

fn spec_value(s: Option<&LaunchTemplateSpecification>) -> Value {
    match s {
        None => Value::List(Vec::new()),
        Some(s) => Value::List(vec![Value::map([
            ("launch_template_id", opt_str(s.launch_template_id())),
            ("launch_template_name", opt_str(s.launch_template_name())),
            ("version", opt_str(s.version())),
        ])]),
    }
}

/// The policy as AWS has it (an empty list for a group without one).
pub(crate) fn read(p: Option<&MixedInstancesPolicy>, keep: &Value) -> Value {
    let Some(p) = p else {
        return Value::List(Vec::new());
    };
    let template = p.launch_template();
    let overrides: Vec<Value> = template
        .map(|t| t.overrides())
        .unwrap_or_default()
        .iter()
        .map(|o| {
            Value::map([
                ("instance_type", opt_str(o.instance_type())),
                ("weighted_capacity", opt_str(o.weighted_capacity())),
                (
                    "launch_template_specification",
                    spec_value(o.launch_template_specification()),
                ),
                (
                    "instance_requirements",
                    Requirements::value(
                        o.instance_requirements()
                            .map(crate::instance_requirements::from_autoscaling)
                            .as_ref(),
                    ),
                ),
            ])
        })
        .collect();
    let kept = first(
        &first(keep, "mixed_instances_policy"),
        "instances_distribution",
    );
    let distribution = match p.instances_distribution() {
        None => Value::List(Vec::new()),
        Some(d) => Value::List(vec![Value::map([
            (
                "on_demand_allocation_strategy",
                opt_str(d.on_demand_allocation_strategy()),
            ),
            (
                "on_demand_base_capacity",
                int_value(d.on_demand_base_capacity()),
            ),
            (
                "on_demand_percentage_above_base_capacity",
                int_value(d.on_demand_percentage_above_base_capacity()),
            ),
            (
                "spot_allocation_strategy",
                opt_str(d.spot_allocation_strategy()),
            ),
            ("spot_instance_pools", int_value(d.spot_instance_pools())),
            (
                "spot_max_price",
                // AWS gives no price back when none is set (the On-Demand price
                // caps Spot); an empty string written means the same.
                match d.spot_max_price() {
                    Some(p) if !p.is_empty() => Value::string(p),
                    _ => match kept.get_attr("spot_max_price") {
                        Value::String(s) if s.is_empty() => Value::string(""),
                        _ => Value::Null,
                    },
                },
            ),
        ])]),
    };
    Value::List(vec![Value::map([
        ("instances_distribution", distribution),
        (
            "launch_template",
            Value::List(vec![Value::map([
                (
                    "launch_template_specification",
                    spec_value(template.and_then(|t| t.launch_template_specification())),
                ),
                ("override", Value::List(overrides)),
            ])]),
        ),
    ])])
}
