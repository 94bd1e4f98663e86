# One behaviour: a file the CLI stored for agenix reaches `files.<f>.path`
# with the declared owner, group and mode, and a service running as that
# owner reads it.
{ pkgs, artifacts, agenix }:
pkgs.testers.runNixOSTest {
  name = "artifacts-agenix";
  nodes.alpha = { config, ... }: {
    imports = [ artifacts.nixosModules.default agenix.nixosModules.default ./test-key.nix ];
    artifacts.directory = ./artifacts;
    artifacts.store.greeting.files.text = { owner = "greeter"; group = "greeter"; mode = "0440"; };

    users.users.greeter = { isSystemUser = true; group = "greeter"; };
    users.groups.greeter = { };
    systemd.services.greeter = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig = { User = "greeter"; Type = "oneshot"; RemainAfterExit = true; };
      script = "cat ${config.artifacts.store.greeting.files.text.path}";
    };
  };
  testScript = ''
    alpha.wait_for_unit("greeter.service")
    alpha.succeed("journalctl -u greeter.service | grep -q 'hello from artifacts'")
    stat = alpha.succeed("stat -L -c '%U %G %a' /run/artifacts/greeting/text").strip()
    assert stat == "greeter greeter 440", stat
  '';
}
