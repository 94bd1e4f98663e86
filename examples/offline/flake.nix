# nixos-artifacts without nixpkgs: two stand-in machines declaring the
# announcement's two artifacts, so the CLI can be tried anywhere Nix runs:
#
#   cargo run -p artifacts -- --flake examples/offline generate
#
# `lib.mkScope` stands in for a NixOS configuration: the CLI reads only
# `config.artifacts.manifest`. Generators are executable files of this flake
# (the offline stand-ins for pkgs.writers.writeBash).
{
  description = "nixos-artifacts example that needs no nixpkgs";

  outputs = { self }:
    let
      artifacts = import ../../lib;
      # A throwaway host key: keys/host_ed25519 decrypts the results.
      publicKey = builtins.readFile ./keys/host_ed25519.pub;
      machine = name: overrides: artifacts.mkScope (recursiveUpdate {
        inherit name publicKey;
        kind = "machine";
        directory = ./artifacts;
        default.backend = "agenix";
        store.test = {
          files.secret = { };
          prompts.test.description = "test input";
          generator = ./generators/test.sh;
        };
        store.attic = {
          files.env = { owner = "atticd"; group = "atticd"; path = "/var/lib/attic/secrets/env"; };
          generator = ./generators/attic.sh;
        };
      } overrides);
      recursiveUpdate = a: b: a // builtins.mapAttrs
        (name: value: if builtins.isAttrs value && builtins.isAttrs (a.${name} or null) then recursiveUpdate a.${name} value else value)
        b;
    in
    {
      nixosConfigurations.alpha = machine "alpha" { };
      # beta mixes backends: attic goes through sops-nix, test stays on agenix.
      nixosConfigurations.beta = machine "beta" { store.attic.backend = "sops-nix"; };
      # gamma is on the dummy backend: it stores nothing and needs no
      # artifacts/ folder (nor a key); the machine runs the generators itself
      # (`artifacts machine generate`), answering prompts with their test
      # values. `artifacts list` shows its artifacts as generated on the machine.
      nixosConfigurations.gamma = artifacts.mkScope {
        kind = "machine";
        name = "gamma";
        default.backend = "dummy";
        store.test = {
          files.secret = { };
          prompts.test = { description = "test input"; testValue = "a test value, never a secret"; };
          generator = ./generators/test.sh;
        };
      };
    };
}
