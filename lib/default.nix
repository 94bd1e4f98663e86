# The nixos-artifacts Nix library. Builtins only: it evaluates with a bare
# `nix-instantiate` and needs no nixpkgs, so the manifest (the contract with
# the Rust CLI) is testable anywhere.
let
  defaults = import ./defaults.nix;
  manifest = import ./manifest.nix { inherit defaults; };
in
{
  inherit defaults;
  inherit (manifest) schemaVersion mkManifest;

  # A stand-in for a NixOS or Home Manager configuration for flakes without
  # nixpkgs (examples, test fixtures): the manifest the CLI reads, and the
  # values of public parts (./scope.nix).
  mkScope = import ./scope.nix { inherit defaults; inherit (manifest) mkManifest; };
}
