//! clan vars declarations (modules/clan-vars.nix) on the real agenix and
//! sops-nix modules (checks/eval/clan-vars.nix): generators re-expressed from
//! clan's own service modules become artifacts deployed at the paths clan's
//! modules read, and what has no equivalent is an assertion naming it.

use artifacts_nix_tests::{failed, module_test};
use serde_json::{json, Value};

/// The failed assertions this module adds (the others are about the
/// minimal machines of the error cases: no agenix, nothing stored).
fn clan_failures(v: &Value) -> Vec<String> {
    failed(v)
        .into_iter()
        .filter(|m| m.contains("clan.core.vars"))
        .collect()
}

/// What both backends translate the same way.
fn assert_translated(v: &Value) {
    let store = &v["store"];
    // The SSH host key: the script, with its tools, is our generator.
    let ssh = &store["openssh"];
    assert!(ssh["generator"]
        .as_str()
        .unwrap()
        .contains("ssh-keygen -t ed25519"));
    assert_eq!(ssh["runtimeInputs"], json!(["openssh"]));
    assert_eq!(ssh["files"]["ssh.id_ed25519.pub"]["secret"], false);
    // The root password: users stage; the persisted prompt is copied into
    // the file of the same name, which is never deployed.
    let password = &store["root-password"];
    assert_eq!(password["neededFor"], "users");
    assert_eq!(
        password["prompts"]["password"],
        json!({ "type": "hidden", "description": "The root password" })
    );
    assert!(password["generator"]
        .as_str()
        .unwrap()
        .contains(r#"cat "$prompts/password" > "$out/password""#));
    assert_eq!(password["files"]["password"]["deploy"], false);
    // The CA: shared, its key never deployed; the certificate reads it.
    assert_eq!(store["x509-ca"]["shared"], true);
    assert_eq!(store["x509-ca"]["files"]["key"]["deploy"], false);
    assert_eq!(v["caKeyPath"], false);
    let cert = &store["x509-cert"];
    assert_eq!(cert["dependencies"], json!(["x509-ca"]));
    assert_eq!(cert["validation"], json!({ "domain": "alpha.example.org" }));
    assert_eq!(cert["services"], json!(["nginx.service"]));
    assert_eq!(
        cert["files"]["key"],
        json!({ "secret": true, "deploy": true, "mode": "0440", "owner": "nginx", "group": "nginx" })
    );
    // Public values as clan's modules read them: the stored files.
    assert!(v["values"]["caCert"]
        .as_str()
        .unwrap()
        .contains("clan vars CA of the evaluation fixtures"));
    assert!(v["values"]["sshPub"]
        .as_str()
        .unwrap()
        .starts_with("ssh-ed25519 "));
}

module_test!(clan_vars_deploy_through_agenix, "clanVarsAgenix", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    assert_translated(&v);
    let age = v["age"].as_object().unwrap();
    let mut names: Vec<&String> = age.keys().collect();
    names.sort();
    // The CA's key and the password (deploy = false) are absent.
    assert_eq!(
        names,
        [
            "openssh/ssh.id_ed25519",
            "root-password/password-hash",
            "x509-cert/key"
        ]
    );
    assert_eq!(
        v["paths"]["sshKey"],
        v["age"]["openssh/ssh.id_ed25519"]["path"]
    );
    assert_eq!(v["paths"]["certKey"], v["age"]["x509-cert/key"]["path"]);
    assert_eq!(v["age"]["x509-cert/key"]["owner"], "nginx");
    assert_eq!(
        v["hashedPasswordFile"],
        "/run/artifacts/root-password/password-hash"
    );
});

module_test!(clan_vars_deploy_through_sops_nix, "clanVarsSops", |v| {
    assert_eq!(failed(&v), Vec::<String>::new());
    assert_translated(&v);
    let sops = v["sops"].as_object().unwrap();
    let mut names: Vec<&String> = sops.keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "openssh/ssh.id_ed25519",
            "root-password/password-hash",
            "x509-cert/key"
        ]
    );
    // The users stage is where sops-nix puts it, and clan's path says so.
    assert_eq!(
        v["hashedPasswordFile"],
        "/run/secrets-for-users/root-password/password-hash"
    );
    assert_eq!(
        v["sops"]["root-password/password-hash"]["path"],
        v["hashedPasswordFile"]
    );
    assert_eq!(
        v["paths"]["sshKey"],
        v["sops"]["openssh/ssh.id_ed25519"]["path"]
    );
});

fn assert_one(v: &Value, expected: &str) {
    assert_eq!(
        clan_failures(v),
        vec![format!("artifacts: machine 'alpha': {expected}")]
    );
}

module_test!(activation_stage_is_an_error, "clanVarsActivation", |v| {
    assert_one(
        &v,
        "clan.core.vars.generators.g.files.f.neededFor = \"activation\": there is no activation stage here, only \"services\" and \"users\".",
    );
});

module_test!(
    partitioning_stage_is_an_error,
    "clanVarsPartitioning",
    |v| {
        assert_one(
        &v,
        "clan.core.vars.generators.g.files.f.neededFor = \"partitioning\": there is no partitioning stage here, only \"services\" and \"users\".",
    );
    }
);

module_test!(
    multiline_hidden_is_an_error,
    "clanVarsMultilineHidden",
    |v| {
        assert_one(
        &v,
        "clan.core.vars.generators.g.prompts.p.type = \"multiline-hidden\" has no equivalent here; use \"multiline\" (echoed) or \"hidden\" (one line).",
    );
    }
);

module_test!(
    files_of_one_generator_in_two_stages_are_an_error,
    "clanVarsMixedStages",
    |v| {
        let failures = clan_failures(&v);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].contains("clan.core.vars.generators.g: its deployed files are needed for both \"users\" and \"services\""),
            "{failures:?}"
        );
    }
);

module_test!(migrate_fact_is_an_error, "clanVarsMigrateFact", |v| {
    assert_one(
        &v,
        "clan.core.vars.generators.g.migrateFact = \"old\": clan's legacy facts have no equivalent here; import the values with `artifacts import` instead.",
    );
});

module_test!(
    the_stage_of_a_file_never_deployed_does_not_matter,
    "clanVarsUndeployedStage",
    |v| {
        assert_eq!(clan_failures(&v), Vec::<String>::new());
    }
);

module_test!(an_owner_in_a_home_is_an_error, error "clanVarsHomeOwner", |e| {
    assert!(
        e.contains("artifacts: home 'alice': clan.core.vars.generators.g.files.f: owner / group nginx:root"),
        "{e}"
    );
});

/// The flake's `nixosModules.clanVars`, imported next to
/// `nixosModules.default` as a user would: the CLI's manifest of the
/// machine lists the clan generator as an artifact, and importing our module
/// twice defines `artifacts.package` once.
#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn the_flake_exports_the_clan_vars_module() {
    use artifacts_nix_tests::{test_inputs, user_flake::UserFlake};
    let Some(inputs) = test_inputs("the_flake_exports_the_clan_vars_module") else {
        return;
    };
    let user = UserFlake::new(&inputs);
    std::fs::write(
        user.root().join("flake.nix"),
        r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.artifacts.url = "github:nixos-artifacts/nixos-artifacts";
  inputs.artifacts.inputs.nixpkgs.follows = "nixpkgs";
  outputs = { self, artifacts, nixpkgs }: {
    nixosConfigurations.alpha = nixpkgs.lib.nixosSystem {
      modules = [
        artifacts.nixosModules.default
        artifacts.nixosModules.clanVars
        { networking.hostName = "alpha";
          clan.core.vars.generators.wg = { files.public.secret = false; files.private = { }; script = "wg genkey > $out/private"; }; }
      ];
    };
  };
}"#,
    )
    .unwrap();
    let v = user.eval(
        "nixosConfigurations.alpha.config",
        "c: { files = c.artifacts.manifest.artifacts.wg.files; package = c.artifacts.package != null; }",
    );
    assert_eq!(v["files"]["public"]["secret"], false);
    assert_eq!(v["files"]["private"]["secret"], true);
    assert_eq!(v["package"], true);
}

module_test!(
    clan_s_current_interface_is_accepted,
    "clanVarsCurrentInterface",
    |v| {
        assert_eq!(
            v["modes"],
            json!({ "four": "0640", "three": "0440", "pub": "0400" })
        );
        assert_eq!(
            v["allowEmpty"],
            json!({ "optional": true, "required": false })
        );
        assert_eq!(v["exists"], json!({ "stored": true, "missing": false }));
    }
);

module_test!(a_secret_file_s_existence_is_an_error, error "clanVarsSecretExists", |e| {
    assert!(
        e.contains("clan.core.vars.generators.openssh.files.ssh.id_ed25519.exists: whether a secret file exists cannot be known at evaluation time"),
        "{e}"
    );
});

module_test!(
    clan_s_secret_store_chooses_the_backend,
    "clanVarsSettings",
    |v| {
        let ours = |m: &str| format!("artifacts: machine 'alpha': clan.core.vars.settings.{m}");
        assert_eq!(v["sops"], json!({ "backend": "sops-nix", "failed": [] }));
        assert_eq!(v["age"], json!({ "backend": "agenix", "failed": [] }));
        assert_eq!(v["none"], json!({ "backend": "agenix", "failed": [] }));
        assert_eq!(
        v["conflict"]["failed"],
        json!([ours("secretStore = \"sops\" means artifacts.default.backend = \"sops-nix\", but it is \"agenix\"; remove one of them.")])
    );
        assert_eq!(
        v["passwordStore"]["failed"],
        json!([ours("secretStore = \"password-store\" has no equivalent here: choose artifacts.default.backend (\"agenix\", \"sops-nix\" or a script backend) and remove it.")])
    );
        let recipients = v["recipients"]["failed"].as_array().unwrap();
        assert_eq!(recipients.len(), 1, "{recipients:?}");
        assert!(
            recipients[0]
                .as_str()
                .unwrap()
                .starts_with(&ours("recipients is one of clan's store internals")),
            "{recipients:?}"
        );
    }
);
