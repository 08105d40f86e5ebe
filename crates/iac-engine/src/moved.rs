//! `moved { from, to }` blocks: renames in state before planning, so a rename is
//! not a delete and a create.

use std::collections::BTreeMap;

use iac_config::Module;
use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_state::State;
use iac_syntax::{Expr, ExprKind};
use iac_value::addr::{AddrPattern, InstanceAddr, InstanceKey};
use iac_value::{format_number, quote};

use crate::graph::ModPath;

/// The address text of a reference-like expression: `a.b`, `a.b[0]`, `module.x`.
pub(crate) fn expr_address(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Ref(r) => {
            let mut s = r.root.clone();
            for (a, _) in &r.attrs {
                s.push('.');
                s.push_str(a);
            }
            Some(s)
        }
        // `module.net["b"].aws_vpc.v`: attributes after an index.
        ExprKind::GetAttr(base, name) => Some(format!("{}.{name}", expr_address(base)?)),
        ExprKind::Index(base, ix) => {
            let b = expr_address(base)?;
            let k = match &ix.kind {
                ExprKind::Number(n) => format_number(&iac_value::Number::literal(*n)),
                ExprKind::String(s) => quote(s),
                ExprKind::Template(p) if p.is_empty() => quote(""),
                _ => return None,
            };
            Some(format!("{b}[{k}]"))
        }
        _ => None,
    }
}

fn parse(e: &Expr, path: &ModPath, diags: &mut Diagnostics) -> Option<AddrPattern> {
    let Some(text) = expr_address(e) else {
        diags.push(
            Diagnostic::error("E0501", "Invalid address in moved block").with_span(
                e.span,
                "expected an address such as terraform_data.a, terraform_data.a[0] or module.x",
            ),
        );
        return None;
    };
    match text.parse::<AddrPattern>() {
        Ok(mut p) => {
            let mut full = path.clone();
            full.extend(p.module);
            p.module = full;
            Some(p)
        }
        Err(err) => {
            diags.push(
                Diagnostic::error("E0501", "Invalid address in moved block")
                    .with_span(e.span, err.0),
            );
            None
        }
    }
}

/// Applies every moved block to `state`; returns new address → old address.
pub fn apply_moves(
    tree: &BTreeMap<ModPath, &Module>,
    state: &mut std::borrow::Cow<'_, State>,
    diags: &mut Diagnostics,
) -> BTreeMap<InstanceAddr, InstanceAddr> {
    let mut moved = BTreeMap::new();
    for (path, m) in tree {
        for mv in &m.moved {
            let (Some(mut from), Some(mut to)) =
                (parse(&mv.from, path, diags), parse(&mv.to, path, diags))
            else {
                continue;
            };
            // A resource without a key on one side and an instance on the other:
            // the resource's single, unkeyed instance moves (count added or
            // removed with a chosen index), as Terraform reads it.
            if from.resource.is_some()
                && to.resource.is_some()
                && from.key.is_some() != to.key.is_some()
            {
                from.key.get_or_insert(InstanceKey::None);
                to.key.get_or_insert(InstanceKey::None);
            }
            if from.resource.is_some() != to.resource.is_some()
                || from.key.is_some() != to.key.is_some()
            {
                diags.push(
                    Diagnostic::error("E0502", "Moved block addresses must be of the same kind")
                        .with_span(mv.span, "move a resource to a resource, an instance to an instance, or a module to a module"),
                );
                continue;
            }
            if let (Some((_, ft, _)), Some((_, tt, _))) = (&from.resource, &to.resource) {
                if ft != tt {
                    diags.push(
                        Diagnostic::error("E0503", "A moved block cannot change the resource type")
                            .with_span(mv.to.span, format!("from type {ft} to type {tt}")),
                    );
                    continue;
                }
            }
            let addrs: Vec<InstanceAddr> = state
                .resources
                .keys()
                .filter(|a| from.matches(a))
                .cloned()
                .collect();
            for old in addrs {
                let Some(new) = from.move_to(&to, &old) else {
                    continue;
                };
                if state.resources.contains_key(&new) {
                    // Both exist: the move has already happened or clashes; leave it.
                    continue;
                }
                if let Some(inst) = state.to_mut().resources.remove(&old) {
                    state.to_mut().resources.insert(new.clone(), inst);
                    let origin = moved.remove(&old).unwrap_or(old);
                    moved.insert(new, origin);
                }
            }
        }
    }
    moved
}
