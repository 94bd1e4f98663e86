#!/bin/sh
# A stand-in key pair (wg genkey needs wireguard-tools): a random private
# part and a public part derived from it, so the example needs nothing
# installed. Both go to the password store; the public one too, since a
# script backend stores every file.
set -eu
head -c 32 /dev/urandom | base64 > "$out/private"
sha256sum "$out/private" | cut -c1-44 > "$out/public"
