//! EC2 resources: VPCs, subnets, instances; data sources for zones and images.

pub(crate) mod default_network_acl;
pub(crate) mod default_route_table;
pub(crate) mod default_security_group;
pub(crate) mod default_subnet;
pub(crate) mod eip;
pub(crate) mod key_pair;
pub(crate) mod launch_template;
pub(crate) mod lookups;
pub(crate) mod nat_gateway;
pub(crate) mod route;
pub(crate) mod sg_rule;
pub(crate) mod vpc;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, Filter, InstanceStateName, InstanceType, ResourceType,
    SecureBlobAttributeValue, Tag, TagSpecification,
};
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic};
use iac_value::{Path, PathStep, Value};

use crate::util::{attr_err, err_code, opt_str, s, sdk_err, set, tags_of, tags_value};
use crate::Clients;

/// Tag that carries a create's idempotency token, so a retried or resumed create finds its object.
pub const TOKEN_TAG: &str = "iac:token";

/// How long to wait for an instance state or a dependent object to go away.
const WAIT: Duration = Duration::from_secs(600);

pub fn validate(type_name: &str, config: &Value) -> Vec<AttrDiagnostic> {
    let mut out = Vec::new();
    if matches!(type_name, "aws_vpc" | "aws_subnet") {
        if let Some(c) = config.get_attr("cidr_block").as_str() {
            let ok = c.split_once('/').is_some_and(|(ip, len)| {
                ip.parse::<std::net::Ipv4Addr>().is_ok() && len.parse::<u8>().is_ok_and(|l| l <= 32)
            });
            if !ok {
                out.push(attr_err(
                    "cidr_block",
                    "Invalid CIDR block",
                    format!("\"{c}\" is not an IPv4 CIDR block such as 10.0.0.0/16"),
                ));
            }
        }
    }
    out
}

/// Provider-specific planning rules on top of the schema.
pub fn adjust_plan_sg(type_name: &str, prior: Option<&Value>, config: &Value, planned: &mut Value) {
    match type_name {
        "aws_security_group" => {
            for k in ["ingress", "egress"] {
                // No blocks at all: the rules are not managed here (standalone rules may own them).
                let omitted = config.get_attr(k).as_list().is_none_or(|l| l.is_empty());
                let rules = match (omitted, prior) {
                    (true, Some(p)) => p.get_attr(k).clone(),
                    (true, None) => Value::Unknown,
                    (false, _) => crate::sg::norm_rules(planned.get_attr(k)),
                };
                set(planned, k, rules);
            }
            if config.get_attr("description").is_null() {
                set(planned, "description", Value::string("Managed by iac"));
            }
        }
        "aws_security_group_rule" => crate::sg::plan_rule_fields(planned),
        "aws_route_table" => {
            let omitted = config
                .get_attr("route")
                .as_list()
                .is_none_or(|l| l.is_empty());
            if omitted {
                let keep = prior
                    .map(|p| p.get_attr("route").clone())
                    .unwrap_or(Value::Unknown);
                set(planned, "route", keep);
            }
        }
        _ => {}
    }
}

/// `root_block_device`: omitted means "as it is"; given, its open values come from the prior object.
fn plan_root_block(prior: Option<&Value>, config: &Value, planned: &mut Value) {
    let prior_block = prior.and_then(|p| {
        p.get_attr("root_block_device")
            .as_list()
            .and_then(|l| l.first().cloned())
    });
    let configured = config
        .get_attr("root_block_device")
        .as_list()
        .and_then(|l| l.first().cloned());
    let v = match (configured, prior_block) {
        (None, Some(pb)) => Value::List(vec![pb]),
        (None, None) => {
            if prior.is_some() {
                Value::List(vec![])
            } else {
                Value::Unknown
            }
        }
        (Some(cb), pb) => {
            let mut b = cb.clone();
            for k in [
                "volume_size",
                "volume_type",
                "delete_on_termination",
                "volume_id",
                "device_name",
            ] {
                if b.get_attr(k).is_null() {
                    let from_prior = pb
                        .as_ref()
                        .map(|p| p.get_attr(k).clone())
                        .unwrap_or(Value::Unknown);
                    set(&mut b, k, from_prior);
                }
            }
            Value::List(vec![b])
        }
    };
    set(planned, "root_block_device", v);
}

pub fn adjust_plan(
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
    planned: &mut Value,
    rr: &mut Vec<Path>,
) {
    if type_name == "aws_instance" {
        plan_root_block(prior, config, planned);
        // `metadata_options` omitted means "as AWS has it" (Optional and Computed in
        // Terraform); given, its unset values come from the prior object too.
        let given = config
            .get_attr("metadata_options")
            .as_list()
            .is_some_and(|l| !l.is_empty());
        if !given {
            let keep = prior
                .map(|p| p.get_attr("metadata_options").clone())
                .unwrap_or(Value::Unknown);
            set(planned, "metadata_options", keep);
        }
        if let Some(p) = prior {
            let replace_on_change =
                config.get_attr("user_data_replace_on_change").as_bool() == Some(true);
            if replace_on_change && p.get_attr("user_data") != config.get_attr("user_data") {
                rr.push(vec![PathStep::Key("user_data".into())]);
            }
            // A stop/start for a new type or user data changes the state and addresses.
            let restarts = p.get_attr("instance_type") != planned.get_attr("instance_type")
                || p.get_attr("user_data") != planned.get_attr("user_data");
            if restarts && rr.is_empty() {
                set(planned, "public_ip", Value::Unknown);
            }
        }
    }
}

pub(crate) fn tag_spec(
    rt: ResourceType,
    tags: &BTreeMap<String, String>,
    token: &str,
) -> TagSpecification {
    let mut b = TagSpecification::builder().resource_type(rt);
    for (k, v) in tags {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    b.tags(Tag::builder().key(TOKEN_TAG).value(token).build())
        .build()
}

/// The id of the object an earlier create with this token made, if any (one
/// DescribeTags call serves every resource type).
pub(crate) async fn adopted_id(
    c: &Clients,
    token: &str,
    kind: &str,
) -> Result<Option<String>, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_tags()
        .filters(Filter::builder().name("key").values(TOKEN_TAG).build())
        .filters(Filter::builder().name("value").values(token).build())
        .filters(Filter::builder().name("resource-type").values(kind).build())
        .send()
        .await
        .map_err(|e| sdk_err("DescribeTags", e))?;
    Ok(out
        .tags()
        .first()
        .and_then(|t| t.resource_id())
        .map(String::from))
}

pub(crate) fn token_filter(token: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{TOKEN_TAG}"))
        .values(token)
        .build()
}

pub(crate) async fn update_tags(
    c: &Clients,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), AttrDiagnostic> {
    let (old, new) = (tags_of(prior), tags_of(planned));
    let removed: Vec<Tag> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(|k| Tag::builder().key(k).build())
        .collect();
    let changed: Vec<Tag> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    if !removed.is_empty() {
        c.ec2
            .delete_tags()
            .resources(id)
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(|e| sdk_err("DeleteTags", e))?;
    }
    if !changed.is_empty() {
        c.ec2
            .create_tags()
            .resources(id)
            .set_tags(Some(changed))
            .send()
            .await
            .map_err(|e| sdk_err("CreateTags", e))?;
    }
    Ok(())
}

pub(crate) fn region(c: &Clients) -> String {
    c.ec2
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default()
}

/// Ids named in a "does not exist" error, so a batch read can drop them and retry.
fn missing_ids(message: &str, asked: &[String]) -> Vec<String> {
    message
        .split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-'))
        .filter(|w| asked.iter().any(|a| a == w))
        .map(String::from)
        .collect()
}

pub async fn apply(c: &Clients, req: ApplyRequest<'_>) -> ApplyResult {
    let r = match (req.type_name, req.prior, req.planned) {
        ("aws_subnet", None, Some(p)) => create_subnet(c, p, req.idempotency_token).await,
        ("aws_subnet", Some(old), Some(p)) => update_subnet(c, old, p).await,
        ("aws_subnet", Some(old), None) => {
            delete_with_retry(c, "subnet", s(old, "id").unwrap_or_default())
                .await
                .map(|_| None)
        }
        ("aws_security_group", None, Some(p)) => {
            crate::sg::create_group(c, p, req.idempotency_token).await
        }
        ("aws_security_group", Some(old), Some(p)) => crate::sg::update_group(c, old, p).await,
        ("aws_security_group", Some(old), None) => {
            crate::sg::delete_group(c, old).await.map(|_| None)
        }
        ("aws_security_group_rule", None, Some(p)) => crate::sg::create_rule(c, p).await,
        ("aws_security_group_rule", Some(old), None) => {
            crate::sg::delete_rule(c, old).await.map(|_| None)
        }
        ("aws_internet_gateway", None, Some(p)) => {
            crate::net::create_igw(c, p, req.idempotency_token).await
        }
        ("aws_internet_gateway", Some(old), Some(p)) => crate::net::update_igw(c, old, p).await,
        ("aws_internet_gateway", Some(old), None) => {
            crate::net::delete_igw(c, old).await.map(|_| None)
        }
        ("aws_route_table", None, Some(p)) => {
            crate::net::create_rt(c, p, req.idempotency_token).await
        }
        ("aws_route_table", Some(old), Some(p)) => crate::net::update_rt(c, old, p).await,
        ("aws_route_table", Some(old), None) => crate::net::delete_rt(c, old).await.map(|_| None),
        ("aws_route_table_association", None, Some(p)) => crate::net::create_assoc(c, p).await,
        ("aws_route_table_association", Some(old), None) => {
            crate::net::delete_assoc(c, old).await.map(|_| None)
        }
        ("aws_instance", None, Some(p)) => create_instance(c, p, req.idempotency_token).await,
        ("aws_instance", Some(old), Some(p)) => update_instance(c, old, p).await,
        ("aws_instance", Some(old), None) => delete_instance(c, old).await.map(|_| None),
        (t, _, _) => Err(AttrDiagnostic::error(
            Vec::new(),
            "Unsupported operation",
            t.to_string(),
        )),
    };
    r.map_err(|d| vec![d])
}

// ---- VPC ----

fn vpc_value(c: &Clients, v: &aws_sdk_ec2::types::Vpc, keep: &Value) -> Value {
    let id = v.vpc_id().unwrap_or_default();
    let owner = v.owner_id().unwrap_or_default();
    Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::String(format!("arn:aws:ec2:{}:{owner}:vpc/{id}", region(c))),
        ),
        ("cidr_block", opt_str(v.cidr_block())),
        (
            "instance_tenancy",
            opt_str(v.instance_tenancy().map(|t| t.as_str())),
        ),
        ("owner_id", Value::string(owner)),
        ("tags", tags_value(v.tags())),
        (
            "enable_dns_support",
            keep.get_attr("enable_dns_support").clone(),
        ),
        (
            "enable_dns_hostnames",
            keep.get_attr("enable_dns_hostnames").clone(),
        ),
    ])
}

// ---- Subnet ----

pub(crate) fn subnet_value(s_: &aws_sdk_ec2::types::Subnet, keep: &Value) -> Value {
    let mpip = s_.map_public_ip_on_launch();
    let configured = keep.get_attr("map_public_ip_on_launch");
    Value::map([
        ("id", opt_str(s_.subnet_id())),
        ("arn", opt_str(s_.subnet_arn())),
        ("vpc_id", opt_str(s_.vpc_id())),
        ("cidr_block", opt_str(s_.cidr_block())),
        ("availability_zone", opt_str(s_.availability_zone())),
        (
            "map_public_ip_on_launch",
            match (mpip, configured) {
                (Some(false), Value::Null) => Value::Null,
                (Some(b), _) => Value::Bool(b),
                (None, c) => c.clone(),
            },
        ),
        ("tags", tags_value(s_.tags())),
    ])
}

async fn create_subnet(
    c: &Clients,
    p: &Value,
    token: &str,
) -> Result<Option<Value>, AttrDiagnostic> {
    let adopted = match adopted_id(c, token, "subnet").await? {
        Some(id) => {
            let out = c
                .ec2
                .describe_subnets()
                .subnet_ids(id)
                .send()
                .await
                .map_err(|e| sdk_err("DescribeSubnets", e))?;
            out.subnets().first().cloned()
        }
        None => None,
    };
    let subnet = match adopted {
        Some(sn) => sn,
        None => {
            let out = c
                .ec2
                .create_subnet()
                .set_vpc_id(s(p, "vpc_id"))
                .set_cidr_block(s(p, "cidr_block"))
                .set_availability_zone(s(p, "availability_zone"))
                .tag_specifications(tag_spec(ResourceType::Subnet, &tags_of(p), token))
                .send()
                .await
                .map_err(|e| sdk_err("CreateSubnet", e))?;
            out.subnet().cloned().ok_or_else(|| {
                AttrDiagnostic::error(Vec::new(), "CreateSubnet returned no subnet", "")
            })?
        }
    };
    let id = subnet.subnet_id().unwrap_or_default().to_string();
    let mut v = subnet_value(&subnet, p);
    if let Some(b) = p.get_attr("map_public_ip_on_launch").as_bool() {
        c.ec2
            .modify_subnet_attribute()
            .subnet_id(&id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(b).build())
            .send()
            .await
            .map_err(|e| sdk_err("ModifySubnetAttribute", e))?;
        set(&mut v, "map_public_ip_on_launch", Value::Bool(b));
    }
    Ok(Some(v))
}

async fn update_subnet(
    c: &Clients,
    old: &Value,
    p: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    update_tags(c, &id, old, p).await?;
    let want = p
        .get_attr("map_public_ip_on_launch")
        .as_bool()
        .unwrap_or(false);
    if old
        .get_attr("map_public_ip_on_launch")
        .as_bool()
        .unwrap_or(false)
        != want
    {
        c.ec2
            .modify_subnet_attribute()
            .subnet_id(&id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(want).build())
            .send()
            .await
            .map_err(|e| sdk_err("ModifySubnetAttribute", e))?;
    }
    Ok(Some(p.clone()))
}

/// Deletes a VPC or subnet, retrying while instances that used it are still terminating.
pub(crate) async fn delete_with_retry(
    c: &Clients,
    kind: &str,
    id: String,
) -> Result<(), AttrDiagnostic> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        let result = match kind {
            "security-group" => c
                .ec2
                .delete_security_group()
                .group_id(&id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (err_code(&e), sdk_err("DeleteSecurityGroup", e))),
            "vpc" => c
                .ec2
                .delete_vpc()
                .vpc_id(&id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (err_code(&e), sdk_err("DeleteVpc", e))),
            _ => c
                .ec2
                .delete_subnet()
                .subnet_id(&id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (err_code(&e), sdk_err("DeleteSubnet", e))),
        };
        match result {
            Ok(()) => return Ok(()),
            Err((Some(code), _)) if code.ends_with(".NotFound") => return Ok(()),
            Err((Some(code), d)) if code == "DependencyViolation" => {
                if start.elapsed() > WAIT {
                    return Err(d);
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err((_, d)) => return Err(d),
        }
    }
}

// ---- Instance ----

fn instance_value(c: &Clients, i: &aws_sdk_ec2::types::Instance, keep: &Value) -> Value {
    let id = i.instance_id().unwrap_or_default();
    let owner = keep
        .get_attr("arn")
        .as_str()
        .and_then(|a| a.split(':').nth(4))
        .unwrap_or("")
        .to_string();
    let groups: Vec<Value> = i
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .map(Value::string)
        .collect();
    Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::String(format!("arn:aws:ec2:{}:{owner}:instance/{id}", region(c))),
        ),
        ("ami", opt_str(i.image_id())),
        (
            "instance_type",
            opt_str(i.instance_type().map(|t| t.as_str())),
        ),
        ("subnet_id", opt_str(i.subnet_id())),
        ("vpc_security_group_ids", Value::set(groups)),
        ("key_name", opt_str(i.key_name())),
        (
            "iam_instance_profile",
            match i.iam_instance_profile().and_then(|p| p.arn()) {
                Some(arn) => Value::string(arn.rsplit('/').next().unwrap_or(arn)),
                None => keep.get_attr("iam_instance_profile").clone(),
            },
        ),
        ("private_ip", opt_str(i.private_ip_address())),
        ("public_ip", opt_str(i.public_ip_address())),
        (
            "associate_public_ip_address",
            Value::Bool(i.public_ip_address().is_some()),
        ),
        (
            "source_dest_check",
            i.source_dest_check()
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ),
        (
            "monitoring",
            Value::Bool(
                i.monitoring()
                    .and_then(|m| m.state())
                    .is_some_and(|s| s.as_str() == "enabled" || s.as_str() == "pending"),
            ),
        ),
        (
            "disable_api_termination",
            match keep.get_attr("disable_api_termination") {
                Value::Bool(b) => Value::Bool(*b),
                _ => Value::Bool(false),
            },
        ),
        (
            "metadata_options",
            match i.metadata_options() {
                Some(m) => Value::List(vec![Value::map([
                    (
                        "http_endpoint",
                        opt_str(m.http_endpoint().map(|x| x.as_str())),
                    ),
                    ("http_tokens", opt_str(m.http_tokens().map(|x| x.as_str()))),
                    (
                        "http_put_response_hop_limit",
                        m.http_put_response_hop_limit()
                            .map(|n| Value::Number(f64::from(n)))
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "instance_metadata_tags",
                        opt_str(m.instance_metadata_tags().map(|x| x.as_str())),
                    ),
                ])]),
                None => keep.get_attr("metadata_options").clone(),
            },
        ),
        (
            "instance_state",
            opt_str(i.state().and_then(|s| s.name()).map(|n| n.as_str())),
        ),
        (
            "availability_zone",
            opt_str(i.placement().and_then(|p| p.availability_zone())),
        ),
        ("tags", tags_value(i.tags())),
        ("user_data", keep.get_attr("user_data").clone()),
        ("root_block_device", root_placeholder(i, keep)),
        (
            "user_data_replace_on_change",
            keep.get_attr("user_data_replace_on_change").clone(),
        ),
    ])
}

async fn describe_instance(
    c: &Clients,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::Instance>, AttrDiagnostic> {
    let out = c.ec2.describe_instances().instance_ids(id).send().await;
    match out {
        Ok(o) => Ok(o
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .next()
            .cloned()),
        Err(e) if err_code(&e).is_some_and(|c| c.ends_with(".NotFound")) => Ok(None),
        Err(e) => Err(sdk_err("DescribeInstances", e)),
    }
}

pub(crate) async fn wait_state(
    c: &Clients,
    id: &str,
    want: InstanceStateName,
) -> Result<aws_sdk_ec2::types::Instance, AttrDiagnostic> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(200);
    loop {
        if let Some(i) = describe_instance(c, id).await? {
            if i.state().and_then(|s| s.name()) == Some(&want) {
                return Ok(i);
            }
        }
        if start.elapsed() > WAIT {
            return Err(AttrDiagnostic::error(
                Vec::new(),
                "Timed out",
                format!(
                    "instance {id} did not become {} within {}s",
                    want.as_str(),
                    WAIT.as_secs()
                ),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// The root volume as far as the instance tells (size and type need DescribeVolumes).
fn root_placeholder(i: &aws_sdk_ec2::types::Instance, keep: &Value) -> Value {
    let root = i.root_device_name();
    let Some(m) = i
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name().is_some() && m.device_name() == root)
    else {
        return Value::List(vec![]);
    };
    let prior = keep
        .get_attr("root_block_device")
        .as_list()
        .and_then(|l| l.first().cloned())
        .unwrap_or(Value::Null);
    let ebs = m.ebs();
    Value::List(vec![Value::map([
        ("device_name", opt_str(m.device_name())),
        ("volume_id", opt_str(ebs.and_then(|e| e.volume_id()))),
        (
            "delete_on_termination",
            ebs.and_then(|e| e.delete_on_termination())
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ),
        ("volume_size", prior.get_attr("volume_size").clone()),
        ("volume_type", prior.get_attr("volume_type").clone()),
    ])])
}

/// Fills in root volume size and type with one DescribeVolumes call for all the values.
async fn fill_root_volumes(c: &Clients, values: &mut [&mut Value]) -> Result<(), AttrDiagnostic> {
    let ids: Vec<String> = values
        .iter()
        .filter_map(|v| {
            v.get_attr("root_block_device")
                .as_list()
                .and_then(|l| l.first())
                .and_then(|b| s(b, "volume_id"))
        })
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let out = c
        .ec2
        .describe_volumes()
        .set_volume_ids(Some(ids))
        .send()
        .await
        .map_err(|e| sdk_err("DescribeVolumes", e))?;
    let vols: BTreeMap<String, (Option<i32>, Option<String>)> = out
        .volumes()
        .iter()
        .filter_map(|v| {
            Some((
                v.volume_id()?.to_string(),
                (v.size(), v.volume_type().map(|t| t.as_str().to_string())),
            ))
        })
        .collect();
    for v in values.iter_mut() {
        let Some(mut b) = v
            .get_attr("root_block_device")
            .as_list()
            .and_then(|l| l.first().cloned())
        else {
            continue;
        };
        if let Some((size, ty)) = s(&b, "volume_id").and_then(|id| vols.get(&id)) {
            set(
                &mut b,
                "volume_size",
                size.map(|x| Value::Number(x as f64)).unwrap_or(Value::Null),
            );
            set(
                &mut b,
                "volume_type",
                ty.clone().map(Value::String).unwrap_or(Value::Null),
            );
        }
        set(v, "root_block_device", Value::List(vec![b]));
    }
    Ok(())
}

/// The block device mapping for a configured root volume (the device name comes from the image).
async fn root_mapping(
    c: &Clients,
    p: &Value,
) -> Result<Option<Vec<aws_sdk_ec2::types::BlockDeviceMapping>>, AttrDiagnostic> {
    let Some(b) = p
        .get_attr("root_block_device")
        .as_list()
        .and_then(|l| l.first().cloned())
    else {
        return Ok(None);
    };
    let image = c
        .ec2
        .describe_images()
        .set_image_ids(s(p, "ami").map(|a| vec![a]))
        .send()
        .await
        .map_err(|e| sdk_err("DescribeImages", e))?;
    let device = image
        .images()
        .first()
        .and_then(|i| i.root_device_name())
        .unwrap_or("/dev/xvda")
        .to_string();
    let ebs = aws_sdk_ec2::types::EbsBlockDevice::builder()
        .set_volume_size(b.get_attr("volume_size").as_f64().map(|n| n as i32))
        .set_volume_type(
            s(&b, "volume_type").map(|t| aws_sdk_ec2::types::VolumeType::from(t.as_str())),
        )
        .set_delete_on_termination(b.get_attr("delete_on_termination").as_bool())
        .build();
    Ok(Some(vec![aws_sdk_ec2::types::BlockDeviceMapping::builder(
    )
    .device_name(device)
    .ebs(ebs)
    .build()]))
}

/// Size and type change with ModifyVolume; delete_on_termination with the instance's mapping.
async fn update_root_volume(
    c: &Clients,
    id: &str,
    old: &Value,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let first = |v: &Value| {
        v.get_attr("root_block_device")
            .as_list()
            .and_then(|l| l.first().cloned())
    };
    let (Some(o), Some(n)) = (first(old), first(p)) else {
        return Ok(());
    };
    let Some(volume) = s(&o, "volume_id") else {
        return Ok(());
    };
    let size_changed = n.get_attr("volume_size") != o.get_attr("volume_size")
        && !n.get_attr("volume_size").is_null();
    let type_changed = n.get_attr("volume_type") != o.get_attr("volume_type")
        && !n.get_attr("volume_type").is_null();
    if size_changed || type_changed {
        c.ec2
            .modify_volume()
            .volume_id(&volume)
            .set_size(if size_changed {
                n.get_attr("volume_size").as_f64().map(|x| x as i32)
            } else {
                None
            })
            .set_volume_type(if type_changed {
                s(&n, "volume_type").map(|t| aws_sdk_ec2::types::VolumeType::from(t.as_str()))
            } else {
                None
            })
            .send()
            .await
            .map_err(|e| sdk_err("ModifyVolume", e))?;
    }
    if let (Some(want), Some(device)) = (
        n.get_attr("delete_on_termination").as_bool(),
        s(&o, "device_name"),
    ) {
        if Some(want) != o.get_attr("delete_on_termination").as_bool() {
            let spec = aws_sdk_ec2::types::InstanceBlockDeviceMappingSpecification::builder()
                .device_name(device)
                .ebs(
                    aws_sdk_ec2::types::EbsInstanceBlockDeviceSpecification::builder()
                        .delete_on_termination(want)
                        .build(),
                )
                .build();
            c.ec2
                .modify_instance_attribute()
                .instance_id(id)
                .block_device_mappings(spec)
                .send()
                .await
                .map_err(|e| sdk_err("ModifyInstanceAttribute", e))?;
        }
    }
    Ok(())
}

fn user_data_b64(p: &Value) -> Option<String> {
    use base64::Engine as _;
    s(p, "user_data").map(|u| base64::engine::general_purpose::STANDARD.encode(u))
}

async fn create_instance(
    c: &Clients,
    p: &Value,
    token: &str,
) -> Result<Option<Value>, AttrDiagnostic> {
    // A create that ran before a crash (or whose answer was lost) left a tagged instance: adopt it.
    let existing = c
        .ec2
        .describe_instances()
        .filters(token_filter(token))
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("pending")
                .values("running")
                .values("stopping")
                .values("stopped")
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeInstances", e))?;
    if let Some(found) = existing
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
    {
        let id = found.instance_id().unwrap_or_default().to_string();
        let owner = existing.reservations()[0]
            .owner_id()
            .unwrap_or_default()
            .to_string();
        let inst = wait_state(c, &id, InstanceStateName::Running).await?;
        let mut keep = p.clone();
        set(
            &mut keep,
            "arn",
            Value::String(format!("arn:aws:ec2:{}:{owner}:instance/{id}", region(c))),
        );
        let mut v = instance_value(c, &inst, &keep);
        fill_root_volumes(c, &mut [&mut v]).await?;
        return Ok(Some(v));
    }
    let groups: Option<Vec<String>> = p.get_attr("vpc_security_group_ids").as_list().map(|l| {
        l.iter()
            .filter_map(|g| g.as_str().map(String::from))
            .collect()
    });
    // A public address or a fixed private one is asked for on the primary network
    // interface, which then carries the subnet and groups too.
    let public_ip = p.get_attr("associate_public_ip_address").as_bool();
    let private_ip = s(p, "private_ip");
    let groups = groups.filter(|g| !g.is_empty());
    let mut req = c
        .ec2
        .run_instances()
        .set_image_id(s(p, "ami"))
        .set_instance_type(s(p, "instance_type").map(|t| InstanceType::from(t.as_str())))
        .min_count(1)
        .max_count(1);
    if public_ip.is_some() || private_ip.is_some() {
        req = req.network_interfaces(
            aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .set_subnet_id(s(p, "subnet_id"))
                .set_groups(groups)
                .set_associate_public_ip_address(public_ip)
                .set_private_ip_address(private_ip)
                .delete_on_termination(true)
                .build(),
        );
    } else {
        req = req
            .set_subnet_id(s(p, "subnet_id"))
            .set_security_group_ids(groups);
    }
    if let Some(az) = s(p, "availability_zone") {
        req = req.placement(
            aws_sdk_ec2::types::Placement::builder()
                .availability_zone(az)
                .build(),
        );
    }
    if let Some(on) = p.get_attr("monitoring").as_bool() {
        req = req.monitoring(
            aws_sdk_ec2::types::RunInstancesMonitoringEnabled::builder()
                .enabled(on)
                .build(),
        );
    }
    if let Some(md) = metadata_request(p) {
        req = req.metadata_options(md);
    }
    let out = req
        .set_disable_api_termination(p.get_attr("disable_api_termination").as_bool())
        .set_key_name(s(p, "key_name"))
        .set_iam_instance_profile(s(p, "iam_instance_profile").map(|n| {
            aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                .name(n)
                .build()
        }))
        .set_user_data(user_data_b64(p))
        .set_block_device_mappings(root_mapping(c, p).await?)
        .client_token(token)
        .tag_specifications(tag_spec(ResourceType::Instance, &tags_of(p), token))
        .send()
        .await
        .map_err(|e| sdk_err("RunInstances", e))?;
    let id = out
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .ok_or_else(|| AttrDiagnostic::error(Vec::new(), "RunInstances returned no instance", ""))?
        .to_string();
    let owner = out.owner_id().unwrap_or_default().to_string();
    let mut inst = wait_state(c, &id, InstanceStateName::Running).await?;
    if p.get_attr("source_dest_check").as_bool() == Some(false) {
        set_source_dest_check(c, &id, false).await?;
        inst = describe_instance(c, &id).await?.unwrap_or(inst);
    }
    // The ARN's account comes from the reservation; instance_value takes it from `arn`.
    let mut keep = p.clone();
    set(
        &mut keep,
        "arn",
        Value::String(format!("arn:aws:ec2:{}:{owner}:instance/{id}", region(c))),
    );
    let mut v = instance_value(c, &inst, &keep);
    fill_root_volumes(c, &mut [&mut v]).await?;
    Ok(Some(v))
}

/// `metadata_options` as RunInstances takes it.
fn metadata_request(p: &Value) -> Option<aws_sdk_ec2::types::InstanceMetadataOptionsRequest> {
    let md = p.get_attr("metadata_options").as_list()?.first()?.clone();
    Some(
        aws_sdk_ec2::types::InstanceMetadataOptionsRequest::builder()
            .set_http_endpoint(
                s(&md, "http_endpoint")
                    .map(|x| aws_sdk_ec2::types::InstanceMetadataEndpointState::from(x.as_str())),
            )
            .set_http_tokens(
                s(&md, "http_tokens")
                    .map(|x| aws_sdk_ec2::types::HttpTokensState::from(x.as_str())),
            )
            .set_http_put_response_hop_limit(crate::util::int(&md, "http_put_response_hop_limit"))
            .set_instance_metadata_tags(
                s(&md, "instance_metadata_tags")
                    .map(|x| aws_sdk_ec2::types::InstanceMetadataTagsState::from(x.as_str())),
            )
            .build(),
    )
}

async fn set_source_dest_check(c: &Clients, id: &str, on: bool) -> Result<(), AttrDiagnostic> {
    c.ec2
        .modify_instance_attribute()
        .instance_id(id)
        .source_dest_check(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err("ModifyInstanceAttribute", e))
}

/// Settings of a running instance that change without a stop.
async fn update_live_settings(
    c: &Clients,
    id: &str,
    old: &Value,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let changed = |k: &str| !p.get_attr(k).is_null() && old.get_attr(k) != p.get_attr(k);
    if changed("source_dest_check") {
        set_source_dest_check(
            c,
            id,
            p.get_attr("source_dest_check").as_bool() != Some(false),
        )
        .await?;
    }
    if changed("disable_api_termination") {
        c.ec2
            .modify_instance_attribute()
            .instance_id(id)
            .disable_api_termination(
                AttributeBooleanValue::builder()
                    .value(p.get_attr("disable_api_termination").as_bool() == Some(true))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_err("ModifyInstanceAttribute", e))?;
    }
    if changed("monitoring") {
        if p.get_attr("monitoring").as_bool() == Some(true) {
            c.ec2
                .monitor_instances()
                .instance_ids(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_err("MonitorInstances", e))?;
        } else {
            c.ec2
                .unmonitor_instances()
                .instance_ids(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_err("UnmonitorInstances", e))?;
        }
    }
    if changed("metadata_options") {
        if let Some(md) = p
            .get_attr("metadata_options")
            .as_list()
            .and_then(|l| l.first())
        {
            c.ec2
                .modify_instance_metadata_options()
                .instance_id(id)
                .set_http_endpoint(
                    s(md, "http_endpoint").map(|x| {
                        aws_sdk_ec2::types::InstanceMetadataEndpointState::from(x.as_str())
                    }),
                )
                .set_http_tokens(
                    s(md, "http_tokens")
                        .map(|x| aws_sdk_ec2::types::HttpTokensState::from(x.as_str())),
                )
                .set_http_put_response_hop_limit(crate::util::int(
                    md,
                    "http_put_response_hop_limit",
                ))
                .set_instance_metadata_tags(
                    s(md, "instance_metadata_tags")
                        .map(|x| aws_sdk_ec2::types::InstanceMetadataTagsState::from(x.as_str())),
                )
                .send()
                .await
                .map_err(|e| sdk_err("ModifyInstanceMetadataOptions", e))?;
        }
    }
    Ok(())
}

async fn update_instance(
    c: &Clients,
    old: &Value,
    p: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    update_tags(c, &id, old, p).await?;
    update_root_volume(c, &id, old, p).await?;
    update_live_settings(c, &id, old, p).await?;
    let type_changed = old.get_attr("instance_type") != p.get_attr("instance_type");
    let ud_changed = old.get_attr("user_data") != p.get_attr("user_data");
    if old.get_attr("vpc_security_group_ids") != p.get_attr("vpc_security_group_ids") {
        let groups: Vec<String> = p
            .get_attr("vpc_security_group_ids")
            .as_list()
            .map(|l| {
                l.iter()
                    .filter_map(|g| g.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        c.ec2
            .modify_instance_attribute()
            .instance_id(&id)
            .set_groups(Some(groups))
            .send()
            .await
            .map_err(|e| sdk_err("ModifyInstanceAttribute", e))?;
    }
    if type_changed || ud_changed {
        c.ec2
            .stop_instances()
            .instance_ids(&id)
            .send()
            .await
            .map_err(|e| sdk_err("StopInstances", e))?;
        wait_state(c, &id, InstanceStateName::Stopped).await?;
        if type_changed {
            c.ec2
                .modify_instance_attribute()
                .instance_id(&id)
                .instance_type(
                    AttributeValue::builder()
                        .set_value(s(p, "instance_type"))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| sdk_err("ModifyInstanceAttribute", e))?;
        }
        if ud_changed {
            let bytes = s(p, "user_data").unwrap_or_default().into_bytes();
            c.ec2
                .modify_instance_attribute()
                .instance_id(&id)
                .user_data(
                    SecureBlobAttributeValue::builder()
                        .value(aws_sdk_ec2::primitives::Blob::new(bytes))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| sdk_err("ModifyInstanceAttribute", e))?;
        }
        c.ec2
            .start_instances()
            .instance_ids(&id)
            .send()
            .await
            .map_err(|e| sdk_err("StartInstances", e))?;
        wait_state(c, &id, InstanceStateName::Running).await?;
    }
    let inst = describe_instance(c, &id).await?.ok_or_else(|| {
        AttrDiagnostic::error(
            Vec::new(),
            "Instance vanished",
            format!("{id} no longer exists"),
        )
    })?;
    let mut v = instance_value(c, &inst, p);
    fill_root_volumes(c, &mut [&mut v]).await?;
    Ok(Some(v))
}

async fn delete_instance(c: &Clients, old: &Value) -> Result<(), AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    match c.ec2.terminate_instances().instance_ids(&id).send().await {
        Ok(_) => {}
        Err(e) if err_code(&e).is_some_and(|c| c.ends_with(".NotFound")) => return Ok(()),
        Err(e) => return Err(sdk_err("TerminateInstances", e)),
    }
    // Subnets and security groups can only go once the instance is terminated.
    match describe_instance(c, &id).await? {
        None => Ok(()),
        Some(_) => wait_state(c, &id, InstanceStateName::Terminated)
            .await
            .map(|_| ()),
    }
}

// ---- Refresh ----

const BATCH: usize = 200;

pub async fn read(
    c: &Clients,
    type_name: &str,
    current: &[Value],
) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
    if type_name == "aws_security_group_rule" {
        return crate::sg::read_rules(c, current).await;
    }
    if type_name == "aws_route_table_association" {
        return crate::net::read_assocs(c, current).await;
    }
    let ids: Vec<String> = current
        .iter()
        .map(|v| s(v, "id").unwrap_or_default())
        .collect();
    let mut found: BTreeMap<String, Value> = BTreeMap::new();
    let by_id: BTreeMap<&str, &Value> =
        ids.iter().map(String::as_str).zip(current.iter()).collect();
    for chunk in ids.chunks(BATCH) {
        let mut ask: Vec<String> = chunk.iter().filter(|i| !i.is_empty()).cloned().collect();
        // Each round either succeeds or drops (and checks alone) the ids AWS
        // says are gone, so it ends after at most one round per id.
        while !ask.is_empty() {
            let result = read_batch(c, type_name, &ask, &by_id).await;
            match result {
                Ok(values) => {
                    found.extend(values);
                    break;
                }
                Err(ReadErr::Missing(message)) => {
                    let gone: HashSet<String> = missing_ids(&message, &ask).into_iter().collect();
                    if gone.is_empty() {
                        return current
                            .iter()
                            .map(|_| {
                                Err(AttrDiagnostic::error(
                                    Vec::new(),
                                    "Refresh failed",
                                    message.clone(),
                                ))
                            })
                            .collect();
                    }
                    ask.retain(|i| !gone.contains(i));
                    // Confirm each one on its own: an error about a batch can name
                    // the wrong id (moto does, about half the time), and treating a
                    // live object as deleted would plan to create it again.
                    for id in gone {
                        match read_batch(c, type_name, std::slice::from_ref(&id), &by_id).await {
                            Ok(values) => found.extend(values),
                            Err(ReadErr::Missing(_)) => {}
                            Err(ReadErr::Other(d)) => {
                                return current.iter().map(|_| Err(d.clone())).collect()
                            }
                        }
                    }
                }
                Err(ReadErr::Other(d)) => return current.iter().map(|_| Err(d.clone())).collect(),
            }
        }
    }
    // An import starts from a bare id: read the attributes a refresh keeps from state.
    for (id, v) in found.iter_mut() {
        let stub = by_id
            .get(id.as_str())
            .is_some_and(|c| c.as_map().is_some_and(|m| m.len() == 1));
        if stub {
            if let Err(d) = complete_import(c, type_name, id, v).await {
                return current.iter().map(|_| Err(d.clone())).collect();
            }
        }
    }
    ids.iter().map(|id| Ok(found.get(id).cloned())).collect()
}

async fn complete_import(
    c: &Clients,
    type_name: &str,
    id: &str,
    v: &mut Value,
) -> Result<(), AttrDiagnostic> {
    use aws_sdk_ec2::types::InstanceAttributeName;
    if type_name == "aws_instance" {
        {
            let out = c
                .ec2
                .describe_instance_attribute()
                .instance_id(id)
                .attribute(InstanceAttributeName::UserData)
                .send()
                .await
                .map_err(|e| sdk_err("DescribeInstanceAttribute", e))?;
            let decoded = out.user_data().and_then(|u| u.value()).and_then(|b64| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
            });
            set(
                v,
                "user_data",
                decoded
                    .filter(|u| !u.is_empty())
                    .map(Value::String)
                    .unwrap_or(Value::Null),
            );
        }
    }
    Ok(())
}

pub(crate) enum ReadErr {
    Missing(String),
    Other(AttrDiagnostic),
}

pub(crate) fn classify<
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + 'static,
>(
    what: &str,
    e: aws_sdk_ec2::error::SdkError<E, aws_sdk_ec2::config::http::HttpResponse>,
) -> ReadErr {
    if let Some(se) = e.as_service_error() {
        if se.code().is_some_and(|c| c.ends_with(".NotFound")) {
            return ReadErr::Missing(se.message().unwrap_or("").to_string());
        }
    }
    ReadErr::Other(sdk_err(what, e))
}

async fn read_batch(
    c: &Clients,
    type_name: &str,
    ids: &[String],
    prior: &BTreeMap<&str, &Value>,
) -> Result<Vec<(String, Value)>, ReadErr> {
    let null = Value::Null;
    let keep = |id: &str| *prior.get(id).unwrap_or(&&null);
    match type_name {
        "aws_subnet" => {
            let out = c
                .ec2
                .describe_subnets()
                .set_subnet_ids(Some(ids.to_vec()))
                .send()
                .await
                .map_err(|e| classify("DescribeSubnets", e))?;
            Ok(out
                .subnets()
                .iter()
                .map(|sn| {
                    (
                        sn.subnet_id().unwrap_or_default().to_string(),
                        subnet_value(sn, keep(sn.subnet_id().unwrap_or_default())),
                    )
                })
                .collect())
        }
        "aws_security_group" => crate::sg::read_groups(c, ids).await,
        "aws_internet_gateway" => crate::net::read_igws(c, ids).await,
        "aws_route_table" => crate::net::read_rts(c, ids).await,
        "aws_instance" => {
            let out = c
                .ec2
                .describe_instances()
                .set_instance_ids(Some(ids.to_vec()))
                .send()
                .await
                .map_err(|e| classify("DescribeInstances", e))?;
            let mut values: Vec<(String, Value)> = out
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter(|i| {
                    !matches!(
                        i.state().and_then(|s| s.name()),
                        Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
                    )
                })
                .map(|i| {
                    let id = i.instance_id().unwrap_or_default();
                    (id.to_string(), instance_value(c, i, keep(id)))
                })
                .collect();
            // Root volume sizes and types: one more call for the whole batch.
            let mut refs: Vec<&mut Value> = values.iter_mut().map(|(_, v)| v).collect();
            fill_root_volumes(c, &mut refs)
                .await
                .map_err(ReadErr::Other)?;
            Ok(values)
        }
        other => Err(ReadErr::Other(AttrDiagnostic::error(
            Vec::new(),
            "Unknown resource type",
            other.to_string(),
        ))),
    }
}

// ---- Data sources ----

/// `filter` blocks and `tags` of a lookup, as Describe* filters.
pub(crate) fn lookup_filters(config: &Value) -> Vec<Filter> {
    let mut out: Vec<Filter> = config
        .get_attr("filter")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|f| {
            let values: Vec<String> = f
                .get_attr("values")
                .as_list()
                .unwrap_or(&[])
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
            Filter::builder()
                .set_name(s(f, "name"))
                .set_values(Some(values))
                .build()
        })
        .collect();
    for (k, v) in tags_of(config) {
        out.push(Filter::builder().name(format!("tag:{k}")).values(v).build());
    }
    out
}

pub async fn read_data(
    c: &Clients,
    type_name: &str,
    config: &Value,
) -> Result<Value, Vec<AttrDiagnostic>> {
    match type_name {
        "aws_availability_zones" => {
            let mut call = c.ec2.describe_availability_zones();
            if let Some(state) = s(config, "state") {
                call = call.filters(Filter::builder().name("state").values(state).build());
            }
            let out = call
                .send()
                .await
                .map_err(|e| vec![sdk_err("DescribeAvailabilityZones", e)])?;
            let mut zones: Vec<(String, String)> = out
                .availability_zones()
                .iter()
                .map(|z| {
                    (
                        z.zone_name().unwrap_or_default().to_string(),
                        z.zone_id().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            zones.sort();
            Ok(Value::map([
                ("state", config.get_attr("state").clone()),
                (
                    "names",
                    Value::List(zones.iter().map(|z| Value::String(z.0.clone())).collect()),
                ),
                (
                    "zone_ids",
                    Value::List(zones.iter().map(|z| Value::String(z.1.clone())).collect()),
                ),
                ("id", Value::String(region(c))),
            ]))
        }
        "aws_vpc" => {
            let mut filters = lookup_filters(config);
            if let Some(true) = config.get_attr("default").as_bool() {
                filters.push(Filter::builder().name("isDefault").values("true").build());
            }
            if let Some(cidr) = s(config, "cidr_block") {
                filters.push(Filter::builder().name("cidr").values(cidr).build());
            }
            let out = c
                .ec2
                .describe_vpcs()
                .set_vpc_ids(s(config, "id").map(|i| vec![i]))
                .set_filters(if filters.is_empty() {
                    None
                } else {
                    Some(filters)
                })
                .send()
                .await
                .map_err(|e| vec![sdk_err("DescribeVpcs", e)])?;
            let vpcs = out.vpcs();
            if vpcs.len() != 1 {
                return Err(vec![AttrDiagnostic::error(
                    Vec::new(),
                    if vpcs.is_empty() {
                        "No VPC matches"
                    } else {
                        "More than one VPC matches"
                    },
                    format!(
                        "{} VPCs match; a data \"aws_vpc\" must find exactly one",
                        vpcs.len()
                    ),
                )]);
            }
            let v = &vpcs[0];
            let mut out_v = vpc_value(c, v, &Value::Null);
            set(
                &mut out_v,
                "default",
                Value::Bool(v.is_default().unwrap_or(false)),
            );
            if let Value::Map(m) = &mut out_v {
                m.remove("enable_dns_support");
                m.remove("enable_dns_hostnames");
                m.insert("filter".into(), config.get_attr("filter").clone());
            }
            Ok(out_v)
        }
        "aws_subnets" => {
            let out = c
                .ec2
                .describe_subnets()
                .set_filters(Some(lookup_filters(config)))
                .send()
                .await
                .map_err(|e| vec![sdk_err("DescribeSubnets", e)])?;
            let mut ids: Vec<String> = out
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_id().map(String::from))
                .collect();
            ids.sort();
            Ok(Value::map([
                ("tags", config.get_attr("tags").clone()),
                ("filter", config.get_attr("filter").clone()),
                (
                    "ids",
                    Value::List(ids.into_iter().map(Value::String).collect()),
                ),
                ("id", Value::String(region(c))),
            ]))
        }
        "aws_ami" => {
            let owners: Option<Vec<String>> = config.get_attr("owners").as_list().map(|l| {
                l.iter()
                    .filter_map(|o| o.as_str().map(String::from))
                    .collect()
            });
            let filters = lookup_filters(config);
            let out = c
                .ec2
                .describe_images()
                .set_owners(owners)
                .set_filters(if filters.is_empty() {
                    None
                } else {
                    Some(filters)
                })
                .send()
                .await
                .map_err(|e| vec![sdk_err("DescribeImages", e)])?;
            let re = match s(config, "name_regex") {
                Some(r) => Some(regex::Regex::new(&r).map_err(|e| {
                    vec![attr_err("name_regex", "Invalid name_regex", e.to_string())]
                })?),
                None => None,
            };
            let mut images: Vec<&aws_sdk_ec2::types::Image> = out
                .images()
                .iter()
                .filter(|i| {
                    re.as_ref()
                        .is_none_or(|re| re.is_match(i.name().unwrap_or("")))
                })
                .collect();
            images.sort_by(|a, b| {
                a.creation_date()
                    .cmp(&b.creation_date())
                    .then(a.image_id().cmp(&b.image_id()))
            });
            let most_recent = config.get_attr("most_recent").as_bool() == Some(true);
            let img = match (images.len(), most_recent) {
                (0, _) => {
                    return Err(vec![AttrDiagnostic::error(
                        Vec::new(),
                        "No image matches",
                        "your query returned no results; change the filters or owners",
                    )])
                }
                (1, _) | (_, true) => images[images.len() - 1],
                (n, false) => {
                    return Err(vec![AttrDiagnostic::error(
                        Vec::new(),
                        "More than one image matches",
                        format!("{n} images match; narrow the filters or set most_recent = true"),
                    )])
                }
            };
            let mut v = config.clone();
            for (k, x) in [
                ("id", img.image_id()),
                ("image_id", img.image_id()),
                ("name", img.name()),
                ("architecture", img.architecture().map(|a| a.as_str())),
                ("creation_date", img.creation_date()),
                ("owner_id", img.owner_id()),
            ] {
                set(&mut v, k, opt_str(x));
            }
            Ok(v)
        }
        other => Err(vec![AttrDiagnostic::error(
            Vec::new(),
            "Unknown data source",
            other.to_string(),
        )]),
    }
}
