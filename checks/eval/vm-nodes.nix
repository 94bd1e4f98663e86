# The VM tests' machines (checks/vm) evaluated here, without nixpkgs: our
# module with the stand-in NixOS base and the real stock modules (what the
# real NixOS adds, e.g. users' defaults, is given by `standIn`). Each must
# pass its assertions; the units test's specialisations must change the
# bound service's trigger exactly when the stored value changes. The test
# scripts are returned for a syntax check.
{ lib, pkgs, machine, failed, params, ... }@helpers:
let
  artifacts.nixosModules.default = { imports = [ ../../modules/nixos ]; artifacts.package = pkgs.artifacts; };
  inherit (helpers) sources;
  vm = name: import (../vm + "/${name}.nix") { inherit artifacts sources; };
  # What NixOS would define that Home Manager's NixOS module reads.
  standIn = {
    nix = { enable = true; package = pkgs.nix; };
    users.users.alice = { name = "alice"; home = "/home/alice"; };
  };
  node = test: extra: machine ([ (lib.head (lib.attrValues test.nodes)) standIn ] ++ extra);
  tests = lib.genAttrs [ "agenix" "sops-nix" "mixed" "dummy" "home-manager" "units" "password" "template" ] vm;
  units = tests.units;
  greeterTriggers = extra: (node units extra).systemd.services.greeter.restartTriggers;
  specialisation = name: (lib.head (lib.attrValues units.nodes) { inherit lib pkgs; config = { }; }).specialisation.${name}.configuration;
in
{
  vmNodes = lib.mapAttrs
    (_: test: {
      inherit (test) name testScript;
      failed = failed (node test [ ]);
    })
    tests;
  # alice's home builds: every file it deploys is stored.
  vmHomeActivation = (node tests.home-manager [ ]).home-manager.users.alice.home.activationPackage.outPath;
  vmUnitsTriggers = {
    booted = greeterTriggers [ ];
    unrelated = greeterTriggers [ (specialisation "unrelated") ];
    rotated = greeterTriggers [ (specialisation "rotated") ];
  };
}
