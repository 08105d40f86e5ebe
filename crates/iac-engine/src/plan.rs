//! The plan walk: evaluates every declaration in dependency order and decides,
//! for every resource instance, what apply must do and why.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use iac_config::{EvalContext, Mode, Module, Resource};
use iac_diagnostics::{did_you_mean, Diagnostic, Diagnostics};
use iac_plan::{
    decide_action, Action, ActionInputs, OutputChange, Plan, PlanMode, Reason, ResourceChange,
};
use iac_provider::{proposed_new, PlanRequest};
use iac_state::State;
use iac_value::addr::{AddrPattern, InstanceAddr, InstanceKey, ResourceAddr, ResourceMode};
use iac_value::{Fingerprinter, Path, PathStep, Value};
use petgraph::graph::NodeIndex;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::decode::{eval_body, provider_diagnostic};
use crate::evaluate::{EvalInput, Evaluator};
use crate::graph::{module_tree, ModPath, NodeKey};
use crate::scope::{aggregate, Repetition, Values};
use crate::{Engine, PlanInput, PlanOutput};

pub(crate) fn resource_addr(path: &ModPath, r: &Resource) -> ResourceAddr {
    ResourceAddr {
        module: path.clone(),
        mode: if r.mode == Mode::Data {
            ResourceMode::Data
        } else {
            ResourceMode::Managed
        },
        ty: r.ty.clone(),
        name: r.name.clone(),
    }
}

pub(crate) fn node_address(k: &NodeKey) -> String {
    match k {
        // The common case, without the formatting machinery.
        NodeKey::Resource(m, key) if m.is_empty() => key.clone(),
        _ => k.to_string(),
    }
}

/// Replaces sensitive configuration values that match the prior's fingerprints
/// with the prior's redacted values, so an unchanged secret is not a change.
pub(crate) fn normalize(config: Value, prior: &Value, fp: &Fingerprinter) -> Value {
    match (config, prior) {
        (c, Value::Redacted(_)) if fp.equivalent(&c, prior) => prior.clone(),
        (Value::Map(mut m), Value::Map(p)) => {
            for (k, v) in m.iter_mut() {
                if let Some(pv) = p.get(k) {
                    *v = normalize(std::mem::replace(v, Value::Null), pv, fp);
                }
            }
            Value::Map(m)
        }
        (Value::List(items), Value::List(p)) if items.len() == p.len() => Value::List(
            items
                .into_iter()
                .zip(p)
                .map(|(c, pv)| normalize(c, pv, fp))
                .collect(),
        ),
        (Value::Sensitive(inner), p) => match normalize(*inner, p, fp) {
            r @ Value::Redacted(_) => r,
            other => other.sensitive(),
        },
        (c, _) => c,
    }
}

/// Whether a value holds a secret known only by its derivation, with no plaintext
/// and no fingerprint of a plaintext.
fn derived_only(v: &Value) -> bool {
    match v {
        Value::Redacted(r) => iac_value::Redaction::parse(r).fingerprint.is_none(),
        Value::Sensitive(inner) => derived_only(inner),
        Value::List(items) | Value::Set(items) => items.iter().any(derived_only),
        Value::Map(m) => m.values().any(derived_only),
        _ => false,
    }
}

/// Top-level attributes whose values differ.
pub(crate) fn changed_paths(prior: &Value, planned: &Value, fp: &Fingerprinter) -> Vec<Path> {
    use std::cmp::Ordering;
    static NULL: Value = Value::Null;
    let empty = BTreeMap::new();
    // Both maps are in key order: one pass over the two, no lookups.
    let mut a = prior.as_map().unwrap_or(&empty).iter().peekable();
    let mut b = planned.as_map().unwrap_or(&empty).iter().peekable();
    let mut out = Vec::new();
    loop {
        let (k, x, y) = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(&(ka, x)), Some(&(kb, y))) => match ka.cmp(kb) {
                Ordering::Less => {
                    a.next();
                    (ka, x, &NULL)
                }
                Ordering::Greater => {
                    b.next();
                    (kb, &NULL, y)
                }
                Ordering::Equal => {
                    a.next();
                    b.next();
                    (ka, x, y)
                }
            },
            (Some(&(ka, x)), None) => {
                a.next();
                (ka, x, &NULL)
            }
            (None, Some(&(kb, y))) => {
                b.next();
                (kb, &NULL, y)
            }
        };
        if !fp.equivalent(x, y) {
            out.push(vec![PathStep::Key(k.clone())]);
        }
    }
    out
}

/// Sets what `path` names (an attribute, a map key, a list index) to `new`; a
/// map key the prior does not have (`new` is `None`) is removed.
fn set_path(v: &mut Value, path: &[String], new: Option<Value>) {
    match (v, path) {
        (Value::Map(m), [first]) => match new {
            Some(new) => {
                m.insert(first.clone(), new);
            }
            None => {
                m.remove(first);
            }
        },
        (Value::List(l), [first]) => {
            if let (Some(slot), Some(new)) =
                (first.parse::<usize>().ok().and_then(|i| l.get_mut(i)), new)
            {
                *slot = new;
            }
        }
        (Value::Map(m), [first, rest @ ..]) => {
            if let Some(inner) = m.get_mut(first) {
                set_path(inner, rest, new);
            }
        }
        (Value::List(l), [first, rest @ ..]) => {
            if let Some(inner) = first.parse::<usize>().ok().and_then(|i| l.get_mut(i)) {
                set_path(inner, rest, new);
            }
        }
        _ => {}
    }
}

/// What `path` names in `v`, if it is there.
fn get_path<'v>(v: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(v, |acc, k| match acc {
        Value::Map(m) => m.get(k),
        Value::List(l) => k.parse::<usize>().ok().and_then(|i| l.get(i)),
        _ => None,
    })
}

/// `ignore_changes`: the ignored arguments keep their prior values before the provider plans.
pub(crate) fn with_ignored_from_prior(
    config: Value,
    prior: &Value,
    lc: &iac_config::Lifecycle,
    schema: &iac_provider::Schema,
) -> Value {
    ignored_from_prior(config, prior, lc, schema, false)
}

/// The configuration as written with `ignore_changes` applied, for the provider
/// at apply: an ignored secret the prior holds only as a fingerprint keeps the
/// plaintext the configuration gives (a provider never gets a fingerprint).
pub(crate) fn written_with_ignored(
    config: Value,
    prior: &Value,
    lc: &iac_config::Lifecycle,
    schema: &iac_provider::Schema,
) -> Value {
    ignored_from_prior(config, prior, lc, schema, true)
}

fn ignored_from_prior(
    mut config: Value,
    prior: &Value,
    lc: &iac_config::Lifecycle,
    schema: &iac_provider::Schema,
    keep_secrets: bool,
) -> Value {
    let secret = |v: &Value| keep_secrets && v.contains_redacted();
    if lc.ignore_all_changes {
        for (name, a) in &schema.attributes {
            if (a.optional || a.required) && !secret(prior.get_attr(name)) {
                set_path(
                    &mut config,
                    std::slice::from_ref(name),
                    Some(prior.get_attr(name).clone()),
                );
            }
        }
    }
    for ig in &lc.ignore_changes {
        if schema.attributes.contains_key(&ig[0]) || schema.blocks.contains_key(&ig[0]) {
            // A whole attribute the prior lacks is null; a key of a map the
            // prior lacks is not written at all (`tags["x"]`).
            if get_path(prior, ig).is_some_and(secret) {
                continue;
            }
            let kept = get_path(prior, ig)
                .cloned()
                .or_else(|| (ig.len() == 1).then_some(Value::Null));
            set_path(&mut config, ig, kept);
        }
    }
    config
}

fn prevent_destroy_error(r: &Resource, addr: &InstanceAddr) -> Diagnostic {
    let span = r.lifecycle.prevent_destroy_span.unwrap_or(r.span);
    Diagnostic::error("E0504", format!("Instance cannot be destroyed: {addr}"))
        .with_span(span, "lifecycle.prevent_destroy is set")
        .with_secondary(r.span, "in this resource")
        .with_help("the plan would destroy this object; remove prevent_destroy, or change the plan so it is kept")
}

/// Levels with at least this many managed instances to plan are shared
/// between threads; below it a thread costs more than it saves.
const PARALLEL_MIN_JOBS: usize = 64;

/// One managed instance to plan, with what it needs that it owns.
struct InstanceJob<'a> {
    addr: InstanceAddr,
    each: Option<Value>,
    held: Held<'a>,
}

/// An instance's object in state, as a job finds it.
#[derive(Clone, Copy)]
enum Held<'a> {
    /// Not in state.
    No,
    /// In the state the plan began from, unchanged by this plan.
    At(&'a iac_state::InstanceState),
    /// In state as this plan changed it (refreshed, moved or imported): read
    /// from the planner's state where the instance is planned.
    Changed,
}

/// What planning one managed instance found, not yet in the plan: a level's
/// instances are planned side by side, then recorded in walk order.
struct Planned {
    value: Value,
    change: Option<ResourceChange>,
    diags: Vec<Diagnostic>,
}

/// A resource being planned, between `begin_resource` and `finish_resource`.
struct ResourceWork<'a> {
    path: ModPath,
    key: String,
    r: &'a Resource,
    module: &'a Module,
    schema: &'a iac_provider::Schema,
    provider: std::sync::Arc<dyn iac_provider::Provider>,
    binding: String,
    rep: Repetition,
    node: NodeIndex,
    /// The addresses it depends on: found when first needed (for a managed
    /// resource, while its instances are planned on every core).
    deps: std::sync::OnceLock<Vec<String>>,
    /// Each instance in key order, with its value when it has one already (left
    /// as in state, a data source read); `None` takes the next planned job's.
    instances: Vec<(InstanceKey, Option<Value>)>,
    jobs: Vec<InstanceJob<'a>>,
    /// Instances in state that the expansion no longer has.
    stale: Vec<InstanceAddr>,
}

/// The provider that offers a resource type, and the type's schema.
type TypeOf<'a> = (
    &'a std::sync::Arc<dyn iac_provider::Provider>,
    &'a iac_provider::Schema,
);

pub(crate) struct Planner<'a> {
    pub engine: &'a Engine,
    pub input: &'a PlanInput<'a>,
    /// Values, variables, locals, outputs, and every diagnostic of the run.
    pub ev: Evaluator<'a>,
    /// The refreshed prior state; copied only when refresh, moves or imports change it.
    pub prior: std::borrow::Cow<'a, State>,
    pub fp: std::sync::Arc<Fingerprinter>,
    pub changes: Vec<ResourceChange>,
    pub moved: BTreeMap<InstanceAddr, InstanceAddr>,
    pub in_config: FxHashSet<InstanceAddr>,
    /// Resources (by address) with a planned change: data sources that depend on them are read at apply.
    pub pending: FxHashSet<String>,
    /// Data sources read while planning.
    pub data: BTreeMap<InstanceAddr, Value>,
    /// Objects adopted by `import` blocks in this plan, with their ids.
    pub imported: FxHashMap<InstanceAddr, String>,
    pub targeted: Option<HashSet<NodeIndex>>,
    pub validate_only: bool,
    /// Which provider configuration serves each resource block.
    pub bindings: crate::configure::Bindings,
    /// The objects in state of every resource, taken out as the walk reaches it
    /// (built by one pass over the state when the whole configuration is walked).
    held_index: Option<HeldIndex<'a>>,
    /// Each resource type's provider and schema, found once (by type, and
    /// whether it is a data source).
    types: FxHashMap<(&'a str, bool), Option<TypeOf<'a>>>,
    /// `iac console`: every resource and data source is what state holds;
    /// nothing is planned or read, no provider is asked.
    console: bool,
}

/// How a resource repeats and its instance keys (with `each.value`).
pub(crate) type Expansion = (Repetition, Vec<(InstanceKey, Option<Value>)>);

/// Expands a resource's `count` / `for_each` to instance keys (with `each.value`).
pub(crate) fn expand(
    r: &Resource,
    ctx: &mut EvalContext<'_>,
    diags: &mut Diagnostics,
    validating: bool,
) -> Option<Expansion> {
    expand_meta(
        r.count.as_ref(),
        r.for_each.as_ref(),
        ctx,
        diags,
        validating,
    )
}

/// Expands `count` / `for_each` (of a resource or a module call) to instance
/// keys (with `each.value`).
pub(crate) fn expand_meta(
    count: Option<&iac_syntax::Expr>,
    for_each: Option<&iac_syntax::Expr>,
    ctx: &mut EvalContext<'_>,
    diags: &mut Diagnostics,
    validating: bool,
) -> Option<Expansion> {
    if let Some(c) = count {
        let v = match ctx.eval(c) {
            Ok(v) => v,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        if v.is_marked() {
            diags.push(
                Diagnostic::error("E0215", "Invalid count argument")
                    .with_span(c.span, "count cannot be derived from a sensitive value"),
            );
            return None;
        }
        return match v.unmarked() {
            // Validation has no variable values: an unknown count is fine
            // there, and one instance stands for all to check the body.
            Value::Unknown if validating => {
                Some((Repetition::Count, vec![(InstanceKey::Int(0), None)]))
            }
            Value::Unknown => {
                diags.push(
                    Diagnostic::error("E0215", "Invalid count argument")
                        .with_span(c.span, "this value depends on values known only after apply")
                        .with_help("count must be known when planning; apply the resources it depends on first with -target"),
                );
                None
            }
            Value::Number(n) if n.to_i64().is_some_and(|i| i >= 0) => Some((
                Repetition::Count,
                (0..n.to_i64().unwrap_or(0) as usize)
                    .map(|i| (InstanceKey::Int(i), None))
                    .collect(),
            )),
            Value::String(s) if s.parse::<usize>().is_ok() => Some((
                Repetition::Count,
                (0..s.parse::<usize>().unwrap_or(0))
                    .map(|i| (InstanceKey::Int(i), None))
                    .collect(),
            )),
            other => {
                diags.push(
                    Diagnostic::error("E0215", "Invalid count argument").with_span(
                        c.span,
                        format!("a whole number of 0 or more is required, got {other}"),
                    ),
                );
                None
            }
        };
    }
    if let Some(f) = for_each {
        let v = match ctx.eval(f) {
            Ok(v) => v,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let unknown_err = |diags: &mut Diagnostics| {
            diags.push(
                Diagnostic::error("E0216", "Invalid for_each argument")
                    .with_span(f.span, "the keys depend on values known only after apply")
                    .with_help("for_each keys must be known when planning; use keys from variables or locals, or apply the dependencies first with -target"),
            )
        };
        if v.is_marked() {
            diags.push(
                Diagnostic::error("E0216", "Invalid for_each argument").with_span(
                    f.span,
                    "for_each cannot use a sensitive value: the keys would be shown in plans",
                ),
            );
            return None;
        }
        return match v.unmarked() {
            Value::Unknown if validating => Some((
                Repetition::ForEach,
                vec![(InstanceKey::Str("each".into()), Some(Value::Unknown))],
            )),
            Value::Unknown => {
                unknown_err(diags);
                None
            }
            Value::Map(m) => Some((
                Repetition::ForEach,
                m.iter()
                    .map(|(k, v)| (InstanceKey::Str(k.clone()), Some(v.clone())))
                    .collect(),
            )),
            Value::Set(items) => {
                let mut out = Vec::new();
                for i in items {
                    match i.unmarked() {
                        Value::String(s) => {
                            out.push((InstanceKey::Str(s.clone()), Some(i.clone())))
                        }
                        Value::Unknown => {
                            unknown_err(diags);
                            return None;
                        }
                        other => {
                            diags.push(
                                Diagnostic::error("E0216", "Invalid for_each argument").with_span(
                                    f.span,
                                    format!(
                                        "a set of strings is required, got an element of type {}",
                                        other.type_name()
                                    ),
                                ),
                            );
                            return None;
                        }
                    }
                }
                Some((Repetition::ForEach, out))
            }
            Value::List(_) => {
                diags.push(
                    Diagnostic::error("E0216", "Invalid for_each argument")
                        .with_span(
                            f.span,
                            "for_each needs a map or a set of strings, got a list",
                        )
                        .with_help("convert the list with toset(...)"),
                );
                None
            }
            other => {
                diags.push(
                    Diagnostic::error("E0216", "Invalid for_each argument").with_span(
                        f.span,
                        format!(
                            "a map or a set of strings is required, got {}",
                            other.type_name()
                        ),
                    ),
                );
                None
            }
        };
    }
    Some((Repetition::Single, vec![(InstanceKey::None, None)]))
}

/// A resource block with what its evaluation needs.
pub(crate) struct ResourceCtx<'a> {
    pub r: &'a Resource,
    pub schema: &'a iac_provider::Schema,
    pub path: &'a ModPath,
    pub module: &'a Module,
    pub root_dir: &'a std::path::Path,
    pub workspace: &'a str,
}

/// Evaluates one instance's configuration against its schema.
pub(crate) fn eval_instance(
    rc: &ResourceCtx<'_>,
    values: &Values,
    key: &InstanceKey,
    each: Option<&Value>,
    diags: &mut Vec<Diagnostic>,
) -> Value {
    let scope = values.scope(rc.path);
    eval_instance_in(rc, &scope, key, each, diags)
}

/// Checks a block that has no instances (`count = 0`, an empty `for_each`)
/// against its schema, as Terraform's validate walk does: `count.index`, `each`
/// and every named value are unknown (see [`crate::scope::Unknowing`]). An
/// argument iac does not offer (E0221) is no error there: nothing is asked.
pub(crate) fn check_without_instances(
    rc: &ResourceCtx<'_>,
    values: &Values,
    diags: &mut Vec<Diagnostic>,
) {
    let scope = values.scope(rc.path);
    let unknowing = crate::scope::Unknowing { inner: &scope };
    let mut ctx = EvalContext::new(&unknowing, rc.module.dir.as_path(), rc.root_dir);
    ctx.workspace = rc.workspace.into();
    if rc.r.count.is_some() {
        ctx.count_index = Some(Value::Unknown);
    } else {
        ctx.each = Some((Value::Unknown, Value::Unknown));
    }
    let what = format!("resource type \"{}\"", rc.r.ty);
    let from = diags.len();
    eval_body(&rc.r.body, rc.schema, rc.r.span, &what, &mut ctx, diags);
    // An argument iac lacks asks nothing of AWS in a block with no instances.
    let mut i = from;
    while i < diags.len() {
        if diags[i].code == "E0221" {
            diags.remove(i);
        } else {
            i += 1;
        }
    }
}

/// The configuration as a later plan, which holds no plaintext, will evaluate it:
/// every secret as its fingerprint, every value computed from one as a derivation.
pub(crate) fn eval_instance_redacted(
    rc: &ResourceCtx<'_>,
    values: &Values,
    fp: &Fingerprinter,
    key: &InstanceKey,
    each: Option<&Value>,
) -> Value {
    let scope = values.scope(rc.path);
    let redacting = crate::scope::Redacting { inner: &scope, fp };
    eval_instance_in(rc, &redacting, key, each, &mut Vec::new())
}

fn eval_instance_in(
    rc: &ResourceCtx<'_>,
    ns: &dyn iac_config::Namespace,
    key: &InstanceKey,
    each: Option<&Value>,
    diags: &mut Vec<Diagnostic>,
) -> Value {
    let (r, schema) = (rc.r, rc.schema);
    let mut ctx = EvalContext::new(ns, rc.module.dir.as_path(), rc.root_dir);
    ctx.workspace = rc.workspace.into();
    match key {
        InstanceKey::Int(i) => ctx.count_index = Some(Value::num(*i as f64)),
        InstanceKey::Str(k) => {
            ctx.each = Some((
                Value::String(k.clone()),
                each.cloned().unwrap_or(Value::Null),
            ))
        }
        InstanceKey::None => {}
    }
    let what = format!("resource type \"{}\"", r.ty);
    eval_body(&r.body, schema, r.span, &what, &mut ctx, diags)
}

/// A failed condition's `error_message`, as text (the evaluation error's
/// message if it cannot be evaluated).
pub(crate) fn error_message(ctx: &mut EvalContext<'_>, e: &iac_syntax::Expr) -> String {
    match ctx.eval(e) {
        Ok(v) => v
            .unmarked()
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| v.to_string()),
        Err(d) => d.message,
    }
}

/// How a condition turned out.
#[derive(PartialEq)]
pub(crate) enum Checked {
    Held,
    /// Not known until apply (`self` or a value it reads is unknown).
    Unknown,
    Failed,
}

/// Checks an instance's `precondition`s, or (with `self_value`) its
/// `postcondition`s: a condition that is false is an error carrying its
/// `error_message`, as in Terraform.
pub(crate) fn check_conditions(
    rc: &ResourceCtx<'_>,
    values: &Values,
    key: &InstanceKey,
    each: Option<&Value>,
    self_value: Option<&Value>,
    addr: &InstanceAddr,
    diags: &mut Vec<Diagnostic>,
) -> Checked {
    let (conds, what) = match self_value {
        None => (&rc.r.lifecycle.preconditions, "precondition"),
        Some(_) => (&rc.r.lifecycle.postconditions, "postcondition"),
    };
    if conds.is_empty() {
        return Checked::Held;
    }
    let scope = values.scope(rc.path);
    let mut ctx = EvalContext::new(&scope, rc.module.dir.as_path(), rc.root_dir);
    ctx.workspace = rc.workspace.into();
    ctx.self_value = self_value.cloned();
    match key {
        InstanceKey::Int(i) => ctx.count_index = Some(Value::num(*i as f64)),
        InstanceKey::Str(k) => {
            ctx.each = Some((
                Value::String(k.clone()),
                each.cloned().unwrap_or(Value::Null),
            ))
        }
        InstanceKey::None => {}
    }
    let mut out = Checked::Held;
    for c in conds {
        let held = match ctx.eval(&c.condition) {
            Ok(v) => match v.unmarked() {
                Value::Bool(b) => Some(*b),
                Value::Unknown => None,
                other => {
                    diags.push(
                        Diagnostic::error("E0222", format!("Invalid {what} condition")).with_span(
                            c.condition.span,
                            format!("a bool is required, got {}", other.type_name()),
                        ),
                    );
                    return Checked::Failed;
                }
            },
            Err(d) => {
                diags.push(d);
                return Checked::Failed;
            }
        };
        match held {
            Some(true) => {}
            None => out = Checked::Unknown,
            Some(false) => {
                let message = error_message(&mut ctx, &c.error_message);
                diags.push(
                    Diagnostic::error("E0222", format!("Resource {what} failed"))
                        .with_span(c.condition.span, message)
                        .with_secondary(c.span, format!("the {what} of {addr}")),
                );
                return Checked::Failed;
            }
        }
    }
    out
}

impl<'a> Planner<'a> {
    /// A planner over the state as refreshed and moved, with the run's
    /// diagnostics so far; its indexes sized for every object in state, so
    /// they do not grow by rehashing.
    fn new(
        engine: &'a Engine,
        input: &'a PlanInput<'a>,
        graph: crate::graph::Graph,
        prior: std::borrow::Cow<'a, State>,
        moved: BTreeMap<InstanceAddr, InstanceAddr>,
        diags: Diagnostics,
        bindings: crate::configure::Bindings,
    ) -> Planner<'a> {
        let fp = std::sync::Arc::new(prior.fingerprinter());
        let instances = prior.resources.len();
        let mut ev = Evaluator::new(
            EvalInput {
                module: input.module,
                variables: input.variables,
                workspace: input.workspace,
            },
            graph,
            fp.clone(),
        );
        ev.diags = diags;
        Planner {
            engine,
            input,
            ev,
            prior,
            fp,
            changes: Vec::with_capacity(instances),
            moved,
            in_config: FxHashSet::with_capacity_and_hasher(instances, Default::default()),
            pending: FxHashSet::default(),
            data: BTreeMap::new(),
            imported: FxHashMap::default(),
            targeted: None,
            validate_only: false,
            bindings,
            held_index: None,
            types: FxHashMap::default(),
            console: false,
        }
    }

    fn deps_of(&self, node: NodeIndex) -> Vec<String> {
        let g = &self.ev.graph;
        let mut deps: Vec<&NodeKey> = g
            .resource_dependency_nodes(node)
            .into_iter()
            .map(|n| &g.graph[n])
            .collect();
        deps.sort_unstable();
        deps.into_iter().map(node_address).collect()
    }

    /// Values of a resource not being planned in this run (outside -target): from prior state.
    fn resource_from_state(
        &mut self,
        path: &ModPath,
        key: &str,
        addr: &ResourceAddr,
        rep: Repetition,
    ) {
        let instances: BTreeMap<InstanceKey, Value> = self
            .prior
            .instances_of(addr)
            .filter_map(|(a, i)| {
                i.current
                    .as_ref()
                    .map(|o| (a.key.clone(), o.attributes.clone()))
            })
            .collect();
        // Never created: what it will be is not known in this run.
        let v = if instances.is_empty() && rep == Repetition::Single {
            Value::Unknown
        } else {
            aggregate(rep, &instances)
        };
        self.ev
            .values
            .module(path)
            .resources
            .insert(key.to_string(), v);
    }

    /// With `-target` naming instances of this resource (and no target naming
    /// the whole resource or a module around it), just those instance keys.
    /// An instance of a module call with `count`/`for_each` that targets name
    /// other instances of (`-target=module.net[0]`, and this is `module.net[1]`)
    /// is left as it is: `Some` of no keys.
    fn targeted_keys(&self, addr: &ResourceAddr) -> Option<HashSet<InstanceKey>> {
        if self.input.targets.is_empty() {
            return None;
        }
        let mut keys = HashSet::new();
        let config = iac_value::addr::module_config_path(&addr.module);
        let mut other_instances = false;
        for t in self.input.targets {
            let whole = AddrPattern {
                module: t.module.clone(),
                resource: None,
                key: None,
            };
            if !whole.matches(&addr.instance(InstanceKey::None)) {
                other_instances |= config
                    .starts_with(&iac_value::addr::module_config_path(&t.module))
                    && t.resource.as_ref().is_none_or(|(mode, ty, name)| {
                        t.module.len() == addr.module.len()
                            && *mode == addr.mode
                            && *ty == addr.ty
                            && *name == addr.name
                    });
                continue;
            }
            match &t.resource {
                None => return None,
                Some((mode, ty, name)) => {
                    if t.module.len() == addr.module.len()
                        && *mode == addr.mode
                        && *ty == addr.ty
                        && *name == addr.name
                    {
                        match &t.key {
                            None => return None,
                            Some(k) => {
                                keys.insert(k.clone());
                            }
                        }
                    }
                }
            }
        }
        if keys.is_empty() && other_instances {
            return Some(keys);
        }
        // Not named by any target: planned whole, as a dependency of one.
        (!keys.is_empty()).then_some(keys)
    }

    /// Begins one resource or data block: expands it, finds its objects in
    /// state, reads its data instances, and lists the managed instances still
    /// to plan. `None` when there is nothing to plan (an unknown type, a
    /// resource outside `-target`, an expansion that failed): its value is set.
    async fn begin_resource(
        &mut self,
        path: &ModPath,
        key: &str,
        node: NodeIndex,
    ) -> Option<ResourceWork<'a>> {
        let engine: &'a Engine = self.engine;
        let m: &'a Module = self.ev.module_at(path);
        let r: &'a Resource = &m.resources[key];
        let addr = resource_addr(path, r);
        let data = r.mode == Mode::Data;
        let found = *self
            .types
            .entry((r.ty.as_str(), data))
            .or_insert_with(|| engine.providers.for_type(&r.ty, data));
        let Some((kind, schema)) = found else {
            if !self.unused_absent_type(r, path, key, &addr) {
                self.unknown_type(r, path, key, &addr);
            }
            return None;
        };
        // The configuration this block names (or inherits); validation has none configured.
        let binding = self
            .bindings
            .of(path, key)
            .map(String::from)
            .unwrap_or_else(|| kind.name().to_string());
        let provider = engine
            .providers
            .configuration(&binding)
            .unwrap_or_else(|| kind.clone());
        let targeted = self.targeted.as_ref().is_none_or(|t| t.contains(&node));
        if self.console || (!targeted && !data) {
            self.resource_from_state(path, key, &addr, Repetition::of(r));
            self.keep_in_state(&addr);
            return None;
        }
        let expanded = if r.count.is_none() && r.for_each.is_none() {
            // One instance, nothing to evaluate.
            Some((Repetition::Single, vec![(InstanceKey::None, None)]))
        } else {
            let scope = self.ev.values.scope(path);
            let mut ctx = self.ev.eval_ctx(path, &scope);
            let mut d = Diagnostics::new();
            let expanded = expand(r, &mut ctx, &mut d, self.validate_only);
            drop(ctx);
            self.ev.diags.extend(d);
            expanded
        };
        let Some((rep, keys)) = expanded else {
            self.set_resource_value(path, key, Value::Unknown);
            self.keep_in_state(&addr);
            return None;
        };
        // The resource's instances in state.
        let mut in_state: Vec<(InstanceKey, Held<'a>)> = match &mut self.held_index {
            Some(index) => index.remove(&addr).unwrap_or_default(),
            None => self.held_in_state(&addr),
        };
        // Implicit moves when count is added to or removed from a single resource.
        if !data && self.implicit_move(&addr, rep, &in_state) {
            in_state = self.held_in_state(&addr);
        }
        let rc = ResourceCtx {
            r,
            schema,
            path,
            module: m,
            root_dir: &self.input.module.dir,
            workspace: self.input.workspace,
        };
        if keys.is_empty() {
            let mut ds = Vec::new();
            check_without_instances(&rc, &self.ev.values, &mut ds);
            self.ev.diags.extend(Diagnostics(ds));
        }
        let deps = std::sync::OnceLock::new();
        if data {
            let _ = deps.set(self.deps_of(node));
        }
        let only = self.targeted_keys(&addr);
        let mut instances = Vec::with_capacity(keys.len());
        // Most resources have one instance: a list grown from empty would hold four.
        let mut jobs = Vec::with_capacity(if data { 0 } else { keys.len() });
        // Which of the objects in state a configured instance names: the rest
        // are stale. In key order, as state keeps them: found by bisection.
        let mut configured = vec![false; in_state.len()];
        for (ik, each) in keys {
            let found = in_state.binary_search_by(|(k, _)| k.cmp(&ik)).ok();
            if let Some(i) = found {
                configured[i] = true;
            }
            let iaddr = addr.instance(ik.clone());
            self.in_config.insert(iaddr.clone());
            if only.as_ref().is_some_and(|o| !o.contains(&ik)) {
                // Another instance of a targeted resource: left as it is in
                // state; one never created is not known in this run.
                match self.prior.current(&iaddr) {
                    Some(o) => instances.push((ik, Some(o.attributes.clone()))),
                    None if rep == Repetition::Single => instances.push((ik, Some(Value::Unknown))),
                    None => {}
                }
            } else if data {
                let bound = (&*provider, binding.as_str());
                let d = deps.get().map(Vec::as_slice).unwrap_or_default();
                let v = self
                    .read_data_instance(&rc, &iaddr, each.as_ref(), bound, d)
                    .await;
                instances.push((ik, Some(v)));
            } else {
                let held = found.map_or(Held::No, |i| in_state[i].1);
                instances.push((ik, None));
                jobs.push(InstanceJob {
                    addr: iaddr,
                    each,
                    held,
                });
            }
        }
        let stale = if data {
            Vec::new()
        } else {
            in_state
                .into_iter()
                .zip(configured)
                .filter(|(_, configured)| !configured)
                .map(|((k, _), _)| k)
                .filter(|k| only.as_ref().is_none_or(|o| o.contains(k)))
                .map(|k| addr.instance(k))
                .collect()
        };
        Some(ResourceWork {
            path: path.clone(),
            key: key.to_string(),
            r,
            module: m,
            schema,
            provider,
            binding,
            rep,
            node,
            deps,
            instances,
            jobs,
            stale,
        })
    }

    /// Records a begun resource's planned instances (in key order, from
    /// `planned`), the deletion of its stale ones, and its value.
    fn finish_resource(
        &mut self,
        w: ResourceWork<'a>,
        planned: &mut impl Iterator<Item = Planned>,
    ) {
        let mut instances: BTreeMap<InstanceKey, Value> = BTreeMap::new();
        let mut single = None;
        let one = w.rep == Repetition::Single && w.instances.len() == 1;
        for (ik, v) in w.instances {
            let v = match v {
                Some(v) => v,
                // Every instance without a value has one job, planned in this order.
                None => planned.next().map_or(Value::Unknown, |p| self.record(p)),
            };
            if one {
                // A single instance is the resource's value (no map to build).
                single = Some(if ik == InstanceKey::None {
                    v
                } else {
                    Value::Null
                });
            } else {
                instances.insert(ik, v);
            }
        }
        if !w.stale.is_empty() {
            let deps = w.deps.into_inner().unwrap_or_else(|| self.deps_of(w.node));
            self.delete_stale(w.r, w.rep, w.stale, &deps);
        }
        let value = match single {
            // Validation, as Terraform's validate walk, knows no resource's
            // value: `aws_x.this[0]` is unknown there even where this block's
            // count is known to be 0 and the referring block's is not.
            _ if self.validate_only => Value::Unknown,
            Some(v) => v,
            None => crate::scope::aggregate_owned(w.rep, instances),
        };
        self.set_resource_value(&w.path, &w.key, value);
    }

    /// Adds what planning one instance found to the plan; its value.
    fn record(&mut self, p: Planned) -> Value {
        self.ev.diags.extend(Diagnostics(p.diags));
        if let Some(c) = p.change {
            if c.action != Action::NoOp {
                self.pending.insert(c.addr.resource.to_string());
            }
            self.changes.push(c);
        }
        p.value
    }

    /// Plans the managed instances of a level's resources. They do not depend
    /// on one another, so a large level is planned on every core, each thread
    /// taking a contiguous share; the results come back in job order.
    fn plan_jobs(&self, works: &mut [ResourceWork<'a>]) -> Vec<Planned> {
        let jobs: Vec<(usize, InstanceJob<'a>)> = works
            .iter_mut()
            .enumerate()
            .flat_map(|(i, w)| std::mem::take(&mut w.jobs).into_iter().map(move |j| (i, j)))
            .collect();
        let works = &*works;
        let threads = if jobs.len() >= PARALLEL_MIN_JOBS {
            self.engine.threads
        } else {
            1
        };
        if threads < 2 {
            return jobs
                .into_iter()
                .map(|(i, j)| self.plan_managed(&works[i], j))
                .collect();
        }
        let total = jobs.len();
        // Jobs in small chunks that the threads take in turn as they finish the
        // last: a thread that starts late (or is slowed by a neighbour on the
        // machine) takes fewer, and no one waits on a fixed half.
        let chunk = (total / (threads * 8)).max(16);
        let mut chunks: Vec<Mutex<Vec<(usize, InstanceJob<'a>)>>> =
            Vec::with_capacity(total.div_ceil(chunk));
        let mut jobs = jobs.into_iter();
        loop {
            let c: Vec<_> = jobs.by_ref().take(chunk).collect();
            if c.is_empty() {
                break;
            }
            chunks.push(Mutex::new(c));
        }
        let chunks = &chunks;
        // Thread t plans chunk t first (so every thread takes part), then
        // whichever chunk is next.
        let next = std::sync::atomic::AtomicUsize::new(threads);
        let next = &next;
        let run = move |first: usize, done: &mut Vec<(usize, Vec<Planned>)>| {
            let mut k = first;
            while let Some(c) = chunks.get(k) {
                let c = c.lock().map(|mut g| std::mem::take(&mut *g));
                let planned = c
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(i, j)| self.plan_managed(&works[i], j))
                    .collect();
                done.push((k, planned));
                k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        };
        let run = &run;
        let mut done: Vec<(usize, Vec<Planned>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (1..threads)
                .map(|t| {
                    let h = std::thread::Builder::new()
                        .name("iac-plan".into())
                        // As deep as the main thread's: evaluation recurses with the expression.
                        .stack_size(8 << 20)
                        .spawn_scoped(scope, move || {
                            let mut v = Vec::new();
                            run(t, &mut v);
                            v
                        });
                    (t, h)
                })
                .collect();
            let mut done = Vec::with_capacity(chunks.len());
            run(0, &mut done);
            for (t, h) in handles {
                match h.map(|h| h.join()) {
                    Ok(Ok(v)) => done.extend(v),
                    Ok(Err(panic)) => std::panic::resume_unwind(panic),
                    // No thread to be had: its first chunk is planned here.
                    Err(_) => run(t, &mut done),
                }
            }
            done
        });
        // Back in job order. Made at its final size: a planned instance is
        // large, and growing the list by doubling would copy each several times.
        done.sort_unstable_by_key(|(k, _)| *k);
        let mut out = Vec::with_capacity(total);
        for (_, planned) in done {
            out.extend(planned);
        }
        out
    }

    /// Evaluates one managed instance's configuration and plans it.
    fn plan_managed(&self, w: &ResourceWork<'a>, job: InstanceJob<'a>) -> Planned {
        let rc = ResourceCtx {
            r: w.r,
            schema: w.schema,
            path: &w.path,
            module: w.module,
            root_dir: &self.input.module.dir,
            workspace: self.input.workspace,
        };
        let r = w.r;
        let mut diags = Vec::new();
        let config = eval_instance(
            &rc,
            &self.ev.values,
            &job.addr.key,
            job.each.as_ref(),
            &mut diags,
        );
        if diags.iter().any(|d| d.is_error()) {
            return Planned {
                value: Value::Unknown,
                change: None,
                diags,
            };
        }
        for pd in w.provider.validate_resource(&r.ty, &config) {
            diags.push(provider_diagnostic(
                &pd,
                &r.body,
                r.span,
                &job.addr.to_string(),
            ));
        }
        let InstanceJob { addr, each, held } = job;
        let held = match held {
            Held::No => None,
            Held::At(i) => Some(i),
            Held::Changed => self.prior.resources.get(&addr),
        };
        let v = &self.ev.values;
        if check_conditions(&rc, v, &addr.key, each.as_ref(), None, &addr, &mut diags)
            == Checked::Failed
        {
            return Planned {
                value: Value::Unknown,
                change: None,
                diags,
            };
        }
        let bound = (&*w.provider, w.binding.as_str());
        let (value, change) = self.plan_instance(
            &rc,
            &addr,
            config,
            bound,
            w.deps.get_or_init(|| self.deps_of(w.node)),
            held,
            &mut diags,
        );
        // Postconditions against the planned object; what is not known yet is
        // checked again after apply.
        check_conditions(
            &rc,
            v,
            &addr.key,
            each.as_ref(),
            Some(&value),
            &addr,
            &mut diags,
        );
        Planned {
            value,
            change: Some(change),
            diags,
        }
    }

    /// Evaluates one data instance's configuration and reads it (or defers the read to apply).
    async fn read_data_instance(
        &mut self,
        rc: &ResourceCtx<'_>,
        iaddr: &InstanceAddr,
        each: Option<&Value>,
        (provider, binding): (&dyn iac_provider::Provider, &str),
        deps: &[String],
    ) -> Value {
        let r = rc.r;
        let mut ds = Vec::new();
        let config = eval_instance(rc, &self.ev.values, &iaddr.key, each, &mut ds);
        let had_errors = ds.iter().any(|d| d.is_error());
        self.ev.diags.extend(Diagnostics(ds));
        if had_errors {
            return Value::Unknown;
        }
        self.plan_data(iaddr, &config, rc.schema, (provider, binding), r, deps)
            .await
    }

    /// The state the plan began from, while this plan has not changed it: what
    /// it holds outlives the planner, so jobs take its objects by reference.
    fn unchanged_prior(&self) -> Option<&'a State> {
        match self.prior {
            std::borrow::Cow::Borrowed(s) => Some(s),
            std::borrow::Cow::Owned(_) => None,
        }
    }

    /// A resource's instances in state, in key order (one range scan).
    fn held_in_state(&self, addr: &ResourceAddr) -> Vec<(InstanceKey, Held<'a>)> {
        match self.unchanged_prior() {
            Some(s) => s
                .instances_of(addr)
                .map(|(a, i)| (a.key.clone(), Held::At(i)))
                .collect(),
            None => self
                .prior
                .instances_of(addr)
                .map(|(a, _)| (a.key.clone(), Held::Changed))
                .collect(),
        }
    }

    /// Every resource's instances in state, by resource, in one pass over the
    /// state (a search of the state per resource costs more than the pass).
    /// Nothing is copied: a job reads its object where it is planned.
    fn index_held(&mut self) {
        // Keyed by the state's own addresses where the state outlives the
        // planner (no copies), by copies where this plan changed it.
        self.held_index = Some(match self.unchanged_prior() {
            Some(s) => by_resource(
                s.resources.iter().map(|(a, i)| (a, Held::At(i))),
                |r: &'a ResourceAddr| std::borrow::Cow::Borrowed(r),
            ),
            None => by_resource(
                self.prior.resources.keys().map(|a| (a, Held::Changed)),
                |r: &ResourceAddr| std::borrow::Cow::Owned(r.clone()),
            ),
        });
    }

    /// Instances in state that the expansion no longer has are deleted.
    fn delete_stale(
        &mut self,
        r: &Resource,
        rep: Repetition,
        stale: Vec<InstanceAddr>,
        deps: &[String],
    ) {
        for a in stale {
            let reason = match (&a.key, rep) {
                (InstanceKey::Int(_), Repetition::Count) => Reason::CountIndexOutOfRange,
                (InstanceKey::Str(_), Repetition::ForEach) => Reason::EachKeyNotInForEach,
                _ => Reason::WrongRepetition,
            };
            self.in_config.insert(a.clone());
            if r.lifecycle.prevent_destroy {
                self.ev.diags.push(prevent_destroy_error(r, &a));
            }
            self.push_delete(&a, reason, deps.to_vec());
        }
    }

    /// A block whose type no provider offers: an error, and its objects in state
    /// are kept (an unknown type must not plan deletions).
    /// A block of a type Terraform's provider has and iac lacks, whose `count` or
    /// `for_each` makes no instances and which has none in state, asks nothing
    /// of the type: a module's optional feature left off (`count =
    /// var.create_acl ? 1 : 0`). It is skipped with a warning (W0202) instead of
    /// failing the whole configuration; its value is its empty list or map.
    fn unused_absent_type(
        &mut self,
        r: &Resource,
        path: &ModPath,
        key: &str,
        addr: &ResourceAddr,
    ) -> bool {
        let data = r.mode == Mode::Data;
        if (r.count.is_none() && r.for_each.is_none())
            || self.engine.providers.missing_type(&r.ty, data).is_none()
        {
            return false;
        }
        let scope = self.ev.values.scope(path);
        let mut ctx = self.ev.eval_ctx(path, &scope);
        let mut d = Diagnostics::new();
        let expanded = expand(r, &mut ctx, &mut d, false);
        drop(ctx);
        // Validation knows no variable values: a count it cannot know may be
        // none, and the plan decides.
        let unknowable = self.validate_only
            && expanded.is_none()
            && d.0.iter().all(|x| matches!(x.code, "E0215" | "E0216"));
        let value = match expanded {
            Some((rep, keys)) if keys.is_empty() && !d.has_errors() => {
                crate::scope::aggregate_owned(rep, BTreeMap::new())
            }
            _ if unknowable => Value::Unknown,
            _ => return false,
        };
        let held = match &self.held_index {
            Some(index) => index.get(addr).is_some_and(|v| !v.is_empty()),
            None => !self.held_in_state(addr).is_empty(),
        };
        if held {
            return false;
        }
        let what = if data { "data source" } else { "resource" };
        self.ev.diags.push(
            Diagnostic::warning(
                "W0202",
                format!("The {what} type \"{}\" is not supported by iac yet", r.ty),
            )
            .with_span(r.type_span, "skipped: this block makes no instances")
            .with_help(format!(
                "{addr} has none (its {} is empty) and state holds none, so nothing is asked of the type; giving it instances is an error until iac supports it",
                if r.count.is_some() { "count" } else { "for_each" }
            )),
        );
        let value = if self.validate_only {
            Value::Unknown
        } else {
            value
        };
        self.set_resource_value(path, key, value);
        true
    }

    fn unknown_type(&mut self, r: &Resource, path: &ModPath, key: &str, addr: &ResourceAddr) {
        let data = r.mode == Mode::Data;
        let what = if data { "data source" } else { "resource" };
        let d = match self.engine.providers.missing_type(&r.ty, data) {
            // A real type of Terraform's provider: say so, guess at nothing.
            Some(why) => Diagnostic::error(
                "E0202",
                format!("The {what} type \"{}\" is not supported by iac yet", r.ty),
            )
            .with_span(r.type_span, "not supported yet")
            .with_help(why),
            None => {
                let kinds = self.engine.providers.type_names(data);
                let help = match did_you_mean(&r.ty, kinds.iter().copied()) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => format!("the {what} types iac knows are: {}", kinds.join(", ")),
                };
                Diagnostic::error("E0202", format!("Unknown {what} type \"{}\"", r.ty))
                    .with_span(r.type_span, "no provider offers this type")
                    .with_help(help)
            }
        };
        self.ev.diags.push(d);
        self.set_resource_value(path, key, Value::Unknown);
        self.keep_in_state(addr);
    }

    /// The objects of a resource that is not planned in this run stay as they are.
    fn keep_in_state(&mut self, addr: &ResourceAddr) {
        for a in self.prior.instances_of(addr).map(|(a, _)| a) {
            self.in_config.insert(a.clone());
        }
    }

    fn set_resource_value(&mut self, path: &ModPath, key: &str, v: Value) {
        self.ev
            .values
            .module(path)
            .resources
            .insert(key.to_string(), v);
    }

    /// Moves the single instance of a resource whose `count` was added or removed;
    /// true when it moved something.
    fn implicit_move(
        &mut self,
        addr: &ResourceAddr,
        rep: Repetition,
        in_state: &[(InstanceKey, Held<'_>)],
    ) -> bool {
        let (from, to) = match rep {
            Repetition::Count => (InstanceKey::None, InstanceKey::Int(0)),
            Repetition::Single => (InstanceKey::Int(0), InstanceKey::None),
            Repetition::ForEach => return false,
        };
        // As Terraform: `from` in state and `to` not (other instances of a
        // count that was removed stay where they are, and are deleted).
        // Most resources have none to move.
        if !in_state.iter().any(|(k, _)| *k == from) || in_state.iter().any(|(k, _)| *k == to) {
            return false;
        }
        let from_a = addr.instance(from);
        let to_a = addr.instance(to);
        let Some(inst) = self.prior.to_mut().resources.remove(&from_a) else {
            return false;
        };
        self.prior.to_mut().resources.insert(to_a.clone(), inst);
        let origin = self.moved.remove(&from_a).unwrap_or(from_a);
        self.moved.insert(to_a, origin);
        true
    }

    fn push_delete(&mut self, addr: &InstanceAddr, reason: Reason, deps: Vec<String>) {
        let Some(inst) = self.prior.resources.get(addr) else {
            return;
        };
        if let Some(obj) = &inst.current {
            let deps = if deps.is_empty() {
                obj.dependencies.clone()
            } else {
                deps
            };
            self.changes.push(ResourceChange {
                addr: addr.clone(),
                deposed: None,
                previous_addr: self.moved.get(addr).cloned().map(Box::new),
                import_id: None,
                provider: inst.provider.clone(),
                action: Action::Delete,
                reason,
                before: Some(obj.attributes.clone()),
                after: None,
                requires_replace: Vec::new(),
                dependencies: deps,
                create_before_destroy: obj.create_before_destroy,
                notes: Vec::new(),
            });
        }
    }

    /// An object a `removed` block with `destroy = false` names: out of state,
    /// left in the cloud.
    fn push_forget(&mut self, addr: &InstanceAddr) {
        let Some(inst) = self.prior.resources.get(addr) else {
            return;
        };
        if let Some(obj) = &inst.current {
            self.changes.push(ResourceChange {
                addr: addr.clone(),
                deposed: None,
                previous_addr: self.moved.get(addr).cloned().map(Box::new),
                import_id: None,
                provider: inst.provider.clone(),
                action: Action::Forget,
                reason: Reason::RemovedNotDestroyed,
                before: Some(obj.attributes.clone()),
                after: Some(obj.attributes.clone()),
                requires_replace: Vec::new(),
                dependencies: obj.dependencies.clone(),
                create_before_destroy: obj.create_before_destroy,
                notes: Vec::new(),
            });
        }
    }

    async fn plan_data(
        &mut self,
        addr: &InstanceAddr,
        config: &Value,
        schema: &iac_provider::Schema,
        (provider, binding): (&dyn iac_provider::Provider, &str),
        r: &Resource,
        deps: &[String],
    ) -> Value {
        let waits = deps.iter().any(|d| self.pending.contains(d));
        if r.check.is_some() && !self.validate_only {
            return self
                .plan_check_data(addr, config, schema, (provider, binding), r, deps, waits)
                .await;
        }
        if config.is_wholly_known() && !waits && !self.validate_only {
            match provider.read_data(&r.ty, config).await {
                Ok(v) => {
                    self.data.insert(addr.clone(), v.clone());
                    v
                }
                Err(ds) => {
                    for d in ds {
                        self.ev.diags.push(provider_diagnostic(
                            &d,
                            &r.body,
                            r.span,
                            &addr.to_string(),
                        ));
                    }
                    Value::Unknown
                }
            }
        } else {
            let planned = proposed_new(schema, None, config);
            self.push_read(addr, binding, Reason::ReadDeferred, planned.clone(), deps);
            planned
        }
    }

    /// A data source to be read during the apply.
    fn push_read(
        &mut self,
        addr: &InstanceAddr,
        binding: &str,
        reason: Reason,
        planned: Value,
        deps: &[String],
    ) {
        self.changes.push(ResourceChange {
            addr: addr.clone(),
            deposed: None,
            previous_addr: None,
            import_id: None,
            provider: binding.to_string(),
            action: Action::Read,
            reason,
            before: None,
            after: Some(planned),
            requires_replace: Vec::new(),
            dependencies: deps.to_vec(),
            create_before_destroy: false,
            notes: Vec::new(),
        });
    }

    /// A data source scoped to a check block, as Terraform plans one: read now
    /// (what the plan's check sees), its errors warnings (W0224), and always
    /// read again at apply so the check verifies what the apply left.
    #[allow(clippy::too_many_arguments)]
    async fn plan_check_data(
        &mut self,
        addr: &InstanceAddr,
        config: &Value,
        schema: &iac_provider::Schema,
        (provider, binding): (&dyn iac_provider::Provider, &str),
        r: &Resource,
        deps: &[String],
        waits: bool,
    ) -> Value {
        let mut read = None;
        if config.is_wholly_known() && !waits {
            match provider.read_data(&r.ty, config).await {
                Ok(v) => read = Some(v),
                Err(ds) => {
                    for d in ds {
                        self.ev.diags.push(check_data_warning(provider_diagnostic(
                            &d,
                            &r.body,
                            r.span,
                            &addr.to_string(),
                        )));
                    }
                }
            }
        }
        let planned = read
            .clone()
            .unwrap_or_else(|| proposed_new(schema, None, config));
        self.push_read(addr, binding, Reason::ReadForCheck, planned.clone(), deps);
        read.unwrap_or(planned)
    }

    fn triggered_by(&self, r: &Resource, path: &ModPath) -> Option<String> {
        for e in &r.lifecycle.replace_triggered_by {
            let mut refs = Vec::new();
            crate::graph::collect_refs(e, &mut Vec::new(), &mut refs);
            for reference in refs {
                let (Some((name, _)), root) = (reference.attrs.first(), &reference.root) else {
                    continue;
                };
                let target = ResourceAddr {
                    module: path.clone(),
                    mode: ResourceMode::Managed,
                    ty: root.clone(),
                    name: name.clone(),
                };
                let attr: Vec<String> = reference.attrs[1..]
                    .iter()
                    .map(|(n, _)| n.clone())
                    .collect();
                for c in self.changes.iter().filter(|c| is_action(c)) {
                    let a = &c.addr;
                    let (action, planned) = (&c.action, c.after.as_ref().unwrap_or(&Value::Null));
                    if a.resource != target {
                        continue;
                    }
                    let hit = if attr.is_empty() {
                        *action != Action::NoOp
                    } else {
                        let before = self.prior.current(a).map(|o| {
                            get_path(&o.attributes, &attr)
                                .cloned()
                                .unwrap_or(Value::Null)
                        });
                        let after = get_path(planned, &attr).unwrap_or(&Value::Null);
                        after.is_unknown()
                            || before
                                .as_ref()
                                .is_none_or(|b| !self.fp.equivalent(b, after))
                    };
                    if hit {
                        return Some(a.to_string());
                    }
                }
            }
        }
        None
    }

    /// Plans one managed instance from its evaluated configuration: its planned
    /// value and the change (not yet in the plan; see `record`).
    #[allow(clippy::too_many_arguments)]
    fn plan_instance(
        &self,
        rc: &ResourceCtx<'_>,
        addr: &InstanceAddr,
        config: Value,
        (provider, binding): (&dyn iac_provider::Provider, &str),
        deps: &[String],
        held: Option<&iac_state::InstanceState>,
        diags: &mut Vec<Diagnostic>,
    ) -> (Value, ResourceChange) {
        let (r, schema) = (rc.r, rc.schema);
        let (held_provider, prior_obj) = match held {
            Some(h) => (
                h.provider.as_str(),
                h.current.as_ref().map(|o| (&o.attributes, o.tainted)),
            ),
            None => ("", None),
        };
        let prior_tainted = prior_obj.as_ref().is_some_and(|o| o.1);
        if prior_obj.is_some() && held_provider != binding {
            // An object lives where the configuration that made it put it (a region,
            // an account): it does not move because the block names another one.
            let span = r.provider.as_ref().map(|p| p.span).unwrap_or(r.span);
            diags.push(
                Diagnostic::error(
                    "E0712",
                    format!(
                        "{addr} was created through provider configuration `{}`, and the configuration now names `{binding}`",
                        held_provider
                    ),
                )
                .with_span(span, "objects do not move between provider configurations")
                .with_help(format!(
                    "to re-create it under `{binding}`, destroy it first under the old one (`iac destroy -target={addr}` with the old `provider`), then apply; to keep it, name `{}` again",
                    held_provider
                )),
            );
        }
        let prior_val = prior_obj.map(|o| o.0);
        let config = match prior_val {
            Some(p) => normalize(config, p, &self.fp),
            None => config,
        };
        let config = match prior_val {
            Some(p) => {
                for ig in &r.lifecycle.ignore_changes {
                    if !schema.attributes.contains_key(&ig[0])
                        && !schema.blocks.contains_key(&ig[0])
                    {
                        let mut dg = Diagnostic::error(
                            "E0217",
                            format!("Unsupported attribute \"{}\" in ignore_changes", ig[0]),
                        )
                        .with_span(r.span, "not an attribute of this resource type");
                        if let Some(s) =
                            did_you_mean(&ig[0], schema.attributes.keys().map(String::as_str))
                        {
                            dg = dg.with_help(format!("did you mean `{s}`?"));
                        }
                        diags.push(dg);
                    }
                }
                with_ignored_from_prior(config, p, &r.lifecycle, schema)
            }
            None => config,
        };
        let resp = provider.plan_resource(PlanRequest {
            type_name: &r.ty,
            prior: prior_val,
            config: &config,
        });
        for d in &resp.diagnostics {
            diags.push(provider_diagnostic(d, &r.body, r.span, &addr.to_string()));
        }
        let mut planned = resp.planned;
        // A value equal to the prior's (seen through fingerprints and marks) never
        // forces a replacement: a secret from a sensitive variable is not a change.
        let requires_replace: Vec<Path> = match prior_val {
            Some(p) => resp
                .requires_replace
                .into_iter()
                .filter(|path| !self.fp.equivalent(p.at_path(path), planned.at_path(path)))
                .collect(),
            None => resp.requires_replace,
        };
        let mut notes = resp.notes;
        let mut changed = prior_val
            .map(|p| changed_paths(p, &planned, &self.fp))
            .unwrap_or_default();
        // Explain updates by what the configuration changed, not by what the provider recomputes.
        let configured: Vec<Path> = changed
            .iter()
            .filter(|p| match p.first() {
                Some(PathStep::Key(k)) => schema
                    .attributes
                    .get(k)
                    .is_none_or(|a| a.optional || a.required),
                _ => true,
            })
            .cloned()
            .collect();
        if !configured.is_empty() {
            changed = configured;
        }
        let forced = self.input.replace.contains(addr);
        let path = addr.resource.module.clone();
        let triggered = if prior_val.is_some() {
            self.triggered_by(r, &path)
        } else {
            None
        };
        let (action, reason) = decide_action(&ActionInputs {
            has_prior: prior_val.is_some(),
            prior_tainted,
            changed: !changed.is_empty(),
            changed_paths: &changed,
            requires_replace: &requires_replace,
            replace_requested: forced,
            triggered_by: triggered,
            create_before_destroy: r.lifecycle.create_before_destroy,
        });
        if action.is_replace() {
            // A replacement is a create: plan it from nothing.
            let fresh = provider.plan_resource(PlanRequest {
                type_name: &r.ty,
                prior: None,
                config: &config,
            });
            planned = fresh.planned;
            notes.extend(fresh.notes);
            if r.lifecycle.prevent_destroy {
                diags.push(prevent_destroy_error(r, addr));
            }
        }
        if action != Action::NoOp {
            self.check_secrets_available(addr, r, prior_val, &planned, diags);
        }
        let change = ResourceChange {
            addr: addr.clone(),
            deposed: None,
            previous_addr: self.moved.get(addr).cloned().map(Box::new),
            import_id: self.imported.get(addr).cloned(),
            provider: binding.to_string(),
            action,
            reason,
            before: prior_val.cloned(),
            after: Some(planned.clone()),
            requires_replace,
            dependencies: deps.to_vec(),
            create_before_destroy: r.lifecycle.create_before_destroy,
            notes,
        };
        (planned, change)
    }

    /// A changed attribute whose new value is computed from a secret iac keeps only
    /// as a fingerprint (a generated password read from state) cannot be sent: say
    /// so now, not halfway through the apply.
    fn check_secrets_available(
        &self,
        addr: &InstanceAddr,
        r: &Resource,
        prior: Option<&Value>,
        planned: &Value,
        diags: &mut Vec<Diagnostic>,
    ) {
        let Some(m) = planned.as_map() else { return };
        for (name, v) in m {
            let before = prior.map(|p| p.get_attr(name)).unwrap_or(&Value::Null);
            if derived_only(v) && !self.fp.equivalent(before, v) {
                let span = r
                    .body
                    .attribute(name)
                    .map(|a| a.expr.span)
                    .unwrap_or(r.span);
                diags.push(
                    Diagnostic::error(
                        "E0711",
                        format!("{addr}: the new value of `{name}` needs a secret iac does not keep"),
                    )
                    .with_span(span, "computed from a secret held in state only as a fingerprint")
                    .with_help("iac keeps no secret in plaintext, so a changed expression around a generated secret (random_password) cannot be evaluated again; generate a new secret with -replace=ADDRESS, or change the expression back"),
                );
            }
        }
    }

    fn output_changes(&self) -> Vec<OutputChange> {
        let mut out = Vec::new();
        let root = self.ev.tree[&Vec::new()];
        let values = self.ev.values.modules.get(&Vec::new());
        for (name, o) in &root.outputs {
            let after = values
                .and_then(|v| v.outputs.get(name))
                .cloned()
                .unwrap_or(Value::Unknown);
            let before = self
                .prior
                .outputs
                .get(name)
                .map(|s| s.value.clone().mark_if(s.sensitive));
            let after = match &before {
                Some(b) if self.fp.equivalent(b, &after) => b.clone(),
                _ => after,
            };
            // A null output is no output (Terraform keeps none in state).
            let after = (!matches!(after, Value::Null)).then_some(after);
            out.push(OutputChange {
                name: name.clone(),
                before,
                after,
                sensitive: o.sensitive,
            });
        }
        for (name, s) in &self.prior.outputs {
            if !root.outputs.contains_key(name) {
                out.push(OutputChange {
                    name: name.clone(),
                    before: Some(s.value.clone()),
                    after: None,
                    sensitive: s.sensitive,
                });
            }
        }
        out
    }
}

pub async fn plan(engine: &Engine, input: &PlanInput<'_>, validate_only: bool) -> PlanOutput {
    plan_with(engine, input, validate_only, None).await
}

/// Plans with the configuration's graph from `prepared` (built from
/// `input.module` by [`Engine::prepare`]), else builds it.
pub(crate) async fn plan_with(
    engine: &Engine,
    input: &PlanInput<'_>,
    validate_only: bool,
    prepared: Option<crate::Prepared>,
) -> PlanOutput {
    let tree = module_tree(input.module);
    let (graph, mut diags, bound) = match prepared {
        Some(p) => (p.graph, p.diagnostics, Some(p.bound)),
        None => {
            let (g, d) = crate::graph::build_graph_traced(input.module, engine.trace.as_deref());
            (g, d, None)
        }
    };
    let mut prior = std::borrow::Cow::Borrowed(input.state);
    let mut drift = Vec::new();
    let bindings = if validate_only {
        let (b, d) = bound
            .unwrap_or_else(|| crate::configure::bind_providers(&engine.providers, input.module));
        diags.extend(d);
        diags.extend(crate::configure::validate_provider_blocks(
            &engine.providers,
            input.module,
            input.variables,
        ));
        b
    } else if !diags.has_errors() {
        let bound = bound
            .unwrap_or_else(|| crate::configure::bind_providers(&engine.providers, input.module));
        let (b, d) = crate::configure::configure_bound(
            &engine.providers,
            input.module,
            input.variables,
            input.state,
            bound,
        )
        .await;
        diags.extend(d);
        b
    } else {
        Default::default()
    };
    if input.refresh && !validate_only && !diags.has_errors() {
        let (d, rd) = crate::refresh::refresh(&engine.providers, &mut prior).await;
        // A change outside iac to attributes the configuration ignores
        // (`ignore_changes`) is not drift anyone needs to hear about.
        drift = d
            .into_iter()
            .filter(|x| !only_ignored_changed(&tree, &engine.providers, x))
            .collect();
        diags.extend(rd);
    }
    let moved = crate::moved::apply_moves(&tree, &mut prior, &mut diags);
    let removals = crate::removed::removals(&tree, &mut diags);
    let mut p = Planner::new(engine, input, graph, prior, moved, diags, bindings);
    p.validate_only = validate_only;
    let mut errored = p.ev.diags.has_errors();
    // A cycle leaves no order to walk; other graph errors still let the walk find more problems.
    let walkable = !p.ev.graph.order.is_empty() || p.ev.graph.graph.node_count() == 0;
    if !input.targets.is_empty() {
        let roots: Vec<NodeIndex> =
            p.ev.graph
                .index
                .iter()
                .filter(|(k, _)| match k {
                    NodeKey::Resource(path, key) => {
                        let r = &p.ev.tree[path].resources[key];
                        let ra = resource_addr(path, r);
                        input.targets.iter().any(|t| {
                            // By configuration: `module.net[0]` selects the blocks of `module.net`.
                            let tm = iac_value::addr::module_config_path(&t.module);
                            ra.module.starts_with(&tm)
                                && t.resource.as_ref().is_none_or(|(mode, ty, name)| {
                                    ra.module.len() == t.module.len()
                                        && *mode == ra.mode
                                        && *ty == ra.ty
                                        && *name == ra.name
                                })
                        })
                    }
                    _ => false,
                })
                .map(|(_, i)| *i)
                .collect();
        p.targeted = Some(p.ev.graph.with_ancestors(&roots));
    }
    if input.mode == PlanMode::Normal && !validate_only && !p.ev.diags.has_errors() {
        import_objects(&mut p).await;
        errored |= p.ev.diags.has_errors();
    }
    if input.mode == PlanMode::Destroy {
        destroy_changes(&mut p);
    } else if walkable && (!errored || validate_only) {
        if p.targeted.is_none() {
            p.index_held();
        }
        // Most plans have a change (often a no-op) per instance in state.
        p.changes.reserve(p.prior.resources.len());
        walk_levels(&mut p).await;
        if input.mode == PlanMode::Normal && !validate_only {
            let warnings = crate::checks::warnings(&p.ev);
            p.ev.diags.extend(Diagnostics(warnings));
        }
        // Whole resources removed from the configuration, and deposed objects.
        let orphans: Vec<InstanceAddr> = p
            .prior
            .resources
            .keys()
            .filter(|a| !p.in_config.contains(*a) && a.resource.mode == ResourceMode::Managed)
            .filter(|a| input.targets.is_empty() || input.targets.iter().any(|t| t.matches(a)))
            .cloned()
            .collect();
        for a in orphans {
            if crate::removed::forgotten(&removals, &a) {
                p.push_forget(&a);
            } else {
                p.push_delete(&a, Reason::RemovedFromConfig, Vec::new());
            }
        }
        push_deposed(&mut p);
    }
    if input.mode == PlanMode::RefreshOnly {
        p.changes.clear();
    }
    check_deletes(&mut p);
    errored |= p.ev.diags.has_errors();
    let outputs = if input.mode == PlanMode::Destroy && !input.targets.is_empty() {
        // A targeted destroy leaves the outputs as they are, as Terraform's does.
        Vec::new()
    } else if input.mode == PlanMode::Destroy {
        p.prior
            .outputs
            .iter()
            .map(|(k, s)| OutputChange {
                name: k.clone(),
                before: Some(s.value.clone()),
                after: None,
                sensitive: s.sensitive,
            })
            .collect()
    } else if input.targets.is_empty()
        && matches!(input.mode, PlanMode::Normal | PlanMode::RefreshOnly)
        && !errored
    {
        // A refresh-only plan takes the outputs' new values too, as Terraform's does.
        p.output_changes()
    } else {
        Vec::new()
    };
    if input.mode == PlanMode::Normal && !drift.is_empty() {
        let actions: FxHashMap<&InstanceAddr, usize> = p
            .changes
            .iter()
            .enumerate()
            .filter(|(_, c)| is_action(c))
            .map(|(i, c)| (&c.addr, i))
            .collect();
        drift.retain(|d| relevant_drift(&p, &actions, d));
    }
    let changes = sorted_changes(std::mem::take(&mut p.changes));
    let plan = Plan {
        mode: input.mode,
        changes,
        outputs,
        drift,
        prior_lineage: input.state.lineage.clone(),
        prior_serial: input.state.serial,
        errored,
        data: p.data,
    };
    let diagnostics = dedupe(std::mem::take(&mut p.ev.diags));
    // What the walk built for itself is no longer needed: freeing a large
    // configuration's values and indexes is left to another thread.
    let leftovers = (
        std::mem::take(&mut p.ev.values),
        std::mem::take(&mut p.in_config),
    );
    if leftovers.1.len() >= PARALLEL_MIN_JOBS {
        let _ = std::thread::Builder::new()
            .name("iac-free".into())
            .spawn(move || drop(leftovers));
    }
    PlanOutput { plan, diagnostics }
}

/// `iac console`: the configuration's values (variables, locals, outputs of
/// every module) computed with every resource and data source as state holds
/// it, then each expression evaluated in the root module. No provider is
/// configured or called and nothing is planned.
pub async fn console(
    engine: &Engine,
    input: &PlanInput<'_>,
    exprs: &[iac_syntax::Expr],
) -> (Vec<Result<Value, Diagnostic>>, Diagnostics) {
    let (graph, mut diags) =
        crate::graph::build_graph_traced(input.module, engine.trace.as_deref());
    let mut prior = std::borrow::Cow::Borrowed(input.state);
    let tree = module_tree(input.module);
    let moved = crate::moved::apply_moves(&tree, &mut prior, &mut diags);
    let mut p = Planner::new(
        engine,
        input,
        graph,
        prior,
        moved,
        diags,
        Default::default(),
    );
    p.console = true;
    let walkable = !p.ev.graph.order.is_empty() || p.ev.graph.graph.node_count() == 0;
    if walkable {
        walk_levels(&mut p).await;
    }
    let root: ModPath = Vec::new();
    let scope = p.ev.values.scope(&root);
    let mut ctx = p.ev.eval_ctx(&root, &scope);
    let results = exprs.iter().map(|e| ctx.eval(e)).collect();
    drop(ctx);
    (results, dedupe(std::mem::take(&mut p.ev.diags)))
}

/// The walk: level by level, nothing in a level depending on anything else in
/// it, so its managed instances can be planned side by side. What is recorded
/// (values, changes, diagnostics) is recorded node by node in walk order, as a
/// walk of one node at a time would.
async fn walk_levels(p: &mut Planner<'_>) {
    enum Step {
        Value(NodeKey),
        Resource {
            /// Works begun: one per instance of its module.
            started: usize,
            diags: Vec<Diagnostic>,
        },
    }
    for level in levels(&p.ev.graph) {
        let mut works = Vec::with_capacity(level.len());
        let mut steps = Vec::with_capacity(level.len());
        for n in level {
            match p.ev.graph.graph[n].clone() {
                NodeKey::Resource(path, key) => {
                    let mark = p.ev.diags.0.len();
                    let mut started = 0;
                    for inst in p.ev.values.instances(&path) {
                        if let Some(w) = p.begin_resource(&inst, &key, n).await {
                            works.push(w);
                            started += 1;
                        }
                    }
                    let diags = p.ev.diags.0.split_off(mark);
                    steps.push(Step::Resource { started, diags });
                }
                value => steps.push(Step::Value(value)),
            }
        }
        let mut planned = p.plan_jobs(&mut works).into_iter();
        let mut works = works.into_iter();
        for step in steps {
            match step {
                Step::Value(value) => p.ev.walk_value(&value, p.validate_only),
                Step::Resource { started, diags } => {
                    p.ev.diags.extend(Diagnostics(diags));
                    for _ in 0..started {
                        if let Some(w) = works.next() {
                            p.finish_resource(w, &mut planned);
                        }
                    }
                }
            }
        }
    }
}

/// Instances in address order grouped by resource (a resource's instances are
/// neighbours).
/// Each resource's instances in state, by the resource's address.
type HeldIndex<'a> = FxHashMap<std::borrow::Cow<'a, ResourceAddr>, Vec<(InstanceKey, Held<'a>)>>;

fn by_resource<'s, 'a>(
    instances: impl ExactSizeIterator<Item = (&'s InstanceAddr, Held<'a>)>,
    key: impl Fn(&'s ResourceAddr) -> std::borrow::Cow<'a, ResourceAddr>,
) -> HeldIndex<'a> {
    // At most one entry per instance: made at that size rather than grown by doubling.
    let mut index = FxHashMap::with_capacity_and_hasher(instances.len(), Default::default());
    let mut last: Option<(&ResourceAddr, Vec<(InstanceKey, Held<'a>)>)> = None;
    for (a, held) in instances {
        match &mut last {
            Some((r, v)) if **r == a.resource => v.push((a.key.clone(), held)),
            _ => {
                if let Some((r, v)) = last.take() {
                    index.insert(key(r), v);
                }
                last = Some((&a.resource, vec![(a.key.clone(), held)]));
            }
        }
    }
    if let Some((r, v)) = last {
        index.insert(key(r), v);
    }
    index
}

/// Changes in address order ((address, deposed key) is unique). The order is
/// found on small keys (see `presorted`), then the changes are put in it where
/// they are, each cycle of the permutation followed once: a change is large,
/// and neither a sort moving whole changes at every step nor a second list of
/// them is wanted.
fn sorted_changes(mut changes: Vec<ResourceChange>) -> Vec<ResourceChange> {
    let cmp = |a: &usize, b: &usize| {
        let (a, b) = (&changes[*a], &changes[*b]);
        (&a.addr, &a.deposed).cmp(&(&b.addr, &b.deposed))
    };
    let order = presorted(&changes, cmp);
    permute(&mut changes, order);
    changes
}

/// Puts `items` in `order` (`order[k]` is the index of the item that belongs at
/// `k`) in place, by swaps along each cycle.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut at = start;
        // Each position, once filled, is marked by pointing at itself.
        while order[at] != start {
            let from = order[at];
            items.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
}

/// The changes' order, found without comparing whole addresses where a
/// shorter key decides: root-module changes by mode and type (a few groups),
/// then by the first 16 bytes of the name as one integer; only changes whose
/// keys tie (a long shared name, instances of one resource, deposed objects)
/// and changes in modules (whose steps order keys as numbers) are ordered by
/// `cmp`.
fn presorted(
    changes: &[ResourceChange],
    cmp: impl Fn(&usize, &usize) -> std::cmp::Ordering,
) -> Vec<usize> {
    let mut groups: FxHashMap<(bool, &str), Vec<(u128, usize)>> = FxHashMap::default();
    let mut in_modules = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        let r = &c.addr.resource;
        if r.module.is_empty() {
            groups
                .entry((r.mode == ResourceMode::Data, r.ty.as_str()))
                .or_default()
                .push((name_key(&r.name), i));
        } else {
            in_modules.push(i);
        }
    }
    // Managed before data, then by type; root addresses before any in a module.
    let mut keys: Vec<(bool, &str)> = groups.keys().copied().collect();
    keys.sort_unstable();
    let mut order = Vec::with_capacity(changes.len());
    for k in keys {
        let mut g = groups.remove(&k).unwrap_or_default();
        g.sort_unstable();
        let mut at = 0;
        while at < g.len() {
            let tie = g[at..].iter().take_while(|(n, _)| *n == g[at].0).count();
            let start = order.len();
            order.extend(g[at..at + tie].iter().map(|&(_, i)| i));
            if tie > 1 {
                order[start..].sort_by(&cmp);
            }
            at += tie;
        }
    }
    in_modules.sort_by(&cmp);
    order.extend(in_modules);
    order
}

/// The first 16 bytes of a name as one integer (zeros after a shorter name):
/// a name that sorts before another never has a greater key.
fn name_key(name: &str) -> u128 {
    let mut b = [0u8; 16];
    let n = name.len().min(16);
    b[..n].copy_from_slice(&name.as_bytes()[..n]);
    u128::from_be_bytes(b)
}

/// The graph's nodes by level: a node's level is one more than the highest of
/// what it depends on. Each level keeps the nodes' order in `graph.order`.
fn levels(g: &crate::graph::Graph) -> Vec<Vec<NodeIndex>> {
    let mut level = vec![0usize; g.graph.node_count()];
    let mut out: Vec<Vec<NodeIndex>> = Vec::new();
    for &n in &g.order {
        let l = g
            .graph
            .neighbors_directed(n, petgraph::Direction::Incoming)
            .map(|d| level[d.index()] + 1)
            .max()
            .unwrap_or(0);
        level[n.index()] = l;
        if out.len() <= l {
            out.resize_with(l + 1, Vec::new);
        }
        out[l].push(n);
    }
    out
}

/// The graph and the evaluator can find the same undeclared reference; report it once.
fn dedupe(diags: Diagnostics) -> Diagnostics {
    let mut seen = HashSet::new();
    Diagnostics(
        diags
            .into_iter()
            .filter(|d| {
                // Two problems at one place are two problems; one found twice is one.
                let key = d.primary.as_ref().map(|l| {
                    (
                        d.code,
                        l.span.file,
                        l.span.start,
                        l.span.end,
                        d.message.clone(),
                    )
                });
                key.is_none_or(|k| seen.insert(k))
            })
            .collect(),
    )
}

/// `import` blocks: read each object that is not in state yet and plan from it.
async fn import_objects(p: &mut Planner<'_>) {
    let root = p.ev.tree[&Vec::new()];
    for imp in &root.imports {
        let to = crate::moved::expr_address(&imp.to).and_then(|t| t.parse::<InstanceAddr>().ok());
        let Some(to) = to else {
            p.ev.diags.push(
                Diagnostic::error("E0506", "Invalid address in import block")
                    .with_span(imp.to.span, "expected a resource instance address such as aws_instance.web or aws_instance.web[0]"),
            );
            continue;
        };
        let mut ctx = EvalContext::new(
            &iac_config::EmptyNamespace,
            root.dir.clone(),
            root.dir.clone(),
        );
        let id = match ctx.eval(&imp.id) {
            Ok(v) => match v.as_str() {
                Some(s) => s.to_string(),
                None => {
                    p.ev.diags.push(
                        Diagnostic::error("E0507", "Invalid import id")
                            .with_span(imp.id.span, "the id must be a known string"),
                    );
                    continue;
                }
            },
            Err(d) => {
                p.ev.diags.push(d);
                continue;
            }
        };
        if p.prior.resources.contains_key(&to) {
            continue;
        }
        // The target may be in a module (`module.net.aws_vpc.v`, an instance
        // `module.net["a"].aws_vpc.v`), as in Terraform.
        let key = format!("{}.{}", to.resource.ty, to.resource.name);
        if crate::graph::block_of(&p.ev.tree, &to.resource).is_none() {
            p.ev.diags.push(
                Diagnostic::error(
                    "E0508",
                    format!("Import target {to} is not in the configuration"),
                )
                .with_span(imp.to.span, "add a resource block for it first"),
            );
            continue;
        }
        let Some(binding) = p.bindings.of(&to.resource.module, &key).map(String::from) else {
            continue;
        };
        let Some(provider) = p.engine.providers.configuration(&binding) else {
            continue;
        };
        let stub = Value::map([("id", Value::String(id.clone()))]);
        match provider
            .read_resources(&to.resource.ty, &[stub])
            .await
            .into_iter()
            .next()
        {
            Some(Ok(Some(v))) => {
                p.prior.to_mut().resources.insert(
                    to.clone(),
                    iac_state::InstanceState {
                        provider: binding.clone(),
                        current: Some(iac_state::ResourceObject {
                            attributes: v,
                            dependencies: Vec::new(),
                            create_before_destroy: false,
                            tainted: false,
                        }),
                        deposed: BTreeMap::new(),
                    },
                );
                p.imported.insert(to, id);
            }
            Some(Ok(None)) | None => p.ev.diags.push(
                Diagnostic::error(
                    "E0509",
                    format!("Cannot import {to}: no object with id \"{id}\" exists"),
                )
                .with_span(imp.id.span, "not found"),
            ),
            Some(Err(d)) => p.ev.diags.push(
                Diagnostic::error("E0509", format!("Cannot import {to}: {}", d.summary))
                    .with_span(imp.span, d.detail),
            ),
        }
    }
}

fn push_deposed(p: &mut Planner<'_>) {
    let deposed: Vec<(InstanceAddr, String, iac_state::ResourceObject, String)> = p
        .prior
        .resources
        .iter()
        .flat_map(|(a, i)| {
            i.deposed
                .iter()
                .map(move |(k, o)| (a.clone(), k.clone(), o.clone(), i.provider.clone()))
        })
        .collect();
    for (addr, key, obj, provider) in deposed {
        p.changes.push(ResourceChange {
            addr,
            deposed: Some(key),
            previous_addr: None,
            import_id: None,
            provider,
            action: Action::Delete,
            reason: Reason::DeposedObject,
            before: Some(obj.attributes),
            after: None,
            requires_replace: Vec::new(),
            dependencies: obj.dependencies,
            create_before_destroy: true,
            notes: Vec::new(),
        });
    }
}

/// Whether a drift is one nobody needs to hear about: only attributes that
/// `ignore_changes` names, or that the configuration leaves to the cloud (optional
/// and computed, and not set: a group's `ingress` when its rules are separate
/// resources), changed.
fn only_ignored_changed(
    tree: &BTreeMap<crate::graph::ModPath, &iac_config::Module>,
    providers: &crate::Providers,
    d: &iac_plan::Drift,
) -> bool {
    let Some(after) = &d.after else { return false };
    let Some((_, r)) = crate::graph::block_of(tree, &d.addr.resource) else {
        return false;
    };
    if r.lifecycle.ignore_all_changes {
        return true;
    }
    let (Some(b), Some(a)) = (d.before.as_map(), after.as_map()) else {
        return false;
    };
    let changed: Vec<&String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    let schema = providers.for_type(&r.ty, false).map(|(_, s)| s);
    let left_to_cloud = |k: &str| {
        schema
            .and_then(|s| s.attributes.get(k))
            .is_some_and(|a| a.optional && a.computed)
            && r.body.attribute(k).is_none()
            && !r.body.blocks.iter().any(|b| b.kind == k)
    };
    !changed.is_empty()
        && changed.iter().all(|k| {
            left_to_cloud(k)
                || r.lifecycle
                    .ignore_changes
                    .iter()
                    .any(|p| p.first() == Some(*k))
        })
}

/// A change to a managed object's current instance (not a deposed object's, not a
/// data source's read): what the plan does to the object at its address.
fn is_action(c: &ResourceChange) -> bool {
    c.deposed.is_none() && c.addr.resource.mode == ResourceMode::Managed
}

/// Whether a drift matters to the user: the object is gone, the plan changes it,
/// or a changed attribute is one the configuration sets. A change the plan leaves
/// alone in what the configuration leaves to the cloud (the rules of a group whose
/// rules are separate resources) is not reported, as Terraform does not.
fn relevant_drift(
    p: &Planner<'_>,
    actions: &FxHashMap<&InstanceAddr, usize>,
    d: &iac_plan::Drift,
) -> bool {
    let (Some(after), Some(&i)) = (&d.after, actions.get(&d.addr)) else {
        return true;
    };
    let Some((_, r)) = crate::graph::block_of(&p.ev.tree, &d.addr.resource) else {
        return true;
    };
    let (Some(b), Some(a)) = (d.before.as_map(), after.as_map()) else {
        return true;
    };
    let configured =
        |k: &str| r.body.attribute(k).is_some() || r.body.blocks.iter().any(|x| x.kind == *k);
    let mut drifted = a
        .iter()
        .filter(|(k, v)| !b.get(*k).is_some_and(|x| p.fp.equivalent(x, v)))
        .map(|(k, _)| k);
    if p.changes[i].action == Action::NoOp {
        return drifted.any(|k| configured(k));
    }
    // A resource that changes anyway: its drift explains the change, except
    // for what only the provider computes and keeps moving (a database's latest
    // restorable time), which explains nothing.
    let schema = p
        .engine
        .providers
        .for_type(&d.addr.resource.ty, false)
        .map(|(_, s)| s);
    drifted.any(|k| {
        configured(k)
            || schema
                .and_then(|s| s.attributes.get(k))
                .is_none_or(|a| a.optional || a.required)
    })
}

/// Asks each provider whether the objects the plan deletes (or replaces) may be
/// deleted as they stand, so a refusal comes at plan time, not halfway through an apply.
fn check_deletes(p: &mut Planner<'_>) {
    let mut found = Vec::new();
    for c in &p.changes {
        if !(c.action == Action::Delete || c.action.is_replace())
            || c.addr.resource.mode != ResourceMode::Managed
        {
            continue;
        }
        let Some(before) = &c.before else { continue };
        let Some(provider) = p.engine.providers.configuration(&c.provider) else {
            continue;
        };
        for d in provider.check_delete(&c.addr.resource.ty, before) {
            let mut diag = Diagnostic::error(
                "E0706",
                format!("{} cannot be destroyed: {}", c.addr, d.summary),
            );
            if !d.detail.is_empty() {
                diag = diag.with_help(d.detail.clone());
            }
            if let Some((_, r)) = crate::graph::block_of(&p.ev.tree, &c.addr.resource) {
                diag = diag.with_span(r.span, "declared here");
            }
            found.push(diag);
        }
    }
    for d in found {
        p.ev.diags.push(d);
    }
}

/// What an object in state depends on: what state remembers, and what the
/// configuration says now.
fn destroy_deps(p: &Planner<'_>, a: &InstanceAddr) -> Vec<String> {
    let mut deps: Vec<String> = p
        .prior
        .current(a)
        .map(|o| o.dependencies.clone())
        .unwrap_or_default();
    let key = NodeKey::Resource(
        iac_value::addr::module_config_path(&a.resource.module),
        format!("{}.{}", a.resource.ty, a.resource.name),
    );
    if let Some(&node) = p.ev.graph.index.get(&key) {
        deps.extend(p.deps_of(node));
    }
    deps.sort();
    deps.dedup();
    deps
}

fn destroy_changes(p: &mut Planner<'_>) {
    let managed: Vec<InstanceAddr> = p
        .prior
        .resources
        .keys()
        .filter(|a| a.resource.mode == ResourceMode::Managed)
        .cloned()
        .collect();
    let mut addrs: Vec<InstanceAddr> = managed
        .iter()
        .filter(|a| p.input.targets.is_empty() || p.input.targets.iter().any(|t| t.matches(a)))
        .cloned()
        .collect();
    if !p.input.targets.is_empty() {
        // A targeted destroy takes what depends on its targets too, as Terraform's
        // does: left behind, they would point at objects that are gone.
        loop {
            let gone: HashSet<String> = addrs.iter().map(|a| a.resource.to_string()).collect();
            let more: Vec<InstanceAddr> = managed
                .iter()
                .filter(|a| !addrs.contains(a))
                .filter(|a| destroy_deps(p, a).iter().any(|d| gone.contains(d)))
                .cloned()
                .collect();
            if more.is_empty() {
                break;
            }
            addrs.extend(more);
        }
        addrs.sort();
    }
    for a in addrs {
        if let Some((_, r)) = crate::graph::block_of(&p.ev.tree, &a.resource) {
            if r.lifecycle.prevent_destroy {
                p.ev.diags.push(prevent_destroy_error(r, &a));
            }
        }
        // Order by what the configuration says depends on what, and by what state remembers.
        let deps = destroy_deps(p, &a);
        p.push_delete(&a, Reason::DestroyRequested, deps);
    }
    push_deposed(p);
}

/// An error of a data source scoped to a check block, as the warning it is:
/// a check never stops a run.
pub(crate) fn check_data_warning(d: Diagnostic) -> Diagnostic {
    Diagnostic {
        code: "W0224",
        severity: iac_diagnostics::Severity::Warning,
        ..d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Changes come out in address order from any order they were made in,
    /// however types and names share their beginnings, run past the key, or
    /// live in modules (whose steps order keys as numbers).
    #[test]
    fn changes_come_out_in_address_order() {
        let texts = [
            "aws_instance.a",
            "aws_instance.a[0]",
            "aws_instance.a[10]",
            "aws_instance.a[2]",
            "aws_instance.a[\"x\"]",
            "aws_instance.ab",
            "aws_instance.a-b",
            "aws_instance.a_b",
            "aws_instance_x.a",
            "aws_in.zzz",
            "aws_lb.x",
            "aws_lb_listener.y",
            "aws_security_group_rule.a_very_long_name_beyond_the_key",
            "aws_security_group_rule.a_very_long_name_beyond_the_kez",
            "aws_security_group_rule.a_very_long_name",
            "data.aws_ami.ubuntu",
            "data.aws_ami.a",
            "terraform_data.r10",
            "terraform_data.r2",
            "terraform_data.r",
            "module.net.aws_subnet.a",
            "module.net[10].aws_subnet.a",
            "module.net[2].aws_subnet.a",
            "module.a.module.b.terraform_data.x",
            "module.a.terraform_data.y",
        ];
        let mut addrs: Vec<InstanceAddr> = texts.iter().map(|t| t.parse().unwrap()).collect();
        addrs.sort();
        let names: Vec<&str> = addrs.iter().map(|a| a.resource.name.as_str()).collect();
        for w in names.windows(2) {
            if w[0] <= w[1] {
                assert!(name_key(w[0]) <= name_key(w[1]), "{} before {}", w[0], w[1]);
            }
        }
        // Changes come out in address order from any order they were made in.
        let change = |a: &InstanceAddr| ResourceChange {
            addr: a.clone(),
            deposed: None,
            previous_addr: None,
            import_id: None,
            provider: String::new(),
            action: Action::NoOp,
            reason: Reason::None,
            before: None,
            after: None,
            requires_replace: Vec::new(),
            dependencies: Vec::new(),
            create_before_destroy: false,
            notes: Vec::new(),
        };
        let mut shuffled: Vec<ResourceChange> = addrs.iter().rev().map(change).collect();
        // A deposed object of the first address, made before its current one.
        let mut deposed = change(&addrs[0]);
        deposed.deposed = Some("00000001".into());
        shuffled.insert(0, deposed);
        let sorted = sorted_changes(shuffled);
        let got: Vec<(&InstanceAddr, Option<&str>)> = sorted
            .iter()
            .map(|c| (&c.addr, c.deposed.as_deref()))
            .collect();
        let mut want: Vec<(&InstanceAddr, Option<&str>)> =
            addrs.iter().map(|a| (a, None)).collect();
        want.insert(1, (&addrs[0], Some("00000001")));
        assert_eq!(got, want);
    }

    #[test]
    fn permute_puts_every_item_where_the_order_says() {
        // Every order of six items: cycles of every length and fixed points.
        fn orders(n: usize) -> Vec<Vec<usize>> {
            if n == 0 {
                return vec![Vec::new()];
            }
            let mut out = Vec::new();
            for o in orders(n - 1) {
                for at in 0..=o.len() {
                    let mut o = o.clone();
                    o.insert(at, n - 1);
                    out.push(o);
                }
            }
            out
        }
        let all = orders(6);
        assert_eq!(all.len(), 720);
        for order in all {
            let mut items: Vec<String> = (0..6).map(|i| format!("item{i}")).collect();
            let want: Vec<String> = order.iter().map(|i| format!("item{i}")).collect();
            permute(&mut items, order.clone());
            assert_eq!(items, want, "order {order:?}");
        }
    }
}
