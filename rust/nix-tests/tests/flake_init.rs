//! `nix flake init -t <checkout>#<template>` works from a checkout without
//! network. It evaluates our flake's `templates` output only, but locks the
//! flake first: without our flake.lock, locking would resolve
//! `github:NixOS/nixpkgs/nixos-unstable` on the network. With it, nixpkgs is
//! locked and, being unused by `templates`, never fetched. Needs nothing but
//! `nix` (no test inputs): it runs everywhere.

use artifacts_nix_tests::{copy_our_flake, eval_expr, nix_command, repo_root, run};
use std::path::Path;

/// Runs `nix flake init -t <template>` in `into` with every way out to the
/// network closed (a proxy that does not exist) and a fresh fetcher cache,
/// so nothing downloaded earlier can help.
fn flake_init(template: &str, into: &Path, cache: &Path) -> Result<String, String> {
    let mut cmd = nix_command("nix");
    cmd.current_dir(into)
        .env("XDG_CACHE_HOME", cache)
        .env("NIX_CONFIG", "substituters =\nconnect-timeout = 1");
    for proxy in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        cmd.env(proxy, "http://127.0.0.1:9");
    }
    cmd.args([
        "--extra-experimental-features",
        "nix-command flakes",
        "flake",
        "init",
        "-t",
        template,
    ]);
    run(cmd)
}

/// The files of a folder, relative to it, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            found.extend(
                files(&entry.path())
                    .into_iter()
                    .map(|f| format!("{name}/{f}")),
            );
        } else {
            found.push(name);
        }
    }
    found.sort();
    found
}

/// The templates our flake offers (templates/default.nix), every one tried.
fn templates() -> Vec<String> {
    serde_json::from_value(eval_expr("builtins.attrNames (import ./templates)", &[]))
        .expect("a list of names")
}

#[test]
fn flake_init_from_a_checkout_works_offline() {
    let dir = tempfile::tempdir().unwrap();
    let checkout = dir.path().join("checkout");
    copy_our_flake(&checkout);
    assert!(
        checkout.join("flake.lock").is_file(),
        "the checkout has our flake.lock"
    );
    let lock_before = std::fs::read(checkout.join("flake.lock")).unwrap();
    let source = format!("path:{}", checkout.display());
    let templates = templates();
    assert!(
        templates.len() >= 4 && templates.iter().any(|t| t == "nix-darwin"),
        "{templates:?}"
    );
    for template in &templates {
        let into = dir.path().join(format!("init-{template}"));
        let cache = dir.path().join(format!("cache-{template}"));
        std::fs::create_dir_all(&into).unwrap();
        let target = if template == "default" {
            source.clone()
        } else {
            format!("{source}#{template}")
        };
        flake_init(&target, &into, &cache)
            .unwrap_or_else(|e| panic!("nix flake init -t {target} failed offline:\n{e}"));
        let expected = repo_root().join("templates").join(template);
        assert_eq!(files(&into), files(&expected), "{template}");
        for file in files(&expected) {
            assert_eq!(
                std::fs::read(into.join(&file)).unwrap(),
                std::fs::read(expected.join(&file)).unwrap(),
                "{template}: {file}"
            );
        }
    }
    assert_eq!(
        std::fs::read(checkout.join("flake.lock")).unwrap(),
        lock_before,
        "the lock file was complete: nothing was re-locked"
    );
}

/// The lock names the input flake.nix declares, pinned to a GitHub
/// revision with its hash, so `nix flake lock` never has to resolve it.
#[test]
fn the_lock_pins_exactly_our_inputs() {
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("flake.lock")).unwrap())
            .unwrap();
    let root = &lock["nodes"]["root"]["inputs"];
    assert_eq!(root, &serde_json::json!({ "nixpkgs": "nixpkgs" }));
    let nixpkgs = &lock["nodes"]["nixpkgs"];
    assert_eq!(nixpkgs["original"]["ref"], "nixos-unstable");
    assert_eq!(nixpkgs["locked"]["type"], "github");
    assert_eq!(
        nixpkgs["locked"]["rev"].as_str().map(str::len),
        Some(40),
        "{nixpkgs}"
    );
    assert!(
        nixpkgs["locked"]["narHash"]
            .as_str()
            .is_some_and(|h| h.starts_with("sha256-")),
        "{nixpkgs}"
    );
}
