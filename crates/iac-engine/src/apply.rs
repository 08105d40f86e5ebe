//! The apply walk: executes exactly the plan's changes, in dependency order
//! (deletes in reverse), in parallel where independent. State is made durable
//! after every completed operation; a failed operation skips its dependents only.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::future::LocalBoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use iac_config::Mode;
use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_plan::{Action, Plan, PlanMode, ResourceChange};
use iac_provider::{ApplyRequest, ApplyResult, PlanRequest};
use iac_state::{OutputState, ResourceObject, State, StateOp};
use iac_value::addr::{InstanceAddr, InstanceKey};
use iac_value::{path_to_string, Fingerprinter, PathStep, Value};
use petgraph::graph::{DiGraph, NodeIndex};
use sha2::Digest;

use crate::evaluate::{EvalInput, Evaluator};
use crate::graph::{build_graph, module_tree, NodeKey};
use crate::plan::{eval_instance, expand, normalize, with_ignored_from_prior, ResourceCtx};
use crate::scope::{aggregate, Repetition};
use crate::{ApplyInput, Engine};

/// Progress of an apply, for the CLI to print.
#[derive(Clone, Debug)]
pub enum ApplyEvent {
    Started {
        addr: String,
        action: Action,
        destroy: bool,
    },
    Finished {
        addr: String,
        action: Action,
        destroy: bool,
        elapsed: Duration,
        id: Option<String>,
        error: bool,
    },
}

pub struct ApplyOutcome {
    pub state: State,
    pub diagnostics: Diagnostics,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub interrupted: bool,
    /// Operations that were planned but not carried out (failed dependencies, interruption).
    pub not_done: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ANode {
    Config(NodeIndex),
    Destroy(usize),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum NodeStatus {
    Waiting,
    Running,
    Done,
    Failed,
}

struct Op {
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
        (Value::Sensitive(p), n) if p.is_unknown() => {
            let _ = n;
            Ok(())
        }
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

pub async fn apply(engine: &Engine, input: ApplyInput<'_>) -> ApplyOutcome {
    let plan = input.plan;
    let mut diags = Diagnostics::new();
    let base = input.state.clone();
    let mut working = input.state;
    let fp = working.fingerprinter();
    let mut outcome_counts = (0usize, 0usize, 0usize);

    let fail = |diags: Diagnostics, working: State| ApplyOutcome {
        state: working,
        diagnostics: diags,
        added: 0,
        changed: 0,
        destroyed: 0,
        interrupted: false,
        not_done: plan.changes.len(),
    };
    if plan.errored {
        diags.push(Diagnostic::error(
            "E0601",
            "The plan has errors and cannot be applied",
        ));
        return fail(diags, working);
    }
    let (_, cd) = crate::configure::configure_providers(
        &engine.providers,
        input.module,
        input.variables,
        &working,
    )
    .await;
    if cd.has_errors() {
        diags.extend(cd);
        return fail(diags, working);
    }
    // The journal needs a snapshot to stand on.
    match input.backend.read() {
        Ok(None) => {
            if let Err(e) = input.backend.write(&base) {
                diags.push(Diagnostic::error(
                    "E0602",
                    format!("Cannot write state: {e}"),
                ));
                return fail(diags, working);
            }
        }
        Ok(Some(_)) => {}
        Err(e) => {
            diags.push(Diagnostic::error(
                "E0602",
                format!("Cannot read state: {e}"),
            ));
            return fail(diags, working);
        }
    }

    // What refresh and moved blocks found goes into state first.
    let mut start_ops: Vec<StateOp> = Vec::new();
    for d in &plan.drift {
        let provider = working
            .resources
            .get(&d.addr)
            .map(|i| i.provider.clone())
            .unwrap_or_default();
        match &d.after {
            None => start_ops.push(StateOp::SetObject {
                addr: d.addr.clone(),
                provider,
                deposed: None,
                object: None,
            }),
            Some(after) => {
                if let Some(obj) = working.current(&d.addr) {
                    start_ops.push(StateOp::SetObject {
                        addr: d.addr.clone(),
                        provider,
                        deposed: None,
                        object: Some(ResourceObject {
                            attributes: after.clone(),
                            ..obj.clone()
                        }),
                    });
                }
            }
        }
    }
    if plan.mode == PlanMode::RefreshOnly {
        let mut changed = !start_ops.is_empty();
        for op in &start_ops {
            working.apply_op(op);
        }
        if changed {
            working.serial = base.serial + 1;
            if let Err(e) = input.backend.write(&working) {
                diags.push(Diagnostic::error(
                    "E0602",
                    format!("Cannot write state: {e}"),
                ));
                changed = false;
            }
        }
        let _ = changed;
        return ApplyOutcome {
            state: working,
            diagnostics: diags,
            added: 0,
            changed: 0,
            destroyed: 0,
            interrupted: false,
            not_done: 0,
        };
    }
    for c in &plan.changes {
        // Unchanged objects learn their current dependencies (for the order of later deletes).
        if c.action == Action::NoOp && c.previous_addr.is_none() && c.import_id.is_none() {
            if let Some(obj) = working.current(&c.addr) {
                // A value the configuration now takes from a secret stops being
                // kept in plaintext, though nothing else changed.
                let attributes = match &c.after {
                    Some(after) if after.contains_sensitive() => {
                        fp.carry_config_marks(obj.attributes.clone(), &fp.redact(after), true)
                    }
                    _ => obj.attributes.clone(),
                };
                if obj.dependencies != c.dependencies || attributes != obj.attributes {
                    start_ops.push(StateOp::SetObject {
                        addr: c.addr.clone(),
                        provider: c.provider.clone(),
                        deposed: None,
                        object: Some(ResourceObject {
                            attributes,
                            dependencies: c.dependencies.clone(),
                            ..obj.clone()
                        }),
                    });
                }
            }
        }
        // Imported objects enter state as they were read.
        if let (Some(_), Some(before), None) = (&c.import_id, &c.before, working.current(&c.addr)) {
            start_ops.push(StateOp::SetObject {
                addr: c.addr.clone(),
                provider: c.provider.clone(),
                deposed: None,
                object: Some(ResourceObject {
                    attributes: before.clone(),
                    dependencies: c.dependencies.clone(),
                    create_before_destroy: c.create_before_destroy,
                    tainted: false,
                }),
            });
        }
        if let Some(prev) = &c.previous_addr {
            let mut tmp = working.clone();
            for op in &start_ops {
                tmp.apply_op(op);
            }
            if let Some(inst) = tmp.resources.get(prev).cloned() {
                start_ops.push(StateOp::SetObject {
                    addr: prev.clone(),
                    provider: inst.provider.clone(),
                    deposed: None,
                    object: None,
                });
                start_ops.push(StateOp::SetObject {
                    addr: c.addr.clone(),
                    provider: inst.provider.clone(),
                    deposed: None,
                    object: inst.current.clone(),
                });
            }
        }
    }
    if !start_ops.is_empty() {
        for op in &start_ops {
            working.apply_op(op);
        }
        if let Err(e) = input.backend.append(&base, &start_ops) {
            diags.push(Diagnostic::error(
                "E0602",
                format!("Cannot record state: {e}"),
            ));
            return fail(diags, working);
        }
    }
    let mut dirty = !start_ops.is_empty();

    // The configuration graph, with a destroy node for every change that deletes.
    let (cgraph, gd) = build_graph(input.module);
    if gd.has_errors() {
        diags.extend(gd);
        return fail(diags, working);
    }
    let tree = module_tree(input.module);
    let mut resource_nodes: HashMap<String, NodeIndex> = HashMap::new();
    for (k, i) in &cgraph.index {
        if let NodeKey::Resource(..) = k {
            resource_nodes.insert(k.to_string(), *i);
        }
    }
    let mut g: DiGraph<ANode, ()> = DiGraph::new();
    let mut cmap: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    for n in cgraph.graph.node_indices() {
        cmap.insert(n, g.add_node(ANode::Config(n)));
    }
    for e in cgraph.graph.edge_indices() {
        if let Some((a, b)) = cgraph.graph.edge_endpoints(e) {
            g.add_edge(cmap[&a], cmap[&b], ());
        }
    }
    let deleted: HashSet<InstanceAddr> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete && c.deposed.is_none())
        .map(|c| c.addr.clone())
        .collect();
    let mut by_resource: HashMap<String, Vec<usize>> = HashMap::new();
    let mut destroy_nodes: Vec<(usize, NodeIndex)> = Vec::new();
    for (i, c) in plan.changes.iter().enumerate() {
        let rkey = c.addr.resource.to_string();
        if c.action != Action::Delete && c.deposed.is_none() {
            by_resource.entry(rkey.clone()).or_default().push(i);
        }
        if matches!(
            c.action,
            Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete
        ) {
            let d = g.add_node(ANode::Destroy(i));
            destroy_nodes.push((i, d));
            let rnode = resource_nodes.get(&rkey).map(|n| cmap[n]);
            match (c.action, rnode) {
                (Action::DeleteThenCreate, Some(r)) => {
                    g.add_edge(d, r, ());
                }
                (Action::CreateThenDelete, Some(r)) => {
                    g.add_edge(r, d, ());
                    // Dependents move to the new object before the old one goes.
                    for other in &plan.changes {
                        if other.dependencies.contains(&rkey) {
                            if let Some(on) = resource_nodes.get(&other.addr.resource.to_string()) {
                                g.add_edge(cmap[on], d, ());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // A delete waits for the deletes of everything that depended on it.
    let mut destroys_of: HashMap<String, Vec<NodeIndex>> = HashMap::new();
    for &(i, di) in &destroy_nodes {
        destroys_of
            .entry(plan.changes[i].addr.resource.to_string())
            .or_default()
            .push(di);
    }
    for &(j, dj) in &destroy_nodes {
        for dep in &plan.changes[j].dependencies {
            for &di in destroys_of.get(dep).map(Vec::as_slice).unwrap_or(&[]) {
                if di != dj {
                    g.add_edge(dj, di, ());
                }
            }
        }
    }
    if petgraph::algo::toposort(&g, None).is_err() {
        diags.push(Diagnostic::error(
            "E0603",
            "The changes cannot be ordered: create_before_destroy and dependencies form a cycle",
        ).with_help("set create_before_destroy on the dependencies of a create_before_destroy resource too"));
        return fail(diags, working);
    }

    // The evaluator plan used, over the same declarations.
    let eval_fp = std::sync::Arc::new(Fingerprinter::new(fp.salt().to_string()));
    let mut ev = Evaluator::new(
        EvalInput {
            module: input.module,
            variables: input.variables,
            workspace: input.workspace,
        },
        cgraph,
        eval_fp,
    );

    let mut status: HashMap<NodeIndex, NodeStatus> =
        g.node_indices().map(|n| (n, NodeStatus::Waiting)).collect();
    let mut waiting_on: HashMap<NodeIndex, usize> = g
        .node_indices()
        .map(|n| {
            (
                n,
                g.neighbors_directed(n, petgraph::Direction::Incoming)
                    .count(),
            )
        })
        .collect();
    let mut ready: VecDeque<NodeIndex> = g.node_indices().filter(|n| waiting_on[n] == 0).collect();
    let mut pending_ops: HashMap<NodeIndex, usize> = HashMap::new();
    let mut node_failed: HashSet<NodeIndex> = HashSet::new();
    let mut instance_values: HashMap<NodeIndex, BTreeMap<InstanceKey, Value>> = HashMap::new();
    let mut queued: VecDeque<(Op, LocalBoxFuture<'static, ApplyResult>)> = VecDeque::new();
    let mut inflight: FuturesUnordered<LocalBoxFuture<'static, (Op, ApplyResult)>> =
        FuturesUnordered::new();
    let mut cbd_deposed: HashMap<usize, String> = HashMap::new();
    let parallelism = input.parallelism.max(1);
    let destroying = plan.mode == PlanMode::Destroy;
    let mut interrupted = false;
    let mut not_done = 0usize;

    // Marks a node finished and releases (or skips) what depends on it.
    fn finish(
        g: &DiGraph<ANode, ()>,
        n: NodeIndex,
        ok: bool,
        status: &mut HashMap<NodeIndex, NodeStatus>,
        waiting_on: &mut HashMap<NodeIndex, usize>,
        ready: &mut VecDeque<NodeIndex>,
        node_failed: &mut HashSet<NodeIndex>,
    ) {
        status.insert(
            n,
            if ok {
                NodeStatus::Done
            } else {
                NodeStatus::Failed
            },
        );
        if !ok {
            node_failed.insert(n);
        }
        for d in g.neighbors_directed(n, petgraph::Direction::Outgoing) {
            if !ok {
                node_failed.insert(d);
            }
            if let Some(w) = waiting_on.get_mut(&d) {
                *w -= 1;
                if *w == 0 {
                    ready.push_back(d);
                }
            }
        }
    }

    loop {
        // Start what is ready (evaluation is quick and happens here; provider calls are queued).
        while let Some(n) = ready.pop_front() {
            if input.cancel.load(Ordering::SeqCst) {
                interrupted = true;
                ready.push_front(n);
                break;
            }
            if node_failed.contains(&n) {
                // A dependency failed: skip, and skip everything after it.
                if let ANode::Config(cn) = g[n] {
                    if let NodeKey::Resource(..) = &ev.graph.graph[cn] {
                        let rk = ev.graph.graph[cn].to_string();
                        not_done += by_resource
                            .get(&rk)
                            .map(|v| {
                                v.iter()
                                    .filter(|i| plan.changes[**i].action != Action::NoOp)
                                    .count()
                            })
                            .unwrap_or(0);
                    }
                } else {
                    not_done += 1;
                }
                finish(
                    &g,
                    n,
                    false,
                    &mut status,
                    &mut waiting_on,
                    &mut ready,
                    &mut node_failed,
                );
                continue;
            }
            status.insert(n, NodeStatus::Running);
            match g[n] {
                // A destroy plan deletes; there is no configuration to evaluate.
                ANode::Config(_) if destroying => {
                    finish(
                        &g,
                        n,
                        true,
                        &mut status,
                        &mut waiting_on,
                        &mut ready,
                        &mut node_failed,
                    );
                }
                ANode::Config(cn) => match ev.graph.graph[cn].clone() {
                    value @ (NodeKey::Var(..) | NodeKey::Local(..) | NodeKey::Output(..)) => {
                        ev.walk_value(&value);
                        finish(
                            &g,
                            n,
                            true,
                            &mut status,
                            &mut waiting_on,
                            &mut ready,
                            &mut node_failed,
                        );
                    }
                    NodeKey::Resource(p, key) => {
                        let rk = ev.graph.graph[cn].to_string();
                        let m = tree[&p];
                        let r = &m.resources[&key];
                        let data = r.mode == Mode::Data;
                        let rep = Repetition::of(r);
                        let raddr = crate::plan::resource_addr(&p, r);
                        // Start from what state holds; changes overwrite.
                        let mut inst: BTreeMap<InstanceKey, Value> = if data {
                            // Data sources read while planning keep the values the plan saw.
                            plan.data
                                .range(raddr.instance(InstanceKey::None)..)
                                .take_while(|(a, _)| a.resource == raddr)
                                .map(|(a, v)| (a.key.clone(), v.clone()))
                                .collect()
                        } else {
                            working
                                .instances_of(&raddr)
                                .filter(|(a, _)| !deleted.contains(*a))
                                .filter_map(|(a, i)| {
                                    i.current
                                        .as_ref()
                                        .map(|o| (a.key.clone(), o.attributes.clone()))
                                })
                                .collect()
                        };
                        let idxs = by_resource.get(&rk).cloned().unwrap_or_default();
                        let Some((provider, schema)) = engine.providers.for_type(&r.ty, data)
                        else {
                            instance_values.insert(n, inst);
                            finish(
                                &g,
                                n,
                                true,
                                &mut status,
                                &mut waiting_on,
                                &mut ready,
                                &mut node_failed,
                            );
                            continue;
                        };
                        let (provider, schema) = (provider.clone(), schema.clone());
                        let each_values: HashMap<InstanceKey, Option<Value>> =
                            if r.for_each.is_some() && !idxs.is_empty() {
                                let scope = ev.values.scope(&p);
                                let mut ctx = iac_config::EvalContext::new(
                                    &scope,
                                    m.dir.clone(),
                                    input.module.dir.clone(),
                                );
                                let mut d = Diagnostics::new();
                                let r2 = expand(r, &mut ctx, &mut d, false);
                                drop(ctx);
                                diags.extend(d);
                                r2.map(|(_, keys)| keys.into_iter().collect())
                                    .unwrap_or_default()
                            } else {
                                HashMap::new()
                            };
                        let mut ops = 0;
                        let mut failed = false;
                        for i in idxs {
                            let c = &plan.changes[i];
                            if c.action == Action::NoOp {
                                if let Some(b) = &c.before {
                                    inst.insert(c.addr.key.clone(), b.clone());
                                }
                                continue;
                            }
                            let mut ds = Vec::new();
                            let each = each_values.get(&c.addr.key).cloned().flatten();
                            let rc = ResourceCtx {
                                r,
                                schema: &schema,
                                path: &p,
                                module: m,
                                root_dir: &input.module.dir,
                                workspace: input.workspace,
                            };
                            let config =
                                eval_instance(&rc, &ev.values, &c.addr.key, each.as_ref(), &mut ds);
                            if ds.iter().any(|d| d.is_error()) {
                                diags.extend(Diagnostics(ds));
                                failed = true;
                                continue;
                            }
                            // The configuration the plan bound this change to.
                            let provider = engine
                                .providers
                                .configuration(&c.provider)
                                .unwrap_or_else(|| provider.clone());
                            if c.action == Action::Read {
                                let provider = provider.clone();
                                let ty = r.ty.clone();
                                let fut =
                                    async move { provider.read_data(&ty, &config).await.map(Some) }
                                        .boxed_local();
                                queued.push_back((Op::new(n, i, false, None), fut));
                                ops += 1;
                                continue;
                            }
                            let prior = if c.action == Action::Update {
                                c.before.clone()
                            } else {
                                None
                            };
                            let config = match &prior {
                                Some(pv) => with_ignored_from_prior(
                                    normalize(config, pv, &fp),
                                    pv,
                                    &r.lifecycle,
                                    &schema,
                                ),
                                None => config,
                            };
                            let resp = provider.plan_resource(PlanRequest {
                                type_name: &r.ty,
                                prior: prior.as_ref(),
                                config: &config,
                            });
                            let planned = resp.planned;
                            if let Some(after) = &c.after {
                                if let Err(path) = consistent(after, &planned, &fp, &mut Vec::new())
                                {
                                    diags.push(Diagnostic::error(
                                        "E0604",
                                        format!("{}: the configuration changed between plan and apply", c.addr),
                                    ).with_help(format!("`{path}` was planned as one value and now evaluates to another; plan again")));
                                    failed = true;
                                    continue;
                                }
                            }
                            if c.action == Action::CreateThenDelete {
                                // The old object is deposed while the new one is created.
                                let key: String = idempotency_token(plan, c)[..8].to_string();
                                if let Some(obj) = working.current(&c.addr).cloned() {
                                    let provider_name = working
                                        .resources
                                        .get(&c.addr)
                                        .map(|x| x.provider.clone())
                                        .unwrap_or_default();
                                    let ops2 = vec![
                                        StateOp::SetObject {
                                            addr: c.addr.clone(),
                                            provider: provider_name.clone(),
                                            deposed: Some(key.clone()),
                                            object: Some(obj),
                                        },
                                        StateOp::SetObject {
                                            addr: c.addr.clone(),
                                            provider: provider_name,
                                            deposed: None,
                                            object: None,
                                        },
                                    ];
                                    for op in &ops2 {
                                        working.apply_op(op);
                                    }
                                    if let Err(e) = input.backend.append(&base, &ops2) {
                                        diags.push(Diagnostic::error(
                                            "E0602",
                                            format!("Cannot record state: {e}"),
                                        ));
                                    }
                                    dirty = true;
                                    cbd_deposed.insert(i, key);
                                }
                            }
                            let marks = config.contains_sensitive().then(|| {
                                crate::plan::eval_instance_redacted(
                                    &rc,
                                    &ev.values,
                                    &fp,
                                    &c.addr.key,
                                    each.as_ref(),
                                )
                            });
                            let provider = provider.clone();
                            let ty = r.ty.clone();
                            let token = idempotency_token(plan, c);
                            let fut = async move {
                                provider
                                    .apply_resource(ApplyRequest {
                                        type_name: &ty,
                                        prior: prior.as_ref(),
                                        planned: Some(&planned),
                                        config: &config,
                                        idempotency_token: &token,
                                    })
                                    .await
                            }
                            .boxed_local();
                            let mut op = Op::new(n, i, false, None);
                            op.marks = marks;
                            queued.push_back((op, fut));
                            ops += 1;
                        }
                        instance_values.insert(n, inst);
                        if failed {
                            not_done += ops;
                            queued.retain(|(op, _)| op.node != n);
                            let v = aggregate(rep, &instance_values[&n]);
                            ev.values.module(&p).resources.insert(key.clone(), v);
                            finish(
                                &g,
                                n,
                                false,
                                &mut status,
                                &mut waiting_on,
                                &mut ready,
                                &mut node_failed,
                            );
                        } else if ops == 0 {
                            let v = aggregate(rep, &instance_values[&n]);
                            ev.values.module(&p).resources.insert(key.clone(), v);
                            finish(
                                &g,
                                n,
                                true,
                                &mut status,
                                &mut waiting_on,
                                &mut ready,
                                &mut node_failed,
                            );
                        } else {
                            pending_ops.insert(n, ops);
                        }
                    }
                },
                ANode::Destroy(i) => {
                    let c = &plan.changes[i];
                    let deposed = if c.action == Action::CreateThenDelete {
                        cbd_deposed.get(&i).cloned()
                    } else {
                        c.deposed.clone()
                    };
                    let prior = match &deposed {
                        Some(k) => working
                            .resources
                            .get(&c.addr)
                            .and_then(|x| x.deposed.get(k))
                            .map(|o| o.attributes.clone()),
                        None => working.current(&c.addr).map(|o| o.attributes.clone()),
                    };
                    let Some(prior) = prior.or_else(|| c.before.clone()) else {
                        finish(
                            &g,
                            n,
                            true,
                            &mut status,
                            &mut waiting_on,
                            &mut ready,
                            &mut node_failed,
                        );
                        continue;
                    };
                    let Some(provider) = engine.providers.configuration(&c.provider) else {
                        diags.push(Diagnostic::error(
                            "E0702",
                            format!("{}: provider \"{}\" is not available", c.addr, c.provider),
                        ));
                        finish(
                            &g,
                            n,
                            false,
                            &mut status,
                            &mut waiting_on,
                            &mut ready,
                            &mut node_failed,
                        );
                        continue;
                    };
                    let ty = c.addr.resource.ty.clone();
                    let token = idempotency_token(plan, c);
                    let fut = async move {
                        provider
                            .apply_resource(ApplyRequest {
                                type_name: &ty,
                                prior: Some(&prior),
                                planned: None,
                                config: &Value::Null,
                                idempotency_token: &token,
                            })
                            .await
                    }
                    .boxed_local();
                    queued.push_back((Op::new(n, i, true, deposed), fut));
                    pending_ops.insert(n, 1);
                }
            }
        }

        while inflight.len() < parallelism {
            if input.cancel.load(Ordering::SeqCst) {
                interrupted = true;
                break;
            }
            let Some((mut op, fut)) = queued.pop_front() else {
                break;
            };
            let c = &plan.changes[op.change];
            (input.on_event)(ApplyEvent::Started {
                addr: c.addr.to_string(),
                action: change_verb(c.action, op.destroy),
                destroy: op.destroy,
            });
            op.started = Instant::now();
            inflight.push(async move { (op, fut.await) }.boxed_local());
        }

        if inflight.is_empty() {
            if interrupted {
                not_done += queued.len();
            }
            break;
        }

        // Wait for one operation, then take every other one already finished: one durable write for all.
        let mut done = Vec::new();
        if let Some(first) = inflight.next().await {
            done.push(first);
        }
        while let Some(Some(more)) = inflight.next().now_or_never() {
            done.push(more);
        }
        let mut ops: Vec<StateOp> = Vec::new();
        let mut finished_nodes: Vec<(NodeIndex, bool)> = Vec::new();
        for (op, result) in done {
            let c = &plan.changes[op.change];
            let elapsed = op.started.elapsed();
            let verb = change_verb(c.action, op.destroy);
            match result {
                Ok(new) => {
                    if op.destroy {
                        ops.push(StateOp::SetObject {
                            addr: c.addr.clone(),
                            provider: c.provider.clone(),
                            deposed: op.deposed.clone(),
                            object: None,
                        });
                        outcome_counts.2 += 1;
                    } else if c.action == Action::Read {
                        if let Some(v) = new {
                            instance_values
                                .entry(op.node)
                                .or_default()
                                .insert(c.addr.key.clone(), v);
                        }
                    } else if let Some(v) = new {
                        // Secrets of the configuration stay secret in what the provider returned.
                        let (v, stored) = match &op.marks {
                            Some(m) => (
                                fp.carry_config_marks(v.clone(), m, false),
                                fp.carry_config_marks(v, m, true),
                            ),
                            None => (v.clone(), v),
                        };
                        instance_values
                            .entry(op.node)
                            .or_default()
                            .insert(c.addr.key.clone(), v);
                        ops.push(StateOp::SetObject {
                            addr: c.addr.clone(),
                            provider: c.provider.clone(),
                            deposed: None,
                            object: Some(ResourceObject {
                                attributes: stored,
                                dependencies: c.dependencies.clone(),
                                create_before_destroy: c.create_before_destroy,
                                tainted: false,
                            }),
                        });
                        match c.action {
                            Action::Update => outcome_counts.1 += 1,
                            _ => outcome_counts.0 += 1,
                        }
                    }
                    let id = if op.destroy {
                        c.before.as_ref().and_then(id_of)
                    } else {
                        instance_values
                            .get(&op.node)
                            .and_then(|m| m.get(&c.addr.key))
                            .and_then(id_of)
                    };
                    (input.on_event)(ApplyEvent::Finished {
                        addr: c.addr.to_string(),
                        action: verb,
                        destroy: op.destroy,
                        elapsed,
                        id,
                        error: false,
                    });
                    let left = pending_ops.entry(op.node).or_insert(1);
                    *left -= 1;
                    if *left == 0 {
                        finished_nodes.push((op.node, !node_failed.contains(&op.node)));
                    }
                }
                Err(errs) => {
                    (input.on_event)(ApplyEvent::Finished {
                        addr: c.addr.to_string(),
                        action: verb,
                        destroy: op.destroy,
                        elapsed,
                        id: None,
                        error: true,
                    });
                    for e in errs {
                        let at = if e.path.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", path_to_string(&e.path))
                        };
                        let mut d =
                            Diagnostic::error("E0605", format!("{}{at}: {}", c.addr, e.summary));
                        if !e.detail.is_empty() {
                            d = d.with_help(e.detail);
                        }
                        diags.push(d);
                    }
                    if c.action == Action::CreateThenDelete && !op.destroy {
                        // The new object was not created: the deposed one becomes current again.
                        if let Some(k) = cbd_deposed.remove(&op.change) {
                            if let Some(obj) = working
                                .resources
                                .get(&c.addr)
                                .and_then(|x| x.deposed.get(&k))
                                .cloned()
                            {
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
                    }
                    node_failed.insert(op.node);
                    let left = pending_ops.entry(op.node).or_insert(1);
                    *left -= 1;
                    if *left == 0 {
                        finished_nodes.push((op.node, false));
                    }
                }
            }
        }
        if !ops.is_empty() {
            for op in &ops {
                working.apply_op(op);
            }
            dirty = true;
            if let Err(e) = input.backend.append(&base, &ops) {
                diags.push(Diagnostic::error(
                    "E0602",
                    format!("Cannot record state: {e}"),
                ));
                input.cancel.store(true, Ordering::SeqCst);
            }
        }
        for (n, ok) in finished_nodes {
            if let ANode::Config(cn) = g[n] {
                if let NodeKey::Resource(p, key) = ev.graph.graph[cn].clone() {
                    let r = &tree[&p].resources[&key];
                    let rep = Repetition::of(r);
                    let v = aggregate(rep, instance_values.get(&n).unwrap_or(&BTreeMap::new()));
                    ev.values.module(&p).resources.insert(key, v);
                }
            }
            finish(
                &g,
                n,
                ok,
                &mut status,
                &mut waiting_on,
                &mut ready,
                &mut node_failed,
            );
        }
    }
    diags.extend(std::mem::take(&mut ev.diags));

    // Root outputs: new values where they could be computed, the old ones elsewhere.
    let root = input.module;
    let mut outputs: BTreeMap<String, OutputState> = BTreeMap::new();
    let vals = ev.values.modules.get(&Vec::new());
    for (name, o) in root.outputs.iter().filter(|_| !destroying) {
        let new = vals
            .and_then(|v| v.outputs.get(name))
            .filter(|v| v.is_wholly_known())
            .cloned();
        let skipped = cgraph_output_failed(&g, &ev, &status, name);
        match new {
            Some(v) if !skipped => {
                let sensitive = o.sensitive || v.contains_sensitive();
                // A value computed from secrets keeps its derivation, so a later
                // plan, which holds no plaintext, sees it unchanged.
                let v = if v.contains_sensitive() {
                    let root_path = Vec::new();
                    let scope = ev.values.scope(&root_path);
                    let redacting = crate::scope::Redacting {
                        inner: &scope,
                        fp: &fp,
                    };
                    let mut ctx = iac_config::EvalContext::new(
                        &redacting,
                        root.dir.clone(),
                        root.dir.clone(),
                    );
                    ctx.workspace = input.workspace.to_string();
                    match ctx.eval(&o.value) {
                        Ok(marks) => fp.carry_config_marks(v, &marks, true),
                        Err(_) => v,
                    }
                } else {
                    v
                };
                outputs.insert(
                    name.clone(),
                    OutputState {
                        value: v.unmark_deep().0,
                        sensitive,
                    },
                );
            }
            _ => {
                if let Some(prev) = working.outputs.get(name) {
                    outputs.insert(name.clone(), prev.clone());
                }
            }
        }
    }
    if outputs != working.outputs {
        let op = StateOp::SetOutputs(outputs);
        working.apply_op(&op);
        dirty = true;
    }
    if dirty {
        working.serial = base.serial + 1;
        if let Err(e) = input.backend.write(&working) {
            diags.push(Diagnostic::error("E0602", format!("Cannot write the final state snapshot: {e}")).with_help(
                "every completed operation is in the journal beside the state file; the next run replays it",
            ));
        }
    }
    ApplyOutcome {
        state: working,
        diagnostics: diags,
        added: outcome_counts.0,
        changed: outcome_counts.1,
        destroyed: outcome_counts.2,
        interrupted,
        not_done,
    }
}

fn cgraph_output_failed(
    g: &DiGraph<ANode, ()>,
    ev: &Evaluator<'_>,
    status: &HashMap<NodeIndex, NodeStatus>,
    name: &str,
) -> bool {
    let key = NodeKey::Output(Vec::new(), name.to_string());
    let Some(ci) = ev.graph.index.get(&key) else {
        return true;
    };
    g.node_indices()
        .find(|n| g[*n] == ANode::Config(*ci))
        .is_none_or(|n| status.get(&n) != Some(&NodeStatus::Done))
}
