//! The AWS provider, on the official AWS SDK for Rust. Resource types and
//! attribute names follow the Terraform AWS provider.

mod acm;
mod autoscaling;
mod cloudwatch;
mod deploy;
mod ec2;
mod elb;
mod iam;
mod instance_requirements;
mod kit;
mod kms;
mod logs;
mod net;
mod not_supported;
mod rds;
mod region;
mod regional;
mod route53;
mod route53_routing;
mod s3;
mod schema;
mod secretsmanager;
mod sg;
mod ssm;
mod sts;
mod tags;
mod timeouts;
mod util;

use std::sync::Arc;

use iac_provider::kit::Registry;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, PlanRequest, PlanResponse, Provider, ProviderSchema,
};
use iac_value::{PathStep, Value};
use tokio::sync::OnceCell;

/// SDK clients, made once the provider block is known.
pub(crate) struct Clients {
    pub acm: aws_sdk_acm::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub rds: aws_sdk_rds::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub iam: aws_sdk_iam::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub kms: aws_sdk_kms::Client,
    pub route53: aws_sdk_route53::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub sts: aws_sdk_sts::Client,
    /// Buckets (path-style against an endpoint override, as emulators need).
    pub s3: aws_sdk_s3::Client,
    /// The account of the credentials, asked of STS once, when an ARN needs it.
    pub account: OnceCell<Option<String>>,
    /// `skip_requesting_account_id`: never ask (ARNs that need the account are null).
    pub skip_account: bool,
}

impl Clients {
    /// The caller's account id (one `GetCallerIdentity` per provider configuration,
    /// only if some object needs it); `None` if STS cannot say.
    pub(crate) async fn account_id(&self) -> Option<String> {
        if self.skip_account {
            return None;
        }
        self.account
            .get_or_init(|| async {
                self.sts
                    .get_caller_identity()
                    .send()
                    .await
                    .ok()
                    .and_then(|o| o.account().map(String::from))
            })
            .await
            .clone()
    }
}

pub struct AwsProvider {
    /// Built on first use: a plan of no AWS resources never needs it.
    types: std::sync::OnceLock<Registry<Clients>>,
    config: std::sync::Mutex<Value>,
    /// `default_tags` and `ignore_tags` of the provider block (see `tags.rs`).
    tags: std::sync::Mutex<tags::TagSettings>,
    clients: OnceCell<Result<Arc<Clients>, String>>,
    /// Clients of the same configuration aimed at other regions (a `region`
    /// argument, see `regional.rs`), made on first use.
    elsewhere: std::sync::Mutex<std::collections::HashMap<String, Arc<Clients>>>,
}

impl Default for AwsProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl AwsProvider {
    pub fn new() -> AwsProvider {
        AwsProvider {
            types: std::sync::OnceLock::new(),
            config: std::sync::Mutex::new(Value::Null),
            tags: std::sync::Mutex::new(tags::TagSettings::default()),
            clients: OnceCell::new(),
            elsewhere: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn types(&self) -> &Registry<Clients> {
        self.types.get_or_init(kit::registry)
    }

    /// Whether a type has tags (and so `tags_all`).
    fn tagged(&self, type_name: &str) -> bool {
        self.types()
            .schema()
            .resources
            .get(type_name)
            .is_some_and(|s| s.attributes.contains_key("tags_all"))
    }

    fn tag_settings(&self) -> tags::TagSettings {
        self.tags.lock().map(|t| t.clone()).unwrap_or_default()
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

    /// The configuration's region, once it is configured.
    fn configured_region(&self) -> Option<String> {
        match self.clients.get() {
            Some(Ok(c)) => Some(ec2::region(c)),
            _ => None,
        }
    }

    /// The clients for an object in `region` (the configuration's own when
    /// `None`): the same credentials, endpoints and settings, aimed there.
    pub(crate) async fn clients_in(
        &self,
        region: Option<&str>,
    ) -> Result<Arc<Clients>, AttrDiagnostic> {
        let base = self.clients().await?;
        let Some(region) = region.filter(|r| *r != ec2::region(&base)) else {
            return Ok(base);
        };
        if let Some(c) = self
            .elsewhere
            .lock()
            .ok()
            .and_then(|m| m.get(region).cloned())
        {
            return Ok(c);
        }
        let mut config = self.config.lock().map(|c| c.clone()).unwrap_or(Value::Null);
        if let Value::Map(m) = &mut config {
            m.insert("region".to_string(), Value::string(region));
        } else {
            config = Value::map([("region", Value::string(region))]);
        }
        let built = util::build_clients(&config)
            .await
            .map(Arc::new)
            .map_err(|e| {
                AttrDiagnostic::error(Vec::new(), format!("AWS is not configured for {region}"), e)
            })?;
        if let Ok(mut m) = self.elsewhere.lock() {
            m.entry(region.to_string()).or_insert_with(|| built.clone());
        }
        Ok(built)
    }
}

impl AwsProvider {
    async fn apply_unlimited(&self, req: ApplyRequest<'_>) -> ApplyResult {
        // The object's region: where it is to be (create, update), or where it is (delete).
        let at = req.planned.or(req.prior).and_then(regional::of);
        let clients = self.clients_in(at).await.map_err(|d| vec![d])?;
        let schema = self.types().schema().resources.get(req.type_name);
        let planned = req.planned.cloned().unwrap_or(Value::Null);
        if !self.tagged(req.type_name) {
            let r = self.types().apply(&clients, req).await?;
            return Ok(r.map(|v| keep_config_only(v, &planned, schema)));
        }
        // The type writes tags_all (see tags.rs).
        let prior = req.prior.map(tags::TagSettings::to_type);
        let as_type = req.planned.map(tags::TagSettings::to_type);
        let owned = req
            .planned
            .map(|p| p.get_attr("tags").clone())
            .unwrap_or(Value::Null);
        let r = self
            .types()
            .apply(
                &clients,
                ApplyRequest {
                    prior: prior.as_ref(),
                    planned: as_type.as_ref(),
                    ..req
                },
            )
            .await?;
        let settings = self.tag_settings();
        let settings = settings.for_object(&planned);
        Ok(r.map(|v| keep_config_only(settings.read_back(v, &owned), &planned, schema)))
    }
}

impl AwsProvider {
    /// Reads objects in batches per region (most are all in the configuration's).
    async fn read_unlimited(
        &self,
        type_name: &str,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let first = current.first().and_then(regional::of);
        if current.iter().all(|v| regional::of(v) == first) {
            return self.read_in(first, type_name, current).await;
        }
        let mut by_region: std::collections::BTreeMap<Option<&str>, Vec<usize>> =
            std::collections::BTreeMap::new();
        for (i, v) in current.iter().enumerate() {
            by_region.entry(regional::of(v)).or_default().push(i);
        }
        let mut out: Vec<Option<Result<Option<Value>, AttrDiagnostic>>> =
            current.iter().map(|_| None).collect();
        for (region, at) in by_region {
            let these: Vec<Value> = at.iter().map(|&i| current[i].clone()).collect();
            for (i, r) in at
                .into_iter()
                .zip(self.read_in(region, type_name, &these).await)
            {
                out[i] = Some(r);
            }
        }
        out.into_iter().map(|r| r.unwrap_or(Ok(None))).collect()
    }

    async fn read_in(
        &self,
        region: Option<&str>,
        type_name: &str,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let c = match self.clients_in(region).await {
            Ok(c) => c,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        let results = if !self.tagged(type_name) {
            self.types().read(&c, type_name, current).await
        } else {
            let as_type: Vec<Value> = current.iter().map(tags::TagSettings::to_type).collect();
            let settings = self.tag_settings();
            self.types()
                .read(&c, type_name, &as_type)
                .await
                .into_iter()
                .zip(current)
                .map(|(r, cur)| {
                    let settings = settings.for_object(cur);
                    r.map(|o| o.map(|v| settings.read_back(v, cur.get_attr("tags"))))
                })
                .collect()
        };
        // What only the configuration knows (a name prefix, a delete option) and a
        // type's read does not return stays as state has it.
        let schema = self.types().schema().resources.get(type_name);
        results
            .into_iter()
            .zip(current)
            .map(|(r, cur)| r.map(|o| o.map(|v| keep_config_only(v, cur, schema))))
            .collect()
    }
}

/// `allowed_account_ids` / `forbidden_account_ids`: the account the credentials
/// act in, asked of STS, must be allowed (before anything is read or changed).
async fn account_allowed(c: &Clients, config: &Value) -> Vec<AttrDiagnostic> {
    let list = |name: &str| -> Vec<String> {
        config
            .get_attr(name)
            .as_list()
            .map(|l| {
                l.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (allowed, forbidden) = (list("allowed_account_ids"), list("forbidden_account_ids"));
    if allowed.is_empty() && forbidden.is_empty() {
        return Vec::new();
    }
    let account = match c.sts.get_caller_identity().send().await {
        Ok(o) => o.account().unwrap_or_default().to_string(),
        Err(e) => return vec![util::sdk_err("GetCallerIdentity", e)],
    };
    let refuse = |attr: &str, why: String| vec![util::attr_err(attr, "Wrong AWS account", why)];
    if !allowed.is_empty() && !allowed.contains(&account) {
        return refuse(
            "allowed_account_ids",
            format!("the credentials act in account {account}, which allowed_account_ids does not list; nothing was read or changed"),
        );
    }
    if forbidden.contains(&account) {
        return refuse(
            "forbidden_account_ids",
            format!("the credentials act in account {account}, which forbidden_account_ids lists; nothing was read or changed"),
        );
    }
    Vec::new()
}

/// Every type of Terraform's AWS provider (`terraform_types.txt`).
const TERRAFORM_TYPES: &str = include_str!("terraform_types.txt");

#[async_trait::async_trait]
impl Provider for AwsProvider {
    fn name(&self) -> &str {
        "aws"
    }

    fn schema(&self) -> &ProviderSchema {
        self.types().schema()
    }

    fn new_instance(&self) -> Option<Arc<dyn Provider>> {
        Some(Arc::new(AwsProvider::new()))
    }

    fn missing_type(&self, type_name: &str, data: bool) -> Option<String> {
        let kind = if data { "data " } else { "resource " };
        TERRAFORM_TYPES
            .lines()
            .chain(not_supported::PROVIDER_6_TYPES.iter().copied())
            .any(|l| l.strip_prefix(kind) == Some(type_name))
            .then(|| {
                format!(
                    "Terraform's AWS provider has it; iac has {} AWS {} types so far (`iac providers schema -json` lists them)",
                    if data {
                        self.types().schema().data_sources.len()
                    } else {
                        self.types().schema().resources.len()
                    },
                    if data { "data source" } else { "resource" },
                )
            })
    }

    async fn configure(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let refused = util::unsupported_settings(config);
        if !refused.is_empty() {
            return refused;
        }
        if let Ok(mut c) = self.config.lock() {
            *c = config.clone();
        }
        if let Ok(mut t) = self.tags.lock() {
            *t = tags::TagSettings::from_config(config);
        }
        match self.clients().await {
            Ok(c) => account_allowed(&c, config).await,
            Err(d) => vec![d],
        }
    }

    fn validate_resource(&self, type_name: &str, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = self.types().validate(type_name, config);
        out.extend(timeouts::validate(config));
        out
    }

    fn plan_resource(&self, req: PlanRequest<'_>) -> PlanResponse {
        let tagged = self.tagged(req.type_name);
        let same_region =
            regional::same_region_as_prior(|| self.configured_region(), req.prior, req.config);
        let req = PlanRequest {
            config: same_region.as_ref().unwrap_or(req.config),
            ..req
        };
        let config = req.config;
        let mut r = self.types().plan(req);
        if tagged {
            let settings = self.tag_settings();
            settings.for_object(config).plan(&mut r.planned);
            r.requires_replace.retain(
                |p| !matches!(p.first(), Some(iac_value::PathStep::Key(k)) if k == "tags_all"),
            );
        }
        r
    }

    async fn run_action(
        &self,
        type_name: &str,
        action: &str,
        prior: &Value,
        output: Option<&(dyn for<'s> Fn(&'s str) + Send + Sync)>,
    ) -> Result<Value, Vec<AttrDiagnostic>> {
        let clients = self.clients().await.map_err(|d| vec![d])?;
        match (schema::canonical(type_name), action) {
            ("deployment", "rollback") => deploy::rollback(&clients, prior).await,
            ("deployment", "promote") => deploy::promote(&clients, prior, output).await,
            ("deployment", "abort") => deploy::abort(&clients, prior).await,
            ("deployment", "status") => deploy::status(&clients, prior).await,
            _ => Err(vec![AttrDiagnostic::error(
                Vec::new(),
                format!("{type_name} has no action \"{action}\""),
                "",
            )]),
        }
    }

    fn check_delete(&self, type_name: &str, prior: &Value) -> Vec<AttrDiagnostic> {
        self.types().check_delete(type_name, prior)
    }

    /// Within the limit the resource's `timeouts` block sets for the operation.
    async fn apply_resource(&self, req: ApplyRequest<'_>) -> ApplyResult {
        let (op, limited_by) = match (req.prior, req.planned) {
            (None, _) => ("create", req.planned),
            (Some(_), Some(_)) => ("update", req.planned),
            (Some(_), None) => ("delete", req.prior),
        };
        let Some((limit, text)) = timeouts::limit(op, limited_by) else {
            return self.apply_unlimited(req).await;
        };
        match tokio::time::timeout(limit, self.apply_unlimited(req)).await {
            Ok(r) => r,
            Err(_) => Err(vec![AttrDiagnostic::error(
                Vec::new(),
                format!("Timed out: the {op} did not finish within {text}"),
                format!("timeouts.{op} is {text}; what AWS already did stays (the next plan reads it): raise the limit and apply again"),
            )]),
        }
    }

    /// Within the longest `timeouts.read` of the objects read together, if any sets one.
    async fn read_resources(
        &self,
        type_name: &str,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let limit = current
            .iter()
            .filter_map(|v| timeouts::limit("read", Some(v)))
            .max_by_key(|(d, _)| *d);
        let Some((limit, text)) = limit else {
            return self.read_unlimited(type_name, current).await;
        };
        match tokio::time::timeout(limit, self.read_unlimited(type_name, current)).await {
            Ok(r) => r,
            Err(_) => {
                let d = AttrDiagnostic::error(
                    Vec::new(),
                    format!("Timed out: reading {type_name} did not finish within {text}"),
                    format!("timeouts.read is {text}"),
                );
                current.iter().map(|_| Err(d.clone())).collect()
            }
        }
    }

    async fn read_data(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Value, Vec<AttrDiagnostic>> {
        let clients = self
            .clients_in(regional::of(config))
            .await
            .map_err(|d| vec![d])?;
        let read = async {
            let mut v = self.types().read_data(&clients, type_name, config).await?;
            // As written: the region looked in.
            if let Value::Map(m) = &mut v {
                if let Some(r) = config.as_map().and_then(|c| c.get("region")) {
                    m.entry("region".to_string()).or_insert_with(|| r.clone());
                }
            }
            Ok(v)
        };
        let limit = config.get_attr("timeouts").get_attr("read").as_str();
        let Some(text) = limit else {
            return read.await;
        };
        let limit = timeouts::parse(text).map_err(|e| {
            let at = vec![
                PathStep::Key("timeouts".into()),
                PathStep::Key("read".into()),
            ];
            vec![AttrDiagnostic::error(at, "Invalid duration", e)]
        })?;
        match tokio::time::timeout(limit, read).await {
            Ok(r) => r,
            Err(_) => Err(vec![AttrDiagnostic::error(
                Vec::new(),
                format!("Timed out: reading {type_name} did not finish within {text}"),
                format!("timeouts.read is {text}"),
            )]),
        }
    }
}

/// Fills in, from `current`, the configurable attributes a read left out entirely.
fn keep_config_only(mut v: Value, current: &Value, schema: Option<&iac_provider::Schema>) -> Value {
    let (Some(schema), Value::Map(m), Some(cur)) = (schema, &mut v, current.as_map()) else {
        return v;
    };
    for (name, a) in &schema.attributes {
        if (a.optional || a.required) && !m.contains_key(name) {
            if let Some(x) = cur.get(name) {
                m.insert(name.clone(), x.clone());
            }
        }
    }
    for name in schema.blocks.keys() {
        if !m.contains_key(name) {
            if let Some(x) = cur.get(name) {
                m.insert(name.clone(), x.clone());
            }
        }
    }
    v
}
