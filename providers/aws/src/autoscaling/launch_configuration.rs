//! `aws_launch_configuration`: the older, immutable way to say what an Auto
//! Scaling group launches. Every change is a new configuration (use
//! `create_before_destroy`, as with Terraform, so the group can move to it).

use aws_sdk_autoscaling::types::{
    BlockDeviceMapping, Ebs, InstanceMetadataOptions, InstanceMonitoring, LaunchConfiguration,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, Schema,
};
use iac_value::Value;

use crate::schema::nested;
use crate::util::{attr_err, err_code, int, opt_str, s, sdk_err, strings};
use crate::Clients;

pub(crate) struct LaunchConfigurationType;

use crate::util::first;

fn lc_value(l: &LaunchConfiguration, keep: &Value) -> Value {
    let name = l.launch_configuration_name().unwrap_or_default();
    let mut groups: Vec<Value> = l.security_groups().iter().map(Value::string).collect();
    groups.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    Value::map([
        ("id", Value::string(name)),
        ("name", Value::string(name)),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("arn", opt_str(l.launch_configuration_arn())),
        ("image_id", opt_str(l.image_id())),
        ("instance_type", opt_str(l.instance_type())),
        ("key_name", opt_str(l.key_name()).or_null_if_empty()),
        ("iam_instance_profile", opt_str(l.iam_instance_profile())),
        (
            "security_groups",
            if groups.is_empty() {
                Value::Null
            } else {
                Value::set(groups)
            },
        ),
        (
            "associate_public_ip_address",
            l.associate_public_ip_address()
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ),
        ("user_data", keep.get_attr("user_data").clone()),
        (
            "user_data_base64",
            keep.get_attr("user_data_base64").clone(),
        ),
        (
            "enable_monitoring",
            Value::Bool(
                l.instance_monitoring()
                    .and_then(|m| m.enabled())
                    .unwrap_or(true),
            ),
        ),
        (
            "ebs_optimized",
            l.ebs_optimized().map(Value::Bool).unwrap_or(Value::Null),
        ),
        ("placement_tenancy", opt_str(l.placement_tenancy())),
        ("spot_price", opt_str(l.spot_price())),
        // The volumes are as written: a launch configuration never changes.
        (
            "root_block_device",
            keep.get_attr("root_block_device").clone(),
        ),
        (
            "ebs_block_device",
            keep.get_attr("ebs_block_device").clone(),
        ),
        (
            "ephemeral_block_device",
            keep.get_attr("ephemeral_block_device").clone(),
        ),
        (
            "metadata_options",
            keep.get_attr("metadata_options").clone(),
        ),
    ])
}

trait OrNull {
    fn or_null_if_empty(self) -> Value;
}

impl OrNull for Value {
    fn or_null_if_empty(self) -> Value {
        match self.as_str() {
            Some("") => Value::Null,
            _ => self,
        }
    }
}

async fn describe(
    c: &Clients,
    names: &[String],
) -> Result<Vec<LaunchConfiguration>, AttrDiagnostic> {
    let mut out = Vec::new();
    for chunk in names.chunks(50) {
        let r = c
            .autoscaling
            .describe_launch_configurations()
            .set_launch_configuration_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_err("DescribeLaunchConfigurations", e))?;
        out.extend(r.launch_configurations().iter().cloned());
    }
    Ok(out)
}

fn user_data(p: &Value) -> Option<String> {
    use base64::Engine as _;
    s(p, "user_data_base64").or_else(|| {
        s(p, "user_data").map(|u| base64::engine::general_purpose::STANDARD.encode(u.as_bytes()))
    })
}

/// What every EBS volume of a launch configuration takes (root or not).
fn volume(s: Schema) -> Schema {
    use AttrType::{Bool, Number, String as Str};
    s.attr("volume_size", Attribute::optional(Number, "Size in GiB."))
        .attr(
            "volume_type",
            Attribute::optional(Str, "gp3, gp2, io1, ..."),
        )
        .attr("iops", Attribute::optional(Number, "Provisioned IOPS."))
        .attr(
            "throughput",
            Attribute::optional(Number, "Throughput of a gp3 volume, MiB/s."),
        )
        .attr("encrypted", Attribute::optional(Bool, "Encrypted."))
        .attr(
            "delete_on_termination",
            Attribute::optional(Bool, "Delete with the instance (default true)."),
        )
}

/// A volume block as the EBS part of a mapping (the root has no snapshot).
fn ebs_of(v: &Value) -> Ebs {
    Ebs::builder()
        .set_snapshot_id(s(v, "snapshot_id"))
        .set_volume_size(int(v, "volume_size"))
        .set_volume_type(s(v, "volume_type"))
        .set_iops(int(v, "iops"))
        .set_throughput(int(v, "throughput"))
        .set_encrypted(v.get_attr("encrypted").as_bool())
        .set_delete_on_termination(v.get_attr("delete_on_termination").as_bool())
        .build()
}

#[async_trait::async_trait]
impl ResourceType<Clients> for LaunchConfigurationType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, Set, String as Str};
        let root = volume(Schema::new("The root volume."));
        let ebs = volume(
            Schema::new("Another EBS volume each instance gets.")
                .attr(
                    "device_name",
                    Attribute::required(Str, "Device name (/dev/sdf)."),
                )
                .attr(
                    "snapshot_id",
                    Attribute::optional(Str, "Snapshot to make it from."),
                )
                .attr(
                    "no_device",
                    Attribute::optional(Bool, "Leave out a device the AMI maps."),
                ),
        );
        let ephemeral = Schema::new("An instance store volume each instance gets.")
            .attr(
                "device_name",
                Attribute::required(Str, "Device name (/dev/sdb)."),
            )
            .attr(
                "virtual_name",
                Attribute::optional(Str, "ephemeral0 to ephemeral23."),
            )
            .attr(
                "no_device",
                Attribute::optional(Bool, "Leave out a device the AMI maps."),
            );
        let metadata = Schema::new("Instance metadata service options.")
            .attr(
                "http_endpoint",
                Attribute::optional(Str, "enabled or disabled."),
            )
            .attr(
                "http_tokens",
                Attribute::optional(Str, "required or optional."),
            )
            .attr(
                "http_put_response_hop_limit",
                Attribute::optional(Number, "1 to 64."),
            );
        Schema::new(
            "An Auto Scaling launch configuration (immutable: every change replaces it). Refresh reads 50 per call.",
        )
        .attr("name", Attribute::optional_computed(Str, "Name (default: generated from name_prefix)."))
        .attr("name_prefix", Attribute::optional(Str, "Prefix of a generated name."))
        .attr("image_id", Attribute::required(Str, "AMI."))
        .attr("instance_type", Attribute::required(Str, "Instance type."))
        .attr("key_name", Attribute::optional(Str, "Key pair."))
        .attr("iam_instance_profile", Attribute::optional(Str, "Instance profile name or ARN."))
        .attr("security_groups", Attribute::optional(Set(Box::new(Str)), "Security groups."))
        .attr("associate_public_ip_address", Attribute::optional_computed(Bool, "Public addresses (default: the subnet's)."))
        .attr("user_data", Attribute::optional(Str, "Boot script (plain text)."))
        .attr("user_data_base64", Attribute::optional(Str, "Boot script, base64-encoded."))
        .attr("enable_monitoring", Attribute::optional_computed(Bool, "Detailed monitoring (default true)."))
        .attr("ebs_optimized", Attribute::optional_computed(Bool, "EBS-optimized."))
        .attr("placement_tenancy", Attribute::optional_computed(Str, "default or dedicated."))
        .attr("spot_price", Attribute::optional(Str, "Highest Spot price."))
        .block("root_block_device", nested(Nesting::List, 0, Some(1), root))
        .block("ebs_block_device", nested(Nesting::Set, 0, None, ebs))
        .block("ephemeral_block_device", nested(Nesting::Set, 0, None, ephemeral))
        .block("metadata_options", nested(Nesting::List, 0, Some(1), metadata))
        .attr("id", Attribute::computed(Str, "The name."))
        .attr("arn", Attribute::computed(Str, "ARN."))
        .force_all_new()
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
        if crate::util::both_set(config, "user_data", "user_data_base64") {
            out.push(attr_err(
                "user_data_base64",
                "Conflicting arguments",
                "set `user_data` or `user_data_base64`, not both",
            ));
        }
        out
    }

    fn plan(
        &self,
        schema: &Schema,
        req: &iac_provider::PlanRequest<'_>,
    ) -> iac_provider::PlanResponse {
        crate::kit::aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let name = s(p, "name").unwrap_or_else(|| {
            let suffix: String = req
                .idempotency_token
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(26)
                .collect();
            format!(
                "{}{suffix}",
                s(p, "name_prefix").unwrap_or_else(|| "terraform-".into())
            )
        });
        let root = first(p, "root_block_device");
        let mut call = c
            .autoscaling
            .create_launch_configuration()
            .launch_configuration_name(&name)
            .set_image_id(s(p, "image_id"))
            .set_instance_type(s(p, "instance_type"))
            .set_key_name(s(p, "key_name"))
            .set_iam_instance_profile(s(p, "iam_instance_profile"))
            .set_associate_public_ip_address(p.get_attr("associate_public_ip_address").as_bool())
            .set_user_data(user_data(p))
            .set_ebs_optimized(p.get_attr("ebs_optimized").as_bool())
            .set_placement_tenancy(s(p, "placement_tenancy"))
            .set_spot_price(s(p, "spot_price"))
            .instance_monitoring(
                InstanceMonitoring::builder()
                    .enabled(p.get_attr("enable_monitoring").as_bool() != Some(false))
                    .build(),
            );
        let groups = strings(p, "security_groups");
        if !groups.is_empty() {
            call = call.set_security_groups(Some(groups));
        }
        if !root.is_null() {
            call = call.block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(ebs_of(&root))
                    .build(),
            );
        }
        for d in p.get_attr("ebs_block_device").as_list().unwrap_or_default() {
            let no_device = d.get_attr("no_device").as_bool() == Some(true);
            call = call.block_device_mappings(
                BlockDeviceMapping::builder()
                    .set_device_name(s(d, "device_name"))
                    .set_no_device(no_device.then_some(true))
                    .set_ebs((!no_device).then(|| ebs_of(d)))
                    .build(),
            );
        }
        for d in p
            .get_attr("ephemeral_block_device")
            .as_list()
            .unwrap_or_default()
        {
            call = call.block_device_mappings(
                BlockDeviceMapping::builder()
                    .set_device_name(s(d, "device_name"))
                    .set_virtual_name(s(d, "virtual_name"))
                    .set_no_device(
                        (d.get_attr("no_device").as_bool() == Some(true)).then_some(true),
                    )
                    .build(),
            );
        }
        let md = first(p, "metadata_options");
        if !md.is_null() {
            call = call.metadata_options(
                InstanceMetadataOptions::builder()
                    .set_http_endpoint(s(&md, "http_endpoint").map(|x| x.as_str().into()))
                    .set_http_tokens(s(&md, "http_tokens").map(|x| x.as_str().into()))
                    .set_http_put_response_hop_limit(int(&md, "http_put_response_hop_limit"))
                    .build(),
            );
        }
        match call.send().await {
            Ok(_) => {}
            Err(e) if err_code(&e).is_some_and(|c| c.contains("AlreadyExists")) => {
                // A retried create of the same plan: the same image and type.
                let found = describe(c, std::slice::from_ref(&name))
                    .await
                    .map_err(|d| vec![d])?;
                let same = found.first().is_some_and(|l| {
                    l.image_id() == s(p, "image_id").as_deref()
                        && l.instance_type() == s(p, "instance_type").as_deref()
                });
                if !same {
                    return Err(vec![attr_err(
                        "name",
                        "Launch configuration already exists",
                        format!("a launch configuration named \"{name}\" exists with other settings; choose another name, or use name_prefix"),
                    )]);
                }
            }
            Err(e) => return Err(vec![sdk_err("CreateLaunchConfiguration", e)]),
        }
        let found = describe(c, &[name]).await.map_err(|d| vec![d])?;
        Ok(found.first().map(|l| lc_value(l, p)))
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .autoscaling
            .delete_launch_configuration()
            .launch_configuration_name(s(prior, "name").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c == "ValidationError") => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteLaunchConfiguration", e)]),
        }
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
        match describe(c, &names).await {
            Ok(found) => current
                .iter()
                .zip(&names)
                .map(|(v, n)| {
                    Ok(found
                        .iter()
                        .find(|l| l.launch_configuration_name() == Some(n.as_str()))
                        .map(|l| lc_value(l, v)))
                })
                .collect(),
            Err(d) => current.iter().map(|_| Err(d.clone())).collect(),
        }
    }
}
