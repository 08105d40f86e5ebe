//! The apply: executes exactly the plan's changes, in dependency order (deletes
//! in reverse), in parallel where independent. State is made durable after every
//! completed operation; a failed operation skips its dependents only.
//!
//! - `graph`: the apply graph, built from the plan by named passes;
//! - `walk`: the dependency walker (parallelism, cancellation, skipping);
//! - `exec`: what each node does (evaluate, create/update/read, delete);
//! - `record`: the one place that writes state and raises the serial;
//! - `start`: what goes into state before any operation (refresh, moves, imports);
//! - `outputs`: root outputs at the end.

mod exec;
mod graph;
mod outputs;
mod provision;
mod record;
mod start;
mod walk;

use std::time::Duration;

use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_plan::{Action, PlanMode};
use iac_state::State;

use crate::evaluate::{EvalInput, Evaluator};
use crate::{ApplyInput, Engine};
use record::Recorder;

/// Progress of an apply, for the CLI to print.
#[derive(Clone, Debug)]
pub enum ApplyEvent {
    Started {
        addr: String,
        action: Action,
        destroy: bool,
    },
    Finished {
        addr: String,
        action: Action,
        destroy: bool,
        elapsed: Duration,
        id: Option<String>,
        error: bool,
    },
    /// A line from a provisioner, to print after the address as Terraform
    /// does: `: Provisioning with 'local-exec'...`, then ` (local-exec): ...`
    /// for the command and each line of its output.
    Output { addr: String, line: String },
}

pub struct ApplyOutcome {
    pub state: State,
    pub diagnostics: Diagnostics,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub interrupted: bool,
    /// Operations that were planned but not carried out (failed dependencies, interruption).
    pub not_done: usize,
}

/// What an apply did.
#[derive(Default)]
pub(crate) struct Counts {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub not_done: usize,
}

fn failed(diags: Diagnostics, state: State, changes: usize) -> ApplyOutcome {
    ApplyOutcome {
        state,
        diagnostics: diags,
        added: 0,
        changed: 0,
        destroyed: 0,
        interrupted: false,
        not_done: changes,
    }
}

pub async fn apply(engine: &Engine, input: ApplyInput<'_>) -> ApplyOutcome {
    let plan = input.plan;
    let all = plan.changes.len();
    if plan.errored {
        let d = Diagnostic::error("E0601", "The plan has errors and cannot be applied");
        return failed(d.into(), input.state, all);
    }
    let (_, cd) = crate::configure::configure_providers(
        &engine.providers,
        input.module,
        input.variables,
        &input.state,
    )
    .await;
    if cd.has_errors() {
        return failed(cd, input.state, all);
    }
    let fp = input.state.fingerprinter();
    let mut rec = match Recorder::open(input.backend, input.state.clone()) {
        Ok(r) => r,
        Err(d) => return failed(d.into(), input.state.clone(), all),
    };

    // What refresh found goes into state first.
    let drift = start::drift_ops(plan, &rec.working);
    if plan.mode == PlanMode::RefreshOnly {
        for op in &drift {
            rec.set(op);
        }
        // Outputs take the values the plan computed, as a refresh-only apply
        // in Terraform records them (secrets are left as they were).
        let mut outputs = rec.working.outputs.clone();
        for o in &plan.outputs {
            match &o.after {
                None => {
                    outputs.remove(&o.name);
                }
                Some(v) if v.is_wholly_known() && !v.contains_sensitive() && !o.sensitive => {
                    outputs.insert(
                        o.name.clone(),
                        iac_state::OutputState {
                            value: v.clone(),
                            sensitive: false,
                        },
                    );
                }
                Some(_) => {}
            }
        }
        if outputs != rec.working.outputs {
            rec.set(&iac_state::StateOp::SetOutputs(outputs));
        }
        let mut diags = Diagnostics::new();
        if let Err(d) = rec.commit("") {
            diags.push(d);
        }
        return ApplyOutcome {
            state: rec.into_state(),
            diagnostics: diags,
            added: 0,
            changed: 0,
            destroyed: 0,
            interrupted: false,
            not_done: 0,
        };
    }
    let start_ops = start::unchanged_ops(plan, &rec.working, &fp, drift);
    if let Err(d) = rec.record(&start_ops) {
        return failed(d.into(), rec.into_state(), all);
    }

    let (cgraph, gd) = crate::graph::build_graph_traced(input.module, engine.trace.as_deref());
    if gd.has_errors() {
        return failed(gd, rec.into_state(), all);
    }
    let agraph = match graph::build(plan, &cgraph, engine.trace.as_deref()) {
        Ok(g) => g,
        Err(d) => return failed(d.into(), rec.into_state(), all),
    };
    let ev = Evaluator::new(
        EvalInput {
            module: input.module,
            variables: input.variables,
            workspace: input.workspace,
        },
        cgraph,
        std::sync::Arc::new(iac_value::Fingerprinter::new(fp.salt().to_string())),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut exec = exec::ApplyExecutor::new(engine, &input, &agraph, ev, rec, fp, tx);
    let show = |(addr, line): (String, String)| (input.on_event)(ApplyEvent::Output { addr, line });
    let walked = walk::walk(
        &agraph.g,
        &mut exec,
        input.parallelism,
        Some((&mut rx, &show)),
    )
    .await;

    let mut diags = std::mem::take(&mut exec.diags);
    diags.extend(std::mem::take(&mut exec.ev.diags));
    let destroying = plan.mode == PlanMode::Destroy;
    if !destroying && !walked.interrupted {
        diags.extend(Diagnostics(crate::checks::warnings(&exec.ev)));
    }
    if destroying {
        // The outputs the plan removes go (all of them, unless the destroy was
        // targeted: then none, as in Terraform).
        let mut kept = exec.rec.working.outputs.clone();
        for o in plan.outputs.iter().filter(|o| o.after.is_none()) {
            kept.remove(&o.name);
        }
        if kept != exec.rec.working.outputs {
            exec.rec.set(&iac_state::StateOp::SetOutputs(kept));
        }
    } else if let Some(op) = outputs::output_op(
        &exec.ev,
        &agraph,
        &walked.status,
        &exec.fp,
        &exec.rec.working.outputs,
        destroying,
    ) {
        exec.rec.set(&op);
    }
    if let Err(d) = exec.rec.commit(
        "every completed operation is in the journal beside the state file; the next run replays it",
    ) {
        diags.push(d);
    }
    let counts = std::mem::take(&mut exec.counts);
    ApplyOutcome {
        state: exec.rec.into_state(),
        diagnostics: diags,
        added: counts.added,
        changed: counts.changed,
        destroyed: counts.destroyed,
        interrupted: walked.interrupted,
        not_done: counts.not_done + walked.not_started,
    }
}
