//! docs/test-inputs.md says what ARTIFACTS_TEST_INPUTS must hold. Its pins
//! are those of checks/sources.nix (what `nix flake check` fetches), and
//! where the inputs are present, every folder it requires is there.

use artifacts_nix_tests::{eval_expr, repo_root, test_inputs};

fn doc() -> String {
    std::fs::read_to_string(repo_root().join("docs/test-inputs.md")).expect("docs/test-inputs.md")
}

/// The table's rows: (folder, repository, commit, optional).
fn rows() -> Vec<(String, String, String, bool)> {
    doc()
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let folder = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((
                folder.to_string(),
                cells[2].to_string(),
                cells[3].to_string(),
                cells[4].starts_with("optional"),
            ))
        })
        .collect()
}

#[test]
fn the_documented_pins_are_those_of_checks_sources_nix() {
    // The arguments of each fetch, not the fetches (no network here).
    let sources = eval_expr(
        "scopedImport { builtins = builtins // { fetchTree = args: args; }; } ./checks/sources.nix",
        &[],
    );
    let rows = rows();
    assert!(
        rows.len() >= 6,
        "the table of docs/test-inputs.md: {rows:?}"
    );
    for (name, source) in sources.as_object().unwrap() {
        let row = rows
            .iter()
            .find(|(folder, ..)| folder == name)
            .unwrap_or_else(|| panic!("docs/test-inputs.md has no row for {name}"));
        assert_eq!(
            row.1,
            format!(
                "{}/{}",
                source["owner"].as_str().unwrap(),
                source["repo"].as_str().unwrap()
            ),
            "{name}"
        );
        assert_eq!(row.2, source["rev"].as_str().unwrap(), "{name}");
    }
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn the_test_inputs_hold_every_documented_folder() {
    let Some(inputs) = test_inputs("the_test_inputs_hold_every_documented_folder") else {
        return;
    };
    for (folder, _, _, optional) in rows() {
        if !optional {
            assert!(
                inputs.join(&folder).is_dir(),
                "{folder} is missing in {}",
                inputs.display()
            );
        }
    }
    for file in [
        "nixos/modules/misc/assertions.nix",
        "nixos/modules/misc/meta.nix",
        "modules/generic/meta-maintainers.nix",
    ] {
        assert!(inputs.join("nixpkgs-files").join(file).is_file(), "{file}");
    }
}
