#!/bin/sh
# A server key and a certificate signed by the CA, which this artifact
# depends on: the CA's files are in $in/ca/.
set -eu
csr=$(openssl req -new -newkey ed25519 -nodes -keyout "$out/key" -subj "/CN=alpha.example" 2>/dev/null)
printf '%s\n' "$csr" | openssl x509 -req -CA "$in/ca/cert" -CAkey "$in/ca/key" \
  -set_serial "0x$(openssl rand -hex 8)" -days 825 -out "$out/cert" 2>/dev/null
