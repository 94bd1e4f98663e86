# `nix flake check` of the project: the package, lib's golden manifest, the
# module evaluations against real nixpkgs, and on Linux the NixOS VM tests
# (./vm, `nix flake show` lists them as checks.<system>.vm-*). The stock
# modules they need come from ./sources.nix, fetched by pinned revision,
# never flake inputs: users' lock files stay free of test-only inputs.
{ pkgs, self }:
let
  inherit (pkgs) lib;
  sources = import ./sources.nix;
in
{
  package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;

  # lib/'s manifest of the announcement equals the golden file the CLI's
  # tests parse too.
  lib-golden = pkgs.runCommand "artifacts-lib-golden"
    {
      nativeBuildInputs = [ pkgs.jq ];
      actual = builtins.toJSON (import ../lib/tests/golden.nix);
      passAsFile = [ "actual" ];
    } ''
    diff <(jq -S . "$actualPath") <(jq -S . ${../tests/golden/announcement.json})
    touch $out
  '';

  eval = import ./eval-check.nix { inherit pkgs sources; };
}
// lib.optionalAttrs pkgs.stdenv.hostPlatform.isLinux (import ./vm { inherit pkgs self sources; })
