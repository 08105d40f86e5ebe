//! The provider interface and schema types. No SDK here: providers get values
//! and return values, with problems reported by attribute path (the engine adds spans).

pub mod kit;

use std::collections::BTreeMap;

use iac_value::{Path, PathStep, Value};
use serde::Serialize;

/// The type of an attribute, as the schema declares it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrType {
    String,
    Number,
    Bool,
    List(Box<AttrType>),
    Set(Box<AttrType>),
    Map(Box<AttrType>),
    /// Any value (as `terraform_data.input`).
    Dynamic,
}

#[derive(Clone, Debug, Serialize)]
pub struct Attribute {
    #[serde(rename = "type")]
    pub ty: AttrType,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    /// A change to this attribute replaces the object.
    pub force_new: bool,
    pub sensitive: bool,
    pub description: &'static str,
}

impl Attribute {
    fn new(ty: AttrType, description: &'static str) -> Attribute {
        Attribute {
            ty,
            required: false,
            optional: false,
            computed: false,
            force_new: false,
            sensitive: false,
            description,
        }
    }
    pub fn required(ty: AttrType, description: &'static str) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(ty, description)
        }
    }
    pub fn optional(ty: AttrType, description: &'static str) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(ty, description)
        }
    }
    pub fn computed(ty: AttrType, description: &'static str) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(ty, description)
        }
    }
    /// Optional, and computed by the provider when not set.
    pub fn optional_computed(ty: AttrType, description: &'static str) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(ty, description)
        }
    }
    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Nesting {
    Single,
    List,
    Set,
}

#[derive(Clone, Debug, Serialize)]
pub struct NestedBlock {
    pub nesting: Nesting,
    pub min_items: usize,
    pub max_items: Option<usize>,
    pub force_new: bool,
    pub block: Schema,
}

/// The schema of a resource type, a data source or a provider configuration.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Schema {
    pub description: &'static str,
    pub attributes: BTreeMap<String, Attribute>,
    pub blocks: BTreeMap<String, NestedBlock>,
    /// Names this type has in Terraform's provider that iac does not offer,
    /// each with why: writing one is an error that says so, never ignored.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub not_supported: BTreeMap<String, &'static str>,
}

impl Schema {
    pub fn new(description: &'static str) -> Schema {
        Schema {
            description,
            ..Schema::default()
        }
    }

    pub fn attr(mut self, name: &str, a: Attribute) -> Schema {
        self.attributes.insert(name.to_string(), a);
        self
    }

    pub fn block(mut self, name: &str, b: NestedBlock) -> Schema {
        self.blocks.insert(name.to_string(), b);
        self
    }

    /// Names Terraform's provider has for this type that iac does not offer, and why.
    pub fn not_supported(mut self, names: &[&str], why: &'static str) -> Schema {
        for n in names {
            self.not_supported.insert(n.to_string(), why);
        }
        self
    }

    /// Marks every configurable attribute as forcing replacement (for objects AWS cannot change).
    pub fn force_all_new(mut self) -> Schema {
        for a in self.attributes.values_mut() {
            if a.optional || a.required {
                a.force_new = true;
            }
        }
        self
    }

    /// Paths of attributes that differ between prior and planned and force replacement.
    pub fn replace_paths(
        &self,
        prior: &Value,
        planned: &Value,
        eq: &dyn Fn(&Value, &Value) -> bool,
    ) -> Vec<Path> {
        let mut out = Vec::new();
        for (name, a) in &self.attributes {
            if a.force_new {
                let (p, n) = (prior.get_attr(name), planned.get_attr(name));
                if n.is_unknown() && !a.computed || !n.is_unknown() && !eq(p, n) {
                    out.push(vec![PathStep::Key(name.clone())]);
                }
            }
        }
        for (name, b) in &self.blocks {
            let (p, n) = (prior.get_attr(name), planned.get_attr(name));
            if b.force_new && !eq(p, n) {
                out.push(vec![PathStep::Key(name.clone())]);
                continue;
            }
            // A block's own force-new arguments replace the object too.
            if n.is_unknown() || !b.block.has_force_new() {
                continue;
            }
            let (pl, nl) = (
                p.as_list().unwrap_or_default(),
                n.as_list().unwrap_or_default(),
            );
            match b.nesting {
                Nesting::Single => {
                    for sub in b.block.replace_paths(p, n, eq) {
                        out.push([vec![PathStep::Key(name.clone())], sub].concat());
                    }
                }
                Nesting::List => {
                    for i in 0..pl.len().max(nl.len()) {
                        let (pi, ni) = (
                            pl.get(i).unwrap_or(&Value::Null),
                            nl.get(i).unwrap_or(&Value::Null),
                        );
                        for sub in b.block.replace_paths(pi, ni, eq) {
                            out.push(
                                [vec![PathStep::Key(name.clone()), PathStep::Index(i)], sub]
                                    .concat(),
                            );
                        }
                    }
                }
                // Set elements have no positions: they are matched by what their
                // force-new arguments hold, and one with no match replaces.
                Nesting::Set => {
                    let matched = |x: &Value, among: &[Value]| {
                        among
                            .iter()
                            .any(|y| b.block.replace_paths(y, x, eq).is_empty())
                    };
                    if !nl.iter().all(|x| matched(x, pl)) || !pl.iter().all(|x| matched(x, nl)) {
                        out.push(vec![PathStep::Key(name.clone())]);
                    }
                }
            }
        }
        out
    }

    /// Whether any argument here or in a nested block forces replacement.
    pub fn has_force_new(&self) -> bool {
        self.attributes.values().any(|a| a.force_new)
            || self
                .blocks
                .values()
                .any(|b| b.force_new || b.block.has_force_new())
    }

    /// Whether the attribute at this top-level name is sensitive.
    pub fn is_sensitive(&self, name: &str) -> bool {
        self.attributes.get(name).is_some_and(|a| a.sensitive)
    }
}

/// Everything a provider offers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProviderSchema {
    pub provider: Schema,
    pub resources: BTreeMap<String, Schema>,
    pub data_sources: BTreeMap<String, Schema>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A problem reported by a provider, located by attribute path.
#[derive(Clone, Debug, PartialEq)]
pub struct AttrDiagnostic {
    pub severity: Severity,
    pub path: Path,
    pub summary: String,
    pub detail: String,
}

impl AttrDiagnostic {
    pub fn error(
        path: Path,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> AttrDiagnostic {
        AttrDiagnostic {
            severity: Severity::Error,
            path,
            summary: summary.into(),
            detail: detail.into(),
        }
    }
}

pub struct PlanRequest<'a> {
    pub type_name: &'a str,
    pub prior: Option<&'a Value>,
    /// The evaluated configuration, with unknowns.
    pub config: &'a Value,
}

pub struct PlanResponse {
    pub planned: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<Path>,
    pub diagnostics: Vec<AttrDiagnostic>,
    /// What the change will do that the diff does not show, for the plan
    /// ("the database restarts: a few minutes of downtime").
    pub notes: Vec<String>,
}

pub struct ApplyRequest<'a> {
    pub type_name: &'a str,
    pub prior: Option<&'a Value>,
    /// `None` deletes the object.
    pub planned: Option<&'a Value>,
    /// The configuration as written: where `planned` holds the prior's
    /// fingerprint of a secret that did not change, this has its plaintext (as
    /// the configuration gives it), for an API that wants the secret with every
    /// call.
    pub config: &'a Value,
    /// Stable across retries and resumed applies of the same planned change, so a
    /// create that AWS already carried out is not carried out twice.
    pub idempotency_token: &'a str,
    /// Where an operation that runs for long says what it is doing, a line at a
    /// time (a deployment's hooks); the engine shows each line under the object's
    /// address. Providers never print.
    pub output: Option<&'a (dyn Fn(&str) + Send + Sync)>,
}

pub type ApplyResult = Result<Option<Value>, Vec<AttrDiagnostic>>;

/// A provider: schema, planning and the calls that change the world.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    fn name(&self) -> &str;

    fn schema(&self) -> &ProviderSchema;

    /// A new, unconfigured instance, for another configuration of this provider
    /// (an aliased `provider` block). `None`: the provider has no settings, so one
    /// instance serves every configuration.
    fn new_instance(&self) -> Option<std::sync::Arc<dyn Provider>> {
        None
    }

    /// Receives the `provider` block's configuration.
    async fn configure(&self, _config: &Value) -> Vec<AttrDiagnostic> {
        Vec::new()
    }

    /// A type this provider does not offer but the Terraform provider it
    /// stands for has: why it is missing (for the error that names it, instead
    /// of guessing at another type). `None`: the type is unknown here.
    fn missing_type(&self, _type_name: &str, _data: bool) -> Option<String> {
        None
    }

    /// Checks a configuration beyond what the schema says.
    fn validate_resource(&self, _type_name: &str, _config: &Value) -> Vec<AttrDiagnostic> {
        Vec::new()
    }

    /// Proposes the planned value: config plus computed attributes (unknown where
    /// they will change), and which changed attributes force replacement.
    fn plan_resource(&self, req: PlanRequest<'_>) -> PlanResponse;

    /// Runs a named operation on an existing object outside plan and apply (a
    /// deployment's `rollback`, its `status`); returns the object's new value.
    /// `output`, as in `ApplyRequest`, takes the lines a long action says.
    async fn run_action(
        &self,
        type_name: &str,
        action: &str,
        _prior: &Value,
        _output: Option<&(dyn for<'s> Fn(&'s str) + Send + Sync)>,
    ) -> Result<Value, Vec<AttrDiagnostic>> {
        Err(vec![AttrDiagnostic::error(
            Vec::new(),
            format!("{type_name} has no action \"{action}\""),
            "",
        )])
    }

    /// Refuses, at plan time, to delete an object that must not or cannot be
    /// deleted as it stands (a database with deletion protection, say).
    fn check_delete(&self, _type_name: &str, _prior: &Value) -> Vec<AttrDiagnostic> {
        Vec::new()
    }

    /// Creates, updates or deletes one object.
    async fn apply_resource(&self, req: ApplyRequest<'_>) -> ApplyResult;

    /// Whether objects of this type exist outside of state and must be read back
    /// on refresh (false for values that live only in state, like `terraform_data`).
    fn has_remote_objects(&self, _type_name: &str) -> bool {
        true
    }

    /// Reads the current objects, in batches where the API allows; `None` means gone.
    async fn read_resources(
        &self,
        type_name: &str,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>>;

    /// Reads a data source.
    async fn read_data(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Value, Vec<AttrDiagnostic>>;
}

/// Terraform's "proposed new state": configured values where set, prior values for
/// computed attributes the configuration leaves unset, `Unknown` for new computed ones.
pub fn proposed_new(schema: &Schema, prior: Option<&Value>, config: &Value) -> Value {
    // An unchanged object (most of a plan) is its prior: a copy that shares the
    // prior's map, and that later comparisons with the prior find equal at once.
    if let Some(p) = prior.filter(|p| proposes_prior(schema, p, config)) {
        return p.clone();
    }
    build_proposed_new(schema, prior, config)
}

/// [`proposed_new`], built.
fn build_proposed_new(schema: &Schema, prior: Option<&Value>, config: &Value) -> Value {
    // Collected, then built in one pass (the schema's names come sorted): cheaper
    // than a search per insertion.
    let mut out: Vec<(String, Value)> =
        Vec::with_capacity(schema.attributes.len() + schema.blocks.len());
    for (name, a) in &schema.attributes {
        let c = config.get_attr(name);
        let v = if !c.is_null() {
            c.clone()
        } else if a.computed {
            match prior {
                Some(p) => p.get_attr(name).clone(),
                None => Value::Unknown,
            }
        } else {
            Value::Null
        };
        let v = if a.sensitive && !v.is_null() {
            v.sensitive()
        } else {
            v
        };
        out.push((name.clone(), v));
    }
    for (name, b) in &schema.blocks {
        let c = config.get_attr(name);
        // Blocks in a list line up with the prior's by position: their computed
        // attributes keep the prior's values too (or become unknown).
        let v = match (&b.nesting, c.as_list()) {
            (Nesting::List, Some(items)) if !c.is_unknown() => {
                let prior_items = prior.and_then(|p| p.get_attr(name).as_list());
                Value::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            if item.as_map().is_none() {
                                return item.clone();
                            }
                            let pi = prior_items.and_then(|l| l.get(i));
                            proposed_new(&b.block, pi, item)
                        })
                        .collect(),
                )
            }
            _ => c.clone(),
        };
        out.push((name.clone(), v));
    }
    Value::Map(out.into_iter().collect())
}

/// Whether [`proposed_new`] would build a value identical to `prior` (so that
/// `prior` itself can be the answer), found without building anything.
fn proposes_prior(schema: &Schema, prior: &Value, config: &Value) -> bool {
    let Value::Map(p) = prior else {
        return false;
    };
    if p.len() != schema.attributes.len() + schema.blocks.len() {
        return false;
    }
    // The value `v` after `proposed_new` marks it (when `mark`) is `pv`.
    let marked_is = |v: &Value, mark: bool, pv: &Value| {
        if !mark || v.is_null() || matches!(v, Value::Sensitive(_) | Value::Redacted(_)) {
            v.identical(pv)
        } else {
            matches!(pv, Value::Sensitive(inner) if v.identical(inner))
        }
    };
    let attributes_same = schema.attributes.iter().all(|(name, a)| {
        let Some(pv) = p.get(name) else {
            return false;
        };
        let c = config.get_attr(name);
        if !c.is_null() {
            marked_is(c, a.sensitive, pv)
        } else if a.computed {
            marked_is(pv, a.sensitive, pv)
        } else {
            matches!(pv, Value::Null)
        }
    });
    attributes_same
        && schema.blocks.iter().all(|(name, b)| {
            let Some(pv) = p.get(name) else {
                return false;
            };
            let c = config.get_attr(name);
            match (&b.nesting, c.as_list()) {
                (Nesting::List, Some(items)) if !c.is_unknown() => {
                    let Value::List(prior_items) = pv else {
                        return false;
                    };
                    items.len() == prior_items.len()
                        && items.iter().zip(prior_items).all(|(item, pi)| {
                            if item.as_map().is_none() {
                                item.identical(pi)
                            } else {
                                proposes_prior(&b.block, pi, item)
                            }
                        })
                }
                _ => c.identical(pv),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(computed: bool, sensitive: bool) -> Attribute {
        Attribute {
            computed,
            sensitive,
            ..Attribute::optional(AttrType::String, "")
        }
    }

    /// The shortcut answers "the prior" exactly when building would give a value
    /// identical to the prior, over configurations and priors that differ from
    /// each other in every way the shortcut looks at.
    #[test]
    fn the_prior_is_proposed_exactly_when_building_would_give_it() {
        let mut inner = Schema::default();
        inner.attributes.insert("port".into(), attr(false, false));
        inner.attributes.insert("arn".into(), attr(true, false));
        let mut schema = Schema::default();
        schema.attributes.insert("name".into(), attr(false, false));
        schema.attributes.insert("id".into(), attr(true, false));
        schema
            .attributes
            .insert("password".into(), attr(true, true));
        schema.blocks.insert(
            "rule".into(),
            NestedBlock {
                nesting: Nesting::List,
                block: inner,
                min_items: 0,
                max_items: None,
                force_new: false,
            },
        );
        let s = Value::string;
        let rule = |port: Value, arn: Value| Value::map([("port", port), ("arn", arn)]);
        let names = [Value::Null, s("a"), s("b"), Value::Unknown];
        let passwords = [
            Value::Null,
            s("p"),
            s("p").sensitive(),
            Value::Redacted("f".into()),
        ];
        let rules = [
            Value::Null,
            Value::List(vec![]),
            Value::List(vec![rule(Value::num(80), Value::Null)]),
            Value::List(vec![rule(Value::num(80), s("x"))]),
            Value::Set(vec![rule(Value::num(80), s("x"))]),
            Value::List(vec![rule(Value::num(443), s("x"))]),
            Value::List(vec![
                rule(Value::num(80.0), s("x")),
                rule(Value::num(1), s("y")),
            ]),
        ];
        let ids = [Value::Null, s("i-1"), Value::Unknown];
        let mut checked = (0, 0);
        for name in &names {
            for password in &passwords {
                for crules in &rules {
                    let config = Value::map([
                        ("name", name.clone()),
                        ("password", password.clone()),
                        ("rule", crules.clone()),
                    ]);
                    for pname in &names[..3] {
                        for pid in &ids {
                            for ppassword in &passwords {
                                for prules in &rules {
                                    let prior = Value::map([
                                        ("name", pname.clone()),
                                        ("id", pid.clone()),
                                        ("password", ppassword.clone()),
                                        ("rule", prules.clone()),
                                    ]);
                                    let built = build_proposed_new(&schema, Some(&prior), &config);
                                    let short = proposes_prior(&schema, &prior, &config);
                                    assert_eq!(
                                        short,
                                        built.identical(&prior),
                                        "config {config:?}\nprior {prior:?}\nbuilt {built:?}"
                                    );
                                    checked.0 += usize::from(short);
                                    checked.1 += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked.0 > 50 && checked.1 - checked.0 > 50, "{checked:?}");
        // A prior with a key the schema does not have is never the answer.
        let mut extra = build_proposed_new(&schema, None, &Value::map([("name", s("a"))]));
        if let Value::Map(m) = &mut extra {
            m.insert("other".into(), Value::Null);
        }
        assert!(!proposes_prior(
            &schema,
            &extra,
            &Value::map([("name", s("a"))])
        ));
    }

    /// A force-new argument inside a block replaces the object as one at the
    /// top does: in a list by position, in a set by matching elements on what
    /// their force-new arguments hold (so a change to another argument of an
    /// element is no replacement).
    #[test]
    fn force_new_arguments_of_blocks_replace() {
        let mut inner = Schema::default();
        inner
            .attributes
            .insert("device".into(), attr(false, false).force_new());
        inner.attributes.insert("tags".into(), attr(false, false));
        let block = |nesting| NestedBlock {
            nesting,
            block: inner.clone(),
            min_items: 0,
            max_items: None,
            force_new: false,
        };
        let mut schema = Schema::default();
        schema.blocks.insert("listed".into(), block(Nesting::List));
        schema
            .blocks
            .insert("unordered".into(), block(Nesting::Set));
        let item = |d: &str, t: &str| {
            Value::map([("device", Value::string(d)), ("tags", Value::string(t))])
        };
        let obj = |listed: Vec<Value>, unordered: Vec<Value>| {
            Value::map([
                ("listed", Value::List(listed)),
                ("unordered", Value::set(unordered)),
            ])
        };
        let eq = |a: &Value, b: &Value| a == b;
        let prior = obj(vec![item("a", "x")], vec![item("b", "x"), item("c", "x")]);
        let paths = |planned: &Value| -> Vec<String> {
            schema
                .replace_paths(&prior, planned, &eq)
                .iter()
                .map(|p| iac_value::path_to_string(p))
                .collect()
        };
        assert!(paths(&prior).is_empty());
        // Another argument changed, or set elements in another order: in place.
        assert!(paths(&obj(
            vec![item("a", "y")],
            vec![item("c", "y"), item("b", "x")]
        ))
        .is_empty());
        assert_eq!(
            paths(&obj(
                vec![item("z", "x")],
                vec![item("b", "x"), item("c", "x")]
            )),
            ["listed[0].device"]
        );
        assert_eq!(
            paths(&obj(
                vec![item("a", "x"), item("n", "x")],
                vec![item("b", "x"), item("c", "x")]
            )),
            ["listed[1].device"]
        );
        assert_eq!(
            paths(&obj(
                vec![item("a", "x")],
                vec![item("b", "x"), item("d", "x")]
            )),
            ["unordered"]
        );
        assert_eq!(
            paths(&obj(vec![item("a", "x")], vec![item("b", "x")])),
            ["unordered"]
        );
        // Not known yet: not a replacement by itself.
        let unknown = Value::map([("listed", Value::Unknown), ("unordered", Value::Unknown)]);
        assert!(paths(&unknown).is_empty());
    }
}
