# Buildable replacements for ../fake-nixpkgs, for running the `artifacts` CLI
# on the templates without nixpkgs (copied there as overrides.nix):
#   - `writers.writeBash name text`: an executable `#!/bin/sh` script (built
#     with the host's /bin/sh and /bin/chmod);
#   - `openssl`: `bin/openssl` links to the host's /usr/bin/openssl (the
#     generator sandbox binds /usr read-only).
# The test writes system.nix beside it (the host's system, e.g. "x86_64-linux").
{ lib, standIn }:
let
  system = import ./system.nix;
in
{
  writers = standIn.writers // {
    writeBash = name: text: builtins.derivation {
      inherit name system text;
      builder = "/bin/sh";
      args = [ "-c" "printf '#!/bin/sh\\nset -e\\n%s\\n' \"$text\" > \"$out\" && /bin/chmod +x \"$out\"" ];
    };
  };
  openssl = builtins.derivation {
    name = "openssl-host";
    inherit system;
    builder = "/bin/sh";
    args = [ "-c" "/bin/mkdir -p \"$out/bin\" && /bin/ln -s /usr/bin/openssl \"$out/bin/openssl\"" ];
  };
}
