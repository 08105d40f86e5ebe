//! What goes into state before any operation runs: what refresh found, and, for
//! unchanged objects, what the plan learned (dependencies, secrets no longer kept
//! in plaintext, imports, moves).

use iac_plan::{Action, Plan};
use iac_state::{ResourceObject, State, StateOp};
use iac_value::Fingerprinter;

/// Refreshed objects as the plan saw them.
pub(crate) fn drift_ops(plan: &Plan, working: &State) -> Vec<StateOp> {
    let mut start_ops: Vec<StateOp> = Vec::new();
    for d in &plan.drift {
        let provider = working
            .resources
            .get(&d.addr)
            .map(|i| i.provider.clone())
            .unwrap_or_default();
        match &d.after {
            None => start_ops.push(StateOp::SetObject {
                addr: d.addr.clone(),
                provider,
                deposed: None,
                object: None,
            }),
            Some(after) => {
                if let Some(obj) = working.current(&d.addr) {
                    start_ops.push(StateOp::SetObject {
                        addr: d.addr.clone(),
                        provider,
                        deposed: None,
                        object: Some(ResourceObject {
                            attributes: after.clone(),
                            ..obj.clone()
                        }),
                    });
                }
            }
        }
    }
    start_ops
}

/// Unchanged objects' new dependencies and marks, imported objects, moved ones.
pub(crate) fn unchanged_ops(
    plan: &Plan,
    working: &State,
    fp: &Fingerprinter,
    mut start_ops: Vec<StateOp>,
) -> Vec<StateOp> {
    for c in &plan.changes {
        // Unchanged objects learn their current dependencies (for the order of later deletes).
        if c.action == Action::NoOp && c.previous_addr.is_none() && c.import_id.is_none() {
            if let Some(obj) = working.current(&c.addr) {
                // A value the configuration now takes from a secret stops being
                // kept in plaintext, though nothing else changed.
                let attributes = match &c.after {
                    Some(after) if after.contains_sensitive() => {
                        fp.carry_config_marks(obj.attributes.clone(), &fp.redact(after), true)
                    }
                    _ => obj.attributes.clone(),
                };
                if obj.dependencies != c.dependencies || attributes != obj.attributes {
                    start_ops.push(StateOp::SetObject {
                        addr: c.addr.clone(),
                        provider: c.provider.clone(),
                        deposed: None,
                        object: Some(ResourceObject {
                            attributes,
                            dependencies: c.dependencies.clone(),
                            ..obj.clone()
                        }),
                    });
                }
            }
        }
        // Imported objects enter state as they were read.
        if let (Some(_), Some(before), None) = (&c.import_id, &c.before, working.current(&c.addr)) {
            start_ops.push(StateOp::SetObject {
                addr: c.addr.clone(),
                provider: c.provider.clone(),
                deposed: None,
                object: Some(ResourceObject {
                    attributes: before.clone(),
                    dependencies: c.dependencies.clone(),
                    create_before_destroy: c.create_before_destroy,
                    tainted: false,
                }),
            });
        }
        if let Some(prev) = &c.previous_addr {
            let mut tmp = working.clone();
            for op in &start_ops {
                tmp.apply_op(op);
            }
            if let Some(inst) = tmp.resources.get(prev).cloned() {
                start_ops.push(StateOp::SetObject {
                    addr: (**prev).clone(),
                    provider: inst.provider.clone(),
                    deposed: None,
                    object: None,
                });
                start_ops.push(StateOp::SetObject {
                    addr: c.addr.clone(),
                    provider: inst.provider.clone(),
                    deposed: None,
                    object: inst.current.clone(),
                });
            }
        }
    }
    start_ops
}
