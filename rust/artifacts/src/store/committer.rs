//! Storing generated artifacts off the generators' path. A worker hands
//! over what stages its artifact (encrypting its files and writing them
//! and its metadata beside its folder) and goes on with its next
//! generator: a generator slot never waits for encryption or the disk.
//! Two threads take it from there, in the order the artifacts came: one
//! stages them, the other syncs and swaps them in, as many at a time as are
//! waiting (their files synced a few at once, each parent folder once).
//! Every artifact is still synced before its swap, and its swap synced
//! before it counts as stored. What is stored is `git add`ed now and then
//! as it goes: `git add` writes an object file per stored file, and a
//! thousand artifacts' worth at the end would keep the run waiting alone.

use super::transaction::{finish_all, sync_all, Staged, Swapped};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

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

/// Per key: stored, or why not (a key whose stage had nothing to store is
/// absent).
pub type Results = BTreeMap<usize, Result<(), Failed>>;

/// What stages an artifact: `None` when there is nothing to store.
type Stage<'a> = Box<dyn FnOnce() -> Result<Option<Staged>, String> + Send + 'a>;

/// An artifact, known by `key`, to store after the keys in `after` (its
/// dependencies in the same run), as handed over and as staged.
struct Job<T> {
    key: usize,
    after: Vec<usize>,
    what: T,
}

/// Stored folders are `git add`ed in the background once this many wait,
/// or after [`ADD_AFTER`].
const ADD_EVERY: usize = 250;
const ADD_AFTER: Duration = Duration::from_secs(4);

/// How long, and up to how many artifacts, a batch gathers before it is
/// synced and swapped in. Dependents never wait for it (they read their
/// inputs from the generator's output), and an interrupted run stores what
/// was gathered before it stops.
const GATHER: Duration = Duration::from_millis(100);
const GATHER_MOST: usize = 128;

pub struct Committer<'scope> {
    queue: Option<Sender<Job<Stage<'scope>>>>,
    thread: Option<ScopedJoinHandle<'scope, Results>>,
}

impl<'scope> Committer<'scope> {
    /// Starts the staging and committing threads in `scope`; `git` is the
    /// work tree to `git add` what it stores to (the caller's own `git add`
    /// of everything stored still follows, and reports).
    pub fn start<'env>(scope: &'scope Scope<'scope, 'env>, git: Option<PathBuf>) -> Self {
        let (queue, handed) = channel::<Job<Stage<'scope>>>();
        let (to_commit, staged) = channel();
        scope.spawn(move || {
            for Job { key, after, what } in handed {
                // Nothing to store: no result either.
                let Some(what) = what().transpose() else {
                    continue;
                };
                // The committer ends only when this queue closes.
                let _ = to_commit.send(Job { key, after, what });
            }
        });
        Committer {
            queue: Some(queue),
            thread: Some(scope.spawn(move || run(staged, git))),
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
        // The threads end only when the queue closes, so this cannot fail.
        let _ = queue.send(Job {
            key,
            after,
            what: Box::new(stage),
        });
    }

    /// Waits until everything queued is stored (or failed).
    pub fn finish(mut self) -> Results {
        self.queue.take();
        let thread = self.thread.take().expect("joined once");
        thread.join().unwrap_or_default()
    }
}

fn run(jobs: Receiver<Job<Result<Staged, String>>>, git: Option<PathBuf>) -> Results {
    let mut batch = Batch::default();
    let mut added = Instant::now();
    // Block for the first job, then gather more for a short while: a
    // large batch is synced in one go (see `transaction::sync_all`).
    while let Ok(first) = jobs.recv() {
        let until = Instant::now() + GATHER;
        batch.add(first);
        while batch.ready.len() < GATHER_MOST {
            match jobs.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(job) => batch.add(job),
                Err(_) => break,
            }
        }
        batch.flush();
        if let Some(top) = &git {
            if batch.stored.len() >= ADD_EVERY || added.elapsed() >= ADD_AFTER {
                // A failure shows again in the caller's `git add`.
                let _ = super::git::add(top, &std::mem::take(&mut batch.stored), "");
                added = Instant::now();
            }
        }
    }
    batch.results
}

#[derive(Default)]
struct Batch {
    /// Staged, not yet synced.
    ready: Vec<(usize, Staged)>,
    results: Results,
    /// Folders stored and not yet `git add`ed.
    stored: Vec<PathBuf>,
}

impl Batch {
    fn add(&mut self, job: Job<Result<Staged, String>>) {
        // A dependency is stored (or has failed) before its dependent is
        // swapped in.
        if job
            .after
            .iter()
            .any(|d| self.ready.iter().any(|(k, _)| k == d))
        {
            self.flush();
        }
        let failed = job
            .after
            .iter()
            .find(|d| matches!(self.results.get(*d), Some(Err(_))));
        match (failed, job.what) {
            // Dropping the staged artifact removes it.
            (Some(&failed), _) => {
                self.results
                    .insert(job.key, Err(Failed::Dependency(failed)));
            }
            (None, Err(why)) => {
                self.results.insert(job.key, Err(Failed::Stage(why)));
            }
            (None, Ok(staged)) => self.ready.push((job.key, staged)),
        }
    }

    /// Syncs what is ready, swaps it in, in order, and syncs the parents.
    fn flush(&mut self) {
        let (keys, mut staged): (Vec<usize>, Vec<Staged>) =
            std::mem::take(&mut self.ready).into_iter().unzip();
        let synced = sync_all(&mut staged);
        let mut swapped: Vec<(usize, PathBuf, Swapped)> = Vec::new();
        for ((key, staged), synced) in keys.into_iter().zip(staged).zip(synced) {
            let folder = staged.target().to_path_buf();
            match synced.and_then(|()| staged.swap_in()) {
                Ok(done) => swapped.push((key, folder, done)),
                Err(e) => {
                    self.results.insert(key, Err(Failed::Io(e)));
                }
            }
        }
        let (done, swaps): (Vec<(usize, PathBuf)>, Vec<Swapped>) = swapped
            .into_iter()
            .map(|(key, folder, swap)| ((key, folder), swap))
            .unzip();
        for ((key, folder), result) in done.into_iter().zip(finish_all(swaps)) {
            if result.is_ok() {
                self.stored.push(folder);
            }
            self.results.insert(key, result.map_err(Failed::Io));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::transaction::tests::{contents, entries, meta, stage};
    use super::*;

    #[test]
    fn queued_artifacts_are_stored_and_a_failed_one_stops_its_dependents() {
        let base = tempfile::tempdir().unwrap();
        let dir = |name: &str| base.path().join("machines/alpha").join(name);
        let staged = |name: &str, value: &str| {
            let staged = stage(&dir(name), &[("v", value)]).stage(meta()).unwrap();
            move || Ok(Some(staged))
        };
        // Staged, then its folder gone: it cannot be synced.
        let broken = stage(&base.path().join("machines/gamma/x"), &[("v", "1")])
            .stage(meta())
            .unwrap();
        std::fs::remove_dir_all(base.path().join("machines/gamma")).unwrap();
        let results = std::thread::scope(|scope| {
            let committer = Committer::start(scope, None);
            committer.commit(0, vec![], staged("ca", "ca 1"));
            committer.commit(1, vec![], move || Ok(Some(broken)));
            committer.commit(2, vec![1], staged("leaf", "made from the broken one"));
            committer.commit(3, vec![0], staged("cert", "signed by ca 1"));
            committer.commit(4, vec![], || Err("cannot encrypt: no recipient".into()));
            committer.commit(5, vec![4], staged("key", "made from the unencrypted one"));
            committer.commit(6, vec![], || Ok(None));
            committer.finish()
        });
        assert!(matches!(results[&0], Ok(())));
        assert!(
            matches!(results[&1], Err(Failed::Io(_))),
            "{:?}",
            results[&1]
        );
        assert!(matches!(results[&2], Err(Failed::Dependency(1))));
        assert!(matches!(results[&3], Ok(())));
        assert!(
            matches!(&results[&4], Err(Failed::Stage(why)) if why == "cannot encrypt: no recipient")
        );
        assert!(matches!(results[&5], Err(Failed::Dependency(4))));
        assert!(
            !results.contains_key(&6),
            "nothing to store, nothing stored"
        );
        assert_eq!(contents(&dir("ca")), vec![("v".into(), "ca 1".into())]);
        assert_eq!(
            contents(&dir("cert")),
            vec![("v".into(), "signed by ca 1".into())]
        );
        assert_eq!(
            entries(&base.path().join("machines/alpha")),
            vec!["ca", "cert"],
            "no staging folder left, the dependents of the failed ones removed"
        );
    }

    #[test]
    fn many_waiting_artifacts_are_stored_together() {
        let base = tempfile::tempdir().unwrap();
        let target = |i: usize| base.path().join(format!("machines/m{}/a{i}", i % 3));
        let results = std::thread::scope(|scope| {
            let committer = Committer::start(scope, None);
            for i in 0..40 {
                let target = target(i);
                // Staged on the committer's side, as `generate` hands them over.
                committer.commit(i, vec![], move || {
                    Ok(Some(
                        stage(&target, &[("v", &i.to_string())])
                            .stage(meta())
                            .unwrap(),
                    ))
                });
            }
            committer.finish()
        });
        assert_eq!(results.len(), 40);
        assert!(results.values().all(Result::is_ok), "{results:?}");
        for i in 0..40 {
            assert_eq!(contents(&target(i)), vec![("v".into(), i.to_string())]);
        }
    }
}
