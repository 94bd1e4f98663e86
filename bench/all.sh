#!/usr/bin/env bash
# Every anchor of README's Speed section in one run, on this machine:
#
#   1. bench/generate.sh: a cold `generate` of 1000 artifacts (50 machines
#      x 20) side by side with the bwrap floor and one `age` per secret;
#   2. bench/eval.sh: `check` on 100 real Home Manager homes with one
#      process, the default workers and the cache, against a bare `nix eval`.
#
#   ARTIFACTS_TEST_INPUTS=../shared/test-inputs [ROUNDS=5] [RUNS=3] bench/all.sh
#
# Needs what both scripts need (see their headers) and a release build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${ARTIFACTS_TEST_INPUTS:?point ARTIFACTS_TEST_INPUTS at the test inputs (docs/test-inputs.md)}"
echo "## Generation"
"$here/generate.sh" 50 20 "${ROUNDS:-5}"
echo
echo "## Evaluation"
RUNS=${RUNS:-3} "$here/eval.sh" 100
