# A script backend declared in Nix (`artifacts.backends.folder`), without
# nixpkgs. Run it (the backend needs bash and jq):
#
#   cargo run -p artifacts -- --flake examples/script-backend-nix generate
#   cargo run -p artifacts -- --flake examples/script-backend-nix show alpha/token
#
# The `folder` backend (./backend, explained in BACKEND_GUIDE.md) keeps the
# plaintext files in the folder named by `artifacts.config.folder.dir`
# (/tmp/nixos-artifacts-example-folder here: a backend for trying the
# contract, not for real secrets). The flake keeps only each artifact's
# artifacts/…/.meta.json. `lib.mkScope` stands in for a NixOS or Home
# Manager configuration: the CLI reads only `config.artifacts.manifest`.
{
  description = "nixos-artifacts example: a script backend declared in Nix";

  outputs = { self }:
    let
      artifacts = import ../../lib;

      # What a NixOS module would set: the backend's scripts (executable
      # files of this flake, copied to the store; packages work the same)
      # and its configuration, which reaches the scripts as each target's
      # `config` in $targets.
      folder = {
        default.backend = "folder";
        backends.folder = {
          check = ./backend/check;
          serialize = ./backend/serialize;
          deserialize = ./backend/deserialize;
          timeout = 60; # seconds per script call
        };
        config.folder.dir = "/tmp/nixos-artifacts-example-folder";
      };

      scope = kind: name: store: artifacts.mkScope (folder // {
        inherit kind name store;
        directory = ./artifacts;
      });

      # Shared: one copy for both machines, at <dir>/shared/cluster.
      cluster = { shared = true; files.secret = { }; generator = ./generators/cluster.sh; };
    in
    {
      nixosConfigurations.alpha = scope "machine" "alpha" {
        token = {
          files.token = { owner = "api"; group = "api"; path = "/run/api/token"; };
          generator = ./generators/token.sh;
        };
        inherit cluster;
      };
      nixosConfigurations.beta = scope "machine" "beta" { inherit cluster; };
      homeConfigurations.alice = scope "home" "alice" {
        notes-token = { files.token = { }; generator = ./generators/token.sh; };
      };
    };
}
