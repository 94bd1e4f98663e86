//! Evaluating a flake's configurations with a few `nix eval` processes at
//! once, each bounded in memory, as nix-eval-jobs does. One process's memory
//! grows with every configuration it evaluates (each stays referenced from
//! the flake's outputs), so a fleet in one process runs out of memory.
//!
//! Worker I of N evaluates the configurations whose position in the sorted
//! list (machines, Macs, homes) is I modulo N, one at a time, and traces
//! each result as one line as soon as it has it (eval.nix). The first
//! worker lists every configuration before it evaluates any. With
//! `--eval-jobs N` it is worker 0 of N and the others start then. Without,
//! it takes them all, so that a flake evaluated within a second stays one
//! process; still running a second after its list, it gives way to N
//! workers for the configurations it has not done. After each result the
//! worker's peak memory (`VmHWM`) is read: past the limit, it is killed and
//! a fresh one takes the rest of its slice. The results are merged into the
//! value one process gives, so the plan is the same. A configuration that
//! throws is reported failed by eval.nix; any other failure of a worker
//! fails the evaluation with nix's message, as with one process.

use super::flake::Flake;
use super::nix::{self, NixError};
use super::{Options, RawEvaluation};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{ExitStatus, Stdio};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// As nix-eval-jobs' `--max-memory-size`.
pub const DEFAULT_MAX_MEMORY_MIB: u64 = 4096;
/// Without `--eval-jobs`, how long the first worker may take everything
/// after listing the configurations before workers share them: starting
/// another nix and reading the flake again is not won back sooner.
pub const SPREAD_AFTER: Duration = Duration::from_secs(1);
/// How eval.nix's lines start on nix's stderr.
const PREFIX: &[u8] = b"trace: artifacts-eval ";

/// `["machine" | "darwin" | "home", NAME]`, as eval.nix names them.
type Configuration = (String, String);

#[derive(Deserialize)]
#[serde(untagged)]
enum Message {
    Listing {
        source: String,
        configurations: Vec<Configuration>,
    },
    Evaluated {
        configuration: Configuration,
        value: serde_json::Value,
    },
}

enum Event {
    Line(usize, Result<Message, String>),
    /// A worker ended: how, and the rest of what it printed on stderr.
    Ended(usize, std::io::Result<ExitStatus>, String),
}

/// Worker `index` of `of` takes the configurations at positions `index`,
/// `index + of`, …
#[derive(Debug, Clone, Copy)]
struct Slice {
    index: usize,
    of: usize,
}

struct Running {
    slice: Slice,
    pid: u32,
    /// Why it was killed, if this run killed it.
    stopped: Option<Stopped>,
}

#[derive(PartialEq)]
enum Stopped {
    /// Past its memory limit: a fresh worker takes the rest of its slice.
    OverMemory,
    /// The first worker, started for everything, when it took too long:
    /// the slices took over.
    Superseded,
}

/// The number of cores, fewer when the available memory does not hold that
/// many workers at their limit.
pub fn default_jobs(max_memory_mib: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let fit = mem_available_mib().map_or(cores as u64, |m| m / max_memory_mib.max(1));
    cores.min(fit as usize).max(1)
}

fn mem_available_mib() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    kib_field(&info, "MemAvailable:").map(|kib| kib / 1024)
}

/// The peak resident memory of process `pid` so far, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    kib_field(&status, "VmHWM:")
}

/// `Name:   1234 kB` of a /proc file.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// Every configuration's manifest of `flake`, with up to `options.jobs`
/// workers.
pub fn evaluate(flake: &Flake, options: &Options) -> Result<RawEvaluation, NixError> {
    let jobs = options.jobs.max(1);
    let limit_kib = options.max_memory_mib.saturating_mul(1024);
    let (events, received) = channel();
    std::thread::scope(|threads| {
        let mut running: HashMap<usize, Running> = HashMap::new();
        let mut next_id = 0;
        let mut start = |running: &mut HashMap<usize, Running>,
                         slice: Slice,
                         skip: &[&Configuration]|
         -> Result<usize, NixError> {
            let spec = serde_json::json!({ "slice": slice.index, "of": slice.of, "skip": skip });
            let pid = spawn(threads, flake, &spec.to_string(), next_id, events.clone())?;
            running.insert(
                next_id,
                Running {
                    slice,
                    pid,
                    stopped: None,
                },
            );
            next_id += 1;
            Ok(next_id - 1)
        };
        let spread_after = options.spread_after.filter(|_| jobs > 1);
        let first = Slice {
            index: 0,
            of: if spread_after.is_some() { 1 } else { jobs },
        };
        let first_id = start(&mut running, first, &[])?;
        // When the first worker, if it still runs, gives way.
        let mut spread_at: Option<Instant> = None;
        let mut listing: Option<(String, Vec<Configuration>)> = None;
        let mut values: BTreeMap<Configuration, serde_json::Value> = BTreeMap::new();
        let mut failure: Option<NixError> = None;
        // Set once the others are killed after a failure.
        let mut stopping = false;
        while !running.is_empty() {
            let waited = match spread_at {
                Some(at) => received.recv_timeout(at.saturating_duration_since(Instant::now())),
                None => received.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            let event = match waited {
                Ok(event) => Some(event),
                Err(RecvTimeoutError::Timeout) => {
                    spread_at = None;
                    if let (Some((_, all)), Some(worker)) = (&listing, running.get_mut(&first_id)) {
                        let rest = all.iter().filter(|c| !values.contains_key(*c)).count();
                        let workers = jobs.min(rest);
                        if workers > 1 && failure.is_none() {
                            worker.stopped = Some(Stopped::Superseded);
                            kill(worker.pid);
                            for index in 0..workers {
                                let slice = Slice { index, of: workers };
                                let done: Vec<&Configuration> = in_slice(all, slice)
                                    .filter(|c| values.contains_key(*c))
                                    .collect();
                                if let Err(e) = start(&mut running, slice, &done) {
                                    failure = Some(e);
                                }
                            }
                        }
                    }
                    None
                }
                Err(RecvTimeoutError::Disconnected) => unreachable!("this function holds a sender"),
            };
            if let Some(event) = event {
                match event {
                    Event::Line(
                        _,
                        Ok(Message::Listing {
                            source,
                            configurations,
                        }),
                    ) => {
                        if listing.is_some() || failure.is_some() {
                            continue;
                        }
                        match spread_after {
                            Some(after) => spread_at = Some(Instant::now() + after),
                            None => {
                                for index in 1..jobs.min(configurations.len()) {
                                    if let Err(e) =
                                        start(&mut running, Slice { index, of: jobs }, &[])
                                    {
                                        failure = Some(e);
                                    }
                                }
                            }
                        }
                        listing = Some((source, configurations));
                    }
                    Event::Line(
                        id,
                        Ok(Message::Evaluated {
                            configuration,
                            value,
                        }),
                    ) => {
                        values.insert(configuration, value);
                        let (Some(worker), Some((_, all))) = (running.get_mut(&id), &listing)
                        else {
                            continue;
                        };
                        let rest = in_slice(all, worker.slice)
                            .filter(|c| !values.contains_key(*c))
                            .count();
                        if worker.stopped.is_none()
                            && rest > 0
                            && peak_kib(worker.pid).is_some_and(|p| p > limit_kib)
                        {
                            worker.stopped = Some(Stopped::OverMemory);
                            kill(worker.pid);
                        }
                    }
                    Event::Line(_, Err(why)) => {
                        failure.get_or_insert(NixError::Output(why));
                    }
                    Event::Ended(id, status, stderr) => {
                        let Some(worker) = running.remove(&id) else {
                            continue;
                        };
                        if failure.is_some() {
                            continue;
                        }
                        let all = listing.as_ref().map_or(&[][..], |(_, all)| &all[..]);
                        let (done, rest): (Vec<&Configuration>, Vec<&Configuration>) =
                            in_slice(all, worker.slice).partition(|c| values.contains_key(*c));
                        match worker.stopped {
                            // Unless it had finished anyway.
                            Some(Stopped::OverMemory) if !rest.is_empty() => {
                                if let Err(e) = start(&mut running, worker.slice, &done) {
                                    failure = Some(e);
                                }
                            }
                            Some(_) => {}
                            None if status.as_ref().is_ok_and(|s| s.success()) => {}
                            None => failure = Some(nix::explain(flake, &stderr)),
                        }
                    }
                }
            }
            if failure.is_some() && !stopping {
                stopping = true;
                running.values().for_each(|w| kill(w.pid));
            }
        }
        if let Some(failure) = failure {
            return Err(failure);
        }
        let (out_path, all) =
            listing.ok_or_else(|| NixError::Output("nix eval listed no configurations".into()))?;
        merge(out_path, &all, values)
    })
}

/// The configurations of `slice`, in order.
fn in_slice(all: &[Configuration], slice: Slice) -> impl Iterator<Item = &Configuration> {
    all.iter().skip(slice.index).step_by(slice.of)
}

/// The workers' results as one process would have printed them.
fn merge(
    out_path: String,
    all: &[Configuration],
    mut values: BTreeMap<Configuration, serde_json::Value>,
) -> Result<RawEvaluation, NixError> {
    let mut raw = RawEvaluation {
        out_path,
        ..Default::default()
    };
    for configuration in all {
        let value = values.remove(configuration).ok_or_else(|| {
            NixError::Output(format!(
                "no worker evaluated the configuration {}",
                configuration.1
            ))
        })?;
        let bad = |e: serde_json::Error| NixError::Output(e.to_string());
        let (kind, name) = configuration.clone();
        let scopes = match kind.as_str() {
            "machine" => {
                let machine = serde_json::from_value(value).map_err(bad)?;
                raw.machines.insert(name, machine);
                continue;
            }
            "darwin" => &mut raw.darwin_machines,
            _ => &mut raw.homes,
        };
        scopes.insert(name, serde_json::from_value(value).map_err(bad)?);
    }
    Ok(raw)
}

/// Starts worker `id` (`spec`: its slice, see eval.nix) in a process group
/// of its own, killed on interrupt; a thread of `threads` forwards its
/// lines to `events` and reports its end. Returns its pid.
fn spawn<'scope>(
    threads: &'scope std::thread::Scope<'scope, '_>,
    flake: &Flake,
    spec: &str,
    id: usize,
    events: Sender<Event>,
) -> Result<u32, NixError> {
    use std::os::unix::process::CommandExt;
    let mut child = nix::worker_command(flake, spec)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|source| NixError::Spawn {
            program: "nix",
            source,
        })?;
    let pid = child.id();
    let guard = crate::interrupt::ChildGuard::register(pid);
    let stderr = child.stderr.take().expect("stderr is piped");
    threads.spawn(move || {
        let _guard = guard;
        let mut other = String::new();
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            match line.strip_prefix(PREFIX) {
                Some(json) => {
                    let message = serde_json::from_slice(json)
                        .map_err(|e| format!("unexpected output from nix eval: {e}"));
                    let _ = events.send(Event::Line(id, message));
                }
                None => other.push_str(&String::from_utf8_lossy(&line)),
            }
            line.clear();
        }
        let status = child.wait();
        let _ = events.send(Event::Ended(id, status, other));
    });
    Ok(pid)
}

/// Kills a worker's process group.
fn kill(pid: u32) {
    // SAFETY: a signal to a process group this run started.
    unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_fields_are_read_in_kib() {
        let status = "Name:\tnix\nVmPeak:\t  900 kB\nVmHWM:\t  123456 kB\n";
        assert_eq!(kib_field(status, "VmHWM:"), Some(123456));
        assert_eq!(kib_field(status, "VmRSS:"), None);
        assert!(peak_kib(std::process::id()).is_some_and(|k| k > 0));
    }

    #[test]
    fn slices_interleave_and_cover_everything_once() {
        let all: Vec<Configuration> = (0..7)
            .map(|i| ("machine".to_string(), format!("m{i}")))
            .collect();
        let slice = |index| Slice { index, of: 3 };
        let mut seen: Vec<&Configuration> = (0..3).flat_map(|s| in_slice(&all, slice(s))).collect();
        assert_eq!(
            in_slice(&all, slice(1))
                .map(|c| c.1.as_str())
                .collect::<Vec<_>>(),
            ["m1", "m4"]
        );
        seen.sort();
        assert_eq!(seen, all.iter().collect::<Vec<_>>());
    }
}
