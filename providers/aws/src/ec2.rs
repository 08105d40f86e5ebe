//! EC2: one file per resource type under `ec2/`, and what they share here (tags with
//! the idempotency token, adopt-or-create, batched reads by id, deletes that wait
//! for dependents); data sources for zones, images, VPCs and subnets.

pub(crate) mod data_network_interface;
pub(crate) mod data_vpc_endpoint_service;
pub(crate) mod default_network_acl;
pub(crate) mod default_route_table;
pub(crate) mod default_security_group;
pub(crate) mod default_subnet;
pub(crate) mod dhcp_options;
pub(crate) mod egress_only_internet_gateway;
pub(crate) mod eip;
pub(crate) mod instance;
pub(crate) mod instance_addresses;
pub(crate) mod instance_options;
pub(crate) mod instance_volumes;
pub(crate) mod internet_gateway;
pub(crate) mod key_pair;
pub(crate) mod launch_template;
pub(crate) mod launch_template_more;
pub(crate) mod launch_template_nics;
pub(crate) mod lookups;
pub(crate) mod nat_gateway;
pub(crate) mod network_acl;
pub(crate) mod network_interface;
pub(crate) mod network_interface_attachment;
pub(crate) mod network_interface_sg_attachment;
pub(crate) mod route;
pub(crate) mod route_table;
pub(crate) mod route_table_association;
pub(crate) mod security_group;
pub(crate) mod security_group_rule;
pub(crate) mod sg_rule;
pub(crate) mod subnet;
pub(crate) mod subnet_launch;
pub(crate) mod vpc;
pub(crate) mod vpc_endpoint;
pub(crate) mod vpn_gateway;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use iac_provider::AttrDiagnostic;
use iac_value::Value;

use crate::util::{attr_err, err_code, opt_str, s, sdk_err, set, tags_of, tags_value};
use crate::Clients;

/// Tag that carries a create's idempotency token, so a retried or resumed create finds its object.
pub const TOKEN_TAG: &str = "iac:token";

/// How long to wait for an instance state or a dependent object to go away.
pub(crate) const WAIT: Duration = Duration::from_secs(600);
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
    retag(c, &[id.to_string()], &tags_of(prior), &tags_of(planned)).await
}

/// Rewrites tags on EC2 objects: removes the keys `old` has and `new` lacks, and
/// writes what is new or changed.
pub(crate) async fn retag(
    c: &Clients,
    ids: &[String],
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), AttrDiagnostic> {
    if ids.is_empty() || old == new {
        return Ok(());
    }
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
            .set_resources(Some(ids.to_vec()))
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(|e| sdk_err("DeleteTags", e))?;
    }
    if !changed.is_empty() {
        c.ec2
            .create_tags()
            .set_resources(Some(ids.to_vec()))
            .set_tags(Some(changed))
            .send()
            .await
            .map_err(|e| sdk_err("CreateTags", e))?;
    }
    Ok(())
}

/// Whether a CIDR block association's state is one on its way out. Anything
/// else counts as the block in use (moto 5.2.5 writes states the SDK does not know).
pub(crate) fn leaving(state: Option<&str>) -> bool {
    state.is_some_and(|st| st.contains("disassociat") || st.contains("fail"))
}

/// A flag AWS reports, as state keeps it: false that the configuration does not
/// write is null (no change against an unwritten argument); not reported, as written.
pub(crate) fn flag(aws: Option<bool>, written: &Value) -> Value {
    match (aws, written) {
        (Some(false), Value::Null) => Value::Null,
        (Some(b), _) => Value::Bool(b),
        (None, w) => w.clone(),
    }
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
// ---- VPC (for the aws_vpc data source) ----

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

// ---- Refresh ----

const BATCH: usize = 200;

/// How one EC2 type reads a batch of its objects by id (Describe* with ids).
#[async_trait::async_trait]
pub(crate) trait BatchRead: Sync {
    /// The objects found among `ids`; `prior` holds each id's value in state
    /// (for what AWS does not return). An id AWS says is gone is a `ReadErr::Missing`.
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        prior: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr>;

    /// An import starts from a bare id: reads what a refresh keeps from state.
    async fn complete_import(
        &self,
        _c: &Clients,
        _id: &str,
        _v: &mut Value,
    ) -> Result<(), AttrDiagnostic> {
        Ok(())
    }
}

/// Reads objects in batches of `BATCH` ids; an id AWS says is gone is confirmed
/// on its own before it is reported gone.
pub(crate) async fn read_in_batches(
    c: &Clients,
    t: &dyn BatchRead,
    current: &[Value],
) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
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
            let result = t.batch(c, &ask, &by_id).await;
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
                        match t.batch(c, std::slice::from_ref(&id), &by_id).await {
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
            if let Err(d) = t.complete_import(c, id, v).await {
                return current.iter().map(|_| Err(d.clone())).collect();
            }
        }
    }
    ids.iter().map(|id| Ok(found.get(id).cloned())).collect()
}

pub(crate) enum ReadErr {
    Missing(String),
    Other(AttrDiagnostic),
}

/// A read of one object right after it was made or changed: "gone" is an error
/// there, saying which kind of object vanished.
pub(crate) fn vanished(e: ReadErr, what: &str) -> Vec<AttrDiagnostic> {
    match e {
        ReadErr::Missing(m) => vec![AttrDiagnostic::error(
            Vec::new(),
            format!("{what} vanished"),
            m,
        )],
        ReadErr::Other(d) => vec![d],
    }
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
        "aws_availability_zones" => availability_zones(c, config).await,
        "aws_vpc" => vpc_lookup(c, config).await,
        "aws_subnets" => subnets_lookup(c, config).await,
        "aws_ami" => ami_lookup(c, config).await,
        other => Err(vec![AttrDiagnostic::error(
            Vec::new(),
            "Unknown data source",
            other.to_string(),
        )]),
    }
}

/// `data "aws_availability_zones"`: the zones of the region, filtered.
async fn availability_zones(c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
    let mut call = c
        .ec2
        .describe_availability_zones()
        .set_all_availability_zones(config.get_attr("all_availability_zones").as_bool());
    if let Some(state) = s(config, "state") {
        call = call.filters(Filter::builder().name("state").values(state).build());
    }
    for f in lookup_filters(config) {
        call = call.filters(f);
    }
    let out = call
        .send()
        .await
        .map_err(|e| vec![sdk_err("DescribeAvailabilityZones", e)])?;
    let (no_names, no_ids) = (
        crate::util::strings(config, "exclude_names"),
        crate::util::strings(config, "exclude_zone_ids"),
    );
    let found: Vec<&aws_sdk_ec2::types::AvailabilityZone> = out
        .availability_zones()
        .iter()
        .filter(|z| {
            !z.zone_name()
                .is_some_and(|n| no_names.iter().any(|x| x == n))
                && !z.zone_id().is_some_and(|n| no_ids.iter().any(|x| x == n))
        })
        .collect();
    let mut zones: Vec<(String, String)> = found
        .iter()
        .map(|z| {
            (
                z.zone_name().unwrap_or_default().to_string(),
                z.zone_id().unwrap_or_default().to_string(),
            )
        })
        .collect();
    zones.sort();
    let groups: Vec<Value> = found
        .iter()
        .filter_map(|z| z.group_name().map(Value::string))
        .collect();
    Ok(Value::map([
        ("state", config.get_attr("state").clone()),
        (
            "all_availability_zones",
            config.get_attr("all_availability_zones").clone(),
        ),
        ("exclude_names", config.get_attr("exclude_names").clone()),
        (
            "exclude_zone_ids",
            config.get_attr("exclude_zone_ids").clone(),
        ),
        ("filter", config.get_attr("filter").clone()),
        ("group_names", Value::set(groups)),
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

/// `data "aws_vpc"`: one VPC by id, default flag, CIDR, tags or filters.
async fn vpc_lookup(c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
    let mut filters = lookup_filters(config);
    if let Some(true) = config.get_attr("default").as_bool() {
        filters.push(Filter::builder().name("isDefault").values("true").build());
    }
    if let Some(cidr) = s(config, "cidr_block") {
        filters.push(Filter::builder().name("cidr").values(cidr).build());
    }
    for (key, filter) in [("state", "state"), ("dhcp_options_id", "dhcp-options-id")] {
        if let Some(x) = s(config, key) {
            filters.push(Filter::builder().name(filter).values(x).build());
        }
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
        m.insert("filter".into(), config.get_attr("filter").clone());
    }
    vpc_details(c, v, &mut out_v).await.map_err(|d| vec![d])?;
    Ok(out_v)
}

/// `data "aws_subnets"`: the ids of the subnets that match, sorted.
async fn subnets_lookup(c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
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

/// `data "aws_ami"`: the (most recent) image that matches.
async fn ami_lookup(c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
    let owners: Option<Vec<String>> = config.get_attr("owners").as_list().map(|l| {
        l.iter()
            .filter_map(|o| o.as_str().map(String::from))
            .collect()
    });
    let filters = lookup_filters(config);
    let users: Option<Vec<String>> = config.get_attr("executable_users").as_list().map(|l| {
        l.iter()
            .filter_map(|o| o.as_str().map(String::from))
            .collect()
    });
    let out = c
        .ec2
        .describe_images()
        .set_owners(owners)
        .set_executable_users(users)
        .set_include_deprecated(config.get_attr("include_deprecated").as_bool())
        .set_filters(if filters.is_empty() {
            None
        } else {
            Some(filters)
        })
        .send()
        .await
        .map_err(|e| vec![sdk_err("DescribeImages", e)])?;
    let re = match s(config, "name_regex") {
        Some(r) => Some(
            regex::Regex::new(&r)
                .map_err(|e| vec![attr_err("name_regex", "Invalid name_regex", e.to_string())])?,
        ),
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
    ami_details(c, img, &mut v);
    Ok(v)
}

/// What DescribeImages tells of an image, beyond its id and name (data `aws_ami`).
fn ami_details(c: &Clients, img: &aws_sdk_ec2::types::Image, v: &mut Value) {
    let text = |x: Option<&str>| opt_str(x.filter(|s| !s.is_empty()));
    let id = img.image_id().unwrap_or_default();
    set(
        v,
        "arn",
        Value::String(format!("arn:aws:ec2:{}::image/{id}", region(c))),
    );
    for (k, x) in [
        ("boot_mode", img.boot_mode().map(|x| x.as_str())),
        ("deprecation_time", img.deprecation_time()),
        ("description", img.description()),
        ("hypervisor", img.hypervisor().map(|x| x.as_str())),
        ("image_location", img.image_location()),
        ("image_owner_alias", img.image_owner_alias()),
        ("image_type", img.image_type().map(|x| x.as_str())),
        ("imds_support", img.imds_support().map(|x| x.as_str())),
        ("kernel_id", img.kernel_id()),
        ("last_launched_time", img.last_launched_time()),
        ("platform", img.platform().map(|x| x.as_str())),
        ("platform_details", img.platform_details()),
        ("ramdisk_id", img.ramdisk_id()),
        ("root_device_name", img.root_device_name()),
        (
            "root_device_type",
            img.root_device_type().map(|x| x.as_str()),
        ),
        ("sriov_net_support", img.sriov_net_support()),
        ("state", img.state().map(|x| x.as_str())),
        ("tpm_support", img.tpm_support().map(|x| x.as_str())),
        ("usage_operation", img.usage_operation()),
        (
            "virtualization_type",
            img.virtualization_type().map(|x| x.as_str()),
        ),
    ] {
        set(v, k, text(x));
    }
    set(
        v,
        "public",
        img.public().map(Value::Bool).unwrap_or(Value::Null),
    );
    set(
        v,
        "ena_support",
        img.ena_support().map(Value::Bool).unwrap_or(Value::Null),
    );
    set(v, "tags", tags_value(img.tags()));
    let root = img.root_device_name();
    let mut root_snapshot = Value::Null;
    let devices: Vec<Value> = img
        .block_device_mappings()
        .iter()
        .map(|m| {
            let mut ebs_map = std::collections::BTreeMap::new();
            if let Some(ebs) = m.ebs() {
                if m.device_name().is_some() && m.device_name() == root {
                    root_snapshot = text(ebs.snapshot_id());
                }
                let n = |x: Option<i32>| x.map_or(Value::Null, |n| Value::String(n.to_string()));
                let b = |x: Option<bool>| x.map_or(Value::Null, |b| Value::String(b.to_string()));
                for (k, x) in [
                    ("delete_on_termination", b(ebs.delete_on_termination())),
                    ("encrypted", b(ebs.encrypted())),
                    ("iops", n(ebs.iops())),
                    ("snapshot_id", text(ebs.snapshot_id())),
                    ("throughput", n(ebs.throughput())),
                    ("volume_size", n(ebs.volume_size())),
                    ("volume_type", text(ebs.volume_type().map(|t| t.as_str()))),
                ] {
                    if !x.is_null() {
                        ebs_map.insert(k.to_string(), x);
                    }
                }
            }
            Value::map([
                ("device_name", text(m.device_name())),
                ("virtual_name", text(m.virtual_name())),
                ("no_device", text(m.no_device())),
                ("ebs", Value::Map(ebs_map.into())),
            ])
        })
        .collect();
    set(v, "block_device_mappings", Value::List(devices));
    set(v, "root_snapshot_id", root_snapshot);
    set(
        v,
        "product_codes",
        Value::List(
            img.product_codes()
                .iter()
                .map(|p| {
                    Value::map([
                        ("product_code_id", text(p.product_code_id())),
                        (
                            "product_code_type",
                            text(p.product_code_type().map(|t| t.as_str())),
                        ),
                    ])
                })
                .collect(),
        ),
    );
    set(
        v,
        "state_reason",
        match img.state_reason() {
            Some(r) => Value::map([("code", text(r.code())), ("message", text(r.message()))]),
            None => Value::Null,
        },
    );
}

/// What data `aws_vpc` tells beyond the VPC itself: its DNS and metrics
/// attributes (a DescribeVpcAttribute call each), its main route table, and
/// its address blocks.
async fn vpc_details(
    c: &Clients,
    v: &aws_sdk_ec2::types::Vpc,
    out: &mut Value,
) -> Result<(), AttrDiagnostic> {
    use aws_sdk_ec2::types::VpcAttributeName as A;
    let id = v.vpc_id().unwrap_or_default();
    for (name, attr) in [
        ("enable_dns_support", A::EnableDnsSupport),
        ("enable_dns_hostnames", A::EnableDnsHostnames),
        (
            "enable_network_address_usage_metrics",
            A::EnableNetworkAddressUsageMetrics,
        ),
    ] {
        let o = c
            .ec2
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(attr)
            .send()
            .await;
        let value = match o {
            Ok(o) => o
                .enable_dns_support()
                .or(o.enable_dns_hostnames())
                .or(o.enable_network_address_usage_metrics())
                .and_then(|a| a.value())
                .map(Value::Bool)
                .unwrap_or(Value::Null),
            // Not every endpoint knows every attribute (an emulator): unknown is null.
            Err(_) => Value::Null,
        };
        set(out, name, value);
    }
    let tables = c
        .ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(id).build())
        .filters(
            Filter::builder()
                .name("association.main")
                .values("true")
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeRouteTables", e))?;
    set(
        out,
        "main_route_table_id",
        opt_str(
            tables
                .route_tables()
                .first()
                .and_then(|t| t.route_table_id()),
        ),
    );
    set(out, "state", opt_str(v.state().map(|s| s.as_str())));
    set(out, "dhcp_options_id", opt_str(v.dhcp_options_id()));
    let v6 = v.ipv6_cidr_block_association_set().first();
    set(
        out,
        "ipv6_cidr_block",
        opt_str(v6.and_then(|a| a.ipv6_cidr_block())),
    );
    set(
        out,
        "ipv6_association_id",
        opt_str(v6.and_then(|a| a.association_id())),
    );
    set(
        out,
        "cidr_block_associations",
        Value::List(
            v.cidr_block_association_set()
                .iter()
                .map(|a| {
                    Value::map([
                        ("association_id", opt_str(a.association_id())),
                        ("cidr_block", opt_str(a.cidr_block())),
                        (
                            "state",
                            opt_str(
                                a.cidr_block_state()
                                    .and_then(|s| s.state())
                                    .map(|s| s.as_str()),
                            ),
                        ),
                    ])
                })
                .collect(),
        ),
    );
    Ok(())
}
