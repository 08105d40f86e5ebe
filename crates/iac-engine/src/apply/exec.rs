//! What each node of the apply graph does: a variable, local or output is
//! evaluated; a resource node evaluates each of its instances' configuration
//! with the now-known upstream values, checks it against the plan, and starts
//! the provider calls for its creates, updates and data reads; a destroy node
//! deletes one object. Completed calls become state operations, recorded in one
//! durable write per batch.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::time::Instant;

use futures::future::LocalBoxFuture;
use futures::FutureExt;
use iac_config::Mode;
use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_plan::{Action, Plan, ResourceChange};
use iac_provider::{ApplyRequest, ApplyResult, PlanRequest, Provider};
use iac_state::{ResourceObject, StateOp};
use iac_value::addr::{InstanceAddr, InstanceKey};
use iac_value::{path_to_string, Fingerprinter, PathStep, Value};
use petgraph::graph::NodeIndex;
use sha2::Digest;

use super::graph::{ANode, ApplyGraph};
use super::record::Recorder;
use super::walk::{Executor, Started};
use super::{ApplyEvent, Counts};
use crate::evaluate::Evaluator;
use crate::graph::NodeKey;
use crate::plan::{
    eval_instance, eval_instance_redacted, expand, normalize, resource_addr,
    with_ignored_from_prior, ResourceCtx,
};
use crate::scope::{aggregate_owned, Repetition};
use crate::{ApplyInput, Engine};

/// One provider call of the apply.
pub(crate) struct Op {
    node: NodeIndex,
    change: usize,
    destroy: bool,
    deposed: Option<String>,
    started: Instant,
    /// The configuration with its secrets redacted, when it has any: its marks
    /// are carried onto the new value (see `Fingerprinter::carry_config_marks`).
    marks: Option<Value>,
}

impl Op {
    fn new(node: NodeIndex, change: usize, destroy: bool, deposed: Option<String>) -> Op {
        Op {
            node,
            change,
            destroy,
            deposed,
            started: Instant::now(),
            marks: None,
        }
    }
}

type Call = LocalBoxFuture<'static, ApplyResult>;

pub(crate) struct ApplyExecutor<'a> {
    pub engine: &'a Engine,
    pub input: &'a ApplyInput<'a>,
    pub plan: &'a Plan,
    pub graph: &'a ApplyGraph,
    pub ev: Evaluator<'a>,
    pub rec: Recorder<'a>,
    pub fp: Fingerprinter,
    pub diags: Diagnostics,
    pub counts: Counts,
    /// Values of each resource node's instances (in every instance of its
    /// module), aggregated per module instance when the node finishes.
    instance_values: HashMap<NodeIndex, BTreeMap<InstanceAddr, Value>>,
    /// Lines providers say while they work (address, line), shown by the walk
    /// as they come (see `walk::walk`).
    pub output: tokio::sync::mpsc::UnboundedSender<(String, String)>,
    /// The key under which a create_before_destroy change deposed the old object.
    cbd_deposed: HashMap<usize, String>,
    destroying: bool,
}

/// The idempotency token for a change: the same plan gives the same token, so a
/// retried or resumed create is recognised by providers that support tokens.
fn idempotency_token(plan: &Plan, c: &ResourceChange) -> String {
    let mut h = sha2::Sha256::new();
    h.update(plan.prior_lineage.as_bytes());
    h.update(plan.prior_serial.to_le_bytes());
    h.update(c.addr.to_string().as_bytes());
    h.update(format!("{:?}", c.action).as_bytes());
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every known value in `planned` must be kept by `now`.
fn consistent(
    planned: &Value,
    now: &Value,
    fp: &Fingerprinter,
    path: &mut Vec<PathStep>,
) -> Result<(), String> {
    match (planned, now) {
        (Value::Unknown, _) => Ok(()),
        (Value::Sensitive(p), _) if p.is_unknown() => Ok(()),
        (Value::Map(p), Value::Map(n)) => {
            for (k, pv) in p {
                path.push(PathStep::Key(k.clone()));
                consistent(pv, n.get(k).unwrap_or(&Value::Null), fp, path)?;
                path.pop();
            }
            Ok(())
        }
        (Value::List(p), Value::List(n)) if p.len() == n.len() => {
            for (i, (pv, nv)) in p.iter().zip(n).enumerate() {
                path.push(PathStep::Index(i));
                consistent(pv, nv, fp, path)?;
                path.pop();
            }
            Ok(())
        }
        (p, n) if fp.equivalent(p, n) || (!p.is_wholly_known()) => Ok(()),
        _ => Err(path_to_string(path)),
    }
}

fn change_verb(a: Action, destroy: bool) -> Action {
    if destroy {
        Action::Delete
    } else {
        match a {
            Action::DeleteThenCreate | Action::CreateThenDelete => Action::Create,
            other => other,
        }
    }
}

fn id_of(v: &Value) -> Option<String> {
    v.get_attr("id").as_str().map(String::from)
}

impl<'a> ApplyExecutor<'a> {
    pub fn new(
        engine: &'a Engine,
        input: &'a ApplyInput<'a>,
        graph: &'a ApplyGraph,
        ev: Evaluator<'a>,
        rec: Recorder<'a>,
        fp: Fingerprinter,
        output: tokio::sync::mpsc::UnboundedSender<(String, String)>,
    ) -> ApplyExecutor<'a> {
        ApplyExecutor {
            engine,
            input,
            plan: input.plan,
            graph,
            ev,
            rec,
            fp,
            diags: Diagnostics::new(),
            counts: Counts::default(),
            instance_values: HashMap::new(),
            output,
            cbd_deposed: HashMap::new(),
            destroying: input.plan.mode == iac_plan::PlanMode::Destroy,
        }
    }

    /// The state operations that make a resource's instances' values known to
    /// its dependents, once its node is finished.
    fn publish(&mut self, node: NodeIndex) {
        let ANode::Config(cn) = self.graph.g[node] else {
            return;
        };
        if let NodeKey::Resource(p, key) = self.ev.graph.graph[cn].clone() {
            let r = &self.ev.tree[&p].resources[&key];
            let empty = BTreeMap::new();
            let values = self.instance_values.get(&node).unwrap_or(&empty);
            for inst in self.ev.values.instances(&p) {
                let of_inst: BTreeMap<InstanceKey, Value> = values
                    .iter()
                    .filter(|(a, _)| a.resource.module == inst)
                    .map(|(a, v)| (a.key.clone(), v.clone()))
                    .collect();
                let v = aggregate_owned(Repetition::of(r), of_inst);
                self.ev
                    .values
                    .module(&inst)
                    .resources
                    .insert(key.clone(), v);
            }
        }
    }

    /// Changes of a resource node that are not no-ops (for what was not done).
    fn planned_operations(&self, node: NodeIndex) -> usize {
        match self.graph.g[node] {
            ANode::Config(cn) => match &self.ev.graph.graph[cn] {
                k @ NodeKey::Resource(..) => self
                    .graph
                    .by_resource
                    .get(&k.to_string())
                    .map(|v| {
                        v.iter()
                            .filter(|i| self.plan.changes[**i].action != Action::NoOp)
                            .count()
                    })
                    .unwrap_or(0),
                _ => 0,
            },
            ANode::Destroy(_) => 1,
        }
    }

    /// A resource node: its instances' values from state, then a call for each change.
    fn start_resource(
        &mut self,
        node: NodeIndex,
        path: &[String],
        key: &str,
    ) -> Started<Op, ApplyResult> {
        let config_path = path.to_vec();
        let m = self.ev.tree[&config_path];
        let r = &m.resources[key];
        let data = r.mode == Mode::Data;
        // Start from what state holds (data sources: what the plan read); changes overwrite.
        let mut inst: BTreeMap<InstanceAddr, Value> = BTreeMap::new();
        for path in self.ev.values.instances(&config_path) {
            let raddr = resource_addr(&path, r);
            if data {
                inst.extend(
                    self.plan
                        .data
                        .range(raddr.instance(InstanceKey::None)..)
                        .take_while(|(a, _)| a.resource == raddr)
                        .map(|(a, v)| (a.clone(), v.clone())),
                );
            } else {
                inst.extend(
                    self.rec
                        .working
                        .instances_of(&raddr)
                        .filter(|(a, _)| !self.graph.deleted.contains(*a))
                        .filter_map(|(a, i)| {
                            i.current
                                .as_ref()
                                .map(|o| (a.clone(), o.attributes.clone()))
                        }),
                );
            }
        }
        self.instance_values.insert(node, inst);
        let idxs = self
            .graph
            .by_resource
            .get(&resource_addr(&config_path, r).to_string())
            .cloned()
            .unwrap_or_default();
        let Some((provider, schema)) = self.engine.providers.for_type(&r.ty, data) else {
            return Started::Ops(Vec::new());
        };
        let (provider, schema) = (provider.clone(), schema.clone());
        let mut each_values: HashMap<Vec<String>, HashMap<InstanceKey, Option<Value>>> =
            HashMap::new();
        let mut calls = Vec::new();
        let mut failed = false;
        for i in idxs {
            let c = &self.plan.changes[i];
            if c.action == Action::NoOp {
                if let Some(b) = &c.before {
                    self.instance_values
                        .entry(node)
                        .or_default()
                        .insert(c.addr.clone(), b.clone());
                }
                continue;
            }
            let path = c.addr.resource.module.clone();
            if !each_values.contains_key(&path) {
                let e = self.each_values(&path, r, true);
                each_values.insert(path.clone(), e);
            }
            let each = each_values[&path].get(&c.addr.key).cloned().flatten();
            let rc = ResourceCtx {
                r,
                schema: &schema,
                path: &path,
                module: m,
                root_dir: &self.input.module.dir,
                workspace: self.input.workspace,
            };
            match self.start_change(node, i, &rc, each.as_ref(), &provider) {
                Some(call) => calls.push(call),
                None => failed = true,
            }
        }
        if failed {
            // Nothing of this resource runs: its calls are not done.
            self.counts.not_done += calls.len();
            self.publish(node);
            return Started::Done(false);
        }
        // Only now that every instance can run are old objects deposed.
        for (op, _) in &calls {
            if self.plan.changes[op.change].action == Action::CreateThenDelete {
                self.depose(op.change);
            }
        }
        Started::Ops(calls)
    }

    /// `each.value` of every instance of a `for_each` resource, evaluated again.
    fn each_values(
        &mut self,
        path: &Vec<String>,
        r: &iac_config::Resource,
        any: bool,
    ) -> HashMap<InstanceKey, Option<Value>> {
        if r.for_each.is_none() || !any {
            return HashMap::new();
        }
        let m = self.ev.module_at(path);
        let scope = self.ev.values.scope(path);
        let mut ctx =
            iac_config::EvalContext::new(&scope, m.dir.clone(), self.input.module.dir.clone());
        let mut d = Diagnostics::new();
        let keys = expand(r, &mut ctx, &mut d, false);
        drop(ctx);
        self.diags.extend(d);
        keys.map(|(_, keys)| keys.into_iter().collect())
            .unwrap_or_default()
    }

    /// One instance's change: its configuration evaluated again and checked
    /// against the plan, then the call. `None`: it cannot run.
    fn start_change(
        &mut self,
        node: NodeIndex,
        i: usize,
        rc: &ResourceCtx<'_>,
        each: Option<&Value>,
        kind: &std::sync::Arc<dyn Provider>,
    ) -> Option<(Op, Call)> {
        let c = &self.plan.changes[i];
        let mut ds = Vec::new();
        let config = eval_instance(rc, &self.ev.values, &c.addr.key, each, &mut ds);
        if ds.iter().any(|d| d.is_error()) {
            self.diags.extend(Diagnostics(ds));
            return None;
        }
        // The configuration the plan bound this change to.
        let provider = self
            .engine
            .providers
            .configuration(&c.provider)
            .unwrap_or_else(|| kind.clone());
        let ty = rc.r.ty.clone();
        // Checks the plan could not make on unknown values (two arguments that
        // conflict once both are known) are made now, before any call.
        if c.action != Action::Read {
            let refused: Vec<Diagnostic> = provider
                .validate_resource(&ty, &config)
                .iter()
                .map(|pd| {
                    crate::decode::provider_diagnostic(
                        pd,
                        &rc.r.body,
                        rc.r.span,
                        &c.addr.to_string(),
                    )
                })
                .collect();
            if refused.iter().any(|d| d.is_error()) {
                self.diags.extend(Diagnostics(refused));
                return None;
            }
        }
        if c.action == Action::Read {
            let call =
                async move { provider.read_data(&ty, &config).await.map(Some) }.boxed_local();
            return Some((Op::new(node, i, false, None), call));
        }
        let prior = (c.action == Action::Update)
            .then(|| c.before.clone())
            .flatten();
        // As written, for the provider: a secret the plan holds only as the
        // prior's fingerprint (it did not change) is here in plaintext, for an
        // API that wants it with every call (a certificate re-import).
        // `ignore_changes` holds here too: what it names is the prior's.
        let written = prior.as_ref().map(|pv| {
            crate::plan::written_with_ignored(config.clone(), pv, &rc.r.lifecycle, rc.schema)
        });
        let config = match &prior {
            Some(pv) => with_ignored_from_prior(
                normalize(config, pv, &self.fp),
                pv,
                &rc.r.lifecycle,
                rc.schema,
            ),
            None => config,
        };
        let planned = provider
            .plan_resource(PlanRequest {
                type_name: &ty,
                prior: prior.as_ref(),
                config: &config,
            })
            .planned;
        if let Some(after) = &c.after {
            if let Err(path) = consistent(after, &planned, &self.fp, &mut Vec::new()) {
                self.diags.push(
                    Diagnostic::error(
                        "E0604",
                        format!(
                            "{}: the configuration changed between plan and apply",
                            c.addr
                        ),
                    )
                    .with_help(format!(
                        "`{path}` was planned as one value and now evaluates to another; plan again"
                    )),
                );
                return None;
            }
        }
        let marks = config
            .contains_sensitive()
            .then(|| eval_instance_redacted(rc, &self.ev.values, &self.fp, &c.addr.key, each));
        let token = idempotency_token(self.plan, c);
        let (tx, addr) = (self.output.clone(), c.addr.to_string());
        let call = async move {
            let output = move |line: &str| {
                let _ = tx.send((addr.clone(), line.to_string()));
            };
            provider
                .apply_resource(ApplyRequest {
                    type_name: &ty,
                    prior: prior.as_ref(),
                    planned: Some(&planned),
                    config: written.as_ref().unwrap_or(&config),
                    idempotency_token: &token,
                    output: Some(&output),
                })
                .await
        }
        .boxed_local();
        let mut op = Op::new(node, i, false, None);
        op.marks = marks;
        Some((op, call))
    }

    /// create_before_destroy: the old object is deposed while the new one is created.
    fn depose(&mut self, i: usize) {
        let c = &self.plan.changes[i];
        let key: String = idempotency_token(self.plan, c)[..8].to_string();
        let Some(obj) = self.rec.working.current(&c.addr).cloned() else {
            return;
        };
        let provider = self
            .rec
            .working
            .resources
            .get(&c.addr)
            .map(|x| x.provider.clone())
            .unwrap_or_default();
        let ops = [
            StateOp::SetObject {
                addr: c.addr.clone(),
                provider: provider.clone(),
                deposed: Some(key.clone()),
                object: Some(obj),
            },
            StateOp::SetObject {
                addr: c.addr.clone(),
                provider,
                deposed: None,
                object: None,
            },
        ];
        if let Err(d) = self.rec.record(&ops) {
            self.diags.push(d);
        }
        self.cbd_deposed.insert(i, key);
    }

    /// A destroy node: deletes the object (current or deposed) the change names.
    fn start_destroy(&mut self, node: NodeIndex, i: usize) -> Started<Op, ApplyResult> {
        let c = &self.plan.changes[i];
        if c.action == Action::Forget {
            // Out of state, and nothing asked of the cloud.
            let op = StateOp::SetObject {
                addr: c.addr.clone(),
                provider: c.provider.clone(),
                deposed: None,
                object: None,
            };
            return match self.rec.record(&[op]) {
                Ok(()) => Started::Done(true),
                Err(d) => {
                    self.diags.push(d);
                    self.input.cancel.store(true, Ordering::SeqCst);
                    Started::Done(false)
                }
            };
        }
        let deposed = if c.action == Action::CreateThenDelete {
            self.cbd_deposed.get(&i).cloned()
        } else {
            c.deposed.clone()
        };
        let working = &self.rec.working;
        let prior = match &deposed {
            Some(k) => working
                .resources
                .get(&c.addr)
                .and_then(|x| x.deposed.get(k))
                .map(|o| o.attributes.clone()),
            None => working.current(&c.addr).map(|o| o.attributes.clone()),
        };
        let Some(prior) = prior.or_else(|| c.before.clone()) else {
            return Started::Done(true);
        };
        // Destroy-time provisioners, while the object still exists; one that
        // fails keeps it.
        if !self.provision(i, &prior, true) {
            return Started::Done(false);
        }
        let c = &self.plan.changes[i];
        let Some(provider) = self.engine.providers.configuration(&c.provider) else {
            self.diags.push(Diagnostic::error(
                "E0702",
                format!("{}: provider \"{}\" is not available", c.addr, c.provider),
            ));
            return Started::Done(false);
        };
        let ty = c.addr.resource.ty.clone();
        let token = idempotency_token(self.plan, c);
        let call = async move {
            provider
                .apply_resource(ApplyRequest {
                    type_name: &ty,
                    prior: Some(&prior),
                    planned: None,
                    config: &Value::Null,
                    idempotency_token: &token,
                    output: None,
                })
                .await
        }
        .boxed_local();
        Started::Ops(vec![(Op::new(node, i, true, deposed), call)])
    }

    /// A finished call: its state operations and its event; whether it succeeded.
    fn completed(&mut self, op: Op, result: ApplyResult, ops: &mut Vec<StateOp>) -> bool {
        let mut provisioned = true;
        let c = &self.plan.changes[op.change];
        let elapsed = op.started.elapsed();
        let verb = change_verb(c.action, op.destroy);
        let new = match result {
            Ok(new) => new,
            // A check block's data source that fails warns and reads as unknown.
            Err(errs) if c.reason == iac_plan::Reason::ReadForCheck => {
                for e in errs {
                    let d = apply_diagnostic(&c.addr, e);
                    self.diags.push(crate::plan::check_data_warning(d));
                }
                Some(Value::Unknown)
            }
            Err(errs) => {
                (self.input.on_event)(ApplyEvent::Finished {
                    addr: c.addr.to_string(),
                    action: verb,
                    destroy: op.destroy,
                    elapsed,
                    id: None,
                    error: true,
                });
                for e in errs {
                    self.diags.push(apply_diagnostic(&c.addr, e));
                }
                if c.action == Action::CreateThenDelete && !op.destroy {
                    self.restore_deposed(op.change, ops);
                }
                return false;
            }
        };
        if op.destroy {
            ops.push(StateOp::SetObject {
                addr: c.addr.clone(),
                provider: c.provider.clone(),
                deposed: op.deposed.clone(),
                object: None,
            });
            self.counts.destroyed += 1;
        } else if c.action == Action::Read {
            if let Some(v) = new {
                self.instance_values
                    .entry(op.node)
                    .or_default()
                    .insert(c.addr.clone(), v);
            }
        } else if let Some(v) = new {
            // Secrets of the configuration stay secret in what the provider returned.
            let (live, stored) = match &op.marks {
                Some(m) => (
                    self.fp.carry_config_marks(v.clone(), m, false),
                    self.fp.carry_config_marks(v, m, true),
                ),
                None => (v.clone(), v),
            };
            // Creation-time provisioners run on the new object; one that fails
            // leaves it tainted, to be replaced by the next apply.
            let creating = matches!(
                c.action,
                Action::Create | Action::DeleteThenCreate | Action::CreateThenDelete
            );
            provisioned = !creating || self.provision(op.change, &live, false);
            let c = &self.plan.changes[op.change];
            self.instance_values
                .entry(op.node)
                .or_default()
                .insert(c.addr.clone(), live);
            ops.push(StateOp::SetObject {
                addr: c.addr.clone(),
                provider: c.provider.clone(),
                deposed: None,
                object: Some(ResourceObject {
                    attributes: stored,
                    dependencies: c.dependencies.clone(),
                    create_before_destroy: c.create_before_destroy,
                    tainted: !provisioned,
                }),
            });
            match c.action {
                Action::Update => self.counts.changed += 1,
                _ => self.counts.added += 1,
            }
        }
        let id = if op.destroy {
            c.before.as_ref().and_then(id_of)
        } else {
            self.instance_values
                .get(&op.node)
                .and_then(|m| m.get(&c.addr))
                .and_then(id_of)
        };
        (self.input.on_event)(ApplyEvent::Finished {
            addr: c.addr.to_string(),
            action: verb,
            destroy: op.destroy,
            elapsed,
            id,
            error: false,
        });
        if !provisioned {
            return false;
        }
        if op.destroy || matches!(c.action, Action::Read | Action::Forget) {
            return true;
        }
        // Postconditions against the object as it now is; a failed one fails
        // the resource (the object stays in state), as in Terraform.
        self.postconditions_hold(op.node, op.change)
    }

    /// Runs the creation-time (or destroy-time) provisioners of a change's
    /// instance; false when one failed (and was not allowed to).
    fn provision(&mut self, change: usize, self_value: &Value, destroy: bool) -> bool {
        let c = &self.plan.changes[change];
        let Some((m, r)) = crate::graph::block_of(&self.ev.tree, &c.addr.resource) else {
            return true;
        };
        if !r.provisioners.iter().any(|p| p.when_destroy == destroy) {
            return true;
        }
        let addr = c.addr.clone();
        let path = addr.resource.module.clone();
        let each = if r.for_each.is_some() && !destroy {
            self.each_values(&path, r, true)
                .get(&addr.key)
                .cloned()
                .flatten()
        } else {
            None
        };
        let place = super::provision::Place {
            values: &self.ev.values,
            module: m,
            path: &path,
            root_dir: &self.input.module.dir,
            workspace: self.input.workspace,
        };
        let mut ds = Diagnostics::new();
        let inst = super::provision::Instance {
            r,
            addr: &addr,
            each: each.as_ref(),
            self_value,
        };
        let ok = super::provision::run(&place, &inst, destroy, self.input.on_event, &mut ds);
        self.diags.extend(ds);
        ok
    }

    fn postconditions_hold(&mut self, node: NodeIndex, change: usize) -> bool {
        let c = &self.plan.changes[change];
        let Some((m, r)) = crate::graph::block_of(&self.ev.tree, &c.addr.resource) else {
            return true;
        };
        if r.lifecycle.postconditions.is_empty() {
            return true;
        }
        let Some(value) = self
            .instance_values
            .get(&node)
            .and_then(|m| m.get(&c.addr))
            .cloned()
        else {
            return true;
        };
        let Some((_, schema)) = self.engine.providers.for_type(&r.ty, false) else {
            return true;
        };
        let schema = schema.clone();
        let path = c.addr.resource.module.clone();
        let addr = c.addr.clone();
        let each = self
            .each_values(&path, r, true)
            .get(&addr.key)
            .cloned()
            .flatten();
        let rc = ResourceCtx {
            r,
            schema: &schema,
            path: &path,
            module: m,
            root_dir: &self.input.module.dir,
            workspace: self.input.workspace,
        };
        let mut ds = Vec::new();
        let checked = crate::plan::check_conditions(
            &rc,
            &self.ev.values,
            &addr.key,
            each.as_ref(),
            Some(&value),
            &addr,
            &mut ds,
        );
        self.diags.extend(Diagnostics(ds));
        checked != crate::plan::Checked::Failed
    }

    /// The new object of a create_before_destroy was not created: the deposed one
    /// becomes current again.
    fn restore_deposed(&mut self, change: usize, ops: &mut Vec<StateOp>) {
        let c = &self.plan.changes[change];
        let Some(k) = self.cbd_deposed.remove(&change) else {
            return;
        };
        let Some(obj) = self
            .rec
            .working
            .resources
            .get(&c.addr)
            .and_then(|x| x.deposed.get(&k))
            .cloned()
        else {
            return;
        };
        ops.push(StateOp::SetObject {
            addr: c.addr.clone(),
            provider: c.provider.clone(),
            deposed: None,
            object: Some(obj),
        });
        ops.push(StateOp::SetObject {
            addr: c.addr.clone(),
            provider: c.provider.clone(),
            deposed: Some(k),
            object: None,
        });
    }
}

impl Executor for ApplyExecutor<'_> {
    type Op = Op;
    type Out = ApplyResult;

    fn start(&mut self, node: NodeIndex) -> Started<Op, ApplyResult> {
        match self.graph.g[node] {
            // A destroy plan deletes; there is no configuration to evaluate.
            ANode::Config(_) if self.destroying => Started::Done(true),
            ANode::Config(cn) => match self.ev.graph.graph[cn].clone() {
                NodeKey::Resource(p, key) => self.start_resource(node, &p, &key),
                value => {
                    self.ev.walk_value(&value, false);
                    Started::Done(true)
                }
            },
            ANode::Destroy(i) => self.start_destroy(node, i),
        }
    }

    fn begin(&mut self, op: &mut Op) {
        let c = &self.plan.changes[op.change];
        (self.input.on_event)(ApplyEvent::Started {
            addr: c.addr.to_string(),
            action: change_verb(c.action, op.destroy),
            destroy: op.destroy,
        });
        op.started = Instant::now();
    }

    fn complete(&mut self, done: Vec<(Op, ApplyResult)>) -> Vec<bool> {
        let mut ops = Vec::new();
        let oks: Vec<bool> = done
            .into_iter()
            .map(|(op, result)| self.completed(op, result, &mut ops))
            .collect();
        if let Err(d) = self.rec.record(&ops) {
            // Without a durable record, nothing more may start.
            self.diags.push(d);
            self.input.cancel.store(true, Ordering::SeqCst);
        }
        oks
    }

    fn finished(&mut self, node: NodeIndex, _ok: bool) {
        self.publish(node);
    }

    fn skipped(&mut self, node: NodeIndex) {
        self.counts.not_done += self.planned_operations(node);
    }

    fn cancelled(&self) -> bool {
        self.input.cancel.load(Ordering::SeqCst)
    }
}

/// What a provider said went wrong with one object's apply (E0605).
fn apply_diagnostic(addr: &InstanceAddr, e: iac_provider::AttrDiagnostic) -> Diagnostic {
    let at = if e.path.is_empty() {
        String::new()
    } else {
        format!(" ({})", path_to_string(&e.path))
    };
    let d = Diagnostic::error("E0605", format!("{addr}{at}: {}", e.summary));
    if e.detail.is_empty() {
        d
    } else {
        d.with_help(e.detail)
    }
}
