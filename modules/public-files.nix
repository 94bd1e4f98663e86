# Public parts (`files.<f>.secret = false`) need no secret backend: the CLI
# stores them in plain text, Nix reads them (`files.<f>.value`, ./types/file.nix)
# and they are deployed at `files.<f>.path` from the Nix store, where they
# may be, being public. Each file is copied to the store on its own
# (`builtins.path`), so its store path, and what refers to it, changes
# exactly when its content does.
#
# On NixOS an activation script installs them, with owner, group and mode,
# after users and groups exist (those of the users stage, owned by root,
# before: `users` reads them): at boot and at every switch, before any
# service (re)starts, as agenix does for secrets. In Home Manager the
# artifact's user unit installs them (./units.nix), because a home's
# runtime directory is emptied at logout and activation does not run then.
# Missing files are reported by ./missing-files.nix.
{ kind }:
{ config, lib, ... }:
let
  cfg = config.artifacts;
  helpers = import ./lib.nix { inherit lib; };
  scripts = import ./scripts.nix { inherit lib; };
  all = lib.filter (helpers.isStored cfg) (helpers.publicFiles cfg);
  forUsers = f: (f.artifactConfig.neededFor or "services") == "users";
  files = lib.filter (f: !forUsers f) all;
  usersFiles = lib.filter forUsers all;
  installAll = files: scripts.installFunction + lib.concatMapStrings
    (f: scripts.install {
      source = helpers.publicSource f;
      inherit (f.decl) path mode owner group;
    })
    files;
in
{
  config = lib.optionalAttrs (kind == "machine") {
    system.activationScripts = {
      artifactsPublicFiles = lib.mkIf (files != [ ]) {
        deps = [ "specialfs" "users" "groups" ];
        text = installAll files;
      };
      artifactsPublicFilesForUsers = lib.mkIf (usersFiles != [ ]) {
        deps = [ "specialfs" ];
        text = installAll usersFiles;
      };
      users = lib.mkIf (usersFiles != [ ]) { deps = [ "artifactsPublicFilesForUsers" ]; };
    };
  };
}
