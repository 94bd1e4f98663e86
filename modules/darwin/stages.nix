# nix-darwin has no users stage: it creates the users it manages but sets
# no passwords (sops-nix's darwin module says its `neededForUsers` has no
# effect there), so `neededFor = "users"` is an assertion, as in Home
# Manager, instead of files that would be in place for nothing.
{ config, lib, ... }:
let
  cfg = config.artifacts;
  names = import ../names.nix;
in
{
  config.assertions = lib.mapAttrsToList
    (artifactName: _: {
      assertion = false;
      message = "artifacts: machine ${names.show cfg.name}, artifact ${names.show artifactName}: neededFor = \"users\" "
        + "has no meaning on nix-darwin, which sets no user passwords. Remove neededFor; its files are then in place "
        + "before the launchd daemons listed in services start.";
    })
    (lib.filterAttrs (_: a: a.neededFor == "users") cfg.store);
}
