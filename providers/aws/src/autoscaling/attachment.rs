//! `aws_autoscaling_attachment`: a target group (or classic load balancer) an
//! Auto Scaling group registers its instances with. Its id is
//! `GROUP/TARGET` (what `iac import` takes).

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::describe;
use crate::util::{attr_err, s, sdk_err};
use crate::Clients;

pub(crate) struct AttachmentType;

fn target(v: &Value) -> Option<String> {
    s(v, "lb_target_group_arn").or_else(|| s(v, "elb"))
}

fn value(group: &str, target: &str) -> Value {
    let elb = !target.starts_with("arn:");
    Value::map([
        ("id", Value::string(format!("{group}/{target}"))),
        ("autoscaling_group_name", Value::string(group)),
        (
            "lb_target_group_arn",
            if elb {
                Value::Null
            } else {
                Value::string(target)
            },
        ),
        (
            "elb",
            if elb {
                Value::string(target)
            } else {
                Value::Null
            },
        ),
    ])
}

#[async_trait::async_trait]
impl ResourceType<Clients> for AttachmentType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("Registers an Auto Scaling group's instances with a target group. Refresh reads the groups in one call per 100.")
            .attr(
                "autoscaling_group_name",
                Attribute::required(Str, "The group.").force_new(),
            )
            .attr(
                "lb_target_group_arn",
                Attribute::optional(Str, "Target group ARN.").force_new(),
            )
            .attr(
                "elb",
                Attribute::optional(Str, "Classic load balancer name.").force_new(),
            )
            .attr("id", Attribute::computed(Str, "GROUP/TARGET."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let both = crate::util::both_set(config, "lb_target_group_arn", "elb");
        let neither =
            config.get_attr("lb_target_group_arn").is_null() && config.get_attr("elb").is_null();
        if both || neither {
            return vec![attr_err(
                "lb_target_group_arn",
                "One target",
                "set exactly one of lb_target_group_arn and elb",
            )];
        }
        Vec::new()
    }

    /// Attaching is idempotent: a retried create attaches the same target.
    async fn create(&self, c: &Clients, planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let group = s(planned, "autoscaling_group_name").unwrap_or_default();
        match (s(planned, "lb_target_group_arn"), s(planned, "elb")) {
            (Some(arn), _) => c
                .autoscaling
                .attach_load_balancer_target_groups()
                .auto_scaling_group_name(&group)
                .target_group_arns(&arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| vec![sdk_err("AttachLoadBalancerTargetGroups", e)])?,
            (None, Some(elb)) => c
                .autoscaling
                .attach_load_balancers()
                .auto_scaling_group_name(&group)
                .load_balancer_names(&elb)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| vec![sdk_err("AttachLoadBalancers", e)])?,
            (None, None) => {}
        }
        Ok(Some(value(&group, &target(planned).unwrap_or_default())))
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let group = s(prior, "autoscaling_group_name").unwrap_or_default();
        if describe(c, std::slice::from_ref(&group))
            .await
            .map_err(|d| vec![d])?
            .is_empty()
        {
            return Ok(());
        }
        match (s(prior, "lb_target_group_arn"), s(prior, "elb")) {
            (Some(arn), _) => c
                .autoscaling
                .detach_load_balancer_target_groups()
                .auto_scaling_group_name(&group)
                .target_group_arns(&arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| vec![sdk_err("DetachLoadBalancerTargetGroups", e)]),
            (None, Some(elb)) => c
                .autoscaling
                .detach_load_balancers()
                .auto_scaling_group_name(&group)
                .load_balancer_names(&elb)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| vec![sdk_err("DetachLoadBalancers", e)]),
            (None, None) => Ok(()),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let keys: Vec<(String, String)> = current
            .iter()
            .map(|v| match (s(v, "autoscaling_group_name"), target(v)) {
                (Some(g), Some(t)) => (g, t),
                _ => {
                    let id = s(v, "id").unwrap_or_default();
                    let (g, t) = id.split_once('/').unwrap_or((id.as_str(), ""));
                    (g.to_string(), t.to_string())
                }
            })
            .collect();
        let mut names: Vec<String> = keys.iter().map(|(g, _)| g.clone()).collect();
        names.sort();
        names.dedup();
        let groups = match describe(c, &names).await {
            Ok(g) => g,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        current
            .iter()
            .zip(&keys)
            .map(|(_, (g, t))| {
                let found = groups
                    .iter()
                    .find(|x| x.auto_scaling_group_name() == Some(g.as_str()));
                let attached = found.is_some_and(|x| {
                    x.target_group_arns().iter().any(|a| a == t)
                        || x.load_balancer_names().iter().any(|a| a == t)
                });
                Ok(attached.then(|| value(g, t)))
            })
            .collect()
    }
}
