//! What commands share: loading the configuration (with a parse deadline),
//! variables from every source, the backend, its lock and the state.

use crate::args::{PlanArgs, StateArgs, VarArgs};
use crate::exit::*;
use crate::ui::{ask, parse_duration, stdin_is_terminal, Ui};
use anyhow::{anyhow, bail, Context, Result};
use iac_config::vars::{load_var_file, VarSource, VarValue};
use iac_config::{load_module_cached, Module};
use iac_diagnostics::{Diagnostic, Diagnostics, SourceMap};
use iac_engine::{Engine, Providers};
use iac_state::{Backend, LocalBackend, LockGuard, State, StateError};
use iac_value::Value;
use sha2::Digest;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) struct Loaded {
    pub(crate) module: Module,
    pub(crate) sources: SourceMap,
    pub(crate) dir: PathBuf,
}

pub(crate) fn load_config(ui: &Ui) -> Result<Result<Loaded, u8>> {
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
    if debug_log() {
        let (parsed, cached) = iac_config::parse_counts();
        debug(&format!(
            "configuration: {parsed} file(s) parsed, {cached} taken unchanged from {}",
            syntax_cache(&dir).display()
        ));
    }
    Ok(Ok(Loaded {
        module,
        sources,
        dir,
    }))
}

pub(crate) fn parse_too_long(dir: &Path) -> String {
    let limit = parse_timeout().as_secs_f64();
    let Some(file) = iac_config::parsing_now() else {
        return format!(
            "Error: Loading the configuration in {} took too long\n\nThe limit is {limit} s; IAC_PARSE_TIMEOUT sets it.",
            dir.display()
        );
    };
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let lines = text.lines().count();
    // The one shape known to make the HCL parser backtrack exponentially.
    let unary = text.contains("---(") || text.contains("- -(") || text.contains("--(");
    let why = if unary {
        "It holds long runs of unary minus and parentheses (`2/2---(2/2---(...`), which the HCL\nparser backtracks on exponentially. Simplify that expression."
    } else {
        "Split the file, or simplify its largest expressions."
    };
    format!(
        "Error: Parsing {} took too long\n\nThe file has {} lines ({} bytes) and did not parse within {limit} s. {why}\n(IAC_PARSE_TIMEOUT sets the limit.)",
        file.display(),
        lines,
        text.len(),
    )
}

pub(crate) fn parse_timeout() -> std::time::Duration {
    std::env::var("IAC_PARSE_TIMEOUT")
        .ok()
        .and_then(|t| parse_duration(&t).ok())
        .unwrap_or(std::time::Duration::from_secs(30))
}

/// Loads the module on another thread and gives up after the parse timeout: the
/// parser can take exponential time on some pathological expressions (found by
/// fuzzing), and a plan of untrusted code must not hang a CI job. The abandoned
/// thread ends with the process.
/// Where parsed configuration files are kept between commands (see `iac_syntax::cache`).
pub(crate) fn syntax_cache(dir: &Path) -> PathBuf {
    dir.join(".iac").join("cache").join("syntax")
}

pub(crate) fn load_with_deadline(dir: &Path) -> Option<(Module, Diagnostics, SourceMap)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let mut sources = SourceMap::default();
        let (m, d) = load_module_cached(&dir, &mut sources, &syntax_cache(&dir));
        let _ = tx.send((m, d, sources));
    });
    rx.recv_timeout(parse_timeout()).ok()
}

pub(crate) fn env_name(p: &PlanArgs) -> Option<String> {
    env_of(&p.state)
}

pub(crate) fn env_of(args: &StateArgs) -> Option<String> {
    args.env
        .clone()
        .or_else(|| std::env::var("IAC_ENV").ok())
        .filter(|e| !e.is_empty())
}

/// Opens the state for a command: `-state=PATH` (a local file), else the
/// backend recorded by `iac init`, else the local file in `dir`.
pub(crate) fn open_backend(
    dir: &Path,
    args: &StateArgs,
    env: Option<&str>,
) -> Result<Box<dyn Backend>> {
    if let Some(p) = &args.state {
        return Ok(Box::new(
            LocalBackend::new(p.clone()).with_cipher(crate::backend::cipher()?),
        ));
    }
    crate::backend::recorded_or_local(dir)?.open(dir, env)
}

/// Stops a command whose configuration declares another backend than the one recorded at init.
pub(crate) fn check_backend(loaded: &Loaded, args: &StateArgs) -> Result<()> {
    if args.state.is_some() {
        return Ok(());
    }
    crate::backend::check_matches(&loaded.module, &loaded.dir, &loaded.sources)
        .map_err(|m| anyhow!(m.trim_start_matches("Error: ").to_string()))
}

pub(crate) fn take_lock(backend: &dyn Backend, args: &StateArgs, op: &str) -> Result<LockGuard> {
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

pub(crate) fn human_duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        _ => format!("{}h{}m", s / 3600, s % 3600 / 60),
    }
}

pub(crate) fn read_state(backend: &dyn Backend) -> Result<State> {
    Ok(backend
        .read()
        .context("cannot read state")?
        .unwrap_or_default())
}

pub(crate) fn state_digest(s: &State) -> String {
    let mut copy = s.clone();
    copy.serial = 0;
    let h = sha2::Sha256::digest(copy.to_json().to_string().as_bytes());
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// Variable values from every source, lowest priority first.
pub(crate) fn gather_vars(
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
pub(crate) fn secrets_in_files(module: &Module, inputs: &[VarValue]) -> Diagnostics {
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
pub(crate) fn variables(
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

/// The state for commands that do not otherwise read the configuration.
pub(crate) fn open_state_for(args: &StateArgs) -> Result<Box<dyn Backend>> {
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

pub(crate) fn config_snapshot(loaded: &Loaded) -> Vec<(String, String)> {
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
pub(crate) fn relative_to(path: &Path, base: &Path) -> PathBuf {
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

pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
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
pub(crate) fn debug_log() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var("IAC_LOG")
            .map(|l| matches!(l.to_ascii_lowercase().as_str(), "debug" | "trace"))
            .unwrap_or(false)
    })
}

pub(crate) fn debug(line: &str) {
    eprintln!("[debug] {line}");
}

/// Variables for validation: defaults where given (checked), unknown elsewhere.
pub(crate) fn unknown_variables(module: &Module) -> (HashMap<String, Value>, Diagnostics) {
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

pub(crate) fn validate_all(module: &Module) -> Diagnostics {
    let (vars, mut diags) = unknown_variables(module);
    diags.extend(engine().validate(module, &vars));
    diags
}

pub(crate) fn engine() -> Engine {
    let engine = Engine::new(Providers::new(vec![
        Arc::new(iac_provider_builtin::BuiltinProvider::with_remote_state(
            Arc::new(|kind, settings, workspace| {
                let spec = crate::backend::BackendSpec {
                    kind: kind.to_string(),
                    settings: settings.clone(),
                };
                spec.check_keys()?;
                let dir = std::env::current_dir().map_err(|e| e.to_string())?;
                spec.open(&dir, workspace).map_err(|e| format!("{e:#}"))
            }),
        )),
        Arc::new(iac_provider_aws::AwsProvider::new()),
    ]));
    // `IAC_PLAN_THREADS=1` keeps a plan on one core (a shared CI runner, a benchmark).
    let engine = match std::env::var("IAC_PLAN_THREADS")
        .ok()
        .map(|v| v.parse::<usize>())
    {
        Some(Ok(n)) if n > 0 => engine.with_threads(n),
        _ => engine,
    };
    if trace_log() {
        // Every graph after each pass that builds it.
        engine.with_trace(|text| eprintln!("[trace] {text}"))
    } else {
        engine
    }
}

/// `IAC_LOG=trace`: `debug`, and the graphs as they are built.
pub(crate) fn trace_log() -> bool {
    std::env::var("IAC_LOG").is_ok_and(|l| l.eq_ignore_ascii_case("trace"))
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Everything a command that works on the configuration and its state needs,
/// loaded once: configuration, variables, backend, lock (unless read-only), state.
pub(crate) struct Session {
    pub(crate) loaded: Loaded,
    pub(crate) vars: HashMap<String, Value>,
    pub(crate) env: Option<String>,
    pub(crate) backend: Box<dyn Backend>,
    /// Held for the whole command; `None` for commands that only read.
    pub(crate) _lock: Option<LockGuard>,
    pub(crate) state: State,
}

impl Session {
    /// Opens a session; `lock_for` names the operation that takes the lock, `None`
    /// reads without it. `Ok(Err(code))`: the problem was reported, exit with `code`.
    pub(crate) fn open(
        ui: &Ui,
        va: &VarArgs,
        args: &StateArgs,
        lock_for: Option<&str>,
    ) -> Result<Result<Session, u8>> {
        let mut loaded = match load_config(ui)? {
            Ok(l) => l,
            Err(c) => return Ok(Err(c)),
        };
        check_backend(&loaded, args)?;
        let env = env_of(args);
        let vars = match variables(ui, &mut loaded, va, env.as_deref())? {
            Ok(v) => v,
            Err(c) => return Ok(Err(c)),
        };
        let backend = open_backend(&loaded.dir, args, env.as_deref())?;
        let lock = match lock_for {
            Some(op) => Some(take_lock(&*backend, args, op)?),
            None => None,
        };
        let state = read_state(&*backend)?;
        Ok(Ok(Session {
            loaded,
            vars,
            env,
            backend,
            _lock: lock,
            state,
        }))
    }

    pub(crate) fn workspace(&self) -> &str {
        self.env.as_deref().unwrap_or("default")
    }

    /// Writes the session's state as the next version (the serial raised once).
    pub(crate) fn commit(&mut self) -> Result<()> {
        let serial = self.state.serial;
        iac_state::commit(&*self.backend, serial, &mut self.state)?;
        Ok(())
    }
}
