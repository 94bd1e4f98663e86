# agenix: every secret file becomes an entry of the stock agenix module's
# `age.secrets."<artifact>/<file>"`, decrypting the `.age` file the CLI wrote
# to `files.<f>.path`. Wired only when agenix's module is imported (its
# options exist), so configurations without agenix still evaluate.
{ kind }:
{ config, options, lib, ... }:
let
  cfg = config.artifacts;
  helpers = import ../lib.nix { inherit lib; };
  files = helpers.secretFiles { inherit cfg; backend = "agenix"; extension = "age"; };
  present = options ? age && options.age ? secrets;

  secretOf = f: {
    file = f.stored;
    inherit (f.decl) path mode;
  } // lib.optionalAttrs (kind == "machine") {
    # agenix's Home Manager module has no owner/group: files belong to the user.
    inherit (f.decl) owner group;
  };
in
{
  config = lib.mkMerge [
    {
      assertions = [
        (helpers.stockModuleAssertion {
          inherit cfg files present;
          backend = "agenix";
          howToImport =
            if kind == "machine"
            then "add inputs.agenix.nixosModules.default to the machine's modules."
            else "add inputs.agenix.homeManagerModules.default to the home's modules.";
        })
      ] ++ helpers.missingFileAssertions cfg files;
    }
    (lib.optionalAttrs present {
      age.secrets = lib.listToAttrs (map (f: lib.nameValuePair f.name (secretOf f)) files);
    })
  ];
}
