# How the cases evaluate our modules, and JSON-safe summaries of the results.
# A machine: the real module system over the stand-in NixOS base
# (nixos-base.nix) with the stock modules under test. A home: Home Manager's
# real `homeManagerConfiguration`, its whole module set, with `pkgs` (real
# nixpkgs, or the stand-in of rust/nix-tests/nix/fake-nixpkgs). No stand-in
# for Home Manager: the real one checks assertions before anything of the
# home can be read, which the cases must see. A Mac: nix-darwin's real
# `eval-config.nix`, its whole module set, with `darwinPkgs` (as for Home
# Manager, a stand-in is enough).
{ lib, agenix, sops-nix, flake-parts, home-manager, nix-darwin ? null, darwinPkgs ? null, pkgs }:
rec {
  inherit lib pkgs flake-parts;

  fixtures = ./fixtures/artifacts;
  empty = ./fixtures/empty;
  announcement = ../../lib/tests/announcement.nix;
  scope = import ../../lib/tests/scope.nix;

  # The stock modules' source trees, as strings (not copied to the store).
  sources = lib.mapAttrs (_: toString) { inherit agenix sops-nix; home-manager = hmSource; };

  agenixNixos = agenix + "/modules/age.nix";
  agenixHome = agenix + "/modules/age-home.nix";
  sopsNixos = sops-nix + "/modules/sops";
  sopsHome = sops-nix + "/modules/home-manager/sops.nix";

  evalMachine = modules: lib.evalModules {
    class = "nixos";
    modules = [
      ./nixos-base.nix
      { _module.args.pkgs = lib.mkForce pkgs; }
      ../../modules/nixos
      {
        networking.hostName = "alpha";
        services.openssh.enable = true;
        services.openssh.hostKeys = [{ type = "ed25519"; path = "/etc/ssh/ssh_host_ed25519_key"; }];
        artifacts = { inherit (scope) publicKey adminRecipients; };
      }
    ] ++ modules;
  };
  machine = modules: (evalMachine modules).config;

  hmSource =
    if home-manager == null
    then throw "checks/eval: the Home Manager cases need home-manager's source (argument home-manager)"
    else home-manager;
  hmNixos = hmSource + "/nixos";

  # Standalone: `homeConfigurations.alice` as a user's flake defines it.
  homeConfiguration = modules: (import (hmSource + "/lib") { inherit lib; }).homeManagerConfiguration {
    inherit pkgs;
    modules = [
      ../../modules/home-manager
      { home.username = "alice"; home.homeDirectory = "/home/alice"; home.stateVersion = "25.05"; }
    ] ++ modules;
  };
  home = modules: (homeConfiguration modules).config;

  # Home Manager as a NixOS module: user alice on machine alpha, with `hm`
  # as her Home Manager modules.
  machineWithAlice = modules: hm: machine ([
    hmNixos
    {
      # What NixOS' users and nix modules would define; Home Manager's
      # NixOS module hands them down to the home.
      users.users.alice = { name = "alice"; home = "/home/alice"; uid = 1000; };
      nix = { enable = true; package = pkgs.nix; };
      home-manager.users.alice = { imports = hm; home.stateVersion = "25.05"; };
    }
  ] ++ modules);

  # A Mac managed by nix-darwin: machine alpha, aarch64-darwin.
  darwinSource =
    if nix-darwin == null || darwinPkgs == null
    then throw "checks/eval: the darwin cases need nix-darwin's source and darwinPkgs (arguments nix-darwin, darwinPkgs)"
    else nix-darwin;
  agenixDarwin = agenix + "/modules/age.nix";
  sopsDarwin = sops-nix + "/modules/nix-darwin";
  evalDarwin = modules: import (darwinSource + "/eval-config.nix") {
    inherit lib;
    modules = [
      {
        _module.args.pkgs = lib.mkForce darwinPkgs;
        nixpkgs.hostPlatform = "aarch64-darwin";
        system.stateVersion = 6;
      }
      ../../modules/darwin
      {
        networking.hostName = lib.mkDefault "alpha";
        artifacts = { inherit (scope) publicKey adminRecipients; };
      }
    ] ++ modules;
  };
  darwin = modules: (evalDarwin modules).config;

  # Stored files relative to the fixtures, so results do not depend on
  # where the repository is checked out.
  relative = file: lib.removePrefix "${toString fixtures}/" (toString file);
  failed = config: map (a: a.message) (lib.filter (a: !a.assertion) config.assertions);
  ageSecrets = config: lib.mapAttrs
    (_: s: { file = relative s.file; inherit (s) path mode; } // lib.optionalAttrs (s ? owner) { inherit (s) owner group; })
    (config.age.secrets or { });
  sopsSecrets = config: lib.mapAttrs
    (_: s: { sopsFile = relative s.sopsFile; inherit (s) format path mode; } // lib.optionalAttrs (s ? owner) { inherit (s) owner group; })
    (config.sops.secrets or { });
  summary = config: {
    age = ageSecrets config;
    sops = sopsSecrets config;
    failed = failed config;
  };

  # One artifact on agenix only, for the cases without sops-nix.
  agenixOnly = { pkgs, ... }: {
    artifacts.store.test = {
      files.secret = { };
      generator = pkgs.writers.writeBash "test" "echo hi > $out/secret";
    };
  };
}
