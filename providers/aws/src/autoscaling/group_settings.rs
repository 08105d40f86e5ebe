//! More of `aws_autoscaling_group`: what CreateAutoScalingGroup and
//! UpdateAutoScalingGroup take beyond sizes and templates (warm-up, placement
//! group, classic load balancers, maintenance policy, initial lifecycle hooks,
//! the spread over zones and capacity reservations),
//! what takes calls of its own (metrics collection, suspended processes, the warm
//! pool), and the wait for healthy targets (`wait_for_elb_capacity`).

use std::time::{Duration, Instant};

use aws_sdk_autoscaling::operation::create_auto_scaling_group::builders::CreateAutoScalingGroupFluentBuilder;
use aws_sdk_autoscaling::operation::update_auto_scaling_group::builders::UpdateAutoScalingGroupFluentBuilder;
use aws_sdk_autoscaling::types::{
    AutoScalingGroup, AvailabilityZoneDistribution, CapacityDistributionStrategy,
    CapacityReservationPreference, CapacityReservationSpecification, CapacityReservationTarget,
    InstanceMaintenancePolicy, InstanceReusePolicy, LifecycleHookSpecification, WarmPoolState,
};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Nesting, Schema};
use iac_value::Value;

use crate::schema::nested;
use crate::util::{
    first, int, int_value as num, non_empty, opt_str, s, same, sdk_err, set, strings,
};
use crate::Clients;

pub(crate) fn schema(s: Schema) -> Schema {
    use AttrType::{Bool, Number, Set, String as Str};
    let strs = || Set(Box::new(Str));
    let opt = Attribute::optional;
    let oc = Attribute::optional_computed;
    let hook = Schema::new("A lifecycle hook the group has from its creation (changes are not applied to an existing group).")
        .attr("name", Attribute::required(Str, "Hook name."))
        .attr("lifecycle_transition", Attribute::required(Str, "autoscaling:EC2_INSTANCE_LAUNCHING or autoscaling:EC2_INSTANCE_TERMINATING."))
        .attr("default_result", oc(Str, "CONTINUE or ABANDON when the hook times out."))
        .attr("heartbeat_timeout", opt(Number, "Seconds before the hook times out."))
        .attr("notification_metadata", opt(Str, "Data sent with each notification."))
        .attr("notification_target_arn", opt(Str, "SQS queue or SNS topic notified."))
        .attr("role_arn", opt(Str, "Role allowed to publish to the target."));
    let maintenance = Schema::new("Healthy capacity kept while instances are replaced.")
        .attr(
            "min_healthy_percentage",
            Attribute::required(Number, "At least this share in service."),
        )
        .attr(
            "max_healthy_percentage",
            Attribute::required(Number, "At most this share in service."),
        );
    let reuse = Schema::new("What happens to instances on scale-in.").attr(
        "reuse_on_scale_in",
        opt(Bool, "Return them to the warm pool."),
    );
    let warm = Schema::new("Pre-initialized instances kept for scale-out.")
        .attr(
            "pool_state",
            oc(Str, "Stopped (default), Running or Hibernated."),
        )
        .attr(
            "min_size",
            oc(Number, "Instances kept in the pool (default 0)."),
        )
        .attr(
            "max_group_prepared_capacity",
            opt(Number, "Group and pool together at most."),
        )
        .block(
            "instance_reuse_policy",
            nested(Nesting::List, 0, Some(1), reuse),
        );
    s.attr("default_instance_warmup", oc(Number, "Seconds a new instance warms up before it counts."))
        .attr("desired_capacity_type", oc(Str, "units (default), vcpu or memory-mib."))
        .attr("context", opt(Str, "Reserved for AWS partner use."))
        .attr("service_linked_role_arn", oc(Str, "Role Auto Scaling acts with (default: its service-linked role)."))
        .attr("placement_group", opt(Str, "Placement group the instances go in."))
        .attr("load_balancers", oc(strs(), "Classic load balancers to register instances with."))
        .attr("enabled_metrics", opt(strs(), "Group metrics sent to CloudWatch (GroupDesiredCapacity, GroupInServiceInstances, ...)."))
        .attr("metrics_granularity", oc(Str, "1Minute, the only granularity."))
        .attr("suspended_processes", opt(strs(), "Processes suspended (Launch, Terminate, HealthCheck, ReplaceUnhealthy, AZRebalance, AlarmNotification, ScheduledActions, AddToLoadBalancer, InstanceRefresh)."))
        .attr("ignore_failed_scaling_activities", opt(Bool, "Do not stop waiting for capacity when a scaling activity fails."))
        .attr("force_delete_warm_pool", opt(Bool, "Delete the warm pool without waiting for its instances."))
        .attr("min_elb_capacity", opt(Number, "On create, wait for this many healthy instances in each target group."))
        .attr("wait_for_elb_capacity", opt(Number, "On create and update, wait for this many healthy instances in each target group."))
        .attr("predicted_capacity", Attribute::computed(Number, "Capacity predictive scaling forecasts."))
        .attr("warm_pool_size", Attribute::computed(Number, "Instances in the warm pool."))
        .block("initial_lifecycle_hook", nested(Nesting::Set, 0, None, hook))
        .block("instance_maintenance_policy", nested(Nesting::List, 0, Some(1), maintenance))
        .block("warm_pool", nested(Nesting::List, 0, Some(1), warm))
        .block(
            "availability_zone_distribution",
            nested(
                Nesting::List,
                0,
                Some(1),
                Schema::new("How instances spread over zones; changed in place.").attr(
                    "capacity_distribution_strategy",
                    oc(Str, "balanced-best-effort (AWS's default) or balanced-only."),
                ),
            ),
        )
        .block(
            "capacity_reservation_specification",
            nested(
                Nesting::List,
                0,
                Some(1),
                Schema::new("Capacity reservations the group launches into; changed in place.")
                    .attr(
                        "capacity_reservation_preference",
                        oc(Str, "default, capacity-reservations-only, capacity-reservations-first or none."),
                    )
                    .block(
                        "capacity_reservation_target",
                        nested(
                            Nesting::List,
                            0,
                            Some(1),
                            Schema::new("The reservations to use.")
                                .attr("capacity_reservation_ids", opt(strs(), "Reservation ids."))
                                .attr(
                                    "capacity_reservation_resource_group_arns",
                                    opt(strs(), "Resource groups of reservations."),
                                ),
                        ),
                    ),
            ),
        )
}

/// Blocks AWS fills in when not written (Optional and Computed in Terraform):
/// then they are the prior's.
pub(crate) fn plan_shape(prior: Option<&Value>, config: &Value, planned: &mut Value) {
    crate::util::as_aws_has(
        prior,
        config,
        planned,
        &[
            "availability_zone_distribution",
            "capacity_reservation_specification",
        ],
    );
}

fn zone_distribution(p: &Value) -> Option<AvailabilityZoneDistribution> {
    let d = first(p, "availability_zone_distribution");
    d.as_map()?;
    Some(
        AvailabilityZoneDistribution::builder()
            .set_capacity_distribution_strategy(
                s(&d, "capacity_distribution_strategy")
                    .map(|x| CapacityDistributionStrategy::from(x.as_str())),
            )
            .build(),
    )
}

fn reservations(p: &Value) -> Option<CapacityReservationSpecification> {
    let r = first(p, "capacity_reservation_specification");
    r.as_map()?;
    let t = first(&r, "capacity_reservation_target");
    Some(
        CapacityReservationSpecification::builder()
            .set_capacity_reservation_preference(
                s(&r, "capacity_reservation_preference")
                    .map(|x| CapacityReservationPreference::from(x.as_str())),
            )
            .set_capacity_reservation_target(t.as_map().map(|_| {
                CapacityReservationTarget::builder()
                    .set_capacity_reservation_ids(non_empty(strings(
                        &t,
                        "capacity_reservation_ids",
                    )))
                    .set_capacity_reservation_resource_group_arns(non_empty(strings(
                        &t,
                        "capacity_reservation_resource_group_arns",
                    )))
                    .build()
            }))
            .build(),
    )
}

fn maintenance(p: &Value) -> Option<InstanceMaintenancePolicy> {
    let m = first(p, "instance_maintenance_policy");
    (!m.is_null()).then(|| {
        InstanceMaintenancePolicy::builder()
            .set_min_healthy_percentage(int(&m, "min_healthy_percentage"))
            .set_max_healthy_percentage(int(&m, "max_healthy_percentage"))
            .build()
    })
}

/// What CreateAutoScalingGroup takes of these settings.
pub(crate) fn on_create(
    req: CreateAutoScalingGroupFluentBuilder,
    p: &Value,
) -> CreateAutoScalingGroupFluentBuilder {
    let mut hooks = Vec::new();
    for h in p
        .get_attr("initial_lifecycle_hook")
        .as_list()
        .unwrap_or_default()
    {
        hooks.push(
            LifecycleHookSpecification::builder()
                .set_lifecycle_hook_name(s(h, "name"))
                .set_lifecycle_transition(s(h, "lifecycle_transition"))
                .set_default_result(s(h, "default_result"))
                .set_heartbeat_timeout(int(h, "heartbeat_timeout"))
                .set_notification_metadata(s(h, "notification_metadata"))
                .set_notification_target_arn(s(h, "notification_target_arn"))
                .set_role_arn(s(h, "role_arn"))
                .build(),
        );
    }
    req.set_default_instance_warmup(int(p, "default_instance_warmup"))
        .set_desired_capacity_type(s(p, "desired_capacity_type"))
        .set_context(s(p, "context"))
        .set_service_linked_role_arn(s(p, "service_linked_role_arn"))
        .set_placement_group(s(p, "placement_group"))
        .set_load_balancer_names(non_empty(strings(p, "load_balancers")))
        .set_instance_maintenance_policy(maintenance(p))
        .set_availability_zone_distribution(zone_distribution(p))
        .set_capacity_reservation_specification(reservations(p))
        .set_lifecycle_hook_specification_list((!hooks.is_empty()).then_some(hooks))
}

/// What UpdateAutoScalingGroup takes of these settings.
pub(crate) fn on_update(
    req: UpdateAutoScalingGroupFluentBuilder,
    p: &Value,
) -> UpdateAutoScalingGroupFluentBuilder {
    req.set_default_instance_warmup(int(p, "default_instance_warmup"))
        .set_desired_capacity_type(s(p, "desired_capacity_type"))
        .set_context(s(p, "context"))
        .set_service_linked_role_arn(s(p, "service_linked_role_arn"))
        .set_placement_group(s(p, "placement_group"))
        .set_instance_maintenance_policy(maintenance(p))
        .set_availability_zone_distribution(zone_distribution(p))
        .set_capacity_reservation_specification(reservations(p))
}

/// The settings with calls of their own, from `old` (none on create) to `p`.
pub(crate) async fn apply(
    c: &Clients,
    name: &str,
    old: Option<&Value>,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let null = Value::Null;
    let old = old.unwrap_or(&null);
    let changed = |k: &str| !same(old.get_attr(k), p.get_attr(k)) && !p.get_attr(k).is_unknown();
    let asg = &c.autoscaling;
    if changed("load_balancers") && !old.is_null() {
        let (was, now) = (strings(old, "load_balancers"), strings(p, "load_balancers"));
        let gone: Vec<String> = was.iter().filter(|a| !now.contains(a)).cloned().collect();
        let new: Vec<String> = now.iter().filter(|a| !was.contains(a)).cloned().collect();
        if !gone.is_empty() {
            asg.detach_load_balancers()
                .auto_scaling_group_name(name)
                .set_load_balancer_names(Some(gone))
                .send()
                .await
                .map_err(|e| sdk_err("DetachLoadBalancers", e))?;
        }
        if !new.is_empty() {
            asg.attach_load_balancers()
                .auto_scaling_group_name(name)
                .set_load_balancer_names(Some(new))
                .send()
                .await
                .map_err(|e| sdk_err("AttachLoadBalancers", e))?;
        }
    }
    if changed("enabled_metrics") || changed("metrics_granularity") {
        let (was, now) = (
            strings(old, "enabled_metrics"),
            strings(p, "enabled_metrics"),
        );
        let gone: Vec<String> = was.iter().filter(|a| !now.contains(a)).cloned().collect();
        if !gone.is_empty() {
            asg.disable_metrics_collection()
                .auto_scaling_group_name(name)
                .set_metrics(Some(gone))
                .send()
                .await
                .map_err(|e| sdk_err("DisableMetricsCollection", e))?;
        }
        if !now.is_empty() {
            asg.enable_metrics_collection()
                .auto_scaling_group_name(name)
                .set_metrics(Some(now))
                .granularity(s(p, "metrics_granularity").unwrap_or_else(|| "1Minute".into()))
                .send()
                .await
                .map_err(|e| sdk_err("EnableMetricsCollection", e))?;
        }
    }
    if changed("suspended_processes") {
        let (was, now) = (
            strings(old, "suspended_processes"),
            strings(p, "suspended_processes"),
        );
        let resumed: Vec<String> = was.iter().filter(|a| !now.contains(a)).cloned().collect();
        if !resumed.is_empty() {
            asg.resume_processes()
                .auto_scaling_group_name(name)
                .set_scaling_processes(Some(resumed))
                .send()
                .await
                .map_err(|e| sdk_err("ResumeProcesses", e))?;
        }
        let new: Vec<String> = now.iter().filter(|a| !was.contains(a)).cloned().collect();
        if !new.is_empty() {
            asg.suspend_processes()
                .auto_scaling_group_name(name)
                .set_scaling_processes(Some(new))
                .send()
                .await
                .map_err(|e| sdk_err("SuspendProcesses", e))?;
        }
    }
    if changed("warm_pool") {
        let w = first(p, "warm_pool");
        if w.is_null() {
            asg.delete_warm_pool()
                .auto_scaling_group_name(name)
                .set_force_delete(p.get_attr("force_delete_warm_pool").as_bool())
                .send()
                .await
                .map_err(|e| sdk_err("DeleteWarmPool", e))?;
        } else {
            let reuse = first(&w, "instance_reuse_policy");
            asg.put_warm_pool()
                .auto_scaling_group_name(name)
                .set_pool_state(s(&w, "pool_state").map(|x| WarmPoolState::from(x.as_str())))
                .set_min_size(int(&w, "min_size"))
                .set_max_group_prepared_capacity(int(&w, "max_group_prepared_capacity"))
                .set_instance_reuse_policy((!reuse.is_null()).then(|| {
                    InstanceReusePolicy::builder()
                        .set_reuse_on_scale_in(reuse.get_attr("reuse_on_scale_in").as_bool())
                        .build()
                }))
                .send()
                .await
                .map_err(|e| sdk_err("PutWarmPool", e))?;
        }
    }
    Ok(())
}

/// Adds what a described group says of these settings to its value; what AWS
/// does not say is as configured (`keep`).
pub(crate) fn read(g: &AutoScalingGroup, keep: &Value, v: &mut Value) {
    let or_keep = |k: &str, x: Value| {
        if x.is_null() {
            keep.get_attr(k).clone()
        } else {
            x
        }
    };
    let set_of = |items: Vec<String>| {
        if items.is_empty() {
            Value::Null
        } else {
            Value::set(items.into_iter().map(Value::String).collect())
        }
    };
    set(
        v,
        "default_instance_warmup",
        or_keep("default_instance_warmup", num(g.default_instance_warmup())),
    );
    set(
        v,
        "desired_capacity_type",
        or_keep("desired_capacity_type", opt_str(g.desired_capacity_type())),
    );
    set(v, "context", or_keep("context", opt_str(g.context())));
    set(
        v,
        "service_linked_role_arn",
        or_keep(
            "service_linked_role_arn",
            opt_str(g.service_linked_role_arn()),
        ),
    );
    set(v, "placement_group", opt_str(g.placement_group()));
    set(
        v,
        "load_balancers",
        set_of(g.load_balancer_names().to_vec()),
    );
    let metrics: Vec<String> = g
        .enabled_metrics()
        .iter()
        .filter_map(|m| m.metric().map(String::from))
        .collect();
    let granularity = g.enabled_metrics().first().and_then(|m| m.granularity());
    set(v, "enabled_metrics", set_of(metrics));
    set(
        v,
        "metrics_granularity",
        or_keep("metrics_granularity", opt_str(granularity)),
    );
    let suspended: Vec<String> = g
        .suspended_processes()
        .iter()
        .filter_map(|p| p.process_name().map(String::from))
        .collect();
    set(v, "suspended_processes", set_of(suspended));
    set(
        v,
        "instance_maintenance_policy",
        match g.instance_maintenance_policy() {
            Some(m) if m.min_healthy_percentage().is_some() => Value::List(vec![Value::map([
                ("min_healthy_percentage", num(m.min_healthy_percentage())),
                ("max_healthy_percentage", num(m.max_healthy_percentage())),
            ])]),
            _ => match keep.get_attr("instance_maintenance_policy") {
                Value::Null => Value::List(Vec::new()),
                k => k.clone(),
            },
        },
    );
    let one = |pairs: Vec<(&str, Value)>| Value::List(vec![Value::map(pairs)]);
    let kept = |k: &str| match keep.get_attr(k) {
        Value::Null => Value::List(Vec::new()),
        k => k.clone(),
    };
    set(
        v,
        "availability_zone_distribution",
        match g
            .availability_zone_distribution()
            .and_then(|d| d.capacity_distribution_strategy())
        {
            Some(x) => one(vec![(
                "capacity_distribution_strategy",
                Value::string(x.as_str()),
            )]),
            None => kept("availability_zone_distribution"),
        },
    );
    set(
        v,
        "capacity_reservation_specification",
        match g.capacity_reservation_specification() {
            Some(r) => {
                let target = r
                    .capacity_reservation_target()
                    .map_or(Value::List(Vec::new()), |t| {
                        let list = |xs: &[String]| {
                            if xs.is_empty() {
                                Value::Null
                            } else {
                                set_of(xs.to_vec())
                            }
                        };
                        one(vec![
                            (
                                "capacity_reservation_ids",
                                list(t.capacity_reservation_ids()),
                            ),
                            (
                                "capacity_reservation_resource_group_arns",
                                list(t.capacity_reservation_resource_group_arns()),
                            ),
                        ])
                    });
                one(vec![
                    (
                        "capacity_reservation_preference",
                        opt_str(r.capacity_reservation_preference().map(|x| x.as_str())),
                    ),
                    ("capacity_reservation_target", target),
                ])
            }
            None => kept("capacity_reservation_specification"),
        },
    );
    set(v, "predicted_capacity", num(g.predicted_capacity()));
    set(v, "warm_pool_size", num(g.warm_pool_size()));
    for k in [
        "initial_lifecycle_hook",
        "ignore_failed_scaling_activities",
        "force_delete_warm_pool",
        "min_elb_capacity",
        "wait_for_elb_capacity",
        "warm_pool",
    ] {
        set(v, k, keep.get_attr(k).clone());
    }
}

/// The warm pool as AWS has it, for a group whose configuration writes one.
pub(crate) async fn read_warm_pool(
    c: &Clients,
    name: &str,
    keep: &Value,
    v: &mut Value,
) -> Result<(), AttrDiagnostic> {
    if first(keep, "warm_pool").is_null() {
        return Ok(());
    }
    let out = c
        .autoscaling
        .describe_warm_pool()
        .auto_scaling_group_name(name)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeWarmPool", e))?;
    let value = match out.warm_pool_configuration() {
        Some(w) => Value::List(vec![Value::map([
            ("pool_state", opt_str(w.pool_state().map(|p| p.as_str()))),
            ("min_size", num(w.min_size())),
            (
                "max_group_prepared_capacity",
                match w.max_group_prepared_capacity() {
                    // -1: "as the group's maximum", what an unset value reads as.
                    Some(-1) | None => Value::Null,
                    n => num(n),
                },
            ),
            (
                "instance_reuse_policy",
                Value::List(
                    w.instance_reuse_policy()
                        .map(|r| {
                            Value::map([(
                                "reuse_on_scale_in",
                                r.reuse_on_scale_in()
                                    .map(Value::Bool)
                                    .unwrap_or(Value::Null),
                            )])
                        })
                        .into_iter()
                        .collect(),
                ),
            ),
        ])]),
        None => Value::List(Vec::new()),
    };
    set(v, "warm_pool", value);
    set(
        v,
        "warm_pool_size",
        Value::num(out.instances().len() as f64),
    );
    Ok(())
}

/// Waits for `wait_for_elb_capacity` (or, on create, `min_elb_capacity`) healthy
/// instances of the group in each of its target groups.
pub(crate) async fn wait_for_elb_capacity(
    c: &Clients,
    name: &str,
    p: &Value,
    creating: bool,
    limit: Duration,
) -> Result<(), AttrDiagnostic> {
    let want = int(p, "wait_for_elb_capacity").or_else(|| {
        if creating {
            int(p, "min_elb_capacity")
        } else {
            None
        }
    });
    let (Some(want), false) = (want, limit.is_zero()) else {
        return Ok(());
    };
    let groups = strings(p, "target_group_arns");
    let deadline = Instant::now() + limit;
    loop {
        let g = super::describe(c, &[name.to_string()]).await?;
        let ids: Vec<String> = g
            .first()
            .map(|g| {
                g.instances()
                    .iter()
                    .filter_map(|i| i.instance_id().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let mut short = None;
        for tg in &groups {
            let out = c
                .elb
                .describe_target_health()
                .target_group_arn(tg)
                .send()
                .await
                .map_err(|e| sdk_err("DescribeTargetHealth", e))?;
            let healthy = out
                .target_health_descriptions()
                .iter()
                .filter(|d| {
                    d.target()
                        .and_then(|t| t.id())
                        .is_some_and(|id| ids.iter().any(|x| x == id))
                        && d.target_health()
                            .and_then(|h| h.state())
                            .is_some_and(|s| s.as_str() == "healthy")
                })
                .count();
            if (healthy as i32) < want {
                short = Some((tg.clone(), healthy));
                break;
            }
        }
        let Some((tg, healthy)) = short else {
            return Ok(());
        };
        if Instant::now() > deadline {
            return Err(AttrDiagnostic::error(
                Vec::new(),
                "Timed out waiting for healthy instances",
                format!("{name}: {healthy} of {want} instances healthy in {tg} after {limit:?}"),
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
