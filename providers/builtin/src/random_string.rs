//! `random_string`: `random_password`'s arguments, with a `result` that is not a
//! secret (as in Terraform: use `random_password` for secrets).

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, Schema};
use iac_value::Value;

use crate::random_password::{charset_schema, generate_password, validate_length};
use crate::util::set;

pub struct RandomString;

#[async_trait::async_trait]
impl ResourceType<()> for RandomString {
    fn schema(&self) -> Schema {
        charset_schema(
            "A random string (not a secret: `random_password` keeps its result out of state).",
            false,
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        validate_length(config)
    }

    fn has_remote_objects(&self) -> bool {
        false
    }

    async fn create(&self, _: &(), planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let s = generate_password(planned).map_err(|d| vec![d])?;
        let mut new = planned.clone();
        set(&mut new, "id", Value::String(s.clone()));
        set(&mut new, "result", Value::String(s));
        Ok(Some(new))
    }
}
