//! `check` blocks: assertions about the infrastructure, evaluated once the
//! values they read are known (after the plan's walk, and again after apply).
//! A failed assertion is a warning with its `error_message`, never an error:
//! a check does not stop a run, as in Terraform. One whose values are not known
//! until apply is left for apply to report.

use iac_config::EvalContext;
use iac_diagnostics::Diagnostic;
use iac_value::Value;

use crate::evaluate::Evaluator;

pub(crate) fn warnings(ev: &Evaluator<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (path, m) in &ev.tree {
        if m.checks.is_empty() {
            continue;
        }
        for inst in ev.values.instances(path) {
            let scope = ev.values.scope(&inst);
            let mut ctx = EvalContext::new(&scope, m.dir.as_path(), ev.input.module.dir.as_path());
            ctx.workspace = ev.input.workspace.into();
            for check in &m.checks {
                for a in &check.asserts {
                    let failed = match ctx.eval(&a.condition) {
                        Ok(v) => match v.unmarked() {
                            Value::Bool(false) => None,
                            Value::Bool(true) | Value::Unknown => continue,
                            other => Some(format!(
                                "the condition is not a bool but {}",
                                other.type_name()
                            )),
                        },
                        Err(d) => Some(d.message),
                    };
                    let message = match failed {
                        Some(why) => why,
                        None => crate::plan::error_message(&mut ctx, &a.error_message),
                    };
                    let prefix: String = inst.iter().map(|s| format!("module.{s}.")).collect();
                    out.push(
                        Diagnostic::warning("W0223", "Check block assertion failed")
                            .with_span(a.condition.span, message)
                            .with_secondary(check.span, format!("{prefix}check.{}", check.name)),
                    );
                }
            }
        }
    }
    out
}
