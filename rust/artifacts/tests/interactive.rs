//! Prompts on a real terminal: `script` gives the CLI a pseudo-terminal and
//! the test answers each question when it appears, as a person would.

mod common;
use common::Fixture;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Terminal {
    child: Child,
    screen: Arc<Mutex<Vec<u8>>>,
    seen: usize,
}

impl Terminal {
    fn start(f: &Fixture, args: &str) -> Terminal {
        let command = format!("{} --flake {} {args}", common::BIN, f.root().display());
        let mut child = Command::new("script")
            .args(["-q", "-e", "-c", &command, "/dev/null"])
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

    /// Waits until `text` appears after what was already answered.
    fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen.lock().unwrap().clone();
            let tail = String::from_utf8_lossy(&screen[self.seen..]).into_owned();
            if let Some(at) = tail.find(text) {
                self.seen += tail[..at + text.len()].len();
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?}; screen:\n{}",
                String::from_utf8_lossy(&screen)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn type_in(&mut self, keys: &[u8]) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys).unwrap();
        stdin.flush().unwrap();
    }

    fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let screen = String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned();
        (status.code().unwrap_or(-1), screen)
    }
}

#[test]
fn every_prompt_type_is_asked_up_front_on_the_terminal() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      login = {
        files.all = { };
        prompts.name = { description = "user name"; type = "line"; };
        prompts.notes = { description = "notes"; type = "multiline"; };
        prompts.pw = { description = "password"; type = "hidden"; };
        generator = gen "login" ''
          { cat "$prompts/name"; echo "|"; cat "$prompts/notes"; echo "|"; cat "$prompts/pw"; } > "$out/all"
        '';
      };
    };
"#,
    );
    let mut t = Terminal::start(&f, "generate");
    t.expect("user name: ");
    t.type_in("ålice\n".as_bytes());
    t.expect("notes (end with Ctrl-D");
    t.type_in(b"line one\nline two\n\x04");
    t.expect("password (hidden): ");
    t.type_in(b"first-try\n");
    t.expect("again to confirm: ");
    t.type_in(b"typo\n");
    t.expect("differ");
    t.expect("password (hidden): ");
    t.type_in(b"hunter2-secret\n");
    t.expect("again to confirm: ");
    t.type_in(b"hunter2-secret\n");
    // Generation starts only after the last answer.
    t.expect("alpha/login: generating");
    let (code, screen) = t.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(
        !screen.contains("hunter2-secret"),
        "hidden answers are not echoed:\n{screen}"
    );
    let stored = f.age_decrypt("machines/alpha/login/all.age", "alpha");
    // line: no newline kept; multiline: exactly what was typed; hidden: no newline.
    assert_eq!(
        String::from_utf8(stored).unwrap(),
        "ålice|\nline one\nline two\n|\nhunter2-secret"
    );
}
