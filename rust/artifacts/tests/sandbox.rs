//! What a generator can see and touch under bubblewrap: no network, a clean
//! environment, no home directory, nothing writable but `$out`.

mod common;
use common::Fixture;

#[test]
fn generators_are_isolated() {
    let flake = r#"
    nixosConfigurations.alpha = machine "alpha" {
      probe = {
        files.report = { };
        generator = gen "probe" ''
          {
            echo "env: $(env | cut -d= -f1 | sort | tr '\n' ' ')"
            echo "interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
            if ls /root >/dev/null 2>&1 || ls /home/* >/dev/null 2>&1; then echo "home: visible"; else echo "home: hidden"; fi
            if echo x > "@FLAKE@/escape" 2>/dev/null; then echo "flake: writable"; else echo "flake: read-only or absent"; fi
            if echo x > /usr/escape 2>/dev/null; then echo "usr: writable"; else echo "usr: read-only"; fi
            if [ -e /etc/shadow ]; then echo "shadow: visible"; else echo "shadow: absent"; fi
          } > "$out/report"
        '';
      };
    };
"#;
    let f = Fixture::new("");
    f.write_flake(&flake.replace("@FLAKE@", &f.root().display().to_string()));
    f.run(&["generate"]).ok();
    let report =
        String::from_utf8(f.age_decrypt("machines/alpha/probe/report.age", "alpha")).unwrap();
    let line = |key: &str| {
        report
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}: ")))
            .unwrap_or_else(|| panic!("no {key} in {report}"))
            .trim()
            .to_string()
    };
    assert_eq!(
        line("env"),
        "HOME PATH PWD TMPDIR artifact machine out prompts",
        "only the documented variables (PWD is the shell's own)"
    );
    assert_eq!(line("interfaces"), "lo", "no network but loopback");
    assert_eq!(line("home"), "hidden");
    assert_eq!(line("flake"), "read-only or absent");
    assert_eq!(line("usr"), "read-only");
    assert_eq!(line("shadow"), "absent");
    assert!(!f.root().join("escape").exists());
}

/// What a generator sees of the host is made of few mounts (each costs
/// bwrap a mount and a read of the mount table, for every generator of a
/// run): `/etc` is one bind of a folder the run prepared, our files and the
/// host files in it are no mounts of their own, host folders under it are
/// bound where present; a host's `/bin` that links into `/usr` is that
/// link; an empty `$prompts` and the working folder are the sandbox's own.
/// What the generator reads is the same as before.
#[test]
fn the_host_is_shown_through_few_mounts_and_reads_the_same() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      probe = {
        files.report.secret = false;
        files.ldcache.secret = false;
        files.opensslcnf.secret = false;
        generator = gen "probe" ''
          {
            echo "mounts: $(cut -d' ' -f5 /proc/self/mountinfo | tr '\n' ' ')"
            echo "bin: $(readlink /bin || echo folder)"
            p=read-only; if ( : > "$prompts/x" ) 2>/dev/null; then p=writable; fi
            echo "prompts: $(ls -A "$prompts" | wc -l) $p"
            w=read-only; if ( : > ./x ) 2>/dev/null; then w=writable; rm ./x; fi
            echo "work: $(pwd) $(ls -A | wc -l) $w"
          } > "$out/report"
          cat /etc/ld.so.cache > "$out/ldcache" 2>/dev/null || :
          cat /etc/ssl/openssl.cnf > "$out/opensslcnf" 2>/dev/null || :
        '';
      };
    };
"#,
    );
    f.run(&["generate"]).ok();
    let stored = |name: &str| std::fs::read(f.stored(&format!("machines/alpha/probe/{name}")));
    let report = String::from_utf8(stored("report").unwrap()).unwrap();
    let line = |key: &str| {
        report
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}: ")))
            .unwrap_or_else(|| panic!("no {key} in {report}"))
            .trim()
            .to_string()
    };
    let host_folders = [
        "/etc/ssl/certs",
        "/etc/ca-certificates/extracted",
        "/etc/pki/tls/certs",
        "/etc/pki/ca-trust/extracted",
        "/etc/crypto-policies/back-ends",
        "/etc/alternatives",
    ];
    let mounts = line("mounts");
    let under_etc: Vec<&str> = mounts
        .split_whitespace()
        .filter(|m| *m == "/etc" || m.starts_with("/etc/"))
        .collect();
    assert_eq!(under_etc.first(), Some(&"/etc"), "{report}");
    for mount in &under_etc[1..] {
        assert!(
            host_folders.contains(mount),
            "{mount} is a mount of its own: {report}"
        );
    }
    assert!(
        !mounts.split_whitespace().any(|m| m == "/artifact/prompts"),
        "an empty $prompts needs no mount: {report}"
    );
    match std::fs::read_link("/bin") {
        Ok(target) => assert_eq!(line("bin"), target.to_string_lossy(), "{report}"),
        Err(_) => assert_eq!(line("bin"), "folder", "{report}"),
    }
    assert_eq!(line("prompts"), "0 read-only");
    assert_eq!(line("work"), "/tmp/work 0 writable");
    for scratch in ["/nix/var", "/artifact/work"] {
        assert!(
            !mounts.split_whitespace().any(|m| m == scratch),
            "{scratch} is on the private /tmp, no mount of its own: {report}"
        );
    }
    let host = |path: &str| std::fs::read(path).unwrap_or_default();
    assert!(
        stored("ldcache").unwrap() == host("/etc/ld.so.cache"),
        "/etc/ld.so.cache reads as the host's"
    );
    assert!(
        stored("opensslcnf").unwrap() == host("/etc/ssl/openssl.cnf"),
        "/etc/ssl/openssl.cnf reads as the host's"
    );
    assert!(
        f.leftovers().is_empty(),
        "the run's /etc is removed: {:?}",
        f.leftovers()
    );
}

/// A descriptor the caller left open (without close-on-exec) reaches
/// neither bwrap nor the generator.
#[test]
fn a_descriptor_the_caller_left_open_does_not_reach_the_generator() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      probe = {
        files.fds.secret = false;
        generator = gen "probe" ''ls /proc/self/fd | tr '\n' ' ' > "$out/fds"'';
      };
    };
"#,
    );
    let open = std::fs::File::open("/dev/null").unwrap();
    let fd = open.as_raw_fd();
    let mut cmd = f.command(&["generate"]);
    // SAFETY: dup2 is async-signal-safe; the copy has no close-on-exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(fd, 9) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fds = std::fs::read_to_string(f.stored("machines/alpha/probe/fds")).unwrap();
    assert_eq!(fds, "0 1 2 3 ", "3 is ls's own");
}

/// Run from a terminal, the CLI's generators still cannot reach it: a
/// generator that could open `/dev/tty` could push keystrokes into the
/// user's shell (TIOCSTI). Opening it fails as it does in a session
/// without a terminal.
#[test]
fn a_generator_cannot_reach_the_callers_terminal() {
    assert_eq!(tty_probe(true), "unreachable\n");
}

/// Without a terminal (CI, cron), the sandbox does not hide `/dev/tty`
/// (a mount fewer per generator): there is none to reach.
#[test]
fn without_a_terminal_there_is_none_to_reach() {
    assert_eq!(tty_probe(false), "unreachable\n");
}

/// What a generator finds opening `/dev/tty`, the CLI run in a session of
/// its own, with a new pseudo-terminal as its terminal or without one.
fn tty_probe(with_terminal: bool) -> String {
    use std::os::unix::process::CommandExt;
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      probe = {
        files.tty.secret = false;
        generator = gen "probe" ''
          if ( exec 3<>/dev/tty ) 2>/dev/null; then echo reachable > "$out/tty"; else echo unreachable > "$out/tty"; fi
        '';
      };
    };
"#,
    );
    // The CLI in a session of its own whose controlling terminal is a
    // new pseudo-terminal, as when run from a terminal.
    let (mut leader, mut follower) = (0, 0);
    // SAFETY: openpty fills two descriptors; the null pointers ask for defaults.
    let opened = unsafe {
        libc::openpty(
            &mut leader,
            &mut follower,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    let mut cmd = f.command(&["generate"]);
    // SAFETY: setsid and ioctl are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0
                || (with_terminal && libc::ioctl(follower, libc::TIOCSCTTY, 0) < 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let out = cmd.output().unwrap();
    unsafe {
        libc::close(leader);
        libc::close(follower);
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(f.stored("machines/alpha/probe/tty")).unwrap()
}
