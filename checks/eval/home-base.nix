# A minimal stand-in for Home Manager's base modules (see nixos-base.nix):
# `home.*` with the few real options our module reads, the rest loose.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  loose = mkOption { type = types.lazyAttrsOf types.anything; default = { }; };
in
{
  options = {
    home = mkOption {
      type = types.submodule {
        freeformType = types.lazyAttrsOf types.anything;
        options = {
          username = mkOption { type = types.str; };
          homeDirectory = mkOption { type = types.str; };
          uid = mkOption { type = types.nullOr types.ints.unsigned; default = null; };
        };
      };
    };
    xdg = loose;
    systemd = loose;
    launchd = loose;
    assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; };
    warnings = mkOption { type = types.listOf types.unspecified; default = [ ]; };
  };
  config.xdg.configHome = lib.mkDefault "/home/alice/.config";
}
