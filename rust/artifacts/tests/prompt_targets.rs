//! `--prompt` and `--prompt-stdin` targets: the dotted form is split by the
//! declared names (which may hold dots), the slash form is exact, an
//! ambiguous or unknown target stops the run before anything is stored;
//! `--identity` and `$SOPS_AGE_KEY_FILE` naming no file are said.

mod common;
use common::Fixture;

const DOTTED: &str = r#"
    nixosConfigurations.alpha = machine "alpha" {
      "wifi.home" = { files.psk = { }; prompts.psk = { }; generator = gen "wifi" ''cat "$prompts/psk" > "$out/psk"''; };
      "artifact.one" = { files.v = { }; prompts."p.q" = { }; generator = gen "one" ''cat "$prompts/p.q" > "$out/v"''; };
    };
"#;

#[test]
fn dotted_targets_split_by_the_declared_names_and_slash_targets_work() {
    let f = Fixture::new(DOTTED);
    f.run_with_stdin(
        &[
            "generate",
            "--prompt",
            "wifi.home.psk=secret1",
            "--prompt-stdin",
            "alpha/artifact.one/p.q",
        ],
        b"secret2",
    )
    .ok();
    assert_eq!(
        f.age_decrypt("machines/alpha/wifi.home/psk.age", "alpha"),
        b"secret1"
    );
    assert_eq!(
        f.age_decrypt("machines/alpha/artifact.one/v.age", "alpha"),
        b"secret2"
    );

    // The dotted form with a machine, and a dotted prompt name.
    let f = Fixture::new(DOTTED);
    f.run(&[
        "generate",
        "--prompt",
        "alpha/wifi.home.psk=a",
        "--prompt",
        "artifact.one.p.q=b",
    ])
    .ok();
    assert_eq!(
        f.age_decrypt("machines/alpha/wifi.home/psk.age", "alpha"),
        b"a"
    );
    assert_eq!(
        f.age_decrypt("machines/alpha/artifact.one/v.age", "alpha"),
        b"b"
    );
}

#[test]
fn the_hint_for_an_unanswered_prompt_uses_the_slash_form() {
    let f = Fixture::new(DOTTED);
    let run = f
        .run(&["generate", "--prompt", "alpha/wifi.home/psk=x"])
        .fails();
    let all = run.all();
    assert!(
        all.contains("--prompt-stdin alpha/artifact.one/p.q (the value on standard input) or --prompt alpha/artifact.one/p.q=VALUE"),
        "{all}"
    );
    assert!(f.snapshot().is_empty(), "nothing stored:\n{all}");
}

#[test]
fn an_ambiguous_dotted_target_lists_the_candidates() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" {
          a = { files.v = { }; prompts."b.c" = { }; generator = gen "a" ''cat "$prompts/b.c" > "$out/v"''; };
          "a.b" = { files.v = { }; prompts.c = { }; generator = gen "ab" ''cat "$prompts/c" > "$out/v"''; };
        };"#,
    );
    let run = f.run(&["generate", "--prompt", "a.b.c=x"]);
    let all = run.all();
    assert_eq!(run.code(), 2, "{all}");
    assert!(
        all.contains("`a.b.c` is ambiguous: it can mean `a/b.c` or `a.b/c`"),
        "{all}"
    );
    assert!(all.contains("MACHINE/ARTIFACT/PROMPT"), "{all}");
    assert!(f.snapshot().is_empty(), "nothing stored:\n{all}");
    // The slash form settles it.
    f.run(&[
        "generate",
        "--prompt",
        "alpha/a/b.c=1",
        "--prompt",
        "alpha/a.b/c=2",
    ])
    .ok();
    assert_eq!(f.age_decrypt("machines/alpha/a/v.age", "alpha"), b"1");
    assert_eq!(f.age_decrypt("machines/alpha/a.b/v.age", "alpha"), b"2");
}

#[test]
fn a_target_naming_no_prompt_stops_the_run_with_the_name_meant() {
    let f = Fixture::new(DOTTED);
    let run = f.run(&[
        "generate",
        "--prompt",
        "wifi.home.psk=x",
        "--prompt",
        "artifact.one.p.q=y",
        "--prompt",
        "wifi.home.pks=typo",
    ]);
    let all = run.all();
    assert_eq!(run.code(), 2, "{all}");
    assert!(
        all.contains("`wifi.home.pks` names no prompt of this run; did you mean `wifi.home.psk`?"),
        "{all}"
    );
    assert!(f.snapshot().is_empty(), "nothing stored:\n{all}");
}

#[test]
fn an_identity_that_is_no_file_is_an_error_naming_it() {
    let f = Fixture::new(DOTTED);
    for command in ["rekey", "generate", "show"] {
        let mut args = vec![command, "-i", "/nonexistent/key"];
        if command == "show" {
            args.push("alpha/wifi.home");
        }
        let run = f.run(&args);
        let all = run.all();
        assert_eq!(run.code(), 2, "{command}: {all}");
        assert!(
            all.contains("error: --identity /nonexistent/key: no such file"),
            "{command}: {all}"
        );
    }
    assert!(f.snapshot().is_empty());
}

#[test]
fn a_sops_age_key_file_naming_no_file_is_a_warning() {
    let f = Fixture::new(DOTTED);
    let missing = f.dir.path().join("no-such-key.txt");
    let run = f
        .command(&["rekey"])
        .env("SOPS_AGE_KEY_FILE", &missing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "warning: SOPS_AGE_KEY_FILE names {}, which is not a file",
            missing.display()
        )),
        "{stderr}"
    );
}
