# One behaviour: the announcement's declarations, verbatim, on a machine
# mixing backends (`test` on agenix, `attic` on sops-nix) deploy both files
# at their declared paths, and the attic user reads its environment file.
# CI without a VM: checks/eval (announcement), rust/nix-tests/tests/template_cli.rs.
{ artifacts, sources }:
{
  name = "artifacts-mixed";
  nodes.alpha = { config, ... }: {
    imports = [
      artifacts.nixosModules.default
      "${sources.agenix}/modules/age.nix"
      "${sources.sops-nix}/modules/sops"
      ./test-key.nix
      ../../lib/tests/announcement.nix
    ];
    artifacts.directory = ./artifacts;

    users.users.atticd = { isSystemUser = true; group = "atticd"; };
    users.groups.atticd = { };
    systemd.services.attic-reader = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig = {
        User = "atticd";
        Type = "oneshot";
        RemainAfterExit = true;
        EnvironmentFile = config.services.atticd.environmentFile;
      };
      script = ''test "$ATTIC_SERVER_TOKEN_RS256_SECRET_BASE64" = dGVzdA=='';
    };
  };
  testScript = ''
    alpha.wait_for_unit("attic-reader.service")
    stat = alpha.succeed("stat -L -c '%U %G %a' /var/lib/attic/secrets/env").strip()
    assert stat == "atticd atticd 400", stat
    alpha.succeed("grep -qx 'test input from the prompt' /run/artifacts/test/secret")
    stat = alpha.succeed("stat -L -c '%U %G %a' /run/artifacts/test/secret").strip()
    assert stat == "root root 400", stat
  '';
}
