//! `aws_launch_template`: how to launch an instance (image, type, network,
//! disks, profile, metadata options, tags). A change to what it launches is a new
//! version, not a new template; with `update_default_version` it also becomes the
//! default.

use aws_sdk_ec2::types::{
    LaunchTemplate, LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceMetadataTagsState, LaunchTemplateTagSpecificationRequest,
    LaunchTemplatesMonitoringRequest, RequestLaunchTemplateData, ResourceType as Kind,
    ResponseLaunchTemplateData, Tag, VolumeType,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use crate::ec2::launch_template_more as more;
use crate::ec2::{tag_spec, update_tags};
use crate::kit::aws_plan;
use crate::schema::{nested, tags};
use crate::util::{
    attr_err, err_code, int, opt_str, s, same, sdk_err, strings, tags_of, tags_value,
};
use crate::Clients;

pub(crate) struct LaunchTemplateType;

/// What a version holds: a change to any of these is a new version.
const DATA: [&str; 14] = [
    "image_id",
    "instance_type",
    "key_name",
    "user_data",
    "vpc_security_group_ids",
    "ebs_optimized",
    "disable_api_termination",
    "instance_initiated_shutdown_behavior",
    "iam_instance_profile",
    "block_device_mappings",
    "network_interfaces",
    "tag_specifications",
    "metadata_options",
    "monitoring",
];

use crate::util::first;

fn b(v: &Value, name: &str) -> Option<bool> {
    v.get_attr(name).as_bool()
}

fn kv_tags(v: &Value) -> Vec<Tag> {
    tags_of(v)
        .into_iter()
        .map(|(k, x)| Tag::builder().key(k).value(x).build())
        .collect()
}

fn request_data(p: &Value) -> RequestLaunchTemplateData {
    let mut d = RequestLaunchTemplateData::builder()
        .set_image_id(s(p, "image_id"))
        .set_instance_type(s(p, "instance_type").map(|t| t.as_str().into()))
        .set_key_name(s(p, "key_name"))
        .set_user_data(s(p, "user_data"))
        .set_ebs_optimized(b(p, "ebs_optimized"))
        .set_disable_api_termination(b(p, "disable_api_termination"))
        .set_instance_initiated_shutdown_behavior(
            s(p, "instance_initiated_shutdown_behavior").map(|x| x.as_str().into()),
        );
    let sgs = strings(p, "vpc_security_group_ids");
    if !sgs.is_empty() {
        d = d.set_security_group_ids(Some(sgs));
    }
    let profile = first(p, "iam_instance_profile");
    if !profile.is_null() {
        d = d.iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .set_arn(s(&profile, "arn"))
                .set_name(s(&profile, "name"))
                .build(),
        );
    }
    for m in p
        .get_attr("block_device_mappings")
        .as_list()
        .unwrap_or_default()
    {
        let ebs = first(m, "ebs");
        let mut bd = LaunchTemplateBlockDeviceMappingRequest::builder()
            .set_device_name(s(m, "device_name"))
            .set_no_device(s(m, "no_device"))
            .set_virtual_name(s(m, "virtual_name"));
        if !ebs.is_null() {
            bd = bd.ebs(
                LaunchTemplateEbsBlockDeviceRequest::builder()
                    .set_volume_size(int(&ebs, "volume_size"))
                    .set_volume_type(s(&ebs, "volume_type").map(|t| VolumeType::from(t.as_str())))
                    .set_iops(int(&ebs, "iops"))
                    .set_throughput(int(&ebs, "throughput"))
                    .set_volume_initialization_rate(int(&ebs, "volume_initialization_rate"))
                    .set_kms_key_id(s(&ebs, "kms_key_id"))
                    .set_snapshot_id(s(&ebs, "snapshot_id"))
                    .set_encrypted(
                        ebs.get_attr("encrypted")
                            .as_str()
                            .map(|x| x == "true")
                            .or(b(&ebs, "encrypted")),
                    )
                    .set_delete_on_termination(
                        ebs.get_attr("delete_on_termination")
                            .as_str()
                            .map(|x| x == "true")
                            .or(b(&ebs, "delete_on_termination")),
                    )
                    .build(),
            );
        }
        d = d.block_device_mappings(bd.build());
    }
    for n in p
        .get_attr("network_interfaces")
        .as_list()
        .unwrap_or_default()
    {
        d = d.network_interfaces(super::launch_template_nics::request(n));
    }
    for t in p
        .get_attr("tag_specifications")
        .as_list()
        .unwrap_or_default()
    {
        d = d.tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .set_resource_type(s(t, "resource_type").map(|x| Kind::from(x.as_str())))
                .set_tags(Some(kv_tags(t)))
                .build(),
        );
    }
    let md = first(p, "metadata_options");
    if !md.is_null() {
        d = d.metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .set_http_endpoint(
                    s(&md, "http_endpoint")
                        .map(|x| LaunchTemplateInstanceMetadataEndpointState::from(x.as_str())),
                )
                .set_http_tokens(
                    s(&md, "http_tokens").map(|x| LaunchTemplateHttpTokensState::from(x.as_str())),
                )
                .set_http_put_response_hop_limit(int(&md, "http_put_response_hop_limit"))
                .set_instance_metadata_tags(
                    s(&md, "instance_metadata_tags")
                        .map(|x| LaunchTemplateInstanceMetadataTagsState::from(x.as_str())),
                )
                .set_http_protocol_ipv6(s(&md, "http_protocol_ipv6").map(|x| {
                    aws_sdk_ec2::types::LaunchTemplateInstanceMetadataProtocolIpv6::from(x.as_str())
                }))
                .build(),
        );
    }
    let mon = first(p, "monitoring");
    if !mon.is_null() {
        d = d.monitoring(
            LaunchTemplatesMonitoringRequest::builder()
                .set_enabled(b(&mon, "enabled"))
                .build(),
        );
    }
    more::request(d, p).build()
}

/// The version's data as the configuration writes it; what AWS leaves unset
/// stays as the prior value says.
fn data_value(d: &ResponseLaunchTemplateData) -> Vec<(&'static str, Value)> {
    let bool_str = |x: Option<bool>| match x {
        Some(v) => Value::string(if v { "true" } else { "false" }),
        None => Value::Null,
    };
    // Blocks the configuration does not write are empty lists, as it has them.
    let list = Value::List;
    let sgs: Vec<Value> = d.security_group_ids().iter().map(Value::string).collect();
    vec![
        ("image_id", opt_str(d.image_id())),
        (
            "instance_type",
            opt_str(d.instance_type().map(|t| t.as_str())),
        ),
        ("key_name", opt_str(d.key_name())),
        ("user_data", opt_str(d.user_data())),
        (
            "vpc_security_group_ids",
            if sgs.is_empty() {
                Value::Null
            } else {
                Value::set(sgs)
            },
        ),
        (
            "ebs_optimized",
            d.ebs_optimized().map(Value::Bool).unwrap_or(Value::Null),
        ),
        (
            "disable_api_termination",
            d.disable_api_termination()
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ),
        (
            "instance_initiated_shutdown_behavior",
            opt_str(d.instance_initiated_shutdown_behavior().map(|x| x.as_str())),
        ),
        (
            "iam_instance_profile",
            match d.iam_instance_profile() {
                Some(p) => Value::List(vec![Value::map([
                    ("arn", opt_str(p.arn())),
                    ("name", opt_str(p.name())),
                ])]),
                None => Value::List(Vec::new()),
            },
        ),
        (
            "block_device_mappings",
            list(
                d.block_device_mappings()
                    .iter()
                    .map(|m| {
                        Value::map([
                            ("device_name", opt_str(m.device_name())),
                            ("no_device", opt_str(m.no_device())),
                            ("virtual_name", opt_str(m.virtual_name())),
                            (
                                "ebs",
                                match m.ebs() {
                                    Some(e) => Value::List(vec![Value::map([
                                        (
                                            "volume_size",
                                            e.volume_size()
                                                .map(|n| Value::num(f64::from(n)))
                                                .unwrap_or(Value::Null),
                                        ),
                                        (
                                            "volume_type",
                                            opt_str(e.volume_type().map(|t| t.as_str())),
                                        ),
                                        (
                                            "iops",
                                            e.iops()
                                                .map(|n| Value::num(f64::from(n)))
                                                .unwrap_or(Value::Null),
                                        ),
                                        (
                                            "throughput",
                                            e.throughput()
                                                .map(|n| Value::num(f64::from(n)))
                                                .unwrap_or(Value::Null),
                                        ),
                                        (
                                            "volume_initialization_rate",
                                            e.volume_initialization_rate()
                                                .map(|n| Value::num(f64::from(n)))
                                                .unwrap_or(Value::Null),
                                        ),
                                        ("kms_key_id", opt_str(e.kms_key_id())),
                                        ("snapshot_id", opt_str(e.snapshot_id())),
                                        ("encrypted", bool_str(e.encrypted())),
                                        (
                                            "delete_on_termination",
                                            bool_str(e.delete_on_termination()),
                                        ),
                                    ])]),
                                    None => Value::List(Vec::new()),
                                },
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "network_interfaces",
            list(
                d.network_interfaces()
                    .iter()
                    .map(super::launch_template_nics::value)
                    .collect(),
            ),
        ),
        (
            "tag_specifications",
            list(
                d.tag_specifications()
                    .iter()
                    // The template's own tags are not part of what it launches.
                    .filter(|t| {
                        t.resource_type()
                            .is_none_or(|r| r.as_str() != "launch-template")
                    })
                    .map(|t| {
                        Value::map([
                            (
                                "resource_type",
                                opt_str(t.resource_type().map(|r| r.as_str())),
                            ),
                            ("tags", tags_value(t.tags())),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "metadata_options",
            match d.metadata_options() {
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
                        opt_str(m.http_protocol_ipv6().map(|x| x.as_str())),
                    ),
                ])]),
                None => Value::List(Vec::new()),
            },
        ),
        (
            "monitoring",
            match d.monitoring() {
                Some(m) => Value::List(vec![Value::map([(
                    "enabled",
                    m.enabled().map(Value::Bool).unwrap_or(Value::Null),
                )])]),
                None => Value::List(Vec::new()),
            },
        ),
    ]
}

/// Templates by id in one call; when AWS refuses the batch because one of them
/// is gone, each is asked for alone (gone ones are simply absent).
async fn describe(c: &Clients, ids: &[String]) -> Result<Vec<LaunchTemplate>, AttrDiagnostic> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let gone = |e: &Option<String>| {
        e.as_deref()
            .is_some_and(|c| c.contains("NotFound") || c.contains("Malformed"))
    };
    let r = c
        .ec2
        .describe_launch_templates()
        .set_launch_template_ids(Some(ids.to_vec()))
        .send()
        .await;
    match r {
        Ok(o) => Ok(o.launch_templates().to_vec()),
        Err(e) if gone(&err_code(&e)) && ids.len() > 1 => {
            let mut out = Vec::new();
            for id in ids {
                match c
                    .ec2
                    .describe_launch_templates()
                    .launch_template_ids(id)
                    .send()
                    .await
                {
                    Ok(o) => out.extend(o.launch_templates().iter().cloned()),
                    Err(e) if gone(&err_code(&e)) => {}
                    Err(e) => return Err(sdk_err("DescribeLaunchTemplates", e)),
                }
            }
            Ok(out)
        }
        Err(e) if gone(&err_code(&e)) => Ok(Vec::new()),
        Err(e) => Err(sdk_err("DescribeLaunchTemplates", e)),
    }
}

/// The template and its latest version's data, as state keeps them.
async fn template_value(
    c: &Clients,
    t: &LaunchTemplate,
    keep: &Value,
) -> Result<Value, AttrDiagnostic> {
    let id = t.launch_template_id().unwrap_or_default();
    let latest = t.latest_version_number().unwrap_or(1);
    let versions = c
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(id)
        .versions(latest.to_string())
        .send()
        .await
        .map_err(|e| sdk_err("DescribeLaunchTemplateVersions", e))?;
    let data = versions
        .launch_template_versions()
        .first()
        .and_then(|v| v.launch_template_data())
        .cloned()
        .unwrap_or_else(|| ResponseLaunchTemplateData::builder().build());
    let region = crate::ec2::region(c);
    let mut entries: Vec<(&str, Value)> = vec![
        ("id", Value::string(id)),
        ("name", opt_str(t.launch_template_name())),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("description", keep.get_attr("description").clone()),
        (
            "arn",
            // The account is the creator's (CreatedBy is arn:aws:iam::ACCOUNT:...).
            match t.created_by().and_then(|a| a.split(':').nth(4)) {
                Some(account) => Value::string(format!(
                    "arn:aws:ec2:{region}:{account}:launch-template/{id}"
                )),
                None => Value::Null,
            },
        ),
        ("latest_version", Value::num(latest as f64)),
        (
            "default_version",
            Value::num(t.default_version_number().unwrap_or(1) as f64),
        ),
        (
            "update_default_version",
            keep.get_attr("update_default_version").clone(),
        ),
        ("tags", tags_value(t.tags())),
    ];
    entries.extend(data_value(&data));
    entries.extend(more::response(&data));
    Ok(Value::map(entries))
}

async fn read_one(c: &Clients, id: &str, keep: &Value) -> ApplyResult {
    let found = describe(c, &[id.to_string()]).await.map_err(|d| vec![d])?;
    match found.first() {
        Some(t) => template_value(c, t, keep)
            .await
            .map(Some)
            .map_err(|d| vec![d]),
        None => Ok(None),
    }
}

fn name_for(p: &Value, token: &str) -> String {
    s(p, "name").unwrap_or_else(|| {
        let suffix: String = token
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(26)
            .collect();
        format!(
            "{}{suffix}",
            s(p, "name_prefix").unwrap_or_else(|| "terraform-".into())
        )
    })
}

#[async_trait::async_trait]
impl ResourceType<Clients> for LaunchTemplateType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, Set, String as Str};
        let strs = || Set(Box::new(Str));
        let ebs = Schema::new("An EBS volume.")
            .attr("volume_size", Attribute::optional(Number, "Size in GiB."))
            .attr(
                "volume_type",
                Attribute::optional(Str, "gp3, gp2, io1, io2, st1, sc1 or standard."),
            )
            .attr("iops", Attribute::optional(Number, "Provisioned IOPS."))
            .attr(
                "throughput",
                Attribute::optional(Number, "Throughput (gp3), MiB/s."),
            )
            .attr(
                "volume_initialization_rate",
                Attribute::optional(
                    Number,
                    "MiB/s at which a volume from a snapshot is filled (100-300).",
                ),
            )
            .attr("kms_key_id", Attribute::optional(Str, "KMS key."))
            .attr(
                "snapshot_id",
                Attribute::optional(Str, "Snapshot to start from."),
            )
            .attr(
                "encrypted",
                Attribute::optional(Str, "\"true\" or \"false\"."),
            )
            .attr(
                "delete_on_termination",
                Attribute::optional(Str, "\"true\" or \"false\"."),
            );
        let bdm = Schema::new("A block device.")
            .attr(
                "device_name",
                Attribute::optional(Str, "Device name, such as /dev/xvda."),
            )
            .attr(
                "no_device",
                Attribute::optional(Str, "Suppress the device."),
            )
            .attr(
                "virtual_name",
                Attribute::optional(Str, "Instance store name."),
            )
            .block("ebs", nested(Nesting::List, 0, Some(1), ebs));
        let eni = super::launch_template_nics::schema();
        let tag_spec = Schema::new("Tags for what a launch creates.")
            .attr(
                "resource_type",
                Attribute::optional(Str, "instance, volume, network-interface, ..."),
            )
            .attr("tags", tags());
        let metadata = Schema::new("Instance metadata service options.")
            .attr(
                "http_endpoint",
                Attribute::optional_computed(Str, "enabled or disabled."),
            )
            .attr(
                "http_tokens",
                Attribute::optional_computed(Str, "required (IMDSv2) or optional."),
            )
            .attr(
                "http_put_response_hop_limit",
                Attribute::optional_computed(Number, "1 to 64."),
            )
            .attr(
                "instance_metadata_tags",
                Attribute::optional_computed(Str, "enabled or disabled."),
            )
            .attr(
                "http_protocol_ipv6",
                Attribute::optional_computed(
                    Str,
                    "The metadata service's IPv6 endpoint: enabled or disabled.",
                ),
            );
        let profile = Schema::new("Instance profile, by ARN or name.")
            .attr("arn", Attribute::optional(Str, "ARN."))
            .attr("name", Attribute::optional(Str, "Name."));
        let monitoring = Schema::new("Detailed monitoring.")
            .attr("enabled", Attribute::optional(Bool, "On or off."));
        let base = Schema::new(
            "An EC2 launch template. Refresh is one DescribeLaunchTemplates call for all of them and one DescribeLaunchTemplateVersions per template.",
        )
        .attr(
            "name",
            Attribute::optional_computed(Str, "Name (default: generated from name_prefix).").force_new(),
        )
        .attr("name_prefix", Attribute::optional(Str, "Prefix of a generated name.").force_new())
        .attr("description", Attribute::optional(Str, "Description of the first version."))
        .attr("image_id", Attribute::optional(Str, "AMI."))
        .attr("instance_type", Attribute::optional(Str, "Instance type."))
        .attr("key_name", Attribute::optional(Str, "Key pair."))
        .attr("user_data", Attribute::optional(Str, "User data, base64-encoded (base64encode(...))."))
        .attr("vpc_security_group_ids", Attribute::optional(strs(), "Security groups."))
        .attr("ebs_optimized", Attribute::optional(Bool, "EBS-optimized."))
        .attr("disable_api_termination", Attribute::optional(Bool, "Termination protection."))
        .attr(
            "instance_initiated_shutdown_behavior",
            Attribute::optional(Str, "stop or terminate."),
        )
        .attr(
            "update_default_version",
            Attribute::optional(Bool, "Make each new version the default."),
        )
        .block("iam_instance_profile", nested(Nesting::List, 0, Some(1), profile))
        .block("block_device_mappings", nested(Nesting::List, 0, None, bdm))
        .block("network_interfaces", nested(Nesting::List, 0, None, eni))
        .block("tag_specifications", nested(Nesting::List, 0, None, tag_spec))
        .block("metadata_options", nested(Nesting::List, 0, Some(1), metadata))
        .block("monitoring", nested(Nesting::List, 0, Some(1), monitoring))
        .attr("tags", tags())
        .attr("id", Attribute::computed(Str, "Template id."))
        .attr("arn", Attribute::computed(Str, "ARN."))
        .attr("latest_version", Attribute::computed(Number, "Newest version."))
        .attr(
            "default_version",
            Attribute::optional_computed(
                Number,
                "The version launches use unless they name one (not with update_default_version).",
            ),
        );
        more::schema(base)
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        if crate::util::both_set(config, "name", "name_prefix") {
            return vec![attr_err(
                "name_prefix",
                "Conflicting arguments",
                "set `name` or `name_prefix`, not both",
            )];
        }
        if !config.get_attr("default_version").is_null()
            && config.get_attr("update_default_version").as_bool() == Some(true)
        {
            return vec![attr_err(
                "default_version",
                "Conflicting arguments",
                "set `default_version` (a version of your choosing) or `update_default_version = true` (each new version), not both",
            )];
        }
        if !config.get_attr("instance_type").is_null()
            && crate::util::written(config, "instance_requirements")
        {
            return vec![attr_err(
                "instance_requirements",
                "Conflicting arguments",
                "set `instance_type` or `instance_requirements` (the instance types with these attributes), not both",
            )];
        }
        Vec::new()
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        if let Some(prior) = req.prior {
            let changed = DATA
                .iter()
                .chain(&more::DATA)
                .any(|k| !same(prior.get_attr(k), r.planned.get_attr(k)));
            if changed {
                crate::util::set(&mut r.planned, "latest_version", Value::Unknown);
                if req.config.get_attr("update_default_version").as_bool() == Some(true) {
                    crate::util::set(&mut r.planned, "default_version", Value::Unknown);
                }
            }
        }
        // A default version written in the configuration is the one planned.
        let written = req.config.get_attr("default_version");
        if !written.is_null() {
            crate::util::set(&mut r.planned, "default_version", written.clone());
        }
        if r.planned.get_attr("default_version").is_null() {
            crate::util::set(&mut r.planned, "default_version", Value::Unknown);
        }
        if let Some(prior) = req.prior {
            if r.planned.get_attr("default_version").is_unknown() && written.is_null() {
                let keep = prior.get_attr("default_version").clone();
                let data_changed = r.planned.get_attr("latest_version").is_unknown();
                let follows = req.config.get_attr("update_default_version").as_bool() == Some(true);
                if !(data_changed && follows) {
                    crate::util::set(&mut r.planned, "default_version", keep);
                }
            }
        }
        r
    }

    /// Idempotent through the client token.
    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token: String = req.idempotency_token.chars().take(64).collect();
        let out = c
            .ec2
            .create_launch_template()
            .launch_template_name(name_for(planned, req.idempotency_token))
            .set_version_description(s(planned, "description"))
            .launch_template_data(request_data(planned))
            .client_token(token)
            .tag_specifications(tag_spec(
                Kind::LaunchTemplate,
                &tags_of(planned),
                req.idempotency_token,
            ))
            .send()
            .await
            .map_err(|e| vec![sdk_err("CreateLaunchTemplate", e)])?;
        let id = out
            .launch_template()
            .and_then(|t| t.launch_template_id())
            .unwrap_or_default()
            .to_string();
        set_default_version(c, &id, planned).await?;
        read_one(c, &id, planned).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let id = s(prior, "id").unwrap_or_default();
        if DATA
            .iter()
            .chain(&more::DATA)
            .any(|k| !same(prior.get_attr(k), planned.get_attr(k)))
        {
            let v = c
                .ec2
                .create_launch_template_version()
                .launch_template_id(&id)
                .launch_template_data(request_data(planned))
                .send()
                .await
                .map_err(|e| vec![sdk_err("CreateLaunchTemplateVersion", e)])?;
            if planned.get_attr("update_default_version").as_bool() == Some(true) {
                let n = v
                    .launch_template_version()
                    .and_then(|v| v.version_number())
                    .unwrap_or(1);
                c.ec2
                    .modify_launch_template()
                    .launch_template_id(&id)
                    .default_version(n.to_string())
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("ModifyLaunchTemplate", e)])?;
            }
        }
        if planned.get_attr("default_version") != prior.get_attr("default_version") {
            set_default_version(c, &id, planned).await?;
        }
        update_tags(c, &id, prior, planned)
            .await
            .map_err(|d| vec![d])?;
        read_one(c, &id, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .ec2
            .delete_launch_template()
            .launch_template_id(s(prior, "id").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteLaunchTemplate", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids: Vec<String> = current
            .iter()
            .map(|v| s(v, "id").unwrap_or_default())
            .collect();
        let found = match describe(c, &ids).await {
            Ok(f) => f,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        let mut out = Vec::with_capacity(current.len());
        for (v, id) in current.iter().zip(&ids) {
            out.push(
                match found
                    .iter()
                    .find(|t| t.launch_template_id() == Some(id.as_str()))
                {
                    Some(t) => template_value(c, t, v).await.map(Some),
                    None => Ok(None),
                },
            );
        }
        out
    }
}

/// Makes the written `default_version` the template's default.
async fn set_default_version(
    c: &Clients,
    id: &str,
    planned: &Value,
) -> Result<(), Vec<AttrDiagnostic>> {
    let Some(v) = planned.get_attr("default_version").as_f64() else {
        return Ok(());
    };
    c.ec2
        .modify_launch_template()
        .launch_template_id(id)
        .default_version((v as i64).to_string())
        .send()
        .await
        .map_err(|e| vec![sdk_err("ModifyLaunchTemplate", e)])?;
    Ok(())
}
