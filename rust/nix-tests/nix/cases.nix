# Entry point of the module-evaluation tests: checks/eval with the sources
# found in ARTIFACTS_TEST_INPUTS (--argstr inputs) and the stand-in nixpkgs
# the test assembled from them (--argstr nixpkgs, see fake-nixpkgs/default.nix),
# and the on-machine cases' parameters as JSON (--argstr params).
{ inputs, nixpkgs, params ? "{}" }:
let
  dir = /. + inputs;
  pkgs = import (/. + nixpkgs) { };
in
import ../../../checks/eval {
  inherit (pkgs) lib;
  inherit pkgs;
  agenix = dir + "/agenix";
  sops-nix = dir + "/sops-nix";
  flake-parts = dir + "/flake-parts";
  home-manager = dir + "/home-manager";
  nix-darwin = dir + "/nix-darwin";
  # The stand-in as nix-darwin's nixpkgs module would import it for a Mac.
  darwinPkgs = import (/. + nixpkgs) { localSystem = "aarch64-darwin"; };
  params = builtins.fromJSON params;
}
