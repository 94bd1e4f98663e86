//! What `generate` tells the user while generators run.
//!
//! On a terminal, a live display: a bar of how many are done out of how
//! many, one line per generator running now with its elapsed time, and each
//! result printed above it as it happens. Anywhere else (CI, pipes, logs)
//! plain lines, one per event, stable for scripts:
//!
//! ```text
//! alpha/test: generating
//! alpha/test: stored with agenix [1/2]
//! error: machine beta, artifact attic: … [2/2]
//! ```
//!
//! `--verbose` adds what the generators print (`alpha/test | …`, answers
//! redacted by the caller); `--quiet` leaves only errors and warnings.

use crate::output::shown_path;
use crate::plan::Node;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Set once from `--quiet`/`--verbose` before anything is printed. Global
/// because the notes and the summary come from helpers shared by several
/// commands, which would otherwise all carry the flag.
static VERBOSITY: AtomicU8 = AtomicU8::new(Verbosity::Normal as u8);

pub fn set_verbosity(verbosity: Verbosity) {
    VERBOSITY.store(verbosity as u8, Ordering::SeqCst);
}

pub fn verbosity() -> Verbosity {
    match VERBOSITY.load(Ordering::SeqCst) {
        0 => Verbosity::Quiet,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

/// Prints a message for the person running the command (what happened,
/// what comes next) on standard error, unless `--quiet`.
pub fn note(message: impl std::fmt::Display) {
    if verbosity() > Verbosity::Quiet {
        eprintln!("{message}");
    }
}

/// How one artifact's turn in a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    /// Why it failed.
    Failed(String),
    /// Stopped by an interrupt (Ctrl-C, SIGTERM) while it ran, or, when not
    /// `started`, never run because of one: its earlier files are unchanged.
    Interrupted {
        started: bool,
    },
}

pub struct Progress {
    total: usize,
    done: AtomicUsize,
    verbosity: Verbosity,
    live: Option<Live>,
}

/// The terminal display: running generators above the overall bar.
struct Live {
    bars: MultiProgress,
    overall: ProgressBar,
    running: Mutex<HashMap<String, ProgressBar>>,
    failed: AtomicUsize,
    /// Typed keys are not echoed into the display while it is drawn.
    _echo_off: crate::interrupt::EchoOff,
}

/// How often the running lines are redrawn: often enough for the seconds
/// to count up smoothly, rarely enough to cost nothing.
const TICK: Duration = Duration::from_millis(200);

impl Progress {
    /// A display for `total` generators: live when standard error is a
    /// terminal (and not `--quiet`), plain lines otherwise.
    pub fn new(total: usize) -> Progress {
        let verbosity = verbosity();
        let terminal =
            std::io::stderr().is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb");
        let live = (terminal && verbosity > Verbosity::Quiet).then(|| Live::new(total));
        Progress {
            total,
            done: AtomicUsize::new(0),
            verbosity,
            live,
        }
    }

    pub fn started(&self, node: &Node) {
        let label = node.label();
        match &self.live {
            Some(live) => live.started(label),
            None if self.verbosity > Verbosity::Quiet => eprintln!("{label}: generating"),
            None => {}
        }
    }

    /// A node's turn ended: stored, failed (with why) or interrupted.
    pub fn finished(&self, node: &Node, outcome: &Outcome) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let label = node.label();
        let line = match outcome {
            Outcome::Stored if node.status == crate::plan::Status::Passthrough => {
                format!(
                    "{label}: generated, not stored (passthrough of {})",
                    node.backend.name()
                )
            }
            Outcome::Stored => format!("{label}: stored with {}", node.backend.name()),
            Outcome::Failed(message) => format!(
                "error: {}, artifact {}: {message}",
                node.scope, node.artifact.name
            ),
            Outcome::Interrupted { started: true } => {
                format!("{label}: interrupted; nothing stored, its earlier files are unchanged")
            }
            Outcome::Interrupted { started: false } => {
                format!("{label}: not started (interrupted); its earlier files are unchanged")
            }
        };
        let failed = matches!(outcome, Outcome::Failed(_));
        match &self.live {
            Some(live) => live.finished(&label, &line, outcome),
            None if !failed && self.verbosity == Verbosity::Quiet => {}
            None => eprintln!("{line} [{done}/{}]", self.total),
        }
    }

    /// With `--verbose`, where a generator's output goes, line by line
    /// (already redacted): `alpha/test | line`.
    pub fn output(&self, node: &Node) -> Option<crate::process::Show<'_>> {
        if self.verbosity < Verbosity::Verbose {
            return None;
        }
        let label = node.label();
        Some(Box::new(move |line: &str| {
            let line = format!("{label} | {line}");
            match &self.live {
                // Printed above the bars, which are redrawn below it.
                Some(live) => live.bars.println(line).unwrap_or(()),
                None => eprintln!("{line}"),
            }
        }))
    }
}

impl Drop for Progress {
    /// The bars leave the screen before the summary is printed.
    fn drop(&mut self) {
        if let Some(live) = &self.live {
            crate::interrupt::set_display(None);
            live.overall.finish_and_clear();
            live.bars.clear().ok();
        }
    }
}

impl Live {
    fn new(total: usize) -> Live {
        let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = bars.add(ProgressBar::new(total as u64));
        overall.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} done{msg}")
                .expect("a valid template")
                .progress_chars("━╸ "),
        );
        overall.enable_steady_tick(TICK);
        // An interrupt's message goes above the bars, not through them.
        let (say, clear) = (bars.clone(), bars.clone());
        crate::interrupt::set_display(Some(crate::interrupt::Display {
            say: Box::new(move |line| say.println(line).unwrap_or(())),
            clear: Box::new(move || clear.clear().unwrap_or(())),
        }));
        Live {
            bars,
            overall,
            running: Mutex::new(HashMap::new()),
            failed: AtomicUsize::new(0),
            _echo_off: crate::interrupt::EchoOff::turn_off(),
        }
    }

    fn started(&self, label: String) {
        let bar = self
            .bars
            .insert_before(&self.overall, ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {seconds}")
                .expect("a valid template")
                .with_key("seconds", seconds),
        );
        bar.set_message(label.clone());
        bar.enable_steady_tick(TICK);
        self.lock().insert(label, bar);
    }

    fn finished(&self, label: &str, line: &str, outcome: &Outcome) {
        let bar = self.lock().remove(label);
        let took = bar.as_ref().map(|b| b.elapsed());
        if let Some(bar) = bar {
            bar.finish_and_clear();
            self.bars.remove(&bar);
        }
        let line = match took {
            Some(took) if *outcome == Outcome::Stored => format!("{line} ({})", short(took)),
            _ => line.to_string(),
        };
        // The count first, and the line printed through the bar: the frame
        // drawn with the line renders the bar afresh, so it shows the new
        // count (`MultiProgress::println` would redraw the bar as last drawn,
        // which the rate limit may have left a result behind).
        if let Outcome::Failed(_) = outcome {
            let failed = self.failed.fetch_add(1, Ordering::SeqCst) + 1;
            self.overall.set_message(format!(", {failed} failed"));
        }
        self.overall.inc(1);
        self.overall.println(line);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ProgressBar>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Folders for the summary, one per line and indented, as the user would
/// type them from here; a long list is cut after a screenful.
pub fn folders(dirs: &[std::path::PathBuf]) -> String {
    const SHOWN: usize = 10;
    let mut shown: Vec<String> = dirs
        .iter()
        .take(SHOWN)
        .map(|d| format!("  {}", shown_path(d)))
        .collect();
    if dirs.len() > SHOWN {
        shown.push(format!("  … and {} more", dirs.len() - SHOWN));
    }
    shown.join("\n")
}

/// The `{seconds}` of a running line: whole seconds since it started.
fn seconds(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let _ = out.write_str(&short(state.elapsed()));
}

/// `7s`, `1m05s`: short enough for a line per generator.
fn short(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::short;
    use std::time::Duration;

    #[test]
    fn durations_are_short() {
        assert_eq!(short(Duration::from_millis(900)), "0s");
        assert_eq!(short(Duration::from_secs(59)), "59s");
        assert_eq!(short(Duration::from_secs(65)), "1m05s");
    }
}
