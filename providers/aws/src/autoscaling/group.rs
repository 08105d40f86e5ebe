//! `aws_autoscaling_group`: a group of instances launched from a launch template
//! (or launch configuration), kept between its minimum and maximum size.
//! Create and update wait for the desired capacity to be in service
//! (`wait_for_capacity_timeout`, default 10m; "0" does not wait); a changed launch
//! template with an `instance_refresh` block starts an instance refresh.

use std::time::{Duration, Instant};

use aws_sdk_autoscaling::types::{
    AutoScalingGroup, LaunchTemplateSpecification, RefreshPreferences, RefreshStrategy, Tag,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use super::describe;
use super::group_settings as settings;
use super::mixed_instances as mixed;
use crate::ec2::TOKEN_TAG;
use crate::kit::aws_plan_with;
use crate::schema::nested;
use crate::util::{attr_err, err_code, int, opt_str, s, same, sdk_err, strings};
use crate::Clients;

pub(crate) struct GroupType;

use crate::util::first;

fn num(n: Option<i32>) -> Value {
    n.map(|n| Value::num(f64::from(n))).unwrap_or(Value::Null)
}

fn strings_set(items: Vec<String>) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        let mut items = items;
        items.sort();
        Value::set(items.into_iter().map(Value::string).collect())
    }
}

fn group_value(g: &AutoScalingGroup, keep: &Value) -> Value {
    let name = g.auto_scaling_group_name().unwrap_or_default();
    let lt = g.launch_template().map(|t| {
        Value::List(vec![Value::map([
            ("id", opt_str(t.launch_template_id())),
            ("name", opt_str(t.launch_template_name())),
            ("version", opt_str(t.version())),
        ])])
    });
    let tags: Vec<Value> = g
        .tags()
        .iter()
        .filter(|t| t.key().is_some_and(|k| !k.starts_with("iac:")))
        .map(|t| {
            Value::map([
                ("key", opt_str(t.key())),
                ("value", opt_str(t.value())),
                (
                    "propagate_at_launch",
                    t.propagate_at_launch()
                        .map(Value::Bool)
                        .unwrap_or(Value::Null),
                ),
            ])
        })
        .collect();
    let subnets: Vec<String> = g
        .vpc_zone_identifier()
        .unwrap_or_default()
        .split(',')
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect();
    let mut v = Value::map([
        ("id", Value::string(name)),
        ("name", Value::string(name)),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("arn", opt_str(g.auto_scaling_group_arn())),
        ("min_size", num(g.min_size())),
        ("max_size", num(g.max_size())),
        ("desired_capacity", num(g.desired_capacity())),
        ("vpc_zone_identifier", strings_set(subnets)),
        (
            "availability_zones",
            strings_set(g.availability_zones().to_vec()),
        ),
        ("launch_template", lt.unwrap_or(Value::List(Vec::new()))),
        (
            "mixed_instances_policy",
            mixed::read(g.mixed_instances_policy(), keep),
        ),
        (
            "launch_configuration",
            opt_str(g.launch_configuration_name()),
        ),
        ("health_check_type", opt_str(g.health_check_type())),
        (
            "health_check_grace_period",
            num(g.health_check_grace_period()),
        ),
        (
            "target_group_arns",
            strings_set(g.target_group_arns().to_vec()),
        ),
        (
            "termination_policies",
            match g.termination_policies() {
                [] => Value::Null,
                p => Value::List(p.iter().map(Value::string).collect()),
            },
        ),
        ("default_cooldown", num(g.default_cooldown())),
        (
            "protect_from_scale_in",
            g.new_instances_protected_from_scale_in()
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ),
        ("max_instance_lifetime", num(g.max_instance_lifetime())),
        (
            "capacity_rebalance",
            g.capacity_rebalance()
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ),
        ("force_delete", keep.get_attr("force_delete").clone()),
        (
            "wait_for_capacity_timeout",
            keep.get_attr("wait_for_capacity_timeout").clone(),
        ),
        (
            "instance_refresh",
            keep.get_attr("instance_refresh").clone(),
        ),
        // No tag blocks is an empty set, as the configuration has it.
        ("tag", Value::set(tags)),
    ]);
    settings::read(g, keep, &mut v);
    v
}

pub(crate) fn lt_spec(p: &Value) -> Option<LaunchTemplateSpecification> {
    let lt = first(p, "launch_template");
    if lt.is_null() {
        return None;
    }
    Some(
        LaunchTemplateSpecification::builder()
            .set_launch_template_id(s(&lt, "id"))
            .set_launch_template_name(if s(&lt, "id").is_some() {
                None
            } else {
                s(&lt, "name")
            })
            .set_version(s(&lt, "version"))
            .build(),
    )
}

fn group_tags(name: &str, v: &Value) -> Vec<Tag> {
    v.get_attr("tag")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            Tag::builder()
                .resource_id(name)
                .resource_type("auto-scaling-group")
                .set_key(s(t, "key"))
                .set_value(s(t, "value"))
                .propagate_at_launch(t.get_attr("propagate_at_launch").as_bool().unwrap_or(false))
                .build()
        })
        .collect()
}

fn timeout(p: &Value) -> Duration {
    s(p, "wait_for_capacity_timeout")
        .and_then(|t| iac_value::time::parse_duration(&t).ok())
        .unwrap_or(Duration::from_secs(600))
}

/// Waits until the desired number of instances are in service.
async fn wait_for_capacity(c: &Clients, name: &str, p: &Value) -> Result<(), AttrDiagnostic> {
    let limit = timeout(p);
    if limit.is_zero() {
        return Ok(());
    }
    let deadline = Instant::now() + limit;
    loop {
        let g = describe(c, &[name.to_string()]).await?;
        let Some(g) = g.first() else {
            return Ok(());
        };
        let want = g.desired_capacity().or(g.min_size()).unwrap_or(0) as usize;
        let in_service = g
            .instances()
            .iter()
            .filter(|i| {
                i.lifecycle_state()
                    .is_some_and(|s| s.as_str() == "InService")
            })
            .count();
        if in_service >= want {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(AttrDiagnostic::error(
                Vec::new(),
                "Timed out waiting for capacity",
                format!("{name}: {in_service} of {want} instances in service after {limit:?}; raise wait_for_capacity_timeout, or set it to \"0\" not to wait"),
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn create(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let name = s(p, "name").unwrap_or_else(|| {
        let suffix: String = token
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(26)
            .collect();
        format!(
            "{}{suffix}",
            s(p, "name_prefix").unwrap_or_else(|| "terraform-".into())
        )
    });
    let mut tags = group_tags(&name, p);
    tags.push(
        Tag::builder()
            .resource_id(&name)
            .resource_type("auto-scaling-group")
            .key(TOKEN_TAG)
            .value(token)
            .propagate_at_launch(false)
            .build(),
    );
    let subnets = strings(p, "vpc_zone_identifier");
    let azs = strings(p, "availability_zones");
    let tgs = strings(p, "target_group_arns");
    let policies = strings(p, "termination_policies");
    let req = c
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .set_min_size(int(p, "min_size"))
        .set_max_size(int(p, "max_size"))
        .set_desired_capacity(int(p, "desired_capacity"))
        .set_vpc_zone_identifier((!subnets.is_empty()).then(|| subnets.join(",")))
        .set_availability_zones((!azs.is_empty()).then_some(azs))
        .set_launch_template(lt_spec(p))
        .set_mixed_instances_policy(mixed::to_sdk(p))
        .set_launch_configuration_name(s(p, "launch_configuration"))
        .set_health_check_type(s(p, "health_check_type"))
        .set_health_check_grace_period(int(p, "health_check_grace_period"))
        .set_target_group_arns((!tgs.is_empty()).then_some(tgs))
        .set_termination_policies((!policies.is_empty()).then_some(policies))
        .set_default_cooldown(int(p, "default_cooldown"))
        .set_new_instances_protected_from_scale_in(p.get_attr("protect_from_scale_in").as_bool())
        .set_max_instance_lifetime(int(p, "max_instance_lifetime"))
        .set_capacity_rebalance(p.get_attr("capacity_rebalance").as_bool())
        .set_tags(Some(tags));
    let r = settings::on_create(req, p).send().await;
    match r {
        Ok(_) => {}
        Err(e) if err_code(&e).as_deref() == Some("AlreadyExists") => {
            let found = describe(c, std::slice::from_ref(&name))
                .await
                .map_err(|d| vec![d])?;
            let ours = found.first().is_some_and(|g| {
                g.tags()
                    .iter()
                    .any(|t| t.key() == Some(TOKEN_TAG) && t.value() == Some(token))
            });
            if !ours {
                return Err(vec![attr_err(
                    "name",
                    "Auto Scaling group already exists",
                    format!("a group named \"{name}\" exists and was not created by this plan; import it, or choose another name"),
                )]);
            }
        }
        Err(e) => return Err(vec![sdk_err("CreateAutoScalingGroup", e)]),
    }
    settings::apply(c, &name, None, p)
        .await
        .map_err(|d| vec![d])?;
    wait_for_capacity(c, &name, p).await.map_err(|d| vec![d])?;
    settings::wait_for_elb_capacity(c, &name, p, true, timeout(p))
        .await
        .map_err(|d| vec![d])?;
    read_one(c, &name, p).await
}

async fn read_one(c: &Clients, name: &str, keep: &Value) -> ApplyResult {
    let found = describe(c, &[name.to_string()])
        .await
        .map_err(|d| vec![d])?;
    let Some(g) = found.first() else {
        return Ok(None);
    };
    let mut v = group_value(g, keep);
    settings::read_warm_pool(c, name, keep, &mut v)
        .await
        .map_err(|d| vec![d])?;
    Ok(Some(v))
}

async fn update(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let name = s(old, "name").unwrap_or_default();
    let changed = |k: &str| !same(old.get_attr(k), p.get_attr(k));
    let subnets = strings(p, "vpc_zone_identifier");
    let policies = strings(p, "termination_policies");
    let req = c
        .autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .set_min_size(int(p, "min_size"))
        .set_max_size(int(p, "max_size"))
        .set_desired_capacity(int(p, "desired_capacity"))
        .set_vpc_zone_identifier((!subnets.is_empty()).then(|| subnets.join(",")))
        .set_launch_template(lt_spec(p))
        .set_mixed_instances_policy(mixed::to_sdk(p))
        .set_launch_configuration_name(s(p, "launch_configuration"))
        .set_health_check_type(s(p, "health_check_type"))
        .set_health_check_grace_period(int(p, "health_check_grace_period"))
        .set_termination_policies((!policies.is_empty()).then_some(policies))
        .set_default_cooldown(int(p, "default_cooldown"))
        .set_new_instances_protected_from_scale_in(p.get_attr("protect_from_scale_in").as_bool())
        .set_max_instance_lifetime(int(p, "max_instance_lifetime"))
        .set_capacity_rebalance(p.get_attr("capacity_rebalance").as_bool());
    settings::on_update(req, p)
        .send()
        .await
        .map_err(|e| vec![sdk_err("UpdateAutoScalingGroup", e)])?;
    settings::apply(c, &name, Some(old), p)
        .await
        .map_err(|d| vec![d])?;
    if changed("target_group_arns") && !p.get_attr("target_group_arns").is_unknown() {
        let (was, now) = (
            strings(old, "target_group_arns"),
            strings(p, "target_group_arns"),
        );
        let gone: Vec<String> = was.iter().filter(|a| !now.contains(a)).cloned().collect();
        let new: Vec<String> = now.iter().filter(|a| !was.contains(a)).cloned().collect();
        if !gone.is_empty() {
            c.autoscaling
                .detach_load_balancer_target_groups()
                .auto_scaling_group_name(&name)
                .set_target_group_arns(Some(gone))
                .send()
                .await
                .map_err(|e| vec![sdk_err("DetachLoadBalancerTargetGroups", e)])?;
        }
        if !new.is_empty() {
            c.autoscaling
                .attach_load_balancer_target_groups()
                .auto_scaling_group_name(&name)
                .set_target_group_arns(Some(new))
                .send()
                .await
                .map_err(|e| vec![sdk_err("AttachLoadBalancerTargetGroups", e)])?;
        }
    }
    if changed("tag") {
        let now = group_tags(&name, p);
        let gone: Vec<Tag> = group_tags(&name, old)
            .into_iter()
            .filter(|t| !now.iter().any(|n| n.key() == t.key()))
            .collect();
        if !gone.is_empty() {
            c.autoscaling
                .delete_tags()
                .set_tags(Some(gone))
                .send()
                .await
                .map_err(|e| vec![sdk_err("DeleteTags", e)])?;
        }
        if !now.is_empty() {
            c.autoscaling
                .create_or_update_tags()
                .set_tags(Some(now))
                .send()
                .await
                .map_err(|e| vec![sdk_err("CreateOrUpdateTags", e)])?;
        }
    }
    let refresh = first(p, "instance_refresh");
    if changed("launch_template") && !refresh.is_null() {
        let prefs = first(&refresh, "preferences");
        c.autoscaling
            .start_instance_refresh()
            .auto_scaling_group_name(&name)
            .strategy(RefreshStrategy::from(
                s(&refresh, "strategy")
                    .unwrap_or_else(|| "Rolling".into())
                    .as_str(),
            ))
            .set_preferences((!prefs.is_null()).then(|| refresh_preferences(&prefs)))
            .send()
            .await
            .map_err(|e| vec![sdk_err("StartInstanceRefresh", e)])?;
    }
    wait_for_capacity(c, &name, p).await.map_err(|d| vec![d])?;
    settings::wait_for_elb_capacity(c, &name, p, false, timeout(p))
        .await
        .map_err(|d| vec![d])?;
    read_one(c, &name, p).await
}

/// An instance refresh's `preferences` as StartInstanceRefresh takes them.
fn refresh_preferences(prefs: &Value) -> RefreshPreferences {
    use aws_sdk_autoscaling::types::{
        AlarmSpecification, ScaleInProtectedInstances, StandbyInstances,
    };
    let checkpoints: Vec<i32> = prefs
        .get_attr("checkpoint_percentages")
        .as_list()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_f64().map(|n| n as i32))
                .collect()
        })
        .unwrap_or_default();
    let alarms = first(prefs, "alarm_specification");
    RefreshPreferences::builder()
        .set_min_healthy_percentage(int(prefs, "min_healthy_percentage"))
        .set_instance_warmup(int(prefs, "instance_warmup"))
        .set_max_healthy_percentage(int(prefs, "max_healthy_percentage"))
        .set_auto_rollback(prefs.get_attr("auto_rollback").as_bool())
        .set_skip_matching(prefs.get_attr("skip_matching").as_bool())
        .set_checkpoint_delay(int(prefs, "checkpoint_delay"))
        .set_checkpoint_percentages((!checkpoints.is_empty()).then_some(checkpoints))
        .set_scale_in_protected_instances(
            s(prefs, "scale_in_protected_instances")
                .map(|x| ScaleInProtectedInstances::from(x.as_str())),
        )
        .set_standby_instances(
            s(prefs, "standby_instances").map(|x| StandbyInstances::from(x.as_str())),
        )
        .set_alarm_specification((!alarms.is_null()).then(|| {
            AlarmSpecification::builder()
                .set_alarms(Some(crate::util::strings(&alarms, "alarms")))
                .build()
        }))
        .build()
}

/// Without `force_delete` the group is first drained to zero (its instances
/// terminated), as Terraform does; then deleted, and waited for.
async fn delete(c: &Clients, old: &Value) -> Result<(), Vec<AttrDiagnostic>> {
    let name = s(old, "name").unwrap_or_default();
    let force = old.get_attr("force_delete").as_bool() == Some(true);
    if describe(c, std::slice::from_ref(&name))
        .await
        .map_err(|d| vec![d])?
        .is_empty()
    {
        return Ok(());
    }
    if !force {
        c.autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .min_size(0)
            .max_size(0)
            .desired_capacity(0)
            .send()
            .await
            .map_err(|e| vec![sdk_err("UpdateAutoScalingGroup", e)])?;
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let r = c
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .force_delete(force)
            .send()
            .await;
        match r {
            Ok(_) => break,
            Err(e) if err_code(&e).is_some_and(|c| c == "ValidationError") => return Ok(()),
            Err(e)
                if err_code(&e)
                    .is_some_and(|c| c == "ResourceInUse" || c == "ScalingActivityInProgress")
                    && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => return Err(vec![sdk_err("DeleteAutoScalingGroup", e)]),
        }
    }
    while Instant::now() < deadline {
        if describe(c, std::slice::from_ref(&name))
            .await
            .map_err(|d| vec![d])?
            .is_empty()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Err(vec![AttrDiagnostic::error(
        Vec::new(),
        "Timed out deleting the Auto Scaling group",
        format!("{name} was still there after 10 minutes"),
    )])
}

#[async_trait::async_trait]
impl ResourceType<Clients> for GroupType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, List, Number, Set, String as Str};
        let strs = || Set(Box::new(Str));
        let lt = Schema::new("The launch template, by id or name.")
            .attr("id", Attribute::optional_computed(Str, "Template id."))
            .attr("name", Attribute::optional_computed(Str, "Template name."))
            .attr(
                "version",
                Attribute::optional_computed(
                    Str,
                    "Version: a number, $Latest or $Default (default).",
                ),
            );
        let tag = Schema::new("A tag of the group.")
            .attr("key", Attribute::required(Str, "Key."))
            .attr("value", Attribute::required(Str, "Value."))
            .attr(
                "propagate_at_launch",
                Attribute::required(Bool, "Also tag the instances it launches."),
            );
        let prefs = Schema::new("How the refresh proceeds.")
            .attr(
                "min_healthy_percentage",
                Attribute::optional(Number, "Default 90."),
            )
            .attr(
                "max_healthy_percentage",
                Attribute::optional(Number, "Default 100."),
            )
            .attr("instance_warmup", Attribute::optional(Number, "Seconds."))
            .attr(
                "auto_rollback",
                Attribute::optional(Bool, "Roll back if the refresh fails."),
            )
            .attr(
                "skip_matching",
                Attribute::optional(Bool, "Leave instances that already match the template."),
            )
            .attr(
                "checkpoint_delay",
                Attribute::optional(Number, "Seconds to wait at each checkpoint."),
            )
            .attr(
                "checkpoint_percentages",
                Attribute::optional(
                    AttrType::List(Box::new(Number)),
                    "Percentages replaced at which to pause (the last 100).",
                ),
            )
            .attr(
                "scale_in_protected_instances",
                Attribute::optional(Str, "Refresh, Ignore or Wait."),
            )
            .attr(
                "standby_instances",
                Attribute::optional(Str, "Terminate, Ignore or Wait."),
            )
            .block(
                "alarm_specification",
                nested(
                    Nesting::List,
                    0,
                    Some(1),
                    Schema::new("CloudWatch alarms that fail the refresh.").attr(
                        "alarms",
                        Attribute::optional(AttrType::List(Box::new(Str)), "Alarm names."),
                    ),
                ),
            );
        let refresh = Schema::new("Replace instances when the launch template changes.")
            .attr("strategy", Attribute::required(Str, "Rolling."))
            .attr(
                "triggers",
                Attribute::optional(strs(), "Other arguments whose change starts a refresh."),
            )
            .block("preferences", nested(Nesting::List, 0, Some(1), prefs));
        let base = Schema::new(
            "An Auto Scaling group. Refresh is one DescribeAutoScalingGroups call per 100 groups (and DescribeWarmPool for a group with a warm pool written).",
        )
        .attr(
            "name",
            Attribute::optional_computed(Str, "Name (default: generated from name_prefix).")
                .force_new(),
        )
        .attr(
            "name_prefix",
            Attribute::optional(Str, "Prefix of a generated name.").force_new(),
        )
        .attr("min_size", Attribute::required(Number, "Fewest instances."))
        .attr("max_size", Attribute::required(Number, "Most instances."))
        .attr(
            "desired_capacity",
            Attribute::optional_computed(Number, "Instances wanted now (default min_size)."),
        )
        .attr(
            "vpc_zone_identifier",
            Attribute::optional_computed(strs(), "Subnets."),
        )
        .attr(
            "availability_zones",
            Attribute::optional_computed(strs(), "Zones (without subnets)."),
        )
        .block("launch_template", nested(Nesting::List, 0, Some(1), lt))
        .attr(
            "launch_configuration",
            Attribute::optional(Str, "Launch configuration name (instead of a template)."),
        )
        .attr(
            "health_check_type",
            Attribute::optional_computed(Str, "EC2 (default) or ELB."),
        )
        .attr(
            "health_check_grace_period",
            Attribute::optional_computed(
                Number,
                "Seconds before the first health check (default 300).",
            ),
        )
        .attr(
            "target_group_arns",
            Attribute::optional_computed(strs(), "Target groups to register instances with."),
        )
        .attr(
            "termination_policies",
            Attribute::optional_computed(
                List(Box::new(Str)),
                "Which instances go first (default [\"Default\"]).",
            ),
        )
        .attr(
            "default_cooldown",
            Attribute::optional_computed(Number, "Seconds between scaling activities."),
        )
        .attr(
            "protect_from_scale_in",
            Attribute::optional_computed(
                Bool,
                "Protect new instances from scale-in (default false).",
            ),
        )
        .attr(
            "max_instance_lifetime",
            Attribute::optional(Number, "Seconds an instance may live."),
        )
        .attr(
            "capacity_rebalance",
            Attribute::optional_computed(Bool, "Rebalance Spot capacity (default false)."),
        )
        .attr(
            "force_delete",
            Attribute::optional(Bool, "Delete without draining instances first."),
        )
        .attr(
            "wait_for_capacity_timeout",
            Attribute::optional(
                Str,
                "How long to wait for capacity (default 10m; \"0\" does not wait).",
            ),
        )
        .block("tag", nested(Nesting::Set, 0, None, tag))
        .block(
            "instance_refresh",
            nested(Nesting::List, 0, Some(1), refresh),
        )
        .attr("id", Attribute::computed(Str, "The name."))
        .attr("arn", Attribute::computed(Str, "ARN."));
        mixed::schema(settings::schema(base))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        if crate::util::both_set(config, "name", "name_prefix") {
            out.push(attr_err(
                "name_prefix",
                "Conflicting arguments",
                "set `name` or `name_prefix`, not both",
            ));
        }
        mixed::validate(config, &mut out);
        if let (Some(min), Some(max)) = (
            config.get_attr("min_size").as_f64(),
            config.get_attr("max_size").as_f64(),
        ) {
            if min > max {
                out.push(attr_err(
                    "min_size",
                    "Invalid size",
                    "min_size is above max_size",
                ));
            }
        }
        if let Some(t) = config.get_attr("wait_for_capacity_timeout").as_str() {
            if iac_value::time::parse_duration(t).is_err() {
                out.push(attr_err(
                    "wait_for_capacity_timeout",
                    "Invalid duration",
                    format!("\"{t}\": expected a duration such as 10m or 90s, or \"0\""),
                ));
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let shape = |planned: &mut Value| {
            mixed::plan_shape(req.prior, req.config, planned);
            super::group_settings::plan_shape(req.prior, req.config, planned);
        };
        aws_plan_with(schema, req, &shape, &|_, _| {})
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        create(c, planned, req.idempotency_token).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        update(c, prior, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        delete(c, prior).await
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let names: Vec<String> = current
            .iter()
            .map(|v| s(v, "name").or_else(|| s(v, "id")).unwrap_or_default())
            .collect();
        let found = match describe(c, &names).await {
            Ok(found) => found,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        let mut out = Vec::with_capacity(current.len());
        for (keep, n) in current.iter().zip(&names) {
            let Some(g) = found
                .iter()
                .find(|g| g.auto_scaling_group_name() == Some(n.as_str()))
            else {
                out.push(Ok(None));
                continue;
            };
            let mut v = group_value(g, keep);
            // The warm pool takes a call of its own, made only where one is written.
            out.push(
                settings::read_warm_pool(c, n, keep, &mut v)
                    .await
                    .map(|_| Some(v)),
            );
        }
        out
    }
}
