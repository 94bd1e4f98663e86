#!/bin/sh
# A random token, shared by every machine that declares the artifact.
set -eu
head -c 32 /dev/urandom | base64 > "$out/token"
