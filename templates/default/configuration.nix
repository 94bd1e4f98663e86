{ config, pkgs, ... }:
{
  nixpkgs.hostPlatform = "x86_64-linux";
  networking.hostName = "alpha";
  services.openssh.enable = true; # agenix decrypts with the SSH host key

  # The key that decrypts on this machine: its SSH host key
  # (`ssh-keyscan -t ed25519 alpha`, or /etc/ssh/ssh_host_ed25519_key.pub).
  artifacts.publicKey = "ssh-ed25519 AAAA... root@alpha";
  # Your own key, so `artifacts` can read and rekey what it stored.
  artifacts.adminRecipients = [ "age1..." ];

  artifacts.default.backend = "agenix";

  # A secret typed in when you run `nix run .#artifacts -- generate`.
  artifacts.store.test = {
    files.secret = { };
    prompts.test.description = "test input";
    generator = pkgs.writers.writeBash "test" ''
      cat $prompts/test > $out/secret
    '';
  };

  # A generated secret used by a service. With `services.atticd.enable`,
  # add `services = [ "atticd" ];` so atticd starts only once the file is
  # there and restarts when a new value is deployed.
  artifacts.store.attic = {
    files.env = {
      owner = "atticd";
      group = "atticd";
      path = "/var/lib/attic/secrets/env";
    };
    generator = pkgs.writers.writeBash "generate-attic" ''
      cat >"$out/env" <<EOF
      ATTIC_SERVER_TOKEN_RS256_SECRET_BASE64=$(${pkgs.openssl}/bin/openssl genrsa -traditional 4096 | base64 -w0)
      EOF
    '';
  };

  services.atticd.environmentFile =
    config.artifacts.store.attic.files.env.path;

  # Keep the template buildable: replace with your machine's hardware config.
  boot.loader.grub.enable = false;
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };
  system.stateVersion = "25.05";
}
