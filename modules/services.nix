# Services that need an artifact (`services`, `reloadServices`) are bound to
# its unit (./units.nix): `BindsTo=` and `After=` it, and `After=` the units
# that deploy its files, so they start only once every file is in place and
# stop with it. They restart (or reload) when a switch deploys a new value:
#   - agenix, and sops-nix in Home Manager, restart nothing themselves: each
#     bound service gets a restart (reload) trigger, a hash of the
#     artifact's stored files (../modules/lib.nix storedHash) that changes
#     exactly when one of them does (regenerated, rekeyed or edited), so
#     `switch-to-configuration` / sd-switch restart it then and only then;
#   - sops-nix on NixOS restarts them itself when a decrypted value changed
#     (`restartUnits` / `reloadUnits`, ./backends/sops-nix.nix); its public
#     parts still use a trigger;
#   - dummy: a new value means the artifact's unit ran again, and systemd
#     propagates its restart to the units bound to it; the trigger, a hash
#     of the unit's command (which names the spec), says the same.
# A listed service that nothing else defines is an assertion naming the
# artifact (a unit that only comes from `systemd.packages` needs an empty
# definition, so NixOS knows of it).
{ kind }:
{ config, options, lib, pkgs, ... }:
let
  cfg = config.artifacts;
  helpers = import ./lib.nix { inherit lib; };
  names = import ./names.nix;
  units = import ./unit-names.nix;
  backends = import ./backends;
  dummy = import ./dummy-unit.nix { inherit lib pkgs cfg kind; };
  isMachine = kind == "machine";
  optionOf = attr: lib.showOption ((if isMachine then [ "systemd" "services" ] else [ "systemd" "user" "services" ]) ++ [ attr ]);

  withUnit = lib.filterAttrs
    (artifactName: artifact: names.valid artifactName && backends ? ${helpers.backendOf cfg artifact})
    cfg.store;

  # The restart trigger of an artifact's services, or null.
  trigger = artifactName: artifact:
    let
      backend = helpers.backendOf cfg artifact;
      restartsItself = backends.${backend}.restartsUnits kind;
      files = lib.filter (f: f.artifact == artifactName && (!f.decl.secret || !restartsItself))
        (helpers.storedFiles cfg);
    in
    if backend == "dummy"
    then builtins.hashString "sha256" (dummy.command artifactName artifact)
    else helpers.storedHash cfg files;

  # Every (service, artifact) pair, listed once per service.
  bindings = lib.concatLists (lib.mapAttrsToList
    (artifactName: artifact:
      map (service: { inherit service artifactName artifact; reload = false; }) artifact.services
      ++ map (service: { inherit service artifactName artifact; reload = true; }) artifact.reloadServices)
    withUnit);
  services = lib.filter (b: units.isService b.service) bindings;

  binding = b:
    let
      unit = units.artifactUnit b.artifactName;
      after = [ unit ] ++ backends.${helpers.backendOf cfg b.artifact}.deployerUnits kind;
      t = trigger b.artifactName b.artifact;
      triggers = lib.optional (t != null) t;
    in
    if isMachine then {
      bindsTo = [ unit ];
      inherit after;
      ${if b.reload then "reloadTriggers" else "restartTriggers"} = triggers;
    } else {
      Unit = {
        BindsTo = [ unit ];
        After = after;
        ${if b.reload then "X-Reload-Triggers" else "X-Restart-Triggers"} = triggers;
      };
    };

  definitions = lib.mkMerge (map (b: { ${units.serviceAttr b.service} = binding b; }) services);

  # The service names defined by other modules than this one. In the
  # module-evaluation tests' stand-in NixOS base, `systemd` is one loose
  # option, so its definitions are read one level deeper.
  defined =
    let
      path = if isMachine then [ "systemd" "services" ] else [ "systemd" "user" "services" ];
      direct = lib.attrByPath path null options;
      definitions =
        if direct != null && lib.isOption direct then direct.definitionsWithLocations
        else map (d: d // { value = d.value.services or { }; }) options.systemd.definitionsWithLocations;
      others = lib.filter (d: d.file != toString ./services.nix) definitions;
    in
    lib.unique (lib.concatMap (d: if builtins.isAttrs d.value then builtins.attrNames d.value else [ ]) others);

  scope = artifactName: "artifacts: ${kind} ${names.show cfg.name}, artifact ${names.show artifactName}";
  assertionsOf = b:
    let attr = units.serviceAttr b.service; in
    if !(units.isService b.service) then {
      assertion = false;
      message = "${scope b.artifactName}: ${if b.reload then "reloadServices" else "services"} lists "
        + "${builtins.toJSON b.service}, which is not a service; list services only "
        + "(\"name\" or \"name.service\").";
    } else {
      assertion = builtins.elem attr defined;
      message = "${scope b.artifactName}: ${if b.reload then "reloadServices" else "services"} lists "
        + "${builtins.toJSON b.service}, but no ${optionOf attr} is defined. "
        + "Correct the name, or define the service; a unit that only comes from a package needs "
        + "${optionOf attr} = { }; so the module system knows it.";
    };
in
{
  _file = ./services.nix;
  config = {
    assertions = map assertionsOf bindings;
  } // (if isMachine then { systemd.services = definitions; } else { systemd.user.services = definitions; });
}
