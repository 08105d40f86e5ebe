//! A fleet from a launch template: each release is an autoscaling group
//! `<name>-<release>` attached to the release's target group (the live
//! release's, for rolling), tagged like the servers of a plain fleet.

use std::time::{Duration, Instant};

use aws_sdk_autoscaling::types::Tag;
use iac_deploy::{Fleet, Health, Release};
use iac_value::Value;

use super::{cloud_err, tg_name, AwsFleet, DEPLOYMENT_TAG, RELEASE_TAG};
use crate::util::{err_code, first, sdk_err, strings};

pub(super) struct AsgFleet<'a> {
    /// The target group, health and draining are a plain fleet's.
    pub inner: AwsFleet<'a>,
}

impl AsgFleet<'_> {
    fn group_name(&self, rid: &str) -> String {
        tg_name(&self.inner.name, rid)
    }

    /// The release's autoscaling group: its instances (pending or in service),
    /// or `None` when there is no group.
    async fn instances(&self, rid: &str) -> Result<Option<Vec<String>>, iac_deploy::Error> {
        let c = self.inner.c;
        let out = c
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(self.group_name(rid))
            .send()
            .await
            .map_err(|e| cloud_err(sdk_err("DescribeAutoScalingGroups", e)))?;
        Ok(out.auto_scaling_groups().first().map(|g| {
            let mut ids: Vec<String> = g
                .instances()
                .iter()
                .filter(|i| {
                    !matches!(
                        i.lifecycle_state().map(|s| s.as_str()),
                        Some(s) if s.starts_with("Terminat")
                    )
                })
                .filter_map(|i| i.instance_id().map(String::from))
                .collect();
            ids.sort();
            ids
        }))
    }

    /// Makes the release's group (empty, attached to `tg`) unless it is there.
    async fn ensure_group(&self, rid: &str, tg: &str) -> Result<(), iac_deploy::Error> {
        if self.instances(rid).await?.is_some() {
            return Ok(());
        }
        let c = self.inner.c;
        let fleet = first(self.inner.config, "fleet");
        let tag = |k: &str, v: &str| {
            Tag::builder()
                .key(k)
                .value(v)
                .propagate_at_launch(true)
                .resource_id(self.group_name(rid))
                .resource_type("auto-scaling-group")
                .build()
        };
        let count = fleet.get_attr("count").as_f64().unwrap_or(0.0) as i32;
        let r = c
            .autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(self.group_name(rid))
            .set_launch_template(crate::autoscaling::group::lt_spec(&fleet))
            .min_size(0)
            .max_size(count.max(1))
            .desired_capacity(0)
            .vpc_zone_identifier(strings(&fleet, "subnet_ids").join(","))
            .target_group_arns(tg)
            .tags(tag(DEPLOYMENT_TAG, &self.inner.key))
            .tags(tag(RELEASE_TAG, rid))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("AlreadyExists")) => Ok(()),
            Err(e) => Err(cloud_err(sdk_err("CreateAutoScalingGroup", e))),
        }
    }
}

#[async_trait::async_trait]
impl Fleet for AsgFleet<'_> {
    async fn prepare(&self, rid: &str) -> Result<Release, iac_deploy::Error> {
        let mut r = Release::candidate(rid, iac_value::time::now_secs());
        r.group = self.inner.target_group(rid).await?;
        self.ensure_group(rid, &r.group).await?;
        r.servers = self.instances(rid).await?.unwrap_or_default();
        Ok(r)
    }

    async fn servers(&self, rid: &str) -> Result<Vec<String>, iac_deploy::Error> {
        Ok(self.instances(rid).await?.unwrap_or_default())
    }

    /// Raises the group's desired capacity by `n` and waits for the new instances.
    async fn launch(
        &self,
        r: &Release,
        n: usize,
        _offset: usize,
    ) -> Result<Vec<String>, iac_deploy::Error> {
        self.ensure_group(&r.id, &r.group).await?;
        let before = self.instances(&r.id).await?.unwrap_or_default();
        let want = before.len() + n;
        let c = self.inner.c;
        c.autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(self.group_name(&r.id))
            .max_size(want as i32)
            .desired_capacity(want as i32)
            .send()
            .await
            .map_err(|e| cloud_err(sdk_err("UpdateAutoScalingGroup", e)))?;
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let now = self.instances(&r.id).await?.unwrap_or_default();
            if now.len() >= want {
                return Ok(now.into_iter().filter(|i| !before.contains(i)).collect());
            }
            if Instant::now() > deadline {
                return Err(iac_deploy::Error::new(
                    format!("The autoscaling group of release {} did not grow", r.id),
                    format!("{} of {want} instances after 10m", now.len()),
                ));
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    async fn health(
        &self,
        r: &Release,
        only: Option<&[String]>,
    ) -> Result<Health, iac_deploy::Error> {
        self.inner.health(r, only).await
    }

    async fn deregister(
        &self,
        r: &Release,
        servers: &[String],
    ) -> Result<Duration, iac_deploy::Error> {
        self.inner.deregister(r, servers).await
    }

    async fn draining(&self, r: &Release, servers: &[String]) -> Result<usize, iac_deploy::Error> {
        self.inner.draining(r, servers).await
    }

    /// Terminates instances through their group, lowering its capacity, so the
    /// group does not replace them.
    async fn stop(&self, servers: &[String]) -> Result<(), iac_deploy::Error> {
        let c = self.inner.c;
        for id in servers {
            let r = c
                .autoscaling
                .terminate_instance_in_auto_scaling_group()
                .instance_id(id)
                .should_decrement_desired_capacity(true)
                .send()
                .await;
            match r {
                Ok(_) => {}
                // Not in a group (any more): terminated as a plain instance.
                Err(_) => self.inner.stop(std::slice::from_ref(id)).await?,
            }
        }
        Ok(())
    }

    async fn remove(&self, r: &Release) -> Result<(), iac_deploy::Error> {
        self.close(r).await?;
        self.inner.remove(r).await
    }

    /// Deletes the release's autoscaling group and its instances.
    async fn close(&self, r: &Release) -> Result<(), iac_deploy::Error> {
        let c = self.inner.c;
        match c
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name(self.group_name(&r.id))
            .force_delete(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if err_code(&e)
                    .is_some_and(|c| c.contains("ValidationError") || c.contains("NotFound")) =>
            {
                Ok(())
            }
            Err(e) => Err(cloud_err(sdk_err("DeleteAutoScalingGroup", e))),
        }
    }
}

/// Whether a fleet comes from a launch template.
pub(super) fn from_template(config: &Value) -> bool {
    !first(&first(config, "fleet"), "launch_template").is_null()
}
