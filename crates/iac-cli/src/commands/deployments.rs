//! `iac rollback` and `iac deployments`.

use crate::args::{StateArgs, VarArgs};
#[allow(unused_imports)]
use crate::commands::*;
use crate::exit::*;
use crate::session::*;
use crate::ui::{ask, Ui};
use anyhow::{anyhow, bail, Result};
use iac_engine::PlanInput;
use iac_plan::PlanMode;
use iac_value::addr::InstanceAddr;
use iac_value::Value;

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
    let mut loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    check_backend(&loaded, args)?;
    let env = env_of(args);
    let vars = match variables(ui, &mut loaded, va, env.as_deref())? {
        Ok(v) => v,
        Err(c) => return Ok(c),
    };
    let backend = open_backend(&loaded.dir, args, env.as_deref())?;
    let _lock = take_lock(&*backend, args, "rollback")?;
    let mut state = read_state(&*backend)?;
    let releases = |v: &Value| -> Vec<(String, String)> {
        v.get_attr("releases")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .map(|r| {
                (
                    r.get_attr("id").as_str().unwrap_or("").to_string(),
                    r.get_attr("status").as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let Some(before) = state.current(&addr).map(|o| o.attributes.clone()) else {
        bail!("{addr} is not in state");
    };
    let live = releases(&before)
        .into_iter()
        .find(|(_, s)| s == "live")
        .map(|(i, _)| i)
        .unwrap_or_default();
    let previous = releases(&before)
        .into_iter()
        .filter(|(_, s)| s == "previous")
        .map(|(i, _)| i)
        .next_back();
    if !auto_approve {
        let q = format!(
            "Send {addr}'s traffic from release {live} back to {}?\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: ",
            previous.as_deref().unwrap_or("the previous release")
        );
        if ask(&q).as_deref() != Some("yes") {
            eprintln!("Rollback cancelled.");
            return Ok(EXIT_ERROR);
        }
    }
    let rt = runtime()?;
    match rt.block_on(engine().run_action(&loaded.module, &vars, &state, &addr, "rollback")) {
        Ok(after) => {
            let now_live = releases(&after)
                .into_iter()
                .find(|(_, s)| s == "live")
                .map(|(i, _)| i)
                .unwrap_or_default();
            if let Some(inst) = state.resources.get_mut(&addr) {
                if let Some(o) = inst.current.as_mut() {
                    o.attributes = after;
                }
            }
            // Outputs that depend on the deployment follow it.
            let replan = rt.block_on(engine().plan(&PlanInput {
                module: &loaded.module,
                variables: &vars,
                state: &state,
                mode: PlanMode::Normal,
                refresh: false,
                targets: &[],
                replace: &[],
                workspace: env.as_deref().unwrap_or("default"),
            }));
            for o in &replan.plan.outputs {
                if let (Some(after), Some(cur)) = (&o.after, state.outputs.get_mut(&o.name)) {
                    if after.is_wholly_known() {
                        cur.value = after.clone();
                    }
                }
            }
            state.serial += 1;
            backend.write(&state)?;
            println!(
                "{}",
                ui.green(&format!(
                    "{addr} rolled back: traffic moved from release {live} to {now_live}."
                ))
            );
            println!("Release {live} is kept as rolled_back; the next apply with the same fleet will not deploy it again.");
            Ok(EXIT_OK)
        }
        Err(d) => {
            ui.diagnostics(&d, &loaded.sources);
            Ok(EXIT_ERROR)
        }
    }
}

pub(crate) fn cmd_deployments(ui: &Ui, va: &VarArgs, args: &StateArgs, json: bool) -> Result<u8> {
    let mut loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    check_backend(&loaded, args)?;
    let env = env_of(args);
    let vars = match variables(ui, &mut loaded, va, env.as_deref())? {
        Ok(v) => v,
        Err(c) => return Ok(c),
    };
    let backend = open_backend(&loaded.dir, args, env.as_deref())?;
    let state = read_state(&*backend)?;
    let rt = runtime()?;
    let engine = engine();
    let mut out = Vec::new();
    for (addr, inst) in &state.resources {
        if addr.resource.ty != "deployment" || inst.current.is_none() {
            continue;
        }
        let v = match rt.block_on(engine.run_action(&loaded.module, &vars, &state, addr, "status"))
        {
            Ok(v) => v,
            Err(d) => {
                ui.diagnostics(&d, &loaded.sources);
                return Ok(EXIT_ERROR);
            }
        };
        let releases: Vec<serde_json::Value> = v
            .get_attr("releases")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .map(|r| {
                let g = |k: &str| r.get_attr(k).as_str().unwrap_or("").to_string();
                serde_json::json!({
                    "id": g("id"),
                    "status": g("status"),
                    "weight": g("weight").parse::<f64>().unwrap_or(0.0) as i64,
                    "healthy": g("healthy"),
                    "target_group_arn": g("target_group_arn"),
                    "instance_ids": g("instance_ids").split(',').filter(|x| !x.is_empty()).collect::<Vec<_>>(),
                    "created": g("created"),
                    "keep_until": g("keep_until"),
                })
            })
            .collect();
        out.push(serde_json::json!({
            "address": addr.to_string(),
            "strategy": v.get_attr("strategy").as_str(),
            "listener_arn": v.get_attr("listener_arn").as_str(),
            "release": v.get_attr("release").as_str(),
            "releases": releases,
        }));
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "format_version": "1.0",
                "environment": env.as_deref().unwrap_or("default"),
                "deployments": out,
            }))?
        );
        return Ok(EXIT_OK);
    }
    if out.is_empty() {
        println!("No deployments in state.");
        return Ok(EXIT_OK);
    }
    for d in &out {
        println!(
            "{} ({}), live release {}",
            ui.bold(d["address"].as_str().unwrap_or("")),
            d["strategy"].as_str().unwrap_or(""),
            d["release"].as_str().unwrap_or("-")
        );
        println!(
            "  {:<10} {:<12} {:>6} {:>8}  {:<20} KEEP UNTIL",
            "RELEASE", "STATUS", "WEIGHT", "HEALTHY", "CREATED"
        );
        for r in d["releases"].as_array().into_iter().flatten() {
            println!(
                "  {:<10} {:<12} {:>5}% {:>8}  {:<20} {}",
                r["id"].as_str().unwrap_or(""),
                r["status"].as_str().unwrap_or(""),
                r["weight"],
                r["healthy"].as_str().unwrap_or(""),
                r["created"].as_str().unwrap_or(""),
                r["keep_until"].as_str().unwrap_or("")
            );
        }
    }
    Ok(EXIT_OK)
}
