# Sourced by quickstart.sh and test.sh: makes a Debian `nix-bin` usable as
# root in single-user mode. Debian's package expects build users (group
# nixbld) that only its optional nix-setup-systemd creates; without them
# every build fails with "the group 'nixbld' ... does not exist". An
# existing /etc/nix/nix.conf is never touched.
if [ "$(id -u)" = 0 ] && command -v nix >/dev/null && [ ! -e /etc/nix/nix.conf ] \
    && ! getent group nixbld >/dev/null; then
  mkdir -p /etc/nix
  printf '%s\n' '# Written by nixos-artifacts scripts/setup-nix.sh: single-user Nix as root.' \
    'build-users-group =' 'sandbox = false' > /etc/nix/nix.conf
  echo "wrote /etc/nix/nix.conf (single-user Nix as root, no build users)" >&2
fi
