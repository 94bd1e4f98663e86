{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    flake-parts.url = "github:hercules-ci/flake-parts";
    nix-darwin = {
      url = "github:nix-darwin/nix-darwin/master";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    agenix = {
      url = "github:ryantm/agenix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    artifacts = {
      url = "github:nixos-artifacts/nixos-artifacts";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = inputs@{ flake-parts, nix-darwin, agenix, artifacts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } ({ config, ... }: {
      # Gives `nix run .#artifacts` and `config.artifacts.darwinModule`, the
      # nix-darwin module with `artifacts.directory` set to ./artifacts.
      imports = [ artifacts.flakeModules.default ];
      # The Mac, and Linux for running `artifacts` from another machine.
      systems = [ "aarch64-darwin" "x86_64-darwin" "x86_64-linux" "aarch64-linux" ];

      # `darwin-rebuild switch --flake .#mac`; the attribute's name is the
      # machine's name (networking.hostName in configuration.nix).
      flake.darwinConfigurations.mac = nix-darwin.lib.darwinSystem {
        modules = [
          config.artifacts.darwinModule
          agenix.darwinModules.default
          ./configuration.nix
        ];
      };
    });
}
