//! Root outputs after an apply: new values where they could be computed, the old
//! ones elsewhere; a value computed from secrets keeps its derivation.

use std::collections::{BTreeMap, HashMap};

use iac_config::EvalContext;
use iac_state::{OutputState, StateOp};
use iac_value::{Fingerprinter, Value};
use petgraph::graph::NodeIndex;

use super::graph::ApplyGraph;
use super::walk::Status;
use crate::evaluate::Evaluator;
use crate::graph::NodeKey;
use crate::scope::Redacting;

pub(crate) fn output_op(
    ev: &Evaluator<'_>,
    graph: &ApplyGraph,
    status: &HashMap<NodeIndex, Status>,
    fp: &Fingerprinter,
    previous: &BTreeMap<String, OutputState>,
    destroying: bool,
) -> Option<StateOp> {
    let root = ev.input.module;
    let mut outputs: BTreeMap<String, OutputState> = BTreeMap::new();
    let vals = ev.values.modules.get(&Vec::new());
    for (name, o) in root.outputs.iter().filter(|_| !destroying) {
        let new = vals
            .and_then(|v| v.outputs.get(name))
            .filter(|v| v.is_wholly_known())
            .cloned();
        match new {
            // A null output is not kept, as Terraform keeps none.
            Some(Value::Null) if evaluated(ev, graph, status, name) => {}
            Some(v) if evaluated(ev, graph, status, name) => {
                let sensitive = o.sensitive || v.contains_sensitive();
                let v = if v.contains_sensitive() {
                    with_derivation(ev, fp, &o.value, v)
                } else {
                    v
                };
                outputs.insert(
                    name.clone(),
                    OutputState {
                        value: v.unmark_deep().0,
                        sensitive,
                    },
                );
            }
            _ => {
                if let Some(prev) = previous.get(name) {
                    outputs.insert(name.clone(), prev.clone());
                }
            }
        }
    }
    (outputs != *previous).then_some(StateOp::SetOutputs(outputs))
}

/// A value computed from secrets keeps its derivation, so a later plan, which
/// holds no plaintext, sees it unchanged.
fn with_derivation(
    ev: &Evaluator<'_>,
    fp: &Fingerprinter,
    expr: &iac_syntax::Expr,
    v: Value,
) -> Value {
    let root_path = Vec::new();
    let scope = ev.values.scope(&root_path);
    let redacting = Redacting { inner: &scope, fp };
    let dir = ev.input.module.dir.clone();
    let mut ctx = EvalContext::new(&redacting, dir.clone(), dir);
    ctx.workspace = ev.input.workspace.into();
    match ctx.eval(expr) {
        Ok(marks) => fp.carry_config_marks(v, &marks, true),
        Err(_) => v,
    }
}

/// Whether the output's node ran to the end (not skipped after a failure).
fn evaluated(
    ev: &Evaluator<'_>,
    graph: &ApplyGraph,
    status: &HashMap<NodeIndex, Status>,
    name: &str,
) -> bool {
    let key = NodeKey::Output(Vec::new(), name.to_string());
    ev.graph
        .index
        .get(&key)
        .and_then(|ci| graph.of_config.get(ci))
        .is_some_and(|n| status.get(n) == Some(&Status::Done))
}
