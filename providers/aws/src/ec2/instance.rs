//! `aws_instance`: a server. Refresh reads 200 instances per DescribeInstances
//! call, and their root volumes with one DescribeVolumes call per batch.

use std::collections::BTreeMap;
use std::time::Instant;

use std::time::Duration;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, Filter, InstanceStateName, ResourceType as Kind,
    SecureBlobAttributeValue,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting,
    PlanRequest, PlanResponse, Schema,
};
use iac_value::Value;
use iac_value::{Path, PathStep};

use crate::ec2::instance_options as opts;
use crate::ec2::instance_volumes as vols;
use crate::ec2::{
    classify, read_in_batches, region, tag_spec, token_filter, update_tags, BatchRead, ReadErr,
    WAIT,
};
use crate::kit::aws_plan_with;
use crate::schema::tags;
use crate::util::{err_code, opt_str, s, sdk_err, set, tags_of, tags_value};
use crate::Clients;

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
                "iops",
                "throughput",
                "encrypted",
                "kms_key_id",
            ] {
                if b.get_attr(k).is_null() {
                    let from_prior = pb
                        .as_ref()
                        .map(|p| p.get_attr(k).clone())
                        .unwrap_or(Value::Unknown);
                    set(&mut b, k, from_prior);
                }
            }
            vols::plan_tags_all(&mut b, pb.as_ref());
            Value::List(vec![b])
        }
    };
    set(planned, "root_block_device", v);
}

/// Blocks whose unset parts are AWS's: the root volume, EBS devices (by device
/// name), metadata and CPU options, before what replaces the instance is decided.
fn plan_shape(prior: Option<&Value>, config: &Value, planned: &mut Value) {
    plan_root_block(prior, config, planned);
    super::instance_addresses::plan(prior, config, planned);
    opts::plan(prior, config, planned);
    vols::plan_ebs(prior, config, planned);
    // `cpu_options` omitted means "as AWS chose for the type" (Optional and Computed).
    let cpu_given = config
        .get_attr("cpu_options")
        .as_list()
        .is_some_and(|l| !l.is_empty());
    if !cpu_given {
        let keep = prior
            .map(|p| p.get_attr("cpu_options").clone())
            .unwrap_or(Value::Unknown);
        set(planned, "cpu_options", keep);
    }
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
}

/// What replaces or restarts the instance (user data with
/// `user_data_replace_on_change`; a new type or user data restarts it).
fn plan_restarts(prior: Option<&Value>, config: &Value, planned: &mut Value, rr: &mut Vec<Path>) {
    if let Some(p) = prior {
        let replace_on_change =
            config.get_attr("user_data_replace_on_change").as_bool() == Some(true);
        for k in ["user_data", "user_data_base64"] {
            if replace_on_change && p.get_attr(k) != config.get_attr(k) {
                rr.push(vec![PathStep::Key(k.into())]);
            }
        }
        // A stop/start for a new type or user data changes the state and addresses.
        let restarts = p.get_attr("instance_type") != planned.get_attr("instance_type")
            || opts::needs_stop(p, planned)
            || p.get_attr("user_data") != planned.get_attr("user_data")
            || p.get_attr("user_data_base64") != planned.get_attr("user_data_base64");
        if restarts && rr.is_empty() {
            set(planned, "public_ip", Value::Unknown);
        }
    }
}

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
    let mut v = Value::map([
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
        ("secondary_private_ips", super::instance_addresses::read(i)),
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
            "ebs_optimized",
            i.ebs_optimized().map(Value::Bool).unwrap_or(Value::Null),
        ),
        (
            "tenancy",
            opt_str(i.placement().and_then(|p| p.tenancy()).map(|t| t.as_str())),
        ),
        // Reading it is one call per instance: kept from state, as Terraform's
        // default ("stop") when never set.
        (
            "instance_initiated_shutdown_behavior",
            match keep.get_attr("instance_initiated_shutdown_behavior") {
                Value::String(b) => Value::String(b.clone()),
                _ => Value::string("stop"),
            },
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
                            .map(|n| Value::num(f64::from(n)))
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "instance_metadata_tags",
                        opt_str(m.instance_metadata_tags().map(|x| x.as_str())),
                    ),
                    (
                        "http_protocol_ipv6",
                        match m.http_protocol_ipv6() {
                            Some(x) => Value::string(x.as_str()),
                            // Not in the answer (moto keeps none): as written.
                            None => keep
                                .get_attr("metadata_options")
                                .as_list()
                                .and_then(|l| l.first())
                                .map_or(Value::Null, |k| {
                                    crate::util::known(k.get_attr("http_protocol_ipv6"))
                                }),
                        },
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
        (
            "user_data_base64",
            keep.get_attr("user_data_base64").clone(),
        ),
        (
            "volume_tags",
            crate::util::known(keep.get_attr("volume_tags")),
        ),
        ("ebs_block_device", vols::ebs_from_instance(i, keep)),
        (
            "public_dns",
            opt_str(i.public_dns_name().filter(|d| !d.is_empty())),
        ),
        (
            "private_dns",
            opt_str(i.private_dns_name().filter(|d| !d.is_empty())),
        ),
        (
            "primary_network_interface_id",
            opt_str(
                i.network_interfaces()
                    .iter()
                    .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0))
                    .and_then(|n| n.network_interface_id()),
            ),
        ),
        (
            "instance_lifecycle",
            opt_str(i.instance_lifecycle().map(|l| l.as_str())),
        ),
        (
            "spot_instance_request_id",
            opt_str(i.spot_instance_request_id()),
        ),
        ("outpost_arn", opt_str(i.outpost_arn())),
        (
            "hibernation",
            match i.hibernation_options().and_then(|h| h.configured()) {
                Some(b) => Value::Bool(b),
                None => match keep.get_attr("hibernation") {
                    Value::Bool(b) => Value::Bool(*b),
                    _ => Value::Bool(false),
                },
            },
        ),
        // Reading it is one call per instance: kept from state, false when never set.
        (
            "disable_api_stop",
            match keep.get_attr("disable_api_stop") {
                Value::Bool(b) => Value::Bool(*b),
                _ => Value::Bool(false),
            },
        ),
        ("security_groups", security_groups_value(i, keep)),
        ("cpu_options", cpu_options_value(i, keep)),
        ("launch_template", launch_template_value(i, keep)),
        ("instance_market_options", market_options_value(i, keep)),
        ("root_block_device", root_placeholder(i, keep)),
        (
            "user_data_replace_on_change",
            keep.get_attr("user_data_replace_on_change").clone(),
        ),
    ]);
    super::instance_addresses::read_ipv6(i, keep, &mut v);
    opts::read(i, keep, &mut v);
    v
}

/// Tags a launch template's `tag_specifications` put on an instance are the
/// template's: like AWS's own, they are left out of the instance's tags (and
/// so neither shown as a change nor removed) unless the instance's own tags
/// (`keep`, as the type sees them) name them too. One call per template and
/// version among the instances.
async fn without_template_tags(c: &Clients, items: &mut [(&mut Value, &Value)]) {
    let mut cache: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
    for (v, keep) in items.iter_mut() {
        let Some(lt) = v
            .get_attr("launch_template")
            .as_list()
            .and_then(|l| l.first().cloned())
        else {
            continue;
        };
        let Some(id) = lt.get_attr("id").as_str().map(String::from) else {
            continue;
        };
        let version = lt
            .get_attr("version")
            .as_str()
            .unwrap_or("$Default")
            .to_string();
        let key = (id.clone(), version.clone());
        if !cache.contains_key(&key) {
            let out = c
                .ec2
                .describe_launch_template_versions()
                .launch_template_id(&id)
                .versions(&version)
                .send()
                .await;
            let tags: BTreeMap<String, String> = out
                .ok()
                .and_then(|o| o.launch_template_versions().first().cloned())
                .and_then(|lv| lv.launch_template_data().cloned())
                .map(|d| {
                    d.tag_specifications()
                        .iter()
                        .filter(|t| t.resource_type().map(|r| r.as_str()) == Some("instance"))
                        .flat_map(|t| t.tags())
                        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            cache.insert(key.clone(), tags);
        }
        let from_template = &cache[&key];
        let own = keep.get_attr("tags").as_map();
        let Some(tags) = v.get_attr("tags").as_map() else {
            continue;
        };
        let kept: BTreeMap<String, Value> = tags
            .iter()
            .filter(|(k, x)| {
                own.is_some_and(|o| o.contains_key(*k))
                    || from_template.get(*k).map(String::as_str) != x.as_str()
            })
            .map(|(k, x)| (k.clone(), x.clone()))
            .collect();
        set(
            v,
            "tags",
            if kept.is_empty() {
                Value::Null
            } else {
                Value::Map(kept.into())
            },
        );
    }
}

/// `instance_market_options`: a Spot Instance, with its request's settings.
fn market_options(p: &Value) -> Option<aws_sdk_ec2::types::InstanceMarketOptionsRequest> {
    let m = p
        .get_attr("instance_market_options")
        .as_list()?
        .first()?
        .clone();
    let spot = m
        .get_attr("spot_options")
        .as_list()
        .and_then(|l| l.first().cloned());
    let spot = spot.map(|o| {
        aws_sdk_ec2::types::SpotMarketOptions::builder()
            .set_max_price(s(&o, "max_price"))
            .set_instance_interruption_behavior(
                s(&o, "instance_interruption_behavior")
                    .map(|b| aws_sdk_ec2::types::InstanceInterruptionBehavior::from(b.as_str())),
            )
            .set_spot_instance_type(
                s(&o, "spot_instance_type")
                    .map(|t| aws_sdk_ec2::types::SpotInstanceType::from(t.as_str())),
            )
            .set_valid_until(s(&o, "valid_until").and_then(|v| {
                aws_sdk_ec2::primitives::DateTime::from_str(
                    &v,
                    aws_sdk_ec2::primitives::DateTimeFormat::DateTime,
                )
                .ok()
            }))
            .build()
    });
    Some(
        aws_sdk_ec2::types::InstanceMarketOptionsRequest::builder()
            .market_type(aws_sdk_ec2::types::MarketType::from(
                s(&m, "market_type")
                    .unwrap_or_else(|| "spot".into())
                    .as_str(),
            ))
            .set_spot_options(spot)
            .build(),
    )
}

/// A Spot Instance's market options: the market from the instance's lifecycle,
/// the request's settings as the configuration wrote them.
fn market_options_value(i: &aws_sdk_ec2::types::Instance, keep: &Value) -> Value {
    let spot = i.instance_lifecycle().is_some_and(|l| l.as_str() == "spot");
    if !spot {
        return Value::List(Vec::new());
    }
    let kept = keep
        .get_attr("instance_market_options")
        .as_list()
        .and_then(|l| l.first().cloned())
        .unwrap_or(Value::Null);
    let options = match kept.get_attr("spot_options") {
        Value::List(l) => Value::List(l.clone()),
        _ => Value::List(Vec::new()),
    };
    Value::List(vec![Value::map([
        ("market_type", Value::string("spot")),
        ("spot_options", options),
    ])])
}

/// The launch template of `launch_template { id | name, version }`.
fn launch_template_spec(p: &Value) -> Option<aws_sdk_ec2::types::LaunchTemplateSpecification> {
    let lt = p.get_attr("launch_template").as_list()?.first()?.clone();
    Some(
        aws_sdk_ec2::types::LaunchTemplateSpecification::builder()
            .set_launch_template_id(s(&lt, "id"))
            .set_launch_template_name(s(&lt, "name").filter(|_| s(&lt, "id").is_none()))
            .set_version(s(&lt, "version"))
            .build(),
    )
}

/// The launch template an instance was started from, as EC2 tags it
/// (`aws:ec2launchtemplate:id`, `...:version`); the name and the version as
/// the configuration wrote them (`$Latest`) are kept from state.
fn launch_template_value(i: &aws_sdk_ec2::types::Instance, keep: &Value) -> Value {
    let tag = |k: &str| {
        i.tags()
            .iter()
            .find(|t| t.key() == Some(k))
            .and_then(|t| t.value())
            .map(String::from)
    };
    let Some(id) = tag("aws:ec2launchtemplate:id") else {
        return Value::List(Vec::new());
    };
    let kept = keep
        .get_attr("launch_template")
        .as_list()
        .and_then(|l| l.first().cloned())
        .unwrap_or(Value::Null);
    let version = match kept.get_attr("version") {
        Value::String(v) => Value::string(v.clone()),
        _ => Value::String(tag("aws:ec2launchtemplate:version").unwrap_or_default()),
    };
    Value::List(vec![Value::map([
        ("id", Value::String(id)),
        ("name", kept.get_attr("name").clone()),
        ("version", version),
    ])])
}

/// `security_groups` as the configuration wrote them: by id when it named ids
/// (an instance in a subnet), else by name; null when it never named any.
fn security_groups_value(i: &aws_sdk_ec2::types::Instance, keep: &Value) -> Value {
    let Some(named) = keep.get_attr("security_groups").as_list() else {
        return Value::Null;
    };
    let by_id = named
        .iter()
        .any(|g| g.as_str().is_some_and(|g| g.starts_with("sg-")));
    Value::set(
        i.security_groups()
            .iter()
            .filter_map(|g| if by_id { g.group_id() } else { g.group_name() })
            .map(Value::string)
            .collect(),
    )
}

/// `cpu_options` as AWS reports them; as configured when it does not say.
fn cpu_options_value(i: &aws_sdk_ec2::types::Instance, keep: &Value) -> Value {
    match i.cpu_options().filter(|o| o.core_count().is_some()) {
        Some(o) => {
            let num = |n: Option<i32>| n.map(|x| Value::num(f64::from(x))).unwrap_or(Value::Null);
            Value::List(vec![Value::map([
                ("core_count", num(o.core_count())),
                ("threads_per_core", num(o.threads_per_core())),
                ("amd_sev_snp", opt_str(o.amd_sev_snp().map(|a| a.as_str()))),
            ])])
        }
        None => match crate::util::known(keep.get_attr("cpu_options")) {
            Value::Null => Value::List(Vec::new()),
            v => v,
        },
    }
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
        ("iops", prior.get_attr("iops").clone()),
        ("throughput", prior.get_attr("throughput").clone()),
        ("encrypted", prior.get_attr("encrypted").clone()),
        ("kms_key_id", prior.get_attr("kms_key_id").clone()),
        ("tags", prior.get_attr("tags").clone()),
        ("tags_all", crate::util::known(prior.get_attr("tags_all"))),
    ])])
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
        .set_iops(crate::util::int(&b, "iops"))
        .set_throughput(crate::util::int(&b, "throughput"))
        .set_encrypted(b.get_attr("encrypted").as_bool())
        .set_kms_key_id(s(&b, "kms_key_id"))
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
    let changed = |k: &str| n.get_attr(k) != o.get_attr(k) && !n.get_attr(k).is_null();
    let (size_changed, type_changed) = (changed("volume_size"), changed("volume_type"));
    let (iops_changed, throughput_changed) = (changed("iops"), changed("throughput"));
    if size_changed || type_changed || iops_changed || throughput_changed {
        let number = |k: &str, yes: bool| yes.then(|| crate::util::int(&n, k)).flatten();
        c.ec2
            .modify_volume()
            .volume_id(&volume)
            .set_size(number("volume_size", size_changed))
            .set_volume_type(if type_changed {
                s(&n, "volume_type").map(|t| aws_sdk_ec2::types::VolumeType::from(t.as_str()))
            } else {
                None
            })
            .set_iops(number("iops", iops_changed))
            .set_throughput(number("throughput", throughput_changed))
            .send()
            .await
            .map_err(|e| sdk_err("ModifyVolume", e))?;
    }
    if !n.get_attr("tags").is_null() && n.get_attr("tags") != o.get_attr("tags") {
        vols::retag_root(c, &volume, &o, &n).await?;
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
    s(p, "user_data")
        .map(|u| base64::engine::general_purpose::STANDARD.encode(u))
        .or_else(|| s(p, "user_data_base64"))
}

/// The user data's bytes, from `user_data` or `user_data_base64`.
fn user_data_bytes(p: &Value) -> Vec<u8> {
    use base64::Engine as _;
    match s(p, "user_data_base64") {
        Some(b) => base64::engine::general_purpose::STANDARD
            .decode(b)
            .unwrap_or_default(),
        None => s(p, "user_data").unwrap_or_default().into_bytes(),
    }
}

/// The instance a create that ran before a crash (or whose answer was lost)
/// left, found by its token tag.
async fn adopt_instance(
    c: &Clients,
    p: &Value,
    token: &str,
) -> Result<Option<Value>, AttrDiagnostic> {
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
        without_template_tags(c, &mut [(&mut v, &keep)]).await;
        vols::fill_volumes(c, &mut [&mut v]).await?;
        opts::wait_password(c, &mut v).await?;
        opts::fill(c, &mut [&mut v], false).await?;
        return Ok(Some(v));
    }
    Ok(None)
}

/// RunInstances with what the configuration asks for, but its volumes, user data
/// and tags.
fn run_request(
    c: &Clients,
    p: &Value,
) -> aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder {
    let groups: Option<Vec<String>> = p.get_attr("vpc_security_group_ids").as_list().map(|l| {
        l.iter()
            .filter_map(|g| g.as_str().map(String::from))
            .collect()
    });
    // A public address or a fixed private one is asked for on the primary network
    // interface, which then carries the subnet and groups too.
    let public_ip = p.get_attr("associate_public_ip_address").as_bool();
    let private_ip = s(p, "private_ip");
    let primary_ipv6 = p.get_attr("enable_primary_ipv6").as_bool();
    // `security_groups` are ids in a subnet (sent with vpc_security_group_ids)
    // and names otherwise, as Terraform sends them.
    let named: Vec<String> = p
        .get_attr("security_groups")
        .as_list()
        .map(|l| {
            l.iter()
                .filter_map(|g| g.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let in_subnet = s(p, "subnet_id").is_some();
    let groups = match (groups, in_subnet && !named.is_empty()) {
        (Some(mut g), true) => {
            g.extend(
                named
                    .iter()
                    .filter(|n| !g.contains(n))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            Some(g)
        }
        (None, true) => Some(named.clone()),
        (g, false) => g,
    };
    let groups = groups.filter(|g| !g.is_empty());
    let mut req = c
        .ec2
        .run_instances()
        .set_launch_template(launch_template_spec(p))
        .set_instance_market_options(market_options(p))
        .set_image_id(s(p, "ami"))
        .set_instance_type(
            s(p, "instance_type").map(|t| aws_sdk_ec2::types::InstanceType::from(t.as_str())),
        )
        .min_count(1)
        .max_count(1);
    let existing = opts::interfaces(p);
    if !existing.is_empty() {
        // Launched with existing interfaces, which carry subnet and groups.
        req = req.set_network_interfaces(Some(existing));
    } else if public_ip.is_some() || private_ip.is_some() || primary_ipv6.is_some() {
        req = req.network_interfaces(
            aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .set_subnet_id(s(p, "subnet_id"))
                .set_groups(groups)
                .set_associate_public_ip_address(public_ip)
                .set_private_ip_address(private_ip)
                .set_primary_ipv6(primary_ipv6)
                .delete_on_termination(true)
                .build(),
        );
    } else {
        req = req
            .set_subnet_id(s(p, "subnet_id"))
            .set_security_group_ids(groups);
        if !in_subnet && !named.is_empty() {
            req = req.set_security_groups(Some(named));
        }
    }
    req = opts::run_request(req.set_placement(opts::placement(p)), p);
    req = req
        .set_ebs_optimized(p.get_attr("ebs_optimized").as_bool())
        .set_instance_initiated_shutdown_behavior(
            s(p, "instance_initiated_shutdown_behavior")
                .map(|b| aws_sdk_ec2::types::ShutdownBehavior::from(b.as_str())),
        );
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
    if let Some(cpu) = p.get_attr("cpu_options").as_list().and_then(|l| l.first()) {
        req = req.cpu_options(
            aws_sdk_ec2::types::CpuOptionsRequest::builder()
                .set_core_count(crate::util::int(cpu, "core_count"))
                .set_threads_per_core(crate::util::int(cpu, "threads_per_core"))
                .set_amd_sev_snp(
                    s(cpu, "amd_sev_snp")
                        .map(|a| aws_sdk_ec2::types::AmdSevSnpSpecification::from(a.as_str())),
                )
                .build(),
        );
    }
    if let Some(h) = p.get_attr("hibernation").as_bool() {
        req = req.hibernation_options(
            aws_sdk_ec2::types::HibernationOptionsRequest::builder()
                .configured(h)
                .build(),
        );
    }
    let volume_tags = vols::volume_tags(p);
    if !volume_tags.is_empty() {
        let mut spec = aws_sdk_ec2::types::TagSpecification::builder().resource_type(Kind::Volume);
        for (k, v) in &volume_tags {
            spec = spec.tags(aws_sdk_ec2::types::Tag::builder().key(k).value(v).build());
        }
        req = req.tag_specifications(spec.build());
    }
    req
}

async fn create_instance(
    c: &Clients,
    p: &Value,
    token: &str,
) -> Result<Option<Value>, AttrDiagnostic> {
    if let Some(v) = adopt_instance(c, p, token).await? {
        return Ok(Some(v));
    }
    let req = run_request(c, p);
    let mut mappings = root_mapping(c, p).await?.unwrap_or_default();
    mappings.extend(vols::ebs_mappings(p));
    mappings.extend(opts::ephemeral_mappings(p));
    let out = req
        .set_disable_api_termination(p.get_attr("disable_api_termination").as_bool())
        .set_disable_api_stop(p.get_attr("disable_api_stop").as_bool())
        .set_key_name(s(p, "key_name"))
        .set_iam_instance_profile(s(p, "iam_instance_profile").map(|n| {
            aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                .name(n)
                .build()
        }))
        .set_user_data(user_data_b64(p))
        .set_block_device_mappings((!mappings.is_empty()).then_some(mappings))
        .client_token(token)
        .tag_specifications(tag_spec(Kind::Instance, &tags_of(p), token))
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
    if super::instance_addresses::apply(c, &inst, p).await? {
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
    without_template_tags(c, &mut [(&mut v, &keep)]).await;
    vols::tag_devices(c, &v).await?;
    vols::tag_root(c, &v).await?;
    vols::fill_volumes(c, &mut [&mut v]).await?;
    opts::wait_password(c, &mut v).await?;
    opts::fill(c, &mut [&mut v], false).await?;
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
            .set_http_protocol_ipv6(
                s(&md, "http_protocol_ipv6")
                    .map(|x| aws_sdk_ec2::types::InstanceMetadataProtocolState::from(x.as_str())),
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
    if changed("instance_initiated_shutdown_behavior") {
        c.ec2
            .modify_instance_attribute()
            .instance_id(id)
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::InstanceInitiatedShutdownBehavior)
            .set_value(s(p, "instance_initiated_shutdown_behavior"))
            .send()
            .await
            .map_err(|e| sdk_err("ModifyInstanceAttribute", e))?;
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
    if changed("disable_api_stop") {
        c.ec2
            .modify_instance_attribute()
            .instance_id(id)
            .disable_api_stop(
                AttributeBooleanValue::builder()
                    .value(p.get_attr("disable_api_stop").as_bool() == Some(true))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_err("ModifyInstanceAttribute", e))?;
    }
    if old.get_attr("volume_tags") != p.get_attr("volume_tags") {
        let volumes = vols::volume_ids(old);
        crate::ec2::retag(c, &volumes, &vols::volume_tags(old), &vols::volume_tags(p)).await?;
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
                .set_http_protocol_ipv6(
                    s(md, "http_protocol_ipv6").map(|x| {
                        aws_sdk_ec2::types::InstanceMetadataProtocolState::from(x.as_str())
                    }),
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
    opts::update_live(c, &id, old, p).await?;
    let type_changed = old.get_attr("instance_type") != p.get_attr("instance_type");
    let ud_changed = old.get_attr("user_data") != p.get_attr("user_data")
        || old.get_attr("user_data_base64") != p.get_attr("user_data_base64");
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
    if type_changed || ud_changed || opts::needs_stop(old, p) {
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
            let bytes = user_data_bytes(p);
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
        opts::update_stopped(c, &id, old, p).await?;
        c.ec2
            .start_instances()
            .instance_ids(&id)
            .send()
            .await
            .map_err(|e| sdk_err("StartInstances", e))?;
        wait_state(c, &id, InstanceStateName::Running).await?;
    }
    let vanished = || {
        AttrDiagnostic::error(
            Vec::new(),
            "Instance vanished",
            format!("{id} no longer exists"),
        )
    };
    let mut inst = describe_instance(c, &id).await?.ok_or_else(vanished)?;
    if super::instance_addresses::apply(c, &inst, p).await? {
        inst = describe_instance(c, &id).await?.ok_or_else(vanished)?;
    }
    let mut v = instance_value(c, &inst, p);
    without_template_tags(c, &mut [(&mut v, p)]).await;
    vols::fill_volumes(c, &mut [&mut v]).await?;
    if p.get_attr("get_password_data").as_bool() == Some(true)
        && old.get_attr("password_data").is_null()
    {
        opts::wait_password(c, &mut v).await?;
    }
    opts::fill(c, &mut [&mut v], false).await?;
    Ok(Some(v))
}

async fn delete_instance(c: &Clients, old: &Value) -> Result<(), AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    // force_destroy (AWS provider 6): termination and stop protection come off first.
    if old.get_attr("force_destroy").as_bool() == Some(true) {
        for (protected, off) in [
            (
                "disable_api_termination",
                c.ec2
                    .modify_instance_attribute()
                    .instance_id(&id)
                    .disable_api_termination(
                        aws_sdk_ec2::types::AttributeBooleanValue::builder()
                            .value(false)
                            .build(),
                    ),
            ),
            (
                "disable_api_stop",
                c.ec2
                    .modify_instance_attribute()
                    .instance_id(&id)
                    .disable_api_stop(
                        aws_sdk_ec2::types::AttributeBooleanValue::builder()
                            .value(false)
                            .build(),
                    ),
            ),
        ] {
            if old.get_attr(protected).as_bool() == Some(true) {
                match off.send().await {
                    Ok(_) => {}
                    Err(e) if err_code(&e).is_some_and(|c| c.ends_with(".NotFound")) => {
                        return Ok(())
                    }
                    Err(e) => return Err(sdk_err("ModifyInstanceAttribute", e)),
                }
            }
        }
    }
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

pub(crate) struct InstanceType;

#[async_trait::async_trait]
impl BatchRead for InstanceType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        prior: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        let null = Value::Null;
        let keep = |id: &str| *prior.get(id).unwrap_or(&&null);
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
        let mut items: Vec<(&mut Value, &Value)> = values
            .iter_mut()
            .map(|(id, v)| {
                let k = keep(id);
                (v, k)
            })
            .collect();
        without_template_tags(c, &mut items).await;
        // Root volume sizes and types: one more call for the whole batch.
        let mut refs: Vec<&mut Value> = values.iter_mut().map(|(_, v)| v).collect();
        vols::fill_volumes(c, &mut refs)
            .await
            .map_err(ReadErr::Other)?;
        opts::fill(c, &mut refs, true)
            .await
            .map_err(ReadErr::Other)?;
        Ok(values)
    }

    async fn complete_import(
        &self,
        c: &Clients,
        id: &str,
        v: &mut Value,
    ) -> Result<(), AttrDiagnostic> {
        let out = c
            .ec2
            .describe_instance_attribute()
            .instance_id(id)
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::InstanceInitiatedShutdownBehavior)
            .send()
            .await
            .map_err(|e| sdk_err("DescribeInstanceAttribute", e))?;
        if let Some(b) = out
            .instance_initiated_shutdown_behavior()
            .and_then(|a| a.value())
        {
            set(v, "instance_initiated_shutdown_behavior", Value::string(b));
        }
        use aws_sdk_ec2::types::InstanceAttributeName;
        {
            let out = c
                .ec2
                .describe_instance_attribute()
                .instance_id(id)
                .attribute(InstanceAttributeName::UserData)
                .send()
                .await
                .map_err(|e| sdk_err("DescribeInstanceAttribute", e))?;
            let b64 = out
                .user_data()
                .and_then(|u| u.value())
                .filter(|u| !u.is_empty());
            let decoded = b64.and_then(|b64| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
            });
            // Data that is not text is kept as Terraform keeps it: in user_data_base64.
            if decoded.is_none() {
                if let Some(b) = b64 {
                    set(v, "user_data_base64", Value::string(b));
                }
            }
            set(
                v,
                "user_data",
                decoded
                    .filter(|u| !u.is_empty())
                    .map(Value::String)
                    .unwrap_or(Value::Null),
            );
        }
        Ok(())
    }
}

/// The rest of `aws_instance`'s arguments: metadata, CPU, volumes, placement,
/// and what AWS computes.
fn instance_settings(s: Schema) -> Schema {
    s
            .block(
                "metadata_options",
                NestedBlock {
                    nesting: Nesting::List,
                    min_items: 0,
                    max_items: Some(1),
                    force_new: false,
                    block: Schema::new("Instance metadata service options; change in place.")
                        .attr("http_endpoint", Attribute::optional_computed(AttrType::String, "enabled or disabled."))
                        .attr("http_tokens", Attribute::optional_computed(AttrType::String, "required (IMDSv2 only) or optional."))
                        .attr(
                            "http_put_response_hop_limit",
                            Attribute::optional_computed(AttrType::Number, "1 to 64."),
                        )
                        .attr(
                            "instance_metadata_tags",
                            Attribute::optional_computed(AttrType::String, "enabled or disabled."),
                        )
                        .attr(
                            "http_protocol_ipv6",
                            Attribute::optional_computed(AttrType::String, "The metadata service's IPv6 endpoint: enabled or disabled (default)."),
                        ),
                },
            )
            .attr(
                "public_ip",
                Attribute::computed(AttrType::String, "Public IPv4 address."),
            )
            .attr(
                "instance_state",
                Attribute::computed(AttrType::String, "pending, running, stopped, ..."),
            )
            .attr(
                "availability_zone",
                Attribute::optional_computed(AttrType::String, "Availability zone (default: the subnet's).")
                    .force_new(),
            )
            .attr(
                "user_data_base64",
                Attribute::optional(
                    AttrType::String,
                    "Boot data, base64-encoded (for data that is not text; not together with user_data); changed by stop, modify, start.",
                ),
            )
            .attr(
                "volume_tags",
                Attribute::optional(
                    AttrType::Map(Box::new(AttrType::String)),
                    "Tags of every volume made with the instance; change in place (not together with ebs_block_device tags).",
                ),
            )
            .block("ebs_block_device", vols::ebs_block())
            .attr(
                "security_groups",
                Attribute::optional_computed(
                    AttrType::Set(Box::new(AttrType::String)),
                    "Security groups: ids for an instance in a subnet, names in the default VPC (a change replaces; prefer vpc_security_group_ids).",
                )
                .force_new(),
            )
            .attr(
                "hibernation",
                Attribute::optional_computed(
                    AttrType::Bool,
                    "Launch with hibernation support (a change replaces the instance).",
                )
                .force_new(),
            )
            .attr(
                "disable_api_stop",
                Attribute::optional_computed(
                    AttrType::Bool,
                    "Stop protection; changes in place (kept from state on refresh: reading it is one call per instance).",
                ),
            )
            .block(
                "instance_market_options",
                NestedBlock {
                    nesting: Nesting::List,
                    min_items: 0,
                    max_items: Some(1),
                    force_new: true,
                    block: Schema::new("Run as a Spot Instance; a change replaces the instance.")
                        .attr("market_type", Attribute::optional_computed(AttrType::String, "spot (the only market type EC2 has here)."))
                        .block(
                            "spot_options",
                            NestedBlock {
                                nesting: Nesting::List,
                                min_items: 0,
                                max_items: Some(1),
                                force_new: true,
                                block: Schema::new("Spot request settings, kept as written.")
                                    .attr("max_price", Attribute::optional(AttrType::String, "Most to pay per hour (default: the On-Demand price)."))
                                    .attr("instance_interruption_behavior", Attribute::optional(AttrType::String, "terminate, stop or hibernate."))
                                    .attr("spot_instance_type", Attribute::optional(AttrType::String, "one-time or persistent."))
                                    .attr("valid_until", Attribute::optional(AttrType::String, "RFC 3339 end of a persistent request.")),
                            },
                        ),
                },
            )
            .block(
                "cpu_options",
                NestedBlock {
                    nesting: Nesting::List,
                    min_items: 0,
                    max_items: Some(1),
                    force_new: true,
                    block: Schema::new("CPU cores and threads (a change replaces the instance; omitted: the type's defaults).")
                        .attr("core_count", Attribute::optional_computed(AttrType::Number, "CPU cores."))
                        .attr(
                            "threads_per_core",
                            Attribute::optional_computed(AttrType::Number, "Threads per core (1 turns hyper-threading off)."),
                        )
                        .attr(
                            "amd_sev_snp",
                            Attribute::optional_computed(AttrType::String, "enabled or disabled (AMD SEV-SNP)."),
                        ),
                },
            )
            .attr(
                "public_dns",
                Attribute::computed(AttrType::String, "Public DNS name (null without a public address)."),
            )
            .attr(
                "private_dns",
                Attribute::computed(AttrType::String, "Private DNS name."),
            )
            .attr(
                "primary_network_interface_id",
                Attribute::computed(AttrType::String, "The primary network interface."),
            )
            .attr(
                "instance_lifecycle",
                Attribute::computed(AttrType::String, "spot or scheduled; null for an on-demand instance."),
            )
            .attr(
                "spot_instance_request_id",
                Attribute::computed(AttrType::String, "The Spot request, for a Spot instance."),
            )
            .attr(
                "outpost_arn",
                Attribute::computed(AttrType::String, "The Outpost, for an instance on one."),
            )
}

#[async_trait::async_trait]
impl ResourceType<Clients> for InstanceType {
    fn schema(&self) -> Schema {
        opts::schema(super::instance_addresses::schema(instance_settings(Schema::new("An EC2 instance (a server).")
            .attr(
                "ami",
                Attribute::optional_computed(
                    AttrType::String,
                    "Image id (required unless launch_template gives it).",
                )
                .force_new(),
            )
            .attr(
                "instance_type",
                Attribute::optional_computed(
                    AttrType::String,
                    "Instance type (required unless launch_template gives it); changed by stop, modify, start.",
                ),
            )
            .block(
                "launch_template",
                NestedBlock {
                    nesting: Nesting::List,
                    min_items: 0,
                    max_items: Some(1),
                    force_new: true,
                    block: Schema::new("The launch template the instance starts from; arguments given here override it.")
                        .attr("id", Attribute::optional_computed(AttrType::String, "Launch template id (or name)."))
                        .attr("name", Attribute::optional_computed(AttrType::String, "Launch template name (or id)."))
                        .attr("version", Attribute::optional_computed(AttrType::String, "A version number, $Latest or $Default (the default).")),
                },
            )
            .attr(
                "subnet_id",
                Attribute::optional_computed(AttrType::String, "Subnet.").force_new(),
            )
            .attr(
                "vpc_security_group_ids",
                Attribute::optional_computed(
                    AttrType::Set(Box::new(AttrType::String)),
                    "Security groups.",
                ),
            )
            .attr(
                "user_data",
                Attribute::optional(
                    AttrType::String,
                    "Boot script; changed by stop, modify, start.",
                ),
            )
            .attr(
                "user_data_replace_on_change",
                Attribute::optional(
                    AttrType::Bool,
                    "Replace the instance when user_data changes.",
                ),
            )
            .attr(
                "key_name",
                Attribute::optional(AttrType::String, "SSH key pair name.").force_new(),
            )
            .attr(
                "iam_instance_profile",
                Attribute::optional(
                    AttrType::String,
                    "Name of an instance profile, for the server's AWS permissions (a change replaces the server).",
                )
                .force_new(),
            )
            .block(
                "root_block_device",
                NestedBlock {
                    nesting: Nesting::List,
                    min_items: 0,
                    max_items: Some(1),
                    force_new: false,
                    block: Schema::new("The root volume; size and type change in place.")
                        .attr(
                            "volume_size",
                            Attribute::optional_computed(AttrType::Number, "Size in GiB."),
                        )
                        .attr(
                            "volume_type",
                            Attribute::optional_computed(AttrType::String, "gp3, gp2, io1, ..."),
                        )
                        .attr(
                            "delete_on_termination",
                            Attribute::optional_computed(
                                AttrType::Bool,
                                "Delete with the instance (default true).",
                            ),
                        )
                        .attr(
                            "iops",
                            Attribute::optional_computed(AttrType::Number, "Provisioned IOPS (io1, io2, gp3); changed in place."),
                        )
                        .attr(
                            "throughput",
                            Attribute::optional_computed(AttrType::Number, "Throughput in MiB/s (gp3); changed in place."),
                        )
                        .attr(
                            "encrypted",
                            Attribute::optional_computed(AttrType::Bool, "Encrypt the volume (a change replaces the instance).")
                                .force_new(),
                        )
                        .attr(
                            "kms_key_id",
                            Attribute::optional_computed(AttrType::String, "KMS key of the encrypted volume (a change replaces the instance).")
                                .force_new(),
                        )
                        .attr(
                            "tags",
                            Attribute::optional(
                                AttrType::Map(Box::new(AttrType::String)),
                                "Tags of the root volume (not together with volume_tags); changed in place.",
                            ),
                        )
                        .attr(
                            "volume_id",
                            Attribute::computed(AttrType::String, "Volume id."),
                        )
                        .attr("tags_all", vols::tags_all_attr())
                        .attr(
                            "device_name",
                            Attribute::computed(AttrType::String, "Device name."),
                        ),
                },
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(AttrType::String, "Instance id."))
            .attr("arn", Attribute::computed(AttrType::String, "ARN."))
            .attr(
                "private_ip",
                Attribute::optional_computed(AttrType::String, "Private IPv4 address (a change replaces).")
                    .force_new(),
            )
            .attr(
                "associate_public_ip_address",
                Attribute::optional_computed(
                    AttrType::Bool,
                    "Give the instance a public address (default: the subnet's setting; a change replaces).",
                )
                .force_new(),
            )
            .attr(
                "source_dest_check",
                Attribute::optional_computed(
                    AttrType::Bool,
                    "Drop traffic not addressed to the instance (default true; off for NAT instances).",
                ),
            )
            .attr(
                "monitoring",
                Attribute::optional_computed(AttrType::Bool, "Detailed (1-minute) CloudWatch monitoring."),
            )
            .attr(
                "ebs_optimized",
                Attribute::optional_computed(
                    AttrType::Bool,
                    "EBS-optimized (a change replaces the instance).",
                )
                .force_new(),
            )
            .attr(
                "tenancy",
                Attribute::optional_computed(
                    AttrType::String,
                    "default, dedicated or host (a change replaces the instance).",
                )
                .force_new(),
            )
            .attr(
                "instance_initiated_shutdown_behavior",
                Attribute::optional_computed(
                    AttrType::String,
                    "stop (default) or terminate, when the OS shuts down; changes in place (kept from state on refresh: reading it is one call per instance).",
                ),
            )
            .attr(
                "disable_api_termination",
                Attribute::optional_computed(
                    AttrType::Bool,
                    "Termination protection (kept from state on refresh: reading it is one call per instance).",
                ),
            )
            .attr(
                "force_destroy",
                Attribute::optional(
                    AttrType::Bool,
                    "Destroy even with termination or stop protection on: it comes off first (AWS provider 6; takes effect once applied).",
                ),
            )
        )))
    }
    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        let template = config
            .get_attr("launch_template")
            .as_list()
            .and_then(|l| l.first().cloned());
        if template.is_none() {
            for k in ["ami", "instance_type"] {
                if config.get_attr(k).is_null() {
                    out.push(AttrDiagnostic::error(
                        vec![PathStep::Key(k.into())],
                        format!("\"{k}\" is required"),
                        "give it, or a launch_template that sets it",
                    ));
                }
            }
        }
        if let Some(t) = &template {
            if t.get_attr("id").is_null() == t.get_attr("name").is_null() {
                out.push(AttrDiagnostic::error(
                    vec![PathStep::Key("launch_template".into())],
                    "A launch_template block names its template once",
                    "give exactly one of id and name",
                ));
            }
        }
        let both = |a: &str, b: &str| {
            AttrDiagnostic::error(
                vec![PathStep::Key(b.into())],
                format!("\"{a}\" and \"{b}\" cannot both be set"),
                format!("give the data once: as text in {a}, or base64-encoded in {b}"),
            )
        };
        if crate::util::both_set(config, "user_data", "user_data_base64") {
            out.push(both("user_data", "user_data_base64"));
        }
        if crate::util::both_set(config, "ipv6_addresses", "ipv6_address_count") {
            out.push(AttrDiagnostic::error(
                vec![PathStep::Key("ipv6_address_count".into())],
                "\"ipv6_addresses\" and \"ipv6_address_count\" cannot both be set",
                "give the addresses, or how many AWS should pick, not both",
            ));
        }
        if let Some(b) = config.get_attr("user_data_base64").as_str() {
            use base64::Engine as _;
            if base64::engine::general_purpose::STANDARD.decode(b).is_err() {
                out.push(AttrDiagnostic::error(
                    vec![PathStep::Key("user_data_base64".into())],
                    "\"user_data_base64\" is not valid base64",
                    "encode the data with base64encode(), or give text in user_data",
                ));
            }
        }
        let tagged = |block: &str| {
            config.get_attr(block).as_list().is_some_and(|l| {
                l.iter()
                    .any(|d| !d.get_attr("tags").is_null() && !d.get_attr("tags").is_unknown())
            })
        };
        let volume_tags = config.get_attr("volume_tags");
        for block in ["ebs_block_device", "root_block_device"] {
            if tagged(block) && !volume_tags.is_null() && !volume_tags.is_unknown() {
                out.push(AttrDiagnostic::error(
                    vec![PathStep::Key("volume_tags".into())],
                    format!("\"volume_tags\" cannot be set together with tags in {block}"),
                    "volume_tags tags every volume alike; tag each device in its block instead, or use volume_tags alone",
                ));
            }
        }
        opts::validate(config, &mut out);
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan_with(
            schema,
            req,
            &|planned| plan_shape(req.prior, req.config, planned),
            &|planned, rr| plan_restarts(req.prior, req.config, planned, rr),
        )
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        create_instance(c, p, req.idempotency_token)
            .await
            .map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        update_instance(c, old, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        delete_instance(c, old).await.map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        read_in_batches(c, self, current).await
    }
}
