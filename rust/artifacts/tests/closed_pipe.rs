//! Output to a reader that went away (`artifacts generate 2>&1 | head`)
//! and SIGTERM: the run neither panics nor hangs, finishes its work,
//! releases the store lock and exits with the code its work deserves.

mod common;
use common::{processes_matching, Fixture};
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

/// Five artifacts whose generators print 30 lines each: plenty of output
/// with `--verbose`.
const CHATTY: &str = r#"
    nixosConfigurations.alpha = machine "alpha" (builtins.listToAttrs (map (n: {
      name = "a${toString n}";
      value = { files.k = { }; generator = gen "a${toString n}" "for i in $(seq 30); do echo line $i; done; echo k > $out/k"; };
    }) [ 1 2 3 4 5 ]));
"#;

/// Runs `args` with stdout and stderr into one pipe whose reader reads
/// `lines` lines and closes it, as `2>&1 | head -n LINES` does; returns
/// the exit code and how long the run took.
fn into_head(f: &Fixture, args: &[&str], lines: usize) -> (i32, Duration) {
    let (reader, writer) = std::io::pipe().unwrap();
    let mut cmd = f.command(args);
    cmd.stdout(writer.try_clone().unwrap()).stderr(writer);
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    drop(cmd); // our copies of the writing end
    let mut head = BufReader::new(reader);
    for _ in 0..lines {
        let mut line = String::new();
        if head.read_line(&mut line).unwrap() == 0 {
            break;
        }
    }
    drop(head);
    let deadline = started + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), started.elapsed());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running after 60 s with its reader gone");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_closed_pipe_ends_neither_in_a_panic_nor_a_hang() {
    for lines in [5, 12, 0] {
        let f = Fixture::new(CHATTY);
        let (code, _) = into_head(&f, &["generate", "--verbose", "--jobs", "1"], lines);
        assert_eq!(code, 0, "head -{lines}: the work succeeded");
        // The lock is free and everything was stored and added to git.
        f.run(&["check"]).ok();
        assert_eq!(f.run(&["generate"]).ok().code(), 0);
        let (code, _) = into_head(&f, &["list"], lines);
        assert_ne!(code, 101, "list | head -{lines}");
        let (code, _) = into_head(&f, &["check"], lines.min(1));
        assert_eq!(code, 0, "check | head");
    }
}

#[test]
fn sigterm_ends_a_run_whose_generator_left_a_child_holding_the_pipe() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      slow = { files.k = { }; generator = gen "slow" "setsid sleep 76.21 & sleep 70"; };
    };
"#,
    );
    let mut child = f
        .command(&["generate", "--no-sandbox"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Until the generator runs.
    let deadline = Instant::now() + Duration::from_secs(30);
    while processes_matching("sleep 76.21").is_empty() {
        assert!(Instant::now() < deadline, "the generator never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = sent + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running 20 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(processes_matching("sleep 76.21"), Vec::<String>::new());
    f.run(&["check"]).fails(); // the lock is free; nothing was stored
}
