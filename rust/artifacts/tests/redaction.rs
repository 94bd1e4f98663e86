//! Secret values never reach what the CLI shows, in whatever form a
//! program prints them: the forms are made here by the real tools
//! (`base64`, `openssl base64`, `xxd -p`, `jq -R .`, bash's `printf %q`
//! and `set -x`) and none of their lines may appear in the CLI's output.

mod common;
use common::{script_backend, Fixture};
use std::path::Path;
use std::process::{Command, Stdio};

/// A 200-byte answer with quotes, spaces and a dollar: longer than one
/// line of every wrapped encoding.
fn answer() -> Vec<u8> {
    let mut a = Vec::new();
    let mut i = 0u32;
    while a.len() < 200 {
        a.extend_from_slice(format!("it's a \"secret\" $x{i}, ").as_bytes());
        i += 1;
    }
    a.truncate(200);
    a
}

/// Writes `body` as an executable shell script at `path`.
fn script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/bash\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Every line (at least 12 characters, trimmed) that `shell` prints for
/// the value in `file`: the forms the CLI must not show.
fn forms_of(file: &Path) -> Vec<String> {
    let commands = [
        "base64 \"$1\"",
        "base64 -w0 \"$1\"",
        "basenc --base64url \"$1\"",
        "openssl base64 -in \"$1\"",
        "xxd -p \"$1\"",
        "xxd -p \"$1\" | tr a-f A-F",
        "jq -R . < \"$1\"",
        "printf '%q\\n' \"$(cat \"$1\")\"",
        "set -x; v=$(cat \"$1\"); : \"$v\"",
        "cat \"$1\"",
    ];
    let mut lines = Vec::new();
    for c in commands {
        let out = Command::new("bash")
            .args(["-c", &format!("{{ {c}; }} 2>&1"), "_"])
            .arg(file)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{c}");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let line = line.trim();
            // `set -x`'s own lines (`+ cat …`) name only the file.
            if line.len() >= 12 && !line.contains(&*file.to_string_lossy()) {
                lines.push(line.trim_start_matches("+ v=").to_string());
            }
        }
    }
    lines
}

/// Asserts none of `forms` shows in `shown`.
fn assert_hidden(forms: &[String], shown: &str) {
    for form in forms {
        assert!(
            !shown.contains(form.as_str()),
            "{form:?} shows in:\n{shown}"
        );
    }
}

/// The same forms printed by a generator (then failing, so that the end
/// of its output is in the error), by the script in `leak.sh`.
const PRINT_FORMS: &str = r#"f=$1
base64 "$f"; base64 -w0 "$f"; echo; basenc --base64url "$f"; openssl base64 -in "$f"
xxd -p "$f"; xxd -p "$f" | tr a-f A-F; jq -R . < "$f"; printf '%q\n' "$(cat "$f")"
set -x; v=$(cat "$f"); : "$v"; set +x
cat "$f"; echo"#;

#[test]
fn a_prompt_answer_is_hidden_in_every_form_in_errors_and_verbose_output() {
    let f = Fixture::new("");
    let leak = f.dir.path().join("leak.sh");
    script(&leak, &format!("{PRINT_FORMS}\nexit 1"));
    f.write_flake(&format!(
        r#"
    nixosConfigurations.alpha = machine "alpha" {{
      x = {{ files.k = {{ }}; prompts.p = {{ }}; generator = gen "x" "exec {} $prompts/p"; }};
    }};
"#,
        leak.display()
    ));
    let value = f.dir.path().join("value");
    std::fs::write(&value, answer()).unwrap();
    let forms = forms_of(&value);
    for verbose in [false, true] {
        let mut args = vec!["generate", "--no-sandbox", "--prompt-stdin", "alpha/x.p"];
        if verbose {
            args.push("--verbose");
        }
        let run = f.run_with_stdin(&args, &answer()).fails();
        assert!(run.all().contains("<prompt p>"), "{}", run.all());
        assert_hidden(&forms, &run.all());
    }
}

#[test]
fn an_empty_answer_redacts_nothing() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      x = { files.k = { }; prompts.p.allowEmpty = true; generator = gen "x" "echo first; echo; echo second; exit 1"; };
    };
"#,
    );
    let run = f
        .run(&["generate", "--no-sandbox", "--prompt", "alpha/x.p="])
        .fails();
    assert!(!run.all().contains("<prompt p>"), "{}", run.all());
    assert!(
        run.all().contains("| first\n    | \n    | second"),
        "{}",
        run.all()
    );
}

#[test]
fn a_failing_serialize_does_not_show_the_values_it_got() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      x = { backend = "leaky"; files.k = { }; files.pub.secret = false;
            generator = gen "x" "head -c 150 /dev/urandom | base64 -w0 > $out/k; echo public-value > $out/pub"; };
    };
"#,
    );
    let copy = f.dir.path().join("copy");
    let leak = f.dir.path().join("leak.sh");
    script(&leak, PRINT_FORMS);
    script_backend(
        &f,
        "leaky",
        "",
        "exit 1",
        &format!(
            "cp \"$out/k\" {copy}; {leak} \"$out/k\"; cat \"$out/pub\"; exit 1",
            copy = copy.display(),
            leak = leak.display()
        ),
        "exit 1",
    );
    let run = f.run(&["generate"]).fails();
    assert!(run.all().contains("the serialize script"), "{}", run.all());
    assert!(run.all().contains("<secret k>"), "{}", run.all());
    // Public values are shown as they are.
    assert!(run.all().contains("public-value"), "{}", run.all());
    assert_hidden(&forms_of(&copy), &run.all());
}

#[test]
fn what_deserialize_prints_is_redacted() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      a = { backend = "traced"; files.k = { };
            generator = gen "a" "head -c 150 /dev/urandom | base64 -w0 > $out/k"; };
      b = { files.k = { }; dependencies = [ "a" ]; generator = gen "b" "cat $in/a/k > $out/k"; };
    };
"#,
    );
    let store = f.dir.path().join("kept");
    let leak = f.dir.path().join("leak.sh");
    script(&leak, PRINT_FORMS);
    let s = store.display();
    script_backend(
        &f,
        "traced",
        "",
        &format!("test -f {s}"),
        &format!("cp \"$out/k\" {s}"),
        // Writes the value, then prints it in every form and fails.
        &format!(
            "set -x; cp {s} \"$out/k\"; v=$(cat {s}); {} {s}; exit 1",
            leak.display()
        ),
    );
    f.run(&["generate"]).ok();
    let run = f
        .run(&["generate", "--regenerate", "--artifact", "b", "--yes"])
        .fails();
    assert!(run.all().contains("deserialize"), "{}", run.all());
    assert!(run.all().contains("<secret k>"), "{}", run.all());
    assert_hidden(&forms_of(&store), &run.all());
}
