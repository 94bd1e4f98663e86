//! The dependency graph: `dependencies = [ "ca" ]` becomes an edge to the
//! node of `ca` in the same scope, or to the shared node when that scope
//! declares `ca` as shared. A missing dependency, a cycle, or a dependency
//! that cannot be planned breaks the node and everything that depends on it.

use super::Node;
use crate::eval::manifest::Scope;
use std::collections::{BTreeMap, BTreeSet};

/// Where each declared artifact ended up.
#[derive(Default)]
pub struct Index {
    /// (scope, artifact) → node, for artifacts of one scope.
    pub own: BTreeMap<(Scope, String), usize>,
    /// artifact → node, for shared artifacts.
    pub shared: BTreeMap<String, usize>,
    /// scope → artifact → whether it is declared shared (planned or not).
    pub declared: BTreeMap<Scope, BTreeMap<String, bool>>,
}

/// Links `depends_on`/`dependents`; returns the nodes that cannot be
/// generated, with why (dependents of broken nodes included).
pub fn link(nodes: &mut [Node], index: &Index) -> BTreeMap<usize, String> {
    let mut broken = BTreeMap::new();
    for i in 0..nodes.len() {
        let mut edges = Vec::new();
        for dependency in nodes[i].artifact.dependencies.clone() {
            match resolve(&nodes[i], &dependency, index) {
                // The machine makes a dummy artifact after what it reads is
                // deployed; the CLI cannot read a dummy artifact's files.
                Ok(j) if nodes[j].backend.on_machine() && !nodes[i].backend.on_machine() => {
                    broken.insert(i, format!("it depends on {dependency}, which the {} backend makes on the machine, so its files cannot be read here", nodes[j].backend.name()));
                }
                Ok(j) => edges.push(j),
                Err(why) => {
                    broken.insert(i, why);
                }
            }
        }
        edges.sort_unstable();
        edges.dedup();
        nodes[i].depends_on = edges;
    }
    for i in 0..nodes.len() {
        for j in nodes[i].depends_on.clone() {
            nodes[j].dependents.push(i);
        }
    }
    for cycle in cycles(nodes) {
        let names: Vec<String> = cycle
            .iter()
            .chain(cycle.first())
            .map(|&i| nodes[i].artifact.name.clone())
            .collect();
        for &i in &cycle {
            broken.insert(
                i,
                format!("its dependencies form a cycle: {}", names.join(" → ")),
            );
        }
    }
    // Whatever depends on a broken node cannot be generated either.
    let mut queue: Vec<usize> = broken.keys().copied().collect();
    while let Some(i) = queue.pop() {
        for &d in &nodes[i].dependents {
            if let std::collections::btree_map::Entry::Vacant(entry) = broken.entry(d) {
                entry.insert(format!(
                    "it depends on {}, which cannot be generated (see above)",
                    nodes[i].label()
                ));
                queue.push(d);
            }
        }
    }
    broken
}

fn resolve(node: &Node, dependency: &str, index: &Index) -> Result<usize, String> {
    if node.scope == Scope::shared() {
        return index.shared.get(dependency).copied().ok_or_else(|| {
            format!("it is shared and depends on {dependency}, which is not a shared artifact\n  hint: a shared artifact can only depend on shared artifacts (artifacts.store.{dependency}.shared = true)")
        });
    }
    let not_planned = || format!("it depends on {dependency}, which cannot be planned (see above)");
    match index.declared.get(&node.scope).and_then(|d| d.get(dependency)) {
        Some(true) => index.shared.get(dependency).copied().ok_or_else(not_planned),
        Some(false) => index.own.get(&(node.scope.clone(), dependency.to_string())).copied().ok_or_else(not_planned),
        None => Err(format!(
            "it depends on {dependency}, which {} does not declare\n  hint: declare artifacts.store.{dependency} on {} too, or share it (shared = true)",
            node.scope, node.scope.name
        )),
    }
}

/// Every cycle of the graph (each as its members in order), found once.
fn cycles(nodes: &[Node]) -> Vec<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; nodes.len()];
    let mut found = Vec::new();
    let mut seen: BTreeSet<Vec<usize>> = BTreeSet::new();
    for start in 0..nodes.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative depth-first search: (node, next edge to follow).
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Open;
        while let Some(&mut (i, ref mut next)) = path.last_mut() {
            if let Some(&j) = nodes[i].depends_on.get(*next) {
                *next += 1;
                match mark[j] {
                    Mark::New => {
                        mark[j] = Mark::Open;
                        path.push((j, 0));
                    }
                    Mark::Open => {
                        let from = path
                            .iter()
                            .position(|&(k, _)| k == j)
                            .expect("open nodes are on the path");
                        let cycle: Vec<usize> = path[from..].iter().map(|&(k, _)| k).collect();
                        let mut key = cycle.clone();
                        key.sort_unstable();
                        if seen.insert(key) {
                            found.push(cycle);
                        }
                    }
                    Mark::Done => {}
                }
            } else {
                mark[i] = Mark::Done;
                path.pop();
            }
        }
    }
    found
}

/// The nodes reachable from `start` by following `step` (start included).
pub fn closure(
    start: impl IntoIterator<Item = usize>,
    step: impl Fn(usize) -> Vec<usize>,
) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<usize> = start.into_iter().collect();
    while let Some(i) = queue.pop() {
        if seen.insert(i) {
            queue.extend(step(i));
        }
    }
    seen
}
