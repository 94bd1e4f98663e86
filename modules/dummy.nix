# What the dummy backend needs from a declaration, checked by assertion: the
# `artifacts` package (the command the unit runs), a generator, its
# dependencies declared in the same scope (the command reads their deployed
# files), and octal modes (the command sets them itself). The unit is made by ./units.nix
# with ./dummy-unit.nix.
{ kind
, entryModule # the module that sets `artifacts.package` (../common.nix), named in the message
}:
{ config, lib, ... }:
let
  cfg = config.artifacts;
  helpers = import ./lib.nix { inherit lib; };
  names = import ./names.nix;
  dummies = lib.filterAttrs (_: artifact: helpers.backendOf cfg artifact == "dummy") cfg.store;
  scope = "artifacts: ${kind} ${names.show cfg.name}";
  octal = mode: builtins.match "0?[0-7]{3}" mode != null;
in
{
  config.assertions = [
    {
      assertion = dummies == { } || cfg.package != null;
      message = "${scope}: ${lib.concatMapStringsSep ", " names.show (lib.attrNames dummies)} "
        + "use the dummy backend, which runs `artifacts machine generate` on the target, but artifacts.package is not set. "
        + "Import inputs.artifacts.${entryModule} "
        + "(it sets it), or set artifacts.package to the artifacts package.";
    }
  ]
  ++ lib.mapAttrsToList
    (artifactName: artifact: {
      assertion = artifact.generator != null;
      message = "${scope}, artifact ${names.show artifactName}: the dummy backend runs the generator on the target, "
        + "but artifacts.store.${artifactName}.generator is not set.";
    })
    dummies
  ++ lib.concatLists (lib.mapAttrsToList
    (artifactName: artifact: map
      (dependency: {
        assertion = cfg.store ? ${dependency};
        message = "${scope}, artifact ${names.show artifactName}: the dependency ${names.show dependency} "
          + "is not declared in this ${kind} (artifacts.store.${dependency}); the dummy backend reads it on the target.";
      })
      artifact.dependencies)
    dummies)
  ++ lib.concatLists (lib.mapAttrsToList
    (artifactName: artifact: lib.mapAttrsToList
      (fileName: decl: {
        # The dummy backend makes files on the machine: one that must not
        # be there cannot be made by it.
        assertion = decl.deploy;
        message = "${scope}, artifact ${names.show artifactName}: file ${names.show fileName} has deploy = false, "
          + "but the dummy backend makes every file on the machine. Use a stored backend (agenix, sops-nix) for it, "
          + "or set deploy = true.";
      })
      artifact.files)
    dummies)
  ++ lib.concatLists (lib.mapAttrsToList
    (artifactName: artifact: lib.mapAttrsToList
      (fileName: decl: {
        assertion = octal decl.mode;
        message = "${scope}, artifact ${names.show artifactName}: the mode ${builtins.toJSON decl.mode} of file "
          + "${names.show fileName} is not octal; the dummy backend needs one like \"0400\".";
      })
      artifact.files)
    dummies);
}
