# Missing stored files (not generated yet), secret or public: what the user
# is told, and when. Each message names the scope, the artifact, the file and
# the command to run (./lib.nix, missingFileMessage). The dummy backend
# stores nothing, so nothing of it is ever missing.
#
# A machine gets one failed assertion per missing file. NixOS checks
# assertions only when `system.build.toplevel` is built, so the CLI still
# reads the manifest of a machine whose files are not generated yet.
#
# A home cannot use assertions: the real `homeManagerConfiguration`
# (home-manager's modules/default.nix, `moduleChecks`) throws "Failed
# assertions" before any attribute of its result can be read, so a
# missing-file assertion would hide the manifest from the CLI on the home's
# first run, exactly when it is needed. So a home
#   - leaves missing files out of `age.secrets` / `sops.secrets`
#     (./backends/wire.nix) and out of the public files it installs
#     (./public-files.nix): the stock modules never see a path that does
#     not exist, so neither their own assertions nor anything they compute
#     while Home Manager checks assertions can fail on it;
#   - adds an activation step whose text is a `throw` listing every missing
#     file. Home Manager reads `home.activation` only to write the activation
#     script inside `home.activationPackage`, so the error appears when the
#     home is built (`home-manager switch`, `nix build ….activationPackage`,
#     a NixOS system embedding the home) and never while its configuration
#     is read. It runs before `writeBoundary`, with the other checks.
# rust/nix-tests (tests/modules.rs) checks both against the real Home Manager.
{ kind }:
{ config, lib, ... }:
let
  cfg = config.artifacts;
  helpers = import ./lib.nix { inherit lib; };
  files = helpers.storedFiles cfg;
  # Nothing is missing while the directory is unset: that has its own
  # assertion (./common.nix).
  missing = lib.optionals (cfg.directory != null) (lib.filter (f: !(helpers.isStored cfg f)) files);
  messages = map (helpers.missingFileMessage cfg) missing;
in
if kind == "machine" then {
  config.assertions = map (message: { assertion = false; inherit message; }) messages;
} else {
  config.home.activation = lib.mkIf (missing != [ ]) {
    artifactsStoredFiles = lib.hm.dag.entryBefore [ "writeBoundary" ]
      (throw (lib.concatStringsSep "\n" messages));
  };
}
