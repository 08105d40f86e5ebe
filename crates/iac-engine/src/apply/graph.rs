//! The apply graph, built from the plan (never again from the configuration's
//! choices) by a list of named passes, each of which can be traced.

use std::collections::{HashMap, HashSet};

use iac_diagnostics::Diagnostic;
use iac_plan::{Action, Plan};
use iac_value::addr::{InstanceAddr, ResourceAddr};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::graph::{Graph, NodeKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ANode {
    /// A declaration of the configuration: a variable, local, output, or a
    /// resource with the changes of all its instances.
    Config(NodeIndex),
    /// The delete half of the change at this index of the plan.
    Destroy(usize),
}

pub(crate) struct ApplyGraph {
    pub g: DiGraph<ANode, ()>,
    /// Apply node of each configuration node.
    pub of_config: HashMap<NodeIndex, NodeIndex>,
    /// Indices of the plan's non-delete changes, by resource block address
    /// (every instance of `module.net` under `module.net.aws_subnet.a`).
    pub by_resource: HashMap<String, Vec<usize>>,
    /// Current objects the plan deletes outright.
    pub deleted: HashSet<InstanceAddr>,
}

/// A resource's block in the configuration, as the configuration graph and
/// recorded dependencies name it: module instance keys left out.
pub(crate) fn block_address(a: &ResourceAddr) -> String {
    if !iac_value::addr::has_module_keys(&a.module) {
        return a.to_string();
    }
    ResourceAddr {
        module: iac_value::addr::module_config_path(&a.module),
        ..a.clone()
    }
    .to_string()
}

struct Builder<'a> {
    plan: &'a Plan,
    config: &'a Graph,
    out: ApplyGraph,
    resource_nodes: HashMap<String, NodeIndex>,
    destroy_nodes: Vec<(usize, NodeIndex)>,
}

type Pass = fn(&mut Builder<'_>);

/// The passes, in order. Each sees the graph the ones before it left.
const PASSES: &[(&str, Pass)] = &[
    ("configuration", add_configuration),
    ("destroys", add_destroys),
    ("replacements", order_replacements),
    ("deletes after their dependents' deletes", order_deletes),
];

/// Builds the graph; `trace` receives the graph in DOT after each pass.
pub(crate) fn build(
    plan: &Plan,
    config: &Graph,
    trace: Option<&(dyn Fn(&str) + Send + Sync)>,
) -> Result<ApplyGraph, Diagnostic> {
    let mut b = Builder {
        plan,
        config,
        out: ApplyGraph {
            g: DiGraph::new(),
            of_config: HashMap::new(),
            by_resource: HashMap::new(),
            deleted: HashSet::new(),
        },
        resource_nodes: HashMap::new(),
        destroy_nodes: Vec::new(),
    };
    for (name, pass) in PASSES {
        pass(&mut b);
        if let Some(t) = trace {
            t(&format!("apply graph after \"{name}\":\n{}", b.dot()));
        }
    }
    if petgraph::algo::toposort(&b.out.g, None).is_err() {
        return Err(Diagnostic::error(
            "E0603",
            "The changes cannot be ordered: create_before_destroy and dependencies form a cycle",
        )
        .with_help(
            "set create_before_destroy on the dependencies of a create_before_destroy resource too",
        ));
    }
    Ok(b.out)
}

impl Builder<'_> {
    fn dot(&self) -> String {
        let mut out = String::from("digraph apply {\n");
        let name = |n: NodeIndex| match self.out.g[n] {
            ANode::Config(c) => self.config.graph[c].to_string(),
            ANode::Destroy(i) => format!("{} (destroy)", self.plan.changes[i].addr),
        };
        for n in self.out.g.node_indices() {
            out.push_str(&format!("  \"{}\";\n", name(n)));
        }
        for e in self.out.g.edge_indices() {
            if let Some((a, b)) = self.out.g.edge_endpoints(e) {
                out.push_str(&format!("  \"{}\" -> \"{}\";\n", name(a), name(b)));
            }
        }
        out.push('}');
        out
    }
}

/// Every declaration, with the configuration's dependencies.
fn add_configuration(b: &mut Builder<'_>) {
    for n in b.config.graph.node_indices() {
        let a = b.out.g.add_node(ANode::Config(n));
        b.out.of_config.insert(n, a);
        if let NodeKey::Resource(..) = &b.config.graph[n] {
            b.resource_nodes.insert(b.config.graph[n].to_string(), a);
        }
    }
    for e in b.config.graph.edge_indices() {
        if let Some((x, y)) = b.config.graph.edge_endpoints(e) {
            let (x, y) = (b.out.of_config[&x], b.out.of_config[&y]);
            b.out.g.add_edge(x, y, ());
        }
    }
    for (i, c) in b.plan.changes.iter().enumerate() {
        if !matches!(c.action, Action::Delete | Action::Forget) && c.deposed.is_none() {
            b.out
                .by_resource
                .entry(block_address(&c.addr.resource))
                .or_default()
                .push(i);
        }
        if c.action == Action::Delete && c.deposed.is_none() {
            b.out.deleted.insert(c.addr.clone());
        }
    }
}

/// A destroy node for every change that deletes an object.
fn add_destroys(b: &mut Builder<'_>) {
    for (i, c) in b.plan.changes.iter().enumerate() {
        if matches!(
            c.action,
            Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete | Action::Forget
        ) {
            let d = b.out.g.add_node(ANode::Destroy(i));
            b.destroy_nodes.push((i, d));
        }
    }
}

/// A replacement deletes before it creates, or (create_before_destroy) creates,
/// moves its dependents to the new object, then deletes the old one.
fn order_replacements(b: &mut Builder<'_>) {
    for &(i, d) in &b.destroy_nodes {
        let c = &b.plan.changes[i];
        let rkey = block_address(&c.addr.resource);
        let Some(&r) = b.resource_nodes.get(&rkey) else {
            continue;
        };
        match c.action {
            Action::DeleteThenCreate => {
                b.out.g.add_edge(d, r, ());
            }
            Action::CreateThenDelete => {
                b.out.g.add_edge(r, d, ());
                for other in &b.plan.changes {
                    if other.dependencies.contains(&rkey) {
                        if let Some(&on) =
                            b.resource_nodes.get(&block_address(&other.addr.resource))
                        {
                            b.out.g.add_edge(on, d, ());
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// A delete waits for the deletes of everything that depended on its object.
fn order_deletes(b: &mut Builder<'_>) {
    let mut destroys_of: HashMap<String, Vec<NodeIndex>> = HashMap::new();
    for &(i, d) in &b.destroy_nodes {
        destroys_of
            .entry(block_address(&b.plan.changes[i].addr.resource))
            .or_default()
            .push(d);
    }
    for &(j, dj) in &b.destroy_nodes {
        for dep in &b.plan.changes[j].dependencies {
            for &di in destroys_of.get(dep).map(Vec::as_slice).unwrap_or(&[]) {
                if di != dj {
                    b.out.g.add_edge(dj, di, ());
                }
            }
        }
    }
}
