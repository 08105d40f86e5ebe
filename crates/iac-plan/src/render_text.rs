//! The plan as people read it in a terminal, in the shape Terraform users know.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use iac_value::addr::ResourceMode;
use iac_value::{Path, PathStep, Value};

use crate::{Action, Plan, PlanMode, ResourceChange};

#[derive(Clone, Copy, Default)]
pub struct TextOptions {
    pub color: bool,
}

struct Palette {
    green: &'static str,
    red: &'static str,
    yellow: &'static str,
    cyan: &'static str,
    bold: &'static str,
    reset: &'static str,
}

impl Palette {
    fn new(color: bool) -> Palette {
        if color {
            Palette {
                green: "\x1b[32m",
                red: "\x1b[31m",
                yellow: "\x1b[33m",
                cyan: "\x1b[36m",
                bold: "\x1b[1m",
                reset: "\x1b[0m",
            }
        } else {
            Palette {
                green: "",
                red: "",
                yellow: "",
                cyan: "",
                bold: "",
                reset: "",
            }
        }
    }
}

pub fn summary_line(plan: &Plan) -> String {
    let (a, c, d) = plan.counts();
    match plan.imports() {
        0 => format!("Plan: {a} to add, {c} to change, {d} to destroy."),
        i => format!("Plan: {i} to import, {a} to add, {c} to change, {d} to destroy."),
    }
}

pub fn render_text(plan: &Plan, opts: TextOptions) -> String {
    let p = Palette::new(opts.color);
    let mut out = String::new();
    if !plan.drift.is_empty() {
        let _ = writeln!(
            out,
            "\n{}Note: Objects have changed outside of iac{}\n",
            p.bold, p.reset
        );
        let _ = writeln!(
            out,
            "iac detected the following changes made outside of iac since the last \"iac apply\":\n"
        );
        for d in &plan.drift {
            match &d.after {
                None => {
                    let _ = writeln!(out, "  # {} has been deleted", d.addr);
                    let _ = writeln!(out, "  {}-{} {}", p.red, p.reset, header(&d.addr));
                    let _ = writeln!(out, "    }}\n");
                }
                Some(after) => {
                    let _ = writeln!(out, "  # {} has changed", d.addr);
                    let _ = writeln!(out, "  {}~{} {}", p.yellow, p.reset, header(&d.addr));
                    render_attrs(
                        &mut out,
                        &p,
                        Some(&d.before),
                        Some(after),
                        &[],
                        Action::Update,
                    );
                    let _ = writeln!(out, "    }}\n");
                }
            }
        }
        if plan.mode == PlanMode::RefreshOnly {
            let _ = writeln!(
                out,
                "This is a refresh-only plan, so iac will not take any actions to undo these. If you were\nexpecting these changes then you can apply this plan to record the updated values in the\niac state without changing any remote objects.\n"
            );
        } else {
            let _ = writeln!(
                out,
                "Unless you have made equivalent changes to your configuration, or ignored the relevant\nattributes using ignore_changes, the following plan may include actions to undo or respond\nto these changes.\n"
            );
        }
    }

    let visible: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.previous_addr.is_some() || c.import_id.is_some())
        .collect();
    let outputs_changed = plan.outputs.iter().any(|o| o.action() != Action::NoOp);
    if visible.is_empty() && !outputs_changed {
        if plan.mode == PlanMode::RefreshOnly && !plan.drift.is_empty() {
            return out;
        }
        let _ = writeln!(
            out,
            "\n{}No changes.{} Your infrastructure matches the configuration.\n",
            p.bold, p.reset
        );
        return out;
    }
    if !visible.is_empty() {
        let used: BTreeSet<&str> = visible.iter().map(|c| symbol(c.action)).collect();
        let _ = writeln!(
            out,
            "\nResource actions are indicated with the following symbols:"
        );
        for (sym, words) in [
            ("+", "create"),
            ("~", "update in-place"),
            ("-", "destroy"),
            ("-/+", "destroy and then create replacement"),
            ("+/-", "create replacement and then destroy"),
            ("<=", "read (data resources)"),
            (".", "forget (no longer managed, not destroyed)"),
        ] {
            if used.contains(sym) {
                let _ = writeln!(out, "  {} {words}", colored(&p, sym));
            }
        }
        let _ = writeln!(out, "\niac will perform the following actions:\n");
        for c in visible {
            render_change(&mut out, &p, c);
        }
    }
    // Only outputs change: Terraform prints no "Plan:" line, and says what applying does.
    let only_outputs = plan.changes.iter().all(|c| c.action == Action::NoOp) && outputs_changed;
    if !only_outputs {
        let _ = writeln!(out, "{}{}{}", p.bold, summary_line(plan), p.reset);
    }
    let forgotten: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Forget)
        .collect();
    if !forgotten.is_empty() {
        let _ = writeln!(
            out,
            "
{}Warning:{} Some objects will no longer be managed by iac

Applying this plan removes them from state without deleting them:",
            p.yellow, p.reset
        );
        for c in forgotten {
            let _ = writeln!(out, " - {}", c.addr);
        }
        let _ = writeln!(
            out,
            "
To manage them again, import them (an `import` block or `iac import`)."
        );
    }
    if outputs_changed {
        let _ = writeln!(out, "\nChanges to Outputs:");
        for o in &plan.outputs {
            let show = |v: &Value| {
                if o.sensitive {
                    "(sensitive value)".to_string()
                } else {
                    v.to_string()
                }
            };
            match (o.action(), &o.before, &o.after) {
                (Action::Create, _, Some(a)) => {
                    let _ = writeln!(out, "  {}+{} {} = {}", p.green, p.reset, o.name, show(a));
                }
                (Action::Delete, Some(b), _) => {
                    let _ = writeln!(
                        out,
                        "  {}-{} {} = {} -> null",
                        p.red,
                        p.reset,
                        o.name,
                        show(b)
                    );
                }
                (Action::Update, Some(b), Some(a)) => {
                    let _ = writeln!(
                        out,
                        "  {}~{} {} = {} -> {}",
                        p.yellow,
                        p.reset,
                        o.name,
                        show(b),
                        show(a)
                    );
                }
                _ => {}
            }
        }
        if only_outputs {
            let _ = writeln!(
                out,
                "\nYou can apply this plan to save these new output values to the state, without changing any real infrastructure."
            );
        }
    }
    out
}

fn symbol(a: Action) -> &'static str {
    match a {
        Action::Create => "+",
        Action::Update => "~",
        Action::Delete => "-",
        Action::DeleteThenCreate => "-/+",
        Action::CreateThenDelete => "+/-",
        Action::Read => "<=",
        Action::NoOp => " ",
        Action::Forget => ".",
    }
}

fn colored(p: &Palette, sym: &str) -> String {
    let c = match sym {
        "+" => p.green,
        "-" => p.red,
        "~" => p.yellow,
        "<=" => p.cyan,
        _ => p.yellow,
    };
    format!("{c}{sym}{}", p.reset)
}

fn header(addr: &iac_value::addr::InstanceAddr) -> String {
    let kind = if addr.resource.mode == ResourceMode::Data {
        "data"
    } else {
        "resource"
    };
    format!(
        "{kind} \"{}\" \"{}\" {{",
        addr.resource.ty, addr.resource.name
    )
}

fn render_change(out: &mut String, p: &Palette, c: &ResourceChange) {
    let addr = match &c.deposed {
        Some(k) => format!("{} (deposed object {k})", c.addr),
        None => c.addr.to_string(),
    };
    let what = match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::Delete => "will be destroyed",
        Action::DeleteThenCreate | Action::CreateThenDelete => "must be replaced",
        Action::Read => "will be read during apply",
        Action::NoOp => "",
        Action::Forget => "will no longer be managed by iac, but will not be destroyed",
    };
    if let Some(id) = &c.import_id {
        let also = match c.action {
            Action::NoOp => String::new(),
            _ => format!(" and {what}"),
        };
        let _ = writeln!(
            out,
            "  {}# {addr}{} will be imported (id {id}){also}",
            p.bold, p.reset
        );
    } else if let Some(prev) = &c.previous_addr {
        if c.action == Action::NoOp {
            let _ = writeln!(out, "  # {prev} has moved to {addr}");
        } else {
            let _ = writeln!(out, "  # {addr} (moved from {prev}) {what}");
        }
    } else {
        let _ = writeln!(out, "  {}# {addr}{} {what}", p.bold, p.reset);
    }
    let reason = c.reason.describe(&c.addr);
    if !reason.is_empty() && c.action != Action::Create {
        let _ = writeln!(out, "  # (because {reason})");
    }
    for n in &c.notes {
        let _ = writeln!(out, "  # Note: {n}");
    }
    let sym = symbol(c.action);
    // Symbols right-aligned in three columns, as Terraform's: `  +`, ` <=`, `-/+`.
    let pad = &"   "[..3 - sym.len().min(3)];
    let _ = writeln!(out, "{pad}{} {}", colored(p, sym), header(&c.addr));
    render_attrs(
        out,
        p,
        c.before.as_ref(),
        c.after.as_ref(),
        &c.requires_replace,
        c.action,
    );
    let _ = writeln!(out, "    }}\n");
}

/// Whether two values are blocks (lists of objects of the same length) whose
/// changes are clearer shown one attribute at a time.
fn nested(b: &Value, a: &Value) -> bool {
    match (b.unmarked(), a.unmarked()) {
        (Value::List(x), Value::List(y)) => {
            !x.is_empty()
                && x.len() == y.len()
                && x.iter().chain(y.iter()).all(|v| v.as_map().is_some())
        }
        _ => false,
    }
}

/// The changed leaves between two blocks, as `path = before -> after`.
fn leaf_diffs(path: String, b: &Value, a: &Value, out: &mut Vec<(String, String, String)>) {
    if b == a {
        return;
    }
    match (b.unmarked(), a.unmarked()) {
        (Value::List(x), Value::List(y)) if nested(b, a) => {
            for (i, (bx, ay)) in x.iter().zip(y).enumerate() {
                leaf_diffs(format!("{path}[{i}]"), bx, ay, out);
            }
        }
        (Value::Map(x), Value::Map(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let null = Value::Null;
                leaf_diffs(
                    format!("{path}.{k}"),
                    x.get(k).unwrap_or(&null),
                    y.get(k).unwrap_or(&null),
                    out,
                );
            }
        }
        _ => out.push((path, show(b), show(a))),
    }
}

fn render_attrs(
    out: &mut String,
    p: &Palette,
    before: Option<&Value>,
    after: Option<&Value>,
    requires_replace: &[Path],
    action: Action,
) {
    let empty = std::collections::BTreeMap::new();
    let bm = before.and_then(Value::as_map).unwrap_or(&empty);
    let am = after.and_then(Value::as_map).unwrap_or(&empty);
    let keys: BTreeSet<&String> = bm.keys().chain(am.keys()).collect();
    let null = Value::Null;
    let mut lines: Vec<(String, String, String)> = Vec::new();
    let mut hidden = 0;
    for k in keys {
        let b = if before.is_some() {
            bm.get(k).unwrap_or(&null)
        } else {
            &null
        };
        let a = if after.is_some() {
            am.get(k).unwrap_or(&null)
        } else {
            &null
        };
        let forces = requires_replace
            .iter()
            .any(|rp| rp.first() == Some(&PathStep::Key(k.clone())));
        let note = if forces && action.is_replace() {
            " # forces replacement"
        } else {
            ""
        };
        match action {
            Action::Create | Action::Read if before.is_none() => {
                if !a.is_null() {
                    lines.push((colored(p, "+"), k.clone(), format!("{}{note}", show(a))));
                }
            }
            Action::Delete => {
                if !b.is_null() {
                    lines.push((colored(p, "-"), k.clone(), format!("{} -> null", show(b))));
                }
            }
            _ => {
                if b == a {
                    if k == "id" && !a.is_null() {
                        lines.push((" ".into(), k.clone(), show(a)));
                    } else if !a.is_null() {
                        hidden += 1;
                    }
                } else if b.is_null() {
                    lines.push((colored(p, "+"), k.clone(), format!("{}{note}", show(a))));
                } else if a.is_null() {
                    lines.push((
                        colored(p, "-"),
                        k.clone(),
                        format!("{} -> null{note}", show(b)),
                    ));
                } else if nested(b, a) {
                    // Blocks: name just what changed inside them.
                    let mut diffs = Vec::new();
                    leaf_diffs(k.clone(), b, a, &mut diffs);
                    for (path, from, to) in diffs {
                        lines.push((colored(p, "~"), path, format!("{from} -> {to}{note}")));
                    }
                } else if let (Some(bs), Some(as_)) = (multiline(b), multiline(a)) {
                    lines.push((
                        colored(p, "~"),
                        k.clone(),
                        format!("<<-EOT{note}\n{}        EOT", line_diff(p, bs, as_)),
                    ));
                } else {
                    lines.push((
                        colored(p, "~"),
                        k.clone(),
                        format!("{} -> {}{note}", show(b), show(a)),
                    ));
                }
            }
        }
    }
    let width = lines.iter().map(|l| l.1.len()).max().unwrap_or(0);
    for (sym, k, v) in lines {
        let _ = writeln!(out, "      {sym} {k:width$} = {v}");
    }
    if hidden > 0 {
        let s = if hidden == 1 { "" } else { "s" };
        let _ = writeln!(out, "        # ({hidden} unchanged attribute{s} hidden)");
    }
}

fn show(v: &Value) -> String {
    v.to_string()
}

fn multiline(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) if s.contains('\n') => Some(s),
        _ => None,
    }
}

/// A line-by-line diff of two multi-line strings.
fn line_diff(p: &Palette, before: &str, after: &str) -> String {
    let diff = similar::TextDiff::from_lines(before, after);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let (sym, color) = match change.tag() {
            similar::ChangeTag::Delete => ("-", p.red),
            similar::ChangeTag::Insert => ("+", p.green),
            similar::ChangeTag::Equal => (" ", ""),
        };
        let line = change.value().trim_end_matches('\n');
        let _ = writeln!(out, "          {color}{sym}{} {line}", p.reset);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ResourceChange;

    #[test]
    fn a_change_inside_blocks_names_just_the_changed_attribute() {
        let action = |w: f64| {
            Value::List(vec![Value::map([
                ("type", Value::string("forward")),
                (
                    "forward",
                    Value::List(vec![Value::map([
                        ("weight", Value::num(w)),
                        ("arn", Value::string("tg-blue")),
                    ])]),
                ),
            ])])
        };
        let obj =
            |w: f64| Value::map([("id", Value::string("l-1")), ("default_action", action(w))]);
        let plan = Plan {
            mode: PlanMode::Normal,
            changes: vec![ResourceChange {
                addr: "aws_lb_listener.http".parse().unwrap(),
                deposed: None,
                previous_addr: None,
                import_id: None,
                provider: "aws".into(),
                action: Action::Update,
                reason: crate::Reason::None,
                before: Some(obj(100.0)),
                after: Some(obj(10.0)),
                requires_replace: Vec::new(),
                dependencies: Vec::new(),
                create_before_destroy: false,
                notes: vec!["one ModifyListener".into()],
            }],
            outputs: Vec::new(),
            drift: Vec::new(),
            prior_lineage: String::new(),
            prior_serial: 0,
            errored: false,
            data: Default::default(),
        };
        let text = render_text(&plan, TextOptions { color: false });
        assert!(
            text.contains("~ default_action[0].forward[0].weight = 100 -> 10"),
            "{text}"
        );
        assert!(!text.contains("tg-blue"), "{text}");
        assert!(text.contains("# Note: one ModifyListener"), "{text}");
    }
}
