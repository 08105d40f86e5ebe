//! `iac plan`: and the planning every command that changes things shares.

use crate::args::PlanArgs;
use crate::exit::*;
use crate::session::*;
use crate::ui::Ui;
use crate::views::*;
use anyhow::{anyhow, bail, Context, Result};
use iac_engine::PlanInput;
use iac_plan::{Plan, PlanFile, PlanMode, PlanVariable};
use iac_state::{Backend, LockGuard, State};
use iac_value::addr::{AddrPattern, InstanceAddr};
use iac_value::Value;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

pub(crate) fn parse_targets(p: &PlanArgs) -> Result<(Vec<AddrPattern>, Vec<InstanceAddr>)> {
    let targets = p
        .target
        .iter()
        .map(|t| {
            t.parse::<AddrPattern>()
                .map_err(|e| anyhow!("invalid -target \"{t}\": {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let replace = p
        .replace
        .iter()
        .map(|t| {
            t.parse::<InstanceAddr>()
                .map_err(|e| anyhow!("invalid -replace \"{t}\": {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((targets, replace))
}

pub(crate) fn mode_of(p: &PlanArgs, destroy: bool) -> Result<PlanMode> {
    match (p.destroy || destroy, p.refresh_only) {
        (true, true) => bail!("-destroy and -refresh-only cannot be used together"),
        (true, false) => Ok(PlanMode::Destroy),
        (false, true) => Ok(PlanMode::RefreshOnly),
        (false, false) => Ok(PlanMode::Normal),
    }
}

/// The result of planning. Commands leave its large parts to the end of the
/// process instead of freeing them: freeing a 10,000-resource plan costs a third of planning it.
pub(crate) struct Planned {
    pub(crate) plan: Plan,
    pub(crate) state: State,
    pub(crate) vars: HashMap<String, Value>,
    pub(crate) loaded: Loaded,
    pub(crate) backend: Box<dyn Backend>,
    pub(crate) lock: LockGuard,
    pub(crate) env: Option<String>,
    pub(crate) targets: Vec<AddrPattern>,
}

pub(crate) fn make_plan(
    ui: &Ui,
    p: &PlanArgs,
    destroy: bool,
    op: &str,
) -> Result<Result<Planned, u8>> {
    let env = env_name(p);
    let (targets, replace) = parse_targets(p)?;
    let mode = mode_of(p, destroy)?;
    let dir = std::env::current_dir()?;
    let backend = open_backend(&dir, &p.state, env.as_deref())?;
    let lock = take_lock(&*backend, &p.state, op)?;
    let engine = engine();
    // Read the state on another core while the configuration is parsed and its
    // graph built.
    let started = std::time::Instant::now();
    let (loaded, prepared, state, times) = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let state = read_state(&*backend);
            (state, started.elapsed())
        });
        let loaded = load_config(ui);
        let configured = started.elapsed();
        let prepared = match &loaded {
            Ok(Ok(l)) => Some(engine.prepare(&l.module)),
            _ => None,
        };
        let graphed = started.elapsed();
        let (state, read) = reader
            .join()
            .unwrap_or_else(|_| (Err(anyhow!("reading the state failed")), Duration::ZERO));
        (loaded, prepared, state, [read, configured, graphed])
    });
    let mut loaded = match loaded? {
        Ok(l) => l,
        Err(c) => return Ok(Err(c)),
    };
    check_backend(&loaded, &p.state)?;
    let state = state?;
    let vars = match variables(ui, &mut loaded, &p.vars, env.as_deref())? {
        Ok(v) => v,
        Err(c) => return Ok(Err(c)),
    };
    if debug_log() {
        let mut names: Vec<&String> = vars.keys().collect();
        names.sort();
        for name in names {
            // Display redacts sensitive values: the log is as safe as the plan.
            debug(&format!("var.{name} = {}", vars[name]));
        }
        debug(&format!(
            "state: {} (lineage {}, serial {}{})",
            backend.describe(),
            state.lineage,
            state.serial,
            backend
                .read_note()
                .map(|n| format!("; {n}"))
                .unwrap_or_default()
        ));
        let [read, configured, graphed] = times.map(|t| t.as_secs_f64() * 1000.0);
        debug(&format!(
            "timing: state read by {read:.1} ms, configuration loaded by {configured:.1} ms, its graph by {graphed:.1} ms (from the start of planning)"
        ));
    }
    let rt = runtime()?;
    let input = PlanInput {
        module: &loaded.module,
        variables: &vars,
        state: &state,
        mode,
        refresh: p.refresh,
        targets: &targets,
        replace: &replace,
        workspace: env.as_deref().unwrap_or("default"),
    };
    let out = match prepared {
        Some(prepared) => rt.block_on(engine.plan_prepared(&input, prepared)),
        None => rt.block_on(engine.plan(&input)),
    };
    // Nothing runs on the runtime after planning: its threads are not waited for.
    rt.shutdown_background();
    if debug_log() {
        debug(&format!(
            "timing: planned by {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }
    let mut diagnostics = out.diagnostics;
    if diagnostics.has_errors() && !diagnostics.iter().any(|d| d.code == "E0101") {
        // An error that stops the walk (an undeclared name) hides the errors
        // further on: report every configuration error at once, as validate does.
        for d in validate_all(&loaded.module) {
            let known = diagnostics
                .iter()
                .any(|k| k.code == d.code && k.message == d.message && k.primary == d.primary);
            if !known && d.is_error() {
                diagnostics.push(d);
            }
        }
    }
    if ui.diagnostics(&diagnostics, &loaded.sources) || out.plan.errored {
        return Ok(Err(EXIT_ERROR));
    }
    if !targets.is_empty() {
        eprintln!(
            "Warning: Resource targeting is in effect\n\nThe plan covers only part of the configuration (-target). Use it to recover from mistakes, not routinely.\n"
        );
    }
    Ok(Ok(Planned {
        plan: out.plan,
        state,
        vars,
        loaded,
        backend,
        lock,
        env,
        targets,
    }))
}

pub(crate) struct PlanOutputs<'a> {
    pub(crate) out: Option<&'a Path>,
    pub(crate) detailed: bool,
    pub(crate) json: bool,
    pub(crate) markdown: Option<&'a Path>,
}

pub(crate) fn cmd_plan(ui: &Ui, p: &PlanArgs, o: PlanOutputs<'_>) -> Result<u8> {
    let PlanOutputs {
        out,
        detailed,
        json,
        markdown,
    } = o;
    let planned = match make_plan(ui, p, false, "plan")? {
        Ok(x) => x,
        Err(c) => return Ok(c),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&plan_json(&planned.plan, planned.env.as_deref()))?
        );
    } else {
        print_plan(ui, &planned.plan, planned.env.as_deref());
    }
    if let Some(md) = markdown {
        let hint = out.map(|o| format!("iac show {}", o.display()));
        let text = plan_markdown(
            &planned.plan,
            planned.env.as_deref(),
            "plan",
            hint.as_deref(),
        );
        std::fs::write(md, text)
            .with_context(|| format!("cannot write the Markdown comment to {}", md.display()))?;
    }
    if let Some(path) = out {
        let loaded = &planned.loaded;
        let fp = planned.state.fingerprinter();
        let variables = loaded
            .module
            .variables
            .iter()
            .map(|(name, decl)| {
                let v = planned.vars.get(name).cloned().unwrap_or(Value::Null);
                let pv = if decl.sensitive || v.contains_sensitive() {
                    PlanVariable::Sensitive(fp.fingerprint(&v))
                } else {
                    PlanVariable::Value(v)
                };
                (name.clone(), pv)
            })
            .collect();
        let file = PlanFile {
            plan: planned.plan.clone(),
            config_files: config_snapshot(loaded),
            variables,
            targets: planned.targets.iter().map(|t| t.to_string()).collect(),
            fingerprint_salt: planned.state.fingerprint_salt.clone(),
            prior_digest: state_digest(&planned.state),
            environment: planned.env.clone(),
        };
        let mut text = serde_json::to_string(&file.to_json())?;
        text.push('\n');
        // A plan file holds what state holds: encrypted with it.
        let bytes = match crate::backend::cipher()? {
            Some(c) => c.seal(text.as_bytes()),
            None => text.into_bytes(),
        };
        write_private(path, &bytes)?;
        if !json {
            println!(
                "\nSaved the plan to: {}\n\nTo perform exactly these actions, run:\n    iac apply \"{}\"",
                path.display(),
                path.display()
            );
        }
    } else if !json && planned.plan.has_changes() {
        println!("\nNote: You didn't use the -out option to save this plan, so iac can't guarantee to take exactly these actions if you run \"iac apply\" now.");
    }
    let code = if detailed && planned.plan.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    };
    let Planned {
        lock,
        plan,
        state,
        loaded,
        ..
    } = planned;
    drop(lock);
    std::mem::forget((plan, state, loaded));
    Ok(code)
}
