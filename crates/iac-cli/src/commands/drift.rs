//! `iac drift`: refresh and compare; exit 2 when the real objects drifted.

use crate::args::PlanArgs;
use crate::commands::make_plan;
use crate::commands::Planned;
use crate::exit::*;
use crate::ui::Ui;
use crate::views::*;
use anyhow::{bail, Context, Result};
use std::path::Path;

pub(crate) fn cmd_drift(ui: &Ui, p: &PlanArgs, json: bool, markdown: Option<&Path>) -> Result<u8> {
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
