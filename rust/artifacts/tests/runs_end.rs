//! Runs that always end: a child's timeout bounds the whole run whatever
//! its descendants do with the output pipe (and they are stopped), and a
//! child that exits ends its run even when a descendant that left its
//! process group (`setsid`) still holds the pipe (such a daemon may live
//! on, as BACKEND_GUIDE.md promises). Each test's stray process is found
//! by a sleep duration no other test uses.

mod common;
use common::{processes_matching, script_backend, Fixture};
use std::time::{Duration, Instant};

/// Runs `args` in `f`, returning the run and how long it took.
fn timed(f: &Fixture, args: &[&str]) -> (common::Run, Duration) {
    let started = Instant::now();
    let run = f.run(args);
    (run, started.elapsed())
}

/// Gives killed processes a moment to disappear, then lists those left.
fn strays(marker: &str) -> Vec<String> {
    std::thread::sleep(Duration::from_millis(300));
    processes_matching(marker)
}

/// A child that left the process group and outlived the run it came
/// from: it is there (a daemon may live on), and this test ends it. (The
/// scripts wait a second after starting it: killed before its `setsid`,
/// it would still be in the group.)
fn outlived(marker: &str) {
    let left = processes_matching(marker);
    assert_eq!(left.len(), 1, "{left:?}");
    for line in left {
        let pid: i32 = line.split_whitespace().next().unwrap().parse().unwrap();
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

#[test]
fn a_generator_timeout_holds_when_an_escaped_child_keeps_the_pipe() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      slow = { files.k = { }; generator = gen "slow" "setsid sleep 71.31 & sleep 70"; };
    };
"#,
    );
    let (run, took) = timed(&f, &["generate", "--no-sandbox", "--timeout", "5"]);
    let run = run.fails();
    assert!(
        run.stderr().contains("did not finish within 5 s"),
        "{}",
        run.all()
    );
    assert!(took < Duration::from_secs(25), "took {took:?}");
    assert_eq!(strays("sleep 71.31"), Vec::<String>::new());
    // The lock is free: the next run starts at once.
    f.run(&["check"]);
}

#[test]
fn a_generator_that_exits_ends_the_run_though_its_escaped_child_holds_the_pipe() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      quick = { files.k = { }; generator = gen "quick" "setsid sleep 72.41 & sleep 1; echo k > $out/k"; };
    };
"#,
    );
    let (run, took) = timed(&f, &["generate", "--no-sandbox"]);
    run.ok();
    assert!(took < Duration::from_secs(30), "took {took:?}");
    outlived("sleep 72.41");
}

#[test]
fn a_script_backend_timeout_holds_when_an_escaped_child_keeps_the_pipe() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      b = { backend = "slow"; files.k = { }; generator = gen "b" "echo k > $out/k"; };
    };
"#,
    );
    script_backend(
        &f,
        "slow",
        "timeout = 3",
        "setsid sleep 73.51 & sleep 70",
        "exit 0",
        "exit 0",
    );
    let (run, took) = timed(&f, &["generate"]);
    let run = run.fails();
    assert!(
        run.stderr().contains("did not finish within 3 s"),
        "{}",
        run.all()
    );
    assert!(took < Duration::from_secs(25), "took {took:?}");
    assert_eq!(strays("sleep 73.51"), Vec::<String>::new());
}

#[test]
fn a_serialize_script_that_exits_ends_the_run_though_its_escaped_child_holds_the_pipe() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      b = { backend = "held"; files.k = { }; generator = gen "b" "echo k > $out/k"; };
    };
"#,
    );
    script_backend(
        &f,
        "held",
        "timeout = 60",
        "exit 1",
        "setsid sleep 74.61 & sleep 1",
        "exit 0",
    );
    let (run, took) = timed(&f, &["generate"]);
    run.ok();
    assert!(took < Duration::from_secs(30), "took {took:?}");
    outlived("sleep 74.61");
}
