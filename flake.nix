{
  description = "nixos-artifacts: one interface for secrets and generated files in NixOS, nix-darwin and Home Manager";

  # Only nixpkgs: users who import this flake lock nothing else. The checks
  # fetch the module sources they test against (agenix, sops-nix,
  # home-manager, flake-parts) by pinned revision when they are evaluated
  # (checks/sources.nix): never flake inputs, so never in a user's lock file.
  # flake.lock pins nixpkgs (the nixpkgs-unstable revision Home Manager's
  # lock names at the commit checks/sources.nix pins), so that locking this
  # flake needs no network: `nix flake init -t` from a checkout and flakes
  # taking this one only for `lib` never fetch nixpkgs, which they leave unused.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # Our modules with `artifacts.package` (the command the dummy
      # backend's units run) defaulting to this flake's package for the
      # configuration's system. mkDefault: the flake-parts module and the
      # user may choose another.
      # The key lets a configuration import it twice (directly and through
      # `clanVars`) with one definition of `artifacts.package`.
      withPackage = module: {
        key = "nixos-artifacts:${toString module}";
        _file = ./flake.nix;
        imports = [
          module
          ({ pkgs, ... }: {
            artifacts.package = lib.mkDefault (self.packages.${pkgs.stdenv.hostPlatform.system}.default
              or (pkgs.callPackage ./package.nix { }));
          })
        ];
      };
    in
    {
      lib = import ./lib;

      nixosModules.default = withPackage ./modules/nixos;
      # nix-darwin (`darwinConfigurations`): the same options, deployed by
      # launchd daemons.
      darwinModules.default = withPackage ./modules/darwin;
      homeModules.default = withPackage ./modules/home-manager;
      homeManagerModules.default = self.homeModules.default;
      # clan's `clan.core.vars.generators` on top of ours. The module
      # system drops the second copy of `default` by its key when both are
      # imported.
      nixosModules.clanVars = { imports = [ self.nixosModules.default ./modules/clan-vars.nix ]; };
      homeModules.clanVars = { imports = [ self.homeModules.default ./modules/clan-vars.nix ]; };
      homeManagerModules.clanVars = self.homeModules.clanVars;
      flakeModules.default = import ./flake-module.nix { artifactsFlake = self; };

      packages = forAllSystems (pkgs: rec {
        artifacts = pkgs.callPackage ./package.nix { };
        default = artifacts;
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = "${self.packages.${pkgs.stdenv.hostPlatform.system}.default}/bin/artifacts";
        };
      });

      templates = import ./templates;

      # `nix flake check`: the package, lib's golden manifest, the module
      # evaluations against real nixpkgs, and (Linux) the NixOS VM tests.
      checks = forAllSystems (pkgs: import ./checks { inherit pkgs self; });
    };
}
