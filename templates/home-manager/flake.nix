{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-parts.url = "github:hercules-ci/flake-parts";
    home-manager = {
      url = "github:nix-community/home-manager";
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

  outputs = inputs@{ flake-parts, nixpkgs, home-manager, agenix, artifacts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } ({ config, ... }: {
      # Gives `nix run .#artifacts` and `config.artifacts.homeModule`, the
      # Home Manager module with `artifacts.directory` set to ./artifacts.
      imports = [ artifacts.flakeModules.default ];
      systems = [ "x86_64-linux" "aarch64-linux" ];

      flake.homeConfigurations.alice = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.x86_64-linux;
        modules = [
          config.artifacts.homeModule
          agenix.homeManagerModules.default
          ./home.nix
        ];
      };
    });
}
