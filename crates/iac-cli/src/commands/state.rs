//! `iac state list|show|mv|rm|pull|push`.

use crate::args::StateCommand;
use crate::exit::*;
use crate::session::*;
use crate::views::*;
use anyhow::{anyhow, bail, Context, Result};
use iac_state::State;
use iac_value::addr::{AddrPattern, InstanceAddr};

pub(crate) fn cmd_state(cmd: StateCommand) -> Result<u8> {
    match cmd {
        StateCommand::List { state, addresses } => {
            let backend = open_state_for(&state)?;
            let s = backend.read()?.unwrap_or_default();
            let pats = addresses
                .iter()
                .map(|a| a.parse::<AddrPattern>().map_err(|e| anyhow!("{e}")))
                .collect::<Result<Vec<_>>>()?;
            for addr in s.resources.keys() {
                if pats.is_empty() || pats.iter().any(|p| p.matches(addr)) {
                    println!("{addr}");
                }
            }
            Ok(EXIT_OK)
        }
        StateCommand::Show { state, address } => {
            let backend = open_state_for(&state)?;
            let s = backend.read()?.unwrap_or_default();
            let a: InstanceAddr = address.parse().map_err(|e| anyhow!("{e}"))?;
            match s.current(&a) {
                Some(o) => {
                    print!("{}", render_object(&a.to_string(), &o.attributes));
                    Ok(EXIT_OK)
                }
                None => bail!("no instance {a} in state"),
            }
        }
        StateCommand::Rm { state, addresses } => {
            let backend = open_state_for(&state)?;
            let _lock = take_lock(&*backend, &state, "state rm")?;
            let mut s = backend.read()?.unwrap_or_default();
            let pats = addresses
                .iter()
                .map(|a| a.parse::<AddrPattern>().map_err(|e| anyhow!("{e}")))
                .collect::<Result<Vec<_>>>()?;
            let gone: Vec<InstanceAddr> = s
                .resources
                .keys()
                .filter(|a| pats.iter().any(|p| p.matches(a)))
                .cloned()
                .collect();
            if gone.is_empty() {
                bail!("no matching objects in state");
            }
            for a in &gone {
                s.resources.remove(a);
                println!("Removed {a}");
            }
            let serial = s.serial;
            iac_state::commit(&*backend, serial, &mut s)?;
            println!("Successfully removed {} resource instance(s).", gone.len());
            Ok(EXIT_OK)
        }
        StateCommand::Mv {
            state,
            source,
            destination,
        } => {
            let backend = open_state_for(&state)?;
            let _lock = take_lock(&*backend, &state, "state mv")?;
            let mut s = backend.read()?.unwrap_or_default();
            let from: AddrPattern = source.parse().map_err(|e| anyhow!("{e}"))?;
            let to: AddrPattern = destination.parse().map_err(|e| anyhow!("{e}"))?;
            if from.resource.is_some() != to.resource.is_some() {
                bail!("cannot move between a module and a resource address");
            }
            let renamed: Vec<(InstanceAddr, InstanceAddr)> = s
                .resources
                .keys()
                .filter_map(|a| from.move_to(&to, a).map(|n| (a.clone(), n)))
                .collect();
            if renamed.is_empty() {
                bail!("no objects in state match {source}");
            }
            if let Some((_, n)) = renamed.iter().find(|(_, n)| s.resources.contains_key(n)) {
                bail!("{n} already exists in state");
            }
            for (a, n) in renamed {
                if let Some(inst) = s.resources.remove(&a) {
                    s.resources.insert(n.clone(), inst);
                    println!("Move \"{a}\" to \"{n}\"");
                }
            }
            let serial = s.serial;
            iac_state::commit(&*backend, serial, &mut s)?;
            Ok(EXIT_OK)
        }
        StateCommand::Pull { state } => {
            let backend = open_state_for(&state)?;
            match backend.read()? {
                Some(s) => println!("{}", serde_json::to_string_pretty(&s.to_json())?),
                None => println!("{{}}"),
            }
            Ok(EXIT_OK)
        }
        StateCommand::Push { state, force, path } => {
            let backend = open_state_for(&state)?;
            let _lock = take_lock(&*backend, &state, "state push")?;
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let j: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            let new = State::from_json(&j).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            if let Some(cur) = backend.read()? {
                if !force && cur.lineage != new.lineage {
                    bail!("the state in {} has lineage {}, the current state {}: they are different histories (use -force to replace anyway)", path.display(), new.lineage, cur.lineage);
                }
                if !force && new.serial < cur.serial {
                    bail!("the state in {} has serial {}, older than the current {} (use -force to replace anyway)", path.display(), new.serial, cur.serial);
                }
            }
            backend.write(&new)?;
            Ok(EXIT_OK)
        }
    }
}
