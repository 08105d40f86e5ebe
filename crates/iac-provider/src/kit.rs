//! The resource kit: a provider as a registry of types. Each resource type (one
//! file of its own in a provider) holds its schema and its life cycle, and
//! implements only what it needs: validation, plan adjustments, a delete check,
//! create, update, delete and a batched read all have defaults. A provider
//! registers each type with one line and answers the engine through the registry.
//!
//! `C` is what the provider's types share (SDK clients, a connection): each call
//! gets it from the provider.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use iac_value::Value;

use crate::{
    proposed_new, ApplyRequest, ApplyResult, AttrDiagnostic, PlanRequest, PlanResponse,
    ProviderSchema, Schema,
};

/// Terraform's plan for a type that adds nothing of its own: the proposed new
/// value, the attributes whose change forces replacement, and, for a create or a
/// replacement, every value the provider computes unknown.
pub fn default_plan(schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
    let mut planned = proposed_new(schema, req.prior, req.config);
    let eq = |a: &Value, b: &Value| a == b;
    let requires_replace = match req.prior {
        Some(prior) => schema.replace_paths(prior, &planned, &eq),
        None => Vec::new(),
    };
    if req.prior.is_none() || !requires_replace.is_empty() {
        if let Value::Map(m) = &mut planned {
            for (name, a) in &schema.attributes {
                if a.computed && !a.optional {
                    let v = if a.sensitive {
                        Value::Unknown.sensitive()
                    } else {
                        Value::Unknown
                    };
                    m.insert(name.clone(), v);
                }
            }
        }
    }
    PlanResponse {
        planned,
        requires_replace,
        diagnostics: Vec::new(),
        notes: Vec::new(),
    }
}

/// One resource type.
#[async_trait::async_trait]
pub trait ResourceType<C: Send + Sync>: Send + Sync {
    fn schema(&self) -> Schema;

    /// Checks a configuration beyond what the schema says.
    fn validate(&self, _config: &Value) -> Vec<AttrDiagnostic> {
        Vec::new()
    }

    /// The planned value; `default_plan` unless the type knows more.
    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        default_plan(schema, req)
    }

    /// Refuses, at plan time, to delete an object as it stands.
    fn check_delete(&self, _prior: &Value) -> Vec<AttrDiagnostic> {
        Vec::new()
    }

    /// Whether objects exist outside state (false: state is the truth, nothing to read).
    fn has_remote_objects(&self) -> bool {
        true
    }

    async fn create(&self, ctx: &C, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult;

    /// An update in place: by default the planned value is the new one.
    async fn update(
        &self,
        _ctx: &C,
        _prior: &Value,
        planned: &Value,
        _req: &ApplyRequest<'_>,
    ) -> ApplyResult {
        Ok(Some(planned.clone()))
    }

    /// By default there is nothing to delete outside state.
    async fn delete(
        &self,
        _ctx: &C,
        _prior: &Value,
        _req: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        Ok(())
    }

    /// Reads the current objects, in batches where the API allows; `None` means gone.
    /// By default state is the truth.
    async fn read(
        &self,
        _ctx: &C,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        current.iter().map(|v| Ok(Some(v.clone()))).collect()
    }
}

/// One data source.
#[async_trait::async_trait]
pub trait DataSourceType<C: Send + Sync>: Send + Sync {
    fn schema(&self) -> Schema;
    async fn read(&self, ctx: &C, config: &Value) -> Result<Value, Vec<AttrDiagnostic>>;
}

/// A provider's types, by name, with the schema the engine sees.
pub struct Registry<C: Send + Sync> {
    schema: ProviderSchema,
    // Found by name on every call of every instance: hashed, not searched.
    resources: FxHashMap<String, Arc<dyn ResourceType<C>>>,
    data_sources: FxHashMap<String, Arc<dyn DataSourceType<C>>>,
    unset_is_zero: bool,
}

/// See `Registry::unset_is_zero`.
fn keep_prior_zeroes(schema: &Schema, prior: &Value, config: &Value, resp: &mut PlanResponse) {
    for (name, a) in &schema.attributes {
        if !a.optional {
            continue;
        }
        let (before, written) = (prior.get_attr(name), config.get_attr(name));
        let same = if a.computed {
            // Optional and Computed: an empty collection written is unset too,
            // and leaves what the object has (the SDK's GetOk sees none); so is
            // a zero written where the object has nothing (the SDK would hold
            // that zero).
            let collection = matches!(written, Value::List(_) | Value::Set(_));
            let scalar = !collection && !matches!(written, Value::Map(_));
            written.is_zero() && (collection || (scalar && before.is_null()))
        } else {
            // A prior zero with nothing written, and the other way round: a
            // zero written where state has nothing (a module passing its
            // default `[]`, `0` or `false` through).
            (before.is_zero() && written.is_null() && resp.planned.get_attr(name).is_null())
                || (before.is_null() && written.is_zero())
        };
        if !same || (!written.is_null() && resp.planned.get_attr(name) != written) {
            continue;
        }
        if let Value::Map(m) = &mut resp.planned {
            m.insert(name.clone(), before.clone());
        }
        if !a.computed {
            resp.requires_replace
                .retain(|p| !matches!(p.as_slice(), [iac_value::PathStep::Key(k)] if k == name));
        }
    }
}

fn unknown_type(type_name: &str) -> AttrDiagnostic {
    AttrDiagnostic::error(Vec::new(), "Unknown resource type", type_name.to_string())
}

impl<C: Send + Sync> Registry<C> {
    pub fn new(provider: Schema) -> Registry<C> {
        Registry {
            schema: ProviderSchema {
                provider,
                ..ProviderSchema::default()
            },
            resources: FxHashMap::default(),
            data_sources: FxHashMap::default(),
            unset_is_zero: false,
        }
    }

    /// An optional attribute left unset equals its zero value (`false`, `0`, `""`,
    /// empty): a prior zero with nothing configured is no change, and so is a
    /// zero written where the prior has nothing. This is how
    /// Terraform's plugin SDK sees them (it cannot store null), so objects whose
    /// state Terraform wrote (`false` where iac would keep null) plan no change.
    pub fn unset_is_zero(mut self) -> Registry<C> {
        self.unset_is_zero = true;
        self
    }

    /// Registers a resource type.
    pub fn resource(mut self, name: &str, t: impl ResourceType<C> + 'static) -> Registry<C> {
        self.schema.resources.insert(name.to_string(), t.schema());
        self.resources.insert(name.to_string(), Arc::new(t));
        self
    }

    /// Registers a data source.
    pub fn data_source(mut self, name: &str, t: impl DataSourceType<C> + 'static) -> Registry<C> {
        self.schema
            .data_sources
            .insert(name.to_string(), t.schema());
        self.data_sources.insert(name.to_string(), Arc::new(t));
        self
    }

    pub fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    /// A pass over every registered schema (attributes the provider adds to
    /// all types of a kind, such as `tags_all`).
    pub fn with_schemas(mut self, f: impl FnOnce(&mut ProviderSchema)) -> Registry<C> {
        f(&mut self.schema);
        self
    }

    pub fn validate(&self, type_name: &str, config: &Value) -> Vec<AttrDiagnostic> {
        self.resources
            .get(type_name)
            .map(|t| t.validate(config))
            .unwrap_or_default()
    }

    pub fn plan(&self, req: PlanRequest<'_>) -> PlanResponse {
        match (
            self.resources.get(req.type_name),
            self.schema.resources.get(req.type_name),
        ) {
            (Some(t), Some(schema)) => {
                let mut resp = t.plan(schema, &req);
                if let (true, Some(prior)) = (self.unset_is_zero, req.prior) {
                    keep_prior_zeroes(schema, prior, req.config, &mut resp);
                }
                resp
            }
            _ => PlanResponse {
                planned: Value::Null,
                requires_replace: Vec::new(),
                diagnostics: vec![unknown_type(req.type_name)],
                notes: Vec::new(),
            },
        }
    }

    pub fn check_delete(&self, type_name: &str, prior: &Value) -> Vec<AttrDiagnostic> {
        self.resources
            .get(type_name)
            .map(|t| t.check_delete(prior))
            .unwrap_or_default()
    }

    pub fn has_remote_objects(&self, type_name: &str) -> bool {
        self.resources
            .get(type_name)
            .is_none_or(|t| t.has_remote_objects())
    }

    /// Creates, updates or deletes one object, as the request says.
    pub async fn apply(&self, ctx: &C, req: ApplyRequest<'_>) -> ApplyResult {
        let Some(t) = self.resources.get(req.type_name) else {
            return Err(vec![unknown_type(req.type_name)]);
        };
        match (req.prior, req.planned) {
            (None, Some(planned)) => t.create(ctx, planned, &req).await,
            (Some(prior), Some(planned)) => t.update(ctx, prior, planned, &req).await,
            (Some(prior), None) => t.delete(ctx, prior, &req).await.map(|_| None),
            (None, None) => Ok(None),
        }
    }

    pub async fn read(
        &self,
        ctx: &C,
        type_name: &str,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        match self.resources.get(type_name) {
            Some(t) => t.read(ctx, current).await,
            None => current
                .iter()
                .map(|_| Err(unknown_type(type_name)))
                .collect(),
        }
    }

    pub async fn read_data(
        &self,
        ctx: &C,
        type_name: &str,
        config: &Value,
    ) -> Result<Value, Vec<AttrDiagnostic>> {
        match self.data_sources.get(type_name) {
            Some(t) => t.read(ctx, config).await,
            None => Err(vec![unknown_type(type_name)]),
        }
    }
}
