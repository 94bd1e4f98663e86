//! Script backends end to end: the contract's variables, check deciding
//! what is generated, serialize and deserialize, broken scripts named, the
//! two ways of declaring (Nix and backend.toml), and migration to and from
//! a built-in backend.

mod common;
use common::{key_path, ran, Fixture};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A folder backend: stores files under `$config.dir/<context>/<target>/<artifact>/`,
/// and logs every call's environment as `<time>-<pid>-<script>.json` in
/// `$config.log` (checks run in parallel).
/// `$1` is the script's name (the wrappers below pass it).
const FOLDER: &str = r#"#!/bin/sh
set -eu
script=$1
dir=$(sed -n 's/.*"dir":"\([^"]*\)".*/\1/p' "$targets" | head -n1)
log=$(sed -n 's/.*"log":"\([^"]*\)".*/\1/p' "$targets" | head -n1)
target=${machine:-${username:-shared}}
place="$dir/$artifact_context/$target/$artifact"
n=$(date +%s%N)-$$
{
  printf '{"script":"%s","artifact":"%s","artifact_context":"%s","machine":"%s","username":"%s","cwd":"%s",' \
    "$script" "$artifact" "$artifact_context" "${machine-UNSET}" "${username-UNSET}" "$PWD"
  printf '"targets":%s,"inputs":{' "$(cat "$targets")"
  first=1
  for f in "$inputs"/*.json; do
    [ $first = 1 ] || printf ','; first=0
    printf '"%s":%s' "$(basename "$f" .json)" "$(cat "$f")"
  done
  printf '},"out":"%s"}\n' "${out-UNSET}"
} > "$log/$n-$script.json"
case $script in
  check) [ -d "$place" ] || { echo "nothing at $place"; exit 1; } ;;
  serialize) mkdir -p "$place"; cp "$out"/* "$place/" ;;
  deserialize) cp "$place"/* "$out/" ;;
esac
"#;

struct Folder {
    bin: PathBuf,
    store: PathBuf,
    log: PathBuf,
}

impl Folder {
    /// The folder backend's scripts in `f.dir/backend`, with check,
    /// serialize, deserialize wrappers.
    fn install(f: &Fixture) -> Folder {
        let bin = f.dir.path().join("backend");
        let store = f.dir.path().join("store");
        let log = f.dir.path().join("log");
        for dir in [&bin, &store, &log] {
            std::fs::create_dir_all(dir).unwrap();
        }
        write_script(&bin.join("folder"), FOLDER);
        for script in ["check", "serialize", "deserialize"] {
            write_script(
                &bin.join(script),
                &format!(
                    "#!/bin/sh\nexec '{}' {script}\n",
                    bin.join("folder").display()
                ),
            );
        }
        Folder { bin, store, log }
    }

    /// `artifacts.config.<backend>` pointing at this folder.
    fn config(&self, backend: &str) -> String {
        format!(
            r#"config.{backend} = {{ dir = "{}"; log = "{}"; }};"#,
            self.store.display(),
            self.log.display()
        )
    }

    fn calls(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.log)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort_by_key(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .split('-')
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        });
        names
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    fn backend_toml(&self, root: &Path, name: &str, extra: &str) {
        let b = self.bin.display();
        std::fs::write(
            root.join("backend.toml"),
            format!(
                "[{name}]\n{extra}\n[{name}.nixos]\ncheck = \"{b}/check\"\nserialize = \"{b}/serialize\"\ndeserialize = \"{b}/deserialize\"\n[{name}.home]\ncheck = \"{b}/check\"\nserialize = \"{b}/serialize\"\n[{name}.shared]\ncheck = \"{b}/check\"\nserialize = \"{b}/serialize\"\ndeserialize = \"{b}/deserialize\"\n"
            ),
        )
        .unwrap();
    }
}

fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn every_contract_variable_reaches_the_scripts() {
    let f = Fixture::new("");
    let folder = Folder::install(&f);
    folder.backend_toml(&f.root(), "folder", "");
    let config = folder.config("folder");
    f.write_flake(&format!(
        r#"
    nixosConfigurations = let
      token = {{ shared = true; backend = "folder"; files.t = {{ }}; generator = gen "token" "echo shared > $out/t"; }};
    in {{
      alpha = machineWith "alpha" {{ {config} store = {{ inherit token; api = {{ backend = "folder"; files.key = {{ owner = "api"; group = "web"; mode = "0440"; path = "/run/api/key"; }}; files.id.secret = false;
                                                                           generator = gen "api" "echo k > $out/key; echo i > $out/id"; }}; }}; }};
      beta = machineWith "beta" {{ {config} store = {{ inherit token; }}; }};
    }};
    homeConfigurations.alice = lib.mkScope {{ kind = "home"; name = "alice"; {config} store.notes = {{ backend = "folder"; files.n = {{ }}; generator = gen "notes" "echo n > $out/n"; }}; }};
"#
    ));
    common::git(&f.root(), &["add", "backend.toml"]);
    let run = f.run(&["generate"]).ok();
    assert_eq!(ran(&run), ["alice/notes", "alpha/api", "shared/token"]);
    let calls = folder.calls();
    let call = |script: &str, artifact: &str| {
        calls
            .iter()
            .find(|c| c["script"] == script && c["artifact"] == artifact)
            .unwrap_or_else(|| panic!("{script} {artifact}: {calls:#?}"))
    };
    let config = json!({ "dir": folder.store.display().to_string(), "log": folder.log.display().to_string() });

    let check = call("check", "api");
    assert_eq!(check["artifact_context"], "nixos");
    assert_eq!(check["machine"], "alpha");
    assert_eq!(check["username"], "UNSET");
    assert_eq!(check["out"], "UNSET", "check gets no $out");
    assert_eq!(
        check["targets"],
        json!({ "context": "nixos", "targets": [ { "name": "alpha", "type": "nixos", "config": config } ] })
    );
    assert_eq!(
        check["inputs"]["key"],
        json!({ "path": "/run/api/key", "owner": "api", "group": "web", "mode": "0440", "secret": true })
    );
    assert_eq!(check["inputs"]["id"]["secret"], false);
    let cwd = check["cwd"].as_str().unwrap();
    assert!(
        !Path::new(cwd).exists(),
        "the working directory {cwd} is removed afterwards"
    );

    let serialize = call("serialize", "api");
    assert_ne!(serialize["out"], "UNSET");
    assert_eq!(
        std::fs::read_to_string(folder.store.join("nixos/alpha/api/key")).unwrap(),
        "k\n"
    );

    let shared = call("serialize", "token");
    assert_eq!(shared["artifact_context"], "shared");
    assert_eq!(shared["machine"], "UNSET");
    let names: Vec<&str> = shared["targets"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert_eq!(shared["targets"]["context"], "shared");

    let home = call("check", "notes");
    assert_eq!(home["artifact_context"], "homemanager");
    assert_eq!(home["username"], "alice");
    assert_eq!(home["machine"], "UNSET");
    assert_eq!(home["targets"]["targets"][0]["type"], "homemanager");

    // Stored: the check scripts now say so, and nothing runs again.
    let again = f.run(&["generate"]).ok();
    assert!(ran(&again).is_empty(), "{}", again.stderr());
    f.run(&["check"]).ok();
    // show reads back through deserialize, without any identity.
    assert_eq!(f.run(&["show", "alpha/api/key"]).ok().stdout(), "k\n");
    assert_eq!(f.run(&["show", "shared/token"]).ok().stdout(), "shared\n");
}

/// A flake whose artifacts use a backend declared in Nix with `gen`
/// scripts (built in the run's one batch) and one from backend.toml.
fn two_ways(f: &Fixture, folder: &Folder, extra: &str) {
    folder.backend_toml(&f.root(), "fromtoml", extra);
    common::git(&f.root(), &["add", "backend.toml"]);
    let wrapper = |script: &str| {
        format!(
            r#"gen "{script}" "exec '{}' {script}""#,
            folder.bin.join("folder").display()
        )
    };
    f.write_flake(&format!(
        r#"
    nixosConfigurations.alpha = machineWith "alpha" {{
      {} {}
      backends.fromnix = {{ check = {}; serialize = {}; deserialize = {}; }};
      store = {{
        a = {{ backend = "fromnix"; files.f = {{ }}; generator = gen "a" "echo a > $out/f"; }};
        b = {{ backend = "fromtoml"; files.f = {{ }}; generator = gen "b" "echo b > $out/f"; }};
        c = {{ backend = "fromtoml"; files.f = {{ }}; generator = gen "c" "echo c > $out/f"; }};
      }};
    }};
"#,
        folder.config("fromnix"),
        folder.config("fromtoml"),
        wrapper("check"),
        wrapper("serialize"),
        wrapper("deserialize")
    ));
}

#[test]
fn check_decides_what_is_generated_for_both_ways_of_declaring() {
    let f = Fixture::new("");
    let folder = Folder::install(&f);
    two_ways(&f, &folder, "");
    let list = f.run(&["list"]).ok();
    assert!(
        list.stdout().contains("alpha/a  fromnix"),
        "{}",
        list.stdout()
    );
    assert!(
        list.stdout().contains("not stored: its check script says"),
        "{}",
        list.stdout()
    );
    // b is stored already: only a and c run.
    std::fs::create_dir_all(folder.store.join("nixos/alpha/b")).unwrap();
    std::fs::write(folder.store.join("nixos/alpha/b/f"), "old b\n").unwrap();
    let run = f.run(&["generate"]).ok();
    assert_eq!(ran(&run), ["alpha/a", "alpha/c"]);
    assert_eq!(
        std::fs::read_to_string(folder.store.join("nixos/alpha/b/f")).unwrap(),
        "old b\n"
    );
    assert_eq!(
        std::fs::read_to_string(folder.store.join("nixos/alpha/a/f")).unwrap(),
        "a\n"
    );
    f.run(&["check"]).ok();
}

#[test]
fn broken_scripts_are_named_with_backend_script_machine_and_artifact() {
    let f = Fixture::new("");
    let folder = Folder::install(&f);
    let check = folder.bin.join("check");
    type Case<'a> = (&'a str, Box<dyn Fn() + 'a>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "missing",
            Box::new(|| std::fs::remove_file(&check).unwrap()),
            "does not exist",
        ),
        (
            "not executable",
            Box::new(|| write_script(&check, "#!/bin/sh\nexit 0\n")),
            "is not executable",
        ),
        (
            "a directory",
            Box::new(|| {
                std::fs::remove_file(&check).unwrap();
                std::fs::create_dir(&check).unwrap()
            }),
            "is a directory",
        ),
        (
            "no shebang",
            Box::new(|| write_script(&check, "exit 0\n")),
            "no `#!` line",
        ),
        (
            "too slow",
            Box::new(|| write_script(&check, "#!/bin/sh\nsleep 30\n")),
            "did not finish within 1 s",
        ),
    ];
    for (case, break_it, expected) in cases {
        two_ways(&f, &folder, "timeout = 1");
        let _ = std::fs::remove_file(&check).or_else(|_| std::fs::remove_dir(&check));
        write_script(
            &check,
            &format!(
                "#!/bin/sh\nexec '{}' check\n",
                folder.bin.join("folder").display()
            ),
        );
        break_it();
        if case == "not executable" {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&check, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let run = f.run(&["generate"]);
        assert_eq!(run.code(), 1, "{case}: {}", run.all());
        let err = run.stderr();
        let line = err
            .lines()
            .find(|l| l.contains("machine alpha, artifact b:"))
            .unwrap_or_else(|| {
                panic!("{case}: no error names machine alpha and artifact b:\n{err}")
            });
        let named = if case == "missing" {
            format!(
                "the check script {} of backend fromtoml (resolved against ",
                check.display()
            )
        } else {
            "the check script of backend fromtoml".to_string()
        };
        assert!(line.contains(&named), "{case}: {line}");
        assert!(
            line.contains(expected),
            "{case}: expected {expected:?} in {line}"
        );
        assert!(err.contains(&check.display().to_string()), "{case}: {err}");
        assert!(!ran(&run).contains(&"alpha/b".to_string()), "{case}");
    }
}

#[test]
fn a_failing_serialize_stores_nothing_and_names_the_script() {
    let f = Fixture::new("");
    let folder = Folder::install(&f);
    two_ways(&f, &folder, "");
    let answer = "prompted-secret-4242";
    write_script(
        &folder.bin.join("serialize"),
        "#!/bin/sh\necho \"storing $(cat $out/f)\"; exit 3\n",
    );
    f.write_flake(&format!(
        r#"nixosConfigurations.alpha = machineWith "alpha" {{ {} store.b = {{ backend = "fromtoml"; files.f = {{ }}; prompts.p.type = "line"; generator = gen "b" "cat $prompts/p > $out/f"; }}; }};"#,
        folder.config("fromtoml")
    ));
    let run = f.run(&["generate", "--prompt", &format!("b.p={answer}")]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr()
            .contains("machine alpha, artifact b: the serialize script of backend fromtoml"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("failed"), "{}", run.stderr());
    assert!(
        !run.stderr().contains(answer),
        "the answer leaked: {}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("storing <prompt p>"),
        "{}",
        run.stderr()
    );
    assert!(
        !f.stored("machines/alpha/b").exists(),
        "nothing recorded as stored"
    );
    assert_eq!(f.run(&["check"]).code(), 1);
}

#[test]
fn a_serialize_that_changes_out_is_refused() {
    let f = Fixture::new("");
    let folder = Folder::install(&f);
    two_ways(&f, &folder, "");
    // Root ignores the read-only modes: the digests still tell.
    write_script(
        &folder.bin.join("serialize"),
        "#!/bin/sh\nchmod u+w $out $out/f 2>/dev/null; echo tampered > $out/f\n",
    );
    let run = f.run(&["generate", "--artifact", "b"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr().contains("changed the files in $out"),
        "{}",
        run.stderr()
    );
}

#[test]
fn values_move_between_a_built_in_and_a_script_backend() {
    let f = Fixture::new("");
    let folder = Folder::install(&f);
    folder.backend_toml(&f.root(), "folder", "");
    common::git(&f.root(), &["add", "backend.toml"]);
    let declare = |backend: &str| {
        f.write_flake(&format!(
            r#"nixosConfigurations.alpha = machineWith "alpha" {{ {} store.attic = attic // {{ backend = "{backend}"; }}; }};"#,
            folder.config("folder")
        ))
    };
    declare("agenix");
    f.run(&["generate"]).ok();
    let env = f.age_decrypt("machines/alpha/attic/env.age", "alpha");

    declare("folder");
    let check = f.run(&["check"]);
    assert!(
        check
            .stdout()
            .contains("the backend changed from agenix to folder"),
        "{}",
        check.all()
    );
    let run = f
        .run(&[
            "generate",
            "--identity",
            key_path("alpha").to_str().unwrap(),
        ])
        .ok();
    assert!(ran(&run).is_empty(), "{}", run.stderr());
    assert_eq!(
        std::fs::read(folder.store.join("nixos/alpha/attic/env")).unwrap(),
        env
    );
    assert!(!f.stored("machines/alpha/attic/env.age").exists());
    f.run(&["check"]).ok();

    declare("agenix");
    let run = f.run(&["generate"]).ok();
    assert!(
        ran(&run).is_empty(),
        "back through deserialize, not regenerated: {}",
        run.stderr()
    );
    assert_eq!(f.age_decrypt("machines/alpha/attic/env.age", "alpha"), env);
}

#[test]
fn an_unknown_backend_names_machine_artifact_and_every_known_backend() {
    let f = Fixture::new("");
    let folder = Folder::install(&f);
    two_ways(&f, &folder, "");
    f.write_flake(
        r#"nixosConfigurations.alpha = machine "alpha" { x = attic // { backend = "vault"; }; };"#,
    );
    let run = f.run(&["generate"]).fails();
    assert!(run.stderr().contains("machine alpha, artifact x: unknown backend `vault` (known: agenix, sops-nix, dummy, fromtoml)"), "{}", run.stderr());
}

#[test]
fn values_stored_elsewhere_are_recorded_so_a_backend_switch_can_move_them() {
    let f = Fixture::new("");
    let folder = Folder::install(&f);
    folder.backend_toml(&f.root(), "folder", "");
    common::git(&f.root(), &["add", "backend.toml"]);
    let declare = |backend: &str| {
        f.write_flake(&format!(
            r#"nixosConfigurations.alpha = machineWith "alpha" {{ {} store.attic = attic // {{ backend = "{backend}"; }}; }};"#,
            folder.config("folder")
        ))
    };
    // Stored by other means (by hand, by the original nixos-artifacts).
    std::fs::create_dir_all(folder.store.join("nixos/alpha/attic")).unwrap();
    std::fs::write(
        folder.store.join("nixos/alpha/attic/env"),
        "TOKEN=adopted\n",
    )
    .unwrap();
    declare("folder");
    let run = f.run(&["generate"]).ok();
    assert!(ran(&run).is_empty(), "{}", run.stderr());
    assert_eq!(f.git_tracked(), ["machines/alpha/attic/.meta.json"]);

    declare("agenix");
    let run = f.run(&["generate"]).ok();
    assert!(
        ran(&run).is_empty(),
        "moved, not regenerated: {}",
        run.stderr()
    );
    assert_eq!(
        f.age_decrypt("machines/alpha/attic/env.age", "alpha"),
        b"TOKEN=adopted\n"
    );
}

/// Nix-declared scripts may be packages (one program in `bin/`), and a
/// generator may be a string naming a program inside a package: both are
/// built in the run's one batch.
#[test]
fn scripts_and_generators_may_be_packages_or_paths_inside_them() {
    let f = Fixture::new("");
    let folder = Folder::install(&f);
    let system = format!("{}-linux", std::env::consts::ARCH);
    let package = |name: &str, body: String| {
        format!(
            r#"(builtins.derivation {{
          name = "{name}"; system = "{system}"; builder = "/bin/sh";
          args = [ "-c" "/bin/mkdir -p $out/bin && printf '#!/bin/sh\n{body}\n' > $out/bin/{name} && /bin/chmod +x $out/bin/{name}" ];
        }})"#
        )
    };
    let folder_script = folder.bin.join("folder");
    let wrap = |script: &str| package(script, format!("exec {} {script}", folder_script.display()));
    f.write_flake(&format!(
        r#"
    nixosConfigurations.alpha = machineWith "alpha" {{
      {}
      backends.pkgd = {{ check = {}; serialize = {}; deserialize = {}; }};
      store.a = {{ backend = "pkgd"; files.f = {{ }}; generator = "${{{}}}/bin/gen-a"; }};
    }};
"#,
        folder.config("pkgd"),
        wrap("check"),
        wrap("serialize"),
        wrap("deserialize"),
        package("gen-a", "echo a > \\$out/f".into())
    ));
    let run = f.run(&["generate"]).ok();
    assert_eq!(ran(&run), ["alpha/a"]);
    assert_eq!(
        std::fs::read_to_string(folder.store.join("nixos/alpha/a/f")).unwrap(),
        "a\n"
    );
    assert_eq!(f.run(&["show", "alpha/a/f"]).ok().stdout(), "a\n");
}

#[test]
fn a_configuration_name_that_is_no_valid_name_never_reaches_a_script() {
    let f = Fixture::new("");
    let folder = Folder::install(&f);
    folder.backend_toml(&f.root(), "folder", "");
    let config = folder.config("folder");
    f.write_flake(&format!(
        r#"
    nixosConfigurations = let
      api = {{ backend = "folder"; files.key = {{ }}; generator = gen "api" "echo plain > $out/key"; }};
    in {{
      alpha = machineWith "alpha" {{ {config} store = {{ inherit api; }}; }};
      "../../x" = machineWith "beta" {{ {config} store = {{ inherit api; }}; }};
    }};
"#
    ));
    common::git(&f.root(), &["add", "backend.toml"]);
    let run = f.run(&["generate"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr().contains(
            r#"error: "../../x" (nixosConfigurations.../../x): the configuration name `../../x` is not a valid name"#
        ),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("hint: rename the attribute"),
        "{}",
        run.stderr()
    );
    assert_eq!(ran(&run), ["alpha/api"], "the others still work");
    for call in folder.calls() {
        assert_eq!(call["machine"], "alpha", "{call:#}");
    }
    // Only alpha's folder: nothing beside or above the backend's folder.
    let mut stored: Vec<_> = std::fs::read_dir(folder.store.join("nixos"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    stored.sort();
    assert_eq!(stored, ["alpha"]);
    let mut beside: Vec<_> = std::fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    // `$dir/nixos/../../x` would have been `x` here.
    assert_eq!(beside, ["backend", "flake", "log", "store", "tmp"]);
}

/// backend.toml's `enabled` inference, as in the original's BACKEND_GUIDE:
/// both scripts → enabled unless `enabled = false`; neither → disabled
/// unless `enabled = true` (a passthrough); one alone → an error.
#[test]
fn enabled_inference_and_passthrough_sections() {
    let f = Fixture::new("");
    let flake = |generator: &str| {
        f.write_flake(&format!(
            r#"nixosConfigurations.alpha = machineWith "alpha" {{ store.b = {{ backend = "test"; files.f = {{ }}; generator = gen "b" "{generator}"; }}; }};"#
        ))
    };
    let toml = |text: &str| std::fs::write(f.root().join("backend.toml"), text).unwrap();
    flake("echo v > $out/f");

    // Passthrough: the generator runs every time, nothing is stored, check is content.
    toml("[test.nixos]\nenabled = true\n");
    let run = f.run(&["generate"]);
    assert_eq!(run.code(), 0, "{}", run.all());
    assert!(ran(&run).contains(&"alpha/b".to_string()), "{}", run.all());
    assert!(
        run.all()
            .contains("alpha/b: generated, not stored (passthrough of test)"),
        "{}",
        run.all()
    );
    assert!(
        !f.stored("machines/alpha/b").exists(),
        "a passthrough stores nothing"
    );
    let check = f.run(&["check"]);
    assert_eq!(check.code(), 0, "{}", check.all());

    // Its generator's output is still checked: an undeclared file fails.
    flake("echo v > $out/f; echo x > $out/extra");
    let run = f.run(&["generate"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(run.stderr().contains("extra"), "{}", run.stderr());
    flake("echo v > $out/f");

    // Neither script, no `enabled`: disabled, the target is refused.
    for text in [
        "[test.nixos]\n",
        "[test.nixos]\nenabled = false\ncheck = \"./c\"\nserialize = \"./s\"\n",
    ] {
        toml(text);
        let run = f.run(&["generate"]);
        assert_eq!(run.code(), 1, "{text}: {}", run.all());
        assert!(
            run.stderr().contains("backend 'test.nixos' is disabled"),
            "{text}: {}",
            run.stderr()
        );
    }

    // One script without the other.
    for (text, expected) in [
        (
            "[test.nixos]\ncheck = \"./c\"\n",
            "backend 'test.nixos': 'check' requires 'serialize' to be defined",
        ),
        (
            "[test.nixos]\nserialize = \"./s\"\n",
            "backend 'test.nixos': 'serialize' requires 'check' to be defined",
        ),
    ] {
        toml(text);
        let run = f.run(&["generate"]);
        assert_eq!(run.code(), 1, "{text}: {}", run.all());
        assert!(run.stderr().contains(expected), "{text}: {}", run.stderr());
    }

    // Both scripts: enabled; a missing one is named as written and as resolved.
    toml("[test.nixos]\ncheck = \"./nonexistent-check.sh\"\nserialize = \"./s\"\n");
    let run = f.run(&["generate"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    let toml_path = std::fs::canonicalize(f.root().join("backend.toml")).unwrap();
    let expected = format!(
        "the check script ./nonexistent-check.sh of backend test (resolved against {}: {}) does not exist",
        toml_path.display(),
        toml_path.parent().unwrap().join("nonexistent-check.sh").display()
    );
    assert!(run.stderr().contains(&expected), "{}", run.stderr());
}
