# Hands the committed test host key (checks/keys) to agenix and sops-nix.
# The key sits in the world-readable Nix store: acceptable only because it
# is a throwaway test key. Pointing the tools at it directly avoids ordering
# an extra activation script before theirs.
{ lib, options, ... }:
let key = "${../keys/ssh_host_ed25519_key}"; in
{
  config = lib.mkMerge [
    (lib.optionalAttrs (options ? age) { age.identityPaths = [ key ]; })
    (lib.optionalAttrs (options ? sops) { sops.age.sshKeyPaths = [ key ]; })
  ];
}
