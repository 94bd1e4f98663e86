//! Interrupts at random points of a `--regenerate` over a dependency chain
//! (a CA, an intermediate it signs, a leaf the intermediate signs, with the
//! real openssl): whatever the signal and the moment, the next `generate`
//! leaves every certificate verifying against its dependency, `check`
//! content and everything stored staged in git, with no plaintext left and
//! the lock released. The seed is printed; `INTERRUPT_SEED` replays a run.

mod common;
use common::{key_path, Fixture, Run};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHAIN: &str = r#"
    nixosConfigurations.alpha = machineWith "alpha" {
      adminRecipients = [ (key "admin") ];
      store = {
        inherit ca;
        server = {
          files.key = { };
          files.cert.secret = false;
          dependencies = [ "ca" ];
          generator = gen "server" ''
            printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n' > /tmp/ext
            openssl req -newkey ed25519 -nodes -keyout $out/key -out /tmp/csr -subj "/CN=server" 2>/dev/null
            openssl x509 -req -in /tmp/csr -CA $in/ca/cert -CAkey $in/ca/key -set_serial 1 -extfile /tmp/ext -out $out/cert -days 30 2>/dev/null
          '';
        };
        client = {
          files.key = { };
          files.cert.secret = false;
          dependencies = [ "server" ];
          generator = gen "client" ''
            openssl req -newkey ed25519 -nodes -keyout $out/key -out /tmp/csr -subj "/CN=client" 2>/dev/null
            openssl x509 -req -in /tmp/csr -CA $in/server/cert -CAkey $in/server/key -set_serial 2 -out $out/cert -days 30 2>/dev/null
          '';
        };
      };
    };
"#;

/// `cert` of `artifact` verifies against `by`'s certificate alone.
#[track_caller]
fn verifies(f: &Fixture, artifact: &str, by: &str, when: &str) {
    let out = Command::new("openssl")
        .args(["verify", "-partial_chain", "-CAfile"])
        .arg(f.stored(&format!("machines/alpha/{by}/cert")))
        .arg(f.stored(&format!("machines/alpha/{artifact}/cert")))
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "{when}: {artifact} does not verify against {by}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Lines of `git status` for stored files git does not hold as they are.
fn unstaged(f: &Fixture) -> Vec<String> {
    let status = Command::new("git")
        .arg("-C")
        .arg(f.root())
        .args([
            "status",
            "--porcelain",
            "--untracked-files=all",
            "artifacts",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&status.stdout)
        .lines()
        .filter(|l| l.as_bytes().get(1).is_some_and(|y| *y != b' '))
        .map(str::to_string)
        .collect()
}

#[test]
fn interrupted_anywhere_a_dependency_chain_ends_consistent_and_staged() {
    let f = Fixture::new(CHAIN);
    let admin = key_path("admin").to_str().unwrap().to_string();
    let started = Instant::now();
    f.run(&["generate"]).ok();
    let span = started.elapsed().as_millis() as u64 + 1;
    let seed: u64 = std::env::var("INTERRUPT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("INTERRUPT_SEED={seed} (a run takes {span} ms)");
    let mut state = seed;
    let mut random = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let mut cut_between = 0;
    for n in 0..50 {
        let signal = [libc::SIGINT, libc::SIGTERM, libc::SIGKILL][random(3) as usize];
        let delay = random(span);
        let when = format!("run {n}: signal {signal} after {delay} ms (seed {seed})");
        let child = f
            .command(&["generate", "--regenerate", "--yes", "--identity", &admin])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        unsafe { libc::kill(child.id() as i32, signal) };
        let run = Run(child.wait_with_output().unwrap());
        if signal != libc::SIGKILL {
            assert!(f.leftovers().is_empty(), "{when}: {:?}", f.leftovers());
        }
        let check = f.run(&["check"]);
        if check.code() != 0 {
            cut_between += 1;
        }
        let recovery = f.run(&["generate", "--identity", &admin]);
        assert_eq!(
            recovery.code(),
            0,
            "{when}:\n{}\nrecovery:\n{}",
            run.all(),
            recovery.all()
        );
        assert!(f.leftovers().is_empty(), "{when}: {:?}", f.leftovers());
        verifies(&f, "server", "ca", &when);
        verifies(&f, "client", "server", &when);
        assert_eq!(unstaged(&f), Vec::<String>::new(), "{when}");
        let check = f.run(&["check"]);
        assert_eq!(check.code(), 0, "{when}: {}", check.all());
    }
    eprintln!("{cut_between} of 50 interrupts left something for the next run to finish");
}
