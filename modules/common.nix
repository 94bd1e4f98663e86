# What the NixOS, the Home Manager and the nix-darwin module share: the
# option declarations, every backend's wiring, the checks of names and of
# missing stored files, what deploys on the target (`onTarget`: the
# per-artifact units and what binds services to them, the deployment of
# public parts, the users stage, templates), and the assertion that is not
# any one backend's business (an unset `artifacts.directory`).
{ kind
, nameDefault
, runtimeDirDefault
  # The backends' descriptions (./backends): nix-darwin has its own
  # (./backends/darwin.nix), for the stock modules' darwin variants.
, backends ? import ./backends
  # The module of our flake a user imports, named in messages.
, entryModule ? if kind == "machine" then "nixosModules.default" else "homeModules.default"
  # The modules that deploy on the target: systemd units and activation
  # scripts here, launchd daemons on nix-darwin (./darwin).
, onTarget ? [
    (import ./public-files.nix { inherit kind; })
    (import ./units.nix { inherit kind; })
    (import ./services.nix { inherit kind; })
    (import ./stages.nix { inherit kind; })
    (import ./templates.nix { inherit kind entryModule; })
  ]
}:
{ config, lib, ... }:
let
  cfg = config.artifacts;
  helpers = import ./lib.nix { inherit lib; };

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
    (import ./dummy.nix { inherit kind entryModule; })
  ] ++ onTarget ++ wirings;

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
