//! Storing generated artifacts off the generators' path. A worker hands
//! over what stages its artifact (encrypting its files and writing them
//! and its metadata beside its folder, or an artifact it staged itself);
//! one thread stages, syncs and swaps them in, in the order they came,
//! syncing each parent folder once per batch, while the workers go on with
//! the next generators: encrypting and waiting for the disk no longer add
//! up per artifact. Every artifact is still synced before its swap, and its
//! swap synced before it counts as stored.

use super::transaction::{finish_all, Staged, Swapped};
use std::collections::BTreeMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::{Scope, ScopedJoinHandle};

/// Why an artifact was not stored.
#[derive(Debug)]
pub enum Failed {
    /// Staging it failed (the message says why and what to do).
    Stage(String),
    /// Syncing or swapping it in failed.
    Io(std::io::Error),
    /// A dependency (by key) it was made from could not be stored.
    Dependency(usize),
}

/// What stages an artifact: `None` when there is nothing to store.
pub type Stage<'a> = Box<dyn FnOnce() -> Result<Option<Staged>, String> + Send + 'a>;

/// Per key: whether something was stored, or why not.
pub type Results = BTreeMap<usize, Result<bool, Failed>>;

/// An artifact, known by `key`, to store after the keys in `after` (its
/// dependencies in the same run).
struct Job<'a> {
    key: usize,
    stage: Stage<'a>,
    after: Vec<usize>,
}

pub struct Committer<'scope> {
    queue: Option<Sender<Job<'scope>>>,
    thread: Option<ScopedJoinHandle<'scope, Results>>,
}

impl<'scope> Committer<'scope> {
    /// Starts the committing thread in `scope`.
    pub fn start<'env>(scope: &'scope Scope<'scope, 'env>) -> Committer<'scope> {
        let (queue, jobs) = channel();
        Committer {
            queue: Some(queue),
            thread: Some(scope.spawn(move || run(jobs))),
        }
    }

    /// Queues the artifact `stage` makes as `key`, stored once every key in
    /// `after` is (and never if one of them fails).
    pub fn commit(
        &self,
        key: usize,
        after: Vec<usize>,
        stage: impl FnOnce() -> Result<Option<Staged>, String> + Send + 'scope,
    ) {
        let queue = self.queue.as_ref().expect("open until finished");
        let stage = Box::new(stage);
        // The thread ends only when the queue closes, so this cannot fail.
        let _ = queue.send(Job { key, stage, after });
    }

    /// Waits until everything queued is stored (or failed).
    pub fn finish(mut self) -> Results {
        self.queue.take();
        let thread = self.thread.take().expect("joined once");
        thread.join().unwrap_or_default()
    }
}

fn run(jobs: Receiver<Job>) -> Results {
    let mut results = Results::new();
    // Block for the first job, then take whatever else is already waiting.
    while let Ok(first) = jobs.recv() {
        let batch: Vec<Job> = std::iter::once(first).chain(jobs.try_iter()).collect();
        let mut pending: Vec<(usize, Swapped)> = Vec::new();
        for job in batch {
            // A dependency's swap is made durable before its dependent's.
            if job
                .after
                .iter()
                .any(|d| pending.iter().any(|(k, _)| k == d))
            {
                settle(&mut pending, &mut results);
            }
            let failed = job
                .after
                .iter()
                .find(|d| matches!(results.get(*d), Some(Err(_))));
            if let Some(&failed) = failed {
                results.insert(job.key, Err(Failed::Dependency(failed)));
                continue;
            }
            let staged = match (job.stage)() {
                Ok(Some(staged)) => staged,
                Ok(None) => {
                    results.insert(job.key, Ok(false));
                    continue;
                }
                Err(e) => {
                    results.insert(job.key, Err(Failed::Stage(e)));
                    continue;
                }
            };
            match staged.swap_in() {
                Ok(swapped) => pending.push((job.key, swapped)),
                Err(e) => {
                    results.insert(job.key, Err(Failed::Io(e)));
                }
            }
        }
        settle(&mut pending, &mut results);
    }
    results
}

/// Syncs the parent folders of the `pending` swaps (each once) and records
/// their results.
fn settle(pending: &mut Vec<(usize, Swapped)>, results: &mut Results) {
    let (keys, swapped): (Vec<usize>, Vec<Swapped>) = std::mem::take(pending).into_iter().unzip();
    for (key, result) in keys.into_iter().zip(finish_all(swapped)) {
        results.insert(key, result.map(|()| true).map_err(Failed::Io));
    }
}

#[cfg(test)]
mod tests {
    use super::super::transaction::tests::{contents, entries, meta, stage};
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn queued_artifacts_are_stored_and_a_failed_one_stops_its_dependents() {
        let base = tempfile::tempdir().unwrap();
        let dir = |name: &str| base.path().join("machines/alpha").join(name);
        let dependent_staged = AtomicBool::new(false);
        let results = std::thread::scope(|s| {
            let committer = Committer::start(s);
            let staged = |name: &str, value: &str| {
                let target = dir(name);
                let value = value.to_string();
                move || {
                    Ok(Some(
                        stage(&target, &[("v", &value)]).stage(meta()).unwrap(),
                    ))
                }
            };
            committer.commit(0, vec![], staged("ca", "ca 1"));
            committer.commit(1, vec![], || Err("cannot encrypt: no".to_string()));
            committer.commit(2, vec![1], || {
                dependent_staged.store(true, Ordering::SeqCst);
                Ok(None)
            });
            committer.commit(3, vec![0], staged("cert", "signed by ca 1"));
            committer.commit(4, vec![], || Ok(None));
            committer.finish()
        });
        assert!(matches!(results[&0], Ok(true)));
        assert!(matches!(&results[&1], Err(Failed::Stage(e)) if e == "cannot encrypt: no"));
        assert!(matches!(results[&2], Err(Failed::Dependency(1))));
        assert!(!dependent_staged.load(Ordering::SeqCst), "never staged");
        assert!(matches!(results[&3], Ok(true)));
        assert!(matches!(results[&4], Ok(false)), "nothing to store");
        assert_eq!(contents(&dir("ca")), vec![("v".into(), "ca 1".into())]);
        assert_eq!(
            contents(&dir("cert")),
            vec![("v".into(), "signed by ca 1".into())]
        );
        assert_eq!(
            entries(&base.path().join("machines/alpha")),
            vec!["ca", "cert"],
            "no staging folder left"
        );
    }
}
