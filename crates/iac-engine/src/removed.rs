//! `removed` blocks: a resource or module taken out of the configuration on
//! purpose. With `lifecycle { destroy = false }` its objects leave state and stay
//! in the cloud (the plan's `forget` action); otherwise they are deleted, as any
//! object no longer in the configuration is.

use std::collections::BTreeMap;

use iac_config::Module;
use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_value::addr::{has_module_keys, AddrPattern, InstanceAddr, ResourceMode};

use crate::graph::ModPath;

pub(crate) struct Removal {
    pattern: AddrPattern,
    destroy: bool,
}

/// Every `removed` block of the configuration, checked: it names a whole
/// resource or module (no instance keys) that is no longer in the configuration.
pub(crate) fn removals(tree: &BTreeMap<ModPath, &Module>, diags: &mut Diagnostics) -> Vec<Removal> {
    let mut out = Vec::new();
    for (path, m) in tree {
        for r in &m.removed {
            let invalid = |why: String| {
                Diagnostic::error("E0513", "Invalid address in removed block")
                    .with_span(r.from.span, why)
            };
            let Some(text) = crate::moved::expr_address(&r.from) else {
                diags.push(invalid(
                    "expected the address of a resource or module, such as aws_instance.old or module.net".into(),
                ));
                continue;
            };
            let mut p = match text.parse::<AddrPattern>() {
                Ok(p) => p,
                Err(e) => {
                    diags.push(invalid(e.0));
                    continue;
                }
            };
            if p.key.is_some() || has_module_keys(&p.module) {
                diags.push(
                    invalid(
                        "a removed block names a whole resource or module, without instance keys"
                            .into(),
                    )
                    .with_help("to take out one instance, change count or for_each instead"),
                );
                continue;
            }
            if matches!(&p.resource, Some((ResourceMode::Data, _, _))) {
                diags.push(invalid(
                    "data sources keep nothing to remove; delete the data block".into(),
                ));
                continue;
            }
            let mut full = path.clone();
            full.extend(std::mem::take(&mut p.module));
            p.module = full;
            let still = match &p.resource {
                Some((_, ty, name)) => tree
                    .get(&p.module)
                    .is_some_and(|m| m.resources.contains_key(&format!("{ty}.{name}"))),
                None => tree.contains_key(&p.module),
            };
            if still {
                diags.push(
                    Diagnostic::error("E0514", "Removed object still exists")
                        .with_span(
                            r.from.span,
                            format!("{text} is still declared in the configuration"),
                        )
                        .with_help("remove its block too, or remove this removed block"),
                );
                continue;
            }
            out.push(Removal {
                pattern: p,
                destroy: r.destroy,
            });
        }
    }
    out
}

/// Whether an object no longer in the configuration is to be forgotten
/// rather than deleted.
pub(crate) fn forgotten(removals: &[Removal], addr: &InstanceAddr) -> bool {
    removals
        .iter()
        .any(|r| !r.destroy && r.pattern.matches(addr))
}
