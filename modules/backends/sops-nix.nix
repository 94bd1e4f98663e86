# sops-nix: every secret file becomes an entry of the stock sops-nix module's
# `sops.secrets."<artifact>/<file>"`. The CLI writes one sops file per
# artifact file in sops' binary store format, so `format = "binary"` and the
# whole decrypted content lands at `files.<f>.path`. What every backend file
# says is listed in wire.nix.
let
  units = import ../unit-names.nix;
  # Home Manager paths may start with the shell's `${XDG_RUNTIME_DIR}` (see
  # `artifacts.runtimeDir`); sops-nix spells the same directory `%r`. Its
  # Home Manager module expands `%r` and `%%` in every path, so a `%` of
  # the path itself (a file named `100%`) is written `%%`.
  runtimeVariable = "\${XDG_RUNTIME_DIR}";
  pathOf = kind: path:
    let
      n = builtins.stringLength runtimeVariable;
      escape = builtins.replaceStrings [ "%" ] [ "%%" ];
    in
    if kind != "home" then path
    else if builtins.substring 0 n path == runtimeVariable
    then "%r" + escape (builtins.substring n (builtins.stringLength path) path)
    else escape path;
in
{
  extension = "sops";
  option = "sops";
  howToImport = kind:
    if kind == "machine"
    then "add inputs.sops-nix.nixosModules.sops to the machine's modules."
    else "add inputs.sops-nix.homeManagerModules.sops to the home's modules.";
  secretOf = kind: f: {
    # A copy with a safe name when the file's cannot be a store path name
    # (../lib.nix `source`). sops-install-secrets reads its manifest as
    # JSON, so the entry's name and path may hold any valid file name.
    sopsFile = f.source;
    format = "binary";
    path = pathOf kind f.decl.path;
    inherit (f.decl) mode;
  } // (if kind == "machine" then {
    # sops-nix's Home Manager module has no owner/group: files belong to the user.
    inherit (f.decl) owner group;
    # The users stage (../stages.nix): decrypted before users are made,
    # under /run/secrets-for-users (the file's default path then).
    neededForUsers = f.artifactConfig.neededFor == "users";
    # On NixOS sops-nix restarts (reloads) units itself, exactly when the
    # decrypted value changed; its Home Manager module cannot.
    restartUnits = map units.serviceUnit f.artifactConfig.services;
    reloadUnits = map units.serviceUnit f.artifactConfig.reloadServices;
  } else { });
  deployerUnits = kind:
    if kind == "machine" then [ "sops-install-secrets.service" ] else [ "sops-nix.service" ];
  restartsUnits = kind: kind == "machine";
}
