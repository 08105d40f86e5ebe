//! Orchestration: refresh → plan → apply, over the resource graph.
//! The engine never names a cloud: it talks to providers through `iac-provider`.

mod apply;
mod configure;
mod decode;
pub mod graph;
mod moved;
mod plan;
mod refresh;
mod scope;
mod variables;

use std::collections::HashMap;
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
pub use variables::{finish_variable, missing_variables, resolve_root_variables};

/// The providers a run can use.
#[derive(Clone, Default)]
pub struct Providers {
    list: Vec<Arc<dyn Provider>>,
}

impl Providers {
    pub fn new(list: Vec<Arc<dyn Provider>>) -> Providers {
        Providers { list }
    }

    /// The provider and schema for a resource type (`data == true`: a data source).
    pub fn for_type(&self, ty: &str, data: bool) -> Option<(&Arc<dyn Provider>, &Schema)> {
        self.list.iter().find_map(|p| {
            let s = p.schema();
            let map = if data { &s.data_sources } else { &s.resources };
            map.get(ty).map(|schema| (p, schema))
        })
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

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Provider>> {
        self.list.iter()
    }
}

pub struct Engine {
    pub providers: Providers,
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
        Engine { providers }
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

    pub async fn apply(&self, input: ApplyInput<'_>) -> ApplyOutcome {
        apply::apply(self, input).await
    }

    /// The dependency graph in DOT form, with any graph errors.
    pub fn graph_dot(&self, module: &Module) -> (String, Diagnostics) {
        let (g, d) = graph::build_graph(module);
        (g.to_dot(), d)
    }
}
