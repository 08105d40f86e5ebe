//! `random_integer`: a whole number from `min` to `max`, inclusive. With `seed`
//! the number is the same for the same seed and range (iac's own sequence, not
//! the one Terraform's Go generator gives).

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::{PathStep, Value};
use rand::{Rng, SeedableRng};

use crate::util::{keepers, set};

pub struct RandomInteger;

fn bounds(v: &Value) -> (Option<f64>, Option<f64>) {
    (v.get_attr("min").as_f64(), v.get_attr("max").as_f64())
}

#[async_trait::async_trait]
impl ResourceType<()> for RandomInteger {
    fn schema(&self) -> Schema {
        Schema::new("A random whole number from min to max, inclusive.")
            .attr(
                "min",
                Attribute::required(AttrType::Number, "Smallest value.").force_new(),
            )
            .attr(
                "max",
                Attribute::required(AttrType::Number, "Largest value.").force_new(),
            )
            .attr(
                "seed",
                Attribute::optional(AttrType::String, "Makes the result repeatable.").force_new(),
            )
            .attr("keepers", keepers())
            .attr(
                "result",
                Attribute::computed(AttrType::Number, "The number."),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "The number, as a string."),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let err = |k: &str, m: &str| {
            AttrDiagnostic::error(
                vec![PathStep::Key(k.into())],
                "Invalid range",
                m.to_string(),
            )
        };
        match bounds(config) {
            (Some(lo), Some(hi)) if lo.fract() != 0.0 || hi.fract() != 0.0 => {
                vec![err("min", "min and max are whole numbers")]
            }
            (Some(lo), Some(hi)) if lo > hi => {
                vec![err("max", &format!("max ({hi}) is below min ({lo})"))]
            }
            _ => Vec::new(),
        }
    }

    fn has_remote_objects(&self) -> bool {
        false
    }

    async fn create(&self, _: &(), planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let (Some(lo), Some(hi)) = bounds(planned) else {
            return Err(vec![AttrDiagnostic::error(
                Vec::new(),
                "Missing min or max",
                "",
            )]);
        };
        let (lo, hi) = (lo as i64, hi as i64);
        let n = match planned.get_attr("seed").as_str() {
            Some(seed) => {
                let h = crate::util::sha256_hex(seed.as_bytes());
                let word = u64::from_str_radix(&h[..16], 16).unwrap_or(0);
                rand::rngs::StdRng::seed_from_u64(word).gen_range(lo..=hi)
            }
            None => rand::thread_rng().gen_range(lo..=hi),
        };
        let mut new = planned.clone();
        set(&mut new, "result", Value::num(n as f64));
        set(&mut new, "id", Value::String(n.to_string()));
        Ok(Some(new))
    }
}
