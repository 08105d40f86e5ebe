//! The evaluator plan and apply share: the values computed so far, and the
//! evaluation of variables, locals and outputs of every module in dependency order.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use iac_config::{EvalContext, Module};
use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_value::{Fingerprinter, Value};

use crate::graph::{module_tree, Graph, ModPath, NodeKey};
use crate::scope::Values;

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
    pub(crate) fn eval_ctx<'s>(
        &'s self,
        path: &'s ModPath,
        scope: &'s crate::scope::Scope<'s>,
    ) -> EvalContext<'s> {
        let m = self.tree[path];
        let mut ctx = EvalContext::new(scope, m.dir.clone(), self.input.module.dir.clone());
        ctx.workspace = self.input.workspace.to_string();
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
            let call_name = &path[path.len() - 1];
            let pm = self.tree[&parent];
            let child = self.tree[path];
            let var = &child.variables[name];
            let call = &pm.module_calls[call_name];
            match call.inputs.iter().find(|i| i.name == name) {
                Some(input) => {
                    let scope = self.values.scope(&parent);
                    let mut ctx = self.eval_ctx(&parent, &scope);
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
        let m = self.tree[path];
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
        let m = self.tree[path];
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

    /// Evaluates a variable, local or output node.
    pub(crate) fn walk_value(&mut self, key: &NodeKey) {
        match key {
            NodeKey::Var(path, name) => self.walk_variable(path, name),
            NodeKey::Local(path, name) => self.walk_local(path, name),
            NodeKey::Output(path, name) => self.walk_output(path, name),
            NodeKey::Resource(..) => {}
        }
    }
}
