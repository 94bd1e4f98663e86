#!/bin/sh
# An environment file with a random token (openssl genrsa in the
# announcement; random bytes here so the example needs nothing installed).
set -eu
token=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
printf 'ATTIC_SERVER_TOKEN_RS256_SECRET_BASE64=%s\n' "$token" > "$out/env"
