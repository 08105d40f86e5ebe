//! `iac rollback` and `iac deployments`.

use crate::args::{StateArgs, VarArgs};
use crate::exit::*;
use crate::session::*;
use crate::ui::{ask, Ui};
use anyhow::{anyhow, bail, Result};
use iac_engine::Deployment;
use iac_value::addr::InstanceAddr;

pub(crate) fn cmd_rollback(
    ui: &Ui,
    va: &VarArgs,
    args: &StateArgs,
    auto_approve: bool,
    address: &str,
) -> Result<u8> {
    let addr: InstanceAddr = address
        .parse()
        .map_err(|e| anyhow!("invalid address \"{address}\": {e}"))?;
    if addr.resource.ty != "deployment" {
        bail!("{address} is not a deployment; rollback moves a deployment's traffic back to its previous release");
    }
    let session = match Session::open(ui, va, args, Some("rollback"))? {
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
    if !auto_approve {
        let q = format!(
            "Send {addr}'s traffic from release {live} back to {}?\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: ",
            before
                .previous()
                .map(|r| r.id.as_str())
                .unwrap_or("the previous release")
        );
        if ask(&q).as_deref() != Some("yes") {
            eprintln!("Rollback cancelled.");
            return Ok(EXIT_ERROR);
        }
    }
    let rt = runtime()?;
    let workspace = session.workspace();
    let rolled = engine.rollback(
        &loaded.module,
        vars,
        &**backend,
        state.clone(),
        &addr,
        workspace,
    );
    match rt.block_on(rolled) {
        Ok(done) => {
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
        Err(d) => {
            ui.diagnostics(&d, &loaded.sources);
            Ok(EXIT_ERROR)
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
