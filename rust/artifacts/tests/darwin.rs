//! Macs managed by nix-darwin are machines: the CLI finds
//! `darwinConfigurations.<m>` like `nixosConfigurations.<m>` and stores
//! their artifacts under `artifacts/machines/<name>/`. The fixture flakes
//! stand in for the nix-darwin module with `lib.mkScope`, which gives the
//! same manifest (rust/nix-tests/tests/darwin.rs evaluates the real one).

mod common;
use common::Fixture;

#[test]
fn darwin_configurations_are_machines() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" { inherit test; };
    darwinConfigurations.beta = machine "beta" { inherit attic; };
"#,
    );
    let list = f.run(&["list", "--json"]).ok();
    let rows: serde_json::Value = serde_json::from_str(&list.stdout()).unwrap();
    let scopes: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["scope"]["kind"].as_str().unwrap(),
                r["scope"]["name"].as_str().unwrap(),
                r["artifact"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        scopes,
        ["machine alpha test", "machine beta attic"],
        "{rows}"
    );

    // `check` sees the Mac's artifact missing, `generate` stores it
    // encrypted to the Mac's key, then `check` is content.
    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(check.all().contains("beta/attic"), "{}", check.all());
    f.run(&["generate", "--machine", "beta"]).ok();
    assert!(f
        .age_decrypt("machines/beta/attic/env.age", "beta")
        .starts_with(b"TOKEN="));
    f.run(&["generate", "--prompt", "alpha/test.test=ok"]).ok();
    f.run(&["check"]).ok();
}

#[test]
fn a_mac_and_a_nixos_machine_of_one_name_are_refused() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" { inherit attic; };
    darwinConfigurations.mac = machine "alpha" { inherit attic; };
"#,
    );
    let run = f.run(&["generate"]).fails();
    assert!(
        run.stderr().contains("darwinConfigurations.mac and nixosConfigurations.alpha would store their artifacts in the same folder artifacts/machines/alpha"),
        "{}",
        run.stderr()
    );
    assert!(!f.stored("machines/alpha").exists());
}

#[test]
fn a_mac_whose_configuration_throws_is_named_with_how_to_see_why() {
    let f = Fixture::new(
        r#"
    nixosConfigurations.alpha = machine "alpha" { inherit attic; };
    darwinConfigurations.mac = { config.artifacts.manifest = throw "no host name"; };
"#,
    );
    let run = f.run(&["check"]);
    let all = run.all();
    assert_eq!(run.code(), 2, "{all}");
    assert!(
        all.contains("mac (darwinConfigurations.mac): its configuration does not evaluate"),
        "{all}"
    );
    assert!(
        all.contains("#darwinConfigurations.mac.config.artifacts.manifest' --show-trace"),
        "{all}"
    );
}
