# sops-nix on nix-darwin (`darwinModules.sops`): the same stored files and
# entries as ./sops-nix.nix, without what its darwin module lacks:
# `restartUnits` / `reloadUnits` (../darwin/ restarts the services) and
# `neededForUsers` (nix-darwin sets no passwords; ../darwin/stages.nix).
# It decrypts in activation and in its launchd daemon `sops-install-secrets`
# (at boot, and when nix-darwin reloads it).
let
  nixos = import ./sops-nix.nix;
in
nixos // {
  howToImport = _kind: "add inputs.sops-nix.darwinModules.sops to the machine's modules.";
  secretOf = kind: f: builtins.removeAttrs (nixos.secretOf kind f) [ "neededForUsers" "restartUnits" "reloadUnits" ];
  restartsUnits = _kind: false;
  deployerDaemon = "sops-install-secrets";
}
