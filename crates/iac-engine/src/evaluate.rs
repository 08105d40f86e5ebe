//! The evaluator plan and apply share: the values computed so far, and the
//! evaluation of variables, locals and outputs of every module in dependency order.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use iac_config::{EvalContext, Module};
use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_value::{Fingerprinter, Value};

use iac_value::addr::{has_module_keys, module_config_path, split_module_step, InstanceKey};

use crate::graph::{module_tree, Graph, ModPath, NodeKey};
use crate::scope::{CallInstances, Repetition, Values};

/// What evaluation needs from the run: the root module, its variables, the workspace.
#[derive(Clone, Copy)]
pub(crate) struct EvalInput<'a> {
    pub module: &'a Module,
    pub variables: &'a HashMap<String, Value>,
    pub workspace: &'a str,
}

pub(crate) struct Evaluator<'a> {
    pub input: EvalInput<'a>,
    pub tree: BTreeMap<ModPath, &'a Module>,
    pub graph: Graph,
    pub values: Values,
    pub diags: Diagnostics,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(input: EvalInput<'a>, graph: Graph, fp: Arc<Fingerprinter>) -> Evaluator<'a> {
        Evaluator {
            input,
            tree: module_tree(input.module),
            graph,
            values: Values::with_fingerprinter(fp),
            diags: Diagnostics::new(),
        }
    }
}

impl<'a> Evaluator<'a> {
    /// The configuration of a module instance (`["net[0]"]` is made from `["net"]`).
    pub(crate) fn module_at(&self, path: &[String]) -> &'a Module {
        if has_module_keys(path) {
            self.tree[module_config_path(path).as_slice()]
        } else {
            self.tree[path]
        }
    }

    pub(crate) fn eval_ctx<'s>(
        &'s self,
        path: &'s ModPath,
        scope: &'s crate::scope::Scope<'s>,
    ) -> EvalContext<'s> {
        let m = self.module_at(path);
        let mut ctx = EvalContext::new(scope, m.dir.as_path(), self.input.module.dir.as_path());
        ctx.workspace = self.input.workspace.into();
        ctx.variables = Some(&m.variables);
        ctx.local_exprs = Some(&m.locals);
        ctx
    }

    pub(crate) fn walk_variable(&mut self, path: &ModPath, name: &str) {
        let value = if path.is_empty() {
            self.input
                .variables
                .get(name)
                .cloned()
                .unwrap_or(Value::Unknown)
        } else {
            let parent: ModPath = path[..path.len() - 1].to_vec();
            let (call_name, _) = split_module_step(&path[path.len() - 1]);
            let pm = self.module_at(&parent);
            let child = self.module_at(path);
            let var = &child.variables[name];
            let call = &pm.module_calls[call_name];
            match call.inputs.iter().find(|i| i.name == name) {
                Some(input) => {
                    let binding = self.values.call_binding(path);
                    let scope = self.values.scope(&parent);
                    let mut ctx = self.eval_ctx(&parent, &scope);
                    bind_instance(&mut ctx, binding);
                    let v = ctx.eval(&input.expr);
                    drop(ctx);
                    match v {
                        Ok(v) => {
                            let mut d = Diagnostics::new();
                            let v = crate::variables::finish_variable(
                                var,
                                v,
                                child,
                                Some(input.expr.span),
                                &mut d,
                            );
                            self.diags.extend(d);
                            v
                        }
                        Err(d) => {
                            self.diags.push(d);
                            Value::Unknown
                        }
                    }
                }
                None => match &var.default {
                    Some(d) => {
                        let mut ctx = EvalContext::new(
                            &iac_config::EmptyNamespace,
                            child.dir.clone(),
                            child.dir.clone(),
                        );
                        match ctx.eval(d) {
                            Ok(v) => {
                                let mut dg = Diagnostics::new();
                                let v = crate::variables::finish_variable(
                                    var,
                                    v,
                                    child,
                                    Some(d.span),
                                    &mut dg,
                                );
                                self.diags.extend(dg);
                                v
                            }
                            Err(e) => {
                                self.diags.push(e);
                                Value::Unknown
                            }
                        }
                    }
                    None => Value::Unknown,
                },
            }
        };
        self.values
            .module(path)
            .vars
            .insert(name.to_string(), value);
    }

    pub(crate) fn walk_local(&mut self, path: &ModPath, name: &str) {
        let m = self.module_at(path);
        let scope = self.values.scope(path);
        let mut ctx = self.eval_ctx(path, &scope);
        let r = ctx.eval(&m.locals[name].expr);
        drop(ctx);
        let v = r.unwrap_or_else(|d| {
            self.diags.push(d);
            Value::Unknown
        });
        self.values.module(path).locals.insert(name.to_string(), v);
    }

    pub(crate) fn walk_output(&mut self, path: &ModPath, name: &str) {
        let m = self.module_at(path);
        let o = &m.outputs[name];
        let scope = self.values.scope(path);
        let mut ctx = self.eval_ctx(path, &scope);
        let r = ctx.eval(&o.value);
        drop(ctx);
        let v = r.unwrap_or_else(|d| {
            self.diags.push(d);
            Value::Unknown
        });
        if v.contains_sensitive() && !o.sensitive {
            self.diags.push(
                Diagnostic::error("E0214", "Output refers to sensitive values")
                    .with_span(o.value.span, "this value is sensitive")
                    .with_secondary(o.span, format!("output \"{name}\" is not marked sensitive"))
                    .with_help("add `sensitive = true` to the output block to show it as (sensitive value)"),
            );
        }
        self.values
            .module(path)
            .outputs
            .insert(name.to_string(), v.mark_if(o.sensitive));
    }

    /// The instances of a module call with `count` or `for_each`, in every
    /// instance of the calling module (`child` is the call's configuration path).
    pub(crate) fn walk_call(&mut self, child: &ModPath, validating: bool) {
        let (name, parent) = child.split_last().expect("a call has a name");
        let call = &self.tree[parent.to_vec().as_slice()].module_calls[name];
        for inst in self.values.instances(parent) {
            let scope = self.values.scope(&inst);
            let mut ctx = self.eval_ctx(&inst, &scope);
            let mut d = Diagnostics::new();
            let e = crate::plan::expand_meta(
                call.count.as_ref(),
                call.for_each.as_ref(),
                &mut ctx,
                &mut d,
                validating,
            );
            drop(ctx);
            self.diags.extend(d);
            let mut key = inst;
            key.push(name.clone());
            let ci = match e {
                Some((rep, keys)) => CallInstances {
                    rep,
                    keys,
                    failed: false,
                },
                None => CallInstances {
                    rep: if call.count.is_some() {
                        Repetition::Count
                    } else {
                        Repetition::ForEach
                    },
                    keys: Vec::new(),
                    failed: true,
                },
            };
            self.values.calls.insert(key, ci);
        }
    }

    /// Evaluates a variable, local, output or module expansion node, in every
    /// instance of its module.
    pub(crate) fn walk_value(&mut self, key: &NodeKey, validating: bool) {
        if let NodeKey::Call(child) = key {
            return self.walk_call(child, validating);
        }
        for inst in self.values.instances(key.module_path()) {
            match key {
                NodeKey::Var(_, name) => self.walk_variable(&inst, name),
                NodeKey::Local(_, name) => self.walk_local(&inst, name),
                NodeKey::Output(_, name) => self.walk_output(&inst, name),
                NodeKey::Resource(..) | NodeKey::Call(_) => {}
            }
        }
    }
}

/// Binds `count.index` / `each` for one instance of a module call's arguments.
fn bind_instance(ctx: &mut EvalContext<'_>, binding: Option<(InstanceKey, Option<Value>)>) {
    match binding {
        Some((InstanceKey::Int(i), _)) => ctx.count_index = Some(Value::num(i as f64)),
        Some((InstanceKey::Str(k), each)) => {
            ctx.each = Some((Value::String(k), each.unwrap_or(Value::Null)))
        }
        _ => {}
    }
}
