//! Provider configurations: which `provider` block serves each resource (the
//! `provider` meta-argument, module calls' `providers` maps, inheritance of the
//! default configuration), and configuring one provider instance per block.
//!
//! A configuration is named by its address in the root module, as state records
//! it: `aws` (the default configuration) or `aws.west` (an aliased one).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use iac_config::{EvalContext, Module, ProviderConfig, ProviderRef};
use iac_diagnostics::{did_you_mean, Diagnostic, Diagnostics, Span};
use iac_state::State;
use iac_value::Value;

use crate::decode::{eval_body, provider_diagnostic};
use crate::graph::{module_tree, ModPath};
use crate::scope::Values;
use crate::Providers;
use rustc_hash::FxHashMap;

/// The address of the configuration a `provider` block or reference names.
pub fn config_address(name: &str, alias: Option<&str>) -> String {
    match alias {
        Some(a) => format!("{name}.{a}"),
        None => name.to_string(),
    }
}

/// The provider name of a configuration address (`aws.west` -> `aws`).
pub fn provider_of(address: &str) -> &str {
    address.split('.').next().unwrap_or(address)
}

/// Which configuration serves every resource and data block of the configuration.
#[derive(Debug, Default)]
pub struct Bindings {
    /// (module path, `type.name` or `data.type.name`) -> configuration address.
    by_resource: FxHashMap<ModPath, FxHashMap<String, String>>,
    /// Every configuration some block of the configuration uses.
    pub used: BTreeSet<String>,
}

impl Bindings {
    /// The configuration serving a block, by its module (instance) path.
    pub fn of(&self, path: &[String], key: &str) -> Option<&str> {
        let m = if iac_value::addr::has_module_keys(path) {
            self.by_resource
                .get(iac_value::addr::module_config_path(path).as_slice())
        } else {
            self.by_resource.get(path)
        };
        m?.get(key).map(String::as_str)
    }

    /// Every block (`module.net.aws_subnet.a`) with its configuration, in order.
    pub fn resources(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = self
            .by_resource
            .iter()
            .flat_map(|(path, m)| m.iter().map(move |(key, a)| ((path, key), a)))
            .map(|((path, key), a)| {
                let prefix: String = path.iter().map(|m| format!("module.{m}.")).collect();
                (format!("{prefix}{key}"), a.as_str())
            })
            .collect();
        out.sort();
        out
    }
}

fn root_block<'m>(root: &'m Module, name: &str, alias: Option<&str>) -> Option<&'m ProviderConfig> {
    root.providers
        .iter()
        .find(|b| b.name == name && b.alias.as_deref() == alias)
}

/// A block that only declares a configuration a caller must pass (`provider "aws" { alias = "x" }`
/// in a called module), with no settings of its own.
fn is_proxy(b: &ProviderConfig) -> bool {
    b.body.blocks.is_empty() && b.body.attributes.iter().all(|a| a.name == "alias")
}

/// Follows a module's reference to a provider configuration up to the root.
fn resolve(
    tree: &BTreeMap<ModPath, &Module>,
    path: &[String],
    r: &ProviderRef,
) -> Result<String, Diagnostic> {
    let alias = r.alias.as_deref();
    if path.is_empty() {
        let root = tree[&Vec::new()];
        if alias.is_none() || root_block(root, &r.name, alias).is_some() {
            return Ok(config_address(&r.name, alias));
        }
        let declared: Vec<String> = root
            .providers
            .iter()
            .filter(|b| b.name == r.name && b.alias.is_some())
            .map(|b| config_address(&b.name, b.alias.as_deref()))
            .collect();
        let mut d = Diagnostic::error(
            "E0707",
            format!("Reference to undeclared provider configuration `{r}`"),
        )
        .with_span(r.span, "no `provider` block declares this configuration");
        d = match did_you_mean(&r.to_string(), declared.iter().map(String::as_str)) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "declare it: provider \"{}\" {{ alias = \"{}\" ... }}",
                r.name,
                alias.unwrap_or_default()
            )),
        };
        return Err(d);
    }
    let parent: ModPath = path[..path.len() - 1].to_vec();
    let call_name = &path[path.len() - 1];
    let call = &tree[&parent].module_calls[call_name];
    if let Some((_, passed)) = call
        .providers
        .iter()
        .find(|(k, _)| k.name == r.name && k.alias == r.alias)
    {
        return resolve(tree, &parent, passed);
    }
    if alias.is_none() {
        // The default configuration is inherited from the caller.
        return resolve(
            tree,
            &parent,
            &ProviderRef {
                span: call.span,
                ..r.clone()
            },
        );
    }
    Err(Diagnostic::error(
        "E0707",
        format!("module.{call_name} has no provider configuration `{r}`"),
    )
    .with_span(r.span, "the module's caller passes no such configuration")
    .with_secondary(call.span, "in this module call")
    .with_help(format!(
        "pass one: providers = {{ {r} = {}.ALIAS }}",
        r.name
    )))
}

/// Binds every resource and data block to a configuration address and checks
/// every `provider` block and `providers` map of the configuration.
pub fn bind_providers(providers: &Providers, module: &Module) -> (Bindings, Diagnostics) {
    let tree = module_tree(module);
    let mut diags = Diagnostics::new();
    let mut out = Bindings::default();
    let root = tree[&Vec::new()];
    for (i, b) in root.providers.iter().enumerate() {
        if let Some(first) = root.providers[..i]
            .iter()
            .find(|x| x.name == b.name && x.alias == b.alias)
        {
            diags.push(
                Diagnostic::error(
                    "E0709",
                    format!(
                        "Duplicate provider configuration `{}`",
                        config_address(&b.name, b.alias.as_deref())
                    ),
                )
                .with_span(b.span, "declared again here")
                .with_secondary(first.span, "first declared here")
                .with_help("give one of them an `alias` and choose it with `provider = ...`"),
            );
        }
        if providers.by_name(&b.name).is_none() {
            let names: Vec<&str> = providers.iter().map(|p| p.name()).collect();
            let mut d = Diagnostic::error("E0710", format!("Unknown provider \"{}\"", b.name))
                .with_span(b.span, "no provider of this name is available");
            if let Some(s) = did_you_mean(&b.name, names.iter().copied()) {
                d = d.with_help(format!("did you mean \"{s}\"?"));
            }
            diags.push(d);
        }
    }
    for (path, m) in &tree {
        if !path.is_empty() {
            for b in m.providers.iter().filter(|b| !is_proxy(b)) {
                diags.push(
                    Diagnostic::error(
                        "E0128",
                        "Provider settings inside a called module are not supported",
                    )
                    .with_span(b.span, "this block configures a provider inside a module")
                    .with_help(format!(
                        "declare the configuration in the root module and pass it: providers = {{ {} = {} }}",
                        config_address(&b.name, b.alias.as_deref()),
                        config_address(&b.name, b.alias.as_deref())
                    )),
                );
            }
        }
        for call in m.module_calls.values() {
            for (_, passed) in &call.providers {
                if let Err(d) = resolve(&tree, path, passed) {
                    diags.push(d);
                }
            }
        }
        // A module's blocks mostly name few types and inherit their provider's
        // default configuration: each found once.
        let mut kinds: FxHashMap<(&str, bool), Option<&Arc<dyn iac_provider::Provider>>> =
            FxHashMap::default();
        let mut defaults: FxHashMap<&str, String> = FxHashMap::default();
        for (key, r) in &m.resources {
            let data = r.mode == iac_config::Mode::Data;
            let kind = *kinds
                .entry((r.ty.as_str(), data))
                .or_insert_with(|| providers.for_type(&r.ty, data).map(|(p, _)| p));
            let Some(kind) = kind else {
                continue;
            };
            let reference = match &r.provider {
                Some(p) if p.name != kind.name() => {
                    diags.push(
                        Diagnostic::error(
                            "E0708",
                            format!("Provider `{p}` does not offer \"{}\"", r.ty),
                        )
                        .with_span(
                            p.span,
                            format!("\"{}\" belongs to provider \"{}\"", r.ty, kind.name()),
                        )
                        .with_help(format!(
                            "use a configuration of \"{}\", such as `{}`",
                            kind.name(),
                            kind.name()
                        )),
                    );
                    continue;
                }
                Some(p) => p.clone(),
                None => match defaults.get(kind.name()) {
                    Some(addr) => {
                        bind(&mut out, path, key, addr.clone());
                        continue;
                    }
                    None => ProviderRef {
                        name: kind.name().to_string(),
                        alias: None,
                        span: r.span,
                    },
                },
            };
            let resolved = resolve(&tree, path, &reference);
            if let (None, Ok(addr)) = (&r.provider, &resolved) {
                // Not an error: an error names this block's span, so it is not kept.
                defaults.insert(kind.name(), addr.clone());
            }
            match resolved {
                Ok(addr) => bind(&mut out, path, key, addr),
                Err(d) => diags.push(d),
            }
        }
    }
    (out, diags)
}

/// Records that the block `key` of the module at `path` uses the provider
/// configuration `addr`.
fn bind(out: &mut Bindings, path: &ModPath, key: &str, addr: String) {
    if !out.used.contains(&addr) {
        out.used.insert(addr.clone());
    }
    // One entry per module, not a copy of its path per block.
    let blocks = match out.by_resource.get_mut(path) {
        Some(b) => b,
        None => out.by_resource.entry(path.clone()).or_default(),
    };
    blocks.insert(key.to_string(), addr);
}

/// Evaluates one root `provider` block against its provider's schema.
fn eval_block(
    providers: &Providers,
    b: &ProviderConfig,
    values: &Values,
    module: &Module,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let kind = providers.by_name(&b.name)?;
    let root = Vec::new();
    let scope = values.scope(&root);
    let mut ctx = EvalContext::new(&scope, module.dir.clone(), module.dir.clone());
    let mut ds = Vec::new();
    let mut body = b.body.clone();
    body.attributes.retain(|a| a.name != "alias");
    let what = format!("provider \"{}\"", b.name);
    let v = eval_body(
        &body,
        &kind.schema().provider,
        b.span,
        &what,
        &mut ctx,
        &mut ds,
    );
    let failed = ds.iter().any(|d| d.is_error());
    diags.extend(Diagnostics(ds));
    (!failed).then_some(v)
}

/// The root module's locals the provider blocks use (`region = local.region`),
/// with the locals those use: each one that the variables and the other locals
/// give, in as many passes as their order needs; one that needs a resource, a data source or a module is
/// unknown here, so a provider block that uses it is E0704, never configured
/// with a guess.
fn provider_locals(module: &Module, values: &mut Values) {
    if module.providers.is_empty() || module.locals.is_empty() {
        return;
    }
    let root: ModPath = Vec::new();
    // Only the locals the blocks use, and the locals those use in turn.
    fn locals_in<'a>(body: &'a iac_syntax::Body, out: &mut Vec<&'a str>) {
        for a in &body.attributes {
            for r in a.expr.references() {
                if let ("local", Some((name, _))) = (r.root.as_str(), r.attrs.first()) {
                    out.push(name);
                }
            }
        }
        for b in &body.blocks {
            locals_in(&b.body, out);
        }
    }
    let mut wanted: Vec<&str> = Vec::new();
    for b in &module.providers {
        locals_in(&b.body, &mut wanted);
    }
    let mut pending: Vec<&iac_config::Local> = Vec::new();
    while let Some(name) = wanted.pop() {
        let Some(l) = module.locals.get(name) else {
            continue;
        };
        if pending.iter().any(|p| p.name == l.name) {
            continue;
        }
        pending.push(l);
        for r in l.expr.references() {
            if let ("local", Some((n, _))) = (r.root.as_str(), r.attrs.first()) {
                wanted.push(n);
            }
        }
    }
    loop {
        let before = pending.len();
        let mut i = 0;
        while i < pending.len() {
            let got = {
                let scope = values.scope(&root);
                let mut ctx = EvalContext::new(&scope, module.dir.clone(), module.dir.clone());
                ctx.eval(&pending[i].expr).ok()
            };
            match got {
                Some(v) => {
                    let name = pending.swap_remove(i).name.clone();
                    values.module(&root).locals.insert(name, v);
                }
                None => i += 1,
            }
        }
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    for l in pending {
        values
            .module(&root)
            .locals
            .insert(l.name.clone(), Value::Unknown);
    }
}

/// Checks every root `provider` block against its schema without configuring anything
/// (`iac validate`).
pub fn validate_provider_blocks(
    providers: &Providers,
    module: &Module,
    variables: &HashMap<String, Value>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut values = Values::default();
    values.module(&Vec::new()).vars = variables.clone();
    provider_locals(module, &mut values);
    for b in &module.providers {
        eval_block(providers, b, &values, module, &mut diags);
    }
    diags
}

/// Configures every provider configuration the configuration declares or uses, and
/// every one that state's objects name, each as its own provider instance.
pub async fn configure_providers(
    providers: &Providers,
    module: &Module,
    variables: &HashMap<String, Value>,
    state: &State,
) -> (Bindings, Diagnostics) {
    let bound = bind_providers(providers, module);
    configure_bound(providers, module, variables, state, bound).await
}

/// [`configure_providers`] with the blocks already bound by [`bind_providers`]
/// (which needs only the configuration, so a plan does it while the state is read).
pub async fn configure_bound(
    providers: &Providers,
    module: &Module,
    variables: &HashMap<String, Value>,
    state: &State,
    (bindings, mut diags): (Bindings, Diagnostics),
) -> (Bindings, Diagnostics) {
    if diags.has_errors() {
        return (bindings, diags);
    }
    let mut wanted: BTreeMap<String, Option<Span>> = BTreeMap::new();
    for a in &bindings.used {
        wanted.insert(a.clone(), None);
    }
    for i in state.resources.values() {
        if !wanted.contains_key(&i.provider) {
            wanted.insert(i.provider.clone(), None);
        }
    }
    for b in &module.providers {
        wanted.insert(config_address(&b.name, b.alias.as_deref()), Some(b.span));
    }
    let mut values = Values::default();
    values.module(&Vec::new()).vars = variables.clone();
    provider_locals(module, &mut values);
    for address in wanted.keys() {
        let name = provider_of(address);
        let alias = address.get(name.len() + 1..);
        let Some(kind) = providers.by_name(name) else {
            // Reported by bind_providers (blocks) or refresh (state).
            continue;
        };
        let block = root_block(module, name, alias);
        if block.is_none() && alias.is_some() {
            let n = state
                .resources
                .values()
                .filter(|i| i.provider == *address)
                .count();
            diags.push(
                Diagnostic::error(
                    "E0702",
                    format!("State has {n} object(s) of provider configuration `{address}`, which the configuration no longer declares"),
                )
                .with_help(format!("keep its `provider` block (with alias = \"{}\") until they are destroyed", alias.unwrap_or_default())),
            );
            continue;
        }
        let config = match block {
            Some(b) => {
                let Some(v) = eval_block(providers, b, &values, module, &mut diags) else {
                    continue;
                };
                if !v.is_wholly_known() {
                    diags.push(
                        Diagnostic::error("E0704", format!("The configuration of provider `{address}` depends on values known only after apply"))
                            .with_span(b.span, "provider settings must be known when planning"),
                    );
                    continue;
                }
                v
            }
            None => Value::Null,
        };
        let instance = providers.instance(address, kind);
        for d in instance.configure(&config).await {
            match block {
                Some(b) => diags.push(provider_diagnostic(
                    &d,
                    &b.body,
                    b.span,
                    &format!("provider `{address}`"),
                )),
                None => diags.push(Diagnostic::error(
                    "E0705",
                    format!("{address}: {}: {}", d.summary, d.detail),
                )),
            }
        }
    }
    (bindings, diags)
}
