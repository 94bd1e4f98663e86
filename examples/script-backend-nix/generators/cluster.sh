#!/bin/sh
# One secret for every machine that declares the shared artifact.
set -eu
head -c 24 /dev/urandom | base64 > "$out/secret"
