# A minimal stand-in for the NixOS base: one option per top-level namespace
# that our module, the stock agenix/sops-nix modules and Home Manager's NixOS
# module touch, typed loosely (`lazyAttrsOf anything`), so their definitions
# merge and can be inspected without nixpkgs' NixOS modules. (Home Manager
# itself needs no such stand-in: its real module set evaluates.)
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
    nix = loose;
    fileSystems = loose;
    assertions = list;
    warnings = list;
  };
}
