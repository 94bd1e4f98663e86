# The module-evaluation cases (./eval) with real nixpkgs: the few
# expectations that must hold there too, forced when the check is
# evaluated. The detailed ones are in rust/nix-tests (stand-in nixpkgs).
{ pkgs, sources }:
let
  cases = import ./eval {
    inherit (pkgs) lib;
    # The cases name `pkgs.artifacts` for the dummy backend; a stand-in is
    # enough to evaluate them.
    pkgs = pkgs // { artifacts = pkgs.writeShellScriptBin "artifacts" "exit 1"; };
    inherit (sources) agenix sops-nix flake-parts home-manager;
  };
  expect = ok: message: if ok then true else throw "module evaluation: ${message}";
  evaluated =
    expect (cases.announcement.failed == [ ]) "the announcement fails assertions: ${toString cases.announcement.failed}"
    && expect (builtins.length cases.missing.failed == 2) "missing files are not reported"
    && expect (cases.announcement.atticEnvironmentFile == "/var/lib/attic/secrets/env") "wrong attic path"
    && expect (cases.publicValue == "wg-public-key-of-alpha\n") "public value"
    && expect (cases.unitsAgenix.units.reader.bindsTo == [ "artifact-test.service" ]) "services are not bound"
    && expect (cases.dummyMachine.failed == [ ]) "a dummy machine fails assertions: ${toString cases.dummyMachine.failed}";
in
pkgs.runCommand "artifacts-module-eval" { } ''
  # ${builtins.toJSON evaluated}
  touch $out
''
