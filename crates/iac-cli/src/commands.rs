//! The commands: load configuration and state, call the engine, print results.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use iac_config::vars::{load_var_file, VarSource, VarValue};
use iac_config::{load_module, load_module_from_files, Module};
use iac_diagnostics::{Diagnostic, Diagnostics, SourceMap};
use iac_engine::{ApplyEvent, ApplyInput, Engine, PlanInput, Providers};
use iac_plan::{
    render_json, render_text, Action, Plan, PlanFile, PlanMode, PlanVariable, TextOptions,
};
use iac_state::{Backend, LocalBackend, LockGuard, State, StateError};
use iac_value::addr::{AddrPattern, InstanceAddr};
use iac_value::{to_json, JsonOptions, Value};
use sha2::Digest;

use crate::args::{Cli, Command, PlanArgs, ProvidersCommand, StateArgs, StateCommand, VarArgs};
use crate::ui::{ask, parse_duration, stdin_is_terminal, Ui};

/// Exit codes (documented in README.md).
pub const EXIT_OK: u8 = 0;
pub const EXIT_ERROR: u8 = 1;
pub const EXIT_CHANGES: u8 = 2;
pub const EXIT_FMT_NEEDED: u8 = 3;

pub fn run(cli: Cli) -> Result<u8> {
    if let Some(dir) = &cli.chdir {
        std::env::set_current_dir(dir)
            .with_context(|| format!("cannot change to directory {}", dir.display()))?;
    }
    let ui = Ui::new(cli.no_color);
    match cli.command {
        Command::Init {
            state,
            backend_config,
            migrate_state,
            reconfigure,
            force_copy,
        } => cmd_init(
            &ui,
            InitArgs {
                state: &state,
                backend_config: &backend_config,
                migrate_state,
                reconfigure,
                force_copy,
            },
        ),
        Command::Validate { json } => cmd_validate(&ui, json),
        Command::Fmt {
            check,
            diff,
            recursive,
            paths,
        } => crate::fmt::cmd_fmt(&ui, check, diff, recursive, paths),
        Command::Plan {
            plan,
            out,
            detailed_exitcode,
            json,
            markdown,
        } => cmd_plan(
            &ui,
            &plan,
            PlanOutputs {
                out: out.as_deref(),
                detailed: detailed_exitcode,
                json,
                markdown: markdown.as_deref(),
            },
        ),
        Command::Drift {
            plan,
            json,
            markdown,
        } => cmd_drift(&ui, &plan, json, markdown.as_deref()),
        Command::Apply {
            plan,
            auto_approve,
            parallelism,
            planfile,
        } => match planfile {
            Some(f) => cmd_apply_saved(&ui, &plan, &f, parallelism),
            None => cmd_apply(&ui, &plan, auto_approve, parallelism, false),
        },
        Command::Destroy {
            plan,
            auto_approve,
            parallelism,
        } => cmd_apply(&ui, &plan, auto_approve, parallelism, true),
        Command::Show {
            json,
            markdown,
            state,
            planfile,
        } => cmd_show(&ui, json, markdown, &state, planfile.as_deref()),
        Command::Output {
            json,
            raw,
            state,
            name,
        } => cmd_output(json, raw, &state, name.as_deref()),
        Command::State { command } => cmd_state(command),
        Command::Graph => cmd_graph(&ui),
        Command::Rollback {
            vars,
            state,
            auto_approve,
            address,
        } => cmd_rollback(&ui, &vars, &state, auto_approve, &address),
        Command::Deployments { vars, state, json } => cmd_deployments(&ui, &vars, &state, json),
        Command::Import {
            vars,
            state,
            address,
            id,
        } => cmd_import(&ui, &vars, &state, &address, &id),
        Command::Providers {
            command: Some(ProvidersCommand::Schema { .. }),
            ..
        } => cmd_providers_schema(),
        Command::Providers {
            command: None,
            state,
        } => cmd_providers(&ui, &state),
        Command::ForceUnlock { state, force, id } => cmd_force_unlock(&state, force, &id),
    }
}

pub fn engine() -> Engine {
    let engine = Engine::new(Providers::new(vec![
        Arc::new(iac_provider_builtin::BuiltinProvider::new()),
        Arc::new(iac_provider_aws::AwsProvider::new()),
    ]));
    if trace_log() {
        // Every graph after each pass that builds it.
        engine.with_trace(|text| eprintln!("[trace] {text}"))
    } else {
        engine
    }
}

/// `IAC_LOG=trace`: `debug`, and the graphs as they are built.
fn trace_log() -> bool {
    std::env::var("IAC_LOG").is_ok_and(|l| l.eq_ignore_ascii_case("trace"))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

struct Loaded {
    module: Module,
    sources: SourceMap,
    dir: PathBuf,
}

fn load_config(ui: &Ui) -> Result<Result<Loaded, u8>> {
    let dir = std::env::current_dir()?;
    if iac_config::module_files(&dir)
        .map(|f| f.is_empty())
        .unwrap_or(true)
    {
        eprintln!(
            "Error: No configuration files in {}\n\niac loads every *.tf and *.hcl file of the current directory; run it in a module directory or use -chdir=DIR.",
            dir.display()
        );
        return Ok(Err(EXIT_ERROR));
    }
    let (module, mut diags, sources) = match load_with_deadline(&dir) {
        Some(loaded) => loaded,
        None => {
            eprintln!("{}", parse_too_long(&dir));
            return Ok(Err(EXIT_ERROR));
        }
    };
    if diags.has_errors() {
        // Report what the rest of the configuration gets wrong too, unless it could not be parsed.
        if !diags.iter().any(|d| d.code == "E0101") {
            diags.extend(validate_all(&module));
        }
        ui.diagnostics(&diags, &sources);
        return Ok(Err(EXIT_ERROR));
    }
    ui.diagnostics(&diags, &sources);
    Ok(Ok(Loaded {
        module,
        sources,
        dir,
    }))
}

fn parse_too_long(dir: &Path) -> String {
    format!(
        "Error: Parsing the configuration in {} took too long\n\nA file holds an expression the HCL parser handles badly, such as long runs of unary minus\nand parentheses (`2/2---(2/2---(...`). Simplify it. (The limit is {} s; IAC_PARSE_TIMEOUT sets it.)",
        dir.display(),
        parse_timeout().as_secs_f64()
    )
}

fn parse_timeout() -> std::time::Duration {
    std::env::var("IAC_PARSE_TIMEOUT")
        .ok()
        .and_then(|t| parse_duration(&t).ok())
        .unwrap_or(std::time::Duration::from_secs(30))
}

/// Loads the module on another thread and gives up after the parse timeout: the
/// parser can take exponential time on some pathological expressions (found by
/// fuzzing), and a plan of untrusted code must not hang a CI job. The abandoned
/// thread ends with the process.
fn load_with_deadline(dir: &Path) -> Option<(Module, Diagnostics, SourceMap)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let mut sources = SourceMap::default();
        let (m, d) = load_module(&dir, &mut sources);
        let _ = tx.send((m, d, sources));
    });
    rx.recv_timeout(parse_timeout()).ok()
}

fn env_name(p: &PlanArgs) -> Option<String> {
    env_of(&p.state)
}

fn env_of(args: &StateArgs) -> Option<String> {
    args.env
        .clone()
        .or_else(|| std::env::var("IAC_ENV").ok())
        .filter(|e| !e.is_empty())
}

/// Opens the state for a command: `-state=PATH` (a local file), else the
/// backend recorded by `iac init`, else the local file in `dir`.
fn open_backend(dir: &Path, args: &StateArgs, env: Option<&str>) -> Result<Box<dyn Backend>> {
    if let Some(p) = &args.state {
        return Ok(Box::new(
            LocalBackend::new(p.clone()).with_cipher(crate::backend::cipher()?),
        ));
    }
    crate::backend::recorded_or_local(dir)?.open(dir, env)
}

/// Stops a command whose configuration declares another backend than the one recorded at init.
fn check_backend(loaded: &Loaded, args: &StateArgs) -> Result<()> {
    if args.state.is_some() {
        return Ok(());
    }
    crate::backend::check_matches(&loaded.module, &loaded.dir, &loaded.sources)
        .map_err(|m| anyhow!(m.trim_start_matches("Error: ").to_string()))
}

fn take_lock(backend: &dyn Backend, args: &StateArgs, op: &str) -> Result<LockGuard> {
    if !args.lock {
        return Ok(LockGuard::none());
    }
    let timeout =
        parse_duration(&args.lock_timeout).map_err(|e| anyhow!("invalid -lock-timeout: {e}"))?;
    match backend.lock(op, timeout) {
        Ok(g) => Ok(g),
        Err(StateError::Locked(info)) => {
            let stale_after = std::env::var("IAC_LOCK_STALE_AFTER")
                .ok()
                .and_then(|t| parse_duration(&t).ok())
                .unwrap_or(std::time::Duration::from_secs(3600));
            let stale = match info.age() {
                Some(age) if age >= stale_after => format!(
                    "\n\nThis lock is {} old, older than {} (IAC_LOCK_STALE_AFTER): it is probably stale, left by a run that crashed or was killed.",
                    human_duration(age),
                    human_duration(stale_after)
                ),
                _ => String::new(),
            };
            bail!(
                "Error acquiring the state lock\n\n{info}{stale}\n\niac takes a lock so that two runs never write the same state at once. Wait for the other run, retry with -lock-timeout=DURATION to wait for it, or, if it crashed, run `iac force-unlock {}`.",
                info.id
            )
        }
        Err(e) => Err(e.into()),
    }
}

fn human_duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        _ => format!("{}h{}m", s / 3600, s % 3600 / 60),
    }
}

fn read_state(backend: &dyn Backend) -> Result<State> {
    Ok(backend
        .read()
        .context("cannot read state")?
        .unwrap_or_default())
}

fn state_digest(s: &State) -> String {
    let mut copy = s.clone();
    copy.serial = 0;
    let h = sha2::Sha256::digest(copy.to_json().to_string().as_bytes());
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// Variable values from every source, lowest priority first.
fn gather_vars(
    dir: &Path,
    va: &VarArgs,
    env: Option<&str>,
    sources: &mut SourceMap,
) -> (Vec<VarValue>, Diagnostics) {
    let mut out = Vec::new();
    let mut diags = Diagnostics::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for f in ["terraform.tfvars", "terraform.tfvars.json"] {
        if dir.join(f).is_file() {
            files.push(dir.join(f));
        }
    }
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut auto: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
            })
            .collect();
        auto.sort();
        files.extend(auto);
    }
    if let Some(e) = env {
        for f in [format!("env/{e}.tfvars"), format!("env/{e}.tfvars.json")] {
            if dir.join(&f).is_file() {
                files.push(dir.join(f));
            }
        }
    }
    files.extend(va.var_files.iter().cloned());
    for f in files {
        let (vals, d) = load_var_file(&f, sources);
        out.extend(vals);
        diags.extend(d);
    }
    let mut envs: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("IAC_VAR_"))
        .collect();
    envs.sort();
    for (k, v) in envs {
        out.push(VarValue {
            name: k["IAC_VAR_".len()..].to_string(),
            value: Value::String(v),
            source: VarSource::Environment,
            span: None,
        });
    }
    for v in &va.vars {
        match v.split_once('=') {
            Some((name, value)) => out.push(VarValue {
                name: name.trim().to_string(),
                value: Value::String(value.to_string()),
                source: VarSource::CommandLine,
                span: None,
            }),
            None => diags.push(
                Diagnostic::error("E0218", format!("Invalid -var option \"{v}\""))
                    .with_help("the form is -var 'name=value'"),
            ),
        }
    }
    (out, diags)
}

/// Warns when a sensitive variable's value comes from a variables file that
/// version control does not ignore: secrets belong in the environment
/// (`IAC_VAR_name`) or a secret store, not in committed files.
fn secrets_in_files(module: &Module, inputs: &[VarValue]) -> Diagnostics {
    let mut out = Diagnostics::new();
    for v in inputs {
        let VarSource::File(path) = &v.source else {
            continue;
        };
        if !module.variables.get(&v.name).is_some_and(|d| d.sensitive) {
            continue;
        }
        let p = Path::new(path);
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .arg(p.file_name().unwrap_or_default())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .ok()
                .map(|s| s.code())
        };
        // 0: ignored; 1: not ignored; 128 (or no git): not in a repository.
        if git(&["check-ignore", "-q"]) == Some(Some(0)) {
            continue;
        }
        let tracked = git(&["ls-files", "--error-unmatch"]) == Some(Some(0));
        let mut d = Diagnostic::warning(
            "W0221",
            format!(
                "Value for sensitive variable \"{}\" comes from {path}{}",
                v.name,
                if tracked { ", which is committed to version control" } else { "" }
            ),
        )
        .with_help(format!(
            "variables files are meant to be committed; give secrets through the environment (IAC_VAR_{}) or a secret store, or keep this file out of version control (.gitignore)",
            v.name
        ));
        if let Some(span) = v.span {
            d = d.with_span(span, "a secret in a file");
        }
        out.push(d);
    }
    out
}

/// Resolves root variables, asking on a terminal for missing required ones.
fn variables(
    ui: &Ui,
    loaded: &mut Loaded,
    va: &VarArgs,
    env: Option<&str>,
) -> Result<Result<HashMap<String, Value>, u8>> {
    let (mut inputs, mut diags) = gather_vars(&loaded.dir, va, env, &mut loaded.sources);
    diags.extend(secrets_in_files(&loaded.module, &inputs));
    if ui.diagnostics(&diags, &loaded.sources) {
        return Ok(Err(EXIT_ERROR));
    }
    let missing = iac_engine::missing_variables(&loaded.module, &inputs);
    if !missing.is_empty() && va.input && stdin_is_terminal() {
        for name in missing {
            let var = &loaded.module.variables[&name];
            let desc = var
                .description
                .clone()
                .map(|d| format!("  {d}\n\n"))
                .unwrap_or_default();
            let Some(v) = ask(&format!("var.{name}\n{desc}  Enter a value: ")) else {
                break;
            };
            inputs.push(VarValue {
                name,
                value: Value::String(v),
                source: VarSource::CommandLine,
                span: None,
            });
        }
    }
    let (values, diags) = iac_engine::resolve_root_variables(&loaded.module, &inputs);
    if ui.diagnostics(&diags, &loaded.sources) {
        return Ok(Err(EXIT_ERROR));
    }
    Ok(Ok(values))
}

fn parse_targets(p: &PlanArgs) -> Result<(Vec<AddrPattern>, Vec<InstanceAddr>)> {
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

fn mode_of(p: &PlanArgs, destroy: bool) -> Result<PlanMode> {
    match (p.destroy || destroy, p.refresh_only) {
        (true, true) => bail!("-destroy and -refresh-only cannot be used together"),
        (true, false) => Ok(PlanMode::Destroy),
        (false, true) => Ok(PlanMode::RefreshOnly),
        (false, false) => Ok(PlanMode::Normal),
    }
}

fn print_plan(ui: &Ui, plan: &Plan, env: Option<&str>) {
    if let Some(e) = env {
        println!("{}", ui.bold(&format!("Environment: {e}")));
    }
    print!("{}", render_text(plan, TextOptions { color: ui.color }));
    let _ = std::io::stdout().flush();
}

/// The result of planning. Commands leave its large parts to the end of the
/// process instead of freeing them: freeing a 10,000-resource plan costs a third of planning it.
struct Planned {
    plan: Plan,
    state: State,
    vars: HashMap<String, Value>,
    loaded: Loaded,
    backend: Box<dyn Backend>,
    lock: LockGuard,
    env: Option<String>,
    targets: Vec<AddrPattern>,
}

fn make_plan(ui: &Ui, p: &PlanArgs, destroy: bool, op: &str) -> Result<Result<Planned, u8>> {
    let env = env_name(p);
    let (targets, replace) = parse_targets(p)?;
    let mode = mode_of(p, destroy)?;
    let dir = std::env::current_dir()?;
    let backend = open_backend(&dir, &p.state, env.as_deref())?;
    let lock = take_lock(&*backend, &p.state, op)?;
    // Read the state on another core while the configuration is parsed.
    let (loaded, state) = std::thread::scope(|s| {
        let reader = s.spawn(|| read_state(&*backend));
        let loaded = load_config(ui);
        let state = reader
            .join()
            .unwrap_or_else(|_| Err(anyhow!("reading the state failed")));
        (loaded, state)
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
            "state: {} (lineage {}, serial {})",
            backend.describe(),
            state.lineage,
            state.serial
        ));
    }
    let engine = engine();
    let rt = runtime()?;
    let out = rt.block_on(engine.plan(&PlanInput {
        module: &loaded.module,
        variables: &vars,
        state: &state,
        mode,
        refresh: p.refresh,
        targets: &targets,
        replace: &replace,
        workspace: env.as_deref().unwrap_or("default"),
    }));
    if ui.diagnostics(&out.diagnostics, &loaded.sources) || out.plan.errored {
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

fn config_snapshot(loaded: &Loaded) -> Vec<(String, String)> {
    let cwd = std::env::current_dir().unwrap_or_default();
    loaded
        .sources
        .files()
        .filter(|(_, f)| f.path.ends_with(".tf") || f.path.ends_with(".hcl"))
        .map(|(_, f)| {
            let abs = cwd.join(&f.path);
            let rel = relative_to(&iac_config::normalize(&abs), &loaded.dir);
            (rel.display().to_string(), f.text.to_string())
        })
        .collect()
}

/// `path` relative to `base`, with `..` where needed.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

struct PlanOutputs<'a> {
    out: Option<&'a Path>,
    detailed: bool,
    json: bool,
    markdown: Option<&'a Path>,
}

/// The JSON plan, with the environment it was made for.
fn plan_json(plan: &Plan, env: Option<&str>) -> serde_json::Value {
    let mut j = render_json(plan);
    j["environment"] = serde_json::json!(env.unwrap_or("default"));
    j
}

fn plan_markdown(plan: &Plan, env: Option<&str>, title: &str, hint: Option<&str>) -> String {
    iac_plan::render_markdown(
        plan,
        &iac_plan::MarkdownOptions {
            environment: env,
            title,
            limit: iac_plan::MARKDOWN_LIMIT,
            full_plan_hint: hint,
        },
    )
}

fn cmd_plan(ui: &Ui, p: &PlanArgs, o: PlanOutputs<'_>) -> Result<u8> {
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

fn cmd_drift(ui: &Ui, p: &PlanArgs, json: bool, markdown: Option<&Path>) -> Result<u8> {
    if p.destroy || p.refresh_only || !p.refresh {
        bail!("drift always refreshes and plans normally; -destroy, -refresh-only and -refresh=false do not apply");
    }
    let planned = match make_plan(ui, p, false, "drift")? {
        Ok(x) => x,
        Err(c) => return Ok(c),
    };
    let plan = &planned.plan;
    let env = planned.env.as_deref();
    let changed_outside = plan.drift.len();
    let pending = plan.has_changes();
    let drifted = changed_outside > 0 || pending;
    if json {
        let mut j = plan_json(plan, env);
        j["drift_detected"] = serde_json::json!(drifted);
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        print_plan(ui, plan, env);
        if drifted {
            println!(
                "\nDrift detected: {changed_outside} object(s) changed outside of iac; {}.",
                if pending {
                    iac_plan::summary_line(plan)
                        .trim_start_matches("Plan: ")
                        .trim_end_matches('.')
                        .to_string()
                        + " to match the configuration again"
                } else {
                    "the configuration needs no action for them".to_string()
                }
            );
        } else {
            println!("No drift: the real objects match the state and the configuration.");
        }
    }
    if let Some(md) = markdown {
        let text = plan_markdown(plan, env, "drift report", None);
        std::fs::write(md, text)
            .with_context(|| format!("cannot write the Markdown report to {}", md.display()))?;
    }
    let code = if drifted { EXIT_CHANGES } else { EXIT_OK };
    let Planned { lock, .. } = planned;
    drop(lock);
    Ok(code)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// `IAC_LOG=debug` (or `trace`) logs variables and every operation with its
/// planned values to stderr. Values print as plans do: secrets as `(sensitive value)`.
fn debug_log() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var("IAC_LOG")
            .map(|l| matches!(l.to_ascii_lowercase().as_str(), "debug" | "trace"))
            .unwrap_or(false)
    })
}

fn debug(line: &str) {
    eprintln!("[debug] {line}");
}

/// Operations under way, for the "Still creating..." lines of long applies.
type Running = std::sync::Mutex<std::collections::BTreeMap<String, (Action, std::time::Instant)>>;

fn progress_interval() -> std::time::Duration {
    std::env::var("IAC_PROGRESS_INTERVAL")
        .ok()
        .and_then(|t| parse_duration(&t).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(std::time::Duration::from_secs(10))
}

fn still_running(running: &Running) {
    let Ok(r) = running.lock() else { return };
    for (addr, (action, since)) in r.iter() {
        let verb = match action {
            Action::Create => "creating",
            Action::Update => "modifying",
            Action::Delete => "destroying",
            Action::Read => "reading",
            _ => "working",
        };
        println!(
            "{addr}: Still {verb}... [{}s elapsed]",
            since.elapsed().as_secs()
        );
    }
    let _ = std::io::stdout().flush();
}

fn track_event(running: &Running, ev: &ApplyEvent) {
    let Ok(mut r) = running.lock() else { return };
    match ev {
        ApplyEvent::Started { addr, action, .. } => {
            r.insert(addr.clone(), (*action, std::time::Instant::now()));
        }
        ApplyEvent::Finished { addr, .. } => {
            r.remove(addr);
        }
    }
}

fn print_event(ev: ApplyEvent) {
    let ev = &ev;
    match ev {
        ApplyEvent::Started { addr, action, .. } => {
            let verb = match action {
                Action::Create => "Creating...",
                Action::Update => "Modifying...",
                Action::Delete => "Destroying...",
                Action::Read => "Reading...",
                _ => "Working...",
            };
            println!("{addr}: {verb}");
        }
        ApplyEvent::Finished {
            addr,
            action,
            elapsed,
            id,
            error,
            ..
        } => {
            let secs = elapsed.as_secs();
            let what = match (action, error) {
                (Action::Create, false) => "Creation complete",
                (Action::Update, false) => "Modifications complete",
                (Action::Delete, false) => "Destruction complete",
                (Action::Read, false) => "Read complete",
                (Action::Create, true) => "Creation failed",
                (Action::Update, true) => "Modifications failed",
                (Action::Delete, true) => "Destruction failed",
                (_, true) => "Failed",
                _ => "Complete",
            };
            let id = id
                .as_ref()
                .map(|i| format!(" [id={i}]"))
                .unwrap_or_default();
            println!("{addr}: {what} after {secs}s{id}");
        }
    }
    let _ = std::io::stdout().flush();
}

/// Everything an apply needs, from a fresh plan or a saved one.
struct ApplyJob<'a> {
    module: &'a Module,
    sources: &'a SourceMap,
    vars: &'a HashMap<String, Value>,
    plan: &'a Plan,
    state: State,
    backend: &'a dyn Backend,
    parallelism: usize,
    env: Option<&'a str>,
}

fn run_apply(ui: &Ui, job: ApplyJob<'_>) -> Result<u8> {
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
    println!(
        "\n{}",
        ui.green(&format!(
            "{verb} complete! Resources: {} added, {} changed, {} destroyed.",
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
    Ok(EXIT_OK)
}

fn cmd_apply(
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

fn read_plan_file(path: &Path) -> Result<PlanFile> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read plan file {}", path.display()))?;
    let what = format!("the plan file {}", path.display());
    let plain = iac_state::unseal(&bytes, crate::backend::cipher()?.as_ref(), &what)?;
    let json: serde_json::Value = serde_json::from_slice(&plain)
        .map_err(|e| anyhow!("{} is not an iac plan file: {e}", path.display()))?;
    PlanFile::from_json(&json).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn cmd_apply_saved(ui: &Ui, p: &PlanArgs, path: &Path, parallelism: usize) -> Result<u8> {
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

pub struct InitArgs<'a> {
    pub state: &'a StateArgs,
    pub backend_config: &'a [String],
    pub migrate_state: bool,
    pub reconfigure: bool,
    pub force_copy: bool,
}

fn cmd_init(ui: &Ui, a: InitArgs<'_>) -> Result<u8> {
    use crate::backend::{self as bk, BackendSpec, Record};
    let mut loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    let dir = loaded.dir.clone();
    let (declared, diags) = bk::declared(&loaded.module, &dir);
    if ui.diagnostics(&diags, &loaded.sources) {
        return Ok(EXIT_ERROR);
    }
    if declared.is_none() && !a.backend_config.is_empty() {
        bail!("-backend-config needs a backend block to add to, such as:\n\n  terraform {{\n    backend \"s3\" {{}}\n  }}");
    }
    let mut spec = declared.clone().unwrap_or_else(BackendSpec::local);
    bk::merge_backend_config(&mut spec, a.backend_config, &mut loaded.sources)?;
    let env = env_of(a.state);
    let old = bk::read_record(&dir)?
        .map(|r| r.spec)
        .unwrap_or_else(BackendSpec::local);
    let new_backend = spec
        .open(&dir, env.as_deref())
        .with_context(|| format!("cannot open the {} backend", spec.describe()))?;
    // Reading checks that the backend is reachable and the credentials work.
    let existing = new_backend
        .read()
        .with_context(|| format!("cannot read the state from the {}", new_backend.describe()))?;
    if old != spec && !a.reconfigure {
        let old_backend = old.open(&dir, env.as_deref())?;
        let old_state = old_backend.read().with_context(|| {
            format!("cannot read the state from the {}", old_backend.describe())
        })?;
        let worth_moving = old_state
            .as_ref()
            .is_some_and(|s| !s.resources.is_empty() || !s.outputs.is_empty());
        if let (true, Some(st)) = (worth_moving, old_state) {
            if !a.migrate_state {
                eprintln!(
                    "Error: Backend configuration changed\n\nThe {} holds a state with {} resource instance(s), and the configuration now uses the {}.\nRun `iac init -migrate-state` to copy the state there, or `iac init -reconfigure` to use the new backend without it.",
                    old_backend.describe(),
                    st.resources.len(),
                    new_backend.describe()
                );
                return Ok(EXIT_ERROR);
            }
            let _old_lock = take_lock(&*old_backend, a.state, "migrate")?;
            let _new_lock = take_lock(&*new_backend, a.state, "migrate")?;
            if let Some(there) = new_backend.read()? {
                let nonempty = !there.resources.is_empty() || !there.outputs.is_empty();
                if nonempty && there.lineage != st.lineage && !a.force_copy {
                    eprintln!(
                        "Error: The new backend already has a state\n\nThe {} holds another state (lineage {}, serial {}, {} resource instance(s)). Copying would replace it. Move it away first, or run again with -force-copy to replace it.",
                        new_backend.describe(),
                        there.lineage,
                        there.serial,
                        there.resources.len()
                    );
                    return Ok(EXIT_ERROR);
                }
            }
            new_backend.write(&st)?;
            let copied = new_backend.read()?.ok_or_else(|| {
                anyhow!("the state written to the new backend cannot be read back")
            })?;
            if copied.lineage != st.lineage
                || copied.serial != st.serial
                || copied.resources.len() != st.resources.len()
            {
                bail!("the state read back from the new backend differs from the one copied; the old state is untouched in the {}", old_backend.describe());
            }
            println!(
                "Copied the state ({} resource instance(s), serial {}) from the {} to the {}.\nThe old copy is left in place; remove it when you no longer need it.",
                st.resources.len(),
                st.serial,
                old_backend.describe(),
                new_backend.describe()
            );
        } else if a.migrate_state {
            println!("No state to migrate from the {}.", old_backend.describe());
        }
    } else if existing.is_none() && a.migrate_state {
        println!("No state to migrate.");
    }
    bk::write_record(
        &dir,
        &Record {
            declared: bk::declared_digest(declared.as_ref()),
            spec,
        },
    )?;
    println!("Using the {}.", new_backend.describe());
    println!("\n{}", ui.green("iac has been successfully initialized!"));
    Ok(EXIT_OK)
}

fn cmd_validate(ui: &Ui, json: bool) -> Result<u8> {
    let dir = std::env::current_dir()?;
    let Some((module, mut diags, sources)) = load_with_deadline(&dir) else {
        eprintln!("{}", parse_too_long(&dir));
        return Ok(EXIT_ERROR);
    };
    if !diags.iter().any(|d| d.code == "E0101") {
        diags.extend(validate_all(&module));
    }
    if json {
        let list: Vec<serde_json::Value> = diags
            .iter()
            .map(|d| iac_diagnostics::render_json(d, &sources))
            .collect();
        let errors = diags.errors().count();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "format_version": "1.0",
                "valid": errors == 0,
                "error_count": errors,
                "warning_count": diags.iter().count() - errors,
                "diagnostics": list,
            }))?
        );
        return Ok(if errors == 0 { EXIT_OK } else { EXIT_ERROR });
    }
    if ui.diagnostics(&diags, &sources) {
        return Ok(EXIT_ERROR);
    }
    println!("{}", ui.green("Success! The configuration is valid."));
    Ok(EXIT_OK)
}

/// Variables for validation: defaults where given (checked), unknown elsewhere.
fn unknown_variables(module: &Module) -> (HashMap<String, Value>, Diagnostics) {
    let mut vars = HashMap::new();
    let (resolved, diags) = iac_engine::resolve_root_variables(module, &[]);
    let diags = Diagnostics(diags.into_iter().filter(|d| d.code != "E0213").collect());
    for (name, v) in &module.variables {
        let value = if v.default.is_some() {
            resolved.get(name).cloned().unwrap_or(Value::Unknown)
        } else {
            Value::Unknown
        };
        vars.insert(name.clone(), value.mark_if(v.sensitive));
    }
    (vars, diags)
}

fn validate_all(module: &Module) -> Diagnostics {
    let (vars, mut diags) = unknown_variables(module);
    diags.extend(engine().validate(module, &vars));
    diags
}

/// The state for commands that do not otherwise read the configuration.
fn open_state_for(args: &StateArgs) -> Result<Box<dyn Backend>> {
    let dir = std::env::current_dir()?;
    let env = env_of(args);
    if args.state.is_none() && crate::backend::read_record(&dir)?.is_none() {
        // Not initialized: make sure the configuration does not declare a remote
        // backend, or this would quietly show an empty local state.
        if let Some((module, _, sources)) = load_with_deadline(&dir) {
            crate::backend::check_matches(&module, &dir, &sources)
                .map_err(|m| anyhow!(m.trim_start_matches("Error: ").to_string()))?;
        }
    }
    open_backend(&dir, args, env.as_deref())
}

fn render_object(addr: &str, v: &Value) -> String {
    let mut out = format!("# {addr}:\n");
    let a: InstanceAddr = match addr.parse() {
        Ok(a) => a,
        Err(_) => return out,
    };
    let kind = if a.resource.mode == iac_value::addr::ResourceMode::Data {
        "data"
    } else {
        "resource"
    };
    out.push_str(&format!(
        "{kind} \"{}\" \"{}\" {{\n",
        a.resource.ty, a.resource.name
    ));
    if let Some(m) = v.as_map() {
        let w = m
            .iter()
            .filter(|(_, x)| !x.is_null())
            .map(|(k, _)| k.len())
            .max()
            .unwrap_or(0);
        for (k, x) in m {
            if !x.is_null() {
                out.push_str(&format!("    {k:w$} = {x}\n"));
            }
        }
    }
    out.push_str("}\n");
    out
}

fn cmd_show(
    ui: &Ui,
    json: bool,
    markdown: bool,
    state_args: &StateArgs,
    planfile: Option<&Path>,
) -> Result<u8> {
    if markdown && planfile.is_none() {
        bail!("-markdown shows a saved plan: iac show -markdown PLANFILE");
    }
    if let Some(path) = planfile {
        let file = read_plan_file(path)?;
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&plan_json(&file.plan, file.environment.as_deref()))?
            );
        } else if markdown {
            let hint = format!("iac show {}", path.display());
            print!(
                "{}",
                plan_markdown(&file.plan, file.environment.as_deref(), "plan", Some(&hint))
            );
        } else {
            print!(
                "{}",
                render_text(&file.plan, TextOptions { color: ui.color })
            );
        }
        return Ok(EXIT_OK);
    }
    let backend = open_state_for(state_args)?;
    let Some(state) = backend.read()? else {
        println!("No state.");
        return Ok(EXIT_OK);
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&state.to_json())?);
        return Ok(EXIT_OK);
    }
    for (addr, inst) in &state.resources {
        if let Some(o) = &inst.current {
            println!("{}", render_object(&addr.to_string(), &o.attributes));
        }
        for (k, o) in &inst.deposed {
            println!(
                "{}",
                render_object(&format!("{addr} (deposed {k})"), &o.attributes)
            );
        }
    }
    if !state.outputs.is_empty() {
        println!("\nOutputs:\n");
        for (k, o) in &state.outputs {
            println!(
                "{k} = {}",
                if o.sensitive {
                    "(sensitive value)".to_string()
                } else {
                    o.value.to_string()
                }
            );
        }
    }
    Ok(EXIT_OK)
}

fn cmd_output(json: bool, raw: bool, args: &StateArgs, name: Option<&str>) -> Result<u8> {
    let backend = open_state_for(args)?;
    let state = backend.read()?.unwrap_or_default();
    let omit = JsonOptions::Omit;
    match name {
        None => {
            if json {
                let m: serde_json::Map<String, serde_json::Value> = state
                    .outputs
                    .iter()
                    .map(|(k, o)| {
                        let v = if o.sensitive {
                            serde_json::Value::Null
                        } else {
                            to_json(&o.value, &omit)
                        };
                        (
                            k.clone(),
                            serde_json::json!({"sensitive": o.sensitive, "value": v}),
                        )
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&m)?);
            } else {
                if state.outputs.is_empty() {
                    eprintln!("Warning: No outputs found in state.");
                }
                for (k, o) in &state.outputs {
                    println!(
                        "{k} = {}",
                        if o.sensitive {
                            "<sensitive>".to_string()
                        } else {
                            o.value.to_string()
                        }
                    );
                }
            }
            Ok(EXIT_OK)
        }
        Some(n) => {
            let Some(o) = state.outputs.get(n) else {
                let help =
                    iac_diagnostics::did_you_mean(n, state.outputs.keys().map(String::as_str))
                        .map(|s| format!(" Did you mean \"{s}\"?"))
                        .unwrap_or_default();
                bail!("output \"{n}\" not found in state.{help}");
            };
            if o.sensitive {
                bail!("output \"{n}\" is sensitive: iac stores only a fingerprint of it, never the plaintext. Read the secret from where it lives (for example Secrets Manager).");
            }
            if json {
                println!("{}", to_json(&o.value, &omit));
            } else if raw {
                match &o.value {
                    Value::String(s) => print!("{s}"),
                    Value::Number(_) | Value::Bool(_) => print!("{}", o.value),
                    _ => bail!("-raw only prints strings, numbers and bools; use -json"),
                }
            } else {
                println!("{}", o.value);
            }
            Ok(EXIT_OK)
        }
    }
}

fn cmd_state(cmd: StateCommand) -> Result<u8> {
    match cmd {
        StateCommand::List { state, addresses } => {
            let backend = open_state_for(&state)?;
            let s = backend.read()?.unwrap_or_default();
            let pats = addresses
                .iter()
                .map(|a| a.parse::<AddrPattern>().map_err(|e| anyhow!("{e}")))
                .collect::<Result<Vec<_>>>()?;
            for addr in s.resources.keys() {
                if pats.is_empty() || pats.iter().any(|p| p.matches(addr)) {
                    println!("{addr}");
                }
            }
            Ok(EXIT_OK)
        }
        StateCommand::Show { state, address } => {
            let backend = open_state_for(&state)?;
            let s = backend.read()?.unwrap_or_default();
            let a: InstanceAddr = address.parse().map_err(|e| anyhow!("{e}"))?;
            match s.current(&a) {
                Some(o) => {
                    print!("{}", render_object(&a.to_string(), &o.attributes));
                    Ok(EXIT_OK)
                }
                None => bail!("no instance {a} in state"),
            }
        }
        StateCommand::Rm { state, addresses } => {
            let backend = open_state_for(&state)?;
            let _lock = take_lock(&*backend, &state, "state rm")?;
            let mut s = backend.read()?.unwrap_or_default();
            let pats = addresses
                .iter()
                .map(|a| a.parse::<AddrPattern>().map_err(|e| anyhow!("{e}")))
                .collect::<Result<Vec<_>>>()?;
            let gone: Vec<InstanceAddr> = s
                .resources
                .keys()
                .filter(|a| pats.iter().any(|p| p.matches(a)))
                .cloned()
                .collect();
            if gone.is_empty() {
                bail!("no matching objects in state");
            }
            for a in &gone {
                s.resources.remove(a);
                println!("Removed {a}");
            }
            s.serial += 1;
            backend.write(&s)?;
            println!("Successfully removed {} resource instance(s).", gone.len());
            Ok(EXIT_OK)
        }
        StateCommand::Mv {
            state,
            source,
            destination,
        } => {
            let backend = open_state_for(&state)?;
            let _lock = take_lock(&*backend, &state, "state mv")?;
            let mut s = backend.read()?.unwrap_or_default();
            let from: AddrPattern = source.parse().map_err(|e| anyhow!("{e}"))?;
            let to: AddrPattern = destination.parse().map_err(|e| anyhow!("{e}"))?;
            let moving: Vec<InstanceAddr> = s
                .resources
                .keys()
                .filter(|a| from.matches(a))
                .cloned()
                .collect();
            if moving.is_empty() {
                bail!("no objects in state match {source}");
            }
            let mut renamed = Vec::new();
            for a in moving {
                let mut n = a.clone();
                match (&from.resource, &to.resource) {
                    (None, None) => {
                        n.resource.module = to
                            .module
                            .iter()
                            .cloned()
                            .chain(a.resource.module[from.module.len()..].iter().cloned())
                            .collect();
                    }
                    (Some(_), Some((mode, ty, name))) => {
                        n.resource.module = to.module.clone();
                        n.resource.mode = *mode;
                        n.resource.ty = ty.clone();
                        n.resource.name = name.clone();
                        if let Some(k) = &to.key {
                            n.key = k.clone();
                        }
                    }
                    _ => bail!("cannot move between a module and a resource address"),
                }
                if s.resources.contains_key(&n) {
                    bail!("{n} already exists in state");
                }
                renamed.push((a, n));
            }
            for (a, n) in renamed {
                if let Some(inst) = s.resources.remove(&a) {
                    s.resources.insert(n.clone(), inst);
                    println!("Move \"{a}\" to \"{n}\"");
                }
            }
            s.serial += 1;
            backend.write(&s)?;
            Ok(EXIT_OK)
        }
        StateCommand::Pull { state } => {
            let backend = open_state_for(&state)?;
            match backend.read()? {
                Some(s) => println!("{}", serde_json::to_string_pretty(&s.to_json())?),
                None => println!("{{}}"),
            }
            Ok(EXIT_OK)
        }
        StateCommand::Push { state, force, path } => {
            let backend = open_state_for(&state)?;
            let _lock = take_lock(&*backend, &state, "state push")?;
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let j: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            let new = State::from_json(&j).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            if let Some(cur) = backend.read()? {
                if !force && cur.lineage != new.lineage {
                    bail!("the state in {} has lineage {}, the current state {}: they are different histories (use -force to replace anyway)", path.display(), new.lineage, cur.lineage);
                }
                if !force && new.serial < cur.serial {
                    bail!("the state in {} has serial {}, older than the current {} (use -force to replace anyway)", path.display(), new.serial, cur.serial);
                }
            }
            backend.write(&new)?;
            Ok(EXIT_OK)
        }
    }
}

fn cmd_import(ui: &Ui, va: &VarArgs, args: &StateArgs, address: &str, id: &str) -> Result<u8> {
    let addr: InstanceAddr = address
        .parse()
        .map_err(|e| anyhow!("invalid address \"{address}\": {e}"))?;
    let mut loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    let env = env_of(args);
    check_backend(&loaded, args)?;
    let vars = match variables(ui, &mut loaded, va, env.as_deref())? {
        Ok(v) => v,
        Err(c) => return Ok(c),
    };
    let backend = open_backend(&loaded.dir, args, env.as_deref())?;
    let _lock = take_lock(&*backend, args, "import")?;
    let mut state = read_state(&*backend)?;
    let rt = runtime()?;
    match rt.block_on(engine().import_object(&loaded.module, &vars, &state, &addr, id)) {
        Ok(inst) => {
            state.resources.insert(addr.clone(), inst);
            state.serial += 1;
            backend.write(&state)?;
            println!(
                "{addr}: Import prepared!\n\n{}",
                ui.green("Import successful!")
            );
            println!("\nThe object is now in state. Run `iac plan` to see how it differs from the configuration.");
            Ok(EXIT_OK)
        }
        Err(d) => {
            ui.diagnostics(&d, &loaded.sources);
            Ok(EXIT_ERROR)
        }
    }
}

fn cmd_rollback(
    ui: &Ui,
    va: &VarArgs,
    args: &StateArgs,
    auto_approve: bool,
    address: &str,
) -> Result<u8> {
    let addr: InstanceAddr = address
        .parse()
        .map_err(|e| anyhow!("invalid address \"{address}\": {e}"))?;
    if addr.resource.ty != "deployment" {
        bail!("{address} is not a deployment; rollback moves a deployment's traffic back to its previous release");
    }
    let mut loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    check_backend(&loaded, args)?;
    let env = env_of(args);
    let vars = match variables(ui, &mut loaded, va, env.as_deref())? {
        Ok(v) => v,
        Err(c) => return Ok(c),
    };
    let backend = open_backend(&loaded.dir, args, env.as_deref())?;
    let _lock = take_lock(&*backend, args, "rollback")?;
    let mut state = read_state(&*backend)?;
    let releases = |v: &Value| -> Vec<(String, String)> {
        v.get_attr("releases")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .map(|r| {
                (
                    r.get_attr("id").as_str().unwrap_or("").to_string(),
                    r.get_attr("status").as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let Some(before) = state.current(&addr).map(|o| o.attributes.clone()) else {
        bail!("{addr} is not in state");
    };
    let live = releases(&before)
        .into_iter()
        .find(|(_, s)| s == "live")
        .map(|(i, _)| i)
        .unwrap_or_default();
    let previous = releases(&before)
        .into_iter()
        .filter(|(_, s)| s == "previous")
        .map(|(i, _)| i)
        .next_back();
    if !auto_approve {
        let q = format!(
            "Send {addr}'s traffic from release {live} back to {}?\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: ",
            previous.as_deref().unwrap_or("the previous release")
        );
        if ask(&q).as_deref() != Some("yes") {
            eprintln!("Rollback cancelled.");
            return Ok(EXIT_ERROR);
        }
    }
    let rt = runtime()?;
    match rt.block_on(engine().run_action(&loaded.module, &vars, &state, &addr, "rollback")) {
        Ok(after) => {
            let now_live = releases(&after)
                .into_iter()
                .find(|(_, s)| s == "live")
                .map(|(i, _)| i)
                .unwrap_or_default();
            if let Some(inst) = state.resources.get_mut(&addr) {
                if let Some(o) = inst.current.as_mut() {
                    o.attributes = after;
                }
            }
            // Outputs that depend on the deployment follow it.
            let replan = rt.block_on(engine().plan(&PlanInput {
                module: &loaded.module,
                variables: &vars,
                state: &state,
                mode: PlanMode::Normal,
                refresh: false,
                targets: &[],
                replace: &[],
                workspace: env.as_deref().unwrap_or("default"),
            }));
            for o in &replan.plan.outputs {
                if let (Some(after), Some(cur)) = (&o.after, state.outputs.get_mut(&o.name)) {
                    if after.is_wholly_known() {
                        cur.value = after.clone();
                    }
                }
            }
            state.serial += 1;
            backend.write(&state)?;
            println!(
                "{}",
                ui.green(&format!(
                    "{addr} rolled back: traffic moved from release {live} to {now_live}."
                ))
            );
            println!("Release {live} is kept as rolled_back; the next apply with the same fleet will not deploy it again.");
            Ok(EXIT_OK)
        }
        Err(d) => {
            ui.diagnostics(&d, &loaded.sources);
            Ok(EXIT_ERROR)
        }
    }
}

fn cmd_deployments(ui: &Ui, va: &VarArgs, args: &StateArgs, json: bool) -> Result<u8> {
    let mut loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    check_backend(&loaded, args)?;
    let env = env_of(args);
    let vars = match variables(ui, &mut loaded, va, env.as_deref())? {
        Ok(v) => v,
        Err(c) => return Ok(c),
    };
    let backend = open_backend(&loaded.dir, args, env.as_deref())?;
    let state = read_state(&*backend)?;
    let rt = runtime()?;
    let engine = engine();
    let mut out = Vec::new();
    for (addr, inst) in &state.resources {
        if addr.resource.ty != "deployment" || inst.current.is_none() {
            continue;
        }
        let v = match rt.block_on(engine.run_action(&loaded.module, &vars, &state, addr, "status"))
        {
            Ok(v) => v,
            Err(d) => {
                ui.diagnostics(&d, &loaded.sources);
                return Ok(EXIT_ERROR);
            }
        };
        let releases: Vec<serde_json::Value> = v
            .get_attr("releases")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .map(|r| {
                let g = |k: &str| r.get_attr(k).as_str().unwrap_or("").to_string();
                serde_json::json!({
                    "id": g("id"),
                    "status": g("status"),
                    "weight": g("weight").parse::<f64>().unwrap_or(0.0) as i64,
                    "healthy": g("healthy"),
                    "target_group_arn": g("target_group_arn"),
                    "instance_ids": g("instance_ids").split(',').filter(|x| !x.is_empty()).collect::<Vec<_>>(),
                    "created": g("created"),
                    "keep_until": g("keep_until"),
                })
            })
            .collect();
        out.push(serde_json::json!({
            "address": addr.to_string(),
            "strategy": v.get_attr("strategy").as_str(),
            "listener_arn": v.get_attr("listener_arn").as_str(),
            "release": v.get_attr("release").as_str(),
            "releases": releases,
        }));
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "format_version": "1.0",
                "environment": env.as_deref().unwrap_or("default"),
                "deployments": out,
            }))?
        );
        return Ok(EXIT_OK);
    }
    if out.is_empty() {
        println!("No deployments in state.");
        return Ok(EXIT_OK);
    }
    for d in &out {
        println!(
            "{} ({}), live release {}",
            ui.bold(d["address"].as_str().unwrap_or("")),
            d["strategy"].as_str().unwrap_or(""),
            d["release"].as_str().unwrap_or("-")
        );
        println!(
            "  {:<10} {:<12} {:>6} {:>8}  {:<20} KEEP UNTIL",
            "RELEASE", "STATUS", "WEIGHT", "HEALTHY", "CREATED"
        );
        for r in d["releases"].as_array().into_iter().flatten() {
            println!(
                "  {:<10} {:<12} {:>5}% {:>8}  {:<20} {}",
                r["id"].as_str().unwrap_or(""),
                r["status"].as_str().unwrap_or(""),
                r["weight"],
                r["healthy"].as_str().unwrap_or(""),
                r["created"].as_str().unwrap_or(""),
                r["keep_until"].as_str().unwrap_or("")
            );
        }
    }
    Ok(EXIT_OK)
}

/// The provider configurations: what each root `provider` block (or the implied
/// default) serves, and what state holds under each.
fn cmd_providers(ui: &Ui, args: &StateArgs) -> Result<u8> {
    let loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    let engine = engine();
    let (bindings, diags) =
        iac_engine::configure::bind_providers(&engine.providers, &loaded.module);
    if ui.diagnostics(&diags, &loaded.sources) {
        return Ok(EXIT_ERROR);
    }
    let mut configs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in &loaded.module.providers {
        let address = iac_engine::configure::config_address(&b.name, b.alias.as_deref());
        configs.entry(address).or_default();
    }
    for (resource, address) in bindings.resources() {
        configs
            .entry(address.to_string())
            .or_default()
            .push(resource);
    }
    println!("Provider configurations in the configuration:");
    for (address, resources) in &configs {
        let declared = loaded.module.providers.iter().any(|b| {
            iac_engine::configure::config_address(&b.name, b.alias.as_deref()) == *address
        });
        let how = if declared {
            ""
        } else {
            " (implied, no provider block)"
        };
        println!("  {address}{how}");
        for r in resources {
            println!("    {r}");
        }
    }
    let backend = open_state_for(args)?;
    let state = backend.read()?.unwrap_or_default();
    let mut in_state: BTreeMap<&str, usize> = BTreeMap::new();
    for i in state.resources.values() {
        *in_state.entry(i.provider.as_str()).or_default() += 1;
    }
    if !in_state.is_empty() {
        println!("\nProvider configurations in state:");
        for (address, n) in in_state {
            let missing = if configs.contains_key(address) || !address.contains('.') {
                ""
            } else {
                " (no longer declared: keep its provider block until they are destroyed)"
            };
            println!("  {address}: {n} object(s){missing}");
        }
    }
    Ok(EXIT_OK)
}

fn cmd_providers_schema() -> Result<u8> {
    let engine = engine();
    let mut out = serde_json::Map::new();
    for p in engine.providers.iter() {
        out.insert(p.name().to_string(), serde_json::to_value(p.schema())?);
    }
    println!(
        "{}",
        serde_json::to_string_pretty(
            &serde_json::json!({"format_version": "1.0", "providers": out})
        )?
    );
    Ok(EXIT_OK)
}

fn cmd_graph(ui: &Ui) -> Result<u8> {
    let loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    let (dot, diags) = engine().graph_dot(&loaded.module);
    if ui.diagnostics(&diags, &loaded.sources) {
        return Ok(EXIT_ERROR);
    }
    print!("{dot}");
    Ok(EXIT_OK)
}

fn cmd_force_unlock(args: &StateArgs, force: bool, id: &str) -> Result<u8> {
    let backend = open_state_for(args)?;
    if !force {
        let a = ask(&format!("Do you really want to force-unlock?\n  iac will remove the lock {id} on the state. This can corrupt the state if another run is still using it.\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: "));
        if a.as_deref() != Some("yes") {
            eprintln!("force-unlock cancelled.");
            return Ok(EXIT_ERROR);
        }
    }
    backend.force_unlock(id)?;
    println!("iac state has been successfully unlocked!");
    Ok(EXIT_OK)
}
