#!/bin/sh
# A random API token, no trailing newline.
set -eu
head -c 32 /dev/urandom | base64 | tr -d '\n' > "$out/token"
