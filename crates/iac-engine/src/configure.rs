//! Configures the providers a run uses, from the root module's `provider` blocks.

use std::collections::{HashMap, HashSet};

use iac_config::{EvalContext, Module};
use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_state::State;
use iac_value::Value;

use crate::decode::{eval_body, provider_diagnostic};
use crate::graph::module_tree;
use crate::scope::Values;
use crate::Providers;

/// Providers that resources in the configuration or in state belong to.
fn used_providers(providers: &Providers, module: &Module, state: &State) -> HashSet<String> {
    let mut used: HashSet<String> = state
        .resources
        .values()
        .map(|i| i.provider.clone())
        .collect();
    for m in module_tree(module).values() {
        for r in m.resources.values() {
            let data = r.mode == iac_config::Mode::Data;
            if let Some((p, _)) = providers.for_type(&r.ty, data) {
                used.insert(p.name().to_string());
            }
        }
    }
    used
}

pub async fn configure_providers(
    providers: &Providers,
    module: &Module,
    variables: &HashMap<String, Value>,
    state: &State,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let used = used_providers(providers, module, state);
    let mut values = Values::default();
    values.module(&Vec::new()).vars = variables.clone();
    let root = Vec::new();
    for p in providers.iter() {
        if !used.contains(p.name()) {
            continue;
        }
        let block = module
            .providers
            .iter()
            .find(|b| b.name == p.name() && b.alias.is_none());
        let config = match block {
            Some(b) => {
                let scope = values.scope(&root);
                let mut ctx = EvalContext::new(&scope, module.dir.clone(), module.dir.clone());
                let mut ds = Vec::new();
                let schema = &p.schema().provider;
                let mut body = b.body.clone();
                body.attributes.retain(|a| a.name != "alias");
                let v = eval_body(
                    &body,
                    schema,
                    b.span,
                    &format!("provider \"{}\"", b.name),
                    &mut ctx,
                    &mut ds,
                );
                let failed = ds.iter().any(|d| d.is_error());
                diags.extend(Diagnostics(ds));
                if failed {
                    continue;
                }
                if !v.is_wholly_known() {
                    diags.push(
                        Diagnostic::error("E0704", format!("The configuration of provider \"{}\" depends on values known only after apply", b.name))
                            .with_span(b.span, "provider settings must be known when planning"),
                    );
                    continue;
                }
                v
            }
            None => Value::Null,
        };
        for d in p.configure(&config).await {
            match block {
                Some(b) => diags.push(provider_diagnostic(
                    &d,
                    &b.body,
                    b.span,
                    &format!("provider \"{}\"", b.name),
                )),
                None => diags.push(Diagnostic::error(
                    "E0705",
                    format!("{}: {}", d.summary, d.detail),
                )),
            }
        }
    }
    diags
}
