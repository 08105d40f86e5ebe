//! `terraform_data`: stores a value and follows the resource life cycle, with
//! Terraform's semantics (`output` is `input` as applied; `triggers_replace`).

use iac_provider::kit::{default_plan, ResourceType};
use iac_provider::{
    ApplyRequest, ApplyResult, AttrType, Attribute, PlanRequest, PlanResponse, Schema,
};
use iac_value::Value;
use rand::Rng;

use crate::util::set;

pub struct TerraformData;

fn uuid() -> String {
    let b: [u8; 16] = rand::thread_rng().gen();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

#[async_trait::async_trait]
impl ResourceType<()> for TerraformData {
    fn schema(&self) -> Schema {
        Schema::new(
            "Stores a value and follows the resource lifecycle, like Terraform's terraform_data.",
        )
        .attr("id", Attribute::computed(AttrType::String, "A unique id."))
        .attr(
            "input",
            Attribute::optional(
                AttrType::Dynamic,
                "A value to store; copied to `output` after apply.",
            ),
        )
        .attr(
            "output",
            Attribute::computed(AttrType::Dynamic, "The stored `input`."),
        )
        .attr(
            "triggers_replace",
            Attribute::optional(
                AttrType::Dynamic,
                "A value whose change replaces the resource.",
            )
            .force_new(),
        )
    }

    fn has_remote_objects(&self) -> bool {
        false
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = default_plan(schema, req);
        let replacing = req.prior.is_none() || !r.requires_replace.is_empty();
        let input_changed = req
            .prior
            .is_none_or(|p| p.get_attr("input") != req.config.get_attr("input"));
        if replacing || input_changed {
            set(&mut r.planned, "output", Value::Unknown);
        }
        r
    }

    async fn create(&self, _: &(), planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let mut new = planned.clone();
        set(&mut new, "id", Value::String(uuid()));
        set(&mut new, "output", planned.get_attr("input").clone());
        Ok(Some(new))
    }

    async fn update(
        &self,
        _: &(),
        _: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let mut new = planned.clone();
        set(&mut new, "output", planned.get_attr("input").clone());
        Ok(Some(new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_unknown_when_input_changes() {
        let t = TerraformData;
        let schema = t.schema();
        let prior = Value::map([
            ("id", Value::string("x")),
            ("input", Value::string("a")),
            ("output", Value::string("a")),
            ("triggers_replace", Value::Null),
        ]);
        let plan = |config: &Value| {
            t.plan(
                &schema,
                &PlanRequest {
                    type_name: "terraform_data",
                    prior: Some(&prior),
                    config,
                },
            )
        };
        let r = plan(&Value::map([("input", Value::string("a"))]));
        assert_eq!(r.planned, prior);
        let r = plan(&Value::map([("input", Value::string("b"))]));
        assert_eq!(r.planned.get_attr("output"), &Value::Unknown);
        assert_eq!(r.planned.get_attr("id"), &Value::string("x"));
        assert!(r.requires_replace.is_empty());
        let r = plan(&Value::map([
            ("input", Value::string("a")),
            ("triggers_replace", Value::num(1.0)),
        ]));
        assert_eq!(r.requires_replace.len(), 1);
        assert_eq!(r.planned.get_attr("id"), &Value::Unknown);
    }
}
