//! `iac rollback`, `iac promote`, `iac abort` and `iac deployments`.

use crate::args::{DeploymentAction, StateArgs, VarArgs};
use crate::exit::*;
use crate::session::*;
use crate::ui::{ask, Ui};
use anyhow::{anyhow, bail, Result};
use iac_engine::Deployment;
use iac_value::addr::InstanceAddr;

/// `iac rollback`, `iac promote` and `iac abort`: one of a deployment's actions,
/// confirmed (unless `-auto-approve`), run by the provider and recorded in state.
pub(crate) fn cmd_deployment_action(ui: &Ui, a: &DeploymentAction, action: &str) -> Result<u8> {
    let (va, args, auto_approve, address) = (&a.vars, &a.state, a.auto_approve, a.address.as_str());
    let addr: InstanceAddr = address
        .parse()
        .map_err(|e| anyhow!("invalid address \"{address}\": {e}"))?;
    if addr.resource.ty != "deployment" {
        bail!("{address} is not a deployment; {action} acts on a deployment's releases");
    }
    let session = match Session::open(ui, va, args, Some(action))? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let Session {
        loaded,
        vars,
        backend,
        state,
        ..
    } = &session;
    let engine = engine();
    let before = match engine.deployment_in_state(state, &addr) {
        Ok(d) => d,
        Err(d) => {
            ui.diagnostics(&d, &loaded.sources);
            return Ok(EXIT_ERROR);
        }
    };
    let live = before.live().map(|r| r.id.clone()).unwrap_or_default();
    let paused = before
        .paused()
        .map(|r| format!("release {} ({}% of traffic)", r.id, r.weight))
        .unwrap_or_else(|| "the paused release".into());
    if !auto_approve {
        let q = match action {
            "promote" => format!("Let {addr}'s {paused} go on from its pause?"),
            "abort" => format!(
                "Send {addr}'s traffic back from {paused} to release {live}, and remove it?"
            ),
            _ => format!(
                "Send {addr}'s traffic from release {live} back to {}?",
                before
                    .previous()
                    .map(|r| r.id.as_str())
                    .unwrap_or("the previous release")
            ),
        };
        if ask(&format!(
            "{q}\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: "
        ))
        .as_deref()
            != Some("yes")
        {
            eprintln!("Cancelled.");
            return Ok(EXIT_ERROR);
        }
    }
    let rt = runtime()?;
    let workspace = session.workspace();
    // What the action's hooks print, under the deployment's address.
    let shown = addr.to_string();
    let say = move |line: &str| println!("{shown}{line}");
    let run = engine.deployment_action(
        &loaded.module,
        vars,
        &**backend,
        state.clone(),
        &addr,
        workspace,
        action,
        Some(&say),
    );
    let done = match rt.block_on(run) {
        Ok(done) => done,
        Err(d) => {
            ui.diagnostics(&d, &loaded.sources);
            return Ok(EXIT_ERROR);
        }
    };
    match action {
        "promote" => {
            if done.after.paused().is_none() {
                println!(
                    "{}",
                    ui.green(&format!(
                        "{addr} promoted: release {} is live (release {} is kept for `iac rollback`).",
                        done.to, done.from
                    ))
                );
            }
            Ok(super::apply::awaiting_promotion(&engine, &done.state))
        }
        "abort" => {
            let gone = before.paused().map(|r| r.id.as_str()).unwrap_or("-");
            println!(
                "{}",
                ui.green(&format!(
                    "{addr} aborted: release {gone}'s traffic went back to {}, and its servers were removed.",
                    done.to
                ))
            );
            println!("Release {gone} is kept as rolled_back; the next apply with the same fleet will not deploy it again.");
            Ok(EXIT_OK)
        }
        _ => {
            println!(
                "{}",
                ui.green(&format!(
                    "{addr} rolled back: traffic moved from release {} to {}.",
                    done.from, done.to
                ))
            );
            println!("Release {} is kept as rolled_back; the next apply with the same fleet will not deploy it again.", done.from);
            Ok(EXIT_OK)
        }
    }
}

pub(crate) fn cmd_deployments(ui: &Ui, va: &VarArgs, args: &StateArgs, json: bool) -> Result<u8> {
    let session = match Session::open(ui, va, args, None)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let (loaded, vars, state, env) = (&session.loaded, &session.vars, &session.state, &session.env);
    let rt = runtime()?;
    let deployments = match rt.block_on(engine().deployments(&loaded.module, vars, state)) {
        Ok(d) => d,
        Err(d) => {
            ui.diagnostics(&d, &loaded.sources);
            return Ok(EXIT_ERROR);
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&deployments_json(&deployments, env.as_deref()))?
        );
        return Ok(EXIT_OK);
    }
    if deployments.is_empty() {
        println!("No deployments in state.");
        return Ok(EXIT_OK);
    }
    for d in &deployments {
        println!(
            "{} ({}), live release {}",
            ui.bold(&d.address.to_string()),
            d.strategy,
            d.release.as_deref().unwrap_or("-")
        );
        println!(
            "  {:<10} {:<12} {:>6} {:>8}  {:<20} KEEP UNTIL",
            "RELEASE", "STATUS", "WEIGHT", "HEALTHY", "CREATED"
        );
        for r in &d.releases {
            println!(
                "  {:<10} {:<12} {:>5}% {:>8}  {:<20} {}",
                r.id, r.status, r.weight, r.healthy, r.created, r.keep_until
            );
        }
    }
    Ok(EXIT_OK)
}

/// `iac deployments -json`.
fn deployments_json(deployments: &[Deployment], env: Option<&str>) -> serde_json::Value {
    let list: Vec<serde_json::Value> = deployments
        .iter()
        .map(|d| {
            let releases: Vec<serde_json::Value> = d
                .releases
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "status": r.status.as_str(),
                        "weight": r.weight,
                        "healthy": r.healthy,
                        "target_group_arn": r.target_group_arn,
                        "instance_ids": r.instance_ids,
                        "created": r.created,
                        "keep_until": r.keep_until,
                    })
                })
                .collect();
            serde_json::json!({
                "address": d.address.to_string(),
                "strategy": d.strategy,
                "listener_arn": d.listener_arn,
                "release": d.release,
                "releases": releases,
            })
        })
        .collect();
    serde_json::json!({
        "format_version": "1.0",
        "environment": env.unwrap_or("default"),
        "deployments": list,
    })
}
