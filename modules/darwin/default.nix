# The nix-darwin module (`darwinModules.default`): `artifacts.*` for a Mac,
# a machine like a NixOS one (stored under `artifacts/machines/<name>/`,
# `--machine <name>` on the command line), with the same declarations. What
# differs is what deploys on the target: launchd daemons instead of systemd
# units (./daemons.nix, ./services.nix, ./templates.nix, the order between
# them in ./markers.nix), the stock modules' darwin variants
# (../backends/darwin.nix), no users stage (./stages.nix), and root:wheel
# ownership (./ownership.nix).
{ lib, ... }:
let
  entryModule = "darwinModules.default";
in
{
  imports = [
    (import ../common.nix {
      kind = "machine";
      inherit entryModule;
      nameDefault = {
        # nix-darwin's host name is optional: without it the module cannot
        # know which folder holds the machine's files (it does not know the
        # name of its darwinConfigurations attribute), and says so.
        default = config:
          let n = config.networking; in
          if n.hostName != null then n.hostName
          else if (n.localHostName or null) != null then n.localHostName
          else throw ("artifacts: this nix-darwin machine has no name: networking.hostName is not set. "
            + "Set networking.hostName (or artifacts.name) to the name of its darwinConfigurations attribute; "
            + "it names the machine's folder under artifacts/machines/.");
        defaultText = lib.literalExpression "config.networking.hostName (else networking.localHostName)";
        description = ''
          Defaults to the host name (`networking.hostName`, else
          `networking.localHostName`); one of them, or this option, must be
          set on nix-darwin, where they default to null. Use the name of
          the machine's `darwinConfigurations` attribute.
        '';
      };
      runtimeDirDefault = {
        default = _: "/run";
        defaultText = "/run";
        description = ''
          On nix-darwin, `/run` (nix-darwin's link to /private/var/run,
          emptied at boot). agenix and sops-nix keep the decrypted files on
          a RAM disk and link them to their paths; the dummy backend and
          public parts write the files themselves.
        '';
      };
      backends = import ../backends/darwin.nix;
      onTarget = [
        ./daemons.nix
        ./services.nix
        (import ./templates.nix { inherit entryModule; })
        ./stages.nix
        ./ownership.nix
      ];
    })
  ];
}
