//! Storing generated artifacts off the generators' path. A worker stages
//! its artifact (encrypted files and metadata written beside its folder)
//! and hands it here; one thread syncs and swaps them in, in the order they
//! came, as many at a time as are waiting (their files synced a few at
//! once, each parent folder once), while the workers go on with the next
//! generators: waiting for the disk no longer adds up per artifact. Every
//! artifact is still synced before its swap, and its swap synced before it
//! counts as stored. What is stored is `git add`ed now and then as it goes,
//! so that little is left for the run's last `git add`.

use super::transaction::{finish_all, sync_all, Staged, Swapped};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Why a staged artifact was not stored.
#[derive(Debug)]
pub enum Failed {
    /// Syncing or swapping it in failed.
    Io(std::io::Error),
    /// A dependency (by key) it was made from could not be stored.
    Dependency(usize),
}

/// Per key: stored, or why not.
pub type Results = BTreeMap<usize, Result<(), Failed>>;

/// An artifact, known by `key`, to store after the keys in `after` (its
/// dependencies in the same run).
struct Job {
    key: usize,
    staged: Staged,
    after: Vec<usize>,
}

/// Stored folders are `git add`ed in the background once this many wait,
/// or after [`ADD_AFTER`].
const ADD_EVERY: usize = 100;
const ADD_AFTER: Duration = Duration::from_secs(2);

pub struct Committer {
    queue: Option<Sender<Job>>,
    thread: Option<JoinHandle<Results>>,
}

impl Committer {
    /// Starts the committing thread; `git` is the work tree to `git add`
    /// what it stores to (the caller's own `git add` of everything stored
    /// still follows, and reports).
    pub fn start(git: Option<PathBuf>) -> Committer {
        let (queue, jobs) = channel();
        Committer {
            queue: Some(queue),
            thread: Some(std::thread::spawn(move || run(jobs, git))),
        }
    }

    /// Queues `staged` as `key`, stored once every key in `after` is (and
    /// never if one of them fails).
    pub fn commit(&self, key: usize, after: Vec<usize>, staged: Staged) {
        let queue = self.queue.as_ref().expect("open until finished");
        // The thread ends only when the queue closes, so this cannot fail.
        let _ = queue.send(Job { key, staged, after });
    }

    /// Waits until everything queued is stored (or failed).
    pub fn finish(mut self) -> Results {
        self.queue.take();
        let thread = self.thread.take().expect("joined once");
        thread.join().unwrap_or_default()
    }
}

fn run(jobs: Receiver<Job>, git: Option<PathBuf>) -> Results {
    let mut batch = Batch::default();
    let mut added = Instant::now();
    // Block for the first job, then take whatever else is already waiting.
    while let Ok(first) = jobs.recv() {
        for job in std::iter::once(first).chain(jobs.try_iter()) {
            batch.add(job);
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
    fn add(&mut self, job: Job) {
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
        match failed {
            // Dropping the staged artifact removes it.
            Some(&failed) => {
                self.results
                    .insert(job.key, Err(Failed::Dependency(failed)));
            }
            None => self.ready.push((job.key, job.staged)),
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
        let staged =
            |name: &str, value: &str| stage(&dir(name), &[("v", value)]).stage(meta()).unwrap();
        // Staged, then its folder gone: it cannot be synced.
        let broken = stage(&base.path().join("machines/gamma/x"), &[("v", "1")])
            .stage(meta())
            .unwrap();
        std::fs::remove_dir_all(base.path().join("machines/gamma")).unwrap();
        let committer = Committer::start(None);
        committer.commit(0, vec![], staged("ca", "ca 1"));
        committer.commit(1, vec![], broken);
        committer.commit(2, vec![1], staged("leaf", "made from the broken one"));
        committer.commit(3, vec![0], staged("cert", "signed by ca 1"));
        let results = committer.finish();
        assert!(matches!(results[&0], Ok(())));
        assert!(
            matches!(results[&1], Err(Failed::Io(_))),
            "{:?}",
            results[&1]
        );
        assert!(matches!(results[&2], Err(Failed::Dependency(1))));
        assert!(matches!(results[&3], Ok(())));
        assert_eq!(contents(&dir("ca")), vec![("v".into(), "ca 1".into())]);
        assert_eq!(
            contents(&dir("cert")),
            vec![("v".into(), "signed by ca 1".into())]
        );
        assert_eq!(
            entries(&base.path().join("machines/alpha")),
            vec!["ca", "cert"],
            "no staging folder left, the dependent of the failed one removed"
        );
    }

    #[test]
    fn many_waiting_artifacts_are_stored_together() {
        let base = tempfile::tempdir().unwrap();
        let committer = Committer::start(None);
        for i in 0..40 {
            let target = base.path().join(format!("machines/m{}/a{i}", i % 3));
            let staged = stage(&target, &[("v", &i.to_string())])
                .stage(meta())
                .unwrap();
            committer.commit(i, vec![], staged);
        }
        let results = committer.finish();
        assert_eq!(results.len(), 40);
        assert!(results.values().all(Result::is_ok), "{results:?}");
        for i in 0..40 {
            let target = base.path().join(format!("machines/m{}/a{i}", i % 3));
            assert_eq!(contents(&target), vec![("v".into(), i.to_string())]);
        }
    }
}
