//! The AWS provider, on the official AWS SDK for Rust. Resource types and
//! attribute names follow the Terraform AWS provider.

mod deploy;
mod ec2;
mod elb;
mod net;
mod rds;
mod region;
mod schema;
mod secrets;
mod sg;
mod util;

use std::sync::Arc;

use iac_provider::{
    proposed_new, ApplyRequest, ApplyResult, AttrDiagnostic, PlanRequest, PlanResponse, Provider,
    ProviderSchema,
};
use iac_value::Value;
use tokio::sync::OnceCell;

/// SDK clients, made once the provider block is known.
pub(crate) struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub rds: aws_sdk_rds::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

/// Which AWS service a type belongs to.
enum Service {
    Deploy,
    Ec2,
    Elb,
    Rds,
    Secrets,
}

impl Service {
    fn of(type_name: &str) -> Service {
        if type_name == "deployment" {
            Service::Deploy
        } else if type_name.starts_with("aws_lb") {
            Service::Elb
        } else if type_name.starts_with("aws_db_") {
            Service::Rds
        } else if type_name.starts_with("aws_secretsmanager_") {
            Service::Secrets
        } else {
            Service::Ec2
        }
    }
}

pub struct AwsProvider {
    schema: ProviderSchema,
    config: std::sync::Mutex<Value>,
    clients: OnceCell<Result<Arc<Clients>, String>>,
}

impl Default for AwsProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl AwsProvider {
    pub fn new() -> AwsProvider {
        AwsProvider {
            schema: schema::provider_schema(),
            config: std::sync::Mutex::new(Value::Null),
            clients: OnceCell::new(),
        }
    }

    /// The clients, built on first use from the provider block and the standard
    /// SDK configuration (environment, profile). Instance metadata is never asked:
    /// with no credentials the error says how to get some.
    pub(crate) async fn clients(&self) -> Result<Arc<Clients>, AttrDiagnostic> {
        let config = self.config.lock().map(|c| c.clone()).unwrap_or(Value::Null);
        let r = self
            .clients
            .get_or_init(|| async move { util::build_clients(&config).await.map(Arc::new) })
            .await;
        r.clone()
            .map_err(|e| AttrDiagnostic::error(Vec::new(), "AWS is not configured", e))
    }
}

#[async_trait::async_trait]
impl Provider for AwsProvider {
    fn name(&self) -> &str {
        "aws"
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn new_instance(&self) -> Option<Arc<dyn Provider>> {
        Some(Arc::new(AwsProvider::new()))
    }

    async fn configure(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let refused = util::unsupported_settings(config);
        if !refused.is_empty() {
            return refused;
        }
        if let Ok(mut c) = self.config.lock() {
            *c = config.clone();
        }
        match self.clients().await {
            Ok(_) => Vec::new(),
            Err(d) => vec![d],
        }
    }

    fn validate_resource(&self, type_name: &str, config: &Value) -> Vec<AttrDiagnostic> {
        let type_name = schema::canonical(type_name);
        let mut out = ec2::validate(type_name, config);
        out.extend(elb::validate(type_name, config));
        out
    }

    fn plan_resource(&self, req: PlanRequest<'_>) -> PlanResponse {
        let req = PlanRequest {
            type_name: schema::canonical(req.type_name),
            ..req
        };
        let Some(schema) = self.schema.resources.get(req.type_name) else {
            return PlanResponse {
                planned: Value::Null,
                requires_replace: Vec::new(),
                diagnostics: vec![AttrDiagnostic::error(
                    Vec::new(),
                    "Unknown resource type",
                    req.type_name.to_string(),
                )],
                notes: Vec::new(),
            };
        };
        let mut planned = proposed_new(schema, req.prior, req.config);
        if req.type_name == "deployment" {
            deploy::normalize(&mut planned);
        }
        ec2::adjust_plan_sg(req.type_name, req.prior, req.config, &mut planned);
        let eq = |a: &Value, b: &Value| util::same(a, b);
        let mut requires_replace = match req.prior {
            Some(prior) => schema.replace_paths(prior, &planned, &eq),
            None => Vec::new(),
        };
        ec2::adjust_plan(
            req.type_name,
            req.prior,
            req.config,
            &mut planned,
            &mut requires_replace,
        );
        if req.prior.is_none() || !requires_replace.is_empty() {
            // A create computes every value the configuration leaves open.
            for (name, a) in &schema.attributes {
                if a.computed && req.config.get_attr(name).is_null() {
                    util::set(&mut planned, name, Value::Unknown);
                }
            }
        }
        let mut notes = Vec::new();
        let mut diagnostics = Vec::new();
        if req.type_name == "deployment" {
            deploy::plan(
                req.prior,
                req.config,
                &mut planned,
                &mut notes,
                &mut diagnostics,
            );
        }
        rds::plan_notes(
            req.type_name,
            req.prior,
            &planned,
            &requires_replace,
            &mut notes,
        );
        PlanResponse {
            planned,
            requires_replace,
            diagnostics,
            notes,
        }
    }

    async fn run_action(
        &self,
        type_name: &str,
        action: &str,
        prior: &Value,
    ) -> Result<Value, Vec<AttrDiagnostic>> {
        let clients = self.clients().await.map_err(|d| vec![d])?;
        match (schema::canonical(type_name), action) {
            ("deployment", "rollback") => deploy::rollback(&clients, prior).await,
            ("deployment", "status") => deploy::status(&clients, prior).await,
            _ => Err(vec![AttrDiagnostic::error(
                Vec::new(),
                format!("{type_name} has no action \"{action}\""),
                "",
            )]),
        }
    }

    fn check_delete(&self, type_name: &str, prior: &Value) -> Vec<AttrDiagnostic> {
        rds::check_delete(schema::canonical(type_name), prior)
    }

    async fn apply_resource(&self, req: ApplyRequest<'_>) -> ApplyResult {
        let clients = self.clients().await.map_err(|d| vec![d])?;
        let req = ApplyRequest {
            type_name: schema::canonical(req.type_name),
            ..req
        };
        match Service::of(req.type_name) {
            Service::Rds => rds::apply(&clients, req).await,
            Service::Deploy => {
                deploy::apply(&clients, req.prior, req.planned, req.idempotency_token).await
            }
            Service::Elb => elb::apply(&clients, req).await,
            Service::Secrets => secrets::apply(&clients, req).await,
            Service::Ec2 => ec2::apply(&clients, req).await,
        }
    }

    async fn read_resources(
        &self,
        type_name: &str,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let type_name = schema::canonical(type_name);
        match self.clients().await {
            Ok(c) => match Service::of(type_name) {
                Service::Rds => rds::read(&c, type_name, current).await,
                Service::Deploy => {
                    let mut out = Vec::new();
                    for v in current {
                        out.push(deploy::read(&c, v).await);
                    }
                    out
                }
                Service::Elb => elb::read(&c, type_name, current).await,
                Service::Secrets => secrets::read(&c, type_name, current).await,
                Service::Ec2 => ec2::read(&c, type_name, current).await,
            },
            Err(d) => current.iter().map(|_| Err(d.clone())).collect(),
        }
    }

    async fn read_data(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Value, Vec<AttrDiagnostic>> {
        let clients = self.clients().await.map_err(|d| vec![d])?;
        if matches!(type_name, "aws_region" | "aws_partition") {
            let region = clients
                .ec2
                .config()
                .region()
                .map(|r| r.as_ref().to_string())
                .unwrap_or_default();
            return region::read_data(type_name, &region, config);
        }
        match Service::of(type_name) {
            Service::Secrets => secrets::read_data(&clients, type_name, config).await,
            _ => ec2::read_data(&clients, type_name, config).await,
        }
    }
}
