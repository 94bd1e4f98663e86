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
  # nixpkgs (examples, test fixtures): the CLI only reads
  # `config.artifacts.manifest`, so that is all this provides.
  #   mkScope { kind = "machine"; name = "alpha"; publicKey = "ssh-ed25519 ..."; store = { ... }; }
  mkScope = args: {
    config.artifacts = args // {
      manifest = manifest.mkManifest args;
    };
  };
}
