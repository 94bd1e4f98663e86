//! What `generate` prints without a terminal (CI, pipes, logs): one plain
//! line per event in a stable format scripts can parse, no control
//! sequences, nothing asked; `--quiet` leaves only errors; `--verbose`
//! streams generator output with answers redacted.

mod common;
use common::Fixture;

const TWO: &str = r#"
    nixosConfigurations.alpha = machine "alpha" {
      one = { files.f = { }; generator = gen "one" ''echo one > "$out/f"''; };
      two = { files.f = { }; generator = gen "two" ''echo two > "$out/f"''; };
    };
"#;

#[test]
fn without_a_terminal_every_event_is_one_plain_line() {
    let f = Fixture::new(TWO);
    let run = f.run(&["generate", "--jobs", "1"]).ok();
    let stderr = run.stderr();
    assert!(
        !stderr.contains('\x1b'),
        "no control sequences:\n{stderr:?}"
    );
    let dir = |a: &str| {
        f.root()
            .join("artifacts/machines/alpha")
            .join(a)
            .display()
            .to_string()
    };
    let expected = [
        "alpha/one: generating".to_string(),
        "alpha/one: stored with agenix [1/2]".into(),
        "alpha/two: generating".into(),
        "alpha/two: stored with agenix [2/2]".into(),
        "Stored and added to git (Nix sees only files git tracks; commit them with your configuration):".into(),
        format!("  {}", dir("one")),
        format!("  {}", dir("two")),
        "Generated 2, failed 0, already up to date 0.".into(),
    ];
    assert_eq!(stderr.lines().collect::<Vec<_>>(), expected, "{stderr}");
    assert!(run.stdout().is_empty());
}

#[test]
fn a_failure_is_a_plain_error_line_with_the_count() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      bad = { files.f = { }; generator = gen "bad" ''echo "no luck" >&2; exit 4''; };
    };
"#,
    );
    let run = f.run(&["generate"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    let stderr = run.stderr();
    assert!(
        stderr
            .contains("error: machine alpha, artifact bad: the generator failed (exit status: 4):"),
        "{stderr}"
    );
    assert!(stderr.contains("    | no luck"), "{stderr}");
    assert!(stderr.contains("[1/1]"), "{stderr}");
    assert!(stderr.contains("Generated 0, failed 1"), "{stderr}");
}

#[test]
fn regenerate_without_a_terminal_asks_nothing() {
    let f = Fixture::new(TWO);
    f.run(&["generate"]).ok();
    let before = f.snapshot();
    let run = f.run(&["generate", "--regenerate"]).ok();
    assert!(!run.all().contains("[y/N]"), "{}", run.all());
    assert_ne!(f.snapshot(), before, "rotated");
}

#[test]
fn quiet_prints_only_errors() {
    let f = Fixture::new(TWO);
    let run = f.run(&["generate", "--quiet"]).ok();
    assert_eq!(run.all(), "", "nothing on success");
    assert_eq!(f.age_decrypt("machines/alpha/one/f.age", "alpha"), b"one\n");
    let run = f.run(&["-q", "generate"]).ok();
    assert_eq!(run.all(), "", "nothing to do, nothing said");

    f.write_flake(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      bad = { files.f = { }; generator = gen "bad" ''exit 4''; };
    };
"#,
    );
    let run = f.run(&["generate", "--quiet"]);
    assert_eq!(run.code(), 1);
    let stderr = run.stderr();
    assert!(
        stderr.starts_with("error: machine alpha, artifact bad"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("generating") && !stderr.contains("Generated"),
        "{stderr}"
    );

    let both = f.run(&["generate", "--quiet", "--verbose"]);
    assert_eq!(both.code(), 2, "{}", both.all());
}

#[test]
fn verbose_streams_generator_output_with_answers_redacted() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      login = {
        files.pw = { };
        prompts.pw.type = "hidden";
        generator = gen "login" ''
          echo "hashing $(cat "$prompts/pw")"
          echo "done" >&2
          cat "$prompts/pw" > "$out/pw"
        '';
      };
    };
"#,
    );
    let run = f
        .run_with_stdin(
            &["generate", "--verbose", "--prompt-stdin", "login.pw"],
            b"s3cret-answer",
        )
        .ok();
    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    let at = |l: &str| {
        lines
            .iter()
            .position(|x| *x == l)
            .unwrap_or_else(|| panic!("{l:?} in:\n{stderr}"))
    };
    assert!(at("alpha/login: generating") < at("alpha/login | hashing <prompt pw>"));
    assert!(at("alpha/login | hashing <prompt pw>") < at("alpha/login | done"));
    assert!(at("alpha/login | done") < at("alpha/login: stored with agenix [1/1]"));
    assert!(!stderr.contains("s3cret-answer"), "{stderr}");
}
