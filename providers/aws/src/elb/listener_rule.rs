//! `aws_lb_listener_rule` (and `aws_alb_listener_rule`): conditions on a listener
//! and the action taken when they match. Refresh reads 20 rules per DescribeRules call.

use std::collections::BTreeMap;

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use super::{create_rule, listener_of_rule, not_found, rule_value, update_rule};
use crate::kit::aws_plan;
use crate::schema::lb_action;
use crate::schema::{nested, tags};
use crate::util::{err_code, s, sdk_err};
use crate::Clients;

pub(crate) struct ListenerRuleType;

#[async_trait::async_trait]
impl super::ArnBatch for ListenerRuleType {
    async fn describe(
        &self,
        c: &Clients,
        arns: Vec<String>,
        keep: &BTreeMap<String, Value>,
        tags: &BTreeMap<String, Value>,
    ) -> Result<Vec<(String, Value)>, (Option<String>, AttrDiagnostic)> {
        let null = Value::Null;
        c.elb
            .describe_rules()
            .set_rule_arns(Some(arns))
            .send()
            .await
            .map(|o| {
                o.rules()
                    .iter()
                    .map(|r| {
                        let a = r.rule_arn().unwrap_or_default().to_string();
                        let k = keep.get(&a).unwrap_or(&null);
                        let l = s(k, "listener_arn").unwrap_or_else(|| listener_of_rule(&a));
                        let tag = tags.get(&a).cloned().unwrap_or(Value::Null);
                        let v = rule_value(r, &l, k, tag);
                        (a, v)
                    })
                    .collect()
            })
            .map_err(|e| (err_code(&e), sdk_err("DescribeRules", e)))
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for ListenerRuleType {
    fn schema(&self) -> Schema {
        use AttrType::{Number, String as Str};
        let condition = super::rule_conditions::schema();
        Schema::new("A rule of a listener: conditions, and the action taken when they match.")
            .attr(
                "listener_arn",
                Attribute::required(Str, "Listener.").force_new(),
            )
            .attr(
                "priority",
                Attribute::optional_computed(Number, "1-50000; lower is evaluated first."),
            )
            .block("action", nested(Nesting::List, 1, None, lb_action()))
            .block("condition", nested(Nesting::Set, 1, None, condition))
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The ARN."))
            .attr("arn", Attribute::computed(Str, "ARN."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        super::validate_actions(config, "action")
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        create_rule(c, p, req.idempotency_token).await
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        update_rule(c, old, p).await
    }

    async fn delete(
        &self,
        c: &Clients,
        o: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .elb
            .delete_rule()
            .rule_arn(s(o, "arn").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(err_code(&e)) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteRule", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        super::read_arns(c, self, current).await
    }
}
