#!/usr/bin/env bash
# The main job on the bundled example, on a fresh machine: checks for (and,
# as root on Debian, installs) what the CLI needs, then asks the example's
# prompt and generates, encrypts and `git add`s its artifacts.
#   scripts/quickstart.sh [generate options, e.g. --regenerate]
set -euo pipefail
cd "$(dirname "$0")/.."

# command → the Debian package providing it.
needed=(cargo: nix:nix-bin git:git bwrap:bubblewrap age:age openssl:openssl)
missing=()
for pair in "${needed[@]}"; do
  command -v "${pair%%:*}" >/dev/null || missing+=("$pair")
done
if [ ${#missing[@]} -gt 0 ]; then
  packages=()
  for pair in "${missing[@]}"; do
    package=${pair#*:}
    if [ -z "$package" ]; then
      echo "error: ${pair%%:*} is missing: install the Rust toolchain (https://rustup.rs)" >&2
      exit 1
    fi
    packages+=("$package")
  done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${packages[*]}…" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; }
  else
    echo "error: missing ${missing[*]%%:*}; install them, e.g. on Debian or Ubuntu:" >&2
    echo "  sudo apt-get install ${packages[*]}" >&2
    exit 1
  fi
fi
. scripts/setup-nix.sh

# Built first with cargo's progress shown (the first build takes minutes);
# the runs below then start at once, quietly.
echo "building the artifacts CLI…" >&2
cargo build -p artifacts --bin artifacts
artifacts() { cargo run -q -p artifacts --bin artifacts -- --flake examples/offline "$@"; }
artifacts generate "$@"
echo
artifacts list
echo
echo "alpha's test secret, decrypted by the reference age with the example's host key:"
age -d -i examples/offline/keys/host_ed25519 examples/offline/artifacts/machines/alpha/test/secret.age
echo
# generate staged the example's files in this checkout's git index.
echo "To undo the example (unstage and delete its generated files), from $(pwd):"
echo "  git rm -r -f -q examples/offline/artifacts"
