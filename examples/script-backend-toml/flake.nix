# A script backend from backend.toml: the password-store backend shipped in
# backends/password-store (its README says how it stores). Needs pass, gpg
# and jq, and a password store (`pass init <your gpg key id>`; set
# PASSWORD_STORE_DIR to use another than ~/.password-store). Run it:
#
#   cargo run -p artifacts -- --flake examples/script-backend-toml generate
#   pass ls example                      # example/machines/alpha/db/password, …
#   cargo run -p artifacts -- --flake examples/script-backend-toml show alpha/db
#
# ./backend.toml includes ../../backends/password-store/backend.toml. A
# backend that only backend.toml declares is unknown to Nix; the CLI finds
# it. `lib.mkScope` stands in for a NixOS or Home Manager configuration.
{
  description = "nixos-artifacts example: a script backend from backend.toml";

  outputs = { self }:
    let
      artifacts = import ../../lib;
      scope = kind: name: store: artifacts.mkScope {
        inherit kind name store;
        directory = ./artifacts;
        default.backend = "password-store";
        # Reaches the scripts as each target's `config`: entries go under
        # example/ instead of artifacts/ in the password store.
        config.password-store.prefix = "example";
      };
      wireguard = {
        shared = true;
        files.private = { };
        files.public.secret = false;
        generator = ./generators/wireguard.sh;
      };
    in
    {
      nixosConfigurations.alpha = scope "machine" "alpha" {
        db = {
          files.password = { owner = "postgres"; group = "postgres"; };
          generator = ./generators/password.sh;
        };
        inherit wireguard;
      };
      nixosConfigurations.beta = scope "machine" "beta" { inherit wireguard; };
      homeConfigurations.alice = scope "home" "alice" {
        mail = { files.password = { }; generator = ./generators/password.sh; };
      };
    };
}
