# Ownership as macOS knows it: the group with gid 0 is `wheel` (there is no
# group `root`), so files and templates default to root:wheel. The default
# is defined just above the option's own (priority 1400: `lib.mkDefault`
# and plain definitions win), by extending the submodules of
# `artifacts.store.<a>.files.<f>` and `artifacts.templates.<n>`. Owners and
# groups are names, resolved on the machine (agenix's and sops-nix's
# daemons, `artifacts machine generate`): users and groups nix-darwin
# manages (`users.users`, `users.groups` with `users.knownUsers` /
# `users.knownGroups`) or that macOS has (`_www`, `staff`, ...).
{ lib, ... }:
let
  inherit (lib) mkOption types;
  wheel = { group = lib.mkOverride 1400 "wheel"; };
in
{
  options.artifacts = {
    store = mkOption {
      type = types.attrsOf (types.submodule {
        options.files = mkOption {
          type = types.attrsOf (types.submodule { config = wheel; });
        };
      });
    };
    templates = mkOption {
      type = types.attrsOf (types.submodule { config = wheel; });
    };
  };
}
