# The machine of the on-machine names test (rust/nix-tests/tests/machine_names.rs):
# our module with the real agenix and sops-nix modules over files the CLI
# generated in the test (`params.directory`, declared in
# ./on-machine/names.nix), whose names hold spaces, quotes, `$`, non-ASCII.
# What agenix and sops-nix get is forced here (agenix's activation
# script, what sops-nix's manifest holds), as building the system would: a stored
# file whose name is no Nix store path name would fail right here. A dummy
# artifact with the same kind of names (generator `params.generator`)
# gives the spec its unit runs.
{ lib, pkgs, machine, failed, agenixNixos, sopsNixos, params, ... }:
let
  declarations = import ./on-machine/names.nix (name: text: pkgs.writers.writeBash name text);
  config = machine [
    agenixNixos
    sopsNixos
    {
      artifacts.directory = /. + params.directory;
      artifacts.package = pkgs.artifacts;
      artifacts.store = declarations // {
        "names.dummy" = {
          backend = "dummy";
          files."fifth secret" = { };
          files."quo\"te $HOME `x` \\ü".path = "/run/secrets/dummy quo\"te";
          generator = /. + params.generator;
        };
      };
      age.identityPaths = [ params.identity ];
      age.ageBin = params.ageBin;
    }
  ];
  scripts = config.system.activationScripts;
  dummy = import ../../modules/dummy-unit.nix { inherit lib pkgs; cfg = config.artifacts; kind = "machine"; };
in
{
  onMachineNames = {
    failed = failed config;
    activation = map (name: { inherit name; inherit (scripts.${name}) text deps; })
      [ "agenixNewGeneration" "agenixInstall" "artifactsPublicFiles" "agenixChown" ];
    # What sops-nix writes into its manifest (modules/sops/manifest-for.nix:
    # `builtins.toJSON` of the secrets, which copies path values to the
    # store); the stand-in nixpkgs cannot build the manifest itself.
    sopsManifest = builtins.fromJSON (builtins.unsafeDiscardStringContext (builtins.toJSON (builtins.attrValues config.sops.secrets)));
    units = lib.mapAttrs (_: unit: unit.script)
      (lib.filterAttrs (name: unit: lib.hasPrefix "artifact-" name && unit ? script) config.systemd.services);
    age = lib.mapAttrs (_: s: { inherit (s) name path; file = "${s.file}"; }) config.age.secrets;
    sops = lib.mapAttrs (_: s: { inherit (s) name path format; sopsFile = "${s.sopsFile}"; }) config.sops.secrets;
    paths = lib.mapAttrs (_: artifact: lib.mapAttrs (_: f: f.path) artifact.files) config.artifacts.store;
    placeholders = config.artifacts.placeholder;
    dummySpec = dummy.spec "names.dummy" config.artifacts.store."names.dummy";
    dummyUnit = config.systemd.services."artifact-names.dummy".serviceConfig;
  };
}
