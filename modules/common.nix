# What the NixOS and the Home Manager module share: the option declarations,
# every backend's wiring, the checks of names and of missing stored files,
# the per-artifact units and what binds services to them, the deployment of
# public parts, and the assertion that is not any one backend's business
# (an unset `artifacts.directory`).
{ kind, nameDefault, runtimeDirDefault }:
{ config, lib, ... }:
let
  cfg = config.artifacts;
  helpers = import ./lib.nix { inherit lib; };
  backends = import ./backends;

  # Artifacts whose files the CLI stores in the flake (secret or public).
  needingStorage = lib.attrNames (lib.filterAttrs
    (_: artifact: helpers.isStoredBackend cfg artifact && artifact.files != { })
    cfg.store);
  # Stock-module backends are wired by wire.nix; dummy by ./dummy.nix.
  wirings = lib.mapAttrsToList (backend: description: import ./backends/wire.nix description { inherit backend kind; })
    (lib.filterAttrs (_: description: description.extension != null) backends);
in
{
  imports = [
    (import ./options.nix { inherit kind nameDefault runtimeDirDefault; })
    (import ./name-assertions.nix { inherit kind; })
    (import ./missing-files.nix { inherit kind; })
    (import ./public-files.nix { inherit kind; })
    (import ./dummy.nix { inherit kind; })
    (import ./units.nix { inherit kind; })
    (import ./services.nix { inherit kind; })
    (import ./stages.nix { inherit kind; })
    (import ./templates.nix { inherit kind; })
  ] ++ wirings;

  # A backend name the modules do not know is not an error here: it may be
  # a script backend of the flake's backend.toml, which Nix never sees. The
  # CLI checks every name against all backends and names the unknown ones.
  config.assertions = [{
    assertion = cfg.directory != null || needingStorage == [ ];
    message = "artifacts: ${kind} '${cfg.name}': artifacts.directory is not set, so the stored files of "
      + "${lib.concatMapStringsSep ", " (a: "'${a}'") needingStorage} cannot be found. "
      + "Import inputs.artifacts.flakeModules.default in your flake-parts flake, "
      + "or set artifacts.directory = ./artifacts; next to your flake.nix.";
  }];
}
