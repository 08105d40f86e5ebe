//! `aws_lb_target_group` (and `aws_alb_target_group`): targets a listener
//! forwards to, with a health check. Refresh reads 20 groups per
//! DescribeTargetGroups call.

use std::collections::BTreeMap;

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use super::{create_tg, delete_tg, generated_name, lb_tags, tags_value, tg_value, update_tg};
use crate::kit::aws_plan;
use crate::schema::{nested, tags};
use crate::util::{err_code, s, sdk_err};
use crate::Clients;

pub(crate) struct TargetGroupType;

#[async_trait::async_trait]
impl super::ArnBatch for TargetGroupType {
    async fn describe(
        &self,
        c: &Clients,
        arns: Vec<String>,
        keep: &BTreeMap<String, Value>,
        tags: &BTreeMap<String, Value>,
    ) -> Result<Vec<(String, Value)>, (Option<String>, AttrDiagnostic)> {
        let null = Value::Null;
        c.elb
            .describe_target_groups()
            .set_target_group_arns(Some(arns))
            .send()
            .await
            .map(|o| {
                o.target_groups()
                    .iter()
                    .map(|g| {
                        let a = g.target_group_arn().unwrap_or_default().to_string();
                        let tag = tags.get(&a).cloned().unwrap_or(Value::Null);
                        let v = tg_value(g, keep.get(&a).unwrap_or(&null), tag);
                        (a, v)
                    })
                    .collect()
            })
            .map_err(|e| (err_code(&e), sdk_err("DescribeTargetGroups", e)))
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for TargetGroupType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, String as Str};
        let health = Schema::new("How targets are checked.")
            .attr(
                "enabled",
                Attribute::optional_computed(Bool, "Checks on (default true)."),
            )
            .attr(
                "path",
                Attribute::optional_computed(Str, "HTTP path (default /)."),
            )
            .attr(
                "port",
                Attribute::optional_computed(Str, "traffic-port or a number."),
            )
            .attr(
                "protocol",
                Attribute::optional_computed(Str, "HTTP or HTTPS."),
            )
            .attr(
                "interval",
                Attribute::optional_computed(Number, "Seconds between checks."),
            )
            .attr(
                "timeout",
                Attribute::optional_computed(Number, "Seconds to wait for an answer."),
            )
            .attr(
                "healthy_threshold",
                Attribute::optional_computed(Number, "Successes to become healthy."),
            )
            .attr(
                "unhealthy_threshold",
                Attribute::optional_computed(Number, "Failures to become unhealthy."),
            )
            .attr(
                "matcher",
                Attribute::optional_computed(Str, "Success codes, such as 200-299."),
            );
        Schema::new("A group of targets a listener forwards to, with a health check.")
            .attr(
                "name",
                Attribute::optional_computed(
                    Str,
                    "Name, up to 32 characters (generated when unset).",
                )
                .force_new(),
            )
            .attr(
                "port",
                Attribute::required(Number, "Port targets receive traffic on.").force_new(),
            )
            .attr(
                "protocol",
                Attribute::required(Str, "HTTP or HTTPS.").force_new(),
            )
            .attr(
                "vpc_id",
                Attribute::required(Str, "VPC of the targets.").force_new(),
            )
            .attr(
                "target_type",
                Attribute::optional_computed(Str, "instance (default) or ip.").force_new(),
            )
            .attr(
                "deregistration_delay",
                Attribute::optional(
                    Number,
                    "Seconds to drain a target being removed (default 300).",
                ),
            )
            .block("health_check", nested(Nesting::List, 0, Some(1), health))
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The ARN."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr(
                "arn_suffix",
                Attribute::computed(Str, "For CloudWatch metrics."),
            )
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan("aws_lb_target_group", schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        let name = s(p, "name").unwrap_or_else(|| generated_name("tf", token));
        let tg = create_tg(c, p, &name, lb_tags(p, Some(token)))
            .await
            .map_err(|d| vec![d])?;
        Ok(Some(tg_value(&tg, p, tags_value(&lb_tags(p, None)))))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        update_tg(c, old, p).await
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        delete_tg(c, &s(old, "arn").unwrap_or_default())
            .await
            .map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        super::read_arns(c, self, current).await
    }
}
