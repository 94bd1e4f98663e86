//! Running one node's generator in a private directory: prompts in,
//! exactly the declared files out, a bounded and redacted log, a timeout.

use crate::interrupt::{self, ChildGuard};
use crate::plan::Node;
use crate::prompts::Answer;
use crate::redact::Redactor;
use crate::sandbox::Sandbox;
use crate::secret_dir::SecretDir;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// How much of a generator's output is kept for an error message: the end
/// matters, and a generator printing a gigabyte must not cost a gigabyte.
const LOG_KEEP: usize = 64 * 1024;
const LOG_LINES: usize = 20;
const LOG_LINE_CHARS: usize = 400;

/// The program to run for a generator's store path: the file itself, or the
/// one program in a package's `bin/`.
pub fn resolve_program(path: &Path) -> Result<PathBuf, String> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    let bin = path.join("bin");
    let programs: Vec<PathBuf> = std::fs::read_dir(&bin)
        .map_err(|_| {
            format!(
                "the generator {} is neither an executable file nor a package with a bin/ folder",
                path.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    match programs.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "the generator package {} has {} programs in bin/, expected exactly one",
            path.display(),
            programs.len()
        )),
    }
}

/// A generator's files, in a private directory removed when dropped.
pub struct Output {
    dir: SecretDir,
}

impl Output {
    /// The folder holding exactly the declared files.
    pub fn files(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// An empty output to fill by other means (e.g. decrypting stored files).
    pub fn empty() -> Result<Output, String> {
        let dir = SecretDir::new()
            .map_err(|e| format!("cannot create a private temporary directory: {e}"))?;
        std::fs::create_dir(dir.path().join("out"))
            .map_err(|e| format!("cannot prepare a private directory: {e}"))?;
        Ok(Output { dir })
    }
}

/// Runs `program` for `node` with its prompt `answers` and its
/// dependencies' files (`inputs`: dependency name → folder of its files);
/// stops it after `timeout`. `show` (`--verbose`) gets its output line by
/// line as it comes, redacted.
#[allow(clippy::too_many_arguments)]
pub fn run(
    node: &Node,
    program: &Path,
    answers: &BTreeMap<String, Answer>,
    inputs: &[(&str, PathBuf)],
    sandbox: &Sandbox,
    timeout: Option<Duration>,
    show: Option<Show<'_>>,
) -> Result<Output, String> {
    let output = Output::empty()?;
    let out = output.files();
    let prompts = output.dir.path().join("prompts");
    std::fs::create_dir(&prompts)
        .map_err(|e| format!("cannot prepare {}: {e}", prompts.display()))?;
    for (name, value) in answers {
        std::fs::write(prompts.join(name), value.as_slice())
            .map_err(|e| format!("cannot write prompt {name}: {e}"))?;
    }
    // `$in/<dependency>/<file>`: copies in this private directory, so the
    // generator cannot touch the originals its dependents also read.
    let in_dir = output.dir.path().join("in");
    for (name, files) in inputs {
        copy_files(files, &in_dir.join(name))
            .map_err(|e| format!("cannot prepare $in/{name}: {e}"))?;
    }
    let vars = [
        ("machine", node.scope.name.as_str()),
        ("artifact", node.artifact.name.as_str()),
    ];
    // One pipe for stdout and stderr: the log keeps their order.
    let (reader, writer) = std::io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
    let writer_too = writer
        .try_clone()
        .map_err(|e| format!("cannot create a pipe: {e}"))?;
    let in_dir = (!inputs.is_empty()).then_some(in_dir.as_path());
    let mut command = sandbox.command(program, &out, &prompts, in_dir, &vars);
    command
        .stdin(Stdio::null())
        .stdout(writer_too)
        .stderr(writer)
        .process_group(0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the generator {}: {e}", program.display()))?;
    drop(command); // closes our ends of the pipe, so the log ends with the generator
    let pid = child.id();
    let _guard = ChildGuard::register(pid);
    let redactor = Redactor::new(answers.iter().map(|(n, a)| (n, a.as_slice())));
    let echo = show.map(|show| Echo::new(show, &redactor));
    let (status, log) = std::thread::scope(|s| {
        let log = s.spawn(|| Tail::read_echoing(reader, echo));
        let status = wait(&mut child, timeout);
        // Whatever the generator left running in its process group goes too.
        unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
        (status, log.join().unwrap_or_default())
    });
    let status = status.map_err(|e| format!("the generator did not finish: {e}"))?;
    if interrupt::interrupted() {
        return Err("interrupted".into());
    }
    let shown = || log.show(&redactor);
    let Some(status) = status else {
        return Err(format!(
            "the generator did not finish within {} and was stopped{}\n  hint: make it faster or raise the limit with --timeout SECONDS; nothing was stored and earlier files are unchanged",
            human(timeout.unwrap_or_default()),
            shown()
        ));
    };
    if !status.success() {
        return Err(format!(
            "the generator failed ({status}){}\n  hint: fix the generator; nothing was stored and earlier files are unchanged",
            shown()
        ));
    }
    let declared: BTreeSet<&str> = node.artifact.files.keys().map(String::as_str).collect();
    check_outputs(&out, &declared, &node.artifact.name, "nothing was stored")?;
    Ok(output)
}

fn copy_files(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(())
}

/// Waits for `child`; `None` when `timeout` passed first (it was killed).
pub(crate) fn wait(
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

pub(crate) fn human(d: Duration) -> String {
    match d.as_secs() {
        s if s % 60 == 0 && s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// Checks `$out` holds exactly the `declared` files of `artifact`, each a
/// regular file; `outcome` says what a failure left (e.g. "nothing was
/// stored"). Nothing is read: the files are streamed on afterwards. The
/// dummy backend's command on the machine checks with the same rule.
pub(crate) fn check_outputs(out: &Path, declared: &BTreeSet<&str>, artifact: &str, outcome: &str) -> Result<(), String> {
    let mut written = BTreeSet::new();
    for entry in std::fs::read_dir(out).map_err(|e| format!("cannot read $out: {e}"))? {
        let entry = entry.map_err(|e| format!("cannot read $out: {e}"))?;
        written.insert(entry.file_name().to_string_lossy().into_owned());
    }
    let written: BTreeSet<&str> = written.iter().map(String::as_str).collect();
    if written != *declared {
        return Err(format!(
            "the generator wrote [{}] but the declared files are [{}] (missing: [{}], not declared: [{}])\n  hint: make the generator write exactly the files declared in artifacts.store.{artifact}.files; {outcome}",
            join(&written),
            join(declared),
            join(declared.difference(&written)),
            join(written.difference(declared)),
        ));
    }
    for name in declared {
        // Not `is_file`: a symlink could make the CLI read and store any file.
        let regular = std::fs::symlink_metadata(out.join(name)).is_ok_and(|m| m.file_type().is_file());
        if !regular {
            return Err(format!(
                "$out/{name} is not a regular file (a folder or a symlink?)\n  hint: the generator must write the file's content itself; {outcome}"
            ));
        }
    }
    Ok(())
}

fn join<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The end of a generator's output: at most [`LOG_KEEP`] bytes are kept.
#[derive(Default)]
pub(crate) struct Tail {
    bytes: Vec<u8>,
    dropped: u64,
}

impl Tail {
    pub(crate) fn read(reader: impl Read) -> Tail {
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
    pub(crate) fn show(&self, redactor: &Redactor) -> String {
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
struct Echo<'a> {
    show: Show<'a>,
    redactor: &'a Redactor,
    line: Vec<u8>,
    /// The rest of a line too long to keep is being skipped.
    skipping: bool,
}

impl<'a> Echo<'a> {
    fn new(show: Show<'a>, redactor: &'a Redactor) -> Echo<'a> {
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
