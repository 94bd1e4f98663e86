# One unit per artifact, for every backend: `artifact-<name>.service`
# (`artifacts.store.<a>.unit`; a user unit in Home Manager). It is active
# exactly when every file of the artifact is deployed at its path:
#   - agenix, sops-nix: a oneshot that checks the files, ordered after the
#     stock module's unit (its activation script runs before any unit), and
#     fails naming each missing file; in Home Manager it first installs the
#     artifact's public parts (./public-files.nix says why);
#   - dummy: the unit that generates them (./dummy-unit.nix).
# Services listed in `services` are bound to it by ./services.nix.
# Artifacts with an invalid name or an unknown backend get no unit: their
# assertions fail (./name-assertions.nix, ./common.nix). Neither do those
# on a script backend (`artifacts.backends`): what deploys them is the
# user's business.
{ kind }:
{ config, lib, pkgs, ... }:
let
  cfg = config.artifacts;
  helpers = import ./lib.nix { inherit lib; };
  names = import ./names.nix;
  units = import ./unit-names.nix;
  scripts = import ./scripts.nix { inherit lib; };
  backends = import ./backends;
  dummy = import ./dummy-unit.nix { inherit lib pkgs cfg kind; };
  isMachine = kind == "machine";

  withUnit = lib.filterAttrs
    (artifactName: artifact: names.valid artifactName && backends ? ${helpers.backendOf cfg artifact})
    cfg.store;

  # The dummy backend's users stage is made by an activation script
  # (./stages.nix), so its unit only checks, like the stock backends'.
  usersStage = artifact: isMachine && artifact.neededFor == "users";

  deployedBy = artifact: decl:
    if helpers.backendOf cfg artifact == "dummy" then "the activation script artifactsUsersStage makes it"
    else if decl.secret then "${helpers.backendOf cfg artifact} deploys it"
    else if isMachine then "the activation script installs it from the Nix store"
    else "this unit installs it from the Nix store";

  check = artifactName: artifact: scripts.check {
    inherit cfg artifactName;
    files = helpers.deployedFiles artifact;
    deployedBy = deployedBy artifact;
  };

  # Home Manager: the unit first installs the artifact's stored public
  # parts, then checks every file. User units get no PATH of their own.
  homeScript = artifactName: artifact:
    let
      public = lib.filter (f: f.artifact == artifactName && helpers.isStored cfg f) (helpers.publicFiles cfg);
    in
    "export PATH=${lib.makeBinPath [ pkgs.coreutils ]}\${PATH:+:$PATH}\n"
    + lib.optionalString (public != [ ]) (scripts.installFunction
      + lib.concatMapStrings (f: scripts.install { source = helpers.publicSource f; inherit (f.decl) path mode; }) public)
    + check artifactName artifact;

  description = artifactName: "artifacts: ${artifactName} is deployed";
  deployers = artifact: backends.${helpers.backendOf cfg artifact}.deployerUnits kind;

  nixosService = artifactName: artifact: {
    description = description artifactName;
    wantedBy = [ "multi-user.target" ];
    after = deployers artifact;
    # Restarted in one step when its definition changes (the files'
    # paths), which systemd propagates to the units bound to it.
    stopIfChanged = false;
    serviceConfig = { Type = "oneshot"; RemainAfterExit = true; };
    script = check artifactName artifact;
  };

  homeService = artifactName: artifact: {
    Unit = {
      Description = description artifactName;
      After = deployers artifact;
    };
    Service = {
      Type = "oneshot";
      RemainAfterExit = true;
      ExecStart = pkgs.writeShellScript "artifact-check" (homeScript artifactName artifact);
    };
    Install.WantedBy = [ "default.target" ];
  };

  unitOf = artifactName: artifact:
    if helpers.backendOf cfg artifact == "dummy" && !usersStage artifact then dummy.service artifactName artifact
    else if isMachine then nixosService artifactName artifact
    else homeService artifactName artifact;

  definitions = lib.mapAttrs' (artifactName: artifact:
    lib.nameValuePair (units.artifactAttr artifactName) (unitOf artifactName artifact)) withUnit;
in
{
  config =
    if isMachine then { systemd.services = definitions; }
    else { systemd.user.services = definitions; };
}
