# The users stage (`artifacts.store.<a>.neededFor = "users"`): every file in
# place before NixOS creates users and sets their passwords, for
# `users.users.<u>.hashedPasswordFile`, which NixOS reads in its `users`
# activation script, long before any service.
#   - agenix decrypts everything in `agenixInstall`, which its module orders
#     before `users` (it chowns only after, in `agenixChown`): the files are
#     there in time as long as they belong to root;
#   - sops-nix: `neededForUsers = true` (./backends/sops-nix.nix); the files
#     live under /run/secrets-for-users, which `files.<f>.path` says;
#   - dummy: the activation script `artifactsUsersStage`, ordered before
#     `users`, runs `artifacts machine generate` (the artifact's unit only
#     checks then); it generates again when the spec changed or a file is
#     missing (at boot: /run is a tmpfs), not at every switch;
#   - script backends: their own modules (BACKEND_GUIDE.md, "Stages").
# Files of the users stage must belong to root (sops-nix refuses others;
# users do not exist yet when they are made).
#
# A password file pointing at an artifact file of the services stage would
# leave the account without a password, silently: an assertion names the
# user, the artifact and the fix. Home Manager has no users stage.
{ kind }:
{ config, lib, pkgs, ... }:
let
  cfg = config.artifacts;
  helpers = import ./lib.nix { inherit lib; };
  names = import ./names.nix;
  dummy = import ./dummy-unit.nix { inherit lib pkgs cfg kind; };
  isMachine = kind == "machine";
  scope = "artifacts: ${kind} ${names.show cfg.name}";

  valid = lib.filterAttrs (artifactName: _: names.valid artifactName) cfg.store;
  usersStage = lib.filterAttrs (_: a: a.neededFor == "users") valid;
  dummies = lib.filterAttrs (_: a: helpers.backendOf cfg a == "dummy" && a.generator != null) usersStage;

  # Every deployed artifact file, with its path.
  deployed = lib.concatLists (lib.mapAttrsToList
    (artifactName: artifact: lib.mapAttrsToList
      (fileName: decl: { inherit artifactName fileName artifact; inherit (decl) path; })
      (helpers.deployedFiles artifact))
    valid);

  # users.users.<u>.<option> for the options NixOS reads while it creates
  # users. `passwordFile` is an alias in recent NixOS, an option in older.
  passwordOptions = [ "hashedPasswordFile" "passwordFile" ];
  readOption = user: option:
    let v = builtins.tryEval (user.${option} or null); in
    if v.success && v.value != null then toString v.value else null;
  passwordFiles = lib.concatLists (lib.mapAttrsToList
    (userName: user: lib.concatMap
      (option: let value = readOption user option; in
        lib.optional (value != null) { inherit userName option value; })
      passwordOptions)
    (config.users.users or { }));
  tooLate = lib.unique (lib.concatMap
    (p: map
      (f: "${scope}: users.users.${p.userName}.${p.option} is ${p.value}, the file ${names.show f.fileName} "
        + "of artifact ${names.show f.artifactName}, which is deployed with the services, after NixOS sets passwords: "
        + "the account would get no password. Set artifacts.store.${f.artifactName}.neededFor = \"users\";")
      (lib.filter (f: f.path == p.value && f.artifact.neededFor != "users") deployed))
    passwordFiles);

  rootOwned = lib.concatLists (lib.mapAttrsToList
    (artifactName: artifact: lib.mapAttrsToList
      (fileName: decl: {
        assertion = decl.owner == "root" && decl.group == "root";
        message = "${scope}, artifact ${names.show artifactName}: file ${names.show fileName} is in the users stage "
          + "(neededFor = \"users\") but owned by ${decl.owner}:${decl.group}; it is made before users exist, so it "
          + "must belong to root. Remove its owner and group, or use the services stage.";
      })
      (helpers.deployedFiles artifact))
    usersStage);

  # With systemd-sysusers or userborn, users are made by a unit, not by the
  # `users` activation script: agenix then decrypts after them (its module
  # says so) and activation scripts cannot run before them. sops-nix's
  # neededForUsers runs before both; the other backends would silently miss.
  sysusers = (config.systemd.sysusers.enable or false) || (config.services.userborn.enable or false);
  notBeforeSysusers = lib.mapAttrsToList
    (artifactName: artifact: {
      assertion = !sysusers || helpers.backendOf cfg artifact == "sops-nix";
      message = "${scope}, artifact ${names.show artifactName}: neededFor = \"users\" with systemd-sysusers or userborn "
        + "(which create users in a unit) holds only on the sops-nix backend; the ${helpers.backendOf cfg artifact} backend "
        + "puts the files in place after users exist. Set artifacts.store.${artifactName}.backend = \"sops-nix\", "
        + "or create users with the activation script (systemd.sysusers.enable = false; services.userborn.enable = false).";
    })
    usersStage;

  # The dummy backend's users stage: generate when the spec changed or a
  # file is missing; a failure is reported and does not stop activation
  # (NixOS goes on, the artifact's unit then names the missing file).
  generateOne = artifactName: artifact:
    let
      spec = dummy.specFile artifactName artifact;
      stamp = "/run/artifacts-users-stage/${artifactName}";
      missing = lib.concatMapStringsSep " || " (decl: "[ ! -e ${helpers.shellPath decl.path} ]")
        (lib.attrValues (helpers.deployedFiles artifact));
    in
    ''
      if [ "$(cat ${lib.escapeShellArg stamp} 2>/dev/null)" != ${lib.escapeShellArg "${spec}"} ] || ${if missing == "" then "false" else missing}; then
        # The spec's `path` puts runtimeInputs first on the generator's PATH.
        if ${dummy.command artifactName artifact}; then
          mkdir -p /run/artifacts-users-stage && echo ${lib.escapeShellArg "${spec}"} > ${lib.escapeShellArg stamp}
        else
          echo ${lib.escapeShellArg "${scope}, artifact ${names.show artifactName}: the users stage was not generated (see above)"} >&2
        fi
      fi
    '';
in
{
  config = lib.mkMerge [
    {
      assertions =
        if isMachine then
          map (message: { assertion = false; inherit message; }) tooLate ++ rootOwned ++ notBeforeSysusers
        else
          lib.mapAttrsToList
            (artifactName: _: {
              assertion = false;
              message = "${scope}, artifact ${names.show artifactName}: neededFor = \"users\" has no meaning in Home Manager "
                + "(a home has no users stage). Declare the artifact in the machine's NixOS configuration, "
                + "or remove neededFor.";
            })
            usersStage;
    }
    (lib.optionalAttrs isMachine {
      system.activationScripts = lib.mkIf (dummies != { }) {
        artifactsUsersStage = {
          deps = [ "specialfs" ];
          text = lib.concatStrings (lib.mapAttrsToList generateOne dummies);
        };
        users.deps = [ "artifactsUsersStage" ];
      };
    })
  ];
}
