//! A dependency walker that knows nothing of what nodes do: it starts every node
//! once everything it depends on has finished, keeps at most `parallelism`
//! operations in flight, stops starting new work when cancelled, and skips
//! (without running) every node after a failed one.

use std::collections::{HashMap, HashSet, VecDeque};

use futures::future::LocalBoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

/// What starting a node gives.
pub(crate) enum Started<Op, Out> {
    /// The node is finished already (evaluation only), successfully or not.
    Done(bool),
    /// Operations to run; the node finishes when all have, successfully if all did.
    Ops(Vec<(Op, LocalBoxFuture<'static, Out>)>),
}

/// What the walk does at each node.
pub(crate) trait Executor {
    /// An operation in flight (what it is for; the walker only carries it).
    type Op;
    /// What an operation's future gives.
    type Out;
    /// Starts a node whose dependencies all finished successfully.
    fn start(&mut self, node: NodeIndex) -> Started<Self::Op, Self::Out>;
    /// An operation is about to run.
    fn begin(&mut self, op: &mut Self::Op);
    /// Operations that finished together, with whether each succeeded: one call
    /// per batch, so the batch can be made durable at once.
    fn complete(&mut self, done: Vec<(Self::Op, Self::Out)>) -> Vec<bool>;
    /// A node finished: all its operations are done (`ok`: all succeeded).
    fn finished(&mut self, node: NodeIndex, ok: bool);
    /// A node is skipped because something it depends on failed.
    fn skipped(&mut self, node: NodeIndex);
    /// Whether to stop starting new work (Ctrl-C, a state write that failed).
    fn cancelled(&self) -> bool;
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Status {
    Waiting,
    Running,
    Done,
    Failed,
}

pub(crate) struct Walked {
    pub status: HashMap<NodeIndex, Status>,
    pub interrupted: bool,
    /// Operations queued but never started (the walk was cancelled).
    pub not_started: usize,
}

/// Where every node stands.
struct Progress<'g, N> {
    g: &'g DiGraph<N, ()>,
    status: HashMap<NodeIndex, Status>,
    /// Dependencies not finished yet, per node.
    waiting_on: HashMap<NodeIndex, usize>,
    ready: VecDeque<NodeIndex>,
    /// Nodes after a failed one: skipped when their turn comes.
    upstream_failed: HashSet<NodeIndex>,
}

impl<N> Progress<'_, N> {
    /// Marks a node finished and releases (or dooms) what depends on it.
    fn finish(&mut self, n: NodeIndex, ok: bool) {
        self.status
            .insert(n, if ok { Status::Done } else { Status::Failed });
        for d in self.g.neighbors_directed(n, Direction::Outgoing) {
            if !ok {
                self.upstream_failed.insert(d);
            }
            if let Some(w) = self.waiting_on.get_mut(&d) {
                *w -= 1;
                if *w == 0 {
                    self.ready.push_back(d);
                }
            }
        }
    }
}

/// An operation running, with the node it belongs to.
type InFlight<Op, Out> = LocalBoxFuture<'static, (NodeIndex, Op, Out)>;

struct Queued<Op, Out> {
    node: NodeIndex,
    op: Op,
    fut: LocalBoxFuture<'static, Out>,
}

/// Walks `g` (edges point from a dependency to its dependents) to the end, or
/// until cancelled and what is in flight has finished.
/// Lines said while operations run, and what shows them: shown while the walk
/// waits, so a long operation's output appears as it comes.
pub(crate) type Said<'s> = (
    &'s mut tokio::sync::mpsc::UnboundedReceiver<(String, String)>,
    &'s dyn Fn((String, String)),
);

pub(crate) async fn walk<N, E: Executor>(
    g: &DiGraph<N, ()>,
    exec: &mut E,
    parallelism: usize,
    mut said: Option<Said<'_>>,
) -> Walked
where
    E::Op: 'static,
    E::Out: 'static,
{
    let parallelism = parallelism.max(1);
    let mut st = Progress {
        g,
        status: g.node_indices().map(|n| (n, Status::Waiting)).collect(),
        waiting_on: g
            .node_indices()
            .map(|n| (n, g.neighbors_directed(n, Direction::Incoming).count()))
            .collect(),
        ready: VecDeque::new(),
        upstream_failed: HashSet::new(),
    };
    st.ready = g.node_indices().filter(|n| st.waiting_on[n] == 0).collect();
    let mut pending: HashMap<NodeIndex, (usize, bool)> = HashMap::new();
    let mut queued: VecDeque<Queued<E::Op, E::Out>> = VecDeque::new();
    let mut inflight: FuturesUnordered<InFlight<E::Op, E::Out>> = FuturesUnordered::new();
    let mut interrupted = false;

    loop {
        // Start what is ready: evaluation is quick and happens here, operations are queued.
        while let Some(n) = st.ready.pop_front() {
            if exec.cancelled() {
                interrupted = true;
                st.ready.push_front(n);
                break;
            }
            if st.upstream_failed.contains(&n) {
                exec.skipped(n);
                st.finish(n, false);
                continue;
            }
            st.status.insert(n, Status::Running);
            match exec.start(n) {
                Started::Done(ok) => st.finish(n, ok),
                Started::Ops(ops) if ops.is_empty() => {
                    exec.finished(n, true);
                    st.finish(n, true);
                }
                Started::Ops(ops) => {
                    pending.insert(n, (ops.len(), true));
                    for (op, fut) in ops {
                        queued.push_back(Queued { node: n, op, fut });
                    }
                }
            }
        }

        while inflight.len() < parallelism {
            if exec.cancelled() {
                interrupted = true;
                break;
            }
            let Some(Queued { node, mut op, fut }) = queued.pop_front() else {
                break;
            };
            exec.begin(&mut op);
            inflight.push(async move { (node, op, fut.await) }.boxed_local());
        }

        if inflight.is_empty() {
            break;
        }

        // Wait for one operation, then take every other one already finished.
        let mut done = Vec::new();
        let first = match said.as_mut() {
            None => inflight.next().await,
            Some((rx, show)) => loop {
                tokio::select! {
                    biased;
                    Some(line) = rx.recv() => show(line),
                    f = inflight.next() => break f,
                }
            },
        };
        if let Some(first) = first {
            done.push(first);
        }
        // What was said before the operations finished comes before their results.
        if let Some((rx, show)) = said.as_mut() {
            while let Ok(line) = rx.try_recv() {
                show(line);
            }
        }
        while let Some(Some(more)) = inflight.next().now_or_never() {
            done.push(more);
        }
        let nodes: Vec<NodeIndex> = done.iter().map(|(n, _, _)| *n).collect();
        let oks = exec.complete(done.into_iter().map(|(_, op, out)| (op, out)).collect());
        for (n, ok) in nodes.into_iter().zip(oks) {
            let Some(p) = pending.get_mut(&n) else {
                continue;
            };
            p.0 -= 1;
            p.1 &= ok;
            if p.0 == 0 {
                let all_ok = p.1;
                pending.remove(&n);
                exec.finished(n, all_ok);
                st.finish(n, all_ok);
            }
        }
    }
    Walked {
        status: st.status,
        interrupted,
        not_started: if interrupted { queued.len() } else { 0 },
    }
}
