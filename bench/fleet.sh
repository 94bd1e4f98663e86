#!/usr/bin/env bash
# Benchmark: generate, check and list on a fleet flake of MACHINES machines
# with ARTIFACTS artifacts each, counting nix processes and timing the runs.
#
#   bench/fleet.sh [MACHINES] [ARTIFACTS] [GENERATOR_SECONDS]
#
# Each generator is a derivation (all built in one batch) that sleeps
# GENERATOR_SECONDS, standing in for key generation, so the effect of
# --jobs is visible. Needs nix, age, bubblewrap, bc and a built CLI
# (cargo build --release -p artifacts).
set -euo pipefail
machines=${1:-20}
artifacts=${2:-5}
sleep_s=${3:-0.2}
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${ARTIFACTS_BIN:-$repo/target/release/artifacts}
[ -x "$bin" ] || { echo "build first: cargo build --release -p artifacts" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/flake" "$work/shim"
cp -r "$repo/lib" "$work/flake/lib"
cp "$repo/rust/artifacts/tests/fixtures/keys/alpha_ed25519.pub" "$work/flake/host.pub"
system="$(uname -m)-linux"
cat > "$work/flake/flake.nix" <<NIX
{
  outputs = { self }:
    let
      lib = import ./lib;
      gen = i: builtins.derivation {
        name = "gen-\${toString i}"; system = "$system"; builder = "/bin/sh";
        args = [ "-c" "printf '#!/bin/sh\\\\nsleep $sleep_s\\\\nhead -c 32 /dev/urandom > \\\$out/key\\\\n' > \\\$out && /bin/chmod +x \\\$out" ];
      };
      artifact = i: { files.key = { }; generator = gen i; };
      store = builtins.listToAttrs (builtins.genList (i: { name = "a\${toString i}"; value = artifact i; }) $artifacts);
      machine = name: lib.mkScope { inherit name store; publicKey = builtins.readFile ./host.pub; };
    in {
      nixosConfigurations = builtins.listToAttrs
        (builtins.genList (i: { name = "m\${toString i}"; value = machine "m\${toString i}"; }) $machines);
    };
}
NIX
git -C "$work/flake" init -q && git -C "$work/flake" add -A

# Count every nix / nix-store process through shims.
for tool in nix nix-store; do
  real=$(command -v $tool)
  printf '#!/bin/sh\necho %s >> %s/calls\nexec %s "$@"\n' "$tool" "$work" "$real" > "$work/shim/$tool"
  chmod +x "$work/shim/$tool"
done
export PATH="$work/shim:$PATH" XDG_CACHE_HOME="$work/cache" NIX_CONFIG="substituters =
warn-dirty = false"

run() { # label, command...
  local label=$1; shift
  : > "$work/calls"
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  printf '%-34s %8.2f s   nix evals: %s   nix-store builds: %s\n' "$label" "$(echo "$end - $start" | bc)" \
    "$(grep -cx nix "$work/calls" || true)" "$(grep -cx nix-store "$work/calls" || true)"
}

total=$((machines * artifacts))
echo "fleet: $machines machines x $artifacts artifacts = $total generators sleeping ${sleep_s}s each ($(nproc) CPUs)"
run "generate --jobs 1" "$bin" --flake "$work/flake" generate --jobs 1
run "check (all stored)" "$bin" --flake "$work/flake" check
run "list" "$bin" --flake "$work/flake" list
run "generate (nothing to do)" "$bin" --flake "$work/flake" generate
run "generate --regenerate --jobs 8" "$bin" --flake "$work/flake" generate --regenerate --yes --jobs 8
run "generate --regenerate (default jobs)" "$bin" --flake "$work/flake" generate --regenerate --yes
