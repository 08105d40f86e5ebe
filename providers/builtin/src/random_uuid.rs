//! `random_uuid`: a random version 4 UUID, as the random provider's.

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::util::{keepers, set};

pub struct RandomUuid;

#[async_trait::async_trait]
impl ResourceType<()> for RandomUuid {
    fn schema(&self) -> Schema {
        Schema::new("A random version 4 UUID.")
            .attr("keepers", keepers())
            .attr("result", Attribute::computed(AttrType::String, "The UUID."))
            .attr("id", Attribute::computed(AttrType::String, "The UUID."))
    }

    fn has_remote_objects(&self) -> bool {
        false
    }

    async fn create(&self, _: &(), planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let id = uuid::Uuid::new_v4().to_string();
        let mut new = planned.clone();
        set(&mut new, "result", Value::String(id.clone()));
        set(&mut new, "id", Value::String(id));
        Ok(Some(new))
    }
}
