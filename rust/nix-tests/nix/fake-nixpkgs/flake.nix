# A stand-in for the nixpkgs flake, for evaluating the templates without
# nixpkgs: nixpkgs' real lib (copied next to this file by the test), fake
# packages (stand-in-pkgs.nix), and a `nixosSystem` that evaluates the
# modules over the stand-in NixOS base (nixos-base.nix), and optional
# buildable replacements (overrides.nix, see ../buildable-nixpkgs).
{
  outputs = { self }:
    let
      lib = import ./lib;
      standIn = import ./stand-in-pkgs.nix // { inherit lib; };
      # A test may drop an overrides.nix here (`{ lib, standIn }: attrs`) to
      # replace some fake packages with buildable ones.
      pkgs = standIn // (if builtins.pathExists ./overrides.nix
        then import ./overrides.nix { inherit lib standIn; }
        else { });
      standInDefaults = {
        # What the NixOS openssh module would provide to agenix / sops-nix.
        services.openssh.hostKeys = lib.mkDefault [{ type = "ed25519"; path = "/etc/ssh/ssh_host_ed25519_key"; }];
      };
    in
    {
      lib = lib // {
        nixosSystem = { modules, specialArgs ? { }, ... }: lib.evalModules {
          inherit specialArgs;
          modules = [ ./nixos-base.nix standInDefaults { _module.args.pkgs = pkgs; } ] ++ modules;
        };
      };
      legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ] (_: pkgs);
    };
}
