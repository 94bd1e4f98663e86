# A minimal stand-in for the NixOS base: one option per top-level namespace
# that our module and the stock agenix/sops-nix modules touch, typed loosely
# (`lazyAttrsOf anything`), so their definitions merge and can be inspected
# without nixpkgs' NixOS modules.
{ lib, ... }:
let
  loose = lib.mkOption { type = lib.types.lazyAttrsOf lib.types.anything; default = { }; };
  list = lib.mkOption { type = lib.types.listOf lib.types.unspecified; default = [ ]; };
in
{
  options = {
    users = loose;
    system = loose;
    systemd = loose;
    environment = loose;
    services = loose;
    networking = loose;
    boot = loose;
    i18n = loose;
    security = loose;
    launchd = loose;
    nixpkgs = loose;
    fileSystems = loose;
    assertions = list;
    warnings = list;
  };
}
