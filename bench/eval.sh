#!/usr/bin/env bash
# Benchmark: evaluating a fleet of HOMES standalone Home Manager homes, each
# built with Home Manager's real module set (a stand-in pkgs, agenix's home
# module, 3 artifacts a home), side by side in one run:
#
#   - a bare `nix eval` of the same manifests (what the evaluation costs);
#   - `check` with one evaluation process (`--eval-jobs 1`);
#   - `check` with the default workers, and with a lower memory limit;
#   - `check` on the unchanged flake, from the manifest cache;
#
# with the wall time, the peak memory of the largest process (the maximum
# resident size of any waited-for descendant, getrusage's RUSAGE_CHILDREN),
# the number of `nix` processes, and whether the plans (`list --json`) are
# the same byte for byte.
#
#   ARTIFACTS_TEST_INPUTS=../shared/test-inputs [RUNS=3] bench/eval.sh [HOMES]
#
# RUNS: each line is the fastest of that many runs (default 1).
#
# Needs nix, git, python3 (the timer), a release build (cargo build
# --release -p artifacts) and the test inputs (home-manager, agenix,
# nixpkgs-lib, nixpkgs-files; see ../shared/test-inputs/README.md), by
# default ../shared/test-inputs beside this checkout.
set -euo pipefail
homes=${1:-100}
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${ARTIFACTS_BIN:-$repo/target/release/artifacts}
[ -x "$bin" ] || { echo "build first: cargo build --release -p artifacts" >&2; exit 1; }
inputs=${ARTIFACTS_TEST_INPUTS:-$repo/../shared/test-inputs}
[ -d "$inputs/home-manager" ] || { echo "set ARTIFACTS_TEST_INPUTS to the test inputs (home-manager, agenix, nixpkgs-lib, nixpkgs-files)" >&2; exit 1; }
inputs=$(cd "$inputs" && pwd)
command -v python3 >/dev/null || { echo "python3 is needed to measure peak memory" >&2; exit 1; }

work=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/shim" "$work/cache"

# The stand-in nixpkgs (as rust/nix-tests assembles it, see
# rust/nix-tests/nix/fake-nixpkgs/default.nix).
nixpkgs=$work/nixpkgs
cp -r "$repo/rust/nix-tests/nix/fake-nixpkgs" "$nixpkgs"
cp -r "$inputs/nixpkgs-lib/lib" "$nixpkgs/lib"
cp -r "$inputs/nixpkgs-files/." "$nixpkgs/"
cp "$repo/lib/tests/stand-in-pkgs.nix" "$repo/checks/eval/nixos-base.nix" "$nixpkgs/"

flake=$work/flake
mkdir -p "$flake"
cp -r "$repo/lib" "$repo/modules" "$flake/"
cp "$repo/rust/artifacts/tests/fixtures/keys/alpha_ed25519.pub" "$flake/host.pub"
system="$(uname -m)-linux"
cat > "$flake/flake.nix" <<NIX
{
  inputs.nixpkgs = { url = "path:$nixpkgs"; flake = false; };
  inputs.home-manager = { url = "path:$inputs/home-manager"; flake = false; };
  inputs.agenix = { url = "path:$inputs/agenix"; flake = false; };
  outputs = { self, nixpkgs, home-manager, agenix }:
    let
      pkgs = import nixpkgs { };
      hm = import (home-manager + "/lib") { inherit (pkgs) lib; };
      gen = name: script: builtins.derivation {
        inherit name script; system = "$system"; builder = "/bin/sh";
        args = [ "-c" "printf '#!/bin/sh\\\\n%s\\\\n' \"\\\$script\" > \\\$out && /bin/chmod +x \\\$out" ];
      };
      home = user: hm.homeManagerConfiguration {
        inherit pkgs;
        modules = [
          ./modules/home-manager
          (agenix + "/modules/age-home.nix")
          {
            home.username = user;
            home.homeDirectory = "/home/\${user}";
            home.stateVersion = "25.05";
            artifacts.directory = ./artifacts;
            artifacts.publicKey = builtins.readFile ./host.pub;
            artifacts.store = {
              token = { files.token = { }; generator = gen "token-\${user}" "head -c 32 /dev/urandom > \\\$out/token"; };
              ssh = { files.key = { }; files."key.pub".secret = false; generator = gen "ssh-\${user}" "echo k > \\\$out/key; echo p > \\\$out/key.pub"; };
              password = { files.hash = { }; prompts.password.description = "password"; generator = gen "password-\${user}" "cat \\\$prompts/password > \\\$out/hash"; };
            };
          }
        ];
      };
      users = builtins.genList (i: "user\${toString i}") $homes;
    in {
      homeConfigurations = builtins.listToAttrs (map (u: { name = u; value = home u; }) users);
    };
}
NIX
export NIX_CONFIG="substituters =
warn-dirty = false" XDG_CACHE_HOME=$work/cache
git -C "$flake" init -q && git -C "$flake" add -A
(cd "$flake" && nix --extra-experimental-features 'nix-command flakes' flake lock 2>/dev/null)
git -C "$flake" add flake.lock

# Count every nix process through a shim.
real=$(command -v nix)
printf '#!/bin/sh\necho nix >> %s/calls\nexec %s "$@"\n' "$work" "$real" > "$work/shim/nix"
chmod +x "$work/shim/nix"
export PATH="$work/shim:$PATH"

# measure LABEL OUTPUT COMMAND...: one line of the table, the fastest of
# $RUNS runs (the machine may be shared); stdout to OUTPUT.
runs=${RUNS:-1}
measure() {
  local label=$1 output=$2; shift 2
  local best="" seconds peak rc calls
  for _ in $(seq "$runs"); do
    : > "$work/calls"
    read -r seconds peak rc < <(python3 - "$output" "$@" <<'PY'
import resource, subprocess, sys, time
start = time.monotonic()
with open(sys.argv[1], "wb") as out, open(sys.argv[1] + ".err", "wb") as err:
    rc = subprocess.run(sys.argv[2:], stdout=out, stderr=err).returncode
elapsed = time.monotonic() - start
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{elapsed:.2f} {peak_mib:.0f} {rc}")
PY
)
    [ "$rc" -le 1 ] || { echo "warning: $label exited with $rc:" >&2; tail -5 "$output.err" >&2; }
    calls=$(grep -c nix "$work/calls" || true)
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(not $seconds < $last_s)"; then
      best=1 last_s=$seconds last_mib=$peak last_calls=$calls
    fi
    # The cached lines measure a second run: later runs are all cached.
  done
  printf '%-40s %8.2f s %8d MiB   nix processes: %s\n' "$label" "$last_s" "$last_mib" "$last_calls"
}

apply='hs: builtins.mapAttrs (_: h: h.config.artifacts.manifest or null) hs'
echo "fleet: $homes Home Manager homes x 3 artifacts ($(nproc) CPUs, $(awk '/MemAvailable/ {printf "%d", $2 / 1024}' /proc/meminfo) MiB available)"
measure "bare nix eval of the manifests" "$work/bare.json" \
  nix --extra-experimental-features 'nix-command flakes' eval --json "git+file://$flake#homeConfigurations" --apply "$apply"
bare_s=$last_s bare_mib=$last_mib
[ -s "$work/bare.json" ] || { echo "the bare nix eval failed:" >&2; tail -5 "$work/bare.json.err" >&2; exit 1; }
measure "check --eval-jobs 1" "$work/check1" "$bin" --flake "$flake" --no-eval-cache --eval-jobs 1 check
one_s=$last_s one_mib=$last_mib
measure "check (default workers)" /dev/null "$bin" --flake "$flake" --no-eval-cache check
many_s=$last_s many_mib=$last_mib
measure "check --eval-max-memory 1024" /dev/null "$bin" --flake "$flake" --no-eval-cache --eval-max-memory 1024 check
bounded_mib=$last_mib
runs=1 measure "check (fills the cache)" /dev/null "$bin" --flake "$flake" check
measure "check (cached, unchanged flake)" /dev/null "$bin" --flake "$flake" check
cached_s=$last_s
measure "list --json --eval-jobs 1" "$work/one.json" "$bin" --flake "$flake" --no-eval-cache --eval-jobs 1 list --json
measure "list --json (default workers)" "$work/many.json" "$bin" --flake "$flake" --no-eval-cache list --json
measure "list --json (cached)" "$work/cached.json" "$bin" --flake "$flake" list --json
if cmp -s "$work/one.json" "$work/many.json" && cmp -s "$work/one.json" "$work/cached.json"; then
  plans="identical"
else
  plans="DIFFERENT"
fi
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "default workers / --eval-jobs 1: time $(ratio "$many_s" "$one_s"), peak memory $(ratio "$many_mib" "$one_mib")"
echo "--eval-max-memory 1024 / --eval-jobs 1: peak memory $(ratio "$bounded_mib" "$one_mib")"
echo "cached / --eval-jobs 1: time $(ratio "$cached_s" "$one_s")"
echo "check --eval-jobs 1 / bare nix eval: time $(ratio "$one_s" "$bare_s"), peak memory $(ratio "$one_mib" "$bare_mib")"
echo "plans (list --json, three ways): $plans"
