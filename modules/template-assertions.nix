# What is wrong with a template, by assertion, on every platform (NixOS and
# Home Manager: ./templates.nix; nix-darwin: ./darwin/templates.nix): a name
# that cannot name a unit and a file, a placeholder of an unknown artifact
# or file or of a file with `deploy = false`, and no `artifacts` package to
# render with.
{ kind
, entryModule # the module of our flake that sets `artifacts.package`, named in the message
}:
{ config, lib, pkgs, ... }:
let
  cfg = config.artifacts;
  names = import ./names.nix;
  scope = "artifacts: ${kind} ${names.show cfg.name}";
  inherit (import ./template-spec.nix { inherit lib pkgs cfg; }) used problemOf;
  templates = lib.filterAttrs (name: _: names.valid name) cfg.templates;
in
{
  config.assertions =
    lib.mapAttrsToList
      (name: _: {
        assertion = names.valid name;
        message = "${scope}: the template name ${names.show name} is not valid: it names a unit and a file. "
          + "A name is ${names.rule}.";
      })
      cfg.templates
    ++ lib.concatLists (lib.mapAttrsToList
      (name: t: map
        (u: { assertion = false; message = "${scope}, template ${names.show name}: ${problemOf u}."; })
        (lib.filter (u: problemOf u != null) (used t.content)))
      templates)
    ++ lib.optional (cfg.templates != { }) {
      assertion = cfg.package != null;
      message = "${scope}: templates are rendered by `artifacts machine render` on the target, but artifacts.package is not set. "
        + "Import inputs.artifacts.${entryModule} (it sets it), "
        + "or set artifacts.package to the artifacts package.";
    };
}
