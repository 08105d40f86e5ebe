//! `local-exec` provisioners: a command run on this machine after an object is
//! created (or, with `when = destroy`, before it is deleted), with `self` the
//! object. Its output is passed on line by line as events, as Terraform prints
//! it; a command that fails fails the resource (a created object is left
//! tainted, to be replaced by the next apply) unless `on_failure = continue`.
//! The command runs while the apply waits for it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use iac_config::{EvalContext, Module, Resource};
use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_value::addr::{InstanceAddr, InstanceKey};
use iac_value::Value;

use super::ApplyEvent;
use crate::scope::Values;

/// Where a resource's provisioners are evaluated.
pub(crate) struct Place<'a> {
    pub values: &'a Values,
    pub module: &'a Module,
    pub path: &'a [String],
    pub root_dir: &'a Path,
    pub workspace: &'a str,
}

/// The instance whose provisioners run: its block, address, `each.value` and
/// the object (`self`).
pub(crate) struct Instance<'a> {
    pub r: &'a Resource,
    pub addr: &'a InstanceAddr,
    pub each: Option<&'a Value>,
    pub self_value: &'a Value,
}

/// Runs the creation-time (or destroy-time) provisioners of one instance, in
/// order. False when one failed without `on_failure = continue`.
pub(crate) fn run(
    place: &Place<'_>,
    inst: &Instance<'_>,
    destroy: bool,
    on_event: &(dyn Fn(ApplyEvent) + Sync),
    diags: &mut Diagnostics,
) -> bool {
    for p in inst
        .r
        .provisioners
        .iter()
        .filter(|p| p.when_destroy == destroy)
    {
        let failed = match arguments(place, inst, p) {
            Err(d) => {
                diags.push(d);
                return false;
            }
            Ok(Err(why)) => why,
            Ok(Ok(cmd)) => match execute(&cmd, inst.addr, on_event) {
                Ok(()) => continue,
                Err(why) => why,
            },
        };
        let d = if p.on_failure_continue {
            Diagnostic::warning(
                "W0607",
                format!("local-exec provisioner of {} failed: {failed}", inst.addr),
            )
        } else {
            Diagnostic::error(
                "E0607",
                format!("local-exec provisioner of {} failed: {failed}", inst.addr),
            )
        };
        diags.push(d.with_span(p.span, "this provisioner"));
        if !p.on_failure_continue {
            return false;
        }
    }
    true
}

/// A command ready to run: the program and its arguments, environment,
/// directory, and whether its output is shown.
struct LocalExec {
    interpreter: Vec<String>,
    command: String,
    env: BTreeMap<String, String>,
    dir: std::path::PathBuf,
    quiet: bool,
}

/// Evaluates a provisioner's arguments with `self`, `count.index` and `each`.
/// An error in an expression is a diagnostic; an argument that cannot make a
/// command (unknown, a secret iac holds only as a fingerprint, of the wrong
/// type) is why the provisioner failed.
fn arguments(
    place: &Place<'_>,
    inst: &Instance<'_>,
    p: &iac_config::Provisioner,
) -> Result<Result<LocalExec, String>, Diagnostic> {
    let path = place.path.to_vec();
    let scope = place.values.scope(&path);
    let mut ctx = EvalContext::new(
        &scope,
        place.module.dir.clone(),
        place.root_dir.to_path_buf(),
    );
    ctx.workspace = place.workspace.into();
    ctx.self_value = Some(inst.self_value.clone());
    match &inst.addr.key {
        InstanceKey::Int(i) => ctx.count_index = Some(Value::num(*i as f64)),
        InstanceKey::Str(k) => {
            ctx.each = Some((
                Value::String(k.clone()),
                inst.each.cloned().unwrap_or(Value::Null),
            ))
        }
        InstanceKey::None => {}
    }
    let mut eval = |name: &str| -> Result<Option<Value>, Diagnostic> {
        match p.body.attribute(name) {
            Some(a) => ctx.eval(&a.expr).map(Some),
            None => Ok(None),
        }
    };
    let command = eval("command")?;
    let interpreter = eval("interpreter")?;
    let environment = eval("environment")?;
    let working_dir = eval("working_dir")?;
    let quiet = eval("quiet")?;
    let secret = [&command, &interpreter, &environment, &working_dir]
        .iter()
        .any(|v| v.as_ref().is_some_and(Value::contains_sensitive));
    // A value not known, or a secret held only as its fingerprint, cannot
    // be passed to a command.
    let held = |v: &Option<Value>| {
        v.as_ref()
            .is_some_and(|v| !v.is_wholly_known() || v.contains_redacted())
    };
    if [&command, &interpreter, &environment, &working_dir]
        .iter()
        .any(|v| held(v))
    {
        return Ok(Err(
            "it needs a value iac does not hold (unknown, or a secret kept only as a fingerprint)"
                .into(),
        ));
    }
    let plain = |v: Option<Value>| v.map(|v| v.unmark_deep().0);
    let Some(Value::String(command)) = plain(command) else {
        return Ok(Err("`command` must be a string".into()));
    };
    let interpreter: Vec<String> = match plain(interpreter) {
        None | Some(Value::Null) => vec!["/bin/sh".into(), "-c".into()],
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(String::from))
            .collect(),
        Some(_) => return Ok(Err("`interpreter` must be a list of strings".into())),
    };
    let env: BTreeMap<String, String> = match plain(environment) {
        Some(Value::Map(m)) => m
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    other => other
                        .as_number()
                        .map(iac_value::format_number)
                        .unwrap_or_default(),
                };
                (k, v)
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    let dir = match plain(working_dir) {
        Some(Value::String(d)) if !d.is_empty() => place.root_dir.join(d),
        _ => place.root_dir.to_path_buf(),
    };
    Ok(Ok(LocalExec {
        interpreter,
        command,
        env,
        dir,
        quiet: matches!(quiet, Some(Value::Bool(true))) || secret,
    }))
}

/// Runs the command, passing its output on line by line as it comes (unless
/// quiet). Why it failed, if it did.
fn execute(
    cmd: &LocalExec,
    addr: &InstanceAddr,
    on_event: &(dyn Fn(ApplyEvent) + Sync),
) -> Result<(), String> {
    let say = |line: String| {
        on_event(ApplyEvent::Output {
            addr: addr.to_string(),
            line,
        })
    };
    say(": Provisioning with 'local-exec'...".into());
    if cmd.quiet {
        say(" (local-exec): (output suppressed)".into());
    } else {
        let shown: Vec<String> = cmd
            .interpreter
            .iter()
            .chain(std::iter::once(&cmd.command))
            .map(|s| format!("{s:?}"))
            .collect();
        say(format!(" (local-exec): Executing: [{}]", shown.join(" ")));
    }
    let Some((program, rest)) = cmd.interpreter.split_first() else {
        return Err("`interpreter` is empty".into());
    };
    let mut child = Command::new(program)
        .args(rest)
        .arg(&cmd.command)
        .envs(&cmd.env)
        .current_dir(&cmd.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    // Both streams, line by line as they come.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        }));
    }
    if let Some(err) = child.stderr.take() {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        }));
    }
    drop(tx);
    for line in rx {
        if !cmd.quiet {
            say(format!(" (local-exec): {line}"));
        }
    }
    for r in readers {
        let _ = r.join();
    }
    match child.wait() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(match status.code() {
            Some(c) => format!("the command exited with status {c}"),
            None => "the command was stopped by a signal".to_string(),
        }),
        Err(e) => Err(format!("waiting for the command: {e}")),
    }
}
