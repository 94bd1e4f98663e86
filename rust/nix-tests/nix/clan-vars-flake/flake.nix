# A fleet written for clan vars, deployed through agenix (alpha) and
# sops-nix (beta) with our CLI: rust/nix-tests/tests/clan_vars_cli.rs. The
# test copies this folder, writes keys.nix (the machines' host keys and the
# administrator's recipient) and locks the inputs to local copies: the
# stand-in nixpkgs (nixpkgs' real lib and module system, buildable
# writeShellScript and tools), this repository, agenix and sops-nix.
{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    artifacts = {
      url = "github:nixos-artifacts/nixos-artifacts";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    agenix = {
      url = "github:ryantm/agenix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    sops-nix = {
      url = "github:Mic92/sops-nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = { self, nixpkgs, artifacts, agenix, sops-nix }:
    let
      keys = import ./keys.nix;
      machine = name: modules: nixpkgs.lib.nixosSystem {
        modules = [
          artifacts.nixosModules.clanVars
          ./clan-services.nix
          {
            networking.hostName = name;
            services.openssh.enable = true; # the host key decrypts
            artifacts.directory = "${self}/artifacts";
            artifacts.publicKey = keys.${name};
            artifacts.adminRecipients = [ keys.admin ];
          }
        ] ++ modules;
      };
    in
    {
      nixosConfigurations.alpha = machine "alpha" [ agenix.nixosModules.default ];
      nixosConfigurations.beta = machine "beta" [
        sops-nix.nixosModules.sops
        {
          # As clan machines choose their store; sops is sops-nix here.
          clan.core.vars.settings.secretStore = "sops";
          # A shared artifact has one backend wherever it is declared (the
          # CLI refuses two): the CA stays with alpha's agenix. Its key is
          # never deployed, so beta needs no agenix module for it.
          artifacts.store.pki-root-ca.backend = "agenix";
        }
      ];
    };
}
