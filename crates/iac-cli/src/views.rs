//! Output formats of plans and state objects: human text, JSON, Markdown.

use crate::ui::Ui;
use iac_plan::{render_json, render_text, Plan, TextOptions};
use iac_value::addr::InstanceAddr;
use iac_value::Value;
use std::io::Write as _;

pub(crate) fn print_plan(ui: &Ui, plan: &Plan, env: Option<&str>) {
    if let Some(e) = env {
        println!("{}", ui.bold(&format!("Environment: {e}")));
    }
    print!("{}", render_text(plan, TextOptions { color: ui.color }));
    let _ = std::io::stdout().flush();
}

/// The JSON plan, with the environment it was made for.
pub(crate) fn plan_json(plan: &Plan, env: Option<&str>) -> serde_json::Value {
    let mut j = render_json(plan);
    j["environment"] = serde_json::json!(env.unwrap_or("default"));
    j
}

pub(crate) fn plan_markdown(
    plan: &Plan,
    env: Option<&str>,
    title: &str,
    hint: Option<&str>,
) -> String {
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

pub(crate) fn render_object(addr: &str, v: &Value) -> String {
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
