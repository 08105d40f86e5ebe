//! `iac console`: expressions evaluated against the configuration and state,
//! as `terraform console` does. Resources and data sources are what state
//! holds; nothing is planned, refreshed or changed, and no lock is taken.
//! Piped input is evaluated line by line (one walk of the configuration for
//! all of it); on a terminal, a `> ` prompt until `exit` or end of input.

use std::io::{BufRead, Write};

use crate::args::{StateArgs, VarArgs};
use crate::exit::*;
use crate::session::*;
use crate::ui::{stdin_is_terminal, Ui};
use anyhow::Result;
use iac_diagnostics::Diagnostics;
use iac_engine::PlanInput;
use iac_plan::PlanMode;
use iac_value::Value;

pub(crate) fn cmd_console(ui: &Ui, va: &VarArgs, state: &StateArgs) -> Result<u8> {
    let dir = std::env::current_dir()?;
    let env = env_of(state);
    let backend = open_backend(&dir, state, env.as_deref())?;
    let st = read_state(&*backend)?;
    let mut loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let vars = match variables(ui, &mut loaded, va, env.as_deref())? {
        Ok(v) => v,
        Err(code) => return Ok(code),
    };
    let engine = engine();
    let rt = runtime()?;
    let input = PlanInput {
        module: &loaded.module,
        variables: &vars,
        state: &st,
        mode: PlanMode::Normal,
        refresh: false,
        targets: &[],
        replace: &[],
        workspace: env.as_deref().unwrap_or("default"),
    };
    let interactive = stdin_is_terminal();
    let mut sources = std::mem::take(&mut loaded.sources);
    let mut failed = false;
    let mut eval_lines = |lines: Vec<String>, sources: &mut iac_diagnostics::SourceMap| {
        let mut exprs = Vec::new();
        let mut parse_errors = Diagnostics::new();
        for line in &lines {
            let id = sources.add("<console-input>", line.as_str());
            match iac_syntax::parse_expression(id, line) {
                Ok(e) => exprs.push(Some(e)),
                Err(d) => {
                    parse_errors.push(d);
                    exprs.push(None);
                }
            }
        }
        let parsed: Vec<iac_syntax::Expr> = exprs.iter().flatten().cloned().collect();
        let (results, diags) = rt.block_on(engine.console(&input, &parsed));
        // Problems of the configuration itself are shown once, before the values.
        let config_errors = ui.diagnostics(&diags, sources);
        let mut results = results.into_iter();
        let mut out = std::io::stdout().lock();
        for e in exprs {
            if e.is_none() {
                continue;
            }
            match results.next() {
                Some(Ok(v)) => {
                    let _ = writeln!(out, "{}", show(&v, 0));
                }
                Some(Err(d)) => {
                    failed = true;
                    ui.diagnostics(&Diagnostics(vec![d]), sources);
                }
                None => {}
            }
        }
        if ui.diagnostics(&parse_errors, sources) || config_errors {
            failed = true;
        }
    };
    if interactive {
        loop {
            print!("> ");
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            match std::io::stdin().lock().read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = line.trim().to_string();
            if line == "exit" {
                break;
            }
            if !line.is_empty() {
                eval_lines(vec![line], &mut sources);
            }
        }
        return Ok(EXIT_OK);
    }
    let lines: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    eval_lines(lines, &mut sources);
    Ok(if failed { EXIT_ERROR } else { EXIT_OK })
}

/// A value as Terraform's console writes it: HCL-like, one element per line,
/// secrets as `(sensitive value)`, unknowns as `(known after apply)`.
fn show(v: &Value, depth: usize) -> String {
    let pad = "  ".repeat(depth + 1);
    let end = "  ".repeat(depth);
    match v {
        Value::Null => "null".into(),
        Value::Unknown => "(known after apply)".into(),
        Value::Sensitive(_) | Value::Redacted(_) => "(sensitive value)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => iac_value::format_number(n),
        // Multi-line strings as heredocs, indented where nested, as Terraform's
        // console writes them.
        Value::String(s) if s.contains('\n') && depth == 0 => format!("<<EOT\n{s}\nEOT"),
        Value::String(s) if s.contains('\n') => {
            let indent = "  ".repeat(depth);
            let lines: Vec<String> = s.split('\n').map(|l| format!("{indent}{l}")).collect();
            format!("<<-EOT\n{}\n{indent}EOT", lines.join("\n"))
        }
        Value::String(s) => iac_value::quote(s),
        Value::List(items) | Value::Set(items) if items.is_empty() => {
            if matches!(v, Value::Set(_)) {
                "toset([])".into()
            } else {
                "[]".into()
            }
        }
        Value::List(items) | Value::Set(items) => {
            let inner: String = items
                .iter()
                .map(|i| format!("{pad}{},\n", show(i, depth + 1)))
                .collect();
            if matches!(v, Value::Set(_)) {
                format!("toset([\n{inner}{end}])")
            } else {
                format!("[\n{inner}{end}]")
            }
        }
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Map(m) => {
            let inner: String = m
                .iter()
                .map(|(k, x)| format!("{pad}{} = {}\n", iac_value::quote(k), show(x, depth + 1)))
                .collect();
            format!("{{\n{inner}{end}}}")
        }
    }
}
