# A minimal stand-in for the NixOS base: one option per top-level namespace
# that our module, the stock agenix/sops-nix modules and Home Manager's NixOS
# module touch, typed loosely (`lazyAttrsOf anything`), so their definitions
# merge and can be inspected without nixpkgs' NixOS modules. (Home Manager
# itself needs no such stand-in: its real module set evaluates.)
#
# `systemd.services` is typed a little closer to NixOS: the list options our
# modules and a user may both define (ordering, dependencies, triggers)
# concatenate as NixOS' do, where `anything` would call two different lists
# a conflict. Everything else in a service stays loose. The same holds for
# `system.activationScripts.<s>.deps` (ours and agenix's both order `users`).
{ lib, ... }:
let
  inherit (lib) mkOption types;
  loose = mkOption { type = types.lazyAttrsOf types.anything; default = { }; };
  list = mkOption { type = types.listOf types.unspecified; default = [ ]; };
  serviceLists = [
    "after" "before" "wants" "requires" "bindsTo" "partOf" "upholds" "conflicts"
    "wantedBy" "requiredBy" "restartTriggers" "reloadTriggers" "path"
  ];
  service = types.submodule {
    freeformType = types.lazyAttrsOf types.anything;
    options = lib.genAttrs serviceLists (_: list);
  };
  systemd = types.submodule {
    freeformType = types.lazyAttrsOf types.anything;
    options.services = mkOption { type = types.attrsOf service; default = { }; };
  };
  activationScript = types.either types.str (types.submodule {
    freeformType = types.lazyAttrsOf types.anything;
    options.deps = list;
  });
  system = types.submodule {
    freeformType = types.lazyAttrsOf types.anything;
    options.activationScripts = mkOption { type = types.attrsOf activationScript; default = { }; };
  };
in
{
  options = {
    users = loose;
    system = mkOption { type = system; default = { }; };
    systemd = mkOption { type = systemd; default = { }; };
    environment = loose;
    services = loose;
    networking = loose;
    boot = loose;
    i18n = loose;
    security = loose;
    launchd = loose;
    nixpkgs = loose;
    nix = loose;
    fileSystems = loose;
    specialisation = loose;
    assertions = list;
    warnings = list;
  };
}
