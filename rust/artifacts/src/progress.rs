//! What `generate` tells the user while generators run: one line per event
//! (started, stored, failed as it happens), stable for scripts and logs.

use crate::plan::Node;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Progress {
    total: usize,
    done: AtomicUsize,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        Progress { total, done: AtomicUsize::new(0) }
    }

    pub fn started(&self, node: &Node) {
        eprintln!("{}: generating", node.label());
    }

    /// A node finished: stored (`Ok`) or failed, with why.
    pub fn finished(&self, node: &Node, result: &Result<(), String>) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        match result {
            Ok(()) => eprintln!("{}: stored with {} [{done}/{}]", node.label(), node.backend.name(), self.total),
            Err(message) => eprintln!(
                "error: {}, artifact {}: {message} [{done}/{}]",
                node.scope, node.artifact.name, self.total
            ),
        }
    }
}
