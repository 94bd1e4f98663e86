# The flake-parts module (`inputs.artifacts.flakeModules.default`). It gives
# the user's flake:
#   - `apps.<system>.artifacts`: the CLI. `nix run .#artifacts -- generate`
#     runs it in the user's working directory, where the CLI's default
#     `--flake .` is the user's flake.
#   - a flake-level `artifacts.directory` (default: `artifacts/` at the
#     flake's root) and the NixOS / nix-darwin / Home Manager modules with
#     that directory already set: `config.artifacts.nixosModule` /
#     `config.artifacts.darwinModule` / `config.artifacts.homeModule`, the
#     first also exported as `nixosModules.artifacts` (flake-parts declares
#     no `darwinModules` to merge into). They also set
#     `artifacts.package` (what the dummy backend runs on the target) to
#     `perSystem.artifacts.package` of the configuration's system.
# Called by our flake.nix with our flake, to reach the CLI package.
{ artifactsFlake }:
{ self, config, lib, flake-parts-lib, getSystem, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.artifacts;
  withDirectory = module: { pkgs, ... }: {
    _file = ./flake-module.nix;
    imports = [ module ];
    artifacts.directory = lib.mkDefault cfg.directory;
    # Above our flake's own mkDefault (its modules default to its package),
    # below a user's plain definition.
    artifacts.package = lib.mkOverride 900 (getSystem pkgs.stdenv.hostPlatform.system).artifacts.package;
  };
in
{
  options.artifacts = {
    directory = mkOption {
      type = types.path;
      # A string keeping the flake source's store context, so deployed
      # machines get the encrypted files in their closure.
      default = "${self}/artifacts";
      defaultText = lib.literalExpression ''"''${self}/artifacts"'';
      description = ''
        The flake's artifacts folder, handed to every configuration built
        with {option}`artifacts.nixosModule`, {option}`artifacts.darwinModule`
        or {option}`artifacts.homeModule`.
      '';
    };
    nixosModule = mkOption {
      type = types.deferredModule;
      readOnly = true;
      default = withDirectory artifactsFlake.nixosModules.default;
      description = ''
        The NixOS module with {option}`artifacts.directory` set; also
        `self.nixosModules.artifacts`. Home Manager users of a machine
        inherit the directory.
      '';
    };
    darwinModule = mkOption {
      type = types.deferredModule;
      readOnly = true;
      default = withDirectory artifactsFlake.darwinModules.default;
      description = "The nix-darwin module with {option}`artifacts.directory` set, for `darwinConfigurations`.";
    };
    homeModule = mkOption {
      type = types.deferredModule;
      readOnly = true;
      default = withDirectory artifactsFlake.homeModules.default;
      description = "The Home Manager module with {option}`artifacts.directory` set, for `homeConfigurations`.";
    };
  };

  options.perSystem = flake-parts-lib.mkPerSystemOption ({ system, ... }: {
    options.artifacts.package = mkOption {
      type = types.package;
      default = artifactsFlake.packages.${system}.default;
      defaultText = lib.literalExpression "inputs.artifacts.packages.\${system}.default";
      description = ''
        The `artifacts` CLI that `nix run .#artifacts` runs, and the command
        the dummy backend runs on machines and homes of this system.
      '';
    };
  });

  config = {
    flake.nixosModules.artifacts = cfg.nixosModule;
    perSystem = { config, ... }: {
      apps.artifacts = {
        type = "app";
        program = "${config.artifacts.package}/bin/artifacts";
      };
    };
  };
}
