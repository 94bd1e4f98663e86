#!/usr/bin/env bash
# Re-creates the VM tests' stored files with the `artifacts` CLI itself, so
# the machines boot with exactly what `artifacts generate` writes: age files
# to the host's ssh-ed25519 key plus the admin, a sops file to the host
# key's age1 form plus the admin. Contents are fixed so the tests can check
# them. Needs nix, bubblewrap and cargo. Run from the repository root:
#   checks/vm/make-fixtures.sh
set -euo pipefail
repo=$(pwd)
host=$(cat checks/keys/ssh_host_ed25519_key.pub)
admin=$(age-keygen -y checks/keys/admin.agekey)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp -r lib "$work/lib"
system="$(uname -m)-linux"
cat >"$work/flake.nix" <<NIX
{
  outputs = { self }:
    let
      lib = import ./lib;
      fixed = name: text: builtins.derivation {
        inherit name text; system = "$system"; builder = "/bin/sh";
        args = [ "-c" "printf '#!/bin/sh\\\\n%s\\\\n' \"\\\$text\" > \\\$out && /bin/chmod +x \\\$out" ];
      };
    in {
      # The declarations of checks/vm/agenix.nix and lib/tests/announcement.nix.
      nixosConfigurations.alpha = lib.mkScope {
        name = "alpha";
        publicKey = "$host";
        adminRecipients = [ "$admin" ];
        store.greeting = { files.text = { }; generator = fixed "greeting" "echo 'hello from artifacts' > \\\$out/text"; };
        store.test = { files.secret = { }; prompts.test = { }; generator = fixed "test" "cat \\\$prompts/test > \\\$out/secret"; };
        store.attic = {
          backend = "sops-nix";
          files.env = { };
          generator = fixed "attic" "echo ATTIC_SERVER_TOKEN_RS256_SECRET_BASE64=dGVzdA== > \\\$out/env";
        };
      };
    };
}
NIX
git -C "$work" init -q && git -C "$work" add -A
printf 'test input from the prompt\n' |
  cargo run -q -p artifacts -- --flake "$work" generate --prompt-stdin test.test
rm -rf checks/vm/artifacts
cp -r "$work/artifacts" checks/vm/artifacts
echo "fixtures written to checks/vm/artifacts"
