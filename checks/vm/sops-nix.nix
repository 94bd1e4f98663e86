# One behaviour: the announcement's attic artifact on sops-nix alone: the
# file the CLI stored reaches its path with owner, group and mode, and the
# attic user's service reads the environment file.
# CI without a VM: rust/nix-tests/tests/template_cli.rs (sops-nix template).
{ artifacts, sources }:
{
  name = "artifacts-sops-nix";
  nodes.alpha = { config, pkgs, ... }: {
    imports = [ artifacts.nixosModules.default "${sources.sops-nix}/modules/sops" ./test-key.nix ];
    artifacts.directory = ./artifacts;
    artifacts.default.backend = "sops-nix";
    artifacts.store.attic = {
      files.env = { owner = "atticd"; group = "atticd"; path = "/var/lib/attic/secrets/env"; };
      services = [ "attic-reader" ];
    };

    users.users.atticd = { isSystemUser = true; group = "atticd"; };
    users.groups.atticd = { };
    systemd.services.attic-reader = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig = {
        User = "atticd";
        Type = "oneshot";
        RemainAfterExit = true;
        EnvironmentFile = config.artifacts.store.attic.files.env.path;
      };
      script = ''test "$ATTIC_SERVER_TOKEN_RS256_SECRET_BASE64" = dGVzdA=='';
    };
  };
  testScript = ''
    alpha.wait_for_unit("attic-reader.service")
    stat = alpha.succeed("stat -L -c '%U %G %a' /var/lib/attic/secrets/env").strip()
    assert stat == "atticd atticd 400", stat
    alpha.succeed("systemctl is-active artifact-attic.service")
  '';
}
