#!/usr/bin/env bash
# Re-creates the encrypted fixtures of the VM tests the way the CLI stores
# them: age files to the machine's ssh-ed25519 host key plus the admin, sops
# files (binary store format) to the host key's age1 form plus the admin.
# Needs: age, sops, python3 with `cryptography`. Run from checks/.
set -euo pipefail
host="$(cut -d' ' -f1,2 keys/ssh_host_ed25519_key.pub)"
host_age="$(python3 keys/ssh-to-age.py keys/ssh_host_ed25519_key | head -n1)"
admin="$(age-keygen -y keys/admin.agekey)"
dir=vm/artifacts/machines/alpha
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

printf 'hello from artifacts\n' | age -r "$host" -r "$admin" -o "$dir/greeting/text.age"
printf 'test input from the prompt\n' | age -r "$host" -r "$admin" -o "$dir/test/secret.age"
printf 'ATTIC_SERVER_TOKEN_RS256_SECRET_BASE64=dGVzdA==\n' >"$tmp/env"
sops encrypt --age "$host_age,$admin" --input-type binary --output-type binary "$tmp/env" >"$dir/attic/env.sops"
