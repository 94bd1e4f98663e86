# Templates (`artifacts.templates.<name>`), for every backend: the unit
# `artifacts-template-<name>.service` (a user unit in Home Manager) runs
# `artifacts machine render --spec <spec>` (rust/artifacts/src/machine/render.rs),
# which reads the deployed files the content's placeholders stand for,
# replaces them, and installs the result atomically with owner and mode;
# when the file already holds exactly that, it touches nothing. The spec, in
# the Nix store, holds the content with its placeholders and the deployed
# paths: nothing secret.
#
# The unit is bound to the units of the artifacts it uses (`BindsTo=`,
# `After=`), so it renders once their files are in place. Its services are
# ordered after it (`Wants=`, `After=`) and get a restart (reload) trigger
# that changes exactly when what is rendered does: the spec (the template)
# or the stored value of a file it uses (its hash; the dummy backend: its
# unit's command). The template's unit carries the same trigger, so a
# switch renders again, then restarts the services, only then.
#
# Placeholders are checked by ./template-assertions.nix: one of an unknown
# artifact or file, or of a file with `deploy = false`, is an assertion
# naming it.
{ kind
, entryModule # the module of our flake a user imports (../common.nix)
}:
{ config, lib, pkgs, ... }:
let
  cfg = config.artifacts;
  helpers = import ./lib.nix { inherit lib; };
  names = import ./names.nix;
  units = import ./unit-names.nix;
  backends = import ./backends;
  dummy = import ./dummy-unit.nix { inherit lib pkgs cfg kind; };
  isMachine = kind == "machine";

  inherit (import ./template-spec.nix { inherit lib pkgs cfg; }) used problemOf spec specFile;

  templates = lib.filterAttrs (name: _: names.valid name) cfg.templates;
  good = name: t: lib.all (u: problemOf u == null) (used t.content);

  command = name: t:
    "${if cfg.package == null then "artifacts" else "${cfg.package}/bin/artifacts"} machine render --spec ${specFile name t}";

  # What makes the rendered file change: the spec, and the value of each
  # file used (the stored file's hash; the dummy unit's command).
  trigger = name: t: builtins.hashString "sha256" (lib.concatStrings ([ "${builtins.toJSON (spec name t)}\n" ] ++ map
    (u:
      let
        artifact = cfg.store.${u.artifact};
        decl = artifact.files.${u.file};
        backend = helpers.backendOf cfg artifact;
        stored = helpers.storedFile cfg u.artifact artifact u.file decl;
      in
      "${u.artifact}/${u.file} " + (
        if backend == "dummy" then builtins.hashString "sha256" (dummy.command u.artifact artifact)
        else if helpers.isStoredBackend cfg artifact && helpers.isStored cfg stored then builtins.hashFile "sha256" stored.stored
        else "unknown"
      ) + "\n")
    (used t.content)));

  # Only the built-in backends' artifacts have a unit (./units.nix); a
  # script backend's module orders its own unit before the template's.
  artifactUnits = t: lib.unique (map (u: units.artifactUnit u.artifact)
    (lib.filter (u: backends ? ${helpers.backendOf cfg cfg.store.${u.artifact}}) (used t.content)));
  deployers = t: lib.unique (lib.concatMap
    (u: let b = helpers.backendOf cfg cfg.store.${u.artifact}; in
      if backends ? ${b} then backends.${b}.deployerUnits kind else [ ])
    (used t.content));
  attrOf = t: lib.removeSuffix ".service" t.unit;

  nixosUnit = name: t: {
    description = "artifacts: the template ${name} is rendered";
    wantedBy = [ "multi-user.target" ];
    bindsTo = artifactUnits t;
    after = artifactUnits t ++ deployers t;
    restartTriggers = [ (trigger name t) ];
    stopIfChanged = false;
    serviceConfig = { Type = "oneshot"; RemainAfterExit = true; UMask = "0077"; ExecStart = command name t; };
  };
  homeUnit = name: t: {
    Unit = {
      Description = "artifacts: the template ${name} is rendered";
      BindsTo = artifactUnits t;
      After = artifactUnits t ++ deployers t;
      X-Restart-Triggers = [ (trigger name t) ];
    };
    Service = { Type = "oneshot"; RemainAfterExit = true; UMask = "0077"; ExecStart = command name t; };
    Install.WantedBy = [ "default.target" ];
  };

  binding = name: t: reload:
    if isMachine then {
      wants = [ t.unit ];
      after = [ t.unit ];
      ${if reload then "reloadTriggers" else "restartTriggers"} = [ (trigger name t) ];
    } else {
      Unit = {
        Wants = [ t.unit ];
        After = [ t.unit ];
        ${if reload then "X-Reload-Triggers" else "X-Restart-Triggers"} = [ (trigger name t) ];
      };
    };
  bindings = lib.concatLists (lib.mapAttrsToList
    (name: t: lib.optionals (good name t)
      (map (s: { ${units.serviceAttr s} = binding name t false; }) (lib.filter units.isService t.services)
        ++ map (s: { ${units.serviceAttr s} = binding name t true; }) (lib.filter units.isService t.reloadServices)))
    templates);

  definitions = lib.mkMerge (
    lib.mapAttrsToList (name: t: lib.optionalAttrs (good name t) { ${attrOf t} = (if isMachine then nixosUnit else homeUnit) name t; }) templates
    ++ bindings);

in
{
  imports = [ (import ./template-assertions.nix { inherit kind entryModule; }) ];
  config = if isMachine then { systemd.services = definitions; } else { systemd.user.services = definitions; };
}
