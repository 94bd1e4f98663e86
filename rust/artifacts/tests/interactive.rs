//! The CLI on a real terminal: `script` gives it a pseudo-terminal and the
//! test answers each question when it appears, as a person would: prompts,
//! the live progress display, the question before `--regenerate`.

mod common;
use common::terminal::Terminal;
use common::Fixture;
use std::time::Duration;

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
    t.expect("alpha/login: stored with agenix");
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

#[test]
fn an_empty_hidden_answer_is_asked_again() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      login = {
        files.pw = { };
        prompts.pw = { description = "password"; type = "hidden"; };
        generator = gen "login" ''cat "$prompts/pw" > "$out/pw"'';
      };
    };
"#,
    );
    let mut t = Terminal::start(&f, "generate");
    t.expect("password (hidden): ");
    t.type_in(b"\n");
    t.expect("The answer is empty; please type a value.");
    t.expect("password (hidden): ");
    t.type_in(b"not-empty\n");
    t.expect("again to confirm: ");
    t.type_in(b"not-empty\n");
    let (code, screen) = t.finish();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        f.age_decrypt("machines/alpha/login/pw.age", "alpha"),
        b"not-empty"
    );
}

#[test]
fn a_prompt_that_allows_empty_answers_takes_one() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      login = {
        files.pw = { };
        prompts.pw = { description = "optional passphrase"; type = "hidden"; allowEmpty = true; };
        generator = gen "login" ''printf '[%s]' "$(cat "$prompts/pw")" > "$out/pw"'';
      };
    };
"#,
    );
    let mut t = Terminal::start(&f, "generate");
    t.expect("optional passphrase (hidden): ");
    t.type_in(b"\n");
    t.expect("again to confirm: ");
    t.type_in(b"\n");
    let (code, screen) = t.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("The answer is empty"), "{screen}");
    assert_eq!(f.age_decrypt("machines/alpha/login/pw.age", "alpha"), b"[]");
}

#[test]
fn the_live_display_counts_a_slow_generators_seconds_and_ends_in_the_summary() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      quick = { files.f = { }; generator = gen "quick" ''echo quick > "$out/f"''; };
      slow = { files.f = { }; generator = gen "slow" ''sleep 3; echo slow > "$out/f"''; };
    };
"#,
    );
    let mut t = Terminal::start(&f, "generate --jobs 2");
    // The quick one is done while the slow one still runs, its seconds
    // counting up below the results.
    t.expect("alpha/quick: stored with agenix");
    t.expect("1/2 done");
    t.expect("alpha/slow 1s");
    t.expect("alpha/slow 2s");
    t.expect("alpha/slow: stored with agenix");
    // Each frame drawn with a result counts it: right after the quick
    // one's line the bar says 1/2, never the count from before.
    let after_quick = t.after("alpha/quick: stored with agenix");
    let first_count = after_quick
        .split_whitespace()
        .find(|w| w.ends_with("/2"))
        .expect("a count after the result");
    assert_eq!(first_count, "1/2", "{after_quick}");
    t.expect("Stored and added to git");
    t.expect("artifacts/machines/alpha/slow");
    t.expect("Generated 2, failed 0, already up to date 0.");
    let (code, screen) = t.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(
        !screen.contains(": generating"),
        "the terminal gets the live display, not the plain lines:\n{screen}"
    );
}

#[test]
fn a_failure_is_shown_as_it_happens_on_the_terminal() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      broken = { files.f = { }; generator = gen "broken" ''echo "cannot do it" >&2; exit 3''; };
      slow = { files.f = { }; generator = gen "slow" ''sleep 2; echo slow > "$out/f"''; };
    };
"#,
    );
    let mut t = Terminal::start(&f, "generate --jobs 2");
    t.expect("error: machine alpha, artifact broken: the generator failed");
    t.expect("cannot do it");
    // ... while the other one is still running.
    t.expect("alpha/slow 1s");
    t.expect("1 failed");
    t.expect("Generated 1, failed 1");
    let (code, screen) = t.finish();
    assert_eq!(code, 1, "{screen}");
}

#[test]
fn regenerate_lists_what_it_replaces_and_n_changes_nothing() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" { inherit attic; };
    nixosConfigurations.beta = machine "beta" { inherit attic; };
"#,
    );
    f.run(&["generate"]).ok();
    let before = f.snapshot();

    let mut t = Terminal::start(&f, "generate --regenerate --machine alpha");
    t.expect("replaces the stored values of 1 artifact");
    t.expect("alpha/attic");
    t.expect("Replace them? [y/N] ");
    t.type_in(b"n\n");
    t.expect("Nothing was changed.");
    let (code, screen) = t.finish();
    assert_eq!(code, 1, "{screen}");
    assert!(
        !screen.contains("beta/attic"),
        "only the selection is listed:\n{screen}"
    );
    assert_eq!(f.snapshot(), before, "nothing was stored");

    // `y` rotates.
    let mut t = Terminal::start(&f, "generate --regenerate --machine alpha");
    t.expect("Replace them? [y/N] ");
    t.type_in(b"y\n");
    t.expect("Generated 1, failed 0");
    let (code, screen) = t.finish();
    assert_eq!(code, 0, "{screen}");
    assert_ne!(f.snapshot(), before);

    // `--yes` does not ask.
    let after = f.snapshot();
    let t = Terminal::start(&f, "generate --regenerate --machine alpha --yes");
    let (code, screen) = t.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("[y/N]"), "{screen}");
    assert_ne!(f.snapshot(), after);
}

#[test]
fn verbose_shows_generator_output_live_with_answers_redacted() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      login = {
        files.pw = { };
        prompts.pw = { description = "password"; type = "hidden"; };
        generator = gen "login" ''
          echo "starting"
          echo "the password is $(cat "$prompts/pw")"
          sleep 2
          cat "$prompts/pw" > "$out/pw"
        '';
      };
    };
"#,
    );
    let mut t = Terminal::start(&f, "generate --verbose");
    t.expect("password (hidden): ");
    t.type_in(b"hunter2-secret\n");
    t.expect("again to confirm: ");
    t.type_in(b"hunter2-secret\n");
    // Shown while the generator still runs.
    t.expect("alpha/login | the password is <prompt pw>");
    t.expect("alpha/login 1s");
    let (code, screen) = t.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("hunter2-secret"), "{screen}");
}

#[test]
fn ctrl_c_at_the_regenerate_question_ends_at_once_and_changes_nothing() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" { inherit attic; };
"#,
    );
    f.run(&["generate"]).ok();
    let before = f.snapshot();
    let mut t = Terminal::start(&f, "generate --regenerate");
    t.expect("Replace them? [y/N] ");
    t.type_in(b"\x03");
    let (code, screen) = t.finish_within(Duration::from_secs(10));
    assert_eq!(code, 130, "{screen}");
    assert!(screen.contains("nothing was changed"), "{screen}");
    assert_eq!(f.snapshot(), before);
    // The lock is free: a run that would wait for it does not.
    let run = f.run(&["generate"]).ok();
    assert!(
        run.stderr().contains("Nothing to generate"),
        "{}",
        run.all()
    );
}

#[test]
fn ctrl_c_at_a_hidden_prompt_ends_at_once_with_130() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      login = {
        files.pw = { };
        prompts.pw = { description = "password"; type = "hidden"; };
        generator = gen "login" ''cat "$prompts/pw" > "$out/pw"'';
      };
    };
"#,
    );
    let before = f.snapshot();
    // At the first entry and at the confirmation, several times: the
    // prompt and the signal handler race, and must agree every time.
    for (round, typed) in [b"" as &[u8], b"half", b"", b"pw\n"].iter().enumerate() {
        let mut t = Terminal::start(&f, "generate");
        t.expect("password (hidden): ");
        t.type_in(typed);
        if typed.ends_with(b"\n") {
            t.expect("again to confirm: ");
        }
        t.type_in(b"\x03");
        let (code, screen) = t.finish_within(Duration::from_secs(10));
        assert_eq!(code, 130, "round {round}: {screen}");
        assert!(
            screen.contains("nothing was changed"),
            "round {round}: {screen}"
        );
        assert!(
            !screen.contains("cannot read from the terminal"),
            "{screen}"
        );
        assert_eq!(f.snapshot(), before);
        assert_eq!(f.leftovers(), Vec::<std::path::PathBuf>::new());
    }
}

/// Generators that run until they are interrupted.
const SLOW_PAIR: &str = r#"
    nixosConfigurations.alpha = machine "alpha" {
      one = { files.f = { }; generator = gen "one" ''sleep 60; echo > "$out/f"''; };
      two = { files.f = { }; generator = gen "two" ''sleep 60; echo > "$out/f"''; };
      later = { files.f = { }; dependencies = [ "one" ]; generator = gen "later" ''echo > "$out/f"''; };
    };
"#;

#[test]
fn ctrl_c_while_generating_clears_the_display_and_counts_interrupted_artifacts() {
    let f = Fixture::new(SLOW_PAIR);
    let before = f.snapshot();
    let mut t = Terminal::start(&f, "generate --jobs 2");
    t.expect("alpha/one 1s");
    t.expect("alpha/two 1s");
    t.type_in(b"\x03");
    let (code, shown) = t.finish_visible(Duration::from_secs(20));
    let screen = shown.join("\n");
    eprintln!("the screen at the end:\n{screen}");
    assert_eq!(code, 130, "{screen}");
    // Nothing of the live display stays: no running line, no bar.
    for line in &shown {
        assert!(
            !(line.contains("alpha/one ") || line.contains("alpha/two ")) || line.contains(':'),
            "a running line stayed on the screen:\n{screen}"
        );
        assert!(
            !line.contains(" done"),
            "the bar stayed on the screen:\n{screen}"
        );
    }
    // The two that ran and the one that never started are interrupted,
    // not failed; nothing was stored, and nothing claims it was.
    assert!(
        screen.contains("Generated 0, interrupted 3, failed 0, already up to date 0."),
        "{screen}"
    );
    assert!(!screen.contains("stored whole"), "{screen}");
    // What the interrupt said at once is still there, above the results.
    assert!(
        screen.contains("Interrupted: stopping the generators."),
        "{screen}"
    );
    assert!(!screen.contains("error:"), "{screen}");
    assert!(
        screen.contains("Interrupted: nothing was stored; every artifact keeps its earlier files."),
        "{screen}"
    );
    assert_eq!(f.snapshot(), before);
    assert_eq!(f.leftovers(), Vec::<std::path::PathBuf>::new());
}

#[test]
fn ctrl_c_after_some_were_stored_says_which_are_kept() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      quick = { files.f = { }; generator = gen "quick" ''echo quick > "$out/f"''; };
      slow = { files.f = { }; generator = gen "slow" ''sleep 60; echo > "$out/f"''; };
    };
"#,
    );
    let mut t = Terminal::start(&f, "generate --jobs 2");
    t.expect("alpha/quick: stored with agenix");
    t.expect("alpha/slow 1s");
    t.type_in(b"\x03");
    let (code, shown) = t.finish_visible(Duration::from_secs(20));
    let screen = shown.join("\n");
    eprintln!("the screen at the end:\n{screen}");
    assert_eq!(code, 130, "{screen}");
    assert!(
        screen.contains("Generated 1, interrupted 1, failed 0, already up to date 0."),
        "{screen}"
    );
    assert!(
        screen.contains("Interrupted: the artifacts stored above are whole; the others keep their earlier files."),
        "{screen}"
    );
    assert!(f.stored("machines/alpha/quick/f.age").exists());
    assert!(!f.stored("machines/alpha/slow").exists());
}
