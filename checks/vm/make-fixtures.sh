#!/usr/bin/env bash
# Re-creates the VM tests' stored files with the `artifacts` CLI itself, so
# the machines boot with exactly what `artifacts generate` writes: age files
# to the host's ssh-ed25519 key plus the admin, sops files to the host
# key's age1 form plus the admin, public parts in plain text. Contents are
# fixed (prompt answers) or checked against the stored file, so the tests
# can check them. Two folders:
#   artifacts/          what every VM test deploys
#   artifacts-rotated/  the same, with a new value of `greeting` only: the
#                       units test switches to it (restart on change)
# Needs nix, bubblewrap and cargo (or ARTIFACTS=/path/to/artifacts). Run
# from the repository root:   checks/vm/make-fixtures.sh
set -euo pipefail
repo=$(pwd)
artifacts=${ARTIFACTS:-"cargo run -q -p artifacts --"}
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
      scope = kind: name: store: lib.mkScope {
        inherit kind name store;
        publicKey = "$host";
        adminRecipients = [ "$admin" ];
      };
    in {
      # The declarations of checks/vm/*.nix and lib/tests/announcement.nix.
      nixosConfigurations.alpha = scope "machine" "alpha" {
        greeting = { files.text = { }; prompts.text = { }; generator = fixed "greeting" "cat \\\$prompts/text > \\\$out/text"; };
        test = { files.secret = { }; prompts.test = { }; generator = fixed "test" "cat \\\$prompts/test > \\\$out/secret"; };
        attic = {
          backend = "sops-nix";
          files.env = { };
          generator = fixed "attic" "echo ATTIC_SERVER_TOKEN_RS256_SECRET_BASE64=dGVzdA== > \\\$out/env";
        };
        wg = {
          files.private = { };
          files.public.secret = false;
          generator = fixed "wg" "echo private-of-alpha > \\\$out/private; echo public-of-alpha > \\\$out/public";
        };
      };
      # Home Manager as a NixOS module on alpha (checks/vm/home-manager.nix).
      homeConfigurations."alice@alpha" = scope "home" "alice@alpha" {
        note = { files.text = { }; generator = fixed "note" "echo note for alice > \\\$out/text"; };
      };
    };
}
NIX
git -C "$work" init -q && git -C "$work" add -A
run() { (cd "$repo" && $artifacts --flake "$work" "$@"); }
run generate --prompt greeting.text='hello from artifacts' --prompt-stdin test.test <<<'test input from the prompt'
rm -rf checks/vm/artifacts checks/vm/artifacts-rotated
cp -r "$work/artifacts" checks/vm/artifacts
run generate --regenerate --artifact greeting --prompt greeting.text='hello again, rotated'
cp -r "$work/artifacts" checks/vm/artifacts-rotated
echo "fixtures written to checks/vm/artifacts and checks/vm/artifacts-rotated"
