# One launchd daemon per artifact, `launchd.daemons."artifact-<a>"` (label
# `<launchd.labelPrefix>.artifact-<a>`): the nix-darwin counterpart of
# `artifact-<a>.service` (../units.nix). It runs at load, that is at boot
# and whenever nix-darwin reloads it because its definition changed (a new
# value, new paths), and
#   - agenix, sops-nix: waits until the stock daemon that decrypts has run
#     for this configuration (its marker, ./markers.nix), installs the
#     artifact's public parts from the Nix store (activation scripts do not
#     run at boot on nix-darwin, and /run is emptied then), and checks that
#     every file is at its path, naming each missing one;
#   - dummy: waits for the artifacts it reads, then makes the files
#     (`artifacts machine generate`, ../dummy-unit.nix);
# then writes the artifact's marker, which the services listed in
# `services` wait for (./services.nix), and sends SIGHUP to those in
# `reloadServices` when the value changed. Its messages go to
# /var/log/artifact-<a>.log.
#
# The stock daemons that decrypt (`activate-agenix`, `sops-install-secrets`)
# run at load too, with nothing ordering them: each is wrapped so that it
# writes its marker once it succeeded, with the id of its command (which
# names every encrypted file, so a new value gives a new id) and of our
# stored files.
{ config, options, lib, pkgs, ... }:
let
  cfg = config.artifacts;
  helpers = import ../lib.nix { inherit lib; };
  names = import ../names.nix;
  scripts = import ../scripts.nix { inherit lib; };
  markers = import ./markers.nix { inherit lib; };
  darwin = import ./lib.nix { inherit lib pkgs config; };
  dummy = import ../dummy-unit.nix { inherit lib pkgs cfg; kind = "machine"; };

  # The stock daemons that decrypt files of our artifacts, by backend: their
  # module is imported and some artifact uses it.
  deployers = lib.filterAttrs
    (backend: d: d.deployerDaemon != null && options ? ${d.option}
      && helpers.secretFiles { inherit cfg backend; } != [ ])
    darwin.backends;
  commandOf = daemon: toString config.launchd.daemons.${daemon}.command;
  inherit (darwin) labelOf;
  deployerWait = backend:
    let daemon = darwin.backends.${backend}.deployerDaemon; in rec {
      marker = markers.path "deployer" daemon;
      # Its command names every encrypted file in the Nix store; our
      # stored files' hash says the same for ours, also where store paths
      # do not follow content (the tests' stand-in nixpkgs).
      id = markers.id (commandOf daemon + "\n" + toString (helpers.storedHash cfg (helpers.secretFiles { inherit cfg backend; })));
      what = "${backend} (launchd daemon ${daemon}; see ${log})";
      log = "`launchctl print system/${labelOf daemon}`";
    };

  script = artifactName: artifact:
    let
      backend = helpers.backendOf cfg artifact;
      who = "artifacts: machine ${names.show cfg.name}, artifact ${names.show artifactName}";
      files = helpers.deployedFiles artifact;
      # Whose marker to wait for: the stock daemon, when there is one (a
      # stock module not imported is an assertion of ../backends/wire.nix).
      deployer = lib.optionals (deployers ? ${backend} && lib.any (decl: decl.secret) (lib.attrValues files)) [ (deployerWait backend) ];
      public = lib.filter (f: f.artifact == artifactName && helpers.isStored cfg f) (helpers.publicFiles cfg);
      dependencies = lib.filter (d: darwin.withDaemon ? ${d}) artifact.dependencies;
      check = scripts.check {
        inherit cfg artifactName files;
        deployedBy = decl:
          if !decl.secret then "this daemon installs it from the Nix store"
          else "${backend}'s launchd daemon ${darwin.backends.${backend}.deployerDaemon} deploys it";
        log = lib.concatMapStringsSep " and " (w: w.log) (deployer ++ [{ log = "/var/log/${darwin.daemonName artifactName}.log"; }]);
      };
    in
    darwin.path
    + (if backend == "dummy" then
      markers.wait { inherit who; waits = map (d: darwin.waitFor { artifactName = d; }) dependencies; }
      + "${dummy.command artifactName artifact} || exit 1\n"
    else
      markers.wait { inherit who; waits = deployer; }
      + lib.optionalString (public != [ ]) (scripts.installFunction
        + lib.concatMapStrings (f: scripts.install { source = helpers.publicSource f; inherit (f.decl) path mode owner group; }) public)
      + "( ${check} ) || exit 1\n")
    + darwin.markAndReload {
      inherit who;
      inherit (artifact) reloadServices;
      marker = markers.path "artifact" artifactName;
      id = darwin.idOf artifactName artifact;
    };

  daemon = artifactName: artifact: {
    script = script artifactName artifact;
    serviceConfig = {
      RunAtLoad = true;
      StandardErrorPath = "/var/log/${darwin.daemonName artifactName}.log";
    };
  };

  wrapped = lib.mapAttrs'
    (backend: d: lib.nameValuePair d.deployerDaemon {
      serviceConfig.ProgramArguments = lib.mkForce [
        "/bin/sh"
        "-c"
        "/bin/wait4path /nix/store && ${commandOf d.deployerDaemon} && ${markers.write (deployerWait backend).marker (deployerWait backend).id}"
      ];
    })
    deployers;
in
{
  config.launchd.daemons = lib.mapAttrs' (artifactName: artifact:
    lib.nameValuePair (darwin.daemonName artifactName) (daemon artifactName artifact)) darwin.withDaemon
  // wrapped;
}
