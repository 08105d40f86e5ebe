//! The commands: one file each. `run` dispatches; every command loads what it
//! needs through `session`, calls the engine and prints through `views`.

mod apply;
mod console;
mod deployments;
mod drift;
mod force_unlock;
mod graph;
mod import;
mod init;
mod output;
mod plan;
mod providers;
mod show;
mod state;
mod validate;

use apply::*;
use deployments::*;
use drift::*;
use force_unlock::*;
use graph::*;
use import::*;
use init::*;
use output::*;
use plan::*;
use providers::*;
use show::*;
use state::*;
use validate::*;

use crate::args::{Cli, Command, ProvidersCommand};
use crate::ui::Ui;
use anyhow::{Context, Result};

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
            upgrade,
        } => cmd_init(
            &ui,
            InitArgs {
                state: &state,
                backend_config: &backend_config,
                migrate_state,
                reconfigure,
                force_copy,
                upgrade,
            },
        ),
        Command::Get { update } => cmd_get(update),
        Command::Validate { json } => cmd_validate(&ui, json),
        Command::Console { vars, state } => console::cmd_console(&ui, &vars, &state),
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
        Command::Version { json } => cmd_version(json),
        Command::Rollback(a) => cmd_deployment_action(&ui, &a, "rollback"),
        Command::Promote(a) => cmd_deployment_action(&ui, &a, "promote"),
        Command::Abort(a) => cmd_deployment_action(&ui, &a, "abort"),
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

/// `iac version`: as `terraform version` prints it (`iac v0.1.0`, `on linux_amd64`),
/// with the providers built into this binary.
fn cmd_version(json: bool) -> Result<u8> {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let platform = format!("{os}_{arch}");
    let engine = crate::session::engine();
    let mut providers: Vec<String> = engine
        .providers
        .list()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    providers.sort();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "iac_version": env!("CARGO_PKG_VERSION"),
                // The Terraform language iac implements (what `required_version` is checked against).
                "terraform_version": iac_config::versions::TERRAFORM_LANGUAGE,
                "platform": platform,
                "providers": providers,
            }))?
        );
    } else {
        println!(
            "iac v{}\nTerraform language {}\non {platform}",
            env!("CARGO_PKG_VERSION"),
            iac_config::versions::TERRAFORM_LANGUAGE
        );
        for p in providers {
            println!("+ provider {p} (built in)");
        }
    }
    Ok(crate::exit::EXIT_OK)
}
