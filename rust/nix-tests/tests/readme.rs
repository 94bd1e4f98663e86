//! Every ```nix block of README.md evaluates, as a reader would use it.
//!
//! Each block follows a marker, an HTML comment (invisible on the rendered
//! page) saying what the block is and so how it is evaluated:
//!
//! - `<!-- readme-test: module nixos -->`: the body of a NixOS module
//!   (attribute definitions using `config`, `pkgs`, `lib`);
//! - `<!-- readme-test: module-file nixos -->`: a whole NixOS module, as
//!   written inside a flake's `outputs` (`inputs` is in scope);
//! - `<!-- readme-test: flake nixosConfigurations.alpha -->`: a whole
//!   `flake.nix`; the configurations named are evaluated;
//! - `<!-- readme-test: flake-parts darwinConfigurations.mac -->`: what the
//!   flake-parts module of a `flake.nix` holds (`config`, `inputs` in
//!   scope, our flake module imported), as in the templates; the
//!   configurations named are evaluated (nix-darwin's with the real
//!   nix-darwin flake of the test inputs).
//!
//! After the kind, `files: NAME=PATH ...` copies files of this repository
//! into the flake (what a snippet refers to, such as `./configuration.nix`)
//! and `with: ...` (always last) adds the body of a module with what the
//! rest of a real configuration would define (another service's unit, the
//! artifacts a fragment reads). A block without a marker fails the test, so
//! a new snippet cannot escape.
//!
//! A module is evaluated in a machine as a flake declares it: our NixOS
//! module with `artifacts.directory = ./artifacts`, the stock agenix and
//! sops-nix modules, a host key. Every flake input points at a local copy
//! (this repository with its flake.lock, the test inputs, the stand-in
//! nixpkgs of nix/fake-nixpkgs; see src/user_flake.rs). A configuration
//! passes when its manifest evaluates and every failed assertion is only
//! "not generated yet", the state of a fresh flake before the first run.

use artifacts_nix_tests::user_flake::UserFlake;
use artifacts_nix_tests::{repo_root, test_inputs};
use serde_json::Value;
use std::path::Path;

/// One ```nix block: where it starts (1-based line of the fence), the
/// marker before it if any, and its text.
struct Block {
    line: usize,
    marker: Option<String>,
    code: String,
}

const MARKER: &str = "<!-- readme-test:";

fn blocks(readme: &str) -> Vec<Block> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() == "```nix" {
            let marker = lines[..i]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim())
                .filter(|l| l.starts_with(MARKER) && l.ends_with("-->"))
                .map(|l| l[MARKER.len()..l.len() - 3].trim().to_string());
            let start = i;
            let mut code = String::new();
            i += 1;
            while i < lines.len() && lines[i].trim_end() != "```" {
                code.push_str(lines[i]);
                code.push('\n');
                i += 1;
            }
            found.push(Block {
                line: start + 1,
                marker,
                code,
            });
        }
        i += 1;
    }
    found
}

#[derive(Debug, PartialEq)]
enum Kind {
    /// A module's body.
    Module,
    /// A whole module expression.
    ModuleFile,
    /// A whole flake.nix and the configurations to evaluate.
    Flake(Vec<String>),
    /// A flake-parts module's body and the configurations to evaluate.
    FlakeParts(Vec<String>),
}

#[derive(Debug)]
struct Marker {
    kind: Kind,
    /// (name in the flake, path in this repository)
    files: Vec<(String, String)>,
    with: Option<String>,
}

fn parse_marker(text: &str) -> Result<Marker, String> {
    let (head, with) = match text.split_once("with:") {
        Some((head, with)) => (head, Some(with.trim().to_string())),
        None => (text, None),
    };
    let (kind, files) = match head.split_once("files:") {
        Some((kind, files)) => (kind, files),
        None => (head, ""),
    };
    let files = files
        .split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some((name, path)) if repo_root().join(path).is_file() => {
                Ok((name.to_string(), path.to_string()))
            }
            _ => Err(format!(
                "`files: {pair}` is not NAME=PATH of a file of this repository"
            )),
        })
        .collect::<Result<_, _>>()?;
    let words: Vec<&str> = kind.split_whitespace().collect();
    let kind = match words.as_slice() {
        ["module", "nixos"] => Kind::Module,
        ["module-file", "nixos"] => Kind::ModuleFile,
        ["flake", configurations @ ..] if !configurations.is_empty() => {
            Kind::Flake(configurations.iter().map(|c| c.to_string()).collect())
        }
        ["flake-parts", configurations @ ..] if !configurations.is_empty() => {
            Kind::FlakeParts(configurations.iter().map(|c| c.to_string()).collect())
        }
        _ => {
            return Err(format!(
                "unknown kind `{}`: module nixos, module-file nixos, flake CONFIGURATION... or flake-parts CONFIGURATION...",
                words.join(" ")
            ))
        }
    };
    if with.is_some() && matches!(kind, Kind::Flake(_) | Kind::FlakeParts(_)) {
        return Err("`with:` adds to a module, not to a flake".into());
    }
    Ok(Marker { kind, files, with })
}

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).expect("README.md")
}

/// A machine the way a flake without flake-parts declares one, with
/// `module` (a Nix expression) among its modules.
fn machine_flake(module: &str, with: Option<&str>) -> String {
    format!(
        r#"{{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.artifacts.url = "github:nixos-artifacts/nixos-artifacts";
  inputs.artifacts.inputs.nixpkgs.follows = "nixpkgs";
  inputs.agenix.url = "github:ryantm/agenix";
  inputs.sops-nix.url = "github:Mic92/sops-nix";
  outputs = inputs@{{ nixpkgs, artifacts, agenix, sops-nix, ... }}: {{
    nixosConfigurations.readme = nixpkgs.lib.nixosSystem {{
      modules = [
        artifacts.nixosModules.default
        agenix.nixosModules.default
        sops-nix.nixosModules.sops
        {{
          networking.hostName = "alpha";
          # The SSH server whose host key agenix and sops-nix decrypt with.
          services.openssh.enable = true;
          artifacts.directory = ./artifacts;
          artifacts.publicKey = (import "${{artifacts}}/lib/tests/scope.nix").publicKey;
        }}
        ({module})
        ({{ config, pkgs, lib, ... }}: {{
          {with}
        }})
      ];
    }};
  }};
}}
"#,
        with = with.unwrap_or("")
    )
}

/// A flake as the templates write one, with `body` in its flake-parts
/// module; nix-darwin among its inputs if the body uses it.
fn flake_parts_flake(body: &str) -> String {
    let darwin = if body.contains("nix-darwin") {
        r#"
  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin/master";
  inputs.nix-darwin.inputs.nixpkgs.follows = "nixpkgs";"#
    } else {
        ""
    };
    format!(
        r#"{{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  inputs.artifacts.url = "github:nixos-artifacts/nixos-artifacts";
  inputs.artifacts.inputs.nixpkgs.follows = "nixpkgs";
  inputs.agenix.url = "github:ryantm/agenix";
  inputs.sops-nix.url = "github:Mic92/sops-nix";{darwin}
  outputs = inputs@{{ flake-parts, ... }}:
    flake-parts.lib.mkFlake {{ inherit inputs; }} ({{ config, inputs, lib, ... }}: {{
      imports = [ inputs.artifacts.flakeModules.default ];
      systems = [ "aarch64-darwin" "x86_64-darwin" "x86_64-linux" "aarch64-linux" ];
{body}    }});
}}
"#
    )
}

/// What is checked of a configuration: its manifest, what the stock
/// modules deploy, the templates' text and the failed assertions.
const CONFIGURATION: &str = r#"c: {
  manifest = c.artifacts.manifest;
  age = builtins.attrNames (c.age.secrets or { });
  sops = builtins.attrNames (c.sops.secrets or { });
  templates = builtins.mapAttrs (n: t: t.content) (c.artifacts.templates or { });
  failed = map (a: a.message) (builtins.filter (a: !a.assertion) (c.assertions or [ ]));
}"#;

/// The assertion of a fresh flake: nothing is generated yet.
fn not_generated_yet(message: &str) -> bool {
    message.contains("is missing. Run: nix run .#artifacts -- generate")
}

/// Evaluates one block; `Err` says why it does not work.
fn evaluate(inputs: &Path, block: &Block, marker: &Marker) -> Result<Vec<Value>, String> {
    let user = UserFlake::new(inputs);
    let flake = user.root();
    std::fs::create_dir_all(flake.join("artifacts")).unwrap();
    for (name, path) in &marker.files {
        let to = flake.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo_root().join(path), &to).unwrap();
    }
    let (text, configurations) = match &marker.kind {
        Kind::Flake(configurations) => (block.code.clone(), configurations.clone()),
        Kind::FlakeParts(configurations) => {
            (flake_parts_flake(&block.code), configurations.clone())
        }
        Kind::Module => (
            machine_flake(
                &format!("{{ config, pkgs, lib, ... }}: {{\n{}}}", block.code),
                marker.with.as_deref(),
            ),
            vec!["nixosConfigurations.readme".into()],
        ),
        Kind::ModuleFile => (
            machine_flake(&block.code, marker.with.as_deref()),
            vec!["nixosConfigurations.readme".into()],
        ),
    };
    std::fs::write(flake.join("flake.nix"), &text).unwrap();
    let mut results = Vec::new();
    for configuration in configurations {
        let value = user
            .try_eval(&format!("{configuration}.config"), CONFIGURATION)
            .map_err(|e| format!("{configuration} does not evaluate:\n{e}"))?;
        let failed: Vec<&str> = value["failed"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|m| !not_generated_yet(m))
            .collect();
        if !failed.is_empty() {
            return Err(format!(
                "{configuration}: failed assertions:\n{}",
                failed.join("\n")
            ));
        }
        if value["manifest"]["artifacts"]
            .as_object()
            .is_none_or(|a| a.is_empty())
        {
            return Err(format!("{configuration} declares no artifact: {value}"));
        }
        results.push(value);
    }
    Ok(results)
}

#[test]
fn every_nix_block_of_the_readme_says_how_it_is_tested() {
    let blocks = blocks(&readme());
    assert!(blocks.len() >= 5, "the README's nix blocks were not found");
    let problems: Vec<String> = blocks
        .iter()
        .filter_map(|b| match &b.marker {
            None => Some(format!(
                "README.md:{}: a nix block without `{MARKER} … -->` on the line before it",
                b.line
            )),
            Some(m) => parse_marker(m)
                .err()
                .map(|e| format!("README.md:{}: {e}", b.line)),
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_block_without_a_marker_is_found() {
    let text =
        "Intro\n\n<!-- readme-test: module nixos -->\n```nix\na = 1;\n```\n\n```nix\nb = 2;\n```\n";
    let found = blocks(text);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].marker.as_deref(), Some("module nixos"));
    assert_eq!(found[0].code, "a = 1;\n");
    assert_eq!(found[1].marker, None);
    assert_eq!(found[1].line, 8);
    let m = parse_marker("flake nixosConfigurations.alpha files: configuration.nix=templates/default/configuration.nix").unwrap();
    assert_eq!(
        m.kind,
        Kind::Flake(vec!["nixosConfigurations.alpha".into()])
    );
    assert_eq!(m.files.len(), 1);
    let m = parse_marker("module nixos with: systemd.services.a = { };").unwrap();
    assert_eq!(m.with.as_deref(), Some("systemd.services.a = { };"));
    let m = parse_marker("flake-parts darwinConfigurations.mac").unwrap();
    assert_eq!(
        m.kind,
        Kind::FlakeParts(vec!["darwinConfigurations.mac".into()])
    );
    assert!(parse_marker("flake-parts").is_err());
    assert!(parse_marker("flake-parts x with: a = 1;").is_err());
    assert!(parse_marker("module darwin").is_err());
    assert!(parse_marker("flake").is_err());
    assert!(parse_marker("flake x files: a=does/not/exist").is_err());
}

#[test]
#[cfg_attr(no_test_inputs, ignore = "SKIPPED (ARTIFACTS_TEST_INPUTS unset)")]
fn every_nix_block_of_the_readme_evaluates() {
    let Some(inputs) = test_inputs("every_nix_block_of_the_readme_evaluates") else {
        return;
    };
    let mut problems = Vec::new();
    let mut evaluated = 0;
    for block in blocks(&readme()) {
        let Some(Ok(marker)) = block.marker.as_deref().map(parse_marker) else {
            problems.push(format!("README.md:{}: no valid marker", block.line));
            continue;
        };
        // nix-darwin is optional in the test inputs (docs/test-inputs.md).
        if block.code.contains("nix-darwin") && !inputs.join("nix-darwin").is_dir() {
            println!(
                "SKIPPED (no nix-darwin in ARTIFACTS_TEST_INPUTS): README.md:{}",
                block.line
            );
            continue;
        }
        match evaluate(&inputs, &block, &marker) {
            Ok(values) => {
                evaluated += 1;
                eprintln!("README.md:{}: {}", block.line, serde_json::json!(values));
            }
            Err(e) => problems.push(format!("README.md:{} ({:?}): {e}", block.line, marker.kind)),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(evaluated >= 5, "only {evaluated} blocks evaluated");
}
