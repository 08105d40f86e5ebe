//! `iac show`: the state or a saved plan.

use crate::args::StateArgs;
use crate::commands::read_plan_file;
use crate::exit::*;
use crate::session::*;
use crate::ui::Ui;
use crate::views::*;
use anyhow::{bail, Result};
use iac_plan::{render_text, TextOptions};
use std::path::Path;

pub(crate) fn cmd_show(
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
