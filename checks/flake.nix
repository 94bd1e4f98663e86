{
  description = "nixos-artifacts: module-evaluation and NixOS VM tests (dev flake)";

  # Run from the repository: `nix flake check ./checks`. Nix copies the whole
  # git repository and evaluates this subdirectory, so `../` reaches the
  # project's modules without listing the project as an input.
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    agenix = {
      url = "github:ryantm/agenix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    sops-nix = {
      url = "github:Mic92/sops-nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = { nixpkgs, agenix, sops-nix, ... }:
    let
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};
      artifacts = {
        nixosModules.default = ../modules/nixos;
      };
      cases = import ./eval {
        inherit (nixpkgs) lib;
        inherit agenix sops-nix pkgs;
      };
      # The few expectations that must hold with real nixpkgs too; the
      # detailed ones are in rust/nix-tests/tests/modules.rs.
      expect = ok: message: if ok then true else throw "module evaluation: ${message}";
      evaluated =
        expect (cases.announcement.failed == [ ]) "the announcement fails assertions: ${toString cases.announcement.failed}"
        && expect (builtins.length cases.missing.failed == 2) "missing files are not reported"
        && expect (cases.announcement.atticEnvironmentFile == "/var/lib/attic/secrets/env") "wrong attic path";
    in
    {
      checks.${system} = {
        eval = pkgs.runCommand "artifacts-module-eval" { } ''
          # ${builtins.toJSON evaluated}
          touch $out
        '';
        vm-agenix = import ./vm/agenix.nix { inherit pkgs artifacts agenix; };
        vm-mixed = import ./vm/mixed.nix { inherit pkgs artifacts agenix sops-nix; };
      };
    };
}
