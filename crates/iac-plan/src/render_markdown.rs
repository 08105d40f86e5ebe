//! The plan as a pull-request comment: a summary people read first, a warning
//! when anything is destroyed or replaced, the addresses by action, and the
//! full plan folded in a `<details>` block. It stays under a size limit
//! (GitHub refuses comments over 65,536 characters) by shortening the lists and
//! the folded plan, and says what it left out.

use std::fmt::Write;

use crate::{render_text, summary_line, Action, Plan, PlanMode, TextOptions};

pub struct MarkdownOptions<'a> {
    /// Shown in the title: the environment the plan is for.
    pub environment: Option<&'a str>,
    /// What the comment is about: "plan" or "drift".
    pub title: &'a str,
    /// The comment's maximum length in characters.
    pub limit: usize,
    /// The command that shows the whole plan, named when it had to be cut.
    pub full_plan_hint: Option<&'a str>,
}

/// The largest comment GitHub accepts is 65,536 characters; stay clear of it.
pub const DEFAULT_LIMIT: usize = 65_000;

/// How many addresses each list shows before summarising.
const LIST_LIMIT: usize = 100;

pub fn render_markdown(plan: &Plan, opts: &MarkdownOptions<'_>) -> String {
    let mut head = String::new();
    let env = opts.environment.unwrap_or("default");
    let _ = writeln!(head, "### iac {} for `{}`\n", opts.title, env);
    let visible: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.previous_addr.is_some() || c.import_id.is_some())
        .collect();
    if plan.errored {
        let _ = writeln!(
            head,
            "> [!CAUTION]\n> The plan has errors and cannot be applied.\n"
        );
    }
    let summary = if visible.is_empty() && plan.outputs.iter().all(|o| o.action() == Action::NoOp) {
        "No changes. Your infrastructure matches the configuration.".to_string()
    } else if plan.mode == PlanMode::RefreshOnly {
        "Refresh only: no actions.".to_string()
    } else {
        summary_line(plan)
    };
    let _ = writeln!(head, "**{summary}**\n");
    let destroyed: Vec<_> = visible
        .iter()
        .filter(|c| c.action == Action::Delete)
        .collect();
    let replaced: Vec<_> = visible.iter().filter(|c| c.action.is_replace()).collect();
    if !destroyed.is_empty() || !replaced.is_empty() {
        let mut parts = Vec::new();
        if !destroyed.is_empty() {
            parts.push(format!("destroys {}", destroyed.len()));
        }
        if !replaced.is_empty() {
            parts.push(format!("replaces {}", replaced.len()));
        }
        let _ = writeln!(
            head,
            "> [!WARNING]\n> This plan {} resource instance(s). Review them before merging.\n",
            parts.join(" and ")
        );
    }
    if !plan.drift.is_empty() {
        let _ = writeln!(
            head,
            "> [!NOTE]\n> {} object(s) changed outside of iac since the last apply.\n",
            plan.drift.len()
        );
    }
    let mut lists = String::new();
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    let mut push = |title: &'static str, items: Vec<String>| {
        if !items.is_empty() {
            groups.push((title, items));
        }
    };
    push(
        "Drifted",
        plan.drift
            .iter()
            .map(|d| {
                let what = if d.after.is_some() {
                    "changed"
                } else {
                    "deleted"
                };
                format!("`{}` ({what} outside of iac)", d.addr)
            })
            .collect(),
    );
    let by = |pred: &dyn Fn(Action) -> bool| -> Vec<String> {
        visible
            .iter()
            .filter(|c| pred(c.action))
            .map(|c| {
                let reason = c.reason.describe(&c.addr);
                let mut item = if reason.is_empty() {
                    format!("`{}`", c.addr)
                } else {
                    format!(
                        "`{}`: {}",
                        c.addr,
                        reason.trim_start_matches('(').trim_end_matches(')')
                    )
                };
                for n in &c.notes {
                    item.push_str(&format!(" (**{n}**)"));
                }
                item
            })
            .collect()
    };
    push(":warning: Destroy", by(&|a| a == Action::Delete));
    push(":warning: Replace", by(&|a| a.is_replace()));
    push("Update", by(&|a| a == Action::Update));
    push("Create", by(&|a| a == Action::Create));
    push("Read", by(&|a| a == Action::Read));
    push(
        ":warning: Forget (left in the cloud, no longer managed)",
        by(&|a| a == Action::Forget),
    );
    let moved: Vec<String> = visible
        .iter()
        .filter(|c| c.action == Action::NoOp)
        .map(|c| match (&c.previous_addr, &c.import_id) {
            (Some(p), _) => format!("`{p}` → `{}`", c.addr),
            (None, Some(id)) => format!("`{}` (import `{id}`)", c.addr),
            _ => format!("`{}`", c.addr),
        })
        .collect();
    push("Move or import only", moved);
    let outputs: Vec<String> = plan
        .outputs
        .iter()
        .filter(|o| o.action() != Action::NoOp)
        .map(|o| format!("`{}` ({})", o.name, o.action().json_actions().join(", ")))
        .collect();
    push("Outputs", outputs);
    let mut left_out = 0;
    for (title, items) in &groups {
        let _ = writeln!(lists, "**{title} ({})**\n", items.len());
        for i in items.iter().take(LIST_LIMIT) {
            let _ = writeln!(lists, "- {i}");
        }
        if items.len() > LIST_LIMIT {
            left_out += items.len() - LIST_LIMIT;
            let _ = writeln!(lists, "- … and {} more", items.len() - LIST_LIMIT);
        }
        lists.push('\n');
    }

    let full = diff_markers(&render_text(plan, TextOptions { color: false }));
    let fence = fence_for(&full);
    let hint = opts
        .full_plan_hint
        .map(|h| format!(" Run `{h}` to see all of it."))
        .unwrap_or_default();
    let mut body = String::new();
    let budget = opts
        .limit
        .saturating_sub(head.len() + lists.len() + 400 + hint.len());
    let shown = if full.len() <= budget {
        full.as_str()
    } else {
        // Cut at a line boundary inside the budget.
        let mut end = budget.min(full.len());
        while end > 0 && !full.is_char_boundary(end) {
            end -= 1;
        }
        match full[..end].rfind('\n') {
            Some(n) => &full[..n + 1],
            None => "",
        }
    };
    let _ = writeln!(
        body,
        "<details><summary>Full plan</summary>\n\n{fence}diff\n{}{fence}\n\n</details>\n",
        shown.trim_start_matches('\n')
    );
    let mut notes = String::new();
    if shown.len() < full.len() {
        let _ = writeln!(
            notes,
            "_The full plan is {} characters; this comment shows the first {} to stay under the comment size limit.{hint}_\n",
            full.len(),
            shown.len()
        );
    }
    if left_out > 0 {
        let _ = writeln!(
            notes,
            "_{left_out} address(es) are not listed above; the full plan has them._\n"
        );
    }
    let mut out = head;
    out.push_str(&lists);
    out.push_str(&body);
    out.push_str(&notes);
    if out.len() > opts.limit {
        // Even the lists are too long for the limit: keep the head and say so.
        let mut end = opts.limit.saturating_sub(200);
        while end > 0 && !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(out[..end].rfind('\n').map(|n| n + 1).unwrap_or(0));
        let _ = writeln!(
            out,
            "\n_The rest of this comment was cut to stay under the size limit.{hint}_"
        );
    }
    out
}

/// Moves each change marker to the first column, where a `diff` code block
/// colours it: `+` added, `-` removed, `!` changed in place.
fn diff_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let body = line.trim_start();
        let marker = if !line.starts_with(' ') {
            None
        } else if body.starts_with("-/+ ") || body.starts_with("+/- ") {
            Some('!')
        } else if body.starts_with("+ ") {
            Some('+')
        } else if body.starts_with("- ") {
            Some('-')
        } else if body.starts_with("~ ") {
            Some('!')
        } else {
            None
        };
        match marker {
            Some(m) => {
                // The marker goes to column 0 and its old place is blanked, so
                // the attributes stay aligned.
                let indent = line.len() - body.len();
                let sym = body.split(' ').next().unwrap_or("").len();
                out.push(m);
                out.push_str(&line[1..indent]);
                out.push_str(&" ".repeat(sym));
                out.push_str(&body[sym..]);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// A code fence longer than any run of backticks in `text`, so the text cannot close it.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_move_to_the_first_column() {
        assert_eq!(
            diff_markers("  + resource \"a\" {\n      ~ x = 1 -> 2\n        id = 3\nPlan: 1\n"),
            "+   resource \"a\" {\n!       x = 1 -> 2\n        id = 3\nPlan: 1\n"
        );
    }

    #[test]
    fn fence_outlasts_backticks_in_the_text() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
