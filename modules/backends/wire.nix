# A backend's wiring, shared by every backend file: each secret file of the
# artifacts using `backend` becomes an entry of the stock module's
# `<option>.secrets`, built by `secretOf kind file`; plus the assertions
# (stock module imported, stored files present). The stock options are set
# only when the stock module is imported, so configurations without it still
# evaluate.
{ backend, extension, option, howToImport, secretOf }:
{ kind }:
{ config, options, lib, ... }:
let
  cfg = config.artifacts;
  helpers = import ../lib.nix { inherit lib; };
  files = helpers.secretFiles { inherit cfg backend extension; };
  present = options ? ${option} && options.${option} ? secrets;
in
{
  config = lib.mkMerge [
    {
      assertions = [
        (helpers.stockModuleAssertion {
          inherit cfg files present backend;
          howToImport = howToImport kind;
        })
      ] ++ helpers.missingFileAssertions cfg files;
    }
    (lib.optionalAttrs present {
      ${option}.secrets = lib.listToAttrs (map (f: lib.nameValuePair f.name (secretOf kind f)) files);
    })
  ];
}
