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
