//! The CLI on a real terminal: `script` gives it a pseudo-terminal and a
//! test answers each question when it appears, as a person would.

use super::Fixture;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Terminal {
    child: Child,
    screen: Arc<Mutex<Vec<u8>>>,
    seen: usize,
}

impl Terminal {
    pub fn start(f: &Fixture, args: &str) -> Terminal {
        Terminal::start_with(f, args, &[])
    }

    /// [`Terminal::start`] with more environment variables.
    pub fn start_with(f: &Fixture, args: &str, envs: &[(&str, &OsStr)]) -> Terminal {
        // A known width: the live display fills lines up to it and relies
        // on the terminal wrapping there (see `visible`).
        let command = format!(
            "stty cols {WIDTH} rows 40; {} --flake {} {args}",
            super::BIN,
            f.root().display()
        );
        let mut child = Command::new("script")
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .envs(envs.iter().copied())
            .env("TMPDIR", &f.tmp)
            .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("`script` (util-linux) is installed");
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut out = child.stdout.take().unwrap();
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal {
            child,
            screen,
            seen: 0,
        }
    }

    /// Waits until `text` appears after what was already answered
    /// (terminal control sequences left out).
    pub fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = plain(&self.screen.lock().unwrap());
            if let Some(at) = screen[self.seen..].find(text) {
                self.seen += at + text.len();
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn type_in(&mut self, keys: &[u8]) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys).unwrap();
        stdin.flush().unwrap();
    }

    /// The exit code and everything shown (control sequences left out).
    pub fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let screen = plain(&self.screen.lock().unwrap());
        (status.code().unwrap_or(-1), screen)
    }
}

impl Terminal {
    /// Like [`Terminal::finish`], failing if the run has not ended within
    /// `limit` (killing it).
    pub fn finish_within(mut self, limit: Duration) -> (i32, String) {
        let deadline = Instant::now() + limit;
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let screen = plain(&self.screen.lock().unwrap());
                panic!("still running after {limit:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.finish()
    }
}

impl Terminal {
    /// What is shown after the first `text` (control sequences left out).
    pub fn after(&self, text: &str) -> String {
        let screen = plain(&self.screen.lock().unwrap());
        let at = screen
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} not shown:\n{screen}"));
        screen[at + text.len()..].to_string()
    }

    /// The exit code and the lines a terminal would still show at the end:
    /// what was drawn and not erased again.
    pub fn finish_visible(self, limit: Duration) -> (i32, Vec<String>) {
        let screen = self.screen.clone();
        let (code, _) = self.finish_within(limit);
        let shown = visible(&screen.lock().unwrap());
        (code, shown)
    }
}

/// The terminal's width in columns.
pub const WIDTH: usize = 100;

/// A terminal's final screen: the bytes interpreted with the cursor moves
/// and erasures the live display uses (`\r`, `\n`, `ESC[nA`/`B`/`C`/`D`/`G`,
/// `ESC[K`, `ESC[J`) and wrapping at [`WIDTH`] as terminals do (a character
/// after the last column starts the next line); other sequences (colours,
/// cursor visibility) are ignored. Lines are never scrolled away.
pub fn visible(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if col >= WIDTH && !matches!(c, '\r' | '\n' | '\x1b') {
            row += 1;
            col = 0;
        }
        match c {
            '\x1b' if chars.peek() == Some(&'[') => {
                chars.next();
                let mut param = String::new();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        last = c;
                        break;
                    }
                    param.push(c);
                }
                let n: usize = param.parse().unwrap_or(1).max(1);
                match last {
                    'A' => row = row.saturating_sub(n),
                    'B' => row += n,
                    'C' => col = (col + n).min(WIDTH - 1),
                    'D' => col = col.min(WIDTH - 1).saturating_sub(n),
                    'G' => col = n - 1,
                    'K' => {
                        lines.resize(lines.len().max(row + 1), Vec::new());
                        let line = &mut lines[row];
                        match param.as_str() {
                            "2" => line.clear(),
                            "1" => line.iter_mut().take(col + 1).for_each(|c| *c = ' '),
                            _ => line.truncate(col),
                        }
                    }
                    'J' => {
                        lines.resize(lines.len().max(row + 1), Vec::new());
                        lines[row].truncate(col);
                        lines.truncate(row + 1);
                    }
                    _ => {}
                }
            }
            '\x1b' => {
                chars.next();
            }
            '\r' => col = 0,
            '\n' => row += 1,
            '\x07' | '\x08' => {}
            c => {
                lines.resize(lines.len().max(row + 1), Vec::new());
                let line = &mut lines[row];
                if line.len() <= col {
                    line.resize(col, ' ');
                    line.push(c);
                } else {
                    line[col] = c;
                }
                col += 1;
            }
        }
    }
    lines
        .into_iter()
        .map(|l| l.into_iter().collect::<String>().trim_end().to_string())
        .collect()
}

/// What a terminal shows as text: control sequences (colours, cursor
/// moves, line clearing) removed, carriage returns as line breaks.
fn plain(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    // Parameters, then one final byte in @..~.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\r' => out.push('\n'),
            c => out.push(c),
        }
    }
    out
}
