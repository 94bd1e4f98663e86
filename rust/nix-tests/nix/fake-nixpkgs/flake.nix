# A stand-in for the nixpkgs flake (see default.nix for what is in this
# folder): nixpkgs' real lib, the stand-in packages, and a `nixosSystem` that
# evaluates the modules over the stand-in NixOS base (nixos-base.nix).
{
  outputs = { self }:
    let
      pkgs = import ./. { };
      inherit (pkgs) lib;
      standInDefaults = {
        # What the NixOS openssh module would provide to agenix / sops-nix.
        services.openssh.hostKeys = lib.mkDefault [{ type = "ed25519"; path = "/etc/ssh/ssh_host_ed25519_key"; }];
      };
    in
    {
      lib = lib // {
        nixosSystem = { modules, specialArgs ? { }, ... }: lib.evalModules {
          inherit specialArgs;
          class = "nixos";
          modules = [ ./nixos-base.nix standInDefaults { _module.args.pkgs = pkgs; } ] ++ modules;
        };
      };
      legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ] (_: pkgs);
    };
}
