//! EC2 Auto Scaling: groups (`aws_autoscaling_group`) and their attachment to
//! load balancer target groups (`aws_autoscaling_attachment`), a file each.
//! Refresh reads up to 100 groups per `DescribeAutoScalingGroups` call. Launch
//! configurations (`aws_launch_configuration`) live here too.

pub(crate) mod attachment;
pub(crate) mod group;
pub(crate) mod group_settings;
pub(crate) mod launch_configuration;
pub(crate) mod mixed_instances;

use aws_sdk_autoscaling::types::AutoScalingGroup;
use iac_provider::AttrDiagnostic;

use crate::util::sdk_err;
use crate::Clients;

/// Groups by name, 100 per call; groups being deleted count as gone.
pub(crate) async fn describe(
    c: &Clients,
    names: &[String],
) -> Result<Vec<AutoScalingGroup>, AttrDiagnostic> {
    let mut out = Vec::new();
    for chunk in names.chunks(100) {
        let r = c
            .autoscaling
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_err("DescribeAutoScalingGroups", e))?;
        out.extend(
            r.auto_scaling_groups()
                .iter()
                .filter(|g| g.status().is_none_or(|s| !s.starts_with("Delete")))
                .cloned(),
        );
    }
    Ok(out)
}
