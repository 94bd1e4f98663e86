#!/bin/sh
# A self-signed certificate authority: its key stays secret, its
# certificate is public (machines trust it).
set -eu
openssl req -x509 -newkey ed25519 -nodes -keyout "$out/key" -out "$out/cert" \
  -subj "/CN=nixos-artifacts offline example CA" -days 3650 2>/dev/null
