# Entry point of the module-evaluation tests: checks/eval with the sources
# found in ARTIFACTS_TEST_INPUTS (passed as --argstr inputs).
{ inputs }:
let dir = /. + inputs; in
import ../../../checks/eval {
  lib = import (dir + "/nixpkgs-lib/lib");
  agenix = dir + "/agenix";
  sops-nix = dir + "/sops-nix";
  flake-parts = dir + "/flake-parts";
}
