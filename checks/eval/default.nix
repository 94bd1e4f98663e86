# Module-evaluation cases: our NixOS / Home Manager modules evaluated with
# the real module system, the real stock agenix and sops-nix modules and the
# real Home Manager (helpers.nix says how). Each case is plain, JSON-safe
# data; rust/nix-tests asserts on it (and runs what the on-machine cases
# evaluate to), and checks/default.nix forces some with real nixpkgs. Sources come as arguments so both can pass their own.
{ lib # nixpkgs' lib
, agenix # agenix's source
, sops-nix # sops-nix's source
, flake-parts ? null # flake-parts' source, for the flakeParts case
, home-manager ? null # home-manager's source, for the home* cases
, nix-darwin ? null # nix-darwin's source, for the darwin* cases
  # nixpkgs for an aarch64-darwin host, for the darwin* cases: the stand-in
  # of rust/nix-tests/nix/fake-nixpkgs, or real nixpkgs imported for it.
, darwinPkgs ? null
  # nixpkgs; the home* cases need what Home Manager reads of it (`path`, ...),
  # which rust/nix-tests/nix/fake-nixpkgs provides without nixpkgs.
, pkgs ? import ../../lib/tests/stand-in-pkgs.nix
  # What the on-machine cases run on (paths of the test run, see
  # on-machine.nix); other cases ignore it.
, params ? { }
}:
let
  helpers = import ./helpers.nix { inherit lib agenix sops-nix flake-parts home-manager nix-darwin darwinPkgs pkgs; } // { inherit params; };
in
import ./machines.nix helpers
// import ./homes.nix helpers
// import ./names.nix helpers
// import ./flake-parts.nix helpers
// import ./option-docs.nix helpers
// import ./public.nix helpers
// import ./units.nix helpers
// import ./dummy.nix helpers
// import ./on-machine.nix helpers
// import ./names-on-machine.nix helpers
// import ./backend-config.nix helpers
// import ./vm-nodes.nix helpers
// import ./stages.nix helpers
// import ./secret-templates.nix helpers
// import ./clan-vars.nix helpers
// import ./darwin.nix helpers
