//! Elastic Load Balancing v2: application load balancers, target groups and
//! their attachments, listeners and listener rules. Names default to one
//! derived from the plan's token: ELBv2 creates are idempotent for the same
//! name and settings, so a retried create returns the first object.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_elasticloadbalancingv2 as elb;
use elb::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, ForwardActionConfig, Listener, ProtocolEnum,
    RedirectActionConfig, Rule, Tag, TargetDescription, TargetGroup, TargetGroupStickinessConfig,
    TargetGroupTuple,
};
use iac_provider::{ApplyResult, AttrDiagnostic};
use iac_value::Value;

use crate::ec2::TOKEN_TAG;
use crate::util::{
    attr_err, err_code, first, int as num, opt_str, s, same, sdk_err, tag_map, tags_of,
};

pub(crate) fn tags_value(tags: &[Tag]) -> Value {
    tag_map(tags.iter().map(|t| (t.key(), t.value())))
}
use crate::Clients;

pub(crate) fn not_found(code: Option<String>) -> bool {
    code.is_some_and(|c| c.contains("NotFound"))
}

pub(crate) use crate::util::str_set;

pub(crate) fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// A name from the plan's token (ELBv2 names: 32 characters, letters, digits, -).
pub fn generated_name(prefix: &str, token: &str) -> String {
    let t: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(32 - prefix.len() - 1)
        .collect();
    format!("{prefix}-{t}")
}

pub(crate) fn lb_tags(v: &Value, token: Option<&str>) -> Vec<Tag> {
    let mut out: Vec<Tag> = tags_of(v)
        .into_iter()
        .map(|(k, x)| Tag::builder().key(k).value(x).build())
        .collect();
    if let Some(t) = token {
        out.push(Tag::builder().key(TOKEN_TAG).value(t).build());
    }
    out
}

/// Tags of many resources, 20 per call.
pub(crate) async fn tags_of_arns(
    c: &Clients,
    arns: &[String],
) -> Result<BTreeMap<String, Value>, AttrDiagnostic> {
    let mut out = BTreeMap::new();
    for chunk in arns.chunks(20) {
        let r = c
            .elb
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_err("DescribeTags", e))?;
        for d in r.tag_descriptions() {
            if let Some(a) = d.resource_arn() {
                out.insert(a.to_string(), tags_value(d.tags()));
            }
        }
    }
    Ok(out)
}

pub(crate) async fn sync_tags(
    c: &Clients,
    arn: &str,
    old: &Value,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let (was, now) = (tags_of(old), tags_of(p));
    if was == now {
        return Ok(());
    }
    let gone: Vec<String> = was
        .keys()
        .filter(|k| !now.contains_key(*k))
        .cloned()
        .collect();
    if !gone.is_empty() {
        c.elb
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(gone))
            .send()
            .await
            .map_err(|e| sdk_err("RemoveTags", e))?;
    }
    let add = lb_tags(p, None);
    if !add.is_empty() {
        c.elb
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(add))
            .send()
            .await
            .map_err(|e| sdk_err("AddTags", e))?;
    }
    Ok(())
}

pub(crate) mod auth;
pub(crate) mod data_lb;
pub(crate) mod lb;
pub(crate) mod lb_mappings;
pub(crate) mod listener;
pub(crate) mod listener_attributes;
pub(crate) mod listener_certificate;
pub(crate) mod listener_rule;
pub(crate) mod rule_conditions;
pub(crate) mod target_group;
pub(crate) mod target_group_attachment;

// ---- target groups --------------------------------------------------------

fn health_value(tg: &TargetGroup, keep: &Value) -> Value {
    // Only the settings the configuration names are compared; AWS fills the rest.
    let conf = first(keep, "health_check");
    if conf.is_null() {
        return Value::List(Vec::new());
    }
    let all = map(vec![
        (
            "enabled",
            Value::Bool(tg.health_check_enabled().unwrap_or(true)),
        ),
        ("path", opt_str(tg.health_check_path())),
        ("port", opt_str(tg.health_check_port())),
        (
            "protocol",
            opt_str(tg.health_check_protocol().map(|p| p.as_str())),
        ),
        (
            "interval",
            tg.health_check_interval_seconds()
                .map(|n| Value::Number(n.into()))
                .unwrap_or(Value::Null),
        ),
        (
            "timeout",
            tg.health_check_timeout_seconds()
                .map(|n| Value::Number(n.into()))
                .unwrap_or(Value::Null),
        ),
        (
            "healthy_threshold",
            tg.healthy_threshold_count()
                .map(|n| Value::Number(n.into()))
                .unwrap_or(Value::Null),
        ),
        (
            "unhealthy_threshold",
            tg.unhealthy_threshold_count()
                .map(|n| Value::Number(n.into()))
                .unwrap_or(Value::Null),
        ),
        ("matcher", opt_str(tg.matcher().and_then(|m| m.http_code()))),
    ]);
    Value::List(vec![all])
}

/// The target group attributes iac manages, by Terraform's argument names.
pub(crate) type TgAttributes = BTreeMap<String, String>;

/// A target group's attributes (one DescribeTargetGroupAttributes call: AWS has no
/// batch read of them).
pub(crate) async fn tg_attributes(c: &Clients, arn: &str) -> Result<TgAttributes, AttrDiagnostic> {
    let out = c
        .elb
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeTargetGroupAttributes", e))?;
    Ok(out
        .attributes()
        .iter()
        .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
        .collect())
}

fn attr_num(attrs: &TgAttributes, key: &str) -> Value {
    attrs
        .get(key)
        .and_then(|v| v.parse::<f64>().ok())
        .map(Value::num)
        .unwrap_or(Value::Null)
}

/// `stickiness`: compared only when the configuration has the block.
fn stickiness_value(attrs: &TgAttributes, keep: &Value) -> Value {
    let conf = first(keep, "stickiness");
    if conf.is_null() {
        return Value::List(Vec::new());
    }
    let ty = attrs.get("stickiness.type").cloned().unwrap_or_default();
    let duration = if ty == "app_cookie" {
        attr_num(attrs, "stickiness.app_cookie.duration_seconds")
    } else {
        attr_num(attrs, "stickiness.lb_cookie.duration_seconds")
    };
    Value::List(vec![map(vec![
        ("type", Value::String(ty.clone())),
        (
            "enabled",
            Value::Bool(attrs.get("stickiness.enabled").is_some_and(|v| v == "true")),
        ),
        (
            "cookie_duration",
            if duration.is_null() {
                conf.get_attr("cookie_duration").clone()
            } else {
                duration
            },
        ),
        (
            "cookie_name",
            if ty == "app_cookie" {
                opt_str(
                    attrs
                        .get("stickiness.app_cookie.cookie_name")
                        .map(String::as_str),
                )
            } else {
                conf.get_attr("cookie_name").clone()
            },
        ),
    ])])
}

/// A target group attribute written as an argument: (argument, attribute key,
/// whether the argument is a bool; otherwise a string).
pub(crate) type TgField = (&'static str, &'static str, bool);

/// Target group attributes that are one argument each.
pub(crate) const TG_SIMPLE: &[TgField] = &[
    (
        "connection_termination",
        "deregistration_delay.connection_termination.enabled",
        true,
    ),
    ("preserve_client_ip", "preserve_client_ip.enabled", false),
    ("proxy_protocol_v2", "proxy_protocol_v2.enabled", true),
    (
        "lambda_multi_value_headers_enabled",
        "lambda.multi_value_headers.enabled",
        true,
    ),
    (
        "load_balancing_cross_zone_enabled",
        "load_balancing.cross_zone.enabled",
        false,
    ),
    (
        "load_balancing_anomaly_mitigation",
        "load_balancing.algorithm.anomaly_mitigation",
        false,
    ),
];

/// Attributes that are blocks of one: (block, [(argument, attribute key, bool)]).
pub(crate) const TG_BLOCKS: &[(&str, &[TgField])] = &[
    (
        "target_failover",
        &[
            (
                "on_deregistration",
                "target_failover.on_deregistration",
                false,
            ),
            ("on_unhealthy", "target_failover.on_unhealthy", false),
        ],
    ),
    (
        "target_health_state",
        &[
            (
                "enable_unhealthy_connection_termination",
                "target_health_state.unhealthy.connection_termination.enabled",
                true,
            ),
            (
                "unhealthy_draining_interval",
                "target_health_state.unhealthy.draining_interval_seconds",
                false,
            ),
        ],
    ),
];

/// `target_group_health`'s two nested blocks and their attribute key prefixes.
const TG_HEALTH: &[(&str, &str)] = &[
    (
        "dns_failover",
        "target_group_health.dns_failover.minimum_healthy_targets",
    ),
    (
        "unhealthy_state_routing",
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets",
    ),
];

fn attr_text(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(iac_value::format_number(n)),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn attr_of(attrs: &TgAttributes, key: &str, boolean: bool) -> Value {
    match attrs.get(key) {
        None => Value::Null,
        Some(v) if boolean => Value::Bool(v == "true"),
        Some(v) => Value::String(v.clone()),
    }
}

/// The attribute pairs the table-driven arguments write, for those that changed.
fn tg_more_changes(old: Option<&Value>, p: &Value, out: &mut Vec<(String, String)>) {
    let changed = |k: &str| old.is_none_or(|o| !same(o.get_attr(k), p.get_attr(k)));
    for (name, key, _) in TG_SIMPLE {
        if changed(name) {
            if let Some(v) = attr_text(p.get_attr(name)) {
                out.push(((*key).into(), v));
            }
        }
    }
    for (block, fields) in TG_BLOCKS {
        let b = first(p, block);
        if changed(block) && !b.is_null() {
            for (name, key, _) in *fields {
                if let Some(v) = attr_text(b.get_attr(name)) {
                    out.push(((*key).into(), v));
                }
            }
        }
    }
    let h = first(p, "target_group_health");
    if changed("target_group_health") && !h.is_null() {
        for (block, prefix) in TG_HEALTH {
            let b = first(&h, block);
            for (name, suffix) in [
                ("minimum_healthy_targets_count", "count"),
                ("minimum_healthy_targets_percentage", "percentage"),
            ] {
                if let Some(v) = attr_text(b.get_attr(name)) {
                    out.push((format!("{prefix}.{suffix}"), v));
                }
            }
        }
    }
}

/// The table-driven arguments as read: compared only where the configuration
/// writes them (AWS's defaults are Terraform's).
fn tg_more_values(attrs: &TgAttributes, keep: &Value) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for (name, key, boolean) in TG_SIMPLE {
        let v = if keep.get_attr(name).is_null() {
            Value::Null
        } else {
            match attr_of(attrs, key, *boolean) {
                Value::Null => keep.get_attr(name).clone(),
                v => v,
            }
        };
        out.push((*name, v));
    }
    for (block, fields) in TG_BLOCKS {
        let conf = first(keep, block);
        let v = if conf.is_null() {
            Value::List(Vec::new())
        } else {
            Value::List(vec![map(fields
                .iter()
                .map(|(name, key, boolean)| {
                    let v = match attr_of(attrs, key, *boolean) {
                        Value::Null => conf.get_attr(name).clone(),
                        // A number the configuration writes as one.
                        Value::String(x) if matches!(conf.get_attr(name), Value::Number(_)) => {
                            x.parse::<f64>().map(Value::num).unwrap_or(Value::String(x))
                        }
                        v => v,
                    };
                    (*name, v)
                })
                .collect())])
        };
        out.push((*block, v));
    }
    let conf = first(keep, "target_group_health");
    out.push((
        "target_group_health",
        if conf.is_null() {
            Value::List(Vec::new())
        } else {
            Value::List(vec![map(TG_HEALTH
                .iter()
                .map(|(block, prefix)| {
                    let c = first(&conf, block);
                    let read =
                        |suffix: &str, name: &str| match attrs.get(&format!("{prefix}.{suffix}")) {
                            Some(x) => Value::String(x.clone()),
                            None => c.get_attr(name).clone(),
                        };
                    (
                        *block,
                        Value::List(vec![map(vec![
                            (
                                "minimum_healthy_targets_count",
                                read("count", "minimum_healthy_targets_count"),
                            ),
                            (
                                "minimum_healthy_targets_percentage",
                                read("percentage", "minimum_healthy_targets_percentage"),
                            ),
                        ])]),
                    )
                })
                .collect())])
        },
    ));
    out
}

/// The attributes to set for a planned target group (all of them, or those that
/// differ from `old`).
fn tg_attribute_changes(old: Option<&Value>, p: &Value) -> Vec<(String, String)> {
    let changed = |k: &str| old.is_none_or(|o| !same(o.get_attr(k), p.get_attr(k)));
    let mut out = Vec::new();
    if changed("deregistration_delay") {
        if let Some(d) = num(p, "deregistration_delay").or(old.map(|_| 300)) {
            out.push(("deregistration_delay.timeout_seconds".into(), d.to_string()));
        }
    }
    if changed("slow_start") {
        if let Some(d) = num(p, "slow_start") {
            out.push(("slow_start.duration_seconds".into(), d.to_string()));
        }
    }
    if changed("load_balancing_algorithm_type") {
        if let Some(a) = s(p, "load_balancing_algorithm_type") {
            out.push(("load_balancing.algorithm.type".into(), a));
        }
    }
    if changed("stickiness") {
        let st = first(p, "stickiness");
        if st.is_null() {
            if old.is_some() {
                out.push(("stickiness.enabled".into(), "false".into()));
            }
        } else {
            let ty = s(&st, "type").unwrap_or_else(|| "lb_cookie".into());
            let enabled = st.get_attr("enabled").as_bool().unwrap_or(true);
            out.push(("stickiness.enabled".into(), enabled.to_string()));
            out.push(("stickiness.type".into(), ty.clone()));
            if let Some(d) = num(&st, "cookie_duration") {
                let key = if ty == "app_cookie" {
                    "stickiness.app_cookie.duration_seconds"
                } else {
                    "stickiness.lb_cookie.duration_seconds"
                };
                out.push((key.into(), d.to_string()));
            }
            if let Some(n) = s(&st, "cookie_name").filter(|_| ty == "app_cookie") {
                out.push(("stickiness.app_cookie.cookie_name".into(), n));
            }
        }
    }
    tg_more_changes(old, p, &mut out);
    out
}

async fn set_tg_attributes(
    c: &Clients,
    arn: &str,
    attrs: Vec<(String, String)>,
) -> Result<(), AttrDiagnostic> {
    if attrs.is_empty() {
        return Ok(());
    }
    let list = attrs
        .into_iter()
        .map(|(k, v)| {
            elb::types::TargetGroupAttribute::builder()
                .key(k)
                .value(v)
                .build()
        })
        .collect();
    c.elb
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .set_attributes(Some(list))
        .send()
        .await
        .map_err(|e| sdk_err("ModifyTargetGroupAttributes", e))?;
    Ok(())
}

pub(crate) fn tg_value(tg: &TargetGroup, keep: &Value, tags: Value, attrs: &TgAttributes) -> Value {
    let arn = tg.target_group_arn().unwrap_or_default();
    // An argument the configuration leaves unset is not compared (Terraform's
    // defaults are AWS's), except where it is computed.
    let kept = |k: &str, v: Value| {
        if keep.get_attr(k).is_null() {
            Value::Null
        } else if v.is_null() {
            keep.get_attr(k).clone()
        } else {
            v
        }
    };
    let mut entries = vec![
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("protocol_version", opt_str(tg.protocol_version())),
        (
            "ip_address_type",
            opt_str(tg.ip_address_type().map(|t| t.as_str())),
        ),
        (
            "load_balancer_arns",
            Value::set(tg.load_balancer_arns().iter().map(Value::string).collect()),
        ),
        ("slow_start", attr_num(attrs, "slow_start.duration_seconds")),
        (
            "load_balancing_algorithm_type",
            opt_str(
                attrs
                    .get("load_balancing.algorithm.type")
                    .map(String::as_str),
            ),
        ),
        ("stickiness", stickiness_value(attrs, keep)),
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        (
            "arn_suffix",
            Value::string(arn.rsplit_once(':').map(|x| x.1).unwrap_or("")),
        ),
        ("name", opt_str(tg.target_group_name())),
        (
            "port",
            tg.port()
                .map(|n| Value::Number(n.into()))
                .unwrap_or(Value::Null),
        ),
        ("protocol", opt_str(tg.protocol().map(|p| p.as_str()))),
        ("vpc_id", opt_str(tg.vpc_id())),
        ("target_type", opt_str(tg.target_type().map(|t| t.as_str()))),
        (
            "deregistration_delay",
            kept(
                "deregistration_delay",
                attr_num(attrs, "deregistration_delay.timeout_seconds"),
            ),
        ),
        ("health_check", health_value(tg, keep)),
        ("tags", tags),
    ];
    entries.extend(tg_more_values(attrs, keep));
    map(entries)
}

fn health_args(
    mut b: elb::operation::create_target_group::builders::CreateTargetGroupFluentBuilder,
    h: &Value,
) -> elb::operation::create_target_group::builders::CreateTargetGroupFluentBuilder {
    if h.is_null() {
        return b;
    }
    b = b
        .set_health_check_enabled(h.get_attr("enabled").as_bool())
        .set_health_check_path(s(h, "path"))
        .set_health_check_port(s(h, "port"))
        .set_health_check_protocol(s(h, "protocol").map(|p| ProtocolEnum::from(p.as_str())))
        .set_health_check_interval_seconds(num(h, "interval"))
        .set_health_check_timeout_seconds(num(h, "timeout"))
        .set_healthy_threshold_count(num(h, "healthy_threshold"))
        .set_unhealthy_threshold_count(num(h, "unhealthy_threshold"));
    if let Some(m) = s(h, "matcher") {
        b = b.matcher(elb::types::Matcher::builder().http_code(m).build());
    }
    b
}

async fn describe_tg(c: &Clients, arn: &str) -> Result<Option<TargetGroup>, AttrDiagnostic> {
    match c
        .elb
        .describe_target_groups()
        .target_group_arns(arn)
        .send()
        .await
    {
        Ok(o) => Ok(o.target_groups().first().cloned()),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(sdk_err("DescribeTargetGroups", e)),
    }
}

/// The target group of this name, if it carries every one of `ours` tags.
async fn adopt_tg(
    c: &Clients,
    name: &str,
    ours: &[(String, String)],
) -> Result<TargetGroup, AttrDiagnostic> {
    let found = c
        .elb
        .describe_target_groups()
        .names(name)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeTargetGroups", e))?
        .target_groups()
        .first()
        .cloned()
        .ok_or_else(|| {
            AttrDiagnostic::error(Vec::new(), "Target group vanished", name.to_string())
        })?;
    let arn = found.target_group_arn().unwrap_or_default().to_string();
    let have = c
        .elb
        .describe_tags()
        .resource_arns(&arn)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeTags", e))?;
    let have: Vec<(String, String)> = have
        .tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    if ours.is_empty() || !ours.iter().all(|t| have.contains(t)) {
        return Err(attr_err(
            "name",
            "Target group already exists",
            format!("a target group named \"{name}\" exists and was not created by this plan; import it or choose another name"),
        ));
    }
    Ok(found)
}

/// Creates a target group (or returns the one of that name and settings).
pub(crate) async fn create_tg(
    c: &Clients,
    p: &Value,
    name: &str,
    tags: Vec<Tag>,
) -> Result<TargetGroup, AttrDiagnostic> {
    let tags_in = tags.clone();
    let req = c
        .elb
        .create_target_group()
        .name(name)
        .set_port(num(p, "port"))
        .set_protocol(s(p, "protocol").map(|x| ProtocolEnum::from(x.as_str())))
        .set_vpc_id(s(p, "vpc_id"))
        .set_target_type(s(p, "target_type").map(|t| elb::types::TargetTypeEnum::from(t.as_str())))
        .set_protocol_version(s(p, "protocol_version"))
        .set_ip_address_type(
            s(p, "ip_address_type")
                .map(|t| elb::types::TargetGroupIpAddressTypeEnum::from(t.as_str())),
        )
        .set_tags(Some(tags));
    let ours: Vec<(String, String)> = tags_in
        .iter()
        .filter(|t| t.key().is_some_and(|k| k.starts_with("iac:")))
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let tg = match health_args(req, &first(p, "health_check")).send().await {
        Ok(out) => out.target_groups().first().cloned().ok_or_else(|| {
            AttrDiagnostic::error(Vec::new(), "CreateTargetGroup returned nothing", "")
        })?,
        // An earlier attempt of the same create made it (a crash, a lost
        // answer): adopt it if it carries our tags.
        Err(e) if err_code(&e).is_some_and(|c| c.contains("DuplicateTargetGroupName")) => {
            adopt_tg(c, name, &ours).await?
        }
        Err(e) => return Err(sdk_err("CreateTargetGroup", e)),
    };
    set_tg_attributes(
        c,
        tg.target_group_arn().unwrap_or_default(),
        tg_attribute_changes(None, p),
    )
    .await?;
    Ok(tg)
}

async fn update_tg(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let arn = s(old, "arn").unwrap_or_default();
    let h = first(p, "health_check");
    if !same(old.get_attr("health_check"), p.get_attr("health_check")) && !h.is_null() {
        let mut req = c
            .elb
            .modify_target_group()
            .target_group_arn(&arn)
            .set_health_check_enabled(h.get_attr("enabled").as_bool())
            .set_health_check_path(s(&h, "path"))
            .set_health_check_port(s(&h, "port"))
            .set_health_check_protocol(s(&h, "protocol").map(|x| ProtocolEnum::from(x.as_str())))
            .set_health_check_interval_seconds(num(&h, "interval"))
            .set_health_check_timeout_seconds(num(&h, "timeout"))
            .set_healthy_threshold_count(num(&h, "healthy_threshold"))
            .set_unhealthy_threshold_count(num(&h, "unhealthy_threshold"));
        if let Some(m) = s(&h, "matcher") {
            req = req.matcher(elb::types::Matcher::builder().http_code(m).build());
        }
        req.send()
            .await
            .map_err(|e| vec![sdk_err("ModifyTargetGroup", e)])?;
    }
    set_tg_attributes(c, &arn, tg_attribute_changes(Some(old), p))
        .await
        .map_err(|d| vec![d])?;
    sync_tags(c, &arn, old, p).await.map_err(|d| vec![d])?;
    let tg = describe_tg(c, &arn).await.map_err(|d| vec![d])?;
    let attrs = tg_attributes(c, &arn).await.map_err(|d| vec![d])?;
    Ok(tg.map(|tg| tg_value(&tg, p, tags_value(&lb_tags(p, None)), &attrs)))
}

pub(crate) async fn delete_tg(c: &Clients, arn: &str) -> Result<(), AttrDiagnostic> {
    // A listener that has just stopped using the group may still hold it briefly.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match c
            .elb
            .delete_target_group()
            .target_group_arn(arn)
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if not_found(err_code(&e)) => return Ok(()),
            Err(e)
                if err_code(&e).is_some_and(|c| c.contains("ResourceInUse"))
                    && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => return Err(sdk_err("DeleteTargetGroup", e)),
        }
    }
}

// ---- attachments ----------------------------------------------------------

fn attachment_id(tg: &str, target: &str, port: Option<i32>) -> String {
    match port {
        Some(p) => format!("{tg},{target},{p}"),
        None => format!("{tg},{target}"),
    }
}

fn attachment_value(tg: &str, target: &str, port: Option<i32>) -> Value {
    map(vec![
        ("id", Value::String(attachment_id(tg, target, port))),
        ("target_group_arn", Value::string(tg)),
        ("target_id", Value::string(target)),
        (
            "port",
            port.map(|p| Value::Number(p.into())).unwrap_or(Value::Null),
        ),
    ])
}

fn target(id: &str, port: Option<i32>) -> TargetDescription {
    TargetDescription::builder().id(id).set_port(port).build()
}

// ---- actions (listeners and rules) ----------------------------------------

fn action_of(a: &Value, order: Option<i32>) -> Action {
    let ty = s(a, "type").unwrap_or_else(|| "forward".into());
    let mut b = Action::builder()
        .r#type(ActionTypeEnum::from(ty.as_str()))
        .set_order(num(a, "order").or(order));
    match ty.as_str() {
        "forward" => {
            let fwd = first(a, "forward");
            if fwd.is_null() {
                b = b.set_target_group_arn(s(a, "target_group_arn"));
            } else {
                let groups: Vec<TargetGroupTuple> = fwd
                    .get_attr("target_group")
                    .as_list()
                    .unwrap_or(&[])
                    .iter()
                    .map(|g| {
                        TargetGroupTuple::builder()
                            .set_target_group_arn(s(g, "arn"))
                            .set_weight(num(g, "weight").or(Some(1)))
                            .build()
                    })
                    .collect();
                let mut cfg = ForwardActionConfig::builder().set_target_groups(Some(groups));
                let st = first(&fwd, "stickiness");
                if !st.is_null() {
                    cfg = cfg.target_group_stickiness_config(
                        TargetGroupStickinessConfig::builder()
                            .set_enabled(st.get_attr("enabled").as_bool())
                            .set_duration_seconds(num(&st, "duration"))
                            .build(),
                    );
                }
                b = b.forward_config(cfg.build());
            }
        }
        "fixed-response" => {
            let f = first(a, "fixed_response");
            b = b.fixed_response_config(
                FixedResponseActionConfig::builder()
                    .set_content_type(s(&f, "content_type"))
                    .set_message_body(s(&f, "message_body"))
                    .set_status_code(s(&f, "status_code").or(Some("200".into())))
                    .build(),
            );
        }
        "redirect" => {
            let r = first(a, "redirect");
            b = b.redirect_config(
                RedirectActionConfig::builder()
                    .set_protocol(s(&r, "protocol"))
                    .set_port(s(&r, "port"))
                    .set_host(s(&r, "host"))
                    .set_path(s(&r, "path"))
                    .set_query(s(&r, "query"))
                    .set_status_code(
                        s(&r, "status_code")
                            .map(|c| elb::types::RedirectActionStatusCodeEnum::from(c.as_str())),
                    )
                    .build(),
            );
        }
        "authenticate-cognito" => {
            b = b.authenticate_cognito_config(auth::cognito(&first(a, "authenticate_cognito")));
        }
        "authenticate-oidc" => {
            b = b.authenticate_oidc_config(auth::oidc(&first(a, "authenticate_oidc")));
        }
        _ => {}
    }
    b.build()
}

pub(crate) fn actions_of(v: &Value, key: &str) -> Vec<Action> {
    v.get_attr(key)
        .as_list()
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(i, a)| action_of(a, Some(i as i32 + 1)))
        .collect()
}

/// An action as configuration writes it, in the form `keep` (the prior or
/// configured action at the same position) used: a forward to one group reads
/// back from AWS as a weighted forward of one group, which is the same thing.
fn action_value(a: &Action, keep: &Value) -> Value {
    let ty = a
        .r#type()
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    let mut tg_arn = Value::Null;
    let mut forward = Value::List(Vec::new());
    if ty == "forward" {
        let groups: Vec<(String, i32)> = match a.forward_config() {
            Some(f) if !f.target_groups().is_empty() => f
                .target_groups()
                .iter()
                .map(|g| {
                    (
                        g.target_group_arn().unwrap_or_default().to_string(),
                        g.weight().unwrap_or(1),
                    )
                })
                .collect(),
            _ => a
                .target_group_arn()
                .map(|t| vec![(t.to_string(), 1)])
                .unwrap_or_default(),
        };
        let single_form = first(keep, "forward").is_null() && groups.len() == 1;
        if single_form {
            tg_arn = Value::String(groups[0].0.clone());
        } else {
            let mut tgs: Vec<Value> = groups
                .into_iter()
                .map(|(arn, w)| {
                    map(vec![
                        ("arn", Value::String(arn)),
                        ("weight", Value::Number(w.into())),
                    ])
                })
                .collect();
            tgs.sort_by_key(|g| g.to_string());
            let stick = match a
                .forward_config()
                .and_then(|f| f.target_group_stickiness_config())
            {
                Some(st) if !first(&first(keep, "forward"), "stickiness").is_null() => {
                    Value::List(vec![map(vec![
                        ("enabled", Value::Bool(st.enabled().unwrap_or(false))),
                        (
                            "duration",
                            st.duration_seconds()
                                .map(|d| Value::Number(d.into()))
                                .unwrap_or(Value::Null),
                        ),
                    ])])
                }
                _ => Value::List(Vec::new()),
            };
            forward = Value::List(vec![map(vec![
                ("target_group", Value::Set(tgs)),
                ("stickiness", stick),
            ])]);
        }
    }
    let fixed = match a.fixed_response_config() {
        Some(f) => Value::List(vec![map(vec![
            ("content_type", opt_str(f.content_type())),
            ("message_body", opt_str(f.message_body())),
            ("status_code", opt_str(f.status_code())),
        ])]),
        None => Value::List(Vec::new()),
    };
    let redirect = match a.redirect_config() {
        Some(r) => Value::List(vec![map(vec![
            ("protocol", opt_str(r.protocol())),
            ("port", opt_str(r.port())),
            ("host", opt_str(r.host())),
            ("path", opt_str(r.path())),
            ("query", opt_str(r.query())),
            ("status_code", opt_str(r.status_code().map(|c| c.as_str()))),
        ])]),
        None => Value::List(Vec::new()),
    };
    map(vec![
        ("type", Value::String(ty)),
        ("target_group_arn", tg_arn),
        (
            "order",
            a.order()
                .map(|o| Value::Number(o.into()))
                .unwrap_or(Value::Null),
        ),
        ("forward", forward),
        ("fixed_response", fixed),
        ("redirect", redirect),
        (
            "authenticate_cognito",
            auth::cognito_value(a.authenticate_cognito_config(), keep),
        ),
        (
            "authenticate_oidc",
            auth::oidc_value(a.authenticate_oidc_config(), keep),
        ),
    ])
}

fn actions_value(actions: &[Action], keep: &Value, key: &str) -> Value {
    let kept = keep.get_attr(key).as_list().unwrap_or(&[]).to_vec();
    let mut sorted: Vec<&Action> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order().unwrap_or(0));
    Value::List(
        sorted
            .into_iter()
            .enumerate()
            .map(|(i, a)| action_value(a, kept.get(i).unwrap_or(&Value::Null)))
            .collect(),
    )
}

// ---- listeners ------------------------------------------------------------

fn listener_value(l: &Listener, keep: &Value, tags: Value) -> Value {
    let arn = l.listener_arn().unwrap_or_default();
    map(vec![
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        ("load_balancer_arn", opt_str(l.load_balancer_arn())),
        (
            "port",
            l.port()
                .map(|p| Value::Number(p.into()))
                .unwrap_or(Value::Null),
        ),
        ("protocol", opt_str(l.protocol().map(|p| p.as_str()))),
        (
            "certificate_arn",
            opt_str(l.certificates().first().and_then(|c| c.certificate_arn())),
        ),
        ("ssl_policy", opt_str(l.ssl_policy())),
        (
            "alpn_policy",
            opt_str(l.alpn_policy().first().map(String::as_str)),
        ),
        (
            "default_action",
            actions_value(l.default_actions(), keep, "default_action"),
        ),
        ("mutual_authentication", mutual_value(l, keep)),
        ("tags", tags),
    ])
}

/// Mutual TLS of an HTTPS listener, as written for CreateListener and
/// ModifyListener (none when the configuration writes none).
fn mutual_of(p: &Value) -> Option<elb::types::MutualAuthenticationAttributes> {
    let m = first(p, "mutual_authentication");
    m.as_map()?;
    Some(
        elb::types::MutualAuthenticationAttributes::builder()
            .set_mode(s(&m, "mode"))
            .set_trust_store_arn(s(&m, "trust_store_arn"))
            .set_ignore_client_certificate_expiry(
                m.get_attr("ignore_client_certificate_expiry").as_bool(),
            )
            .set_advertise_trust_store_ca_names(
                s(&m, "advertise_trust_store_ca_names").map(|x| x.as_str().into()),
            )
            .build(),
    )
}

/// Mutual TLS as the listener reports it; what it does not report is `keep`'s.
fn mutual_value(l: &Listener, keep: &Value) -> Value {
    match l.mutual_authentication() {
        Some(m) if m.mode().is_some() => Value::List(vec![Value::map([
            ("mode", opt_str(m.mode())),
            ("trust_store_arn", opt_str(m.trust_store_arn())),
            (
                "ignore_client_certificate_expiry",
                m.ignore_client_certificate_expiry()
                    .map_or(Value::Null, Value::Bool),
            ),
            (
                "advertise_trust_store_ca_names",
                opt_str(m.advertise_trust_store_ca_names().map(|x| x.as_str())),
            ),
        ])]),
        _ => match keep.get_attr("mutual_authentication") {
            Value::Null => Value::List(Vec::new()),
            k => k.clone(),
        },
    }
}

pub(crate) async fn describe_listener(
    c: &Clients,
    arn: &str,
) -> Result<Option<Listener>, AttrDiagnostic> {
    match c.elb.describe_listeners().listener_arns(arn).send().await {
        Ok(o) => Ok(o.listeners().first().cloned()),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(sdk_err("DescribeListeners", e)),
    }
}

fn certificates(p: &Value) -> Option<Vec<elb::types::Certificate>> {
    s(p, "certificate_arn").map(|a| {
        vec![elb::types::Certificate::builder()
            .certificate_arn(a)
            .build()]
    })
}

async fn create_listener(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let out = c
        .elb
        .create_listener()
        .set_load_balancer_arn(s(p, "load_balancer_arn"))
        .set_port(num(p, "port"))
        .protocol(ProtocolEnum::from(
            s(p, "protocol").unwrap_or_else(|| "HTTP".into()).as_str(),
        ))
        .set_certificates(certificates(p))
        .set_ssl_policy(s(p, "ssl_policy"))
        .set_alpn_policy(s(p, "alpn_policy").map(|a| vec![a]))
        .set_mutual_authentication(mutual_of(p))
        .set_default_actions(Some(actions_of(p, "default_action")))
        .set_tags(Some(lb_tags(p, Some(token))))
        .send()
        .await
        .map_err(|e| vec![sdk_err("CreateListener", e)])?;
    let l = out.listeners().first().cloned().ok_or_else(|| {
        vec![AttrDiagnostic::error(
            Vec::new(),
            "CreateListener returned nothing",
            "",
        )]
    })?;
    Ok(Some(listener_value(&l, p, tags_value(&lb_tags(p, None)))))
}

async fn update_listener(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let arn = s(old, "arn").unwrap_or_default();
    let changed = [
        "port",
        "protocol",
        "certificate_arn",
        "ssl_policy",
        "alpn_policy",
        "default_action",
        "mutual_authentication",
    ]
    .iter()
    .any(|k| !same(old.get_attr(k), p.get_attr(k)));
    if changed {
        // One call: port, protocol and actions together (a blue-green flip or a
        // change of weights is exactly one ModifyListener).
        c.elb
            .modify_listener()
            .listener_arn(&arn)
            .set_port(num(p, "port"))
            .set_protocol(s(p, "protocol").map(|x| ProtocolEnum::from(x.as_str())))
            .set_certificates(certificates(p))
            .set_ssl_policy(s(p, "ssl_policy").filter(|_| !p.get_attr("ssl_policy").is_unknown()))
            .set_alpn_policy(s(p, "alpn_policy").map(|a| vec![a]))
            .set_mutual_authentication(mutual_of(p))
            .set_default_actions(Some(actions_of(p, "default_action")))
            .send()
            .await
            .map_err(|e| vec![sdk_err("ModifyListener", e)])?;
    }
    sync_tags(c, &arn, old, p).await.map_err(|d| vec![d])?;
    let l = describe_listener(c, &arn).await.map_err(|d| vec![d])?;
    Ok(l.map(|l| listener_value(&l, p, tags_value(&lb_tags(p, None)))))
}

// ---- rules ----------------------------------------------------------------

fn rule_value(r: &Rule, listener: &str, keep: &Value, tags: Value) -> Value {
    let arn = r.rule_arn().unwrap_or_default();
    map(vec![
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        ("listener_arn", Value::string(listener)),
        (
            "priority",
            r.priority()
                .and_then(|p| p.parse::<f64>().ok())
                .map(Value::num)
                .unwrap_or(Value::Null),
        ),
        ("action", actions_value(r.actions(), keep, "action")),
        ("condition", rule_conditions::value(r.conditions())),
        ("tags", tags),
    ])
}

async fn next_priority(c: &Clients, listener: &str) -> Result<i32, AttrDiagnostic> {
    let out = c
        .elb
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeRules", e))?;
    Ok(out
        .rules()
        .iter()
        .filter_map(|r| r.priority().and_then(|p| p.parse::<i32>().ok()))
        .max()
        .unwrap_or(0)
        + 1)
}

async fn create_rule(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let listener = s(p, "listener_arn").unwrap_or_default();
    let priority = match num(p, "priority") {
        Some(n) => n,
        None => next_priority(c, &listener).await.map_err(|d| vec![d])?,
    };
    let out = c
        .elb
        .create_rule()
        .listener_arn(&listener)
        .priority(priority)
        .set_conditions(Some(rule_conditions::request(p)))
        .set_actions(Some(actions_of(p, "action")))
        .set_tags(Some(lb_tags(p, Some(token))))
        .send()
        .await
        .map_err(|e| vec![sdk_err("CreateRule", e)])?;
    let r = out.rules().first().cloned().ok_or_else(|| {
        vec![AttrDiagnostic::error(
            Vec::new(),
            "CreateRule returned nothing",
            "",
        )]
    })?;
    Ok(Some(rule_value(
        &r,
        &listener,
        p,
        tags_value(&lb_tags(p, None)),
    )))
}

async fn update_rule(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let arn = s(old, "arn").unwrap_or_default();
    let listener = s(old, "listener_arn").unwrap_or_default();
    if !same(old.get_attr("action"), p.get_attr("action"))
        || !same(old.get_attr("condition"), p.get_attr("condition"))
    {
        c.elb
            .modify_rule()
            .rule_arn(&arn)
            .set_conditions(Some(rule_conditions::request(p)))
            .set_actions(Some(actions_of(p, "action")))
            .send()
            .await
            .map_err(|e| vec![sdk_err("ModifyRule", e)])?;
    }
    if let Some(prio) =
        num(p, "priority").filter(|_| !same(old.get_attr("priority"), p.get_attr("priority")))
    {
        c.elb
            .set_rule_priorities()
            .rule_priorities(
                elb::types::RulePriorityPair::builder()
                    .rule_arn(&arn)
                    .priority(prio)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| vec![sdk_err("SetRulePriorities", e)])?;
    }
    sync_tags(c, &arn, old, p).await.map_err(|d| vec![d])?;
    let out = c
        .elb
        .describe_rules()
        .rule_arns(&arn)
        .send()
        .await
        .map_err(|e| vec![sdk_err("DescribeRules", e)])?;
    Ok(out
        .rules()
        .first()
        .map(|r| rule_value(r, &listener, p, tags_value(&lb_tags(p, None)))))
}

// ---- batched reads ----------------------------------------------------------

/// How one ELBv2 type describes a batch of its objects by ARN.
#[async_trait::async_trait]
pub(crate) trait ArnBatch: Sync {
    /// The objects among `arns` (up to 20), with `keep` the values in state and
    /// `tags` what DescribeTags found, or the failing call's error code and message.
    async fn describe(
        &self,
        c: &Clients,
        arns: Vec<String>,
        keep: &BTreeMap<String, Value>,
        tags: &BTreeMap<String, Value>,
    ) -> Result<Vec<(String, Value)>, (Option<String>, AttrDiagnostic)>;
}

/// Reads in batches of 20 ARNs (plus one DescribeTags per 20); a missing ARN
/// fails its batch, which is then read one ARN at a time.
pub(crate) async fn read_arns(
    c: &Clients,
    t: &dyn ArnBatch,
    current: &[Value],
) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
    let fail = |d: AttrDiagnostic| current.iter().map(|_| Err(d.clone())).collect();
    let ids: Vec<String> = current
        .iter()
        .map(|v| s(v, "id").unwrap_or_default())
        .collect();
    let keep: BTreeMap<String, Value> = ids.iter().cloned().zip(current.iter().cloned()).collect();
    let mut found: BTreeMap<String, Value> = BTreeMap::new();
    let asked: Vec<String> = ids.iter().filter(|i| !i.is_empty()).cloned().collect();
    for chunk in asked.chunks(20) {
        let chunk = chunk.to_vec();
        // A missing object fails the whole tags call: objects are read below anyway.
        let tags = tags_of_arns(c, &chunk).await.unwrap_or_default();
        match t.describe(c, chunk.clone(), &keep, &tags).await {
            Ok(values) => found.extend(values),
            // One missing ARN fails the batch: ask one at a time.
            Err((code, _)) if not_found(code.clone()) && chunk.len() > 1 => {
                for one in &chunk {
                    let single: Vec<Value> = vec![keep.get(one).cloned().unwrap_or(Value::Null)];
                    if let Some(Ok(Some(v))) =
                        Box::pin(read_arns(c, t, &single)).await.into_iter().next()
                    {
                        found.insert(one.clone(), v);
                    }
                }
            }
            Err((code, _)) if not_found(code.clone()) => {}
            Err((_, d)) => return fail(d),
        }
    }
    ids.iter().map(|id| Ok(found.get(id).cloned())).collect()
}

/// The listener of a rule, from the rule's ARN.
fn listener_of_rule(rule_arn: &str) -> String {
    // arn:...:listener-rule/app/NAME/LB/LISTENER/RULE -> arn:...:listener/app/NAME/LB/LISTENER
    let Some((head, tail)) = rule_arn.split_once(":listener-rule/") else {
        return String::new();
    };
    let parts: Vec<&str> = tail.split('/').collect();
    if parts.len() < 5 {
        return String::new();
    }
    format!("{head}:listener/{}", parts[..4].join("/"))
}

/// Checks an action list (`default_action`, `action`) beyond the schema.
pub(crate) fn validate_actions(config: &Value, key: &str) -> Vec<AttrDiagnostic> {
    let mut out = Vec::new();
    let check = |a: &Value, key: &str, out: &mut Vec<AttrDiagnostic>| {
        let ty = a.get_attr("type").as_str().unwrap_or("");
        let ok = match ty {
            "forward" => {
                !a.get_attr("target_group_arn").is_null()
                    || !first(a, "forward").is_null()
                    || a.get_attr("forward").is_unknown()
            }
            "fixed-response" => !first(a, "fixed_response").is_null(),
            "redirect" => !first(a, "redirect").is_null(),
            "authenticate-cognito" => !first(a, "authenticate_cognito").is_null(),
            "authenticate-oidc" => !first(a, "authenticate_oidc").is_null(),
            "" => true,
            other => {
                out.push(attr_err(
                    key,
                    "Unsupported action type",
                    format!("\"{other}\": the types are forward, fixed-response, redirect, authenticate-cognito, authenticate-oidc"),
                ));
                true
            }
        };
        if !ok {
            out.push(attr_err(
                key,
                "Incomplete action",
                format!("a {ty} action needs its settings (target_group_arn or a forward block, a fixed_response block, or a redirect block)"),
            ));
        }
    };
    for a in config.get_attr(key).as_list().unwrap_or(&[]) {
        check(a, key, &mut out);
    }
    out
}
