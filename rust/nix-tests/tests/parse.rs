//! Every `.nix` file in the repository parses, tracked or not yet committed.

use artifacts_nix_tests::{nix_command, repo_root, run};

#[test]
fn every_nix_file_parses() {
    let mut git = std::process::Command::new("git");
    git.current_dir(repo_root()).args([
        "ls-files",
        "--cached",
        "--others",
        "--exclude-standard",
        "-z",
        "--",
        "*.nix",
    ]);
    let listed = run(git).expect("git ls-files");
    let files: Vec<&str> = listed.split('\0').filter(|f| !f.is_empty()).collect();
    assert!(
        files.contains(&"flake.nix"),
        "flake.nix not listed: {files:?}"
    );

    let failures: Vec<String> = files
        .iter()
        .filter(|f| repo_root().join(f).is_file())
        .filter_map(|file| {
            let mut cmd = nix_command("nix-instantiate");
            cmd.args(["--parse", file]);
            run(cmd).err().map(|e| format!("{file}: {e}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "files that do not parse:\n{}",
        failures.join("\n")
    );
}
