# A backend's wiring, shared by every backend: each secret file of the
# artifacts using `backend` becomes an entry of the stock module's
# `<option>.secrets`, built by `secretOf kind file`, plus the assertion that
# the stock module is imported. The stock options are set only when the stock
# module is imported, so configurations without it still evaluate.
#
# A backend file (see agenix.nix) describes the backend with:
#   extension      stored files are `<file>.<extension>` (the CLI writes
#                  them); null for a backend that stores nothing (dummy,
#                  which has no stock module and is wired by ../dummy.nix)
#   option         the stock module's top-level option (`age`, `sops`)
#   howToImport    kind: the sentence telling the user which module to import
#   secretOf       kind: file: the `<option>.secrets` entry of one stored file
#                  (a file of ../lib.nix `storedFile`)
#   deployerUnits  kind: the units that put the files in place, which the
#                  artifact's unit and its services are ordered after
#   restartsUnits  kind: whether the stock module restarts `services` itself
#                  when a value changes (sops-nix on NixOS); otherwise
#                  ../services.nix gives them restart triggers
#   assertionsOf   optional, { cfg, files }: what the stock module cannot
#                  deploy (agenix: paths its script does not quote)
#
# Missing stored files are reported by ../missing-files.nix. A home deploys
# only the files that are stored (see there why).
{ option, howToImport, secretOf, assertionsOf ? _: [ ], ... }:
{ backend, kind }:
{ config, options, lib, ... }:
let
  cfg = config.artifacts;
  helpers = import ../lib.nix { inherit lib; };
  files = helpers.secretFiles { inherit cfg backend; };
  deployed = if kind == "home" then lib.filter (helpers.isStored cfg) files else files;
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
      ] ++ assertionsOf { inherit cfg files; };
    }
    (lib.optionalAttrs present {
      ${option}.secrets = lib.listToAttrs (map (f: lib.nameValuePair f.name (secretOf kind f)) deployed);
    })
  ];
}
