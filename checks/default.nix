# `nix flake check` of the root flake: what needs nixpkgs alone. The module
# evaluations with the real agenix/sops-nix modules and the VM tests need
# those flakes as inputs, so they live in the dev flake ./flake.nix
# (`nix flake check ./checks`), keeping users' lock files small.
{ pkgs, self }:
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
}
