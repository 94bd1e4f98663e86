# Buildable replacements for ../fake-nixpkgs, for running the `artifacts` CLI
# on flakes without nixpkgs (copied there as overrides.nix; the template and
# clan vars tests). Everything is a plain `builtins.derivation` built with the
# host's /bin/sh (nix without sandbox):
#   - `writers.writeBash name text`: an executable `#!/bin/sh` script;
#   - `writeShellScript name text`: an executable `#!/bin/bash` script, as
#     nixpkgs' is a bash script (clan's generators use `[[ ]]` and pipefail);
#   - the packages generators put in `runtimeInputs` (`openssl`, `openssh`,
#     `mkpasswd`, `xkcdpass`, `coreutils`): `bin/` links to the host's
#     /usr/bin tools, which the generator sandbox binds read-only.
# The test writes system.nix beside it (the host's system, e.g. "x86_64-linux").
{ lib, standIn }:
let
  system = import ./system.nix;
  script = shebang: name: text: builtins.derivation {
    inherit name system text;
    builder = "/bin/sh";
    args = [ "-c" "printf '${shebang}\\n%s\\n' \"$text\" > \"$out\" && /bin/chmod +x \"$out\"" ];
  };
  # A package whose bin/ holds the host's `tools`.
  host = name: tools: builtins.derivation {
    name = "${name}-host";
    inherit system;
    builder = "/bin/sh";
    args = [ "-c" "/bin/mkdir -p \"$out/bin\" && for t in ${lib.concatStringsSep " " tools}; do /bin/ln -s \"/usr/bin/$t\" \"$out/bin/$t\"; done" ];
  };
in
{
  writers = standIn.writers // {
    writeBash = name: text: script "#!/bin/sh\\nset -e" name text;
  };
  writeShellScript = script "#!/bin/bash";
  openssl = host "openssl" [ "openssl" ];
  openssh = host "openssh" [ "ssh-keygen" ];
  mkpasswd = host "mkpasswd" [ "mkpasswd" ];
  xkcdpass = host "xkcdpass" [ "xkcdpass" ];
  coreutils = host "coreutils" [ "cat" "cp" "mv" "rm" "mkdir" "mktemp" "tr" "printf" "echo" ];
}
