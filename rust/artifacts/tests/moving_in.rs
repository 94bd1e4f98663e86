//! README "Moving in": every `artifacts import` command of that section
//! runs as written, in a flake that holds the files it names, made by the
//! reference `age` and `sops` (and a plaintext `clan vars export` tree).

mod common;
use common::{key_path, Fixture};
use std::path::Path;
use std::process::Command;

const README: &str = include_str!("../../../README.md");

const FLEET: &str = r#"
    nixosConfigurations.alpha = machineWith "alpha" {
      adminRecipients = [ (key "admin") ];
      store = {
        db = { files.password = { }; generator = gen "never-db" "exit 1"; };
        api = { backend = "sops-nix"; files.token = { }; generator = gen "never-api" "exit 1"; };
        wifi = { files.psk = { }; generator = gen "never-wifi" "exit 1"; };
        ssh = { files.key = { }; files.pub.secret = false; generator = gen "never-ssh" "exit 1"; };
      };
    };
"#;

/// The `artifacts import` lines of the README's "Moving in" section.
fn commands() -> Vec<Vec<String>> {
    let start = README
        .find("## Moving in")
        .expect("README has a Moving in section");
    let section = &README[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |e| e + 3);
    section[..end]
        .lines()
        .filter(|l| l.starts_with("artifacts import "))
        .map(|l| l.split_whitespace().skip(1).map(str::to_string).collect())
        .collect()
}

fn tool(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn age_key(path: &Path) -> String {
    tool(Command::new("age-keygen").arg("-o").arg(path));
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string()
}

#[test]
fn the_readme_moving_in_commands_work_as_written() {
    let f = Fixture::new(FLEET);
    let root = f.root();
    let home = f.dir.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::copy(key_path("admin"), home.join(".ssh/id_ed25519")).unwrap();
    std::fs::create_dir_all(root.join("secrets")).unwrap();
    // agenix: encrypted to the admin's SSH key.
    let admin_pub = key_path("admin").with_extension("pub");
    let mut age = Command::new("age");
    age.arg("-R")
        .arg(&admin_pub)
        .arg("-o")
        .arg(root.join("secrets/db-password.age"));
    common::run_with_stdin(age, b"agenix-password\n").ok();
    // sops-nix: a YAML file with nested keys, for an admin age key.
    let admin_age = age_key(&root.join("admin.agekey"));
    let plain = f.dir.path().join("alpha.yaml");
    std::fs::write(&plain, "api:\n    token: sops-token\n").unwrap();
    let yaml = tool(
        Command::new("sops")
            .args(["encrypt", "--age", &admin_age])
            .arg(&plain),
    );
    std::fs::write(root.join("secrets/alpha.yaml"), yaml).unwrap();
    // agenix-rekey: the master identity's age file.
    let master = age_key(&root.join("master.agekey"));
    let mut age = Command::new("age");
    age.args(["-r", &master, "-o"])
        .arg(root.join("secrets/wifi.age"));
    common::run_with_stdin(age, b"wifi-psk").ok();
    // clan vars export.
    let export = root.join("clan-export/per-machine/alpha/ssh");
    std::fs::create_dir_all(&export).unwrap();
    std::fs::write(export.join("key"), "ssh-private\n").unwrap();
    std::fs::write(export.join("pub"), "ssh-ed25519 AAAA\n").unwrap();
    std::fs::write(root.join("clan-export/per-machine/alpha/leftover"), "?").unwrap();

    let commands = commands();
    assert_eq!(commands.len(), 4, "{commands:?}");
    for args in &commands {
        // As the shell would: `~/` is the home folder.
        let args: Vec<String> = args
            .iter()
            .map(|a| match a.strip_prefix("~/") {
                Some(rest) => home.join(rest).to_string_lossy().into_owned(),
                None => a.clone(),
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = f
            .command(&[&["import"][..], &args[1..]].concat())
            .current_dir(&root)
            .env("HOME", &home)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "artifacts {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let show = |target: &str| {
        f.run(&["show", target, "-i", key_path("admin").to_str().unwrap()])
            .ok()
            .0
            .stdout
    };
    assert_eq!(show("alpha/db/password"), b"agenix-password\n");
    assert_eq!(show("alpha/api/token"), b"sops-token");
    assert_eq!(show("alpha/wifi/psk"), b"wifi-psk");
    assert_eq!(show("alpha/ssh/key"), b"ssh-private\n");
    assert_eq!(show("alpha/ssh/pub"), b"ssh-ed25519 AAAA\n");
    f.run(&["check"]).ok();
}
