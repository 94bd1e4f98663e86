//! Running a child program the way every runner here needs it (the
//! generators, on the machine too, and script backends): in a process group
//! of its own (killed on interrupt, and with whatever it left running when
//! it ends), stdout and stderr in one pipe whose end is kept (bounded) for
//! error messages and optionally shown line by line, and a timeout.

use crate::interrupt::ChildGuard;
use crate::redact::Redactor;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How much of a program's output is kept for an error message: the end
/// matters, and a program printing a gigabyte must not cost a gigabyte.
const LOG_KEEP: usize = 64 * 1024;
const LOG_LINES: usize = 20;
const LOG_LINE_CHARS: usize = 400;

/// How a program ended: `status` is `None` when it ran out of time (and
/// was killed).
pub struct Ended {
    pub status: Option<ExitStatus>,
    pub log: Tail,
}

/// How long output already in the pipe is still read once the child has
/// exited (or was stopped): what a descendant that escaped the process
/// group keeps writing must not hold the run.
const DRAIN: Duration = Duration::from_millis(300);

/// How often the child is looked at where the kernel cannot tell when it
/// ends (no pidfd: Linux before 5.3).
const TICK: Duration = Duration::from_millis(50);

/// Runs `command` to the end (or `timeout`), its output kept in a [`Tail`]
/// and, with `echo`, shown line by line as it comes. The error is the
/// spawn's (or, rarely, the wait's).
///
/// The run ends with the child, not with the pipe: a descendant that left
/// the process group (`setsid`) can keep the pipe open for ever. So when
/// the child has exited (or `timeout` passed), its group is killed (past
/// the timeout or on an interrupt, so is every process still carrying
/// this run's mark in its environment, set when there is a timeout), and the pipe is read only for what is already in it
/// ([`DRAIN`]). In the sandbox, bwrap's own PID namespace
/// (`--unshare-all`, `--die-with-parent`) takes every descendant with it.
///
/// The calling thread does all of it, waiting on the pipe and on the child
/// (a pidfd) at once: a run starts hundreds of children, and threads of
/// their own for reading and timing each would cost more than the wait.
pub fn run(
    mut command: Command,
    timeout: Option<Duration>,
    echo: Option<Echo>,
) -> std::io::Result<Ended> {
    // One pipe for stdout and stderr: the log keeps their order.
    let (reader, writer) = std::io::pipe()?;
    let mark = next_mark();
    if timeout.is_some() {
        // Only what can time out needs finding beyond its group; the
        // `machine` command (no timeout) keeps its exact environment, and
        // its unit's cgroup ends everything.
        command.env(MARK_VAR, &mark);
    }
    command
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0);
    let mut child = command.spawn()?;
    drop(command); // closes our ends of the pipe, so the log ends with the child
    let pid = child.id();
    let _guard = ChildGuard::register(pid);
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut watch = Watch::new(reader, pid, echo);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
            child.wait()?;
            break None;
        }
        watch.until_child_ends(left);
    };
    // Whatever it left running in its process group goes too. Past the
    // timeout or on an interrupt, so does whatever escaped the group but
    // still carries the mark; a child that ended by itself may have
    // started a daemon meant to outlive it (gpg-agent, BACKEND_GUIDE.md).
    unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
    if status.is_none() || crate::interrupt::interrupted() {
        kill_marked(&mark);
    }
    Ok(Ended {
        status,
        log: watch.drain(),
    })
}

/// The child's output pipe and the child itself, watched together.
struct Watch<'a> {
    reader: Option<std::io::PipeReader>,
    /// Readable once the child has exited; `None` without pidfds.
    pidfd: Option<std::os::fd::OwnedFd>,
    tail: Tail,
    echo: Option<Echo<'a>>,
    chunk: Vec<u8>,
}

impl<'a> Watch<'a> {
    fn new(reader: std::io::PipeReader, pid: u32, echo: Option<Echo<'a>>) -> Watch<'a> {
        Watch {
            reader: Some(reader),
            pidfd: pidfd(pid),
            tail: Tail::default(),
            echo,
            chunk: vec![0; 16 * 1024],
        }
    }

    /// Reads what comes until the child may have ended or `left` passed.
    fn until_child_ends(&mut self, left: Option<Duration>) {
        let wait = match (&self.pidfd, left) {
            (None, left) => Some(left.map_or(TICK, |l| l.min(TICK))),
            (Some(_), left) => left,
        };
        self.poll(wait, true);
    }

    /// Reads what is already in the pipe, until its end or [`DRAIN`]
    /// passed: whoever still holds it then does not hold the run.
    fn drain(mut self) -> Tail {
        let until = Instant::now() + DRAIN;
        while self.reader.is_some() {
            let left = until.saturating_duration_since(Instant::now());
            // Only what is there now: nothing more means done.
            if left.is_zero() || !self.poll(Some(Duration::ZERO), false) {
                break;
            }
        }
        if let Some(echo) = &mut self.echo {
            echo.flush();
        }
        self.tail
    }

    /// Polls the pipe (and, with `child`, the pidfd) for at most `wait`
    /// (`None`: without end), reading once if the pipe is ready; whether
    /// it was.
    fn poll(&mut self, wait: Option<Duration>, child: bool) -> bool {
        let mut fds = Vec::with_capacity(2);
        if let Some(reader) = &self.reader {
            fds.push(libc::pollfd {
                fd: reader.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        if let Some(pidfd) = self.pidfd.as_ref().filter(|_| child) {
            fds.push(libc::pollfd {
                fd: pidfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        let millis = wait.map_or(-1, |w| w.as_millis().min(i32::MAX as u128) as i32);
        // SAFETY: valid pollfds for descriptors we own.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) };
        let pipe_ready = self.reader.is_some() && ready > 0 && fds[0].revents != 0;
        if pipe_ready {
            let read = self.reader.as_mut().map(|r| r.read(&mut self.chunk));
            match read {
                Some(Ok(n)) if n > 0 => self.tail.push(&self.chunk[..n], &mut self.echo),
                Some(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // The end, or a pipe that cannot be read: no more output.
                _ => self.reader = None,
            }
        }
        pipe_ready
    }
}

/// A descriptor that becomes readable when the process `pid` (our child,
/// not yet waited for) exits; `None` where the kernel has none.
fn pidfd(pid: u32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: on success it is a descriptor nothing else owns.
    (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
}

/// The environment variable marking every process of one run, so that
/// those which left its process group can still be found and stopped.
const MARK_VAR: &str = "ARTIFACTS_RUN_MARK";

/// A mark unique to this run of a child (per CLI process and child).
fn next_mark() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// SIGKILLs every process of ours whose environment holds `mark` (twice:
/// one may have forked while the first pass looked). Processes that
/// cleared their environment are not found; bwrap's namespace covers the
/// sandboxed case.
fn kill_marked(mark: &str) {
    let needle = format!("{MARK_VAR}={mark}\0").into_bytes();
    let me = std::process::id();
    for _ in 0..2 {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if pid == me {
                continue;
            }
            // Unreadable (another user's, or gone): not ours to stop.
            let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
                continue;
            };
            if environ.windows(needle.len()).any(|w| w == needle) {
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
        }
    }
}

/// `90 s`, `30 min`: a duration for a message.
pub fn human(d: Duration) -> String {
    match d.as_secs() {
        s if s % 60 == 0 && s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// The end of a program's output: at most [`LOG_KEEP`] bytes are kept.
#[derive(Default)]
pub struct Tail {
    bytes: Vec<u8>,
    dropped: u64,
}

impl Tail {
    /// Keeps `bytes` (only the end of everything pushed) and shows every
    /// line to `echo`.
    fn push(&mut self, bytes: &[u8], echo: &mut Option<Echo>) {
        if let Some(echo) = echo {
            echo.feed(bytes);
        }
        self.bytes.extend_from_slice(bytes);
        if self.bytes.len() > 2 * LOG_KEEP {
            let cut = self.bytes.len() - LOG_KEEP;
            self.bytes.drain(..cut);
            self.dropped += cut as u64;
        }
    }

    /// The last lines, redacted, shortened and indented for an error message.
    pub fn show(&self, redactor: &Redactor) -> String {
        let mut kept = &self.bytes[self.bytes.len().saturating_sub(LOG_KEEP)..];
        let mut skipped = self.dropped + (self.bytes.len() - kept.len()) as u64;
        if skipped > 0 {
            // Start at a line: a cut answer could slip past the redactor.
            let start = kept
                .iter()
                .position(|b| *b == b'\n')
                .map_or(kept.len(), |i| i + 1);
            skipped += start as u64;
            kept = &kept[start..];
        }
        let text = String::from_utf8_lossy(&redactor.redact(kept)).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(LOG_LINES);
        if lines.is_empty() && skipped == 0 {
            return String::new();
        }
        let mut shown: Vec<String> = Vec::new();
        if skipped > 0 || start > 0 {
            shown.push(format!(
                "    | … ({skipped} bytes and {start} lines before these not shown)"
            ));
        }
        for line in &lines[start..] {
            let count = line.chars().count();
            let mut line: String = line.chars().take(LOG_LINE_CHARS).collect();
            if count > LOG_LINE_CHARS {
                line.push_str(&format!(" … ({} more characters)", count - LOG_LINE_CHARS));
            }
            shown.push(format!("    | {line}"));
        }
        format!(":\n{}", shown.join("\n"))
    }
}

/// Where `--verbose` shows a generator's output, one line at a time.
pub type Show<'a> = Box<dyn FnMut(&str) + Send + 'a>;

/// `--verbose`: a generator's output shown as it comes, one whole line at a
/// time, so that an answer is never cut in two before it is redacted.
pub struct Echo<'a> {
    show: Show<'a>,
    redactor: &'a Redactor,
    line: Vec<u8>,
    /// The rest of a line too long to keep is being skipped.
    skipping: bool,
}

impl<'a> Echo<'a> {
    pub fn new(show: Show<'a>, redactor: &'a Redactor) -> Echo<'a> {
        Echo {
            show,
            redactor,
            line: Vec::new(),
            skipping: false,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            let ends_line = piece.ends_with(b"\n");
            if self.skipping {
                self.skipping = !ends_line;
                continue;
            }
            self.line.extend_from_slice(piece);
            if ends_line {
                self.flush();
            } else if self.line.len() > LOG_KEEP {
                // A line this long is shown by its start (redacted as a
                // whole, as far as it was read) and the rest skipped.
                self.flush();
                self.skipping = true;
            }
        }
    }

    fn flush(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let redacted = self.redactor.redact(&self.line);
        let text = String::from_utf8_lossy(&redacted);
        let text = text.trim_end_matches(['\n', '\r']);
        let count = text.chars().count();
        let mut shown: String = text.chars().take(LOG_LINE_CHARS).collect();
        if count > LOG_LINE_CHARS || self.line.len() > LOG_KEEP {
            shown.push_str(" … (line shortened)");
        }
        (self.show)(&shown);
        self.line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Everything `Echo` shows for `input` read in chunks of `chunk` bytes.
    fn echoed(answer: &str, input: &[u8], chunk: usize) -> Vec<String> {
        let name = "pw".to_string();
        let redactor = Redactor::new([(&name, answer.as_bytes())]);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let show = Box::new(move |l: &str| sink.lock().unwrap().push(l.to_string()));
        let mut echo = Echo::new(show, &redactor);
        for piece in input.chunks(chunk) {
            echo.feed(piece);
        }
        echo.flush();
        let lines = seen.lock().unwrap().clone();
        lines
    }

    #[test]
    fn lines_are_shown_whole_and_redacted_even_when_read_in_pieces() {
        let input = b"one\nthe answer is hunter2!\nlast without newline";
        for chunk in [1, 3, 7, 1000] {
            assert_eq!(
                echoed("hunter2", input, chunk),
                ["one", "the answer is <prompt pw>!", "last without newline"],
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn a_very_long_line_is_shortened_and_the_next_one_shown() {
        let mut input = vec![b'x'; 3 * LOG_KEEP];
        input.extend_from_slice(b"\nnext\n");
        let lines = echoed("hunter2", &input, 4096);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].ends_with("(line shortened)"), "{}", lines[0].len());
        assert_eq!(lines[1], "next");
    }
}
