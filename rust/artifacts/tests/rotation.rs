//! `rotateAfter`: values older than it are due. `check` names them with
//! their age and fails, `generate` makes them again with their dependents
//! (no `--regenerate`), `list` shows every artifact's age. Ages are set by
//! back-dating the stored metadata's `madeAt`, never by sleeping.

mod common;
use common::{git, ran, Fixture};
use serde_json::Value;

const FLEET: &str = r#"
    nixosConfigurations.alpha = machine "alpha" {
      ca = ca // { rotateAfter = "90d"; };
      server = server // { rotateAfter = "7d"; };
      token = {
        files.token = { };
        rotateAfter = "30d";
        generator = gen "token" ''head -c 32 /dev/urandom | base64 > $out/token'';
      };
      forever = {
        files.value = { };
        generator = gen "forever" ''head -c 32 /dev/urandom | base64 > $out/value'';
      };
    };
"#;

const DAY: u64 = 86_400;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn meta(f: &Fixture, artifact: &str) -> Value {
    let path = f.stored(&format!("machines/alpha/{artifact}/.meta.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Makes `artifact`'s values `days` old, staged as a commit would have them.
fn age_by(f: &Fixture, artifact: &str, days: u64) {
    let mut m = meta(f, artifact);
    m["madeAt"] = (now() - days * DAY).into();
    let path = f.stored(&format!("machines/alpha/{artifact}/.meta.json"));
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    git(&f.root(), &["add", "-A"]);
}

fn generation(f: &Fixture, artifact: &str) -> String {
    meta(f, artifact)["generation"]
        .as_str()
        .unwrap()
        .to_string()
}

fn listed(f: &Fixture) -> Vec<Value> {
    serde_json::from_str(&f.run(&["list", "--json"]).ok().stdout()).unwrap()
}

fn row<'a>(rows: &'a [Value], artifact: &str) -> &'a Value {
    rows.iter().find(|r| r["artifact"] == artifact).unwrap()
}

fn fresh() -> Fixture {
    let f = Fixture::new(FLEET);
    f.run(&["generate"]).ok();
    f
}

#[test]
fn a_due_artifact_fails_check_with_its_age() {
    let f = fresh();
    f.run(&["check"]).ok();
    age_by(&f, "ca", 100);
    let check = f.run(&["check"]);
    assert_eq!(check.code(), 1, "{}", check.all());
    assert!(
        check
            .stdout()
            .contains("alpha/ca: due for rotation: made 100 days ago, rotateAfter = 90d"),
        "{}",
        check.all()
    );
    // Only the old one is due; its dependent is current until it is replaced.
    assert!(!check.stdout().contains("alpha/server"), "{}", check.all());
}

#[test]
fn values_younger_than_rotate_after_are_not_due() {
    let f = fresh();
    age_by(&f, "token", 29);
    age_by(&f, "forever", 5000);
    let check = f.run(&["check"]).ok();
    assert!(
        check.stdout().contains("All 4 artifacts"),
        "{}",
        check.all()
    );
}

#[test]
fn generate_rotates_a_due_artifact_and_its_dependents_only() {
    let f = fresh();
    let before: Vec<String> = ["ca", "server", "token", "forever"]
        .iter()
        .map(|a| generation(&f, a))
        .collect();
    age_by(&f, "ca", 91);
    let run = f.run(&["generate"]).ok();
    assert_eq!(ran(&run), ["alpha/ca", "alpha/server"], "{}", run.all());
    assert_ne!(generation(&f, "ca"), before[0]);
    assert_ne!(generation(&f, "server"), before[1]);
    assert_eq!(generation(&f, "token"), before[2]);
    assert_eq!(generation(&f, "forever"), before[3]);
    let verify = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(f.stored("machines/alpha/ca/cert"))
        .arg(f.stored("machines/alpha/server/cert"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "the new certificate is signed by the new CA"
    );
    f.run(&["check"]).ok();
}

#[test]
fn a_due_dependent_rotates_without_its_dependency() {
    let f = fresh();
    let ca = generation(&f, "ca");
    age_by(&f, "server", 8);
    // The stored CA is read back to sign with: the host key opens it here.
    let alpha = common::key_path("alpha");
    let run = f
        .run(&["generate", "--identity", alpha.to_str().unwrap()])
        .ok();
    assert_eq!(ran(&run), ["alpha/server"], "{}", run.all());
    assert_eq!(generation(&f, "ca"), ca);
    f.run(&["check"]).ok();
}

#[test]
fn list_shows_age_generation_time_recipients_and_due_date() {
    let f = fresh();
    age_by(&f, "token", 10);
    let text = f.run(&["list"]).ok().stdout();
    assert!(text.contains("made 10 days ago ("), "{text}");
    let rows = listed(&f);
    let token = row(&rows, "token");
    let made = token["made_at"].as_str().unwrap();
    let due = token["due_at"].as_str().unwrap();
    assert_eq!(token["rotate_after"], "30d");
    assert_eq!(token["status"], "up-to-date");
    // 10 days ago, due 20 days from now: dates only, the seconds may move.
    let date = |secs: u64| {
        let out = std::process::Command::new("date")
            .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert!(made.starts_with(&date(now() - 10 * DAY)), "{made}");
    assert!(due.starts_with(&date(now() + 20 * DAY)), "{due}");
    let recipients = token["recipients"].as_array().unwrap();
    assert!(
        recipients
            .iter()
            .any(|r| common::public_key("alpha").starts_with(r.as_str().unwrap())),
        "{recipients:?}"
    );
    let forever = row(&rows, "forever");
    assert!(forever["made_at"].is_string());
    assert!(forever["due_at"].is_null() && forever["rotate_after"].is_null());

    age_by(&f, "token", 31);
    let rows = listed(&f);
    assert_eq!(row(&rows, "token")["status"], "due");
    assert!(row(&rows, "token")["reason"]
        .as_str()
        .unwrap()
        .starts_with("made 31 days ago"));
}

#[test]
fn a_malformed_rotate_after_names_the_artifact() {
    let f = Fixture::new(
        r#"nixosConfigurations.alpha = machine "alpha" { token = { files.t = { }; rotateAfter = "90 days"; generator = gen "t" "echo > $out/t"; }; };"#,
    );
    let run = f.run(&["check"]);
    assert_eq!(run.code(), 2, "{}", run.all());
    assert!(
        run.stderr().contains("artifact token")
            && run
                .stderr()
                .contains(r#"rotateAfter = "90 days" is not a duration like "90d""#),
        "{}",
        run.all()
    );
}
