# Services that need an artifact or a template (`services`,
# `reloadServices`: names of `launchd.daemons`) start only once it is in
# place. launchd has no `After=`: each such daemon's `ProgramArguments` get a
# wrapper in front (`/bin/sh -c <wait> artifacts-wait <its own arguments>`)
# that waits for the markers of what it needs (./markers.nix), then execs
# the daemon's own command. /bin tools only: it may run before /nix/store
# is mounted, as nix-darwin's own `wait4path` does.
#
# For `services` the wrapper waits for the id of the current value, so a new
# value changes the daemon's definition: nix-darwin reloads (stops and
# starts) it at the switch, and it starts again once the new value is in
# place; unchanged values restart nothing. `reloadServices` wait for any
# value; the artifact's daemon sends them SIGHUP when the value changes
# (./daemons.nix, ./lib.nix markAndReload).
#
# A listed daemon that no other module defines is an assertion naming the
# artifact, and so is one started by `serviceConfig.Program` alone (the
# wrapper needs its arguments: use `command`, `script` or
# `serviceConfig.ProgramArguments`).
{ config, options, lib, pkgs, ... }:
let
  cfg = config.artifacts;
  names = import ../names.nix;
  markers = import ./markers.nix { inherit lib; };
  darwin = import ./lib.nix { inherit lib pkgs config; };

  # Every (daemon, what it waits for) pair, with where it was listed.
  bindings =
    lib.concatLists (lib.mapAttrsToList
      (artifactName: artifact:
        map (service: { inherit service; where = "artifact ${names.show artifactName}"; option = "services"; wait = darwin.waitFor { inherit artifactName; }; }) artifact.services
        ++ map (service: { inherit service; where = "artifact ${names.show artifactName}"; option = "reloadServices"; wait = darwin.waitFor { inherit artifactName; anyValue = true; }; }) artifact.reloadServices)
      darwin.withDaemon)
    ++ lib.concatLists (lib.mapAttrsToList
      (name: t:
        map (service: { inherit service; where = "template ${names.show name}"; option = "services"; wait = darwin.templateWait { inherit name; }; }) t.services
        ++ map (service: { inherit service; where = "template ${names.show name}"; option = "reloadServices"; wait = darwin.templateWait { inherit name; anyValue = true; }; }) t.reloadServices)
      darwin.templates);
  byService = lib.groupBy (b: b.service) bindings;

  wrapper = service: waits: [
    "/bin/sh"
    "-c"
    (markers.wait { who = "artifacts: launchd daemon ${service}"; inherit waits; } + ''exec "$@"'')
    "artifacts-wait"
  ];

  # The daemon names other modules than this one define.
  defined = lib.unique (lib.concatMap
    (d: if builtins.isAttrs d.value then builtins.attrNames d.value else [ ])
    (lib.filter (d: d.file != toString ./services.nix) options.launchd.daemons.definitionsWithLocations));

  scope = "artifacts: machine ${names.show cfg.name}";
  assertionsOf = b:
    let option = "launchd.daemons.${b.service}"; in
    if !(builtins.elem b.service defined) then {
      assertion = false;
      message = "${scope}, ${b.where}: ${b.option} lists ${builtins.toJSON b.service}, but no ${option} is defined. "
        + "On nix-darwin, services are launchd daemons: correct the name, or define the daemon.";
    } else {
      assertion = config.launchd.daemons.${b.service}.serviceConfig.Program == null;
      message = "${scope}, ${b.where}: ${b.option} lists ${builtins.toJSON b.service}, whose daemon is started by "
        + "${option}.serviceConfig.Program alone. It waits for the files through its arguments: start it with "
        + "${option}.command, .script or .serviceConfig.ProgramArguments instead.";
    };
in
{
  _file = ./services.nix;
  config = {
    assertions = map assertionsOf bindings;
    launchd.daemons = lib.mapAttrs
      (service: bs: { serviceConfig.ProgramArguments = lib.mkBefore (wrapper service (lib.unique (map (b: b.wait) bs))); })
      byService;
  };
}
