# Documentation can be generated from the options: every visible
# `artifacts.*` option has a description, and rendering them (defaults
# included) needs no configuration beyond what the scope requires.
{ lib, homeConfiguration, ... }:
let
  docsOf = options: lib.filter (o: o.visible && !o.internal && !lib.hasInfix "_module" o.name)
    (lib.optionAttrSetToDocList options.artifacts);
  summarise = map (o: { inherit (o) name; described = (o.description or "") != ""; });
in
{
  optionDocs = {
    nixos = summarise (docsOf (lib.evalModules { modules = [ ./nixos-base.nix ../../modules/nixos ]; }).options);
    home = summarise (docsOf (homeConfiguration [ ]).options);
  };
}
