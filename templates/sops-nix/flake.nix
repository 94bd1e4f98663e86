{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-parts.url = "github:hercules-ci/flake-parts";
    agenix = {
      url = "github:ryantm/agenix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    sops-nix = {
      url = "github:Mic92/sops-nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    artifacts = {
      url = "github:nixos-artifacts/nixos-artifacts";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = inputs@{ flake-parts, nixpkgs, agenix, sops-nix, artifacts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } ({ config, ... }: {
      # Gives `nix run .#artifacts` and `config.artifacts.nixosModule`, the
      # NixOS module with `artifacts.directory` set to ./artifacts.
      imports = [ artifacts.flakeModules.default ];
      systems = [ "x86_64-linux" "aarch64-linux" ];

      flake.nixosConfigurations.alpha = nixpkgs.lib.nixosSystem {
        modules = [
          config.artifacts.nixosModule
          agenix.nixosModules.default
          sops-nix.nixosModules.sops
          ./configuration.nix
        ];
      };
    });
}
