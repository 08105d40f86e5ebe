//! Built-in resources that need no cloud: `terraform_data` (same semantics as
//! Terraform's), `random_pet`, `random_id`, `random_password`, `random_string`,
//! `random_integer`, `null_resource` and `local_file`;
//! and `data "terraform_remote_state"` when the caller gives it a way to open backends.
//! One file per type, registered below (the resource kit, `iac_provider::kit`).

mod local_file;
mod null_resource;
mod random_id;
mod random_integer;
mod random_password;
mod random_pet;
mod random_shuffle;
mod random_string;
mod random_uuid;
mod remote_state;
mod terraform_data;
mod util;

use iac_provider::kit::Registry;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, PlanRequest, PlanResponse, Provider, ProviderSchema,
    Schema,
};
use iac_value::Value;

pub struct BuiltinProvider {
    types: Registry<()>,
}

impl Default for BuiltinProvider {
    fn default() -> Self {
        Self::new()
    }
}

pub use remote_state::OpenBackend;

impl BuiltinProvider {
    pub fn new() -> BuiltinProvider {
        BuiltinProvider {
            types: Self::registry(),
        }
    }

    /// With `data "terraform_remote_state"`, reading states through `open`.
    pub fn with_remote_state(open: OpenBackend) -> BuiltinProvider {
        let types = Self::registry().data_source(
            "terraform_remote_state",
            remote_state::RemoteStateData { open },
        );
        BuiltinProvider { types }
    }

    fn registry() -> Registry<()> {
        Registry::new(Schema::new("The built-in provider has no configuration."))
            .resource("terraform_data", terraform_data::TerraformData)
            .resource("random_pet", random_pet::RandomPet)
            .resource("random_id", random_id::RandomId)
            .resource("random_password", random_password::RandomPassword)
            .resource("random_string", random_string::RandomString)
            .resource("random_integer", random_integer::RandomInteger)
            .resource("null_resource", null_resource::NullResource)
            .resource("local_file", local_file::LocalFile { sensitive: false })
            .resource(
                "local_sensitive_file",
                local_file::LocalFile { sensitive: true },
            )
            .resource("random_uuid", random_uuid::RandomUuid)
            .resource("random_shuffle", random_shuffle::RandomShuffle)
            .data_source("local_file", local_file::LocalFileData)
    }
}

#[async_trait::async_trait]
impl Provider for BuiltinProvider {
    fn name(&self) -> &str {
        "builtin"
    }

    fn schema(&self) -> &ProviderSchema {
        self.types.schema()
    }

    fn validate_resource(&self, type_name: &str, config: &Value) -> Vec<AttrDiagnostic> {
        self.types.validate(type_name, config)
    }

    fn plan_resource(&self, req: PlanRequest<'_>) -> PlanResponse {
        self.types.plan(req)
    }

    async fn apply_resource(&self, req: ApplyRequest<'_>) -> ApplyResult {
        self.types.apply(&(), req).await
    }

    fn has_remote_objects(&self, type_name: &str) -> bool {
        self.types.has_remote_objects(type_name)
    }

    async fn read_resources(
        &self,
        type_name: &str,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        self.types.read(&(), type_name, current).await
    }

    async fn read_data(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Value, Vec<AttrDiagnostic>> {
        self.types.read_data(&(), type_name, config).await
    }
}
