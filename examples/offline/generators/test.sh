#!/bin/sh
# Copies the answer to the `test` prompt into the secret, byte for byte.
cat "$prompts/test" > "$out/secret"
