# The backends on nix-darwin, by name, as ./default.nix lists them for NixOS
# and Home Manager: the same stored files, deployed by the stock modules'
# darwin variants. Each adds to the fields listed in ./wire.nix:
#   deployerDaemon  the stock module's launchd daemon that puts the files in
#                   place (null: the artifact's own daemon makes them), which
#                   the artifact's daemon waits for (../darwin/daemons.nix)
{
  agenix = import ./agenix-darwin.nix;
  sops-nix = import ./sops-nix-darwin.nix;
  dummy = import ./dummy.nix // { deployerDaemon = null; };
}
