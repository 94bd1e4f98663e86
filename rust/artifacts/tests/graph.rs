//! The artifact graph end to end: dependencies (`$in`, order, dependents
//! regenerated, cycles, missing ones, identities), validation, a changed
//! generator, rekeying instead of rotating (admins, host keys, backend
//! switches) and shared artifacts everywhere `list` prints them.

mod common;
use common::{key_path, ran, Fixture, Run};

fn identity(name: &str) -> String {
    key_path(name).to_str().unwrap().to_string()
}

/// A CA, a server certificate it signs, and an unrelated token.
const CHAIN: &str = r#"
    nixosConfigurations.alpha = machineWith "alpha" {
      adminRecipients = [ (key "admin") ];
      store = {
        ca = ca // { validation = { subject = "/CN=Test CA"; }; };
        server = {
          files.key = { };
          files.cert.secret = false;
          dependencies = [ "ca" ];
          generator = gen "server" ''
            openssl req -newkey ed25519 -nodes -keyout $out/key -out /tmp/csr -subj "/CN=server" 2>/dev/null
            openssl x509 -req -in /tmp/csr -CA $in/ca/cert -CAkey $in/ca/key -set_serial 1 -out $out/cert -days 30 2>/dev/null
          '';
        };
        token = { files.t = { }; generator = gen "token" ''head -c 16 /dev/urandom | base64 > $out/t''; };
      };
    };
"#;

fn verify_chain(f: &Fixture) {
    let out = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(f.stored("machines/alpha/ca/cert"))
        .arg(f.stored("machines/alpha/server/cert"))
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_dependency_reaches_the_generator_and_regenerating_it_regenerates_its_dependents() {
    let f = Fixture::new(CHAIN);
    let first = f.run(&["generate"]).ok();
    assert_eq!(ran(&first), ["alpha/ca", "alpha/server", "alpha/token"]);
    let stderr = first.stderr();
    let order: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(": stored with agenix"))
        .collect();
    let ca = order
        .iter()
        .position(|l| l.starts_with("alpha/ca:"))
        .unwrap();
    let server = order
        .iter()
        .position(|l| l.starts_with("alpha/server:"))
        .unwrap();
    assert!(
        ca < server,
        "the CA is stored before the server runs: {order:?}"
    );
    verify_chain(&f);

    // The CA alone is asked for: its dependent follows, the token does not.
    let token = f.age_decrypt("machines/alpha/token/t.age", "alpha");
    let again = f
        .run(&["generate", "--regenerate", "--artifact", "ca"])
        .ok();
    assert_eq!(ran(&again), ["alpha/ca", "alpha/server"]);
    assert!(
        again
            .stderr()
            .contains("alpha/server: will be generated too: it depends on alpha/ca"),
        "{}",
        again.stderr()
    );
    verify_chain(&f);
    assert_eq!(f.age_decrypt("machines/alpha/token/t.age", "alpha"), token);

    // The dependent alone reads the stored CA back, with an identity.
    let ca_cert = std::fs::read(f.stored("machines/alpha/ca/cert")).unwrap();
    let run = f
        .run(&[
            "generate",
            "--regenerate",
            "--artifact",
            "server",
            "--identity",
            &identity("admin"),
        ])
        .ok();
    assert_eq!(ran(&run), ["alpha/server"]);
    assert_eq!(
        std::fs::read(f.stored("machines/alpha/ca/cert")).unwrap(),
        ca_cert
    );
    verify_chain(&f);
}

#[test]
fn a_dependency_without_an_identity_stops_before_any_generator_runs() {
    let f = Fixture::new(CHAIN);
    f.run(&["generate"]).ok();
    let before = f.snapshot();
    let home = f.dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let mut cmd = f.command(&["generate", "--regenerate", "--artifact", "server"]);
    cmd.env("HOME", &home).env_remove("SOPS_AGE_KEY_FILE");
    let run = Run(cmd.output().unwrap());
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(ran(&run).is_empty(), "{}", run.stderr());
    assert!(
        run.stderr().contains(
            "machine alpha, artifact server: cannot read its dependency alpha/ca: no identity"
        ),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("--identity"), "{}", run.stderr());
    assert_eq!(f.snapshot(), before);
}

#[test]
fn a_missing_dependency_is_generated_first() {
    let f = Fixture::new(CHAIN);
    let run = f.run(&["generate", "--artifact", "server"]).ok();
    assert_eq!(ran(&run), ["alpha/ca", "alpha/server"]);
    assert!(
        run.stderr()
            .contains("alpha/ca: will be generated too: alpha/server needs it and it is missing"),
        "{}",
        run.stderr()
    );
    verify_chain(&f);
}

#[test]
fn a_cycle_and_a_missing_dependency_are_errors_naming_them() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" {
      a = { files.f = { }; dependencies = [ "b" ]; generator = gen "a" "echo > $out/f"; };
      b = { files.f = { }; dependencies = [ "c" ]; generator = gen "b" "echo > $out/f"; };
      c = { files.f = { }; dependencies = [ "a" ]; generator = gen "c" "echo > $out/f"; };
      lost = { files.f = { }; dependencies = [ "nowhere" ]; generator = gen "lost" "echo > $out/f"; };
      fine = { files.f = { }; generator = gen "fine" "echo > $out/f"; };
    };
"#,
    );
    let run = f.run(&["generate"]).fails();
    let err = run.stderr();
    assert!(
        err.contains("its dependencies form a cycle: a → b → c → a"),
        "{err}"
    );
    assert!(
        err.contains("artifact lost: it depends on nowhere, which machine alpha does not declare"),
        "{err}"
    );
    assert_eq!(ran(&run), ["alpha/fine"]);
    assert_eq!(f.run(&["check"]).code(), 2);
}

#[test]
fn a_validation_change_regenerates_the_artifact_and_its_dependents_only() {
    let f = Fixture::new(CHAIN);
    f.run(&["generate"]).ok();
    f.write_flake(&CHAIN.replace(
        r#"validation = { subject = "/CN=Test CA"; };"#,
        r#"validation = { subject = "/CN=Test CA"; bits = 2; };"#,
    ));
    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(
        check
            .stdout()
            .contains("alpha/ca: stale: its validation value changed"),
        "{}",
        check.stdout()
    );
    let run = f.run(&["generate"]).ok();
    assert_eq!(ran(&run), ["alpha/ca", "alpha/server"]);
    verify_chain(&f);
    f.run(&["check"]).ok();
}

#[test]
fn a_changed_generator_is_reported_not_acted_on() {
    let f = Fixture::new(CHAIN);
    f.run(&["generate"]).ok();
    let before = f.snapshot();
    f.write_flake(&CHAIN.replace(
        "head -c 16 /dev/urandom | base64",
        "head -c 16 /dev/urandom | base64 -w0",
    ));
    let check = f.run(&["check"]).ok();
    assert!(
        check.stdout().contains("alpha/token: generator changed"),
        "{}",
        check.stdout()
    );
    assert!(f.run(&["list"]).stdout().contains("generator changed"));
    let run = f.run(&["generate"]).ok();
    assert!(ran(&run).is_empty(), "{}", run.stderr());
    assert_eq!(f.snapshot(), before);
    let run = f
        .run(&["generate", "--regenerate", "--artifact", "token"])
        .ok();
    assert_eq!(ran(&run), ["alpha/token"]);
    assert!(!f.run(&["check"]).stdout().contains("generator changed"));
}

#[test]
fn adding_and_removing_an_admin_rekeys_without_running_anything() {
    let plain = r#"nixosConfigurations.alpha = machine "alpha" { inherit attic; two = test // { files = { secret = { }; other = { }; }; generator = gen "two" ''cat $prompts/test > $out/secret; echo x > $out/other''; }; };"#;
    let f = Fixture::new(plain);
    f.run(&["generate", "--prompt", "two.test=value"]).ok();
    let env = f.age_decrypt("machines/alpha/attic/env.age", "alpha");
    let with_admin = plain
        .replace(
            r#"machine "alpha" {"#,
            r#"machineWith "alpha" { adminRecipients = [ (key "admin") ]; store = {"#,
        )
        .replace("''; }; };", "''; }; }; };");
    f.write_flake(&with_admin);
    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(
        check
            .stdout()
            .contains("alpha/attic: needs rekey: recipients added: ssh-ed25519"),
        "{}",
        check.stdout()
    );

    // The machine's own key reads the values; no prompt, no generator.
    let run = f.run(&["rekey", "--identity", &identity("alpha")]).ok();
    assert!(ran(&run).is_empty());
    assert!(run.stderr().contains("re-encrypted 2"), "{}", run.stderr());
    assert_eq!(f.age_decrypt("machines/alpha/attic/env.age", "admin"), env);
    assert_eq!(
        f.age_decrypt("machines/alpha/two/secret.age", "admin"),
        b"value"
    );
    f.run(&["check"]).ok();

    // Removed again, through `generate`: the admin can no longer read it.
    f.write_flake(plain);
    let run = f.run(&["generate", "--identity", &identity("admin")]).ok();
    assert!(ran(&run).is_empty(), "{}", run.stderr());
    assert_eq!(f.age_decrypt("machines/alpha/attic/env.age", "alpha"), env);
    let denied = std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(key_path("admin"))
        .arg(f.stored("machines/alpha/attic/env.age"))
        .output()
        .unwrap();
    assert!(!denied.status.success(), "a removed admin still decrypts");
}

#[test]
fn a_new_host_key_rekeys() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machineWith "alpha" { adminRecipients = [ (key "admin") ]; store = { inherit attic; }; };"#,
    );
    f.run(&["generate"]).ok();
    let env = f.age_decrypt("machines/alpha/attic/env.age", "alpha");
    f.write_flake(r#"nixosConfigurations.alpha = machineWith "alpha" { publicKey = key "gamma"; adminRecipients = [ (key "admin") ]; store = { inherit attic; }; };"#);
    let run = f.run(&["generate", "--identity", &identity("admin")]).ok();
    assert!(ran(&run).is_empty());
    assert_eq!(f.age_decrypt("machines/alpha/attic/env.age", "gamma"), env);
}

#[test]
fn switching_the_backend_moves_the_value_unchanged() {
    let f = Fixture::new(r#"nixosConfigurations.alpha = machine "alpha" { inherit attic; };"#);
    f.run(&["generate"]).ok();
    let env = f.age_decrypt("machines/alpha/attic/env.age", "alpha");
    f.write_flake(r#"nixosConfigurations.alpha = machine "alpha" { attic = attic // { backend = "sops-nix"; }; };"#);
    let check = f.run(&["check"]);
    assert!(
        check
            .stdout()
            .contains("alpha/attic: needs rekey: the backend changed from agenix to sops-nix"),
        "{}",
        check.stdout()
    );
    let run = f.run(&["generate", "--identity", &identity("alpha")]).ok();
    assert!(ran(&run).is_empty());
    assert_eq!(
        f.sops_decrypt("machines/alpha/attic/env.sops", "alpha"),
        env
    );
    assert!(!f.stored("machines/alpha/attic/env.age").exists());
    f.run(&["check"]).ok();
    assert_eq!(
        f.git_tracked(),
        [
            "machines/alpha/attic/.meta.json",
            "machines/alpha/attic/env.sops"
        ]
    );
}

/// A shared token read by one machine's own artifact; `@MORE@` is where
/// more machines go.
const SHARED: &str = r#"
    nixosConfigurations = let
      token = { shared = true; files.t = { }; files.id.secret = false; description = "cluster join token";
                generator = gen "token" ''head -c 16 /dev/urandom | base64 > $out/t; echo id-1 > $out/id''; };
    in {
      alpha = machine "alpha" { inherit token; own = { files.f = { }; dependencies = [ "token" ]; generator = gen "own" ''cp $in/token/t $out/f''; }; };
      beta = machine "beta" { inherit token; };
      @MORE@
    };
"#;

#[test]
fn shared_artifacts_work_wherever_list_prints_them() {
    let f = Fixture::new(&SHARED.replace("@MORE@", ""));
    f.run(&["generate"]).ok();
    let t = f.age_decrypt("shared/token/t.age", "alpha");
    assert_eq!(f.age_decrypt("shared/token/t.age", "beta"), t);
    assert_eq!(
        f.age_decrypt("machines/alpha/own/f.age", "alpha"),
        t,
        "a machine artifact read the shared one"
    );

    let list = f.run(&["list", "--machine", "shared"]).ok();
    assert!(list.stdout().contains("shared/token"), "{}", list.stdout());
    assert!(
        list.stdout().contains("cluster join token"),
        "{}",
        list.stdout()
    );
    assert!(!list.stdout().contains("alpha/own"), "{}", list.stdout());
    let shown = f
        .run(&["show", "shared/token/t", "--identity", &identity("beta")])
        .ok();
    assert_eq!(shown.0.stdout, t);
    // A public file needs no identity.
    let home = f.dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let mut cmd = f.command(&["show", "shared/token/id"]);
    cmd.env("HOME", &home);
    assert_eq!(Run(cmd.output().unwrap()).ok().stdout(), "id-1\n");
    let json: serde_json::Value =
        serde_json::from_str(&f.run(&["list", "--json"]).ok().stdout()).unwrap();
    let own = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["artifact"] == "own")
        .unwrap();
    assert_eq!(own["dependencies"], serde_json::json!(["shared/token"]));
    let token = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["artifact"] == "token")
        .unwrap();
    assert_eq!(token["declared_by"], serde_json::json!(["alpha", "beta"]));
    assert_eq!(token["description"], "cluster join token");

    // A third machine joins: rekeyed, not regenerated.
    f.write_flake(&SHARED.replace("@MORE@", r#"gamma = machine "gamma" { inherit token; };"#));
    assert!(f
        .run(&["check"])
        .stdout()
        .contains("shared/token: needs rekey"));
    let run = f.run(&["generate", "--identity", &identity("alpha")]).ok();
    assert!(ran(&run).is_empty(), "{}", run.stderr());
    assert_eq!(f.age_decrypt("shared/token/t.age", "gamma"), t);
}

#[test]
fn shared_declarations_that_differ_are_an_error_naming_both_and_the_difference() {
    let f = Fixture::new(
        r#"
    nixosConfigurations = let
      token = { shared = true; files.t = { }; generator = gen "token" ''echo 1 > $out/t''; };
    in {
      alpha = machine "alpha" { inherit token; };
      beta = machine "beta" { token = token // { validation = 2; }; };
    };
"#,
    );
    let run = f.run(&["generate"]).fails();
    assert!(
        run.stderr().contains("declared differently here than on machine alpha: the validation differ (none there, 2 here)"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("machine beta, artifact token"),
        "{}",
        run.stderr()
    );
}

#[test]
fn list_json_has_one_key_per_field() {
    let f = Fixture::new(r#"nixosConfigurations.alpha = machine "alpha" { inherit attic; };"#);
    let out = f.run(&["list", "--json"]).ok().stdout();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let row = &json[0];
    assert_eq!(row["status"], "missing");
    assert_eq!(row["missing"], serde_json::json!(["env.age"]));
    assert_eq!(row["files"], serde_json::json!(["env"]));
    for key in [
        "scope",
        "artifact",
        "backend",
        "status",
        "missing",
        "files",
        "dependencies",
        "description",
    ] {
        assert_eq!(
            out.matches(&format!("\"{key}\":")).count(),
            1,
            "{key} in {out}"
        );
    }
}

#[test]
fn dummy_artifacts_may_depend_on_others_but_nothing_stored_on_a_dummy_one() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.gamma = machineWith "gamma" {
      default.backend = "dummy";
      store = {
        ca = { files.cert = { }; generator = gen "ca" "echo ca > $out/cert"; };
        cert = { files.c = { }; dependencies = [ "ca" ]; generator = gen "cert" "cp $in/ca/cert $out/c"; };
        stored = { backend = "agenix"; files.s = { }; dependencies = [ "ca" ]; generator = gen "stored" "cp $in/ca/cert $out/s"; };
      };
    };
"#,
    );
    let list = f.run(&["list", "--artifact", "cert"]).ok();
    assert!(
        list.stdout()
            .contains("gamma/cert  dummy     generated on the machine"),
        "{}",
        list.stdout()
    );
    let run = f.run(&["generate"]).fails();
    assert!(
        run.stderr().contains(
            "artifact stored: it depends on ca, which the dummy backend makes on the machine"
        ),
        "{}",
        run.stderr()
    );
    assert!(ran(&run).is_empty(), "{}", run.stderr());

    let show = f.run(&["show", "gamma/cert"]);
    assert_eq!(show.code(), 2, "{}", show.all());
    assert!(show.stdout().is_empty(), "{}", show.stdout());
    assert!(
        show.stderr()
            .contains("machine gamma, artifact cert: the dummy backend generates it on the target"),
        "{}",
        show.stderr()
    );
}

#[test]
fn a_dependent_made_from_an_older_dependency_is_stale_whatever_left_it_so() {
    let f = Fixture::new(CHAIN);
    f.run(&["generate"]).ok();
    verify_chain(&f);
    common::git(&f.root(), &["commit", "-qm", "first"]);

    // A hand edit (or an interrupt after `ca` was stored): the old server.
    f.run(&["generate", "--regenerate", "--artifact", "ca", "--yes"])
        .ok();
    common::git(
        &f.root(),
        &["checkout", "HEAD", "--", "artifacts/machines/alpha/server"],
    );
    let expect_stale = |f: &Fixture| {
        let check = f.run(&["check"]);
        assert_eq!(check.code(), 1, "{}", check.all());
        assert!(
            check
                .stdout()
                .contains("alpha/server: stale: made from an older `ca`"),
            "{}",
            check.stdout()
        );
        assert!(f
            .run(&["list"])
            .stdout()
            .contains("stale: made from an older `ca`"));
    };
    expect_stale(&f);
    let admin = identity("admin");
    let run = f.run(&["generate", "--identity", &admin]).ok();
    assert_eq!(ran(&run), ["alpha/server"], "{}", run.all());
    verify_chain(&f);
    f.run(&["check"]).ok();

    // The dependent's generator fails after the CA was stored.
    common::git(&f.root(), &["add", "-A"]);
    common::git(&f.root(), &["commit", "-qm", "second"]);
    let good = std::fs::read_to_string(f.root().join("flake.nix")).unwrap();
    f.write_flake(&CHAIN.replace(
        "openssl req -newkey ed25519",
        "exit 3; openssl req -newkey ed25519",
    ));
    let failed = f.run(&["generate", "--regenerate", "--artifact", "ca", "--yes"]);
    assert_eq!(failed.code(), 1, "{}", failed.all());
    std::fs::write(f.root().join("flake.nix"), good).unwrap();
    common::git(&f.root(), &["add", "flake.nix"]);
    expect_stale(&f);
    f.run(&["generate", "--identity", &admin]).ok();
    verify_chain(&f);
    f.run(&["check"]).ok();
    // Re-encrypting keeps the generation: no dependent turns stale.
    let meta = |a: &str| -> serde_json::Value {
        serde_json::from_slice(
            &std::fs::read(f.stored(&format!("machines/alpha/{a}/.meta.json"))).unwrap(),
        )
        .unwrap()
    };
    let ca = meta("ca");
    assert_eq!(ca["version"], 3);
    assert_eq!(ca["generation"].as_str().unwrap().len(), 32);
    assert_eq!(meta("server")["dependencies"]["alpha/ca"], ca["generation"]);
}
