//! Dependents made from older values: each stored artifact records the
//! generation ids of the dependency values it was made from, so one whose
//! dependency has been generated again since (an interrupt between the
//! two, a failed or timed-out generator, a hand edit) is stale, whatever
//! left it so.

use super::{Node, Status};

/// Marks stale every stored node whose record of a dependency's generation
/// differs from that dependency's current generation. A dependency without
/// a generation id (metadata version 2) is unknown: it makes nothing stale
/// until it is generated again.
pub fn mark_stale_dependents(nodes: &mut [Node]) {
    let mut stale = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        if node.backend.on_machine()
            || !matches!(
                node.status,
                Status::UpToDate | Status::Untracked { .. } | Status::NeedsRekey { .. }
            )
        {
            continue;
        }
        for &d in &node.depends_on {
            let dependency = &nodes[d];
            let Some(current) = &dependency.origin.generation else {
                continue;
            };
            let reason = match node.origin.dependencies.get(&dependency.label()) {
                Some(made_from) if made_from == current => continue,
                Some(_) => format!("made from an older `{}`", dependency.artifact.name),
                None => format!(
                    "no record of which `{}` it was made from, and that one was generated since",
                    dependency.artifact.name
                ),
            };
            stale.push((i, reason));
            break;
        }
    }
    for (i, reason) in stale {
        nodes[i].status = Status::Stale { reason };
    }
}

/// The record a node generated now keeps: each dependency's label and the
/// generation of the values given to the generator (`fresh` for those made
/// in this run, else what is stored).
pub fn made_from(
    nodes: &[Node],
    i: usize,
    fresh: impl Fn(usize) -> Option<String>,
) -> std::collections::BTreeMap<String, String> {
    nodes[i]
        .depends_on
        .iter()
        .filter_map(|&d| {
            let generation = fresh(d).or_else(|| nodes[d].origin.generation.clone())?;
            Some((nodes[d].label(), generation))
        })
        .collect()
}
