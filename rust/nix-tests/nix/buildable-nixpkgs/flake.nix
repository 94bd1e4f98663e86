# A stand-in for the nixpkgs flake whose generator tools can really be
# built, for running the `artifacts` CLI on the templates without nixpkgs.
# Like ../fake-nixpkgs (nixpkgs' real lib, the stand-in NixOS base, fake
# packages for what the stock modules only mention), except:
#   - `writers.writeBash name text`: a real derivation, an executable
#     `#!/bin/sh` script (built with the host's /bin/sh and /bin/chmod);
#   - `openssl`: a real derivation whose `bin/openssl` links to the host's
#     /usr/bin/openssl (the generator sandbox binds /usr read-only).
# The test copies nixpkgs' lib/, stand-in-pkgs.nix, nixos-base.nix next to
# this file and writes system.nix (the host's system, e.g. "x86_64-linux").
{
  outputs = { self }:
    let
      lib = import ./lib;
      system = import ./system.nix;
      writeBash = name: text: builtins.derivation {
        inherit name system text;
        builder = "/bin/sh";
        args = [ "-c" "printf '#!/bin/sh\\nset -e\\n%s\\n' \"$text\" > \"$out\" && /bin/chmod +x \"$out\"" ];
      };
      openssl = builtins.derivation {
        name = "openssl-host";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" "/bin/mkdir -p \"$out/bin\" && /bin/ln -s /usr/bin/openssl \"$out/bin/openssl\"" ];
      };
      standIn = import ./stand-in-pkgs.nix;
      pkgs = standIn // {
        inherit lib openssl;
        writers = standIn.writers // { inherit writeBash; };
      };
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
