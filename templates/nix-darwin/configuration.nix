{ config, pkgs, ... }:
{
  nixpkgs.hostPlatform = "aarch64-darwin";
  # Names the machine's folder under artifacts/machines/: keep it equal to
  # its darwinConfigurations attribute.
  networking.hostName = "mac";
  system.stateVersion = 6;

  # The key that decrypts on this Mac: its SSH host key, which agenix reads
  # (System Settings > Sharing > Remote Login creates it;
  # `cat /etc/ssh/ssh_host_ed25519_key.pub`).
  artifacts.publicKey = "ssh-ed25519 AAAA... root@mac";
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

  # A generated token read by a launchd daemon: `services` makes the daemon
  # start only once the file is in place, and restart when a new value is
  # deployed.
  artifacts.store.api = {
    files.token.path = "/usr/local/etc/api/token";
    generator = pkgs.writers.writeBash "generate-api-token" ''
      ${pkgs.openssl}/bin/openssl rand -hex 32 > "$out/token"
    '';
    services = [ "api" ];
  };

  # Replace with your service; it reads the file at the artifact's path.
  launchd.daemons.api = {
    script = ''
      echo "api: token of $(wc -c < ${config.artifacts.store.api.files.token.path}) bytes"
    '';
    serviceConfig.RunAtLoad = true;
  };
}
