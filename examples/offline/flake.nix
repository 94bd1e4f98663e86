# nixos-artifacts without nixpkgs: stand-in machines showing what the
# project does, so the CLI can be tried anywhere Nix runs:
#
#   scripts/quickstart.sh        (or: cargo run -p artifacts -- --flake examples/offline generate)
#
# - alpha and beta: the announcement's two artifacts (`test` asks a prompt,
#   `attic` makes an environment file; beta stores attic with sops-nix),
#   a WireGuard-style key pair each whose public half configures the other
#   as a peer (`nix eval .#nixosConfigurations.beta.config.networking.wireguard.interfaces.wg0.peers`),
#   and a token shared by both (stored once under artifacts/shared/).
# - alpha also has a CA and a server certificate that depends on it
#   (`openssl verify -CAfile artifacts/machines/alpha/ca/cert artifacts/machines/alpha/server/cert`).
# - gamma is on the dummy backend and needs no artifacts/ folder at all.
#
# `lib.mkScope` stands in for a NixOS configuration: the CLI reads only
# `config.artifacts.manifest`, other machines read public parts as
# `config.artifacts.store.<a>.files.<f>.value`. Generators are executable
# files of this flake (the offline stand-ins for pkgs.writers.writeBash);
# they use openssl from the host, which the sandbox shows read-only.
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
        store.wg = {
          description = "WireGuard key pair; the public half configures the peers";
          files.private = { path = "/run/wireguard/private"; };
          files.public.secret = false;
          generator = ./generators/wireguard.sh;
        };
        store.cluster-token = {
          description = "a token every machine of the cluster shares";
          shared = true;
          files.token = { };
          generator = ./generators/token.sh;
        };
      } overrides);
      # What a NixOS module would configure from another machine's public
      # part: its WireGuard public key.
      peerOf = machine: { publicKey = machine.config.artifacts.store.wg.files.public.value; };
      withPeers = scope: peers: scope // {
        config = scope.config // { networking.wireguard.interfaces.wg0.peers = map peerOf peers; };
      };
      recursiveUpdate = a: b: a // builtins.mapAttrs
        (name: value: if builtins.isAttrs value && builtins.isAttrs (a.${name} or null) then recursiveUpdate a.${name} value else value)
        b;
    in
    {
      nixosConfigurations.alpha = withPeers
        (machine "alpha" {
          store.ca = {
            description = "the example's certificate authority";
            files.key = { };
            files.cert.secret = false;
            generator = ./generators/ca.sh;
          };
          store.server = {
            description = "alpha's TLS key and a certificate the CA signed";
            files.key = { };
            files.cert.secret = false;
            dependencies = [ "ca" ];
            generator = ./generators/server-cert.sh;
          };
        })
        [ self.nixosConfigurations.beta ];
      # beta mixes backends: attic goes through sops-nix, test stays on agenix.
      nixosConfigurations.beta = withPeers
        (machine "beta" { store.attic.backend = "sops-nix"; })
        [ self.nixosConfigurations.alpha ];
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
