//! `artifacts completions bash|zsh|fish`: each script is accepted by its
//! shell, registers completion for `artifacts`, and (where the shell can be
//! driven from a test) completes subcommands, flags and the flake's own
//! machine, artifact and `show` names. A shell that is not installed is
//! skipped with a notice; scripts/test.sh installs all three.

mod common;
use common::{Fixture, BIN};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FLEET: &str = r#"
    nixosConfigurations.alpha = machine "alpha" { inherit test attic; two = { files.a = { }; files.b = { }; }; };
    nixosConfigurations.beta = machine "beta" { inherit attic; token = attic // { shared = true; }; };
"#;

/// The script for `shell`, written to a file.
fn script(dir: &Path, shell: &str) -> PathBuf {
    let out = Command::new(BIN)
        .args(["completions", shell])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join(format!("artifacts.{shell}"));
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

fn installed(shell: &str) -> bool {
    let found = Command::new(shell).arg("-c").arg("true").output().is_ok();
    if !found {
        eprintln!("SKIPPED: {shell} is not installed (apt-get install {shell})");
    }
    found
}

/// Runs `code` in `shell`, with the fixture's environment for the CLI the
/// completion calls.
fn shell(f: &Fixture, shell: &str, code: &str) -> String {
    let out = Command::new(shell)
        .arg("-c")
        .arg(code)
        .env("TMPDIR", &f.tmp)
        .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
        .env_remove("ARTIFACTS_FLAKE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{shell} -c {code}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What bash completes for the words of `line` (the last one being typed).
fn bash_completes(f: &Fixture, script: &Path, line: &str) -> Vec<String> {
    let code = format!(
        r#"source {script}
words=({line})
[[ "{line}" == *" " ]] && words+=("")
COMP_WORDS=("${{words[@]}}"); COMP_CWORD=$(( ${{#words[@]}} - 1 )); COMP_TYPE=9
_clap_complete_artifacts artifacts "${{words[COMP_CWORD]}}" "${{words[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script = script.display()
    );
    shell(f, "bash", &code)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_accepts_the_script_and_completes_names_from_the_flake() {
    if !installed("bash") {
        return;
    }
    let f = Fixture::new(FLEET);
    let script = script(f.dir.path(), "bash");
    let check = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(check.success(), "bash -n");
    let registered = shell(
        &f,
        "bash",
        &format!("source {}; complete -p artifacts", script.display()),
    );
    assert!(
        registered.contains("-F _clap_complete_artifacts artifacts"),
        "{registered}"
    );

    let flake = f.root().display().to_string();
    assert_eq!(bash_completes(&f, &script, "artifacts gen"), ["generate"]);
    assert!(bash_completes(&f, &script, "artifacts generate --reg")
        .contains(&"--regenerate".to_string()));
    assert_eq!(
        bash_completes(
            &f,
            &script,
            &format!("artifacts --flake {flake} generate --machine ")
        ),
        ["alpha", "beta", "shared"]
    );
    // After --machine, only that machine's artifacts.
    assert_eq!(
        bash_completes(
            &f,
            &script,
            &format!("artifacts --flake {flake} check --machine beta --artifact ")
        ),
        ["attic", "token"]
    );
    assert_eq!(
        bash_completes(&f, &script, &format!("artifacts --flake {flake} show al")),
        ["alpha/attic", "alpha/test", "alpha/two/"]
    );
    assert_eq!(
        bash_completes(
            &f,
            &script,
            &format!("artifacts --flake {flake} show alpha/two/")
        ),
        ["alpha/two/a", "alpha/two/b"]
    );
    assert_eq!(
        bash_completes(&f, &script, &format!("artifacts --flake {flake} show sh")),
        ["shared/token"]
    );
    // A flake that does not evaluate completes nothing, quietly.
    assert!(bash_completes(
        &f,
        &script,
        "artifacts --flake /nonexistent list --machine "
    )
    .is_empty());
}

/// What an interactive bash runs after `keys` are typed on its terminal
/// (Tab included), with `artifacts` replaced by a function printing its
/// arguments as `ARGS:a|b|`: the words the completion left on the line.
fn bash_typed(f: &Fixture, script: &Path, keys: &str) -> String {
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", "bash --norc --noprofile -i", "/dev/null"])
        .env("INPUTRC", "/dev/null")
        .env("TMPDIR", &f.tmp)
        .env("NIX_CONFIG", "substituters =\nwarn-dirty = false")
        .env_remove("ARTIFACTS_FLAKE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) is installed");
    let mut stdin = child.stdin.take().unwrap();
    // Typed ahead: readline completes on Tab (the CLI reads the flake
    // meanwhile) before it reads what follows.
    write!(
        stdin,
        "source {}\nartifacts() {{ printf 'ARGS:'; printf '%s|' \"$@\"; echo; }}\n{keys}exit\n",
        script.display()
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    String::from_utf8_lossy(&out.stdout)
        .split(['\r', '\n'])
        .filter_map(|l| l.trim_end().strip_prefix("ARGS:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn bash_leaves_the_line_open_after_an_artifact_with_several_files() {
    if !installed("bash") {
        return;
    }
    let f = Fixture::new(FLEET);
    let script = script(f.dir.path(), "bash");
    let flake = f.root().display().to_string();
    let typed = bash_typed(
        &f,
        &script,
        &format!(
            "artifacts --flake {flake} show alpha/tw\tb\nartifacts --flake {flake} show alpha/te\t--quiet\n"
        ),
    );
    // alpha/two has two files: it completes to `alpha/two/`, no space, so
    // the file follows; alpha/test has one: `alpha/test` is whole.
    assert_eq!(
        typed,
        format!("--flake|{flake}|show|alpha/two/b|\n--flake|{flake}|show|alpha/test|--quiet|")
    );
}

#[test]
fn zsh_accepts_the_script_sourced_or_from_fpath() {
    if !installed("zsh") {
        return;
    }
    let f = Fixture::new(FLEET);
    let script = script(f.dir.path(), "zsh");
    let check = Command::new("zsh").arg("-n").arg(&script).status().unwrap();
    assert!(check.success(), "zsh -n");
    let sourced = shell(
        &f,
        "zsh",
        &format!(
            "autoload -U compinit; compinit -u -D; source {}; print -r -- $_comps[artifacts]",
            script.display()
        ),
    );
    assert_eq!(sourced.trim(), "_clap_dynamic_completer_artifacts");
    // Installed as `_artifacts` in $fpath (how packages ship it).
    let fpath = f.dir.path().join("zsh-functions");
    std::fs::create_dir(&fpath).unwrap();
    std::fs::copy(&script, fpath.join("_artifacts")).unwrap();
    let autoloaded = shell(
        &f,
        "zsh",
        &format!("fpath=({} $fpath); autoload -U compinit; compinit -u -D; print -r -- $_comps[artifacts]", fpath.display()),
    );
    assert_eq!(autoloaded.trim(), "_artifacts");
}

#[test]
fn fish_accepts_the_script_and_completes_names_from_the_flake() {
    if !installed("fish") {
        return;
    }
    let f = Fixture::new(FLEET);
    let script = script(f.dir.path(), "fish");
    let check = Command::new("fish")
        .arg("--no-execute")
        .arg(&script)
        .status()
        .unwrap();
    assert!(check.success(), "fish --no-execute");
    let flake = f.root().display().to_string();
    let completes = |line: &str| -> Vec<String> {
        let out = shell(
            &f,
            "fish",
            &format!("source {}; complete -C '{line}'", script.display()),
        );
        out.lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        completes(&format!("artifacts --flake {flake} list --machine ")),
        ["alpha", "beta", "shared"]
    );
    assert_eq!(
        completes(&format!("artifacts --flake {flake} show be")),
        ["beta/attic"]
    );
}
