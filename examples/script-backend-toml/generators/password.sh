#!/bin/sh
# A random database password with a trailing newline.
set -eu
head -c 18 /dev/urandom | base64 > "$out/password"
