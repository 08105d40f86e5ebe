//! `iac apply` and `iac destroy`, of a new plan or a saved one.

use crate::args::PlanArgs;
use crate::commands::make_plan;
use crate::commands::Planned;
use crate::exit::*;
use crate::progress::*;
use crate::session::*;
use crate::ui::{ask, stdin_is_terminal, Ui};
use crate::views::*;
use anyhow::{anyhow, Context, Result};
use iac_config::vars::VarValue;
use iac_config::{load_module_from_files, Module};
use iac_diagnostics::{Diagnostic, Diagnostics, SourceMap};
use iac_engine::{ApplyEvent, ApplyInput};
use iac_plan::{Plan, PlanFile, PlanMode, PlanVariable};
use iac_state::{Backend, State};
use iac_value::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Everything an apply needs, from a fresh plan or a saved one.
pub(crate) struct ApplyJob<'a> {
    pub(crate) module: &'a Module,
    pub(crate) sources: &'a SourceMap,
    pub(crate) vars: &'a HashMap<String, Value>,
    pub(crate) plan: &'a Plan,
    pub(crate) state: State,
    pub(crate) backend: &'a dyn Backend,
    pub(crate) parallelism: usize,
    pub(crate) env: Option<&'a str>,
}

pub(crate) fn run_apply(ui: &Ui, job: ApplyJob<'_>) -> Result<u8> {
    let ApplyJob {
        module,
        sources,
        vars,
        plan,
        state,
        backend,
        parallelism,
        env,
    } = job;
    let engine = engine();
    let rt = runtime()?;
    let cancel = Arc::new(AtomicBool::new(false));
    let c2 = cancel.clone();
    let running: Arc<Running> = Arc::default();
    let ticker = {
        let running = running.clone();
        let every = progress_interval();
        rt.spawn(async move {
            let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                t.tick().await;
                still_running(&running);
            }
        })
    };
    let on_event = |ev: ApplyEvent| {
        track_event(&running, &ev);
        if debug_log() {
            if let ApplyEvent::Started { addr, action, .. } = &ev {
                let planned = plan
                    .changes
                    .iter()
                    .find(|c| c.addr.to_string() == *addr)
                    .and_then(|c| c.after.as_ref());
                match planned {
                    Some(v) => debug(&format!("{addr}: {action:?} with {v}")),
                    None => debug(&format!("{addr}: {action:?}")),
                }
            }
        }
        print_event(ev);
    };
    let outcome = rt.block_on(async {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                c2.store(true, Ordering::SeqCst);
                eprintln!("\nInterrupt received. No new operations will start; waiting for running ones to finish. State is saved as they complete.");
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("\nTwo interrupts received. Exiting now. Every completed operation is already in the state journal.");
                    std::process::exit(130);
                }
            }
        });
        engine
            .apply(ApplyInput {
                module,
                variables: vars,
                plan,
                state,
                backend,
                parallelism,
                cancel: cancel.clone(),
                workspace: env.unwrap_or("default"),
                on_event: &on_event,
            })
            .await
    });
    ticker.abort();
    let failed = ui.diagnostics(&outcome.diagnostics, sources);
    let verb = if plan.mode == PlanMode::Destroy {
        "Destroy"
    } else {
        "Apply"
    };
    if outcome.interrupted {
        eprintln!(
            "\n{verb} interrupted: {} added, {} changed, {} destroyed; {} operation(s) not started. The state records everything that completed; run the command again to continue.",
            outcome.added, outcome.changed, outcome.destroyed, outcome.not_done
        );
        return Ok(EXIT_ERROR);
    }
    if failed {
        eprintln!(
            "\n{verb} failed: {} added, {} changed, {} destroyed; {} operation(s) not carried out because of the errors above. The state records everything that completed.",
            outcome.added, outcome.changed, outcome.destroyed, outcome.not_done
        );
        return Ok(EXIT_ERROR);
    }
    // As Terraform says it: imports first, when there were any.
    let imported = match plan.imports() {
        0 => String::new(),
        n => format!("{n} imported, "),
    };
    println!(
        "\n{}",
        ui.green(&format!(
            "{verb} complete! Resources: {imported}{} added, {} changed, {} destroyed.",
            outcome.added, outcome.changed, outcome.destroyed
        ))
    );
    if plan.mode != PlanMode::Destroy && !outcome.state.outputs.is_empty() {
        println!("\nOutputs:\n");
        for (k, o) in &outcome.state.outputs {
            if o.sensitive {
                println!("{k} = <sensitive>");
            } else {
                println!("{k} = {}", o.value);
            }
        }
    }
    Ok(awaiting_promotion(&engine, &outcome.state))
}

/// After an apply: a deployment whose canary stopped at a `pause` step waits
/// for `iac promote`; say so, and exit with `EXIT_AWAITING_PROMOTION` so an
/// unattended pipeline can tell (and post it) without reading the output.
pub(crate) fn awaiting_promotion(engine: &iac_engine::Engine, state: &iac_state::State) -> u8 {
    let mut code = EXIT_OK;
    for (addr, inst) in &state.resources {
        if addr.resource.ty != "deployment" || inst.current.is_none() {
            continue;
        }
        let Ok(d) = engine.deployment_in_state(state, addr) else {
            continue;
        };
        if let Some(p) = d.paused() {
            println!(
                "\n{addr} awaits promotion: release {} has {}% of traffic (live: {}). Run `iac promote {addr}` to go on, or `iac abort {addr}` to send the traffic back.",
                p.id,
                p.weight,
                d.live().map(|l| l.id.as_str()).unwrap_or("-")
            );
            code = EXIT_AWAITING_PROMOTION;
        }
    }
    code
}

pub(crate) fn cmd_apply(
    ui: &Ui,
    p: &PlanArgs,
    auto_approve: bool,
    parallelism: usize,
    destroy: bool,
) -> Result<u8> {
    let op = if destroy || p.destroy {
        "destroy"
    } else {
        "apply"
    };
    let planned = match make_plan(ui, p, destroy, op)? {
        Ok(x) => x,
        Err(c) => return Ok(c),
    };
    print_plan(ui, &planned.plan, planned.env.as_deref());
    if planned.plan.has_changes() && !auto_approve {
        if !stdin_is_terminal() && std::env::var_os("IAC_INPUT_FROM_PIPE").is_none() {
            // Still read a line: scripts may pipe "yes", as with Terraform.
        }
        let q = if planned.plan.mode == PlanMode::Destroy {
            "\nDo you really want to destroy all resources?\n  iac will destroy all your managed infrastructure. There is no undo. Only 'yes' will be accepted to confirm.\n\n  Enter a value: "
        } else {
            "\nDo you want to perform these actions?\n  iac will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
        };
        if ask(q).as_deref() != Some("yes") {
            eprintln!(
                "\n{} cancelled.",
                if planned.plan.mode == PlanMode::Destroy {
                    "Destroy"
                } else {
                    "Apply"
                }
            );
            return Ok(EXIT_ERROR);
        }
    }
    let Planned {
        plan,
        state,
        vars,
        loaded,
        backend,
        lock,
        env,
        ..
    } = planned;
    let code = run_apply(
        ui,
        ApplyJob {
            module: &loaded.module,
            sources: &loaded.sources,
            vars: &vars,
            plan: &plan,
            state,
            backend: &*backend,
            parallelism,
            env: env.as_deref(),
        },
    )?;
    drop(lock);
    Ok(code)
}

pub(crate) fn read_plan_file(path: &Path) -> Result<PlanFile> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read plan file {}", path.display()))?;
    let what = format!("the plan file {}", path.display());
    let plain = iac_state::unseal(&bytes, crate::backend::cipher()?.as_ref(), &what)?;
    let json: serde_json::Value = serde_json::from_slice(&plain)
        .map_err(|e| anyhow!("{} is not an iac plan file: {e}", path.display()))?;
    PlanFile::from_json(&json).map_err(|e| anyhow!("{}: {e}", path.display()))
}

pub(crate) fn cmd_apply_saved(
    ui: &Ui,
    p: &PlanArgs,
    path: &Path,
    parallelism: usize,
) -> Result<u8> {
    let file = read_plan_file(path)?;
    let env = env_name(p);
    let dir = std::env::current_dir()?;
    let mut sources = SourceMap::default();
    let (module, diags) =
        load_module_from_files(&dir, Path::new(""), &file.config_files, &mut sources);
    if ui.diagnostics(&diags, &sources) {
        return Ok(EXIT_ERROR);
    }
    // Non-sensitive values come from the plan; sensitive ones must be given again and match.
    let mut vars = HashMap::new();
    let (inputs, d) = gather_vars(&dir, &p.vars, env.as_deref(), &mut sources);
    if ui.diagnostics(&d, &sources) {
        return Ok(EXIT_ERROR);
    }
    let fp = iac_value::Fingerprinter::new(file.fingerprint_salt.clone());
    let mut problems = Diagnostics::new();
    for (name, pv) in &file.variables {
        match pv {
            PlanVariable::Value(v) => {
                if p.vars
                    .vars
                    .iter()
                    .any(|s| s.split('=').next() == Some(name.as_str()))
                {
                    problems.push(
                        Diagnostic::error(
                            "E0219",
                            format!("Can't set variable \"{name}\" when applying a saved plan"),
                        )
                        .with_help(
                            "the plan already holds its value; make a new plan to change it",
                        ),
                    );
                }
                let marked = module.variables.get(name).is_some_and(|d| d.sensitive);
                vars.insert(name.clone(), v.clone().mark_if(marked));
            }
            PlanVariable::Sensitive(expected) => {
                let given: Vec<VarValue> =
                    inputs.iter().filter(|i| i.name == *name).cloned().collect();
                let decl_only = Module {
                    variables: std::collections::BTreeMap::new(),
                    ..Module::default()
                };
                let _ = decl_only;
                let Some(decl) = module.variables.get(name) else {
                    continue;
                };
                let value = if given.is_empty() {
                    match &decl.default {
                        Some(_) => {
                            let (all, _) = iac_engine::resolve_root_variables(&module, &[]);
                            all.get(name).cloned()
                        }
                        None => None,
                    }
                } else {
                    let (all, dd) = iac_engine::resolve_root_variables(&module, &given);
                    let _ = dd;
                    all.get(name).cloned()
                };
                match value {
                    Some(v) if fp.fingerprint(&v) == *expected => {
                        vars.insert(name.clone(), v.sensitive());
                    }
                    Some(_) => problems.push(Diagnostic::error("E0220", format!("Sensitive variable \"{name}\" differs from the value planned"))
                        .with_help("give the same value as when the plan was made, or plan again")),
                    None => problems.push(Diagnostic::error("E0220", format!("Sensitive variable \"{name}\" must be given again"))
                        .with_help(format!("saved plans never store secrets; set it with IAC_VAR_{name} or -var, with the value used for the plan"))),
                }
            }
        }
    }
    if ui.diagnostics(&problems, &sources) {
        return Ok(EXIT_ERROR);
    }
    if p.state.state.is_none() {
        if let Err(m) = crate::backend::check_matches(&module, &dir, &sources) {
            eprintln!("{m}");
            return Ok(EXIT_ERROR);
        }
    }
    let backend = open_backend(&dir, &p.state, env.as_deref())?;
    let lock = take_lock(&*backend, &p.state, "apply")?;
    let state = match backend.read().context("cannot read state")? {
        Some(s) => s,
        None => State {
            serial: 0,
            lineage: file.plan.prior_lineage.clone(),
            fingerprint_salt: file.fingerprint_salt.clone(),
            outputs: Default::default(),
            resources: Default::default(),
            adopted_from: None,
        },
    };
    if state.lineage != file.plan.prior_lineage
        || state.serial != file.plan.prior_serial
        || state_digest(&state) != file.prior_digest
    {
        eprintln!(
            "Error: Saved plan is stale\n\nThe state changed since this plan was made (plan made against serial {} of lineage {}, state is now serial {} of lineage {}). Applying it could undo someone else's change. Make a new plan.",
            file.plan.prior_serial, file.plan.prior_lineage, state.serial, state.lineage
        );
        return Ok(EXIT_ERROR);
    }
    let code = run_apply(
        ui,
        ApplyJob {
            module: &module,
            sources: &sources,
            vars: &vars,
            plan: &file.plan,
            state,
            backend: &*backend,
            parallelism,
            env: env.as_deref(),
        },
    )?;
    drop(lock);
    Ok(code)
}
