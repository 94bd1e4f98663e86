//! Running a child program the way every runner here needs it (the
//! generators, on the machine too, and script backends): in a process group
//! of its own (killed on interrupt, and with whatever it left running when
//! it ends), stdout and stderr in one pipe whose end is kept (bounded) for
//! error messages and optionally shown line by line, and a timeout.

use crate::interrupt::ChildGuard;
use crate::redact::Redactor;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

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

/// Runs `command` to the end (or `timeout`), its output kept in a [`Tail`]
/// and, with `echo`, shown line by line as it comes. The error is the
/// spawn's (or, rarely, the wait's).
pub fn run(
    mut command: Command,
    timeout: Option<Duration>,
    echo: Option<Echo>,
) -> std::io::Result<Ended> {
    // One pipe for stdout and stderr: the log keeps their order.
    let (reader, writer) = std::io::pipe()?;
    command
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0);
    let mut child = command.spawn()?;
    drop(command); // closes our ends of the pipe, so the log ends with the child
    let pid = child.id();
    let _guard = ChildGuard::register(pid);
    let (status, log) = std::thread::scope(|s| {
        let log = s.spawn(|| Tail::read_echoing(reader, echo));
        let status = wait(&mut child, timeout);
        // Whatever it left running in its process group goes too.
        unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
        (status, log.join().unwrap_or_default())
    });
    Ok(Ended {
        status: status?,
        log,
    })
}

/// Waits for `child`; `None` when `timeout` passed first (it was killed).
fn wait(
    child: &mut std::process::Child,
    timeout: Option<Duration>,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let Some(timeout) = timeout else {
        return child.wait().map(Some);
    };
    let pid = child.id() as i32;
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let expired =
            finished.recv_timeout(timeout) == Err(std::sync::mpsc::RecvTimeoutError::Timeout);
        if expired {
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
        expired
    });
    let status = child.wait();
    drop(done);
    let expired = watchdog.join().unwrap_or(false);
    status.map(|s| (!expired).then_some(s))
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
    pub fn read(reader: impl Read) -> Tail {
        Tail::read_echoing(reader, None)
    }

    /// Reads to the end, keeping the tail, and shows every line to `echo`.
    fn read_echoing(mut reader: impl Read, mut echo: Option<Echo>) -> Tail {
        let mut tail = Tail::default();
        let mut chunk = vec![0; 16 * 1024];
        while let Ok(n) = reader.read(&mut chunk) {
            if n == 0 {
                break;
            }
            if let Some(echo) = &mut echo {
                echo.feed(&chunk[..n]);
            }
            tail.bytes.extend_from_slice(&chunk[..n]);
            if tail.bytes.len() > 2 * LOG_KEEP {
                let cut = tail.bytes.len() - LOG_KEEP;
                tail.bytes.drain(..cut);
                tail.dropped += cut as u64;
            }
        }
        if let Some(echo) = &mut echo {
            echo.flush();
        }
        tail
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
