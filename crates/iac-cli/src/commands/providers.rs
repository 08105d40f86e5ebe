//! `iac providers` and `iac providers schema -json`.

use crate::args::StateArgs;
use crate::exit::*;
use crate::session::*;
use crate::ui::Ui;
use anyhow::Result;
use std::collections::BTreeMap;

/// The provider configurations: what each root `provider` block (or the implied
/// default) serves, and what state holds under each.
pub(crate) fn cmd_providers(ui: &Ui, args: &StateArgs) -> Result<u8> {
    let loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    let engine = engine();
    let (bindings, diags) =
        iac_engine::configure::bind_providers(&engine.providers, &loaded.module);
    if ui.diagnostics(&diags, &loaded.sources) {
        return Ok(EXIT_ERROR);
    }
    let mut configs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in &loaded.module.providers {
        let address = iac_engine::configure::config_address(&b.name, b.alias.as_deref());
        configs.entry(address).or_default();
    }
    for (resource, address) in bindings.resources() {
        configs
            .entry(address.to_string())
            .or_default()
            .push(resource);
    }
    println!("Provider configurations in the configuration:");
    for (address, resources) in &configs {
        let declared = loaded.module.providers.iter().any(|b| {
            iac_engine::configure::config_address(&b.name, b.alias.as_deref()) == *address
        });
        let how = if declared {
            ""
        } else {
            " (implied, no provider block)"
        };
        println!("  {address}{how}");
        for r in resources {
            println!("    {r}");
        }
    }
    let backend = open_state_for(args)?;
    let state = backend.read()?.unwrap_or_default();
    let mut in_state: BTreeMap<&str, usize> = BTreeMap::new();
    for i in state.resources.values() {
        *in_state.entry(i.provider.as_str()).or_default() += 1;
    }
    if !in_state.is_empty() {
        println!("\nProvider configurations in state:");
        for (address, n) in in_state {
            let missing = if configs.contains_key(address) || !address.contains('.') {
                ""
            } else {
                " (no longer declared: keep its provider block until they are destroyed)"
            };
            println!("  {address}: {n} object(s){missing}");
        }
    }
    Ok(EXIT_OK)
}

pub(crate) fn cmd_providers_schema() -> Result<u8> {
    let engine = engine();
    let mut out = serde_json::Map::new();
    for p in engine.providers.iter() {
        out.insert(p.name().to_string(), serde_json::to_value(p.schema())?);
    }
    println!(
        "{}",
        serde_json::to_string_pretty(
            &serde_json::json!({"format_version": "1.0", "providers": out})
        )?
    );
    Ok(EXIT_OK)
}
