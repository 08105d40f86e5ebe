//! `aws_lb_target_group` (and `aws_alb_target_group`): targets a listener
//! forwards to, with a health check, stickiness and its other attributes. Refresh
//! reads 20 groups per DescribeTargetGroups call, and each group's attributes with
//! one DescribeTargetGroupAttributes call (AWS has no batch read of them).

use std::collections::BTreeMap;

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use super::{
    create_tg, delete_tg, generated_name, lb_tags, tags_value, tg_attributes, tg_value, update_tg,
};
use crate::kit::aws_plan;
use crate::schema::{nested, tags};
use crate::util::{attr_err, err_code, s, sdk_err};
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
        let groups = c
            .elb
            .describe_target_groups()
            .set_target_group_arns(Some(arns))
            .send()
            .await
            .map_err(|e| (err_code(&e), sdk_err("DescribeTargetGroups", e)))?;
        let mut out = Vec::new();
        for g in groups.target_groups() {
            let a = g.target_group_arn().unwrap_or_default().to_string();
            // Attributes have no batch read: one call per group.
            let attrs = tg_attributes(c, &a).await.map_err(|d| (None, d))?;
            let tag = tags.get(&a).cloned().unwrap_or(Value::Null);
            out.push((
                a.clone(),
                tg_value(g, keep.get(&a).unwrap_or(&null), tag, &attrs),
            ));
        }
        Ok(out)
    }
}

/// What a target group does when targets fail: failover, health-state
/// connections, the healthy capacity it needs.
fn failover_blocks(s: Schema) -> Schema {
    use AttrType::{Bool, Number, String as Str};
    s.block(
        "target_failover",
        nested(
            Nesting::List,
            0,
            Some(1),
            Schema::new("What a Gateway Load Balancer does with flows of a failing target.")
                .attr(
                    "on_deregistration",
                    Attribute::required(Str, "rebalance or no_rebalance."),
                )
                .attr(
                    "on_unhealthy",
                    Attribute::required(Str, "rebalance or no_rebalance."),
                ),
        ),
    )
    .block(
        "target_health_state",
        nested(
            Nesting::List,
            0,
            Some(1),
            Schema::new("Connections to unhealthy targets (network load balancers).")
                .attr(
                    "enable_unhealthy_connection_termination",
                    Attribute::required(Bool, "Close them when the target turns unhealthy."),
                )
                .attr(
                    "unhealthy_draining_interval",
                    Attribute::optional(Number, "Seconds to drain first."),
                ),
        ),
    )
    .block("target_group_health", {
        let min = || {
            Schema::new("The least healthy capacity.")
                .attr(
                    "minimum_healthy_targets_count",
                    Attribute::optional(Str, "A number of targets, or \"off\"."),
                )
                .attr(
                    "minimum_healthy_targets_percentage",
                    Attribute::optional(Str, "A percentage, or \"off\"."),
                )
        };
        nested(
            Nesting::List,
            0,
            Some(1),
            Schema::new("What counts as a healthy target group.")
                .block("dns_failover", nested(Nesting::List, 0, Some(1), min()))
                .block(
                    "unhealthy_state_routing",
                    nested(Nesting::List, 0, Some(1), min()),
                ),
        )
    })
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
        failover_blocks(Schema::new("A group of targets a listener forwards to, with a health check and stickiness. Refresh reads 20 groups per DescribeTargetGroups call, and the attributes of each with one DescribeTargetGroupAttributes call (AWS has no batch read of them).")
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
            .attr(
                "name_prefix",
                Attribute::optional(Str, "Prefix of a generated name (up to 6 characters).")
                    .force_new(),
            )
            .attr(
                "protocol_version",
                Attribute::optional_computed(Str, "HTTP1 (default), HTTP2 or GRPC.").force_new(),
            )
            .attr(
                "slow_start",
                Attribute::optional_computed(
                    Number,
                    "Seconds a new target ramps up its share of traffic (0: off, the default; 30-900).",
                ),
            )
            .attr(
                "load_balancing_algorithm_type",
                Attribute::optional_computed(
                    Str,
                    "round_robin (default), least_outstanding_requests or weighted_random.",
                ),
            )
            .block(
                "stickiness",
                nested(
                    Nesting::List,
                    0,
                    Some(1),
                    Schema::new("Sessions that stick to one target.")
                        .attr(
                            "type",
                            Attribute::required(Str, "lb_cookie or app_cookie."),
                        )
                        .attr(
                            "enabled",
                            Attribute::optional_computed(Bool, "On (default true)."),
                        )
                        .attr(
                            "cookie_duration",
                            Attribute::optional_computed(
                                Number,
                                "Seconds a session sticks (default 86400).",
                            ),
                        )
                        .attr(
                            "cookie_name",
                            Attribute::optional(Str, "The application's cookie (app_cookie)."),
                        ),
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
            .attr(
                "ip_address_type",
                Attribute::optional_computed(Str, "ipv4 (default) or ipv6 (a change replaces).")
                    .force_new(),
            )
            .attr(
                "load_balancer_arns",
                Attribute::computed(
                    AttrType::Set(Box::new(Str)),
                    "Load balancers that route to the group.",
                ),
            )
            .attr(
                "connection_termination",
                Attribute::optional(Bool, "Close connections at the end of deregistration (network load balancers)."),
            )
            .attr(
                "preserve_client_ip",
                Attribute::optional(Str, "\"true\" or \"false\": keep the client's address (network load balancers)."),
            )
            .attr(
                "proxy_protocol_v2",
                Attribute::optional(Bool, "Send the PROXY protocol v2 header (network load balancers)."),
            )
            .attr(
                "lambda_multi_value_headers_enabled",
                Attribute::optional(Bool, "Pass multi-value headers to a Lambda target."),
            )
            .attr(
                "load_balancing_cross_zone_enabled",
                Attribute::optional(Str, "true, false or use_load_balancer_configuration."),
            )
            .attr(
                "load_balancing_anomaly_mitigation",
                Attribute::optional(Str, "on or off (weighted_random routing)."),
            )
        )
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
        if config
            .get_attr("name_prefix")
            .as_str()
            .is_some_and(|p| p.len() > 6)
        {
            out.push(attr_err(
                "name_prefix",
                "Name prefix too long",
                "a target group's name_prefix has at most 6 characters",
            ));
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        let name = s(p, "name").unwrap_or_else(|| match s(p, "name_prefix") {
            Some(prefix) => super::lb::name_from(&prefix, token),
            None => generated_name("tf", token),
        });
        let tg = create_tg(c, p, &name, lb_tags(p, Some(token)))
            .await
            .map_err(|d| vec![d])?;
        let attrs = tg_attributes(c, tg.target_group_arn().unwrap_or_default())
            .await
            .map_err(|d| vec![d])?;
        Ok(Some(tg_value(
            &tg,
            p,
            tags_value(&lb_tags(p, None)),
            &attrs,
        )))
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
