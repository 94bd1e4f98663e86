# sops-nix: every secret file becomes an entry of the stock sops-nix module's
# `sops.secrets."<artifact>/<file>"`. The CLI writes one sops file per
# artifact file in sops' binary store format, so `format = "binary"` and the
# whole decrypted content lands at `files.<f>.path`. Wired only when
# sops-nix's module is imported.
{ kind }:
{ config, options, lib, ... }:
let
  cfg = config.artifacts;
  helpers = import ../lib.nix { inherit lib; };
  files = helpers.secretFiles { inherit cfg; backend = "sops-nix"; extension = "sops"; };
  present = options ? sops && options.sops ? secrets;

  # Home Manager paths may start with the shell's `${XDG_RUNTIME_DIR}` (see
  # `artifacts.runtimeDir`); sops-nix spells the same directory `%r`.
  pathOf = path:
    if kind == "home" && lib.hasPrefix "\${XDG_RUNTIME_DIR}" path
    then "%r" + lib.removePrefix "\${XDG_RUNTIME_DIR}" path
    else path;

  secretOf = f: {
    sopsFile = f.stored;
    format = "binary";
    path = pathOf f.decl.path;
    inherit (f.decl) mode;
  } // lib.optionalAttrs (kind == "machine") {
    # sops-nix's Home Manager module has no owner/group: files belong to the user.
    inherit (f.decl) owner group;
  };
in
{
  config = lib.mkMerge [
    {
      assertions = [
        (helpers.stockModuleAssertion {
          inherit cfg files present;
          backend = "sops-nix";
          howToImport =
            if kind == "machine"
            then "add inputs.sops-nix.nixosModules.sops to the machine's modules."
            else "add inputs.sops-nix.homeManagerModules.sops to the home's modules.";
        })
      ] ++ helpers.missingFileAssertions cfg files;
    }
    (lib.optionalAttrs present {
      sops.secrets = lib.listToAttrs (map (f: lib.nameValuePair f.name (secretOf f)) files);
    })
  ];
}
