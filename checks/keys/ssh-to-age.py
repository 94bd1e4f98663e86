#!/usr/bin/env python3
"""Print the age X25519 recipient (age1...) and identity (AGE-SECRET-KEY-1...)
of an OpenSSH ed25519 private key, the same conversion sops-nix (ssh-to-age)
does at activation. Used only to (re)make the test fixtures under checks/;
the project's own conversion is `artifacts_sops::ssh_ed25519_to_age`.

usage: ssh-to-age.py ssh_host_ed25519_key
"""
import hashlib
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def bech32_encode(hrp, data):
    bits, acc, five = 0, 0, []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            five.append((acc >> bits) & 31)
    if bits:
        five.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    poly = bech32_polymod(expanded + five + [0] * 6) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in five + checksum)


def main(path):
    key = serialization.load_ssh_private_key(open(path, "rb").read(), password=None)
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    # Ed25519's secret scalar is the first half of SHA-512(seed); X25519 clamps it.
    scalar = hashlib.sha512(seed).digest()[:32]
    public = X25519PrivateKey.from_private_bytes(scalar).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    print(bech32_encode("age", public))
    print(bech32_encode("age-secret-key-", scalar).upper())


if __name__ == "__main__":
    main(sys.argv[1])
