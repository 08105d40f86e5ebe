//! `random_shuffle`: the elements of `input` in a random order, or the first
//! `result_count` of them. With `seed` the order is the same for the same seed
//! and input (iac's own sequence, not the one Terraform's Go generator gives).

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::{PathStep, Value};
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::util::{keepers, set};

pub struct RandomShuffle;

#[async_trait::async_trait]
impl ResourceType<()> for RandomShuffle {
    fn schema(&self) -> Schema {
        let strings = || AttrType::List(Box::new(AttrType::String));
        Schema::new("A random permutation of a list of strings.")
            .attr(
                "input",
                Attribute::required(strings(), "The list to shuffle.").force_new(),
            )
            .attr(
                "result_count",
                Attribute::optional(
                    AttrType::Number,
                    "How many elements to keep (default: all).",
                )
                .force_new(),
            )
            .attr(
                "seed",
                Attribute::optional(AttrType::String, "Makes the order repeatable.").force_new(),
            )
            .attr("keepers", keepers())
            .attr(
                "result",
                Attribute::computed(strings(), "The shuffled list."),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "A constant, \"-\"."),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        match config.get_attr("result_count").as_f64() {
            Some(n) if n < 0.0 || n.fract() != 0.0 => vec![AttrDiagnostic::error(
                vec![PathStep::Key("result_count".into())],
                "Invalid result_count",
                "a whole number of 0 or more is required",
            )],
            _ => Vec::new(),
        }
    }

    fn has_remote_objects(&self) -> bool {
        false
    }

    async fn create(&self, _: &(), planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let mut items: Vec<Value> = match planned.get_attr("input") {
            Value::List(l) | Value::Set(l) => l.clone(),
            _ => Vec::new(),
        };
        match planned.get_attr("seed").as_str() {
            Some(seed) => {
                let h = crate::util::sha256_hex(seed.as_bytes());
                let word = u64::from_str_radix(&h[..16], 16).unwrap_or(0);
                items.shuffle(&mut rand::rngs::StdRng::seed_from_u64(word));
            }
            None => items.shuffle(&mut rand::thread_rng()),
        }
        if let Some(n) = planned.get_attr("result_count").as_f64() {
            items.truncate(n as usize);
        }
        let mut new = planned.clone();
        set(&mut new, "result", Value::List(items));
        set(&mut new, "id", Value::String("-".into()));
        Ok(Some(new))
    }
}
