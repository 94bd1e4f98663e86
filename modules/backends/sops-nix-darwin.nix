# sops-nix on nix-darwin (`darwinModules.sops`): the same stored files as
# ./sops-nix.nix, as `sops.secrets` entries without what its darwin module
# lacks: `restartUnits` / `reloadUnits` (../darwin/ restarts the services)
# and a users stage (nix-darwin sets no passwords; ../darwin/stages.nix).
# It decrypts in activation and in its launchd daemon `sops-install-secrets`
# (at boot, and when nix-darwin reloads it).
import ./sops-nix.nix // {
  howToImport = _kind: "add inputs.sops-nix.darwinModules.sops to the machine's modules.";
  secretOf = _kind: f: {
    sopsFile = f.stored;
    format = "binary";
    inherit (f.decl) path mode owner group;
  };
  restartsUnits = _kind: false;
  deployerDaemon = "sops-install-secrets";
}
