# What the NixOS and the Home Manager module share: the option declarations,
# every backend's wiring, the checks of names and of missing stored files,
# and the assertions that are not any one backend's business (an unknown
# backend, an unset `artifacts.directory`).
{ kind, nameDefault, runtimeDirDefault }:
{ config, lib, ... }:
let
  cfg = config.artifacts;
  helpers = import ./lib.nix { inherit lib; };
  backends = import ./backends;
  known = builtins.attrNames backends;

  withBackend = lib.mapAttrs (_: artifact: helpers.backendOf cfg artifact) cfg.store;
  unknown = lib.filterAttrs (_: backend: !(builtins.elem backend known)) withBackend;
  needingStorage = lib.attrNames (lib.filterAttrs
    (name: artifact: builtins.elem withBackend.${name} known
      && lib.any (file: file.secret) (lib.attrValues artifact.files))
    cfg.store);
in
{
  imports = [
    (import ./options.nix { inherit kind nameDefault runtimeDirDefault; })
    (import ./name-assertions.nix { inherit kind; })
    (import ./missing-files.nix { inherit kind; })
  ] ++ lib.mapAttrsToList (backend: description: import ./backends/wire.nix description { inherit backend kind; }) backends;

  config.assertions =
    lib.mapAttrsToList
      (artifact: backend: {
        assertion = false;
        message = "artifacts: ${kind} '${cfg.name}', artifact '${artifact}': unknown backend '${backend}'. "
          + "Known backends: ${lib.concatStringsSep ", " known}.";
      })
      unknown
    ++ [{
      assertion = cfg.directory != null || needingStorage == [ ];
      message = "artifacts: ${kind} '${cfg.name}': artifacts.directory is not set, so the stored files of "
        + "${lib.concatMapStringsSep ", " (a: "'${a}'") needingStorage} cannot be found. "
        + "Import inputs.artifacts.flakeModules.default in your flake-parts flake, "
        + "or set artifacts.directory = ./artifacts; next to your flake.nix.";
    }];
}
