//! Files that are never deployed (`deploy = false`): a CA's private key is
//! encrypted to the administrators only, so a machine's key cannot open it,
//! yet certificates are still signed with it through `$in`; flipping the
//! flag re-encrypts the stored value instead of making a new one.

mod common;
use common::{key_path, Fixture};

const CA: &str = r#"
    nixosConfigurations.alpha = machineWith "alpha" {
      @ADMINS@
      store = {
        ca = ca // { files = ca.files // { key.deploy = @DEPLOY@; }; };
        inherit server;
      };
    };
"#;

fn flake(deploy: bool, admins: bool) -> String {
    CA.replace("@DEPLOY@", if deploy { "true" } else { "false" })
        .replace(
            "@ADMINS@",
            if admins {
                r#"adminRecipients = [ (key "admin") ];"#
            } else {
                ""
            },
        )
}

fn admin() -> String {
    key_path("admin").to_str().unwrap().to_string()
}

fn age_opens(f: &Fixture, stored: &str, key: &str) -> bool {
    std::process::Command::new("age")
        .args(["-d", "-i", key_path(key).to_str().unwrap()])
        .arg(f.stored(stored))
        .output()
        .unwrap()
        .status
        .success()
}

fn verify(f: &Fixture) {
    let ok = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(f.stored("machines/alpha/ca/cert"))
        .arg(f.stored("machines/alpha/server/cert"))
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn an_undeployed_ca_key_is_for_admins_only_and_still_signs() {
    let f = Fixture::new(&flake(false, true));
    f.run(&["generate"]).ok();
    verify(&f);
    assert!(
        !age_opens(&f, "machines/alpha/ca/key.age", "alpha"),
        "the host key must not open the CA key"
    );
    assert!(age_opens(&f, "machines/alpha/ca/key.age", "admin"));
    assert!(
        age_opens(&f, "machines/alpha/server/key.age", "alpha"),
        "deployed files stay for the host"
    );
    // A later run reads the CA key back with the admin's identity.
    f.run(&[
        "generate",
        "--regenerate",
        "--artifact",
        "server",
        "--yes",
        "-i",
        &admin(),
    ])
    .ok();
    verify(&f);
    f.run(&["check"]).ok();
}

#[test]
fn flipping_deploy_re_encrypts_without_regenerating() {
    let f = Fixture::new(&flake(true, true));
    f.run(&["generate"]).ok();
    let before = f
        .run(&["show", "alpha/ca/key", "-i", &admin()])
        .ok()
        .0
        .stdout;
    assert!(age_opens(&f, "machines/alpha/ca/key.age", "alpha"));
    f.write_flake(&flake(false, true));
    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(check.all().contains("deploy"), "{}", check.all());
    let run = f.run(&["generate", "-i", &admin()]).ok();
    assert!(run.all().contains("re-encrypted"), "{}", run.all());
    assert!(!age_opens(&f, "machines/alpha/ca/key.age", "alpha"));
    let after = f
        .run(&["show", "alpha/ca/key", "-i", &admin()])
        .ok()
        .0
        .stdout;
    assert_eq!(before, after, "the CA key is the same value");
    f.run(&["check"]).ok();
    verify(&f);
}

#[test]
fn an_undeployed_secret_without_admins_is_an_error_saying_so() {
    let f = Fixture::new(&flake(false, false));
    let run = f.run(&["generate"]).fails();
    assert!(run.stderr().contains("adminRecipients"), "{}", run.all());
    assert!(run.stderr().contains("deploy = false"), "{}", run.all());
    assert!(!f.stored("machines/alpha/ca").exists());
}
