# The NixOS module: `artifacts.*` for a machine. When Home Manager is used as
# a NixOS module, it also gives every user the Home Manager module, named
# "<user>@<machine>" and sharing the machine's artifacts directory (and the
# `artifacts` package of the dummy backend), so the CLI finds each home in
# `nixosConfigurations.<m>.config.home-manager.users`.
{ config, options, lib, ... }:
let
  cfg = config.artifacts;
in
{
  imports = [
    (import ../common.nix {
      kind = "machine";
      nameDefault = {
        default = config: config.networking.hostName;
        defaultText = lib.literalExpression "config.networking.hostName";
        description = "Defaults to the host name.";
      };
      runtimeDirDefault = {
        default = _: "/run";
        defaultText = "/run";
        description = "On NixOS, `/run` (a tmpfs): secrets never touch the disk.";
      };
    })
  ];

  # `options ? home-manager` depends on declarations only, not on config, so
  # this does not recurse; without Home Manager nothing is defined.
  config = lib.optionalAttrs (options ? home-manager) {
    home-manager.sharedModules = [
      ../home-manager
      ({ config, ... }: {
        artifacts.name = lib.mkDefault "${config.home.username}@${cfg.name}";
        artifacts.directory = lib.mkDefault cfg.directory;
        artifacts.adminRecipients = lib.mkDefault cfg.adminRecipients;
        artifacts.package = lib.mkDefault cfg.package;
      })
    ];
  };
}
