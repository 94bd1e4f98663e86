#!/usr/bin/env bash
# Benchmark: a cold `generate` of MACHINES x ARTIFACTS agenix artifacts,
# measured side by side with its two anchors in the same run:
#
#   floor     the same generator programs in a minimal bubblewrap sandbox,
#             $(nproc) at a time (xargs -P), no encryption, no store;
#   sequence  agenix-rekey's way: each generator, then one `age` process
#             encrypting its secret, one after another.
#
#   bench/generate.sh [MACHINES] [ARTIFACTS] [ROUNDS]
#
# Each generator writes 32 random bytes (`head -c 32 /dev/urandom`), so the
# CLI's own cost per artifact is what shows. Every round runs the three
# side by side; the medians and their ratios are printed, then the CLI's
# peak memory (VmHWM of its own process, not of `nix`) with these outputs
# and with one generator writing 200 MB.
#
# Needs nix, bubblewrap, age, git, bc, jq and a built CLI
# (cargo build --release -p artifacts). Installs nothing.
set -euo pipefail
machines=${1:-50}
artifacts=${2:-20}
rounds=${3:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${ARTIFACTS_BIN:-$repo/target/release/artifacts}
[ -x "$bin" ] || { echo "build first: cargo build --release -p artifacts" >&2; exit 1; }
for tool in nix bwrap age git bc jq; do
  command -v $tool >/dev/null || { echo "needs $tool on PATH" >&2; exit 1; }
done
export NIX_CONFIG="substituters =
warn-dirty = false
extra-experimental-features = nix-command flakes"

# The flakes go in BENCH_DIR (default: $TMPDIR, else /tmp); plaintext in
# $TMPDIR as the CLI decides. BENCH_KEEP=1 keeps the flakes and prints where.
work=$(mktemp -d -p "${BENCH_DIR:-${TMPDIR:-/tmp}}")
[ -n "${BENCH_KEEP:-}" ] && echo "work folder: $work"
keys=$repo/rust/artifacts/tests/fixtures/keys
system="$(uname -m)-linux"

# A fleet flake on lib/ only: `count` machines with `artifacts` artifacts
# each, generator i writing `bytes` random bytes; `generators` lists the
# programs for the floor.
make_flake() { # folder, machines, artifacts, bytes
  local dir=$1
  mkdir -p "$dir"
  cp -r "$repo/lib" "$dir/lib"
  cp "$keys/alpha_ed25519.pub" "$dir/host.pub"
  cp "$keys/admin_ed25519.pub" "$dir/admin.pub"
  cat > "$dir/flake.nix" <<NIX
{
  outputs = { self }:
    let
      lib = import ./lib;
      gen = i: builtins.derivation {
        name = "gen-\${toString i}"; system = "$system"; builder = "/bin/sh";
        args = [ "-c" "printf '#!/bin/sh\\\\nhead -c $4 /dev/urandom > \\\$out/key\\\\n' > \\\$out && /bin/chmod +x \\\$out" ];
      };
      artifact = i: { files.key = { }; generator = gen i; };
      store = builtins.listToAttrs (builtins.genList (i: { name = "a\${toString i}"; value = artifact i; }) $3);
      machine = name: lib.mkScope {
        inherit name store;
        publicKey = builtins.readFile ./host.pub;
        adminRecipients = [ (builtins.readFile ./admin.pub) ];
      };
    in {
      nixosConfigurations = builtins.listToAttrs
        (builtins.genList (i: { name = "m\${toString i}"; value = machine "m\${toString i}"; }) $2);
      generators = builtins.genList (i: "\${gen i}") $3;
    };
}
NIX
  git -C "$dir" init -q
  git -C "$dir" add -A
  git -C "$dir" -c user.name=bench -c user.email=bench@localhost commit -qm fleet
}

# Runs a command, prints its wall time in seconds.
timed() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/out.log" 2>&1 || { echo "failed: $*" >&2; tail -20 "$work/out.log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

# Runs a command (untimed), prints its peak memory in kB: VmHWM of that
# process itself, polled; children such as `nix` are not counted.
peak() {
  local pid hwm=0 key value _
  "$@" >"$work/out.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    while read -r key value _; do
      [ "$key" = VmHWM: ] && hwm=$value
    done < "/proc/$pid/status" 2>/dev/null || true
    sleep 0.005
  done
  wait "$pid" || { echo "failed: $*" >&2; tail -20 "$work/out.log" >&2; exit 1; }
  echo "$hwm"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Plaintext goes where the CLI puts it (secret_dir.rs): $TMPDIR, else the
# runtime folder, else /dev/shm if it is a tmpfs, else /tmp; the floor's
# outputs go there too.
plain=${TMPDIR:-${XDG_RUNTIME_DIR:-}}
if [ -z "$plain" ]; then
  plain=/tmp
  [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && plain=/dev/shm
fi
flake=$work/flake
make_flake "$flake" "$machines" "$artifacts" 32
total=$((machines * artifacts))
mapfile -t programs < <(nix eval --json "$flake#generators" | jq -r '.[]')

# Every timed run starts from nothing and deletes nothing: a cold
# `generate` on a fresh copy of the flake, outputs in fresh folders, all
# removed at the end. Deleting thousands of files just before a run would
# time the file system's bookkeeping of them (ext4 without a journal skips
# recently freed inodes one by one when it allocates), so each round runs
# the floor, then `generate`, then the sequence, which follows the only
# run that deletes (a generate removes its plaintext when it ends).
fresh() { local copy; copy=$(mktemp -d "$work/copy-XXXXXX"); cp -a "$flake/." "$copy"; echo "$copy"; }
trap 'rm -rf "$work" "$plain"/artifacts-bench-floor-$$-*' EXIT
[ -n "${BENCH_KEEP:-}" ] && trap 'rm -rf "$plain"/artifacts-bench-floor-$$-*' EXIT

# Untimed warm-up: builds the generators, fills the caches; then the file
# system is left to forget what it deleted.
"$bin" --flake "$(fresh)" generate >/dev/null 2>&1
sleep "${BENCH_SETTLE:-35}"

# The floor's jobs: one line of bwrap arguments per artifact, so xargs
# starts bwrap directly (no shell per job). Its output folders are made in
# the timed part, by one `mkdir`, as the CLI makes its own.
floor_args=(--unshare-all --die-with-parent --clearenv
  --ro-bind /nix/store /nix/store --ro-bind /bin /bin --ro-bind /usr /usr
  --ro-bind /lib /lib --ro-bind-try /lib64 /lib64 --dev /dev)
floor_jobs() { # output folder
  for m in $(seq 0 $((machines - 1))); do
    for a in $(seq 0 $((artifacts - 1))); do
      echo "--bind $1/m$m/a$a /out --setenv out /out -- ${programs[$a]}"
    done
  done > "$work/floor.jobs"
}
floor() {
  awk '{ print $2 }' "$work/floor.jobs" | xargs mkdir -p
  xargs -P "$(nproc)" -L 1 bwrap "${floor_args[@]}" < "$work/floor.jobs"
}

sequence() { # output folder
  local dir
  for m in $(seq 0 $((machines - 1))); do
    for a in $(seq 0 $((artifacts - 1))); do
      dir=$1/m$m/a$a
      mkdir -p "$dir"
      out=$dir "${programs[$a]}"
      age -R "$flake/host.pub" -R "$flake/admin.pub" -o "$dir/key.age" "$dir/key"
    done
  done
}

count() { find "$1" -name "$2" -type f | wc -l; }

echo "fleet: $machines machines x $artifacts agenix artifacts = $total generators ($(nproc) CPUs, $rounds rounds)"
: > "$work/ours.times"; : > "$work/nosandbox.times"; : > "$work/floor.times"; : > "$work/sequence.times"
for r in $(seq 1 "$rounds"); do
  out=$plain/artifacts-bench-floor-$$-$r
  floor_jobs "$out"
  timed floor >> "$work/floor.times"
  [ "$(count "$out" key)" = "$total" ] || { echo "the floor wrote too few" >&2; exit 1; }

  copy=$(fresh)
  timed "$bin" --flake "$copy" generate >> "$work/ours.times"
  [ "$(count "$copy/artifacts" 'key.age')" = "$total" ] || { echo "generate stored too few" >&2; exit 1; }

  timed sequence "$work/sequence-$r" >> "$work/sequence.times"
  [ "$(count "$work/sequence-$r" key.age)" = "$total" ] || { echo "the sequence wrote too few" >&2; exit 1; }
done
# For comparison, once: without the sandbox.
timed "$bin" --flake "$(fresh)" generate --no-sandbox >> "$work/nosandbox.times"

ours=$(median < "$work/ours.times")
nosandbox=$(median < "$work/nosandbox.times")
floor_t=$(median < "$work/floor.times")
sequence_t=$(median < "$work/sequence.times")
ratio() { echo "scale=2; $1 / $2" | bc; }
echo
echo "rounds (generate / floor): $(paste -d/ "$work/ours.times" "$work/floor.times" | while IFS=/ read -r o f; do printf '%.2f/%.2f=%s ' "$o" "$f" "$(ratio "$o" "$f")"; done)"
row() { printf '| %s | %.2f s | %s |\n' "$1" "$2" "$3"; }
echo
echo "| run ($total artifacts, median of $rounds) | time | vs floor |"
echo "|---|---|---|"
row "\`generate\`, cold" "$ours" "$(ratio "$ours" "$floor_t")×"
row "\`generate --no-sandbox\`, cold (one run)" "$nosandbox" "$(ratio "$nosandbox" "$floor_t")×"
row "floor: bwrap, $(nproc) at a time, no encryption" "$floor_t" "1×"
row "generator + one \`age\` per secret, in sequence" "$sequence_t" "$(ratio "$sequence_t" "$floor_t")×"
echo
rss=$(peak "$bin" --flake "$(fresh)" generate)
echo "peak memory of \`generate\` (VmHWM), $total artifacts: $((rss / 1024)) MB"

# One generator writing 200 MB.
big=$work/big
make_flake "$big" 1 1 200000000
rss=$(peak "$bin" --flake "$big" generate)
echo "peak memory of \`generate\` (VmHWM), one 200 MB output: $((rss / 1024)) MB"
