#!/bin/sh
# A WireGuard key pair in wg's format (base64 of the raw 32-byte X25519
# keys), made with openssl so the example needs no wireguard-tools:
# `wg pubkey < private` prints `public`. No trailing newline, so Nix can use
# the public value as it is. The key never touches a file.
set -eu
key=$(openssl genpkey -algorithm X25519)
raw() { printf '%s\n' "$key" | openssl pkey "$@" -outform DER | tail -c 32 | base64; }
printf '%s' "$(raw)" > "$out/private"
printf '%s' "$(raw -pubout)" > "$out/public"
