//! Evaluation: locating the flake ([`flake`]), the manifest it yields
//! ([`manifest`]), and running `nix` on it ([`nix`], with `eval.nix`).

pub mod flake;
pub mod manifest;
pub mod nix;
