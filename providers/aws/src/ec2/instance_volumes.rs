//! `aws_instance`'s volumes beyond the root one: `ebs_block_device` (EBS volumes
//! made at launch, matched to the configuration by device name) and
//! `volume_tags` (the tags of every volume made with the instance). Sizes, types
//! and tags are read with one DescribeVolumes call per batch of instances.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice, VolumeType};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting, Schema};
use iac_value::Value;

use crate::util::{int, opt_str, s, sdk_err, set, string_map, tags_value};
use crate::Clients;

/// The `ebs_block_device` block: a change to any of them replaces the instance,
/// as in Terraform (EBS volumes made at launch are part of what was launched).
pub(crate) fn ebs_block() -> NestedBlock {
    let oc = Attribute::optional_computed;
    NestedBlock {
        nesting: Nesting::Set,
        min_items: 0,
        max_items: None,
        force_new: true,
        block: Schema::new(
            "An EBS volume made and attached at launch (a change replaces the instance).",
        )
        .attr(
            "device_name",
            Attribute::required(AttrType::String, "Device name, such as /dev/sdf."),
        )
        .attr("volume_size", oc(AttrType::Number, "Size in GiB."))
        .attr(
            "volume_type",
            oc(
                AttrType::String,
                "gp3, gp2, io1, io2, st1, sc1 or standard.",
            ),
        )
        .attr(
            "iops",
            oc(AttrType::Number, "Provisioned IOPS (io1, io2, gp3)."),
        )
        .attr(
            "throughput",
            oc(AttrType::Number, "Throughput in MiB/s (gp3)."),
        )
        .attr("encrypted", oc(AttrType::Bool, "Encrypt the volume."))
        .attr(
            "kms_key_id",
            oc(AttrType::String, "KMS key for an encrypted volume."),
        )
        .attr(
            "snapshot_id",
            oc(AttrType::String, "Snapshot to make the volume from."),
        )
        .attr(
            "delete_on_termination",
            oc(AttrType::Bool, "Delete with the instance (default true)."),
        )
        .attr(
            "tags",
            Attribute::optional(
                AttrType::Map(Box::new(AttrType::String)),
                "Tags of this volume (not together with volume_tags).",
            ),
        )
        .attr(
            "volume_id",
            Attribute::computed(AttrType::String, "Volume id."),
        )
        .attr("tags_all", tags_all_attr()),
    }
}

/// A volume's `tags_all`: every tag it has, as read from it.
pub(crate) fn tags_all_attr() -> Attribute {
    Attribute::computed(
        AttrType::Map(Box::new(AttrType::String)),
        "Every tag the volume has (its own, volume_tags' and others').",
    )
}

/// `tags_all` as planned: the prior's, unless the block's own tags change.
pub(crate) fn plan_tags_all(block: &mut Value, prior: Option<&Value>) {
    let keep = match prior {
        Some(p) if p.get_attr("tags") == block.get_attr("tags") => p.get_attr("tags_all").clone(),
        _ => Value::Unknown,
    };
    set(block, "tags_all", keep);
}

const EBS_SETTINGS: &[&str] = &[
    "volume_size",
    "volume_type",
    "iops",
    "throughput",
    "encrypted",
    "kms_key_id",
    "snapshot_id",
    "delete_on_termination",
];

fn devices(v: &Value) -> Vec<Value> {
    v.get_attr("ebs_block_device")
        .as_list()
        .map(<[Value]>::to_vec)
        .unwrap_or_default()
}

/// Each configured device with what the configuration leaves unset taken from
/// the device of the same name in the prior object (unknown on a new one), so
/// an unchanged set plans no change; none configured, the devices there are.
pub(crate) fn plan_ebs(prior: Option<&Value>, config: &Value, planned: &mut Value) {
    let configured = devices(config);
    // None configured: the volumes attached are AWS's business (Optional and
    // Computed in Terraform), so what is there is no change.
    if configured.is_empty() {
        let keep = prior.map_or(Value::Unknown, |p| p.get_attr("ebs_block_device").clone());
        set(planned, "ebs_block_device", keep);
        return;
    }
    let before = prior.map(devices).unwrap_or_default();
    let planned_devices: Vec<Value> = configured
        .iter()
        .map(|c| {
            let name = s(c, "device_name");
            let p = before
                .iter()
                .find(|b| s(b, "device_name") == name && name.is_some());
            let mut d = c.clone();
            for k in EBS_SETTINGS.iter().chain(&["volume_id"]) {
                if d.get_attr(k).is_null() {
                    let from = p.map_or(Value::Unknown, |p| p.get_attr(k).clone());
                    set(&mut d, k, from);
                }
            }
            plan_tags_all(&mut d, p);
            d
        })
        .collect();
    set(planned, "ebs_block_device", Value::Set(planned_devices));
}

/// The block device mappings RunInstances takes for `ebs_block_device`.
pub(crate) fn ebs_mappings(p: &Value) -> Vec<BlockDeviceMapping> {
    devices(p)
        .iter()
        .map(|d| {
            let ebs = EbsBlockDevice::builder()
                .set_volume_size(int(d, "volume_size"))
                .set_volume_type(s(d, "volume_type").map(|t| VolumeType::from(t.as_str())))
                .set_iops(int(d, "iops"))
                .set_throughput(int(d, "throughput"))
                .set_encrypted(d.get_attr("encrypted").as_bool())
                .set_kms_key_id(s(d, "kms_key_id"))
                .set_snapshot_id(s(d, "snapshot_id"))
                .delete_on_termination(d.get_attr("delete_on_termination").as_bool() != Some(false))
                .build();
            BlockDeviceMapping::builder()
                .set_device_name(s(d, "device_name"))
                .ebs(ebs)
                .build()
        })
        .collect()
}

pub(crate) fn volume_tags(p: &Value) -> BTreeMap<String, String> {
    string_map(p.get_attr("volume_tags"))
}

use crate::ec2::retag;

/// Every volume of an instance value: the root one and the EBS devices.
pub(crate) fn volume_ids(v: &Value) -> Vec<String> {
    let root = v
        .get_attr("root_block_device")
        .as_list()
        .and_then(|l| l.first())
        .and_then(|b| s(b, "volume_id"));
    root.into_iter()
        .chain(devices(v).iter().filter_map(|d| s(d, "volume_id")))
        .collect()
}

/// Tags each EBS device that names its own, after launch (RunInstances tags
/// every volume alike).
pub(crate) async fn tag_devices(c: &Clients, v: &Value) -> Result<(), AttrDiagnostic> {
    for d in devices(v) {
        let tags = string_map(d.get_attr("tags"));
        if let (Some(id), false) = (s(&d, "volume_id"), tags.is_empty()) {
            retag(c, &[id], &BTreeMap::new(), &tags).await?;
        }
    }
    Ok(())
}

fn root_block(v: &Value) -> Option<Value> {
    v.get_attr("root_block_device")
        .as_list()
        .and_then(|l| l.first().cloned())
}

/// Tags the root volume with its own `tags`, after launch.
pub(crate) async fn tag_root(c: &Clients, v: &Value) -> Result<(), AttrDiagnostic> {
    let Some(b) = root_block(v) else {
        return Ok(());
    };
    let tags = string_map(b.get_attr("tags"));
    if let (Some(id), false) = (s(&b, "volume_id"), tags.is_empty()) {
        retag(c, &[id], &BTreeMap::new(), &tags).await?;
    }
    Ok(())
}

/// Changes the root volume's own `tags` in place.
pub(crate) async fn retag_root(
    c: &Clients,
    volume: &str,
    old: &Value,
    new: &Value,
) -> Result<(), AttrDiagnostic> {
    retag(
        c,
        &[volume.to_string()],
        &string_map(old.get_attr("tags")),
        &string_map(new.get_attr("tags")),
    )
    .await
}

/// The EBS devices of a described instance (all but the root device), each
/// with what the instance tells of it; the rest comes from `fill_volumes`.
pub(crate) fn ebs_from_instance(i: &aws_sdk_ec2::types::Instance, keep: &Value) -> Value {
    let root = i.root_device_name();
    let before = devices(keep);
    let items: Vec<Value> = i
        .block_device_mappings()
        .iter()
        .filter(|m| m.device_name().is_some() && m.device_name() != root)
        .map(|m| {
            let name = m.device_name().unwrap_or_default();
            let prior = before
                .iter()
                .find(|b| s(b, "device_name").as_deref() == Some(name))
                .cloned()
                .unwrap_or(Value::Null);
            let ebs = m.ebs();
            let mut d = Value::map([
                ("device_name", Value::string(name)),
                ("volume_id", opt_str(ebs.and_then(|e| e.volume_id()))),
                (
                    "delete_on_termination",
                    ebs.and_then(|e| e.delete_on_termination())
                        .map(Value::Bool)
                        .unwrap_or(Value::Null),
                ),
                ("tags", crate::util::known(prior.get_attr("tags"))),
                ("tags_all", crate::util::known(prior.get_attr("tags_all"))),
            ]);
            for k in EBS_SETTINGS
                .iter()
                .filter(|k| **k != "delete_on_termination")
            {
                set(&mut d, k, crate::util::known(prior.get_attr(k)));
            }
            d
        })
        .collect();
    Value::Set(items)
}

/// Every tag of a volume as a map (empty when it has none, never null).
fn all_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Value {
    Value::map(tags.iter().filter_map(|t| {
        Some((
            t.key()?.to_string(),
            Value::string(t.value().unwrap_or_default()),
        ))
    }))
}

/// Fills in what only the volumes tell (root size and type; each EBS device's
/// settings and, where configured, tags; `volume_tags` when configured) with
/// one DescribeVolumes call for all the values.
pub(crate) async fn fill_volumes(
    c: &Clients,
    values: &mut [&mut Value],
) -> Result<(), AttrDiagnostic> {
    let ids: Vec<String> = values.iter().flat_map(|v| volume_ids(v)).collect();
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
    let vols: BTreeMap<&str, &aws_sdk_ec2::types::Volume> = out
        .volumes()
        .iter()
        .filter_map(|v| Some((v.volume_id()?, v)))
        .collect();
    let num = crate::util::int_value;
    for v in values.iter_mut() {
        if let Some(mut b) = v
            .get_attr("root_block_device")
            .as_list()
            .and_then(|l| l.first().cloned())
        {
            if let Some(vol) = s(&b, "volume_id").and_then(|id| vols.get(id.as_str())) {
                set(&mut b, "volume_size", num(vol.size()));
                set(
                    &mut b,
                    "volume_type",
                    opt_str(vol.volume_type().map(|t| t.as_str())),
                );
                set(&mut b, "iops", num(vol.iops()));
                set(&mut b, "throughput", num(vol.throughput()));
                set(
                    &mut b,
                    "encrypted",
                    vol.encrypted().map(Value::Bool).unwrap_or(Value::Null),
                );
                set(&mut b, "kms_key_id", opt_str(vol.kms_key_id()));
                if !b.get_attr("tags").is_null() {
                    set(&mut b, "tags", tags_value(vol.tags()));
                }
                set(&mut b, "tags_all", all_tags(vol.tags()));
                if !v.get_attr("volume_tags").is_null() {
                    set(v, "volume_tags", tags_value(vol.tags()));
                }
            }
            set(v, "root_block_device", Value::List(vec![b]));
        }
        let filled: Vec<Value> = devices(v)
            .into_iter()
            .map(|mut d| {
                let Some(vol) = s(&d, "volume_id").and_then(|id| vols.get(id.as_str()).copied())
                else {
                    return d;
                };
                set(&mut d, "volume_size", num(vol.size()));
                set(
                    &mut d,
                    "volume_type",
                    opt_str(vol.volume_type().map(|t| t.as_str())),
                );
                set(&mut d, "iops", num(vol.iops()));
                set(&mut d, "throughput", num(vol.throughput()));
                set(
                    &mut d,
                    "encrypted",
                    vol.encrypted().map(Value::Bool).unwrap_or(Value::Null),
                );
                set(&mut d, "kms_key_id", opt_str(vol.kms_key_id()));
                set(
                    &mut d,
                    "snapshot_id",
                    opt_str(vol.snapshot_id().filter(|x| !x.is_empty())),
                );
                if !d.get_attr("tags").is_null() {
                    set(&mut d, "tags", tags_value(vol.tags()));
                }
                set(&mut d, "tags_all", all_tags(vol.tags()));
                d
            })
            .collect();
        if v.get_attr("ebs_block_device").as_list().is_some() {
            set(v, "ebs_block_device", Value::Set(filled));
        }
    }
    Ok(())
}
