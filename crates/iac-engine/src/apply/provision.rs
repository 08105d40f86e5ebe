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
    let Instance {
        r,
        addr,
        each,
        self_value,
    } = *inst;
    for p in r.provisioners.iter().filter(|p| p.when_destroy == destroy) {
        let path = place.path.to_vec();
        let scope = place.values.scope(&path);
        let mut ctx = EvalContext::new(
            &scope,
            place.module.dir.clone(),
            place.root_dir.to_path_buf(),
        );
        ctx.workspace = place.workspace.to_string();
        ctx.self_value = Some(self_value.clone());
        match &addr.key {
            InstanceKey::Int(i) => ctx.count_index = Some(Value::Number(*i as f64)),
            InstanceKey::Str(k) => {
                ctx.each = Some((
                    Value::String(k.clone()),
                    each.cloned().unwrap_or(Value::Null),
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
        let args = (|| {
            Ok::<_, Diagnostic>((
                eval("command")?,
                eval("interpreter")?,
                eval("environment")?,
                eval("working_dir")?,
                eval("quiet")?,
            ))
        })();
        let (command, interpreter, environment, working_dir, quiet) = match args {
            Ok(a) => a,
            Err(d) => {
                diags.push(d);
                return false;
            }
        };
        let secret = [&command, &interpreter, &environment, &working_dir]
            .iter()
            .any(|v| v.as_ref().is_some_and(Value::contains_sensitive));
        let fail = |why: String, diags: &mut Diagnostics| {
            let d = if p.on_failure_continue {
                Diagnostic::warning(
                    "W0607",
                    format!("local-exec provisioner of {addr} failed: {why}"),
                )
            } else {
                Diagnostic::error(
                    "E0607",
                    format!("local-exec provisioner of {addr} failed: {why}"),
                )
            };
            diags.push(d.with_span(p.span, "this provisioner"));
            p.on_failure_continue
        };
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
            if !fail(
                "it needs a value iac does not hold (unknown, or a secret kept only as a fingerprint)".into(),
                diags,
            ) {
                return false;
            }
            continue;
        }
        let plain = |v: Option<Value>| v.map(|v| v.unmark_deep().0);
        let (command, interpreter, environment, working_dir) = (
            plain(command),
            plain(interpreter),
            plain(environment),
            plain(working_dir),
        );
        let Some(Value::String(command)) = command else {
            if !fail("`command` must be a string".into(), diags) {
                return false;
            }
            continue;
        };
        let interpreter: Vec<String> = match interpreter {
            None | Some(Value::Null) => vec!["/bin/sh".into(), "-c".into()],
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(String::from))
                .collect(),
            Some(_) => {
                if !fail("`interpreter` must be a list of strings".into(), diags) {
                    return false;
                }
                continue;
            }
        };
        let env: BTreeMap<String, String> = match environment {
            Some(Value::Map(m)) => m
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s,
                        other => iac_value::format_number(other.as_f64().unwrap_or(0.0)),
                    };
                    (k, v)
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        let quiet = matches!(quiet, Some(Value::Bool(true))) || secret;
        let say = |line: String| {
            on_event(ApplyEvent::Output {
                addr: addr.to_string(),
                line,
            })
        };
        say(": Provisioning with 'local-exec'...".into());
        if quiet {
            say(" (local-exec): (output suppressed)".into());
        } else {
            let shown: Vec<String> = interpreter
                .iter()
                .chain(std::iter::once(&command))
                .map(|s| format!("{s:?}"))
                .collect();
            say(format!(" (local-exec): Executing: [{}]", shown.join(" ")));
        }
        let Some((program, rest)) = interpreter.split_first() else {
            if !fail("`interpreter` is empty".into(), diags) {
                return false;
            }
            continue;
        };
        let dir = match working_dir {
            Some(Value::String(d)) if !d.is_empty() => place.root_dir.join(d),
            _ => place.root_dir.to_path_buf(),
        };
        let child = Command::new(program)
            .args(rest)
            .arg(&command)
            .envs(&env)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                if !fail(format!("cannot run {program}: {e}"), diags) {
                    return false;
                }
                continue;
            }
        };
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
            if !quiet {
                say(format!(" (local-exec): {line}"));
            }
        }
        for r in readers {
            let _ = r.join();
        }
        match child.wait() {
            Ok(status) if status.success() => {}
            Ok(status) => {
                let why = match status.code() {
                    Some(c) => format!("the command exited with status {c}"),
                    None => "the command was stopped by a signal".to_string(),
                };
                if !fail(why, diags) {
                    return false;
                }
            }
            Err(e) => {
                if !fail(format!("waiting for the command: {e}"), diags) {
                    return false;
                }
            }
        }
    }
    true
}
