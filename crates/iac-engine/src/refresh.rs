//! Refresh: read every object in state from its provider, in one batch per type.

use std::collections::BTreeMap;

use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_plan::Drift;
use iac_state::State;
use iac_value::addr::{InstanceAddr, ResourceMode};
use iac_value::Value;

use crate::Providers;

/// Copies the state only when something drifted.
pub async fn refresh(
    providers: &Providers,
    state: &mut std::borrow::Cow<'_, State>,
) -> (Vec<Drift>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut drift = Vec::new();
    let fp = state.fingerprinter();
    let mut groups: BTreeMap<(String, String), Vec<(InstanceAddr, Value)>> = BTreeMap::new();
    for (addr, inst) in &state.resources {
        if addr.resource.mode == ResourceMode::Data {
            continue;
        }
        let remote = providers
            .by_name(&inst.provider)
            .is_none_or(|p| p.has_remote_objects(&addr.resource.ty));
        if !remote {
            continue;
        }
        if let Some(obj) = &inst.current {
            groups
                .entry((inst.provider.clone(), addr.resource.ty.clone()))
                .or_default()
                .push((addr.clone(), obj.attributes.clone()));
        }
    }
    for ((provider_name, ty), items) in groups {
        let Some(provider) = providers.configuration(&provider_name) else {
            let names: Vec<String> = items.iter().map(|(a, _)| a.to_string()).collect();
            diags.push(
                Diagnostic::error(
                    "E0702",
                    format!(
                        "State has {} object(s) of type {ty} (provider \"{provider_name}\"), which iac does not have: {}",
                        items.len(),
                        names.join(", ")
                    ),
                )
                .with_help("iac neither re-creates nor deletes them; to stop tracking them, remove their blocks and run `iac state rm` on each"),
            );
            continue;
        };
        let current: Vec<Value> = items.iter().map(|(_, v)| v.clone()).collect();
        let results = provider.read_resources(&ty, &current).await;
        for ((addr, before), result) in items.into_iter().zip(results) {
            match result {
                Ok(Some(after)) => {
                    if !fp.equivalent(&before, &after) {
                        // What did not change keeps state's form; secrets stay secret.
                        let after = fp.refreshed(&before, after);
                        if let Some(obj) = state
                            .to_mut()
                            .resources
                            .get_mut(&addr)
                            .and_then(|i| i.current.as_mut())
                        {
                            obj.attributes = after.clone();
                        }
                        drift.push(Drift {
                            addr,
                            before,
                            after: Some(after),
                        });
                    }
                }
                Ok(None) => {
                    let st = state.to_mut();
                    if let Some(inst) = st.resources.get_mut(&addr) {
                        inst.current = None;
                        if inst.deposed.is_empty() {
                            st.resources.remove(&addr);
                        }
                    }
                    drift.push(Drift {
                        addr,
                        before,
                        after: None,
                    });
                }
                Err(d) => diags.push(Diagnostic::error(
                    "E0703",
                    format!("Cannot refresh {addr}: {}: {}", d.summary, d.detail),
                )),
            }
        }
    }
    (drift, diags)
}
