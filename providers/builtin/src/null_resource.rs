//! `null_resource` (the `null` provider's): nothing outside state; `triggers`
//! replace it, so provisioner-style chains and `depends_on` anchors keep working.
//! New code can use `terraform_data`.

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrType, Attribute, Schema};
use iac_value::Value;
use rand::Rng;

use crate::util::set;

pub struct NullResource;

#[async_trait::async_trait]
impl ResourceType<()> for NullResource {
    fn schema(&self) -> Schema {
        Schema::new("Nothing outside state; a change of `triggers` replaces it.")
            .attr(
                "triggers",
                Attribute::optional(
                    AttrType::Map(Box::new(AttrType::String)),
                    "Values whose change replaces the resource.",
                )
                .force_new(),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "A random number, as a string."),
            )
    }

    fn has_remote_objects(&self) -> bool {
        false
    }

    async fn create(&self, _: &(), planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let mut new = planned.clone();
        let id: u64 = rand::thread_rng().gen_range(1_000_000_000_000_000_000..u64::MAX / 2);
        set(&mut new, "id", Value::String(id.to_string()));
        Ok(Some(new))
    }
}
