//! Orchestration: refresh → plan → apply, over the resource graph.
//! The engine never names a cloud: it talks to providers through `iac-provider`.

mod apply;
mod checks;
pub mod configure;
mod decode;
mod deployments;
mod evaluate;
pub mod graph;
mod moved;
mod plan;
mod refresh;
mod removed;
mod scope;
mod variables;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use iac_config::Module;
use iac_diagnostics::Diagnostics;
use iac_plan::{Plan, PlanMode};
use iac_provider::{Provider, Schema};
use iac_state::{Backend, State};
use iac_value::addr::{AddrPattern, InstanceAddr};
use iac_value::Value;

pub use apply::{ApplyEvent, ApplyOutcome};
pub use deployments::{Deployment, Release, RolledBack};
pub use variables::{finish_variable, missing_variables, resolve_root_variables};

/// The providers a run can use: one instance per kind (which serves the kind's
/// default configuration) and one more per aliased configuration.
#[derive(Clone, Default)]
pub struct Providers {
    list: Vec<Arc<dyn Provider>>,
    aliased: Arc<std::sync::RwLock<BTreeMap<String, Arc<dyn Provider>>>>,
}

impl Providers {
    pub fn new(list: Vec<Arc<dyn Provider>>) -> Providers {
        Providers {
            list,
            aliased: Arc::default(),
        }
    }

    /// The instance that serves a configuration address (`aws`, `aws.west`),
    /// once `configure_providers` has made it.
    pub fn configuration(&self, address: &str) -> Option<Arc<dyn Provider>> {
        if let Some(p) = self
            .aliased
            .read()
            .ok()
            .and_then(|m| m.get(address).cloned())
        {
            return Some(p);
        }
        if address.contains('.') {
            return None;
        }
        self.by_name(address).cloned()
    }

    /// The instance for a configuration address, made if it does not exist yet.
    pub(crate) fn instance(&self, address: &str, kind: &Arc<dyn Provider>) -> Arc<dyn Provider> {
        if !address.contains('.') {
            return kind.clone();
        }
        let Ok(mut m) = self.aliased.write() else {
            return kind.clone();
        };
        m.entry(address.to_string())
            .or_insert_with(|| kind.new_instance().unwrap_or_else(|| kind.clone()))
            .clone()
    }

    /// The provider and schema for a resource type (`data == true`: a data source).
    pub fn for_type(&self, ty: &str, data: bool) -> Option<(&Arc<dyn Provider>, &Schema)> {
        self.list.iter().find_map(|p| {
            let s = p.schema();
            let map = if data { &s.data_sources } else { &s.resources };
            map.get(ty).map(|schema| (p, schema))
        })
    }

    /// Every provider this engine has.
    pub fn list(&self) -> &[Arc<dyn Provider>] {
        &self.list
    }

    pub fn by_name(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.list.iter().find(|p| p.name() == name)
    }

    pub fn type_names(&self, data: bool) -> Vec<&str> {
        self.list
            .iter()
            .flat_map(|p| {
                let s = p.schema();
                let map = if data { &s.data_sources } else { &s.resources };
                map.keys().map(String::as_str)
            })
            .collect()
    }

    /// Why a type no provider offers is missing, when a provider knows it
    /// (Terraform's provider has it; iac does not yet).
    pub fn missing_type(&self, type_name: &str, data: bool) -> Option<String> {
        self.list
            .iter()
            .find_map(|p| p.missing_type(type_name, data))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Provider>> {
        self.list.iter()
    }
}

/// Where graph traces go.
pub type Trace = dyn Fn(&str) + Send + Sync;

pub struct Engine {
    pub providers: Providers,
    /// Receives the graphs as they are built, pass by pass (`IAC_LOG=trace`).
    pub trace: Option<Arc<Trace>>,
    /// How many threads plan a level of independent resources (the cores, by default).
    pub threads: usize,
}

/// What to plan.
pub struct PlanInput<'a> {
    pub module: &'a Module,
    /// Resolved root variable values.
    pub variables: &'a HashMap<String, Value>,
    pub state: &'a State,
    pub mode: PlanMode,
    pub refresh: bool,
    pub targets: &'a [AddrPattern],
    pub replace: &'a [InstanceAddr],
    pub workspace: &'a str,
}

/// Root modules with fewer blocks than this are bound on the preparing thread.
const PARALLEL_MIN_BIND: usize = 256;

/// What [`Engine::prepare`] computed from a configuration.
pub struct Prepared {
    graph: graph::Graph,
    diagnostics: Diagnostics,
    /// Every block bound to its provider configuration.
    bound: (configure::Bindings, Diagnostics),
}

pub struct PlanOutput {
    pub plan: Plan,
    pub diagnostics: Diagnostics,
}

/// What to apply.
pub struct ApplyInput<'a> {
    pub module: &'a Module,
    pub variables: &'a HashMap<String, Value>,
    pub plan: &'a Plan,
    /// The state as read from the backend (the plan's prior serial and lineage).
    pub state: State,
    pub backend: &'a dyn Backend,
    pub parallelism: usize,
    pub cancel: Arc<AtomicBool>,
    pub workspace: &'a str,
    pub on_event: &'a (dyn Fn(ApplyEvent) + Sync),
}

impl Engine {
    pub fn new(providers: Providers) -> Engine {
        Engine {
            providers,
            trace: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        }
    }

    /// Plans with at most `n` threads (1: everything on the calling thread).
    pub fn with_threads(mut self, n: usize) -> Engine {
        self.threads = n.max(1);
        self
    }

    /// Sends every graph, after each pass that builds it, to `trace`.
    pub fn with_trace(mut self, trace: impl Fn(&str) + Send + Sync + 'static) -> Engine {
        self.trace = Some(Arc::new(trace));
        self
    }

    /// Checks the configuration without state: graph, types, references, schemas.
    pub fn validate(&self, module: &Module, variables: &HashMap<String, Value>) -> Diagnostics {
        let state = State::new();
        let input = PlanInput {
            module,
            variables,
            state: &state,
            mode: PlanMode::Normal,
            refresh: false,
            targets: &[],
            replace: &[],
            workspace: "default",
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        match rt {
            Ok(rt) => rt.block_on(plan::plan(self, &input, true)).diagnostics,
            Err(e) => Diagnostics(vec![iac_diagnostics::Diagnostic::error(
                "E0001",
                format!("cannot start runtime: {e}"),
            )]),
        }
    }

    pub async fn plan(&self, input: &PlanInput<'_>) -> PlanOutput {
        plan::plan(self, input, false).await
    }

    /// Evaluates expressions against the configuration and state, as
    /// `terraform console` does (see [`plan::console`]).
    pub async fn console(
        &self,
        input: &PlanInput<'_>,
        exprs: &[iac_syntax::Expr],
    ) -> (Vec<Result<Value, iac_diagnostics::Diagnostic>>, Diagnostics) {
        plan::console(self, input, exprs).await
    }

    /// The part of planning that needs only the configuration (its dependency
    /// graph), so a caller can do it while the state is still being read.
    pub fn prepare(&self, module: &Module) -> Prepared {
        let bind = || configure::bind_providers(&self.providers, module);
        let graph = || graph::build_graph_traced(module, self.trace.as_deref());
        // Both only read the module: a large one is bound on another core while
        // its graph is built (a thread costs more than binding a small one).
        let ((graph, diagnostics), bound) = if module.resources.len() >= PARALLEL_MIN_BIND {
            std::thread::scope(|s| {
                let binder = std::thread::Builder::new()
                    .name("iac-bind".into())
                    .spawn_scoped(s, bind);
                let built = graph();
                let bound = match binder.map(|h| h.join()) {
                    Ok(Ok(b)) => b,
                    Ok(Err(panic)) => std::panic::resume_unwind(panic),
                    // No thread to be had: bound here.
                    Err(_) => bind(),
                };
                (built, bound)
            })
        } else {
            (graph(), bind())
        };
        Prepared {
            graph,
            diagnostics,
            bound,
        }
    }

    /// [`Engine::plan`] with the configuration's graph already built by
    /// [`Engine::prepare`]; `prepared` must come from `input.module`.
    pub async fn plan_prepared(&self, input: &PlanInput<'_>, prepared: Prepared) -> PlanOutput {
        plan::plan_with(self, input, false, Some(prepared)).await
    }

    pub async fn apply(&self, input: ApplyInput<'_>) -> ApplyOutcome {
        apply::apply(self, input).await
    }

    /// Reads an existing object so `iac import` can put it in state.
    /// Runs a provider action on an object in state (`rollback` of a
    /// deployment, its `status`) and returns the object's new attributes.
    pub async fn run_action(
        &self,
        module: &Module,
        variables: &HashMap<String, Value>,
        state: &State,
        addr: &InstanceAddr,
        action: &str,
        output: Option<&(dyn Fn(&str) + Send + Sync)>,
    ) -> Result<Value, Diagnostics> {
        use iac_diagnostics::Diagnostic;
        let obj_provider = state
            .resources
            .get(addr)
            .map(|i| i.provider.clone())
            .unwrap_or_default();
        let Some(obj) = state.current(addr) else {
            return Err(
                Diagnostic::error("E0511", format!("{addr} is not in state"))
                    .with_help("`iac state list` shows what is")
                    .into(),
            );
        };
        let (_, d) =
            configure::configure_providers(&self.providers, module, variables, state).await;
        if d.has_errors() {
            return Err(d);
        }
        let Some(provider) = self.providers.configuration(&obj_provider) else {
            return Err(Diagnostic::error(
                "E0702",
                format!("Provider configuration `{obj_provider}` is not available"),
            )
            .into());
        };
        provider
            .run_action(&addr.resource.ty, action, &obj.attributes, output)
            .await
            .map_err(|ds| {
                let mut out = Diagnostics::new();
                for d in ds {
                    let mut x = Diagnostic::error("E0512", format!("{addr}: {}", d.summary));
                    if !d.detail.is_empty() {
                        x = x.with_help(d.detail);
                    }
                    out.push(x);
                }
                out
            })
    }

    pub async fn import_object(
        &self,
        module: &Module,
        variables: &HashMap<String, Value>,
        state: &State,
        addr: &InstanceAddr,
        id: &str,
    ) -> Result<iac_state::InstanceState, Diagnostics> {
        use iac_diagnostics::Diagnostic;
        let key = format!("{}.{}", addr.resource.ty, addr.resource.name);
        let in_config = graph::block_of(&graph::module_tree(module), &addr.resource).is_some();
        if !in_config {
            return Err(Diagnostic::error(
                "E0508",
                format!("Import target {addr} is not in the configuration"),
            )
            .with_help("add a resource block for it first, then import")
            .into());
        }
        if state.resources.contains_key(addr) {
            return Err(
                Diagnostic::error("E0510", format!("{addr} is already in state"))
                    .with_help("remove it with `iac state rm` first to import another object")
                    .into(),
            );
        }
        let (bindings, d) =
            configure::configure_providers(&self.providers, module, variables, state).await;
        if d.has_errors() {
            return Err(d);
        }
        let binding = bindings.of(&addr.resource.module, &key).map(String::from);
        let Some(provider) = binding
            .as_deref()
            .and_then(|b| self.providers.configuration(b))
        else {
            return Err(Diagnostic::error(
                "E0202",
                format!("Unknown resource type \"{}\"", addr.resource.ty),
            )
            .into());
        };
        let stub = Value::map([("id", Value::string(id))]);
        match provider
            .read_resources(&addr.resource.ty, &[stub])
            .await
            .into_iter()
            .next()
        {
            Some(Ok(Some(v))) => Ok(iac_state::InstanceState {
                provider: binding.unwrap_or_default(),
                current: Some(iac_state::ResourceObject {
                    attributes: v,
                    dependencies: Vec::new(),
                    create_before_destroy: false,
                    tainted: false,
                }),
                deposed: Default::default(),
            }),
            Some(Err(d)) => Err(Diagnostic::error(
                "E0509",
                format!("Cannot import {addr}: {}: {}", d.summary, d.detail),
            )
            .into()),
            _ => Err(Diagnostic::error(
                "E0509",
                format!("Cannot import {addr}: no object with id \"{id}\" exists"),
            )
            .into()),
        }
    }

    /// The dependency graph in DOT form, with any graph errors.
    pub fn graph_dot(&self, module: &Module) -> (String, Diagnostics) {
        let (g, d) = graph::build_graph(module);
        (g.to_dot(), d)
    }
}
