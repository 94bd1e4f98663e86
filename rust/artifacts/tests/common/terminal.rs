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
        let command = format!("{} --flake {} {args}", super::BIN, f.root().display());
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
