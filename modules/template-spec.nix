# What a template's unit hands to `artifacts machine render` (version 1),
# written to the Nix store: the content with its placeholders, where the
# rendered file goes, and for each placeholder the path its file is
# deployed at. Nothing secret. Documented in docs/manifest.md
# ("Templates"); used by ./templates.nix and the tests.
{ lib, pkgs, cfg }:
let
  helpers = import ./lib.nix { inherit lib; };
  names = import ./names.nix;
in
rec {
  # The placeholders a content uses, as { artifact; file; }, once each.
  used = content: lib.unique (map
    (m: { artifact = builtins.elemAt m 0; file = helpers.placeholderName (builtins.elemAt m 1); })
    (lib.filter builtins.isList (builtins.split helpers.placeholderPattern content)));

  # Why a placeholder cannot be rendered, or null.
  problemOf = u:
    let artifact = cfg.store.${u.artifact}; in
    if !(cfg.store ? ${u.artifact}) then
      "uses the placeholder of artifact ${names.show u.artifact}, which this ${cfg.kind} does not declare (artifacts.store.${u.artifact})"
    else if !(artifact.files ? ${u.file}) then
      "uses the placeholder of file ${names.show u.file} of artifact ${names.show u.artifact}, which declares no such file"
    else if !artifact.files.${u.file}.deploy then
      "uses the placeholder of file ${names.show u.file} of artifact ${names.show u.artifact}, which has deploy = false: it never reaches the machine"
    else null;

  spec = name: t: {
    version = 1;
    inherit (cfg) kind;
    scope = cfg.name;
    template = name;
    inherit (t) content path mode;
    owner = t.owner or null;
    group = t.group or null;
    placeholders = map
      (u: {
        inherit (u) artifact file;
        placeholder = helpers.placeholder u.artifact u.file;
        path = cfg.store.${u.artifact}.files.${u.file}.path;
      })
      (used t.content);
  };

  specFile = name: t: pkgs.writeText "artifacts-template-spec.json" (builtins.toJSON (spec name t));
}
