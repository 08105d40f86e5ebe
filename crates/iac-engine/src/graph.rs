//! The dependency graph over every declaration of every module, built by a list
//! of named passes. Cycles are reported with each address and the reference that closes them.

use std::collections::BTreeMap;

use iac_config::{Module, ModuleCall};
use iac_diagnostics::{did_you_mean, Diagnostic, Diagnostics, Span};
use iac_syntax::{Expr, ExprKind, Reference, TemplatePart};
use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::FxHashMap;

pub type ModPath = Vec<String>;

/// One declaration in one module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKey {
    Var(ModPath, String),
    Local(ModPath, String),
    Output(ModPath, String),
    /// `type.name` or `data.type.name`.
    Resource(ModPath, String),
    /// The expansion of a module call with `count` or `for_each` (the path is
    /// the child's): its instance keys, evaluated in the calling module before
    /// anything inside the child.
    Call(ModPath),
}

impl NodeKey {
    /// The module the node's expressions are evaluated in.
    pub fn module_path(&self) -> &[String] {
        match self {
            NodeKey::Var(m, _) | NodeKey::Local(m, _) | NodeKey::Output(m, _) => m,
            NodeKey::Resource(m, _) => m,
            NodeKey::Call(child) => &child[..child.len().saturating_sub(1)],
        }
    }
}

fn prefix(m: &ModPath) -> String {
    m.iter().map(|n| format!("module.{n}.")).collect()
}

impl std::fmt::Display for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeKey::Var(m, n) => write!(f, "{}var.{n}", prefix(m)),
            NodeKey::Local(m, n) => write!(f, "{}local.{n}", prefix(m)),
            NodeKey::Output(m, n) => write!(f, "{}output.{n}", prefix(m)),
            NodeKey::Resource(m, k) => write!(f, "{}{k}", prefix(m)),
            NodeKey::Call(child) => write!(f, "{}", prefix(child).trim_end_matches('.')),
        }
    }
}

/// Every module of the configuration by its path from the root.
pub fn module_tree(root: &Module) -> BTreeMap<ModPath, &Module> {
    let mut out = BTreeMap::new();
    fn walk<'a>(m: &'a Module, path: ModPath, out: &mut BTreeMap<ModPath, &'a Module>) {
        for (name, call) in &m.module_calls {
            let mut p = path.clone();
            p.push(name.clone());
            walk(&call.module, p, out);
        }
        out.insert(path, m);
    }
    walk(root, Vec::new(), &mut out);
    out
}

/// The block (and its module) an address is an instance of: `module.web[0]`'s
/// objects are made from the blocks of `module.web`.
pub fn block_of<'a>(
    tree: &BTreeMap<ModPath, &'a Module>,
    addr: &iac_value::addr::ResourceAddr,
) -> Option<(&'a Module, &'a iac_config::Resource)> {
    let path = iac_value::addr::module_config_path(&addr.module);
    let m = *tree.get(path.as_slice())?;
    let key = match addr.mode {
        iac_value::addr::ResourceMode::Data => format!("data.{}.{}", addr.ty, addr.name),
        iac_value::addr::ResourceMode::Managed => format!("{}.{}", addr.ty, addr.name),
    };
    m.resources.get(&key).map(|r| (m, &**r))
}

pub struct Graph {
    pub graph: DiGraph<NodeKey, Span>,
    pub index: FxHashMap<NodeKey, NodeIndex>,
    /// Nodes in an order where every node comes after what it depends on.
    pub order: Vec<NodeIndex>,
}

impl Graph {
    /// Resource nodes this node depends on, directly or through locals, variables and outputs.
    pub fn resource_dependencies(&self, node: NodeIndex) -> Vec<NodeKey> {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![node];
        let mut out = Vec::new();
        while let Some(n) = stack.pop() {
            for dep in self
                .graph
                .neighbors_directed(n, petgraph::Direction::Incoming)
            {
                if seen.insert(dep) {
                    if let NodeKey::Resource(..) = self.graph[dep] {
                        out.push(self.graph[dep].clone());
                    }
                    stack.push(dep);
                }
            }
        }
        out.sort();
        out
    }

    /// The resource nodes [`Graph::resource_dependencies`] finds, unsorted.
    pub fn resource_dependency_nodes(&self, node: NodeIndex) -> Vec<NodeIndex> {
        let mut seen = rustc_hash::FxHashSet::default();
        let mut stack = vec![node];
        let mut out = Vec::new();
        while let Some(n) = stack.pop() {
            for dep in self
                .graph
                .neighbors_directed(n, petgraph::Direction::Incoming)
            {
                if seen.insert(dep) {
                    if let NodeKey::Resource(..) = self.graph[dep] {
                        out.push(dep);
                    }
                    stack.push(dep);
                }
            }
        }
        out
    }

    /// The node and everything it depends on.
    pub fn with_ancestors(&self, nodes: &[NodeIndex]) -> std::collections::HashSet<NodeIndex> {
        let mut seen: std::collections::HashSet<NodeIndex> = nodes.iter().copied().collect();
        let mut stack: Vec<NodeIndex> = nodes.to_vec();
        while let Some(n) = stack.pop() {
            for dep in self
                .graph
                .neighbors_directed(n, petgraph::Direction::Incoming)
            {
                if seen.insert(dep) {
                    stack.push(dep);
                }
            }
        }
        seen
    }

    /// DOT rendering for `iac graph`.
    pub fn to_dot(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        for e in self.graph.edge_indices() {
            if let Some((a, b)) = self.graph.edge_endpoints(e) {
                lines.push(format!("  \"{}\" -> \"{}\";", self.graph[b], self.graph[a]));
            }
        }
        lines.sort();
        lines.dedup();
        let mut nodes: Vec<String> = self
            .graph
            .node_indices()
            .map(|n| format!("  \"{}\";", self.graph[n]))
            .collect();
        nodes.sort();
        format!(
            "digraph iac {{\n  rankdir = \"RL\";\n{}\n{}\n}}\n",
            nodes.join("\n"),
            lines.join("\n")
        )
    }
}

/// A reference found in an expression, resolved to the node it names.
struct Edge {
    from: NodeKey,
    span: Span,
}

/// Collects references in an expression, skipping names bound by `for` expressions.
pub fn collect_refs<'a>(e: &'a Expr, bound: &mut Vec<String>, out: &mut Vec<&'a Reference>) {
    match &e.kind {
        ExprKind::Ref(r) => {
            if !bound.contains(&r.root) {
                out.push(r);
            }
        }
        ExprKind::For(fe) => {
            collect_refs(&fe.collection, bound, out);
            let n = bound.len();
            bound.extend(fe.key_var.iter().cloned());
            bound.push(fe.value_var.clone());
            if let Some(k) = &fe.key {
                collect_refs(k, bound, out);
            }
            collect_refs(&fe.value, bound, out);
            if let Some(c) = &fe.cond {
                collect_refs(c, bound, out);
            }
            bound.truncate(n);
        }
        ExprKind::Template(parts) => collect_template_refs(parts, bound, out),
        ExprKind::Tuple(items) => items.iter().for_each(|i| collect_refs(i, bound, out)),
        ExprKind::Object(items) => {
            for (k, v) in items {
                if let iac_syntax::ObjectKey::Expr(k) = k {
                    collect_refs(k, bound, out);
                }
                collect_refs(v, bound, out);
            }
        }
        ExprKind::GetAttr(b, _) | ExprKind::Unary(_, b) => collect_refs(b, bound, out),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            collect_refs(a, bound, out);
            collect_refs(b, bound, out);
        }
        ExprKind::Splat { source, each } => {
            collect_refs(source, bound, out);
            collect_refs(each, bound, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| collect_refs(a, bound, out)),
        ExprKind::Conditional(a, b, c) => {
            collect_refs(a, bound, out);
            collect_refs(b, bound, out);
            collect_refs(c, bound, out);
        }
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::NumberText(_)
        | ExprKind::String(_)
        | ExprKind::SplatItem => {}
    }
}

fn collect_template_refs<'a>(
    parts: &'a [TemplatePart],
    bound: &mut Vec<String>,
    out: &mut Vec<&'a Reference>,
) {
    for p in parts {
        match p {
            TemplatePart::Literal(_) => {}
            TemplatePart::Interp(e) => collect_refs(e, bound, out),
            TemplatePart::If {
                cond,
                then,
                otherwise,
            } => {
                collect_refs(cond, bound, out);
                collect_template_refs(then, bound, out);
                collect_template_refs(otherwise, bound, out);
            }
            TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
            } => {
                collect_refs(collection, bound, out);
                let n = bound.len();
                bound.extend(key_var.iter().cloned());
                bound.push(value_var.clone());
                collect_template_refs(body, bound, out);
                bound.truncate(n);
            }
        }
    }
}

/// All expressions of a body, deep.
/// The name a `dynamic` block binds in its `content`: `iterator = NAME`, else the
/// block type it generates (`dynamic "ingress"` binds `ingress`).
pub fn dynamic_iterator(b: &iac_syntax::Block) -> Option<String> {
    match b.body.attribute("iterator").map(|a| &a.expr.kind) {
        Some(ExprKind::Ref(r)) if r.attrs.is_empty() => Some(r.root.clone()),
        Some(_) => None,
        None => b.labels.first().map(|l| l.value.clone()),
    }
}

/// References in a block body, with the names `dynamic` blocks bind left out
/// inside their `content` (and the `iterator` name itself, which is no reference).
pub fn body_refs<'a>(
    body: &'a iac_syntax::Body,
    bound: &mut Vec<String>,
    out: &mut Vec<&'a Reference>,
) {
    for a in &body.attributes {
        collect_refs(&a.expr, bound, out);
    }
    for b in &body.blocks {
        if b.kind != "dynamic" {
            body_refs(&b.body, bound, out);
            continue;
        }
        for a in &b.body.attributes {
            if a.name != "iterator" {
                collect_refs(&a.expr, bound, out);
            }
        }
        let n = bound.len();
        bound.extend(dynamic_iterator(b));
        for content in b.body.blocks_of("content") {
            body_refs(&content.body, bound, out);
        }
        bound.truncate(n);
    }
}

pub fn body_exprs(body: &iac_syntax::Body) -> Vec<&Expr> {
    let mut out: Vec<&Expr> = body.attributes.iter().map(|a| &a.expr).collect();
    for b in &body.blocks {
        out.extend(body_exprs(&b.body));
    }
    out
}

const SPECIAL_ROOTS: &[&str] = &["count", "each", "self", "path", "terraform", "iac"];

/// Resolves one reference made inside module `m` to the nodes it names.
fn resolve(r: &Reference, path: &ModPath, m: &Module, diags: &mut Diagnostics) -> Vec<NodeKey> {
    let attr = |i: usize| r.attrs.get(i).map(|(n, _)| n.as_str());
    let suggest = |name: &str, cands: Vec<&str>, prefix: &str| {
        did_you_mean(name, cands).map(|s| format!("did you mean `{prefix}{s}`?"))
    };
    match r.root.as_str() {
        "var" => match attr(0) {
            Some(n) if m.variables.contains_key(n) => {
                vec![NodeKey::Var(path.clone(), n.to_string())]
            }
            Some(n) => {
                let mut d = Diagnostic::error("E0201", "Reference to undeclared input variable")
                    .with_span(
                        r.span_of(1),
                        format!("no variable \"{n}\" is declared in this module"),
                    );
                d = d.with_help(
                    suggest(n, m.variables.keys().map(String::as_str).collect(), "var.")
                        .unwrap_or_else(|| {
                            format!("declare it with a `variable \"{n}\" {{}}` block")
                        }),
                );
                diags.push(d);
                vec![]
            }
            None => vec![],
        },
        "local" => match attr(0) {
            Some(n) if m.locals.contains_key(n) => {
                vec![NodeKey::Local(path.clone(), n.to_string())]
            }
            Some(n) => {
                let mut d = Diagnostic::error("E0201", "Reference to undeclared local value")
                    .with_span(
                        r.span_of(1),
                        format!("no local value \"{n}\" is declared in this module"),
                    );
                if let Some(h) = suggest(n, m.locals.keys().map(String::as_str).collect(), "local.")
                {
                    d = d.with_help(h);
                }
                diags.push(d);
                vec![]
            }
            None => vec![],
        },
        "module" => match attr(0) {
            Some(n) => match m.module_calls.get(n) {
                Some(call) => {
                    let mut child = path.clone();
                    child.push(n.to_string());
                    match attr(1) {
                        Some(out) if call.module.outputs.contains_key(out) => {
                            vec![NodeKey::Output(child, out.to_string())]
                        }
                        Some(out) => {
                            let mut d =
                                Diagnostic::error("E0201", "Reference to undeclared module output")
                                    .with_span(
                                        r.span_of(2),
                                        format!("module \"{n}\" has no output \"{out}\""),
                                    );
                            if let Some(h) = suggest(
                                out,
                                call.module.outputs.keys().map(String::as_str).collect(),
                                &format!("module.{n}."),
                            ) {
                                d = d.with_help(h);
                            }
                            diags.push(d);
                            vec![]
                        }
                        None => call
                            .module
                            .outputs
                            .keys()
                            .map(|o| NodeKey::Output(child.clone(), o.clone()))
                            .collect(),
                    }
                }
                None => {
                    let mut d = Diagnostic::error("E0201", "Reference to undeclared module call")
                        .with_span(
                            r.span_of(1),
                            format!("no module \"{n}\" is called in this module"),
                        );
                    if let Some(h) = suggest(
                        n,
                        m.module_calls.keys().map(String::as_str).collect(),
                        "module.",
                    ) {
                        d = d.with_help(h);
                    }
                    diags.push(d);
                    vec![]
                }
            },
            None => vec![],
        },
        "data" => match (attr(0), attr(1)) {
            (Some(t), Some(n)) => {
                // Not `format!`: the formatter costs more than the copy, on every reference.
                let key = ["data.", t, ".", n].concat();
                if let Some(c) = m.resources.get(&key).and_then(|r| r.check.as_deref()) {
                    // Only its check block's assertions see a scoped data source.
                    diags.push(
                        Diagnostic::error("E0201", "Reference to scoped resource")
                            .with_span(
                                r.span_of(2),
                                format!("data \"{t}\" \"{n}\" is declared inside check \"{c}\""),
                            )
                            .with_help("the data source is not available from this context: declare it outside the check block to use it here"),
                    );
                    vec![]
                } else if m.resources.contains_key(&key) {
                    vec![NodeKey::Resource(path.clone(), key)]
                } else {
                    let cands: Vec<&str> = m
                        .resources
                        .keys()
                        .filter(|k| k.starts_with("data."))
                        .map(|k| &k[5..])
                        .collect();
                    let mut d = Diagnostic::error("E0201", "Reference to undeclared data source")
                        .with_span(
                            r.span_of(2),
                            format!("no data \"{t}\" \"{n}\" block is declared in this module"),
                        );
                    if let Some(h) = suggest(&format!("{t}.{n}"), cands, "data.") {
                        d = d.with_help(h);
                    }
                    diags.push(d);
                    vec![]
                }
            }
            _ => vec![],
        },
        root if SPECIAL_ROOTS.contains(&root) => vec![],
        root => match attr(0) {
            Some(n) => {
                let key = [root, ".", n].concat();
                if m.resources.contains_key(&key) {
                    vec![NodeKey::Resource(path.clone(), key)]
                } else {
                    let cands: Vec<&str> = m
                        .resources
                        .keys()
                        .filter(|k| !k.starts_with("data."))
                        .map(String::as_str)
                        .collect();
                    let mut d = Diagnostic::error("E0201", "Reference to undeclared resource")
                        .with_span(
                            r.span_of(1),
                            format!("no resource \"{root}\" \"{n}\" is declared in this module"),
                        );
                    if let Some(h) = suggest(&key, cands, "") {
                        d = d.with_help(h);
                    }
                    diags.push(d);
                    vec![]
                }
            }
            None => {
                let mut d = Diagnostic::error("E0206", format!("Invalid reference \"{root}\""))
                    .with_span(r.root_span, "a bare name is not a value");
                let mut cands: Vec<String> = Vec::new();
                if m.variables.contains_key(root) {
                    cands.push(format!("var.{root}"));
                }
                if m.locals.contains_key(root) {
                    cands.push(format!("local.{root}"));
                }
                d = d.with_help(match cands.first() {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => "references look like `var.name`, `local.name` or `TYPE.NAME.attribute`; strings need quotes".to_string(),
                });
                diags.push(d);
                vec![]
            }
        },
    }
}

fn module_call_edges(
    parent: &ModPath,
    call: &ModuleCall,
    pm: &Module,
    out: &mut Vec<(NodeKey, Edge)>,
    diags: &mut Diagnostics,
) {
    let mut child = parent.clone();
    child.push(call.name.clone());
    for input in &call.inputs {
        if !call.module.variables.contains_key(&input.name) {
            let mut d =
                Diagnostic::error("E0203", format!("Unsupported argument \"{}\"", input.name))
                    .with_span(
                        input.name_span,
                        format!(
                            "module \"{}\" declares no variable with this name",
                            call.name
                        ),
                    );
            if let Some(s) = did_you_mean(
                &input.name,
                call.module.variables.keys().map(String::as_str),
            ) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            diags.push(d);
            continue;
        }
        let target = NodeKey::Var(child.clone(), input.name.clone());
        let mut refs = Vec::new();
        collect_refs(&input.expr, &mut Vec::new(), &mut refs);
        for r in refs {
            for from in resolve(r, parent, pm, diags) {
                out.push((
                    target.clone(),
                    Edge {
                        from,
                        span: r.span_of(r.attrs.len()),
                    },
                ));
            }
        }
    }
    // depends_on on a module call: every resource of the child waits.
    for r in &call.depends_on {
        for from in resolve(r, parent, pm, diags) {
            for key in call.module.resources.keys() {
                out.push((
                    NodeKey::Resource(child.clone(), key.clone()),
                    Edge {
                        from: from.clone(),
                        span: r.span_of(r.attrs.len()),
                    },
                ));
            }
        }
    }
    for (name, v) in &call.module.variables {
        if v.default.is_none() && !call.inputs.iter().any(|i| i.name == *name) {
            diags.push(
                Diagnostic::error("E0204", format!("Missing required argument \"{name}\""))
                    .with_span(
                        call.span,
                        format!(
                            "module \"{}\" requires a value for variable \"{name}\"",
                            call.name
                        ),
                    ),
            );
        }
    }
}

/// The graph passes, in order. Each adds nodes or edges.
pub fn build_graph(root: &Module) -> (Graph, Diagnostics) {
    build_graph_traced(root, None)
}

struct Builder<'m> {
    tree: BTreeMap<ModPath, &'m Module>,
    graph: DiGraph<NodeKey, Span>,
    index: FxHashMap<NodeKey, NodeIndex>,
    order: Vec<NodeIndex>,
    diags: Diagnostics,
}

impl Builder<'_> {
    fn edge(&mut self, target: NodeKey, e: Edge) {
        if let (Some(&a), Some(&b)) = (self.index.get(&e.from), self.index.get(&target)) {
            self.graph.add_edge(a, b, e.span);
        }
    }

    fn dot(&self) -> String {
        let mut out = String::from("digraph {\n");
        for n in self.graph.node_indices() {
            out.push_str(&format!("  \"{}\";\n", self.graph[n]));
        }
        for e in self.graph.edge_indices() {
            if let Some((a, b)) = self.graph.edge_endpoints(e) {
                out.push_str(&format!(
                    "  \"{}\" -> \"{}\";\n",
                    self.graph[a], self.graph[b]
                ));
            }
        }
        out.push('}');
        out
    }
}

type Pass = fn(&mut Builder<'_>);

/// The passes that build the configuration graph, in order.
const PASSES: &[(&str, Pass)] = &[
    ("declarations", declarations),
    ("references", references),
    ("depends_on", explicit_dependencies),
    ("module boundaries", module_boundaries),
    ("cycles", order_or_cycles),
];

/// Builds the graph; `trace` receives it in DOT after each pass.
pub fn build_graph_traced(
    root: &Module,
    trace: Option<&(dyn Fn(&str) + Send + Sync)>,
) -> (Graph, Diagnostics) {
    let mut b = Builder {
        tree: module_tree(root),
        graph: DiGraph::new(),
        index: FxHashMap::default(),
        order: Vec::new(),
        diags: Diagnostics::new(),
    };
    for (name, pass) in PASSES {
        pass(&mut b);
        if let Some(t) = trace {
            t(&format!(
                "configuration graph after \"{name}\":\n{}",
                b.dot()
            ));
        }
    }
    (
        Graph {
            graph: b.graph,
            index: b.index,
            order: b.order,
        },
        b.diags,
    )
}

/// One node per variable, local, output and resource.
fn declarations(b: &mut Builder<'_>) {
    // Sized once: growing the index and the graph by doubling touches each
    // several times over (a large root module has thousands of nodes).
    let n: usize = b
        .tree
        .values()
        .map(|m| {
            m.variables.len()
                + m.locals.len()
                + m.outputs.len()
                + m.resources.len()
                + m.module_calls.len()
        })
        .sum();
    b.index.reserve(n);
    b.graph.reserve_nodes(n);
    for (path, m) in &b.tree {
        let keys = m
            .variables
            .keys()
            .map(|n| NodeKey::Var(path.clone(), n.clone()))
            .chain(
                m.locals
                    .keys()
                    .map(|n| NodeKey::Local(path.clone(), n.clone())),
            )
            .chain(
                m.outputs
                    .keys()
                    .map(|n| NodeKey::Output(path.clone(), n.clone())),
            )
            .chain(
                m.resources
                    .keys()
                    .map(|k| NodeKey::Resource(path.clone(), k.clone())),
            )
            .chain(
                m.module_calls
                    .values()
                    .filter(|c| c.count.is_some() || c.for_each.is_some())
                    .map(|c| {
                        let mut child = path.clone();
                        child.push(c.name.clone());
                        NodeKey::Call(child)
                    }),
            );
        for k in keys {
            let i = b.graph.add_node(k.clone());
            b.index.insert(k, i);
        }
    }
}

/// The references in some expressions.
fn refs_of(exprs: Vec<&Expr>) -> Vec<&Reference> {
    let mut refs = Vec::new();
    for e in exprs {
        collect_refs(e, &mut Vec::new(), &mut refs);
    }
    refs
}

/// An edge for every reference in every expression.
fn references(b: &mut Builder<'_>) {
    let mut edges: Vec<(NodeKey, Edge)> = Vec::new();
    let diags = &mut b.diags;
    for (path, m) in &b.tree {
        let mut add = |target: NodeKey, refs: Vec<&Reference>, diags: &mut Diagnostics| {
            for r in refs {
                for from in resolve(r, path, m, diags) {
                    edges.push((
                        target.clone(),
                        Edge {
                            from,
                            span: r.span_of(r.attrs.len()),
                        },
                    ));
                }
            }
        };
        for (n, l) in &m.locals {
            add(
                NodeKey::Local(path.clone(), n.clone()),
                refs_of(vec![&l.expr]),
                diags,
            );
        }
        for (n, o) in &m.outputs {
            add(
                NodeKey::Output(path.clone(), n.clone()),
                refs_of(vec![&o.value]),
                diags,
            );
        }
        for (k, r) in &m.resources {
            let mut exprs: Vec<&Expr> = r.count.iter().collect();
            exprs.extend(r.for_each.iter());
            exprs.extend(r.lifecycle.replace_triggered_by.iter());
            for c in r
                .lifecycle
                .preconditions
                .iter()
                .chain(&r.lifecycle.postconditions)
            {
                exprs.push(&c.condition);
                exprs.push(&c.error_message);
            }
            let mut refs = refs_of(exprs);
            body_refs(&r.body, &mut Vec::new(), &mut refs);
            // A creation-time provisioner runs after what it refers to exists.
            for p in r.provisioners.iter().filter(|p| !p.when_destroy) {
                body_refs(&p.body, &mut Vec::new(), &mut refs);
            }
            add(NodeKey::Resource(path.clone(), k.clone()), refs, diags);
        }
        for c in m.module_calls.values() {
            if c.count.is_some() || c.for_each.is_some() {
                let mut child = path.clone();
                child.push(c.name.clone());
                let exprs: Vec<&Expr> = c.count.iter().chain(c.for_each.iter()).collect();
                add(NodeKey::Call(child), refs_of(exprs), diags);
            }
        }
        for (n, v) in &m.variables {
            if let Some(d) = &v.default {
                let mut refs = Vec::new();
                collect_refs(d, &mut Vec::new(), &mut refs);
                if let Some(r) = refs.first() {
                    diags.push(
                        Diagnostic::error("E0124", "Variables may not be used here").with_span(
                            r.span_of(r.attrs.len()),
                            format!("the default of variable \"{n}\" must be a constant"),
                        ),
                    );
                }
            }
        }
    }
    for (target, e) in edges {
        b.edge(target, e);
    }
}

/// `depends_on`: explicit ordering.
fn explicit_dependencies(b: &mut Builder<'_>) {
    let mut edges: Vec<(NodeKey, Edge)> = Vec::new();
    for (path, m) in &b.tree {
        for (k, r) in &m.resources {
            for d in &r.depends_on {
                for from in resolve(d, path, m, &mut b.diags) {
                    edges.push((
                        NodeKey::Resource(path.clone(), k.clone()),
                        Edge {
                            from,
                            span: d.span_of(d.attrs.len()),
                        },
                    ));
                }
            }
        }
    }
    for (target, e) in edges {
        b.edge(target, e);
    }
}

/// Child variables from the call's arguments, module outputs to their users,
/// and everything inside a module call with `count` or `for_each` after the
/// call's expansion (its instances must be known before anything in them).
fn module_boundaries(b: &mut Builder<'_>) {
    let mut edges: Vec<(NodeKey, Edge)> = Vec::new();
    for (path, m) in &b.tree {
        for call in m.module_calls.values() {
            module_call_edges(path, call, m, &mut edges, &mut b.diags);
        }
    }
    for (target, e) in edges {
        b.edge(target, e);
    }
    let expanded: Vec<(ModPath, NodeIndex, Span)> = b
        .index
        .iter()
        .filter_map(|(k, &i)| match k {
            NodeKey::Call(child) => {
                let parent = &b.tree[&child[..child.len() - 1].to_vec()];
                let span = parent.module_calls[&child[child.len() - 1]].span;
                Some((child.clone(), i, span))
            }
            _ => None,
        })
        .collect();
    if expanded.is_empty() {
        return;
    }
    let nodes: Vec<(NodeIndex, ModPath)> = b
        .index
        .iter()
        .map(|(k, &i)| (i, k.module_path().to_vec()))
        .collect();
    for (call, ci, span) in &expanded {
        for (n, at) in &nodes {
            if at.starts_with(call) {
                b.graph.add_edge(*ci, *n, *span);
            }
        }
    }
}

/// An order to walk in, or every strongly connected component of more than one
/// node reported as a cycle with the references that close it.
fn order_or_cycles(b: &mut Builder<'_>) {
    let graph = &b.graph;
    b.order = match petgraph::algo::toposort(graph, None) {
        Ok(o) => o,
        Err(_) => {
            for scc in petgraph::algo::tarjan_scc(graph) {
                let is_cycle = scc.len() > 1 || graph.find_edge(scc[0], scc[0]).is_some();
                if !is_cycle {
                    continue;
                }
                let mut names: Vec<String> = scc.iter().map(|n| graph[*n].to_string()).collect();
                names.sort();
                let mut d = Diagnostic::error("E0401", format!("Cycle: {}", names.join(", ")))
                    .with_help("break the cycle: one of these must not refer to the others");
                let mut first = true;
                for &a in &scc {
                    for e in graph.edges_directed(a, petgraph::Direction::Outgoing) {
                        use petgraph::visit::EdgeRef;
                        if scc.contains(&e.target()) {
                            let label = format!("{} refers to {}", graph[e.target()], graph[a]);
                            if first {
                                d = d.with_span(*e.weight(), label);
                                first = false;
                            } else {
                                d = d.with_secondary(*e.weight(), label);
                            }
                        }
                    }
                }
                b.diags.push(d);
            }
            Vec::new()
        }
    };
}
