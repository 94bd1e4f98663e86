# The flake-parts module in a user's flake (stand-ins for the user's `self`
# and for our flake): `apps.artifacts`, and machines built with
# `config.artifacts.nixosModule` find their files under `<self>/artifacts`
# and run perSystem's `artifacts.package` for the dummy backend.
{ lib, pkgs, flake-parts, machine, failed, agenixNixos, agenixOnly, ... }:
{
  flakeParts =
    let
      fp = (import (flake-parts + "/flake.nix")).outputs { nixpkgs-lib = { inherit lib; }; };
      userSelf = { outPath = "/nix/store/11111111111111111111111111111111-source"; };
      artifactsFlake = {
        nixosModules.default = ../../modules/nixos;
        homeModules.default = ../../modules/home-manager;
        packages.x86_64-linux.default = pkgs.writeShellScriptBin "artifacts" "";
      };
      flake = fp.lib.mkFlake { inputs.self = userSelf; } ({ config, ... }: {
        imports = [ (import ../../flake-module.nix { inherit artifactsFlake; }) ];
        systems = [ "x86_64-linux" ];
        flake.nixosConfigurations.alpha = machine [ config.artifacts.nixosModule agenixNixos agenixOnly ];
      });
      alpha = flake.nixosConfigurations.alpha;
    in
    {
      app = flake.apps.x86_64-linux.artifacts;
      exportsNixosModule = flake.nixosModules ? artifacts;
      directory = alpha.artifacts.directory;
      ageFile = alpha.age.secrets."test/secret".file;
      # What the dummy backend runs: perSystem's package.
      package = toString alpha.artifacts.package;
      failed = failed alpha;
    };
}
